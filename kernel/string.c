// The few C string and memory routines the kernel uses.
#include "types.h"

// Fill n bytes with c; whole 8-byte words at a time when dst and n allow,
// since kalloc and kfree fill every frame.
void*
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uint i = 0;

  if((uint64)d % 8 == 0){
    uint64 word = (uchar)c * 0x0101010101010101UL;
    for(; i + 8 <= n; i += 8)
      *(uint64*)(d + i) = word;
  }
  for(; i < n; i++)
    d[i] = c;
  return dst;
}

int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;
  for(uint i = 0; i < n; i++)
    if(p[i] != q[i])
      return p[i] - q[i];
  return 0;
}

// Copy n bytes; the regions may overlap.
void*
memmove(void *dst, const void *src, uint n)
{
  const uchar *s = src;
  uchar *d = dst;

  if(n == 0)
    return dst;
  if(s < d && s + n > d){
    // Overlap with the destination above: copy from the end down.
    while(n-- > 0)
      d[n] = s[n];
  } else {
    for(uint i = 0; i < n; i++)
      d[i] = s[i];
  }
  return dst;
}

// The compiler may emit calls to memcpy; keep it safe for overlap too.
void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

int
strncmp(const char *p, const char *q, uint n)
{
  for(; n > 0 && *p && *p == *q; n--, p++, q++)
    ;
  if(n == 0)
    return 0;
  return (uchar)*p - (uchar)*q;
}

// Copy at most n bytes, padding with NULs like the C library's strncpy.
char*
strncpy(char *dst, const char *src, int n)
{
  int i = 0;
  for(; i < n && src[i]; i++)
    dst[i] = src[i];
  for(; i < n; i++)
    dst[i] = 0;
  return dst;
}

// Like strncpy, but the result is always NUL-terminated (when n > 0).
char*
safestrcpy(char *dst, const char *src, int n)
{
  int i;
  if(n <= 0)
    return dst;
  for(i = 0; i < n - 1 && src[i]; i++)
    dst[i] = src[i];
  dst[i] = 0;
  return dst;
}

int
strlen(const char *s)
{
  int n = 0;
  while(s[n])
    n++;
  return n;
}
