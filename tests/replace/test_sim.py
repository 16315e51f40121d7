#!/usr/bin/env python3
"""Tests of the page-replacement simulator (tools/replace/sim.py) and the
reference-string generators (tools/replace/workloads.py).

- textbook strings with their hand-worked fault counts: Belady's anomaly
  for FIFO (1,2,3,4,1,2,5,1,2,3,4,5: 9 faults with 3 frames, 10 with 4),
  OPT and LRU on it, Silberschatz's 20-reference string;
- the kernel's clock and twolist on short strings traced by hand below;
- OPT faults no more than any other policy on random strings, and LRU
  (a stack algorithm) never more with more frames;
- the merge sort's page references equal those of an element-by-element
  merge (small pages, random runs).

    python3 tests/replace/test_sim.py [-s SEED]

Prints `NAME: OK` or `NAME: FAIL why` per check, then `N passed, N failed`.
Python 3 standard library only.
"""

import argparse
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "replace"))
import sim  # noqa: E402
import workloads  # noqa: E402

RESULTS = []
BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]
SILBERSCHATZ = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]
# Two hot pages (1, 2) with a stream of others between their uses.
HOT = [1, 2, 3, 1, 2, 3, 4, 5, 1, 2, 4, 5, 1, 2]


def check(name, ok, why=""):
    RESULTS.append(bool(ok))
    print("%s: %s" % (name, "OK" if ok else "FAIL " + why), flush=True)


def expect(name, refs, frames, policy, want):
    got = sim.faults(refs, frames, policy)
    check(name, got == want, "%s with %d frames: %d faults, want %d"
          % (policy, frames, got, want))


def textbook():
    expect("belady-fifo-3", BELADY, 3, "fifo", 9)
    expect("belady-fifo-4", BELADY, 4, "fifo", 10)    # more frames, more faults
    expect("belady-opt-3", BELADY, 3, "opt", 7)
    expect("belady-opt-4", BELADY, 4, "opt", 6)
    expect("belady-lru-3", BELADY, 3, "lru", 10)
    expect("belady-lru-4", BELADY, 4, "lru", 8)
    expect("silberschatz-fifo", SILBERSCHATZ, 3, "fifo", 15)
    expect("silberschatz-opt", SILBERSCHATZ, 3, "opt", 9)
    expect("silberschatz-lru", SILBERSCHATZ, 3, "lru", 12)


def kernel_policies():
    # Clock, BELADY, 3 frames (* = referenced; list front first):
    #  1 2 3 miss [1* 2* 3*]; 4: every page referenced, one turn clears
    #  all and evicts 1, FIFO's victim [2 3 4*]; 1 evicts 2, 2 evicts 3
    #  [4* 1* 2*]; 5 clears all, evicts 4 [1 2 5*]; 1, 2 hit [1* 2* 5*];
    #  3 clears all, evicts 1; 4 evicts 2; 5 hits: 9 faults.
    expect("clock-belady-3", BELADY, 3, "clock", 9)
    # HOT, 3 frames: the clock evicts the hot 1 and 2 at 4 and 5 (all
    # referenced: FIFO order) and again at 4 and 5 later: 11 faults.
    expect("clock-hot-3", HOT, 3, "clock", 11)
    # twolist, HOT, 3 frames (active list at most 2; n = new):
    #  1 2 3 miss, used again [1n* 2n* 3n*]; 4: first looks give second
    #  chances, then 1 goes; 5 evicts 2; 1 refaults (evicted 2 evictions
    #  ago): active [1*], evicting 3; 2 refaults: active [1* 2*], evicting
    #  4 after its second chance; 4 evicts 5 and is new (active full); 5
    #  evicts 4; 1 and 2 hit: 9 faults.
    expect("twolist-hot-3", HOT, 3, "twolist", 9)
    expect("twolist-belady-3", BELADY, 3, "twolist", 10)
    expect("twolist-silberschatz", SILBERSCHATZ, 3, "twolist", 11)
    # A loop one page larger than RAM: LRU, FIFO and the clock fault on
    # every reference; twolist keeps part of it from the second pass on.
    loop = list(range(5)) * 4
    expect("clock-loop", loop, 4, "clock", 20)
    expect("opt-loop", loop, 4, "opt", 8)


def random_strings(rng):
    worst = ""
    for t in range(200):
        pages = rng.randint(2, 12)
        refs = [rng.randrange(pages) for _ in range(rng.randint(1, 80))]
        frames = rng.randint(1, pages)
        opt = sim.faults(refs, frames, "opt")
        for p in sim.ORDER:
            if sim.faults(refs, frames, p) < opt:
                worst = "%s beat OPT on %s with %d frames" % (p, refs, frames)
        if sim.faults(refs, frames + 1, "lru") > sim.faults(refs, frames, "lru"):
            worst = "LRU faulted more with more frames on %s" % refs
    check("opt-is-a-lower-bound", not worst, worst)


def brute_merge(a, lo, mid, hi, sbase, dbase, pw):
    refs, cur = [], None
    i, j, k = lo, mid, lo
    while i < mid or j < hi:
        t = []
        if i < mid:
            t.append(sbase + i // pw)
        if j < hi:
            t.append(sbase + j // pw)
        t.append(dbase + k // pw)
        if t != cur:
            refs += t
            cur = t
        if j >= hi or (i < mid and a[i] <= a[j]):
            i += 1
        else:
            j += 1
        k += 1
    return refs


def merge_pages(rng):
    saved, bad = workloads.PAGE_WORDS, ""
    try:
        for pw in (2, 4):
            workloads.PAGE_WORDS = pw
            for _ in range(200):
                n1, n2 = rng.randint(1, 5) * pw, rng.randint(0, 5) * pw
                a = (sorted(rng.randint(0, 9) for _ in range(n1)) +
                     sorted(rng.randint(0, 9) for _ in range(n2)))
                got = list(workloads.dedup(
                    workloads.merge_pages(a, 0, n1, n1 + n2, 0, 100)))
                want = list(workloads.dedup(
                    brute_merge(a, 0, n1, n1 + n2, 0, 100, pw)))
                if got != want:
                    bad = "%s: %s, want %s" % (a, got, want)
    finally:
        workloads.PAGE_WORDS = saved
    check("msort-merge-pages", not bad, bad)
    refs = workloads.refs_of("msort", {"pages": 4, "seed": 1})
    check("msort-pages", set(refs) == set(range(8)), "pages %s" % set(refs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-s", "--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("test_sim: seed %d (replay with -s %d)" % (seed, seed))
    rng = random.Random(seed)
    textbook()
    kernel_policies()
    random_strings(rng)
    merge_pages(rng)
    print("%d passed, %d failed" % (RESULTS.count(True), RESULTS.count(False)))
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
