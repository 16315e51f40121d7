#!/usr/bin/env python3
"""Grade lab cow: copy-on-write fork on reference-counted frames.

Boots:
  cpus3     -smp 3 -m 128M: the cowtest tests one by one (each checks its
            own frames come back), then free frames unchanged.
  usertests -smp 3 -m 128M: usertests -q, then free frames unchanged.
  mem32     -smp 3 -m 32M: usertests -q on a small machine, free frames
            unchanged.

Core tests (tagged core) are the ones the lab's starter, whose fork copies
every page, cannot pass: they need fork to share frames. The others hold
for a copying fork too, and catch a copy-on-write that lets one process
see another's writes. Run `python3 grade/grade-lab-cow.py --help` for the
options; `make grade T=race` runs one test.
"""

import re

from gradelib import answers_test, Grader, note_free

g = Grader("lab-cow", "copy-on-write fork")

COWTEST_TIMEOUT = 240       # one cowtest test; seconds before scaling
USERTESTS_TIMEOUT = 300     # usertests -q
IDLE_TIMEOUT = 120          # the longest one usertests test may take

ct = g.boot("cpus3", cpus=3, mem="128M", setup=note_free)


def cowtest(s, name):
    """Run `cowtest NAME` and require its ok line; returns the output."""
    out = s.run("cowtest " + name, timeout=COWTEST_TIMEOUT)
    s.match(out, r"^cowtest: %s: ok$" % re.escape(name), r"^cowtest: done$",
            no=[r"FAIL", r"^usage: cowtest"])
    return out


def cow_test(name, points, core, doc, extra=None):
    """Declare the grader test NAME: `cowtest NAME` passes (and extra(s,
    out) holds, if given)."""
    def fn(s):
        out = cowtest(s, name)
        if extra:
            extra(s, out)
    fn.__doc__ = doc
    fn.__name__ = name.replace("-", "_")
    ct.test(points, name=name, core=core,
            timeout=COWTEST_TIMEOUT + 30)(fn)


def oom_message(s, out):
    """The kernel said why it killed the writer."""
    s.match(out, r"killed \(out of memory\)",
            no=[r"^panic"])


# The cowtest tests, in the order they run: name, points, core, what.
COWTESTS = [
    ("fork-half-memory", 10, True,
     "A process holding 60% of free memory forks 10 times."),
    ("fork-exec", 5, True,
     "A process holding 60% of free memory forks; the child runs echo."),
    ("reuse-after-exit", 10, True,
     "Writes after the child exited reuse each frame: no copy, no frame."),
    ("shared-counts", 10, True,
     "memstat and vmspace count shared frames after fork, none after writes."),
    ("text-shared", 5, True,
     "Text pages are shared by fork, not copied."),
    ("race", 10, True,
     "Three writers race on the same shared pages: each its own values, "
     "every fault resolved once."),
    ("oom-copy", 10, True,
     "No frame for a COW copy kills the writer (-1), nothing leaks."),
    ("three-writers", 5, False,
     "Three processes write the same pages; each reads only its own."),
    ("pipe-read", 5, False,
     "Pipe reads into a shared page land in the reader's own copy."),
    ("file-read", 5, False,
     "A file read into a shared page lands in the reader's own copy."),
    ("wait-fstat", 5, False,
     "wait() status and fstat() into a shared page: the writer's own copy."),
    ("text-write-kills", 3, False,
     "A write to text still kills the writer after a fork."),
]
EXTRA = {"oom-copy": oom_message}
for _name, _points, _core, _doc in COWTESTS:
    cow_test(_name, _points, _core, _doc, EXTRA.get(_name))


@ct.test(3)
def free_unchanged(s):
    """After the cowtest tests, as many frames are free as at boot."""
    s.no_frame_lost("by the cowtest tests")


# ---- usertests, at 128 MiB and at 32 MiB ----

def usertests_boot(name, mem, points, free_points):
    boot = g.boot(name, cpus=3, mem=mem, setup=note_free)

    def run(s):
        s.usertests("-q", idle_timeout=IDLE_TIMEOUT)
    run.__doc__ = "usertests -q passes with -m %s." % mem
    run.__name__ = name.replace("-", "_")
    ut = boot.test(points, name=name, timeout=USERTESTS_TIMEOUT + 60)(run)

    def free(s):
        s.no_frame_lost("by usertests")
    free.__doc__ = "After usertests (-m %s), every frame is free again." % mem
    free.__name__ = name.replace("-", "_") + "_free"
    boot.test(free_points, name=name + "-free", parent=ut)(free)


usertests_boot("usertests", "128M", 10, 5)
usertests_boot("usertests-32m", "32M", 5, 3)



answers_test(g, "cow")

if __name__ == "__main__":
    g.main()
