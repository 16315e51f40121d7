"""What the gdb commands know about the kernel's bits, without gdb.

gdb's type information gives the kernel's structures by name, but not its
#defines (the kernel is built without macro debug info). This module holds
the bits the commands decode and reads the rest from the tree's headers:

- PAGE_FLAGS: the PG_* bits of struct page's flags (kernel/mm/page.h). A
  table here, kept in sync with page.h by tests/gdb/test_hwdefs.py.
- PTE bits: the hardware bits are fixed by the RISC-V privileged spec;
  the software ones (PTE_COW, PTE_SWAP of the cow and swap labs) are read
  from kernel/riscv.h when the tree defines them, so a tree without them
  shows none.
- Numbers the commands need (MAXVA, USERSTACK, SYS_* names) are read from
  the headers too, with xv6's values when a header is missing.

Pure Python: tests import it on the host; tools/gdb/kernel.py uses it
inside gdb-multiarch.
"""

import ast
import os
import re

PGSIZE = 4096
PGSHIFT = 12

# struct page flags: (name, bit, short word for listings, is a use bit).
# Exactly one use bit is set on a frame; the others are state bits.
PAGE_FLAGS = [
    ("PG_RESERVED", 1 << 0, "reserved", True),
    ("PG_FREE", 1 << 1, "free", True),
    ("PG_KERNEL", 1 << 2, "kernel", True),
    ("PG_PAGETABLE", 1 << 3, "page-table", True),
    ("PG_USER", 1 << 4, "user", True),
]
# Reclaim state of a user frame (lab swap): struct page's lru field.
PAGE_LRU_BITS = [("on the LRU list", 1 << 0), ("isolated by a reclaimer", 1 << 1)]
PAGE_ORDER_NONE = 0xff
MAX_ORDER = 10

# Hardware PTE bits (Sv39), in the order listings spell them.
PTE_HW = [("R", 1 << 1), ("W", 1 << 2), ("X", 1 << 3), ("U", 1 << 4),
          ("G", 1 << 5), ("A", 1 << 6), ("D", 1 << 7)]
PTE_V = 1 << 0
PTE_RWX = (1 << 1) | (1 << 2) | (1 << 3)

# One character per use in memory maps, as the memmap() system call draws
# them (kernel/memstat.h).
MAP_CHARS = {"free": ".", "kernel": "K", "page-table": "P", "user": "U",
             "reserved": "R", "used": "#", "none": "?"}

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)\s+(.+?)\s*(?://.*|/\*.*)?$")


def _c_int(expr, known):
    """The value of a C integer constant expression, or None.

    Handles what these headers use: decimal and hex literals with L/U
    suffixes, (), <<, >>, |, &, +, -, *, ~ and names defined earlier."""
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.Name) and n.id in known:
            return known[n.id]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.Invert, ast.USub)):
            v = ev(n.operand)
            return ~v if isinstance(n.op, ast.Invert) else -v
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            ops = {ast.LShift: lambda: a << b, ast.RShift: lambda: a >> b,
                   ast.BitOr: lambda: a | b, ast.BitAnd: lambda: a & b,
                   ast.Add: lambda: a + b, ast.Sub: lambda: a - b,
                   ast.Mult: lambda: a * b}
            if type(n.op) in ops:
                return ops[type(n.op)]()
        raise ValueError("not a constant")
    try:
        return ev(tree)
    except (ValueError, TypeError, RecursionError):
        return None


def header_defines(path, known=None):
    """{NAME: int} of the object-like #defines of a header whose value is a
    constant expression; {} when the file is missing."""
    out = dict(known or {})
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except OSError:
        return {}
    for line in lines:
        m = _DEFINE.match(line)
        if m and "(" not in m.group(1):
            v = _c_int(m.group(2), out)
            if v is not None:
                out[m.group(1)] = v
    return out


class TreeDefs:
    """The numbers of one kernel tree, read from its headers.

    root: the tree's top directory (it holds kernel/riscv.h)."""

    def __init__(self, root):
        self.root = root
        k = os.path.join(root, "kernel")
        riscv = header_defines(os.path.join(k, "riscv.h"))
        param = header_defines(os.path.join(k, "param.h"))
        sysc = header_defines(os.path.join(k, "syscall.h"))
        self.maxva = riscv.get("MAXVA", 1 << 38)
        self.trampoline = self.maxva - PGSIZE
        self.trapframe = self.trampoline - PGSIZE
        self.userstack = param.get("USERSTACK", 1)
        self.nproc = param.get("NPROC", 64)
        # Software PTE bits: only those this tree defines.
        self.pte_sw = [(name[4:], riscv[name])
                       for name in ("PTE_COW", "PTE_SWAP") if name in riscv]
        self.syscalls = {v: n[4:] for n, v in sysc.items()
                         if n.startswith("SYS_")}

    @property
    def pte_swap(self):
        return dict(self.pte_sw).get("SWAP")

    def pte_kind(self, pte):
        """'leaf', 'table', 'swap' or None (nothing there) for a PTE."""
        if pte & PTE_V:
            return "leaf" if pte & PTE_RWX else "table"
        swap = self.pte_swap
        if swap is not None and pte & swap:
            return "swap"
        return None

    def pte_flags(self, pte):
        """A PTE's flags spelled out, for example 'RWXU-AD' or
        'R-XU-A- COW'; a swapped-out PTE gives 'swap slot N'."""
        if self.pte_kind(pte) == "swap":
            return "swap slot %d" % swap_slot(pte)
        s = "".join(c if pte & bit else "-" for c, bit in PTE_HW)
        for name, bit in self.pte_sw:
            if pte & bit:
                s += " " + name
        return s


def pte_pa(pte):
    """The physical address in a PTE's PPN bits."""
    return ((pte >> 10) & ((1 << 44) - 1)) << PGSHIFT


def swap_slot(pte):
    """The swap slot a swapped-out PTE holds in its PPN bits."""
    return (pte >> 10) & ((1 << 44) - 1)


def page_flag_names(flags):
    """The words of the PG_* bits set in flags, plus any unknown bits."""
    words, rest = [], flags
    for _name, bit, word, _use in PAGE_FLAGS:
        if flags & bit:
            words.append(word)
            rest &= ~bit
    if rest:
        words.append("unknown bits 0x%x" % rest)
    return words or ["none"]


def page_use(flags):
    """The use word of a frame's flags: one of free, kernel, page-table,
    user, reserved; 'none' before the allocator gave it one; 'INVALID'
    when several use bits are set."""
    uses = [word for _n, bit, word, use in PAGE_FLAGS if use and flags & bit]
    if len(uses) > 1:
        return "INVALID"
    return uses[0] if uses else "none"


def merge_runs(leaves):
    """Merge leaf mappings into runs.

    leaves: (va, pa, size, pte, kind) in increasing va. A run grows while
    the next leaf continues it in va, in pa (for resident leaves) and has
    the same flags. Returns [(va, pa, nbytes, pte, kind)]."""
    runs = []
    for va, pa, size, pte, kind in leaves:
        if runs:
            rva, rpa, n, rpte, rkind = runs[-1]
            same = rkind == kind and (rpte & 0x3ff) == (pte & 0x3ff)
            if same and va == rva + n and pa == rpa + n:
                runs[-1] = (rva, rpa, n + size, rpte, rkind)
                continue
        runs.append((va, pa, size, pte, kind))
    return runs


def majority_char(uses):
    """The memmap character for a group of frames: the most common use
    among them (ties go to the first in MAP_CHARS order)."""
    order = list(MAP_CHARS)
    best = max(order, key=lambda u: (uses.count(u), -order.index(u)))
    return MAP_CHARS[best]
