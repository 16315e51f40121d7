// Binary buddy allocator over the frame array (lab buddy).
//
// Lab buddy, tasks 1-4 (labs/buddy/README.md): keep one free list per
// order (0..MAX_ORDER) of the heads of free blocks of 2^order frames, each
// block aligned to its size; split on allocation, merge with the buddy on
// free. Then make kalloc.c use these functions. Until then they do
// nothing, and kalloc.c's single free list runs the machine.
//
// Every function here must be called with kmem.lock (kalloc.c) held.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "defs.h"
#include "mm/page.h"

// Empty every free list.
void
buddy_init(void)
{
}

// Take a block of 2^order frames off the free lists, splitting a larger
// one if needed. Returns its head, or 0 when no block that large is free.
struct page *
buddy_alloc_locked(int order)
{
  return 0;
}

// Give back the block of 2^order frames headed by pg, merging it with its
// free buddy as far as possible.
void
buddy_free_locked(struct page *pg, int order)
{
}

// Free blocks per order, into nfree[NORDER].
void
buddy_counts_locked(uint64 *nfree)
{
}

// Check every free list; *free_frames gets the frames they hold. Returns
// the number of violations found.
int
buddy_check_locked(uint64 *free_frames)
{
  *free_frames = 0;
  return 0;
}

// Print the free blocks per order.
void
buddy_dump(void)
{
}
