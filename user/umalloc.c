// malloc() and free() for user programs: the first-fit free list of
// Kernighan and Ritchie's "The C Programming Language", section 8.7.
//
// The heap is carved into blocks, each opening with a header that holds the
// block's size in header-sized units. Free blocks form a circular list in
// address order, so free() can merge a block with the neighbours it
// touches. malloc() walks the list from where the last search stopped
// (spreading small blocks around instead of piling them at the front) and
// splits the tail off a block that is larger than needed. When nothing
// fits, the heap grows with sbrk() in steps of at least MINGROW units.
// Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "user/user.h"

// The union with a long keeps every header, and so every block handed out,
// aligned for the strictest type.
union header {
  struct {
    union header *next;  // next free block (only while free)
    uint size;           // size of this block in units, header included
  } s;
  long align;
};
typedef union header Header;

#define MINGROW 4096   // units asked of sbrk at least (64 KiB)

static Header base;         // zero-sized block that starts the list
static Header *freep;       // where the next search starts; 0 before first use

// Returns block ap (the address after its header) to the free list,
// merging it with a free neighbour on either side. free(0) does nothing.
void
free(void *ap)
{
  Header *bp, *p;

  if(ap == 0)
    return;
  bp = (Header *)ap - 1;
  // Find p such that bp lies between p and p->next in address order; the
  // second test handles the wrap from the highest block to the lowest.
  for(p = freep; !(bp > p && bp < p->s.next); p = p->s.next)
    if(p >= p->s.next && (bp > p || bp < p->s.next))
      break;
  if(bp + bp->s.size == p->s.next){
    bp->s.size += p->s.next->s.size;
    bp->s.next = p->s.next->s.next;
  } else {
    bp->s.next = p->s.next;
  }
  if(p + p->s.size == bp){
    p->s.size += bp->s.size;
    p->s.next = bp->s.next;
  } else {
    p->s.next = bp;
  }
  freep = p;
}

// Grows the heap by at least nu units and puts the new memory on the free
// list. Returns the free list pointer, or 0 if sbrk fails.
static Header *
morecore(uint nu)
{
  char *p;
  Header *hp;

  if(nu < MINGROW)
    nu = MINGROW;
  // sbrk takes an int: refuse requests that do not fit.
  if(nu > 0x7fffffffU / sizeof(Header))
    return 0;
  p = sbrk(nu * sizeof(Header));
  if(p == (char *)-1)
    return 0;
  hp = (Header *)p;
  hp->s.size = nu;
  free(hp + 1);
  return freep;
}

// Returns a block of at least nbytes bytes, aligned for any type, or 0 if
// the heap cannot grow that far.
void *
malloc(uint nbytes)
{
  Header *p, *prevp;
  uint nunits;

  // Units for the payload, rounded up, plus one for the header. Done in
  // 64 bits so that a request near 4 GiB cannot wrap to a small one.
  uint64 want = ((uint64)nbytes + sizeof(Header) - 1) / sizeof(Header) + 1;
  if(want > 0x7fffffffU / sizeof(Header))
    return 0;
  nunits = (uint)want;

  if((prevp = freep) == 0){
    base.s.next = freep = prevp = &base;
    base.s.size = 0;
  }
  for(p = prevp->s.next; ; prevp = p, p = p->s.next){
    if(p->s.size >= nunits){
      if(p->s.size == nunits){
        prevp->s.next = p->s.next;
      } else {
        // Hand out the tail so the free list entry stays where it is.
        p->s.size -= nunits;
        p += p->s.size;
        p->s.size = nunits;
      }
      freep = prevp;
      return (void *)(p + 1);
    }
    if(p == freep && (p = morecore(nunits)) == 0)
      return 0;
  }
}
