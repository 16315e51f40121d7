// Sleep locks: held across disk I/O and other long waits. A waiter sleeps
// on the lock instead of spinning. lk->lk guards locked and pid.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"

void
initsleeplock(struct sleeplock *lk, char *name)
{
  initlock(&lk->lk, "sleep lock");
  lk->name = name;
  lk->locked = 0;
  lk->pid = 0;
  lk->class = 0;
}

// Must be called by a process (it may sleep).
void
acquiresleep(struct sleeplock *lk)
{
  uint64 ra = (uint64)__builtin_return_address(0);

  if(lockdep_on)
    lockdep_acquiresleep(lk, ra);   // before it may block
  acquire(&lk->lk);
  while(lk->locked)
    sleep(lk, &lk->lk);
  lk->locked = 1;
  lk->pid = myproc()->pid;
  release(&lk->lk);
  if(lockdep_on)
    lockdep_gotsleep(lk, ra);
}

void
releasesleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  if(lockdep_on)
    lockdep_releasesleep(lk, (uint64)__builtin_return_address(0));
  lk->locked = 0;
  lk->pid = 0;
  wakeup(lk);
  release(&lk->lk);
}

// Does the calling process hold the lock?
int
holdingsleep(struct sleeplock *lk)
{
  int r;

  acquire(&lk->lk);
  r = lk->locked && (lk->pid == myproc()->pid);
  release(&lk->lk);
  return r;
}
