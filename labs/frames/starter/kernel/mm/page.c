// The frame array: one struct page per frame of RAM (lab frames).
//
// Lab frames, tasks 1-3 (labs/frames/README.md): design struct page in
// page.h, place the array after the kernel image in page_init(), and
// write the functions below. Until then they do nothing useful, and the
// bitmap in kalloc.c runs the machine.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"
#include "mm/page.h"

uint64 page_meta_end;      // first byte after the array

// Place the array after the kernel image, covering [ram_base, ram_top),
// and mark every frame that may never be allocated PG_RESERVED (the array
// itself included).
void
page_init(void)
{
}

// The record of the frame that holds physical address pa, or 0 when pa is
// not in RAM.
struct page *
pa_to_page(uint64 pa)
{
  return 0;
}

// The physical address of the frame a record describes.
uint64
page_to_pa(struct page *pg)
{
  return 0;
}

// The frame's use: one of PG_RESERVED, PG_FREE, PG_KERNEL, PG_PAGETABLE,
// PG_USER.
int
page_use(struct page *pg)
{
  return 0;
}

// Change the frame's use. Caller holds kmem.lock (kalloc.c).
void
page_set_use_locked(struct page *pg, int use)
{
}

int
page_refcount(struct page *pg)
{
  return 0;
}

// Take one more reference to an allocated frame.
void
page_ref_inc(struct page *pg)
{
}

// Drop one reference; returns how many are left.
int
page_ref_dec(struct page *pg)
{
  return 0;
}

// A use bit's name, for messages.
char *
page_use_name(int use)
{
  return "?";
}

// Print a frame's record for humans.
void
page_dump(struct page *pg)
{
}
