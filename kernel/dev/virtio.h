// Virtio definitions used by virtio_disk.c, from the virtio 1.1 spec:
// the virtio-mmio register block (section 4.2.2, non-legacy "version 2"
// layout), device status bits (2.1), feature bits, the split virtqueue
// (2.6) and the virtio-blk request format (5.2.6). Private to kernel/dev/.
#ifndef KERNEL_DEV_VIRTIO_H
#define KERNEL_DEV_VIRTIO_H
#include "types.h"

// ---- virtio-mmio registers: byte offsets from a slot's base, 32 bits each ----
#define VIRTIO_MMIO_MAGIC_VALUE         0x000 // reads 0x74726976, "virt"
#define VIRTIO_MMIO_VERSION             0x004 // 2 for a modern device
#define VIRTIO_MMIO_DEVICE_ID           0x008 // 0: empty slot, 2: block
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010 // 32 feature bits of the word...
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 // ...chosen here (0: bits 0-31)
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030 // queue the next registers act on
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034 // largest size the device allows
#define VIRTIO_MMIO_QUEUE_NUM           0x038 // size the driver chose
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050 // write a queue number: new work
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070 // write 0 to reset the device
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080 // physical address of the
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084 //   descriptor table
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090 // ... of the available ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0 // ... of the used ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc // changes when config changes
#define VIRTIO_MMIO_CONFIG              0x100 // device-specific configuration

#define VIRTIO_MAGIC      0x74726976
#define VIRTIO_VERSION    2
#define VIRTIO_DEV_BLOCK  2

// InterruptStatus bits.
#define VIRTIO_INT_USED_RING 1 // the device used buffers
#define VIRTIO_INT_CONFIG    2 // the configuration changed

// ---- device status bits (written by the driver, in this order) ----
#define VIRTIO_STATUS_ACKNOWLEDGE 1   // the driver noticed the device
#define VIRTIO_STATUS_DRIVER      2   // and knows how to drive it
#define VIRTIO_STATUS_DRIVER_OK   4   // the device is live
#define VIRTIO_STATUS_FEATURES_OK 8   // feature negotiation done
#define VIRTIO_STATUS_NEEDS_RESET 64  // set by the device after an error
#define VIRTIO_STATUS_FAILED      128 // the driver gave up on the device

// ---- feature bits ----
// virtio-blk (word 0)
#define VIRTIO_BLK_F_RO          5  // read-only disk
#define VIRTIO_BLK_F_SCSI        7  // legacy SCSI passthrough
#define VIRTIO_BLK_F_CONFIG_WCE  11 // writeback mode in config space
#define VIRTIO_BLK_F_MQ          12 // more than one request queue
// device-independent
#define VIRTIO_F_ANY_LAYOUT         27 // legacy: any descriptor layout
#define VIRTIO_RING_F_INDIRECT_DESC 28 // descriptors pointing to tables
#define VIRTIO_RING_F_EVENT_IDX     29 // used_event / avail_event fields
#define VIRTIO_F_VERSION_1          32 // modern device (bit 0 of word 1)

// ---- split virtqueue ----
#define VIRTQ_SIZE 8 // descriptors per queue; a power of two

// A descriptor: one buffer, physically contiguous.
struct virtq_desc {
  uint64 addr;  // physical address
  uint32 len;
  uint16 flags; // VIRTQ_DESC_F_*
  uint16 next;  // the following descriptor if flags has NEXT
};
#define VIRTQ_DESC_F_NEXT  1 // the chain continues at `next`
#define VIRTQ_DESC_F_WRITE 2 // the device writes this buffer (else reads)

// The driver's ring: heads of chains it offers to the device.
struct virtq_avail {
  uint16 flags;            // 0: we want interrupts
  uint16 idx;              // where the next entry goes, modulo VIRTQ_SIZE
  uint16 ring[VIRTQ_SIZE];
  uint16 used_event;       // only with EVENT_IDX
};

// The device's ring: chains it has finished with.
struct virtq_used_elem {
  uint32 id;  // head descriptor of the finished chain
  uint32 len; // bytes the device wrote into the chain
};

struct virtq_used {
  uint16 flags;
  uint16 idx;              // advanced by the device for each finished chain
  struct virtq_used_elem ring[VIRTQ_SIZE];
  uint16 avail_event;      // only with EVENT_IDX
};

// ---- virtio-blk ----
// Configuration space starts with the capacity, in 512-byte sectors.
#define VIRTIO_BLK_CONFIG_CAPACITY 0x00
#define VIRTIO_BLK_SECTOR_SIZE 512

// First buffer of every request (read by the device). The data buffer
// follows, then one status byte the device writes.
struct virtio_blk_req {
  uint32 type;     // VIRTIO_BLK_T_*
  uint32 reserved;
  uint64 sector;   // in 512-byte sectors
};
#define VIRTIO_BLK_T_IN  0 // read from the disk
#define VIRTIO_BLK_T_OUT 1 // write to the disk

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#endif
