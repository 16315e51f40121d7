// Sv39 page tables: the kernel's direct map and user address spaces.
//
// A page table is one frame of 512 PTEs; three levels translate a 39-bit
// virtual address (9+9+9 index bits over a 12-bit offset). The kernel
// page table maps the devices and all of RAM at their physical addresses,
// text read-execute and the rest read-write, plus the trampoline and the
// per-process kernel stacks at the top. User page tables follow xv6's
// layout (memlayout.h); each belongs to an address space (mm/aspace.h),
// whose regions say which user addresses may be mapped.
//
// Page-table pages of user page tables come from ptpage_alloc() wherever
// the caller may sleep, so that they compete for RAM with the pages they
// map (reclaim, lab swap) and leave the kernel's reserve alone; a caller
// that holds a spinlock (the address-space lock) first makes sure the
// pages it needs exist (uvm_ptreserve), and only a walk under a spinlock
// that still finds one missing falls back to the reserve (kalloc).
//
// Locking: the tree of a user page table (which page-table pages exist)
// changes only through its process's own kernel thread (or its parent
// during fork, before the child runs); its leaf PTEs also change under
// the address-space lock (aspace.lock) by reclaim (mm/reclaim.c), which
// turns valid PTEs of other processes into swap PTEs and clears their
// accessed bits. Page-table pages are installed and freed under that lock
// too, so a reclaimer holding it never walks into a freed one. The kernel
// page table is written only during boot.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "memstat.h"
#include "mm/page.h"
#include "mm/swap.h"
#include "mm/aspace.h"
#include "inject.h"

pagetable_t kernel_pagetable;

extern char etext[];      // kernel.ld: end of kernel text
extern char trampoline[]; // trampoline.S

// Build the kernel page table. Panics if frames run out: nothing can
// continue without it.
static pagetable_t
kvmmake(void)
{
  pagetable_t kpgtbl = kalloc_as(PG_PAGETABLE);
  if(kpgtbl == 0)
    panic("kvmmake: out of memory");
  memset(kpgtbl, 0, PGSIZE);

  kvmmap(kpgtbl, UART0, UART0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpgtbl, VIRTIO0, VIRTIO0, NVDISK * VIRTIO_STRIDE, PTE_R | PTE_W);
  kvmmap(kpgtbl, PLIC, PLIC, PLIC_SIZE, PTE_R | PTE_W);

  // The firmware's range below KERNLINK stays unmapped: touching it traps.
  kvmmap(kpgtbl, KERNLINK, KERNLINK, (uint64)etext - KERNLINK, PTE_R | PTE_X);
  kvmmap(kpgtbl, (uint64)etext, (uint64)etext, ram_top - (uint64)etext, PTE_R | PTE_W);

  kvmmap(kpgtbl, TRAMPOLINE, (uint64)trampoline, PGSIZE, PTE_R | PTE_X);
  return kpgtbl;
}

void
kvminit(void)
{
  kernel_pagetable = kvmmake();
}

// Switch this hart to the kernel page table and turn on paging.
void
kvminithart(void)
{
  sfence_vma();  // earlier writes to the page table are done
  w_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma();  // drop any stale translations
}

// A zeroed page-table page: one that may reclaim (ptpage_alloc) when the
// caller may sleep, else one from the kernel's reserve. 0 when none.
static pagetable_t
ptpage_new(void)
{
  pagetable_t pt = myproc() && !holding_spinlocks() ? ptpage_alloc(0) : kalloc_as(PG_PAGETABLE);
  if(pt)
    memset(pt, 0, PGSIZE);
  return pt;
}

// The first invalid page-directory entry on the way to va's level-0 PTE,
// or 0 when that PTE's table exists.
static pde_t *
walk_gap(pagetable_t pagetable, uint64 va)
{
  for(int level = 2; level > 0; level--){
    pde_t *pde = &pagetable[PX(level, va)];
    if((*pde & PTE_V) == 0)
      return pde;
    pagetable = (pagetable_t)PTE2PA(*pde);
  }
  return 0;
}

// Return the address of the level-0 PTE for va, creating the intermediate
// page-table pages when alloc is set. Returns 0 if va is out of range or a
// page-table page cannot be allocated (or alloc is 0 and one is missing).
pte_t *
walk(pagetable_t pagetable, uint64 va, int alloc)
{
  if(va >= MAXVA)
    return 0;

  for(int level = 2; level > 0; level--){
    pte_t *pte = &pagetable[PX(level, va)];
    if(*pte & PTE_V){
      KASSERT((*pte & (PTE_R | PTE_W | PTE_X)) == 0,
              "walk: unexpected superpage at level %d for va %p", level, (void*)va);
      pagetable = (pagetable_t)PTE2PA(*pte);
    } else {
      if(!alloc || (pagetable = ptpage_new()) == 0)
        return 0;
      *pte = PA2PTE(pagetable) | PTE_V;
    }
  }
  return &pagetable[PX(0, va)];
}

// Make the page-table pages on the way to va's PTE exist, taking each
// with no spinlock held (ptpage_alloc: it may reclaim and sleep; with oom
// set, as for a page fault, even kill) and installing it under lk, the
// address space's lock (0 for a page table no one else sees yet), so
// that a walk under lk then finds them without allocating. Only the
// owner changes the tree, so what is installed stays. Returns 0, or -1
// when out of memory. The caller holds no spinlock.
int
uvm_ptreserve(pagetable_t pagetable, uint64 va, struct spinlock *lk, int oom)
{
  pagetable_t spare = 0;

  for(;;){
    if(lk)
      acquire(lk);
    pde_t *pde = walk_gap(pagetable, va);
    if(pde && spare){
      *pde = PA2PTE(spare) | PTE_V;
      spare = 0;
      pde = walk_gap(pagetable, va);
    }
    if(lk)
      release(lk);
    if(pde == 0)
      return 0;
    if((spare = ptpage_alloc(oom)) == 0)
      return -1;
    memset(spare, 0, PGSIZE);
  }
}

// Is the page-table page pt empty (every entry 0)?
static int
ptpage_empty(pagetable_t pt)
{
  for(int i = 0; i < 512; i++)
    if(pt[i])
      return 0;
  return 1;
}

// Free the page-table pages that an unmap of [lo, hi) left mapping
// nothing: a heap that shrinks gives back the tables of the range it
// left, or a sparse heap would keep a table per touched 2 MiB for good.
// Caller holds the address space's lock (a reclaimer walking the table
// holds it too).
void
uvm_ptprune(pagetable_t pagetable, uint64 lo, uint64 hi)
{
  uint64 span1 = 1UL << PXSHIFT(1);   // what one level-0 table maps: 2 MiB
  uint64 span2 = 1UL << PXSHIFT(2);   // what one level-1 table maps: 1 GiB

  for(uint64 a = lo & ~(span1 - 1); a < hi && a < MAXVA; a += span1){
    pde_t *pde2 = &pagetable[PX(2, a)];
    if((*pde2 & PTE_V) == 0){
      a = (a & ~(span2 - 1)) + span2 - span1;   // on to the next GiB
      continue;
    }
    pagetable_t mid = (pagetable_t)PTE2PA(*pde2);
    pde_t *pde1 = &mid[PX(1, a)];
    if((*pde1 & PTE_V) && ptpage_empty((pagetable_t)PTE2PA(*pde1))){
      kfree((void*)PTE2PA(*pde1));
      *pde1 = 0;
    }
    // After the last 2 MiB of this GiB in the range: the level-1 table.
    if((PX(1, a + span1) == 0 || a + span1 >= hi) && ptpage_empty(mid)){
      kfree(mid);
      *pde2 = 0;
    }
  }
}

// How many page-table pages the tree of a user page table has, its root
// included: what the process's mappings cost beyond the pages mapped.
// Caller holds the address space's lock.
uint64
uvm_ptpages(pagetable_t pagetable)
{
  uint64 n = 1;

  for(int i = 0; i < 512; i++){
    if((pagetable[i] & PTE_V) == 0)
      continue;
    pagetable_t mid = (pagetable_t)PTE2PA(pagetable[i]);
    n++;
    for(int j = 0; j < 512; j++)
      n += (mid[j] & PTE_V) != 0;
  }
  return n;
}

// The level-0 PTE for va like walk(pt, va, 0), for loops over large
// sparse ranges: when a whole page-table page is missing, it returns 0
// and moves *va to the last page that page would have covered, so that
// the caller's next step (*va + PGSIZE) skips the whole empty range.
static pte_t *
walk_sparse(pagetable_t pagetable, uint64 *va)
{
  for(int level = 2; level > 0; level--){
    pte_t *pte = &pagetable[PX(level, *va)];
    if((*pte & PTE_V) == 0){
      uint64 span = 1UL << PXSHIFT(level); // what one PTE of this level covers
      *va = (*va & ~(span - 1)) + span - PGSIZE;
      return 0;
    }
    pagetable = (pagetable_t)PTE2PA(*pte);
  }
  return &pagetable[PX(0, *va)];
}

// The level-0 PTE for *va in a walk over ascending pages that got prev for
// the page before: the next entry of the same level-0 table when *va is
// still inside it (no walk from the root), else walk_sparse().
static pte_t *
walk_next(pagetable_t pagetable, uint64 *va, pte_t *prev)
{
  if(prev != 0 && PX(0, *va) != 0)
    return prev + 1;
  return *va < MAXVA ? walk_sparse(pagetable, va) : 0;
}

// Physical address that user virtual address va maps to, or 0 when it is
// not mapped or not accessible from user mode.
uint64
walkaddr(pagetable_t pagetable, uint64 va)
{
  pte_t *pte;

  if(va >= MAXVA)
    return 0;
  pte = walk(pagetable, va, 0);
  if(pte == 0 || (*pte & PTE_V) == 0 || (*pte & PTE_U) == 0)
    return 0;
  return PTE2PA(*pte);
}

// Add a mapping to the kernel page table during boot.
void
kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm)
{
  if(mappages(kpgtbl, va, sz, pa, perm) != 0)
    panic("kvmmap: cannot map %p", (void*)va);
}

// Map [va, va+size) to physical addresses starting at pa. va and size are
// page aligned. Returns 0, or -1 when a page-table page cannot be allocated
// (mappings made so far stay; the caller unmaps them). Remapping a valid
// PTE is a kernel bug.
int
mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm)
{
  KASSERT(va % PGSIZE == 0 && size % PGSIZE == 0 && size > 0,
          "mappages: va %p size %p must be page aligned and nonzero", (void*)va, (void*)size);

  for(uint64 a = va; a < va + size; a += PGSIZE, pa += PGSIZE){
    pte_t *pte = walk(pagetable, a, 1);
    if(pte == 0)
      return -1;
    KASSERT((*pte & (PTE_V | PTE_SWAP)) == 0, "mappages: remap of va %p", (void*)a);
    *pte = PA2PTE(pa) | perm | PTE_V;
  }
  return 0;
}

#ifdef SOL_SWAP
// Lab swap: when PTE *pte (of page va) names a swap slot, drop it and its
// slot reference (with UVM_FREE; a swapped page anywhere else is a
// kernel bug) and return 1; else return 0.
static int
drop_swapped(pte_t *pte, uint64 va, int flags)
{
  if((*pte & PTE_SWAP) == 0)
    return 0;
  KASSERT(flags & UVM_FREE, "uvmunmap: va %p is on swap", (void*)va);
  swap_put(PTE2SLOT(*pte));
  *pte = 0;
  return 1;
}

// Lab swap: when the parent's PTE *pte names a swap slot, give the child
// the same (*cpte), one more reference to the slot, and return 1; else
// return 0.
static int
copy_swapped(pte_t *pte, pte_t *cpte)
{
  if((*pte & PTE_SWAP) == 0)
    return 0;
  swap_dup(PTE2SLOT(*pte));
  *cpte = *pte;
  return 1;
}
#else
// Lab swap: when PTE *pte (of page va) names a swap slot, drop it and its
// slot reference and return 1; else return 0. Nothing goes to swap yet.
static int
drop_swapped(pte_t *pte, uint64 va, int flags)
{
  return 0;
}

// Lab swap: when the parent's PTE *pte names a swap slot, give the child
// the same and a slot reference, and return 1; else return 0.
static int
copy_swapped(pte_t *pte, pte_t *cpte)
{
  return 0;
}
#endif

// Remove npages mappings starting at va (page aligned). flags:
// UVM_FREE drops the mapping's reference to each frame (kput: a frame goes
// back to the allocator with its last reference; the shared zero frame
// never does) and a page on swap its slot; UVM_HOLES allows pages that
// are not mapped (lazily allocated memory), which are otherwise a kernel
// bug.
void
uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int flags)
{
  KASSERT(va % PGSIZE == 0, "uvmunmap: va %p not aligned", (void*)va);

  pte_t *pte = 0;
  for(uint64 a = va; a < va + npages * PGSIZE; a += PGSIZE){
    uint64 at = a;
    pte = walk_next(pagetable, &a, pte);
    if(pte && drop_swapped(pte, a, flags))
      continue;
    if(pte == 0 || (*pte & PTE_V) == 0){
      KASSERT(flags & UVM_HOLES, "uvmunmap: va %p not mapped outside lazy memory", (void*)at);
      continue;
    }
    KASSERT(PTE_FLAGS(*pte) != PTE_V, "uvmunmap: va %p maps a page-table page", (void*)a);
    uint64 pa = PTE2PA(*pte);
    if((flags & UVM_FREE) && !fault_zero_frame(pa))
      kput((void*)pa);
    *pte = 0;
  }
}

// An empty user page table, or 0 when out of memory.
pagetable_t
uvmcreate(void)
{
  pagetable_t pagetable = kalloc_as(PG_PAGETABLE);
  if(pagetable == 0)
    return 0;
  memset(pagetable, 0, PGSIZE);
  return pagetable;
}

// Grow a process from oldsz to newsz bytes with zeroed, user-accessible
// frames (readable, plus xperm). Returns the new size, or 0 on failure
// after giving back whatever it had allocated.
uint64
uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm)
{
  if(newsz < oldsz)
    return oldsz;

  for(uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE){
    char *mem = user_frame_alloc(a, 0);
    if(mem == 0)
      goto bad;
    memset(mem, 0, PGSIZE);
    if(mappages(pagetable, a, PGSIZE, (uint64)mem, PTE_R | PTE_U | xperm) != 0){
      kput(mem);
      goto bad;
    }
  }
  return newsz;

bad:
  uvmdealloc(pagetable, newsz, oldsz);
  return 0;
}

// Shrink a process from oldsz to newsz bytes, freeing the frames. oldsz may
// be larger than the real size. Returns the new size.
uint64
uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz)
{
  if(newsz >= oldsz)
    return oldsz;

  if(PGROUNDUP(newsz) < PGROUNDUP(oldsz)){
    uint64 npages = (PGROUNDUP(oldsz) - PGROUNDUP(newsz)) / PGSIZE;
    uvmunmap(pagetable, PGROUNDUP(newsz), npages, UVM_FREE | UVM_HOLES);
    uvm_ptprune(pagetable, PGROUNDUP(newsz), PGROUNDUP(oldsz));
  }
  return newsz;
}

// Free the page-table pages of a tree whose leaves are already unmapped.
static void
freewalk(pagetable_t pagetable)
{
  for(int i = 0; i < 512; i++){
    pte_t pte = pagetable[i];
    if((pte & PTE_V) == 0)
      continue;
    KASSERT((pte & (PTE_R | PTE_W | PTE_X)) == 0,
            "freewalk: leaf PTE %p still mapped at index %d", (void*)pte, i);
    freewalk((pagetable_t)PTE2PA(pte));
    pagetable[i] = 0;
  }
  kfree(pagetable);
}

// Free a user page table whose leaves are all unmapped already (the
// address space's regions by aspace_destroy(), the trampoline and
// trapframe by proc_freepagetable()).
void
uvmfree(pagetable_t pagetable)
{
  freewalk(pagetable);
}

#ifdef SOL_COW
// Lab cow: give the child the parent's page (parent PTE *pte) in the
// child's empty PTE *cpte by sharing its frame, one more reference. A
// writable page becomes read-only and copy-on-write in both: the first
// write copies it (or takes it back, mm/fault.c). Pages never writable
// (text, the zero frame) are shared as they are. Returns 1 when the
// parent's PTE changed (its TLB needs a flush), else 0; never fails.
static int
fork_page(pte_t *pte, pte_t *cpte)
{
  uint64 pa = PTE2PA(*pte);
  int changed = 0;

  if(*pte & PTE_W){
    *pte = (*pte & ~PTE_W) | PTE_COW;
    changed = 1;
  }
  if(!fault_zero_frame(pa))
    page_ref_inc(pa_to_page(pa));
  *cpte = *pte;
  if(BUG_COW_PARENT_WRITABLE && (*pte & PTE_COW))
    *pte |= PTE_W;   // planted bug (kernel/inject.h)
  return changed;
}
#else
// Give the child a copy of the parent's page (parent PTE *pte) in a frame
// of its own, mapped by the child's empty PTE *cpte; mappings of the
// shared zero frame stay mappings of it. Returns 0 (the parent's PTE is
// unchanged), or -1 when out of memory.
static int
fork_page(pte_t *pte, pte_t *cpte)
{
  uint64 pa = PTE2PA(*pte);

  if(!fault_zero_frame(pa)){
    char *mem = kalloc_as(PG_USER);
    if(mem == 0)
      return -1;
    memmove(mem, (char*)pa, PGSIZE);
    pa = (uint64)mem;
  }
  *cpte = PA2PTE(pa) | PTE_FLAGS(*pte);
  return 0;
}
#endif

// Give the child's page table `new` the page-table pages it needs to copy
// [lo, hi) of `old` (one level-0 table for each of old's there), taking
// them with no spinlock held (uvm_ptreserve: they may reclaim) and
// installing them under lk, the child's address-space lock, so that
// uvmcopy(), which runs under both address-space locks, never allocates.
// old's tree changes only through its owner, the caller, so it is read
// without its lock. Returns 0, or -1 when out of memory (what was
// installed is freed with the child).
int
uvmcopy_reserve(pagetable_t old, pagetable_t new, uint64 lo, uint64 hi, struct spinlock *lk)
{
  uint64 span1 = 1UL << PXSHIFT(1);   // what one level-0 table maps: 2 MiB

  for(uint64 a = lo; a < hi; a += PGSIZE){
    if(walk_sparse(old, &a) == 0)
      continue;                        // a was moved to the end of the hole
    if(uvm_ptreserve(new, a, lk, 0) < 0)
      return -1;
    a |= span1 - PGSIZE;               // the rest of this table's span
  }
  return 0;
}

// Give a child's page table the memory [lo, hi) of its parent (one
// region), page by page (fork_page): holes, where the region may have
// them (holes set), stay holes. The walks go table by table, not from the
// root for every page. Returns 0, or -1 after undoing its work in [lo, hi)
// when out of memory.
int
uvmcopy(pagetable_t old, pagetable_t new, uint64 lo, uint64 hi, int holes)
{
  uint64 a, prev = 0;
  pte_t *pte = 0, *cpte = 0;
  int changed = 0, r = 0;

  for(a = lo; a < hi; a += PGSIZE){
    uint64 at = a;
    pte = walk_next(old, &a, pte);
    if(pte == 0 || (*pte & (PTE_V | PTE_SWAP)) == 0){
      KASSERT(holes, "uvmcopy: va %p not mapped in a region that has no holes", (void*)at);
      continue;
    }
    // The child's PTE: the next one of the same table, or a walk.
    cpte = cpte && PX(0, a) != 0 && a == prev + PGSIZE ? cpte + 1 : walk(new, a, 1);
    prev = a;
    if(cpte == 0){
      r = -1;   // no frame for a page-table page
      break;
    }
    KASSERT((*cpte & PTE_V) == 0, "uvmcopy: va %p already mapped in the child", (void*)a);
    if(copy_swapped(pte, cpte))
      continue;
    if((r = fork_page(pte, cpte)) < 0)
      break;
    // A frame both may write would carry each one's writes to the other.
    KASSERT(PTE2PA(*pte) != PTE2PA(*cpte) || ((*pte | *cpte) & PTE_W) == 0,
            "uvmcopy: va %p: after fork_page() parent and child share frame %p and %s "
            "may write it: a shared frame is read-only on both sides (both lose write "
            "permission, PTE_COW marks the writable ones)", (void*)a,
            (void*)PTE2PA(*pte), (*pte & PTE_W) ? "the parent" : "the child");
    changed |= r;
  }
  if(changed)
    sfence_vma(); // the parent runs on this hart with its old translations
  if(r < 0){
    uvmunmap(new, lo, (a - lo) / PGSIZE, UVM_FREE | UVM_HOLES);
    return -1;
  }
  return 0;
}

// Make a page inaccessible from user mode (the stack guard page).
void
uvmclear(pagetable_t pagetable, uint64 va)
{
  pte_t *pte = walk(pagetable, va, 0);
  KASSERT(pte != 0, "uvmclear: va %p not mapped", (void*)va);
  *pte &= ~PTE_U;
}

// Physical address of the user page holding va if the user may access it
// with `need` (PTE_R or PTE_W), or 0. A page the kernel is about to
// write is marked dirty (PTE_D), as the hardware does for user stores.
static uint64
user_page(pagetable_t pagetable, uint64 va, int need)
{
  if(va >= MAXVA)
    return 0;
  pte_t *pte = walk(pagetable, va, 0);
  if(pte == 0 || (*pte & (PTE_V | PTE_U | need)) != (PTE_V | PTE_U | need))
    return 0;
  if(need == PTE_W)
    *pte |= PTE_D;  // the kernel's write does not set it: the page is dirty (lab swap)
  return PTE2PA(*pte);
}

// user_page(), after letting the page-fault handler (fault.c) resolve a
// missing, read-only or swapped-out page, as if the process itself had
// touched it. Returns the page's physical address with *lk held when
// pagetable is the running process's own: its address-space lock, so that reclaim
// cannot take the frame away before the caller has copied and released
// *lk. Other page tables (exec's new one, no one's yet) get no handler
// and no lock (*lk = 0). Returns 0, with no lock held, when the page
// cannot be had.
static uint64
user_page_hold(pagetable_t pagetable, uint64 va, int need, struct spinlock **lk)
{
  struct proc *p = myproc();
  int own = p != 0 && p->as != 0 && p->as->pagetable == pagetable;

  *lk = own ? &p->as->lock : 0;
  // A resolved page may be taken by reclaim again before we lock it:
  // retry a few times, then report failure rather than loop forever.
  for(int tries = 0; tries < 4; tries++){
    if(*lk)
      acquire(*lk);
    uint64 pa = user_page(pagetable, va, need);
    if(pa)
      return pa;
    if(*lk)
      release(*lk);
    if(!own || va >= MAXVA ||
       fault_resolve(p, va, need == PTE_W ? FAULT_WRITE : FAULT_READ) != 0)
      break;
  }
  *lk = 0;
  return 0;
}

// Copy len bytes between kernel address kva and user address uva, page by
// page: to the user when to_user is set (every page must be user-writable),
// else from the user (every page must be user-readable). Pages that are
// not go through the page-fault handler first. Returns 0, or -1 at the
// first page the handler cannot provide.
static int
copy_user(pagetable_t pagetable, uint64 uva, char *kva, uint64 len, int to_user)
{
  while(len > 0){
    struct spinlock *lk;
    uint64 va0 = PGROUNDDOWN(uva);
    uint64 pa0 = user_page_hold(pagetable, va0, to_user ? PTE_W : PTE_R, &lk);
    if(pa0 == 0)
      return -1;
    uint64 n = PGSIZE - (uva - va0);
    if(n > len)
      n = len;
    char *ua = (char*)(pa0 + (uva - va0));
    if(to_user)
      memmove(ua, kva, n);
    else
      memmove(kva, ua, n);
    if(lk)
      release(lk);
    len -= n;
    kva += n;
    uva = va0 + PGSIZE;
  }
  return 0;
}

// Copy len bytes from the kernel to user address dstva. Returns 0, or -1
// when some destination byte is not a writable user address.
int
copyout(pagetable_t pagetable, uint64 dstva, char *src, uint64 len)
{
  return copy_user(pagetable, dstva, src, len, 1);
}

// Copy len bytes from user address srcva to the kernel. Returns 0, or -1
// when some source byte is not a readable user address.
int
copyin(pagetable_t pagetable, char *dst, uint64 srcva, uint64 len)
{
  return copy_user(pagetable, srcva, dst, len, 0);
}

// Copy a NUL-terminated string of at most max bytes (NUL included) from
// user address srcva. Returns 0, or -1 for a bad address or a string that
// does not fit.
int
copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max)
{
  while(max > 0){
    struct spinlock *lk;
    uint64 va0 = PGROUNDDOWN(srcva);
    uint64 pa0 = user_page_hold(pagetable, va0, PTE_R, &lk);
    if(pa0 == 0)
      return -1;
    char *p = (char*)(pa0 + (srcva - va0));
    uint64 n = PGSIZE - (srcva - va0);
    int done = 0;
    for(; n > 0 && max > 0 && !done; n--, max--, p++, dst++, srcva++){
      *dst = *p;
      done = *p == 0;
    }
    if(lk)
      release(lk);
    if(done)
      return 0;
  }
  return -1;
}

// Which line of the vmspace() report region r goes to.
static int
report_line(struct region *r)
{
  switch(r->kind){
  case REGION_IMAGE: return (r->prot & PTE_X) ? VMR_TEXT : VMR_DATA;
  case REGION_GUARD: return VMR_GUARD;
  case REGION_STACK: return VMR_STACK;
  default: return VMR_HEAP;
  }
}

// Count into *vr how the pages [lo, hi) of a page table are backed. The
// caller holds the lock that keeps the page table from changing.
static void
uvmspace_range(pagetable_t pagetable, uint64 lo, uint64 hi, struct vmregion *vr)
{
  pte_t *pte = 0;

  if(lo < vr->start)
    vr->start = lo;
  if(hi > vr->end)
    vr->end = hi;
  vr->pages += (hi - lo) / PGSIZE;
  for(uint64 a = lo; a < hi; a += PGSIZE){
    pte = walk_next(pagetable, &a, pte);
    pte_t e = pte ? *pte : 0;
    if((e & PTE_V) == 0){
      if(e & PTE_SWAP)
        vr->swapped++;
      continue;
    }
    if(fault_zero_frame(PTE2PA(e)))
      vr->zero++;
    else if(page_refcount(pa_to_page(PTE2PA(e))) > 1)
      vr->shared++;
    else
      vr->resident++;
  }
}

// How much of an address space vmspace() walks per hold of its lock: a
// spinlock keeps interrupts off, and a sparse heap of gigabytes must not
// stop this hart's clock for the whole walk.
#define VMSPACE_CHUNK (512 * PGSIZE)

// Fill *vs with how the pages of process pid's address space are backed,
// region by region, walking VMSPACE_CHUNK at a time under its lock, so
// the process may run, grow or shrink meanwhile (a region that changes
// between two pieces is reported as the walk saw it). Returns 0, or -1
// when pid has no live address space, or it went before the walk was
// done.
int
uvmspace(int pid, struct vmspace *vs)
{
  struct aspace *as = aspace_of_pid(pid);
  uint64 a = 0;
  int alive = as != 0;

  for(int r = 0; r < NVMR; r++)
    vs->r[r].start = ~0UL;
  while(alive){
    acquire(&as->lock);
    alive = as->state == AS_LIVE && as->pid == pid;
    // The region holding a, or the first one above it.
    struct region *r = 0;
    for(int i = 0; alive && i < as->nregion && r == 0; i++)
      if(as->region[i].end > a)
        r = &as->region[i];
    if(r){
      uint64 lo = a > r->start ? a : r->start;
      uint64 hi = lo + VMSPACE_CHUNK < r->end ? lo + VMSPACE_CHUNK : r->end;
      uvmspace_range(as->pagetable, lo, hi, &vs->r[report_line(r)]);
      a = hi;
    } else if(alive){
      vs->size = as->brk;
      vs->ptpages = uvm_ptpages(as->pagetable);
    }
    release(&as->lock);
    if(r == 0)
      break;
  }
  for(int r = 0; r < NVMR; r++)
    if(vs->r[r].pages == 0)
      vs->r[r].start = vs->r[r].end = 0;
  vs->pid = pid;
  return alive ? 0 : -1;
}

// What address space as costs: into *ram, its frames in RAM, each shared
// one counted as its share (1/refcount, in units of 1/PSS_ONE page: the
// proportional set size), into *swapped its pages on swap, and into
// *ptpages its page-table pages. The zero frame costs nothing. Caller
// holds as->lock.
void
uvmfootprint(struct aspace *as, uint64 *ram, uint64 *swapped, uint64 *ptpages)
{
  *ram = *swapped = 0;
  *ptpages = uvm_ptpages(as->pagetable);
  for(int i = 0; i < as->nregion; i++){
    pte_t *pte = 0;
    for(uint64 a = as->region[i].start; a < as->region[i].end; a += PGSIZE){
      pte = walk_next(as->pagetable, &a, pte);
      if(pte == 0)
        continue;
      if(*pte & PTE_SWAP)
        *swapped += 1;
      else if((*pte & PTE_V) && !fault_zero_frame(PTE2PA(*pte)))
        *ram += PSS_ONE / page_refcount(pa_to_page(PTE2PA(*pte)));
    }
  }
}

static void
vmprint_level(pagetable_t pagetable, int level, uint64 va_base)
{
  for(int i = 0; i < 512; i++){
    pte_t pte = pagetable[i];
    if((pte & PTE_V) == 0)
      continue;
    uint64 va = va_base | ((uint64)i << PXSHIFT(level));
    for(int d = 2; d >= level; d--)
      printf(" ..");
    printf("%d: va %p pte %p pa %p %s%s%s%s%s\n", i, (void*)va, (void*)pte, (void*)PTE2PA(pte),
           (pte & PTE_R) ? "r" : "-", (pte & PTE_W) ? "w" : "-",
           (pte & PTE_X) ? "x" : "-", (pte & PTE_U) ? "u" : "-",
           (pte & PTE_COW) ? " cow" : "");
    if((pte & (PTE_R | PTE_W | PTE_X)) == 0 && level > 0)
      vmprint_level((pagetable_t)PTE2PA(pte), level - 1, va);
  }
}

// Print a page table for humans (callable from gdb: `call vmprint(p->as->pagetable)`).
void
vmprint(pagetable_t pagetable)
{
  printf("page table %p\n", pagetable);
  vmprint_level(pagetable, 2, 0);
}
