// forktest: forks until the kernel refuses, then checks that every child
// can be waited for and that wait() then reports no children. The process
// table holds NPROC entries, so fork must fail long before N tries.
// Output uses write() only: this program is linked without printf and
// malloc to keep it tiny. Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "user/user.h"

#define N 1000
#define STR(x) #x
#define XSTR(x) STR(x)

// Writes the string s to the standard output.
static void
say(const char *s)
{
  write(1, s, strlen(s));
}

// Forks children that exit at once (and stay zombies until reaped) until
// fork fails, then reaps them all. Exits with status 1 on any surprise.
static void
forktest(void)
{
  int n, pid;

  say("fork test\n");
  for(n = 0; n < N; n++){
    pid = fork();
    if(pid < 0)
      break;
    if(pid == 0)
      exit(0);
  }
  if(n == N){
    say("fork claimed to work " XSTR(N) " times!\n");
    exit(1);
  }
  for(; n > 0; n--){
    if(wait(0) < 0){
      say("wait stopped early\n");
      exit(1);
    }
  }
  if(wait(0) != -1){
    say("wait got too many\n");
    exit(1);
  }
  say("fork test OK\n");
}

int
main(void)
{
  forktest();
  exit(0);
}
