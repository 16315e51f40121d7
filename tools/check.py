#!/usr/bin/env python3
"""`make check`: every test of the project, one combined verdict.

Steps (each prints its own lines, shown whole as it ends):
  build        `make`, which compiles with -Wall -Werror; any "warning:"
               in its output fails too. One check. It runs first, alone.
  host tests   `make host-tests` (tests/host); its test counts.
  lab tools    tests/lab/test_lab.py: the export machinery on a made-up course.
  qemu driver  tests/grade/test_qemu.py: grade/qemu.py against a stub emulator
               (a panic line stops a wait at once).
  gdb tests    tests/gdb/test_gdb.py: the gdb commands against QEMU (and in
               the lab starter trees); its counts.
  memviz tests tests/memviz/test_memviz.py: memwatch and the SVG pictures.
  lock order   tests/lockdep/test_lockorder.py: every lock order the kernel
               takes under load is allowed by kernel/lockorder.h.
  replacement  tests/replace/test_sim.py: the page-replacement simulator
               (tools/replace) on hand-worked strings, OPT as a bound.
  handouts     tests/lab/test_handouts.py: each handout's test table matches
               its grader (names, points, core); answers files work; what
               a handout names (functions, files, "Measure it" commands)
               exists in its lab's student tree.
  graders      every grade/grade-*.py on this tree; their test counts.
  self-checks  every grader scores less than full marks on a kernel that
               is broken on purpose (SELF_CHECKS below), and the tests
               listed there are among its failures. One check each; each
               broken kernel is built once for all its graders.
  invariants   `python3 labs/invariants.py --skip-complete`, when that file
               exists; its counts.
  lab tasks    tests/lab/test_tasks.py: the student trees after each task
               of frames, buddy, lazy and cow score what their handouts
               say (swap: not yet, its task 4 is being reworked).
The last line is `N passed, N failed` over all of them; the exit status is
non-zero if anything failed. A step that dies without its summary line
counts as one failure. Before it, a table of the steps' wall times.

After the build the steps run side by side (UNITS_AT_ONCE, the longest
first), and every QEMU boot of every step takes one of -j slots
(GRADE_QEMU_SLOTS, grade/qemu.py), so the machine runs -j boots at once
while builds and host tests fill the gaps.

    tools/check.py [-j N] [--no-self-checks]

-j N: boots at once (default: make's -j, else 2 when the machine has 2
CPUs or more). Timeouts scale with GRADE_TIMEOUT_SCALE.
Python 3 standard library only.
"""

import argparse
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from gradelib import BuildError, build_variant, make  # noqa: E402
from gradelib import make_env, make_jobs, tail  # noqa: E402
from qemu import make_slots  # noqa: E402

# Units of work (steps, or the self-checks of one broken kernel) running
# at once; their boots share the -j slots, the rest is builds and waiting.
UNITS_AT_ONCE = 4


class SelfCheck:
    """A grader that must fail on a broken kernel.

    variant: the directory under build/ the broken tree is built in;
    make_args: how it is built (BUG=..., or a lab's starter);
    must_fail: test names (globs) that must be among the grader's failures.
    must_say: regular expressions the grader's printed output must match,
    so that a student reading it is led to the broken function or rule.
    only: the tests the grader runs (--only; default must_fail): those
    whose failures and words are judged.
    prepare(root) may replace the default build and return the tree to grade.
    """

    def __init__(self, grader, variant, make_args, must_fail, prepare=None,
                 must_say=(), only=None):
        self.grader, self.variant = grader, variant
        self.make_args, self.must_fail = list(make_args), list(must_fail)
        self.prepare, self.must_say = prepare, list(must_say)
        self.only = list(must_fail if only is None else only)
        self.name = "%s/%s" % (variant, grader[len("grade-"):-len(".py")])


# Each grader registers here the broken kernels it must catch.
# A pattern of must_fail is met by one failing test: `only` then runs one
# such test, in the machine shape where the broken kernel fails soonest
# (a full grade-base.py there took 2.5 and 6.5 minutes).
SELF_CHECKS = [
    SelfCheck("grade-base.py", "bug-sbrk", ["BUG=sbrk"],
              ["usertests-*"], only=["usertests-cpus1"]),
    SelfCheck("grade-base.py", "bug-kfree-leak", ["BUG=kfree-leak"],
              ["usertests-*", "free-*"],
              only=["usertests-mem32M", "free-shell"]),
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
    # A frame shared writable must be caught at the fork that shares it,
    # not by timeouts (it took 222 s and a misleading kill).
    SelfCheck("grade-lab-cow.py", "bug-cow-parent-writable",
              ["BUG=cow-parent-writable"], ["shared-counts"],
              must_say=[r"fork_page\(\)", r"both lose write permission"]),
    SelfCheck("grade-lab-swap.py", "bug-clock-fifo", ["BUG=clock-fifo"],
              ["clock-keeps-hot"], must_say=[r"second chance", r"rmap_referenced"]),
    SelfCheck("grade-lab-swap.py", "bug-swap-reread", ["BUG=swap-reread"],
              ["shared-one-read"], must_say=[r"read once", r"rmap_swapcached"]),
    # Lock-order bugs: their kernels check lock order (lockdep), which must
    # name the rule and the function at once, not hang on a deadlock: the
    # fork bug takes tickslock under a p->lock, which kernel/lockorder.h
    # ranks the other way (clockintr wakes under tickslock).
    SelfCheck("grade-base.py", "bug-fork-lock-order", ["BUG=fork-lock-order"],
              ["boot"], must_say=[r"lock order reversal: \"proc\" -> \"time\"",
                                  r"ranks \"time\" \(\d+\) before \"proc\"",
                                  r"is fork at"]),
    SelfCheck("grade-lab-swap.py", "bug-reclaim-order", ["BUG=reclaim-order"],
              ["twice-ram"], must_say=[r"lockdep: lock order reversal",
                                       r"is lru_isolate at"]),
    # A missing TLB shootdown got full marks: the free poison and the
    # writer's count must catch it, naming the flush.
    SelfCheck("grade-lab-swap.py", "bug-no-flush", ["BUG=no-flush"],
              ["tlb-shootdown"], must_say=[r"a write reached a freed frame|"
                                           r"writes were lost",
                                           r"flush_harts\(\)"]),
    # A silent hang is reported within a minute (gradelib's stall check),
    # with the process dump naming where the processes sleep.
    SelfCheck("grade-lab-swap.py", "bug-lost-wakeup", ["BUG=lost-wakeup"],
              ["shared-one-read"], must_say=[r"no progress for \d+s",
                                             r"sleep +swaptest .*\(swap\+0x0\)"]),
]

# What `make` builds besides the kernel, in the order it builds it: a
# BUG= kernel (which only kernel objects see) reuses this tree's.
USER_BUILD = ("user/usys.S", "user/*.d", "user/*.o", "user/_*", "mkfs/mkfs",
              "fs.img")

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
# A grader's result line for a failed test: `name: FAIL ...`.
FAILED_TEST = re.compile(r"^([\w.*/-]+): FAIL\b")


class Tally:
    """Counts, failures, times and printed lines of one unit of work, or
    (live=True) of the whole run, which prints at once."""

    def __init__(self, live=False):
        self.passed = self.failed = 0
        self.problems = []
        self.times = []            # (seconds, step), for the closing table
        self.lines = []            # what a unit printed, shown when it ends
        self.live = live

    def say(self, text):
        if self.live:
            print(text, flush=True)
        else:
            self.lines.append(text)

    def took(self, step, secs):
        self.times.append((secs, step))

    def add(self, step, passed, failed, names=()):
        """Count a step's results; names: its failed tests, if known, so
        that the closing line says which (CI often keeps only the tail)."""
        self.passed += passed
        self.failed += failed
        if failed:
            self.problems.append("%s: %d failed%s" % (
                step, failed, " (%s)" % ", ".join(names) if names else ""))

    def merge(self, unit):
        """Print a finished unit's lines and add up its results."""
        for line in unit.lines:
            self.say(line)
        self.passed += unit.passed
        self.failed += unit.failed
        self.problems += unit.problems
        self.times += unit.times


def stream(tally, cmd, env=None):
    """Run cmd, its output going to tally's lines; (status, output)."""
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env,
                         stdin=subprocess.DEVNULL)
    lines = []
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            tally.say(line.rstrip("\n"))
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
    tally.say("==== %s ====" % step)
    t0 = time.monotonic()
    rc, out = stream(tally, cmd, env=make_env())
    tally.took(step, time.monotonic() - t0)
    tally.say("(%s: %.0fs)" % (step, time.monotonic() - t0))
    counts = summary(out)
    if counts is None:
        tally.say("%s: FAIL: no 'N passed, N failed' line (status %d)"
                  % (step, rc))
        tally.add(step, 0, 1)
        return
    passed, failed = counts
    if rc != 0 and failed == 0:
        tally.say("%s: FAIL: exit status %d although nothing failed"
                  % (step, rc))
        failed = 1
    names = [m.group(1) for m in map(FAILED_TEST.match, out.split("\n"))
             if m]
    tally.add(step, passed, failed, names[:8])


def build_step(tally):
    tally.say("==== build ====")
    t0 = time.monotonic()
    try:
        out = make(ROOT)
        tally.took("build", time.monotonic() - t0)
    except BuildError as e:
        tally.say("build: FAIL\n%s" % e)
        tally.add("build", 0, 1)
        return False
    warnings = [ln for ln in out.split("\n") if "warning:" in ln]
    if warnings:
        tally.say("build: FAIL: warnings:\n"
                  + tail("\n".join(warnings[:20])))
        tally.add("build", 0, 1)
        return True
    tally.say("build: OK (%.1fs)" % (time.monotonic() - t0))
    tally.add("build", 1, 0)
    return True


def self_checks_of(tally, variant, checks, jobs):
    """Build one broken kernel once and judge each grader on it."""
    t0 = time.monotonic()
    first = checks[0]
    bug_only = all(a.startswith("BUG=") for a in first.make_args)
    try:
        tree = first.prepare(ROOT) if first.prepare else \
            build_variant(variant, first.make_args, src=ROOT,
                          reuse=USER_BUILD if bug_only else ())
    except BuildError as e:
        for chk in checks:
            tally.say("self-check %s: FAIL: cannot build the broken kernel "
                      "(%s):\n%s" % (chk.name, " ".join(chk.make_args), e))
            tally.add("self-check " + chk.name, 0, 1)
        return
    tally.took("build " + variant, time.monotonic() - t0)
    for chk in checks:
        self_check(tally, chk, tree, jobs)


def self_check(tally, chk, tree, jobs):
    """Grade chk's broken kernel (built in tree), and judge the grader.

    Only the tests that must fail run (--only, with the tests they
    depend on): they are what the check judges, and their failures make
    the score less than full and the status non-zero.
    """
    t0 = time.monotonic()
    name = "self-check " + chk.name
    res = os.path.join(tree, "grade-%s.json" % chk.grader[6:-3])
    out_path = os.path.join(tree, "grade-%s.out" % chk.grader[6:-3])
    if os.path.exists(res):
        os.remove(res)
    cmd = [sys.executable, os.path.join(ROOT, "grade", chk.grader),
           "-j", str(jobs), "--kernel-dir", tree, "--results", res,
           "--no-build"] + ["--only=" + p for p in chk.only]
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
        tally.say("%s: FAIL (%.1fs): the grader wrote no results (status "
                  "%d); see %s" % (name, secs, rc, os.path.relpath(out_path)))
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
        tally.say("%s: OK (%.1fs) %s" % (name, secs, what))
        tally.add(name, 1, 0)
        return
    why = []
    if d.get("score", full) >= full:
        why.append("full marks on a broken kernel")
    if missed:
        why.append("expected failures of %s" % ", ".join(missed))
    if rc == 0:
        why.append("exit status 0")
    tally.say("%s: FAIL (%.1fs) %s; %s; output in %s"
              % (name, secs, "; ".join(why), what, os.path.relpath(out_path)))
    tally.add(name, 0, 1)


def print_times(tally, total):
    """The steps, slowest first, with their share of the whole run."""
    tally.say("==== time per step (wall; steps overlap) ====")
    for secs, step in sorted(tally.times, reverse=True):
        tally.say("%7.1fs %5.1f%%  %s" % (secs, 100 * secs / max(total, 1e-9),
                                          step))
    tally.say("%7.1fs        total" % total)


def default_jobs():
    return make_jobs() or (2 if (os.cpu_count() or 1) >= 2 else 1)


def units(args, jobs):
    """The work after the build: (order to start in, name, fn(tally)).

    Each unit prints into its own tally, shown whole when it ends. They
    run side by side; QEMU boots are limited machine-wide by
    GRADE_QEMU_SLOTS, so the longest units start first.
    """
    py = sys.executable
    work = []

    def counted(prio, step, cmd):
        work.append((prio, step, lambda t: counted_step(t, step, cmd)))

    counted(7, "host tests", ["make", "--no-print-directory", "host-tests"])
    counted(8, "lab tool tests", [py, os.path.join(ROOT, "tests", "lab",
                                                  "test_lab.py")])
    counted(8, "qemu driver tests", [py, os.path.join(ROOT, "tests", "grade",
                                                     "test_qemu.py")])
    counted(5, "gdb tests", [py, os.path.join(ROOT, "tests", "gdb",
                                             "test_gdb.py")])
    counted(6, "memviz tests", [py, os.path.join(ROOT, "tests", "memviz",
                                                "test_memviz.py")])
    counted(8, "replacement simulator tests",
            [py, os.path.join(ROOT, "tests", "replace", "test_sim.py")])
    handouts = os.path.join(ROOT, "tests", "lab", "test_handouts.py")
    if os.path.exists(handouts):        # not in a student tree
        counted(9, "handouts vs graders", [py, handouts])
    # The build step built this tree: the graders only grade it.
    for g in sorted(glob.glob(os.path.join(ROOT, "grade", "grade-*.py"))):
        counted(1 if os.path.basename(g) in ("grade-base.py",
                                             "grade-hostile.py") else 3,
                os.path.basename(g),
                [py, g, "-j", str(jobs), "--no-build"])
    if not args.no_self_checks:
        variants = {}
        for chk in SELF_CHECKS:
            variants.setdefault(chk.variant, []).append(chk)
        for variant, checks in variants.items():
            def run(t, variant=variant, checks=checks):
                t.say("==== self-checks: graders fail broken kernel %s ===="
                      % variant)
                self_checks_of(t, variant, checks, jobs)
            work.append((2, "self-checks " + variant, run))
    inv = os.path.join(ROOT, "labs", "invariants.py")
    if os.path.exists(inv):
        # The graders step above already graded the complete tree.
        counted(0, "lab invariants", [py, inv, "--skip-complete",
                                      "-j", str(jobs)])
    lockorder = os.path.join(ROOT, "tests", "lockdep", "test_lockorder.py")
    if os.path.exists(lockorder):       # not in a student tree
        counted(4, "lock order vs table", [py, lockorder])
    tasks = os.path.join(ROOT, "tests", "lab", "test_tasks.py")
    if os.path.exists(tasks):           # not in a student tree
        counted(4, "lab tasks vs handouts", [py, tasks])
    return work


def run_units(tally, work, workers):
    """Run the units on `workers` threads; print each whole as it ends."""
    order = sorted(range(len(work)), key=lambda i: work[i][0])
    parts = [Tally() for _ in work]

    def one(i):
        try:
            work[i][2](parts[i])
        except Exception as e:          # a crash is that unit's failure
            parts[i].say("%s: FAIL: crashed: %s: %s"
                         % (work[i][1], type(e).__name__, e))
            parts[i].add(work[i][1], 0, 1)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(one, i): i for i in order}
        for f in as_completed(futures):
            f.result()
            tally.merge(parts[futures[f]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--no-self-checks", action="store_true",
                    help="skip grading the broken kernels")
    args = ap.parse_args()
    jobs = args.jobs or default_jobs()
    t_start = time.monotonic()
    tally = Tally(live=True)
    if build_step(tally):
        # Every boot of every step below takes one of `jobs` slots.
        slots = tempfile.mkdtemp(prefix="check-qemu-slots-")
        try:
            os.environ.update(make_slots(slots, jobs))
            run_units(tally, units(args, jobs), UNITS_AT_ONCE)
        finally:
            shutil.rmtree(slots, ignore_errors=True)
    print_times(tally, time.monotonic() - t_start)
    mins, secs = divmod(int(time.monotonic() - t_start), 60)
    tally.say("==== check: %dm%02ds%s ====" % (
        mins, secs, "; " + "; ".join(tally.problems)
        if tally.problems else ""))
    tally.say("%d passed, %d failed" % (tally.passed, tally.failed))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        sys.exit(130)
