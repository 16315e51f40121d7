#!/usr/bin/env python3
"""`make check`: every test of the project, one combined verdict.

Steps, in order (each prints its own lines as it goes):
  build        `make`, which compiles with -Wall -Werror; any "warning:"
               in its output fails too. One check.
  host tests   `make host-tests` (tests/host); its test counts.
  graders      every grade/grade-*.py on this tree; their test counts.
  self-checks  every grader scores less than full marks on a kernel that
               is broken on purpose (SELF_CHECKS below), and the tests
               listed there are among its failures. One check each.
  lab tools    tests/lab/test_lab.py: the export machinery on a made-up course.
  gdb tests    tests/gdb/test_gdb.py: the gdb commands against QEMU (and in
               the lab starter trees); its counts.
  memviz tests tests/memviz/test_memviz.py: memwatch and the SVG pictures.
  handouts     tests/lab/test_handouts.py: each handout's test table matches
               its grader (names, points, core); answers files work.
  invariants   `python3 labs/invariants.py --skip-complete`, when that file
               exists; its counts.
The last line is `N passed, N failed` over all of them; the exit status is
non-zero if anything failed. A step that dies without its summary line
counts as one failure.

    tools/check.py [-j N] [--no-self-checks]

-j N: boots each grader runs at once (default: make's -j, else 2 when the
machine has 2 CPUs or more). Timeouts scale with GRADE_TIMEOUT_SCALE.
Python 3 standard library only.
"""

import argparse
import fnmatch
import glob
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from gradelib import BuildError, build_variant, make  # noqa: E402
from gradelib import make_env, make_jobs, tail  # noqa: E402


class SelfCheck:
    """A grader that must fail on a broken kernel.

    variant: the directory under build/ the broken tree is built in;
    make_args: how it is built (BUG=..., or a lab's starter);
    must_fail: test names (globs) that must be among the grader's failures.
    must_say: regular expressions the grader's printed output must match,
    so that a student reading it is led to the broken function or rule.
    prepare(root) may replace the default build and return the tree to grade.
    """

    def __init__(self, grader, variant, make_args, must_fail, prepare=None,
                 must_say=()):
        self.grader, self.variant = grader, variant
        self.make_args, self.must_fail = list(make_args), list(must_fail)
        self.prepare, self.must_say = prepare, list(must_say)
        self.name = "%s/%s" % (variant, grader[len("grade-"):-len(".py")])


# Each grader registers here the broken kernels it must catch.
SELF_CHECKS = [
    SelfCheck("grade-base.py", "bug-sbrk", ["BUG=sbrk"],
              ["usertests-*"]),
    SelfCheck("grade-base.py", "bug-kfree-leak", ["BUG=kfree-leak"],
              ["usertests-*", "free-*"]),
    SelfCheck("grade-lab-frames.py", "bug-kfree-leak", ["BUG=kfree-leak"],
              ["usertests", "concurrent-forks"]),
    SelfCheck("grade-lab-buddy.py", "bug-kfree-leak", ["BUG=kfree-leak"],
              ["usertests-free"]),
    # Bugs students write (kernel/inject.h): the failure must name them.
    SelfCheck("grade-lab-buddy.py", "bug-no-merge", ["BUG=no-merge"],
              ["selftest-buddy-orders"], must_say=[r"not merged"]),
    SelfCheck("grade-lab-buddy.py", "bug-merge-any-order",
              ["BUG=merge-any-order"], ["selftest-buddy-mixed"],
              must_say=[r"whole free block of (the same|its) order"]),
    SelfCheck("grade-lab-buddy.py", "bug-upper-head", ["BUG=upper-head"],
              ["selftest-buddy-orders"],
              must_say=[r"not aligned.*lower buddy"]),
    SelfCheck("grade-lab-buddy.py", "bug-split-largest",
              ["BUG=split-largest"], ["buddyinfo"],
              must_say=[r"smallest free block that fits"]),
    SelfCheck("grade-lab-frames.py", "bug-free-counter",
              ["BUG=free-counter"], ["selftest-alloc-free", "memory-report"],
              must_say=[r"counter of free says -?\d+ frames", r"free_pages"]),
    SelfCheck("grade-lab-lazy.py", "bug-sbrk", ["BUG=sbrk"],
              ["sbrk-sparse", "sbrk-shrink"],
              must_say=[r"killed \(not mapped\)"]),
    SelfCheck("grade-lab-cow.py", "bug-kfree-leak", ["BUG=kfree-leak"],
              ["usertests-free"]),
]

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


class Tally:
    def __init__(self):
        self.passed = self.failed = 0
        self.problems = []
        self.times = []            # (seconds, step), for the closing table

    def took(self, step, secs):
        self.times.append((secs, step))

    def add(self, step, passed, failed):
        self.passed += passed
        self.failed += failed
        if failed:
            self.problems.append("%s: %d failed" % (step, failed))


def stream(cmd, env=None):
    """Run cmd with its output shown as it comes; (status, output)."""
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env,
                         stdin=subprocess.DEVNULL)
    lines = []
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            sys.stdout.write(line)
            sys.stdout.flush()
    finally:
        p.stdout.close()
        rc = p.wait()
    return rc, "".join(lines)


def summary(output):
    """(passed, failed) from the last `N passed, N failed` line, or None."""
    found = None
    for line in output.split("\n"):
        m = SUMMARY.match(line.strip())
        if m:
            found = (int(m.group(1)), int(m.group(2)))
    return found


def counted_step(tally, step, cmd):
    """Run a step that prints `N passed, N failed`; add its counts."""
    print("==== %s ====" % step, flush=True)
    t0 = time.monotonic()
    rc, out = stream(cmd, env=make_env())
    tally.took(step, time.monotonic() - t0)
    print("(%s: %.0fs)" % (step, time.monotonic() - t0), flush=True)
    counts = summary(out)
    if counts is None:
        print("%s: FAIL: no 'N passed, N failed' line (status %d)"
              % (step, rc), flush=True)
        tally.add(step, 0, 1)
        return
    passed, failed = counts
    if rc != 0 and failed == 0:
        print("%s: FAIL: exit status %d although nothing failed"
              % (step, rc), flush=True)
        failed = 1
    tally.add(step, passed, failed)


def build_step(tally):
    print("==== build ====", flush=True)
    t0 = time.monotonic()
    try:
        out = make(ROOT)
        tally.took("build", time.monotonic() - t0)
    except BuildError as e:
        print("build: FAIL\n%s" % e, flush=True)
        tally.add("build", 0, 1)
        return False
    warnings = [ln for ln in out.split("\n") if "warning:" in ln]
    if warnings:
        print("build: FAIL: warnings:\n" + tail("\n".join(warnings[:20])),
              flush=True)
        tally.add("build", 0, 1)
        return True
    print("build: OK (%.1fs)" % (time.monotonic() - t0), flush=True)
    tally.add("build", 1, 0)
    return True


def self_check(tally, chk, jobs):
    """Build chk's broken kernel, grade it, and judge the grader."""
    t0 = time.monotonic()
    name = "self-check " + chk.name
    try:
        tree = chk.prepare(ROOT) if chk.prepare else \
            build_variant(chk.variant, chk.make_args, src=ROOT)
    except BuildError as e:
        print("%s: FAIL: cannot build the broken kernel (%s):\n%s"
              % (name, " ".join(chk.make_args), e), flush=True)
        tally.add(name, 0, 1)
        return
    res = os.path.join(tree, "grade-%s.json" % chk.grader[6:-3])
    out_path = os.path.join(tree, "grade-%s.out" % chk.grader[6:-3])
    if os.path.exists(res):
        os.remove(res)
    cmd = [sys.executable, os.path.join(ROOT, "grade", chk.grader),
           "-j", str(jobs), "--kernel-dir", tree, "--results", res]
    with open(out_path, "wb") as f:
        rc = subprocess.call(cmd, cwd=ROOT, stdout=f,
                             stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    secs = time.monotonic() - t0
    tally.took(name, secs)
    try:
        with open(res) as f:
            d = json.load(f)
    except (OSError, ValueError):
        print("%s: FAIL (%.1fs): the grader wrote no results (status %d); "
              "see %s" % (name, secs, rc, os.path.relpath(out_path)),
              flush=True)
        tally.add(name, 0, 1)
        return
    tests = d.get("tests", [])
    full = sum(t["max_score"] for t in tests)
    failed = [t["name"] for t in tests if t["status"] != "passed"]
    missed = [pat for pat in chk.must_fail
              if not any(fnmatch.fnmatch(n, pat) for n in failed)]
    try:
        with open(out_path, errors="replace") as f:
            printed = f.read()
    except OSError:
        printed = ""
    missed += ["the words /%s/" % rx for rx in chk.must_say
               if not re.search(rx, printed)]
    what = "scored %s/%d; failed: %s" % (d.get("score"), full,
                                          ", ".join(failed) or "nothing")
    if d.get("score", full) < full and not missed and rc != 0:
        print("%s: OK (%.1fs) %s" % (name, secs, what), flush=True)
        tally.add(name, 1, 0)
        return
    why = []
    if d.get("score", full) >= full:
        why.append("full marks on a broken kernel")
    if missed:
        why.append("expected failures of %s" % ", ".join(missed))
    if rc == 0:
        why.append("exit status 0")
    print("%s: FAIL (%.1fs) %s; %s; output in %s"
          % (name, secs, "; ".join(why), what, os.path.relpath(out_path)),
          flush=True)
    tally.add(name, 0, 1)


def print_times(tally, total):
    """The steps, slowest first, with their share of the whole run."""
    print("==== time per step (wall; steps may overlap) ====", flush=True)
    for secs, step in sorted(tally.times, reverse=True):
        print("%7.1fs %5.1f%%  %s" % (secs, 100 * secs / max(total, 1e-9),
                                      step), flush=True)
    print("%7.1fs        total" % total, flush=True)


def default_jobs():
    return make_jobs() or (2 if (os.cpu_count() or 1) >= 2 else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--no-self-checks", action="store_true",
                    help="skip grading the broken kernels")
    args = ap.parse_args()
    jobs = args.jobs or default_jobs()
    t_start = time.monotonic()
    tally = Tally()
    if build_step(tally):
        counted_step(tally, "host tests",
                     ["make", "--no-print-directory", "host-tests"])
        counted_step(tally, "lab tool tests",
                     [sys.executable, os.path.join(ROOT, "tests", "lab",
                                                   "test_lab.py")])
        counted_step(tally, "gdb tests",
                     [sys.executable, os.path.join(ROOT, "tests", "gdb",
                                                   "test_gdb.py")])
        counted_step(tally, "memviz tests",
                     [sys.executable, os.path.join(ROOT, "tests", "memviz",
                                                   "test_memviz.py")])
        handouts = os.path.join(ROOT, "tests", "lab", "test_handouts.py")
        if os.path.exists(handouts):        # not in a student tree
            counted_step(tally, "handouts vs graders",
                         [sys.executable, handouts])
        graders = sorted(glob.glob(os.path.join(ROOT, "grade",
                                                "grade-*.py")))
        for g in graders:
            counted_step(tally, os.path.basename(g),
                         [sys.executable, g, "-j", str(jobs)])
        if not args.no_self_checks:
            print("==== self-checks: graders fail broken kernels ====",
                  flush=True)
            for chk in SELF_CHECKS:
                self_check(tally, chk, jobs)
        inv = os.path.join(ROOT, "labs", "invariants.py")
        if os.path.exists(inv):
            # The graders step above already graded the complete tree.
            counted_step(tally, "lab invariants",
                         [sys.executable, inv, "--skip-complete",
                          "-j", str(jobs)])
    print_times(tally, time.monotonic() - t_start)
    mins, secs = divmod(int(time.monotonic() - t_start), 60)
    print("==== check: %dm%02ds%s ====" % (
        mins, secs, "; " + "; ".join(tally.problems)
        if tally.problems else ""), flush=True)
    print("%d passed, %d failed" % (tally.passed, tally.failed), flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        sys.exit(130)
