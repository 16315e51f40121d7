// Lab lazy after task 2 (labs/lazy/tasks/tasks.txt): the fault handler
// maps a fresh frame (map_fresh, in its final form) on any first touch of
// the heap; the zero page (task 4) is not there yet, so a valid PTE is
// never fault_lazy's.

// Lab lazy, task 2: a fresh frame for the first touch of a heap page.
static int
fault_lazy(struct proc *p, uint64 va, enum fault_access access)
{
  struct region *heap = region_find(p->as, va);
  if(heap == 0 || heap->kind != REGION_HEAP)
    return 0;
  acquire(&p->as->lock);
  pte_t *pte = walk(p->as->pagetable, va, 0);
  pte_t e = pte ? *pte : 0;
  release(&p->as->lock);
  if(e & PTE_V)
    return 0;
  return map_fresh(p, va, 0);
}
