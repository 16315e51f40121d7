#!/usr/bin/env python3
"""The lock-order table (kernel/lockorder.h) agrees with the code.

Boots the kernel with the kernel option `lockdep` under load, halts it,
and reads the lock-order graph lockdep dumps at halt (`lockdep-edge:`
lines, each judged by the kernel against the table): every edge the
kernel took must be allowed by the table, or be one of its TODO edges
(known bugs, listed and counted, not failed). A new lock, or a new order
between two locks, therefore fails here until the table says where it
belongs and why.

Boots (side by side, each a slot of GRADE_QEMU_SLOTS when set):
  usertests  -smp 3 -m 128M: usertests -q.
  swap       -smp 3 -m 16M with a 32 MiB swap disk: the swaptest tests
             that fork, share and fault on swapped pages at once, and
             the out-of-memory killer's.
Tests per boot: NAME-runs (the load ran, no lockdep report stopped the
kernel) and NAME-edges (every edge allowed). Prints `name: OK` or
`name: FAIL ...` lines and `N passed, N failed`.
Python 3 standard library only.
"""

import os
import re
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from gradediag import symbolize  # noqa: E402
from qemu import PROMPT, Qemu  # noqa: E402

SWAPTESTS = ("twice-ram cow-shared fork-exit-sbrk three-faulting shared-one-read "
             "oom-kill oom-biggest fork-storm")
BOOTS = [
    # name, cpus, mem, swap disk bytes, commands, seconds per command
    ("usertests", 3, "128M", 0, ["usertests -q"], 600),
    ("swap", 3, "16M", 32 << 20,
     ["swaptest %s" % t for t in SWAPTESTS.split()], 400),
]
EDGE_RE = re.compile(r"(?m)^lockdep-edge: (.+?) -> (.+?): (ok|todo|NOT ALLOWED)"
                     r"(, by wakeup)? \(held at ra (0x[0-9a-f]+), taken at ra "
                     r"(0x[0-9a-f]+)\)$")
SUMMARY_RE = re.compile(r"(?m)^lockdep-summary: .*$")
STOPPED_RE = re.compile(r"(?m)^panic.*$")


def boot(name, cpus, mem, disk, cmds, secs, results):
    """Run cmds in one boot with lockdep, halt; results[name] = transcript
    (or an error string)."""
    log = os.path.join(ROOT, "build", "lockorder-%s.log" % name)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    try:
        with Qemu(cpus=cpus, mem=mem, kopts="lockdep",
                  disks=[disk] if disk else [], log=log,
                  kernel=os.path.join(ROOT, "kernel", "kernel"),
                  fsimg=os.path.join(ROOT, "fs.img")) as q:
            q.expect(PROMPT, timeout=120)
            for c in cmds:
                q.run(c, timeout=secs)
            q.send("halt")
            q.wait_exit(timeout=60)
            results[name] = q.transcript
    except Exception as e:          # a timeout, a panic: the boot's failure
        results[name] = "ERROR %s: %s (see %s)" % (type(e).__name__, e, log)


def judge(name, text, verdicts):
    """Append (test, ok, message) for one boot's transcript."""
    if text.startswith("ERROR") or not SUMMARY_RE.search(text):
        why = text if text.startswith("ERROR") else "no lockdep-summary line at halt"
        panic = STOPPED_RE.search(text)
        verdicts.append(("%s-runs" % name, False, why + (
            "\n    " + panic.group(0) if panic else "")))
        return
    verdicts.append(("%s-runs" % name, True, SUMMARY_RE.search(text).group(0)))
    edges = EDGE_RE.findall(text)
    bad = [e for e in edges if e[2] == "NOT ALLOWED"]
    todo = [e for e in edges if e[2] == "todo"]
    names = symbolize(sorted({int(a, 16) for e in bad + todo for a in e[4:6]}), ROOT)

    def show(e):
        return '"%s" -> "%s"%s: held at %s, taken at %s' % (
            e[0], e[1], e[3], names.get(int(e[4], 16), e[4]),
            names.get(int(e[5], 16), e[5]))
    for e in todo:
        print("%s: TODO edge (known bug, kernel/lockorder.h): %s" % (name, show(e)))
    msg = "%d edges, %d TODO" % (len(edges), len(todo))
    if bad:
        msg = ("%d of %d edges are not allowed by kernel/lockorder.h: give the "
               "lock a class there, or rank the order (and say why):\n    "
               % (len(bad), len(edges)) + "\n    ".join(show(e) for e in bad))
    verdicts.append(("%s-edges" % name, not bad, msg))


def main():
    results, threads = {}, []
    for b in BOOTS:
        t = threading.Thread(target=boot, args=b + (results,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    verdicts = []
    for b in BOOTS:
        judge(b[0], results.get(b[0], "ERROR no result"), verdicts)
    for test, ok, msg in verdicts:
        print("%s: %s %s" % (test, "OK" if ok else "FAIL", msg))
    failed = sum(1 for _, ok, _ in verdicts if not ok)
    print("%d passed, %d failed" % (len(verdicts) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
