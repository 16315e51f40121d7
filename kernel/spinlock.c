// Spin locks. A hart holding a spin lock runs with interrupts off, so an
// interrupt handler on the same hart can never spin on a lock its own
// interrupted code holds. push_off/pop_off nest, remembering whether
// interrupts were on before the outermost push_off.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
  lk->class = 0;
}

// Spin until the lock is ours. Panics on a recursive acquire, which would
// otherwise spin forever. With lockdep on, the lock order is checked
// before spinning, so an order that can deadlock is reported even when
// this time it does not.
void
acquire(struct spinlock *lk)
{
  push_off();
  if(holding(lk))
    panic("acquire: lock %s already held by this hart", lk->name);
  if(lockdep_on)
    lockdep_acquire(lk, (uint64)__builtin_return_address(0));

  // amoswap.w.aq: atomically set locked and read the old value, with
  // acquire ordering so the critical section's loads stay after it.
  while(__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0)
    ;
  lk->cpu = mycpu();
}

void
release(struct spinlock *lk)
{
  if(lockdep_on)
    lockdep_release(lk, (uint64)__builtin_return_address(0));
  if(!holding(lk))
    panic("release: lock %s not held by this hart", lk->name);
  lk->cpu = 0;
  // Release ordering: every store of the critical section is visible
  // before another hart can see the lock free.
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
  pop_off();
}

// Does this hart hold the lock? Interrupts must be off.
int
holding(struct spinlock *lk)
{
  return lk->locked && lk->cpu == mycpu();
}

void
push_off(void)
{
  int old = intr_get();

  intr_off();
  if(mycpu()->noff == 0)
    mycpu()->intena = old;
  mycpu()->noff += 1;
}

void
pop_off(void)
{
  struct cpu *c = mycpu();

  if(intr_get())
    panic("pop_off: interrupts enabled inside a push_off section");
  if(c->noff < 1)
    panic("pop_off: unbalanced with push_off");
  c->noff -= 1;
  if(c->noff == 0 && c->intena)
    intr_on();
}

// Does this hart's current kernel thread hold a spinlock (and so must not
// sleep)? Allocation paths ask before they reclaim.
int
holding_spinlocks(void)
{
  push_off();
  int n = mycpu()->noff - 1;
  pop_off();
  return n > 0;
}
