"""What the benchmark scripts (tools/bench-*.py) share.

  build(lab)          a variant of the kernel to compare: this tree (lab
                      None) or a lab's starter, built; returns its tree
  boot_run(tree, commands, timeout, ...)
                      boot a tree's kernel, type commands at its shell,
                      return the console output
  parse_args(...)     the command line of a comparison of variants
  trees(variants, dry_run)
                      build every variant of a comparison
  figure_names(results), print_table(titles, results, width)
                      the figures of every variant side by side

Numbers from QEMU are emulated time: good for comparing variants within
one run, not across machines. Python 3 standard library only.
"""

import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from qemu import PROMPT, Qemu  # noqa: E402


def build(lab, dry_run=False):
    """Build a variant; returns its tree. lab None: this tree; else that
    lab's starter. The course's tree makes it with tools/lab.py; a student
    tree has no tools/lab.py, but its git repository's first commit (the
    export, by the course staff) is its own lab's starter, which is
    unpacked and built in build/bench-starter. dry_run: only check that
    the variant can be made (sources unpacked, nothing compiled). Exits
    with a message when it cannot."""
    if lab is None:
        if not dry_run:
            subprocess.run(["make", "-s"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        return ROOT
    if os.path.exists(os.path.join(ROOT, "tools", "lab.py")):
        if not dry_run:
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "lab.py"),
                            "build", lab], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        return os.path.join(ROOT, "build", "lab-" + lab)
    return build_student_starter(lab, dry_run)


def build_student_starter(lab, dry_run):
    """The starter of a student tree's own lab, from its first commit."""
    try:
        with open(os.path.join(ROOT, ".lab")) as f:
            mine = f.read().strip()
    except OSError:
        mine = None
    if mine != lab:
        sys.exit("bench: this tree has no starter of lab %s to compare with (it "
                 "is %s); run this benchmark in lab %s's student tree"
                 % (lab, "lab %s's student tree" % mine if mine else
                    "neither the course's tree nor a student tree", lab))
    r = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       universal_newlines=True)
    first = r.stdout.split()
    if r.returncode != 0 or not first:
        sys.exit("bench: no git history here: the starter of lab %s is the "
                 "first commit of the tree you were given" % lab)
    tree = os.path.join(ROOT, "build", "bench-starter")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    # git archive | tar: the first commit's files, without a checkout.
    arc = subprocess.Popen(["git", "archive", first[-1]], cwd=ROOT,
                           stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", tree], stdin=arc.stdout, check=True)
    arc.stdout.close()
    if arc.wait() != 0:
        sys.exit("bench: git archive %s failed" % first[-1])
    if not dry_run:
        subprocess.run(["make", "-s"], cwd=tree, check=True,
                       stdout=subprocess.DEVNULL)
    return tree


def boot_run(tree, commands, timeout, **qemu_opts):
    """Boot tree's kernel (qemu_opts: Qemu's cpus, mem, kopts, disks), type
    each of commands at the shell and wait up to timeout seconds for the
    next prompt; returns the console output from the boot on. A command
    may be a function of the output so far, for a figure the kernel
    printed at boot."""
    with Qemu(kernel=os.path.join(tree, "kernel", "kernel"),
              fsimg=os.path.join(tree, "fs.img"), **qemu_opts) as q:
        q.expect(PROMPT, 120)
        for cmd in commands:
            q.run(cmd(q.transcript) if callable(cmd) else cmd, timeout=timeout)
        return q.transcript


def parse_args(doc, mem="128M", cpus=3, timeout=600, dry_run=False):
    """The command line of a comparison of variants: --mem, --cpus,
    --timeout and, with dry_run, --dry-run. doc: the script's docstring,
    whose first line describes it."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--mem", default=mem)
    ap.add_argument("--cpus", type=int, default=cpus)
    ap.add_argument("--timeout", type=float, default=timeout)
    if dry_run:
        ap.add_argument("--dry-run", action="store_true",
                        help="say which trees would be built and booted, and "
                        "check that they can be; build and boot nothing")
    return ap.parse_args()


def trees(variants, dry_run=False):
    """The trees of variants [(column title, lab or None)], built
    (build()). dry_run: say which tree each would be, check that it can
    be made, and exit."""
    if dry_run:
        for title, lab in variants:
            print("%s: %s" % (title, build(lab, dry_run=True)))
        sys.exit(0)
    return [build(lab) for _, lab in variants]


def figure_names(results):
    """The names of the figures of results [{name: value}], each once, in
    the order the results first give them."""
    names = []
    for r in results:
        names += [n for n in r if n not in names]
    return names


def print_table(titles, results, width):
    """One line per figure and a column of width characters per variant
    (its title on top); "?" where a variant lacks a figure."""
    names = figure_names(results)
    first = max([len(n) for n in names] + [10])
    print("%-*s" % (first, "") + "".join(" %*s" % (width, t) for t in titles))
    for n in names:
        print("%-*s" % (first, n)
              + "".join(" %*s" % (width, r.get(n, "?")) for r in results))
