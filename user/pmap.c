// pmap: a process's address space by region, from the vmspace() system
// call.
//
//   pmap        this process
//   pmap PID    process PID
//
// One line per region (text, data, guard, stack, heap): its range
// [start, end), and how its pages are backed: resident (a private frame),
// zero (the shared zero frame), shared (a frame other address spaces map
// too), swapped (on the swap disk), and holes (nothing yet: lazy memory
// never touched). A line adds the columns up, and a last one gives the
// page-table pages the process's page table takes. Single-threaded: no
// locks.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

static char *region_names[NVMR] = {
  [VMR_TEXT] "text", [VMR_DATA] "data", [VMR_GUARD] "guard",
  [VMR_STACK] "stack", [VMR_HEAP] "heap",
};

// The pages of r that are backed by nothing: lazy memory not touched yet.
static uint64
holes(struct vmregion *r)
{
  uint64 backed = r->resident + r->zero + r->shared + r->swapped;
  return backed > r->pages ? 0 : r->pages - backed;
}

static void
row(char *name, struct vmregion *r, int range)
{
  if(range)
    printf("%-6s %p-%p", name, (void*)r->start, (void*)r->end);
  else
    printf("%-6s %37s", name, "");
  printf(" %8lu %8lu %8lu %8lu %8lu %8lu\n", r->pages, r->resident, r->zero,
         holes(r), r->shared, r->swapped);
}

int
main(int argc, char *argv[])
{
  struct vmspace vs;
  struct vmregion all;
  int pid = argc > 1 ? atoi(argv[1]) : 0;

  if(argc > 2 || (argc == 2 && pid <= 0)){
    fprintf(2, "usage: pmap [PID]\n");
    exit(2);
  }
  if(vmspace(pid, &vs) < 0){
    fprintf(2, "pmap: no process %d\n", pid);
    exit(1);
  }
  printf("pid %lu: size %p (%lu KiB)\n", vs.pid, (void*)vs.size, vs.size / 1024);
  printf("%-6s %-37s %8s %8s %8s %8s %8s %8s\n", "region", "range", "pages",
         "resident", "zero", "holes", "shared", "swapped");
  memset(&all, 0, sizeof(all));
  for(int i = 0; i < NVMR; i++){
    struct vmregion *r = &vs.r[i];
    row(region_names[i], r, 1);
    all.pages += r->pages;
    all.resident += r->resident;
    all.zero += r->zero;
    all.shared += r->shared;
    all.swapped += r->swapped;
  }
  row("total", &all, 0);
  // What the mappings cost beyond the pages mapped: charged to the
  // process (the out-of-memory killer counts them too).
  printf("page tables: %lu pages (%lu KiB)\n", vs.ptpages, vs.ptpages * 4);
  exit(0);
}
