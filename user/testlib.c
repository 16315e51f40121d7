// Helpers of the in-guest test programs (see testlib.h).
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

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
