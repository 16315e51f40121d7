"""Reading the live kernel's memory structures from gdb-multiarch.

Everything here reads through gdb's type information, by field name, so
the commands keep working while struct page and the allocators change.
What a tree lacks (the frames starter has no frame array, the buddy
starter no buddy lists) raises Missing with a one-line message naming the
lab that adds it; the commands (kernel.py) print it instead of a
traceback.

Memory is read in QEMU's physical-memory mode (PhysMem): a hart stopped
in user mode has the user page table in satp, where kernel data is not
mapped, but all RAM is identity-mapped in the kernel page table, so a
kernel pointer to RAM is also its physical address.
"""

import re

import gdb

import hwdefs
from hwdefs import PGSIZE


class Missing(Exception):
    """The tree lacks a structure; str() says which and which lab adds it."""


NO_FRAMES = "this tree has no struct page frame array yet (lab frames)"
NO_BUDDY = "this tree has no buddy free lists yet (lab buddy)"


class PhysMem:
    """`with PhysMem():` reads physical memory through QEMU's gdb stub,
    whatever mode the stopped hart is in; the previous mode comes back
    after. Against another target it changes nothing."""

    def __init__(self):
        self.was = None

    @staticmethod
    def _packet(p):
        out = gdb.execute("maintenance packet " + p, to_string=True)
        m = re.search(r'received: "(.*)"', out)
        return m.group(1) if m else ""

    def __enter__(self):
        try:
            self.was = self._packet("qqemu.PhyMemMode")
            if self.was == "0":
                self._packet("Qqemu.PhyMemMode:1")
        except gdb.error:
            self.was = None        # not QEMU, or not connected
        return self

    def __exit__(self, *exc):
        if self.was == "0":
            try:
                self._packet("Qqemu.PhyMemMode:0")
                gdb.execute("maintenance flush dcache", to_string=True)
            except gdb.error:
                pass
        return False


def symbol(name):
    """The gdb.Value of a global or file-static variable, or None.

    A global's first match may be an `extern` declaration in another file
    (not a variable); then the others are tried."""
    finders = [gdb.lookup_global_symbol,
               getattr(gdb, "lookup_static_symbol", None),  # gdb 10 and later
               lambda n: gdb.lookup_symbol(n)[0]]
    for find in finders:
        try:
            sym = find(name) if find else None
        except gdb.error:          # no frame selected
            sym = None
        if sym is not None and sym.is_variable:
            return sym.value()
    try:
        return gdb.parse_and_eval(name)
    except gdb.error:
        return None


def need(name, why):
    v = symbol(name)
    if v is None:
        raise Missing(why)
    return v


def fields(t):
    """The field names of a struct or union type."""
    return [f.name for f in t.strip_typedefs().fields()]


def read(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def u64(addr):
    return int.from_bytes(read(addr, 8), "little")


def cstring(v):
    try:
        return v.string(length=16).split("\0")[0]
    except (gdb.error, UnicodeDecodeError):
        return "?"


class FrameArray:
    """The frame array `pages`/`npages` (kernel/mm/page.c) of a tree with
    lab frames solved. Raises Missing otherwise.

    Records are read in bulk and decoded by the offsets and sizes gdb
    gives for each field name."""

    def __init__(self):
        try:
            self.type = gdb.lookup_type("struct page")
        except gdb.error:
            raise Missing(NO_FRAMES)
        names = fields(self.type)
        if "flags" not in names:
            raise Missing(NO_FRAMES)
        pages, npages = symbol("pages"), symbol("npages")
        if pages is None or npages is None:
            raise Missing(NO_FRAMES)
        self.base = int(pages)
        self.n = int(npages)
        if self.base == 0 or self.n == 0:
            raise Missing("the frame array is not set up yet: page_init() "
                          "has not run (stop later, e.g. at usertrap)")
        self.size = self.type.sizeof
        self.ram_base = int(need("ram_base", "this tree has no ram_base"))
        self.ram_top = self.ram_base + self.n * PGSIZE
        self.layout = {}
        for f in self.type.strip_typedefs().fields():
            ft = f.type.strip_typedefs()
            signed = ft.code == gdb.TYPE_CODE_INT and \
                getattr(ft, "is_signed", ft.name and "unsigned" not in ft.name
                        and not ft.name.startswith("uint"))
            self.layout[f.name] = (f.bitpos // 8, ft.sizeof, bool(signed))

    def has(self, field):
        return field in self.layout

    def index(self, pa):
        if not self.ram_base <= pa < self.ram_top:
            return None
        return (pa - self.ram_base) // PGSIZE

    def addr(self, i):
        return self.base + i * self.size

    def value(self, i):
        """gdb.Value of pages[i]."""
        return gdb.Value(self.addr(i)).cast(self.type.pointer()).dereference()

    def records(self, first=0, count=None):
        """Yield (i, raw bytes) of records first.. in chunks."""
        count = self.n - first if count is None else count
        chunk = max(1, 65536 // self.size)
        for start in range(first, first + count, chunk):
            k = min(chunk, first + count - start)
            data = read(self.addr(start), k * self.size)
            for j in range(k):
                yield start + j, data[j * self.size:(j + 1) * self.size]

    def field(self, raw, name, default=None):
        if name not in self.layout:
            return default
        off, size, signed = self.layout[name]
        return int.from_bytes(raw[off:off + size], "little", signed=signed)

    def raw(self, i):
        return read(self.addr(i), self.size)

    def use(self, i):
        return hwdefs.page_use(self.field(self.raw(i), "flags"))

    def head_order(self, raw):
        """The buddy order of the block this frame heads, or None: the
        `order` field, or `alloc_order` for an allocated block in trees
        that keep the two apart."""
        for name in ("order", "alloc_order"):
            o = self.field(raw, name)
            if o is not None and o != hwdefs.PAGE_ORDER_NONE:
                return o
        return None

    def block_of(self, i):
        """(head index, order) of the buddy block frame i lies in, by
        looking at the aligned frames below it; None if none is found."""
        for order in range(0, hwdefs.MAX_ORDER + 1):
            pfn = (self.ram_base // PGSIZE + i) & ~((1 << order) - 1)
            h = pfn - self.ram_base // PGSIZE
            if h < 0:
                break
            o = self.head_order(self.raw(h))
            if o is not None and h + (1 << o) > i:
                return h, o
        return None


def current_hart():
    """The hart id of gdb's selected thread (QEMU numbers threads by CPU
    index from 1, and the kernel's cpus[] is indexed by hart id)."""
    t = gdb.selected_thread()
    if t is None:
        raise gdb.GdbError("no hart selected: is gdb connected to QEMU?")
    return t.ptid[1] - 1 if t.ptid[1] > 0 else t.num - 1


def procs():
    """Yield (gdb.Value of struct proc, state name) of the used slots."""
    table = need("proc", "this tree has no process table `proc`")
    lo, hi = table.type.range()
    for i in range(lo, hi + 1):
        p = table[i]
        state = str(p["state"])
        if state != "UNUSED":
            yield p, state


def harts_running():
    """{address of struct proc: hart id} for each hart that runs one."""
    cpus = symbol("cpus")
    out = {}
    if cpus is None:
        return out
    lo, hi = cpus.type.range()
    for h in range(lo, hi + 1):
        pp = int(cpus[h]["proc"])
        if pp:
            out[pp] = h
    return out


def find_proc(pid=None):
    """The struct proc of pid, or of the process on the current hart."""
    if pid is None:
        cpus = need("cpus", "this tree has no cpus[] array")
        pp = cpus[current_hart()]["proc"]
        if int(pp) == 0:
            raise gdb.GdbError("hart %d runs no process now (in the scheduler "
                               "or booting): give a PID" % current_hart())
        return pp.dereference()
    for p, _state in procs():
        if int(p["pid"]) == pid:
            return p
    raise gdb.GdbError("no process with pid %d" % pid)


def aspace(p):
    """The address space of struct proc p (gdb.Value) as (root of its page
    table, program break, regions); (0, 0, []) when it has none. Regions
    are (name, start, end, prot bits) from p->as->region[], an image region
    named text when executable, else data."""
    asp = p["as"]
    if int(asp) == 0:
        return 0, 0, []
    a = asp.dereference()
    regions = []
    for i in range(int(a["nregion"])):
        r = a["region"][i]
        name = str(r["kind"]).replace("REGION_", "").lower()
        prot = int(r["prot"])
        if name == "image":
            name = "text" if prot & (1 << 3) else "data"
        regions.append((name, int(r["start"]), int(r["end"]), prot))
    return int(a["pagetable"]), int(a["brk"]), regions


def walk(root, defs):
    """Leaves of the Sv39 tree rooted at physical address root:
    (va, pa, size, pte, kind) in increasing va, kind 'leaf' or 'swap';
    and the number of page-table pages."""
    leaves, tables = [], [0]

    def visit(table, level, va_base):
        tables[0] += 1
        data = read(table, PGSIZE)
        for idx in range(512):
            pte = int.from_bytes(data[idx * 8:idx * 8 + 8], "little")
            kind = defs.pte_kind(pte)
            if kind is None:
                continue
            va = va_base | (idx << (12 + 9 * level))
            if level == 2 and idx >= 256:    # Sv39 sign extension
                va |= ~((1 << 39) - 1) & ((1 << 64) - 1)
            if kind == "table" and level > 0:
                visit(hwdefs.pte_pa(pte), level - 1, va)
            elif kind != "table":
                size = PGSIZE << (9 * level)
                leaves.append((va, hwdefs.pte_pa(pte), size, pte, kind))

    visit(root, 2, 0)
    return leaves, tables[0]


def resident(leaves, defs):
    """User pages resident: valid leaves with PTE_U below the trapframe."""
    return sum(l[2] // PGSIZE for l in leaves
               if l[4] == "leaf" and l[3] & (1 << 4) and l[0] < defs.trapframe)


def translate(root, va):
    """(pa, pte) of a user virtual address, or (None, pte or 0)."""
    table = root
    for level in (2, 1, 0):
        idx = (va >> (12 + 9 * level)) & 0x1ff
        pte = u64(table + idx * 8)
        if not pte & hwdefs.PTE_V:
            return None, pte
        if pte & hwdefs.PTE_RWX:
            mask = (PGSIZE << (9 * level)) - 1
            return hwdefs.pte_pa(pte) | (va & mask), pte
        table = hwdefs.pte_pa(pte)
    return None, 0
