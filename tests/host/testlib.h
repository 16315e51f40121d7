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
// Everything is static inline so a test file uses only what it needs
// without -Wunused-function complaints under -Wall -Werror.
#ifndef TESTS_HOST_TESTLIB_H
#define TESTS_HOST_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

#endif
