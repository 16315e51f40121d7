#!/usr/bin/env python3
"""Grade lab buddy: the binary buddy allocator.

Boots:
  selftest  -smp 3 -m 128M -append selftest: the boot self-test's lines,
            buddyinfo, buddytest (kernel blocks through kmemtest), memmap,
            and no frame lost by any of them.
  cpus3     -smp 3 -m 128M: usertests -q, then free frames unchanged.
  misuse-*  -append "selftest selftest-panic=KIND": the kernel must panic
            before the shell starts, naming the frame the self-test misused.
  host      answers: labs/buddy/answers.md is filled in (0 points).

Core tests (tagged core) are the ones the lab's starter, a single free
list, cannot pass. Run `python3 grade/grade-lab-buddy.py --help` for the
options; `make grade T=buddytest-random` runs one test.
"""

import re

from gradelib import (Grader, answers_test, misuse_test, note_free,
                     program_test, selftest_line, selftest_test)

g = Grader("lab-buddy", "the binary buddy allocator")

PGSIZE = 4096
KERNBASE = 0x80000000
NORDER = 11
BUDDYTEST_TIMEOUT = 180     # one buddytest test; seconds before scaling
USERTESTS_TIMEOUT = 300     # usertests -q
IDLE_TIMEOUT = 120          # the longest one usertests test may take


# ---- the boot self-test, buddyinfo, buddytest and memmap ----

st = g.boot("selftest", cpus=3, mem="128M", kopts="selftest",
            setup=note_free)


selftest_test(st, "buddy-orders", 10, "alloc_pages(k) returns a block of 2^k "
              "frames aligned to its size, for every order k, and freeing "
              "merges it back with its buddy (address XOR size) order by order",
              "Boot self-test: a block of each order, aligned; all merges "
              "back.", core=True)
selftest_test(st, "buddy-mixed", 10, "blocks of mixed orders never overlap, "
              "buddy_check() finds no block left unmerged, and freeing them "
              "all restores the free counts per order", "Boot self-test: "
              "random mixed orders never overlap and merge back.", core=True)


@st.test(5, name="selftest-frames")
def selftest_frames(s):
    """Boot self-test of lab frames still passes (metadata ... check)."""
    for name in ("metadata", "reserved", "alloc-free", "exhaust", "check"):
        selftest_line(s, name, "lab frames' self-test %s still passes on the "
                      "buddy allocator (see lab frames' handout)" % name)


@st.test(5, core=True)
def buddyinfo(s):
    """buddyinfo: 11 orders, blocks add up to the free frames, merged at boot."""
    out = s.run("buddyinfo")
    if "has no orders" in out:
        s.fail("kbuddyinfo() fills in the number of free blocks of each "
               "order 0..10", out)
    s.match(out, r"^order:(\s+\d+){%d}\s*$" % NORDER,
            r"^free:(\s+\d+){%d}\s*$" % NORDER,
            r"^free frames: \d+ \(\d+ KiB\), largest free block: ",
            no=[r"has no orders", r"memstat counts"])
    counts = [int(x) for x in
              re.search(r"(?m)^free:((?:\s+\d+)+)\s*$", out).group(1).split()]
    frames = sum(n << k for k, n in enumerate(counts))
    said = int(re.search(r"(?m)^free frames: (\d+)", out).group(1))
    if said != frames:
        s.fail("the last line's free frames are the sum of n_k * 2^k over "
               "the orders: %d" % frames, "%d" % said)
    free = s.free_frames()
    if frames != free:
        s.fail("every free frame is in exactly one free block: sum(n_k * 2^k) "
               "over %s = the %d free frames `free` reports" % (counts, free),
               "%d frames" % frames)
    big = counts[-1] << (NORDER - 1)
    if big * 2 < frames:
        s.fail("at least half of the free memory of a fresh boot lies in "
               "order-%d blocks: frames freed one at a time at boot merge "
               "with their buddies (buddy_free_locked), and an allocation "
               "splits the smallest free block that fits, never a larger "
               "one (buddy_alloc_locked)" % (NORDER - 1),
               "%d of %d free frames in order-%d blocks: %s"
               % (big, frames, NORDER - 1, counts))


# (name, points, what it checks, the rule a failure states); all core
BUDDYTESTS = [
    ("orders", 10,
     "A block of each order 0..10: aligned, 2^order frames, merges back.",
     "alloc_pages(k) gives 2^k frames aligned to 2^k frames for k = 0..10, "
     "and freeing them restores every count"),
    ("random", 10,
     "Random allocations and frees of orders 0..6: no overlap, merge back.",
     "blocks handed out never overlap, and every block freed merges with its "
     "free buddy, so the counts per order return"),
    ("forkstorm", 10,
     "Kernel blocks and forks on 3 harts at once; every frame returns.",
     "with kmem.lock held around every split, merge and counter change, "
     "blocks and forks on 3 harts give back every frame and leave no two "
     "free buddies unmerged (kalloc_check)"),
    ("exhaust", 5,
     "Order-8 blocks until none is left; allocation fails exactly then.",
     "alloc_pages(8) succeeds while a free block of order 8 or more exists "
     "and returns 0 exactly when none does"),
    ("split-merge", 10,
     "One frame from an order-k block leaves a half at each order < k.",
     "alloc_pages() splits the smallest free block that fits, leaving one "
     "free half at each order below it, and freeing merges the halves back"),
]
for name, points, doc, rule in BUDDYTESTS:
    program_test(st, points, "buddytest-" + name, "buddytest " + name, rule,
                 doc, core=True, timeout=BUDDYTEST_TIMEOUT)


program_test(st, 3, "buddytest-owners", "buddytest owners",
             "a kmemtest block belongs to the live process that allocated "
             "it (another may neither free it nor look it up); after that "
             "process exits, anyone may free it",
             "A live process's kmemtest block cannot be freed by another one.",
             timeout=BUDDYTEST_TIMEOUT)


def check_map(s, out, total, group):
    """out is memmap's output with `group` frames per character: lines of
    an address and up to 64 characters for all `total` frames, a legend.
    Returns the map as one string."""
    lines = [ln for ln in out.split("\n") if ln.strip()]
    rows = [ln for ln in lines if re.match(r"^0x[0-9a-f]+ ", ln)]
    if not re.search(r"(?m)^legend: .*1 char = %d frames?\b" % group, out):
        s.fail("memmap prints a legend line '... 1 char = %d frames'" % group,
               out)
    chars = ""
    for i, row in enumerate(rows):
        addr, text = row.split(" ", 1)
        want = KERNBASE + i * 64 * group * PGSIZE
        if int(addr, 16) != want:
            s.fail("map line %d to start with address %#x" % (i + 1, want),
                   row)
        if not re.match(r"^[.KPUSR#]{1,64}$", text):
            s.fail("64 map characters (. K P U S R #) after the address", row)
        chars += text
    ngroups = (total + group - 1) // group
    if len(chars) != ngroups:
        s.fail("%d map characters for %d frames of RAM at %d frames per "
               "character" % (ngroups, total, group),
               "%d characters" % len(chars))
    if not chars.startswith("R"):
        s.fail("the map to start with R: the firmware's frames at %#x are "
               "reserved" % KERNBASE, chars[:64])
    return chars


@st.test(5, core=True)
def memmap(s):
    """memmap draws all of RAM (R first) and an order-8 block as K's.

    The block is taken through kmemtest (`buddytest alloc 8`)."""
    total = s.free_frames("total")
    check_map(s, s.run("memmap 1024"), total, 1024)
    out = s.run("buddytest alloc 8")
    m = re.search(r"(?m)^buddytest: handle (\d+): order 8 at (0x[0-9a-f]+)",
                  out)
    if not m:
        s.fail("`buddytest alloc 8` allocates an order-8 block while one is "
               "free", out)
    handle, pa = int(m.group(1)), int(m.group(2), 16)
    try:
        out = s.run("memmap")
        legend = re.search(r"(?m)^legend: .*1 char = (\d+) frames?", out)
        if not legend:
            s.fail("memmap prints a legend line '... 1 char = N frames'", out)
        group = int(legend.group(1))
        if group & (group - 1) or (total + group - 1) // group > 64 * 32:
            s.fail("by default a power of two of frames per character that "
                   "keeps the map within 32 lines", "%d" % group)
        chars = check_map(s, out, total, group)
        first = (pa - KERNBASE) // PGSIZE // group
        run = chars[first:first + max(1, 256 // group)]
        if set(run) != {"K"}:
            s.fail("frames in kernel use are drawn K: the order-8 block at "
                   "%#x as %d K characters from character %d"
                   % (pa, len(run), first), run)
    finally:
        s.run("buddytest free %d" % handle)


@st.test(3)
def free_unchanged(s):
    """After the tests of this boot, as many frames are free as at boot."""
    s.no_frame_lost("by the tests of this boot")


# ---- usertests ----

ut = g.boot("cpus3", cpus=3, mem="128M", setup=note_free)


@ut.test(10, timeout=USERTESTS_TIMEOUT + 60)
def usertests(s):
    """usertests -q passes on the buddy allocator."""
    s.usertests("-q", idle_timeout=IDLE_TIMEOUT)


@ut.test(5, name="usertests-free", parent=usertests)
def usertests_free(s):
    """After usertests, as many frames are free as right after boot."""
    s.no_frame_lost("by usertests")


# ---- misuse that must panic, naming the frame ----

misuse_test(g, "wrong-order", 5, "free_pages() checks the order it is given "
            "against the block's allocation order and panics naming the block",
            name="panic-wrong-order")
misuse_test(g, "part-of-block", 5, "kfree() of a frame inside a block, not "
            "its head, panics naming the frame", name="panic-part-of-block")
answers_test(g, "buddy")


if __name__ == "__main__":
    g.main()
