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
// Bugs a student may write in lab buddy; the buddy grader must name each.
#ifndef BUG_NO_MERGE
#define BUG_NO_MERGE 0      // buddy_free never merges a block with its buddy
#endif
#ifndef BUG_MERGE_ANY_ORDER
#define BUG_MERGE_ANY_ORDER 0 // a free buddy merges whatever its order
#endif
#ifndef BUG_UPPER_HEAD
#define BUG_UPPER_HEAD 0    // the merged block keeps the freed half as its head
#endif
#ifndef BUG_SPLIT_LARGEST
#define BUG_SPLIT_LARGEST 0 // buddy_alloc splits the largest free block, not the smallest that fits
#endif
// A bug a student may write in lab frames: free_pages forgets the counters.
#ifndef BUG_FREE_COUNTER
#define BUG_FREE_COUNTER 0
#endif

// Bugs a student may write in lab swap: the clock never sees a page as used ...
#ifndef BUG_CLOCK_FIFO
#define BUG_CLOCK_FIFO 0    // rmap_referenced() ignores PTE_A: the clock is FIFO
#endif
// ... and: a fault on a shared page on swap never finds it in RAM.
#ifndef BUG_SWAP_REREAD
#define BUG_SWAP_REREAD 0   // rmap_swapcached() finds nothing: every sharer reads its own copy
#endif

// Lock-order bugs lockdep (kernel option `lockdep`) must report with both
// orders, whether or not the run's timing deadlocks:
#ifndef BUG_FORK_LOCK_ORDER
#define BUG_FORK_LOCK_ORDER 0 // fork takes tickslock under the child's p->lock, while
                              // clockintr wakes sleepers under tickslock: the fork/swap
                              // deadlock's shape (a lock held across wakeup, taken by a
                              // p->lock holder)
#endif
#ifndef BUG_RECLAIM_ORDER
#define BUG_RECLAIM_ORDER 0 // lru_isolate takes an address-space lock (as->lock)
                            // under lru.lock: the reverse of reclaim's order
#endif

// A bug a student may write in lab cow: fork_page() makes the child's PTE
// copy-on-write and leaves the parent's writable.
#ifndef BUG_COW_PARENT_WRITABLE
#define BUG_COW_PARENT_WRITABLE 0
#endif

// ... and: no TLB shootdown after eviction ("userret flushes anyway").
#ifndef BUG_NO_FLUSH
#define BUG_NO_FLUSH 0      // flush_harts() flushes nothing
#endif

// A silent hang, which every grader must report within a minute with a
// process dump: a fault waiting for a slot's read is never woken.
#ifndef BUG_LOST_WAKEUP
#define BUG_LOST_WAKEUP 0
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
