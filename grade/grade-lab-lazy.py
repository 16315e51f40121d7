#!/usr/bin/env python3
"""Grade lab lazy: heap memory backed on first touch, the shared zero
page, and commit accounting.

Boots:
  lazy      -smp 3 -m 128M -append overcommit=always: one `lazytest NAME`
            per test (user/lazytest.c), vmstat, pmap, free, and no frame
            lost by any of them. Mode 1 (refuse nothing) tests laziness
            itself: the default heuristic would refuse its 1 GiB sbrks.
  strict    -smp 3 -m 128M -append overcommit=never: the same `lazytest
            strict` and `free`, now with a commit limit.
  mem32m, mem128m   usertests -q with 32 and 128 MiB of RAM, then free
            frames unchanged.

Every lazytest test checks by itself that the free frames are back where
they were once its process is gone. Core tests (tagged core) are the ones
the lab's starter, an eager sbrk and a fault handler that resolves
nothing, cannot pass. Run `python3 grade/grade-lab-lazy.py --help` for the
options; `make grade T=zero-page` runs one test.
"""

import re

from gradelib import Grader, answers_test, note_free

g = Grader("lab-lazy", "lazy allocation, zero page, commit accounting")

LAZYTEST_TIMEOUT = 240      # one lazytest test; seconds before scaling
USERTESTS_TIMEOUT = 400     # usertests -q
IDLE_TIMEOUT = 150          # the longest one usertests test may take
VMSTAT_NAMES = ["fault", "fault_bad", "fault_zero", "fault_fresh",
                "fault_oom", "cow_copy", "cow_reuse", "swap_in", "swap_out",
                "reclaim_scan"]
REGIONS = ["text", "data", "guard", "stack", "heap"]


def lazytest(s, name, rule):
    """Run `lazytest NAME`; pass on its ok line. Else fail stating the
    rule, with lazytest's lines and the kernel's kill messages (`pid N
    (lazytest): ... killed (why)`) among them."""
    out = s.run("lazytest " + name, timeout=LAZYTEST_TIMEOUT)
    ok = re.search(r"(?m)^lazytest: %s: ok$" % re.escape(name), out)
    bad = re.search(r"(?m)^lazytest: %s: FAIL" % re.escape(name), out)
    if ok and not bad and re.search(r"(?m)^lazytest: done$", out):
        return out
    said = [ln for ln in re.findall(r"(?m)^(?:lazytest: |pid \d+ ).*$", out)
            if not re.search(r": ok$|^lazytest: done$", ln)]
    s.fail(rule, "\n".join(said[-12:]) if said else out)


def declare(boot, name, points, rule, core=True, test=None):
    """Declare grader test `test` (default: NAME) that runs `lazytest NAME`."""
    def fn(s):
        lazytest(s, name, rule)
    fn.__doc__ = rule
    fn.__name__ = (test or name).replace("-", "_")
    boot.test(points, name=test or name, core=core,
              timeout=LAZYTEST_TIMEOUT + 30)(fn)


# ---- lazy mode (the default) ----

lz = g.boot("lazy", cpus=3, mem="128M", kopts="overcommit=always",
            setup=note_free)

LAZY_TESTS = [
    # (lazytest name, grader name, points, core, the rule)
    ("sparse", "sbrk-sparse", 8, True,
     "sbrk(1 GiB) only moves the size; each page touched takes one frame"),
    ("shrink", "sbrk-shrink", 6, True,
     "a negative sbrk frees the resident pages of the released range and "
     "skips its holes (uvmunmap tolerates holes in the heap)"),
    ("read", "syscall-read", 4, True,
     "read() into untouched heap works: copyout resolves the fault as the "
     "program's own store would"),
    ("write", "syscall-write", 3, True,
     "write() from untouched heap writes zeros: copyin resolves the fault"),
    ("pipe", "syscall-pipe", 3, True,
     "pipe() and a pipe's read() into untouched heap work"),
    ("fstat", "syscall-fstat", 3, True,
     "fstat() into a struct stat that straddles two untouched pages works"),
    ("exec", "syscall-exec", 3, True,
     "exec() reads argv and its strings from untouched heap (as zeros)"),
    ("wait", "syscall-wait", 3, True,
     "wait() stores the exit status into untouched heap"),
    ("bad-address", "syscall-bad-address", 4, False,
     "a system call on an address outside the heap (above the break, guard "
     "page, text, trapframe) returns -1 and kills nothing"),
    ("fork-holes", "fork-holes", 8, True,
     "fork copies resident pages, keeps zero-page mappings and holes as "
     "they are (uvmcopy tolerates holes in the heap)"),
    ("zero-page", "zero-page", 8, True,
     "a read of untouched heap maps the shared zero frame read-only; the "
     "first write replaces it by a private zeroed frame"),
    ("oom", "oom-kill", 8, True,
     "a fault that finds no free frame kills the process (out of memory); "
     "the kernel goes on and every frame comes back"),
    ("kill", "bad-access-kills", 5, False,
     "a fault outside the heap (guard page, text write, above the break, "
     "trapframe, past MAXVA) still kills the process"),
    ("limit", "sbrk-limit", 4, True,
     "sbrk grows the heap up to the user limit below the trapframe, and "
     "returns -1 past it"),
    ("strict", "overcommit-lazy", 4, True,
     "without a commit limit sbrk accepts twice the RAM"),
]

for _name, _test, _points, _core, _rule in LAZY_TESTS:
    declare(lz, _name, _points, _rule, core=_core, test=_test)


@lz.test(3)
def vmstat(s):
    """vmstat prints every counter as `name: value`; faults are counted."""
    s.run("lazytest kill", timeout=LAZYTEST_TIMEOUT)   # six faults that kill
    out = s.run("vmstat")
    s.match(out, *[r"^%s: \d+$" % n for n in VMSTAT_NAMES], ordered=True)
    faults = int(re.search(r"(?m)^fault_bad: (\d+)$", out).group(1))
    if faults < 4:
        s.fail("`fault_bad:` at least 4 after `lazytest kill` (its page "
               "faults that killed)", out)


@lz.test(2, name="kill-reasons")
def kill_reasons(s):
    """Each kill line of `lazytest kill` names the region rule broken.

    A fault the regions forbid is refused from the region list: the stack
    guard, a read-only region, no region at all, the trapframe, past
    MAXVA."""
    out = s.run("lazytest kill", timeout=LAZYTEST_TIMEOUT)
    why = r"^pid \d+ \(lazytest\): .* killed \(%s\)$"
    s.match(out, why % r"not a user page \(the stack guard\)",
             why % "write to read-only page",
             why % "not mapped: in no region of the address space",
             why % "not mapped: in no region of the address space",
             why % r"not a user page \(trapframe or trampoline\)",
             why % "address beyond the user address space", ordered=True)


@lz.test(3)
def pmap(s):
    """pmap prints text, data, guard, stack and heap with their counts."""
    out = s.run("pmap")
    row = (r"^%s\s+0x[0-9a-f]+-0x[0-9a-f]+(\s+\d+){6}\s*$")
    s.match(out, r"^pid \d+: size 0x[0-9a-f]+",
            *[row % r for r in REGIONS], ordered=True)
    stack = re.search(r"(?m)^stack\s+\S+\s+(\d+)\s+(\d+)", out)
    if stack.group(1) != "1" or stack.group(2) != "1":
        s.fail("a stack of 1 page, resident", stack.group(0))


@lz.test(4, name="free-committed")
def free_committed(s):
    """free prints the committed pages (non-zero) and no commit limit."""
    out = s.run("free")
    s.match(out, r"^committed:\s+\d+ pages",
            r"^commit-limit: none \(lazy overcommit\)$")
    committed = int(re.search(r"(?m)^committed:\s+(\d+)", out).group(1))
    if committed == 0:
        s.fail("committed > 0: the pages of every process's size (init, sh, "
               "free) are committed", out)


@lz.test(3, name="free-unchanged")
def free_unchanged(s):
    """After all lazytest runs, as many frames are free as at boot."""
    s.no_frame_lost("by the lazytest runs of this boot (the zero frame is "
                    "allocated before the shell and never freed)")


# ---- strict mode: the same program with overcommit=never ----

st = g.boot("strict", cpus=3, mem="128M", kopts="overcommit=never",
            setup=note_free)


@st.test(8, name="overcommit-never", core=True,
         timeout=LAZYTEST_TIMEOUT + 30)
def overcommit_never(s):
    """overcommit=never: sbrk refuses what the commit limit cannot back."""
    out = lazytest(s, "strict", "with overcommit=never, sbrk of twice the "
                   "RAM returns -1, one within the commit limit succeeds and "
                   "counts as committed")
    if not re.search(r"(?m)^lazytest:   strict mode: commit limit \d+", out):
        s.fail("lazytest to find a commit limit (memstat commit_limit != 0) "
               "under overcommit=never", out)


@st.test(2, name="exec-refused-unchanged", timeout=60)
def exec_refused_unchanged(s):
    """A refused exec leaves its caller as it was (FP registers)."""
    out = s.run("hostile fpexecfail", timeout=30)
    if not re.search(r"(?m)^test fpexecfail: OK$", out):
        s.fail("exec refused at the commit limit returns -1 to a caller whose "
               "floating-point registers are unchanged: kexec() changes "
               "nothing of the caller before vm_commit() succeeds", out)


@st.test(3, name="free-commit-limit", core=True)
def free_commit_limit(s):
    """free prints the commit limit under overcommit=never."""
    total = s.free_frames("total")
    out = s.run("free")
    m = re.search(r"(?m)^commit-limit:\s+(\d+) pages", out)
    if not m or not 0 < int(m.group(1)) < total:
        s.fail("a line 'commit-limit: N pages' with 0 < N < %d (RAM) under "
               "overcommit=never" % total, out)


# ---- usertests with little and plenty of RAM ----

for _mem in ("32M", "128M"):
    _boot = g.boot("mem" + _mem.lower(), cpus=3, mem=_mem, setup=note_free)

    def _usertests(s):
        s.usertests("-q", idle_timeout=IDLE_TIMEOUT)

    def _free(s):
        s.no_frame_lost("by usertests")

    _usertests.__doc__ = "usertests -q passes with -m %s." % _mem
    _free.__doc__ = "After usertests (-m %s), every frame is free again." % _mem
    _ut = _boot.test(10, name="usertests-" + _mem.lower(),
                     timeout=USERTESTS_TIMEOUT + 60)(_usertests)
    _boot.test(3, name="usertests-%s-free" % _mem.lower(), parent=_ut)(_free)

answers_test(g, "lazy")


if __name__ == "__main__":
    g.main()
