// The frame array: one struct page per frame of RAM, placed at boot right
// after the kernel image and sized from the device tree, and the
// conversions between frames and their records.
//
// The array never moves or changes size after page_init(), so `pages`,
// `npages` and `page_meta_end` need no lock. The fields of each record are
// guarded as page.h says.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"
#include "mm/page.h"

extern char end[];

static struct page *pages; // pages[i] describes frame ram_base + i*PGSIZE
static uint64 npages;
uint64 page_meta_end;      // first byte after the array

// Place the array after the kernel image, covering [ram_base, ram_top),
// and mark every frame that may never be allocated PG_RESERVED (the array
// itself included). Other frames get no use bit yet: kinit() frees them.
// Runs once, on the boot hart, before any allocation.
void
page_init(void)
{
  npages = (ram_top - ram_base) / PGSIZE;
  pages = (struct page *)PGROUNDUP((uint64)end);
  page_meta_end = PGROUNDUP((uint64)(pages + npages));
  KASSERT(page_meta_end < ram_top, "frame array [%p, %p) must fit in RAM",
          pages, (void*)page_meta_end);

  memset(pages, 0, page_meta_end - (uint64)pages);
  for(uint64 i = 0; i < npages; i++){
    struct page *pg = &pages[i];
    uint64 pa = ram_base + i * PGSIZE;
    pg->order = PAGE_ORDER_NONE;
    if(pa < page_meta_end || bootmem_reserved_why(pa))
      pg->flags = PG_RESERVED;
  }
}

// The record of the frame that holds physical address pa, or 0 when pa is
// not in RAM.
struct page *
pa_to_page(uint64 pa)
{
  if(pa < ram_base || pa >= ram_top)
    return 0;
  return &pages[(pa - ram_base) >> PGSHIFT];
}

// The physical address of the frame a record describes.
uint64
page_to_pa(struct page *pg)
{
  KASSERT(pg >= pages && pg < pages + npages, "page_to_pa: %p is not in the frame array", pg);
  return ram_base + ((uint64)(pg - pages) << PGSHIFT);
}

// The frame's use: one of PG_RESERVED, PG_FREE, PG_KERNEL, PG_PAGETABLE,
// PG_USER, or 0 before kinit() has freed it.
int
page_use(struct page *pg)
{
  return pg->flags & PG_USE_MASK;
}

// Change the frame's use. Caller holds kmem.lock (kalloc.c), which guards
// every frame's use.
void
page_set_use_locked(struct page *pg, int use)
{
  KASSERT(use != 0 && (use & PG_USE_MASK) == use && (use & (use - 1)) == 0,
          "page_set_use: %x is not a single use bit", use);
  pg->flags = (pg->flags & ~PG_USE_MASK) | use;
}

int
page_refcount(struct page *pg)
{
  return __atomic_load_n(&pg->refcount, __ATOMIC_ACQUIRE);
}

// Take one more reference to an allocated frame. No lock: atomic.
void
page_ref_inc(struct page *pg)
{
  int old = __atomic_fetch_add(&pg->refcount, 1, __ATOMIC_ACQ_REL);
  KASSERT(old > 0, "page_ref_inc: frame %p is not allocated (refcount %d)",
          (void*)page_to_pa(pg), old);
}

// Add a reference unless the count is 0 (the frame is being freed: its
// last reference is gone). Returns 1 when it took one. No lock: atomic.
// The reclaimer uses it to hold a frame it found on the LRU list.
int
page_ref_inc_not_zero(struct page *pg)
{
  int old = __atomic_load_n(&pg->refcount, __ATOMIC_ACQUIRE);
  while(old > 0)
    if(__atomic_compare_exchange_n(&pg->refcount, &old, old + 1, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return 1;
  return 0;
}

// Drop one reference; returns how many are left. No lock: atomic.
int
page_ref_dec(struct page *pg)
{
  return __atomic_sub_fetch(&pg->refcount, 1, __ATOMIC_ACQ_REL);
}

// A use bit's name, for messages.
char *
page_use_name(int use)
{
  switch(use){
  case PG_RESERVED: return "reserved";
  case PG_FREE: return "free";
  case PG_KERNEL: return "kernel";
  case PG_PAGETABLE: return "page-table";
  case PG_USER: return "user";
  case 0: return "none";
  }
  return "INVALID";
}

// Print a frame's record for humans (from gdb: `call page_dump(pa_to_page(0x87fff000))`).
void
page_dump(struct page *pg)
{
  printf("frame %p: %s, flags %x, refcount %d, order %d, next %p, prev %p, u %p\n",
         (void*)page_to_pa(pg), page_use_name(page_use(pg)), pg->flags,
         page_refcount(pg), pg->order == PAGE_ORDER_NONE ? -1 : pg->order,
         pg->next, pg->prev, (void*)pg->u.none);
}
