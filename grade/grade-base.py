#!/usr/bin/env python3
"""Grade the base system: the kernel's own tests, the shell, the console.

Boots:
  shell    -smp 3 -m 128M: shell features, console line editing, no frames
           lost by them, and power-off through the SBI.
  cpus1    -smp 1 -m 128M: usertests, then free frames unchanged.
  cpus3    -smp 3 -m 128M: the same with three harts.
  mem32M   -smp 3 -m 32M:  the same in a small machine.
  mem512M  -smp 3 -m 512M: the same in a large machine.
The hostile programs and the fuzzer are graded by grade-hostile.py.
Run `python3 grade/grade-base.py --help` for the options.
"""

import os
import re

from gradelib import Grader, note_free

g = Grader("base", "usertests, shell, console")

PGSIZE = 4096
USERTESTS_TIMEOUT = 300    # a full usertests run; 20 s at 512M today
IDLE_TIMEOUT = 120         # the longest one usertests test may take


def mem_pages(mem):
    """Frames in a QEMU -m size such as "128M"."""
    n, unit = int(mem[:-1]), mem[-1].upper()
    return n * {"M": 1 << 20, "G": 1 << 30}[unit] // PGSIZE


def readme_wc(pattern):
    """What `grep PATTERN README | wc` must print: lines, words, bytes."""
    path = os.path.join(g.tree, "README.md")
    with open(path, "rb") as f:
        lines = [ln for ln in f.read().split(b"\n") if pattern.encode() in ln]
    data = b"".join(ln + b"\n" for ln in lines)
    return "%d %d %d" % (len(lines), len(data.split()), len(data))


# ---- the shell boot ----

shell = g.boot("shell", cpus=3, mem="128M", setup=note_free)


@shell.test(5)
def boot(s):
    """The kernel boots to the shell and counts RAM as QEMU gives it."""
    out = s.run("free")
    m = re.search(r"(?m)^total:\s+(\d+) pages", out)
    if not m:
        s.fail("a line 'total: N pages' from free", out)
    s.check_equal(int(m.group(1)), mem_pages("128M"), "total frames")
    if not 0 < s.state["free"] < int(m.group(1)):
        s.fail("between 0 and %s free frames" % m.group(1),
               "%d free frames" % s.state["free"])


@shell.test(3, parent=boot)
def shell_commands(s):
    """Programs run with arguments; ls and cat see the file system."""
    s.match(s.run("echo hello   world"), r"^hello world$")
    s.match(s.run("ls"), r"^README\s", r"^usertests\s", r"^sh\s")
    s.match(s.run("cat README"), r"xv6-style teaching kernel")
    s.match(s.run("nosuchprogram"), r"exec nosuchprogram failed")


@shell.test(3, parent=boot)
def shell_pipes(s):
    """Pipelines of two and three programs."""
    s.match(s.run("echo hi | wc"), r"^1 1 3\b")
    want = readme_wc("teaching")
    s.match(s.run("cat README | grep teaching | wc"),
            r"^%s\b" % re.escape(want))


@shell.test(3, parent=boot)
def shell_redirect(s):
    """Output and input redirection; rm removes the file."""
    s.run("echo one two > gr-f")
    s.match(s.run("cat < gr-f"), r"^one two$")
    s.match(s.run("wc < gr-f"), r"^1 2 8\b")
    s.run("echo three > gr-f")
    s.match(s.run("cat gr-f"), r"^three$", no=[r"one two"])
    s.run("rm gr-f")
    s.match(s.run("cat gr-f"), r"cannot open gr-f")


@shell.test(4, parent=boot)
def shell_lists(s):
    """`;` lists, ( ) subshells, & background jobs, cd."""
    s.match(s.run("echo a; echo b"), r"^a$", r"^b$", ordered=True)
    s.match(s.run("(echo c; echo d) | wc"), r"^2 2 4\b")
    # The job runs stressfs (about a second) twice first: the shell must
    # take the next command at once, so fg-job comes out before bg-job.
    # (Once, on a loaded host, the job ended before the next command
    # reached the shell: 1 boot in about 20 of make check.)
    start = s.mark()
    s.run("(stressfs > gr-bg; stressfs > gr-bg; echo bg-job) &")
    s.match(s.run("echo fg-job"), r"^fg-job$", no=[r"bg-job"])
    s.expect(r"bg-job\n", 60)
    s.match(s.since(start), r"^fg-job$", r"bg-job$", ordered=True)
    s.match(s.run("cat gr-bg; rm gr-bg"), r"stressfs: ok")
    s.run("mkdir gr-d; echo x > gr-d/f")
    s.match(s.run("cd gr-d; cat f; cd .."), r"^x$")
    s.match(s.run("ls gr-d"), r"^f\s")
    s.run("rm gr-d/f; rm gr-d")
    s.match(s.run("ls gr-d"), r"cannot|open|stat", no=[r"^f\s"])


@shell.test(2, parent=boot)
def console_erase(s):
    """DEL (0x7f) and backspace (^H) erase the last typed character."""
    start = s.mark()
    s.send("\x7f\x7fecho abx\x7fc\x08\x08bc\n")
    s.expect(r"(?m)^abc\n\$ ", 10)
    s.match(s.since(start), r"^abc$", no=[r"^abx", r"^a?bcbc"])


@shell.test(2, parent=boot)
def console_kill_line(s):
    """^U erases the whole line being typed."""
    start = s.mark()
    s.send("echo wrong\x15echo right\n")
    s.expect(r"(?m)^right\n\$ ", 10)
    s.match(s.since(start), r"^right$", no=[r"^wrong"])


@shell.test(2, parent=boot)
def console_eof(s):
    """^D at the start of a line is end of file; after text it ends the
    read and the next read sees end of file."""
    s.sendline("cat")
    s.sendline("hello")
    s.expect(r"(?m)^hello\n", 10)
    s.send("\x04")                          # the console echoes it
    s.expect(r"(?m)^\x04?\$ ", 10)
    start = s.mark()
    s.sendline("wc")
    s.send("one two\nthree\x04")
    s.expect(r"(?m)^\$ ", 10)
    s.match(s.since(start), r"(?:^|three\x04?)1 3 13\b")


@shell.test(2, parent=boot)
def console_procdump(s):
    """^P lists the processes: init (pid 1) and the shell."""
    start = s.mark()
    s.send("\x10")
    # The shell may still be on its way to read() after the prompt, so
    # its state can be run or runble as well as sleep.
    s.expect(r"(?m)^\d+ [a-z]+ +sh\b.*\n", 10)
    s.match(s.since(start), r"^1 [a-z]+ +init\b", r"^\d+ [a-z]+ +sh\b")
    s.match(s.run("echo still here"), r"^still here$")


@shell.test(2, parent=boot)
def console_long_line(s):
    """A line of 200 bytes is cut short but keeps its newline: the shell
    answers and the next command works."""
    s.sendline("echo " + "x" * 200)
    s.expect(r"(?m)^\$ ", 10)
    s.match(s.run("echo after-long-line"), r"^after-long-line$")


@shell.test(4, parent=boot)
def free_shell(s):
    """The shell tests above gave back every frame they used."""
    s.no_frame_lost("by the shell tests above")


@shell.test(2, parent=boot)
def halt(s):
    """`halt` powers the machine off (SBI system reset): QEMU exits 0."""
    s.halt()


# ---- usertests in four machine shapes ----

def usertests(s):
    """usertests passes every test and the kernel does not panic."""
    s.usertests(idle_timeout=IDLE_TIMEOUT)
    s.state["usertests_done"] = True


def free_after(s):
    """After usertests, as many frames are free as right after boot."""
    if not s.state.get("usertests_done"):
        s.fail("usertests to finish in this boot before counting frames",
               "usertests did not finish (see its test)")
    s.no_frame_lost("by usertests")


for name, cpus, mem in (("cpus1", 1, "128M"), ("cpus3", 3, "128M"),
                        ("mem32M", 3, "32M"), ("mem512M", 3, "512M")):
    b = g.boot(name, cpus=cpus, mem=mem, setup=note_free)
    b.test(15, name="usertests-" + name, timeout=USERTESTS_TIMEOUT + 60)(
        usertests)
    b.test(2, name="free-" + name)(free_after)


if __name__ == "__main__":
    g.main()
