#!/usr/bin/env python3
"""Page replacement against the optimum: the kernel's swap-ins beside OPT.

Boots this tree's kernel once per replacement policy (the clock, the
default; reclaim=fifo; reclaim=twolist) with -m 16M, a 32 MiB swap disk
and one hart (lab swap's grader's machine), runs every workload of
`refbench` (user/refbench.c) in each, and prints per workload the
kernel's swap-ins next to the faults the simulator (tools/replace/sim.py)
counts on the same reference string (tools/replace/workloads.py) with
the same number of frames: OPT, LRU, clock, FIFO and twolist.

The frames. The first boot runs `refbench frames` (memstat: free frames,
user frames); the workloads are sized from
    frames = free - reserve + user
where reserve is what user allocations leave to the kernel
(kernel/mm/reclaim.c: total/256, at least 32), and user counts the
frames of the shell, init and refbench's own image, which are idle
while a workload runs and go first under every policy (OPT too: they are
not used again). Each workload's simulation then takes off the
page-table and kernel frames its run allocated (refbench prints them)
and PINNED frames for the text page(s) its loops run from, which every
policy but FIFO keeps. Cold faults (a page's first touch: a zero-filled
frame, not a swap-in) are counted apart: the kernel's swap-ins compare
with the simulator's warm faults, and the ratios to OPT are of all
faults, cold included, as textbooks count them.

Prints figures, asserts nothing.

    python3 tools/bench-replace.py [--mem 16M] [--swap 32] [--only NAME]
                                   [--kernel-dir DIR] [--no-build]
"""

import argparse
import os
import re
import sys

from benchlib import ROOT, boot_run
from gradebuild import make  # noqa: E402 (benchlib puts grade/ on the path)
sys.path.insert(0, os.path.join(ROOT, "tools", "replace"))
import sim  # noqa: E402
import workloads  # noqa: E402

KERNEL_POLICIES = [("clock", ""), ("fifo", "reclaim=fifo"),
                   ("twolist", "reclaim=twolist")]
PINNED = 1                  # text pages a workload's loop runs from
LINE_RE = re.compile(r"(?m)^refbench: (\w+): (swap_in .*|failed.*)$")
PT_RE = re.compile(r"(?m)^refbench: (\w+): pt (\d+) kernel (\d+)$")
FRAMES_RE = re.compile(r"(?m)^refbench: frames: total (\d+) free (\d+) "
                       r"user (\d+)$")


def suite(n):
    """The workloads and their parameters for n frames: each exceeds RAM."""
    return [
        ("loop", {"pages": n * 5 // 4, "passes": 2}),
        ("hotscan", {"cold": 0, "hot": n // 4, "chunk": n // 64,
                     "chunks": 128}),
        ("zipf", {"pages": 2 * n, "refs": 4 * n, "seed": 1}),
        ("msort", {"pages": n * 3 // 5, "seed": 1}),
        ("family", {"shared": n // 2, "children": 3, "own": n // 4,
                    "turns": 3}),
    ]


def command(name, params):
    keys = workloads.WORKLOADS[name][1]
    return "refbench %s %s" % (name, " ".join(str(params[k]) for k in keys))


def boot(tree, kopts, args, cmds):
    """Boot with kopts, run each command; returns the transcript."""
    return boot_run(tree, cmds, args.timeout, cpus=1, mem=args.mem,
                    kopts=kopts, disks=[args.swap << 20])


def user_frames(out):
    """Frames a workload may have, from `refbench frames`."""
    m = FRAMES_RE.search(out)
    if not m:
        raise SystemExit("bench-replace: no `refbench frames` line:\n" + out)
    total, free, user = (int(x) for x in m.groups())
    return free - max(total // 256, 32) + user


def parse(out):
    """{workload: {figure: value}} from refbench's result lines."""
    res = {}
    for m in LINE_RE.finditer(out):
        res[m.group(1)] = (None if m.group(2).startswith("failed") else
                           {k: int(v) for k, v in
                            re.findall(r"(\w+) (\d+)", m.group(2))})
    for m in PT_RE.finditer(out):
        if res.get(m.group(1)) is not None:
            res[m.group(1)]["taken"] = int(m.group(2)) + int(m.group(3))
    return res


def simulate(name, params, frames):
    """{policy: sim.Result} on workload name's string; and its string."""
    refs = workloads.refs_of(name, params)
    return {p: sim.simulate(refs, frames, p) for p in sim.ORDER}, refs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mem", default="16M")
    ap.add_argument("--swap", type=int, default=32, help="swap disk, MiB")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--only", action="append", default=[],
                    help="run only this workload (repeatable)")
    ap.add_argument("--kernel-dir", default=ROOT, help="the tree to boot")
    ap.add_argument("--no-build", action="store_true", help="do not run make")
    args = ap.parse_args()

    if not args.no_build:
        make(args.kernel_dir)
    n = user_frames(boot(args.kernel_dir, "", args, ["refbench frames"]))
    work = [(w, p) for w, p in suite(n) if not args.only or w in args.only]
    kernel = {}
    for pol, kopts in KERNEL_POLICIES:
        out = boot(args.kernel_dir, kopts, args,
                   [command(w, p) for w, p in work])
        kernel[pol] = parse(out)
    report(n, work, kernel, args)


def report(n, work, kernel, args):
    print("page replacement against OPT: -m %s, one hart, %d MiB swap; "
          "%d user frames" % (args.mem, args.swap, n))
    print("warm faults (kernel: swap-ins), ratio of all faults to OPT's")
    heads = ["k-" + p for p, _ in KERNEL_POLICIES] + sim.ORDER
    print("%-8s %6s %6s  " % ("workload", "frames", "cold")
          + " ".join("%13s" % h for h in heads))
    sums = {h: 0.0 for h in heads}
    for w, params in work:
        taken = max((kernel[p].get(w) or {}).get("taken", 0)
                    for p, _ in KERNEL_POLICIES)
        frames = n - taken - PINNED
        res, refs = simulate(w, params, frames)
        cold = res["opt"].faults - res["opt"].warm
        opt_all = res["opt"].faults
        cells = []
        for p, _ in KERNEL_POLICIES:
            k = kernel[p].get(w)
            if k is None:
                cells.append("%13s" % "failed")
                continue
            r = (k["swap_in"] + cold) / opt_all
            sums["k-" + p] += r
            cells.append("%7d %4.2fx" % (k["swap_in"], r))
        for p in sim.ORDER:
            r = res[p].faults / opt_all
            sums[p] += r
            cells.append("%7d %4.2fx" % (res[p].warm, r))
        print("%-8s %6d %6d  " % (w, frames, cold) + " ".join(cells))
    print("%-22s " % "mean ratio" + " ".join(
        "%13s" % ("%.2fx" % (sums[h] / len(work))) for h in heads))
    print("workloads: " + "; ".join(command(w, p) for w, p in work))


if __name__ == "__main__":
    main()
