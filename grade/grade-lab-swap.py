#!/usr/bin/env python3
"""Grade lab swap: page replacement to a swap disk, with a reverse map, a
clock and an out-of-memory killer.

Boots (every one with -m 16M, so that the tests' working sets exceed RAM):
  swap      -smp 1, a 32 MiB swap disk on virtio slot 1: the boot message,
            the swaptest tests one by one (each checks its own frames and
            swap slots come back), the oom-kill message, then free frames
            and slots unchanged.
  harts3    -smp 3, the same disk, -append lockdep (lock order checked):
            three-faulting, fork-storm.
  harts3-fifo  -smp 3, the same disk, reclaim=fifo: tlb-shootdown.
  bigfork   -smp 1 -m 32M, a 128 MiB swap disk: fork-big (a fork of a
            64 MiB process with a sparse region, whose page tables exceed
            the kernel's reserve).
  fifo      -smp 1 with -append reclaim=fifo: the kernel option that
            replaces the clock with FIFO still swaps correctly.
  usertests -smp 3, the same disk: usertests -q, then frames and slots back.
  noswap    no swap disk: the kernel says so at boot and runs without.
  host      the swap-slot allocator's host unit tests (tests/host), and
            answers: labs/swap/answers.md is filled in (0 points).

Core tests (tagged core) are the ones the lab's starter, which kills a
process that faults with RAM full, cannot pass. Run `python3
grade/grade-lab-swap.py --help` for the options; `make grade T=twice-ram`
runs one test.
"""

import os
import re
import subprocess

from gradelib import (Grader, TestFailure, answers_test, make, note_free,
                      program_test, scaled)

g = Grader("lab-swap", "page replacement to a swap disk")

# Small on purpose: swap I/O is slow under QEMU (about 1 ms a page with
# one hart, several with three), and every test's working set scales with
# RAM. One hart except for the test that needs three.
MEM = "16M"
SWAP_BYTES = 32 << 20       # the swap disk the tests boot with
SWAP_MIB = SWAP_BYTES >> 20
SWAPTEST_TIMEOUT = 300      # one swaptest test; seconds before scaling
USERTESTS_TIMEOUT = 600     # usertests -q with 16 MiB and swap
IDLE_TIMEOUT = 180          # the longest one usertests test may take
HOST_TIMEOUT = 120          # building and running a host unit test

BOOT_SWAP_RE = (r"(?m)^swap: (\d+) slots \((\d+) MiB\) on virtio disk 1$")
OOM_RE = (r"(?m)^oom-kill: pid (\d+) \((\S+)\) using (\d+) pages \((\d+) "
          r"resident, (\d+) on swap, (\d+) page tables\): out of memory and "
          r"swap$")

sw = g.boot("swap", cpus=1, mem=MEM, disks=[SWAP_BYTES], setup=note_free)
h3 = g.boot("harts3", cpus=3, mem=MEM, disks=[SWAP_BYTES], kopts="lockdep",
            setup=note_free)
# FIFO evicts a page however hot it is: the writer's, while it runs.
h3fifo = g.boot("harts3-fifo", cpus=3, mem=MEM, disks=[SWAP_BYTES],
                setup=note_free, kopts="reclaim=fifo")


@sw.test(5)
def boot_message(s):
    """The kernel finds the swap disk and reports its size at boot."""
    m = re.search(BOOT_SWAP_RE, s.q.transcript)
    want = SWAP_BYTES // 4096
    if not m:
        s.fail("a boot line 'swap: %d slots (%d MiB) on virtio disk 1': the "
               "kernel must find the second virtio disk and cut it into "
               "page-sized slots" % (want, SWAP_MIB),
               "\n".join(re.findall(r"(?m)^swap.*$", s.q.transcript))
               or "no line starting 'swap'")
    if int(m.group(1)) != want or int(m.group(2)) != SWAP_MIB:
        s.fail("%d slots (%d MiB) on a %d MiB disk: one slot per 4 KiB page"
               % (want, SWAP_MIB, SWAP_MIB), m.group(0))
    out = s.run("free")
    s.match(out, r"^swap-total:\s+%d pages" % want,
            r"^swap-used:\s+\d+ pages")


# The swaptest tests, in the order they run: name, points, core, the rule,
# what.
SWAPTESTS = [
    ("twice-ram", 15, True,
     "a process may touch twice as many pages as RAM holds: a fault with "
     "RAM full evicts a page to swap, and a fault on a swapped page reads it "
     "back, exactly as written",
     "Twice RAM touched (32 MiB with 16 MiB of RAM); every page verified."),
    ("cow-shared", 15, True,
     "pages shared copy-on-write go to swap once and come back right in "
     "every process that maps them (reverse map: unmap every PTE of the "
     "victim); writes after that stay private (a frame shared again after "
     "swap-in, found by rmap_swapcached or kept with SWAP_SHARED, is mapped "
     "copy-on-write)",
     "COW-shared pages swapped out and back, right in three processes."),
    ("fork-exit-sbrk", 10, True,
     "fork duplicates slot references; exit and a shrinking sbrk free the "
     "slots of the pages they drop",
     "Fork, exit and a shrinking sbrk with pages on swap; slots come back."),
    ("syscall-swapped", 10, True,
     "copyin/copyout on a swapped-out page swap it in through the fault path, "
     "as the program's own access would",
     "write() from and read() into a swapped-out buffer."),
    ("three-faulting", 10, True,
     "three harts evicting and swapping in at once never corrupt a page "
     "(lock order: address space, then reclaim, then kmem; no spinlock "
     "across disk I/O)",
     "Three processes with working sets over RAM/3 fault at once."),
    ("tlb-shootdown", 10, True,
     "a page evicted while its process runs on another hart loses no write: "
     "evict() flushes every hart that runs a process whose PTE it changed "
     "(flush_harts(): SBI remote sfence.vma) before the page is written "
     "out and its frame freed",
     "Pages written in a loop on one hart, evicted from another."),
    ("oom-kill", 10, True,
     "with RAM and swap full the kernel kills a process (the biggest), "
     "counts it in vmstat oom_kill, and goes on",
     "A process that allocates forever is killed; memory works after."),
    ("oom-biggest", 10, True,
     "the out-of-memory victim is the process using the most memory "
     "(resident + swapped), not the one that faulted; the faulting process "
     "goes on",
     "RAM and swap full: the biggest process is killed, not the faulting one."),
    ("clock-keeps-hot", 10, True,
     "the clock gives a page used since the hand last passed (PTE_A set in a "
     "mapping) a second chance: clear the bit and move it to the back of the "
     "LRU list; only a page with the bit clear is evicted (rmap_referenced, "
     "evict in reclaim.c)",
     "A hot set read between chunks of fresh pages stays in RAM."),
    ("shared-one-read", 10, True,
     "a page shared when it went to swap is read back once and shared "
     "again: the first fault reads it into a frame that keeps the slot "
     "(swap_keep: SWAP_SHARED) and maps it copy-on-write; the others wait "
     "for that read (swap_in_begin) and find the frame through the reverse "
     "map (rmap_swapcached in reclaim.c, fault_swapin in fault.c)",
     "Four processes read the same swapped shared pages: one read each."),
    ("shared-write-private", 5, True,
     "a write to a frame whose slot other swap PTEs still name goes to a "
     "copy (fault_cow copies when swap_slot_shared), so the others read "
     "the page as it went out",
     "The first sharer back writes; the others read the old contents."),
    ("fork-storm", 10, True,
     "fork under swap traffic never deadlocks: no p->lock is held across "
     "fork's copy (allocproc returns the slot unlocked) and no wakeup() runs "
     "under swap.lock (kernel/lockorder.h); a hang here is the whole "
     "machine",
     "25 forks of a mostly swapped process while two siblings page, 3 harts."),
]
_tests = {}
for _name, _points, _core, _rule, _doc in SWAPTESTS:
    _tests[_name] = program_test({"three-faulting": h3, "fork-storm": h3,
                                  "tlb-shootdown": h3fifo}.get(_name, sw),
                                 _points, _name, "swaptest " + _name,
                                 _rule, _doc, core=_core,
                                 timeout=SWAPTEST_TIMEOUT)

program_test(sw, 5, "fork-storm-cpus1", "swaptest fork-storm",
             "fork under swap traffic never deadlocks, on one hart too",
             "The same 25 forks under swap traffic, one hart.",
             core=True, timeout=SWAPTEST_TIMEOUT)


@sw.test(5, parent=_tests["oom-kill"], core=True)
def oom_message(s):
    """The kernel names the process it killed and the pages it held."""
    found = re.findall(OOM_RE, s.q.transcript)
    if not found:
        s.fail("a line 'oom-kill: pid N (swaptest) using P pages (R resident, "
               "S on swap, T page tables): out of memory and swap' for the "
               "killed process",
               "\n".join(re.findall(r"(?m)^.*kill.*$", s.q.transcript)[-6:])
               or "no line with 'kill'")
    for pid, name, p, r, sw_, pt in found:
        if name != "swaptest" or int(p) != int(r) + int(sw_) + int(pt):
            s.fail("the victim named (swaptest) with P = R + S + T pages",
                   "oom-kill: pid %s (%s) using %s pages (%s resident, %s on "
                   "swap, %s page tables)" % (pid, name, p, r, sw_, pt))


@sw.test(5)
def free_unchanged(s):
    """After the swaptest tests, frames and swap slots are as at boot."""
    s.no_frame_lost("by the swaptest tests")


# ---- the FIFO option ----

# ---- a fork bigger than the kernel's reserve of page-table pages ----

bf = g.boot("bigfork", cpus=1, mem="32M", disks=[128 << 20], setup=note_free)
program_test(bf, 10, "fork-big", "swaptest fork-big",
             "fork of a process of twice RAM works while RAM and swap hold "
             "the result: page-table pages come like user frames, by reclaim "
             "(ptpage_alloc, uvmcopy_reserve), with no spinlock held, not "
             "from the kernel's reserve",
             "A 64 MiB process with a sparse 256 MiB region forks with 32 MiB "
             "of RAM; the child reads all and writes half.", core=True,
             timeout=SWAPTEST_TIMEOUT)

fifo = g.boot("fifo", cpus=1, mem=MEM, disks=[SWAP_BYTES],
              kopts="reclaim=fifo")
program_test(fifo, 5, "fifo-twice-ram", "swaptest twice-ram",
             "the kernel option reclaim=fifo replaces the clock by FIFO and "
             "swapping stays correct",
             "reclaim=fifo: 32 MiB touched with 16 MiB of RAM, verified.",
             timeout=SWAPTEST_TIMEOUT)


# ---- usertests with 16 MiB and swap ----

ut = g.boot("usertests", cpus=3, mem=MEM, disks=[SWAP_BYTES], setup=note_free)


@ut.test(10, timeout=USERTESTS_TIMEOUT + 60)
def usertests_swap(s):
    """usertests -q passes with -m 16M and a swap disk."""
    s.usertests("-q", idle_timeout=IDLE_TIMEOUT)


@ut.test(5, parent=usertests_swap)
def usertests_swap_free(s):
    """After usertests, every frame and swap slot is back."""
    s.no_frame_lost("by usertests")


# ---- no swap disk ----

ns = g.boot("noswap", cpus=3, mem=MEM)


@ns.test(5)
def noswap_boot(s):
    """Without a swap disk the kernel says so at boot and runs."""
    s.match(s.q.transcript, r"^swap: no disk in virtio slot 1",
            no=[r"^swap: \d+ slots"])
    out = s.run("free")
    s.match(out, r"^swap-total:\s+0 pages", r"^swap-used:\s+0 pages")
    s.match(s.run("swaptest twice-ram", timeout=60),
            r"^swaptest: twice-ram: FAIL no swap disk")


# ---- host ----

@g.test(10, core=True, timeout=HOST_TIMEOUT)
def swapslot_host():
    """Host unit test of the slot allocator (tests/host/test_swapslot.c)."""
    prog = "tests/host/build/test_swapslot"
    try:
        make(g.tree, [prog])
    except Exception as e:
        raise TestFailure("expected: the host test %s builds\n%s"
                          % (prog, e)) from None
    p = subprocess.run([os.path.join(g.tree, prog)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=scaled(HOST_TIMEOUT))
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0 or not re.search(r"(?m)^\d+ passed, 0 failed$", out):
        lines = out.strip().split("\n")
        raise TestFailure("expected: every host test of kernel/mm/swapslot.c "
                          "passes (slots are allocated once, reference-counted"
                          ", freed at zero)\nactual output:\n"
                          + "\n".join("    | " + ln for ln in lines[-15:]))


answers_test(g, "swap")

if __name__ == "__main__":
    g.main()
