// vmstat: the memory system's event counters since boot, from the
// vmstat() system call, one per line as `name: value`:
//
//   fault: 1234
//   fault_bad: 2
//   fault_zero: 310
//   ...
//
// A counter of a mechanism this kernel has not built yet stays 0. A
// kernel that keeps more counters than this program knows prints them as
// `counter_N`. Single-threaded: no locks.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

// Indexed by VMSTAT_* (kernel/memstat.h).
static char *names[] = VMSTAT_NAMES;
_Static_assert(sizeof(names) / sizeof(names[0]) == NVMSTAT, "a name for every counter");

int
main(void)
{
  struct vmstat v;

  if(vmstat(&v) < 0){
    fprintf(2, "vmstat: vmstat() failed\n");
    exit(1);
  }
  for(uint64 i = 0; i < v.ncounters && i < VMSTAT_MAX; i++){
    if(i < NVMSTAT)
      printf("%s: %lu\n", names[i], v.count[i]);
    else
      printf("counter_%lu: %lu\n", i, v.count[i]);
  }
  exit(0);
}
