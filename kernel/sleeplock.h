#ifndef KERNEL_SLEEPLOCK_H
#define KERNEL_SLEEPLOCK_H
#include "spinlock.h"

// Long-term lock for processes: waiters sleep instead of spinning.
struct sleeplock {
  uint locked;        // nonzero while held
  struct spinlock lk; // guards this structure
  char *name;
  int pid;            // holder, for debugging
  ushort class;       // lock class for lockdep (kernel/lockdep.c)
};
#endif
