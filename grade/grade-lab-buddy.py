#!/usr/bin/env python3
"""Grade lab buddy: the binary buddy allocator.

Boots:
  selftest  -smp 3 -m 128M -append selftest: the boot self-test's lines,
            buddyinfo, buddytest (kernel blocks through kmemtest), memmap,
            and no frame lost by any of them.
  cpus3     -smp 3 -m 128M: usertests -q, then free frames unchanged.
  misuse-*  -append "selftest selftest-panic=KIND": the kernel must panic
            before the shell starts, naming the frame the self-test misused.

Core tests (tagged core) are the ones the lab's starter, a single free
list, cannot pass. Run `python3 grade/grade-lab-buddy.py --help` for the
options; `make grade T=buddytest-random` runs one test.
"""

import re

from gradelib import Grader, note_free

g = Grader("lab-buddy", "the binary buddy allocator")

PGSIZE = 4096
KERNBASE = 0x80000000
NORDER = 11
BUDDYTEST_TIMEOUT = 180     # one buddytest test; seconds before scaling
USERTESTS_TIMEOUT = 300     # usertests -q
IDLE_TIMEOUT = 120          # the longest one usertests test may take


def total_frames(s):
    """Frames of RAM, from `free`'s line 'total: N pages'."""
    out = s.run("free")
    m = re.search(r"(?m)^total:\s+(\d+) pages", out)
    if not m:
        s.fail("a line 'total: N pages' from free", out)
    return int(m.group(1))


# ---- the boot self-test, buddyinfo, buddytest and memmap ----

st = g.boot("selftest", cpus=3, mem="128M", kopts="selftest",
            setup=note_free)


def selftest_line(s, name):
    """The boot printed `selftest: NAME: ok`."""
    s.match(s.q.transcript, r"^selftest: %s: ok$" % re.escape(name),
            no=[r"^selftest: %s: FAIL" % re.escape(name)])


@st.test(10, name="selftest-buddy-orders", core=True)
def selftest_buddy_orders(s):
    """Boot self-test: a block of each order, aligned; all merges back."""
    selftest_line(s, "buddy-orders")


@st.test(10, name="selftest-buddy-mixed", core=True)
def selftest_buddy_mixed(s):
    """Boot self-test: random mixed orders never overlap and merge back."""
    selftest_line(s, "buddy-mixed")


@st.test(5, name="selftest-frames")
def selftest_frames(s):
    """Boot self-test of lab frames still passes (metadata ... check)."""
    for name in ("metadata", "reserved", "alloc-free", "exhaust", "check"):
        selftest_line(s, name)


@st.test(5, core=True)
def buddyinfo(s):
    """buddyinfo prints 11 orders whose blocks add up to the free frames."""
    out = s.run("buddyinfo")
    s.match(out, r"^order:(\s+\d+){%d}\s*$" % NORDER,
            r"^free:(\s+\d+){%d}\s*$" % NORDER,
            r"^free frames: \d+ \(\d+ KiB\), largest free block: ",
            no=[r"has no orders", r"memstat counts"])
    counts = [int(x) for x in
              re.search(r"(?m)^free:((?:\s+\d+)+)\s*$", out).group(1).split()]
    frames = sum(n << k for k, n in enumerate(counts))
    said = int(re.search(r"(?m)^free frames: (\d+)", out).group(1))
    s.check_equal(said, frames, "free frames on the last line: sum(n_k * 2^k) =")
    free = s.free_frames()
    if frames != free:
        s.fail("the free blocks to add up to the %d free frames `free` "
               "reports: sum(n_k * 2^k) over %s" % (free, counts),
               "%d frames" % frames)


def buddytest(s, name, arg=""):
    """Run `buddytest NAME` and require its ok line."""
    out = s.run(("buddytest %s %s" % (name, arg)).strip(),
                timeout=BUDDYTEST_TIMEOUT)
    s.match(out, r"^buddytest: %s: ok$" % re.escape(name),
            r"^buddytest: done$",
            no=[r"FAIL", r"needs the kernel option"])


@st.test(10, name="buddytest-orders", core=True,
         timeout=BUDDYTEST_TIMEOUT + 30)
def buddytest_orders(s):
    """A block of each order 0..10: aligned, 2^order frames, merges back."""
    buddytest(s, "orders")


@st.test(10, name="buddytest-random", core=True,
         timeout=BUDDYTEST_TIMEOUT + 30)
def buddytest_random(s):
    """Random allocations and frees of orders 0..6: no overlap, merge back."""
    buddytest(s, "random")


@st.test(10, name="buddytest-forkstorm", core=True,
         timeout=BUDDYTEST_TIMEOUT + 30)
def buddytest_forkstorm(s):
    """Kernel blocks and forks on 3 harts at once; every count returns."""
    buddytest(s, "forkstorm")


@st.test(5, name="buddytest-exhaust", core=True,
         timeout=BUDDYTEST_TIMEOUT + 30)
def buddytest_exhaust(s):
    """Order-8 blocks until none is left; allocation fails exactly then."""
    buddytest(s, "exhaust")


@st.test(10, name="buddytest-split-merge", core=True,
         timeout=BUDDYTEST_TIMEOUT + 30)
def buddytest_split_merge(s):
    """One frame from an order-k block leaves a half at each order < k."""
    buddytest(s, "split-merge")


@st.test(3, name="buddytest-owners")
def buddytest_owners(s):
    """A live process's kmemtest block cannot be freed by another one."""
    buddytest(s, "owners")


def check_map(s, out, total, group):
    """out is memmap's output with `group` frames per character: lines of
    an address and up to 64 characters for all `total` frames, a legend.
    Returns the map as one string."""
    lines = [ln for ln in out.split("\n") if ln.strip()]
    rows = [ln for ln in lines if re.match(r"^0x[0-9a-f]+ ", ln)]
    s.match(out, r"^legend: .*1 char = %d frames?\b" % group)
    chars = ""
    for i, row in enumerate(rows):
        addr, text = row.split(" ", 1)
        want = KERNBASE + i * 64 * group * PGSIZE
        if int(addr, 16) != want:
            s.fail("map line %d to start with address %#x" % (i + 1, want),
                   row)
        if not re.match(r"^[.KPUR#]{1,64}$", text):
            s.fail("64 map characters (. K P U R #) after the address", row)
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
    total = total_frames(s)
    check_map(s, s.run("memmap 1024"), total, 1024)
    out = s.run("buddytest alloc 8")
    m = re.search(r"(?m)^buddytest: handle (\d+): order 8 at (0x[0-9a-f]+)",
                  out)
    if not m:
        s.fail("`buddytest alloc 8` to allocate an order-8 block", out)
    handle, pa = int(m.group(1)), int(m.group(2), 16)
    try:
        out = s.run("memmap")
        legend = re.search(r"(?m)^legend: .*1 char = (\d+) frames?", out)
        if not legend:
            s.fail("a legend line '... 1 char = N frames ...' from memmap",
                   out)
        group = int(legend.group(1))
        if group & (group - 1) or (total + group - 1) // group > 64 * 32:
            s.fail("by default a power of two of frames per character that "
                   "keeps the map within 32 lines", "%d" % group)
        chars = check_map(s, out, total, group)
        first = (pa - KERNBASE) // PGSIZE // group
        run = chars[first:first + max(1, 256 // group)]
        if set(run) != {"K"}:
            s.fail("the order-8 block at %#x drawn as %d K characters from "
                   "character %d" % (pa, len(run), first), run)
    finally:
        s.run("buddytest free %d" % handle)


@st.test(3)
def free_unchanged(s):
    """After the tests of this boot, as many frames are free as at boot."""
    s.check_equal(s.free_frames(), s.state["free"], "free frames")


# ---- usertests ----

ut = g.boot("cpus3", cpus=3, mem="128M", setup=note_free)


@ut.test(10, timeout=USERTESTS_TIMEOUT + 60)
def usertests(s):
    """usertests -q passes on the buddy allocator."""
    s.usertests("-q", idle_timeout=IDLE_TIMEOUT)


@ut.test(5, name="usertests-free", parent=usertests)
def usertests_free(s):
    """After usertests, as many frames are free as right after boot."""
    s.check_equal(s.free_frames(), s.state["free"], "free frames")


# ---- misuse that must panic, naming the frame ----

FREEING = r"^selftest: freeing [^\n]*?(0x[0-9a-f]+)[^\n]*\n"
STOP = r"^(?:panic(?: \(hart \d+\))?: |selftest: misuse: FAIL |init: starting sh)[^\n]*\n"


def panic_test(kind, what, doc):
    """Declare test panic-KIND in a boot with `selftest
    selftest-panic=KIND`: the self-test announces `selftest: freeing ...
    0xADDR ...`, and the kernel must then panic with a line that names
    0xADDR."""
    boot = g.boot("misuse-" + kind, cpus=3, mem="128M",
                  kopts="selftest selftest-panic=" + kind, expect_panic=True)

    def fn(s):
        m = s.expect(re.compile(FREEING + "|" + STOP, re.M), 120)
        if m.group(1) is None:
            s.fail("a line 'selftest: freeing ...' (%s) first" % what,
                   m.group(0))
        pa = int(m.group(1), 16)
        line = s.expect(re.compile(STOP, re.M), 60).group(0)
        named = [int(x, 16) for x in re.findall(r"0x[0-9a-f]+", line)]
        if not line.startswith("panic") or pa not in named:
            s.fail("a kernel panic naming frame %#x (%s)" % (pa, what), line)

    fn.__doc__ = doc
    fn.__name__ = "panic_" + kind.replace("-", "_")
    boot.test(5)(fn)


panic_test("wrong-order", "an order-2 block freed as order 1",
           "Freeing an order-2 block as order 1 panics naming the block.")
panic_test("part-of-block", "a frame inside an order-2 block freed",
           "kfree() of the 2nd frame of an order-2 block panics naming it.")


if __name__ == "__main__":
    g.main()
