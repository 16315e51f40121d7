// Formatted console output for the kernel, and panic.
//
// pr.lock serializes whole printf calls so lines from different harts do not
// interleave. panic() skips the lock (the holder may be the one panicking)
// and sets `panicked`, which freezes the other harts' console output.
#include <stdarg.h>
#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "defs.h"

volatile int panicked = 0;

static struct {
  struct spinlock lock;
  int locking;  // 0 while panicking: print without the lock
} pr;

static const char digits[] = "0123456789abcdef";

// Print the unsigned value x in the given base, at least `width` digits.
static void
printnum(uint64 x, int base, int negative, int width)
{
  char buf[24];
  int i = 0;

  do {
    buf[i++] = digits[x % base];
    x /= base;
  } while(x != 0);
  while(i < width)
    buf[i++] = '0';
  if(negative)
    buf[i++] = '-';
  while(--i >= 0)
    consputc(buf[i]);
}

// Print one conversion `c` (after its length modifiers) taking its argument
// from ap. `lng` counts 'l's seen. Returns 0 for an unknown conversion.
static int
printarg(char c, int lng, va_list *ap)
{
  long sval;
  uint64 uval;
  char *s;

  switch(c){
  case 'd':
    sval = lng ? va_arg(*ap, long) : va_arg(*ap, int);
    printnum(sval < 0 ? -(uint64)sval : (uint64)sval, 10, sval < 0, 0);
    return 1;
  case 'u':
  case 'x':
    uval = lng ? va_arg(*ap, uint64) : va_arg(*ap, uint);
    printnum(uval, c == 'u' ? 10 : 16, 0, 0);
    return 1;
  case 'p':
    consputc('0');
    consputc('x');
    printnum(va_arg(*ap, uint64), 16, 0, 16);
    return 1;
  case 'c':
    consputc(va_arg(*ap, int));
    return 1;
  case 's':
    if((s = va_arg(*ap, char*)) == 0)
      s = "(null)";
    for(; *s; s++)
      consputc(*s);
    return 1;
  case '%':
    consputc('%');
    return 1;
  }
  return 0;
}

static void
vprintf(char *fmt, va_list ap)
{
  for(int i = 0; fmt[i]; i++){
    if(fmt[i] != '%'){
      consputc(fmt[i]);
      continue;
    }
    int lng = 0;
    while(fmt[i+1] == 'l'){
      lng++;
      i++;
    }
    char c = fmt[++i];
    if(c == 0)
      break;
    if(!printarg(c, lng, &ap)){
      consputc('%');
      consputc(c);
    }
  }
}

// Print to the console. Understands %d %u %x %p %s %c %% with optional l/ll.
int
printf(char *fmt, ...)
{
  va_list ap;
  int locking = pr.locking;

  if(locking)
    acquire(&pr.lock);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  if(locking)
    release(&pr.lock);
  return 0;
}

// Print a message and a backtrace, then stop this hart for good; the other
// harts stop printing once `panicked` is set.
void
panic(char *fmt, ...)
{
  va_list ap;

  intr_off();
  pr.locking = 0;
  printf("panic (hart %d): ", (int)r_tp());
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  backtrace();
  panicked = 1;
  for(;;)
    wfi();
}

// Print the return addresses on the current kernel stack, following the
// frame-pointer chain (the kernel is built with -fno-omit-frame-pointer):
// ra is at fp-8 and the caller's fp at fp-16. Stops at the stack's page.
void
backtrace(void)
{
  uint64 fp = r_fp();
  uint64 page = PGROUNDDOWN(fp);

  printf("backtrace:\n");
  for(int depth = 0; depth < 32 && PGROUNDDOWN(fp) == page && fp != page; depth++){
    printf("  %p\n", (void*)*(uint64*)(fp - 8));
    fp = *(uint64*)(fp - 16);
  }
}

void
printfinit(void)
{
  initlock(&pr.lock, "pr");
  pr.locking = 1;
}
