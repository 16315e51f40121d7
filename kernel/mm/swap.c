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
// PTE meanwhile sleeps in swap_in() until the write is done, so it never
// reads a slot that does not hold its page yet.
//
// Locking: swap.lock guards the slot counts (struct swapslots) and the
// slots being written.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "fdt.h"
#include "defs.h"
#include "mm/page.h"
#include "mm/swap.h"

#define SECTORS_PER_SLOT (PGSIZE / 512)

static struct {
  struct spinlock lock;
  struct swapslots slots;
  uint64 writing[NPROC];  // slot + 1 of each page being written out, 0 = unused entry
  uint64 ncached;         // slots kept by a frame in RAM (swap_keep), no PTE's
} swap = { .lock = { 0, "swap", 0 } };

// Slots on the swap disk and slots in use by pages on swap, not counting
// those only kept by a frame in RAM (0, 0 without swap). Takes swap.lock.
void
swap_usage(uint64 *total, uint64 *used)
{
  acquire(&swap.lock);
  *total = swap.slots.nslots;
  *used = swap.slots.nused - swap.ncached;
  release(&swap.lock);
}

// Is slot being written out? Caller holds swap.lock.
static int
writing_locked(uint64 slot)
{
  for(int i = 0; i < NPROC; i++)
    if(swap.writing[i] == slot + 1)
      return 1;
  return 0;
}

// Mark slot as being written (on) or written (off), waking whoever waits
// for it. Caller holds swap.lock.
static void
set_writing_locked(uint64 slot, int on)
{
  for(int i = 0; i < NPROC; i++){
    if(on && swap.writing[i] == 0){
      swap.writing[i] = slot + 1;
      return;
    }
    if(!on && swap.writing[i] == slot + 1){
      swap.writing[i] = 0;
      wakeup(&swap.writing);
      return;
    }
  }
  panic("swap: %d pages being written at once, more than processes", NPROC + 1);
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
  set_writing_locked(slot, on);
  release(&swap.lock);
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

// Write the page at pa to slot (sleeps; the caller holds no spinlock).
// Returns 0, or -1 on a disk error, after saying so: the page's contents
// are lost, and whoever reads the slot gets its old contents.
int
swap_out(uint64 slot, uint64 pa)
{
  int r = swap_write(slot, pa);
  if(r < 0)
    printf("swap: writing slot %d failed: the page stored there is lost\n", (int)slot);
  return r;
}

// A page has come back from slot, through the PTE whose reference the
// caller holds. Keep that reference for the frame (a swap cache: if the
// page is not written before it is evicted again, it needs no write)
// when no other PTE names the slot and swap is less than half full, and
// return 1; else drop it and return 0. A kept slot holds a page that is
// also in RAM: with swap more than half full, slots are worth more free
// (Linux frees its swap cache at the same point). Takes swap.lock.
int
swap_keep(uint64 slot)
{
  acquire(&swap.lock);
  int keep = swapslots_refs(&swap.slots, slot) == 1 && swap.slots.nused < swap.slots.nslots / 2;
  if(keep)
    swap.ncached++;
  else
    swapslots_put(&swap.slots, slot);
  release(&swap.lock);
  return keep;
}

// Read slot into the frame at pa, after waiting for the slot's page to be
// written if a reclaimer is still at it. Sleeps; the caller holds no
// spinlock and one of the slot's references. Returns 0, or -1 on a disk
// error.
int
swap_in(uint64 slot, uint64 pa)
{
  acquire(&swap.lock);
  KASSERT(swapslots_refs(&swap.slots, slot) > 0, "swap_in: slot %d has no reference",
          (int)slot);
  while(writing_locked(slot))
    sleep(&swap.writing, &swap.lock);
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
      why = "no free slot";
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
