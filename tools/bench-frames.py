#!/usr/bin/env python3
"""Benchmark the frame allocators of the labs side by side.

Builds three variants of the kernel: the bitmap (lab frames' starter), the
struct page free list (lab buddy's starter) and the buddy allocator (the
complete tree); boots each with the kernel option `bench` (kernel/mm/bench.c)
and prints its figures in one table. Asserts nothing: numbers are emulated
time under QEMU, good for comparing the variants within one run.

    python3 tools/bench-frames.py [--mem 128M] [--cpus 3]
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import parse_args, print_table, trees

OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
VARIANTS = [  # (column title, lab whose starter to build, or None for this tree)
    ("bitmap", "frames"),
    ("free list", "buddy"),
    ("buddy", None),
]


def run_bench(tree, mem, cpus, timeout):
    """Boot tree's kernel with `bench`; returns the `bench:` lines."""
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "fs.img")
        shutil.copy(os.path.join(tree, "fs.img"), img)
        cmd = ["qemu-system-riscv64", "-machine", "virt", "-bios", OPENSBI,
               "-kernel", os.path.join(tree, "kernel", "kernel"),
               "-m", mem, "-smp", str(cpus), "-nographic",
               "-global", "virtio-mmio.force-legacy=false",
               "-drive", "file=%s,if=none,format=raw,id=x0" % img,
               "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
               "-append", "bench"]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines, deadline = [], time.monotonic() + timeout
        try:
            for raw in p.stdout:
                line = raw.decode(errors="replace").strip()
                if line.startswith("bench:"):
                    lines.append(line)
                if line == "bench: done" or time.monotonic() > deadline:
                    break
        finally:
            p.kill()
            p.wait()
        return lines


def parse(lines):
    """{figure name: value text} from `bench:` lines."""
    out = {}
    for ln in lines:
        m = re.match(r"bench: ([\w+-]+): (\d+) ops, (\d+) ns/op", ln)
        if m:
            out[m.group(1) + " (ns/op)"] = m.group(3)
            continue
        m = re.match(r"bench: ([\w+-]+): unsupported", ln)
        if m:
            out[m.group(1) + " (ns/op)"] = "-"
            continue
        m = re.match(r"bench: (.+): longest free run (\d+) frames, "
                     r"largest block order (-?\d+)", ln)
        if m:
            out[m.group(1) + ": longest free run"] = m.group(2)
            order = int(m.group(3))
            out[m.group(1) + ": largest block"] = \
                "%d KiB" % (4 << order) if order >= 0 else "-"
    return out


def main():
    args = parse_args(__doc__, timeout=300)
    results = []
    for (title, _), tree in zip(VARIANTS, trees(VARIANTS)):
        lines = run_bench(tree, args.mem, args.cpus, args.timeout)
        if not lines or lines[-1] != "bench: done":
            print("%s: the benchmark did not finish; got:\n  %s"
                  % (title, "\n  ".join(lines)), file=sys.stderr)
        results.append(parse(lines))
    print("frame allocators, -m %s -smp %d (emulated time)" % (args.mem, args.cpus))
    print_table([t for t, _ in VARIANTS], results, 12)


if __name__ == "__main__":
    main()
