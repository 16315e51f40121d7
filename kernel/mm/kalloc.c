// Physical frame allocator: the frame array (page.c) with the use of every
// frame recorded and counted, over a block allocator (buddy.c) that keeps
// the free frames.
//
// alloc_pages(order) hands out 2^order physically contiguous frames, for
// the kernel users that need them (the virtio queues); kalloc()/kfree() are
// order 0. Each frame in use carries its use (kernel, page table, user) in
// its record; the head of an allocated block also carries the block's
// order and the allocation's reference count, so that a free with the
// wrong order, a free of part of a block and a free of a frame that others
// still reference are caught, naming the frame. Frames that may be shared
// (user memory, lab cow) are released with kput(), which frees a frame
// only when its last reference goes.
//
// This file talks to the free lists only through buddy_*(): which blocks
// are free, and how they split and merge, is buddy.c's business.
//
// Locking: kmem.lock guards the free lists (buddy.c), every record's use
// bits, order and list links, and the counters. Reference counts are
// atomic (page.c). kmem.lock is the innermost lock of the memory system
// (page.h gives the order).
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "memstat.h"
#include "poison.h"
#include "inject.h"
#include "defs.h"
#include "mm/page.h"

enum { USE_RESERVED, USE_FREE, USE_KERNEL, USE_PAGETABLE, USE_USER, NUSE };

static struct {
  struct spinlock lock;
  uint64 count[NUSE];    // frames per use
  uint64 total;          // frames of RAM
} kmem;

// Index into kmem.count of a single use bit (PG_RESERVED = 1 << 0 ...).
static int
use_index(int use)
{
  int i = 0;
  while((1 << i) != use)
    i++;
  return i;
}

// Move a frame to a new use, keeping the counters right. Caller holds kmem.lock.
static void
set_use_locked(struct page *pg, int use)
{
  assert_held(&kmem.lock);
  int old = page_use(pg);
  if(old)
    kmem.count[use_index(old)]--;
  page_set_use_locked(pg, use);
  kmem.count[use_index(use)]++;
}

// Build the frame array and give every frame that is not reserved to the
// block allocator, one at a time (the buddy allocator's merging builds the
// large blocks). Then check the result, so that a broken free list shows
// at boot, before anything runs on it. Runs once, on the boot hart.
void
kinit(void)
{
  initlock(&kmem.lock, "kmem");
  page_init();
  buddy_init();

  kmem.total = (ram_top - ram_base) / PGSIZE;
  acquire(&kmem.lock);
  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    struct page *pg = pa_to_page(pa);
    if(page_use(pg) == PG_RESERVED){
      kmem.count[USE_RESERVED]++;
      continue;
    }
    set_use_locked(pg, PG_FREE);
    buddy_free_locked(pg, 0);
  }
  release(&kmem.lock);
  int bad = kalloc_check();
  if(bad)
    printf("kinit: kalloc_check found %d violations right after giving every frame "
           "to the allocator (lines above)\n", bad);
}

// Check the free block at pa of 2^order frames before it is handed out,
// and fill it with POISON_NEW_FRAME in the same pass (one sweep of the
// block, not two: every user frame passes through here). A frame freed
// since boot holds the free poison in every word (release_block()); one
// never freed holds none (QEMU's RAM starts zeroed; poisoning all of RAM
// at boot would cost seconds). Some poison words but not all is a write
// after free, which the next owner would have seen: panics naming the
// frame and where such writes come from.
static void
poison_check_fill(uint64 pa, int order)
{
  uint64 want = 0x0101010101010101UL * POISON_FREE_FRAME, *w = (uint64*)pa;
  uint64 fill = 0x0101010101010101UL * POISON_NEW_FRAME;
  uint64 n = (PGSIZE << order) / sizeof(uint64), poisoned = 0, first = n, seen = 0;

  for(uint64 i = 0; i < n; i++){
    uint64 v = w[i];
    if(v == want)
      poisoned++;
    else if(first == n){
      first = i;
      seen = v;
    }
    w[i] = fill;
  }
  KASSERT(poisoned == 0 || poisoned == n, "alloc_pages: free frame %p was written at byte "
          "%d after it was freed (%p, not the free poison 0x%x): a write reached a freed "
          "frame. A hart still cached a translation to it: after changing a PTE of a "
          "process that may run on another hart (eviction), flush that hart's TLB "
          "(flush_harts() in kernel/mm/reclaim.c: SBI remote sfence.vma) before the frame "
          "is freed; or the kernel used it after kfree", (void*)(pa + first * 8 / PGSIZE * PGSIZE),
          (int)(first * 8 % PGSIZE), (void*)seen, POISON_FREE_FRAME);
}

// Allocate 2^order contiguous frames for `use` (PG_KERNEL, PG_PAGETABLE or
// PG_USER), filled with POISON_NEW_FRAME. Returns the head's record (one
// reference), or 0 when no block that large is free. Takes kmem.lock.
struct page *
alloc_pages_as(int order, int use)
{
  KASSERT(use == PG_KERNEL || use == PG_PAGETABLE || use == PG_USER,
          "alloc_pages: %x is not an allocatable use", use);
  if(order < 0 || order > MAX_ORDER)
    return 0;

  acquire(&kmem.lock);
  struct page *pg = buddy_alloc_locked(order);
  if(pg){
    for(uint64 i = 0; i < (1UL << order); i++){
      struct page *f = pg + i;
      KASSERT(page_use(f) == PG_FREE && page_refcount(f) == 0 && f->order == PAGE_ORDER_NONE,
              "alloc_pages: frame %p of a free order-%d block is %s, refcount %d, order %d: "
              "a block went on a free list with a frame that is not free (a buddy merges only "
              "when it is a whole free block of the same order)", (void*)page_to_pa(f), order,
              page_use_name(page_use(f)), page_refcount(f), f->order);
      set_use_locked(f, use);
    }
    pg->order = order;
    pg->refcount = 1;
  }
  release(&kmem.lock);

  if(pg){
    poison_check_fill(page_to_pa(pg), order);
  }
  return pg;
}

// 2^order contiguous frames of kernel data, or 0.
struct page *
alloc_pages(int order)
{
  return alloc_pages_as(order, PG_KERNEL);
}

// A frame for `use`, or 0 when memory is exhausted.
void *
kalloc_as(int use)
{
  struct page *pg = alloc_pages_as(0, use);
  return pg ? (void*)page_to_pa(pg) : 0;
}

// A frame for kernel data, or 0.
void *
kalloc(void)
{
  return kalloc_as(PG_KERNEL);
}

// Check that the block headed by pg, whose references are all gone, may
// go back as order `order`. Panics naming the frame otherwise. Caller
// holds kmem.lock.
static void
free_check_locked(struct page *pg, int order)
{
  uint64 pa = page_to_pa(pg);
  int use = page_use(pg);

  assert_held(&kmem.lock);
  if(use == PG_FREE)
    panic("kfree: double free of frame %p", (void*)pa);
  if(use == PG_RESERVED){
    char *why = bootmem_reserved_why(pa);
    panic("kfree: frame %p is reserved (%s)", (void*)pa, why ? why : "the frame array");
  }
  if(pg->order == PAGE_ORDER_NONE)
    panic("free_pages: frame %p is part of a block, not its head", (void*)pa);
  if(pg->order != order)
    panic("free_pages: block %p freed as order %d but allocated as order %d",
          (void*)pa, order, pg->order);
}

// Give the block headed by pg back to the block allocator, after
// free_check_locked() passed and its last reference was dropped. Fills it
// with POISON_FREE_FRAME first, so a use after free reads garbage. No one
// may allocate these frames meanwhile: they keep their use until kmem.lock
// is taken again. Takes kmem.lock.
static void
release_block(struct page *pg, int order)
{
  if(page_use(pg) == PG_USER)
    reclaim_forget(pg);   // off the LRU list (lab swap)
  if(inject_kfree_leaks())
    return;
  memset((void*)page_to_pa(pg), POISON_FREE_FRAME, PGSIZE << order);

  acquire(&kmem.lock);
  pg->order = PAGE_ORDER_NONE;
  for(uint64 i = 0; i < (1UL << order); i++){
    if(BUG_FREE_COUNTER)
      page_set_use_locked(pg + i, PG_FREE);
    else
      set_use_locked(pg + i, PG_FREE);
  }
  buddy_free_locked(pg, order);
  release(&kmem.lock);
}

// Give back the block of 2^order frames headed by pg, which alloc_pages()
// returned; the caller must hold its only reference. Panics naming the
// frame for a double free, a reserved frame, a wrong order, part of a
// block, or a frame that others still reference. Takes kmem.lock.
void
free_pages(struct page *pg, int order)
{
  KASSERT(order >= 0 && order <= MAX_ORDER, "free_pages: bad order %d", order);
  acquire(&kmem.lock);
  free_check_locked(pg, order);
  int left = page_ref_dec(pg);
  if(left != 0)
    panic("kfree: frame %p (%s) still has %d other references", (void*)page_to_pa(pg),
          page_use_name(page_use(pg)), left);
  release(&kmem.lock);
  release_block(pg, order);
}

// The record of a frame address kalloc() returned; panics naming the
// address when it is not one.
static struct page *
frame_record(void *pa, char *who)
{
  struct page *pg = pa_to_page((uint64)pa);

  if((uint64)pa % PGSIZE != 0)
    panic("%s: %p is not a frame address (not page aligned)", who, pa);
  if(pg == 0)
    panic("%s: frame %p is outside RAM", who, pa);
  return pg;
}

// Give back a frame that kalloc() returned and that only the caller
// holds. Panics naming the frame as free_pages() does.
void
kfree(void *pa)
{
  free_pages(frame_record(pa, "kfree"), 0);
}

// Drop one reference to a frame; free it when that was the last. The one
// release path for frames that may be shared (user memory, page cache).
// Panics naming the frame for a frame that is not allocated. Takes
// kmem.lock when it frees.
void
kput(void *pa)
{
  struct page *pg = frame_record(pa, "kput");
  int left = page_ref_dec(pg);

  if(left < 0)
    panic("kput: frame %p (%s) had no reference left", pa, page_use_name(page_use(pg)));
  if(left > 0)
    return;
  acquire(&kmem.lock);
  free_check_locked(pg, 0);
  release(&kmem.lock);
  release_block(pg, 0);
}

// kmem.lock, for the reports in stat.c that read many records at once.
void
kalloc_lock(void)
{
  acquire(&kmem.lock);
}

void
kalloc_unlock(void)
{
  release(&kmem.lock);
}

// The use of the frame at pa: one PG_* use bit. Caller holds kmem.lock.
int
kalloc_frame_use_locked(uint64 pa)
{
  assert_held(&kmem.lock);
  return page_use(pa_to_page(pa));
}

// Free frames now, read without the lock: a hint for reclaim (reclaim.c).
uint64
kalloc_nfree(void)
{
  return __atomic_load_n(&kmem.count[USE_FREE], __ATOMIC_RELAXED);
}

// Frame counts for memstat(): total, free, reserved and per use. Takes
// kmem.lock.
void
kalloc_usage(struct memstat *st)
{
  acquire(&kmem.lock);
  st->page_size = PGSIZE;
  st->total = kmem.total;
  st->free = kmem.count[USE_FREE];
  st->reserved = kmem.count[USE_RESERVED];
  st->by_use = 1;
  st->kernel = kmem.count[USE_KERNEL];
  st->pagetable = kmem.count[USE_PAGETABLE];
  st->user = kmem.count[USE_USER];
  st->meta_bits = sizeof(struct page) * 8;
  release(&kmem.lock);
}

#define REPORT(...) do { if(bad++ < 10) printf("kalloc_check: " __VA_ARGS__); } while(0)

// Check the allocator's invariants: the free lists (buddy.c), every
// record has exactly one use, free frames are the ones the lists hold, and
// the counters match the records. Prints each violation (the first ten)
// and returns their number. Takes kmem.lock.
int
kalloc_check(void)
{
  uint64 seen[NUSE] = {0}, onlists = 0;
  int bad = 0;

  acquire(&kmem.lock);
  bad = buddy_check_locked(&onlists);
  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    struct page *pg = pa_to_page(pa);
    int use = page_use(pg);
    if(use == 0 || (use & (use - 1)) != 0){
      REPORT("frame %p has use bits %x, want exactly one\n", (void*)pa, use);
      continue;
    }
    if(use == PG_FREE && page_refcount(pg) != 0)
      REPORT("free frame %p has refcount %d\n", (void*)pa, page_refcount(pg));
    seen[use_index(use)]++;
  }
  if(onlists != seen[USE_FREE])
    REPORT("%d frames on the free lists but %d marked free\n", (int)onlists, (int)seen[USE_FREE]);
  for(int i = 0; i < NUSE; i++)
    if(seen[i] != kmem.count[i])
      REPORT("counter of %s says %d frames, records say %d\n",
             page_use_name(1 << i), (int)kmem.count[i], (int)seen[i]);
  release(&kmem.lock);
  return bad;
}
