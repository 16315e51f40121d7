// The small C library every user program links with: the ELF entry point
// _main, string and memory helpers, gets(), stat() and atoi(). Nothing here
// may call printf or malloc: forktest links with this file and usys.o only.
// Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

// ELF entry point (see user.ld). exec leaves argc in a0 and argv in a1, so
// they arrive as ordinary arguments. Returning from main is the same as
// calling exit() with main's return value. Never returns.
void
_main(int argc, char *argv[])
{
  extern int main(int, char **);

  exit(main(argc, argv));
}

// Copies the NUL-terminated string s to d. Returns d.
char *
strcpy(char *d, const char *s)
{
  char *r = d;

  while((*d++ = *s++) != 0)
    ;
  return r;
}

// Compares two strings byte by byte as unsigned chars. Returns <0, 0 or >0.
int
strcmp(const char *a, const char *b)
{
  while(*a != 0 && *a == *b){
    a++;
    b++;
  }
  return (uchar)*a - (uchar)*b;
}

// Returns the number of bytes in s before its NUL.
uint
strlen(const char *s)
{
  uint n = 0;

  while(s[n] != 0)
    n++;
  return n;
}

// Fills n bytes at dst with the byte c. Returns dst.
void *
memset(void *dst, int c, uint n)
{
  uchar *d = dst;

  for(uint i = 0; i < n; i++)
    d[i] = (uchar)c;
  return dst;
}

// Returns a pointer to the first c in s, or 0 if s has none. Looking for
// the NUL itself finds nothing, as in xv6.
char *
strchr(const char *s, char c)
{
  for(; *s != 0; s++)
    if(*s == c)
      return (char *)s;
  return 0;
}

// Reads one line from fd 0 into buf, one byte per read() so that input
// meant for a later program is never consumed. Stops after a newline or
// carriage return (kept in buf) or when max-1 bytes are stored, and always
// NUL-terminates. On end of file with nothing read, buf is "". Returns buf.
char *
gets(char *buf, int max)
{
  int i = 0;
  char c;

  while(i + 1 < max){
    if(read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if(c == '\n' || c == '\r')
      break;
  }
  if(max > 0)
    buf[i] = 0;
  return buf;
}

// Fills *st with the status of the file at path. Returns 0, or -1 if the
// file cannot be opened.
int
stat(const char *path, struct stat *st)
{
  int fd, r;

  fd = open(path, O_RDONLY);
  if(fd < 0)
    return -1;
  r = fstat(fd, st);
  close(fd);
  return r;
}

// Converts the leading decimal digits of s (after an optional '-') to an
// int. Returns 0 when s starts with no digit.
int
atoi(const char *s)
{
  int neg = 0, n = 0;

  if(*s == '-'){
    neg = 1;
    s++;
  }
  while(*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return neg ? -n : n;
}

// Copies n bytes from src to dst; the two may overlap. Returns dst.
void *
memmove(void *dst, const void *src, int n)
{
  char *d = dst;
  const char *s = src;

  if(n <= 0 || d == s)
    return dst;
  if(d < s){
    while(n-- > 0)
      *d++ = *s++;
  } else {
    // Copy from the end so that an overlapping tail is read before it is
    // overwritten.
    d += n;
    s += n;
    while(n-- > 0)
      *--d = *--s;
  }
  return dst;
}

// Compares n bytes as unsigned chars. Returns <0, 0 or >0.
int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;

  for(uint i = 0; i < n; i++)
    if(p[i] != q[i])
      return p[i] - q[i];
  return 0;
}

// Copies n bytes from src to dst. The compiler may emit calls to memcpy for
// structure copies, so it must exist; overlap is tolerated. Returns dst.
void *
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}
