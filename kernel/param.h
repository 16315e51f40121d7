// Tunable limits. Everything here is a compile-time size; hardware facts
// live in riscv.h and addresses in memlayout.h.
#ifndef KERNEL_PARAM_H
#define KERNEL_PARAM_H

#define NPROC        64  // maximum number of processes
#define NCPU          8  // maximum number of harts (hart ids 0..NCPU-1)
#define NOFILE       16  // open files per process
#define NFILE       100  // open files per system
#define NINODE       50  // maximum number of active i-nodes
#define NDEV         10  // maximum major device number
#define ROOTDEV       1  // device number of file system root disk
#define MAXARG       32  // max exec arguments
#define MAXOPBLOCKS  10  // max # of blocks any FS op writes
#define LOGSIZE      (MAXOPBLOCKS*3)  // max data blocks in on-disk log
#define NBUF         (LOGSIZE + 2*NPROC + 1)  // size of disk block cache: fs/bio.c says why
#define FSSIZE       4000  // size of file system in blocks
#define MAXPATH      128   // maximum file path name
#define USERSTACK    1     // user stack pages

#define TICK_HZ      100   // timer interrupts per second
#define NVDISK       8     // virtio-mmio slots probed for block devices
#define VDISK_FS     0     // virtio slot of the file-system disk
#define VDISK_SWAP   1     // virtio slot reserved for the swap disk
#define BOOTARGS_MAX 128   // bytes of /chosen/bootargs kept after boot

#endif
