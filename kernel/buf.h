#ifndef KERNEL_BUF_H
#define KERNEL_BUF_H
#include "sleeplock.h"
#include "fs.h"

// One cached disk block. The buffer cache's lock (bio.c) guards dev,
// blockno, refcnt and the LRU links; the sleep lock guards valid and data.
struct buf {
  int valid;   // has data been read from disk?
  uint dev;
  uint blockno;
  struct sleeplock lock;
  uint refcnt;
  struct buf *prev; // LRU cache list
  struct buf *next;
  uchar data[BSIZE];
};
#endif
