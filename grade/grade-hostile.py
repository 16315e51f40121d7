#!/usr/bin/env python3
"""Grade the kernel against hostile programs: no user action panics it,
hangs it, or loses a frame or a disk block.

Boots:
  hostile-cpus1  -smp 1 -m 128M: every test of user/hostile.c, then free
           frames unchanged.
  hostile-cpus3  -smp 3 -m 128M: the tests whose processes race each
           other; the one-process disk tests (fulldisk, linklimit,
           craftedelf) and the page-table tests (pttables, pthog, whose
           OOM footprint walks of a 60 GiB sparse heap are slow with three
           harts; vmspacestall, which needs the one hart to count ticks)
           test nothing more there and would add minutes.
  fuzz     -smp 3 -m 128M: two system-call fuzzers (user/fuzz.c) at once,
           then free frames unchanged. FUZZ_ROUNDS (default 100) and
           FUZZ_SEED change the run; `make fuzz-long` runs a long one.

A grader of its own, not part of grade-base.py, so that `make check` runs
these boots once: it grades grade-base.py again on every deliberately
broken kernel and every lab starter, where they would only add minutes.
Run `python3 grade/grade-hostile.py --help` for the options.
"""

import os
import re
import time

from gradelib import Grader, note_free, scaled

g = Grader("hostile", "hostile programs, system-call fuzzer")

IDLE_TIMEOUT = 120         # the longest one hostile test may take

HOSTILE_TIMEOUT = 300       # a whole hostile run; about 90 s today
HOSTILE_CMD = {1: "hostile", 3: "hostile -x fulldisk linklimit craftedelf pttables pthog vmspacestall"}


def hostile(s):
    """hostile passes its tests (it kills the shell: init starts another)."""
    start = s.mark()
    s.sendline(HOSTILE_CMD[s.boot.cpus])
    while True:
        m = s.expect(r"(?m)^(?:\$ )?test \S+: .*\n|ALL TESTS PASSED"
                     r"|SOME TESTS FAILED", IDLE_TIMEOUT)
        if "test " not in m.group(0):
            break
    out = s.since(start)
    failed = re.findall(r"(?m)^(?:\$ )?test (\S+): FAILED ?(.*)$", out)
    if failed or m.group(0) != "ALL TESTS PASSED":
        s.fail("ALL TESTS PASSED", "\n".join("test %s: FAILED %s" % f
                                             for f in failed) or out)
    # The shell that started hostile is gone; talk to init's new one
    # (its prompt may have come before the last test's line).
    s.expect(r"init: starting sh\n\$ ", 30, since=start)
    s.match(s.run("echo hostile-done"), r"^hostile-done$")


def free_after_hostile(s):
    """After hostile, as many frames are free as right after boot."""
    s.no_frame_lost("by hostile")


for name, cpus in (("hostile-cpus1", 1), ("hostile-cpus3", 3)):
    b = g.boot(name, cpus=cpus, mem="128M", setup=note_free)
    b.test(10, name=name, timeout=HOSTILE_TIMEOUT)(hostile)
    b.test(2, name="free-" + name)(free_after_hostile)


FUZZ_ROUNDS = int(os.environ.get("FUZZ_ROUNDS", "100"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "1"))
fuzz_boot = g.boot("fuzz", cpus=3, mem="128M", setup=note_free)


@fuzz_boot.test(10, timeout=120 + FUZZ_ROUNDS * 2)
def fuzz(s):
    """Two fuzzers at once: no panic, no hang, both end with fuzz: OK and
    every frame comes back."""
    start = s.mark()
    s.sendline("fuzz -s %d -n %d > fz-out &" % (FUZZ_SEED, FUZZ_ROUNDS))
    s.sendline("fuzz -s %d -n %d" % (FUZZ_SEED + 1, FUZZ_ROUNDS))
    s.expect(r"fuzz: (OK|FAILED.*)\n", 60 + FUZZ_ROUNDS * 3)
    # The foreground fuzzer's prompt (the background job's came before its
    # output): consumed here, each s.run() below gets its own prompt.
    s.expect(r"(?m)^\$ ", 30)
    # The background fuzzer may still run: poll its file (there is no
    # sleep program to wait with in the guest).
    deadline = time.monotonic() + scaled(60)
    while True:
        out = s.run("cat fz-out")
        if re.search(r"fuzz: (OK|FAILED)", out) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    text = s.since(start) + out
    if len(re.findall(r"fuzz: OK", text)) < 2 or "fuzz: FAILED" in text:
        s.fail("two lines 'fuzz: OK' and no 'fuzz: FAILED'", text[-2000:])
    s.run("rm fz-out")
    s.no_frame_lost("by the fuzzer")


if __name__ == "__main__":
    g.main()
