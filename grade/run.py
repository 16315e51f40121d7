#!/usr/bin/env python3
"""`make grade`: run the graders that apply to this tree.

In a student tree exported for one lab (a file `.lab` holds the lab's
name) that is grade/grade-lab-<lab>.py; in the complete tree it is every
grade/grade-*.py, base first. Each grader builds the tree and prints its
own report; with several, a total follows, and the last line is always
`N passed, N failed` over all of them. Exit status 1 if a test failed,
2 on a usage error, 130 when interrupted.

    run.py [-j N] [T=name ...] [--results f.json] [--junit f.xml]
           [--kernel-dir DIR]

T=name (or --only name) runs the matching tests of every grader that has
one. -j defaults to make's own -j when `make -jN grade` runs us. The
results files merge every grader's (test names get the grader's name in
front when there are several). Python 3 standard library only.
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradebuild import make_jobs  # noqa: E402

GRADE_DIR = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.dirname(GRADE_DIR)


def graders_for(tree):
    """The grader scripts for tree, or raise ValueError."""
    lab_file = os.path.join(tree, ".lab")
    if os.path.exists(lab_file):
        with open(lab_file) as f:
            lab = f.read().strip()
        path = os.path.join(GRADE_DIR, "grade-lab-%s.py" % lab)
        if not os.path.exists(path):
            raise ValueError(".lab names lab %r, but %s does not exist"
                             % (lab, os.path.relpath(path)))
        return [path]
    paths = sorted(glob.glob(os.path.join(GRADE_DIR, "grade-*.py")))
    base = [p for p in paths if os.path.basename(p) == "grade-base.py"]
    return base + [p for p in paths if p not in base]


def has_tests(grader, patterns):
    """Does grader have tests matching the patterns (all, if none)?"""
    cmd = [sys.executable, grader, "--list"] + ["--only=" + p
                                                for p in patterns]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode == 0


def merge_json(parts, path, prefix):
    """Write one Gradescope results file from the graders' files."""
    doc = {"score": 0, "execution_time": 0.0, "output": "", "tests": [],
           "visibility": "visible", "stdout_visibility": "visible"}
    for name, part in parts:
        try:
            with open(part) as f:
                d = json.load(f)
        except (OSError, ValueError):
            continue
        doc["score"] += d.get("score", 0)
        doc["execution_time"] = round(doc["execution_time"]
                                      + d.get("execution_time", 0), 1)
        doc["output"] += d.get("output", "") + "\n"
        for t in d.get("tests", []):
            if prefix:
                t["name"] = "%s/%s" % (name, t["name"])
            doc["tests"].append(t)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def merge_junit(parts, path):
    """Write one JUnit file holding every grader's testsuite."""
    root = ET.Element("testsuites")
    for _, part in parts:
        try:
            for suite in ET.parse(part).getroot().iter("testsuite"):
                root.append(suite)
        except (OSError, ET.ParseError):
            continue
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", metavar="T=NAME")
    ap.add_argument("--only", action="append", default=[], metavar="NAME")
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--results", metavar="FILE")
    ap.add_argument("--junit", metavar="FILE")
    ap.add_argument("--kernel-dir", metavar="DIR", default=TREE)
    args = ap.parse_args()
    patterns = [n[2:] if n.startswith("T=") else n for n in args.names]
    patterns = [p for p in patterns + args.only if p]
    jobs = args.jobs or make_jobs() or 1
    tree = os.path.abspath(args.kernel_dir)
    try:
        graders = graders_for(tree)
    except ValueError as e:
        print("grade: %s" % e, file=sys.stderr)
        return 2
    if patterns:
        graders = [g for g in graders if has_tests(g, patterns)]
        if not graders:
            print("grade: no test matches %s (list them with: python3 "
                  "grade/grade-base.py --list)" % " ".join(patterns),
                  file=sys.stderr)
            return 2
    if not graders:
        print("grade: no graders in %s" % GRADE_DIR, file=sys.stderr)
        return 2
    return run(graders, patterns, jobs, tree, args)


def run(graders, patterns, jobs, tree, args):
    """Run the graders one after another and add up their results."""
    passed = failed = score = total = 0
    status = 0
    json_parts, xml_parts = [], []
    with tempfile.TemporaryDirectory(prefix="grade-run-") as tmp:
        for g in graders:
            name = os.path.basename(g)[len("grade-"):-len(".py")]
            res = os.path.join(tmp, name + ".json")
            cmd = [sys.executable, g, "-j", str(jobs), "--kernel-dir", tree,
                   "--results", res] + ["--only=" + p for p in patterns]
            if args.junit:
                xml_parts.append((name, os.path.join(tmp, name + ".xml")))
                cmd += ["--junit", xml_parts[-1][1]]
            try:
                rc = subprocess.call(cmd)
            except KeyboardInterrupt:
                return 130     # the grader got the SIGINT too, and cleans up
            if rc == 130:
                return 130
            status = max(status, 1 if rc else 0)
            json_parts.append((name, res))
            try:
                with open(res) as f:
                    d = json.load(f)
            except (OSError, ValueError):
                failed += 1    # the grader died before writing results
                status = 1
                continue
            score += d.get("score", 0)
            for t in d.get("tests", []):
                total += t["max_score"]
                if t["status"] == "passed":
                    passed += 1
                else:
                    failed += 1
        if args.results:
            merge_json(json_parts, args.results, len(graders) > 1)
        if args.junit:
            merge_junit(xml_parts, args.junit)
    if len(graders) > 1:
        print("== all graders: Score: %d/%d ==" % (score, total))
        print("%d passed, %d failed" % (passed, failed), flush=True)
    return status or (1 if failed else 0)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
