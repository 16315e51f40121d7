// Binary buddy allocator over the frame array.
//
// Memory is handed out in blocks of 2^order frames (order 0..MAX_ORDER,
// 4 KiB..4 MiB), each aligned to its own size. One free list per order
// holds the heads of the free blocks of that order; the head's record
// carries the order, every other frame of a free block has the sentinel
// PAGE_ORDER_NONE, and every frame of a free block has use PG_FREE.
//
// Allocation takes the smallest order that has a free block and splits it
// in halves down to the order asked for, putting each upper half back on
// the list one order lower. Freeing merges a block with its buddy, the
// other half of the block of twice the size, for as long as the buddy is
// free and whole (a free head of the same order). Because blocks are
// aligned to their size, the buddy is found by flipping one bit of the
// block's address: buddy = address XOR (PGSIZE << order).
//
//   order 2 (16 KiB) block at 0x80410000: its buddy is
//   0x80410000 ^ 0x4000 = 0x80414000, and together they form the order-3
//   block at 0x80410000 (the lower of the two). The buddy of 0x80414000 is
//   0x80410000: the relation is symmetric.
//
// Frames outside RAM, reserved frames and frames in use are never PG_FREE
// heads, so a merge stops at RAM's edges and at holes whatever their
// alignment: RAM need not start or end on a 4 MiB boundary.
//
// This file is pure logic over struct page (no locks of its own, no
// device access), so it also builds on the host for unit tests. Locking:
// every function here must be called with kmem.lock (kalloc.c) held.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "inject.h"
#include "defs.h"
#include "mm/page.h"

static struct {
  struct page free[NORDER]; // sentinels of the circular free lists
  uint64 nfree[NORDER];     // blocks on each list
} buddy;

void
buddy_init(void)
{
  for(int k = 0; k < NORDER; k++){
    page_list_init(&buddy.free[k]);
    buddy.nfree[k] = 0;
  }
}

static void
add_block(struct page *pg, int order)
{
  pg->order = order;
  page_list_push(&buddy.free[order], pg);
  buddy.nfree[order]++;
}

static void
take_block(struct page *pg, int order)
{
  page_list_remove(pg);
  pg->order = PAGE_ORDER_NONE;
  buddy.nfree[order]--;
}

// The head of the buddy of the order-`order` block headed by pg, if that
// buddy is a whole free block of the same order; else 0.
static struct page *
free_buddy(struct page *pg, int order)
{
  uint64 pa = page_to_pa(pg) ^ ((uint64)PGSIZE << order);
  struct page *b = pa_to_page(pa);
  if(b == 0 || page_use(b) != PG_FREE || b->order != order)
    return 0;
  return b;
}

// The buddy that buddy_free_locked() merges with: free_buddy(), unless a
// bug for the graders' self-checks is compiled in (inject.h).
static struct page *
merge_buddy(struct page *pg, int order)
{
  if(BUG_NO_MERGE)
    return 0;
  if(BUG_MERGE_ANY_ORDER){
    struct page *b = pa_to_page(page_to_pa(pg) ^ ((uint64)PGSIZE << order));
    return b && page_use(b) == PG_FREE && b->order != PAGE_ORDER_NONE ? b : 0;
  }
  return free_buddy(pg, order);
}

// Take a block of 2^order frames off the free lists. Returns its head,
// whose frames are still marked PG_FREE (the caller gives them their use),
// or 0 when no block of that order or larger is free.
struct page *
buddy_alloc_locked(int order)
{
  int k = order;

  KASSERT(order >= 0 && order <= MAX_ORDER, "buddy_alloc: bad order %d", order);
  while(k <= MAX_ORDER && buddy.nfree[k] == 0)
    k++;
  if(k > MAX_ORDER)
    return 0;
  if(BUG_SPLIT_LARGEST)
    for(int big = MAX_ORDER; big > k; big--)
      if(buddy.nfree[big] > 0){
        k = big;
        break;
      }

  struct page *pg = buddy.free[k].next;
  KASSERT(pg->order == k && page_use(pg) == PG_FREE,
          "buddy_alloc: head %p on the order-%d list has order %d, use %s: a block on a "
          "free list is free and of that order (a buddy merges only when it is a whole free "
          "block of the same order)", (void*)page_to_pa(pg), k, pg->order,
          page_use_name(page_use(pg)));
  take_block(pg, k);
  // Split: keep the lower half, free the upper half one order down.
  while(k > order){
    k--;
    add_block(pa_to_page(page_to_pa(pg) + ((uint64)PGSIZE << k)), k);
  }
  return pg;
}

// Give back the block of 2^order frames headed by pg, all already marked
// PG_FREE by the caller, merging it with free buddies as far as they go.
void
buddy_free_locked(struct page *pg, int order)
{
  KASSERT(order >= 0 && order <= MAX_ORDER, "buddy_free: bad order %d", order);
  KASSERT(page_to_pa(pg) % ((uint64)PGSIZE << order) == 0,
          "buddy_free: block %p is not aligned to its order %d", (void*)page_to_pa(pg), order);
  KASSERT(pg->order == PAGE_ORDER_NONE,
          "buddy_free: frame %p already heads a free order-%d block", (void*)page_to_pa(pg), pg->order);

  struct page *b;
  while(order < MAX_ORDER && (b = merge_buddy(pg, order)) != 0){
    take_block(b, b->order);
    if(b < pg && !BUG_UPPER_HEAD)
      pg = b;     // the merged block starts at the lower half
    order++;
  }
  add_block(pg, order);
}

// Free blocks per order, into nfree[NORDER]. Returns 0.
int
buddy_counts_locked(uint64 nfree[NORDER])
{
  for(int k = 0; k < NORDER; k++)
    nfree[k] = buddy.nfree[k];
  return 0;
}

#define REPORT(...) do { if(bad++ < 10) printf("buddy_check: " __VA_ARGS__); } while(0)

// Check one free list: heads are free, of the list's order, aligned, with
// every frame of the block free and not a head, consistent links, and no
// buddy that should have merged. Returns the number of frames on it.
static uint64
check_list(int k, int *badp)
{
  int bad = *badp;
  uint64 n = 0, frames = 0;

  for(struct page *pg = buddy.free[k].next; pg != &buddy.free[k]; pg = pg->next){
    uint64 pa = page_to_pa(pg);
    if(pg->order != k || page_use(pg) != PG_FREE)
      REPORT("head %p on the order-%d list has order %d, use %s\n", (void*)pa, k,
             pg->order, page_use_name(page_use(pg)));
    if(pa % ((uint64)PGSIZE << k) != 0)
      REPORT("head %p on the order-%d list is not aligned to its size "
             "(a merged block starts at the lower buddy)\n", (void*)pa, k);
    if(pg->next->prev != pg)
      REPORT("order-%d list: links broken at %p\n", k, (void*)pa);
    for(uint64 i = 1; i < (1UL << k); i++){
      struct page *t = pa_to_page(pa + i * PGSIZE);
      if(t == 0 || page_use(t) != PG_FREE || t->order != PAGE_ORDER_NONE){
        REPORT("frame %d of free order-%d block %p is not a free non-head frame\n",
               (int)i, k, (void*)pa);
        break;
      }
    }
    if(k < MAX_ORDER && free_buddy(pg, k))
      REPORT("buddy pair %p and %p both free at order %d: not merged\n",
             (void*)pa, (void*)(pa ^ ((uint64)PGSIZE << k)), k);
    frames += 1UL << k;
    if(++n > buddy.nfree[k] + 1){
      REPORT("order-%d list longer than its count %d: a cycle?\n", k, (int)buddy.nfree[k]);
      break;
    }
  }
  if(n != buddy.nfree[k])
    REPORT("order-%d list holds %d blocks, count says %d\n", k, (int)n, (int)buddy.nfree[k]);
  *badp = bad;
  return frames;
}

// Check every free list; *free_frames gets the frames they hold. Prints
// each violation (the first ten) and returns their number.
int
buddy_check_locked(uint64 *free_frames)
{
  int bad = 0;
  uint64 frames = 0;

  for(int k = 0; k < NORDER; k++)
    frames += check_list(k, &bad);
  *free_frames = frames;
  return bad;
}

// Print the free blocks per order for humans (also from gdb: `call buddy_dump()`).
void
buddy_dump(void)
{
  printf("buddy: free blocks per order:");
  for(int k = 0; k < NORDER; k++)
    printf(" %d", (int)buddy.nfree[k]);
  printf("\n");
}
