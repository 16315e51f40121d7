"""The grading library: build the kernel, boot it, run tests, report.

A grader is a script grade/grade-<name>.py. It declares boots (machine
shapes) and tests with points, and hands control to Grader.main():

    #!/usr/bin/env python3
    from gradelib import Grader

    g = Grader("lab-frames", "struct page and free lists")

    def count_free(s):                            # after every boot
        s.state["free"] = s.free_frames()

    small = g.boot("cpus3", cpus=3, mem="128M", setup=count_free)

    @small.test(10, core=True)                    # core: the lab's own work
    def frametest(s):
        out = s.run("frametest", timeout=120)     # output up to the prompt
        s.match(out, r"^frametest: OK$", no=[r"FAIL", r"panic"])

    @small.test(5, parent=frametest)              # skipped if frametest fails
    def free_unchanged(s):
        s.check_equal(s.free_frames(), s.state["free"], "free frames")

    @g.test(1)                                    # a host-side test: no boot
    def handout_read():
        ...

    g.main()

A boot test gets a Session s: s.run(cmd) types a command and returns its
output up to the next prompt; s.send(text)/s.sendline(text) type raw
input; s.expect(regex, timeout) waits for output; s.match(text, *regexes,
no=[...]) checks lines; s.fail(expected, actual), s.check_equal(got,
want, what); s.free_frames(); s.halt(); s.state (per boot); s.q (the
qemu.Qemu). Timeouts are in seconds, multiplied by GRADE_TIMEOUT_SCALE.
A wait that sees no progress (no output and the same process dump, ^P,
for STALL_LIMIT seconds) fails then, with the dump, whatever its timeout.

Tests of one boot run in order in one QEMU; a boot lost in a test (QEMU
exited, a timeout, a kernel panic) is restarted for the next test. A test
fails by raising TestFailure (s.fail(), s.match(), s.check_equal(), or an
expect() that times out); any other exception is reported as a grader bug.
`setup=fn` on a boot runs fn(s) after each boot reaches the prompt, for
state the tests share (s.state). Test names are the function names with
'_' shown as '-', or name="...".

Command line of every grader (see Grader.main):
    grade-X.py [-j N] [T=name | --only name]... [--results f.json]
               [--junit f.xml] [--kernel-dir DIR] [--no-build] [--list] [-v]
It builds the tree (make), prints `name: OK (1.2s)` or `name: FAIL ...`
per test with what was expected and what came instead, `Score: N/M`, the
transcript's file name, and last `N passed, N failed`; the exit status is
1 when a test failed, 2 on a usage error.

Shared by the lab graders: selftest_line(s, name, rule) checks a boot
self-test's result line (selftest_test() declares a test of it);
program_test() declares a test that runs `PROG SUB` and wants `PROG: SUB:
ok`; misuse_test(g, kind, points, rule) declares a
test in which the kernel must panic naming the frame a self-test misused.
A failing test's message ends with what the kernel said (gradediag.py):
its check and assertion lines, the panic, the backtrace resolved.

Also here (from gradebuild.py): make(), make_jobs(), tree_files(),
copy_tree() and build_variant(), which copy a tree into build/<variant>/ and build it
there with other make variables (BUG=...), leaving the source tree's
objects alone:  tree = build_variant("bug-sbrk", ["BUG=sbrk"]).

Threads: with -j N, N worker threads each run whole boots; results and
printing are guarded by Grader._lock, and a test whose parent runs in
another boot waits on Grader._cond. Python 3 standard library only.
"""

import argparse
import fnmatch
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import (PROMPT, Qemu, QemuError, QemuTimeout,  # noqa: E402,F401
                  kernel_output, kill_all, scaled, tail, timeout_scale)
from gradebuild import (BuildError, build_variant,  # noqa: E402,F401
                        copy_tree, make, tree_files, make_env, make_jobs)
from gradediag import diagnosis, nearest_symbols  # noqa: E402
from gradereport import write_json, write_junit  # noqa: E402

GRADE_DIR = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.dirname(GRADE_DIR)      # the tree this grader belongs to

BOOT_TIMEOUT = 60      # seconds to the first prompt, before scaling
TEST_TIMEOUT = 600     # a whole test, before scaling
FRAMES_BACK_TRIES = 5  # readings of `free` before no_frame_lost calls it a leak
FRAMES_BACK_WAIT = 1   # seconds between them
# A wait sees no progress when the console stays quiet and two process
# dumps (^P, the kernel's procdump) a while apart are alike. After
# STALL_QUIET seconds of quiet the grader asks for a dump; after
# STALL_LIMIT seconds without progress the test fails, showing the dump,
# instead of waiting out its whole timeout. Both scaled.
STALL_QUIET = 15
STALL_LIMIT = 60
DUMP_RE = re.compile(r"(?ms)^procdump: begin\n(.*?)^procdump: end\n")
PANIC_RE = re.compile(r"(?m)^panic(?: \(hart \d+\))?: .*$")


class TestFailure(Exception):
    """A test failed; the message says what was expected and what came."""


class QemuStalled(QemuTimeout):
    """The guest made no progress for STALL_LIMIT (scaled) seconds."""


# ---- declaring tests ----

def _display(name):
    return name.replace("_", "-")


class Test:
    """One test: a function, its points and where it runs."""

    def __init__(self, fn, points, name, boot, parents, core, timeout):
        self.fn, self.points, self.boot = fn, points, boot
        self.name = _display(name or fn.__name__)
        self.parents, self.core, self.timeout = parents, core, timeout
        self.doc = (fn.__doc__ or "").strip().split("\n")[0]
        self.index = 0


def kernel_options(kopts):
    """The kernel options a grader boots with: kopts, plus `lockdep`
    (run-time lock-order checking, kernel/lockdep.c) when the environment
    sets GRADE_LOCKDEP=1. A lock order that can deadlock then fails the
    test that took it, naming both orders, instead of hanging until its
    timeout in the runs where the timing goes wrong. Off by default: it
    makes usertests -q 1.5 times slower on a quiet machine (5.7 s against
    8.5 s, tools/bench-lockdep.py), more on a loaded one, so
    only the boots that race on purpose ask for it in their kopts (lab
    swap's three-hart boot), as do the lock-order test (tests/lockdep)
    and the kernels with a planted lock-order bug."""
    if os.environ.get("GRADE_LOCKDEP", "0") == "1" and "lockdep" not in kopts.split():
        return ("lockdep " + kopts).strip()
    return kopts


class Boot:
    """A machine shape that several tests share, one QEMU at a time.

    cpus, mem, kopts (kernel options), disks (see qemu.Qemu): the machine.
    setup(s): run after each boot reaches the prompt. boot_timeout: to
    the first prompt (scaled). gdb: give each of its boots a gdb port.
    expect_panic: the kernel is meant to panic (a test of its checks): the
    boot does not wait for the prompt, a panic does not fail the test by
    itself (the test matches the panic line with s.expect), and every test
    gets a fresh boot.
    """

    def __init__(self, grader, name, cpus=3, mem="128M", kopts="", disks=(),
                 setup=None, boot_timeout=BOOT_TIMEOUT, gdb=False,
                 expect_panic=False):
        self.grader, self.name = grader, name
        self.cpus, self.mem, self.kopts = cpus, mem, kopts
        self.disks, self.setup = list(disks), setup
        self.boot_timeout, self.gdb = boot_timeout, gdb
        self.expect_panic = expect_panic
        self.tests = []

    def describe(self):
        d = "-smp %d -m %s" % (self.cpus, self.mem)
        if self.kopts:
            d += ' -append "%s"' % self.kopts
        if self.disks:
            d += " +%d disk%s" % (len(self.disks),
                                  "s" if len(self.disks) > 1 else "")
        return d

    def test(self, points, name=None, parent=None, core=False,
             timeout=TEST_TIMEOUT):
        """Decorator: fn(s) is a test worth `points` run in this boot.

        parent: a test (or list) that must pass first, else this one is
        skipped. core: tagged "core" (a lab's starter must fail it).
        timeout: seconds for the whole test, before scaling.
        """
        return self.grader._declare(self, points, name, parent, core,
                                    timeout)


class Session:
    """What a boot test gets: the running kernel and checking helpers.

    s.q is the qemu.Qemu; s.state a dict that lives as long as the boot
    (setup fills it); s.boot the Boot.
    """

    def __init__(self, boot, q):
        self.boot, self.q = boot, q
        self.state = {}
        self.deadline = None       # time.monotonic() limit of the test
        self.fresh = True          # no test has run in this boot yet
        self.tree = None           # the tree graded (for its kernel's symbols)
        self.dumps = []            # (start, end) of the dumps the grader asked for

    # ---- typing and reading ----

    def _limit(self, timeout):
        """timeout, shortened to what is left of the test's own limit."""
        if self.deadline is None:
            return timeout
        left = (self.deadline - time.monotonic()) / timeout_scale()
        if left <= 0:
            raise QemuTimeout("the test ran out of time; last output:\n"
                              + self.q.tail())
        return min(timeout, left)

    def expect(self, regex, timeout=30, since=None):
        """Wait for output matching regex; returns the re.Match.

        The search starts after what earlier calls read, or at mark `since`
        (from mark()) if given, and then moves past the match. Raises
        QemuTimeout after timeout * GRADE_TIMEOUT_SCALE seconds, and
        QemuError at once if the kernel panics first; either fails the
        test and restarts the boot.
        """
        if since is not None:
            self.q.pos = since
        pat = regex.pattern if isinstance(regex, re.Pattern) else regex
        return self._expect(regex, timeout, "output matching /%s/" % pat)

    def _expect(self, regex, timeout, what):
        """expect() that names what it waited for in its errors."""
        limit = self._limit(timeout)
        # A panic stops the wait at once, unless the test waits for the
        # panic itself.
        stop_on_panic = not self.boot.expect_panic
        try:
            m = self._wait(_with_panic(regex) if stop_on_panic else regex,
                           limit)
        except QemuStalled:
            raise
        except QemuTimeout:
            raise QemuTimeout("timed out after %.0fs waiting for %s; last "
                              "output:\n%s" % (scaled(limit), what,
                                               self.q.tail())) from None
        if not stop_on_panic or m.group("kpanic_") is None:
            return m
        time.sleep(1)              # let the rest of the panic arrive
        text = self.q.transcript
        line = text[m.start("kpanic_"):].split("\n")[0]
        raise QemuError("kernel panic while waiting for %s:\n    %s\n"
                        "last output:\n%s" % (what, line, self.q.tail()))

    def _wait(self, regex, limit):
        """self.q.expect(regex, limit), but raise QemuStalled as soon as
        the guest has made no progress for STALL_LIMIT seconds: no console
        output (other than the dumps asked for here) and the same process
        dump (states, sleep channels, vmstat events) at both ends."""
        end = time.monotonic() + scaled(limit)
        quiet_since, seen, last = time.monotonic(), self._activity(), None
        while True:
            step = min(end - time.monotonic(), scaled(STALL_QUIET))
            try:
                return self.q.expect(regex, max(step, 0.1) / timeout_scale())
            except QemuTimeout:
                if time.monotonic() >= end:
                    raise
            now, act = time.monotonic(), self._activity()
            if act != seen:
                quiet_since, seen, last = now, act, None
                continue
            dump = self._procdump()
            if dump is not None and last is not None and dump != last:
                quiet_since = now           # something moved meanwhile
            last = dump
            if now - quiet_since >= scaled(STALL_LIMIT):
                raise QemuStalled(
                    "no progress for %.0fs (no output, and the process dump "
                    "did not change): a deadlock, a lost wakeup, or a loop "
                    "that never ends. %s\nlast output:\n%s"
                    % (now - quiet_since, self._explain(dump),
                       tail(kernel_output(self._without_dumps(
                           0, len(self.q.transcript))))))

    def _activity(self):
        """How much the guest has printed, the dumps asked for left out."""
        return len(self.q.transcript) - sum(e - s for s, e in self.dumps)

    def _procdump(self):
        """Ask the kernel for a process dump (^P); its text, or None if
        no dump came within a few seconds (every hart deaf to the console:
        interrupts off, a spinning lock)."""
        start = len(self.q.transcript)
        self.q.send("\x10", newline=False)
        deadline = time.monotonic() + scaled(5)
        while time.monotonic() < deadline:
            text = self.q.transcript
            m = DUMP_RE.search(text, start)
            if m:
                # From the newline procdump starts with, to its end.
                self.dumps.append((start, m.end()))
                return m.group(1)
            time.sleep(0.2)
        self.dumps.append((start, len(self.q.transcript)))
        return None

    def _explain(self, dump):
        """The dump for a message, sleep channels named from the kernel's
        symbols."""
        if dump is None:
            return ("The kernel did not answer ^P (no process dump): every "
                    "hart is deaf to the console, with interrupts off or "
                    "spinning on a lock.")
        chans = {int(a, 16) for a in re.findall(r"chan (0x[0-9a-f]+)", dump)}
        names = nearest_symbols(sorted(chans), os.path.join(
            self.tree or TREE, "kernel", "kernel.sym")) if chans else {}
        lines = []
        for ln in dump.rstrip("\n").split("\n"):
            m = re.search(r"chan (0x[0-9a-f]+)", ln)
            if m and int(m.group(1), 16) in names:
                ln += " (%s)" % names[int(m.group(1), 16)]
            lines.append("    | " + ln)
        return "The kernel's process dump (^P: pid, state, name, size, " \
               "sleep channel):\n" + "\n".join(lines)

    def _without_dumps(self, start, end):
        """The transcript from start to end, less the dumps asked for."""
        text = self.q.transcript
        out, pos = [], start
        for s, e in sorted(self.dumps):
            if e <= pos or s >= end:
                continue
            out.append(text[pos:s])
            pos = max(pos, e)
        out.append(text[pos:end])
        return "".join(out)

    def send(self, text):
        """Type text on the console as is: no newline added."""
        self.q.send(text, newline=False)

    def sendline(self, text):
        self.q.send(text)

    def run(self, cmd, timeout=30):
        """Type a shell command; return its output up to the next prompt.

        The console's echo of cmd is left out; output of background jobs
        that came before the echo stays in. Raises like expect().
        """
        start = self.mark()
        self.sendline(cmd)
        m = self._expect(PROMPT, timeout, "the shell prompt after `%s`"
                         % cmd)
        text = self._without_dumps(start, m.start())
        if m.group(0).startswith("\n"):
            text += "\n"          # the prompt's pattern took the newline
        i = text.find(cmd + "\n")
        if i >= 0:
            text = text[:i] + text[i + len(cmd) + 1:]
        return text

    def mark(self):
        return self.q.mark()

    def since(self, mark):
        """Console output from mark to now (less the dumps the grader
        asked for)."""
        return self._without_dumps(mark, len(self.q.transcript))

    def usertests(self, args="", idle_timeout=120):
        """Run `usertests ARGS` and pass only on ALL TESTS PASSED with no
        FAILED line; otherwise fail naming the failed tests. It prints a
        line per test, so a kernel that stays quiet for idle_timeout
        (scaled) seconds is reported as hung then, not at the end of the
        whole run's time. Returns the output."""
        start = self.mark()
        self.sendline(("usertests " + args).strip())
        while True:
            try:
                m = self.expect(r"(?m)^test \S+: .*\n|ALL TESTS PASSED"
                                r"|SOME TESTS FAILED|exec usertests failed",
                                idle_timeout)
            except QemuTimeout as e:
                raise QemuTimeout("usertests went quiet (a hung kernel?): "
                                  + str(e)) from None
            if not m.group(0).startswith("test "):
                break
        self.expect(r"(?m)^\$ ", 30)
        out = self.since(start)
        failed = re.findall(r"(?m)^test (\S+): FAILED ?(.*)$", out)
        if m.group(0) == "ALL TESTS PASSED" and not failed:
            return out
        if not failed:
            self.fail("ALL TESTS PASSED", out)
        lines = ["expected: test %s: OK\nactual:   test %s: FAILED %s"
                 % (name, name, why) for name, why in failed[:6]]
        if len(failed) > 6:
            lines.append("(and %d more failed tests)" % (len(failed) - 6))
        raise TestFailure("\n".join(lines))

    def free_frames(self, line="free"):
        """Free frames as the `free` program reports them; or the count of
        another of its lines ('total', 'kernel', ...)."""
        out = self.run("free")
        m = re.search(r"(?m)^%s:\s+(\d+) pages" % re.escape(line), out)
        if not m:
            self.fail("free prints a line '%s: N pages' (kmemstat)" % line,
                      out)
        return int(m.group(1))

    def free_and_swap(self):
        """(free frames, swap slots in use) from one run of `free`; no
        swap-used line (a kernel without swap) counts as 0."""
        out = self.run("free")
        m = re.search(r"(?m)^free:\s+(\d+) pages", out)
        if not m:
            self.fail("free prints a line 'free: N pages' (kmemstat)", out)
        u = re.search(r"(?m)^swap-used:\s+(\d+) pages", out)
        return int(m.group(1)), int(u.group(1)) if u else 0

    def no_frame_lost(self, after):
        """Fail unless `free` reports as many free frames and swap slots
        in use as note_free() saw right after boot (after: what ran in
        between, for the message). A page of init or sh that went to swap
        meanwhile freed one frame and took one slot: the check compares
        free frames less used slots, and names which one moved."""
        free0, used0 = self.state["free"], self.state.get("swap_used", 0)
        # A process that exited just before the prompt (an orphan of the
        # test, reaped by init) frees its last frames when init gets to
        # run: on a loaded machine that may be after `free`. Look a few
        # times before calling it a leak.
        for attempt in range(FRAMES_BACK_TRIES):
            free, used = self.free_and_swap()
            if free - used == free0 - used0:
                return
            time.sleep(FRAMES_BACK_WAIT)
        if used == used0:
            self.fail("every frame taken %s is given back: %d free frames, "
                      "as right after boot" % (after, free0),
                      "%d free frames (%+d)" % (free, free - free0))
        self.fail("every frame and swap slot taken %s is given back: free "
                  "frames less swap slots in use %d, as right after boot "
                  "(%d free, %d slots used)" % (after, free0 - used0, free0,
                                                used0),
                  "%d free frames (%+d), %d swap slots in use (%+d)"
                  % (free, free - free0, used, used - used0))

    def halt(self, timeout=30):
        """Run `halt` and check that QEMU powers off with status 0."""
        self.sendline("halt")
        status = self.q.wait_exit(self._limit(timeout))
        if status != 0:
            self.fail("QEMU exit status 0 after an SBI power-off",
                      "exit status %d" % status)

    # ---- judging ----

    def fail(self, expected, actual=None):
        """Fail the test: what was expected, and what came instead."""
        msg = "expected: " + expected
        if actual is not None:
            actual = actual if isinstance(actual, str) else repr(actual)
            if "\n" in actual.strip():
                msg += "\nactual output:\n" + tail(actual, 15)
            else:
                msg += "\nactual:   " + actual.strip()
        raise TestFailure(msg)

    def check_equal(self, got, want, what):
        if got != want:
            raise TestFailure("expected: %s %s\nactual:   %s %s"
                              % (what, want, what, got))

    def match(self, text, *want, no=(), ordered=False):
        """Check lines of text: each regex in want matches some line (in
        that order if ordered), no regex in `no` matches any. On failure
        lists the missing and the unexpected lines."""
        lines = text.replace("\r", "").split("\n")
        missing, bad, pos = [], [], 0
        for rx in want:
            hit = [i for i in range(pos if ordered else 0, len(lines))
                   if re.search(rx, lines[i])]
            if not hit:
                missing.append(rx)
            elif ordered:
                pos = hit[0] + 1
        for ln in lines:
            for rx in no:
                if re.search(rx, ln):
                    bad.append(ln)
                    break
        if not missing and not bad:
            return
        msg = ["expected: a line matching /%s/%s"
               % (rx, " (in this order)" if ordered else "")
               for rx in missing]
        msg += ["unexpected: " + ln.strip() for ln in bad[:15]]
        if len(bad) > 15:
            msg.append("(and %d more unexpected lines)" % (len(bad) - 15))
        if missing:
            msg.append("actual output:\n" + tail(text, 12))
        raise TestFailure("\n".join(msg))


def _with_panic(regex):
    """regex, or else a kernel panic line (group kpanic_), as one pattern.

    Global inline flags such as (?m) must stay at the very front.
    """
    if isinstance(regex, re.Pattern):
        src, flags = regex.pattern, regex.flags
    else:
        src, flags = regex, 0
    lead = re.match(r"(?:\(\?[aiLmsux]+\))*", src).group(0)
    return re.compile(r"%s(?:%s)|(?P<kpanic_>(?:\A|(?<=\n))panic"
                      r"(?: \(hart \d+\))?: )" % (lead, src[len(lead):]),
                      flags)


class Result:
    def __init__(self, test, status, secs=0.0, output=""):
        self.test, self.status, self.secs = test, status, secs
        self.output = output.rstrip("\n")

    @property
    def score(self):
        return self.test.points if self.status == "pass" else 0


def note_free(s):
    """A boot's setup: remember the free-frame count right after boot in
    s.state["free"] (and the swap slots in use in s.state["swap_used"]),
    for tests that check no frame or slot was lost."""
    s.state["free"], s.state["swap_used"] = s.free_and_swap()


# ---- shared by the lab graders: boot self-tests and deliberate misuse ----

def selftest_line(s, name, rule):
    """Pass if the boot self-test printed `selftest: NAME: ok`. Else fail
    stating rule (what the self-test checks, as a rule to act on), with
    the FAIL line and the kernel's lines printed just before it."""
    text = s.q.transcript
    m = re.search(r"(?m)^selftest: %s: (ok|FAIL.*)$" % re.escape(name), text)
    if not m:
        s.fail("a line 'selftest: %s: ok' before the first prompt (%s)"
               % (name, rule), "no such line: is the kernel option "
               "selftest handled, and does selftest_run() run this test?")
    if m.group(1) == "ok":
        return
    # The window: from the previous result line to this FAIL line.
    prev = [x.end() for x in re.finditer(
        r"(?m)^selftest: (?:[\w-]+: (?:ok|FAIL.*)|starting)$",
        text[:m.start()])]
    before = diagnosis(text[prev[-1] if prev else 0:m.start()], s.tree)
    raise TestFailure("expected: %s\nactual:   %s%s"
                      % (rule, m.group(0).strip(),
                         _said(before)))


def selftest_test(boot, name, points, rule, doc, core=False):
    """Declare test selftest-NAME in boot (which passes the kernel option
    selftest): the boot self-test's line for NAME says ok (selftest_line)."""
    def fn(s):
        selftest_line(s, name, rule)
    fn.__doc__, fn.__name__ = doc, "selftest_" + name.replace("-", "_")
    return boot.test(points, core=core)(fn)


def program_test(boot, points, name, cmd, rule, doc, core=False,
                 timeout=120):
    """Declare test NAME in boot: the shell command cmd (`PROG SUB ...`)
    prints `PROG: SUB: ok`; else fail stating rule, with the lines it
    printed (PROG: ...), the FAIL among them."""
    prog, sub = cmd.split()[:2]

    def fn(s):
        out = s.run(cmd, timeout=timeout)
        if re.search(r"(?m)^%s: %s: ok$" % (re.escape(prog), re.escape(sub)),
                     out):
            return
        # Its own lines but the ok and done ones: the FAIL and its reasons.
        said = [ln for ln in re.findall(r"(?m)^%s: .*$" % re.escape(prog), out)
                if not re.search(r": ok$|^\S+ done$", ln)]
        s.fail(rule, "\n".join(said[-12:]) if said else out)
    fn.__doc__, fn.__name__ = doc, name.replace("-", "_")
    return boot.test(points, core=core, timeout=timeout + 30)(fn)


_SAID = "\nthe kernel said:\n"


def _said(lines):
    """The kernel's diagnosis lines, formatted under a failure."""
    if not lines:
        return ""
    return _SAID + "\n".join("    | " + ln for ln in
                                               "\n".join(lines).split("\n"))


# The self-test's announcement of a misuse, `selftest: ... 0xADDR ...`,
# and what may end a misuse boot.
ANNOUNCE_RE = re.compile(r"(?m)^selftest: (?![\w-]+: )[^\n]*?(0x[0-9a-f]+)")
MISUSE_STOP = re.compile(r"(?m)^(?:panic(?: \(hart \d+\))?: |selftest: misuse: "
                         r"FAIL |init: starting sh)[^\n]*\n")


def misuse_test(grader, kind, points, rule, says=None, core=False,
                name=None):
    """Declare a test (named name, default KIND) in its own boot
    "misuse-KIND" with kernel options `selftest selftest-panic=KIND`.

    The self-test announces the misuse in a line `selftest: ... 0xADDR
    ...` and does it; the kernel must then panic with a message that
    names 0xADDR (and matches the regex says, if given). rule: the rule
    the kernel must enforce, printed when it does not."""
    boot = grader.boot("misuse-" + kind, cpus=3, mem="128M",
                       kopts="selftest selftest-panic=" + kind,
                       expect_panic=True)

    def fn(s):
        stop = s.expect(MISUSE_STOP, 120)
        line = stop.group(0).strip()
        said = ANNOUNCE_RE.findall(s.q.transcript[:stop.start()])
        if not said:
            s.fail("the self-test to get a frame to misuse (it announces "
                   "it: 'selftest: ... 0x...'), and then: %s" % rule, line)
        frame = said[-1]
        if not line.startswith("panic"):
            s.fail("a kernel panic naming frame %s: %s" % (frame, rule), line)
        named = [int(x, 16) for x in re.findall(r"0x[0-9a-f]+", line)]
        if int(frame, 16) not in named:
            s.fail("the panic message to name frame %s: %s" % (frame, rule),
                   line)
        if says and not re.search(says, line):
            s.fail("the panic message to say /%s/: %s" % (says, rule), line)

    fn.__doc__ = "selftest-panic=%s: the kernel panics naming the frame." \
        % kind
    fn.__name__ = (name or kind).replace("-", "_")
    return boot.test(points, core=core)(fn)


# An answers file: `## ` sections, each a question the student answers
# under it; ANSWER_HERE stands where nothing is written yet.
ANSWER_HERE = "<!-- your answer -->"


def unanswered(text):
    """The headings of the `## ` sections of an answers file that hold no
    text of the student's (only blank lines and ANSWER_HERE)."""
    parts = re.split(r"(?m)^## ", text)[1:]
    empty = []
    for part in parts:
        heading, _, body = part.partition("\n")
        if not body.replace(ANSWER_HERE, "").strip():
            empty.append(heading.strip())
    return empty


def answers_test(grader, lab):
    """Declare host test `answers`, 0 points: every question of
    labs/LAB/answers.md has an answer under it (read by the staff, not
    graded here)."""
    def answers():
        path = os.path.join(grader.tree, "labs", lab, "answers.md")
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            raise TestFailure("expected: labs/%s/answers.md with your answers"
                              % lab) from None
        empty = unanswered(text)
        if not re.search(r"(?m)^## ", text) or empty:
            raise TestFailure(
                "expected: an answer under every question of labs/%s/"
                "answers.md, with the figures it asks for (0 points here; the "
                "staff read them)\nunanswered:\n%s"
                % (lab, "\n".join("    ## " + h for h in empty)
                   or "    (no `## ` questions at all)"))
    answers.__doc__ = "labs/%s/answers.md answers every question." % lab
    return grader.test(0)(answers)


# ---- the grader ----

class Grader:
    """The tests of one grader script and the machinery to run them."""

    def __init__(self, name, title=""):
        self.name, self.title = name, title
        self.boots = []
        self.tests = []
        self.host_boot = None
        self.tree = TREE           # the tree being graded (--kernel-dir)
        self.results = {}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stopping = False
        self._lines = []           # the report as printed

    def boot(self, name, **kw):
        """Declare a boot (machine shape); see Boot for the arguments."""
        if any(b.name == name for b in self.boots):
            raise ValueError("two boots named %r" % name)
        b = Boot(self, name, **kw)
        self.boots.append(b)
        return b

    def test(self, points, name=None, parent=None, core=False,
             timeout=TEST_TIMEOUT):
        """Decorator for a host-side test fn() (no boot); see Boot.test."""
        if self.host_boot is None:
            self.host_boot = Boot(self, "host")
        return self._declare(self.host_boot, points, name, parent, core,
                             timeout)

    def _declare(self, boot, points, name, parent, core, timeout):
        parents = parent if isinstance(parent, (list, tuple)) else \
            ([parent] if parent is not None else [])

        def register(fn):
            for p in parents:
                if not isinstance(p, Test):
                    raise TypeError("parent of %s is not a declared test"
                                    % fn.__name__)
            t = Test(fn, points, name, boot, parents, core, timeout)
            if any(x.name == t.name for x in self.tests):
                raise ValueError("two tests named %r" % t.name)
            t.index = len(self.tests)
            self.tests.append(t)
            boot.tests.append(t)
            return t
        return register

    # ---- output ----

    def say(self, text):
        with self._lock:
            self._say_locked(text)

    def _say_locked(self, text):
        self._lines.append(text)
        print(text, flush=True)

    def _record(self, res):
        """Keep a result, print its lines, wake tests waiting for it."""
        t = res.test
        with self._lock:
            if self._stopping:
                return
            self.results[t] = res
            word = "OK" if res.status == "pass" else "FAIL"
            self._say_locked("%s: %s (%.1fs) [%d/%d]"
                             % (t.name, word, res.secs, res.score, t.points))
            if res.status != "pass":
                text = res.output
                if t.doc and res.status == "fail":
                    text = "(%s)\n%s" % (t.doc, text)
                self._say_locked("\n".join("    " + ln for ln in
                                           text.split("\n")))
            self._cond.notify_all()

    # ---- selecting ----

    def select(self, patterns):
        """The tests matching any pattern, with their ancestors, in order.

        A pattern matches a test's name or its boot's name, exactly or as
        a shell glob ('usertests-*'); '_' and '-' are the same. Raises
        ValueError naming a pattern that matches nothing.
        """
        if not patterns:
            return list(self.tests)
        chosen = set()
        for pat in patterns:
            pat = _display(pat)
            hit = [t for t in self.tests
                   if fnmatch.fnmatch(t.name.lower(), pat.lower())
                   or fnmatch.fnmatch(_display(t.boot.name).lower(),
                                      pat.lower())]
            if not hit:
                raise ValueError("no test matches %r; tests: %s"
                                 % (pat, ", ".join(t.name
                                                   for t in self.tests)))
            chosen.update(hit)
        todo = list(chosen)
        while todo:
            for p in todo.pop().parents:
                if p not in chosen:
                    chosen.add(p)
                    todo.append(p)
        return [t for t in self.tests if t in chosen]

    # ---- running one boot's tests ----

    def _wait_parents(self, t):
        """Block until t's parents have results; the reason to skip or None."""
        with self._cond:
            for p in t.parents:
                while p not in self.results and not self._stopping:
                    self._cond.wait(0.5)
                r = self.results.get(p)
                if r is None:
                    return "not run: interrupted"
                if r.status != "pass":
                    return "not run: needs %s, which failed" % p.name
        return None

    def _start(self, boot, logf):
        """Boot the kernel for boot's tests; (Qemu, Session) at the prompt."""
        q = Qemu(cpus=boot.cpus, mem=boot.mem, kopts=kernel_options(boot.kopts),
                 disks=boot.disks, kernel=self.kernel, fsimg=self.fsimg,
                 log=logf, echo=self.echo, gdb=boot.gdb,
                 stop_on_panic=not boot.expect_panic)
        try:
            q.start()
            if q.gdb_port:
                self.say("%s: gdb listens on port %d" % (boot.name,
                                                         q.gdb_port))
            s = Session(boot, q)
            s.tree = self.tree
            if boot.expect_panic:
                return q, s
            s._expect(PROMPT, boot.boot_timeout, "the first shell prompt")
            if boot.setup is not None:
                s.deadline = time.monotonic() + scaled(TEST_TIMEOUT)
                boot.setup(s)
                s.deadline = None
            return q, s
        except QemuError as e:
            e.args = (str(e) + _said(diagnosis(q.transcript, self.tree,
                                               str(e))),)
            q.close()
            raise
        except BaseException:
            q.close()
            raise

    def _run_one(self, t, s):
        """Run test t in session s (None: host test); (status, output, lost)."""
        start = s.mark() if s else 0
        if s is not None and s.fresh:
            start, s.fresh = 0, False      # the boot's own output counts
        lost = False
        try:
            if s is None:
                t.fn()
            else:
                s.deadline = time.monotonic() + scaled(t.timeout)
                t.fn(s)
            status, out = "pass", ""
        except TestFailure as e:
            status, out = "fail", str(e)
        except QemuError as e:
            status, out, lost = "fail", str(e), True
        except AssertionError as e:
            status, out = "fail", "assertion failed: %s\n%s" % (
                e, traceback.format_exc(limit=-1).rstrip())
        except Exception:
            status, out, lost = "fail", "grader error:\n" + \
                traceback.format_exc().rstrip(), True
        if s is not None and s.boot.expect_panic:
            lost = True            # the kernel is dead, or should be
        elif s is not None:
            m = PANIC_RE.search(s.since(start))
            if m and not out.startswith("kernel panic"):
                lost = True
                if status == "pass":
                    status, out = "fail", "kernel panic: " + m.group(0)
                elif "panic" not in out:
                    out += "\nkernel panic: " + m.group(0)
        if s is not None and status == "fail" and _SAID not in out:
            out += _said(diagnosis(s.q.transcript[start:], self.tree, out))
        return status, out, lost

    def _run_boot(self, boot, tests, logf):
        """Run boot's selected tests in order, booting when needed."""
        q = s = None
        dead = None                # why no more boots are tried
        try:
            for t in tests:
                if self._stopping:
                    return
                why = self._wait_parents(t)
                if why is None and dead is not None:
                    why = dead
                if why is not None:
                    self._record(Result(t, "skip", 0, why))
                    continue
                t0 = time.monotonic()
                logf.write(("\n==== test %s ====\n" % t.name).encode())
                logf.flush()
                if boot is not self.host_boot and q is None:
                    try:
                        q, s = self._start(boot, logf)
                    except (QemuError, TestFailure) as e:
                        what = "the kernel did not boot to the shell " \
                            "prompt" if isinstance(e, QemuError) else \
                            "the boot's setup failed"
                        dead = "not run: %s (see %s)" % (what, t.name)
                        self._record(Result(t, "fail", time.monotonic() - t0,
                                            "%s:\n%s" % (what, e)))
                        continue
                status, out, lost = self._run_one(t, s)
                self._record(Result(t, status, time.monotonic() - t0, out))
                if q is not None and q.proc.poll() is not None:
                    lost = True            # QEMU exited (halt, a crash)
                if lost and q is not None:
                    q.close()
                    q = s = None
        finally:
            if q is not None:
                self._power_off(q)

    def _power_off(self, q):
        """End a boot: halt if it still answers, kill it in any case."""
        try:
            if not self._stopping:
                q.send("halt")
                q.wait_exit(5)
        except QemuError:
            pass
        finally:
            q.close()

    # ---- scheduling boots over workers ----

    def _schedule(self, groups, jobs):
        """Run the (boot, tests, log) groups on `jobs` worker threads.

        A group starts once every other group holding a parent of its tests
        has finished, so waiting for a parent never blocks a worker long.
        """
        deps = {}
        for g in groups:
            deps[id(g)] = {id(h) for h in groups if h is not g for t in g[1]
                           for p in t.parents if p in h[1]}
        pending = list(groups)
        done, running = set(), set()
        sched = threading.Condition()

        def next_group():
            with sched:
                while not self._stopping and pending:
                    for g in pending:
                        if deps[id(g)] <= done:
                            pending.remove(g)
                            running.add(id(g))
                            return g
                    if not running:        # a cycle of parents: go anyway
                        running.add(id(pending[0]))
                        return pending.pop(0)
                    sched.wait(0.5)
                return None

        def worker():
            while True:
                g = next_group()
                if g is None:
                    return
                try:
                    self._run_boot(*g)
                finally:
                    with sched:
                        running.discard(id(g))
                        done.add(id(g))
                        sched.notify_all()

        threads = [threading.Thread(target=worker, daemon=True,
                                    name="grade-worker-%d" % i)
                   for i in range(max(1, min(jobs, len(groups))))]
        for th in threads:
            th.start()
        try:
            for th in threads:
                while th.is_alive():
                    th.join(0.5)
        finally:
            interrupted = any(th.is_alive() for th in threads)
            if interrupted:
                with self._lock:
                    self._stopping = True
                    self._cond.notify_all()
                kill_all()
                for th in threads:
                    th.join(10)
            kill_all()

    # ---- main ----

    def parse_args(self, argv):
        ap = argparse.ArgumentParser(
            prog="grade-%s.py" % self.name,
            description="Grade %s%s." % (self.name, ": " + self.title
                                         if self.title else ""))
        ap.add_argument("names", nargs="*", metavar="T=NAME",
                        help="run only these tests (names, boot names or "
                        "globs) and the tests they depend on")
        ap.add_argument("--only", action="append", default=[],
                        metavar="NAME", help="same as T=NAME")
        ap.add_argument("-j", "--jobs", type=int, default=1,
                        help="boots to run at once (default 1)")
        ap.add_argument("--results", metavar="FILE",
                        help="write results in Gradescope's JSON format")
        ap.add_argument("--junit", metavar="FILE",
                        help="write results as JUnit XML")
        ap.add_argument("--kernel-dir", metavar="DIR", default=TREE,
                        help="grade the tree in DIR (default: %(default)s)")
        ap.add_argument("--log", metavar="FILE",
                        help="console transcript (default: "
                        "DIR/grade-%s.log)" % self.name)
        ap.add_argument("--no-build", action="store_true",
                        help="do not run make first")
        ap.add_argument("--list", action="store_true",
                        help="list the tests and exit")
        ap.add_argument("-v", "--verbose", action="store_true",
                        help="copy the console to the terminal")
        args = ap.parse_args(argv)
        args.patterns = [n[2:] if n.startswith("T=") else n
                         for n in args.names] + args.only
        args.patterns = [p for p in args.patterns if p]
        return args

    def main(self, argv=None):
        """Run the grader as a program; exits with its status."""
        try:
            sys.exit(self._main(self.parse_args(argv)))
        except KeyboardInterrupt:
            kill_all()
            print("\ninterrupted: every QEMU stopped", flush=True)
            sys.exit(130)

    def _main(self, args):
        try:
            tests = self.select(args.patterns)
        except ValueError as e:
            print("grade-%s: %s" % (self.name, e), file=sys.stderr)
            return 2
        if args.list:
            for t in tests:
                print("%-28s %3d pts  %s%s" % (t.name, t.points,
                                               t.boot.name,
                                               "  core" if t.core else ""))
            return 0
        tree = os.path.abspath(args.kernel_dir)
        self.tree = tree
        self.kernel = os.path.join(tree, "kernel", "kernel")
        self.fsimg = os.path.join(tree, "fs.img")
        self.echo = args.verbose
        log_path = os.path.abspath(args.log or os.path.join(
            tree, "grade-%s.log" % self.name))
        t_start = time.monotonic()
        self.say("== grade-%s%s: %s ==" % (self.name, " (" + self.title + ")"
                                           if self.title else "", tree))
        with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
            parts = []
            try:
                self._grade(args, tests, tree, tmp, parts)
            finally:                       # also when interrupted
                self._write_log(log_path, parts)
        return self._finish(args, tests, log_path,
                            time.monotonic() - t_start)

    def _grade(self, args, tests, tree, tmp, parts):
        """Build, then run the tests; appends (what, file) to parts for
        the transcript."""
        build_log = os.path.join(tmp, "build")
        parts.append(("build", build_log))
        with open(build_log, "wb") as blog:
            if not args.no_build:
                t0 = time.monotonic()
                try:
                    make(tree, log=blog)
                    self.say("build: OK (%.1fs)" % (time.monotonic() - t0))
                except BuildError as e:
                    self.say("build: FAIL\n" + "\n".join(
                        "    " + ln for ln in str(e).split("\n")))
                    for t in tests:
                        self._record(Result(t, "fail", 0,
                                            "not run: the build failed"))
                    return
        groups = []
        boots = self.boots + ([self.host_boot] if self.host_boot else [])
        for b in boots:
            mine = [t for t in tests if t.boot is b]
            if not mine:
                continue
            path = os.path.join(tmp, "boot-" + b.name)
            parts.append((b, path))
            groups.append((b, mine, open(path, "wb")))
        try:
            self._schedule(groups, args.jobs)
        finally:
            for g in groups:
                g[2].close()
        if self._stopping:
            raise KeyboardInterrupt

    def _write_log(self, path, parts):
        """Join the build output and each boot's transcript into one file."""
        with open(path, "wb") as out:
            for what, part in parts:
                if what == "build":
                    head = "==== build ===="
                else:
                    head = "==== boot %s: %s; tests: %s ====" % (
                        what.name, what.describe(),
                        ", ".join(t.name for t in what.tests))
                out.write((head + "\n").encode())
                try:
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out)
                except OSError:
                    pass
                out.write(b"\n")

    def _finish(self, args, tests, log_path, secs):
        res = [self.results[t] for t in tests if t in self.results]
        passed = sum(1 for r in res if r.status == "pass")
        failed = len(tests) - passed
        score = sum(r.score for r in res)
        total = sum(t.points for t in tests)
        self.say("Score: %d/%d" % (score, total))
        rel = os.path.relpath(log_path)
        self.say("Console transcript: %s"
                 % (log_path if rel.startswith("..") else rel))
        results = {t: self.results.get(t) or Result(t, "skip", 0, "not run")
                   for t in tests}
        if args.results:
            write_json(args.results, self.name, tests, results, self._lines,
                       secs)
        if args.junit:
            write_junit(args.junit, self.name, tests, results, secs)
        self.say("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
