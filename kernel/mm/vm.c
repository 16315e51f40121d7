// Sv39 page tables: the kernel's direct map and user address spaces.
//
// A page table is one frame of 512 PTEs; three levels translate a 39-bit
// virtual address (9+9+9 index bits over a 12-bit offset). The kernel
// page table maps the devices and all of RAM at their physical addresses,
// text read-execute and the rest read-write, plus the trampoline and the
// per-process kernel stacks at the top. User page tables follow xv6's
// layout (memlayout.h).
//
// Locking: a user page table belongs to its process; only that process's
// kernel thread (or its parent during fork, before the child runs) changes
// it. The kernel page table is written only during boot.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "mm/page.h"

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
      if(!alloc || (pagetable = (pde_t*)kalloc_as(PG_PAGETABLE)) == 0)
        return 0;
      memset(pagetable, 0, PGSIZE);
      *pte = PA2PTE(pagetable) | PTE_V;
    }
  }
  return &pagetable[PX(0, va)];
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
    KASSERT((*pte & PTE_V) == 0, "mappages: remap of va %p", (void*)a);
    *pte = PA2PTE(pa) | perm | PTE_V;
  }
  return 0;
}

// Remove npages mappings starting at va (page aligned), dropping the
// mapping's reference to each frame when do_free is set (kput: a frame
// goes back to the allocator with its last reference). Pages that are not
// mapped are skipped.
void
uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free)
{
  KASSERT(va % PGSIZE == 0, "uvmunmap: va %p not aligned", (void*)va);

  for(uint64 a = va; a < va + npages * PGSIZE; a += PGSIZE){
    pte_t *pte = walk(pagetable, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      continue;
    KASSERT(PTE_FLAGS(*pte) != PTE_V, "uvmunmap: va %p maps a page-table page", (void*)a);
    if(do_free)
      kput((void*)PTE2PA(*pte));
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
    char *mem = kalloc_as(PG_USER);
    if(mem == 0)
      goto bad;
    memset(mem, 0, PGSIZE);
    if(mappages(pagetable, a, PGSIZE, (uint64)mem, PTE_R | PTE_U | xperm) != 0){
      kfree(mem);
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
    uvmunmap(pagetable, PGROUNDUP(newsz), npages, 1);
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

// Free a user address space: the frames of [0, sz), then the page table.
void
uvmfree(pagetable_t pagetable, uint64 sz)
{
  if(sz > 0)
    uvmunmap(pagetable, 0, PGROUNDUP(sz) / PGSIZE, 1);
  freewalk(pagetable);
}

// Copy the memory [0, sz) of a parent into a child's empty page table,
// frame by frame. Returns 0, or -1 after undoing its work when out of
// memory.
int
uvmcopy(pagetable_t old, pagetable_t new, uint64 sz)
{
  uint64 a;

  for(a = 0; a < sz; a += PGSIZE){
    pte_t *pte = walk(old, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      continue;
    char *mem = kalloc_as(PG_USER);
    if(mem == 0)
      goto bad;
    memmove(mem, (char*)PTE2PA(*pte), PGSIZE);
    if(mappages(new, a, PGSIZE, (uint64)mem, PTE_FLAGS(*pte)) != 0){
      kfree(mem);
      goto bad;
    }
  }
  return 0;

bad:
  uvmunmap(new, 0, a / PGSIZE, 1);
  return -1;
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
// with `need` (PTE_R or PTE_W), or 0.
static uint64
user_page(pagetable_t pagetable, uint64 va, int need)
{
  if(va >= MAXVA)
    return 0;
  pte_t *pte = walk(pagetable, va, 0);
  if(pte == 0 || (*pte & (PTE_V | PTE_U | need)) != (PTE_V | PTE_U | need))
    return 0;
  return PTE2PA(*pte);
}

// user_page(), after letting the page-fault handler (fault.c) resolve a
// missing or read-only page, as if the process itself had touched it.
// Only the running process's own page table goes through the handler
// (exec copies into a new page table whose pages all exist).
static uint64
user_page_fault(pagetable_t pagetable, uint64 va, int need)
{
  uint64 pa = user_page(pagetable, va, need);
  struct proc *p = myproc();

  if(pa == 0 && va < MAXVA && p != 0 && p->pagetable == pagetable &&
     fault_resolve(p, va, need == PTE_W ? FAULT_WRITE : FAULT_READ) == 0)
    pa = user_page(pagetable, va, need);
  return pa;
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
    uint64 va0 = PGROUNDDOWN(uva);
    uint64 pa0 = user_page_fault(pagetable, va0, to_user ? PTE_W : PTE_R);
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
    uint64 va0 = PGROUNDDOWN(srcva);
    uint64 pa0 = user_page_fault(pagetable, va0, PTE_R);
    if(pa0 == 0)
      return -1;
    char *p = (char*)(pa0 + (srcva - va0));
    uint64 n = PGSIZE - (srcva - va0);
    for(; n > 0 && max > 0; n--, max--, p++, dst++, srcva++){
      *dst = *p;
      if(*p == 0)
        return 0;
    }
  }
  return -1;
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
    printf("%d: va %p pte %p pa %p %s%s%s%s\n", i, (void*)va, (void*)pte, (void*)PTE2PA(pte),
           (pte & PTE_R) ? "r" : "-", (pte & PTE_W) ? "w" : "-",
           (pte & PTE_X) ? "x" : "-", (pte & PTE_U) ? "u" : "-");
    if((pte & (PTE_R | PTE_W | PTE_X)) == 0 && level > 0)
      vmprint_level((pagetable_t)PTE2PA(pte), level - 1, va);
  }
}

// Print a page table for humans (callable from gdb: `call vmprint(p->pagetable)`).
void
vmprint(pagetable_t pagetable)
{
  printf("page table %p\n", pagetable);
  vmprint_level(pagetable, 2, 0);
}
