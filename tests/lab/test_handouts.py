#!/usr/bin/env python3
"""The handouts agree with the graders, and the answers files work.

For every lab of labs/labs.txt:
  - the test table of labs/<lab>/README.md (section "Grading", columns
    test | checks | points | core) lists exactly the tests of
    grade/grade-lab-<lab>.py, with the same points and core tags, so the
    two cannot drift apart;
  - labs/<lab>/answers.md answers every question (the complete tree), and
    the export's blanking (tools/lab.py blank_answers) leaves every
    question and no answer, which the grader's check then reports;
  - what the handout names exists in the lab's export (tools/lab.py
    export), the tree a student reads it in: every function written
    `name()` is defined there (a C definition or macro, a system call of
    user/usys.pl, a Python def), every relative link and every file
    path in backticks (handout and answers.md) is a file there, and every
    command of its "Measure it" section runs there: a Python script
    answers --help (and --dry-run, when it has one: the variants it
    would build can be made), a make goal is known to `make -n`.

Run: python3 tests/lab/test_handouts.py [-v]; the last line is
`N passed, N failed`. Python 3 standard library only.
"""

import glob
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


# ---- what a handout names, against its lab's export ----

FUNC_REF = re.compile(r"`([A-Za-z_]\w*)\(\)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A file path in backticks: no spaces, a known extension.
PATH_REF = re.compile(r"`([\w./-]+\.(?:c|h|S|py|md|txt|svg|pl|ld|dts))`")
# Paths that name build products or a student's own output, not files
# a tree is given.
MADE_PATHS = ("build/", "/tmp/")
MADE_FILES = ("map.svg", "timeline.svg")     # what make memviz draws
STAFF_WORDING = [r"(?i)\bin the solution\b", r"(?i)\bcourse's tree\b",
                 r"(?i)\bcomplete tree\b", r"make LAB=\w+", r"\w+ \(main\)"]


def defined_names(tree):
    """The function-like names tree defines: C definitions and
    prototypes-with-bodies at column 0 (xv6 style: the name starts a line,
    and the line does not end with ';'), function-like macros, system
    calls of user/usys.pl, Python defs."""
    names = set()
    for pat in ("kernel/**/*.[chS]", "user/*.[chS]", "mkfs/*.[ch]",
                "tests/host/*.[ch]"):
        for path in glob.glob(os.path.join(tree, pat), recursive=True):
            with open(path, errors="replace") as f:
                text = f.read()
            names.update(re.findall(r"(?m)^(?:[\w*]+[ \t]+)*\**([A-Za-z_]\w*)\([^;\n]*$", text))
            names.update(re.findall(r"(?m)^#\s*define\s+(\w+)\(", text))
            # one-line definitions: static inline void f(void) { ... }
            names.update(re.findall(r"(?m)^[\w* ]*\b(\w+)\([^)\n]*\)\s*\{", text))
    usys = os.path.join(tree, "user", "usys.pl")
    if os.path.exists(usys):
        with open(usys) as f:
            calls = re.search(r"qw\(([^)]*)\)", f.read())
        names.update(calls.group(1).split() if calls else ())
    for pat in ("grade/*.py", "tools/**/*.py"):
        for path in glob.glob(os.path.join(tree, pat), recursive=True):
            with open(path, errors="replace") as f:
                names.update(re.findall(r"(?m)^\s*def (\w+)\(", f.read()))
    return names


def measure_commands(text):
    """The commands in backticks of the handout's "Measure it" section."""
    m = re.search(r"(?ms)^## Measure it\n(.*?)(?=^## |\Z)", text)
    if not m:
        return []
    return [c for c in re.findall(r"`([^`]+)`", m.group(1))
            if c.startswith(("python3 ", "make "))]


def run_command(tree, cmd):
    """Run one "Measure it" command's cheap form in tree; None if it
    works, else why not."""
    words = cmd.split()
    if words[0] == "make":
        # make -n: the goal and variables are known, nothing is run.
        r = subprocess.run(["make", "-n"] + words[1:], cwd=tree,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, universal_newlines=True)
        return None if r.returncode == 0 else "make -n fails:\n" + r.stdout[-1500:]
    script = os.path.join(tree, words[1])
    if not os.path.exists(script):
        return "%s is not in the tree" % words[1]
    r = subprocess.run([sys.executable, script, "--help"], cwd=tree,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, universal_newlines=True)
    if r.returncode != 0:
        return "%s --help fails:\n%s" % (words[1], r.stdout[-1500:])
    if "--dry-run" in r.stdout:
        r = subprocess.run([sys.executable, script] + words[2:] + ["--dry-run"],
                           cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, universal_newlines=True)
        if r.returncode != 0:
            return "%s --dry-run fails:\n%s" % (" ".join(words[1:]), r.stdout[-1500:])
    return None


class HandoutRefsTest(unittest.TestCase):
    """Each lab's handout against the student tree of that lab."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="test-handout-refs-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def export(self, name):
        tree = os.path.join(self.tmp, name)
        if not os.path.exists(tree):
            # With git: the benchmarks find the starter as its first commit.
            lab.export(name, tree)
        return tree

    def texts(self, tree, name):
        out = {}
        for rel in ("labs/%s/README.md" % name, "labs/%s/answers.md" % name):
            path = os.path.join(tree, rel)
            if os.path.exists(path):
                with open(path) as f:
                    out[rel] = f.read()
        return out

    def test_functions_exist(self):
        for name in lab.read_labs():
            with self.subTest(lab=name):
                tree = self.export(name)
                have = defined_names(tree)
                rel = "labs/%s/README.md" % name
                missing = sorted({f for f in FUNC_REF.findall(self.texts(tree, name)[rel])
                                  if f not in have})
                self.assertEqual(missing, [], "%s names functions that lab %s's "
                                 "student tree does not define" % (rel, name))

    def test_files_exist(self):
        for name in lab.read_labs():
            with self.subTest(lab=name):
                tree = self.export(name)
                basenames = {os.path.basename(p) for p, _ in lab.walk_files(tree)}
                missing = []
                for rel, text in self.texts(tree, name).items():
                    here = os.path.dirname(os.path.join(tree, rel))
                    for target in LINK.findall(text):
                        if re.match(r"[a-z]+:|#", target):
                            continue        # a URL or an anchor
                        path = target.split("#", 1)[0]
                        if not os.path.exists(os.path.join(here, path)):
                            missing.append("%s: link %s" % (rel, target))
                    for path in set(PATH_REF.findall(text)):
                        if path.startswith(MADE_PATHS) or path in MADE_FILES:
                            continue
                        if "/" not in path:     # a bare name: anywhere
                            found = path in basenames
                        else:
                            found = any(os.path.exists(os.path.join(d, path))
                                        for d in (tree, here))
                        if not found:
                            missing.append("%s: `%s`" % (rel, path))
                self.assertEqual(missing, [], "files named that lab %s's student "
                                 "tree does not have" % name)

    def test_no_staff_only_wording(self):
        """A student's handout speaks of their tree: what only the course's
        tree has (the solution in it, its variants) is no instruction."""
        for name in lab.read_labs():
            with self.subTest(lab=name):
                tree = self.export(name)
                bad = []
                for rel, text in self.texts(tree, name).items():
                    if rel.endswith("answers.md"):
                        continue        # the blanked questions only
                    flat = " ".join(text.split())
                    for rx in STAFF_WORDING:
                        bad += ["%s: %r" % (rel, m.group(0))
                                for m in re.finditer(rx, flat)]
                self.assertEqual(bad, [], "wording that points a student at "
                                 "the course's own tree")

    def test_measure_commands_run(self):
        for name in lab.read_labs():
            with self.subTest(lab=name):
                tree = self.export(name)
                rel = "labs/%s/README.md" % name
                bad = []
                for cmd in measure_commands(self.texts(tree, name)[rel]):
                    why = run_command(tree, cmd)
                    if why:
                        bad.append("`%s`: %s" % (cmd, why))
                self.assertEqual(bad, [], "%s, Measure it: commands that do not "
                                 "work in its student tree" % rel)


if __name__ == "__main__":
    run_tests(HandoutTest, HandoutRefsTest)
