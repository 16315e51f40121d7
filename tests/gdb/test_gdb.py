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
kstep and back by ustep. The handouts' walk-throughs ("Debugging with
gdb"): frames' and buddy's commands at the first usertrap, and lazy's
and cow's sessions (a command typed at the shell, then the handout's
commands), each checked in a tree where its lab is solved. In the complete tree it does the same in the
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
from qemu import PROMPT, Qemu, QemuError, scaled  # noqa: E402

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
        with open(os.path.join(tmp, "kernel", "riscv.h"), "w") as f:
            f.write("#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))\n")
        noswap = hwdefs.TreeDefs(tmp)       # a tree before lab swap
        check("hwdefs/pte-swap-from-riscv.h",
              sw.pte_kind(swapped) == "swap"
              and sw.pte_flags(swapped) == "swap slot 42"
              and noswap.pte_kind(swapped) is None, sw.pte_flags(swapped))

    leaves = [(0, 0x1000, 4096, 0x5b, "leaf"), (4096, 0x2000, 4096, 0x5b, "leaf"),
              (8192, 0x9000, 4096, 0x5b, "leaf"), (12288, 0xa000, 4096, 0x57, "leaf")]
    runs = hwdefs.merge_runs(leaves)
    check("hwdefs/merge-runs", [(r[0], r[2]) for r in runs] ==
          [(0, 8192), (8192, 4096), (12288, 4096)], str(runs))
    check("hwdefs/page-use", hwdefs.page_use(0x12) == "INVALID"
          and hwdefs.page_use(0x10) == "user"
          and hwdefs.page_flag_names(0x50) == ["user", "unknown bits 0x40"],
          str(hwdefs.page_flag_names(0x50)))


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
# init's open() in user mode. The handouts of labs frames and buddy show
# the first stage's commands ("Debugging with gdb"), checked below in the
# trees where the lab is solved.
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
python run("page 0x80400000")
python run("page 0x80401000")
python run("memmap 64")
python run("p sizeof(struct page)")
python run("p buddy.nfree")
python run("break kfree if pa == (void*)0x87fff000")
python run("break buddy_free_locked if order > 0")
delete
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


# The walk-throughs of labs/lazy/README.md and labs/cow/README.md, in the
# complete tree with CPUS=1: the command typed at the shell's prompt
# (stopping at consoleintr stands for the handout's Ctrl-C at the prompt),
# then the handout's commands in its order.
LAZY_TYPED = "lazytest zero-page"
LAZY_SCRIPT = r'''
hbreak consoleintr
continue
delete
break fault_user if scause == 13
continue
python run("p/x va")
python run("procs")
set $pid = p->pid
python run("vmmap")
python run("page 0x8000 $pid")
break fault_lazy
continue
python run("bt")
delete
python run("frame 2")
python run("finish")
python run("page 0x8000 $pid")
python run("p/x zero_frame")
python run("pgtable")
break kalloc_as if use == 16
continue
python run("bt")
delete
python run("frame 5")
python run("finish")
python run("page 0x8000 $pid")
python run("vmmap")
'''

COW_TYPED = "echo hi"
COW_SCRIPT = r'''
hbreak consoleintr
continue
delete
break aspace_fork
continue
delete
python run("finish")
python run("p np->pid")
python run("pgtable")
python run("vmmap")
python run("page 0x5000 2")
break fault_cow
continue
delete
python run("p f->p->pid")
set $pid = f->p->pid
set $va = f->va
python run("page $va $pid")
python run("frame 2")
python run("finish")
python run("page $va $pid")
python run("page $va 2")
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


def gdb_session(tree, name, script=SCRIPT, typed=None, cpus=2):
    """Boot tree's kernel stopped, run script in gdb; returns gdb's
    output. typed: a command to type at the shell's first prompt while
    gdb runs (the script's breakpoints then stop in it)."""
    with tempfile.TemporaryDirectory() as tmp:
        with Qemu(cpus=cpus, gdb=True, extra_args=["-S"],
                  kernel=os.path.join(tree, "kernel", "kernel"),
                  fsimg=os.path.join(tree, "fs.img"),
                  log=os.path.join(tmp, "console.log")) as q:
            with open(os.path.join(tree, ".gdbinit.tmpl")) as f:
                init = f.read().replace(":1234", ":%d" % q.gdb_port)
            paths = []
            for n, text in (("init.gdb", init), ("prelude.gdb", PRELUDE),
                            ("script.gdb", script)):
                paths.append(os.path.join(tmp, n))
                with open(paths[-1], "w") as f:
                    f.write(text)
            cmd = ["gdb-multiarch", "-batch", "-nx"]
            for p in paths:
                cmd += ["-x", p]
            gdb = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
            try:
                if typed:
                    q.expect(PROMPT, timeout=scaled(60))
                    q.send(typed)
                out = gdb.communicate(timeout=scaled(120))[0]
            except (subprocess.TimeoutExpired, QemuError) as e:
                gdb.kill()
                out = gdb.communicate()[0] + "\n(gdb timed out: %s)\n" % e
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
    # labs/buddy/README.md, "Debugging with gdb"
    expect("%s/handout-buddy-page-head" % tag, parts, "page 0x80400000",
           r"^  order\s+10$", r"^  block\s+order 10 \(1024 frames\) at "
           r"0x80400000, headed by this frame$")
    expect("%s/handout-buddy-page-inside" % tag, parts, "page 0x80401000",
           r"^  order\s+none \(0xff\)$",
           r"^  block\s+order 10 \(1024 frames\) at 0x80400000$")
    expect("%s/handout-buddy-nfree" % tag, parts, "p buddy.nfree",
           r"^\$\d+ = \{\d+(, \d+){9}, [1-9]\d*\}$")
    expect("%s/handout-buddy-break" % tag, parts,
           "break buddy_free_locked if order > 0",
           r"^Breakpoint \d+ at 0x8[0-9a-f]+: file kernel/mm/buddy.c")


def walkthrough(tree, tag, script, typed):
    """A handout's session on one hart; {command: output}."""
    out = gdb_session(tree, tag, script, typed, cpus=1)
    check("%s/no-python-traceback" % tag, "Traceback" not in out, out[-2000:])
    return sections(out)


def test_lazy_walkthrough(tree):
    tag = "handout-lazy"
    parts = walkthrough(tree, tag, LAZY_SCRIPT, LAZY_TYPED)
    expect("%s/stopped-at-load-fault" % tag, parts, "p/x va", r"^\$\d+ = 0x8fff$")
    expect("%s/procs" % tag, parts, "procs", r"^\s+\d+\s+running\s+0\s+lazytest")
    expect("%s/vmmap-heap-empty" % tag, parts, "vmmap",
           r"^  heap\s+0x0000008000-\S+\s+16\s+0\s+0\s")
    expect("%s/page-hole" % tag, parts, "page 0x8000 $pid",
           r"^va 0x8000 of pid \d+ is not resident \(PTE 0x0: none\)$")
    expect("%s/fault-lazy-bt" % tag, parts, "bt", r"^#2 .* in fault_user ")
    zero = expect("%s/zero-frame-mapped" % tag, parts, "page 0x8000 $pid#2",
                  r"^va 0x8000 of pid \d+ -> pa (0x[0-9a-f]+) \(PTE R--U")
    expect("%s/zero-frame-is-it" % tag, parts, "p/x zero_frame",
           r"^\$\d+ = %s$" % (zero.group(1) if zero else "none"))
    expect("%s/pgtable-new-leaf" % tag, parts, "pgtable",
           r"^  0x0000008000-0x0000008fff\s+1\s+\S+\s+R--U")
    expect("%s/kalloc-from-fault" % tag, parts, "bt#2",
           r"^#\d+ .* in fault_user .*scause=(scause@entry=)?15,")
    expect("%s/fresh-frame" % tag, parts, "page 0x8000 $pid#3",
           r"^va 0x8000 of pid \d+ -> pa 0x[0-9a-f]+ \(PTE RW-U", r"^  refcount\s+1$")
    expect("%s/vmmap-zero-pages" % tag, parts, "vmmap#2",
           r"^  heap\s+0x0000008000-\S+\s+16\s+16\s+15\s")


def test_cow_walkthrough(tree):
    tag = "handout-cow"
    parts = walkthrough(tree, tag, COW_SCRIPT, COW_TYPED)
    expect("%s/finish-in-fork" % tag, parts, "finish", r"in fork \(\)")
    expect("%s/child-pid" % tag, parts, "p np->pid", r"^\$\d+ = 3$")
    expect("%s/parent-cow" % tag, parts, "pgtable", r"^pid 2 \(sh\)",
           r"^  0x0000003000-0x0000007fff\s+5\s+\S+\s+R--U--- COW$")
    expect("%s/vmmap-shared" % tag, parts, "vmmap",
           r"^  data\s+0x0000002000-\S+\s+9\s+9\s+0\s+9\s")
    expect("%s/page-shared" % tag, parts, "page 0x5000 2",
           r"\(PTE R--U--- COW\)$", r"^  refcount\s+2$")
    expect("%s/writer-before" % tag, parts, "page $va $pid",
           r"COW\)$", r"^  refcount\s+2$")
    expect("%s/writer-copy" % tag, parts, "page $va $pid#2",
           r"\(PTE RW-U", r"^  refcount\s+1$")
    expect("%s/parent-old-frame" % tag, parts, "page $va 2",
           r"^va 0x[0-9a-f]+ of pid 2 -> .*COW\)$", r"^  refcount\s+1$")


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
    # labs/frames/README.md, "Debugging with gdb": lab frames is solved here
    expect("%s/handout-frames-page-reserved" % tag, parts, "page 0x80200000",
           r"^  use\s+reserved$", r"^  links\s+none: not on a list$")
    expect("%s/handout-frames-page-free" % tag, parts, "page 0x80400000",
           r"^  use\s+free$", r"^  refcount\s+0$",
           r"^  free list\s+next frame 0x8[0-9a-f]+, prev frame 0x8[0-9a-f]+$")
    expect("%s/handout-frames-memmap-64" % tag, parts, "memmap 64",
           r"^0x80000000 R+\.", r"^legend: .* 1 char = 64 frames \(256 KiB\)$")
    expect("%s/handout-frames-sizeof" % tag, parts, "p sizeof(struct page)",
           r"^\$\d+ = (8|16|24|32)$")
    expect("%s/handout-frames-break" % tag, parts,
           "break kfree if pa == (void*)0x87fff000",
           r"^Breakpoint \d+ at 0x8[0-9a-f]+: file kernel/mm/kalloc.c")


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
    if lab is None:
        test_lazy_walkthrough(tree)
        test_cow_walkthrough(tree)
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
