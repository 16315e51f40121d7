"""The kernel's own diagnosis, for grader failure messages.

When a test fails, the student needs what the kernel said about it, not
the last screen of console output: the check lines it printed
(`kalloc_check: ...`, `buddy_check: ...`), a self-test's announcement or
FAIL line, an assertion, the panic message, and the backtrace with each
return address resolved to a function and a source line. diagnosis()
picks those lines out of a transcript; gradelib adds them under a
failure as "the kernel said:".

Addresses are resolved with riscv64-unknown-elf-addr2line on the graded
tree's kernel/kernel, or else to the nearest symbol of kernel/kernel.sym.
Python 3 standard library only; no state, so threads may share it.
"""

import bisect
import os
import re
import shutil
import subprocess

from qemu import kernel_output

ADDR2LINE = "riscv64-unknown-elf-addr2line"
MAX_LINES = 24          # at most this many lines of diagnosis

# A test's result line: `selftest: NAME: ok`, `frametest: NAME: FAIL why`.
RESULT_RE = re.compile(r"^(?:selftest|frametest|buddytest): ([\w-]+): "
                       r"(ok|FAIL\b.*)$")
# Lines that are the kernel's diagnosis of a problem.
# lockdep's reports (`lockdep: ...`, kernel option lockdep) name a lock
# order's functions by `ra 0x...`, resolved like a panic's.
# A process the kernel killed (`pid N (name): ... killed (why)`, and lab
# swap's `oom-kill: pid N ...`) counts too: it says why a test's process died.
DIAG_RE = re.compile(r"^\w+_check: |assertion '.*' failed|^panic(?: \(hart \d+\))?: "
                     r"|^lockdep: (?!checking )"
                     r"|^selftest: (?!starting$|done, |struct page is |[\w-]+: ok$)"
                     r"|^pid \d+ \(.*\): .*killed \(|^oom-kill: ")
BACKTRACE_RE = re.compile(r"^backtrace:$")
FRAME_RE = re.compile(r"^\s+(0x[0-9a-f]+)$")
# Code addresses inside a panic message: kerneltrap's pc and ra.
PC_RE = re.compile(r"\b(pc|ra) (0x[0-9a-f]+)")


def diagnosis(text, tree=None, skip=""):
    """The kernel's diagnosis lines in text, in order, as a list.

    Check lines count only when no `NAME: ok` result follows them (the
    self-test of kalloc_check provokes some on purpose); a backtrace's
    addresses and a panic's pc and ra are resolved in tree's kernel.
    Lines that occur in the text skip (already shown) are left out, but
    for the backtrace and lockdep's lock-order lines, which are shown
    resolved here (their `ra 0x...` are the functions that took the locks).
    """
    out, pending, in_trace = [], [], False
    for raw in kernel_output(text).replace("\r", "").split("\n"):
        line = raw.rstrip()
        if in_trace and FRAME_RE.match(line):
            pending.append(line)
            continue
        in_trace = False
        m = RESULT_RE.match(line)
        if m:
            if m.group(2) != "ok":
                out += pending
            pending = []
        elif BACKTRACE_RE.match(line):
            pending.append(line)
            in_trace = True
        elif DIAG_RE.search(line):
            pending.append(line)
    out += pending
    out = [ln for ln in out if not (skip and ln.strip() in skip)
           or FRAME_RE.match(ln) or BACKTRACE_RE.match(ln)
           or (ln.startswith("lockdep:") and PC_RE.search(ln))]
    if len(out) > MAX_LINES:
        out = out[:MAX_LINES // 2] + ["(... %d more lines ...)"
                                      % (len(out) - MAX_LINES + 1)] + \
            out[-(MAX_LINES // 2 - 1):]
    return resolve(out, tree) if tree else out


def resolve(lines, tree):
    """lines with backtrace frames and panic pc/ra resolved in tree."""
    addrs = set()
    for ln in lines:
        m = FRAME_RE.match(ln)
        if m:
            addrs.add(int(m.group(1), 16) - 1)    # the call, not the return
        for _, a in PC_RE.findall(ln):
            addrs.add(int(a, 16))
    if not addrs:
        return lines
    names = symbolize(sorted(addrs), tree)
    res = []
    for ln in lines:
        m = FRAME_RE.match(ln)
        if m:
            where = names.get(int(m.group(1), 16) - 1)
            res.append(ln + ("  " + where if where else ""))
            continue
        for word, a in PC_RE.findall(ln):
            where = names.get(int(a, 16))
            if where:
                ln += "\n    %s %s is %s" % (word, a, where)
        res.append(ln)
    return res


def symbolize(addrs, tree):
    """{address: "func at file:line"} from addr2line on tree's kernel, or
    {address: "func+0xoff"} from kernel.sym; {} if neither works."""
    kernel = os.path.join(tree, "kernel", "kernel")
    if shutil.which(ADDR2LINE) and os.path.exists(kernel):
        try:
            p = subprocess.run([ADDR2LINE, "-f", "-p", "-e", kernel]
                               + ["%#x" % a for a in addrs],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=30)
            got = p.stdout.decode("utf-8", "replace").strip().split("\n")
            if p.returncode == 0 and len(got) == len(addrs):
                prefix = os.path.abspath(tree).rstrip("/") + "/"
                return {a: g.replace(prefix, "") for a, g in zip(addrs, got)
                        if not g.startswith("??")}
        except (OSError, subprocess.TimeoutExpired):
            pass
    return nearest_symbols(addrs, os.path.join(tree, "kernel", "kernel.sym"))


def nearest_symbols(addrs, symfile):
    """{address: "func+0xoff"} from a kernel.sym of `ADDR NAME` lines."""
    syms = []
    try:
        with open(symfile) as f:
            for ln in f:
                parts = ln.split()
                if len(parts) == 2 and re.fullmatch(r"[0-9a-f]+", parts[0]):
                    syms.append((int(parts[0], 16), parts[1]))
    except OSError:
        return {}
    syms.sort()
    keys = [a for a, _ in syms]
    out = {}
    for a in addrs:
        i = bisect.bisect_right(keys, a) - 1
        if i >= 0:
            out[a] = "%s+%#x" % (syms[i][1], a - syms[i][0])
    return out
