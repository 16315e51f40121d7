// What the memstat() system call reports about physical frames. Shared by
// the kernel and user programs; new fields go at the end.
#ifndef KERNEL_MEMSTAT_H
#define KERNEL_MEMSTAT_H
#include "types.h"

struct memstat {
  uint64 page_size;   // bytes per frame
  uint64 total;       // frames of RAM the device tree reports
  uint64 free;        // frames the allocator can hand out now
  uint64 reserved;    // frames never handed out: firmware, kernel image, device tree, allocator metadata
  // Frames in use by kind. An allocator that cannot tell (the bitmap)
  // sets by_use to 0 and leaves kernel/pagetable/user at 0.
  uint64 by_use;
  uint64 kernel;      // kernel data: stacks, pipes, buffers
  uint64 pagetable;   // page-table pages
  uint64 user;        // user memory
  uint64 meta_bits;   // bits of allocator metadata per frame (1 for a bitmap)
};
#endif
