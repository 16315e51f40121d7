// Open files: the system-wide file table and the read/write dispatch.
//
// A struct file is what a file descriptor points at. Several descriptors
// (after dup() or fork()) share one struct file, and with it the offset;
// f->ref counts them. A file is backed by a pipe, an inode, or a device
// (an inode of type T_DEVICE whose major number selects a devsw entry).
//
// Locks: ftable.lock (spin) guards every file's ref and the choice of a
//   free slot. The other fields are set once by open()/pipe() before the
//   file is shared and do not change, except f->off, which the inode's
//   sleep lock guards (fileread/filewrite update it while holding it).
//   Order: ftable.lock is a leaf; fileclose() drops it before it closes
//   the pipe or inode underneath.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "fs.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "file.h"
#include "stat.h"
#include "proc.h"

// Read and write functions per major device number; drivers fill in their
// entry at boot (the console is CONSOLE).
struct devsw devsw[NDEV];

static struct {
  struct spinlock lock;
  struct file file[NFILE];
} ftable;

// Set up the file table. Called once at boot.
void
fileinit(void)
{
  initlock(&ftable.lock, "ftable");
}

// Allocate an unused file with one reference. Returns 0 if all NFILE
// are open.
// Lock rule: takes ftable.lock.
struct file*
filealloc(void)
{
  acquire(&ftable.lock);
  for(struct file *f = ftable.file; f < ftable.file + NFILE; f++){
    if(f->ref == 0){
      f->ref = 1;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

// Take another reference to f and return it.
// Lock rule: takes ftable.lock.
struct file*
filedup(struct file *f)
{
  acquire(&ftable.lock);
  KASSERT(f->ref >= 1, "filedup of closed file");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Drop a reference to f; the last one closes the pipe end or releases
// the inode.
// Lock rule: takes ftable.lock; may sleep (iput runs in an operation).
void
fileclose(struct file *f)
{
  struct file ff;

  acquire(&ftable.lock);
  KASSERT(f->ref >= 1, "fileclose of closed file");
  if(--f->ref > 0){
    release(&ftable.lock);
    return;
  }
  // Keep a copy and free the slot before the slow part, which sleeps.
  ff = *f;
  f->ref = 0;
  f->type = FD_NONE;
  release(&ftable.lock);

  if(ff.type == FD_PIPE){
    pipeclose(ff.pipe, ff.writable);
  } else if(ff.type == FD_INODE || ff.type == FD_DEVICE){
    begin_op();
    iput(ff.ip);
    end_op();
  }
}

// Copy f's metadata as a struct stat to user address addr.
// Returns 0, or -1 if f is not an inode or addr is bad.
// Lock rule: may sleep; takes f->ip->lock.
int
filestat(struct file *f, uint64 addr)
{
  struct proc *p = myproc();
  struct stat st;

  if(f->type != FD_INODE && f->type != FD_DEVICE)
    return -1;
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  if(copyout(p->as->pagetable, addr, (char *) &st, sizeof(st)) < 0)
    return -1;
  return 0;
}

// Return the devsw entry for major, or 0 if major is out of range. The
// number comes from a disk inode, so it is never trusted as an index.
static struct devsw*
devsw_get(int major)
{
  if(major < 0 || major >= NDEV)
    return 0;
  return &devsw[major];
}

// Read up to n bytes from f to user address addr. Returns the number of
// bytes read (0 at end of file), or -1 on error.
// Lock rule: may sleep; takes the inode or pipe lock.
int
fileread(struct file *f, uint64 addr, int n)
{
  struct devsw *d;
  int r;

  if(!f->readable || n < 0)
    return -1;

  switch(f->type){
  case FD_PIPE:
    return piperead(f->pipe, addr, n);
  case FD_DEVICE:
    if((d = devsw_get(f->major)) == 0 || d->read == 0)
      return -1;
    return d->read(1, addr, n);
  case FD_INODE:
    ilock(f->ip);
    if((r = readi(f->ip, 1, addr, f->off, n)) > 0)
      f->off += r;
    iunlock(f->ip);
    return r;
  default:
    panic("fileread: file of type %d", f->type);
  }
}

// Write n bytes from user address addr to inode file f, in chunks small
// enough that each fits one log transaction. Returns the bytes written:
// fewer than n when the disk fills up, addr goes bad or the file reaches
// its largest size part way (a caller must learn what did reach the
// file), -1 when nothing could be written.
// Lock rule: may sleep; each chunk is its own operation holding f->ip->lock.
static int
filewrite_inode(struct file *f, uint64 addr, int n)
{
  // An operation may write MAXOPBLOCKS blocks. A chunk of max bytes
  // touches at most max/BSIZE + 1 data blocks (the +1 when it is not
  // block aligned); with the inode block, the indirect block and up to
  // two bitmap blocks that is 8 of the 10 for MAXOPBLOCKS = 10.
  int max = ((MAXOPBLOCKS - 1 - 1 - 2) / 2) * BSIZE;
  _Static_assert(((MAXOPBLOCKS - 4) / 2) + 1 + 4 <= MAXOPBLOCKS,
                 "a write chunk must fit in one log operation");
  int i = 0;

  while(i < n){
    if(killed(myproc()))
      break;    // a killed writer goes between chunks (each one is whole)
    int n1 = n - i;
    if(n1 > max)
      n1 = max;

    begin_op();
    ilock(f->ip);
    int r = writei(f->ip, 1, addr + i, f->off, n1);
    if(r > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();

    if(r > 0)
      i += r;
    if(r != n1)
      break; // disk full, bad address or the file size limit
  }
  return (i > 0 || n == 0) ? i : -1;
}

// Write n bytes from user address addr to f. Returns the number of bytes
// written, or -1 on error.
// Lock rule: may sleep.
int
filewrite(struct file *f, uint64 addr, int n)
{
  struct devsw *d;

  if(!f->writable || n < 0)
    return -1;

  switch(f->type){
  case FD_PIPE:
    return pipewrite(f->pipe, addr, n);
  case FD_DEVICE:
    if((d = devsw_get(f->major)) == 0 || d->write == 0)
      return -1;
    return d->write(1, addr, n);
  case FD_INODE:
    return filewrite_inode(f, addr, n);
  default:
    panic("filewrite: file of type %d", f->type);
  }
}
