#!/usr/bin/env python3
"""Tests of the gdb commands (tools/gdb) against the live kernel.

Host part: tools/gdb/hwdefs.py against the tree's headers (the PG_* table
matches kernel/mm/page.h; PTE_COW / PTE_SWAP are read from riscv.h when
a header defines them; runs merge; use words).

gdb part: boots the kernel stopped under QEMU (a free TCP port per run,
from grade/qemu.py), runs gdb-multiarch in batch mode with this tree's
.gdbinit.tmpl, and checks each command's output at known stopping points:
the first usertrap (init's first system call, hart in the kernel), then
init's open() in user mode (pid 1), its ecall followed into syscall() by
kstep and back by ustep. In the complete tree it does the same in the
starter trees of labs frames and buddy (built with `make LAB=...`), where
the commands must name what the tree lacks.

    python3 tests/gdb/test_gdb.py [--kernel-dir TREE] [--no-labs] [-v]

Prints `NAME: OK` or `NAME: FAIL why` per check, then `N passed, N failed`.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "gdb"))
sys.path.insert(0, os.path.join(ROOT, "grade"))
import hwdefs  # noqa: E402
from qemu import Qemu, scaled  # noqa: E402

RESULTS = []


def check(name, ok, why=""):
    RESULTS.append(bool(ok))
    print("%s: %s" % (name, "OK" if ok else "FAIL " + why), flush=True)


# ---- host part ----

def test_hwdefs(root):
    page_h = os.path.join(root, "kernel", "mm", "page.h")
    found = {n: v for n, v in hwdefs.header_defines(page_h).items()
             if n.startswith("PG_") and n != "PG_USE_MASK"}
    table = {n: bit for n, bit, _w, _u in hwdefs.PAGE_FLAGS}
    check("hwdefs/page-flags-match-page.h", found and found == table,
          "page.h has %s, tools/gdb/hwdefs.py PAGE_FLAGS has %s"
          % (sorted(found.items()), sorted(table.items())))

    d = hwdefs.TreeDefs(root)
    check("hwdefs/riscv.h-maxva", d.maxva == 1 << 38 and d.userstack >= 1,
          "MAXVA 0x%x USERSTACK %d" % (d.maxva, d.userstack))
    check("hwdefs/syscall-names", d.syscalls.get(15) == "open"
          and d.syscalls.get(7) == "exec", str(d.syscalls))
    pte = (0x87f00 << 10) | 0x5b       # V R X U A
    check("hwdefs/pte-flags", d.pte_flags(pte) == "R-XU-A-"
          and hwdefs.pte_pa(pte) == 0x87f00000, d.pte_flags(pte))

    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "kernel"))
        with open(os.path.join(tmp, "kernel", "riscv.h"), "w") as f:
            f.write("#define PTE_RSW0 (1L << 8) // software\n"
                    "#define PTE_COW PTE_RSW0\n"
                    "#define PTE_SWAP (1L << 9)\n"
                    "#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))\n")
        sw = hwdefs.TreeDefs(tmp)
        cow = pte | (1 << 8) & ~(1 << 2)
        swapped = (42 << 10) | (1 << 9)
        check("hwdefs/pte-cow-from-riscv.h",
              sw.pte_flags(cow) == "R-XU-A- COW", sw.pte_flags(cow))
        # This tree decodes a swap PTE only if its riscv.h has PTE_SWAP.
        has_swap = "PTE_SWAP" in hwdefs.header_defines(
            os.path.join(root, "kernel", "riscv.h"))
        check("hwdefs/pte-swap-from-riscv.h",
              sw.pte_kind(swapped) == "swap"
              and sw.pte_flags(swapped) == "swap slot 42"
              and d.pte_kind(swapped) == ("swap" if has_swap else None),
              "%s; this tree: %s" % (sw.pte_flags(swapped),
                                     d.pte_kind(swapped)))

    leaves = [(0, 0x1000, 4096, 0x5b, "leaf"), (4096, 0x2000, 4096, 0x5b, "leaf"),
              (8192, 0x9000, 4096, 0x5b, "leaf"), (12288, 0xa000, 4096, 0x57, "leaf")]
    runs = hwdefs.merge_runs(leaves)
    check("hwdefs/merge-runs", [(r[0], r[2]) for r in runs] ==
          [(0, 8192), (8192, 4096), (12288, 4096)], str(runs))
    check("hwdefs/page-use", hwdefs.page_use(0x12) == "INVALID"
          and hwdefs.page_use(0x50) == "user"
          and hwdefs.page_flag_names(0x50) == ["user", "dirty"],
          hwdefs.page_flag_names(0x50))


# ---- gdb part ----

PRELUDE = r'''
set pagination off
python
def run(cmd):
    print("@@ " + cmd)
    try:
        gdb.execute(cmd)
    except gdb.error as e:
        print("ERROR: %s" % e)
end
'''

# (command, stage): the first stage stops at usertrap, the second in
# init's open() in user mode.
SCRIPT = r'''
hbreak usertrap
continue
delete
python run("procs")
python run("pgtable")
python run("vmmap")
python run("page 0x80200000")
python run("buddyinfo")
python run("memmap")
python run("pgtable 999")
python run("page 0x1000")
user init
hbreak open
continue
delete
python run("pgtable")
python run("page 0x1000 1")
python run("stepi")
python run("x/i $pc")
python run("kstep")
python run("ustep")
python run("x/i $pc")
'''


def sections(out):
    """{command: its output} from the @@ markers of run(); a command's
    second run is `command#2`."""
    parts = {}
    for chunk in out.split("@@ ")[1:]:
        cmd, _, body = chunk.partition("\n")
        key, n = cmd, 1
        while key in parts:
            n += 1
            key = "%s#%d" % (cmd, n)
        parts[key] = body
    return parts


def gdb_session(tree, name):
    """Boot tree's kernel stopped, run SCRIPT; returns gdb's output."""
    with tempfile.TemporaryDirectory() as tmp:
        with Qemu(cpus=2, gdb=True, extra_args=["-S"],
                  kernel=os.path.join(tree, "kernel", "kernel"),
                  fsimg=os.path.join(tree, "fs.img"),
                  log=os.path.join(tmp, "console.log")) as q:
            with open(os.path.join(tree, ".gdbinit.tmpl")) as f:
                init = f.read().replace(":1234", ":%d" % q.gdb_port)
            paths = []
            for n, text in (("init.gdb", init), ("prelude.gdb", PRELUDE),
                            ("script.gdb", SCRIPT)):
                paths.append(os.path.join(tmp, n))
                with open(paths[-1], "w") as f:
                    f.write(text)
            cmd = ["gdb-multiarch", "-batch", "-nx"]
            for p in paths:
                cmd += ["-x", p]
            try:
                r = subprocess.run(cmd, cwd=tree, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True,
                                   timeout=scaled(120))
                out = r.stdout
            except subprocess.TimeoutExpired as e:
                out = (e.stdout or b"").decode("utf-8", "replace")
                out += "\n(gdb timed out)\n"
    log = os.path.join(ROOT, "build", "gdb-test-%s.log" % name)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as f:
        f.write(out)
    return out


def expect(name, parts, cmd, *regexes):
    body = parts.get(cmd)
    if body is None:
        check(name, False, "`%s` did not run (see build/gdb-test-*.log)" % cmd)
        return None
    for rx in regexes:
        m = re.search(rx, body, re.M)
        if not m:
            check(name, False, "`%s` printed no match for /%s/:\n%s"
                  % (cmd, rx, body[:1500]))
            return None
    check(name, True)
    return re.search(regexes[-1], body, re.M)


def common_checks(tag, out, parts):
    check("%s/no-python-traceback" % tag,
          "Traceback" not in out and "Python Exception" not in out,
          out[-2000:])
    expect("%s/procs" % tag, parts, "procs",
           r"^\s*pid\s+state\s+hart\s+name",
           r"^\s+1\s+running\s+\d+\s+init\s+16384\s+3\s+\d+$")
    expect("%s/pgtable" % tag, parts, "pgtable",
           r"^pid 1 \(init\): page table at 0x8[0-9a-f]+, \d+ page-table pages",
           r"^  0x0000000000-0x0000000fff\s+1\s+0x008[0-9a-f]+-0x008[0-9a-f]+\s+R-XU",
           r"^  0x3ffffff000-0x3fffffffff\s+1\s+0x0080[0-9a-f]+-\S+\s+R-X--A-$")
    expect("%s/vmmap" % tag, parts, "vmmap",
           r"^pid 1 \(init\): size 16384",
           r"^  text\s+0x0000000000-0x0000000fff\s+1\s+1\s",
           r"^  guard\s+0x0000002000-\S+\s+1\s+1",
           r"^  stack\s+0x0000003000-\S+\s+1\s+1",
           r"^  trampoline\s+0x3ffffff000")
    expect("%s/pgtable-bad-pid" % tag, parts, "pgtable 999",
           r"^ERROR: pgtable: no process with pid 999")
    expect("%s/pgtable-from-user-mode" % tag, parts, "pgtable#2",
           r"^  0x0000000000-0x0000000fff\s+1\s+\S+\s+R-XU-A-")
    ecall = expect("%s/stopped-at-ecall" % tag, parts, "x/i $pc",
                   r"=> 0x([0-9a-f]+) <open\+\d+>:\s+ecall")
    expect("%s/kstep" % tag, parts, "kstep",
           r"^pid 1 \(init\) in syscall\(\) on hart \d: open \(a7 = 15\)")
    if ecall:
        after = int(ecall.group(1), 16) + 4
        expect("%s/ustep" % tag, parts, "ustep",
               r"^pid 1 \(init\) back in user mode on hart \d at pc 0x%x, "
               r"a0 = -?\d+$" % after)
        expect("%s/ustep-after-ecall" % tag, parts, "x/i $pc#2",
               r"=> 0x%x <open\+\d+>:" % after)


def test_complete(tree, tag):
    out = gdb_session(tree, tag)
    parts = sections(out)
    common_checks(tag, out, parts)
    expect("%s/page-reserved" % tag, parts, "page 0x80200000",
           r"^frame 0x80200000: pages\[512\]", r"^  use\s+reserved$",
           r"^  refcount\s+0$")
    expect("%s/page-user-va" % tag, parts, "page 0x1000 1",
           r"^va 0x1000 of pid 1 -> pa 0x8[0-9a-f]+ \(PTE RW-U",
           r"^  use\s+user$", r"^  refcount\s+1$",
           r"^  block\s+order 0 \(1 frame\)")
    expect("%s/page-not-ram" % tag, parts, "page 0x1000",
           r"^ERROR: page: 0x1000 is not in RAM")
    expect("%s/buddyinfo" % tag, parts, "buddyinfo",
           r"^\s+0\s+4 KiB\s+\d+\s+\d+$", r"^\s+10\s+4 MiB\s+[1-9]\d*\s+\d+$",
           r"^total: \d+ free frames \(\d+ MiB\) in \d+ blocks$")
    body = parts.get("buddyinfo", "")
    check("%s/buddyinfo-lists-agree" % tag, "!" not in body, body)
    expect("%s/memmap" % tag, parts, "memmap",
           r"^0x80000000 R{32}", r"^0x80[0-9a-f]+ [RPK.U]*P[RPK.U]*$",
           r"^legend: \. free.* 1 char = 16 frames \(64 KiB\)$")


def test_frames_starter(tree):
    tag = "lab-frames"
    out = gdb_session(tree, tag)
    parts = sections(out)
    common_checks(tag, out, parts)
    nofr = r"this tree has no struct page frame array yet \(lab frames\)$"
    expect("%s/page-says-missing" % tag, parts, "page 0x80200000",
           r"^page: " + nofr)
    expect("%s/buddyinfo-says-missing" % tag, parts, "buddyinfo",
           r"^buddyinfo: this tree has no buddy free lists yet \(lab buddy\); "
           r"the bitmap allocator has \d+ free frames")
    expect("%s/memmap-from-bitmap" % tag, parts, "memmap",
           r"^memmap: this tree has no struct page frame array yet \(lab "
           r"frames\); from the bitmap", r"^0x80000000 #{32}",
           r"^0x87[0-9a-f]+ [.#]*\.[.#]*$")


def test_buddy_starter(tree):
    tag = "lab-buddy"
    out = gdb_session(tree, tag)
    parts = sections(out)
    common_checks(tag, out, parts)
    expect("%s/buddyinfo-says-missing" % tag, parts, "buddyinfo",
           r"^buddyinfo: this tree has no buddy free lists yet \(lab buddy\); "
           r"buddy.c keeps one free list of \d+ frames")
    expect("%s/page" % tag, parts, "page 0x1000 1", r"^  use\s+user$")


def lab_tree(lab):
    """build/lab-LAB, refreshed and built by `make LAB=lab`; None if that fails."""
    r = subprocess.run(["make", "-C", ROOT, "--no-print-directory",
                        "LAB=" + lab], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        check("lab-%s/builds" % lab, False, r.stdout[-2000:])
        return None
    return os.path.join(ROOT, "build", "lab-" + lab)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel-dir", default=ROOT)
    ap.add_argument("--no-labs", action="store_true",
                    help="skip the lab starter trees")
    args = ap.parse_args()
    tree = os.path.abspath(args.kernel_dir)
    test_hwdefs(tree)
    lab = None
    if os.path.exists(os.path.join(tree, ".lab")):    # a student tree
        with open(os.path.join(tree, ".lab")) as f:
            lab = f.read().strip()
    {"frames": test_frames_starter, "buddy": test_buddy_starter}.get(
        lab, lambda t: test_complete(t, "complete"))(tree)
    labs_txt = os.path.join(ROOT, "labs", "labs.txt")
    if not args.no_labs and os.path.exists(os.path.join(ROOT, "tools", "lab.py")):
        with open(labs_txt) as f:
            labs = f.read().split()
        for name, test in (("frames", test_frames_starter),
                           ("buddy", test_buddy_starter)):
            t = lab_tree(name) if name in labs else None
            if t:
                test(t)
    passed = sum(RESULTS)
    print("%d passed, %d failed" % (passed, len(RESULTS) - passed))
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
