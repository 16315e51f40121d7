#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H
#include "types.h"

// Mutual-exclusion lock that spins. Held with interrupts off on this hart.
struct spinlock {
  uint locked;      // nonzero while held
  char *name;       // for panics and the debugger
  struct cpu *cpu;  // the hart holding it
  ushort class;     // lock class for lockdep (kernel/lockdep.c), 0 until first use
};
#endif
