#!/usr/bin/env python3
"""Tests of grade/qemu.py's console driver, against a stub for QEMU (a
shell script that prints what a kernel would), so they need no emulator.

    python3 tests/grade/test_qemu.py [-v]

Ends with `N passed, N failed`; exit status 1 if any failed.
"""

import os
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grade"))
from qemu import Qemu, QemuPanic, QemuTimeout  # noqa: E402


def stub(script, **kw):
    """A Qemu whose 'emulator' is sh running script."""
    return Qemu(argv=["sh", "-c", script], **kw)


class QemuTest(unittest.TestCase):
    def test_panic_stops_wait_at_once(self):
        """A panic line ends a wait for something else at once, with the
        line in the error, not after the wait's timeout."""
        q = stub("echo booting; echo 'panic (hart 2): kfree: frame 0x80201000 "
                 "freed twice'; echo 'backtrace: 0x80200abc'; sleep 60")
        q.start()
        t0 = time.monotonic()
        with self.assertRaises(QemuPanic) as cm:
            q.expect(r"\$ ", 50)
        q.close()
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("panic (hart 2): kfree: frame 0x80201000 freed twice",
                      str(cm.exception))

    def test_panic_awaited(self):
        """With stop_on_panic=False a test that waits for the panic gets it."""
        q = stub("echo 'panic (hart 0): expected'; sleep 60", stop_on_panic=False)
        q.start()
        m = q.expect(r"panic \(hart \d+\): (\w+)", 20)
        q.close()
        self.assertEqual(m.group(1), "expected")

    def test_no_panic_is_a_timeout(self):
        """Output without a panic line still times out as before; a line
        that only mentions panic mid-line is not one."""
        q = stub("echo 'the word panic: in a line'; sleep 60")
        q.start()
        with self.assertRaises(QemuTimeout):
            q.expect(r"never printed", 1)
        q.close()


if __name__ == "__main__":
    verbosity = 2 if "-v" in sys.argv else 1
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(QemuTest)
    result = unittest.TextTestRunner(verbosity=verbosity).run(suite)
    bad = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - bad, bad))
    sys.exit(1 if bad else 0)
