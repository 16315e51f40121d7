// Page faults: the one place that decides what a fault on a user address
// means, and resolves it when the memory system can.
//
// Two ways in, so that a system call touching user memory behaves exactly
// like the program touching it:
//   - fault_user(): usertrap hands over every instruction, load and store
//     page fault from user mode (scause 12, 13, 15) with stval, the
//     faulting address. A fault that is not resolved kills the process
//     with a message saying why.
//   - fault_resolve(): the user-copy walk (copy_user in vm.c, behind
//     copyin, copyout and copyinstr) calls it when a page is missing, or
//     read-only for a write. A fault that is not resolved makes the copy,
//     and so the system call, fail with -1; nothing is killed.
//
// Every user address a process may use lies in a region of its address
// space (mm/aspace.h). A fault outside every region, or one the region's
// protection forbids, is refused from the region list alone. Resolving
// the rest is the labs' work: lazy allocation (lab lazy), copy-on-write
// (lab cow) and swap-in (lab swap) each add a case to fault_resolve().
// A fault no case resolves is diagnosed and refused.
//
// Lab lazy: the heap region is reserved by sbrk and backed on first touch. A read of an untouched heap page maps the one shared
// zero frame read-only; a write maps a fresh zeroed frame of the
// process's own, replacing the zero frame if it was mapped there.
//
// Lab cow: fork shares frames and marks writable pages read-only and
// copy-on-write (PTE_COW). The first write to such a page copies it into
// a frame of the writer's own, or, when no one else holds the frame any
// more, simply makes it writable again.
//
// Lab swap: a PTE that names a swap slot (PTE_SWAP) is read back into a
// fresh frame of the process's own.
//
// Locking: a fault changes only the faulting process's own page table,
// from its own kernel thread, but reclaim (lab swap) may turn the
// process's valid PTEs into swap PTEs at any time: PTEs are looked at and
// changed under the address-space lock (as->lock), and frames are
// allocated (which may reclaim and sleep) with it released. The region
// list changes only through the process itself, which reads it unlocked. The zero frame is set at boot and
// read-only afterwards. Reference counts are atomic (page.c): see
// fault_cow() for why that is enough.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "memstat.h"
#include "inject.h"
#include "defs.h"
#include "mm/page.h"
#include "mm/swap.h"

static uint64 zero_frame; // physical address of the shared zero frame
static char fault_oom[] = "out of memory";

// Allocate the shared zero frame. It is never freed (mappings of it hold
// no reference). Runs once at boot, after kinit().
void
fault_init(void)
{
  void *pa = kalloc_as(PG_USER);

  if(pa == 0)
    panic("fault_init: no frame for the zero page");
  memset(pa, 0, PGSIZE);
  zero_frame = (uint64)pa;
}

// Is pa the shared zero frame?
int
fault_zero_frame(uint64 pa)
{
  return pa == zero_frame;
}

// Why an access to va by process p cannot be allowed as its regions and
// page table stand: a short phrase for the kill message.
static char *
fault_diagnose(struct proc *p, uint64 va, enum fault_access access)
{
  if(va >= MAXVA)
    return "address beyond the user address space";
  struct region *r = region_find(p->as, va);
  if(r == 0)
    return va >= TRAPFRAME ? "not a user page (trapframe or trampoline)" :
           "not mapped: in no region of the address space";
  if(r->kind == REGION_GUARD)
    return "not a user page (the stack guard)";
  if(access == FAULT_WRITE && (r->prot & PTE_W) == 0)
    return "write to read-only page";
  if(access == FAULT_EXEC && (r->prot & PTE_X) == 0)
    return "execute of non-executable page";
  // The region allows the access; its page does not.
  pte_t *pte = walk(p->as->pagetable, va, 0);
  if(pte == 0 || (*pte & PTE_V) == 0)
    return "not mapped";
  if((*pte & PTE_U) == 0)
    return "not a user page";
  if(access == FAULT_WRITE && (*pte & PTE_W) == 0)
    return "write to read-only page";
  if(access == FAULT_EXEC && (*pte & PTE_X) == 0)
    return "execute of non-executable page";
  if(access == FAULT_READ && (*pte & PTE_R) == 0)
    return "read of unreadable page";
  return "access allowed by the page table: a stale TLB entry?";
}

#ifdef SOL_LAZY
// Map a fresh zeroed frame of p's own, writable, at page va, where there
// is nothing yet or (zero set) the zero frame. The frame is taken before
// the address-space lock (taking it may reclaim and sleep); only p itself
// maps pages into its table, so what was there is still there after.
// Returns 1, or -1 when out of memory.
static int
map_fresh(struct proc *p, uint64 va, int zero)
{
  struct aspace *as = p->as;
  void *mem = user_frame_alloc(va, 1);
  if(mem == 0)
    return -1;
  memset(mem, 0, PGSIZE);
  acquire(&as->lock);
  pte_t *pte = walk(as->pagetable, va, 0);
  if(zero){
    KASSERT(pte && fault_zero_frame(PTE2PA(*pte)), "map_fresh: va %p no longer maps the zero frame",
            (void*)va);
    *pte = PA2PTE(mem) | PTE_R | PTE_W | PTE_U | PTE_V;
    sfence_vma(); // this hart may still hold the read-only translation
  } else if(mappages(as->pagetable, va, PGSIZE, (uint64)mem, PTE_R | PTE_W | PTE_U) != 0){
    release(&as->lock);
    kput(mem); // no frame for a page-table page
    return -1;
  }
  release(&as->lock);
  vmstat_count(VMSTAT_FAULT_FRESH);
  return 1;
}

// Lab lazy: resolve a fault on page va of p's heap. Returns 1 when
// resolved, 0 when the fault is not lazy allocation's to resolve (outside
// the heap region, or a mapping that is not the zero frame), -1 when out
// of memory.
static int
fault_lazy(struct proc *p, uint64 va, enum fault_access access)
{
  struct aspace *as = p->as;
  struct region *heap = region_find(as, va);
  if(heap == 0 || heap->kind != REGION_HEAP || va >= heap->end - (BUG_SBRK ? PGSIZE : 0))
    return 0;
  acquire(&as->lock);
  pte_t *pte = walk(as->pagetable, va, 0);
  if(pte == 0){
    // A page-table page on the way to va is missing: take it now, with
    // the lock released, where taking it may reclaim; only p changes the
    // tree of its table, so the walk below finds it.
    release(&as->lock);
    if(uvm_ptreserve(as->pagetable, va, &as->lock, 1) < 0)
      return -1;
    acquire(&as->lock);
    pte = walk(as->pagetable, va, 0);
    KASSERT(pte, "fault_lazy: page-table pages for va %p vanished after uvm_ptreserve",
            (void*)va);
  }
  pte_t e = *pte;
  int r = 0;
  if(e == 0 && access != FAULT_WRITE){
    // A read of an untouched page: the zero frame, shared, read-only.
    *pte = PA2PTE(zero_frame) | PTE_R | PTE_U | PTE_V;
    vmstat_count(VMSTAT_FAULT_ZERO);
    r = 1;
  }
  release(&as->lock);
  if(r != 0)
    return r;
  if(e == 0)
    return map_fresh(p, va, 0);
  // Only a write to the zero frame is ours: the page was read, not written.
  if(access == FAULT_WRITE && (e & PTE_V) && fault_zero_frame(PTE2PA(e)))
    return map_fresh(p, va, 1);
  return 0;
}
#else
// Lab lazy: resolve a fault on page va of p's heap region.
// Returns 1 when resolved, 0 when it is not lazy allocation's to resolve,
// -1 when out of memory. Nothing is lazy yet: sbrk allocates eagerly.
static int
fault_lazy(struct proc *p, uint64 va, enum fault_access access)
{
  return 0;
}
#endif

#ifdef SOL_COW
// Lab cow: resolve a write to page va of p when it is shared
// copy-on-write. Returns 1 when resolved, 0 when it is not a COW fault,
// -1 when out of memory.
//
// No lock guards the reference count, only atomics: a count of 1 means
// p's PTE is the only mapping, and only p itself could add another (by
// forking, and p is busy here), so taking the frame back is safe, unless
// the frame keeps a swap slot that other PTEs name (lab swap): their
// faults would map the frame in place of the slot's page, so it is
// copied like a shared one (swap_slot_shared()). A count
// above 1 may drop while we copy (the other holder writes or exits): then
// both end with a copy of their own and the last kput() frees the
// original, or the other one finds a count of 1 and takes the original
// back. The address-space lock keeps reclaim away from p's PTE while we look at it; we
// copy with it released (taking a frame may reclaim and sleep), holding a
// reference of our own so the original cannot be freed meanwhile, and
// install the copy only if the PTE is still the one we copied from.
static int
fault_cow(struct proc *p, uint64 va, enum fault_access access)
{
  acquire(&p->as->lock);
  pte_t *pte = walk(p->as->pagetable, va, 0);
  if(access != FAULT_WRITE || pte == 0 ||
     (*pte & (PTE_V | PTE_U | PTE_COW)) != (PTE_V | PTE_U | PTE_COW)){
    release(&p->as->lock);
    return 0;
  }
  pte_t e = *pte;
  uint64 pa = PTE2PA(e);
  struct page *pg = pa_to_page(pa);
  if(page_refcount(pg) == 1 && !(pg->u.user.slot && swap_slot_shared(pg->u.user.slot - 1))){
    *pte = (e | PTE_W) & ~PTE_COW;
    sfence_vma();
    release(&p->as->lock);
    vmstat_count(VMSTAT_COW_REUSE);
    return 1;
  }
  page_ref_inc(pg);
  release(&p->as->lock);

  char *mem = user_frame_alloc(va, 1);
  if(mem)
    memmove(mem, (char*)pa, PGSIZE);  // read-only everywhere: it cannot change
  acquire(&p->as->lock);
  int same = (*pte & ~(PTE_A | PTE_D)) == (e & ~(PTE_A | PTE_D));
  if(mem && same){
    *pte = PA2PTE(mem) | ((PTE_FLAGS(e) | PTE_W) & ~PTE_COW);
    sfence_vma(); // this hart may still hold the shared, read-only translation
  }
  release(&p->as->lock);
  if(mem == 0){
    kput((void*)pa);
    return -1;
  }
  if(same){
    kput((void*)pa);  // the mapping's reference
    vmstat_count(VMSTAT_COW_COPY);
  } else
    kput(mem);        // reclaim took the page meanwhile: fault again
  kput((void*)pa);    // ours
  return 1;
}
#else
// Lab cow: resolve a write to page va of p when it is shared
// copy-on-write. Returns 1 when resolved, 0 when it is not a COW fault,
// -1 when out of memory. fork copies every page yet: nothing is shared.
static int
fault_cow(struct proc *p, uint64 va, enum fault_access access)
{
  return 0;
}
#endif

#ifdef SOL_SWAP
// Lab swap: bring page va of p back from swap when its PTE names a slot
// (mm/reclaim.c put it there). The frame is taken and the slot read with
// no lock held (both may sleep); only p itself changes a swap PTE of its
// own, so it is still there after.
//
// A slot that other PTEs name too holds a page that several processes
// shared copy-on-write when it went out. The first of them to fault reads
// it into a frame that keeps the slot (swap_keep(): SWAP_SHARED); the
// others wait for that read (swap_in_begin()), find the frame through the
// reverse map and share it again, copy-on-write: one read, one frame. A
// page no one else names comes back as p's alone, writable.
//
// Returns 1 when resolved, 0 when the page is not on swap, -1 when out of
// memory, -2 when the slot cannot be read.
static int
fault_swapin(struct proc *p, uint64 va)
{
  acquire(&p->as->lock);
  pte_t *pte = walk(p->as->pagetable, va, 0);
  pte_t e = pte ? *pte : 0;
  release(&p->as->lock);
  if((e & (PTE_V | PTE_SWAP | PTE_U)) != (PTE_SWAP | PTE_U))
    return 0;
  uint64 slot = PTE2SLOT(e);
  swap_in_begin(slot);
  enum swap_keep keep = SWAP_SHARED;
  char *mem = rmap_swapcached(slot, va);
  if(mem){
    swap_put(slot);   // the frame holds the page, and keeps a reference of its own
    vmstat_count(VMSTAT_SWAP_SHARED);
  } else {
    mem = user_frame_alloc(va, 1);
    int r = mem == 0 ? -1 : swap_in(slot, (uint64)mem) < 0 ? -2 : 0;
    if(r < 0){
      if(mem)
        kput(mem);
      swap_in_end(slot);
      return r;
    }
    // The PTE's slot reference goes to the frame, or is dropped.
    keep = swap_keep(slot);
    if(keep != SWAP_DROPPED)
      pa_to_page((uint64)mem)->u.user.slot = slot + 1;
    vmstat_count(VMSTAT_SWAP_IN);
  }
  uint64 flags = PTE_FLAGS(e) & (PTE_R | PTE_W | PTE_X | PTE_U | PTE_COW);
  if(keep == SWAP_SHARED && (flags & (PTE_W | PTE_COW)))
    flags = (flags | PTE_COW) & ~PTE_W;
  else if(flags & PTE_COW)
    flags = (flags | PTE_W) & ~PTE_COW;
  acquire(&p->as->lock);
  KASSERT(*pte == e, "fault_swapin: swap PTE of va %p changed under its owner", (void*)va);
  *pte = PA2PTE(mem) | flags | PTE_V;
  release(&p->as->lock);
  swap_in_end(slot);  // mapped: a fault waiting for the slot finds the frame
  return 1;
}
#else
// Lab swap: bring page va of p back from swap when its PTE names a slot,
// between swap_in_begin() and swap_in_end(); a page that other processes
// share comes back once, into one frame (task 4). Returns 1 when
// resolved, 0 when the page is not on swap, -1 when out of memory, -2
// when the slot cannot be read. Nothing goes to swap yet.
static int
fault_swapin(struct proc *p, uint64 va)
{
  return 0;
}
#endif

// Try to make the access `access` to user address va of process p
// possible. Returns 0 when it is now mapped as the access needs, or a
// phrase saying why not. Called by p's own kernel thread only.
char *
fault_resolve(struct proc *p, uint64 va, enum fault_access access)
{
  vmstat_count(VMSTAT_FAULT);
  int r = va < MAXVA ? fault_swapin(p, PGROUNDDOWN(va)) : 0;
  long held = swap_in_held();
  KASSERT(held < 0, "fault_resolve: pid %d left fault_swapin with slot %d still marked being "
          "read: every way out of a swap-in ends with swap_in_end(), or faults on that slot "
          "wait forever", p->pid, (int)held);
  if(va < MAXVA && r == 0 && (r = fault_cow(p, PGROUNDDOWN(va), access)) == 0)
    r = fault_lazy(p, PGROUNDDOWN(va), access);
  if(r > 0)
    return 0;
  vmstat_count(VMSTAT_FAULT_BAD);
  if(r == -2)
    return "page lost: the swap disk failed to read it back";
  if(r < 0){
    vmstat_count(VMSTAT_FAULT_OOM);
    return fault_oom;
  }
  return fault_diagnose(p, va, access);
}

static enum fault_access
access_of(uint64 scause)
{
  switch(scause){
  case SCAUSE_INSN_PAGE_FAULT: return FAULT_EXEC;
  case SCAUSE_STORE_PAGE_FAULT: return FAULT_WRITE;
  default: return FAULT_READ;
  }
}

// A page fault from user mode (usertrap): resolve it, or kill the process
// with a message naming the fault and why it could not be resolved.
void
fault_user(struct proc *p, uint64 scause, uint64 va)
{
  KASSERT(scause == SCAUSE_INSN_PAGE_FAULT || scause == SCAUSE_LOAD_PAGE_FAULT ||
          scause == SCAUSE_STORE_PAGE_FAULT, "fault_user: scause %p is not a page fault",
          (void*)scause);
  char *why;
  // init (pid 1) must not die: it reaps every orphan. A fault of init
  // that finds no memory waits a tick and tries again, while the
  // out-of-memory killer (which never picks init) frees some.
  while((why = fault_resolve(p, va, access_of(scause))) == fault_oom && p->pid == 1)
    sleep_tick();
  if(why == 0)
    return;
  printf("pid %d (%s): %s (scause %p) at pc %p, address %p: killed (%s)\n",
         p->pid, p->name, scause_name(scause), (void*)scause,
         (void*)p->trapframe->epc, (void*)va, why);
  setkilled(p);
}
