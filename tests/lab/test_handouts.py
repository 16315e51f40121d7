#!/usr/bin/env python3
"""The handouts agree with the graders, and the answers files work.

For every lab of labs/labs.txt:
  - the test table of labs/<lab>/README.md (section "Grading", columns
    test | checks | points | core) lists exactly the tests of
    grade/grade-lab-<lab>.py, with the same points and core tags, so the
    two cannot drift apart;
  - labs/<lab>/answers.md answers every question (the complete tree), and
    the export's blanking (tools/lab.py blank_answers) leaves every
    question and no answer, which the grader's check then reports.

Run: python3 tests/lab/test_handouts.py [-v]; the last line is
`N passed, N failed`. Python 3 standard library only.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "grade"))
import lab  # noqa: E402
from gradelib import unanswered  # noqa: E402
from test_lab import run_tests  # noqa: E402


def grader_tests(name):
    """{test: (points, core)} from `grade-lab-NAME.py --list`."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "grade",
                                                       "grade-lab-%s.py" % name),
                          "--list"], stdout=subprocess.PIPE, check=True,
                         stdin=subprocess.DEVNULL).stdout.decode()
    tests = {}
    for line in out.split("\n"):
        m = re.match(r"^(\S+)\s+(\d+) pts\s+\S+(\s+core)?\s*$", line)
        if m:
            tests[m.group(1)] = (int(m.group(2)), bool(m.group(3)))
    return tests


def handout_tests(name):
    """{test: (points, core)} from the table of the handout's Grading
    section; raises ValueError if the table is not there."""
    with open(os.path.join(ROOT, "labs", name, "README.md")) as f:
        text = f.read()
    m = re.search(r"(?ms)^## Grading\n(.*?)(?=^## |\Z)", text)
    if not m:
        raise ValueError("labs/%s/README.md has no section '## Grading'" % name)
    rows = [ln for ln in m.group(1).split("\n") if ln.startswith("|")]
    head = [c.strip() for c in rows[0].strip("|").split("|")] if rows else []
    if head != ["test", "checks", "points", "core"]:
        raise ValueError("the Grading table's columns are %s, want test | "
                         "checks | points | core" % head)
    tests = {}
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        tests[cells[0].strip("`")] = (int(cells[2]), cells[3] == "yes")
    return tests


class HandoutTest(unittest.TestCase):
    def test_tables_match_graders(self):
        for name in lab.read_labs():
            with self.subTest(lab=name):
                want, got = grader_tests(name), handout_tests(name)
                self.assertTrue(want, "grade-lab-%s.py lists no test" % name)
                for t in sorted(set(want) | set(got)):
                    self.assertEqual(got.get(t), want.get(t),
                                     "labs/%s/README.md vs grade-lab-%s.py, test "
                                     "%s: (points, core)" % (name, name, t))

    def test_answers_filled_and_blanked(self):
        tmp = tempfile.mkdtemp(prefix="test-answers-")
        try:
            for name in lab.read_labs():
                with self.subTest(lab=name):
                    path = os.path.join(ROOT, "labs", name, "answers.md")
                    with open(path) as f:
                        text = f.read()
                    questions = re.findall(r"(?m)^## (.*)$", text)
                    self.assertTrue(questions, "%s has no `## ` question" % path)
                    self.assertEqual(unanswered(text), [])
                    copy = os.path.join(tmp, name + ".md")
                    shutil.copy(path, copy)
                    lab.blank_answers(copy)
                    with open(copy) as f:
                        self.assertEqual(unanswered(f.read()),
                                         [q.strip() for q in questions])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_unanswered(self):
        text = "# intro\n\n## 1. q?\n\n<!-- your answer -->\n\n## 2. r?\nyes.\n"
        self.assertEqual(unanswered(text), ["1. q?"])


if __name__ == "__main__":
    run_tests(HandoutTest)
