// The swap disk: the second virtio block device (slot SWAP_DISK), cut into
// 4 KiB slots (swapslot.c keeps their reference counts).
//
// Found at boot: no disk, or one smaller than a slot, means the kernel
// runs without swap and says so; it never panics for it. The slot counts
// live in frames taken at boot, one per SWAP_SLOTS_PER_CHUNK slots.
//
// Pages are written and read whole, by slot, through the virtio driver,
// which sleeps until the device has finished: no spinlock may be held
// across swap_write() or swap_read().
//
// A reclaimer marks a slot "being written" before it changes any PTE to
// name it, until the page is on the disk: a process that faults on such a
// PTE meanwhile sleeps in swap_in_begin() until the write is done, so it
// never reads a slot that does not hold its page yet.
//
// A fault marks the slot it brings back "being read" from its lookup until
// the page is mapped: processes that share the slot and fault on it
// meanwhile sleep in swap_in_begin(), then find the page in RAM (the frame
// keeps the slot: swap_keep()) and map that frame, so a shared page is read
// once, however many processes wait for it.
//
// Locking: swap.lock guards the slot counts (struct swapslots) and the
// slots being written or read. It is taken under address-space locks
// (reclaim's rmap_unmap, fork's copy), and sleep() on it takes p->lock:
// so wakeup(), which takes every p->lock, is never called under it
// (kernel/lockorder.h); whoever unmarks a slot wakes the waiters after
// releasing it.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "fdt.h"
#include "defs.h"
#include "mm/page.h"
#include "mm/swap.h"
#include "inject.h"

#define SECTORS_PER_SLOT (PGSIZE / 512)

// A slot being written or read, and the process that marked it.
struct busy {
  uint64 slot1;   // slot + 1; 0: an unused entry
  int pid;
};

static struct {
  struct spinlock lock;
  struct swapslots slots;
  struct busy writing[NPROC];  // pages being written out
  struct busy reading[NPROC];  // pages being brought back by a fault
  uint64 ncached;         // slot references held by frames in RAM (swap_keep)
} swap = { .lock = { 0, "swap", 0 } };

// Slots on the swap disk and slots in use by pages on swap, not counting
// those only kept by a frame in RAM (0, 0 without swap). Takes swap.lock.
void
swap_usage(uint64 *total, uint64 *used)
{
  acquire(&swap.lock);
  *total = swap.slots.nslots;
  // Briefly, while a shared slot's frame is being evicted, two frames may
  // keep the same slot.
  *used = swap.slots.nused > swap.ncached ? swap.slots.nused - swap.ncached : 0;
  release(&swap.lock);
}

// The process that put slot in busy (swap.writing or swap.reading), or 0
// when it is not there. Caller holds swap.lock.
static int
busy_locked(struct busy *busy, uint64 slot)
{
  for(int i = 0; i < NPROC; i++)
    if(busy[i].slot1 == slot + 1)
      return busy[i].pid;
  return 0;
}

// Put slot in busy (on) or take it out (off; the caller then wakes the
// processes waiting for slots, once it has released swap.lock). One
// process is in at most one swap_out and one swap-in at a time, hence
// NPROC entries. Caller holds swap.lock.
static void
set_busy_locked(struct busy *busy, uint64 slot, int on)
{
  for(int i = 0; i < NPROC; i++){
    if(on && busy[i].slot1 == 0){
      busy[i].slot1 = slot + 1;
      busy[i].pid = myproc()->pid;
      return;
    }
    if(!on && busy[i].slot1 == slot + 1){
      busy[i].slot1 = 0;
      return;
    }
  }
  panic("swap: %d slots %s at once, more than processes", NPROC + 1,
        busy == swap.writing ? "written" : "read");
}

// Take a free slot, with one reference (the caller's). Returns the slot,
// or -1 when swap is full or absent. Takes swap.lock.
long
swap_alloc(void)
{
  acquire(&swap.lock);
  long slot = swap.slots.nslots ? swapslots_alloc(&swap.slots) : -1;
  release(&swap.lock);
  return slot;
}

// Mark slot as being written (on: a process that faults on it waits in
// swap_in()), or no longer (off: wakes them). The caller holds a
// reference. Takes swap.lock.
void
swap_writing(uint64 slot, int on)
{
  acquire(&swap.lock);
  set_busy_locked(swap.writing, slot, on);
  release(&swap.lock);
  if(!on)
    wakeup(&swap);
}

// A frame gives up the slot swap_keep() let it keep: its page goes back to
// swap through it (the PTEs that now name it hold references of their
// own), or the frame is freed. Takes swap.lock.
void
swap_uncache(uint64 slot)
{
  acquire(&swap.lock);
  KASSERT(swap.ncached > 0, "swap_uncache: slot %d, but no slot is kept by a frame", (int)slot);
  swap.ncached--;
  swapslots_put(&swap.slots, slot);
  release(&swap.lock);
}

// One more PTE names slot (a swapped-out page mapped once more: reclaim
// unmapping another of its mappings, or fork). Takes swap.lock.
void
swap_dup(uint64 slot)
{
  acquire(&swap.lock);
  swapslots_dup(&swap.slots, slot);
  release(&swap.lock);
}

// A PTE no longer names slot; the slot is free with its last
// reference. Takes swap.lock.
void
swap_put(uint64 slot)
{
  acquire(&swap.lock);
  swapslots_put(&swap.slots, slot);
  release(&swap.lock);
}

// Write the frame at pa to slot (sleeps). Returns 0, or -1 on a disk error.
static int
swap_write(uint64 slot, uint64 pa)
{
  return virtio_disk_io(SWAP_DISK, slot * SECTORS_PER_SLOT, (void*)pa, PGSIZE, 1);
}

// Read slot into the frame at pa (sleeps). Returns 0, or -1 on a disk error.
static int
swap_read(uint64 slot, uint64 pa)
{
  return virtio_disk_io(SWAP_DISK, slot * SECTORS_PER_SLOT, (void*)pa, PGSIZE, 0);
}

// A checksum of the frame at pa (position-dependent, so that moved words
// count too).
static uint64
frame_sum(uint64 pa)
{
  uint64 *w = (uint64*)pa, sum = 0;
  for(int i = 0; i < PGSIZE / sizeof(uint64); i++)
    sum = (sum << 1 | sum >> 63) ^ w[i];
  return sum;
}

// Write the page at pa to slot (sleeps; the caller holds no spinlock).
// Returns 0, or -1 on a disk error, after saying so: the page's contents
// are lost, and whoever reads the slot gets its old contents.
//
// The page has no mapping left, and every hart that could have cached
// one was flushed: nothing may write it now. A page that changes while
// the disk writes it was written through a stale translation, and the
// write is lost (the disk may hold the page from before it): checked
// here, where the disk write makes the window milliseconds long.
int
swap_out(uint64 slot, uint64 pa)
{
  uint64 sum = frame_sum(pa);
  int r = swap_write(slot, pa);
  KASSERT(frame_sum(pa) == sum, "swap_out: the page in frame %p changed while it was "
          "written to slot %d, after its mappings were removed: a hart still wrote "
          "through a stale translation, and writes were lost. After changing the PTEs of "
          "a process that may run on another hart, evict() must flush that hart "
          "(flush_harts(): SBI remote sfence.vma) before the page is written out",
          (void*)pa, (int)slot);
  if(r < 0)
    printf("swap: writing slot %d failed: the page stored there is lost\n", (int)slot);
  return r;
}

// A page has come back from slot into a frame, through the PTE whose
// reference the caller holds. Says what becomes of that reference:
//   SWAP_SHARED: other PTEs name the slot too. The frame keeps the
//     reference, so that their faults find the page in RAM (the reverse
//     map at the page's address, a frame whose u.user.slot is this slot)
//     and share the frame copy-on-write instead of reading it again.
//   SWAP_KEPT: no other PTE names it and swap is less than half full. The
//     frame keeps it (a swap cache: if the page is not written before it
//     is evicted again, it needs no write). With swap more than half full,
//     slots are worth more free (Linux frees its swap cache at the same
//     point).
//   SWAP_DROPPED: the reference is dropped (and the slot freed).
// Takes swap.lock.
enum swap_keep
swap_keep(uint64 slot)
{
  enum swap_keep keep = SWAP_DROPPED;

  acquire(&swap.lock);
  if(swapslots_refs(&swap.slots, slot) > 1)
    keep = SWAP_SHARED;
  else if(swap.slots.nused < swap.slots.nslots / 2)
    keep = SWAP_KEPT;
  if(keep == SWAP_DROPPED)
    swapslots_put(&swap.slots, slot);
  else
    swap.ncached++;
  release(&swap.lock);
  return keep;
}

// Does a PTE name slot, besides the frame that keeps it (swap_keep())?
// Then the slot and that frame hold the same page, and the frame must not
// be written in place (fault_cow() copies it): a process that faults on
// the slot may map the frame instead of reading the slot. Takes swap.lock.
int
swap_slot_shared(uint64 slot)
{
  acquire(&swap.lock);
  int shared = swapslots_refs(&swap.slots, slot) > 1;
  release(&swap.lock);
  return shared;
}

// Before looking for the page of slot in RAM and reading it: wait while
// it is being written, or brought back by another fault (which maps it
// before it is done: the caller then finds it in RAM), and mark it being
// read. The caller holds one of the slot's references and no spinlock,
// and ends with swap_in_end(). Sleeps.
void
swap_in_begin(uint64 slot)
{
  acquire(&swap.lock);
  KASSERT(swapslots_refs(&swap.slots, slot) > 0, "swap_in_begin: slot %d has no reference",
          (int)slot);
  while(busy_locked(swap.writing, slot) || busy_locked(swap.reading, slot))
    sleep(&swap, &swap.lock);
  set_busy_locked(swap.reading, slot, 1);
  release(&swap.lock);
}

// The page of slot is mapped (or the fault gave up): wake the faults
// waiting for it. Takes swap.lock.
void
swap_in_end(uint64 slot)
{
  acquire(&swap.lock);
  set_busy_locked(swap.reading, slot, 0);
  release(&swap.lock);
  if(!BUG_LOST_WAKEUP)  // planted bug (kernel/inject.h)
    wakeup(&swap);
}

// The slot the calling process marked being read (swap_in_begin()) and
// has not unmarked (swap_in_end()), or -1: after a fault, always -1.
// Takes swap.lock.
long
swap_in_held(void)
{
  long slot = -1;

  acquire(&swap.lock);
  for(int i = 0; i < NPROC; i++)
    if(swap.reading[i].slot1 && swap.reading[i].pid == myproc()->pid)
      slot = swap.reading[i].slot1 - 1;
  release(&swap.lock);
  return slot;
}

// Read slot into the frame at pa, between swap_in_begin() and
// swap_in_end(). Sleeps. Returns 0, or -1 on a disk error.
int
swap_in(uint64 slot, uint64 pa)
{
  acquire(&swap.lock);
  KASSERT(busy_locked(swap.reading, slot) == myproc()->pid, "swap_in: slot %d read outside "
          "swap_in_begin() and swap_in_end(), which keep it from being read while it is "
          "written", (int)slot);
  release(&swap.lock);
  return swap_read(slot, pa);
}

// A page written to a slot reads back the same, through the driver; the
// slot and both frames come back. Returns 0, or -1 after printing why.
static int
swap_check(void)
{
  char *out = kalloc(), *in = kalloc();
  long slot = -1;
  char *why = 0;

  if(out == 0 || in == 0)
    why = "no frames for the test";
  else {
    acquire(&swap.lock);
    slot = swapslots_alloc(&swap.slots);
    release(&swap.lock);
    for(int i = 0; i < PGSIZE; i++)
      out[i] = (i * 7 + 3) & 0xff;
    memset(in, 0, PGSIZE);
    if(slot < 0)
      // Not the disk's fault: keep it, so that a kernel whose slot
      // allocator is unwritten fails where swapping needs a slot.
      printf("swap_check: swapslots_alloc() finds no free slot on an empty disk: no page "
             "can be swapped out (lab swap, task 1: kernel/mm/swapslot.c)\n");
    else if(swap_write(slot, (uint64)out) < 0 || swap_read(slot, (uint64)in) < 0)
      why = "disk error";
    else if(memcmp(in, out, PGSIZE) != 0)
      why = "the page read back from its slot differs from the one written";
  }
  if(slot >= 0){
    acquire(&swap.lock);
    swapslots_put(&swap.slots, slot);
    if(swapslots_check(&swap.slots))
      why = "slot counts wrong after the test";
    release(&swap.lock);
  }
  if(out)
    kfree(out);
  if(in)
    kfree(in);
  if(why)
    printf("swap_check: %s\n", why);
  return why ? -1 : 0;
}

#define BENCH_PAGES 512   // 2 MiB each way

// Kernel option swapbench: the raw speed of the swap disk through this
// driver, one page per request as swap_out() and swap_in() do it, for
// comparing with the swap throughput a workload gets (tools/bench-swap.py).
// Writes and reads back the first BENCH_PAGES slots before any is in use;
// prints figures, asserts nothing.
static void
swap_bench(void)
{
  char *frame = kalloc();
  uint64 hz = bootinfo.timebase_freq, n = BENCH_PAGES;

  if(frame == 0 || swap.slots.nslots < n){
    printf("bench: swap-raw: unsupported (no frame, or fewer than %d slots)\n", (int)n);
    if(frame)
      kfree(frame);
    return;
  }
  memset(frame, 0x5a, PGSIZE);
  for(int write = 1; write >= 0; write--){
    uint64 t0 = r_time();
    for(uint64 slot = 0; slot < n; slot++)
      if((write ? swap_write(slot, (uint64)frame) : swap_read(slot, (uint64)frame)) < 0)
        break;
    uint64 us = (r_time() - t0) * 1000000 / hz;
    printf("bench: swap-raw-%s: %d pages, %d us/page, %d KiB/s\n", write ? "write" : "read",
           (int)n, (int)(us / n), (int)(us ? n * 4 * 1000000 / us : 0));
  }
  kfree(frame);
}

// Find the swap disk, set up its slots and check that a page written to
// a slot reads back the same; a disk that fails is not used. Runs once,
// in the first process (disk I/O sleeps), before /init.
void
swap_init(void)
{
  uint64 nslots = virtio_disk_capacity(SWAP_DISK) / SECTORS_PER_SLOT;

  if(!virtio_disk_present(SWAP_DISK)){
    printf("swap: no disk in virtio slot %d: running without swap\n", SWAP_DISK);
    return;
  }
  if(nslots == 0){
    printf("swap: the disk in virtio slot %d is smaller than one page: running without swap\n",
           SWAP_DISK);
    return;
  }
  if(nslots > SWAP_MAXCHUNK * SWAP_SLOTS_PER_CHUNK){
    printf("swap: using the first %d MiB of the disk in virtio slot %d\n",
           SWAP_MAXCHUNK * SWAP_SLOTS_PER_CHUNK / 256, SWAP_DISK);
    nslots = SWAP_MAXCHUNK * SWAP_SLOTS_PER_CHUNK;
  }
  for(uint64 c = 0; c * SWAP_SLOTS_PER_CHUNK < nslots; c++){
    uint8 *chunk = kalloc();
    if(chunk == 0){
      printf("swap: no memory for the counts of slots %d on: using fewer\n",
             (int)(c * SWAP_SLOTS_PER_CHUNK));
      nslots = c * SWAP_SLOTS_PER_CHUNK;
      break;
    }
    memset(chunk, 0, PGSIZE);
    swap.slots.chunk[c] = chunk;
  }
  swapslots_init(&swap.slots, nslots);
  if(swap_check() < 0){
    printf("swap: the disk in virtio slot %d failed its check: running without swap\n",
           SWAP_DISK);
    swap.slots.nslots = 0;
    return;
  }
  printf("swap: %d slots (%d MiB) on virtio disk %d\n", (int)nslots,
         (int)(nslots / 256), SWAP_DISK);
  if(bootarg_has("swapbench"))
    swap_bench();
}
