#!/usr/bin/env python3
"""Benchmark the frame allocators of the labs side by side.

Builds three variants of the kernel: the bitmap (lab frames' starter), the
struct page free list (lab buddy's starter) and the buddy allocator (the
complete tree); boots each with the kernel option `bench` (kernel/mm/bench.c)
and prints its figures in one table. Asserts nothing: numbers are emulated
time under QEMU, good for comparing the variants within one run.

    python3 tools/bench-frames.py [--mem 128M] [--cpus 3]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
VARIANTS = [  # (column title, lab whose starter to build or None for main)
    ("bitmap", "frames"),
    ("free list", "buddy"),
    ("buddy", None),
]


def build(lab, dry_run=False):
    """Build a variant; returns its tree. lab None: this tree; else that
    lab's starter. The course's tree makes it with tools/lab.py; a student
    tree has no tools/lab.py, but its git repository's first commit (the
    export, by the course staff) is its own lab's starter, which is
    unpacked and built in build/bench-starter. dry_run: only check that
    the variant can be made (sources unpacked, nothing compiled). Exits
    with a message when it cannot."""
    if lab is None:
        if not dry_run:
            subprocess.run(["make", "-s"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        return ROOT
    if os.path.exists(os.path.join(ROOT, "tools", "lab.py")):
        if not dry_run:
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "lab.py"),
                            "build", lab], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        return os.path.join(ROOT, "build", "lab-" + lab)
    return build_student_starter(lab, dry_run)


def build_student_starter(lab, dry_run):
    """The starter of a student tree's own lab, from its first commit."""
    try:
        with open(os.path.join(ROOT, ".lab")) as f:
            mine = f.read().strip()
    except OSError:
        mine = None
    if mine != lab:
        sys.exit("bench: this tree has no starter of lab %s to compare with (it "
                 "is %s); run this benchmark in lab %s's student tree"
                 % (lab, "lab %s's student tree" % mine if mine else
                    "neither the course's tree nor a student tree", lab))
    r = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       universal_newlines=True)
    first = r.stdout.split()
    if r.returncode != 0 or not first:
        sys.exit("bench: no git history here: the starter of lab %s is the "
                 "first commit of the tree you were given" % lab)
    tree = os.path.join(ROOT, "build", "bench-starter")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    # git archive | tar: the first commit's files, without a checkout.
    arc = subprocess.Popen(["git", "archive", first[-1]], cwd=ROOT,
                           stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", tree], stdin=arc.stdout, check=True)
    arc.stdout.close()
    if arc.wait() != 0:
        sys.exit("bench: git archive %s failed" % first[-1])
    if not dry_run:
        subprocess.run(["make", "-s"], cwd=tree, check=True,
                       stdout=subprocess.DEVNULL)
    return tree


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
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--cpus", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()

    results = []
    for title, lab in VARIANTS:
        tree = build(lab)
        lines = run_bench(tree, args.mem, args.cpus, args.timeout)
        if not lines or lines[-1] != "bench: done":
            print("%s: the benchmark did not finish; got:\n  %s"
                  % (title, "\n  ".join(lines)), file=sys.stderr)
        results.append(parse(lines))

    names = []
    for r in results:
        names += [n for n in r if n not in names]
    width = max(len(n) for n in names) if names else 10
    print("frame allocators, -m %s -smp %d (emulated time)" % (args.mem, args.cpus))
    print("%-*s %12s %12s %12s" % ((width, "") + tuple(t for t, _ in VARIANTS)))
    for n in names:
        print("%-*s %12s %12s %12s" % ((width, n) + tuple(r.get(n, "?") for r in results)))


if __name__ == "__main__":
    main()
