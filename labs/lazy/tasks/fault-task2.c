// Lab lazy after task 2 (labs/lazy/tasks/tasks.txt): the fault handler
// maps a fresh frame (map_fresh, in its final form) on any first touch of
// the heap; the zero page (task 4) is not there yet.

// Lab lazy, task 2: a fresh frame for the first touch of a heap page.
static __attribute__((noinline)) int
fault_lazy(struct fault *f)
{
  return map_fresh(f);
}
