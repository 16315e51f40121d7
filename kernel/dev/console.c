// The console device (major number CONSOLE): reads return typed lines,
// writes go to the UART.
//
// Input arrives one byte at a time from the UART interrupt (consoleintr),
// which applies a small line discipline: echo, erase, kill line, end of
// input, and ^P for a process listing. Typed bytes collect in a ring of
// INPUT_BUF bytes with three indices that only grow:
//
//   r <= w <= e        buf[r..w) finished lines readers may take,
//                      buf[w..e) the line still being edited.
//
// A line becomes readable on newline or on ^D. The last free byte of the
// ring is kept for one of those, so a line longer than the ring is cut
// short but always ends: were the newline dropped, a reader waiting for
// it (the shell) would wait forever.
//
// Locks: cons.lock guards buf, r, w and e. It is taken in the interrupt
// handler, so it is a spinlock and nothing that can sleep or fault (copies
// to and from user memory) runs while it is held. Lock order: cons.lock,
// then p->lock (inside sleep/wakeup); uartputc_sync takes no lock.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "defs.h"

#define BACKSPACE 0x100    // consputc: erase the character left of the cursor
#define C(x) ((x) - '@')   // the control-key code of letter x: C('D') is ^D
#define DEL 0x7f

#define INPUT_BUF 128
#define CHUNK 64           // bytes moved per copy to or from a process

static struct {
  struct spinlock lock;
  char buf[INPUT_BUF];
  uint r; // next byte a reader takes
  uint w; // end of the lines handed to readers
  uint e; // end of the line being edited
} cons;

// Print one character at once, bypassing the output ring; BACKSPACE wipes
// the previous character from the screen. Used by printf and for echo, so
// it must work in interrupt handlers. Lock rule: none taken.
void
consputc(int c)
{
  if(c == BACKSPACE){
    uartputc_sync('\b');
    uartputc_sync(' ');
    uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

// devsw write: send n bytes from src (a user address if user_src) to the
// UART through its output ring. Returns the number of bytes written, which
// is short if part of src cannot be read. Lock rule: no lock held; may sleep.
static int
consolewrite(int user_src, uint64 src, int n)
{
  char chunk[CHUNK];
  int done = 0;

  while(done < n){
    // A long write to the slow UART must not keep a killed process (an
    // out-of-memory victim, whose memory others wait for) from exiting.
    if(user_src && killed(myproc()))
      break;
    int k = n - done < CHUNK ? n - done : CHUNK;
    if(either_copyin(chunk, user_src, src + done, k) == -1)
      break;
    for(int i = 0; i < k; i++)
      uartputc(chunk[i]);
    done += k;
  }
  return done;
}

// Take at most max bytes of finished input into dst, stopping after a
// newline or before a ^D. A ^D met first is consumed and ends the read
// there; a ^D met after other bytes stays queued, so the next read returns 0.
// Sets *eol when the read should end. Returns the byte count.
// Lock rule: caller holds cons.lock.
static int
takeinput_locked(char *dst, int max, int first, int *eol)
{
  int k = 0;

  assert_held(&cons.lock);
  while(k < max && cons.r != cons.w){
    char c = cons.buf[cons.r % INPUT_BUF];
    if(c == C('D')){
      if(first && k == 0)
        cons.r++;         // end of file: this read returns what it has
      *eol = 1;
      break;
    }
    cons.r++;
    dst[k++] = c;
    if(c == '\n'){
      *eol = 1;
      break;
    }
  }
  return k;
}

// devsw read: copy up to n bytes of typed input to dst (a user address if
// user_dst), waiting for a line. Returns the count read (0 at end of file),
// or -1 if the process is killed before reading anything or dst is bad.
// Lock rule: no lock held; sleeps on &cons.r with cons.lock.
static int
consoleread(int user_dst, uint64 dst, int n)
{
  char chunk[CHUNK];
  int done = 0, eol = 0;

  while(done < n && !eol){
    acquire(&cons.lock);
    while(cons.r == cons.w){
      if(killed(myproc())){
        release(&cons.lock);
        return done > 0 ? done : -1;
      }
      sleep(&cons.r, &cons.lock);
    }
    int max = n - done < CHUNK ? n - done : CHUNK;
    int k = takeinput_locked(chunk, max, done == 0, &eol);
    release(&cons.lock);
    if(k > 0 && either_copyout(user_dst, dst + done, chunk, k) == -1)
      return done > 0 ? done : -1;
    done += k;
  }
  return done;
}

// Add the typed byte c to the line being edited, echo it, and hand the line
// to readers when it is complete. With one free byte left in the ring only
// a line end is taken; other bytes are dropped. Lock rule: caller holds
// cons.lock.
static void
inputbyte_locked(int c)
{
  assert_held(&cons.lock);
  if(c == '\r')
    c = '\n';
  int ends = c == '\n' || c == C('D');
  if(c == 0 || cons.e - cons.r >= INPUT_BUF - (ends ? 0 : 1))
    return;
  consputc(c);
  cons.buf[cons.e % INPUT_BUF] = c;
  cons.e++;
  if(ends){
    cons.w = cons.e;
    wakeup(&cons.r);
  }
}

// Console input interrupt: apply the line discipline to one typed byte.
// ^P lists processes (after cons.lock is dropped, as procdump may take
// process locks). Lock rule: called from uartintr with no lock held.
void
consoleintr(int c)
{
  int dump = 0;

  acquire(&cons.lock);
  switch(c){
  case C('P'):
    dump = 1;
    break;
  case C('U'):
    // Erase back to the start of the line being edited.
    while(cons.e != cons.w && cons.buf[(cons.e - 1) % INPUT_BUF] != '\n'){
      cons.e--;
      consputc(BACKSPACE);
    }
    break;
  case '\b':
  case DEL:
    if(cons.e != cons.w){
      cons.e--;
      consputc(BACKSPACE);
    }
    break;
  default:
    inputbyte_locked(c);
    break;
  }
  release(&cons.lock);

  if(dump)
    procdump();
}

// Set up the console: its lock, the UART beneath it, and its entry in the
// device switch. Lock rule: boot hart only, before interrupts are on.
void
consoleinit(void)
{
  initlock(&cons.lock, "cons");
  uartinit();
  devsw[CONSOLE].read = consoleread;
  devsw[CONSOLE].write = consolewrite;
}
