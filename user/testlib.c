// Helpers of the in-guest test programs (see testlib.h).
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

char *test_prog;
char *test_name;
int test_failfd = 1;

// The start of a FAIL() line: `PROG: NAME: FAIL ` in a lab test program
// (`PROG: FAIL ` in its runner, outside any test), nothing for a runner
// that reads the reasons from a pipe.
void
test_fail_start(void)
{
  if(test_prog && test_name)
    fprintf(test_failfd, "%s: %s: FAIL ", test_prog, test_name);
  else if(test_prog)
    fprintf(test_failfd, "%s: FAIL ", test_prog);
}

// The end of a FAIL() line: the newline, and exit status 1.
void
test_fail_end(void)
{
  fprintf(test_failfd, "\n");
  exit(1);
}

struct memstat
test_mem(void)
{
  struct memstat m;

  memset(&m, 0, sizeof(m));
  if(memstat(&m) < 0)
    FAIL("memstat() failed");
  return m;
}

uint64
test_counter(int what)
{
  struct vmstat vs;

  memset(&vs, 0, sizeof(vs));
  if(vmstat(&vs) < 0)
    FAIL("vmstat() failed");
  return what < vs.ncounters ? vs.count[what] : 0;
}

int
test_fork(void)
{
  int pid = fork();

  if(pid < 0)
    FAIL("fork failed");
  return pid;
}

int
test_wait(void)
{
  int status = 12345;

  if(wait(&status) < 0)
    FAIL("wait() found no child");
  return status;
}

int
test_wait_all(void)
{
  int st, bad = 0;

  while(wait(&st) >= 0)
    if(st != 0)
      bad++;
  return bad;
}

int
test_run(char *name, void (*fn)(void), int *status)
{
  int pid;

  *status = 0;     // before the fork: see "a quiet runner" in testlib.h
  pid = fork();
  if(pid < 0){
    fprintf(test_failfd, "%s: %s: FAIL fork() of the test runner failed\n", test_prog, name);
    return -1;
  }
  if(pid == 0){
    test_name = name;
    fn();
    exit(0);
  }
  wait(status);
  test_reap_tree(pid, REAP_TICKS);
  return 0;
}

void
test_main(int argc, char **argv, struct labtest *tests, int n,
          int (*run)(struct labtest *))
{
  int ran = 0, failed = 0;

  for(int i = 0; i < n; i++){
    if(argc > 1 && strcmp(argv[1], tests[i].name) != 0)
      continue;
    failed |= run(&tests[i]);
    ran++;
  }
  if(ran == 0){
    printf("usage: %s [NAME]; tests:", test_prog);
    for(int i = 0; i < n; i++)
      printf(" %s", tests[i].name);
    printf("\n");
    exit(2);
  }
  printf("%s: done\n", test_prog);
  exit(failed);
}

int
test_result(char *name, char *why)
{
  if(why)
    printf("%s: %s: FAIL %s\n", test_prog, name, why);
  else
    printf("%s: %s: ok\n", test_prog, name);
  return why != 0;
}

int
test_nextpid(void)
{
  int pid = fork(), w;

  if(pid == 0)
    exit(0);
  if(pid < 0)
    return -1;
  while((w = wait(0)) != pid && w >= 0)
    ;
  return pid + 1;
}

int
test_reap_tree(int first, int ticks)
{
  struct vmspace vs;
  int last = test_nextpid(), left = 0;

  if(last < 0)
    return -1;
  // vmspace() answers for every process until its parent (init, for an
  // orphan) has reaped it: a zombie still holds its page tables.
  for(int t = 0; ; t++){
    int alive = 0;
    for(int pid = first; pid < last; pid++)
      if(vmspace(pid, &vs) == 0){
        alive++;
        if(t == 0){
          kill(pid);
          left++;
        }
      }
    if(alive == 0){
      if(left)
        printf("(%d processes the test left running were killed before judging it)\n", left);
      return left;
    }
    if(t >= ticks)
      return -1;
    sleep(1);
  }
}
