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
  uint64 committed;   // pages promised to user address spaces (sum of their sizes)
  uint64 commit_limit; // most pages that may be promised (overcommit=never), 0 for no limit
  uint64 shared;      // user frames mapped more than once (lab cow: shared copy-on-write)
  uint64 swap_slots;  // page-sized slots on the swap disk, 0 without one (lab swap)
  uint64 swap_used;   // slots holding a page some process still maps (lab swap)
  uint64 overcommit;  // the overcommit mode: OVERCOMMIT_* below (kernel option overcommit=)
};
// Overcommit modes (Linux's vm.overcommit_memory): how sbrk and exec
// promise memory that is backed only when touched (lab lazy).
#define OVERCOMMIT_GUESS  0 // default: refuse one request larger than RAM plus swap
#define OVERCOMMIT_ALWAYS 1 // overcommit=always: refuse nothing
#define OVERCOMMIT_NEVER  2 // overcommit=never: every promise must fit the commit limit

// What the buddyinfo() system call reports: free blocks per order, like
// Linux's /proc/buddyinfo.
#define BUDDY_NORDER 11  // orders 0..10: blocks of 4 KiB .. 4 MiB
struct buddyinfo {
  uint64 norder;                 // orders in use (BUDDY_NORDER)
  uint64 nfree[BUDDY_NORDER];    // free blocks of 2^order frames
};

// Characters of the memmap() system call, one per group of frames: the
// use most of the group's frames are put to, except MEMMAP_EVICTING,
// which a group shows as soon as one of its frames is being evicted (a
// reclaimer holds one frame at a time: by majority it would never show).
#define MEMMAP_FREE      '.'
#define MEMMAP_KERNEL    'K'
#define MEMMAP_PAGETABLE 'P'
#define MEMMAP_USER      'U'
#define MEMMAP_RESERVED  'R'
#define MEMMAP_USED      '#'   // in use, for an allocator that cannot say what for
#define MEMMAP_SHARED    'S'   // user memory mapped by several processes (lab cow)
#define MEMMAP_EVICTING  'E'   // a user frame a reclaimer is writing to swap (lab swap)
#define MEMMAP_SWAPCACHE 'C'   // user memory that keeps its copy on swap: back from
                               // swap and not written since (lab swap: swap cache)

// What the vmstat() system call reports: events of the memory system since
// boot, one counter each, indexed by VMSTAT_*. New counters go at the end;
// a lab that has not built a mechanism yet leaves its counter at 0.
enum {
  VMSTAT_FAULT,         // page faults handed to the fault handler (mm/fault.c)
  VMSTAT_FAULT_BAD,     // ... that were not resolved: the process was killed or the copy failed
  VMSTAT_FAULT_ZERO,    // lab lazy: a read of untouched heap mapped the zero frame
  VMSTAT_FAULT_FRESH,   // lab lazy: a fresh zeroed frame was mapped
  VMSTAT_FAULT_OOM,     // no frame for a fault: the process was killed
  VMSTAT_COW_COPY,      // lab cow: a write to a shared page copied it
  VMSTAT_COW_REUSE,     // lab cow: a write to a page no one else holds took it back
  VMSTAT_SWAP_IN,       // lab swap: pages read back from the swap disk
  VMSTAT_SWAP_OUT,      // lab swap: pages written to the swap disk
  VMSTAT_RECLAIM_SCAN,  // lab swap: frames the clock hand looked at
  VMSTAT_OOM_KILL,      // lab swap: processes killed because RAM and swap were full
  VMSTAT_SWAP_CLEAN,    // lab swap: evicted pages whose copy on swap was still good (no write)
  VMSTAT_SWAP_SHARED,   // lab swap: faults on swap that found the page in RAM, brought back by a sharer
  VMSTAT_RMAP_WALK,     // lab swap: page-table walks of the reverse map (one per address space asked)
  NVMSTAT
};
// The counters' names, for programs that print them: index by VMSTAT_*.
#define VMSTAT_NAMES {                                                        \
  [VMSTAT_FAULT] "fault", [VMSTAT_FAULT_BAD] "fault_bad",                     \
  [VMSTAT_FAULT_ZERO] "fault_zero", [VMSTAT_FAULT_FRESH] "fault_fresh",       \
  [VMSTAT_FAULT_OOM] "fault_oom", [VMSTAT_COW_COPY] "cow_copy",               \
  [VMSTAT_COW_REUSE] "cow_reuse", [VMSTAT_SWAP_IN] "swap_in",                 \
  [VMSTAT_SWAP_OUT] "swap_out", [VMSTAT_RECLAIM_SCAN] "reclaim_scan",         \
  [VMSTAT_OOM_KILL] "oom_kill", [VMSTAT_SWAP_CLEAN] "swap_clean",           \
  [VMSTAT_SWAP_SHARED] "swap_shared", [VMSTAT_RMAP_WALK] "rmap_walk",        \
}
#define VMSTAT_MAX 32     // room in the structure for counters to come
struct vmstat {
  uint64 ncounters;           // counters this kernel keeps (NVMSTAT)
  uint64 count[VMSTAT_MAX];
};
_Static_assert(NVMSTAT <= VMSTAT_MAX, "struct vmstat has room for every counter");

// What the vmspace() system call reports: a process's address space by
// region (xv6's layout: text and data from 0, a guard page, the stack,
// then the heap up to the process's size), with how each region's pages
// are backed. Pages that are none of these are holes (not yet touched).
enum { VMR_TEXT, VMR_DATA, VMR_GUARD, VMR_STACK, VMR_HEAP, NVMR };
struct vmregion {
  uint64 start, end;  // [start, end) virtual addresses
  uint64 pages;       // pages in the range
  uint64 resident;    // mapped to a frame of the process's own
  uint64 zero;        // mapped to the shared zero frame (lab lazy)
  uint64 shared;      // mapped to a frame other mappings share (lab cow)
  uint64 swapped;     // on the swap disk (lab swap)
};
struct vmspace {
  uint64 pid;
  uint64 size;        // the process's size in bytes (sbrk(0))
  struct vmregion r[NVMR];
  uint64 ptpages;     // page-table pages of its page table, the root included
};

// Commands of the test-only kmemtest(cmd, arg) system call (kernel option
// selftest): kernel allocations a test program can drive.
#define KMEMTEST_ALLOC 0  // arg = order: allocate a block; returns a handle, or -1
#define KMEMTEST_FREE  1  // arg = handle: check the block's fill and free it; 0, -1, or -2 if overwritten
#define KMEMTEST_PFN   2  // arg = handle: the block's first frame number (address / 4096)
#define KMEMTEST_CHECK 3  // the number of allocator invariant violations (kalloc_check)
#define KMEMTEST_MAX   256 // handles
#endif
