#!/usr/bin/env python3
"""What lock-order checking costs: usertests with lockdep off and on.

Boots the kernel ROUNDS times each way, alternating (off, on, off, on,
...) so a busy host slows both alike, runs `usertests` (or --args) and
prints the wall time of each run and the median of each way, side by
side. Figures only: nothing here passes or fails.

    tools/bench-lockdep.py [--cpus 3] [--mem 128M] [--rounds 1] [--args -q]
Python 3 standard library only.
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from qemu import PROMPT, Qemu  # noqa: E402


def one_run(kopts, args):
    """Seconds usertests took in one boot with kernel options kopts."""
    with Qemu(cpus=args.cpus, mem=args.mem, kopts=kopts,
              kernel=os.path.join(ROOT, "kernel", "kernel"),
              fsimg=os.path.join(ROOT, "fs.img")) as q:
        q.expect(PROMPT, timeout=120)
        t0 = time.monotonic()
        out = q.run(("usertests " + args.args).strip(), timeout=1200)
        secs = time.monotonic() - t0
        if "ALL TESTS PASSED" not in out:
            print("warning: usertests did not pass (%s)" % kopts or "off")
        return secs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpus", type=int, default=3)
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--args", default="-q", help="usertests arguments")
    args = ap.parse_args()
    runs = {"off": [], "on": []}
    for r in range(args.rounds):
        for way, kopts in (("off", ""), ("on", "lockdep")):
            runs[way].append(one_run(kopts, args))
            print("round %d lockdep %-3s %7.1f s" % (r + 1, way, runs[way][-1]),
                  flush=True)
    off, on = statistics.median(runs["off"]), statistics.median(runs["on"])
    print("usertests %s, -smp %d -m %s, median of %d:" % (
        args.args, args.cpus, args.mem, args.rounds))
    print("  lockdep off %7.1f s | lockdep on %7.1f s | on/off %.2fx (%+.0f%%)"
          % (off, on, on / off, 100 * (on - off) / off))


if __name__ == "__main__":
    main()
