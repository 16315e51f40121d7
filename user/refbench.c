// refbench: workloads whose page reference strings are known on the host.
//
//   refbench frames                         memory figures, see below
//   refbench loop PAGES PASSES
//   refbench hotscan COLD HOT CHUNK CHUNKS
//   refbench zipf PAGES REFS SEED
//   refbench msort PAGES SEED
//   refbench family SHARED CHILDREN OWN TURNS
//
// Each workload touches its heap (grown with sbrk, one page = one 8-byte
// word touched, or 512 words for msort) in an order fixed by its
// arguments and seed; tools/replace/workloads.py makes the same page
// reference string on the host, and tools/bench-replace.py replays it
// through OPT, LRU, the clock, FIFO and the two-list policy to set the
// kernel's swap-ins beside them. The workload runs in a child; after it,
//
//   refbench: NAME: swap_in N fault N swap_out N scan N pt N kernel N
//
// gives the vmstat deltas and the page-table and kernel frames the run
// took (frames the workload's pages could not have). `refbench frames`
// prints `refbench: frames: total N free N user N` (memstat) for the tool
// to size the workloads. No floating point: the kernel does not save FP
// registers.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define PGSIZE 4096
#define WORDS (PGSIZE / 8)

static uint64 rng;

// Knuth's MMIX LCG, the same as workloads.py's lcg().
static uint64
next(void)
{
  rng = rng * 6364136223846793005UL + 1442695040888963407UL;
  return rng;
}

static uint64 *
grow(uint64 pages)
{
  char *p = sbrk(pages * PGSIZE);

  if(p == (char *)-1){
    printf("refbench: sbrk of %lu pages failed\n", pages);
    exit(1);
  }
  return (uint64 *)p;
}

// Touch one word of each page [from, to) of p: write or read.
static uint64
touch(uint64 *p, uint64 from, uint64 to, int write)
{
  uint64 sum = 0;

  for(uint64 i = from; i < to; i++){
    if(write)
      p[i * WORDS] = i;
    else
      sum += ((volatile uint64 *)p)[i * WORDS];
  }
  return sum;
}

static void
loop(uint64 *a)
{
  uint64 pages = a[0], *p = grow(pages);

  touch(p, 0, pages, 1);
  for(uint64 k = 0; k < a[1]; k++)
    touch(p, 0, pages, 0);
}

static void
hotscan(uint64 *a)
{
  uint64 cold = a[0], hot = a[1], chunk = a[2];
  uint64 *p = grow(cold + hot + chunk * a[3]);

  touch(p, 0, cold + hot, 1);
  for(uint64 k = 0; k < a[3]; k++){
    touch(p, cold + hot + k * chunk, cold + hot + (k + 1) * chunk, 1);
    touch(p, cold, cold + hot, 0);
  }
}

// Page pages * u^3 / 2^48 for u the top 16 bits of the LCG: a skew toward
// low pages without floating point.
static void
zipf(uint64 *a)
{
  uint64 pages = a[0], *p = grow(pages);

  touch(p, 0, pages, 1);
  rng = a[2];
  for(uint64 k = 0; k < a[1]; k++){
    uint64 u = next() >> 48;
    p[((pages * u * u * u) >> 48) * WORDS]++;
  }
}

// Shell sort of one page's words, in place: touches that page only.
static void
sort_page(uint64 *w)
{
  for(int gap = WORDS / 2; gap > 0; gap /= 2)
    for(int i = gap; i < WORDS; i++){
      uint64 v = w[i];
      int j = i;
      for(; j >= gap && w[j - gap] > v; j -= gap)
        w[j] = w[j - gap];
      w[j] = v;
    }
}

// Merge the sorted runs s[lo..mid) and s[mid..hi) into d[lo..hi).
static void
merge(uint64 *s, uint64 *d, uint64 lo, uint64 mid, uint64 hi)
{
  uint64 i = lo, j = mid, k = lo;

  while(i < mid && j < hi)
    d[k++] = s[i] <= s[j] ? s[i++] : s[j++];
  while(i < mid)
    d[k++] = s[i++];
  while(j < hi)
    d[k++] = s[j++];
}

static void
msort(uint64 *a)
{
  uint64 pages = a[0], n = pages * WORDS;
  uint64 *s = grow(2 * pages), *d = s + n;

  rng = a[1];
  for(uint64 i = 0; i < n; i++)
    s[i] = next();
  for(uint64 p = 0; p < pages; p++)
    sort_page(s + p * WORDS);
  for(uint64 width = WORDS; width < n; width *= 2){
    for(uint64 lo = 0; lo < n; lo += 2 * width)
      merge(s, d, lo, lo + width < n ? lo + width : n, lo + 2 * width < n ? lo + 2 * width : n);
    uint64 *t = s; s = d; d = t;
  }
  if(s > d)     // the sorted array ended in the buffer: copy it back, page by page
    for(uint64 p = 0; p < pages; p++)
      memmove(d + p * WORDS, s + p * WORDS, PGSIZE);
}

// Children take turns in order: child k waits for a byte on its pipe,
// runs one turn, and passes the byte to child k+1 (the last to child 0).
static void
family(uint64 *a)
{
  uint64 shared = a[0], nchild = a[1], own = a[2], turns = a[3];
  int fds[16][2];
  uint64 *p = grow(shared);
  char c = 0;

  if(nchild > 16)
    nchild = 16;
  touch(p, 0, shared, 1);
  for(int k = 0; k < nchild; k++)
    if(pipe(fds[k]) < 0)
      exit(1);
  for(int k = 0; k < nchild; k++){
    if(fork() != 0)
      continue;
    uint64 *mine = 0;
    for(uint64 t = 0; t < turns; t++){
      read(fds[k][0], &c, 1);
      touch(p, 0, shared, 0);
      if(mine == 0)
        mine = grow(own);
      touch(mine, 0, own, 1);
      if(k + 1 < nchild || t + 1 < turns)
        write(fds[(k + 1) % nchild][1], &c, 1);
    }
    exit(0);
  }
  write(fds[0][1], &c, 1);
  for(int k = 0; k < nchild; k++)
    wait(0);
}

struct workload {
  char *name;
  int nargs;
  void (*fn)(uint64 *);
} workloads[] = {
  { "loop", 2, loop },
  { "hotscan", 4, hotscan },
  { "zipf", 3, zipf },
  { "msort", 2, msort },
  { "family", 4, family },
};
#define NWORK (sizeof(workloads) / sizeof(workloads[0]))

static const int shown[] = { VMSTAT_SWAP_IN, VMSTAT_FAULT, VMSTAT_SWAP_OUT,
                             VMSTAT_RECLAIM_SCAN };
static char *labels[] = { "swap_in", "fault", "swap_out", "scan" };
#define NSHOWN (sizeof(shown) / sizeof(shown[0]))

// Run workload w with args a in a child and print its line.
static void
measure(struct workload *w, uint64 *a)
{
  uint64 before[NSHOWN];
  struct memstat m0, m1;
  int status = -1;

  memstat(&m0);
  for(int k = 0; k < NSHOWN; k++)
    before[k] = test_counter(shown[k]);
  int pid = fork();
  if(pid == 0){
    w->fn(a);
    memstat(&m1);   // before exit gives the page tables back
    printf("refbench: %s: pt %lu kernel %lu\n", w->name, m1.pagetable - m0.pagetable,
           m1.kernel - m0.kernel);
    exit(0);
  }
  if(pid < 0 || wait(&status) < 0 || status != 0){
    printf("refbench: %s: failed (status %d)\n", w->name, status);
    return;
  }
  printf("refbench: %s:", w->name);
  for(int k = 0; k < NSHOWN; k++)
    printf(" %s %lu", labels[k], test_counter(shown[k]) - before[k]);
  printf("\n");
}

int
main(int argc, char *argv[])
{
  struct memstat m;
  uint64 a[4];

  test_prog = "refbench";
  if(argc == 2 && strcmp(argv[1], "frames") == 0 && memstat(&m) == 0){
    printf("refbench: frames: total %lu free %lu user %lu\n", m.total, m.free, m.user);
    exit(0);
  }
  for(int i = 0; i < NWORK; i++){
    struct workload *w = &workloads[i];
    if(argc != 2 + w->nargs || strcmp(argv[1], w->name) != 0)
      continue;
    for(int k = 0; k < w->nargs; k++)
      a[k] = atoi(argv[2 + k]);
    measure(w, a);
    exit(0);
  }
  printf("usage: refbench frames | loop PAGES PASSES | hotscan COLD HOT CHUNK CHUNKS |\n"
         "       zipf PAGES REFS SEED | msort PAGES SEED | family SHARED CHILDREN OWN TURNS\n");
  exit(2);
}
