// A tiny test runner for the host unit tests (tests/host/test_*.c).
//
// Each test is a void function run with RUN_TEST(fn), or with
// RUN_ISOLATED(fn) in a child process of its own. CHECK*() macros
// record a failure with file, line and the values involved and let the
// test go on, so one run shows every broken expectation. The test counts as
// passed when none of its checks failed; it prints "test NAME: OK" or
// "test NAME: FAILED". test_summary() prints "N passed, N failed" as the
// last line and returns the process exit status (non-zero on any failure).
//
// Randomized tests share one seeded generator (rng(), rnd()) and the
// options -s SEED and -n COUNT (testlib_args()). Tests of kernel code
// give it a panic() whose body is TESTLIB_PANIC(fmt).
//
// Everything is static inline so a test file uses only what it needs
// without -Wunused-function complaints under -Wall -Werror.
#ifndef TESTS_HOST_TESTLIB_H
#define TESTS_HOST_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct testlib_state {
  int passed, failed; // tests
  int cur_failed;     // checks failed in the running test
  const char *cur;    // name of the running test
};

static struct testlib_state testlib;

static inline void
testlib_fail(const char *file, int line, const char *what)
{
  printf("  %s:%d: %s: check failed: %s\n", file, line, testlib.cur, what);
  testlib.cur_failed++;
}

// CHECK(cond): cond must be true.
#define CHECK(cond)                                                           \
  do {                                                                        \
    if(!(cond))                                                               \
      testlib_fail(__FILE__, __LINE__, #cond);                                \
  } while(0)

// CHECK_EQ(a, b): two integers (compared as unsigned 64-bit) must be equal.
#define CHECK_EQ(a, b)                                                        \
  do {                                                                        \
    unsigned long long a_ = (unsigned long long)(a);                          \
    unsigned long long b_ = (unsigned long long)(b);                          \
    if(a_ != b_){                                                             \
      char m_[256];                                                           \
      snprintf(m_, sizeof(m_), "%s == %s (0x%llx != 0x%llx)", #a, #b, a_, b_);\
      testlib_fail(__FILE__, __LINE__, m_);                                   \
    }                                                                         \
  } while(0)

// CHECK_STR(a, b): two NUL-terminated strings must be equal.
#define CHECK_STR(a, b)                                                       \
  do {                                                                        \
    const char *a_ = (a), *b_ = (b);                                          \
    if(strcmp(a_, b_) != 0){                                                  \
      char m_[512];                                                           \
      snprintf(m_, sizeof(m_), "%s == %s (\"%.200s\" != \"%.200s\")", #a, #b, \
               a_, b_);                                                       \
      testlib_fail(__FILE__, __LINE__, m_);                                   \
    }                                                                         \
  } while(0)

// Run one test function and count it.
static inline void
testlib_run(const char *name, void (*fn)(void))
{
  testlib.cur = name;
  testlib.cur_failed = 0;
  fn();
  if(testlib.cur_failed){
    testlib.failed++;
    printf("test %s: FAILED (%d checks)\n", name, testlib.cur_failed);
  } else {
    testlib.passed++;
    printf("test %s: OK\n", name);
  }
  fflush(stdout);
}

#define RUN_TEST(fn) testlib_run(#fn, fn)

// Run one test function in a child process, so that it starts from fresh
// global state and a crash (a panic stub, a sanitizer's report) fails only
// this test; count it as RUN_TEST would.
static inline void
testlib_run_isolated(const char *name, void (*fn)(void))
{
  fflush(stdout);
  pid_t pid = fork();
  if(pid < 0){
    perror("fork");
    exit(2);
  }
  if(pid == 0){
    testlib_run(name, fn);
    fflush(stdout);
    _exit(testlib.failed ? 1 : 0);
  }
  int st;
  waitpid(pid, &st, 0);
  if(WIFEXITED(st) && WEXITSTATUS(st) == 0){
    testlib.passed++;
    return;
  }
  if(!WIFEXITED(st) || WEXITSTATUS(st) > 1)
    printf("test %s: FAILED (crashed: status 0x%x)\n", name, st);
  testlib.failed++;
}

#define RUN_ISOLATED(fn) testlib_run_isolated(#fn, fn)

// Print the totals as the last line; the return value is the exit status.
static inline int
test_summary(void)
{
  printf("%d passed, %d failed\n", testlib.passed, testlib.failed);
  fflush(stdout);
  return testlib.failed ? 1 : 0;
}

// ---- panic() of the kernel code under test ----
//
// A check that expects a panic points testlib_panic_jump at a jmp_buf it
// set with setjmp(); the panic returns there, its message in
// testlib_panic_msg. A panic no check expects fails the running test,
// saying so, and ends its process: such tests run RUN_ISOLATED, so the
// others still run.

static jmp_buf *testlib_panic_jump;   // where a panic goes, when a check expects one
static char testlib_panic_msg[512];   // what the last panic said

static inline void __attribute__((noreturn))
testlib_panicked(void)
{
  if(testlib_panic_jump)
    longjmp(*testlib_panic_jump, 1);
  printf("  %s: panic: %s\n", testlib.cur, testlib_panic_msg);
  printf("test %s: FAILED (a panic no check expected)\n", testlib.cur);
  fflush(stdout);
  _exit(1);
}

// The body of the stub panic(char *fmt, ...) that the kernel code calls.
#define TESTLIB_PANIC(fmt)                                                    \
  do {                                                                        \
    va_list ap_;                                                              \
    va_start(ap_, fmt);                                                       \
    vsnprintf(testlib_panic_msg, sizeof(testlib_panic_msg), fmt, ap_);        \
    va_end(ap_);                                                              \
    testlib_panicked();                                                       \
  } while(0)

// ---- seeded random numbers and the options of randomized tests ----
//
// One generator for every randomized test: xorshift64*, so a seed gives the
// same sequence on any host. The seed comes from -s SEED, else from the
// environment variable the test names (BUDDY_SEED=...), else from the time;
// a test prints it so that a failing run can be replayed.

static unsigned long long testlib_seed;
static unsigned long long testlib_rng_state;

// Start the seed's sequence over; each randomized test calls it first.
static inline void
rng_reseed(void)
{
  testlib_rng_state = testlib_seed * 2654435761ULL + 1;
}

static inline unsigned long long
rng(void)
{
  testlib_rng_state ^= testlib_rng_state >> 12;
  testlib_rng_state ^= testlib_rng_state << 25;
  testlib_rng_state ^= testlib_rng_state >> 27;
  return testlib_rng_state * 0x2545f4914f6cdd1dULL;
}

// A number in [0, n); 0 when n <= 0.
static inline long
rnd(long n)
{
  return n > 0 ? (long)(rng() % (unsigned long long)n) : 0;
}

// The seed before any option: $env if set and not empty, else the time.
static inline void
testlib_seed_from(const char *env)
{
  const char *v = env ? getenv(env) : 0;

  testlib_seed = v && *v ? strtoull(v, NULL, 0) : (unsigned long long)time(NULL);
  rng_reseed();
}

// If argv[*i] is -s SEED or -n COUNT (into *count), take it and its value,
// leave *i at the value and return 1; else return 0.
static inline int
testlib_option(int argc, char **argv, int *i, long *count)
{
  if(*i + 1 >= argc)
    return 0;
  if(strcmp(argv[*i], "-s") == 0)
    testlib_seed = strtoull(argv[++*i], NULL, 0);
  else if(strcmp(argv[*i], "-n") == 0)
    *count = strtol(argv[++*i], NULL, 0);
  else
    return 0;
  rng_reseed();
  return 1;
}

// The whole command line of a test that takes only -s and -n; anything
// else prints "usage: USAGE" and exits 2.
static inline void
testlib_args(int argc, char **argv, const char *env, long *count, const char *usage)
{
  testlib_seed_from(env);
  for(int i = 1; i < argc; i++){
    if(!testlib_option(argc, argv, &i, count)){
      fprintf(stderr, "usage: %s\n", usage);
      exit(2);
    }
  }
}

#endif
