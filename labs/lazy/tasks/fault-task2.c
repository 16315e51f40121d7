// Lab lazy after task 2 (labs/lazy/tasks/tasks.txt): the fault handler
// maps a fresh frame on any first touch of the heap; the zero page (task
// 4) is not there yet, so a valid PTE is never fault_lazy's.

// Map a fresh zeroed frame of p's own, writable, at page va, where there
// is nothing yet or (zero set) the zero frame. The frame is taken before
// the address-space lock (taking it may reclaim and sleep); only p itself
// maps pages into its table, so what was there is still there after.
// Returns 1, or -1 when out of memory.
static int
map_fresh(struct proc *p, uint64 va, int zero)
{
  void *mem = user_frame_alloc(va, 1);
  if(mem == 0)
    return -1;
  memset(mem, 0, PGSIZE);
  acquire(&p->vmlock);
  pte_t *pte = walk(p->pagetable, va, 0);
  if(zero){
    KASSERT(pte && fault_zero_frame(PTE2PA(*pte)), "map_fresh: va %p no longer maps the zero frame",
            (void*)va);
    *pte = PA2PTE(mem) | PTE_R | PTE_W | PTE_U | PTE_V;
    sfence_vma(); // this hart may still hold the read-only translation
  } else if(mappages(p->pagetable, va, PGSIZE, (uint64)mem, PTE_R | PTE_W | PTE_U) != 0){
    release(&p->vmlock);
    kput(mem); // no frame for a page-table page
    return -1;
  }
  release(&p->vmlock);
  vmstat_count(VMSTAT_FAULT_FRESH);
  return 1;
}

// Lab lazy, task 2: a fresh frame for the first touch of a heap page.
static int
fault_lazy(struct proc *p, uint64 va, enum fault_access access)
{
  if(va < p->heap_base || va >= PGROUNDUP(p->sz))
    return 0;
  acquire(&p->vmlock);
  pte_t *pte = walk(p->pagetable, va, 0);
  pte_t e = pte ? *pte : 0;
  release(&p->vmlock);
  if(e & PTE_V)
    return 0;
  return map_fresh(p, va, 0);
}
