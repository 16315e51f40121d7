// Byte patterns written over memory so that use of stale memory shows.
#ifndef KERNEL_POISON_H
#define KERNEL_POISON_H
#define POISON_FREE_FRAME 0x5a   // every byte of a frame given back to kfree()
#define POISON_NEW_FRAME  0xa5   // every byte of a frame kalloc() hands out
#endif
