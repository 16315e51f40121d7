// On-disk file-system format, shared by the kernel and mkfs.
//
// Disk layout, in BSIZE blocks:
//   [ boot block | super block | log | inode blocks | free bit map | data blocks ]
// mkfs computes the super block, which records where each region starts.
#ifndef KERNEL_FS_H
#define KERNEL_FS_H
#include "types.h"

#define ROOTINO  1   // root i-number
#define BSIZE 1024   // block size

struct superblock {
  uint magic;        // must be FSMAGIC
  uint size;         // size of file system image (blocks)
  uint nblocks;      // number of data blocks
  uint ninodes;      // number of inodes
  uint nlog;         // number of log blocks
  uint logstart;     // block number of first log block
  uint inodestart;   // block number of first inode block
  uint bmapstart;    // block number of first free map block
};

#define FSMAGIC 0x10203040

#define NDIRECT 12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE (NDIRECT + NINDIRECT)
// Most directory entries (nlink) an inode may have; link() and mkdir()
// refuse past it. Some limit is needed: nlink is a short, and 32,768
// links would wrap it negative (65,536 to 0), so iput() would free an
// inode that names still point to. The limit is what the short holds,
// as in upstream xv6, whose tests give one file 500 names.
#define MAXLINK 32767

// On-disk inode.
struct dinode {
  short type;           // file type (T_* in stat.h), 0 when free
  short major;          // major device number (T_DEVICE only)
  short minor;          // minor device number (T_DEVICE only)
  short nlink;          // number of directory entries naming this inode
  uint size;            // size of file (bytes)
  uint addrs[NDIRECT+1];   // data block addresses; the last is the indirect block
};

// Inodes per block.
#define IPB           (BSIZE / sizeof(struct dinode))

// Block containing inode i.
#define IBLOCK(i, sb)     ((i) / IPB + sb.inodestart)

// Bitmap bits per block.
#define BPB           (BSIZE*8)

// Block of free map containing bit for block b.
#define BBLOCK(b, sb) ((b)/BPB + sb.bmapstart)

// A directory is a file containing a sequence of dirent structures.
#define DIRSIZ 14

struct dirent {
  ushort inum;
  char name[DIRSIZ];
};
#endif
