#!/usr/bin/env python3
"""Benchmark page replacement: FIFO against the clock (second chance).

Boots this tree's kernel twice with -m 16M, a 32 MiB swap disk and one
hart (the graders' setting: swap I/O under QEMU is several times slower
with more harts), once with the default policy (the clock) and once with
the kernel option reclaim=fifo, runs `swapbench` (user/swapbench.c) in
each, and prints per workload the page faults, swap-ins, swap-outs, clean
evictions (no write: the copy on swap was still good), frames scanned, the
reverse map's page-table walks (rmap_walk) and the emulated time side by
side. The workloads (a sequential scan larger
than RAM, a hot set read between chunks of fresh pages, a fork family
sharing pages) are described in user/swapbench.c.

Then the swap throughput: the MiB/s each workload wrote and read (pages
moved over its elapsed time, faults and scans included), next to the raw
speed of the same disk through the same driver, which the kernel option
swapbench measures at boot in the same QEMU (kernel/mm/swap.c). Asserts nothing:
numbers from QEMU, good for comparing the two policies within one run;
the emulated time follows the host's load.

    python3 tools/bench-swap.py [--mem 16M] [--swap 32] [--cpus 1]
                                [--kernel-dir DIR] [--no-build]
"""

import argparse
import re

from benchlib import ROOT, boot_run, figure_names
from gradebuild import make  # noqa: E402 (benchlib puts grade/ on the path)

POLICIES = [  # (column title, kernel options)
    ("fifo", "reclaim=fifo swapbench"),
    ("clock", "swapbench"),
]
RAW_RE = re.compile(r"(?m)^bench: swap-raw-(write|read): \d+ pages, \d+ us/page, "
                    r"(\d+) KiB/s$")
FIGURES = ["fault", "swap_in", "swap_shared", "swap_out", "swap_clean", "scan",
           "rmap_walk", "ms"]


def run_bench(tree, kopts, mem, swap_mib, cpus, timeout):
    """Boot tree's kernel with kopts, run swapbench; returns the console
    output from the boot on (the raw disk figures come before the prompt)."""
    return boot_run(tree, ["swapbench"], timeout, cpus=cpus, mem=mem,
                    kopts=kopts, disks=[swap_mib << 20])


def parse(out):
    """{workload: {figure: value}} from swapbench's lines; a failed
    workload maps to None."""
    res = {}
    for m in re.finditer(r"(?m)^swapbench: ([\w-]+): (.*)$", out):
        pairs = re.findall(r"(\w+) (\d+)", m.group(2))
        res[m.group(1)] = ({k: int(v) for k, v in pairs}
                           if not m.group(2).startswith("failed") else None)
    for m in RAW_RE.finditer(out):
        res["raw-" + m.group(1)] = int(m.group(2)) / 1024.0
    return res


def mib_per_s(pages, ms):
    """Pages of 4 KiB moved in ms milliseconds, in MiB/s."""
    return pages / 256.0 / (ms / 1000.0) if ms else 0.0


def print_throughput(results):
    """Each workload's swap MiB/s (out, in) next to the raw disk's."""
    print()
    print("swap throughput, MiB/s (workload: pages moved / its elapsed time)")
    print("%-24s %12s %12s" % ("", "fifo", "clock"))
    for what in ("write", "read"):
        cells = ["%.1f" % r["raw-" + what] if "raw-" + what in r else "-"
                 for r in results]
        print("%-24s %12s %12s" % ("raw disk " + what, *cells))
    names = [n for n in results[0] if not n.startswith("raw-")]
    for n in names:
        for label, f in (("out", "swap_out"), ("in", "swap_in")):
            cells = ["%.1f" % mib_per_s(r[n][f], r[n]["ms"])
                     if isinstance(r.get(n), dict) else "-" for r in results]
            print("%-24s %12s %12s" % ("%s %s" % (n, label), *cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mem", default="16M")
    ap.add_argument("--swap", type=int, default=32, help="swap disk, MiB")
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--kernel-dir", default=ROOT, help="the tree to boot")
    ap.add_argument("--no-build", action="store_true", help="do not run make")
    args = ap.parse_args()

    if not args.no_build:
        make(args.kernel_dir)
    results = [parse(run_bench(args.kernel_dir, kopts, args.mem, args.swap,
                               args.cpus, args.timeout))
               for _, kopts in POLICIES]
    names = [n for n in figure_names(results) if not n.startswith("raw-")]
    print("page replacement, -m %s -smp %d, %d MiB swap (emulated time)"
          % (args.mem, args.cpus, args.swap))
    print("%-24s %12s %12s %10s" % ("", "fifo", "clock", "fifo/clock"))
    for n in names:
        for f in FIGURES:
            a, b = (r.get(n)[f] if r.get(n) else None for r in results)
            cells = ["-" if v is None else str(v) for v in (a, b)]
            ratio = "%.2fx" % (a / b) if a is not None and b else "-"
            print("%-24s %12s %12s %10s" % ("%s %s" % (n, f), cells[0],
                                            cells[1], ratio))
    print_throughput(results)


if __name__ == "__main__":
    main()
