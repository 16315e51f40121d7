// Bugs compiled in on purpose, only to prove that the graders can fail:
// `make BUG=sbrk` builds with -DBUG_SBRK=1, and so on. A normal build
// enables none, and then every test below is the constant 0.
#ifndef KERNEL_INJECT_H
#define KERNEL_INJECT_H

#ifndef BUG_SBRK
#define BUG_SBRK 0          // sbrk(n) maps one page less than it reports
#endif
#ifndef BUG_KFREE_LEAK
#define BUG_KFREE_LEAK 0    // kfree() silently drops every 16th frame
#endif

// BUG_KFREE_LEAK: true for every 16th call, made by the allocator's free
// path to drop that frame. Always 0 in a normal build.
static inline int
inject_kfree_leaks(void)
{
  static int calls;
  return BUG_KFREE_LEAK && __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) % 16 == 0;
}

#endif
