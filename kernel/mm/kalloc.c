// Physical frame allocator: the buddy allocator (buddy.c) over the frame
// array (page.c), with the use of every frame recorded and counted.
//
// alloc_pages(order) hands out 2^order physically contiguous frames, for
// the kernel users that need them (the virtio queues); kalloc()/kfree() are
// order 0. Each frame in use carries its use (kernel, page table, user) in
// its record; the head of an allocated block also carries the block's
// order and the allocation's reference count, so that a free with the
// wrong order, a free of part of a block and a free of a frame that others
// still reference are caught, naming the frame.
//
// Locking: kmem.lock guards the buddy free lists, every record's use bits,
// orders and list links, and the counters. Reference counts are atomic
// (page.c).
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
  page_set_use(pg, use);
  kmem.count[use_index(use)]++;
}

// Build the frame array and give every frame that is not reserved to the
// buddy allocator, one at a time: the merging builds the large blocks.
// Runs once, on the boot hart.
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
      KASSERT(page_use(f) == PG_FREE && page_refcount(f) == 0 && f->alloc_order == PAGE_ORDER_NONE,
              "alloc_pages: free frame %p is %s, refcount %d", (void*)page_to_pa(f),
              page_use_name(page_use(f)), page_refcount(f));
      set_use_locked(f, use);
    }
    pg->alloc_order = order;
    pg->refcount = 1;
  }
  release(&kmem.lock);

  if(pg)
    memset((void*)page_to_pa(pg), POISON_NEW_FRAME, PGSIZE << order);
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

// Check that the block headed by pg may be freed as order `order`, and
// drop the caller's reference. Panics naming the frame otherwise. Caller
// holds kmem.lock.
static void
free_check_locked(struct page *pg, int order)
{
  uint64 pa = page_to_pa(pg);
  int use = page_use(pg);

  if(use == PG_FREE || (use != PG_RESERVED && page_refcount(pg) == 0 && pg->alloc_order != PAGE_ORDER_NONE))
    panic("kfree: double free of frame %p", (void*)pa);
  if(use == PG_RESERVED){
    char *why = bootmem_reserved_why(pa);
    panic("kfree: frame %p is reserved (%s)", (void*)pa, why ? why : "the frame array");
  }
  if(pg->alloc_order == PAGE_ORDER_NONE)
    panic("free_pages: frame %p is part of a block, not its head", (void*)pa);
  if(pg->alloc_order != order)
    panic("free_pages: block %p freed as order %d but allocated as order %d",
          (void*)pa, order, pg->alloc_order);
  int left = page_ref_dec(pg);
  if(left != 0)
    panic("kfree: frame %p (%s) still has %d other references", (void*)pa,
          page_use_name(use), left);
}

// Give back the block of 2^order frames headed by pg, which alloc_pages()
// returned; the caller must hold its only reference. Fills it with
// POISON_FREE_FRAME first, so a use after free reads garbage. Takes kmem.lock.
void
free_pages(struct page *pg, int order)
{
  KASSERT(order >= 0 && order <= MAX_ORDER, "free_pages: bad order %d", order);
  acquire(&kmem.lock);
  free_check_locked(pg, order);
  release(&kmem.lock);

  if(inject_kfree_leaks())
    return;
  // No one may allocate these frames while we poison them: they keep
  // their use until the lock is taken again.
  memset((void*)page_to_pa(pg), POISON_FREE_FRAME, PGSIZE << order);

  acquire(&kmem.lock);
  pg->alloc_order = PAGE_ORDER_NONE;
  for(uint64 i = 0; i < (1UL << order); i++)
    set_use_locked(pg + i, PG_FREE);
  buddy_free_locked(pg, order);
  release(&kmem.lock);
}

// Give back a frame that kalloc() returned. Panics naming the frame for an
// address that is not a frame of RAM, and as free_pages() does.
void
kfree(void *pa)
{
  struct page *pg = pa_to_page((uint64)pa);

  if((uint64)pa % PGSIZE != 0)
    panic("kfree: %p is not a frame address (not page aligned)", pa);
  if(pg == 0)
    panic("kfree: frame %p is outside RAM", pa);
  free_pages(pg, 0);
}

// Number of free frames now. Takes kmem.lock.
uint64
kfreecount(void)
{
  acquire(&kmem.lock);
  uint64 n = kmem.count[USE_FREE];
  release(&kmem.lock);
  return n;
}

// Fill *st for the memstat() system call. Takes kmem.lock.
void
kmemstat(struct memstat *st)
{
  memset(st, 0, sizeof(*st));
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

// Fill *bi for the buddyinfo() system call. Returns 0. Takes kmem.lock.
int
kbuddyinfo(struct buddyinfo *bi)
{
  memset(bi, 0, sizeof(*bi));
  bi->norder = NORDER;
  acquire(&kmem.lock);
  buddy_counts_locked(bi->nfree);
  release(&kmem.lock);
  return 0;
}

// One character per `group` frames, for the groups from number `start`
// on, into buf (at most n). Returns how many it wrote (0 past the end of
// RAM). Takes kmem.lock.
int
kmemmap(char *buf, int n, uint64 start, uint64 group)
{
  int i = 0;

  if(group == 0)
    return 0;
  acquire(&kmem.lock);
  for(; i < n && (start + i) * group < kmem.total; i++)
    buf[i] = page_memmap_char(ram_base + (start + i) * group * PGSIZE, group);
  release(&kmem.lock);
  return i;
}

#define REPORT(...) do { if(bad++ < 10) printf("kalloc_check: " __VA_ARGS__); } while(0)

// Check the allocator's invariants: the buddy lists (buddy.c), every
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
    if(use == PG_FREE && (page_refcount(pg) != 0 || pg->alloc_order != PAGE_ORDER_NONE))
      REPORT("free frame %p has refcount %d, allocation order %d\n", (void*)pa,
             page_refcount(pg), pg->alloc_order);
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
