// Reports on memory for humans and test programs: the memstat(),
// buddyinfo() and memmap() system calls, the counters of the memory
// system (vmstat: page faults by kind, and later copy-on-write and swap
// events), and commit accounting: how many pages the user address spaces
// have been promised, and (kernel option overcommit=never) the limit on
// that promise.
//
// Everything here reads what the allocator keeps (kalloc.c, buddy.c)
// through their small query functions, so the same reports work over the
// bitmap of lab frames' starter and over the full frame array.
//
// Locking: the reports take kmem.lock (kalloc_lock()) while they read
// records (the memory map reads the reclaim state of user frames without
// lru.lock: map_swap_state()); the counters are atomic, so no lock;
// commit.lock guards the commit count and is taken before kmem.lock.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "memstat.h"
#include "spinlock.h"
#include "defs.h"
#include "mm/page.h"
#include "mm/swap.h"

static uint64 counters[NVMSTAT]; // atomic: vmstat_count()

static struct {
  struct spinlock lock;
  uint64 committed;     // pages of all user address spaces together
} commit = { .lock = { 0, "commit", 0 } };

// The kernel's overcommit mode (kernel option overcommit=, Linux's three
// modes): OVERCOMMIT_GUESS by default, OVERCOMMIT_ALWAYS or
// OVERCOMMIT_NEVER when asked for.
int
overcommit_mode(void)
{
  if(bootarg_has("overcommit=never"))
    return OVERCOMMIT_NEVER;
  if(bootarg_has("overcommit=always"))
    return OVERCOMMIT_ALWAYS;
  return OVERCOMMIT_GUESS;
}

#ifdef SOL_LAZY
// The frames by use into *st and the swap disk's slots into *slots: what
// the commit checks weigh a promise against. Takes kmem.lock and
// swap.lock.
static void
ram_and_swap(struct memstat *st, uint64 *slots)
{
  uint64 used;

  memset(st, 0, sizeof(*st));
  kalloc_usage(st);
  swap_usage(slots, &used);
}

// The most pages user address spaces may be promised together, or 0 for
// no limit. Memory is overcommitted unless the kernel option
// overcommit=never asks for strict accounting: then every promise must be
// one that the frames and the swap slots could keep: the free and user
// frames and the swap disk (lab swap), less 1/16 of RAM kept for the
// kernel (page tables, pipes, stacks). Takes kmem.lock and swap.lock.
static uint64
commit_limit(void)
{
  struct memstat st;
  uint64 slots;

  if(overcommit_mode() != OVERCOMMIT_NEVER)
    return 0;
  ram_and_swap(&st, &slots);
  uint64 usable = st.free + st.user + slots, reserve = st.total / 16;
  return usable > reserve ? usable - reserve : 1;
}

// Is one new request of npages (sbrk, exec) an obvious overcommit, which
// the default mode refuses: more than all of RAM and swap together, so
// that it could never be backed even if nothing else ran? (Linux's
// heuristic mode; fork copies promises already made and is not asked.)
// Takes kmem.lock and swap.lock.
static int
commit_obvious_overcommit(uint64 npages)
{
  struct memstat st;
  uint64 slots;

  if(overcommit_mode() != OVERCOMMIT_GUESS)
    return 0;
  ram_and_swap(&st, &slots);
  return npages > st.total + slots;
}
#else
// The most pages user address spaces may be promised together, or 0 for
// no limit (lab lazy, kernel option overcommit=never). Eager allocation
// needs none: sbrk fails when the frames run out.
static uint64
commit_limit(void)
{
  return 0;
}

// Is one new request of npages an obvious overcommit (lab lazy)? Eager
// allocation needs no such check.
static int
commit_obvious_overcommit(uint64 npages)
{
  return 0;
}
#endif

// Promise npages more pages to a user address space: a new request
// (sbrk, exec: VM_COMMIT_NEW), which the default overcommit mode checks
// on its own, or a copy of promises made before (fork: VM_COMMIT_COPY).
// Returns 0, or -1 when that would pass the commit limit or the request
// is an obvious overcommit. Takes commit.lock.
int
vm_commit(uint64 npages, int how)
{
  if(how == VM_COMMIT_NEW && commit_obvious_overcommit(npages))
    return -1;
  acquire(&commit.lock);
  uint64 limit = commit_limit();
  if(limit && (npages > limit || commit.committed > limit - npages)){
    release(&commit.lock);
    return -1;
  }
  commit.committed += npages;
  release(&commit.lock);
  return 0;
}

// Take back npages promised pages (exit, exec, a shrinking sbrk). Takes
// commit.lock.
void
vm_uncommit(uint64 npages)
{
  acquire(&commit.lock);
  KASSERT(commit.committed >= npages, "vm_uncommit: %d pages, but only %d committed",
          (int)npages, (int)commit.committed);
  commit.committed -= npages;
  release(&commit.lock);
}

// Count one event of kind `what` (VMSTAT_*, memstat.h). No lock: atomic.
void
vmstat_count(int what)
{
  KASSERT(what >= 0 && what < NVMSTAT, "vmstat_count: no counter %d", what);
  __atomic_add_fetch(&counters[what], 1, __ATOMIC_RELAXED);
}

// Fill *vs for the vmstat() system call.
void
kvmstat(struct vmstat *vs)
{
  memset(vs, 0, sizeof(*vs));
  vs->ncounters = NVMSTAT;
  for(int i = 0; i < NVMSTAT; i++)
    vs->count[i] = __atomic_load_n(&counters[i], __ATOMIC_RELAXED);
}

// User frames with more than one reference: mapped by several address
// spaces (copy-on-write). Counted from the records, so it is exact; RAM
// is small enough to scan. Takes kmem.lock.
static uint64
shared_frames(void)
{
  uint64 n = 0;

  kalloc_lock();
  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    if(kalloc_frame_use_locked(pa) != PG_USER)
      continue;
    struct page *pg = pa_to_page(pa);
    if(pg && page_refcount(pg) > 1)
      n++;
  }
  kalloc_unlock();
  return n;
}

// Fill *st for the memstat() system call. Takes kmem.lock.
void
kmemstat(struct memstat *st)
{
  memset(st, 0, sizeof(*st));
  kalloc_usage(st);
  acquire(&commit.lock);
  st->committed = commit.committed;
  st->commit_limit = commit_limit();
  release(&commit.lock);
  st->overcommit = overcommit_mode();
  st->shared = shared_frames();
  swap_usage(&st->swap_slots, &st->swap_used);
}

// Number of free frames now. Takes kmem.lock.
uint64
kfreecount(void)
{
  struct memstat st;

  kmemstat(&st);
  return st.free;
}

// Fill *bi for the buddyinfo() system call. Returns 0, or -1 when the
// allocator keeps no blocks by order (a bitmap). Takes kmem.lock.
int
kbuddyinfo(struct buddyinfo *bi)
{
  memset(bi, 0, sizeof(*bi));
  bi->norder = NORDER;
  kalloc_lock();
  int r = buddy_counts_locked(bi->nfree);
  kalloc_unlock();
  return r;
}

// What the memory map shows of a frame beyond its use: states of user
// frames, in bits that no PG_* use takes.
#define MAP_SHARED    (1 << 15)  // mapped by several processes (lab cow)
#define MAP_EVICTING  (1 << 14)  // isolated by a reclaimer, on its way to swap (lab swap)
#define MAP_SWAPCACHE (1 << 13)  // keeps the swap slot it came back from (lab swap)

#ifdef SOL_FRAMES
// The swap state of the user frame pg: MAP_EVICTING, MAP_SWAPCACHE, or
// PG_USER for neither. The caller holds only kmem.lock, while pg->lru
// changes under lru.lock and u.user.slot under its owner; taking
// lru.lock here would invert the lock order (lru.lock comes before
// kmem.lock), so both are read unlocked, like the atomic refcount. The
// records live as long as the machine, so the reads are safe; but a frame
// drawn E or C may have left that state a moment later: a map is a
// snapshot for humans, and may be slightly stale.
static int
map_swap_state(struct page *pg)
{
  if(__atomic_load_n(&pg->lru, __ATOMIC_RELAXED) & PGL_ISOLATED)
    return MAP_EVICTING;
  return pg->u.user.slot ? MAP_SWAPCACHE : PG_USER;
}
#else
// The swap state of the user frame pg: none while struct page is yours
// to design (lab frames).
static int
map_swap_state(struct page *pg)
{
  return PG_USER;
}
#endif

// What the memory map shows of the frame at pa: its use, or for user
// memory MAP_EVICTING, MAP_SHARED or MAP_SWAPCACHE (in that order, when
// several hold). Caller holds kmem.lock.
static int
map_use_locked(uint64 pa)
{
  int use = kalloc_frame_use_locked(pa);
  struct page *pg;

  if(use != PG_USER || (pg = pa_to_page(pa)) == 0)
    return use;
  int swap = map_swap_state(pg);
  if(swap != MAP_EVICTING && page_refcount(pg) > 1)
    return MAP_SHARED;
  return swap;
}

// The memmap() character (memstat.h) of the n frames from pa on: the use
// most of them are put to (a use of 0 means "in use, purpose unknown", as
// a bitmap reports), or MEMMAP_EVICTING if any of them is being evicted.
// Frames past the end of RAM do not count. Caller holds kmem.lock.
static char
memmap_char_locked(uint64 pa, uint64 n)
{
  static const struct { int use; char c; } chars[] = {
    { PG_FREE, MEMMAP_FREE }, { PG_RESERVED, MEMMAP_RESERVED },
    { PG_KERNEL, MEMMAP_KERNEL }, { PG_PAGETABLE, MEMMAP_PAGETABLE },
    { PG_USER, MEMMAP_USER }, { MAP_SHARED, MEMMAP_SHARED },
    { MAP_SWAPCACHE, MEMMAP_SWAPCACHE }, { 0, MEMMAP_USED },
  };
  uint64 seen[NELEM(chars)] = {0};
  int best = 0;

  for(uint64 i = 0; i < n && pa + i * PGSIZE < ram_top; i++){
    int use = map_use_locked(pa + i * PGSIZE);
    if(use == MAP_EVICTING)
      return MEMMAP_EVICTING;
    for(int c = 0; c < NELEM(chars); c++)
      if(chars[c].use == use)
        seen[c]++;
  }
  for(int c = 1; c < NELEM(chars); c++)
    if(seen[c] > seen[best])
      best = c;
  return chars[best].c;
}

// One character per `group` frames, for the groups from number `start`
// on, into buf (at most n). Returns how many it wrote (0 past the end of
// RAM). Takes kmem.lock.
int
kmemmap(char *buf, int n, uint64 start, uint64 group)
{
  uint64 total = (ram_top - ram_base) / PGSIZE;
  int i = 0;

  if(group == 0 || start >= total)
    return 0;
  if(group > total)
    group = total;  // one character for all of RAM; keeps the products below small
  kalloc_lock();
  for(; i < n && (start + i) * group < total; i++)
    buf[i] = memmap_char_locked(ram_base + (start + i) * group * PGSIZE, group);
  kalloc_unlock();
  return i;
}
