"""Boot the kernel under QEMU and talk to its console (Python 3 stdlib only).

The graders (grade/gradelib.py) and the boot benchmark (tools/bench-boot.py)
use this module. One `Qemu` object is one boot:

    with Qemu(cpus=3, mem="128M", log="boot.log") as q:
        q.expect(PROMPT, timeout=60)
        out = q.run("echo hi | wc")          # output between echo and prompt
        q.send("halt")
        q.wait_exit(timeout=30)

The console is a pair of pipes, so boots need no TCP port and any number
can run side by side; a boot started with gdb=True also listens for
gdb-multiarch on a free port of its own (`gdb_port`).

Guarantees:
- fs.img is never modified: every boot runs on a private copy in a temp dir.
- QEMU never outlives us: it runs in its own process group, which close()
  kills; close() runs from `with`, from an atexit hook, on SIGTERM/SIGHUP
  (turned into SystemExit so `finally` blocks run), and, if the `setpriv`
  tool is present, the kernel kills QEMU when the thread that started it
  dies (parent-death signal), which covers a SIGKILLed test driver.
- Every byte of console output is kept (`transcript`) and, when `log` is
  given, written to that file as it arrives.
- Timeouts are multiplied by the environment variable GRADE_TIMEOUT_SCALE
  (default 1) so slow machines can stretch them all at once.
- When GRADE_QEMU_SLOTS names a directory of N files `slot*` (tools/check.py
  makes one), at most N boots run at once across every process that sees
  it: start() waits for a free slot (an flock the boot holds until close(),
  released by the kernel if we die) before QEMU starts, so no timeout runs
  while it waits; waiters queue on a turnstile (flock), so none starves.
  A thread that holds a slot starts further boots freely.

Threads: a reader thread per boot appends console output to a buffer guarded
by `_cond`; expect() waits on that condition. The registry of live boots is
guarded by `_live_lock`. The two are never held together.
"""

import atexit
import codecs
import fcntl
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
QEMU_BIN = "qemu-system-riscv64"

# The shell prints "$ " at the start of a line when it wants a command.
PROMPT = r"(?:^|\n)\$ "

TAIL_LINES = 20


class QemuError(Exception):
    """A boot went wrong; the message ends with the last lines of output."""


class QemuTimeout(QemuError):
    """expect() or wait_exit() ran out of time."""


class QemuExited(QemuError):
    """QEMU exited while we were still waiting for output."""


class QemuPanic(QemuError):
    """The kernel panicked while expect() waited for something else."""


# The kernel's panic line (kernel/printf.c: `panic (hart N): why`).
PANIC_LINE_RE = re.compile(r"(?m)^panic(?: \(hart \d+\))?: .*$")


def timeout_scale():
    """The factor from GRADE_TIMEOUT_SCALE, 1.0 when unset or malformed."""
    try:
        scale = float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    except ValueError:
        return 1.0
    return scale if scale > 0 else 1.0


def scaled(seconds):
    """`seconds` stretched by GRADE_TIMEOUT_SCALE."""
    return seconds * timeout_scale()


# ---- registry of live boots, so nothing leaks on exit or signals ----

_live = set()
_live_lock = threading.Lock()
_handlers_installed = False


def kill_all():
    """Kill every QEMU this process started that is still running."""
    with _live_lock:
        boots = list(_live)
    for q in boots:
        q.kill()


def _close_all():
    """At exit: kill and clean up every boot still open (temp dirs too)."""
    with _live_lock:
        boots = list(_live)
    for q in boots:
        q.close()


def _exit_on_signal(signum, frame):
    # SystemExit unwinds the main thread through every `finally` and `with`,
    # which close their boots; kill_all() catches boots owned by other threads.
    kill_all()
    raise SystemExit(128 + signum)


def _install_handlers():
    """Once per process: atexit cleanup, and SIGTERM/SIGHUP -> SystemExit.

    Signal handlers can only be set from the main thread and are left alone
    if the program already chose its own.
    """
    global _handlers_installed
    if _handlers_installed:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    _handlers_installed = True
    atexit.register(_close_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _exit_on_signal)


_install_handlers()     # at import, which is normally in the main thread


# ---- at most N boots at once across processes (GRADE_QEMU_SLOTS) ----

SLOTS_ENV = "GRADE_QEMU_SLOTS"
_held = threading.local()     # .fd: this thread's slot, .count: its boots


def make_slots(directory, n):
    """Create the N slot files of a limit on boots in directory; returns
    the environment entry that puts it in force for child processes."""
    os.makedirs(directory, exist_ok=True)
    for i in range(n):
        open(os.path.join(directory, "slot%d" % i), "a").close()
    return {SLOTS_ENV: directory}


def _acquire_slot():
    """Wait for a free slot when a limit is in force; None when not (or
    when this thread holds one already)."""
    directory = os.environ.get(SLOTS_ENV)
    if getattr(_held, "count", 0):
        _held.count += 1
        return None
    paths = sorted(glob.glob(os.path.join(directory, "slot*"))) \
        if directory else []
    if not paths:
        return None
    # One waiter at a time looks for a free slot, the others queue on the
    # turnstile (blocking flock): a process that has just given a slot
    # back must queue too, so it cannot take it again before the others.
    turnstile = os.open(os.path.join(directory, "turnstile"),
                        os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        while True:
            for path in paths:
                fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                _held.fd, _held.count = fd, 1
                return fd
            time.sleep(0.05)
    finally:
        os.close(turnstile)


def _release_slot(fd):
    """Give back what _acquire_slot() took (called by the same thread)."""
    if fd is None:
        if getattr(_held, "count", 0):
            _held.count -= 1
        return
    _held.count = 0
    os.close(fd)          # closing the descriptor drops the flock


def _pdeathsig_prefix():
    """argv prefix that makes the kernel SIGKILL the child if we die first."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return []
    return [setpriv, "--pdeathsig", "KILL", "--"]


def _sweep_stale_tmpdirs():
    """Delete temp dirs left by test drivers that were SIGKILLed."""
    top = tempfile.gettempdir()
    try:
        names = os.listdir(top)
    except OSError:
        return
    for name in names:
        m = re.match(r"kqemu-(\d+)-", name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(top, name), ignore_errors=True)
        except OSError:
            pass            # alive, or someone else's


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_output(text):
    """text without the firmware's banner: what follows the last
    `Boot HART ...` line of OpenSBI, when there is one."""
    ends = [m.end() for m in re.finditer(r"(?m)^Boot HART [^\n]*\n",
                                         text[:16384])]
    return text[ends[-1]:].lstrip("\n") if ends else text


def tail(text, n=TAIL_LINES):
    """The last n lines of text, indented, for error messages."""
    lines = text.rstrip("\n").split("\n")[-n:]
    return "\n".join("    | " + line for line in lines)


class Qemu:
    """One boot of the kernel, with its console on pipes.

    cpus, mem: -smp and -m.  kopts: string for -append (kernel options),
    empty for none.  disks: extra virtio disks on slots 1, 2, ...; each is
    a path (used in place: the guest writes to it) or an int (a fresh
    zero-filled scratch image of that many bytes, deleted at close).
    kernel, fsimg: paths of the kernel ELF and the file-system image.
    log: file that receives the transcript as it arrives: a path (created
    afresh), an open binary file (written to, left open), or None.
    echo: also copy console output to our stdout (for interactive debugging).
    gdb: also listen for gdb on a free local port (self.gdb_port); the
    machine runs at once (no -S), so gdb attaches to a running kernel.
    extra_args: more QEMU arguments, e.g. ["-S"].
    argv: replace the whole command (tests of this module use a stub).
    qemu: the emulator binary; default $QEMU, else qemu-system-riscv64.
    stop_on_panic: expect() raises QemuPanic as soon as the kernel prints
    its panic line while it waits for something else, instead of waiting
    out its timeout; set it to False where a panic is what a test waits
    for.
    """

    def __init__(self, cpus=3, mem="128M", kopts="", disks=(),
                 kernel="kernel/kernel", fsimg="fs.img", log=None,
                 echo=False, extra_args=(), argv=None, qemu=None,
                 bios=OPENSBI, gdb=False, stop_on_panic=True):
        self.cpus, self.mem, self.kopts = cpus, mem, kopts
        self.disks, self.kernel, self.fsimg = list(disks), kernel, fsimg
        self.log_path, self.echo = log, echo
        self.extra_args, self.argv = list(extra_args), argv
        self.qemu = qemu or os.environ.get("QEMU") or QEMU_BIN
        self.bios = bios
        self.gdb_port = free_port() if gdb else None
        self.stop_on_panic = stop_on_panic
        self.proc = None
        self.tmpdir = None
        self.t_start = None       # time.monotonic() just before QEMU started
        self.pos = 0              # expect() searches the transcript from
                                  # here; callers may move it
        self._chunks = []         # decoded console output, '\r' removed
        self._eof = False
        self._cond = threading.Condition()
        self._reader = None
        self._logf = None
        self._own_logf = False    # we opened _logf, so we close it
        self._closed = False
        self._slot = None         # the GRADE_QEMU_SLOTS slot held
        self._slot_thread = None  # the thread that took it

    # ---- starting ----

    def command(self, fs_copy, disk_paths):
        """The QEMU argv for this boot, using the private disk copies."""
        if self.argv is not None:
            return list(self.argv)
        cmd = [self.qemu, "-machine", "virt", "-bios", self.bios,
               "-kernel", self.kernel, "-m", str(self.mem),
               "-smp", str(self.cpus), "-nographic",
               "-global", "virtio-mmio.force-legacy=false",
               "-drive", "file=%s,if=none,format=raw,id=x0" % fs_copy,
               "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"]
        for i, path in enumerate(disk_paths, start=1):
            blk = "virtio-blk-device,drive=x%d,bus=virtio-mmio-bus.%d" % (i, i)
            cmd += ["-drive", "file=%s,if=none,format=raw,id=x%d" % (path, i),
                    "-device", blk]
        if self.kopts:
            cmd += ["-append", self.kopts]
        if self.gdb_port:
            cmd += ["-gdb", "tcp:127.0.0.1:%d" % self.gdb_port]
        return cmd + self.extra_args

    def _prepare_disks(self):
        """Copy fs.img and create scratch disks in a private temp dir.

        Returns (fs_copy, [extra disk paths]).
        """
        _sweep_stale_tmpdirs()
        self.tmpdir = tempfile.mkdtemp(prefix="kqemu-%d-" % os.getpid())
        fs_copy = os.path.join(self.tmpdir, "fs.img")
        if self.argv is None:
            shutil.copyfile(self.fsimg, fs_copy)
        paths = []
        for i, d in enumerate(self.disks, start=1):
            if isinstance(d, int):
                path = os.path.join(self.tmpdir, "disk%d.img" % i)
                with open(path, "wb") as f:
                    f.truncate(d)
                paths.append(path)
            else:
                paths.append(d)
        return fs_copy, paths

    def start(self):
        """Start QEMU; returns self. Raises QemuError if it cannot start."""
        if self.proc is not None:
            raise QemuError("this Qemu object was already started")
        if self.argv is None:
            for path in (self.kernel, self.fsimg, self.bios):
                if not os.path.exists(path):
                    raise QemuError("missing %s (run make first?)" % path)
        _install_handlers()
        self._slot = _acquire_slot()
        self._slot_thread = threading.current_thread()
        try:
            fs_copy, disk_paths = self._prepare_disks()
            cmd = self.command(fs_copy, disk_paths)
            if isinstance(self.log_path, str):
                self._logf = open(self.log_path, "wb")
                self._own_logf = True
            elif self.log_path is not None:
                self._logf = self.log_path
        except BaseException:
            self.close()               # gives the slot back
            raise
        if self._logf is not None:
            self._logf.write(("# " + " ".join(cmd) + "\n").encode())
            self._logf.flush()
        self.t_start = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                _pdeathsig_prefix() + cmd, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True, bufsize=0)
        except OSError as e:
            self.close()
            raise QemuError("cannot start %s: %s" % (cmd[0], e)) from e
        with _live_lock:
            _live.add(self)
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name="qemu-reader")
        self._reader.start()
        return self

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- the reader thread ----

    def _read_loop(self):
        """Move console output from the pipe into the buffer until EOF."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if self._logf is not None and data:
                try:
                    self._logf.write(data)
                    self._logf.flush()
                except (OSError, ValueError):
                    pass
            if self.echo and data:
                os.write(1, data)
            text = decoder.decode(data, final=not data).replace("\r", "")
            with self._cond:
                if text:
                    self._chunks.append(text)
                if not data:
                    self._eof = True
                self._cond.notify_all()
            if not data:
                return

    # ---- reading the console ----

    @property
    def transcript(self):
        """All console output so far ('\\r' removed)."""
        with self._cond:
            return self._joined_locked()

    def _joined_locked(self):
        # Caller holds _cond.
        if len(self._chunks) > 1:
            self._chunks = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    def mark(self):
        """Current read position, to pass to text_since() later."""
        return self.pos

    def text_since(self, mark):
        """Console output from `mark` to now."""
        return self.transcript[mark:]

    def tail(self, n=TAIL_LINES):
        """The last n lines of the kernel's output (the firmware's banner
        left out), formatted for an error message."""
        return tail(kernel_output(self.transcript), n)

    def expect(self, regex, timeout=30):
        """Wait until `regex` matches output after the read position.

        Moves the read position to the end of the match and returns the
        re.Match (its positions are absolute in the transcript). Raises
        QemuTimeout after timeout * GRADE_TIMEOUT_SCALE seconds, QemuExited
        if QEMU exits first; both carry the last lines of output.
        """
        pat = re.compile(regex) if isinstance(regex, str) else regex
        limit = scaled(timeout)
        deadline = time.monotonic() + limit
        with self._cond:
            while True:
                text = self._joined_locked()
                m = pat.search(text, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                panic = (PANIC_LINE_RE.search(text, self.pos)
                         if self.stop_on_panic else None)
                if panic:
                    self._cond.wait(1.0)   # the rest of the panic (backtrace)
                    raise QemuPanic("kernel panic while waiting for %r:\n"
                                    "    %s\nlast output:\n%s"
                                    % (pat.pattern, panic.group(0),
                                       tail(self._joined_locked())))
                if self._eof:
                    raise QemuExited("QEMU exited (status %s) while waiting "
                                     "for %r; last output:\n%s"
                                     % (self._status(), pat.pattern,
                                        tail(text)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QemuTimeout("timeout (%.0fs) waiting for %r; last "
                                      "output:\n%s"
                                      % (limit, pat.pattern, tail(text)))
                self._cond.wait(min(left, 1.0))

    def _status(self):
        if self.proc is None:
            return "never started"
        try:
            return str(self.proc.wait(timeout=1))
        except subprocess.TimeoutExpired:
            return "unknown"

    # ---- writing to the console ----

    def send(self, line, newline=True):
        """Type `line` (plus a newline) on the console.

        Raises QemuExited if QEMU no longer reads its input.
        """
        data = (line + ("\n" if newline else "")).encode()
        if self.proc is None or self.proc.stdin is None:
            raise QemuError("QEMU is not running")
        try:
            while data:         # a raw pipe may take only part of it
                n = self.proc.stdin.write(data)
                data = data[n or 0:]
        except (BrokenPipeError, ValueError, OSError) as e:
            raise QemuExited("cannot type %r: QEMU is gone (%s); last "
                             "output:\n%s" % (line, e, self.tail())) from e

    def run(self, cmd, timeout=30, prompt=PROMPT):
        """Type a shell command, wait for the next prompt, return its output.

        The output is the text after the console's echo of `cmd` and before
        the prompt; text that came before the echo (e.g. from a background
        job) is kept too, in front. Raises like expect().
        """
        start = self.mark()
        self.send(cmd)
        m = self.expect(prompt, timeout)
        text = self.transcript[start:m.start()]
        if m.group(0).startswith("\n"):
            text += "\n"          # the prompt regex ate the last newline
        echo = cmd + "\n"
        i = text.find(echo)
        if i >= 0:
            text = text[:i] + text[i + len(echo):]
        return text

    # ---- stopping ----

    def wait_exit(self, timeout=30):
        """Wait for QEMU to exit by itself; returns its exit status.

        Raises QemuTimeout (with the last output) if it is still running
        after timeout * GRADE_TIMEOUT_SCALE seconds.
        """
        limit = scaled(timeout)
        try:
            status = self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            raise QemuTimeout("QEMU still running %.0fs later; last output:"
                              "\n%s" % (limit, self.tail())) from None
        self._killpg()           # stray children would hold the pipe open
        if self._reader is not None:
            self._reader.join(timeout=5)
        return status

    def kill(self):
        """SIGKILL QEMU's process group, if it is still running."""
        if self.proc is not None and self.proc.returncode is None:
            self._killpg()

    def _killpg(self):
        # The group id is QEMU's pid; once QEMU is reaped the id could in
        # principle be reused, so this is only called right after a wait
        # or while QEMU is known to be unreaped.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self):
        """Kill QEMU if needed and free everything. Safe to call twice."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
        try:
            self.kill()
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                if self._reader is not None:
                    self._reader.join(timeout=5)
                for f in (self.proc.stdin, self.proc.stdout):
                    try:
                        f.close()
                    except (OSError, ValueError):
                        pass
        finally:
            self._give_back_slot()
            with _live_lock:
                _live.discard(self)
            if self._logf is not None and self._own_logf:
                try:
                    self._logf.close()
                except OSError:
                    pass
            if self.tmpdir is not None:
                shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _give_back_slot(self):
        """Release the boot's slot, once QEMU is gone."""
        if self._slot_thread is None:
            return
        if self._slot_thread is threading.current_thread():
            _release_slot(self._slot)
        elif self._slot is not None:
            os.close(self._slot)     # closed from elsewhere (atexit)
        self._slot_thread = self._slot = None

    @property
    def elapsed(self):
        """Seconds since QEMU was started."""
        return time.monotonic() - self.t_start if self.t_start else 0.0
