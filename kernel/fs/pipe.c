// Pipes: a PIPESIZE-byte ring buffer between a read end and a write end.
//
// nread and nwrite count every byte ever read and written; they are never
// wrapped, so the buffer is empty when nread == nwrite and full when
// nwrite == nread + PIPESIZE, and byte k lives at data[k % PIPESIZE].
// Readers sleep on &nread waiting for data; writers sleep on &nwrite
// waiting for room. A read returns 0 (end of file) once the buffer is empty
// and the write end is closed; a write fails once the read end is closed.
//
// User memory is copied through a small buffer on the kernel stack with
// pi->lock released, so copyin()/copyout() may sleep (a page fault that
// must read from disk) without holding a spin lock.
//
// Locks: pi->lock (spin) guards every field of the pipe. It is a leaf.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "spinlock.h"
#include "proc.h"
#include "fs.h"
#include "sleeplock.h"
#include "file.h"

#define PIPESIZE 512
#define PIPECHUNK 128   // bytes moved per trip through the stack buffer

struct pipe {
  struct spinlock lock;
  char data[PIPESIZE];
  uint nread;     // bytes read so far
  uint nwrite;    // bytes written so far
  int readopen;   // read end still open
  int writeopen;  // write end still open
};
_Static_assert(sizeof(struct pipe) <= PGSIZE, "struct pipe must fit a frame");

// Create a pipe and two files for its ends: *f0 reads, *f1 writes.
// Returns 0, or -1 with nothing allocated if a file or the frame for the
// pipe cannot be had.
// Lock rule: takes ftable.lock through filealloc().
int
pipealloc(struct file **f0, struct file **f1)
{
  struct pipe *pi = 0;

  *f0 = *f1 = 0;
  if((*f0 = filealloc()) == 0 || (*f1 = filealloc()) == 0)
    goto bad;
  if((pi = (struct pipe *) kalloc()) == 0)
    goto bad;
  initlock(&pi->lock, "pipe");
  pi->nread = 0;
  pi->nwrite = 0;
  pi->readopen = 1;
  pi->writeopen = 1;

  (*f0)->type = FD_PIPE;
  (*f0)->readable = 1;
  (*f0)->writable = 0;
  (*f0)->pipe = pi;
  (*f1)->type = FD_PIPE;
  (*f1)->readable = 0;
  (*f1)->writable = 1;
  (*f1)->pipe = pi;
  return 0;

bad:
  // The files are still FD_NONE, so fileclose() only frees their slots.
  if(*f0)
    fileclose(*f0);
  if(*f1)
    fileclose(*f1);
  *f0 = *f1 = 0;
  return -1;
}

// Close one end of the pipe (the write end if writable) and wake whoever
// waits on the other; free the pipe when both ends are closed.
// Lock rule: takes pi->lock.
void
pipeclose(struct pipe *pi, int writable)
{
  acquire(&pi->lock);
  if(writable){
    pi->writeopen = 0;
    wakeup(&pi->nread);   // readers now see end of file
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite);  // writers now see the broken pipe
  }
  if(pi->readopen || pi->writeopen){
    release(&pi->lock);
    return;
  }
  release(&pi->lock);
  kfree((char *) pi);
}

// Put the m bytes of buf into the pipe, sleeping while it is full.
// Returns 0, or -1 if the read end closes or the caller is killed first
// (some bytes may already be in the pipe then).
// Lock rule: caller holds pi->lock; it is held again on return.
static int
pipe_put_locked(struct pipe *pi, char *buf, int m)
{
  struct proc *pr = myproc();

  assert_held(&pi->lock);
  for(int done = 0; done < m; ){
    if(!pi->readopen || killed(pr))
      return -1;
    if(pi->nwrite == pi->nread + PIPESIZE){
      wakeup(&pi->nread);
      sleep(&pi->nwrite, &pi->lock);
      continue;
    }
    pi->data[pi->nwrite++ % PIPESIZE] = buf[done++];
  }
  return 0;
}

// Write n bytes from user address addr into the pipe, blocking while it is
// full. Returns the number of bytes written, which is short only if addr
// goes bad part way; -1 if the read end is closed, the caller is killed,
// or addr is bad from the start.
// Lock rule: takes pi->lock; may sleep.
int
pipewrite(struct pipe *pi, uint64 addr, int n)
{
  struct proc *pr = myproc();
  char buf[PIPECHUNK];
  int i = 0;

  while(i < n){
    if(killed(pr))      // a killed writer goes, however much is left
      return i > 0 ? i : -1;
    int m = n - i < PIPECHUNK ? n - i : PIPECHUNK;
    if(copyin(pr->as->pagetable, buf, addr + i, m) < 0)
      return i > 0 ? i : -1;
    acquire(&pi->lock);
    int r = pipe_put_locked(pi, buf, m);
    wakeup(&pi->nread);
    release(&pi->lock);
    if(r < 0)
      return -1;
    i += m;
  }
  return i;
}

// Take up to max bytes that are in the pipe now into buf, without
// waiting. Returns the count taken (0 if the pipe is empty).
// Lock rule: caller holds pi->lock.
static int
pipe_take_locked(struct pipe *pi, char *buf, int max)
{
  int m = 0;

  assert_held(&pi->lock);
  while(m < max && pi->nread != pi->nwrite)
    buf[m++] = pi->data[pi->nread++ % PIPESIZE];
  if(m > 0)
    wakeup(&pi->nwrite);
  return m;
}

// Read up to n bytes from the pipe to user address addr. Waits until there
// is data or the write end is closed, then takes what is there. Returns
// the number of bytes read (0 at end of file), or -1 if the caller is
// killed while waiting or addr is bad (the bytes taken are then lost).
// Lock rule: takes pi->lock; may sleep.
int
piperead(struct pipe *pi, uint64 addr, int n)
{
  struct proc *pr = myproc();
  char buf[PIPECHUNK];
  int i = 0;

  acquire(&pi->lock);
  while(pi->nread == pi->nwrite && pi->writeopen){
    if(killed(pr)){
      release(&pi->lock);
      return -1;
    }
    sleep(&pi->nread, &pi->lock);
  }
  while(i < n){
    int m = pipe_take_locked(pi, buf, n - i < PIPECHUNK ? n - i : PIPECHUNK);
    if(m == 0)
      break;
    release(&pi->lock);
    if(copyout(pr->as->pagetable, addr + i, buf, m) < 0)
      return -1;
    i += m;
    acquire(&pi->lock);
  }
  release(&pi->lock);
  return i;
}
