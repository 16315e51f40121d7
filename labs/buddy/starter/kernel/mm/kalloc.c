// Physical frame allocator: free lists of struct page.
//
// Lab buddy replaces the single free list by the buddy allocator in
// buddy.c (labs/buddy/README.md): until then only single frames can be
// allocated, and alloc_pages() fails for any order above 0.
//
// Every frame has a record in the frame array (page.c). A free frame's
// record sits on the doubly linked free list and has use PG_FREE; kalloc()
// takes the first record off the list and kfree() puts it back, so both
// are O(1), whatever the state of memory. The record also says what each
// frame in use is for (kernel data, page table, user memory), and the
// allocator keeps a count per use, which memstat() reports.
//
// Locking: kmem.lock guards the free list, every record's use bits and
// list links, and the counters. Reference counts are atomic (page.c).
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
  struct page free;      // sentinel of the circular free list
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

// Put a frame on the free list. Caller holds kmem.lock.
static void
free_one_locked(struct page *pg)
{
  set_use_locked(pg, PG_FREE);
  pg->refcount = 0;
  page_list_push(&kmem.free, pg);
}

// Build the frame array and put every frame that is not reserved on the
// free list. Runs once, on the boot hart.
void
kinit(void)
{
  initlock(&kmem.lock, "kmem");
  page_list_init(&kmem.free);
  page_init();

  kmem.total = (ram_top - ram_base) / PGSIZE;
  acquire(&kmem.lock);
  // Walk down so the list hands out low addresses first.
  for(uint64 pa = ram_top - PGSIZE; pa >= ram_base; pa -= PGSIZE){
    struct page *pg = pa_to_page(pa);
    if(page_use(pg) == PG_RESERVED)
      kmem.count[USE_RESERVED]++;
    else
      free_one_locked(pg);
  }
  release(&kmem.lock);
}

// Allocate one frame for `use` (PG_KERNEL, PG_PAGETABLE or PG_USER) with a
// reference count of 1. Returns its address, filled with POISON_NEW_FRAME,
// or 0 when no frame is free. Takes kmem.lock.
void *
kalloc_as(int use)
{
  struct page *pg = 0;

  KASSERT(use == PG_KERNEL || use == PG_PAGETABLE || use == PG_USER,
          "kalloc_as: %x is not an allocatable use", use);
  acquire(&kmem.lock);
  if(!page_list_empty(&kmem.free)){
    pg = kmem.free.next;
    KASSERT(page_use(pg) == PG_FREE && page_refcount(pg) == 0,
            "kalloc: frame %p on the free list is %s with refcount %d",
            (void*)page_to_pa(pg), page_use_name(page_use(pg)), page_refcount(pg));
    page_list_remove(pg);
    set_use_locked(pg, use);
    pg->refcount = 1;
  }
  release(&kmem.lock);

  if(pg == 0)
    return 0;
  void *pa = (void*)page_to_pa(pg);
  memset(pa, POISON_NEW_FRAME, PGSIZE);
  return pa;
}

// A frame for kernel data.
void *
kalloc(void)
{
  return kalloc_as(PG_KERNEL);
}

// 2^order contiguous frames for `use`; only order 0 here. Returns the
// record, or 0.
struct page *
alloc_pages_as(int order, int use)
{
  void *pa = order == 0 ? kalloc_as(use) : 0;
  return pa ? pa_to_page((uint64)pa) : 0;
}

struct page *
alloc_pages(int order)
{
  return alloc_pages_as(order, PG_KERNEL);
}

// Give back what alloc_pages() returned.
void
free_pages(struct page *pg, int order)
{
  KASSERT(order == 0, "free_pages: order %d without a buddy allocator", order);
  kfree((void*)page_to_pa(pg));
}

// Check that pa may be freed and drop the caller's reference. Panics,
// naming the frame, for an address that is not a frame of RAM, a reserved
// frame, a frame that is already free, and a frame that other users still
// reference. Returns its record. Takes kmem.lock.
static struct page *
kfree_check(void *pa)
{
  struct page *pg = pa_to_page((uint64)pa);
  char *why;

  if((uint64)pa % PGSIZE != 0)
    panic("kfree: %p is not a frame address (not page aligned)", pa);
  if(pg == 0)
    panic("kfree: frame %p is outside RAM", pa);
  acquire(&kmem.lock);
  int use = page_use(pg);
  if(use == PG_FREE)
    panic("kfree: double free of frame %p", pa);
  if(use == PG_RESERVED){
    why = bootmem_reserved_why((uint64)pa);
    panic("kfree: frame %p is reserved (%s)", pa, why ? why : "the frame array");
  }
  int left = page_ref_dec(pg);
  if(left != 0)
    panic("kfree: frame %p (%s) still has %d other references", pa, page_use_name(use), left);
  release(&kmem.lock);
  return pg;
}

// Give back a frame that kalloc() returned; the caller must hold its only
// reference. Fills it with POISON_FREE_FRAME so a use after free reads
// garbage. Takes kmem.lock.
void
kfree(void *pa)
{
  struct page *pg = kfree_check(pa);

  if(inject_kfree_leaks())
    return;
  memset(pa, POISON_FREE_FRAME, PGSIZE);
  acquire(&kmem.lock);
  free_one_locked(pg);
  release(&kmem.lock);
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

// Free blocks per order: a single free list has no orders. Returns -1.
int
kbuddyinfo(struct buddyinfo *bi)
{
  return -1;
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

// Check the allocator's invariants: every record on the free list is
// PG_FREE with refcount 0 and consistent links, every PG_FREE record is on
// the list, every record has exactly one use, and the counters match the
// records. Prints each violation (the first ten) and returns their number.
// Takes kmem.lock.
int
kalloc_check(void)
{
  uint64 seen[NUSE] = {0}, onlist = 0;
  int bad = 0;

  acquire(&kmem.lock);
  for(struct page *pg = kmem.free.next; pg != &kmem.free; pg = pg->next){
    uint64 pa = page_to_pa(pg);
    if(page_use(pg) != PG_FREE || page_refcount(pg) != 0)
      REPORT("frame %p on the free list is %s, refcount %d\n", (void*)pa,
             page_use_name(page_use(pg)), page_refcount(pg));
    if(pg->next->prev != pg)
      REPORT("frame %p: free-list links broken\n", (void*)pa);
    if(++onlist > kmem.total){
      REPORT("free list longer than RAM: a cycle\n");
      break;
    }
  }
  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    int use = page_use(pa_to_page(pa));
    if(use == 0 || (use & (use - 1)) != 0){
      REPORT("frame %p has use bits %x, want exactly one\n", (void*)pa, use);
      continue;
    }
    seen[use_index(use)]++;
  }
  if(onlist != seen[USE_FREE])
    REPORT("%d frames on the free list but %d marked free\n", (int)onlist, (int)seen[USE_FREE]);
  for(int i = 0; i < NUSE; i++)
    if(seen[i] != kmem.count[i])
      REPORT("counter of %s says %d frames, records say %d\n",
             page_use_name(1 << i), (int)kmem.count[i], (int)seen[i]);
  release(&kmem.lock);
  return bad;
}
