#!/usr/bin/env python3
"""Tests of tools/lab.py on a made-up course of two labs, alpha and beta.

Each test builds a small git work tree in a temp folder (no kernel: the
files only carry markers and distinctive lines), exports its labs and
checks the trees, the refusals and the identifying-lines check, including
that the check catches solution lines left in a tree.

Run: python3 tests/lab/test_lab.py [-v]; the last line is
`N passed, N failed`. Needs git and unifdef.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import lab  # noqa: E402

FILES = {
    ".gitignore": "build/\n*.o\n",
    "Makefile": "# builds every lab solved\n"
                "SOL_LABS := $(shell cat labs/labs.txt)\n"
                "CFLAGS += $(foreach l,$(SOL_LABS),-DSOL_$(l))\n",
    "README.md": "# The mini course\n\nSome words.\n",
    "tools/lab.py": "# stands for the real tool\n",
    "labs/invariants.py": "# stands for the real checks\n",
    "labs/README.md": "Instructors: markers look like SOL_ALPHA.\n",
    "labs/labs.txt": "# the order\nalpha\nbeta  # the second\n",
    "labs/alpha/README.md": "# Lab alpha\n\nWrite alpha_solution_line_in_region_one.\n",
    "labs/beta/README.md": "# Lab beta\n",
    "labs/alpha/solution-files": "# only the solution has it\nsrc/alpha_sol.c\n",
    "labs/alpha/starter/src/over.c":
        "// over.c: the file both labs replace\n"
        "int over_value = alpha_starter_value_to_replace;\n",
    "labs/beta/solution-files": "src/beta_only.c\nsrc/shared.c\n",
    "labs/beta/starter/src/over.c":
        "// over.c: the file both labs replace\n"
        "int over_alpha_part = alpha_solved_distinct_line;\n"
        "int over_value = beta_starter_value_to_replace;\n",
    "labs/beta/starter/src/shared.c": "// shared.c: write beta's part here\n",
    "grade/grade-base.py": "# base grader\n",
    "grade/grade-lab-alpha.py": "# alpha grader\n",
    "grade/grade-lab-beta.py": "# beta grader\n",
    "src/main.c":
        "// main.c: common code\n"
        "int common_line_everyone_has = 0;\n"
        "#ifdef SOL_ALPHA\n"
        "  alpha_solution_line_in_region_one();\n"
        "  x++;\n"
        "#else\n"
        "  alpha_starter_line_todo_here();\n"
        "#endif\n"
        "#ifndef SOL_BETA\n"
        "  beta_starter_placeholder_call();\n"
        "#else\n"
        "  beta_solution_specific_call(42);\n"
        "#endif\n",
    "src/entry.S":
        "# entry.S: it's a comment with an apostrophe\n"
        "#ifdef SOL_ALPHA\n"
        "alpha_asm_solution_label:\n"
        "#endif\n"
        "common_asm_label_for_all:\n",
    "src/over.c":
        "// over.c: the file both labs replace\n"
        "int over_alpha_part = alpha_solved_distinct_line;\n"
        "int over_value = alpha_and_beta_solved_value;\n",
    "src/alpha_sol.c": "int alpha_solution_file_body = 1;\n",
    "src/beta_only.c": "int beta_only_solution_file_body = 2;\n",
    "src/shared.c": "int shared_solution_body_of_beta = 3;\n",
    "src/ignored.o": "build product, ignored by git\n",
}


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def read(root, path):
    with open(os.path.join(root, path)) as f:
        return f.read()


class LabTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="test-lab-")
        self.root = os.path.join(self.tmp, "main")
        for p, text in FILES.items():
            write(self.root, p, text)
        subprocess.run(["git", "init", "-q", self.root], check=True)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def export(self, name, **kw):
        dest = os.path.join(self.tmp, "export-" + name)
        lab.export(name, dest, root=self.root, **kw)
        return dest

    # ---- the trees ----

    def test_labs_list(self):
        self.assertEqual(lab.read_labs(self.root), ["alpha", "beta"])

    def test_export_first_lab(self):
        d = self.export("alpha")
        main = read(d, "src/main.c")
        self.assertIn("alpha_starter_line_todo_here();", main)
        self.assertIn("beta_starter_placeholder_call();", main)
        self.assertNotIn("alpha_solution_line_in_region_one", main)
        self.assertNotIn("beta_solution_specific_call", main)
        self.assertNotIn("#if", main)
        entry = read(d, "src/entry.S")
        self.assertIn("it's a comment", entry)
        self.assertIn("common_asm_label_for_all:", entry)
        self.assertNotIn("alpha_asm_solution_label", entry)
        # alpha's starter wins over beta's; solution-files go, a starter
        # may give one back.
        self.assertEqual(read(d, "src/over.c"), FILES["labs/alpha/starter/src/over.c"])
        self.assertEqual(read(d, "src/shared.c"), FILES["labs/beta/starter/src/shared.c"])
        for p in ("src/alpha_sol.c", "src/beta_only.c", "src/ignored.o",
                  "labs/beta", "grade/grade-lab-beta.py", "labs/alpha/starter",
                  "labs/alpha/solution-files", "tools/lab.py",
                  "labs/invariants.py", "labs/README.md"):
            self.assertFalse(os.path.lexists(os.path.join(d, p)), p)
        for p in ("labs/alpha/README.md", "grade/grade-base.py",
                  "grade/grade-lab-alpha.py", "Makefile"):
            self.assertTrue(os.path.exists(os.path.join(d, p)), p)
        self.assertEqual(read(d, ".lab"), "alpha\n")
        self.assertEqual([l for l in read(d, "labs/labs.txt").split("\n")
                          if l and not l.startswith("#")], ["alpha"])
        readme = read(d, "README.md")
        self.assertIn("labs/alpha/README.md", readme.split("\n")[1])
        self.assertTrue(readme.endswith(FILES["README.md"]))
        self.assertEqual(lab.marker_hits(["alpha", "beta"], d), [])

    def test_export_second_lab(self):
        d = self.export("beta")
        main = read(d, "src/main.c")
        self.assertIn("alpha_solution_line_in_region_one();", main)
        self.assertIn("beta_starter_placeholder_call();", main)
        self.assertNotIn("alpha_starter_line_todo_here", main)
        self.assertIn("alpha_asm_solution_label:", read(d, "src/entry.S"))
        self.assertEqual(read(d, "src/over.c"), FILES["labs/beta/starter/src/over.c"])
        self.assertEqual(read(d, "src/alpha_sol.c"), FILES["src/alpha_sol.c"])
        self.assertEqual(read(d, "src/shared.c"), FILES["labs/beta/starter/src/shared.c"])
        self.assertFalse(os.path.exists(os.path.join(d, "src/beta_only.c")))
        self.assertTrue(os.path.exists(os.path.join(d, "labs/alpha/README.md")))
        self.assertTrue(os.path.exists(os.path.join(d, "grade/grade-lab-beta.py")))
        self.assertEqual(read(d, ".lab"), "beta\n")

    def test_export_git(self):
        d = self.export("alpha")

        def git(*a):
            return subprocess.run(["git", "-C", d] + list(a), check=True,
                                  capture_output=True, text=True).stdout
        self.assertEqual(git("log", "--format=%an <%ae>|%cn").strip(),
                         "Course Staff <staff@localhost>|Course Staff")
        self.assertEqual(git("status", "--porcelain"), "")
        self.assertIn("src/main.c", git("ls-files"))

    def test_no_git(self):
        d = self.export("alpha", git=False)
        self.assertFalse(os.path.exists(os.path.join(d, ".git")))

    # ---- refusals ----

    def test_dest_not_empty(self):
        dest = os.path.join(self.tmp, "busy")
        write(dest, "keep.txt", "mine\n")
        with self.assertRaisesRegex(lab.LabError, "not empty"):
            lab.export("alpha", dest, root=self.root)
        with self.assertRaisesRegex(lab.LabError, "no .lab"):
            lab.export("alpha", dest, force=True, root=self.root)
        self.assertTrue(os.path.exists(os.path.join(dest, "keep.txt")))

    def test_force_over_export(self):
        d = self.export("beta")
        lab.export("alpha", d, force=True, root=self.root)
        self.assertEqual(read(d, ".lab"), "alpha\n")
        self.assertFalse(os.path.exists(os.path.join(d, "src/alpha_sol.c")))

    def test_dest_is_tree(self):
        with self.assertRaisesRegex(lab.LabError, "holds it"):
            lab.export("alpha", self.tmp, force=True, root=self.root)

    def test_unknown_lab(self):
        with self.assertRaisesRegex(lab.LabError, "no lab 'gamma'"):
            self.export("gamma")

    def test_misspelled_marker(self):
        write(self.root, "src/typo.c", "#ifdef SOL_ALHPA\nsecret();\n#endif\n")
        with self.assertRaisesRegex(lab.LabError, "SOL_ALHPA names no lab"):
            self.export("alpha")

    def test_missing_solution_file(self):
        write(self.root, "labs/alpha/solution-files", "src/nosuch.c\n")
        with self.assertRaisesRegex(lab.LabError, "src/nosuch.c is not a file"):
            self.export("alpha")

    def test_bad_labs_txt(self):
        write(self.root, "labs/labs.txt", "alpha\nBeta\n")
        with self.assertRaisesRegex(lab.LabError, "bad lab name"):
            lab.read_labs(self.root)
        write(self.root, "labs/labs.txt", "alpha\nalpha\n")
        with self.assertRaisesRegex(lab.LabError, "listed twice"):
            lab.read_labs(self.root)

    def test_unifdef_error(self):
        write(self.root, "src/broken.c", "#ifdef SOL_ALPHA\nnever closed();\n")
        with self.assertRaisesRegex(lab.LabError, "unifdef failed"):
            self.export("alpha")

    def test_marker_left_in_other_file(self):
        write(self.root, "grade/grade-lab-alpha.py", "# checks SOL_ALPHA\n")
        with self.assertRaisesRegex(lab.LabError, "SOL_ markers left"):
            self.export("alpha")

    # ---- identifying lines ----

    def test_identifying_lines(self):
        ident = lab.identifying_lines("alpha", self.root)
        for l in ("alpha_solution_line_in_region_one();",
                  "alpha_asm_solution_label:",
                  "int alpha_solution_file_body = 1;",
                  "int over_alpha_part = alpha_solved_distinct_line;"):
            self.assertIn(l, ident)
        for l in ("x++;", "alpha_starter_line_todo_here();",
                  "int common_line_everyone_has = 0;",
                  "// over.c: the file both labs replace"):
            self.assertNotIn(l, ident)
        self.assertEqual(ident["alpha_asm_solution_label:"], {"src/entry.S"})
        beta = lab.identifying_lines("beta", self.root)
        self.assertIn("beta_solution_specific_call(42);", beta)
        self.assertIn("int shared_solution_body_of_beta = 3;", beta)
        self.assertNotIn("int over_alpha_part = alpha_solved_distinct_line;", beta)

    def test_vacuous_check_fails(self):
        # beta's solution differs from its starter only in generic lines.
        for p in ("labs/beta/solution-files", "labs/beta/starter/src/over.c",
                  "labs/beta/starter/src/shared.c"):
            os.unlink(os.path.join(self.root, p))
        write(self.root, "src/main.c", "#ifdef SOL_BETA\n  return 0;\n#endif\n")
        with self.assertRaisesRegex(lab.LabError, "no identifying lines"):
            lab.identifying_lines("beta", self.root)

    def exports(self):
        return {k: self.export(k, git=False) for k in ("alpha", "beta")}

    def test_no_leaks(self):
        trees = self.exports()
        for name in ("alpha", "beta"):
            upto = {k: t for k, t in trees.items() if k == "alpha" or name == "beta"}
            count, leaks = lab.find_leaks(name, upto, self.root)
            self.assertGreater(count, 0)
            self.assertEqual(leaks, [])

    def test_leak_left_in_tree(self):
        trees = self.exports()
        with open(os.path.join(trees["beta"], "src/main.c"), "a") as f:
            f.write("   beta_solution_specific_call(42);\n")
        count, leaks = lab.find_leaks("beta", trees, self.root)
        self.assertEqual(len(leaks), 1)
        self.assertIn("tree of beta: src/main.c: beta_solution_specific_call(42);", leaks[0])

    def test_leak_into_earlier_tree(self):
        # A later lab's solution must not reach an earlier lab's tree either.
        trees = self.exports()
        shutil.copy(os.path.join(self.root, "src/beta_only.c"),
                    os.path.join(trees["alpha"], "src/beta_only.c"))
        count, leaks = lab.find_leaks("beta", trees, self.root)
        self.assertEqual(len(leaks), 1)
        self.assertIn("tree of alpha: src/beta_only.c", leaks[0])

    def test_leak_overlays_in_wrong_order(self):
        # beta's starter applied after alpha's: alpha's tree gets a line of
        # alpha's solution that beta's starter (alpha solved) carries.
        trees = self.exports()
        shutil.copy(os.path.join(self.root, "labs/beta/starter/src/over.c"),
                    os.path.join(trees["alpha"], "src/over.c"))
        count, leaks = lab.find_leaks("alpha", {"alpha": trees["alpha"]}, self.root)
        self.assertEqual(len(leaks), 1)
        self.assertIn("alpha_solved_distinct_line", leaks[0])

    def test_leak_solution_file_not_deleted(self):
        trees = self.exports()
        shutil.copy(os.path.join(self.root, "src/alpha_sol.c"),
                    os.path.join(trees["alpha"], "src/alpha_sol.c"))
        count, leaks = lab.find_leaks("alpha", {"alpha": trees["alpha"]}, self.root)
        self.assertEqual(len(leaks), 1)
        self.assertIn("src/alpha_sol.c", leaks[0])

    def test_starter_line_of_earlier_lab_is_no_leak(self):
        # A line beta's solution shares with alpha's starter is starter
        # code in alpha's tree, not a leak there.
        write(self.root, "src/beta_only.c", FILES["src/beta_only.c"] +
              "  alpha_starter_line_todo_here();\n")
        trees = self.exports()
        count, leaks = lab.find_leaks("beta", trees, self.root)
        self.assertEqual(leaks, [])

    # ---- build: incremental copy ----

    def test_build_tree(self):
        write(self.root, "src/gone.c", "int gone_soon;\n")
        dst = lab.build_tree("alpha", root=self.root, quiet=True)
        self.assertEqual(read(dst, "src/over.c"), FILES["labs/alpha/starter/src/over.c"])
        write(dst, "src/main.o", "build product\n")
        old = os.stat(os.path.join(dst, "src/entry.S")).st_mtime_ns
        time.sleep(0.01)
        write(self.root, "src/main.c", "changed\n")
        os.unlink(os.path.join(self.root, "src/gone.c"))
        lab.build_tree("alpha", root=self.root, quiet=True)
        self.assertEqual(read(dst, "src/main.c"), "changed\n")
        self.assertFalse(os.path.exists(os.path.join(dst, "src/gone.c")))
        self.assertTrue(os.path.exists(os.path.join(dst, "src/main.o")))
        self.assertEqual(os.stat(os.path.join(dst, "src/entry.S")).st_mtime_ns, old)

def run_tests(*cases):
    """Run the tests of the TestCase classes cases (-v: verbosely), print
    `N passed, N failed` last and exit 1 if any failed."""
    verbosity = 2 if "-v" in sys.argv else 1
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c)
                               for c in cases)
    result = unittest.TextTestRunner(verbosity=verbosity).run(suite)
    bad = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - bad, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    for tool in ("git", "unifdef"):
        if shutil.which(tool) is None:
            print("test_lab: %s not installed" % tool)
            print("0 passed, 1 failed")
            sys.exit(1)
    run_tests(LabTest)
