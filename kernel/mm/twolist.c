// The two-list replacement policy (kernel option reclaim=twolist), beside
// the clock of mm/reclaim.c. tools/replace/sim.py (class TwoList) runs
// the same rules on recorded reference strings against OPT.
//
// The clock's weak spot: when every frame was used since the hand's last
// pass (as right after memory fills, or when a hot set and a stream of
// new pages are all touched between two sweeps), one turn clears every
// accessed bit and the clock evicts in FIFO order, hot pages included.
// A single bit cannot tell a page used once from one used all the time.
//
// So the LRU list is split in two, as Linux did from 2.6 to 6.x:
//   - inactive: new frames, and frames not (yet) shown to be used twice.
//     Victims come from its front.
//   - active: frames found referenced on the inactive list after their
//     first look. They go down to the inactive list (its back) only when
//     the active list holds more than ACTIVE_SHARE of the listed frames,
//     from its front, with a second chance if referenced.
// Two more rules:
//   - The fault's own access does not count. A new frame's accessed bit
//     is always set at its first look (the access that faulted set it),
//     so that look gives it a second chance on the inactive list
//     (PGL_NEW) instead of promoting it.
//   - A refault counts as a second use. When a page comes back soon after
//     it was evicted (its user address is among the shadow entries of
//     recent evictions, within 2 x the listed frames), it was evicted
//     too early: it joins the active list at once, while there is room.
//     This is Linux's "workingset" refault distance in miniature; it is
//     what keeps part of a loop larger than RAM resident, where LRU and
//     the clock lose every page of it.
//
// Shadow entries: a direct-mapped table indexed by virtual page number,
// each a 64-bit word (vpn + 1) << 32 | eviction count, read and written
// with atomics (a lost update costs accuracy, never correctness). Keyed
// by address alone: two processes' pages at one address share an entry.
//
// Locking: the lists and every frame's PGL_* bits are guarded by lru.lock
// in reclaim.c (the *_locked functions run with it held). A frame that a
// reclaimer has isolated (PGL_ISOLATED) is off both lists and its bits
// are the reclaimer's (twolist_keep()).
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "spinlock.h"
#include "defs.h"
#include "mm/page.h"

#ifdef SOL_SWAP
#define ACTIVE_SHARE(n) ((n) - (n) / 8)  // the active list's most: 7/8 of the listed frames
#define NSHADOW 8192                     // shadow entries: 32 MiB of address space
#define REFAULT_WINDOW 2                 // a refault: within 2 x the listed frames' evictions

static struct {
  struct page active;     // sentinel of the active list: oldest first
  uint64 nactive;         // frames on it
  uint64 most;            // the most frames the lists have held: the active list's share
                          // is of this, not of the frames listed now, which drop by a
                          // reclaim batch at each reclaim (and would demote in bursts)
  uint32 nevict;          // evictions so far (wraps: compared by difference)
  uint64 shadow[NSHADOW];
} two;

// Set up the active list. Runs once at boot.
void
twolist_init(void)
{
  page_list_init(&two.active);
}

// Did the page at va leave RAM in one of the last `window` evictions?
// Consumes its shadow entry.
static int
refault(uint64 va, uint64 window)
{
  uint64 vpn = va >> PGSHIFT, *e = &two.shadow[vpn % NSHADOW];
  uint64 old = __atomic_load_n(e, __ATOMIC_RELAXED);

  if((old >> 32) != (uint32)(vpn + 1))
    return 0;
  __atomic_store_n(e, 0, __ATOMIC_RELAXED);
  uint32 age = __atomic_load_n(&two.nevict, __ATOMIC_RELAXED) - (uint32)old;
  return age <= window;
}

// The page at va has just been evicted: leave its shadow entry. No lock.
void
twolist_evicted(uint64 va)
{
  uint64 vpn = va >> PGSHIFT;
  uint32 now = __atomic_add_fetch(&two.nevict, 1, __ATOMIC_RELAXED);

  __atomic_store_n(&two.shadow[vpn % NSHADOW], ((vpn + 1) << 32) | now, __ATOMIC_RELAXED);
}

// Put frame pg at the back of its list: the active list if PGL_ACTIVE,
// else `inactive`. A frame new to the lists (no PGL_* bit yet) is PGL_NEW
// on the inactive list, or active at once when it is a refault and the
// active list has room. n: frames on both lists, pg not counted. Caller
// holds lru.lock.
void
twolist_add_locked(struct page *inactive, struct page *pg, uint64 n)
{
  if(n + 1 > two.most)
    two.most = n + 1;
  if((pg->lru & (PGL_NEW | PGL_ACTIVE)) == 0 && !(pg->lru & PGL_SEEN)){
    pg->lru |= PGL_SEEN;
    if(refault(pg->u.user.va, REFAULT_WINDOW * two.most) && two.nactive < ACTIVE_SHARE(two.most))
      pg->lru |= PGL_ACTIVE;
    else
      pg->lru |= PGL_NEW;
  }
  if(pg->lru & PGL_ACTIVE){
    page_list_push(two.active.prev, pg);
    two.nactive++;
  } else
    page_list_push(inactive->prev, pg);
}

// Frame pg is leaving the lists (isolated or freed). Caller holds
// lru.lock and takes it off with page_list_remove().
void
twolist_remove_locked(struct page *pg)
{
  if(pg->lru & PGL_ACTIVE)
    two.nactive--;
}

// The frame a reclaimer looks at next: the front of the active list when
// that list is over its share of the frames or the inactive
// list is empty, else the front of the inactive list. Caller holds
// lru.lock; the lists are not both empty.
struct page *
twolist_next_locked(struct page *inactive)
{
  if(two.nactive > 0 && (two.nactive > ACTIVE_SHARE(two.most) || page_list_empty(inactive)))
    return two.active.next;
  return inactive->next;
}

// A reclaimer looked at its isolated frame pg, which `referenced` says
// was used since the last look. Returns 1 to keep it (its bits say on
// which list it goes back), 0 to evict it. Only the reclaimer that
// isolated pg calls this: no lock.
int
twolist_keep(struct page *pg, int referenced)
{
  if(pg->lru & PGL_ACTIVE){
    if(!referenced)
      pg->lru &= ~PGL_ACTIVE;     // down to the inactive list
    return 1;
  }
  if(!referenced)
    return 0;
  if(pg->lru & PGL_NEW)
    pg->lru &= ~PGL_NEW;          // its fault's access: a second chance only
  else
    pg->lru |= PGL_ACTIVE;        // used again since its first look
  return 1;
}
#endif
