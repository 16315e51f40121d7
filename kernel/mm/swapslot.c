// Swap slots: the swap disk cut into 4 KiB slots, each with a reference
// count, the number of page-table entries that name it. A page shared
// copy-on-write by several processes is written to one slot once and
// each PTE that mapped it then holds a reference to that slot; the slot
// is free again when the last of them lets go (exit, a shrinking sbrk, or
// the page coming back into RAM).
//
// The counts are one byte per slot (a slot has at most one reference per
// process, and NPROC is far below 255), kept in chunks of one frame each
// (SWAP_SLOTS_PER_CHUNK slots), so that no large contiguous block is
// needed however big the disk is. Allocation is next fit: it starts where
// the last one ended, which keeps the disk written roughly in order.
//
//   slot 5000 lives in chunk 5000 / 4096 = 1, byte 5000 % 4096 = 904.
//
// This file is pure logic over struct swapslots (no locks of its own, no
// device access), so it also builds on the host for unit tests. Locking:
// the caller (swap.c) holds the lock that guards the structure.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "defs.h"
#include "mm/swap.h"

static uint8 *
ref(struct swapslots *s, uint64 slot)
{
  KASSERT(slot < s->nslots, "swap slot %d out of range (%d slots)", (int)slot, (int)s->nslots);
  return &s->chunk[slot / SWAP_SLOTS_PER_CHUNK][slot % SWAP_SLOTS_PER_CHUNK];
}

// Make s describe nslots free slots. The caller has set s->chunk[] to
// zeroed chunks covering them.
void
swapslots_init(struct swapslots *s, uint64 nslots)
{
  KASSERT(nslots <= SWAP_MAXCHUNK * SWAP_SLOTS_PER_CHUNK,
          "swapslots_init: %d slots, at most %d", (int)nslots,
          SWAP_MAXCHUNK * SWAP_SLOTS_PER_CHUNK);
  s->nslots = nslots;
  s->nused = 0;
  s->hint = 0;
}

// The references slot has (0: free).
int
swapslots_refs(struct swapslots *s, uint64 slot)
{
  return *ref(s, slot);
}

#ifdef SOL_SWAP
// A free slot, now with one reference, or -1 when every slot is in use.
long
swapslots_alloc(struct swapslots *s)
{
  for(uint64 n = 0; n < s->nslots; n++){
    uint64 slot = (s->hint + n) % s->nslots;
    uint8 *r = ref(s, slot);
    if(*r == 0){
      *r = 1;
      s->nused++;
      s->hint = (slot + 1) % s->nslots;
      return slot;
    }
  }
  return -1;
}

// One more PTE names slot (fork of a swapped-out page).
void
swapslots_dup(struct swapslots *s, uint64 slot)
{
  uint8 *r = ref(s, slot);
  KASSERT(*r > 0, "swapslots_dup: slot %d is free", (int)slot);
  KASSERT(*r < 255, "swapslots_dup: slot %d has 255 references", (int)slot);
  (*r)++;
}

// One PTE lets go of slot. Returns the references left; at 0 the slot is
// free again.
int
swapslots_put(struct swapslots *s, uint64 slot)
{
  uint8 *r = ref(s, slot);
  KASSERT(*r > 0, "swapslots_put: slot %d is already free", (int)slot);
  if(--(*r) == 0)
    s->nused--;
  return *r;
}

// Check that nused is the number of slots with references. Prints a line
// and returns 1 if not, else returns 0.
int
swapslots_check(struct swapslots *s)
{
  uint64 used = 0;

  for(uint64 slot = 0; slot < s->nslots; slot++)
    if(*ref(s, slot))
      used++;
  if(used == s->nused)
    return 0;
  printf("swapslots_check: %d slots have references, count says %d\n",
         (int)used, (int)s->nused);
  return 1;
}
#else
// Lab swap, task 1: the slot allocator (labs/swap/README.md). A free
// slot, now with one reference, or -1 when every slot is in use.
long
swapslots_alloc(struct swapslots *s)
{
  return -1;
}

// One more PTE names slot (fork of a swapped-out page).
void
swapslots_dup(struct swapslots *s, uint64 slot)
{
}

// One PTE lets go of slot. Returns the references left; at 0 the slot is
// free again.
int
swapslots_put(struct swapslots *s, uint64 slot)
{
  return 0;
}

// Check that nused is the number of slots with references. Prints a line
// and returns 1 if not, else returns 0.
int
swapslots_check(struct swapslots *s)
{
  return 0;
}
#endif
