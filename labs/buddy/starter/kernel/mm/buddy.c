// The block allocator under kalloc.c, in its simplest form: one doubly
// linked list of free single frames (order 0), through the records'
// next/prev links.
//
// Lab buddy (labs/buddy/README.md) turns this file into a binary buddy
// allocator: one free list per order (0..MAX_ORDER) of the heads of free
// blocks of 2^order frames, each block aligned to its size, split on
// allocation and merged with its buddy on free. kalloc.c already calls
// these functions for every order; until then any order above 0 gets
// nothing, and the counts say that every free frame is a block of order 0.
//
// Every function here must be called with kmem.lock (kalloc.c) held.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "defs.h"
#include "mm/page.h"

static struct {
  struct page free;  // sentinel of the circular list of free frames
  uint64 nfree;      // frames on it
} buddy;

void
buddy_init(void)
{
  page_list_init(&buddy.free);
  buddy.nfree = 0;
}

// Take a block of 2^order frames off the free list. Returns its head,
// whose frames are still marked PG_FREE (the caller gives them their use),
// or 0 when none is free: always 0 for an order above 0 here.
struct page *
buddy_alloc_locked(int order)
{
  KASSERT(order >= 0 && order <= MAX_ORDER, "buddy_alloc: bad order %d", order);
  if(order > 0 || page_list_empty(&buddy.free))
    return 0;
  struct page *pg = buddy.free.next;
  page_list_remove(pg);
  buddy.nfree--;
  return pg;
}

// Give back the block of 2^order frames headed by pg, all already marked
// PG_FREE by the caller.
void
buddy_free_locked(struct page *pg, int order)
{
  KASSERT(order == 0, "buddy_free: order %d, but only single frames are ever handed out", order);
  page_list_push(&buddy.free, pg);
  buddy.nfree++;
}

// Free blocks per order, into nfree[NORDER]: every free frame is an
// order-0 block. Returns 0.
int
buddy_counts_locked(uint64 nfree[NORDER])
{
  for(int k = 0; k < NORDER; k++)
    nfree[k] = 0;
  nfree[0] = buddy.nfree;
  return 0;
}

#define REPORT(...) do { if(bad++ < 10) printf("buddy_check: " __VA_ARGS__); } while(0)

// Check the free list: every record on it is PG_FREE, the links are
// consistent, and its length is the count. *free_frames gets the frames it
// holds. Prints each violation (the first ten) and returns their number.
int
buddy_check_locked(uint64 *free_frames)
{
  int bad = 0;
  uint64 n = 0;

  for(struct page *pg = buddy.free.next; pg != &buddy.free; pg = pg->next){
    if(page_use(pg) != PG_FREE)
      REPORT("frame %p on the free list is %s\n", (void*)page_to_pa(pg),
             page_use_name(page_use(pg)));
    if(pg->next->prev != pg)
      REPORT("free-list links broken at %p\n", (void*)page_to_pa(pg));
    if(++n > buddy.nfree + 1){
      REPORT("free list longer than its count %d: a cycle?\n", (int)buddy.nfree);
      break;
    }
  }
  if(n != buddy.nfree)
    REPORT("free list holds %d frames, count says %d\n", (int)n, (int)buddy.nfree);
  *free_frames = n;
  return bad;
}

// Print the free frames for humans (also from gdb: `call buddy_dump()`).
void
buddy_dump(void)
{
  printf("buddy: %d free frames, all of order 0\n", (int)buddy.nfree);
}
