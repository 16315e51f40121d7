"""Building trees for the graders: make, and variant copies of a tree.

A variant is the same sources built another way (`make BUG=sbrk`, a
lab's student tree) in its own directory build/<variant>/ under the tree,
so its objects never clobber the normal build. build_variant() keeps the
copy in step with the source (only changed files are rewritten, so make
rebuilds only what changed) and runs make there. gradelib re-exports
everything here. Python 3 standard library only; no threads of its own.
"""

import fnmatch
import glob
import os
import re
import shutil
import subprocess

from qemu import tail

TREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class BuildError(Exception):
    """make failed; the message ends with the last lines of its output."""


# What a make running us passes down, and our Makefile's own variables.
MAKE_VARS = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "MAKEOVERRIDES",
             "LAB", "DEST", "FORCE", "BUG", "EXTRA_CFLAGS")


def make_env():
    """Our environment without what a make running us passes down.

    Its jobserver cannot reach us, and its command-line variables (say
    BUG=sbrk or LAB=buddy) must not leak into the build being graded:
    variants are built in their own trees (build_variant).
    """
    env = dict(os.environ)
    for var in MAKE_VARS:
        env.pop(var, None)
    return env


def make_jobs():
    """The N of `make -jN` when a make runs us (all CPUs for a bare -j),
    else None."""
    for word in os.environ.get("MAKEFLAGS", "").split(" -- ")[0].split():
        m = re.fullmatch(r"-j(\d*)", word)
        if m:
            return int(m.group(1)) if m.group(1) else (os.cpu_count() or 1)
    return None


def make(tree, args=(), jobs=None, log=None):
    """Run `make ARGS` in tree; returns its output.

    jobs: make -j (default: the number of CPUs). log: an open binary file
    that also receives the output. Raises BuildError with the error lines
    and the last lines of output when make fails.
    """
    jobs = jobs or os.cpu_count() or 1
    cmd = ["make", "-C", tree, "--no-print-directory", "-j%d" % jobs]
    cmd += list(args)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=make_env(),
                           stdin=subprocess.DEVNULL)
    except OSError as e:
        raise BuildError("cannot run make: %s" % e) from e
    out = p.stdout.decode("utf-8", "replace")
    if log is not None:
        log.write(("# %s\n" % " ".join(cmd)).encode() + p.stdout)
        log.flush()
    if p.returncode != 0:
        errors = [ln for ln in out.split("\n")
                  if re.search(r"error|Error \d|No rule", ln)]
        raise BuildError("`%s` failed (status %d):\n%s\n  last output:\n%s"
                         % (" ".join(cmd), p.returncode,
                            "\n".join("    | " + ln for ln in errors[:15]),
                            tail(out, 15)))
    return out


def tree_files(src):
    """The source files of tree src, as paths relative to it.

    What git tracks plus untracked files git does not ignore; without
    git, every file except build products (.gitignore's simple patterns)
    and the build/ and .git/ directories.
    """
    try:
        p = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached",
                            "--others", "--exclude-standard"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if p.returncode == 0:
            names = [n for n in p.stdout.decode().split("\0") if n]
            return sorted(n for n in names if not n.startswith("build/")
                          and os.path.isfile(os.path.join(src, n)))
    except OSError:
        pass
    pats = []
    try:
        with open(os.path.join(src, ".gitignore")) as f:
            pats = [ln.strip().rstrip("/") for ln in f
                    if ln.strip() and not ln.startswith("#")]
    except OSError:
        pass
    out = []
    for d, dirs, files in os.walk(src):
        rel = os.path.relpath(d, src)
        dirs[:] = [x for x in dirs if x not in (".git", "build")
                   and not any(fnmatch.fnmatch(x, p) for p in pats)]
        for name in files:
            path = os.path.normpath(os.path.join(rel, name))
            if not any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(path, p)
                       for p in pats):
                out.append(path)
    return sorted(out)


def copy_tree(src, dst, files=None, transform=None):
    """Make dst hold the files of tree src; returns how many changed.

    files: relative paths (default tree_files(src)). transform(path, data)
    may return new bytes for a file, or None to leave it out. A file whose
    bytes are already in dst is not touched, so make rebuilds only what
    changed; files copied earlier and no longer wanted are deleted (the
    list lives in dst/.copied-files). Modes are kept.
    """
    files = tree_files(src) if files is None else list(files)
    os.makedirs(dst, exist_ok=True)
    manifest = os.path.join(dst, ".copied-files")
    try:
        with open(manifest) as f:
            old = set(f.read().split("\n")) - {""}
    except OSError:
        old = set()
    changed, written = 0, []
    for rel in files:
        with open(os.path.join(src, rel), "rb") as f:
            data = f.read()
        if transform is not None:
            data = transform(rel, data)
            if data is None:
                continue
        path = os.path.join(dst, rel)
        written.append(rel)
        try:
            with open(path, "rb") as f:
                if f.read() == data:
                    continue
        except OSError:
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        shutil.copymode(os.path.join(src, rel), path)
        changed += 1
    for rel in old - set(written):
        try:
            os.remove(os.path.join(dst, rel))
            changed += 1
        except OSError:
            pass
    with open(manifest, "w") as f:
        f.write("\n".join(written) + "\n")
    return changed


def build_variant(name, make_args=(), src=TREE, transform=None, log=None,
                  reuse=()):
    """Copy tree src to src/build/<name>/ and run `make MAKE_ARGS` there.

    For kernels that must not clobber the normal build: `make BUG=sbrk`
    as variant "bug-sbrk", a lab's student tree as "lab-frames". When the
    make arguments differ from the last build of this variant, it starts
    with `make clean` (the Makefile does not track flags). reuse: globs of
    build products of src that the make arguments do not change (BUG=
    changes only kernel objects): a fresh variant gets copies of them,
    newer than its sources, so make does not build them again. Returns
    the variant's directory; raises BuildError.
    """
    dst = os.path.join(src, "build", name)
    copy_tree(src, dst, transform=transform)
    stamp = os.path.join(dst, ".variant-args")
    want = "\n".join(make_args) + "\n"
    try:
        with open(stamp) as f:
            same = f.read() == want
    except OSError:
        same = False
    if not same:
        make(dst, ["clean"], log=log)
        for pattern in reuse:
            for path in glob.glob(os.path.join(src, pattern)):
                rel = os.path.relpath(path, src)
                shutil.copyfile(path, os.path.join(dst, rel))
                shutil.copymode(path, os.path.join(dst, rel))
    make(dst, list(make_args), log=log)
    with open(stamp, "w") as f:
        f.write(want)
    return dst
