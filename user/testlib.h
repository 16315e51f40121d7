// The in-guest test programs' shared helpers (user/testlib.c), linked
// into lazytest, cowtest, swaptest and usertests only; the inline ones
// below serve any program that includes this header. Kept minimal on
// purpose: the lab lazy handout's gdb walk-through fixes lazytest's
// addresses, so its text must not grow past its last page.

// The pid the next fork() will get (pids are handed out in increasing
// order), or -1 if fork fails.
int test_nextpid(void);

// Reap the whole process tree of a test whose first process had pid
// `first`: every process since (an orphan of a failed test, reparented
// to init) that is still there is killed, and the call returns when
// none is left, so that its frames are back before the test is judged
// and it cannot fake a leak in the next test. Returns how many were
// left over (and says so), or -1 if some remain after about `ticks`
// clock ticks.
int test_reap_tree(int first, int ticks);

// How long a runner waits for a test's processes to go: a killed process
// exits at its next trap, so far less than this (ticks of 1/TICK_HZ s).
#define REAP_TICKS 1000

// The time CSR (rdtime), counting at the timebase frequency the kernel
// prints at boot. User mode may read it on this machine (the firmware
// lets it); a program that cannot be sure checks in a child first.
static inline uint64
test_rdtime(void)
{
  uint64 t;
  asm volatile("rdtime %0" : "=r"(t));
  return t;
}
