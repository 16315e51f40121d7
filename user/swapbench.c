// Lab swap: what page replacement costs, measured from user space.
//
//   swapbench            run every workload
//   swapbench NAME       run one (seq-scan, hot-cold, fork-family)
//
// Each workload runs in a child of its own and is sized from memstat's
// total frames, so it exceeds RAM whatever `MEM=` says. After it, one line
//
//   swapbench: NAME: fault N swap_in N swap_out N scan N ms N
//
// gives the vmstat deltas (page faults, pages read from and written to
// swap, frames the replacement hand looked at) and the emulated time;
// `swapbench: done` ends the run. tools/bench-swap.py boots the kernel
// once with the clock and once with reclaim=fifo and prints the two side
// by side. Emulated time: compare policies within one run.
//
// The workloads:
//   seq-scan     1.5 x RAM written, then read in order twice: a loop
//                larger than RAM, the worst case of every LRU-like policy.
//   hot-cold     a hot set of RAM/4 pages read every round while a cold
//                set of 1.5 x RAM is walked a slice per round: a policy
//                that sees use keeps the hot set, FIFO throws it out.
//   fork-family  a parent writes RAM/2 pages and forks 3 children that
//                read them all (shared copy-on-write), each also writing
//                RAM/4 private pages: shared pages compete with private.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define PGSIZE 4096
#define SCANS 2              // seq-scan: read passes after the write
#define HOT_ROUNDS 16        // hot-cold: rounds
#define FAMILY 3             // fork-family: children
#define FAMILY_PASSES 3      // fork-family: passes of each child
#define MS_PER_TICK 10

static uint64 ram;           // frames of RAM (memstat total)

static char *
grow(uint64 pages)
{
  char *p = sbrk(pages * PGSIZE);

  if(p == (char *)-1){
    printf("swapbench: sbrk of %lu pages failed\n", pages);
    exit(1);
  }
  return p;
}

// Write one word in each of pages [from, to) of p.
static void
write_range(char *p, uint64 from, uint64 to)
{
  for(uint64 i = from; i < to; i++)
    *(volatile uint64 *)(p + i * PGSIZE) = i;
}

// Read one word in each of pages [from, to) of p; returns their sum.
static uint64
read_range(char *p, uint64 from, uint64 to)
{
  uint64 sum = 0;

  for(uint64 i = from; i < to; i++)
    sum += *(volatile uint64 *)(p + i * PGSIZE);
  return sum;
}

static void
seq_scan(void)
{
  uint64 n = ram + ram / 2;
  char *p = grow(n);

  write_range(p, 0, n);
  for(int pass = 0; pass < SCANS; pass++)
    read_range(p, 0, n);
}

static void
hot_cold(void)
{
  uint64 hot = ram / 4, cold = ram + ram / 2;
  uint64 slice = cold / HOT_ROUNDS;
  char *h = grow(hot), *c = grow(cold);

  write_range(h, 0, hot);
  write_range(c, 0, cold);
  for(int r = 0; r < HOT_ROUNDS; r++){
    read_range(h, 0, hot);
    write_range(c, r * slice, (r + 1) * slice);
    read_range(h, 0, hot);
  }
}

static void
fork_family(void)
{
  uint64 shared = ram / 2, own = ram / 4;
  char *p = grow(shared);

  write_range(p, 0, shared);
  for(int k = 0; k < FAMILY; k++){
    if(fork() == 0){
      char *mine = grow(own);
      for(int pass = 0; pass < FAMILY_PASSES; pass++){
        read_range(p, 0, shared);
        write_range(mine, 0, own);
      }
      exit(0);
    }
  }
  for(int k = 0; k < FAMILY; k++)
    wait(0);
}

static uint64
counter(int what)
{
  struct vmstat vs;

  if(vmstat(&vs) < 0 || what >= vs.ncounters)
    return 0;
  return vs.count[what];
}

struct workload {
  char *name;
  void (*fn)(void);
} workloads[] = {
  { "seq-scan", seq_scan },
  { "hot-cold", hot_cold },
  { "fork-family", fork_family },
};
#define NWORK (sizeof(workloads) / sizeof(workloads[0]))

static const int shown[] = { VMSTAT_FAULT, VMSTAT_SWAP_IN, VMSTAT_SWAP_OUT,
                             VMSTAT_RECLAIM_SCAN };
static char *labels[] = { "fault", "swap_in", "swap_out", "scan" };
#define NSHOWN (sizeof(shown) / sizeof(shown[0]))

// Run workload w in a child and print its line.
static void
measure(struct workload *w)
{
  uint64 before[NSHOWN], start = uptime();
  int status = -1;

  for(int k = 0; k < NSHOWN; k++)
    before[k] = counter(shown[k]);
  int pid = fork();
  if(pid == 0){
    w->fn();
    exit(0);
  }
  if(pid < 0 || wait(&status) < 0 || status != 0){
    printf("swapbench: %s: failed (status %d)\n", w->name, status);
    return;
  }
  printf("swapbench: %s:", w->name);
  for(int k = 0; k < NSHOWN; k++)
    printf(" %s %lu", labels[k], counter(shown[k]) - before[k]);
  printf(" ms %lu\n", (uptime() - start) * MS_PER_TICK);
}

int
main(int argc, char *argv[])
{
  struct memstat m;
  int ran = 0;

  if(memstat(&m) < 0){
    printf("swapbench: memstat failed\n");
    exit(1);
  }
  ram = m.total;
  for(int i = 0; i < NWORK; i++){
    if(argc > 1 && strcmp(argv[1], workloads[i].name) != 0)
      continue;
    measure(&workloads[i]);
    ran++;
  }
  if(ran == 0){
    printf("usage: swapbench [seq-scan|hot-cold|fork-family]\n");
    exit(2);
  }
  printf("swapbench: done\n");
  exit(0);
}
