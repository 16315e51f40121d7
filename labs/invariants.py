#!/usr/bin/env python3
"""The honesty invariants of the labs, checked for every lab of labs.txt.

For each lab L:
  L/complete-full-marks   the complete kernel (this tree, every lab solved)
                          scores full marks on grade/grade-lab-L.py
  L/starter-builds        L's student tree, build/lab-L (tools/lab.py build),
                          builds without a warning
  L/starter-boots         ... boots to the shell prompt
  L/starter-grade-base    ... scores full marks on grade/grade-base.py
  L/starter-grade-K       ... scores full marks on the grader of every
                          earlier lab K (their solutions are in the tree)
  L/starter-fails-core    ... fails every test of grade-lab-L.py tagged
                          "core" (there must be one; only those run)
  L/export-grade          `make export` of L, then `make grade` in the
                          exported tree runs and scores < full
  L/identifying-lines     no line that only L's solution has appears in the
                          exported tree of L or of an earlier lab
                          (tools/lab.py leaks; fails if there are no such
                          lines, since the check would then prove nothing)
  L/export-clean          the export has no SOL_ markers, no starter
                          overlays or solution-files lists, no later lab's
                          handout, grader or solution-files, no lab
                          machinery; it has L's handout, .lab, a trimmed
                          labs.txt and one git commit by Course Staff

Every check prints `L/check: OK` or `L/check: FAIL why`; the last line is
`N passed, N failed`, and the exit status is 1 if anything failed.

Usage: python3 labs/invariants.py [-j N] [--lab L ...] [--keep] [--skip-complete]
  -j 2 runs each grader with -j 2 and N+1 graders at once, the checks
  of a starter tree side by side once it is built (the project machines
  have two cores; make check bounds the boots of all with
  GRADE_QEMU_SLOTS). --keep leaves the exports in /tmp.
  --skip-complete leaves out L/complete-full-marks, for `make check`, which
  runs every grader on this tree already.

Graders run as `python3 grade/grade-X.py --kernel-dir TREE --results
FILE.json` and write Gradescope JSON: {"tests": [{"name", "score",
"max_score", "output", "tags"}]}. Timeouts scale with GRADE_TIMEOUT_SCALE.
Python 3 standard library only.
"""

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "grade"))      # qemu.py lives there
import lab as labtool  # noqa: E402
from qemu import PROMPT, Qemu, QemuError, scaled, tail  # noqa: E402
from qemu import SLOTS_ENV, make_slots  # noqa: E402
from gradebuild import make_env  # noqa: E402

BUILD_TIMEOUT = 600
GRADER_TIMEOUT = 1200
BOOT_TIMEOUT = 60
OUTPUT_LINES = 15
# Grader runs at once (main() sets it from -j): each runs its boots -j2,
# and GRADE_QEMU_SLOTS, when make check sets it, bounds the boots of all.
GRADERS_AT_ONCE = threading.BoundedSemaphore(1)


class Report:
    """Counts results and prints each one whole, even from two threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.passed = self.failed = 0
        self.times = []

    def took(self, name, secs):
        with self.lock:
            self.times.append((secs, name))
            print("(%s: %.0fs)" % (name, secs), flush=True)

    def result(self, name, why=None, detail=""):
        with self.lock:
            if why is None:
                self.passed += 1
                print("%s: OK" % name, flush=True)
            else:
                self.failed += 1
                print("%s: FAIL %s" % (name, why), flush=True)
                if detail.strip():
                    print(tail(detail, OUTPUT_LINES), flush=True)


def run(cmd, cwd, timeout):
    """(exit status, stdout+stderr); status None on a timeout."""
    try:
        r = subprocess.run(cmd, cwd=cwd, env=make_env(), timeout=scaled(timeout),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if e.stdout else ""
        return None, out


def build(tree):
    """None if `make` in tree builds without a warning, else (why, output)."""
    rc, out = run(["make", "-j2"], tree, BUILD_TIMEOUT)
    if rc is None:
        return "make timed out", out
    if rc != 0:
        return "make exited %d" % rc, out
    warn = [l for l in out.split("\n") if re.search(r"warning:", l, re.I)]
    if warn:
        return "%d warnings" % len(warn), "\n".join(warn)
    return None


class Grade:
    """One grader run: tests, total, and what went wrong running it."""

    def __init__(self, tree, grader, tmp, args=()):
        self.name = grader
        self.tests, self.error, self.output = [], None, ""
        path = os.path.join(tree, "grade", grader + ".py")
        if not os.path.exists(path):
            self.error = "no grade/%s.py" % grader
            return
        res = os.path.join(tmp, "%s-%s-%d.json" % (os.path.basename(tree),
                                                  grader, threading.get_ident()))
        with GRADERS_AT_ONCE:
            rc, self.output = run([sys.executable, path, "--kernel-dir", tree,
                                   "--results", res] + list(args), tree,
                                  GRADER_TIMEOUT)
        if rc is None:
            self.error = "grade/%s.py timed out" % grader
            return
        try:
            with open(res) as f:
                self.tests = json.load(f)["tests"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            self.error = "grade/%s.py (exit %s) wrote no results: %s" % (grader, rc, e)
            return
        if not self.tests:
            self.error = "grade/%s.py ran no test" % grader

    def score(self):
        return (sum(float(t.get("score", 0)) for t in self.tests),
                sum(float(t.get("max_score", 0)) for t in self.tests))

    def failed(self, tests=None):
        return [t for t in (self.tests if tests is None else tests)
                if float(t.get("score", 0)) < float(t.get("max_score", 0))]

    def full_marks(self):
        """None if every test got its points, else why not."""
        if self.error:
            return self.error
        bad = self.failed()
        if bad:
            return "%s: %g/%g, failed: %s" % ((self.name,) + self.score() + (
                ", ".join(t.get("name", "?") for t in bad),))
        return None


class Checker:
    """Runs the checks of the labs in `only`, `jobs` trees at a time."""

    def __init__(self, labs, only, jobs, keep):
        self.labs, self.only, self.jobs, self.keep = labs, only, jobs, keep
        self.report = Report()
        self.tmp = tempfile.mkdtemp(prefix="lab-invariants-")
        self.exports = {}
        self.skip_complete = False

    def check(self, name, func):
        """Run one check; func returns None (OK), why, or (why, detail)."""
        t0 = time.monotonic()
        try:
            why = func()
        except Exception as e:             # a crash is that check's failure
            why = "%s: %s" % (type(e).__name__, e)
        self.report.took(name, time.monotonic() - t0)
        if isinstance(why, tuple):
            self.report.result(name, why[0], why[1])
        else:
            self.report.result(name, why)

    # ---- the complete kernel ----

    def complete(self):
        failed = build(ROOT)
        for lab in self.only:
            if failed:
                self.report.result(lab + "/complete-full-marks",
                                   "the complete kernel does not build: " + failed[0],
                                   failed[1])
                continue
            self.check(lab + "/complete-full-marks",
                       lambda: self.graded_full(ROOT, "grade-lab-" + lab))

    def grade_args(self, tree):
        """Grader options: -j, and --no-build (tree was built before)."""
        return ["-j", str(self.jobs), "--no-build"]

    def graded_full(self, tree, grader):
        g = Grade(tree, grader, self.tmp, self.grade_args(tree))
        why = g.full_marks()
        return (why, g.output) if why else None

    # ---- the starter variant, build/lab-<lab> ----

    def starter(self, lab):
        n = self.labs.index(lab)
        names = ["starter-builds", "starter-boots", "starter-grade-base"]
        names += ["starter-grade-" + k for k in self.labs[:n]] + ["starter-fails-core"]
        t0 = time.monotonic()
        try:
            with lab_lock(lab):
                tree = labtool.build_tree(lab, quiet=True)
                failed = build(tree)
        except labtool.LabError as e:
            failed = ("tools/lab.py build: %s" % e, "")
        self.report.took(lab + "/starter-builds", time.monotonic() - t0)
        if failed:
            self.report.result(lab + "/starter-builds", failed[0], failed[1])
            for name in names[1:]:
                self.report.result(lab + "/" + name, "not run: the starter does not build")
            return
        self.report.result(lab + "/starter-builds")
        # The tree is built: the checks below only boot it, side by side
        # (GRADERS_AT_ONCE graders at a time).
        checks = [("starter-boots", lambda: boots(tree)),
                  ("starter-grade-base",
                   lambda: self.graded_full(tree, "grade-base"))]
        checks += [("starter-grade-" + k,
                    lambda k=k: self.graded_full(tree, "grade-lab-" + k))
                   for k in self.labs[:n]]
        checks += [("starter-fails-core", lambda: self.fails_core(tree, lab))]
        with ThreadPoolExecutor(max_workers=len(checks)) as pool:
            for f in [pool.submit(self.check, lab + "/" + name, fn)
                      for name, fn in checks]:
                f.result()

    def fails_core(self, tree, lab):
        """The core tests only (--only each: the starter must fail them,
        which is a score below full); export-grade runs every test."""
        names = core_tests(tree, "grade-lab-" + lab)
        if not names:
            return "grade-lab-%s.py tags no test \"core\"" % lab
        g = Grade(tree, "grade-lab-" + lab, self.tmp, self.grade_args(tree)
                  + ["--only=" + n for n in names])
        if g.error:
            return g.error, g.output
        core = [t for t in g.tests if "core" in (t.get("tags") or [])]
        if not core:
            return "grade-lab-%s.py tags no test \"core\"" % lab
        passed = [t.get("name", "?") for t in core if t not in g.failed(core)]
        if passed:
            return "the starter passes core tests: " + ", ".join(passed)
        got, full = g.score()
        if got >= full:
            return "the starter scores full marks (%g/%g)" % (got, full)
        return None

    # ---- the exported tree ----

    def export(self, lab):
        """`make export` of lab into the temp folder; its path, or None."""
        dest = os.path.join(self.tmp, "export-" + lab)
        t0 = time.monotonic()
        rc, out = run(["make", "--no-print-directory", "export", "LAB=" + lab,
                       "DEST=" + dest], ROOT, BUILD_TIMEOUT)
        self.report.took(lab + "/export", time.monotonic() - t0)
        if rc != 0:
            self.report.result(lab + "/export", "make export failed", out)
            return None
        self.exports[lab] = dest
        return dest

    def exported(self, lab):
        dest = self.exports.get(lab)
        names = ["export-clean", "identifying-lines", "export-grade"]
        if dest is None:
            for name in names:
                self.report.result(lab + "/" + name, "not run: no export")
            return
        self.check(lab + "/export-clean", lambda: export_clean(self.labs, lab, dest))
        self.check(lab + "/identifying-lines", lambda: self.leaks(lab))
        self.check(lab + "/export-grade", lambda: export_grade(dest, self.jobs))

    def leaks(self, lab):
        trees = {k: self.exports.get(k) for k in self.labs[:self.labs.index(lab) + 1]}
        missing = [k for k, t in trees.items() if t is None]
        if missing:
            return "no export of " + ", ".join(missing)
        count, leaks = labtool.find_leaks(lab, trees)
        if leaks:
            return ("%d of %d identifying lines leaked" % (len(leaks), count),
                    "\n".join(leaks))
        return None

    # ---- driver ----

    def guarded(self, task):
        """Run one task; a crash is reported as a failed check, not lost."""
        try:
            task()
        except Exception as e:
            self.report.result("invariants", "crashed: %s: %s" % (type(e).__name__, e))

    def run(self):
        for lab in self.labs:
            self.export(lab)          # every lab: leak checks look at earlier ones
        tasks = [] if self.skip_complete else [self.complete]
        for lab in self.only:
            tasks += [lambda lab=lab: self.starter(lab),
                      lambda lab=lab: self.exported(lab)]
        with ThreadPoolExecutor(max_workers=2 * self.jobs) as pool:
            for f in [pool.submit(self.guarded, t) for t in tasks]:
                f.result()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("exports kept in " + self.tmp)


def core_tests(tree, grader):
    """The names of grader's tests tagged core, from its --list."""
    rc, out = run([sys.executable, os.path.join(tree, "grade", grader + ".py"),
                   "--list"], tree, BOOT_TIMEOUT)
    return [ln.split()[0] for ln in out.split("\n")
            if rc == 0 and ln.split()[-1:] == ["core"]]


@contextlib.contextmanager
def lab_lock(lab):
    """Hold build/.lab-LAB.lock, which `make LAB=LAB` also takes (flock),
    so that two makes never build build/lab-LAB at once."""
    top = os.path.join(ROOT, "build")
    os.makedirs(top, exist_ok=True)
    fd = os.open(os.path.join(top, ".lab-%s.lock" % lab),
                 os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def boots(tree):
    """None if tree's kernel boots to the shell prompt."""
    try:
        with Qemu(kernel=os.path.join(tree, "kernel", "kernel"),
                  fsimg=os.path.join(tree, "fs.img")) as q:
            q.expect(PROMPT, timeout=BOOT_TIMEOUT)
    except QemuError as e:
        return "no shell prompt", str(e)
    return None


def export_grade(tree, jobs=1):
    """None if `make grade` runs in tree and reports less than full marks.

    The score is the last `Score: N/M` line (gradelib's), else the last N/M.
    """
    with GRADERS_AT_ONCE:
        rc, out = run(["make", "grade", "GRADEFLAGS=-j%d" % jobs], tree,
                      BUILD_TIMEOUT + GRADER_TIMEOUT)
    if rc is None:
        return "make grade timed out", out
    scores = (re.findall(r"(?m)^Score: (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", out) or
              re.findall(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)", out))
    if not scores:
        return "make grade (exit %d) printed no score N/M" % rc, out
    got, full = (float(x) for x in scores[-1])
    if full <= 0 or got >= full:
        return "the untouched starter scores %g/%g" % (got, full), out
    return None


def export_clean(labs, lab, tree):
    """None if the exported tree of lab holds exactly what a student gets."""
    n = labs.index(lab)
    bad = ["SOL_ marker: " + h for h in labtool.marker_hits(labs, tree)]
    for k in labs[:n + 1]:
        for p in ("starter", "solution-files"):
            if os.path.lexists(os.path.join(tree, "labs", k, p)):
                bad.append("labs/%s/%s is there" % (k, p))
    for k in labs[n + 1:]:
        for p in ("labs/" + k, "grade/grade-lab-%s.py" % k):
            if os.path.lexists(os.path.join(tree, p)):
                bad.append("later lab's %s is there" % p)
    for p in labtool.MACHINERY:
        if os.path.lexists(os.path.join(tree, p)):
            bad.append("lab machinery %s is there" % p)
    # A solution-file of an unsolved lab M may only be there as the starter
    # of a lab from this one up to M (the overlays applied after M's deletions).
    for i in range(n, len(labs)):
        for p in labtool.solution_files(labtool.ROOT, labs[i]):
            given = any(p in labtool.starter_files(labtool.ROOT, labs[j])
                        for j in range(n, i + 1))
            if os.path.lexists(os.path.join(tree, p)) and not given:
                bad.append("%s (solution-files of %s) is there" % (p, labs[i]))
    if not os.path.exists(os.path.join(tree, "labs", lab, "README.md")):
        bad.append("no handout labs/%s/README.md" % lab)
    if read(tree, ".lab").strip() != lab:
        bad.append(".lab does not say %s" % lab)
    listed = [l.strip() for l in read(tree, "labs/labs.txt").split("\n")
              if l.strip() and not l.startswith("#")]
    if listed != labs[:n + 1]:
        bad.append("labs/labs.txt lists %s" % listed)
    if "labs/%s/README.md" % lab not in read(tree, "README.md")[:400]:
        bad.append("README.md does not open with a pointer to the handout")
    bad += git_problems(tree)
    return ("%d problems" % len(bad), "\n".join(bad)) if bad else None


def read(tree, path):
    try:
        with open(os.path.join(tree, path)) as f:
            return f.read()
    except OSError:
        return ""


def git_problems(tree):
    def git(*args):
        return subprocess.run(["git", "-C", tree] + list(args), capture_output=True,
                              text=True).stdout.strip()
    bad = []
    log = git("log", "--format=%an <%ae>").split("\n")
    if log != ["Course Staff <staff@localhost>"]:
        bad.append("git log: want one commit by Course Staff, got %r" % log)
    if git("status", "--porcelain"):
        bad.append("git status: the tree differs from its commit")
    return bad


def main():
    ap = argparse.ArgumentParser(description="Check the lab invariants.")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="trees checked at once (default 1)")
    ap.add_argument("--lab", action="append", default=[],
                    help="check only this lab (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the exports")
    ap.add_argument("--skip-complete", action="store_true",
                    help="leave out L/complete-full-marks (for a caller that "
                    "already ran every grader on this tree)")
    args = ap.parse_args()
    try:
        labs = labtool.read_labs()
    except labtool.LabError as e:
        print("labs/labs.txt: FAIL %s" % e)
        print("0 passed, 1 failed")
        return 1
    only = args.lab or labs
    unknown = [l for l in only if l not in labs]
    if unknown:
        ap.error("no such lab: " + " ".join(unknown))
    t0 = time.monotonic()
    global GRADERS_AT_ONCE
    GRADERS_AT_ONCE = threading.BoundedSemaphore(max(1, args.jobs) + 1)
    slots = None
    if not os.environ.get(SLOTS_ENV):      # alone: -j boots at once
        slots = tempfile.mkdtemp(prefix="lab-invariants-slots-")
        os.environ.update(make_slots(slots, max(1, args.jobs)))
    checker = Checker(labs, only, max(1, args.jobs), args.keep)
    checker.skip_complete = args.skip_complete
    try:
        checker.run()
    finally:
        if slots:
            shutil.rmtree(slots, ignore_errors=True)
    r = checker.report
    for secs, name in sorted(r.times, reverse=True):
        print("%7.1fs  %s" % (secs, name))
    print("lab invariants took %.0fs" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
