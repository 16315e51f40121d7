"""gdb-multiarch commands that show the live kernel's memory.

.gdbinit (from .gdbinit.tmpl) sources this file. `help kernel` lists the
commands; each has its own `help`. They read the kernel through gdb alone,
with no help from the kernel, wherever it is stopped (in user mode too):

  procs              the process table
  pgtable [PID]      a process's Sv39 page table (default: this hart's)
  vmmap [PID]        its regions and how many of their pages are where
  page ADDR [PID]    the struct page of a physical address (or of a user
                     virtual address of process PID)
  buddyinfo          the buddy allocator's free lists
  memmap [GROUP]     a map of physical memory, one character per GROUP frames
  kstep / ustep      follow a process into the kernel at its next system
                     call, and back out to the user instruction after it
  user PROG          load the symbols of user program PROG

In a lab tree that lacks a structure a command says so in one line.
labs/gdb.md shows them at work.
"""

import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hwdefs  # noqa: E402
import kmem  # noqa: E402
from hwdefs import PGSIZE  # noqa: E402
from kmem import Missing, PhysMem  # noqa: E402


def tree_root():
    """The tree the kernel was built in: two levels above kernel/kernel."""
    for obj in gdb.objfiles():
        name = obj.filename or ""
        if name.endswith(os.path.join("kernel", "kernel")):
            return os.path.dirname(os.path.dirname(name))
    return os.getcwd()


def defs():
    return hwdefs.TreeDefs(tree_root())


class KernelCommand(gdb.Command):
    """Base: parses arguments, reads memory in physical mode, and turns
    a missing structure into one line of output and any other failure
    into one gdb error line (never a Python traceback)."""

    physical = True

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA)
        self.name = name

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        try:
            if self.physical:
                with PhysMem():
                    self.run(argv)
            else:
                self.run(argv)
        except Missing as e:
            print("%s: %s" % (self.name, e))
        except gdb.GdbError as e:
            if str(e).startswith(self.name + ":"):
                raise
            raise gdb.GdbError("%s: %s" % (self.name, e))
        except gdb.MemoryError as e:
            raise gdb.GdbError("%s: cannot read kernel memory: %s"
                               % (self.name, e))
        except (gdb.error, ValueError, KeyError) as e:
            raise gdb.GdbError("%s: %s" % (self.name, e))

    def number(self, s, what):
        try:
            return int(gdb.parse_and_eval(s))
        except gdb.error:
            raise gdb.GdbError("%s: %s is not a %s" % (self.name, s, what))


def kib(nbytes):
    return "%d KiB" % (nbytes // 1024) if nbytes < 1 << 20 else \
        "%d MiB" % (nbytes >> 20)


class Procs(KernelCommand):
    """The process table: procs

One line per used slot of proc[]: pid, state, the hart running it (-: none),
name, size of user memory (the program break), resident user pages and
page-table pages (both counted by walking its page table)."""

    def __init__(self):
        super().__init__("procs")

    def run(self, argv):
        d = defs()
        running = kmem.harts_running()
        print("%4s  %-9s %4s  %-15s %9s %9s %9s" % (
            "pid", "state", "hart", "name", "size", "resident", "pt-pages"))
        for p, state in kmem.procs():
            hart = running.get(int(p.address))
            root, brk, _ = kmem.aspace(p)
            res = tables = "-"
            if root:
                leaves, tables = kmem.walk(root, d)
                res = kmem.resident(leaves, d)
            print("%4d  %-9s %4s  %-15s %9d %9s %9s" % (
                int(p["pid"]), state.lower(),
                "-" if hart is None else hart, kmem.cstring(p["name"]),
                brk, res, tables))


def proc_arg(cmd, argv, pos=0):
    """The struct proc named by argv[pos] (a pid), or the current one."""
    pid = cmd.number(argv[pos], "pid") if len(argv) > pos else None
    return kmem.find_proc(pid)


class Pgtable(KernelCommand):
    """A process's page table: pgtable [PID | kernel]

Walks the Sv39 tree from p->as->pagetable (default: the process on the
selected hart) and prints one line per run of leaves that continue each
other in virtual and physical address with the same flags: the virtual
range, the number of pages, the physical range, and the flags spelled out
(R W X U G A D, a dash for a clear bit; COW and `swap slot N` where the
tree defines PTE_COW / PTE_SWAP in kernel/riscv.h). `pgtable kernel`
shows the kernel's own table."""

    def __init__(self):
        super().__init__("pgtable")

    def run(self, argv):
        d = defs()
        if argv and argv[0] == "kernel":
            root = int(kmem.need("kernel_pagetable",
                                 "this tree has no kernel_pagetable"))
            title = "kernel"
        else:
            p = proc_arg(self, argv)
            root = kmem.aspace(p)[0]
            title = "pid %d (%s)" % (int(p["pid"]), kmem.cstring(p["name"]))
        if root == 0:
            print("%s has no page table" % title)
            return
        leaves, tables = kmem.walk(root, d)
        runs = hwdefs.merge_runs(leaves)
        print("%s: page table at 0x%x, %d page-table pages, %d leaves" % (
            title, root, tables, len(leaves)))
        print("  %-25s %6s  %-25s  %s" % ("virtual", "pages", "physical",
                                          "flags"))
        for va, pa, size, pte, kind in runs:
            phys = "-" if kind == "swap" else \
                "0x%010x-0x%010x" % (pa, pa + size - 1)
            print("  0x%010x-0x%010x %6d  %-25s  %s" % (
                va, va + size - 1, size // PGSIZE, phys, d.pte_flags(pte)))


class Vmmap(KernelCommand):
    """A process's regions: vmmap [PID]

Lists the regions of the process's address space (p->as->region[]: text
and data from the program, guard page, stack, heap up to the program
break; mm/aspace.h), then the trapframe and trampoline, and counts in each
the pages that are resident (a valid PTE), on the shared zero page (when
the tree has one), shared (the frame's refcount is above 1, or the PTE is
COW) and swapped out."""

    def __init__(self):
        super().__init__("vmmap")

    def run(self, argv):
        d = defs()
        p = proc_arg(self, argv)
        root, brk, regions = kmem.aspace(p)
        leaves, _ = kmem.walk(root, d) if root else ([], 0)
        try:
            frames = kmem.FrameArray()
        except Missing as e:
            frames, why = None, str(e)
        zero = None
        for name in ("zero_page", "zeropage", "zero_frame"):
            v = kmem.symbol(name)
            if v is not None:
                zero = int(v.address) if v.type.code == gdb.TYPE_CODE_ARRAY \
                    else int(v)
        print("pid %d (%s): size %d (0x%x)" % (
            int(p["pid"]), kmem.cstring(p["name"]), brk, brk))
        print("  %-10s %-25s %6s %9s %5s %7s %8s" % (
            "region", "virtual", "pages", "resident", "zero", "shared",
            "swapped"))
        rows = [(name, lo, hi) for name, lo, hi, _prot in regions] + [
            ("trapframe", d.trapframe, d.trapframe + PGSIZE),
            ("trampoline", d.trampoline, d.trampoline + PGSIZE)]
        for name, lo, hi in rows:
            mine = [l for l in leaves if lo <= l[0] < hi]
            res = [l for l in mine if l[4] == "leaf"]
            swapped = len(mine) - len(res)
            zeros = "-" if zero is None else \
                sum(1 for l in res if l[1] == zero)
            shared = "-"
            if frames is not None and frames.has("refcount"):
                shared = 0
                for l in res:
                    i = frames.index(l[1])
                    cow = "COW" in d.pte_flags(l[3])
                    if cow or (i is not None and frames.field(
                            frames.raw(i), "refcount") > 1):
                        shared += 1
            print("  %-10s 0x%010x-0x%010x %6d %9d %5s %7s %8d" % (
                name, lo, hi - 1 if hi > lo else lo, (hi - lo) // PGSIZE,
                len(res), zeros, shared, swapped))
        if frames is None:
            print("  (shared: -, %s)" % why)


class Page(KernelCommand):
    """The struct page of a frame: page ADDR [PID]

ADDR is a physical address (any byte of the frame), or with PID a user
virtual address of that process, translated through its page table. Prints
every field of the record by name, decoded: the use and state bits, the
reference count, the buddy order (and the block the frame belongs to),
where the list links point, and the arms of the union (reverse map, swap
slot), as far as this tree's struct page has them."""

    def __init__(self):
        super().__init__("page")

    def run(self, argv):
        if not argv or len(argv) > 2:
            raise gdb.GdbError("usage: page ADDR [PID]")
        addr = self.number(argv[0], "address")
        if len(argv) == 2:
            p = proc_arg(self, argv, 1)
            pa, pte = kmem.translate(kmem.aspace(p)[0], addr)
            if pa is None:
                print("va 0x%x of pid %d is not resident (PTE 0x%x: %s)" % (
                    addr, int(p["pid"]), pte, defs().pte_flags(pte)
                    if pte else "none"))
                return
            print("va 0x%x of pid %d -> pa 0x%x (PTE %s)" % (
                addr, int(p["pid"]), pa, defs().pte_flags(pte)))
            addr = pa
        frames = kmem.FrameArray()
        i = frames.index(addr)
        if i is None:
            raise gdb.GdbError("0x%x is not in RAM [0x%x, 0x%x)" % (
                addr, frames.ram_base, frames.ram_top))
        self.show(frames, i)

    def show(self, frames, i):
        raw = frames.raw(i)
        pa = frames.ram_base + i * PGSIZE
        flags = frames.field(raw, "flags")
        print("frame 0x%x: pages[%d] at 0x%x" % (pa, i, frames.addr(i)))
        print("  flags       0x%04x  %s" % (
            flags, ", ".join(hwdefs.page_flag_names(flags))))
        print("  use         %s" % hwdefs.page_use(flags))
        if frames.has("refcount"):
            print("  refcount    %d" % frames.field(raw, "refcount"))
        if frames.has("lru"):
            bits = frames.field(raw, "lru")
            print("  lru         0x%x  %s" % (bits, ", ".join(
                w for w, b in hwdefs.PAGE_LRU_BITS if bits & b) or "none"))
        for name in ("order", "alloc_order"):
            if frames.has(name):
                o = frames.field(raw, name)
                print("  %-11s %s" % (name, "none (0x%x)" % o
                                     if o == hwdefs.PAGE_ORDER_NONE else o))
        blk = frames.block_of(i)
        if blk is not None:
            h, o = blk
            print("  block       order %d (%d frame%s) at 0x%x%s" % (
                o, 1 << o, "" if o == 0 else "s", frames.ram_base + h * PGSIZE,
                ", headed by this frame" if h == i else ""))
        if frames.has("next"):
            what = "free list" if hwdefs.page_use(flags) == "free" else \
                "LRU list" if hwdefs.page_use(flags) == "user" else "list"
            nxt, prev = frames.field(raw, "next"), frames.field(raw, "prev")
            if nxt == 0 and prev == 0:
                print("  %-11s none: not on a list" % "links")
            else:
                print("  %-11s next %s, prev %s" % (
                    what, link_name(frames, nxt), link_name(frames, prev)))
        if frames.has("u"):
            self.show_union(frames.value(i)["u"])

    @staticmethod
    def show_union(u):
        arms = []
        for f in u.type.strip_typedefs().fields():
            v = u[f.name]
            t = f.type.strip_typedefs()
            text = "0x%x" % int(v) if t.code in (
                gdb.TYPE_CODE_INT, gdb.TYPE_CODE_PTR) else str(v)
            if t.code == gdb.TYPE_CODE_PTR and int(v):
                target = str(t.target().strip_typedefs())
                if "proc" in target:
                    text += " (pid %d)" % int(v.dereference()["pid"])
                elif f.name == "pte":
                    pte = kmem.u64(int(v))
                    text += " (PTE 0x%x: %s)" % (pte, defs().pte_flags(pte))
            arms.append("%s %s" % (f.name, text))
        print("  u           " + "; ".join(arms))


def link_name(frames, ptr):
    """A list pointer in words: a frame, a list head, or none."""
    if ptr == 0:
        return "none"
    if frames.base <= ptr < frames.base + frames.n * frames.size:
        return "frame 0x%x" % (frames.ram_base + (ptr - frames.base)
                               // frames.size * PGSIZE)
    buddy = kmem.symbol("buddy")
    if buddy is not None and "free" in kmem.fields(buddy.type):
        lists = buddy["free"]
        for k in range(lists.type.range()[1] + 1):
            if int(lists[k].address) == ptr:
                return "head of free list %d" % k
    lru = kmem.symbol("lru")
    if lru is not None and "head" in kmem.fields(lru.type) \
            and int(lru["head"].address) == ptr:
        return "head of the LRU list"
    return "0x%x (a list head)" % ptr


class Buddyinfo(KernelCommand):
    """The buddy allocator's free lists: buddyinfo

One line per order: block size, free blocks (buddy.nfree[k]) and the
frames they hold; each list is walked to check that it holds as many
records as its count says."""

    def __init__(self):
        super().__init__("buddyinfo")

    def run(self, argv):
        buddy = kmem.symbol("buddy")
        if buddy is None or "free" not in kmem.fields(buddy.type) \
                or buddy["free"].type.strip_typedefs().code != gdb.TYPE_CODE_ARRAY:
            raise Missing(NO_BUDDY_WHY())
        frames = kmem.FrameArray()
        nextoff = frames.layout["next"][0]
        lists, counts = buddy["free"], buddy["nfree"]
        print("%5s %8s %12s %12s" % ("order", "block", "free blocks",
                                     "free frames"))
        total = blocks = 0
        for k in range(lists.type.range()[1] + 1):
            n = int(counts[k])
            print("%5d %8s %12d %12d" % (k, kib(PGSIZE << k), n, n << k))
            total += n << k
            blocks += n
            walked = walk_list(int(lists[k].address), nextoff, n + 1)
            if walked != n:
                print("      ! list %d holds %s records but nfree[%d] is %d"
                      % (k, walked, k, n))
        print("total: %d free frames (%s) in %d blocks" % (
            total, kib(total * PGSIZE), blocks))


def walk_list(head, nextoff, limit):
    """Records on the circular list at head, counting to at most limit
    (so a corrupt list cannot loop); 'more than LIMIT-1' past it."""
    n, cur = 0, kmem.u64(head + nextoff)
    while cur != head and cur != 0:
        n += 1
        if n >= limit:
            return "more than %d" % (limit - 1)
        cur = kmem.u64(cur + nextoff)
    return n


def NO_BUDDY_WHY():
    """The missing-buddy message, with what the tree's allocator has."""
    buddy = kmem.symbol("buddy")
    if buddy is not None and "free" in kmem.fields(buddy.type):
        return kmem.NO_BUDDY + "; buddy.c keeps one free list of %s frames" \
            % walk_list(int(buddy["free"].address),
                        kmem.FrameArray().layout["next"][0], 1 << 20)
    kmem_v = kmem.symbol("kmem")
    names = kmem.fields(kmem_v.type) if kmem_v is not None else []
    if "nfree" in names:
        return kmem.NO_BUDDY + "; the bitmap allocator has %d free frames" \
            % int(kmem_v["nfree"])
    if "free" in names:
        return kmem.NO_BUDDY + "; kalloc.c keeps one free list of %s frames" \
            % walk_list(int(kmem_v["free"].address),
                        kmem.FrameArray().layout["next"][0], 1 << 16)
    return kmem.NO_BUDDY


class Memmap(KernelCommand):
    """A map of physical memory: memmap [GROUP]

One character per GROUP frames (default: as many as keep the map within
32 lines of 64), the use most of them are put to, read from the frame
array: . free, K kernel, P page table, U user, R reserved. Each line
starts with the physical address of its first frame. In a tree with the
bitmap allocator it shows what the bitmap knows: . free, # used."""

    def __init__(self):
        super().__init__("memmap")

    def run(self, argv):
        group = self.number(argv[0], "number") if argv else None
        try:
            frames = kmem.FrameArray()
        except Missing as e:
            uses, base = self.bitmap(e)
        else:
            base = frames.ram_base
            uses = [hwdefs.page_use(frames.field(raw, "flags"))
                    for _i, raw in frames.records()]
        if group is None:
            group = 1
            while (len(uses) + group - 1) // group > 64 * 32:
                group *= 2
        chars = "".join(hwdefs.majority_char(uses[i:i + group])
                        for i in range(0, len(uses), group))
        for line in range(0, len(chars), 64):
            print("0x%x %s" % (base + line * group * PGSIZE,
                               chars[line:line + 64]))
        print("legend: . free, K kernel, P page table, U user, R reserved, "
              "# in use; 1 char = %d frame%s (%s)" % (
                  group, "" if group == 1 else "s", kib(group * PGSIZE)))

    @staticmethod
    def bitmap(missing):
        """Frame uses from the starter's bitmap (kmem.bits: 1 = free)."""
        k = kmem.symbol("kmem")
        if k is None or "bits" not in kmem.fields(k.type):
            raise missing
        n = int(k["nframes"])
        data = kmem.read(int(k["bits"]), (n + 7) // 8)
        print("memmap: %s; from the bitmap: . free, # used"
              % missing)
        uses = ["free" if data[i // 8] >> (i % 8) & 1 else "used"
                for i in range(n)]
        return uses, int(kmem.need("ram_base", "no ram_base"))


class PidBreakpoint(gdb.Breakpoint):
    """A hardware breakpoint that stops only when the hart that reaches it
    runs process pid (hardware: it needs no write to memory that the
    stopped hart may not have mapped)."""

    def __init__(self, spec, pid):
        super().__init__(spec, type=gdb.BP_HARDWARE_BREAKPOINT,
                         internal=True)
        self.pid = pid

    def stop(self):
        try:
            return int(kmem.find_proc()["pid"]) == self.pid
        except (gdb.error, gdb.GdbError):
            return False


def run_until(bp):
    """Continue until bp is hit (or the program stops otherwise); True if
    it was bp. Always deletes bp."""
    try:
        gdb.execute("continue")
        return bp.is_valid() and bp.hit_count > 0
    finally:
        if bp.is_valid():
            bp.delete()


def this_pid():
    with PhysMem():
        p = kmem.find_proc()
        return int(p["pid"]), kmem.cstring(p["name"])


class Kstep(KernelCommand):
    """Follow this hart's process into the kernel: kstep

Stopped in a user program (at its ecall, say), runs until the same
process enters syscall() in the kernel, on whichever hart, and prints the
system call it asks for. Then `next`/`step` walk the kernel's code, and
`ustep` goes back to user mode."""

    physical = False

    def __init__(self):
        super().__init__("kstep")

    def run(self, argv):
        pid, name = this_pid()
        if not run_until(PidBreakpoint("syscall", pid)):
            print("kstep: stopped elsewhere before pid %d reached syscall()"
                  % pid)
            return
        with PhysMem():
            tf = kmem.find_proc()["trapframe"].dereference()
            num = int(tf["a7"])
            call = defs().syscalls.get(num, "?")
            print("pid %d (%s) in syscall() on hart %d: %s (a7 = %d), "
                  "a0 = 0x%x, a1 = 0x%x, user pc after it 0x%x" % (
                      pid, name, kmem.current_hart(), call, num,
                      int(tf["a0"]), int(tf["a1"]), int(tf["epc"])))


class Ustep(KernelCommand):
    """Follow this hart's process back to user mode: ustep

Stopped in the kernel while it works for a process (after kstep, or at
usertrap), runs until that process returns to user mode and stops at the
user instruction it resumes (after an ecall, the one following it), and
prints the system call's return value (a0). Load the program's symbols
(`user PROG`) to see where that is."""

    physical = False

    def __init__(self):
        super().__init__("ustep")

    def run(self, argv):
        pid, name = this_pid()
        if not run_until(PidBreakpoint("usertrapret", pid)):
            print("ustep: stopped elsewhere before pid %d left the kernel"
                  % pid)
            return
        with PhysMem():
            epc = int(kmem.find_proc()["trapframe"]["epc"])
        # Not tied to this hart: a timer interrupt right after sret may
        # move the process to another hart before it runs epc. Other
        # processes reaching the same address are let go.
        bp = gdb.Breakpoint("*0x%x" % epc, type=gdb.BP_HARDWARE_BREAKPOINT,
                            internal=True)
        try:
            for _try in range(1000):
                hits = bp.hit_count
                gdb.execute("continue")
                if not bp.is_valid() or bp.hit_count == hits:
                    print("ustep: stopped elsewhere before pid %d reached "
                          "0x%x" % (pid, epc))
                    return
                with PhysMem():
                    if int(kmem.find_proc()["pid"]) == pid:
                        break
            else:
                print("ustep: pid %d did not reach 0x%x" % (pid, epc))
                return
        finally:
            if bp.is_valid():
                bp.delete()
        a0 = int(gdb.parse_and_eval("$a0")) & ((1 << 64) - 1)
        print("pid %d (%s) back in user mode on hart %d at pc 0x%x, a0 = %d"
              % (pid, name, kmem.current_hart(), epc, a0 - (1 << 64)
                 if a0 >> 63 else a0))


class UserProgram(gdb.Command):
    """Load the symbols of user program PROG: user PROG

Reads user/_PROG (build it first: make user/_PROG). User programs are
linked at address 0, so `break PROG.c:main` afterwards stops in PROG's main
in whichever process runs it (use hbreak when the hart may be in the
kernel). Loading another program drops the previous one."""

    def __init__(self):
        super().__init__("user", gdb.COMMAND_FILES)
        self.loaded = None

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 1:
            raise gdb.GdbError("usage: user PROG   (for example: user sh)")
        name = argv[0]
        if "/" not in name:
            name = os.path.join("user", "_" + name.lstrip("_"))
        if not os.path.isfile(name):
            raise gdb.GdbError("%s not found: run `make %s` first" % (name, name))
        if self.loaded is not None:
            try:
                gdb.execute("remove-symbol-file " + self.loaded)
            except gdb.error:
                pass    # already removed by hand
            self.loaded = None
        gdb.execute("add-symbol-file " + name)
        self.loaded = name

    def complete(self, text, word):
        try:
            names = os.listdir("user")
        except OSError:
            return []
        progs = sorted(n[1:] for n in names
                       if n.startswith("_") and "." not in n)
        return [p for p in progs if p.startswith(word or "")]


class KernelHelp(gdb.Command):
    __doc__ = __doc__

    def __init__(self):
        super().__init__("kernel", gdb.COMMAND_DATA, prefix=True)


KernelHelp()
for cls in (Procs, Pgtable, Vmmap, Page, Buddyinfo, Memmap, Kstep, Ustep,
            UserProgram):
    cls()
