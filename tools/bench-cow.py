#!/usr/bin/env python3
"""Benchmark fork: copying (lab cow's starter) against copy-on-write.

Builds lab cow's starter (fork copies every page: in the course's tree
`tools/lab.py build cow`, in build/lab-cow; in lab cow's student tree its
first commit, in build/bench-starter) and this tree (fork shares frames), boots each,
runs `cowbench` (user/cowbench.c) and prints its figures side by side:
fork+exit+wait and fork+exec+wait of a small process and of one with
32 MiB touched, the frames a child of the 32 MiB process holds before it
writes, and the worst case for copy-on-write, a child that writes every
page. Asserts nothing: numbers are emulated time under QEMU, good for
comparing the two kernels within one run.

    python3 tools/bench-cow.py [--mem 128M] [--cpus 3] [--dry-run]
"""

import argparse
import importlib.util
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from qemu import PROMPT, Qemu  # noqa: E402

VARIANTS = [  # (column title, lab whose starter to build, or None for this tree)
    ("copy", "cow"),
    ("cow", None),
]


def _bench_frames():
    """tools/bench-frames.py as a module: its build() serves here too."""
    path = os.path.join(ROOT, "tools", "bench-frames.py")
    spec = importlib.util.spec_from_file_location("bench_frames", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


build = _bench_frames().build   # build(lab or None) -> the variant's tree


def run_bench(tree, mem, cpus, timeout):
    """Boot tree's kernel, run cowbench; returns its output."""
    with tempfile.TemporaryFile() as log:
        q = Qemu(cpus=cpus, mem=mem, kernel=os.path.join(tree, "kernel", "kernel"),
                 fsimg=os.path.join(tree, "fs.img"), log=log)
        try:
            q.start()
            q.expect(PROMPT, 120)
            start = q.mark()
            q.send("cowbench")
            q.expect(re.compile(r"(?m)^cowbench: done$"), timeout)
            return q.text_since(start)
        finally:
            q.close()


def parse(out):
    """{figure: (value, unit)} from `cowbench: NAME: VALUE UNIT` lines."""
    figures = {}
    for m in re.finditer(r"(?m)^cowbench: ([\w-]+): (\d+) (\w+)", out):
        figures[m.group(1)] = (int(m.group(2)), m.group(3))
    return figures


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

    results = []
    for title, lab in VARIANTS:
        out = run_bench(build(lab), args.mem, args.cpus, args.timeout)
        results.append(parse(out))

    names = []
    for r in results:
        names += [n for n in r if n not in names]
    print("fork, -m %s -smp %d (emulated time)" % (args.mem, args.cpus))
    print("%-22s %14s %14s %10s" % ("", "copy", "cow", "copy/cow"))
    for n in names:
        cells = []
        for r in results:
            v = r.get(n)
            cells.append("%d %s" % v if v else "-")
        a, b = (r.get(n, (0, ""))[0] for r in results)
        if not (a and b):
            ratio = "-"
        elif a >= b:
            ratio = "%.1fx" % (a / b)
        else:
            ratio = "1/%.1fx" % (b / a)    # copy-on-write is the slower
        print("%-22s %14s %14s %10s" % (n, cells[0], cells[1], ratio))


if __name__ == "__main__":
    main()
