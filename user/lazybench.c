// lazybench: what lazy allocation costs and saves, measured from user
// space (tools/bench-lazy.py runs it on lab lazy's starter and on the
// complete kernel). It prints figures and asserts nothing:
//
//   lazybench: clock: rdtime at N Hz | uptime ticks
//   lazybench: NAME: VALUE UNIT
//   lazybench: done
//
//   sparse-64m     sbrk(64 MiB), write one page in 64, sbrk(-64 MiB): time
//                  per round, and the frames (user + page-table) it held
//   full-4m        sbrk(4 MiB), write every page, sbrk(-4 MiB): time per page
//   fault-zero     a read of an untouched page: one fault round trip that
//                  maps the zero frame (no allocation, no zeroing), less
//                  the same loop over mapped pages
//   fault-fresh    a write of an untouched page: fault, allocate, zero, map
//
//   lazybench [HZ]     HZ: the timebase frequency the kernel prints at boot
//                      (default 10000000, QEMU virt's)
//
// The clock is the `time` CSR when user mode may read it (rdtime), at the
// timebase frequency; else uptime ticks (1/TICK_HZ s), which run slow
// under a loaded emulator, over enough rounds. A child tries rdtime first:
// without the permission (scounteren.TM) it dies of an illegal
// instruction. On a
// kernel without lazy allocation there are no faults to time, and the
// fault figures read `-`. Times are emulated time under QEMU: compare
// variants within one run only.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define MiB (1024 * 1024)
#define SPARSE_BYTES (64 * MiB)
#define SPARSE_STRIDE (64 * PGSIZE)
#define FULL_BYTES (4 * MiB)
#define MIN_TICKS 50        // measure at least this long (0.5 s at 100 Hz)
#define QEMU_TIMEBASE 10000000

static uint64 hz;           // rdtime frequency; 0: use uptime ticks

// Whether user mode may read the time CSR: try it in a child.
static int
rdtime_works(void)
{
  int st;
  int pid = fork();
  if(pid == 0){
    test_rdtime();
    exit(0);
  }
  if(pid < 0 || wait(&st) != pid)
    return 0;
  return st == 0;
}

// Now in ns, on the chosen clock.
static uint64
now_ns(void)
{
  if(hz)
    return test_rdtime() * 1000 / (hz / 1000000);
  return (uint64)uptime() * (1000000000UL / TICK_HZ);
}

static uint64
frames_in_use(void)
{
  struct memstat m;
  if(memstat(&m) < 0)
    return 0;
  return m.user + m.pagetable;
}

// sbrk(64 MiB), one write per 64 pages, sbrk(-64 MiB), repeated for at
// least MIN_TICKS. Prints ns per round and frames held at the peak.
static void
sparse(void)
{
  uint64 before = frames_in_use(), peak = 0, rounds = 0;
  int start = uptime();
  uint64 t0 = now_ns();

  while(uptime() - start < MIN_TICKS || rounds < 3){
    char *p = sbrk(SPARSE_BYTES);
    if(p == (char*)-1){
      printf("lazybench: sparse-64m: sbrk failed\n");
      return;
    }
    for(uint64 off = 0; off < SPARSE_BYTES; off += SPARSE_STRIDE)
      p[off] = 1;
    if(rounds == 0)
      peak = frames_in_use() - before;
    sbrk(-SPARSE_BYTES);
    rounds++;
  }
  printf("lazybench: sparse-64m: %lu us/round\n", (now_ns() - t0) / rounds / 1000);
  printf("lazybench: sparse-64m-frames: %lu frames\n", peak);
}

// sbrk(4 MiB), a write to every page, sbrk(-4 MiB), repeated.
static void
full(void)
{
  uint64 rounds = 0, pages = FULL_BYTES / PGSIZE;
  int start = uptime();
  uint64 t0 = now_ns();

  while(uptime() - start < MIN_TICKS || rounds < 3){
    char *p = sbrk(FULL_BYTES);
    if(p == (char*)-1){
      printf("lazybench: full-4m: sbrk failed\n");
      return;
    }
    for(uint64 off = 0; off < FULL_BYTES; off += PGSIZE)
      p[off] = 1;
    sbrk(-FULL_BYTES);
    rounds++;
  }
  printf("lazybench: full-4m: %lu ns/page\n", (now_ns() - t0) / (rounds * pages));
}

// One access per page of a fresh 64 MiB heap (reads or writes), repeated;
// the loop over the same pages once mapped is subtracted. Prints ns per
// fault, or `-` when the heap came mapped (an eager sbrk: no faults).
static void
fault(char *name, int write)
{
  uint64 pages = SPARSE_BYTES / PGSIZE, rounds = 0, t_fault = 0, t_loop = 0;
  int start = uptime();
  struct memstat a, b;
  volatile char sink = 0;

  while(uptime() - start < MIN_TICKS || rounds < 3){
    memstat(&a);
    char *p = sbrk(SPARSE_BYTES);
    memstat(&b);
    if(p == (char*)-1 || b.user - a.user >= pages / 2){
      if(p != (char*)-1)
        sbrk(-SPARSE_BYTES);
      printf("lazybench: %s: - ns/fault (sbrk %s)\n", name,
             p == (char*)-1 ? "failed" : "is eager: no faults");
      return;
    }
    uint64 t0 = now_ns();
    for(uint64 off = 0; off < SPARSE_BYTES; off += PGSIZE){
      if(write) p[off] = 1; else sink += p[off];
    }
    uint64 t1 = now_ns();
    for(uint64 off = 0; off < SPARSE_BYTES; off += PGSIZE){
      if(write) p[off] = 1; else sink += p[off];
    }
    t_loop += now_ns() - t1;
    t_fault += t1 - t0;
    sbrk(-SPARSE_BYTES);
    rounds++;
  }
  uint64 loop = t_loop < t_fault ? t_loop : 0;
  printf("lazybench: %s: %lu ns/fault\n", name, (t_fault - loop) / (rounds * pages));
}

int
main(int argc, char *argv[])
{
  hz = argc > 1 ? atoi(argv[1]) : QEMU_TIMEBASE;
  if(hz >= 1000000 && rdtime_works())
    printf("lazybench: clock: rdtime at %lu Hz\n", hz);
  else {
    hz = 0;
    printf("lazybench: clock: uptime ticks (rdtime traps in user mode)\n");
  }
  sparse();
  full();
  fault("fault-zero", 0);
  fault("fault-fresh", 1);
  printf("lazybench: done\n");
  exit(0);
}
