// Physical frame allocator: a bitmap with one bit per 4 KiB frame of RAM.
//
// This is the simplest design that works, and the starting point of lab
// `frames`: bit i of `bits` is 1 when frame i (physical address
// ram_base + i*PGSIZE) is free. The bitmap lives just after the kernel
// image and covers the RAM range the device tree reports, so the machine's
// memory size needs no rebuild. A bit says only "free or not": what a used
// frame is for, how many users share it, where it sits on disk must be
// kept elsewhere. Lab frames replaces this file with free lists of
// struct page (see labs/frames/README.md).
//
// Frames that are never handed out (reserved): those the boot memory map
// reserves (bootmem.c) and everything from the end of the kernel image to
// the end of the bitmap. Their bits stay 0 forever; kfree() refuses them.
//
// kinit() calls page_init() (page.c) before it places the bitmap, and
// puts the bitmap after the frame array that page_init() lays out: so the
// array of lab frames, tasks 1-3, can be built and tested while this
// bitmap still runs the machine.
//
// Locking: kmem.lock guards bits, nfree and hint.
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

extern char end[]; // first address after the kernel image; see kernel.ld

static struct {
  struct spinlock lock;
  uint64 *bits;      // bit set: frame free
  uint64 nframes;    // frames covered, (ram_top - ram_base) / PGSIZE
  uint64 nwords;     // 64-bit words in bits
  uint64 nfree;      // frames free now
  uint64 nreserved;  // frames never handed out
  uint64 meta_end;   // first byte after the bitmap
  uint64 hint;       // word where the next search starts (next fit)
} kmem;

// Why a frame may never be allocated or freed, or 0 if it may.
static char *
frame_reserved_why(uint64 pa)
{
  if(pa >= (uint64)end && pa < kmem.meta_end)
    return "inside the frame array or the bitmap";
  return bootmem_reserved_why(pa);
}

// Index of the lowest set bit of a nonzero word. (No libgcc in the kernel,
// so no __builtin_ctzl.)
static int
lowest_bit(uint64 w)
{
  int bit = 0;
  while((w & 1) == 0){
    w >>= 1;
    bit++;
  }
  return bit;
}

static uint64
frame_index(uint64 pa)
{
  return (pa - ram_base) / PGSIZE;
}

// Set up the bitmap over RAM and mark every frame that is not reserved as
// free. Runs once, on the boot hart, before paging is on.
void
kinit(void)
{
  initlock(&kmem.lock, "kmem");
  page_init();  // the frame array (lab frames); page_meta_end is 0 until it exists
  kmem.nframes = (ram_top - ram_base) / PGSIZE;
  kmem.nwords = (kmem.nframes + 63) / 64;
  uint64 after = page_meta_end > (uint64)end ? page_meta_end : (uint64)end;
  kmem.bits = (uint64*)PGROUNDUP(after);
  kmem.meta_end = PGROUNDUP((uint64)kmem.bits + kmem.nwords * sizeof(uint64));
  memset(kmem.bits, 0, kmem.nwords * sizeof(uint64));

  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    if(frame_reserved_why(pa)){
      kmem.nreserved++;
      continue;
    }
    uint64 i = frame_index(pa);
    kmem.bits[i / 64] |= 1UL << (i % 64);
    kmem.nfree++;
  }
}

// Allocate one 4 KiB frame. A bitmap cannot record what the frame is for,
// so `use` is ignored. Returns its address (== its kernel virtual address
// through the direct map), filled with POISON_NEW_FRAME so that code
// relying on zeroed memory fails visibly, or 0 when RAM is exhausted.
// Takes kmem.lock.
void *
kalloc_as(int use)
{
  uint64 pa = 0;

  acquire(&kmem.lock);
  for(uint64 n = 0; n < kmem.nwords; n++){
    uint64 w = (kmem.hint + n) % kmem.nwords;
    if(kmem.bits[w] == 0)
      continue;
    int bit = lowest_bit(kmem.bits[w]);
    kmem.bits[w] &= ~(1UL << bit);
    kmem.nfree--;
    kmem.hint = w;
    pa = ram_base + (w * 64 + bit) * PGSIZE;
    break;
  }
  release(&kmem.lock);

  if(pa)
    memset((void*)pa, POISON_NEW_FRAME, PGSIZE);
  return (void*)pa;
}

void *
kalloc(void)
{
  return kalloc_as(PG_KERNEL);
}

// Give back the frame at `pa`, which kalloc() returned. Panics, naming the
// frame, for a misaligned address, a frame outside RAM or reserved, and a
// frame that is already free. Fills the frame with POISON_FREE_FRAME so a
// use after free reads garbage. Takes kmem.lock.
void
kfree(void *pa)
{
  uint64 a = (uint64)pa;
  char *why;

  if(a % PGSIZE != 0)
    panic("kfree: %p is not a frame address (not page aligned)", pa);
  if((why = frame_reserved_why(a)) != 0)
    panic("kfree: frame %p is reserved (%s)", pa, why);
  if(inject_kfree_leaks())
    return;

  memset(pa, POISON_FREE_FRAME, PGSIZE);

  uint64 i = frame_index(a);
  acquire(&kmem.lock);
  if(kmem.bits[i / 64] & (1UL << (i % 64)))
    panic("kfree: double free of frame %p", pa);
  kmem.bits[i / 64] |= 1UL << (i % 64);
  kmem.nfree++;
  release(&kmem.lock);
}

// A bitmap keeps no reference counts: the one reference goes, so does the
// frame.
void
kput(void *pa)
{
  kfree(pa);
}

// Contiguous blocks need records and orders (labs frames and buddy): a
// bitmap hands out single frames only. Returns 0.
struct page *
alloc_pages_as(int order, int use)
{
  return 0;
}

struct page *
alloc_pages(int order)
{
  return 0;
}

void
free_pages(struct page *pg, int order)
{
  panic("free_pages: no block was ever allocated");
}

// kmem.lock, for the reports in stat.c that read many frames at once.
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

// What a bitmap knows of the frame at pa: PG_FREE, PG_RESERVED, or 0 for
// "in use, purpose unknown". Caller holds kmem.lock.
int
kalloc_frame_use_locked(uint64 pa)
{
  uint64 i = frame_index(pa);

  if(kmem.bits[i / 64] & (1UL << (i % 64)))
    return PG_FREE;
  return frame_reserved_why(pa) ? PG_RESERVED : 0;
}

// Frame counts for memstat(). A bitmap cannot tell what a used frame is
// used for, so by_use stays 0. Takes kmem.lock.
void
kalloc_usage(struct memstat *st)
{
  acquire(&kmem.lock);
  st->page_size = PGSIZE;
  st->total = kmem.nframes;
  st->free = kmem.nfree;
  st->reserved = kmem.nreserved;
  st->meta_bits = 1;
  release(&kmem.lock);
}

// Check the allocator's invariants: the free count matches the bits, and
// no reserved frame is marked free. Prints each violation and returns
// their number. Takes kmem.lock.
int
kalloc_check(void)
{
  uint64 nset = 0;
  int bad = 0;

  acquire(&kmem.lock);
  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    uint64 i = frame_index(pa);
    if((kmem.bits[i / 64] & (1UL << (i % 64))) == 0)
      continue;
    nset++;
    if(frame_reserved_why(pa) && bad++ < 10)
      printf("kalloc_check: reserved frame %p is marked free\n", (void*)pa);
  }
  if(nset != kmem.nfree && bad++ < 10)
    printf("kalloc_check: %d bits set but nfree is %d\n", (int)nset, (int)kmem.nfree);
  release(&kmem.lock);
  return bad;
}
