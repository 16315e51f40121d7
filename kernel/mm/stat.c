// Reports on memory for humans and test programs: the memstat(),
// buddyinfo() and memmap() system calls, and the counters of the memory
// system (vmstat: page faults by kind, and later copy-on-write and swap
// events).
//
// Everything here reads what the allocator keeps (kalloc.c, buddy.c)
// through their small query functions, so the same reports work over the
// bitmap of lab frames' starter and over the full frame array.
//
// Locking: the reports take kmem.lock (kalloc_lock()) while they read
// records; the counters are atomic, so no lock.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "memstat.h"
#include "defs.h"
#include "mm/page.h"

static uint64 counters[NVMSTAT]; // atomic: vmstat_count()

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

// Fill *st for the memstat() system call. Takes kmem.lock.
void
kmemstat(struct memstat *st)
{
  memset(st, 0, sizeof(*st));
  kalloc_usage(st);
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

// The memmap() character (memstat.h) of the n frames from pa on: the use
// most of them are put to (a use of 0 means "in use, purpose unknown", as
// a bitmap reports). Frames past the end of RAM do not count. Caller holds
// kmem.lock.
static char
memmap_char_locked(uint64 pa, uint64 n)
{
  static const struct { int use; char c; } chars[] = {
    { PG_FREE, MEMMAP_FREE }, { PG_RESERVED, MEMMAP_RESERVED },
    { PG_KERNEL, MEMMAP_KERNEL }, { PG_PAGETABLE, MEMMAP_PAGETABLE },
    { PG_USER, MEMMAP_USER }, { 0, MEMMAP_USED },
  };
  uint64 seen[NELEM(chars)] = {0};
  int best = 0;

  for(uint64 i = 0; i < n && pa + i * PGSIZE < ram_top; i++){
    int use = kalloc_frame_use_locked(pa + i * PGSIZE);
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
