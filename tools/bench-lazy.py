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

import re
import sys

from benchlib import boot_run, parse_args, print_table, trees

VARIANTS = [  # (column title, lab whose starter to build, or None for this tree)
    ("eager (starter)", "lazy"),
    ("lazy (this tree)", None),
]


def command(boot):
    """lazybench with the timebase frequency the kernel printed at boot."""
    m = re.search(r"timebase (\d+) Hz", boot)
    return "lazybench %s" % (m.group(1) if m else "")


def parse(lines):
    """{figure: value text} from `lazybench: NAME: VALUE UNIT` lines."""
    out = {}
    for ln in lines:
        m = re.match(r"lazybench: ([\w-]+): (\S+) ([\w/]+)", ln)
        if m and m.group(1) != "clock":
            out["%s (%s)" % (m.group(1), m.group(3))] = m.group(2)
    return out


def main():
    args = parse_args(__doc__, dry_run=True)
    results, clocks = [], []
    for (title, _), tree in zip(VARIANTS, trees(VARIANTS, args.dry_run)):
        out = boot_run(tree, [command], args.timeout, cpus=args.cpus, mem=args.mem)
        lines = [ln.strip() for ln in out.split("\n") if ln.startswith("lazybench:")]
        if not lines or lines[-1] != "lazybench: done":
            print("%s: the benchmark did not finish; got:\n  %s"
                  % (title, "\n  ".join(lines)), file=sys.stderr)
        clocks += [ln for ln in lines if ln.startswith("lazybench: clock")]
        results.append(parse(lines))
    print("lazy allocation, -m %s -smp %d (emulated time; %s)"
          % (args.mem, args.cpus, clocks[0][len("lazybench: "):]
             if clocks else "no clock"))
    print_table([t for t, _ in VARIANTS], results, 16)
    try:
        eager = float(results[0]["sparse-64m (us/round)"])
        lazy = float(results[1]["sparse-64m (us/round)"])
        print("sparse 64 MiB: lazy is %.0fx faster" % (eager / lazy))
    except (KeyError, ValueError, ZeroDivisionError):
        pass


if __name__ == "__main__":
    main()
