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
// A fault is decided in three steps, each in one place:
//   1. Regions (fault_refused): every user address a process may use lies
//      in a region of its address space (mm/aspace.h). An address in no
//      region, or an access the region's protection forbids, is refused
//      from the list alone.
//   2. One look at the PTE (fault_look, fault_classify): a single walk
//      under the address-space lock reads the entry once and names its
//      state for this access: none (a hole), the zero frame, copy-on-write,
//      on swap, present but denied, or present and allowed.
//   3. One handler per state, the labs' work: lazy allocation (lab lazy)
//      fills holes and replaces the zero frame, copy-on-write (lab cow)
//      copies a shared page, swap-in (lab swap) reads a page back. The
//      handlers are never inlined: inlined, `break fault_cow` in gdb may
//      land on a line only one path runs, and never stop. A
//      handler may sleep (taking a frame may reclaim, reading swap waits
//      for the disk) with the lock released; it installs its result only
//      if the PTE is still the one it was given (fault_install: the rule
//      lives there), and otherwise lets the access fault again, to be
//      classified anew.
//
// Lab lazy: the heap region is reserved by sbrk and backed on first touch.
// A read of an untouched heap page maps the one shared zero frame
// read-only; a write maps a fresh zeroed frame of the process's own,
// replacing the zero frame if it was mapped there.
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
// list and the tree of page-table pages change only through the process
// itself, so a PTE's address found once stays good. The zero frame is set
// at boot and read-only afterwards. Reference counts are atomic (page.c):
// see fault_cow() for why that is enough.
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

// A fault being resolved: where, and what one look at its PTE found.
struct fault {
  struct proc *p;
  struct aspace *as;         // p->as
  struct region *region;     // the region holding va
  uint64 va;                 // the page, rounded down
  enum fault_access access;
  pte_t *ptep;               // its PTE (0 only for a hole with no page-table page)
  pte_t pte;                 // what *ptep held when it was classified
};

// What a fault finds at its page, for the access it makes.
enum page_state {
  PAGE_NONE,      // no PTE: a page never touched (a hole of a lazy region)
  PAGE_ZERO,      // a write to the shared zero frame (lab lazy)
  PAGE_COW,       // a write to a frame shared copy-on-write (lab cow)
  PAGE_SWAPPED,   // the PTE names a swap slot (lab swap)
  PAGE_DENIED,    // present, and the PTE forbids the access
  PAGE_ALLOWED,   // present, and the PTE allows it: a stale TLB entry
};

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

// The PTE permission bit an access needs.
static int
access_bit(enum fault_access access)
{
  return access == FAULT_WRITE ? PTE_W : access == FAULT_EXEC ? PTE_X : PTE_R;
}

// Why permissions perm (PTE_R, PTE_W, PTE_X bits: a region's or a PTE's)
// forbid access, or 0 when they allow it.
static char *
perm_refuses(int perm, enum fault_access access)
{
  if(perm & access_bit(access))
    return 0;
  return access == FAULT_WRITE ? "write to read-only page" :
         access == FAULT_EXEC ? "execute of non-executable page" : "read of unreadable page";
}

// Step 1: why the regions of p forbid the access to va, or 0 when a
// region allows it (f->region is then set).
static char *
fault_refused(struct fault *f, uint64 va)
{
  if(va >= MAXVA)
    return "address beyond the user address space";
  struct region *r = f->region = region_find(f->as, va);
  if(r == 0)
    return va >= TRAPFRAME ? "not a user page (trapframe or trampoline)" :
           "not mapped: in no region of the address space";
  if(r->kind == REGION_GUARD)
    return "not a user page (the stack guard)";
  return perm_refuses(r->prot, f->access);
}

// Step 2: find the PTE of f->va and read it once, under the address-space
// lock. A hole of a region that may have holes gets its page-table pages
// now, with the lock released (taking them may reclaim), so that a
// handler's install needs none. Returns 0, or -1 when out of memory.
static int
fault_look(struct fault *f)
{
  struct aspace *as = f->as;

  acquire(&as->lock);
  f->ptep = walk(as->pagetable, f->va, 0);
  if(f->ptep == 0 && region_holes(f->region)){
    release(&as->lock);
    if(uvm_ptreserve(as->pagetable, f->va, &as->lock, 1) < 0)
      return -1;
    acquire(&as->lock);
    f->ptep = walk(as->pagetable, f->va, 0);
    KASSERT(f->ptep, "fault_look: page-table pages for va %p vanished after uvm_ptreserve",
            (void*)f->va);
  }
  f->pte = f->ptep ? *f->ptep : 0;
  release(&as->lock);
  return 0;
}

// Does PTE e allow access?
static int
pte_allows(pte_t e, enum fault_access access)
{
  int need = PTE_V | PTE_U | access_bit(access);
  return (e & need) == need;
}

// Name the state of the PTE f looked at, for f's access.
static enum page_state
fault_classify(struct fault *f)
{
  pte_t e = f->pte;

  if(e & PTE_SWAP)
    return PAGE_SWAPPED;
  if((e & PTE_V) == 0)
    return PAGE_NONE;
  if(pte_allows(e, f->access))
    return PAGE_ALLOWED;
  if(f->access == FAULT_WRITE && (e & PTE_U) && (e & PTE_COW))
    return PAGE_COW;
  if(f->access == FAULT_WRITE && (e & PTE_U) && fault_zero_frame(PTE2PA(e)))
    return PAGE_ZERO;
  return PAGE_DENIED;
}

// Install PTE e at f's page if the PTE is still the one f classified (the
// accessed and dirty bits aside: the hardware sets them meanwhile).
// Returns 1 when installed; 0 when it changed (reclaim took the page
// while the handler slept): the caller undoes its work, and the access
// faults again and is classified anew. The hart may still cache the old
// translation of a valid PTE: it is flushed. (Unused in a starter tree,
// where no handler is written yet.)
static __attribute__((unused)) int
fault_install(struct fault *f, pte_t e)
{
  pte_t ignore = PTE_A | PTE_D;

  acquire(&f->as->lock);
  int same = (*f->ptep & ~ignore) == (f->pte & ~ignore);
  if(same){
    *f->ptep = e;
    if(f->pte & PTE_V)
      sfence_vma();
  }
  release(&f->as->lock);
  return same;
}

// Why the access of f cannot be allowed as its PTE stands: a short
// phrase for the kill message (its region allows it: fault_refused).
static char *
fault_diagnose(struct fault *f)
{
  pte_t e = f->ptep ? *f->ptep : 0;
  if((e & PTE_V) == 0)
    return "not mapped";
  if((e & PTE_U) == 0)
    return "not a user page";
  char *why = perm_refuses(e, f->access);
  return why ? why : "access allowed by the page table: a stale TLB entry?";
}

#ifdef SOL_LAZY
// Map a fresh zeroed frame of f's process's own, writable, at f's page,
// in place of what f found there (nothing, or the zero frame). Returns 1
// (also when the PTE changed meanwhile: the access faults again), or -1
// when out of memory.
static int
map_fresh(struct fault *f)
{
  void *mem = user_frame_alloc(f->va, 1);
  if(mem == 0)
    return -1;
  memset(mem, 0, PGSIZE);
  if(fault_install(f, PA2PTE(mem) | PTE_R | PTE_W | PTE_U | PTE_V))
    vmstat_count(VMSTAT_FAULT_FRESH);
  else
    kput(mem);
  return 1;
}

// Lab lazy: resolve a fault on a hole of the heap (PAGE_NONE) or a write
// to the zero frame (PAGE_ZERO). Returns 1 when resolved, -1 when out of
// memory.
static __attribute__((noinline)) int
fault_lazy(struct fault *f)
{
  if(BUG_SBRK && f->va == f->region->end - PGSIZE)
    return 0;   // planted bug (kernel/inject.h): the heap's last page is forgotten
  if(f->pte == 0 && f->access != FAULT_WRITE){
    // A read of an untouched page: the zero frame, shared, read-only.
    if(fault_install(f, PA2PTE(zero_frame) | PTE_R | PTE_U | PTE_V))
      vmstat_count(VMSTAT_FAULT_ZERO);
    return 1;
  }
  return map_fresh(f);
}
#else
// Lab lazy: resolve a fault on a hole of the heap (PAGE_NONE) or a write
// to the zero frame (PAGE_ZERO). Returns 1 when resolved, 0 when not,
// -1 when out of memory. Nothing is lazy yet: sbrk allocates eagerly.
static __attribute__((noinline)) int
fault_lazy(struct fault *f)
{
  return 0;
}
#endif

#ifdef SOL_COW
// Lab cow: resolve a write to a page shared copy-on-write (PAGE_COW).
// Returns 1 when resolved, -1 when out of memory.
//
// No lock guards the reference count, only atomics: a count of 1 means
// the PTE is the only mapping, and only this process could add another
// (by forking, and it is busy here), so taking the frame back is safe,
// unless the frame keeps a swap slot that other PTEs name (lab swap):
// their faults would map the frame in place of the slot's page, so it is
// copied like a shared one (swap_slot_shared()). A count above 1 may drop
// while we copy (the other holder writes or exits): then both end with a
// copy of their own and the last kput() frees the original, or the other
// one finds a count of 1 and takes the original back. We copy holding a
// reference of our own, so the original cannot be freed meanwhile, and
// install the copy only if the PTE is still the one we copied from.
static __attribute__((noinline)) int
fault_cow(struct fault *f)
{
  pte_t e = f->pte;
  uint64 pa = PTE2PA(e);
  struct page *pg = pa_to_page(pa);
  if(page_refcount(pg) == 1 && !(pg->u.user.slot && swap_slot_shared(pg->u.user.slot - 1))){
    if(fault_install(f, (e | PTE_W) & ~PTE_COW))
      vmstat_count(VMSTAT_COW_REUSE);
    return 1;
  }
  page_ref_inc(pg);
  char *mem = user_frame_alloc(f->va, 1);
  if(mem == 0){
    kput((void*)pa);
    return -1;
  }
  memmove(mem, (char*)pa, PGSIZE);  // read-only everywhere: it cannot change
  if(fault_install(f, PA2PTE(mem) | ((PTE_FLAGS(e) | PTE_W) & ~PTE_COW))){
    kput((void*)pa);  // the mapping's reference
    vmstat_count(VMSTAT_COW_COPY);
  } else
    kput(mem);        // reclaim took the page meanwhile: fault again
  kput((void*)pa);    // ours
  return 1;
}
#else
// Lab cow: resolve a write to a page shared copy-on-write (PAGE_COW).
// Returns 1 when resolved, 0 when not, -1 when out of memory. fork
// copies every page yet: nothing is shared.
static __attribute__((noinline)) int
fault_cow(struct fault *f)
{
  return 0;
}
#endif

#ifdef SOL_SWAP
// Lab swap: bring f's page back from swap (PAGE_SWAPPED: its PTE names a
// slot mm/reclaim.c put it in). The frame is taken and the slot read with
// no lock held (both may sleep); only the process itself changes a swap
// PTE of its own, so it is still there after.
//
// A slot that other PTEs name too holds a page that several processes
// shared copy-on-write when it went out. The first of them to fault reads
// it into a frame that keeps the slot (swap_keep(): SWAP_SHARED); the
// others wait for that read (swap_in_begin()), find the frame through the
// reverse map and share it again, copy-on-write: one read, one frame. A
// page no one else names comes back as the process's alone, writable.
//
// Returns 1 when resolved, -1 when out of memory, -2 when the slot cannot
// be read.
static __attribute__((noinline)) int
fault_swapin(struct fault *f)
{
  pte_t e = f->pte;
  uint64 slot = PTE2SLOT(e);
  swap_in_begin(slot);
  enum swap_keep keep = SWAP_SHARED;
  char *mem = rmap_swapcached(slot, f->va);
  if(mem){
    swap_put(slot);   // the frame holds the page, and keeps a reference of its own
    vmstat_count(VMSTAT_SWAP_SHARED);
  } else {
    mem = user_frame_alloc(f->va, 1);
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
  int installed = fault_install(f, PA2PTE(mem) | flags | PTE_V);
  KASSERT(installed, "fault_swapin: swap PTE of va %p changed under its owner", (void*)f->va);
  swap_in_end(slot);  // mapped: a fault waiting for the slot finds the frame
  return 1;
}
#else
// Lab swap: bring f's page back from swap (PAGE_SWAPPED), between
// swap_in_begin() and swap_in_end(); a page that other processes share
// comes back once, into one frame (task 4). Returns 1 when resolved, 0
// when not, -1 when out of memory, -2 when the slot cannot be read.
// Nothing goes to swap yet.
static __attribute__((noinline)) int
fault_swapin(struct fault *f)
{
  return 0;
}
#endif

// Try to make the access `access` to user address va of process p
// possible: step 1 (regions), step 2 (one look at the PTE), then step 3,
// the handler for the state found. Returns 0 when the page is now mapped
// as the access needs, or a phrase saying why not. Called by p's own
// kernel thread only.
char *
fault_resolve(struct proc *p, uint64 va, enum fault_access access)
{
  struct fault f = { .p = p, .as = p->as, .va = PGROUNDDOWN(va), .access = access };
  int r = 0;  // 1 resolved, 0 refused, -1 out of memory, -2 a swapped page lost

  vmstat_count(VMSTAT_FAULT);
  char *why = fault_refused(&f, va);
  if(why == 0 && fault_look(&f) < 0)
    r = -1;
  else if(why == 0){
    switch(fault_classify(&f)){
    case PAGE_NONE:
      r = region_holes(f.region) ? fault_lazy(&f) : 0;
      break;
    case PAGE_ZERO:
      r = fault_lazy(&f);
      break;
    case PAGE_COW:
      r = fault_cow(&f);
      break;
    case PAGE_SWAPPED:
      r = fault_swapin(&f);
      break;
    case PAGE_DENIED:
    case PAGE_ALLOWED:
      break;    // nothing to resolve
    }
  }
  long held = swap_in_held();
  KASSERT(held < 0, "fault_resolve: pid %d left fault_swapin with slot %d still marked being "
          "read: every way out of a swap-in ends with swap_in_end(), or faults on that slot "
          "wait forever", p->pid, (int)held);
  if(r > 0)
    return 0;
  vmstat_count(VMSTAT_FAULT_BAD);
  if(r == -2)
    return "page lost: the swap disk failed to read it back";
  if(r < 0){
    vmstat_count(VMSTAT_FAULT_OOM);
    return fault_oom;
  }
  return why ? why : fault_diagnose(&f);
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
