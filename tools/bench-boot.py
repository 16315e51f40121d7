#!/usr/bin/env python3
"""Time how long the kernel takes to boot to the shell prompt.

Boots N times (default 5) with -smp 3 -m 128M and measures the wall time
from starting QEMU to the first `$ ` prompt, then prints every boot and the
median, minimum and maximum. It asserts nothing about the numbers; it exits
non-zero only if a boot never reached the prompt. Python 3 stdlib only.
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "grade"))
from qemu import PROMPT, Qemu, QemuError  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--boots", type=int, default=5)
    ap.add_argument("--cpus", type=int, default=3)
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--kopts", default="", help="kernel options (-append)")
    ap.add_argument("--timeout", type=float, default=60,
                    help="seconds to wait for the prompt"
                    " (times GRADE_TIMEOUT_SCALE)")
    args = ap.parse_args()
    os.chdir(ROOT)
    times, failures = [], 0
    for i in range(1, args.boots + 1):
        try:
            with Qemu(cpus=args.cpus, mem=args.mem, kopts=args.kopts) as q:
                q.expect(PROMPT, args.timeout)
                secs = q.elapsed
        except QemuError as e:
            failures += 1
            print("boot %d: no prompt: %s" % (i, e), flush=True)
            continue
        times.append(secs)
        print("boot %d: %.2fs" % (i, secs), flush=True)
    if times:
        print("median %.2fs  min %.2fs  max %.2fs  (%d boots, -smp %d -m %s)"
              % (statistics.median(times), min(times), max(times),
                 len(times), args.cpus, args.mem))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
