// Lab buddy: tests of the buddy allocator from user space, through the
// test-only kmemtest() system call (kernel option selftest:
// make qemu KOPTS=selftest).
//
//   buddytest                 run every test
//   buddytest NAME            run one (random takes a seed: random 42)
//   buddytest alloc ORDER [N] allocate N blocks of 2^ORDER frames and keep
//                             them, to look at with buddyinfo and memmap
//   buddytest scatter [N]     hold N single frames, every other one of a
//                             run: free memory that cannot merge
//   buddytest free H|all      free the block with handle H, or every block
//
// Each test prints `buddytest: NAME: ok` or `buddytest: NAME: FAIL why`
// (details on lines starting `buddytest:   `), and `buddytest: done` at
// the end; graders match these lines. Every test checks that the free
// blocks per order (buddyinfo) and the free frames (memstat) are back at
// their starting figures when it is done: the allocator must merge every
// freed block back completely.
//
// kmemtest handles are global to the machine, not per process, so a test
// remembers the handles it allocated and frees exactly those. The tests
// themselves allocate nothing else (no malloc, no heap growth), so the
// figures they compare do not move under them. Single-threaded except
// forkstorm, whose processes share nothing but the kernel.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define NORDER BUDDY_NORDER
#define NLIVE 100          // random: live blocks at most
#define NSTEP 400          // random: allocations and frees
#define NCHILD 3           // forkstorm: children at once, one per hart
#define CHILD_ROUNDS 100   // forkstorm: alloc/free rounds per child
#define CHILD_LIVE 8       // forkstorm: blocks a child holds at most
#define EXHAUST_ORDER 8    // exhaust: 1 MiB blocks
#define PGSIZE 4096

static int failed;

// What a test compares at its end with its start.
struct figures {
  struct buddyinfo bi;
  struct memstat ms;
};

// A block a test holds: its kmemtest handle, order and first frame number.
struct block {
  int h, order, pfn;
};

// ---- a small random generator (xorshift32): the same run for a seed ----

static uint rng_state = 1;

static void
rng_seed(uint seed)
{
  rng_state = seed ? seed : 0x9e3779b9;
}

static int
rnd(int n)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state % n;
}

// ---- figures ----

// Read the free blocks per order and the frame counts into *f. Returns 0,
// or a reason when the allocator cannot report them.
static char *
figures(struct figures *f)
{
  memset(f, 0, sizeof(*f));
  if(buddyinfo(&f->bi) < 0)
    return "buddyinfo() returned -1: the allocator has no orders yet";
  if(f->bi.norder != NORDER)
    return "buddyinfo() reports a number of orders other than 11";
  if(memstat(&f->ms) < 0)
    return "memstat() failed";
  return 0;
}

static void
print_counts(char *label, struct buddyinfo *bi)
{
  printf("buddytest:   %s", label);
  for(int k = 0; k < NORDER; k++)
    printf(" %lu", bi->nfree[k]);
  printf("\n");
}

// Compare the figures now with *start. Returns 0 when free blocks per
// order and free frames are back where they were, else a reason (after
// printing both sets of counts).
static char *
back_to_start(struct figures *start)
{
  struct figures now;
  char *why = figures(&now);

  if(why)
    return why;
  if(memcmp(&now.bi, &start->bi, sizeof(now.bi)) == 0 && now.ms.free == start->ms.free)
    return 0;
  print_counts("free blocks per order at the start:", &start->bi);
  print_counts("free blocks per order now:         ", &now.bi);
  printf("buddytest:   free frames at the start %lu, now %lu\n",
         start->ms.free, now.ms.free);
  if(now.ms.free != start->ms.free)
    return "free frames differ from the start: a block was leaked or freed twice";
  return "free blocks per order differ from the start: freed blocks did not merge back";
}

// Free frames the free lists hold, by buddyinfo: sum of nfree[k] * 2^k.
static uint64
list_frames(struct buddyinfo *bi)
{
  uint64 n = 0;
  for(int k = 0; k < NORDER; k++)
    n += bi->nfree[k] << k;
  return n;
}

// ---- blocks through kmemtest ----

// Allocate a block of 2^order frames into *b. Returns 0 and fills *b, -1
// when the kernel has none (b->h is then -1).
static int
take(struct block *b, int order)
{
  b->order = order;
  b->pfn = -1;
  if((b->h = kmemtest(KMEMTEST_ALLOC, order)) < 0)
    return -1;
  b->pfn = kmemtest(KMEMTEST_PFN, b->h);
  return 0;
}

// Free a block taken with take(). Returns 0, or a reason.
static char *
give(struct block *b)
{
  int r = kmemtest(KMEMTEST_FREE, b->h);

  b->h = -1;
  if(r == -2)
    return "a block's contents changed while it was allocated: two blocks overlap";
  if(r < 0)
    return "kmemtest could not free a block it handed out";
  return 0;
}

// Free every block of bs[0..n) that is still held. Returns the first
// reason a free failed, or 0.
static char *
give_all(struct block *bs, int n)
{
  char *why = 0, *w;

  for(int i = 0; i < n; i++)
    if(bs[i].h >= 0 && (w = give(&bs[i])) != 0 && why == 0)
      why = w;
  return why;
}

// The end of a test: free the blocks of bs[0..n) still held and check
// that the figures are back at start. Returns the first reason the test
// failed: why (its own), a free that failed, or figures not back; 0 if
// none.
static char *
finish(char *why, struct block *bs, int n, struct figures *start)
{
  char *w = give_all(bs, n);

  if(why == 0)
    why = w;
  if(why == 0)
    why = back_to_start(start);
  return why;
}

// Does block b lie on its size's boundary?
static int
aligned(struct block *b)
{
  return b->pfn >= 0 && b->pfn % (1 << b->order) == 0;
}

// Do two blocks share a frame?
static int
overlap(struct block *a, struct block *b)
{
  return a->pfn < b->pfn + (1 << b->order) && b->pfn < a->pfn + (1 << a->order);
}

// ---- the tests ----

// One block of every order 0..10: aligned to its size, it takes exactly
// 2^order frames, and everything merges back once it is freed.
static char *
orders(char *arg)
{
  struct figures start, during;
  struct block b;
  char *why;

  if((why = figures(&start)) != 0)
    return why;
  for(int order = 0; order < NORDER; order++){
    if(take(&b, order) < 0){
      printf("buddytest:   no block of order %d\n", order);
      return "could not allocate a block of an order that has free memory";
    }
    figures(&during);
    if(!aligned(&b)){
      printf("buddytest:   order-%d block at pfn 0x%x\n", order, b.pfn);
      give(&b);
      return "a block is not aligned to its size (pfn % 2^order != 0)";
    }
    if(start.ms.free - during.ms.free != (1 << order) ||
       list_frames(&during.bi) != during.ms.free){
      give(&b);
      return "allocating a block of 2^order frames did not take exactly 2^order free frames";
    }
    if((why = give(&b)) != 0)
      return why;
    if((why = back_to_start(&start)) != 0){
      printf("buddytest:   after freeing the order-%d block\n", order);
      return why;
    }
  }
  return 0;
}

// Check that b is aligned and shares no frame with a live block of bs.
static char *
check_new(struct block *b, struct block *bs, int n)
{
  if(!aligned(b)){
    printf("buddytest:   order-%d block at pfn 0x%x\n", b->order, b->pfn);
    return "a block is not aligned to its size";
  }
  for(int j = 0; j < n; j++){
    if(&bs[j] != b && bs[j].h >= 0 && overlap(b, &bs[j])){
      printf("buddytest:   order-%d block at pfn 0x%x overlaps order-%d block at pfn 0x%x\n",
             b->order, b->pfn, bs[j].order, bs[j].pfn);
      return "two live blocks share frames";
    }
  }
  return 0;
}

// One step of a random run over the blocks bs[0..n): the block in a
// random slot is freed if held, else one of order 0..orders-1 is taken
// there and checked against the others. Returns why the step failed, or
// 0; none: the reason when no block could be taken.
static char *
random_step(struct block *bs, int n, int orders, char *none)
{
  struct block *b = &bs[rnd(n)];

  if(b->h >= 0)
    return give(b);
  if(take(b, rnd(orders)) < 0)
    return none;
  return check_new(b, bs, n);
}

// A few hundred random allocations and frees of orders 0..6 with up to
// NLIVE blocks live: no two live blocks overlap, the allocator's own check
// passes, and all merges back. arg: the seed (default: from uptime).
static char *
randomized(char *arg)
{
  static struct block bs[NLIVE];
  struct figures start;
  char *why;
  uint seed = arg ? atoi(arg) : uptime() * 7919 + getpid();

  printf("buddytest:   random: seed %d (replay: buddytest random %d)\n", seed, seed);
  rng_seed(seed);
  if((why = figures(&start)) != 0)
    return why;
  for(int i = 0; i < NLIVE; i++)
    bs[i].h = -1;
  for(int step = 0; step < NSTEP && why == 0; step++)
    why = random_step(bs, NLIVE, 7, "could not allocate a block of order 0..6 "
                      "with plenty of memory free");
  if(why == 0 && kmemtest(KMEMTEST_CHECK, 0) != 0)
    why = "kalloc_check() found violations (see the kernel's lines above)";
  why = finish(why, bs, NLIVE, &start);
  if(why)
    printf("buddytest:   random: failed with seed %d\n", seed);
  return why;
}

// A grandchild of forkstorm: grow the heap, touch it, maybe hold a kernel
// block for a moment, and exit. Exit status 0 when all went well.
static void
grandchild(void)
{
  int pages = 1 + rnd(16);
  char *p = sbrk(pages * PGSIZE);
  struct block b;

  if(p == (char*)-1)
    exit(1);
  for(int i = 0; i < pages; i++)
    p[i * PGSIZE] = i;
  if(rnd(2) && take(&b, rnd(4)) == 0 && give(&b) != 0)
    exit(2);
  exit(0);
}

// A child of forkstorm: random kernel blocks, with grandchildren forked and
// reaped along the way. Exits 0, or 1 after printing what went wrong.
static void
storm_child(int me)
{
  struct block bs[CHILD_LIVE];
  char *why = 0;
  int bad = 0;

  rng_seed(getpid() * 2654435761u + me);
  for(int i = 0; i < CHILD_LIVE; i++)
    bs[i].h = -1;
  for(int r = 0; r < CHILD_ROUNDS && why == 0; r++){
    why = random_step(bs, CHILD_LIVE, 5, "could not allocate a block of order 0..4");
    if(r % 3 == 0){
      int pid = fork();
      if(pid == 0)
        grandchild();
      if(pid < 0)
        why = "fork failed";
    }
    if(r % 8 == 7)
      bad += test_wait_all();
  }
  char *w = give_all(bs, CHILD_LIVE);
  bad += test_wait_all();
  if(why == 0)
    why = w;
  if(why == 0 && bad)
    why = "a grandchild failed (sbrk, or a kernel block that changed)";
  if(why){
    printf("buddytest:   forkstorm child %d: %s\n", me, why);
    exit(1);
  }
  exit(0);
}

// NCHILD children at once, each allocating and freeing kernel blocks and
// forking grandchildren that grow their heaps: afterwards the allocator's
// check (which reports any two free buddies left unmerged) passes and the
// free frames are as they were. The free blocks per order may differ: with
// copy-on-write fork, a page this process writes while a child still
// shares it moves to another frame.
static char *
forkstorm(char *arg)
{
  struct figures start;
  char *why;

  if((why = figures(&start)) != 0)
    return why;
  for(int i = 0; i < NCHILD; i++){
    int pid = fork();
    if(pid < 0){
      why = "fork failed";
      break;
    }
    if(pid == 0)
      storm_child(i);
  }
  if(test_wait_all() != 0 && why == 0)
    why = "a child failed (its reason is printed above)";
  if(why == 0 && kmemtest(KMEMTEST_CHECK, 0) != 0)
    why = "kalloc_check() found violations after the storm (see the kernel's lines above)";
  struct figures now;
  if(why == 0 && (why = figures(&now)) == 0 && now.ms.free != start.ms.free){
    printf("buddytest:   free frames at the start %lu, now %lu\n", start.ms.free, now.ms.free);
    why = "free frames differ from the start: a block was leaked or freed twice";
  }
  return why;
}

// Order-8 blocks until there are none (or KMEMTEST_MAX of them): at least
// one, each aligned, and when allocation fails no free block of order 8 or
// above is left. Then all merges back.
static char *
exhaust(char *arg)
{
  static struct block bs[KMEMTEST_MAX];
  struct figures start, empty;
  char *why;
  int n = 0;

  if((why = figures(&start)) != 0)
    return why;
  while(n < KMEMTEST_MAX && take(&bs[n], EXHAUST_ORDER) == 0){
    if(!aligned(&bs[n]))
      why = "a block is not aligned to its size";
    n++;
  }
  printf("buddytest:   exhaust: %d blocks of order %d\n", n, EXHAUST_ORDER);
  figures(&empty);
  if(why == 0 && n == 0)
    why = "not a single order-8 block could be allocated";
  if(why == 0 && start.ms.free - empty.ms.free != (uint64)n << EXHAUST_ORDER)
    why = "the blocks did not take exactly 256 free frames each";
  if(why == 0 && n < KMEMTEST_MAX)
    for(int k = EXHAUST_ORDER; k < NORDER; k++)
      if(empty.bi.nfree[k] != 0)
        why = "allocation failed while buddyinfo still shows a free block of order 8 or above";
  if(why == 0 && kmemtest(KMEMTEST_CHECK, 0) != 0)
    why = "kalloc_check() found violations with the large blocks gone";
  return finish(why, bs, n, &start);
}

// The smallest order that has a free block, or -1.
static int
smallest_free(struct buddyinfo *bi)
{
  for(int k = 0; k < NORDER; k++)
    if(bi->nfree[k] > 0)
      return k;
  return -1;
}

// Allocate one frame when the smallest free block has order k > 0: the
// block splits into one free half at each order 0..k-1. Freeing the frame
// merges them all back. Free order-0 blocks are taken out of the way
// first, so that a split must happen.
static char *
split_merge(char *arg)
{
  static struct block held[KMEMTEST_MAX];
  struct figures start, before, after;
  struct block b;
  char *why;
  int nheld = 0, k;

  if((why = figures(&start)) != 0)
    return why;
  before = start;
  while((k = smallest_free(&before.bi)) == 0 && nheld < KMEMTEST_MAX / 2){
    if(take(&held[nheld], 0) < 0)
      break;
    nheld++;
    figures(&before);
  }
  if(k <= 0){
    give_all(held, nheld);
    return "could not use up the free single frames (order 0) to make one allocation split a block";
  }
  if(take(&b, 0) < 0)
    why = "could not allocate one frame";
  else {
    figures(&after);
    for(int j = 0; j < NORDER && why == 0; j++){
      uint64 want = before.bi.nfree[j] + (j < k) - (j == k);
      if(after.bi.nfree[j] != want){
        printf("buddytest:   smallest free block had order %d\n", k);
        print_counts("free blocks per order before:", &before.bi);
        print_counts("after allocating one frame:  ", &after.bi);
        why = "splitting an order-k block for one frame must leave one free block at each order 0..k-1";
      }
    }
    why = finish(why, &b, 1, &before);
  }
  return finish(why, held, nheld, &start);
}

// ---- tools: hold blocks to look at with buddyinfo and memmap ----

// buddytest alloc ORDER [N]: allocate and keep N blocks, printing each.
static int
hold(int argc, char *argv[])
{
  int order = argc > 2 ? atoi(argv[2]) : -1;
  int n = argc > 3 ? atoi(argv[3]) : 1;
  struct block b;

  if(argc < 3 || order < 0 || order >= NORDER || n < 1){
    fprintf(2, "usage: buddytest alloc ORDER [COUNT]\n");
    return 1;
  }
  for(int i = 0; i < n; i++){
    if(take(&b, order) < 0){
      printf("buddytest: alloc: no block of order %d (%d allocated)\n", order, i);
      return 1;
    }
    printf("buddytest: handle %d: order %d at 0x%lx (pfn 0x%x)\n", b.h, order,
           (uint64)b.pfn * PGSIZE, b.pfn);
  }
  return 0;
}

// buddytest scatter [N]: allocate 2N single frames, free every other one
// and keep the rest: N free frames that cannot merge with their buddies,
// the picture of external fragmentation.
static int
scatter(int argc, char *argv[])
{
  static struct block bs[2 * KMEMTEST_MAX];
  int n = argc > 2 ? atoi(argv[2]) : 128;
  int got = 0;

  if(n < 1 || n > KMEMTEST_MAX / 2){
    fprintf(2, "usage: buddytest scatter [N], N from 1 to %d\n", KMEMTEST_MAX / 2);
    return 1;
  }
  while(got < 2 * n && take(&bs[got], 0) == 0)
    got++;
  for(int i = 1; i < got; i += 2)
    give(&bs[i]);
  printf("buddytest: holding %d single frames, every other one of %d taken", (got + 1) / 2, got);
  if(got > 0)
    printf(", from 0x%lx", (uint64)bs[0].pfn * PGSIZE);
  printf("\nbuddytest: see buddyinfo and `memmap 1 | grep K`; `buddytest free all` gives them back\n");
  return got < 2 * n;
}

// kmemtest blocks belong to their process while it lives: another
// process can neither free one nor look it up. Once the owner has exited
// they are orphans, which anyone may free (so blocks held by hand from the
// shell can be given back).
static char *
owners(char *arg)
{
  struct figures start;
  char *why = figures(&start);
  int up[2], down[2], h = -1;

  if(why)
    return why;
  if(pipe(up) < 0 || pipe(down) < 0)
    return "pipe failed";
  int pid = fork();
  if(pid < 0)
    return "fork failed";
  if(pid == 0){
    struct block b;
    char c;
    h = take(&b, 0) == 0 ? b.h : -1;
    write(up[1], &h, sizeof(h));
    read(down[0], &c, 1);   // hold the block until the parent has tried
    exit(0);
  }
  if(read(up[0], &h, sizeof(h)) != sizeof(h) || h < 0)
    why = "the child could not allocate a block";
  else if(kmemtest(KMEMTEST_PFN, h) != -1)
    why = "kmemtest gave the frame of a block that another live process holds";
  else if(kmemtest(KMEMTEST_FREE, h) != -1)
    why = "kmemtest freed a block that another live process holds";
  write(down[1], "x", 1);
  wait(0);
  if(!why && h >= 0 && kmemtest(KMEMTEST_FREE, h) != 0)
    why = "kmemtest could not free the block of a process that has exited";
  close(up[0]); close(up[1]); close(down[0]); close(down[1]);
  if(!why)
    why = back_to_start(&start);
  return why;
}

// buddytest free H|all: free one held block, or every one.
static int
release(int argc, char *argv[])
{
  int n = 0;

  if(argc != 3){
    fprintf(2, "usage: buddytest free HANDLE|all\n");
    return 1;
  }
  if(strcmp(argv[2], "all") != 0){
    int r = kmemtest(KMEMTEST_FREE, atoi(argv[2]));
    if(r < 0)
      printf("buddytest: free: handle %s: %s\n", argv[2],
             r == -2 ? "freed, but its contents had changed" : "no such block");
    return r < 0;
  }
  for(int h = 0; h < KMEMTEST_MAX; h++)
    if(kmemtest(KMEMTEST_PFN, h) >= 0 && kmemtest(KMEMTEST_FREE, h) == 0)
      n++;
  printf("buddytest: freed %d blocks\n", n);
  return 0;
}

static struct {
  char *name;
  char *(*fn)(char *arg);
} tests[] = {
  { "orders", orders },
  { "random", randomized },
  { "forkstorm", forkstorm },
  { "exhaust", exhaust },
  { "split-merge", split_merge },
  { "owners", owners },
};

int
main(int argc, char *argv[])
{
  int ran = 0;

  test_prog = "buddytest";
  if(kmemtest(KMEMTEST_CHECK, 0) < 0){
    printf("buddytest: needs the kernel option selftest (make qemu KOPTS=selftest)\n");
    exit(1);
  }
  if(argc > 1 && strcmp(argv[1], "alloc") == 0)
    exit(hold(argc, argv));
  if(argc > 1 && strcmp(argv[1], "free") == 0)
    exit(release(argc, argv));
  if(argc > 1 && strcmp(argv[1], "scatter") == 0)
    exit(scatter(argc, argv));
  for(int i = 0; i < sizeof(tests) / sizeof(tests[0]); i++){
    if(argc < 2 || strcmp(argv[1], tests[i].name) == 0){
      failed |= test_result(tests[i].name, tests[i].fn(argc > 2 ? argv[2] : 0));
      ran++;
    }
  }
  if(ran == 0){
    fprintf(2, "usage: buddytest [orders|random [SEED]|forkstorm|exhaust|split-merge]\n"
            "       buddytest alloc ORDER [COUNT] | scatter [N] | free HANDLE|all\n");
    exit(1);
  }
  printf("buddytest: done\n");
  exit(failed);
}
