#!/usr/bin/env python3
"""Benchmark lazy allocation: lab lazy's starter (eager sbrk) against the
complete kernel, in one run.

Builds the starter (in the course's tree `make LAB=lazy`, in build/lab-lazy;
in lab lazy's student tree the first commit, in build/bench-starter) and
this tree, boots each, runs `lazybench` (user/lazybench.c) at the shell with the
timebase frequency the kernel printed at boot, and prints one table:
time and frames of a sparse 64 MiB heap, time per page of a fully written
4 MiB heap, and the round trip of a page fault (zero-page read, fresh-frame
write). Asserts nothing: numbers are emulated time under QEMU, good for
comparing the two within one run.

    python3 tools/bench-lazy.py [--mem 128M] [--cpus 3] [--dry-run]
"""

import argparse
import importlib.util
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from qemu import Qemu  # noqa: E402


def _bench_frames():
    """tools/bench-frames.py as a module: its build() builds a variant."""
    path = os.path.join(ROOT, "tools", "bench-frames.py")
    spec = importlib.util.spec_from_file_location("bench_frames", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


build = _bench_frames().build   # build(lab or None) -> the variant's tree

VARIANTS = [  # (column title, lab whose starter to build, or None for this tree)
    ("eager (starter)", "lazy"),
    ("lazy (this tree)", None),
]


def run_bench(tree, mem, cpus, timeout):
    """Boot tree's kernel, run lazybench; returns its `lazybench:` lines."""
    q = Qemu(cpus=cpus, mem=mem, kernel=os.path.join(tree, "kernel", "kernel"),
             fsimg=os.path.join(tree, "fs.img"))
    with q:
        q.expect(r"\$ ", 120)
        m = re.search(r"timebase (\d+) Hz", q.transcript)
        out = q.run("lazybench %s" % (m.group(1) if m else ""), timeout=timeout)
    return [ln.strip() for ln in out.split("\n")
            if ln.startswith("lazybench:")]


def parse(lines):
    """{figure: value text} from `lazybench: NAME: VALUE UNIT` lines."""
    out = {}
    for ln in lines:
        m = re.match(r"lazybench: ([\w-]+): (\S+) ([\w/]+)", ln)
        if m and m.group(1) != "clock":
            out["%s (%s)" % (m.group(1), m.group(3))] = m.group(2)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--cpus", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--dry-run", action="store_true",
                    help="say which trees would be built and booted, and "
                    "check that they can be; build and boot nothing")
    args = ap.parse_args()
    if args.dry_run:
        for title, lab in VARIANTS:
            print("%s: %s" % (title, build(lab, dry_run=True)))
        return

    results, clocks = [], []
    for title, lab in VARIANTS:
        lines = run_bench(build(lab), args.mem, args.cpus, args.timeout)
        if not lines or lines[-1] != "lazybench: done":
            print("%s: the benchmark did not finish; got:\n  %s"
                  % (title, "\n  ".join(lines)), file=sys.stderr)
        clocks += [ln for ln in lines if ln.startswith("lazybench: clock")]
        results.append(parse(lines))

    names = []
    for r in results:
        names += [n for n in r if n not in names]
    width = max([len(n) for n in names] + [10])
    print("lazy allocation, -m %s -smp %d (emulated time; %s)"
          % (args.mem, args.cpus, clocks[0][len("lazybench: "):]
             if clocks else "no clock"))
    print("%-*s %16s %16s" % ((width, "") + tuple(t for t, _ in VARIANTS)))
    for n in names:
        print("%-*s %16s %16s" % ((width, n) + tuple(r.get(n, "?")
                                                     for r in results)))
    try:
        eager = float(results[0]["sparse-64m (us/round)"])
        lazy = float(results[1]["sparse-64m (us/round)"])
        print("sparse 64 MiB: lazy is %.0fx faster" % (eager / lazy))
    except (KeyError, ValueError, ZeroDivisionError):
        pass


if __name__ == "__main__":
    main()
