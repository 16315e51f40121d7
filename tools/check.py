#!/usr/bin/env python3
"""`make check`: boot the kernel in several machine shapes and test it.

Each configuration (CPUs x RAM) is one boot. In it we wait for the shell,
note the free-frame count that `free` reports, run shell checks (first
configuration only), run usertests (the full set in the first configuration,
`usertests -q` elsewhere), check that the free-frame count came back to the
same number, then `halt` and expect QEMU to power off by itself.

Every check prints `NAME: OK (1.2s)` or `NAME: FAIL (1.2s) why`, followed by
the last lines of console output; the full transcript of a boot is in
check-<config>.log. The last line is `N passed, N failed`; the exit status
is non-zero if anything failed. When a boot is lost (timeout, QEMU died,
kernel panic) its remaining checks are reported as failed without running.

Configurations run one after another (the project machines have two cores);
`-j2` (or CHECK_JOBS=2) runs two boots at a time. Timeouts scale with
GRADE_TIMEOUT_SCALE. Python 3 standard library only.
"""

import argparse
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import Qemu, QemuError, QemuTimeout, kill_all, tail  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BOOT_TIMEOUT = 60
CMD_TIMEOUT = 30
USERTESTS_FULL_TIMEOUT = 600
USERTESTS_QUICK_TIMEOUT = 300
HALT_TIMEOUT = 30

# A line of README.md that `cat README` inside the guest must print.
README_LINE = "xv6-style teaching kernel"


class Config:
    def __init__(self, cpus, mem, full=False, shell=False):
        self.cpus, self.mem, self.full, self.shell = cpus, mem, full, shell
        self.name = "cpus%d-mem%s" % (cpus, mem)


CONFIGS = [
    Config(3, "128M", full=True, shell=True),
    Config(1, "128M", full=True),
    Config(3, "32M", full=True),
    Config(3, "512M", full=True),
]


class Fail(Exception):
    """A check failed but the boot is still usable."""


class Lost(Exception):
    """A check failed and left the boot unusable (no prompt, QEMU gone)."""


class Report:
    """Counts results and prints each line whole, even from two threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.passed = 0
        self.failed = 0
        self.stopping = False    # set on Ctrl-C: no more boots, no more lines

    def say(self, text):
        with self.lock:
            print(text, flush=True)

    def result(self, name, secs, why=None):
        with self.lock:
            if self.stopping:
                return
            if why is None:
                self.passed += 1
                print("%s: OK (%.1fs)" % (name, secs), flush=True)
            else:
                self.failed += 1
                print("%s: FAIL (%.1fs) %s" % (name, secs, why), flush=True)


# ---- reading the guest's answers ----

def parse_free(text):
    """The free-frame count in the output of `free`, or None.

    Accepts `free: 31234`, `... free 31234 ...`, `31234 free`, or a header
    line naming a `free` column above a line of numbers.
    """
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for ln in lines:
        m = re.search(r"\bfree\b[^0-9\n]{0,20}?(\d+)", ln, re.I)
        if m:
            return int(m.group(1))
    for ln in lines:
        m = re.search(r"(\d+)\s+(?:frames?\s+)?free\b", ln, re.I)
        if m:
            return int(m.group(1))
    for head, row in zip(lines, lines[1:]):
        names, values = head.lower().split(), row.split()
        if "free" in names and len(names) == len(values):
            value = values[names.index("free")]
            if value.isdigit():
                return int(value)
    return None


def shown(text, n=8):
    """Some output, quoted for a FAIL line."""
    return "output was:\n" + tail(text, n) if text.strip() else "no output"


# ---- the checks; each returns None or raises Fail/Lost/QemuError ----

def check_boot(q, st):
    q.expect(r"(?:^|\n)\$ ", BOOT_TIMEOUT)


def free_frames(q):
    out = q.run("free", CMD_TIMEOUT)
    n = parse_free(out)
    if n is None:
        raise Fail("cannot find the free-frame count; " + shown(out))
    return n


def check_free_before(q, st):
    st["free"] = free_frames(q)


def check_free_after(q, st):
    if st.get("free") is None:
        raise Fail("no count from before to compare with")
    after = free_frames(q)
    if after != st["free"]:
        raise Fail("free frames: %d after boot, %d at the end (%+d)"
                   % (st["free"], after, after - st["free"]))


def check_echo_wc(q, st):
    out = q.run("echo hi | wc", CMD_TIMEOUT)
    if not re.search(r"(?m)^\s*1\s+1\s+3\b", out):
        raise Fail("expected '1 1 3'; " + shown(out))


def check_ls(q, st):
    out = q.run("ls", CMD_TIMEOUT)
    m = re.search(r"(?m)^(README\S*)\s", out)
    if not m:
        raise Fail("README not listed; " + shown(out))
    st["readme"] = m.group(1)
    if not re.search(r"(?m)^usertests\s", out):
        raise Fail("usertests not listed; " + shown(out))


def check_cat(q, st):
    out = q.run("cat " + st.get("readme", "README"), CMD_TIMEOUT)
    if README_LINE not in out:
        raise Fail("%r not printed; %s" % (README_LINE, shown(out)))


def check_grep(q, st):
    out = q.run("grep teaching " + st.get("readme", "README"), CMD_TIMEOUT)
    lines = [ln for ln in out.split("\n") if ln.strip()]
    if not lines or not all("teaching" in ln for ln in lines):
        raise Fail("expected only lines with 'teaching'; " + shown(out))
    if not any(README_LINE in ln for ln in lines):
        raise Fail("%r not found; %s" % (README_LINE, shown(out)))


def check_background(q, st):
    """`echo bg &` prints bg and the shell keeps taking commands."""
    start = q.mark()
    q.run("echo bg &", CMD_TIMEOUT)
    # The job may print before or after the prompt, even as "$ bg".
    q.pos = start
    try:
        q.expect(r"(?m)^(?:\$ )?bg$", 10)
    except QemuTimeout:
        raise Fail("background job printed nothing; "
                   + shown(q.text_since(start)))
    q.pos = max(q.pos, len(q.transcript))
    q.run("sleep 5", CMD_TIMEOUT)      # the shell still takes commands


def check_redirect(q, st):
    q.run("echo x > f", CMD_TIMEOUT)
    out = q.run("cat f", CMD_TIMEOUT)
    if out.strip() != "x":
        raise Fail("cat f after 'echo x > f'; " + shown(out))
    q.run("rm f", CMD_TIMEOUT)
    out = q.run("cat f", CMD_TIMEOUT)
    if re.search(r"(?m)^x$", out):
        raise Fail("f still readable after rm; " + shown(out))


def check_usertests(q, st, full):
    """usertests (-q unless full) ends with ALL TESTS PASSED, no panic."""
    start = q.mark()
    q.send("usertests" if full else "usertests -q")
    timeout = USERTESTS_FULL_TIMEOUT if full else USERTESTS_QUICK_TIMEOUT
    m = q.expect(r"(?P<ok>ALL TESTS PASSED)|(?P<bad>SOME TESTS FAILED"
                 r"|exec usertests failed)|(?P<panic>panic[:(])", timeout)
    if m.group("panic"):
        try:
            q.expect(r"\n", 2)     # let the rest of the panic line arrive
        except QemuError:
            pass
        raise Lost("kernel panic during usertests:\n" + q.tail())
    q.expect(r"(?:^|\n)\$ ", CMD_TIMEOUT)
    if m.group("bad"):
        out = q.text_since(start)
        failed = [ln for ln in out.split("\n") if "FAIL" in ln.upper()]
        raise Fail("usertests failed:\n" + "\n".join(
            "    | " + ln for ln in failed[-15:]))


def check_halt(q, st):
    q.send("halt")
    status = q.wait_exit(HALT_TIMEOUT)
    if status != 0:
        raise Fail("QEMU exited with status %d (expected 0 from an SBI "
                   "power-off); last output:\n%s" % (status, q.tail()))


def checks_for(cfg, quick):
    """The (name, function) list of one configuration, in order."""
    full = cfg.full and not quick
    steps = [("boot", check_boot), ("free-before", check_free_before)]
    if cfg.shell:
        steps += [("echo-pipe-wc", check_echo_wc), ("ls", check_ls),
                  ("cat-README", check_cat), ("grep", check_grep),
                  ("background", check_background),
                  ("redirect", check_redirect)]
    steps += [("usertests" if full else "usertests-q",
               lambda q, st: check_usertests(q, st, full)),
              ("free-after", check_free_after), ("halt", check_halt)]
    return steps


def run_config(cfg, report, quick):
    """Boot once in `cfg` and run its checks, reporting each."""
    log = "check-%s.log" % cfg.name
    report.say("%s: -smp %d -m %s, transcript in %s"
               % (cfg.name, cfg.cpus, cfg.mem, log))
    lost = None
    st = {}
    q = Qemu(cpus=cfg.cpus, mem=cfg.mem, log=log)
    try:
        for step, fn in checks_for(cfg, quick):
            name = "%s/%s" % (cfg.name, step)
            if lost:
                report.result(name, 0, "not run: " + lost)
                continue
            t0 = time.monotonic()
            try:
                if step == "boot":
                    q.start()
                fn(q, st)
                report.result(name, time.monotonic() - t0)
            except Fail as e:
                report.result(name, time.monotonic() - t0, str(e))
            except (Lost, QemuError) as e:
                report.result(name, time.monotonic() - t0, str(e))
                lost = step + " failed"
    finally:
        q.close()


def run_all(configs, jobs, report, quick):
    """Run the configurations, `jobs` boots at a time."""
    if jobs <= 1:
        for cfg in configs:
            run_config(cfg, report, quick)
        return
    todo = list(configs)
    todo_lock = threading.Lock()

    def worker():
        # Each worker starts and closes its own boots, so QEMU's
        # parent-death signal stays tied to a live thread.
        while True:
            with todo_lock:
                if not todo or report.stopping:
                    return
                cfg = todo.pop(0)
            run_config(cfg, report, quick)

    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(jobs)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)
    finally:
        # On Ctrl-C or SIGTERM: kill the boots so the workers' waits end at
        # once, and give them a moment to close (and delete) their boots.
        with report.lock:
            report.stopping = any(t.is_alive() for t in threads)
        kill_all()
        for t in threads:
            t.join(5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int,
                    default=int(os.environ.get("CHECK_JOBS", "1") or 1),
                    help="boots to run at once (default $CHECK_JOBS or 1)")
    ap.add_argument("-c", "--config", action="append", default=[],
                    help="run only configurations whose name contains this"
                    " (repeatable); names: "
                    + ", ".join(c.name for c in CONFIGS))
    ap.add_argument("--quick", action="store_true",
                    help="usertests -q in every configuration")
    args = ap.parse_args()
    os.chdir(ROOT)
    configs = [c for c in CONFIGS
               if not args.config or any(s in c.name for s in args.config)]
    report = Report()
    try:
        run_all(configs, max(1, args.jobs), report, args.quick)
    except KeyboardInterrupt:
        kill_all()
        print("\ninterrupted", flush=True)
        return 130
    finally:
        kill_all()
    print("%d passed, %d failed" % (report.passed, report.failed), flush=True)
    return 1 if report.failed or not configs else 0


if __name__ == "__main__":
    sys.exit(main())
