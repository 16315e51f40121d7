// Formatted output for user programs: printf() to fd 1 and fprintf() to
// any fd. Output is not buffered across calls: each call collects its text
// in a small buffer on the stack and hands it to write() before returning
// (and whenever the buffer fills), so output from different processes
// interleaves at most at call boundaries, and nothing is lost at exit.
//
// Conversions: %d %i %u %x %p %s %c %%, with the l and ll length modifiers
// (%ld %lu %lx %lld ...), an optional field width, and the '-' (left
// justify) and '0' (pad with zeros) flags. Unknown conversions are printed
// as they stand. Single-threaded user code: there are no locks.
#include <stdarg.h>

#include "kernel/types.h"
#include "user/user.h"

#define OUTBUF 128

static const char digits[] = "0123456789abcdef";

// The output of one printf call: the target fd and the pending bytes.
struct out {
  int fd;
  int n;
  char buf[OUTBUF];
};

// How one conversion is to be padded.
struct spec {
  int left;   // '-' flag: pad on the right
  int zero;   // '0' flag: pad numbers with zeros
  int width;  // minimum field width, 0 for none
};

// Writes the pending bytes of o to its fd. Write errors are ignored: there
// is nowhere to report them.
static void
flush(struct out *o)
{
  if(o->n > 0)
    write(o->fd, o->buf, o->n);
  o->n = 0;
}

// Appends one byte to o, flushing first if the buffer is full.
static void
putc(struct out *o, char c)
{
  if(o->n == OUTBUF)
    flush(o);
  o->buf[o->n++] = c;
}

// Appends n copies of c.
static void
pad(struct out *o, char c, int n)
{
  while(n-- > 0)
    putc(o, c);
}

// Appends the n bytes of s within a field described by sp. Zero padding
// goes after a leading sign or "0x" prefix of length pre.
static void
putfield(struct out *o, const char *s, int n, int pre, struct spec *sp)
{
  int fill = sp->width > n ? sp->width - n : 0;

  if(sp->left){
    for(int i = 0; i < n; i++)
      putc(o, s[i]);
    pad(o, ' ', fill);
    return;
  }
  if(sp->zero){
    for(int i = 0; i < pre; i++)
      putc(o, s[i]);
    pad(o, '0', fill);
    s += pre;
    n -= pre;
  } else {
    pad(o, ' ', fill);
  }
  for(int i = 0; i < n; i++)
    putc(o, s[i]);
}

// Appends x in the given base; neg adds a minus sign. ptr adds "0x"
// and forces all 16 hex digits (for %p).
static void
putnum(struct out *o, uint64 x, int base, int neg, int ptr, struct spec *sp)
{
  char tmp[24];   // 64 bits need at most 20 decimal digits, plus sign or 0x
  char rev[20];
  int n = 0, r = 0, pre = 0;

  do {
    rev[r++] = digits[x % base];
    x /= base;
  } while(x != 0);
  if(ptr)
    while(r < 16)
      rev[r++] = '0';
  if(neg)
    tmp[n++] = '-';
  if(ptr){
    tmp[n++] = '0';
    tmp[n++] = 'x';
  }
  pre = n;
  while(r > 0)
    tmp[n++] = rev[--r];
  putfield(o, tmp, n, pre, sp);
}

// Formats one integer conversion c ('d', 'i', 'u' or 'x') with lng 'l'
// modifiers, taking the argument from ap.
static void
putint(struct out *o, char c, int lng, va_list *ap, struct spec *sp)
{
  uint64 u;
  int neg = 0;

  if(c == 'd' || c == 'i'){
    long v = lng ? va_arg(*ap, long) : va_arg(*ap, int);
    neg = v < 0;
    // Negate in unsigned arithmetic so that the most negative value works.
    u = neg ? -(uint64)v : (uint64)v;
  } else {
    u = lng ? va_arg(*ap, uint64) : va_arg(*ap, uint);
  }
  putnum(o, u, c == 'x' ? 16 : 10, neg, 0, sp);
}

// Reads the flags and width of a conversion starting at fmt and fills sp.
// Returns a pointer to the first byte after them.
static const char *
parsespec(const char *fmt, struct spec *sp)
{
  sp->left = sp->zero = sp->width = 0;
  for(;; fmt++){
    if(*fmt == '-')
      sp->left = 1;
    else if(*fmt == '0')
      sp->zero = 1;
    else
      break;
  }
  while(*fmt >= '0' && *fmt <= '9' && sp->width < 1000)
    sp->width = sp->width * 10 + (*fmt++ - '0');
  return fmt;
}

// Formats fmt with the arguments in *ap and writes the result to fd. The
// va_list travels by pointer so that helpers can take arguments from it.
static void
vprintf(int fd, const char *fmt, va_list *ap)
{
  struct out o = { .fd = fd, .n = 0 };
  struct spec sp;
  const char *s, *start;
  int lng;

  while(*fmt != 0){
    if(*fmt != '%'){
      putc(&o, *fmt++);
      continue;
    }
    start = fmt++;
    fmt = parsespec(fmt, &sp);
    for(lng = 0; *fmt == 'l'; fmt++)
      lng++;
    switch(*fmt){
    case 'd': case 'i': case 'u': case 'x':
      putint(&o, *fmt, lng, ap, &sp);
      break;
    case 'p':
      putnum(&o, (uint64)va_arg(*ap, void *), 16, 0, 1, &sp);
      break;
    case 's':
      if((s = va_arg(*ap, const char *)) == 0)
        s = "(null)";
      sp.zero = 0;
      putfield(&o, s, strlen(s), 0, &sp);
      break;
    case 'c': {
      char c = (char)va_arg(*ap, int);
      sp.zero = 0;
      putfield(&o, &c, 1, 0, &sp);
      break;
    }
    case '%':
      putc(&o, '%');
      break;
    case 0:
      // A lone '%' at the end: print what was there and stop.
      while(*start != 0)
        putc(&o, *start++);
      flush(&o);
      return;
    default:
      // Unknown conversion: print it as written.
      while(start <= fmt)
        putc(&o, *start++);
      break;
    }
    fmt++;
  }
  flush(&o);
}

// Prints to the file descriptor fd.
void
fprintf(int fd, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vprintf(fd, fmt, &ap);
  va_end(ap);
}

// Prints to the standard output, fd 1.
void
printf(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vprintf(1, fmt, &ap);
  va_end(ap);
}
