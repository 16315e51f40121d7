#!/usr/bin/env python3
"""Grade lab frames: struct page, free lists, accounting and checks.

Boots:
  selftest  -smp 3 -m 128M, kernel option selftest: the boot self-test's
            lines, the memory report, frametest, usertests.
  panic-*   one boot per deliberate misuse (selftest-panic=KIND): the kernel
            must panic and name the frame the self-test misused.
Core tests are the ones a bitmap allocator cannot pass; the lab's starter
fails every one of them. Run `python3 grade/grade-lab-frames.py --help`.
"""

import re

from gradelib import Grader, note_free

g = Grader("lab-frames", "struct page, free lists, accounting, checks")

PGSIZE = 4096


def selftest_line(s, name):
    """Check the boot self-test's line for test `name` says ok."""
    m = re.search(r"(?m)^selftest: %s: (ok|FAIL.*)$" % re.escape(name),
                  s.q.transcript)
    if not m:
        s.fail("a line 'selftest: %s: ok' before the first prompt" % name,
               "no such line (is the selftest option handled?)")
    if m.group(1) != "ok":
        s.fail("selftest: %s: ok" % name, m.group(0))


st = g.boot("selftest", cpus=3, mem="128M", kopts="selftest", setup=note_free)


@st.test(6, core=True)
def selftest_metadata(s):
    """pa_to_page/page_to_pa cover exactly RAM and invert each other."""
    selftest_line(s, "metadata")


@st.test(6, core=True)
def selftest_reserved(s):
    """Firmware, kernel image, frame array and device tree are PG_RESERVED."""
    selftest_line(s, "reserved")


@st.test(8, core=True)
def selftest_alloc_free(s):
    """Allocated frames carry their use and one reference; freed, PG_FREE."""
    selftest_line(s, "alloc-free")


@st.test(4)
def selftest_exhaust(s):
    """Every free frame can be allocated; the invariants hold when empty."""
    selftest_line(s, "exhaust")


@st.test(8, core=True)
def selftest_check(s):
    """kalloc_check passes, and catches a free frame marked in use."""
    selftest_line(s, "check")


@st.test(6, core=True)
def metadata_size(s):
    """free reports the record's size: 8 to 32 bytes per frame, and its share."""
    out = s.run("free")
    m = re.search(r"(?m)^metadata: (\d+) bytes per frame \((\d+)\.(\d{3})% of RAM\)", out)
    if not m:
        s.fail("a line 'metadata: N bytes per frame (P% of RAM)' from free", out)
    n = int(m.group(1))
    if not 8 <= n <= 32:
        s.fail("between 8 and 32 bytes per frame", "%d bytes" % n)
    milli = int(m.group(2)) * 1000 + int(m.group(3))
    want = (n * 8 * 100000 + PGSIZE * 4) // (PGSIZE * 8)
    if abs(milli - want) > 1:
        s.fail("%d.%03d%% of RAM for %d bytes per frame" % (want // 1000, want % 1000, n),
               m.group(0))


@st.test(6, core=True)
def memory_report(s):
    """free's lines by use add up to the total."""
    out = s.run("free")
    counts = {}
    for name in ("total", "free", "reserved", "kernel", "page-table", "user"):
        m = re.search(r"(?m)^%s:\s+(\d+) pages" % name, out)
        if not m:
            s.fail("a line '%s: N pages' from free" % name, out)
        counts[name] = int(m.group(1))
    used = sum(counts[k] for k in ("free", "reserved", "kernel", "page-table", "user"))
    s.check_equal(used, counts["total"], "free + reserved + kernel + page-table + user =")
    s.check_equal(counts["total"], 128 * 1024 * 1024 // PGSIZE, "total frames")


def frametest(s, name, timeout=120):
    out = s.run("frametest " + name, timeout=timeout)
    s.match(out, r"^frametest: %s: ok$" % name)


@st.test(8, core=True)
def accounting(s):
    """Counts add up to total RAM; sbrk moves frames between free and user."""
    frametest(s, "accounting")


@st.test(6, core=True)
def inuse(s):
    """A child's heap and page table show in the user and page-table counts."""
    frametest(s, "inuse")


@st.test(10, core=True)
def concurrent_forks(s):
    """Workers fork on 3 harts at once; every count returns to its start."""
    frametest(s, "concurrent", timeout=300)


@st.test(6)
def usertests(s):
    """The kernel test program passes and no frame is lost."""
    s.usertests("-q")
    s.check_equal(s.free_frames(), s.state["free"], "free frames after usertests")


# ---- deliberate misuse: the kernel must panic naming the frame ----

def misuse_test(kind, points, core, detail):
    boot = g.boot("panic-" + kind, cpus=3, mem="128M",
                  kopts="selftest selftest-panic=" + kind, expect_panic=True)

    def fn(s):
        # Up to the newline: the rest of a line may still be on its way.
        m = s.expect(r"(?m)^(panic \(hart \d+\): [^\n]*|selftest: misuse: FAIL [^\n]*)\n", 120)
        line = m.group(1)
        if not line.startswith("panic"):
            s.fail("a kernel panic naming the frame (%s)" % detail, line)
        said = re.findall(r"(?m)^selftest: .*?(0x[0-9a-f]+)", s.q.transcript)
        if not said:
            s.fail("a line 'selftest: ... frame 0x...' naming the misused frame",
                   s.q.tail())
        frame = said[-1]
        if frame not in line:
            s.fail("the panic message to name frame %s" % frame, line)
        if not re.search(detail, line):
            s.fail("the panic message to say /%s/" % detail, line)

    fn.__doc__ = "selftest-panic=%s: the kernel panics naming the frame." % kind
    fn.__name__ = kind.replace("-", "_")
    boot.test(points, core=core)(fn)


misuse_test("double-free", 4, False, r"double free")
misuse_test("free-reserved", 4, False, r"reserved")
misuse_test("free-referenced", 4, True, r"reference")
misuse_test("bad-list", 4, True, r".")

g.main()
