#!/usr/bin/env python3
"""A student tree after each task scores what the handout says it scores.

For each lab with a file labs/<lab>/tasks/tasks.txt (today frames,
buddy, lazy and cow; swap waits for its task 4 to settle), this check makes the lab's student tree (tools/lab.py), then
applies the lab's solution one task at a time, as tasks.txt splits it
into pieces taken from the solved tree (the tree of the next lab, in
which this lab is solved):

    task N                      the pieces of task N follow
    file PATH                   the solved tree's PATH, whole
    func PATH NAME...           the functions NAME of the solved tree's
                                PATH replace those of the tree's PATH
                                (appended if it has none of that name)
    func PATH NAME... from F    the same, from labs/<lab>/tasks/F: the
                                form a function has after this task, where
                                the solved one also holds a later task
    decl PATH NAME...           the top-level declarations of NAME
    not-a-task PATH...          (before task 1) files where the solved
                                tree differs in what is no student's work
                                (a later lab's tests that come with this
                                lab's solution): applied by no task

After each task whose item in the handout's "Tasks" section carries a
line

    After this task: `a`, `b` pass; `c`, `d` still fail.

("nothing new passes" for no test, and then it only builds the tree;
"; `c` still fails" may be left out, or be ", and so does every test of
the table below"; a remark in parentheses may end it), it grades the
tree with the lab's grader, only with the tests that line names, and
fails if a test said to pass does not or a test said to fail passes. Tasks without the line are applied and checked
together with the next one. After the last task the tree's kernel/ and
user/ must be the solved tree's: tasks.txt then holds the whole
solution, and the invariants (labs/invariants.py: the next lab's starter
scores full marks on this lab's grader) vouch for "every test".

Run: python3 tests/lab/test_tasks.py [-v] [--lab LAB]; the last
line is `N passed, N failed`. Trees are kept in build/tasks-<lab>, so a
second run rebuilds only what changed. Python 3 standard library only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "grade"))
import lab as labtool  # noqa: E402
from gradebuild import copy_tree  # noqa: E402


class TaskError(Exception):
    pass


# ---- tasks.txt ----

def read_tasks(lab):
    """([(task number, [piece, ...])], [not-a-task path, ...]) of
    labs/<lab>/tasks/tasks.txt; a piece is (kind, path, names, from-file
    or None)."""
    path = os.path.join(ROOT, "labs", lab, "tasks", "tasks.txt")
    tasks, notask = [], []
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            where = "%s:%d" % (os.path.relpath(path, ROOT), n)
            if words[0] == "task" and len(words) == 2 and words[1].isdigit():
                tasks.append((int(words[1]), []))
                continue
            if words[0] == "not-a-task" and not tasks:
                notask += words[1:]
                continue
            if not tasks or words[0] not in ("file", "func", "decl") or len(words) < 2:
                raise TaskError("%s: cannot read %r" % (where, raw.strip()))
            src = None
            if "from" in words:
                i = words.index("from")
                if i != len(words) - 2:
                    raise TaskError("%s: 'from FILE' ends the line" % where)
                src = os.path.join(ROOT, "labs", lab, "tasks", words[i + 1])
                words = words[:i]
            if (words[0] == "file") != (len(words) == 2):
                raise TaskError("%s: file takes one path, func and decl names" % where)
            tasks[-1][1].append((words[0], words[1], words[2:], src))
    if [t for t, _ in tasks] != list(range(1, len(tasks) + 1)):
        raise TaskError("%s: tasks must be numbered 1, 2, ... in order" % path)
    return tasks, notask


# ---- the handout's claims ----

CLAIM = re.compile(r"After this task: (nothing new passes|.+?) pass(?:es)?"
                   r"(?:; (.+?) still fails?|, and so does (every test) of the "
                   r"table below)?(?: \([^)]*\))?\.")


def read_claims(lab):
    """{task: (tests that pass, tests that still fail, every test passes)}
    from the items of the handout's "## Tasks" section that carry an
    "After this task" line."""
    with open(os.path.join(ROOT, "labs", lab, "README.md")) as f:
        text = f.read()
    m = re.search(r"(?ms)^## Tasks\n(.*?)(?=^## )", text)
    if not m:
        raise TaskError("labs/%s/README.md has no '## Tasks' section" % lab)
    claims = {}
    for item in re.split(r"(?m)^(?=\d+\. )", m.group(1)):
        num = re.match(r"(\d+)\. ", item)
        if not num:
            continue
        c = CLAIM.search(" ".join(item.split()))
        if c:
            claims[int(num.group(1))] = (re.findall(r"`([^`]+)`", c.group(1)),
                                         re.findall(r"`([^`]+)`", c.group(2) or ""),
                                         bool(c.group(3)))
    return claims


# ---- applying pieces of C ----

def find_func(lines, name, path):
    """(first, last) line index of function name's definition in lines:
    from its return type (the line above `name(` at column 0) to the `}`
    at column 0; None if there is none."""
    for i, line in enumerate(lines):
        if re.match(r"%s\(" % re.escape(name), line) and i > 0:
            for j in range(i, len(lines)):
                if lines[j].startswith("}"):
                    return i - 1, j
            raise TaskError("%s: %s has no closing brace" % (path, name))
    return None


def comment_above(lines, first):
    """Index of the first line of the // comment right above line first."""
    while first > 0 and lines[first - 1].startswith("//"):
        first -= 1
    return first


def func_names(lines):
    """The names of the functions defined in lines, in order."""
    return [m.group(1) for i, line in enumerate(lines) if i > 0
            for m in [re.match(r"(\w+)\(", line)] if m]


def put_func(dst, src, name, where):
    """Replace function name in dst (list of lines) by src's, or add it
    with its comment: before the first function that follows it in src
    and is in dst (a static function goes before its callers), else at
    the end."""
    got = find_func(src, name, where)
    if got is None:
        raise TaskError("%s has no function %s" % (where, name))
    have = find_func(dst, name, "the tree")
    if have is not None:
        dst[have[0]:have[1] + 1] = src[got[0]:got[1] + 1]
        return
    new = src[comment_above(src, got[0]):got[1] + 1] + [""]
    later = func_names(src)
    for after in later[later.index(name) + 1:]:
        at = find_func(dst, after, "the tree")
        if at is not None:
            first = comment_above(dst, at[0])
            dst[first:first] = new
            return
    dst += [""] + new[:-1]


def decl_index(lines, name):
    for i, line in enumerate(lines):
        if re.match(r"[a-z].*\b%s\b.*;" % re.escape(name), line) and "(" not in line:
            return i
    return None


def put_decl(dst, src, name, where):
    """Replace dst's top-level declaration of name by src's, or add it
    after the last #include."""
    i = decl_index(src, name)
    if i is None:
        raise TaskError("%s declares no %s at top level" % (where, name))
    j = decl_index(dst, name)
    if j is not None:
        dst[j] = src[i]
        return
    last = max(k for k, line in enumerate(dst) if line.startswith("#include"))
    dst.insert(last + 1, src[i])


def apply_task(pieces, tree, solved):
    for kind, path, names, src in pieces:
        target = os.path.join(tree, path)
        origin = src or os.path.join(solved, path)
        if kind == "file":
            shutil.copyfile(origin, target)
            continue
        with open(origin) as f:
            srclines = f.read().split("\n")
        with open(target) as f:
            dst = f.read().split("\n")
        for name in names:
            (put_func if kind == "func" else put_decl)(dst, srclines, name,
                                                       os.path.relpath(origin, ROOT))
        with open(target, "w") as f:
            f.write("\n".join(dst))


# ---- trees and grading ----

def make_trees(lab, work):
    """The student tree of lab, refreshed in build/tasks-<lab>, and the
    solved tree (that of the next lab) in work/solved."""
    labs = labtool.read_labs()
    n = labtool.lab_index(labs, lab)
    solved = os.path.join(work, "solved")
    os.makedirs(solved)
    labtool.make_variant(labtool.ROOT, labs, n + 1, solved)
    fresh = os.path.join(work, "student")
    labtool.export(lab, fresh, git=False)
    tree = os.path.join(ROOT, "build", "tasks-" + lab)
    copy_tree(fresh, tree, [rel for rel, _ in labtool.walk_files(fresh)])
    return tree, solved


def grade(lab, tree, names, task):
    """{test: passed} for the tests names, graded in tree."""
    results = os.path.join(tree, "tasks-%d.json" % task)
    cmd = [sys.executable, os.path.join(tree, "grade", "grade-lab-%s.py" % lab),
           "--kernel-dir", tree, "--results", results, "-j2",
           "--log", os.path.join(tree, "grade-task-%d.log" % task)]
    for name in names:
        cmd += ["--only", name]
    if os.path.exists(results):         # never read an earlier run's
        os.remove(results)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, universal_newlines=True)
    try:
        with open(results) as f:
            tests = json.load(f)["tests"]
    except (OSError, ValueError, KeyError):
        raise TaskError("the grader wrote no results:\n" + r.stdout[-3000:])
    return {t["name"]: t["score"] == t["max_score"] for t in tests}, r.stdout


def check_lab(lab, verbose):
    """Apply lab's tasks one by one and compare with the handout; returns
    the list of (name, ok, why) lines."""
    tasks, notask = read_tasks(lab)
    claims = read_claims(lab)
    extra = sorted(set(claims) - {t for t, _ in tasks})
    if extra:
        raise TaskError("labs/%s/README.md claims tasks %s, tasks.txt has no such task"
                        % (lab, extra))
    if not tasks or tasks[-1][0] not in claims:
        raise TaskError("labs/%s/README.md: the last task has no 'After this task' "
                        "line" % lab)
    work = tempfile.mkdtemp(prefix="tasks-%s-" % lab)
    out = []
    try:
        tree, solved = make_trees(lab, work)
        for task, pieces in tasks:
            apply_task(pieces, tree, solved)
            if task in claims:
                out.append(check_task(lab, tree, task, claims[task], verbose))
        differ = [f for f in differing(tree, solved, ("kernel/", "user/"))
                  if f not in notask]
        out.append(("%s/last-task-is-the-solution" % lab, not differ,
                    "after the last task, %s differ from the solved tree: tasks.txt "
                    "misses a piece" % ", ".join(differ)))
        print("%s: %s" % (out[-1][0], "OK" if not differ else "FAIL " + out[-1][2]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def check_task(lab, tree, task, claim, verbose):
    """Grade tree with the tests claim names (with none, build it);
    returns (name, ok, why)."""
    passes, fails, _every = claim
    t0 = time.time()
    if passes + fails:
        got, log = grade(lab, tree, passes + fails, task)
        bad = ["%s is no test of the grader" % t for t in passes + fails if t not in got]
        bad += ["%s does not pass" % t for t in passes if got.get(t) is False]
        bad += ["%s passes, the handout says it still fails" % t for t in fails
                if got.get(t)]
    else:
        r = subprocess.run(["make", "-C", tree, "-j2"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        log, bad = r.stdout[-3000:], ["the tree does not build"] if r.returncode else []
    name = "%s/task-%d" % (lab, task)
    print("%s: %s (%d tests, %.0fs)%s" % (name, "FAIL " + "; ".join(bad) if bad else "OK",
                                         len(passes + fails), time.time() - t0,
                                         "\n" + log.rstrip() if bad or verbose else ""),
          flush=True)
    return name, not bad, "; ".join(bad)


def code_lines(path):
    """The sorted lines of code of a C file, without comments and blank
    lines: pieces keep the tree's comments and may add declarations in
    another order. None if there is no such file."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    lines = (re.sub(r"\s*//.*", "", l).strip() for l in text.split("\n"))
    return sorted(l for l in lines if l)


def differing(tree, solved, tops):
    """Source files under the folders tops whose code differs between the
    two trees, or that one lacks (tree's are those its export copied,
    listed in .copied-files, not its build products)."""
    with open(os.path.join(tree, ".copied-files")) as f:
        files = set(f.read().split())
    files |= {rel for rel, _ in labtool.walk_files(solved)}
    files = {f for f in files if f.startswith(tops) and f.endswith((".c", ".h", ".S"))}
    bad = []
    for rel in sorted(files):
        a = code_lines(os.path.join(tree, rel))
        if a is None or a != code_lines(os.path.join(solved, rel)):
            bad.append(rel)
    return bad


def main(argv):
    labs = [a.split("=", 1)[1] for a in argv if a.startswith("--lab=")]
    if "--lab" in argv:
        labs.append(argv[argv.index("--lab") + 1])
    if not labs:
        labs = [l for l in labtool.read_labs()
                if os.path.exists(os.path.join(ROOT, "labs", l, "tasks", "tasks.txt"))]
    results = []
    for lab in labs:
        try:
            results += check_lab(lab, "-v" in argv)
        except (TaskError, labtool.LabError, OSError) as e:
            print("%s/tasks: FAIL %s" % (lab, e), flush=True)
            results.append((lab, False, str(e)))
    bad = sum(1 for _, ok, _ in results if not ok)
    print("%d passed, %d failed" % (len(results) - bad, bad))
    return 1 if bad or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
