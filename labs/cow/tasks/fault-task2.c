// Lab cow after task 2 (labs/cow/tasks/tasks.txt): every COW write
// copies; the reuse shortcut of task 3 is not there yet.

// Lab cow, task 2: copy a COW page on its first write.
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
