// Address spaces (mm/aspace.h): a page table and its regions, kept in a
// pool of NASPACE, with a list of the live ones for those who must look
// at every address space (reclaim's reverse map, the OOM killer,
// vmspace()).
//
// A process has one, made by allocproc() (empty: the trampoline and its
// trapframe mapped, no region), filled by exec (which builds a new one
// and drops the old once it cannot fail any more) or by fork (a copy of
// the parent's), changed by sbrk, and destroyed when the process is
// freed. The pool holds two per process slot: exec holds its old and its
// new one at once.
//
// Locking: aspaces.lock guards the live list; it is taken before any
// aspace.lock (kernel/lockorder.h), and a walker of the list holds it
// across its whole walk, so an address space it meets cannot be
// destroyed under it. A region list changes only through its owner,
// under aspace.lock.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "mm/aspace.h"

#define NASPACE (2 * NPROC)

static struct {
  struct spinlock lock;
  struct aspace *live;            // the live address spaces, newest first
  struct aspace pool[NASPACE];
} aspaces;

void
aspace_init(void)
{
  initlock(&aspaces.lock, "aspaces");
  for(struct aspace *as = aspaces.pool; as < &aspaces.pool[NASPACE]; as++)
    initlock(&as->lock, "vmlock");
}

// A new, empty address space for process p: a page table with only the
// trampoline and p's trapframe mapped, no regions, AS_BUILDING: not on
// the live list until aspace_publish(). Returns 0 when the pool or memory
// is exhausted.
struct aspace *
aspace_create(struct proc *p)
{
  pagetable_t pagetable = proc_pagetable(p);
  if(pagetable == 0)
    return 0;
  acquire(&aspaces.lock);
  struct aspace *as = aspaces.pool;
  while(as < &aspaces.pool[NASPACE] && as->state != AS_FREE)
    as++;
  if(as == &aspaces.pool[NASPACE]){
    release(&aspaces.lock);
    proc_freepagetable(pagetable);
    return 0;
  }
  acquire(&as->lock);
  as->pagetable = pagetable;
  as->pid = p->pid;
  as->owner = p;
  as->nregion = 0;
  as->brk = 0;
  as->harts = 0;
  as->state = AS_BUILDING;
  release(&as->lock);
  release(&aspaces.lock);
  return as;
}

// Put as on the live list: from now on reclaim may take its pages, the
// OOM killer counts it and vmspace() reports it. exec publishes the image
// it builds only at its point of no return: until then reclaim must not
// evict a page of it, which exec is still filling through the physical
// address (loadseg, copyout to a page table not yet in use).
void
aspace_publish(struct aspace *as)
{
  acquire(&aspaces.lock);
  acquire(&as->lock);
  KASSERT(as->state == AS_BUILDING, "aspace_publish: pid %d's address space is not being "
          "built (state %d)", as->pid, as->state);
  as->state = AS_LIVE;
  as->next = aspaces.live;
  aspaces.live = as;
  release(&as->lock);
  release(&aspaces.lock);
}

// May region r have pages with nothing mapped (filled on first touch)?
// Every other region is mapped in full while it exists.
int
region_holes(struct region *r)
{
  return r->kind == REGION_HEAP;
}

// Unmap the pages of [lo, hi) inside region r, giving back their frames
// and swap slots, and free page-table pages left empty. Caller holds
// as->lock.
static void
region_unmap(struct aspace *as, struct region *r, uint64 lo, uint64 hi)
{
  if(lo >= hi)
    return;
  uvmunmap(as->pagetable, lo, (hi - lo) / PGSIZE, UVM_FREE | (region_holes(r) ? UVM_HOLES : 0));
  uvm_ptprune(as->pagetable, lo, hi);
}

// Take as off the live list if it is on it (so reclaim no longer finds
// it), free every page of its regions, and its page table. The caller is
// its only user. The slot stays AS_DYING until the memory is freed:
// reused sooner, its page table and regions would change under this.
void
aspace_destroy(struct aspace *as)
{
  acquire(&aspaces.lock);
  acquire(&as->lock);
  KASSERT(as->state == AS_LIVE || as->state == AS_BUILDING, "aspace_destroy: pid %d's "
          "address space is neither live nor being built (state %d)", as->pid, as->state);
  if(as->state == AS_LIVE){
    struct aspace **pp = &aspaces.live;
    while(*pp != as)
      pp = &(*pp)->next;
    *pp = as->next;
  }
  as->state = AS_DYING;
  release(&as->lock);
  release(&aspaces.lock);
  for(int i = 0; i < as->nregion; i++)
    region_unmap(as, &as->region[i], as->region[i].start, as->region[i].end);
  proc_freepagetable(as->pagetable);
  as->pagetable = 0;
  as->nregion = 0;
  as->owner = 0;
  acquire(&aspaces.lock);
  as->state = AS_FREE;
  release(&aspaces.lock);
}

// The region of as that holds user address va, or 0 when none does.
// Caller holds as->lock, or is its owner.
struct region *
region_find(struct aspace *as, uint64 va)
{
  for(int i = 0; i < as->nregion; i++){
    struct region *r = &as->region[i];
    if(va < r->start)
      break;
    if(va < r->end)
      return r;
  }
  return 0;
}

// Add the region [start, end) to as, keeping the list sorted. Returns 0,
// or -1 when the list is full or the range overlaps a region. Called by
// the owner; takes as->lock.
int
region_add(struct aspace *as, uint64 start, uint64 end, int prot, enum region_kind kind)
{
  KASSERT(start % PGSIZE == 0 && end % PGSIZE == 0 && start <= end && end <= TRAPFRAME,
          "region_add: [%p, %p) is not a page-aligned range of user space", (void*)start,
          (void*)end);
  acquire(&as->lock);
  int i = 0;
  while(i < as->nregion && as->region[i].start < start)
    i++;
  int overlaps = (i > 0 && as->region[i - 1].end > start) ||
                 (i < as->nregion && as->region[i].start < end && start < end);
  if(as->nregion == NREGION || overlaps){
    release(&as->lock);
    return -1;
  }
  memmove(&as->region[i + 1], &as->region[i], (as->nregion - i) * sizeof(struct region));
  as->region[i] = (struct region){ .start = start, .end = end, .prot = prot, .kind = kind };
  as->nregion++;
  release(&as->lock);
  return 0;
}

// Remove region i of as. Caller holds as->lock.
static void
region_remove(struct aspace *as, int i)
{
  memmove(&as->region[i], &as->region[i + 1], (as->nregion - i - 1) * sizeof(struct region));
  as->nregion--;
}

// The heap region of as (every address space that exec or fork built has
// one). Caller holds as->lock, or is its owner.
struct region *
aspace_heap(struct aspace *as)
{
  for(int i = as->nregion - 1; i >= 0; i--)
    if(as->region[i].kind == REGION_HEAP)
      return &as->region[i];
  panic("aspace_heap: pid %d's address space has no heap region", as->pid);
}

// How many pages the regions of as span: what its memory may grow to,
// the amount vm_commit() promised it.
uint64
aspace_pages(struct aspace *as)
{
  uint64 n = 0;
  for(int i = 0; i < as->nregion; i++)
    n += (as->region[i].end - as->region[i].start) / PGSIZE;
  return n;
}

// Shrink as to the break newbrk < as->brk: unmap everything from
// PGROUNDUP(newbrk) up to the heap's end. xv6 lets a process shrink below
// its heap, into its stack and program: those regions are cut or go, and
// the heap, empty, starts where they now end. Returns how many pages the
// regions lost. Called by the owner; takes as->lock.
uint64
aspace_shrink(struct aspace *as, uint64 newbrk)
{
  uint64 cut = PGROUNDUP(newbrk), lost = 0;

  acquire(&as->lock);
  KASSERT(newbrk < as->brk, "aspace_shrink: %p is no shrink of the break %p", (void*)newbrk,
          (void*)as->brk);
  for(int i = as->nregion - 1; i >= 0; i--){
    struct region *r = &as->region[i];
    if(r->end <= cut)
      break;
    uint64 from = r->start > cut ? r->start : cut;
    region_unmap(as, r, from, r->end);
    lost += (r->end - from) / PGSIZE;
    r->end = from;
    if(r->start == r->end && r->kind != REGION_HEAP)
      region_remove(as, i);
  }
  struct region *heap = aspace_heap(as);
  if(heap->start > cut)
    heap->start = heap->end = cut;
  as->brk = newbrk;
  release(&as->lock);
  return lost;
}

// Give child, an empty address space, a copy of parent's regions and
// pages (uvmcopy: copy-on-write with lab cow). The child's page-table
// pages are taken first, with no lock held, where taking them may
// reclaim; the copy runs under both address-space locks, parent first
// (kernel/lockorder.h), since reclaim may change the parent's PTEs and
// sees the child's as soon as they exist. Returns 0, or -1 when out of
// memory (the child then holds the regions copied so far, in full, for
// aspace_destroy to free).
int
aspace_fork(struct aspace *parent, struct aspace *child)
{
  for(int i = 0; i < parent->nregion; i++){
    struct region *r = &parent->region[i];
    if(uvmcopy_reserve(parent->pagetable, child->pagetable, r->start, r->end, &child->lock) < 0)
      return -1;
  }
  acquire(&parent->lock);
  acquire(&child->lock);
  int ok = 0;
  while(ok < parent->nregion){
    struct region *r = &parent->region[ok];
    if(uvmcopy(parent->pagetable, child->pagetable, r->start, r->end, region_holes(r)) < 0)
      break;
    child->region[ok] = *r;
    child->nregion = ++ok;
  }
  child->brk = parent->brk;
  release(&child->lock);
  release(&parent->lock);
  return ok == parent->nregion ? 0 : -1;
}

// Call fn(as, arg) for every live address space, holding as->lock, until
// fn returns nonzero. Returns what the last call returned (0 if none).
// fn must not sleep.
int
aspace_foreach(int (*fn)(struct aspace *as, void *arg), void *arg)
{
  int r = 0;

  acquire(&aspaces.lock);
  for(struct aspace *as = aspaces.live; as && r == 0; as = as->next){
    acquire(&as->lock);
    r = fn(as, arg);
    release(&as->lock);
  }
  release(&aspaces.lock);
  return r;
}

// The live address space of process pid, or 0. It may be destroyed once
// this returns: the caller checks, under its lock, that it is still
// AS_LIVE and still pid's (the pool's memory is never freed).
struct aspace *
aspace_of_pid(int pid)
{
  acquire(&aspaces.lock);
  struct aspace *as = aspaces.live;
  while(as && as->pid != pid)
    as = as->next;
  release(&aspaces.lock);
  return as;
}

// This hart is about to run as's page table in user mode: from here a
// change to one of its PTEs must reach this hart's TLB (flush_harts()).
// The fence orders the bit before the satp switch (and its sfence.vma,
// trampoline.S), so a reclaimer either sees the bit or changed the PTE
// before this hart's TLB was flushed.
void
aspace_enter_user(struct aspace *as)
{
  __atomic_fetch_or(&as->harts, 1UL << cpuid(), __ATOMIC_SEQ_CST);
}

// This hart left user mode (it trapped, and the trampoline switched to
// the kernel's page table, flushing its TLB).
void
aspace_leave_user(struct aspace *as)
{
  __atomic_fetch_and(&as->harts, ~(1UL << cpuid()), __ATOMIC_SEQ_CST);
}
