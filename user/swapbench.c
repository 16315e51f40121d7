// Lab swap: what page replacement costs, measured from user space.
//
//   swapbench            run every workload
//   swapbench NAME       run one (seq-scan, hot-fresh, fork-family)
//
// Each workload runs in a child of its own and is sized from memstat's
// total frames, so it exceeds RAM whatever `MEM=` says. After it, one line
//
//   swapbench: NAME: fault N swap_in N swap_shared N swap_out N swap_clean N scan N rmap_walk N ms N
//
// gives the vmstat deltas (page faults, pages read from swap, faults on
// swap that found the page in RAM because a process sharing it had read
// it, pages written to swap, pages evicted without a write because their
// copy on swap was still good, frames the replacement hand looked at,
// page-table walks the reverse map made for them) and the emulated time; `swapbench: done` ends the run. tools/bench-swap.py boots
// the kernel once with the clock and once with reclaim=fifo and prints the
// two side by side. Emulated time follows the host's load: compare counts.
//
// The workloads:
//   seq-scan     1.5 x RAM written, then read in order twice: a loop
//                larger than RAM, the worst case of every LRU-like policy.
//   hot-fresh    RAM/4 cold pages written once, then a hot set of RAM/4
//                pages, then 2 x RAM of fresh pages written in chunks of
//                RAM/64 with the whole hot set read after each chunk (the
//                pattern of swaptest clock-keeps-hot). A hot page is used
//                again long before the hand comes back to it, so the
//                clock keeps it; FIFO evicts the hot set once per RAM's
//                worth of new pages and reads it all back.
//   fork-family  a parent writes RAM/2 pages and forks 3 children that
//                read them all (shared copy-on-write), each also writing
//                RAM/4 private pages: shared pages compete with private.
//
// Why hot-fresh writes cold pages first. The clock needs pages that the
// hand finds unused. When RAM first fills, every page was used since the
// hand's last pass (there was none), so one reclaim call clears every
// accessed bit and then evicts from the front of the list, as FIFO would;
// so does every second sweep after it, since every page then on the list
// came in or was used after the sweep before. The cold pages, written
// first, are what the first such sweep evicts, as a program's input read
// before it builds its tables would be, and the hot set behind them stays
// more than a chunk from the front at the later ones. Without them the hot
// set, mapped first, goes at once, and whether the clock keeps it later
// depends on where the hand stops within a chunk, that is on the exact
// number of free frames. (An earlier hot-cold workload walked a cold set
// already on swap a slice per round: most of its swap-ins were of cold
// pages, which no policy saves, so it hid the clock's gain.)
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define PGSIZE 4096
#define SCANS 2              // seq-scan: read passes after the write
#define FRESH_CHUNKS 128     // hot-fresh: chunks of RAM/64 fresh pages (2 x RAM)
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
hot_fresh(void)
{
  uint64 cold = ram / 4, hot = ram / 4, chunk = ram / 64;
  char *c = grow(cold), *h = grow(hot), *f = grow(chunk * FRESH_CHUNKS);

  write_range(c, 0, cold);
  write_range(h, 0, hot);
  for(uint64 k = 0; k < FRESH_CHUNKS; k++){
    write_range(f, k * chunk, (k + 1) * chunk);
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

struct workload {
  char *name;
  void (*fn)(void);
} workloads[] = {
  { "seq-scan", seq_scan },
  { "hot-fresh", hot_fresh },
  { "fork-family", fork_family },
};
#define NWORK (sizeof(workloads) / sizeof(workloads[0]))

static const int shown[] = { VMSTAT_FAULT, VMSTAT_SWAP_IN, VMSTAT_SWAP_SHARED,
                             VMSTAT_SWAP_OUT, VMSTAT_SWAP_CLEAN, VMSTAT_RECLAIM_SCAN,
                             VMSTAT_RMAP_WALK };
static char *labels[] = { "fault", "swap_in", "swap_shared", "swap_out", "swap_clean",
                          "scan", "rmap_walk" };
#define NSHOWN (sizeof(shown) / sizeof(shown[0]))

// Run workload w in a child and print its line.
static void
measure(struct workload *w)
{
  uint64 before[NSHOWN], start = uptime();
  int status = -1;

  for(int k = 0; k < NSHOWN; k++)
    before[k] = test_counter(shown[k]);
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
    printf(" %s %lu", labels[k], test_counter(shown[k]) - before[k]);
  printf(" ms %lu\n", (uptime() - start) * MS_PER_TICK);
}

int
main(int argc, char *argv[])
{
  int ran = 0;

  test_prog = "swapbench";
  ram = test_mem().total;
  for(int i = 0; i < NWORK; i++){
    if(argc > 1 && strcmp(argv[1], workloads[i].name) != 0)
      continue;
    measure(&workloads[i]);
    ran++;
  }
  if(ran == 0){
    printf("usage: swapbench [seq-scan|hot-fresh|fork-family]\n");
    exit(2);
  }
  printf("swapbench: done\n");
  exit(0);
}
