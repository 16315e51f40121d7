// The block allocator under kalloc.c: the free frames, kept on lists of
// their records (lab frames, task 4; labs/frames/README.md).
//
// In this lab it is one doubly linked list of free single frames (order
// 0) through the records' list links: buddy_alloc_locked(0) takes a frame
// off it, buddy_free_locked(pg, 0) puts one back, and any order above 0
// gets nothing. Lab buddy later turns it into a buddy allocator with one
// list per order. Until you write it, the bitmap in kalloc.c runs the
// machine and nothing calls these functions.
//
// Every function here must be called with kmem.lock (kalloc.c) held.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "defs.h"
#include "mm/page.h"

// Empty the free list.
void
buddy_init(void)
{
}

// Take a block of 2^order frames off the free list. Returns its head,
// whose frames are still marked PG_FREE (the caller gives them their use),
// or 0 when none is free (always, for an order above 0).
struct page *
buddy_alloc_locked(int order)
{
  return 0;
}

// Give back the block of 2^order frames headed by pg, all already marked
// PG_FREE by the caller.
void
buddy_free_locked(struct page *pg, int order)
{
}

// Free blocks per order, into nfree[NORDER]. Returns 0, or -1 while there
// are no free lists (the bitmap runs the machine).
int
buddy_counts_locked(uint64 nfree[NORDER])
{
  return -1;
}

// Check the free list: every record on it is PG_FREE, the links are
// consistent, its length is its count. *free_frames gets the frames it
// holds. Prints each violation and returns their number.
int
buddy_check_locked(uint64 *free_frames)
{
  *free_frames = 0;
  return 0;
}

// Print the free list's length for humans.
void
buddy_dump(void)
{
}
