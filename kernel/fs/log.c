// Write-ahead log: makes each file-system operation atomic across crashes.
//
// A system call that changes the disk brackets its work with begin_op()
// and end_op(), and marks each block it modifies with log_write() instead
// of bwrite(). Nothing reaches its home location until the whole group of
// operations commits:
//   1. the modified blocks are copied into the log area on disk,
//   2. the log header is written with their home block numbers: this one
//      block write is the commit point,
//   3. the blocks are copied from the cache to their home locations,
//   4. the header is rewritten with a count of zero.
// After a crash, initlog() finds a non-zero header and redoes step 3, so
// either every write of a committed group lands or none does.
//
// Several operations share one commit (group commit): end_op() commits only
// when the last outstanding operation finishes. begin_op() admits a new
// operation only while the log has room for MAXOPBLOCKS more blocks from
// every operation in flight, so a group can never overflow the log.
//
// On-disk log area (sb.nlog blocks from sb.logstart):
//   [ header | data block 0 | data block 1 | ... ]
//
// Locks: log.lock (spin) guards every field of `log`, including the
//   in-memory header. Commit runs without it, but with log.committing set,
//   which keeps begin_op() out and so makes the committer the header's only
//   user. Order: b->lock (a buffer's sleep lock) -> log.lock ->
//   bcache.lock (log_write pins the buffer).
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "riscv.h"
#include "defs.h"
#include "fs.h"
#include "buf.h"

// The header block, on disk and in memory: the home block numbers of the
// n blocks currently held in the log.
struct logheader {
  int n;
  int block[LOGSIZE];
};
_Static_assert(sizeof(struct logheader) <= BSIZE, "log header must fit a block");

static struct {
  struct spinlock lock;
  int start;       // block number of the header
  int size;        // data blocks the log area can hold
  int outstanding; // operations between begin_op() and end_op()
  int committing;  // a commit is writing the disk; hold off new operations
  int dev;
  struct logheader lh;
} log;

static void recover_from_log(void);
static void commit(void);

// Set up the log for dev from its superblock and replay any transaction a
// crash left committed but not installed. Uses at most LOGSIZE data blocks
// of the area. Panics if the area cannot hold a header plus one
// operation's MAXOPBLOCKS: begin_op() would wait forever.
// Called once at boot from fsinit(), in process context.
// Lock rule: none held; may sleep on disk I/O.
void
initlog(int dev, struct superblock *sb)
{
  initlock(&log.lock, "log");
  if(sb->nlog < MAXOPBLOCKS + 1)
    panic("initlog: log area of %d blocks is too small", sb->nlog);
  log.start = sb->logstart;
  log.size = sb->nlog - 1;
  if(log.size > LOGSIZE)
    log.size = LOGSIZE;
  log.dev = dev;
  recover_from_log();
}

// Copy each logged block from the log area to its home location.
// recovering is 1 at boot, when the cache holds no pinned copies.
// Lock rule: caller is the only one touching the log (commit or boot).
static void
install_trans(int recovering)
{
  for(int tail = 0; tail < log.lh.n; tail++){
    struct buf *lbuf = bread(log.dev, log.start + 1 + tail);
    struct buf *dbuf = bread(log.dev, log.lh.block[tail]);
    memmove(dbuf->data, lbuf->data, BSIZE);
    bwrite(dbuf);
    if(!recovering)
      bunpin(dbuf); // log_write() pinned it; the disk copy is now current
    brelse(lbuf);
    brelse(dbuf);
  }
}

// Load the header block from disk into log.lh. Panics on a header whose
// count does not fit the log: replaying it would scribble over the disk.
// Lock rule: as install_trans().
static void
read_head(void)
{
  struct buf *buf = bread(log.dev, log.start);
  struct logheader *lh = (struct logheader *) (buf->data);
  if(lh->n < 0 || lh->n > log.size)
    panic("read_head: corrupt log header (n=%d, log holds %d)", lh->n, log.size);
  log.lh.n = lh->n;
  for(int i = 0; i < log.lh.n; i++)
    log.lh.block[i] = lh->block[i];
  brelse(buf);
}

// Write log.lh to the header block. Writing a non-zero count is the
// instant a transaction commits; writing zero erases it.
// Lock rule: as install_trans().
static void
write_head(void)
{
  struct buf *buf = bread(log.dev, log.start);
  struct logheader *hb = (struct logheader *) (buf->data);
  hb->n = log.lh.n;
  for(int i = 0; i < log.lh.n; i++)
    hb->block[i] = log.lh.block[i];
  bwrite(buf);
  brelse(buf);
}

// Redo a committed transaction left by a crash, then empty the log.
// Lock rule: boot only, from initlog().
static void
recover_from_log(void)
{
  read_head();
  install_trans(1);
  log.lh.n = 0;
  write_head();
}

// Start a file-system operation: wait until no commit is running and the
// log has room for this operation's worst case on top of everyone else's.
// Lock rule: takes log.lock; may sleep. Caller holds no fs locks.
void
begin_op(void)
{
  acquire(&log.lock);
  for(;;){
    int reserved = (log.outstanding + 1) * MAXOPBLOCKS;
    if(log.committing || log.lh.n + reserved > log.size){
      // Either wait for the commit to finish, or for the group in flight
      // to drain and commit, which frees the log space.
      sleep(&log, &log.lock);
    } else {
      log.outstanding++;
      break;
    }
  }
  release(&log.lock);
}

// Finish a file-system operation; the last one out commits the group.
// Lock rule: takes log.lock; may sleep (the committing process does disk I/O).
void
end_op(void)
{
  int do_commit = 0;

  acquire(&log.lock);
  KASSERT(log.outstanding > 0, "end_op without begin_op");
  KASSERT(!log.committing, "end_op during a commit");
  log.outstanding--;
  if(log.outstanding == 0){
    do_commit = 1;
    log.committing = 1;
  } else {
    // This operation's reservation is released: a waiter may now fit.
    wakeup(&log);
  }
  release(&log.lock);

  if(do_commit){
    // log.committing keeps everybody else out, so commit() may sleep
    // on the disk without holding log.lock.
    commit();
    acquire(&log.lock);
    log.committing = 0;
    wakeup(&log);
    release(&log.lock);
  }
}

// Copy the cached copies of the logged blocks into the log area.
// Lock rule: committer only.
static void
write_log(void)
{
  for(int tail = 0; tail < log.lh.n; tail++){
    struct buf *to = bread(log.dev, log.start + 1 + tail);
    struct buf *from = bread(log.dev, log.lh.block[tail]);
    memmove(to->data, from->data, BSIZE);
    bwrite(to);
    brelse(from);
    brelse(to);
  }
}

// Commit the current group: steps 1-4 of the file comment.
// Lock rule: committer only (log.committing set, log.lock not held).
static void
commit(void)
{
  if(log.lh.n == 0)
    return;
  write_log();
  write_head();     // the commit point
  install_trans(0);
  log.lh.n = 0;
  write_head();     // the transaction is installed; forget it
}

// Record that b was modified inside the current operation; the commit will
// write it. Use it instead of bwrite(). Writing the same block twice in a
// group takes one log slot (absorption). The buffer is pinned so the cache
// cannot drop the only up-to-date copy before the commit.
// Panics outside an operation or if the group outgrows the log.
// Lock rule: caller holds b->lock; takes log.lock.
void
log_write(struct buf *b)
{
  int i;

  KASSERT(holdingsleep(&b->lock), "log_write of unlocked block %d", b->blockno);
  acquire(&log.lock);
  KASSERT(log.outstanding > 0, "log_write outside begin_op/end_op");

  for(i = 0; i < log.lh.n; i++){
    if(log.lh.block[i] == b->blockno)
      break;
  }
  if(i == log.lh.n){
    if(log.lh.n >= log.size)
      panic("log_write: transaction too big (%d blocks)", log.lh.n);
    log.lh.block[i] = b->blockno;
    bpin(b);
    log.lh.n++;
  }
  release(&log.lock);
}
