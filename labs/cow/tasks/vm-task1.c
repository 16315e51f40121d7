// Lab cow after task 1 (labs/cow/tasks/tasks.txt): fork shares the
// frames of pages that are never written and still copies the others.

// Give the child the parent's page (parent PTE *pte) in the child's empty
// PTE *cpte: a page that is not writable shares the parent's frame, one
// more reference; a writable one is copied into a frame of the child's.
// Returns 0, or -1 when out of memory.
static int
fork_page(pte_t *pte, pte_t *cpte)
{
  uint64 pa = PTE2PA(*pte);

  if(!fault_zero_frame(pa)){
    if(*pte & PTE_W){
      char *mem = kalloc_as(PG_USER);
      if(mem == 0)
        return -1;
      memmove(mem, (char*)pa, PGSIZE);
      pa = (uint64)mem;
    } else
      page_ref_inc(pa_to_page(pa));
  }
  *cpte = PA2PTE(pa) | PTE_FLAGS(*pte);
  return 0;
}
