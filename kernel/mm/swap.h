// The swap disk: slots (swapslot.c, pure logic) and the disk itself
// (swap.c).
#ifndef KERNEL_MM_SWAP_H
#define KERNEL_MM_SWAP_H
#include "types.h"

// What swap_keep() did with a PTE's reference to the slot its page came
// back from.
enum swap_keep { SWAP_DROPPED, SWAP_KEPT, SWAP_SHARED };

#define SWAP_DISK 1                    // virtio slot of the swap disk (memlayout.h)
#define SWAP_SLOTS_PER_CHUNK 4096      // one byte of count per slot: a frame of counts
#define SWAP_MAXCHUNK 64               // at most 256 Ki slots: a 1 GiB swap disk

struct swapslots {
  uint8 *chunk[SWAP_MAXCHUNK];  // reference counts, SWAP_SLOTS_PER_CHUNK per chunk
  uint64 nslots;                // slots on the disk
  uint64 nused;                 // slots with a reference
  uint64 hint;                  // where the next search starts (next fit)
};

// swapslot.c: caller holds the lock guarding the struct swapslots
void            swapslots_init(struct swapslots *s, uint64 nslots);
long            swapslots_alloc(struct swapslots *s);
void            swapslots_dup(struct swapslots *s, uint64 slot);
int             swapslots_put(struct swapslots *s, uint64 slot);
int             swapslots_refs(struct swapslots *s, uint64 slot);
int             swapslots_check(struct swapslots *s);

// swap.c
void            swap_init(void);
void            swap_usage(uint64 *total, uint64 *used);
long            swap_alloc(void);
void            swap_writing(uint64 slot, int on);
void            swap_dup(uint64 slot);
void            swap_put(uint64 slot);
int             swap_out(uint64 slot, uint64 pa);
void            swap_in_begin(uint64 slot);
int             swap_in(uint64 slot, uint64 pa);
void            swap_in_end(uint64 slot);
long            swap_in_held(void);
enum swap_keep  swap_keep(uint64 slot);
int             swap_slot_shared(uint64 slot);
void            swap_uncache(uint64 slot);
#endif
