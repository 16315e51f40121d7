// The in-guest test programs' shared helpers (user/testlib.c): how a
// test fails, how a runner runs one in a child of its own and prints its
// line, and the figures tests compare (free frames, vmstat counters).
// Linked into the programs of the Makefile's TESTPROGS only; the inline
// ones below serve any program that includes this header. Kept small on
// purpose: the lab lazy handout's gdb walk-through fixes lazytest's
// addresses, so its text must stay within its fifth page (above 0x4000,
// below 0x5000).
//
// Two ways of failing, one FAIL(). The lab test programs (frametest,
// buddytest, lazytest, cowtest, swaptest) set test_prog: a failing test
// prints its whole line, `PROG: NAME: FAIL why`, to the console, where
// graders match it. usertests and hostile leave test_prog 0 and point
// test_failfd at a pipe to their runner, which reads the reasons
// (test_collect) and prints `test NAME: FAILED why` itself.

// wait() status of a process the kernel killed.
#define KILLED (-1)

extern char *test_prog;   // the program, first on its lines ("cowtest"); 0: see above
extern char *test_name;   // the test this process runs (test_run sets it)
extern int test_failfd;   // where FAIL() writes

void test_fail_start(void);
void test_fail_end(void) __attribute__((noreturn));

// Report why the running test failed and end this process with status 1.
#define FAIL(...)                                                             \
  do {                                                                        \
    test_fail_start();                                                        \
    fprintf(test_failfd, __VA_ARGS__);                                        \
    test_fail_end();                                                          \
  } while(0)

// The memory figures now (memstat); FAILs if memstat() fails.
struct memstat test_mem(void);

// vmstat counter `what` (VMSTAT_*), 0 if this kernel does not keep it;
// FAILs if vmstat() fails.
uint64 test_counter(int what);

// fork(), FAILing the test when it fails.
int test_fork(void);

// Wait for one child and return its exit status; FAILs if there is none.
int test_wait(void);

// Wait for every child; returns how many exited with a status other than 0.
int test_wait_all(void);

// A quiet runner. While a test runs, its runner writes none of its own
// memory: after fork() every page of the runner is shared copy-on-write
// with the test's process, and when both write one (the stack) at the
// same moment, both copy it and the original frame is freed, in the
// middle of the test's frame counts (they came out one short under a
// loaded host). So a runner sets up what it needs before it forks and
// then only blocks in the kernel: wait(), or read() of the test's pipe
// in test_collect(), inlined for that (a call would write its frame).

// Run test `name` in a child of its own: the child sets test_name, calls
// fn and exits 0. The runner waits for it and reaps whatever it left
// running (test_reap_tree), so that what it counts next is the test's
// final figure. Sets *status to the child's exit status (0: fn returned,
// 1: it FAILed, KILLED: the kernel killed it) and returns 0; returns -1,
// after printing the test's FAIL line, when the runner cannot fork.
int test_run(char *name, void (*fn)(void), int *status);

// A lab test program's table of tests: each a name and a function.
struct labtest {
  char *name;
  void (*fn)(void);
};

// The main() of a lab test program: run the test argv[1] names, or every
// test of tests[0..n) without one, each with run() (which judges the test,
// prints its line and returns 1 if it failed); then print `PROG: done` and
// exit with 1 if any failed, 0 if none did. Exits 2 after a usage line
// listing the tests if argv[1] names none.
void test_main(int argc, char **argv, struct labtest *tests, int n,
               int (*run)(struct labtest *)) __attribute__((noreturn));

// Print the line of test `name` from its verdict, why (0: it passed):
// `PROG: NAME: ok` or `PROG: NAME: FAIL why`; returns 1 if it failed. For
// the programs whose tests return why they failed (frametest, buddytest).
int test_result(char *name, char *why);

// Read fd (a test's pipe to its runner) to end of file, keeping the first
// bytes in why (size max) with the messages' newlines turned into "; ".
// Returns the length kept. Inline, so that the runner that calls it
// right after its fork() stays quiet (see above) until the test sends a
// reason or is gone.
static inline __attribute__((always_inline)) int
test_collect(int fd, char *why, int max)
{
  char c;
  int n = 0, nl = 0;

  while(read(fd, &c, 1) == 1){
    if(c == '\n'){
      nl = 1;
      continue;
    }
    if(nl && n > 0 && n + 2 < max - 1){
      why[n++] = ';';
      why[n++] = ' ';
    }
    nl = 0;
    if(n < max - 1)
      why[n++] = c;
  }
  why[n] = 0;
  return n;
}

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
