"""Machine-readable results of a grader run (gradelib writes them).

write_json(): the Gradescope autograder format, a "tests" list whose items
carry name, score, max_score, status and output, plus tags ["core"] on a
lab's core tests. write_junit(): JUnit XML for CI servers, a failure
element per failed test and a skipped element per test not run because a
test it depends on failed. Python 3 standard library only.
"""

import json
import xml.etree.ElementTree as ET


def write_json(path, name, tests, results, lines, secs):
    """Write results in the Gradescope autograder format.

    tests: the Tests run, in order; results: Test -> Result; lines: the
    report as printed; secs: the grader's run time.
    """
    out = []
    for t in tests:
        r = results[t]
        item = {"name": t.name, "score": r.score, "max_score": t.points,
                "status": "passed" if r.status == "pass" else "failed",
                "output": r.output, "visibility": "visible"}
        if t.core:
            item["tags"] = ["core"]
        out.append(item)
    score = sum(results[t].score for t in tests)
    doc = {"score": score, "execution_time": round(secs, 1),
           "output": "\n".join(lines), "visibility": "visible",
           "stdout_visibility": "visible", "tests": out}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def write_junit(path, name, tests, results, secs):
    """Write results as JUnit XML: one testsuite, a testcase per test."""
    suite = ET.Element("testsuite", name="grade-" + name,
                       tests=str(len(tests)), time="%.1f" % secs)
    nfail = nskip = 0
    for t in tests:
        r = results[t]
        case = ET.SubElement(suite, "testcase", name=t.name,
                             classname="grade-%s.%s" % (name,
                                                        t.boot.name),
                             time="%.1f" % r.secs)
        if r.status == "fail":
            nfail += 1
            el = ET.SubElement(case, "failure",
                               message=r.output.split("\n")[0][:200])
            el.text = r.output
        elif r.status == "skip":
            nskip += 1
            ET.SubElement(case, "skipped", message=r.output)
    suite.set("failures", str(nfail))
    suite.set("skipped", str(nskip))
    suite.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8",
                               xml_declaration=True)
