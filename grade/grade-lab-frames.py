#!/usr/bin/env python3
"""Grade lab frames: struct page, free lists, accounting and checks.

Boots:
  selftest  -smp 3 -m 128M, kernel option selftest: the boot self-test's
            lines, the memory report, frametest, usertests.
  mem64     -smp 3 -m 64M: the frame array follows the RAM size.
  misuse-*  one boot per deliberate misuse (selftest-panic=KIND): the kernel
            must panic and name the frame the self-test misused.
  host      answers: labs/frames/answers.md is filled in (0 points).
Core tests are the ones a bitmap allocator cannot pass; the lab's starter
fails every one of them. Run `python3 grade/grade-lab-frames.py --help`.
"""

import re

from gradelib import (Grader, answers_test, misuse_test, note_free,
                     program_test, selftest_test)

g = Grader("lab-frames", "struct page, free lists, accounting, checks")

PGSIZE = 4096
USES = ("free", "reserved", "kernel", "page-table", "user")


st = g.boot("selftest", cpus=3, mem="128M", kopts="selftest", setup=note_free)


# (name, points, core, what it checks, the rule a failure states)
SELFTESTS = [
    ("metadata", 6, True,
     "pa_to_page/page_to_pa cover exactly RAM and invert each other.",
     "pa_to_page() returns a record for every frame of RAM (sized from the "
     "boot memory map) and 0 outside it, and page_to_pa() inverts it; "
     "page_init() must have run"),
    ("reserved", 6, True,
     "Firmware, kernel image, frame array and device tree are PG_RESERVED.",
     "kinit() leaves every frame of the firmware, the kernel image, the frame "
     "array and the device tree PG_RESERVED; nothing may overwrite the array "
     "after page_init()"),
    ("alloc-free", 8, True,
     "Allocated frames carry their use and one reference; freed, PG_FREE.",
     "kalloc() gives a frame its use and one reference; kfree() makes it "
     "PG_FREE with no reference; the counters return to their start"),
    ("exhaust", 4, False,
     "Every free frame can be allocated; the invariants hold when empty.",
     "kalloc() hands out every free frame once, then returns 0, and "
     "memstat's free count says how many there were"),
    ("check", 8, True,
     "kalloc_check passes, and catches a free frame marked in use.",
     "kalloc_check() reports nothing on a healthy allocator and reports a "
     "free frame whose record says in use"),
]
for name, points, core, doc, rule in SELFTESTS:
    selftest_test(st, name, points, rule, doc, core=core)


@st.test(6, core=True)
def metadata_size(s):
    """free reports the record's size: 8 to 32 bytes per frame, and its share."""
    out = s.run("free")
    m = re.search(r"(?m)^metadata: (\d+) bytes per frame \((\d+)\.(\d{3})% of RAM\)", out)
    if not m:
        s.fail("free prints 'metadata: N bytes per frame (P% of RAM)' from "
               "kmemstat's record size", out)
    n = int(m.group(1))
    if not 8 <= n <= 32:
        s.fail("struct page takes 8 to 32 bytes per frame", "%d bytes" % n)
    milli = int(m.group(2)) * 1000 + int(m.group(3))
    want = (n * 8 * 100000 + PGSIZE * 4) // (PGSIZE * 8)
    if abs(milli - want) > 1:
        s.fail("the share of RAM is N/4096: %d.%03d%% for %d bytes per frame"
               % (want // 1000, want % 1000, n), m.group(0))


def check_report(s, mib):
    """free's counts by use add up to the total, `mib` MiB of frames."""
    out = s.run("free")
    counts = {}
    for name in ("total",) + USES:
        m = re.search(r"(?m)^%s:\s+(\d+) pages" % name, out)
        if not m:
            s.fail("free prints a line '%s: N pages' (kmemstat counts every "
                   "use)" % name, out)
        n = int(m.group(1))
        counts[name] = n - (1 << 64) if n >= 1 << 63 else n   # went below 0
    below = ["%s %d" % (k, n) for k, n in counts.items() if n < 0]
    if below:
        s.fail("no count goes below 0: each counter changes exactly when a "
               "frame changes use (free_pages, kalloc)", ", ".join(below))
    used = sum(counts[k] for k in USES)
    if used != counts["total"]:
        s.fail("every frame is counted under exactly one use: %s = total %d"
               % (" + ".join(USES), counts["total"]),
               "%s = %d (a counter not updated where a frame changes use?)"
               % (" + ".join(str(counts[k]) for k in USES), used))
    if counts["total"] != mib * 1024 * 1024 // PGSIZE:
        s.fail("total is the RAM size in frames, read from the device tree: "
               "%d for %d MiB" % (mib * 256, mib), "total %d" % counts["total"])


@st.test(6, core=True)
def memory_report(s):
    """free's lines by use add up to the total."""
    check_report(s, 128)


ACCOUNTING = ("the counts by use add up to the total, and sbrk moves frames "
              "from free to user and back")
program_test(st, 8, "accounting", "frametest accounting", ACCOUNTING,
             "Counts add up to total RAM; sbrk moves frames between free and "
             "user.", core=True)
program_test(st, 6, "inuse", "frametest inuse", "a frame allocated for a user "
             "page counts as user, one for a page table as page-table, until "
             "it is freed", "A child's heap and page table show in the user "
             "and page-table counts.", core=True)
program_test(st, 10, "concurrent-forks", "frametest concurrent", "with "
             "kmem.lock held around every counter and list change, forks on 3 "
             "harts leave every count where it started", "Workers fork on 3 "
             "harts at once; every count returns to its start.", core=True,
             timeout=300)


@st.test(6)
def usertests(s):
    """The kernel test program passes and no frame is lost."""
    s.usertests("-q")
    s.no_frame_lost("by usertests")


m64 = g.boot("mem64", cpus=3, mem="64M")


@m64.test(4, timeout=150)
def mem_64m(s):
    """With -m 64M the frame array covers 64 MiB and the counts add up."""
    check_report(s, 64)
    out = s.run("frametest accounting", timeout=120)
    if not re.search(r"(?m)^frametest: accounting: ok$", out):
        s.fail("with 64 MiB of RAM too, " + ACCOUNTING, out)


# ---- deliberate misuse: the kernel must panic naming the frame ----

misuse_test(g, "double-free", 4, "kfree() of a frame that is already free "
            "panics naming it", says=r"double free")
misuse_test(g, "free-reserved", 4, "kfree() of a PG_RESERVED frame panics "
            "naming it", says=r"reserved")
misuse_test(g, "free-referenced", 4, "kfree() of a frame whose reference "
            "count is above one panics naming it", says=r"reference", core=True)
misuse_test(g, "bad-list", 4, "kalloc() checks the record it takes off the "
            "free list: a frame not marked PG_FREE there panics naming it",
            core=True)
answers_test(g, "frames")

g.main()
