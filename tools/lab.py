#!/usr/bin/env python3
"""Make the per-lab trees of this course from the complete kernel.

main holds every solution. A lab's student tree is generated from it:
labs before the lab keep their solution; the lab itself and every later
one are replaced by their starter code. labs/README.md explains the
markers and the per-lab files; in short:

  labs/labs.txt              the labs in order, one name a line (# comments)
  #ifdef SOL_<LAB> ... #else ... #endif
                             solution code, starter in the optional #else
                             (also #ifndef SOL_<LAB>); .c, .h and .S files
  labs/<lab>/starter/        whole files (paths mirror the repo) that
                             replace main's when the lab is unsolved
  labs/<lab>/solution-files  repo paths that only the solved form has:
                             deleted when the lab is unsolved, unless the
                             lab's own starter provides that path
  labs/<lab>/README.md       the handout

Commands:
  lab.py list                       the labs, in order
  lab.py export [--force] LAB DEST  write LAB's student tree (a fresh git
                                    repository with one commit) into DEST
  lab.py build [--no-make] LAB [MAKEARGS...]
                                    export into build/lab-LAB (rewriting only
                                    changed files, so make stays incremental),
                                    then run make there with MAKEARGS
  lab.py leaks LAB [TREE...]        identifying-lines check: no line that only
                                    LAB's solution has may appear in the
                                    student tree of LAB or of an earlier lab
                                    (freshly exported, or the TREEs given,
                                    which are taken as those of LAB, LAB-1, ...)
  lab.py lines LAB                  print LAB's identifying lines

Building a variant for lab N: copy the files that git knows or would add
(`git ls-files --cached --others --exclude-standard`); for each unsolved
lab L from the last back to N (so that N's starter wins), delete L's
solution-files and copy L's starter over the tree; run unifdef on every
.c/.h/.S file with -DSOL_X for solved and -USOL_X for unsolved labs.

The module is also imported by labs/invariants.py. Python 3 standard
library only, plus the unifdef and git commands.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from gradebuild import copy_tree  # noqa: E402
from gradelib import ANSWER_HERE  # noqa: E402

LAB_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
C_SUFFIXES = (".c", ".h", ".S")
# Any SOL_ token in C sources; in other files only SOL_<known lab> counts
# (the Makefile of the complete tree builds its -DSOL_ flags from a list).
SOL_TOKEN = re.compile(r"\bSOL_([A-Za-z0-9_]+)")
STAFF = ["-c", "user.name=Course Staff", "-c", "user.email=staff@localhost"]
# Files and folders of the lab machinery that no student tree contains.
# tests/lockdep checks the complete kernel's lock orders against its table.
MACHINERY = ["tools/lab.py", "labs/invariants.py", "labs/README.md",
             "tests/lab", "tests/lockdep"]

# Identifying lines: shorter lines (in non-space characters) are too
# generic to tell a solution from anything else.
MIN_CHARS = 16
C_KEYWORDS = set("""
auto break case char const continue default do double else enum extern
float for goto if inline int long register restrict return short signed
sizeof static struct switch typedef union unsigned void volatile while
uint uint8 uint16 uint32 uint64 int8 int16 int32 int64 NULL include define
endif ifdef ifndef
""".split())


class LabError(Exception):
    """A lab is misdescribed or an export went wrong; the message says how."""


# ---- the lab list and each lab's files ----

def read_labs(root=ROOT):
    """The lab names of labs/labs.txt, in order; [] if there is none."""
    path = os.path.join(root, "labs", "labs.txt")
    if not os.path.exists(path):
        return []
    labs = []
    with open(path) as f:
        for num, line in enumerate(f, 1):
            name = line.split("#", 1)[0].strip()
            if not name:
                continue
            if not LAB_NAME.match(name):
                raise LabError("labs/labs.txt:%d: bad lab name %r "
                               "(lower case, digits, _)" % (num, name))
            if name in labs:
                raise LabError("labs/labs.txt:%d: %s listed twice" % (num, name))
            labs.append(name)
    return labs


def symbol(lab):
    """The preprocessor symbol of a lab: frames -> SOL_FRAMES."""
    return "SOL_" + lab.upper()


def machinery(path):
    """True for a repo path that belongs to the lab machinery."""
    return any(path == m or path.startswith(m + "/") for m in MACHINERY)


def lab_index(labs, lab):
    if lab not in labs:
        raise LabError("no lab %r in labs/labs.txt (labs: %s)"
                       % (lab, " ".join(labs) or "none"))
    return labs.index(lab)


def solution_files(root, lab):
    """Paths listed in labs/<lab>/solution-files (none if no such file)."""
    path = os.path.join(root, "labs", lab, "solution-files")
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            p = line.split("#", 1)[0].strip()
            if p:
                out.append(os.path.normpath(p))
    return out


def starter_files(root, lab):
    """{repo path: file} of the overlay labs/<lab>/starter/ (may be empty)."""
    top = os.path.join(root, "labs", lab, "starter")
    out = {}
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(d, name)
            out[os.path.relpath(full, top)] = full
    return out


def source_files(root=ROOT):
    """Repo paths of the files git tracks or would add, that exist."""
    try:
        out = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"], check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise LabError("git ls-files failed in %s: %s" % (root, e))
    paths = []
    for p in sorted(set(out.decode().split("\0"))):
        full = os.path.join(root, p)
        if p and (os.path.islink(full) or os.path.isfile(full)):
            paths.append(p)
    return paths


def is_csource(path):
    return path.endswith(C_SUFFIXES)


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def validate(root, labs, files):
    """Refuse lab descriptions that would silently export the wrong tree.

    Every solution-files entry must exist in main (a typo would delete
    nothing), and every SOL_ symbol in a C source must name a listed lab
    (a misspelled marker would leave its solution in every tree).
    """
    fileset = set(files)
    known = {symbol(l)[4:] for l in labs}
    for lab in labs:
        for p in solution_files(root, lab):
            if p not in fileset:
                raise LabError("labs/%s/solution-files: %s is not a file of "
                               "the tree" % (lab, p))
    for p in files:
        if not is_csource(p):
            continue
        for num, line in enumerate(read_text(os.path.join(root, p)).split("\n"), 1):
            for m in SOL_TOKEN.finditer(line):
                if m.group(1) not in known:
                    raise LabError("%s:%d: SOL_%s names no lab of "
                                   "labs/labs.txt" % (p, num, m.group(1)))


# ---- building a variant ----

def copy_file(src, dst):
    """Copy one file (or symlink) with its mode, making parent folders."""
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    if os.path.lexists(dst):
        os.unlink(dst)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
    else:
        shutil.copyfile(src, dst)
        shutil.copymode(src, dst)


def remove_path(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def prune_empty_dirs(top):
    for d, dirs, files in os.walk(top, topdown=False):
        if d != top and not os.listdir(d):
            os.rmdir(d)


def unifdef_args(labs, n):
    """-D for the labs before index n, -U for n and later."""
    return (["-D" + symbol(l) for l in labs[:n]] +
            ["-U" + symbol(l) for l in labs[n:]])


def run_unifdef(args, paths, text_mode=False):
    """unifdef -m (in place) over paths; LabError on its status 2.

    .S files are run with -t: their '#' comments may hold apostrophes that
    unifdef would otherwise take for unterminated character literals.
    """
    cmd = ["unifdef", "-B", "-m"] + (["-t"] if text_mode else []) + args
    for i in range(0, len(paths), 200):
        chunk = paths[i:i + 200]
        r = subprocess.run(cmd + chunk, capture_output=True, text=True)
        if r.returncode not in (0, 1):
            raise LabError("unifdef failed:\n" + r.stderr.strip())


def unifdef_text(args, path):
    """The output of unifdef args on one file, as text."""
    cmd = ["unifdef", "-B"] + (["-t"] if path.endswith(".S") else []) + args
    r = subprocess.run(cmd + [path], capture_output=True)
    if r.returncode not in (0, 1):
        raise LabError("unifdef failed on %s:\n%s"
                       % (path, r.stderr.decode().strip()))
    return r.stdout.decode("utf-8", "replace")


def make_variant(root, labs, n, dest):
    """Write into the empty folder dest the tree of lab index n.

    Labs before n are solved; n and every later lab are unsolved.
    Returns nothing; raises LabError.
    """
    files = source_files(root)
    validate(root, labs, files)
    for p in files:
        copy_file(os.path.join(root, p), os.path.join(dest, p))
    for lab in reversed(labs[n:]):
        for p in solution_files(root, lab):
            remove_path(os.path.join(dest, p))
        for p, src in starter_files(root, lab).items():
            copy_file(src, os.path.join(dest, p))
    csrc = []
    for d, dirs, names in os.walk(dest):
        dirs[:] = [x for x in dirs if x != ".git"]
        csrc += [os.path.join(d, x) for x in names if is_csource(x)
                 and not os.path.islink(os.path.join(d, x))]
    args = unifdef_args(labs, n)
    run_unifdef(args, sorted(p for p in csrc if not p.endswith(".S")))
    run_unifdef(args, sorted(p for p in csrc if p.endswith(".S")), True)


COMPLETE_BEGIN = "# >>> complete tree only"
COMPLETE_END = "# <<< complete tree only"


def strip_complete_only(path):
    """Drop the blocks between COMPLETE_BEGIN and COMPLETE_END lines
    (both included) from a file: the Makefile's lab machinery."""
    if not os.path.exists(path):
        return
    out, inside = [], False
    for line in read_text(path).split("\n"):
        if line.startswith(COMPLETE_BEGIN):
            if inside:
                raise LabError("%s: nested '%s'" % (path, COMPLETE_BEGIN))
            inside = True
        elif line.startswith(COMPLETE_END):
            if not inside:
                raise LabError("%s: '%s' without a begin" % (path, COMPLETE_END))
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise LabError("%s: unterminated '%s'" % (path, COMPLETE_BEGIN))
    with open(path, "w") as f:
        f.write("\n".join(out))


def blank_answers(path):
    """Empty the answers of an answers file (labs/<lab>/answers.md): each
    `## ` question keeps its heading, and ANSWER_HERE stands under it."""
    if not os.path.exists(path):
        return
    parts = re.split(r"(?m)^(?=## )", read_text(path))
    out = [parts[0]] + [p.split("\n", 1)[0] + "\n\n" + ANSWER_HERE + "\n\n"
                        for p in parts[1:]]
    with open(path, "w") as f:
        f.write("".join(out).rstrip("\n") + "\n")


def trim_for_students(root, labs, n, dest):
    """Remove from a variant what a student of lab index n must not see.

    Later labs' folders and graders, every starter overlay,
    solution-files list and tasks folder, the lab machinery; labs/labs.txt keeps the labs
    up to n; .lab names the lab; README.md opens with a pointer to the
    handout; the lab's answers.md has its questions and no answers.
    """
    lab = labs[n]
    for later in labs[n + 1:]:
        remove_path(os.path.join(dest, "labs", later))
        remove_path(os.path.join(dest, "grade", "grade-lab-%s.py" % later))
    for earlier in labs[:n + 1]:
        remove_path(os.path.join(dest, "labs", earlier, "starter"))
        remove_path(os.path.join(dest, "labs", earlier, "solution-files"))
        remove_path(os.path.join(dest, "labs", earlier, "tasks"))
    for p in MACHINERY:
        remove_path(os.path.join(dest, p))
    with open(os.path.join(dest, "labs", "labs.txt"), "w") as f:
        f.write("# The labs of this course so far, in order.\n")
        f.write("".join(l + "\n" for l in labs[:n + 1]))
    with open(os.path.join(dest, ".lab"), "w") as f:
        f.write(lab + "\n")
    strip_complete_only(os.path.join(dest, "Makefile"))
    blank_answers(os.path.join(dest, "labs", lab, "answers.md"))
    readme = os.path.join(dest, "README.md")
    old = read_text(readme) if os.path.exists(readme) else ""
    with open(readme, "w") as f:
        f.write("> **This is the student tree for lab `%s`.** Start with its "
                "handout,\n> [labs/%s/README.md](labs/%s/README.md). "
                "Labs before it are solved here;\n> `make grade` grades "
                "your work on this lab.\n\n" % (lab, lab, lab))
        f.write(old)
    prune_empty_dirs(dest)


def walk_files(tree):
    """(path relative to tree, full path) of every regular file in tree,
    in a stable order, skipping .git and symbolic links."""
    for d, dirs, files in os.walk(tree):
        dirs[:] = sorted(x for x in dirs if x != ".git")
        for name in sorted(files):
            full = os.path.join(d, name)
            if not os.path.islink(full):
                yield os.path.relpath(full, tree), full


def marker_hits(labs, tree):
    """["path:line: text"] of SOL_ markers left in tree (skips .git)."""
    names = {symbol(l) for l in labs}
    hits = []
    for rel, full in walk_files(tree):
        csource = is_csource(os.path.basename(rel))
        for num, line in enumerate(read_text(full).split("\n"), 1):
            for m in SOL_TOKEN.finditer(line):
                if csource or m.group(0) in names:
                    hits.append("%s:%d: %s" % (rel, num, line.strip()))
                    break
    return hits


def git_commit_all(dest, lab):
    """Make dest a fresh git repository holding its files in one commit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"

    def git(*args):
        r = subprocess.run(["git", "-C", dest] + STAFF +
                           ["-c", "commit.gpgsign=false",
                            "-c", "core.autocrlf=false",
                            "-c", "core.hooksPath=/dev/null",
                            "-c", "init.defaultBranch=main"] + list(args),
                           env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise LabError("git %s failed in %s:\n%s"
                           % (args[0], dest, (r.stderr or r.stdout).strip()))
        return r.stdout
    git("init", "-q")
    git("add", "-A", "-f", ".")
    git("commit", "-q", "--no-verify", "-m", "Lab %s: starter code" % lab)
    if git("status", "--porcelain").strip():
        raise LabError("export in %s: files left out of the commit" % dest)


def check_dest(dest, force, root=ROOT):
    """Refuse a DEST that holds anything, unless forced over an old export.

    --force only replaces a folder that holds a `.lab` file (one that an
    export wrote), so a typo cannot wipe an unrelated folder.
    """
    real = os.path.realpath(dest)
    root = os.path.realpath(root)
    if real == root or root.startswith(real.rstrip("/") + "/"):
        raise LabError("DEST %s is this tree or holds it" % dest)
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise LabError("DEST %s is not a folder" % dest)
    if not os.path.exists(dest) or not os.listdir(dest):
        return
    if not force:
        raise LabError("DEST %s is not empty (use --force to replace an "
                       "earlier export)" % dest)
    if not os.path.exists(os.path.join(dest, ".lab")):
        raise LabError("DEST %s is not empty and holds no .lab file: "
                       "not replacing what is not an export" % dest)
    for name in os.listdir(dest):
        remove_path(os.path.join(dest, name))


def export(lab, dest, force=False, git=True, root=ROOT):
    """Write the student tree of lab into dest. Raises LabError."""
    labs = read_labs(root)
    n = lab_index(labs, lab)
    check_dest(dest, force, root)
    os.makedirs(dest, exist_ok=True)
    make_variant(root, labs, n, dest)
    trim_for_students(root, labs, n, dest)
    hits = marker_hits(labs, dest)
    if hits:
        raise LabError("SOL_ markers left in the export of %s:\n  %s"
                       % (lab, "\n  ".join(hits[:20])))
    if git:
        git_commit_all(dest, lab)


# ---- build: an incremental copy in build/lab-<lab> ----

def build_tree(lab, root=ROOT, quiet=False):
    """Refresh build/lab-<lab> from main; returns its path.

    gradebuild.copy_tree rewrites only the files that changed, so make
    there rebuilds only what depends on them, and deletes the files an
    earlier build wrote that the variant no longer has.
    """
    top = os.path.join(root, "build")
    dst = os.path.join(top, "lab-" + lab)
    os.makedirs(dst, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-%s-" % lab, dir=top)
    try:
        export(lab, tmp, git=False, root=root)
        changed = copy_tree(tmp, dst, [rel for rel, _ in walk_files(tmp)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not quiet:
        print("lab.py: build/lab-%s: %d files written or deleted"
              % (lab, changed), file=sys.stderr)
    return dst


# ---- identifying lines ----

def norm(line):
    return " ".join(line.split())


def generic(line):
    """True for a normalized line too short or too plain to identify code."""
    if len(line.replace(" ", "")) < MIN_CHARS:
        return True
    if "SOL_" in line:
        return True                     # a marker line, not code
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line)
    return all(w in C_KEYWORDS for w in words)


def lines_of(text):
    return {norm(l) for l in text.split("\n")} - {""}


class Lines:
    """Normalized lines, each with the files it came from."""

    def __init__(self):
        self.where = {}

    def add(self, text, origin):
        for l in lines_of(text):
            self.where.setdefault(l, set()).add(origin)


def branch_lines(path, labs, lab, solved):
    """Lines of one side of lab's #ifdef regions in one file.

    solved=True: the lines the solved form has and the unsolved lacks;
    False: the other way round. Other labs' markers are left as they are.
    """
    on = unifdef_text(["-D" + symbol(lab)], path)
    off = unifdef_text(["-U" + symbol(lab)], path)
    return lines_of(on) - lines_of(off) if solved else lines_of(off) - lines_of(on)


def mentions(path, lab):
    return is_csource(path) and re.search(r"\b%s\b" % symbol(lab), read_text(path))


def starter_parts(root, labs, lab, files):
    """Lines that lab's unsolved form shows: its starter overlay and the
    #else sides of its regions (in main and in later labs' overlays)."""
    out = set()
    for p, src in starter_files(root, lab).items():
        out |= lines_of(read_text(src))
    for full in region_files(root, labs, lab, files):
        out |= branch_lines(full, labs, lab, solved=False)
    return out


def region_files(root, labs, lab, files):
    """Files that may hold lab's regions: main's (except overlays) and
    the overlays of later labs, which are used while lab is unsolved."""
    out = [os.path.join(root, p) for p in files
           if not p.startswith("labs/") and mentions(os.path.join(root, p), lab)]
    for later in labs[labs.index(lab) + 1:]:
        out += [s for p, s in starter_files(root, later).items() if mentions(s, lab)]
    return out


def solution_sources(root, labs, lab, files):
    """Lines of lab's solution, each with its files: the solved sides of
    lab's regions, lab's solution-files, and main's versions of the files
    that lab's starter replaces."""
    src = Lines()
    for full in region_files(root, labs, lab, files):
        src.add("\n".join(branch_lines(full, labs, lab, True)),
                os.path.relpath(full, root))
    for p in sorted(set(starter_files(root, lab)) | set(solution_files(root, lab))):
        if os.path.exists(os.path.join(root, p)):
            src.add(read_text(os.path.join(root, p)), p)
    return src.where


def legit_lines(root, labs, lab, files):
    """Every line the tree still shows with lab unsolved and every other
    lab solved: main's other files and regions, lab's starter parts, and
    the handouts up to lab."""
    n = labs.index(lab)
    allowed = starter_parts(root, labs, lab, files)
    skip = set(starter_files(root, lab)) | set(solution_files(root, lab))
    others = unifdef_args(labs, len(labs))
    others[n] = "-U" + symbol(lab)
    handouts = {"labs/%s/README.md" % l for l in labs[:n + 1]}
    for p in files:
        full = os.path.join(root, p)
        if p in skip or os.path.islink(full) or machinery(p):
            continue
        if p.startswith("labs/") and p not in handouts:
            continue
        if is_csource(p) and "SOL_" in read_text(full):
            allowed |= lines_of(unifdef_text(others, full))
        else:
            allowed |= lines_of(read_text(full))
    return allowed


def identifying_lines(lab, root=ROOT):
    """{line: origins} that only lab's solution has; LabError if none.

    The lines of solution_sources() less short or generic ones and less
    legit_lines(). Each must occur in main (a check of this code).
    """
    labs = read_labs(root)
    lab_index(labs, lab)
    files = source_files(root)
    validate(root, labs, files)
    allowed = legit_lines(root, labs, lab, files)
    ident = {l: o for l, o in solution_sources(root, labs, lab, files).items()
             if l not in allowed and not generic(l)}
    if not ident:
        raise LabError("lab %s has no identifying lines: its solution regions, "
                       "solution-files and starter overlay differ from the "
                       "starter in nothing distinctive, so a leak check would "
                       "prove nothing" % lab)
    main_lines = set()
    for p in files:
        if not os.path.islink(os.path.join(root, p)):
            main_lines |= lines_of(read_text(os.path.join(root, p)))
    missing = [l for l in ident if l not in main_lines]
    if missing:
        raise LabError("internal error: identifying lines not in main: %r"
                       % missing[:5])
    return ident


def tree_lines(tree):
    """{normalized line: [files]} of every file in tree (skips .git)."""
    out = {}
    for rel, full in walk_files(tree):
        for l in lines_of(read_text(full)):
            out.setdefault(l, []).append(rel)
    return out


def find_leaks(lab, trees, root=ROOT):
    """Leaks of lab's identifying lines into the student trees.

    trees: {earlier-or-same lab: tree path}. A line that lab's solution
    shares with the starter parts of the labs from that tree's lab up to
    lab is not counted for that tree (it is starter code there).
    Returns (number of identifying lines, ["tree lab: file: line (from
    origin)"]). Raises LabError when the check would be vacuous.
    """
    labs = read_labs(root)
    n = lab_index(labs, lab)
    ident = identifying_lines(lab, root)
    files = source_files(root)
    leaks = []
    for k, tree in sorted(trees.items(), key=lambda kv: labs.index(kv[0])):
        i = lab_index(labs, k)
        if i > n:
            raise LabError("lab %s is after %s: its tree may hold %s's "
                           "solution" % (k, lab, lab))
        excuse = set()
        for j in range(i, n):
            excuse |= starter_parts(root, labs, labs[j], files)
        have = tree_lines(tree)
        for l in sorted(ident):
            if l in have and l not in excuse:
                leaks.append("tree of %s: %s: %s   (from %s)"
                             % (k, ", ".join(have[l]), l,
                                ", ".join(sorted(ident[l]))))
    return len(ident), leaks


# ---- command line ----

def cmd_leaks(args):
    labs = read_labs()
    n = lab_index(labs, args.lab)
    tmp = None
    try:
        if args.trees:
            names = labs[:n + 1][::-1]
            if len(args.trees) > len(names):
                raise LabError("more trees than labs up to %s" % args.lab)
            trees = dict(zip(names, args.trees))
        else:
            tmp = tempfile.mkdtemp(prefix="lab-leaks-")
            trees = {}
            for k in labs[:n + 1]:
                trees[k] = os.path.join(tmp, k)
                export(k, trees[k], git=False)
        count, leaks = find_leaks(args.lab, trees)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    for l in leaks:
        print("LEAK " + l)
    print("lab %s: %d identifying lines, %d leaked into %s"
          % (args.lab, count, len(leaks), ", ".join(trees)))
    return 1 if leaks else 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Build the per-lab student trees from the complete kernel.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="print the labs in order")
    p = sub.add_parser("export", help="write LAB's student tree into DEST")
    p.add_argument("--force", action="store_true",
                   help="replace DEST if it holds an earlier export")
    p.add_argument("--no-git", action="store_true",
                   help="leave out the git repository")
    p.add_argument("lab")
    p.add_argument("dest")
    p = sub.add_parser("build", help="export into build/lab-LAB and run make there")
    p.add_argument("--no-make", action="store_true", help="only refresh the tree")
    p.add_argument("lab")
    p.add_argument("makeargs", nargs=argparse.REMAINDER)
    p = sub.add_parser("leaks", help="identifying-lines check")
    p.add_argument("lab")
    p.add_argument("trees", nargs="*",
                   help="student trees of LAB, LAB-1, ... (default: export them)")
    p = sub.add_parser("lines", help="print LAB's identifying lines")
    p.add_argument("lab")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            print("\n".join(read_labs()))
        elif args.cmd == "export":
            export(args.lab, args.dest, force=args.force, git=not args.no_git)
            print("lab.py: exported lab %s into %s" % (args.lab, args.dest))
        elif args.cmd == "build":
            dst = build_tree(args.lab)
            if not args.no_make:
                sys.stdout.flush()
                return subprocess.run(["make", "-C", dst] + args.makeargs,
                                      close_fds=False).returncode
        elif args.cmd == "leaks":
            return cmd_leaks(args)
        elif args.cmd == "lines":
            for l, o in sorted(identifying_lines(args.lab).items()):
                print("%s   (%s)" % (l, ", ".join(sorted(o))))
    except LabError as e:
        print("lab.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
