// Host unit test of the buddy allocator, kernel/mm/buddy.c, compiled
// alone with the host gcc under AddressSanitizer and UBSan (host.mk).
//
//   test_buddy [-s seed] [-n steps]       (or BUDDY_SEED=N in the environment)
//
// buddy.c is pure logic over struct page: it never touches the memory of
// the frames it hands out, only their records. So this file plays the
// frame array (kernel/mm/page.c) over a simulated RAM: an array of
// records for frames at made-up physical addresses, which may start and
// end anywhere (not only on 4 MiB boundaries) and may hold reserved holes.
// It also plays kalloc.c, the caller: marks frames PG_FREE before giving
// them back and PG_KERNEL after taking them, as the real caller does.
// buddy.c is built with printf and panic renamed (kernel_printf,
// kernel_panic) so they do not meet the C library's; a panic jumps back
// into the test that expected it.
//
// Every state is checked against a model that knows only which frames are
// free. From it the test computes on its own the blocks the free lists
// must hold: a free allocator has merged everything that can merge, so
// its blocks are the largest aligned runs of free frames, taken from the
// lowest address up. The randomized test draws layouts and sequences of
// mixed-order allocations and frees from a seed and prints the seed to
// replay a failure.
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel/types.h"
#include "kernel/mm/page.h"
#include "testlib.h"

#define PGSIZE 4096
#define MAXFRAMES 8192            // 32 MiB of simulated RAM at most
#define MAXHOLES 4
#define MAXBLOCKS MAXFRAMES
#define BLOCK_BYTES(k) ((uint64)PGSIZE << (k))
#define FRAMES(k) (1 << (k))

// ---- the simulated frame array (what page.c provides) ----

static struct page sim[MAXFRAMES];   // sim[i]: frame ram_lo + i * PGSIZE
static int nframes;
static uint64 ram_lo;                // made-up physical address of sim[0]

static int
in_array(struct page *pg)
{
  uintptr_t p = (uintptr_t)pg;
  return p >= (uintptr_t)sim && p < (uintptr_t)(sim + nframes) &&
         (p - (uintptr_t)sim) % sizeof(struct page) == 0;
}

struct page *
pa_to_page(uint64 pa)
{
  if(pa < ram_lo || pa >= ram_lo + (uint64)nframes * PGSIZE)
    return 0;
  return sim + (pa - ram_lo) / PGSIZE;
}

uint64
page_to_pa(struct page *pg)
{
  if(!in_array(pg)){
    testlib_fail(__FILE__, __LINE__, "page_to_pa() of a pointer that is no frame's record");
    return 0;
  }
  return ram_lo + (uint64)(pg - sim) * PGSIZE;
}

int
page_use(struct page *pg)
{
  return pg->flags & PG_USE_MASK;
}

void
page_set_use(struct page *pg, int use)
{
  pg->flags = (pg->flags & ~PG_USE_MASK) | use;
}

char *
page_use_name(int use)
{
  static char *names[] = { "reserved", "free", "kernel", "page-table", "user" };
  for(int i = 0; i < 5; i++)
    if(use == (1 << i))
      return names[i];
  return use == 0 ? "none" : "INVALID";
}

// ---- the kernel's printf and panic ----

static int quiet;                  // count kernel messages instead of printing
static int kernel_lines;

int
kernel_printf(char *fmt, ...)
{
  va_list ap;

  kernel_lines++;
  if(quiet)
    return 0;
  printf("  kernel: ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  return 0;
}

void
kernel_panic(char *fmt, ...)
{
  TESTLIB_PANIC(fmt);
}

// ---- layout and model ----

// A RAM layout: where it starts, how many frames, and reserved holes
// (first frame index, length) that the allocator must never hand out.
struct layout {
  uint64 base;
  int nframes;
  int nholes;
  int hole_first[MAXHOLES], hole_len[MAXHOLES];
};

// The model: for every frame, RESERVED, FREE, or the number of the
// allocated block it belongs to (>= 0).
#define RESERVED (-2)
#define FREE (-1)
static int owner[MAXFRAMES];
static int nfree_model;

// Blocks the test holds: frame index of the head and order.
static struct { int first, order; } held[MAXBLOCKS];
static int nheld;

static uint64
pa_of(int i)
{
  return ram_lo + (uint64)i * PGSIZE;
}

// Set up RAM as l describes, every usable frame not yet given to the
// allocator (use 0, as page_init leaves it), and empty the free lists.
static void
boot(const struct layout *l)
{
  ram_lo = l->base;
  nframes = l->nframes;
  memset(sim, 0, sizeof(sim));
  for(int i = 0; i < nframes; i++){
    sim[i].order = PAGE_ORDER_NONE;
    owner[i] = FREE;
  }
  for(int h = 0; h < l->nholes; h++)
    for(int i = l->hole_first[h]; i < l->hole_first[h] + l->hole_len[h] && i < nframes; i++)
      owner[i] = RESERVED;
  nfree_model = 0;
  for(int i = 0; i < nframes; i++){
    if(owner[i] == RESERVED)
      page_set_use(&sim[i], PG_RESERVED);
    else
      nfree_model++;
  }
  nheld = 0;
  buddy_init();
}

// Give every usable frame to the allocator one at a time, as kinit()
// does: upward (how 0), downward (1), or in a shuffled order (2).
static void
free_initial(int how)
{
  static int order[MAXFRAMES];
  int n = 0;

  for(int j = 0; j < nframes; j++){
    int i = how == 1 ? nframes - 1 - j : j;
    if(owner[i] != RESERVED)
      order[n++] = i;
  }
  for(int j = n - 1; how == 2 && j > 0; j--){
    int r = rnd(j + 1), t = order[j];
    order[j] = order[r];
    order[r] = t;
  }
  for(int j = 0; j < n; j++){
    page_set_use(&sim[order[j]], PG_FREE);
    buddy_free_locked(&sim[order[j]], 0);
  }
}

// Is the aligned run of 2^k frames from index i inside RAM and free in
// the model?
static int
model_run_free(int i, int k)
{
  if(i < 0 || i + FRAMES(k) > nframes || pa_of(i) % BLOCK_BYTES(k) != 0)
    return 0;
  for(int j = i; j < i + FRAMES(k); j++)
    if(owner[j] != FREE)
      return 0;
  return 1;
}

// The index of the first frame at or after i whose address is aligned to
// 2^k frames.
static int
next_aligned(int i, int k)
{
  uint64 pa = pa_of(i), a = BLOCK_BYTES(k);
  return i + (int)(((a - pa % a) % a) / PGSIZE);
}

// Does the model hold any free aligned run of 2^k frames? Exactly then a
// fully merged allocator has a free block of order k or more.
static int
model_has_block(int k)
{
  for(int i = next_aligned(0, k); i + FRAMES(k) <= nframes; i += FRAMES(k))
    if(model_run_free(i, k))
      return 1;
  return 0;
}

// The blocks a fully merged allocator holds for the model's free frames:
// from the lowest address up, the largest aligned free run at each free
// frame. want[i] gets the order of the block headed by frame i, or
// PAGE_ORDER_NONE; count[k] the blocks per order.
static void
expected_blocks(uint8 *want, uint64 *count)
{
  memset(count, 0, NORDER * sizeof(count[0]));
  for(int i = 0; i < nframes; i++)
    want[i] = PAGE_ORDER_NONE;
  for(int i = 0; i < nframes; ){
    if(owner[i] != FREE){
      i++;
      continue;
    }
    int k = MAX_ORDER;
    while(!model_run_free(i, k))
      k--;   // order 0 always fits a free frame
    want[i] = k;
    count[k]++;
    i += FRAMES(k);
  }
}

// ---- checking the allocator against the model ----

// Walk the circular list that head is on: every member but one (the
// list's sentinel, inside buddy.c) must be a record of the array heading a
// free block of order k, the links must agree both ways, and the list
// must hold exactly n records. Marks the members in seen[].
static void
walk_list(struct page *head, int k, uint64 n, uint8 *seen)
{
  uint64 members = 1, sentinels = 0;
  struct page *p = head;

  seen[head - sim] = 1;
  for(p = head->next; p != head && members + sentinels <= n + 1; p = p->next){
    CHECK(p != 0 && p->prev != 0 && p->prev->next == p);
    if(p == 0)
      return;
    if(!in_array(p)){
      sentinels++;
      continue;
    }
    CHECK_EQ(p->order, k);
    CHECK_EQ(seen[p - sim], 0);      // on two lists, or twice on one
    seen[p - sim] = 1;
    members++;
  }
  CHECK(p == head);                  // the list closes
  CHECK_EQ(sentinels, 1);
  CHECK_EQ(members, n);
}

// The allocator holds exactly the blocks expected_blocks() computes: heads
// with the right orders, every other frame PAGE_ORDER_NONE, the counts per
// order, each list a closed cycle of its heads, and buddy_check_locked()
// finds nothing and counts the model's free frames.
static void
check_lists(void)
{
  static uint8 want[MAXFRAMES], seen[MAXFRAMES];
  uint64 count[NORDER], got[NORDER], frames = 0;
  int bad = 0;

  expected_blocks(want, count);
  buddy_counts_locked(got);
  for(int k = 0; k < NORDER; k++)
    CHECK_EQ(got[k], count[k]);
  for(int i = 0; i < nframes && bad < 5; i++){
    if(sim[i].order != want[i]){
      printf("  frame %#lx: order %d, want %d\n", pa_of(i), sim[i].order, want[i]);
      bad++;
    }
    if((owner[i] == FREE) != (page_use(&sim[i]) == PG_FREE)){
      printf("  frame %#lx: use %s, model says %s\n", pa_of(i),
             page_use_name(page_use(&sim[i])), owner[i] == FREE ? "free" : "not free");
      bad++;
    }
  }
  CHECK_EQ(bad, 0);
  memset(seen, 0, sizeof(seen));
  for(int k = 0; k < NORDER && bad == 0; k++)
    for(int i = 0; i < nframes; i++)
      if(want[i] == k && seen[i] == 0)
        walk_list(&sim[i], k, count[k], seen);
  CHECK_EQ(buddy_check_locked(&frames), 0);
  CHECK_EQ(frames, nfree_model);
}

// The quick check after every step: buddy_check_locked() is clean and
// counts the model's free frames, as do the counts per order.
static void
check_quick(void)
{
  uint64 frames = 0, got[NORDER], sum = 0;

  CHECK_EQ(buddy_check_locked(&frames), 0);
  CHECK_EQ(frames, nfree_model);
  buddy_counts_locked(got);
  for(int k = 0; k < NORDER; k++)
    sum += got[k] << k;
  CHECK_EQ(sum, nfree_model);
}

// ---- the caller's side: allocate and free as kalloc.c does ----

// Ask for a block of order k. It must come exactly when the model has a
// free aligned run of 2^k frames; it must be aligned, in RAM, and made of
// free non-head frames the model has free. Then mark it PG_KERNEL and
// hold it. Returns 1 when a block came.
static int
take(int k)
{
  int expect = model_has_block(k);
  struct page *pg = buddy_alloc_locked(k);

  CHECK_EQ(pg != 0, expect);
  if(pg == 0)
    return 0;
  CHECK(in_array(pg));
  if(!in_array(pg))
    return 0;
  int i = pg - sim;
  CHECK_EQ(pa_of(i) % BLOCK_BYTES(k), 0);
  CHECK(i + FRAMES(k) <= nframes);
  for(int j = i; j < i + FRAMES(k) && j < nframes; j++){
    CHECK_EQ(owner[j], FREE);                  // no overlap, no reserved frame
    CHECK_EQ(page_use(&sim[j]), PG_FREE);
    CHECK_EQ(sim[j].order, PAGE_ORDER_NONE);   // off the lists: no head left
    page_set_use(&sim[j], PG_KERNEL);
    owner[j] = nheld;
  }
  nfree_model -= FRAMES(k);
  held[nheld].first = i;
  held[nheld].order = k;
  nheld++;
  return 1;
}

// Give back held block number b.
static void
give(int b)
{
  int i = held[b].first, k = held[b].order;

  for(int j = i; j < i + FRAMES(k); j++){
    CHECK_EQ(owner[j], b);
    page_set_use(&sim[j], PG_FREE);
    owner[j] = FREE;
  }
  nfree_model += FRAMES(k);
  buddy_free_locked(&sim[i], k);
  // Keep held[] dense: the last block takes b's place and its frames'
  // owner number.
  nheld--;
  if(b != nheld){
    held[b] = held[nheld];
    for(int j = held[b].first; j < held[b].first + FRAMES(held[b].order); j++)
      owner[j] = b;
  }
}

static void
give_all_shuffled(void)
{
  while(nheld > 0)
    give(rnd(nheld));
}

// An order for a random request: mostly small, sometimes large.
static int
random_order(void)
{
  int r = rnd(10);
  return r < 6 ? rnd(3) : r < 9 ? 3 + rnd(4) : 7 + rnd(4);
}

// ---- tests ----

static struct layout
make_layout(uint64 base, int n)
{
  struct layout l = { .base = base, .nframes = n };
  return l;
}

// Boot l, free its frames as kinit() does (how: see free_initial), and
// check the blocks. Returns the number of blocks per order in *count.
static void
boot_and_check(const struct layout *l, int how, uint64 *count)
{
  static uint8 want[MAXFRAMES];

  boot(l);
  free_initial(how);
  check_lists();
  expected_blocks(want, count);
}

// RAM on 4 MiB boundaries: nothing but order-10 blocks.
static void
test_aligned(void)
{
  uint64 count[NORDER];
  struct layout l = make_layout(0x80000000UL, 4 * 1024);   // 16 MiB

  for(int how = 0; how < 3; how++){
    boot_and_check(&l, how, count);
    CHECK_EQ(count[MAX_ORDER], 4);
    CHECK_EQ(nfree_model, 4 * 1024);
  }
  // The first 2 MiB reserved (the firmware): one order-9 block above it.
  l.nholes = 1;
  l.hole_first[0] = 0;
  l.hole_len[0] = 512;
  boot_and_check(&l, 0, count);
  CHECK_EQ(count[9], 1);
  CHECK_EQ(count[MAX_ORDER], 3);
}

// RAM starting and ending off the 4 MiB boundaries: a staircase of
// smaller blocks at both ends, computed independently and also by hand
// for one layout.
static void
test_unaligned(void)
{
  static const struct { uint64 base; int n; } cases[] = {
    { 0x80201000UL, 3001 }, { 0x80201000UL, 1 }, { 0x80001000UL, 1023 },
    { 0x803ff000UL, 2 }, { 0x80000000UL, 1025 }, { 0x87654000UL, 5000 },
    { 0x80400000UL - 7 * PGSIZE, 8191 },
  };
  uint64 count[NORDER];

  for(size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++){
    struct layout l = make_layout(cases[c].base, cases[c].n);
    for(int how = 0; how < 3; how++)
      boot_and_check(&l, how, count);
  }
  // By hand: 0x80201000 + 3001 frames ends at 0x80dba000. From the
  // bottom, each block as large as its address's alignment allows:
  // 0x80201000 (order 0), 0x80202000 (1), 0x80204000 (2), 0x80208000 (3),
  // ... 0x80300000 (8): 511 frames up to 0x80400000; then 0x80400000 and
  // 0x80800000 (order 10 each); then from 0x80c00000 the 442 frames left,
  // 256 + 128 + 32 + 16 + 8 + 2: orders 8, 7, 5, 4, 3, 1.
  struct layout l = make_layout(0x80201000UL, 3001);
  boot_and_check(&l, 0, count);
  uint64 by_hand[NORDER] = { 1, 2, 1, 2, 2, 2, 1, 2, 2, 0, 2 };
  for(int k = 0; k < NORDER; k++)
    CHECK_EQ(count[k], by_hand[k]);
}

// Reserved holes in the middle of RAM split the blocks around them.
static void
test_holes(void)
{
  uint64 count[NORDER];
  struct layout l = make_layout(0x80000000UL, 4096);

  l.nholes = 3;
  l.hole_first[0] = 1500, l.hole_len[0] = 1;       // one frame
  l.hole_first[1] = 2048, l.hole_len[1] = 40;      // at a 8 MiB boundary
  l.hole_first[2] = 4095, l.hole_len[2] = 1;       // the last frame
  for(int how = 0; how < 3; how++)
    boot_and_check(&l, how, count);
  CHECK_EQ(count[MAX_ORDER], 1);   // only [0x80000000, 0x80400000) is whole
  CHECK_EQ(nfree_model, 4096 - 42);
  l.base = 0x80203000UL;           // the same holes, RAM off alignment
  boot_and_check(&l, 2, count);
}

// For each order: allocate until the allocator says no. It must say no
// exactly when no free block of that order or above is left (take()
// checks against the model every time), and then every count from that
// order up is 0. Freeing everything restores the first blocks.
static void
test_exhaust(void)
{
  static uint8 first[MAXFRAMES];
  uint64 count[NORDER], got[NORDER];
  struct layout l = make_layout(0x80201000UL, 6000);

  l.nholes = 2;
  l.hole_first[0] = 700, l.hole_len[0] = 3;
  l.hole_first[1] = 3000, l.hole_len[1] = 300;
  for(int k = 0; k <= MAX_ORDER; k++){
    boot_and_check(&l, 0, count);
    for(int i = 0; i < nframes; i++)
      first[i] = sim[i].order;
    while(take(k) && testlib.cur_failed == 0)
      check_quick();
    buddy_counts_locked(got);
    for(int j = k; j < NORDER; j++)
      CHECK_EQ(got[j], 0);
    CHECK(buddy_alloc_locked(k) == 0);
    give_all_shuffled();
    check_lists();
    for(int i = 0; i < nframes; i++)
      CHECK_EQ(sim[i].order, first[i]);
    if(testlib.cur_failed){
      printf("  exhausting order %d\n", k);
      return;
    }
  }
}

// Misuse that buddy.c must refuse with a panic, leaving its lists alone:
// a block not aligned to its order, an order out of range, and a frame
// that already heads a free block.
static void
test_misuse(void)
{
  struct layout l = make_layout(0x80000000UL, 2048);
  uint64 count[NORDER];

  boot_and_check(&l, 0, count);
  CHECK(take(1));
  struct page *odd = &sim[held[0].first + 1];
  int free_head = -1;
  for(int i = 0; i < nframes && free_head < 0; i++)
    if(sim[i].order != PAGE_ORDER_NONE)
      free_head = i;
  struct { struct page *pg; int order; const char *what; } bad[] = {
    { odd, 1, "an order-1 block at an odd frame" },
    { &sim[held[0].first], MAX_ORDER + 1, "order MAX_ORDER + 1" },
    { &sim[held[0].first], -1, "order -1" },
    { &sim[free_head], sim[free_head].order, "a block that is already free" },
  };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
    jmp_buf jb;
    if(setjmp(jb) == 0){
      testlib_panic_jump = &jb;
      buddy_free_locked(bad[i].pg, bad[i].order);
      testlib_panic_jump = 0;
      printf("  buddy_free_locked() of %s returned; expected a panic\n", bad[i].what);
      testlib_fail(__FILE__, __LINE__, "no panic");
      return;      // the lists are damaged now: stop
    }
    testlib_panic_jump = 0;
    check_lists();
  }
  give(0);
  check_lists();
}

// buddy_check_locked() notices a free block whose head is marked in use,
// and one with a frame that claims to head a block.
static void
test_check_finds(void)
{
  struct layout l = make_layout(0x80000000UL, 1024);
  uint64 count[NORDER], frames;

  boot_and_check(&l, 0, count);
  quiet = 1;
  page_set_use(&sim[0], PG_KERNEL);
  kernel_lines = 0;
  CHECK(buddy_check_locked(&frames) > 0);
  CHECK(kernel_lines > 0);
  page_set_use(&sim[0], PG_FREE);
  sim[5].order = 0;
  CHECK(buddy_check_locked(&frames) > 0);
  sim[5].order = PAGE_ORDER_NONE;
  quiet = 0;
  check_lists();
}

// A random layout, then random mixed-order allocations and frees, checked
// against the model at every step; in the end everything freed merges
// back into the blocks of the start.
static long steps = 4000;

static void
random_layout(struct layout *l)
{
  l->base = 0x80000000UL + (uint64)rnd(4096) * PGSIZE * (rnd(4) ? 1 : 1024);
  l->nframes = 1 + rnd(MAXFRAMES);
  l->nholes = rnd(MAXHOLES + 1);
  for(int h = 0; h < l->nholes; h++){
    l->hole_first[h] = rnd(l->nframes);
    l->hole_len[h] = 1 + rnd(rnd(2) ? 8 : 300);
  }
}

static void
random_run(void)
{
  static uint8 first[MAXFRAMES];
  struct layout l;
  uint64 count[NORDER];

  random_layout(&l);
  boot_and_check(&l, rnd(3), count);
  for(int i = 0; i < nframes; i++)
    first[i] = sim[i].order;
  int bias = 60;
  for(long s = 0; s < steps && testlib.cur_failed == 0; s++){
    if(s % 300 == 0)
      bias = 20 + rnd(75);
    if(nheld > 0 && rnd(100) >= bias)
      give(rnd(nheld));
    else
      take(random_order());
    check_quick();
    if(s % 64 == 0)
      check_lists();
    if(testlib.cur_failed)
      printf("  step %ld: RAM %#lx + %d frames, %d holes, %d blocks held\n",
             s, l.base, l.nframes, l.nholes, nheld);
  }
  give_all_shuffled();
  check_lists();
  for(int i = 0; i < nframes; i++)
    CHECK_EQ(sim[i].order, first[i]);
}

static void
test_random(void)
{
  printf("  random: seed %llu, %ld steps per layout (replay: -s %llu)\n", testlib_seed, steps,
         testlib_seed);
  rng_reseed();
  for(int run = 0; run < 12 && testlib.cur_failed == 0; run++)
    random_run();
}

// Run fn in a child process, so that a crash (a panic, or a sanitizer's

int
main(int argc, char **argv)
{
  testlib_args(argc, argv, "BUDDY_SEED", &steps, "test_buddy [-s seed] [-n steps]");
  RUN_ISOLATED(test_aligned);
  RUN_ISOLATED(test_unaligned);
  RUN_ISOLATED(test_holes);
  RUN_ISOLATED(test_exhaust);
  RUN_ISOLATED(test_misuse);
  RUN_ISOLATED(test_check_finds);
  RUN_ISOLATED(test_random);
  if(testlib.failed)
    printf("seed %llu (replay: make host-tests BUDDY_SEED=%llu)\n", testlib_seed, testlib_seed);
  return test_summary();
}
