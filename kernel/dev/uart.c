// Driver for the 16550 UART at UART0, the machine's serial console.
//
// Output takes two paths. uartputc() queues a byte in a small ring buffer
// and the transmit-empty interrupt drains it, so a process writing to the
// console sleeps while the wire is busy instead of spinning. uartputc_sync()
// bypasses the ring and busy-waits on the transmitter; printf and the echo of
// typed characters use it because they may run with interrupts off or inside
// an interrupt handler, where sleeping is impossible.
//
// Input is interrupt-driven only: uartintr() hands every received byte to
// consoleintr(), which owns the line discipline.
//
// Locks: tx.lock guards the ring (buf, w, r) and the transmit register when
// written from uartstart(). Lock order: tx.lock, then a process's p->lock
// (taken inside wakeup/sleep). uartintr() never holds tx.lock while it calls
// consoleintr(), so cons.lock and tx.lock are never nested.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "defs.h"

// 16550 registers, byte offsets from UART0. Some share an offset and are
// told apart by the direction of the access or by LCR's divisor latch bit.
#define RHR 0 // receive holding register (read)
#define THR 0 // transmit holding register (write)
#define DLL 0 // divisor latch, low byte (while LCR_DLAB is set)
#define IER 1 // interrupt enable
#define DLM 1 // divisor latch, high byte (while LCR_DLAB is set)
#define FCR 2 // FIFO control (write)
#define ISR 2 // interrupt status (read)
#define LCR 3 // line control
#define LSR 5 // line status

#define IER_RX_ENABLE (1 << 0)
#define IER_TX_ENABLE (1 << 1)
#define FCR_FIFO_ENABLE (1 << 0)
#define FCR_FIFO_CLEAR (3 << 1) // reset both the receive and transmit FIFOs
#define LCR_EIGHT_BITS (3 << 0) // 8 data bits, no parity, 1 stop bit
#define LCR_DLAB (1 << 7)       // expose the baud-rate divisor at 0 and 1
#define LSR_RX_READY (1 << 0)   // a received byte waits in RHR
#define LSR_TX_IDLE (1 << 5)    // THR can take another byte

// Divisor for 38400 baud from the 1.8432 MHz reference clock: 115200 / 3.
#define BAUD_DIVISOR 3

#define Reg(r) ((volatile uchar *)(UART0 + (r)))
#define ReadReg(r) (*Reg(r))
#define WriteReg(r, v) (*Reg(r) = (v))

#define TX_BUF_SIZE 32

static struct {
  struct spinlock lock;
  char buf[TX_BUF_SIZE];
  uint64 w; // next slot to fill: buf[w % TX_BUF_SIZE]
  uint64 r; // next byte to send: buf[r % TX_BUF_SIZE]; r <= w always
} tx;

static void uartstart(void);

// Program the UART: 38400 baud 8N1, FIFOs on, receive and transmit
// interrupts enabled. Called once, by the boot hart, before interrupts are
// on. Lock rule: none (runs alone).
void
uartinit(void)
{
  WriteReg(IER, 0x00);                 // quiet while we reconfigure
  WriteReg(LCR, LCR_DLAB);
  WriteReg(DLL, BAUD_DIVISOR & 0xff);
  WriteReg(DLM, BAUD_DIVISOR >> 8);
  WriteReg(LCR, LCR_EIGHT_BITS);       // also clears DLAB
  WriteReg(FCR, FCR_FIFO_ENABLE | FCR_FIFO_CLEAR);
  WriteReg(IER, IER_RX_ENABLE | IER_TX_ENABLE);
  initlock(&tx.lock, "uart");
}

// Queue byte c for interrupt-driven output, sleeping while the ring is full.
// Must be called from a process, never from an interrupt handler. After a
// panic it never returns, so nothing mixes into the panic message.
// Lock rule: takes tx.lock; caller must hold no spinlock.
void
uartputc(int c)
{
  if(panicked)
    for(;;)
      ;
  acquire(&tx.lock);
  while(tx.w == tx.r + TX_BUF_SIZE)
    sleep(&tx.r, &tx.lock);   // uartstart() wakes us as the ring drains
  tx.buf[tx.w % TX_BUF_SIZE] = c;
  tx.w++;
  uartstart();
  release(&tx.lock);
}

// Write byte c straight to the transmitter, spinning until it is free.
// Usable anywhere: interrupts stay off for the duration. Never returns
// after a panic. Lock rule: none taken.
void
uartputc_sync(int c)
{
  push_off();
  if(panicked)
    for(;;)
      ;
  while((ReadReg(LSR) & LSR_TX_IDLE) == 0)
    ;
  WriteReg(THR, c);
  pop_off();
}

// Move queued bytes to the transmitter while it can take them. When it is
// busy, return: its transmit-empty interrupt calls us again. Wakes writers
// blocked on a full ring. Lock rule: caller holds tx.lock.
static void
uartstart(void)
{
  assert_held(&tx.lock);
  while(tx.r != tx.w){
    if((ReadReg(LSR) & LSR_TX_IDLE) == 0)
      return;
    int c = tx.buf[tx.r % TX_BUF_SIZE];
    tx.r++;
    wakeup(&tx.r);
    WriteReg(THR, c);
  }
}

// Return the next received byte, or -1 when none is waiting.
// Lock rule: none; only the interrupt path reads input.
int
uartgetc(void)
{
  if(ReadReg(LSR) & LSR_RX_READY)
    return ReadReg(RHR);
  return -1;
}

// UART interrupt: pass every received byte to the console, then refill the
// transmitter. Reading ISR first acknowledges a transmit-empty interrupt,
// which would otherwise stay raised while the ring is empty.
// Lock rule: called with no locks held; takes tx.lock after the input loop.
void
uartintr(void)
{
  int c;

  ReadReg(ISR);
  while((c = uartgetc()) != -1)
    consoleintr(c);

  acquire(&tx.lock);
  uartstart();
  release(&tx.lock);
}
