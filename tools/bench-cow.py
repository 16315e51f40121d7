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

import re

from benchlib import boot_run, figure_names, parse_args, trees

VARIANTS = [  # (column title, lab whose starter to build, or None for this tree)
    ("copy", "cow"),
    ("cow", None),
]


def parse(out):
    """{figure: (value, unit)} from `cowbench: NAME: VALUE UNIT` lines."""
    figures = {}
    for m in re.finditer(r"(?m)^cowbench: ([\w-]+): (\d+) (\w+)", out):
        figures[m.group(1)] = (int(m.group(2)), m.group(3))
    return figures


def main():
    args = parse_args(__doc__, dry_run=True)
    results = [parse(boot_run(tree, ["cowbench"], args.timeout, cpus=args.cpus,
                              mem=args.mem))
               for tree in trees(VARIANTS, args.dry_run)]
    print("fork, -m %s -smp %d (emulated time)" % (args.mem, args.cpus))
    print("%-22s %14s %14s %10s" % ("", "copy", "cow", "copy/cow"))
    for n in figure_names(results):
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
