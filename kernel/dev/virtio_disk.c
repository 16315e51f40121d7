// Driver for virtio block devices on QEMU's virtio-mmio bus (modern,
// version 2 interface). Every slot 0..NVDISK-1 is probed at boot; each
// block device found gets a struct vdisk with one request queue.
//
// A request is a chain of three descriptors: the request header (read by
// the device), the data buffer, and a one-byte status (written by the
// device). The driver puts the chain's head in the available ring and
// notifies the device; when the device has finished, it puts the head in
// the used ring and interrupts. virtio_disk_intr() marks the request done
// and wakes the process that sleeps in virtio_disk_io(), which then checks
// the status and frees the chain.
//
// The device reads and writes memory by physical address. The kernel
// direct-maps RAM (virtual == physical), so kernel pointers into RAM - the
// queue frames, this file's static arrays, struct buf data, kalloc'ed
// frames - go to the device unchanged. Kernel stacks are NOT direct-mapped:
// never pass a buffer on the stack.
//
// Locks: each disk's lock guards everything in its struct vdisk marked (l);
// fields marked (i) are written once at boot and read-only afterwards. No
// other lock is taken while a disk's lock is held except p->lock inside
// sleep/wakeup. Callers may hold sleep locks (the buffer cache does).
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "defs.h"
#include "mm/page.h"
#include "dev/virtio.h"

#define SECTOR VIRTIO_BLK_SECTOR_SIZE

// Features this driver does not implement; refused even when offered.
#define REFUSED_FEATURES                                                      \
  ((1U << VIRTIO_BLK_F_RO) | (1U << VIRTIO_BLK_F_SCSI) |                      \
   (1U << VIRTIO_BLK_F_CONFIG_WCE) | (1U << VIRTIO_BLK_F_MQ) |                \
   (1U << VIRTIO_F_ANY_LAYOUT) | (1U << VIRTIO_RING_F_EVENT_IDX) |            \
   (1U << VIRTIO_RING_F_INDIRECT_DESC))

struct vdisk {
  struct spinlock lock;
  int present;                   // (i) a working block device is in this slot
  uint64 base;                   // (i) its mmio registers
  uint64 capacity;               // (i) in 512-byte sectors

  struct virtq_desc *desc;       // (l) descriptor table, one frame
  struct virtq_avail *avail;     // (l) driver -> device ring, one frame
  struct virtq_used *used;       // (l) device -> driver ring, one frame;
                                 //     the device writes it at any time
  char free[VIRTQ_SIZE];         // (l) 1 if desc[i] is not in a chain
  uint16 used_idx;               // (l) used->ring entries consumed so far

  // Per request, indexed by the chain's head descriptor.
  struct {
    volatile int done;           // (l) set by the interrupt handler
    volatile uchar status;       // written by the device: VIRTIO_BLK_S_*
  } info[VIRTQ_SIZE];
  struct virtio_blk_req req[VIRTQ_SIZE]; // (l) header the device reads
};

static struct vdisk disks[NVDISK];
static char locknames[NVDISK][8];
_Static_assert(NVDISK <= 10, "lock names hold one digit");

static uint32
rd(struct vdisk *d, int off)
{
  return *(volatile uint32 *)(d->base + off);
}

static void
wr(struct vdisk *d, int off, uint32 v)
{
  *(volatile uint32 *)(d->base + off) = v;
}

// Give up on a device: tell it so and say why on the console.
static void
vdisk_fail(struct vdisk *d, int slot, char *why)
{
  wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
  printf("virtio disk %d: %s; disk ignored\n", slot, why);
}

// Agree on features: require VERSION_1, refuse what we do not implement,
// accept the rest, and check that the device takes FEATURES_OK.
// Returns 0, or -1 if the device rejects the set.
// Lock rule: boot only, no lock.
static int
vdisk_negotiate(struct vdisk *d)
{
  uint32 lo, hi;

  wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  lo = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
  wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  hi = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
  if((hi & (1U << (VIRTIO_F_VERSION_1 - 32))) == 0)
    return -1;

  wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  wr(d, VIRTIO_MMIO_DRIVER_FEATURES, lo & ~REFUSED_FEATURES);
  wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1U << (VIRTIO_F_VERSION_1 - 32));

  uint32 status = rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK;
  wr(d, VIRTIO_MMIO_STATUS, status);
  if((rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
    return -1;
  return 0;
}

#ifdef SOL_BUDDY
// Allocate the three rings of a queue in one physically contiguous block
// of two frames from the buddy allocator: the descriptor table in the
// first frame, the driver (avail) ring and the device (used) ring in the
// second. The kernel cannot run without its disks' queues, so running out
// of memory at boot is fatal.
static void
vdisk_alloc_rings(struct vdisk *d, int slot)
{
  struct page *pg = alloc_pages(1);

  if(pg == 0)
    panic("virtio_disk_init: no free 2-frame block for disk %d's queue", slot);
  char *area = (char *)page_to_pa(pg);
  memset(area, 0, 2 * PGSIZE);
  d->desc = (void *)area;
  d->avail = (void *)(area + PGSIZE);
  d->used = (void *)(area + PGSIZE + PGSIZE / 2);
}
#else
// One zeroed frame for a queue ring; the kernel cannot run without its
// disks' queues, so running out of memory at boot is fatal.
static void *
vdisk_queue_frame(int slot)
{
  void *p = kalloc();

  if(p == 0)
    panic("virtio_disk_init: no free frame for disk %d's queue", slot);
  memset(p, 0, PGSIZE);
  return p;
}

// Allocate the three rings of a queue, one frame each.
static void
vdisk_alloc_rings(struct vdisk *d, int slot)
{
  d->desc = vdisk_queue_frame(slot);
  d->avail = vdisk_queue_frame(slot);
  d->used = vdisk_queue_frame(slot);
}
#endif

// Set up queue 0 with VIRTQ_SIZE descriptors in newly allocated rings and mark
// it ready. Returns 0, or -1 (nothing allocated) if the device's queue is
// missing, in use, or too small. Lock rule: boot only, no lock.
static int
vdisk_setup_queue(struct vdisk *d, int slot)
{
  wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
  if(rd(d, VIRTIO_MMIO_QUEUE_READY) != 0)
    return -1;
  if(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < VIRTQ_SIZE)
    return -1;

  vdisk_alloc_rings(d, slot);
  wr(d, VIRTIO_MMIO_QUEUE_NUM, VIRTQ_SIZE);
  wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint64)d->desc);
  wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint64)d->desc >> 32);
  wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint64)d->avail);
  wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint64)d->avail >> 32);
  wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint64)d->used);
  wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint64)d->used >> 32);
  wr(d, VIRTIO_MMIO_QUEUE_READY, 1);

  for(int i = 0; i < VIRTQ_SIZE; i++)
    d->free[i] = 1;
  return 0;
}

// Read the 64-bit capacity from configuration space. It takes two 32-bit
// reads, so retry until the configuration generation is stable around them.
static uint64
vdisk_read_capacity(struct vdisk *d)
{
  uint32 gen, lo, hi;

  do {
    gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
    lo = rd(d, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CONFIG_CAPACITY);
    hi = rd(d, VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CONFIG_CAPACITY + 4);
  } while(gen != rd(d, VIRTIO_MMIO_CONFIG_GENERATION));
  return ((uint64)hi << 32) | lo;
}

// Look at one mmio slot and bring up the block device there, following the
// spec's initialization order (reset, ACKNOWLEDGE, DRIVER, features, queue,
// DRIVER_OK). Empty slots and other device types are skipped silently; a
// legacy or misbehaving block device is reported and skipped.
static void
vdisk_probe(int slot)
{
  struct vdisk *d = &disks[slot];

  d->base = VIRTIO_MMIO(slot);
  if(rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC ||
     rd(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEV_BLOCK)
    return;
  if(rd(d, VIRTIO_MMIO_VERSION) != VIRTIO_VERSION){
    printf("virtio disk %d: legacy device (run QEMU with "
           "-global virtio-mmio.force-legacy=false); disk ignored\n", slot);
    return;
  }

  wr(d, VIRTIO_MMIO_STATUS, 0);
  uint32 status = VIRTIO_STATUS_ACKNOWLEDGE;
  wr(d, VIRTIO_MMIO_STATUS, status);
  status |= VIRTIO_STATUS_DRIVER;
  wr(d, VIRTIO_MMIO_STATUS, status);

  if(vdisk_negotiate(d) < 0){
    vdisk_fail(d, slot, "feature negotiation failed");
    return;
  }
  if(vdisk_setup_queue(d, slot) < 0){
    vdisk_fail(d, slot, "no usable queue 0");
    return;
  }
  d->capacity = vdisk_read_capacity(d);
  wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
  d->present = 1;
}

// Probe every virtio-mmio slot and set up each block device found.
// Panics only if a queue cannot get memory. Lock rule: boot hart, once,
// before any disk I/O; needs kinit() done and the slots mapped.
void
virtio_disk_init(void)
{
  for(int slot = 0; slot < NVDISK; slot++){
    safestrcpy(locknames[slot], "vdisk", sizeof(locknames[slot]));
    locknames[slot][5] = '0' + slot;
    locknames[slot][6] = 0;
    initlock(&disks[slot].lock, locknames[slot]);
    vdisk_probe(slot);
  }
}

// Return 1 if a working block device sits in slot, else 0.
// Lock rule: none (boot-time state).
int
virtio_disk_present(int slot)
{
  return slot >= 0 && slot < NVDISK && disks[slot].present;
}

// Return the size of the disk in slot in 512-byte sectors, 0 if there is
// none. Lock rule: none (boot-time state).
uint64
virtio_disk_capacity(int slot)
{
  return virtio_disk_present(slot) ? disks[slot].capacity : 0;
}

// Take three free descriptors into idx[]. Returns 0, or -1 (taking none)
// if fewer than three are free. Lock rule: caller holds d->lock.
static int
alloc3_locked(struct vdisk *d, int idx[3])
{
  int n = 0;

  assert_held(&d->lock);
  for(int i = 0; i < VIRTQ_SIZE && n < 3; i++)
    if(d->free[i])
      idx[n++] = i;
  if(n < 3)
    return -1;
  for(int k = 0; k < 3; k++)
    d->free[idx[k]] = 0;
  return 0;
}

// Return the chain starting at descriptor head to the free set and wake
// anyone waiting for descriptors. Lock rule: caller holds d->lock.
static void
free_chain_locked(struct vdisk *d, int head)
{
  int i = head;

  assert_held(&d->lock);
  for(;;){
    KASSERT(i < VIRTQ_SIZE && !d->free[i], "virtio: bad descriptor %d", i);
    int flags = d->desc[i].flags;
    int next = d->desc[i].next;
    d->desc[i] = (struct virtq_desc){0};
    d->free[i] = 1;
    if(!(flags & VIRTQ_DESC_F_NEXT))
      break;
    i = next;
  }
  wakeup(&d->free);
}

// Fill the three descriptors of one request: header, data, status byte.
// Lock rule: caller holds d->lock.
static void
fill_chain_locked(struct vdisk *d, int idx[3], uint64 sector, void *data,
                  uint32 len, int write)
{
  struct virtio_blk_req *req = &d->req[idx[0]];

  assert_held(&d->lock);
  req->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  req->reserved = 0;
  req->sector = sector;

  d->desc[idx[0]] = (struct virtq_desc){
    (uint64)req, sizeof(*req), VIRTQ_DESC_F_NEXT, idx[1] };
  // For a read the device writes into the data buffer.
  d->desc[idx[1]] = (struct virtq_desc){
    (uint64)data, len, VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE),
    idx[2] };
  d->info[idx[0]].status = 0xff;  // anything but S_OK until the device says
  d->info[idx[0]].done = 0;
  d->desc[idx[2]] = (struct virtq_desc){
    (uint64)&d->info[idx[0]].status, 1, VIRTQ_DESC_F_WRITE, 0 };
}

// Offer the chain at head to the device and notify it. The barriers keep
// the order the device relies on: descriptors and ring entry are visible
// before the index moves, and the index before the notification.
// Lock rule: caller holds d->lock.
static void
submit_locked(struct vdisk *d, int head)
{
  assert_held(&d->lock);
  d->avail->ring[d->avail->idx % VIRTQ_SIZE] = head;
  __sync_synchronize();
  d->avail->idx += 1;
  __sync_synchronize();
  wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

// Transfer len bytes (a multiple of 512) between data and the disk in slot,
// starting at sector; write is 1 for memory -> disk. data must be direct-
// mapped RAM, physically contiguous. Sleeps until the device is done.
// Returns 0, or -1 if there is no disk in slot, the range passes the end of
// the disk, or the device reports an error.
// Lock rule: takes and releases the disk's lock; caller holds no spinlock
// and must be a process (it sleeps).
int
virtio_disk_io(int slot, uint64 sector, void *data, uint32 len, int write)
{
  int idx[3];

  if(!virtio_disk_present(slot))
    return -1;
  struct vdisk *d = &disks[slot];
  KASSERT(len > 0 && len % SECTOR == 0, "virtio: length %d", len);
  KASSERT((uint64)data >= KERNBASE && (uint64)data + len <= ram_top,
          "virtio: buffer %p is not direct-mapped RAM", data);
  if(sector > d->capacity || len / SECTOR > d->capacity - sector)
    return -1;
  KASSERT(myproc() != 0, "virtio_disk_io: must run in a process");

  acquire(&d->lock);
  while(alloc3_locked(d, idx) < 0)
    sleep(&d->free, &d->lock);
  fill_chain_locked(d, idx, sector, data, len, write);
  submit_locked(d, idx[0]);
  while(!d->info[idx[0]].done)
    sleep(&d->info[idx[0]], &d->lock);
  int status = d->info[idx[0]].status;
  free_chain_locked(d, idx[0]);
  release(&d->lock);
  return status == VIRTIO_BLK_S_OK ? 0 : -1;
}

// Read (write == 0) or write one file-system block of buffer b on the file
// system disk. The file system cannot continue after a failed transfer,
// so failure panics. Lock rule: caller holds b->lock (a sleep lock).
void
virtio_disk_rw(struct buf *b, int write)
{
  uint64 sector = (uint64)b->blockno * (BSIZE / SECTOR);

  if(virtio_disk_io(VDISK_FS, sector, b->data, BSIZE, write) < 0)
    panic("virtio_disk_rw: %s of block %d failed", write ? "write" : "read",
          b->blockno);
}

// Interrupt from the disk in slot: acknowledge it, then mark every request
// the device has finished as done and wake its process. Spurious calls for
// empty slots are ignored. Lock rule: called from devintr with no lock held.
void
virtio_disk_intr(int slot)
{
  if(!virtio_disk_present(slot))
    return;
  struct vdisk *d = &disks[slot];

  acquire(&d->lock);
  // Acknowledge first: a request finishing after this raises a new
  // interrupt, and the loop below may already handle it; both are harmless.
  wr(d, VIRTIO_MMIO_INTERRUPT_ACK, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & 3);
  __sync_synchronize();
  while(d->used_idx != *(volatile uint16 *)&d->used->idx){
    __sync_synchronize(); // read the entry only after seeing the index
    int id = d->used->ring[d->used_idx % VIRTQ_SIZE].id;
    KASSERT(id < VIRTQ_SIZE && !d->free[id], "virtio disk %d: bogus used id %d",
            slot, id);
    d->info[id].done = 1;
    wakeup(&d->info[id]);
    d->used_idx++;
  }
  release(&d->lock);
}
