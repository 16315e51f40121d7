// Lab cow after task 2 (labs/cow/tasks/tasks.txt): every COW write
// copies; the reuse shortcut of task 3 is not there yet.

// Lab cow, task 2: copy a COW page on its first write.
static __attribute__((noinline)) int
fault_cow(struct fault *f)
{
  pte_t e = f->pte;
  uint64 pa = PTE2PA(e);
  page_ref_inc(pa_to_page(pa));
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
