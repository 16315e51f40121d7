// Buffer cache: NBUF in-memory copies of disk blocks.
//
// Every block the file system touches passes through here, so the cache is
// also what keeps two processes from working on two copies of one block:
// at most one struct buf names a given (dev, blockno) at a time, and its
// sleep lock lets only one process use the data at once.
//
// The bufs sit on a doubly-linked list threaded through a dummy head.
// brelse() moves a buffer that nobody references any more to the front,
// so the front is the most recently used and the back the least; a miss
// recycles the unreferenced buffer nearest the back.
//
// Locks: bcache.lock (spin) guards the list links and every buf's dev,
//   blockno and refcnt. b->lock (sleep) guards b->valid and b->data.
//   Order: a process may hold b->lock while taking bcache.lock (brelse),
//   never the other way round across a sleep: bget() drops bcache.lock
//   before it sleeps on b->lock.
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "riscv.h"
#include "defs.h"
#include "fs.h"
#include "buf.h"

static struct {
  struct spinlock lock;
  struct buf buf[NBUF];
  struct buf head; // head.next is most recently used, head.prev least
} bcache;

// Unlink b from the LRU list. Caller holds bcache.lock.
static void
lru_remove_locked(struct buf *b)
{
  assert_held(&bcache.lock);
  b->next->prev = b->prev;
  b->prev->next = b->next;
}

// Link b at the most-recently-used end. Caller holds bcache.lock.
static void
lru_push_front_locked(struct buf *b)
{
  assert_held(&bcache.lock);
  b->next = bcache.head.next;
  b->prev = &bcache.head;
  bcache.head.next->prev = b;
  bcache.head.next = b;
}

// Set up the cache with every buffer free and on the list.
// Called once, by the boot hart, before any other hart uses the disk.
void
binit(void)
{
  initlock(&bcache.lock, "bcache");
  bcache.head.prev = &bcache.head;
  bcache.head.next = &bcache.head;
  for(struct buf *b = bcache.buf; b < bcache.buf + NBUF; b++){
    initsleeplock(&b->lock, "buffer");
    b->refcnt = 0;
    b->valid = 0;
    acquire(&bcache.lock);
    lru_push_front_locked(b);
    release(&bcache.lock);
  }
}

// Find the cached buffer for (dev, blockno), or recycle the least recently
// used free buffer for it. Returns the buffer with its sleep lock held.
//
// Why a free buffer always exists (NBUF = LOGSIZE + 2*NPROC + 1): a
// buffer is in use when the log pins it or a process holds it. The log
// pins at most LOGSIZE blocks (begin_op admits an operation only while
// its worst case still fits). A process holds at most two buffers at a
// time: bmap holds the indirect block while balloc reads a bitmap block
// or zeroes the new block, commit holds a log block and its home block,
// and every other path holds one. Readers asleep on the disk hold theirs
// too, so NPROC processes hold at most 2*NPROC. The old size, NBUF ==
// LOGSIZE, left nothing once the log was full, and 40 readers with 3
// writers ran it out.
// Lock rule: takes and drops bcache.lock; may sleep on b->lock.
static struct buf*
bget(uint dev, uint blockno)
{
  struct buf *b;

  acquire(&bcache.lock);

  for(b = bcache.head.next; b != &bcache.head; b = b->next){
    if(b->dev == dev && b->blockno == blockno){
      b->refcnt++;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }

  // Miss: take the free buffer used longest ago. Its old contents are
  // dropped by clearing valid, so bread() reads the new block.
  for(b = bcache.head.prev; b != &bcache.head; b = b->prev){
    if(b->refcnt == 0){
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }
  panic("bget: all %d buffers in use, which the sizing above rules out", NBUF);
}

// Return a locked buffer holding the contents of block blockno of dev,
// reading it from disk if the cache does not have it. Never fails.
// Lock rule: may sleep; caller must not hold a spin lock.
struct buf*
bread(uint dev, uint blockno)
{
  struct buf *b = bget(dev, blockno);
  if(!b->valid){
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

// Write b's data to its block on disk, synchronously.
// Lock rule: caller holds b->lock.
void
bwrite(struct buf *b)
{
  KASSERT(holdingsleep(&b->lock), "bwrite of unlocked block %d", b->blockno);
  virtio_disk_rw(b, 1);
}

// Give up a buffer returned by bread(): unlock it and, if this was the
// last reference, make it the most recently used entry.
// Lock rule: caller holds b->lock; it is released here.
void
brelse(struct buf *b)
{
  KASSERT(holdingsleep(&b->lock), "brelse of unlocked block %d", b->blockno);
  releasesleep(&b->lock);

  acquire(&bcache.lock);
  KASSERT(b->refcnt > 0, "brelse of unreferenced block %d", b->blockno);
  b->refcnt--;
  if(b->refcnt == 0){
    lru_remove_locked(b);
    lru_push_front_locked(b);
  }
  release(&bcache.lock);
}

// Hold an extra reference so the log's dirty blocks stay cached (and are
// not recycled) until the commit has installed them.
// Lock rule: takes bcache.lock.
void
bpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt++;
  release(&bcache.lock);
}

// Drop a reference taken by bpin().
// Lock rule: takes bcache.lock.
void
bunpin(struct buf *b)
{
  acquire(&bcache.lock);
  KASSERT(b->refcnt > 0, "bunpin of unreferenced block %d", b->blockno);
  b->refcnt--;
  release(&bcache.lock);
}
