// Faults compiled in on purpose, only to prove that the graders can fail:
// `make FAULT=sbrk` builds with -DFAULT_SBRK=1, and so on. A normal build
// enables none, and then every test below is the constant 0.
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H

#ifndef FAULT_SBRK
#define FAULT_SBRK 0        // sbrk(n) maps one page less than it reports
#endif
#ifndef FAULT_KFREE_LEAK
#define FAULT_KFREE_LEAK 0  // kfree() silently drops every 16th frame
#endif

// FAULT_KFREE_LEAK: true for every 16th call, made by the allocator's free
// path to drop that frame. Always 0 in a normal build.
static inline int
fault_kfree_leaks(void)
{
  static int calls;
  return FAULT_KFREE_LEAK && __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) % 16 == 0;
}

#endif
