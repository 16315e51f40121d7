// Host unit test of the bitmap frame allocator (the starter of lab frames,
// labs/frames/starter/kernel/mm/kalloc.c; host.mk picks the file), built
// with the host gcc under AddressSanitizer and UBSan.
//
//   test_bitmap [-s seed] [-n steps]
//
// The allocator is compiled unchanged, with the kernel's names `memset`
// and `end` renamed (-Dmemset=kernel_memset -Dend=kernel_end) so they do
// not meet the C library's. This file supplies what it needs from the rest
// of the kernel: locks that only check they are balanced, a panic() that
// jumps back into the test that expected it, and a memory map. "RAM" is
// the array kernel_end[] plus a few pages before it that stand for the
// kernel image (reserved, so the allocator never touches them); reserved
// ranges in the middle stand for the device tree.
//
// kinit() runs once per boot, so every test runs in a forked child with a
// fresh allocator. The randomized test draws a layout and a sequence of
// kalloc()/kfree() calls from a seed (-s, else the time), checks each step
// against a model (which frames are out), and prints the seed to replay.
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
#include "kernel/memstat.h"
#include "kernel/poison.h"
#include "testlib.h"

#define PGSIZE 4096
#define MAXFRAMES 1200     // frames of RAM after kernel_end, at most
#define KIMAGE_PAGES 4     // frames before kernel_end: the "kernel image"
#define MAXRSV 4           // reserved ranges in the middle of RAM

// ---- the allocator's interface (kernel/defs.h, kernel/mm/page.h) ----

void kinit(void);
void *kalloc(void);
void kfree(void *pa);
void kalloc_usage(struct memstat *st);
int kalloc_check(void);

// What kernel/mm/stat.c makes of kalloc_usage() for memstat().
static void
kmemstat(struct memstat *st)
{
  memset(st, 0, sizeof(*st));
  kalloc_usage(st);
}

static uint64
kfreecount(void)
{
  struct memstat st;
  kmemstat(&st);
  return st.free;
}

// ---- what the allocator needs from the rest of the kernel ----

char kernel_end[MAXFRAMES * PGSIZE] __attribute__((aligned(PGSIZE)));

// The frame array of lab frames (page.c), which kinit() lays out before the
// bitmap: absent here, as in the starter before task 2.
uint64 page_meta_end;
void page_init(void) { }
uint64 ram_base, ram_top;

static struct {
  uint64 base, size;
} rsv[MAXRSV];
static int nrsv;
static uint64 bitmap_end;        // the bitmap is [kernel_end, bitmap_end)

static int locks_held;           // acquire() minus release()

void
initlock(void *lk, char *name)
{
  (void)lk;
  (void)name;
}

void
acquire(void *lk)
{
  (void)lk;
  if(locks_held++ != 0)
    testlib_fail(__FILE__, __LINE__, "acquire() while a lock is held");
}

void
release(void *lk)
{
  (void)lk;
  if(--locks_held != 0)
    testlib_fail(__FILE__, __LINE__, "release() of a lock not held");
}

// The kernel's memset(void *, int, uint), renamed.
void *
kernel_memset(void *dst, int c, unsigned n)
{
  return memset(dst, c, n);
}

// The memory map (kernel/mm/bootmem.c): why pa may never be allocated.
char *
bootmem_reserved_why(uint64 pa)
{
  if(pa < ram_base || pa >= ram_top)
    return "outside RAM";
  if(pa < (uint64)kernel_end)
    return "the kernel image";
  for(int i = 0; i < nrsv; i++)
    if(pa >= rsv[i].base && pa < rsv[i].base + rsv[i].size)
      return "a reserved range of the device tree";
  return 0;
}

void
panic(char *fmt, ...)
{
  locks_held = 0;     // a panicking kernel never releases
  TESTLIB_PANIC(fmt);
}

// ---- layout and model ----

// Is the frame at pa one the allocator may hand out on this layout?
static int
allocatable(uint64 pa)
{
  return pa % PGSIZE == 0 && pa >= bitmap_end && pa < ram_top &&
         bootmem_reserved_why(pa) == 0;
}

// One boot's RAM: the kernel image pages, then nframes frames starting at
// kernel_end, with the given reserved ranges (frame index, length).
struct layout {
  int nframes;
  int nrsv;
  int rsv_first[MAXRSV], rsv_len[MAXRSV];
};

static uint64
frame_pa(int i)
{
  return (uint64)kernel_end + (uint64)i * PGSIZE;
}

// Boot the allocator on layout *l. Returns the number of frames it must
// hand out: every frame after the bitmap's pages that is not reserved.
static int
boot(const struct layout *l)
{
  ram_base = (uint64)kernel_end - KIMAGE_PAGES * PGSIZE;
  ram_top = frame_pa(l->nframes);
  nrsv = l->nrsv;
  for(int i = 0; i < nrsv; i++){
    rsv[i].base = frame_pa(l->rsv_first[i]);
    rsv[i].size = (uint64)l->rsv_len[i] * PGSIZE;
  }
  kinit();

  // One bit per frame of RAM, in 64-bit words, rounded up to pages.
  uint64 total = KIMAGE_PAGES + l->nframes;
  uint64 bitmap_pages = ((total + 63) / 64 * 8 + PGSIZE - 1) / PGSIZE;
  bitmap_end = frame_pa(bitmap_pages);
  int usable = 0;
  for(int i = 0; i < l->nframes; i++)
    if(allocatable(frame_pa(i)))
      usable++;
  return usable;
}


static int
all_bytes(const void *p, int c, size_t n)
{
  const unsigned char *b = p;
  for(size_t i = 0; i < n; i++)
    if(b[i] != (unsigned char)c)
      return 0;
  return 1;
}

// Frames out, by index from kernel_end; the model of the allocator.
static unsigned char out[MAXFRAMES];

// Take one frame and check it against the model. Returns it, or 0 when
// the allocator says RAM is exhausted.
static void *
take(void)
{
  void *p = kalloc();
  if(p == 0)
    return 0;
  uint64 pa = (uint64)p;
  CHECK(allocatable(pa));
  if(!allocatable(pa))
    return p;
  int i = (pa - (uint64)kernel_end) / PGSIZE;
  CHECK_EQ(out[i], 0);            // never handed out twice
  out[i] = 1;
  CHECK(all_bytes(p, POISON_NEW_FRAME, PGSIZE));
  memset(p, 0x11, PGSIZE);        // the caller's data
  return p;
}

static void
give(void *p)
{
  int i = ((uint64)p - (uint64)kernel_end) / PGSIZE;
  kfree(p);
  out[i] = 0;
  CHECK(all_bytes(p, POISON_FREE_FRAME, PGSIZE));
}

// ---- tests ----

// Exhaust RAM of several sizes (around the 64-bit word boundaries of the
// bitmap), with and without reserved ranges; check the counts, that every
// usable frame comes out exactly once, and that all of them come back.
static void
check_exhaust(const struct layout *l)
{
  static void *got[MAXFRAMES];
  int usable = boot(l);
  struct memstat st;

  kmemstat(&st);
  CHECK_EQ(st.page_size, PGSIZE);
  CHECK_EQ(st.total, KIMAGE_PAGES + l->nframes);
  CHECK_EQ(st.free, usable);
  CHECK_EQ(st.reserved, st.total - usable);
  CHECK_EQ(st.meta_bits, 1);
  CHECK_EQ(kfreecount(), usable);

  int n = 0;
  while((got[n] = take()) != 0)
    if(++n > usable)
      break;
  CHECK_EQ(n, usable);
  CHECK_EQ(kfreecount(), 0);
  CHECK(kalloc() == 0);
  CHECK_EQ(kalloc_check(), 0);
  for(int i = n - 1; i >= 0; i--)
    give(got[i]);
  CHECK_EQ(kfreecount(), usable);
  CHECK_EQ(kalloc_check(), 0);
  CHECK_EQ(locks_held, 0);
}

static void
test_exhaust_sizes(void)
{
  static const int sizes[] = { 1, 2, 60, 63, 64, 65, 127, 128, 129, 1000, MAXFRAMES };
  for(size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++){
    struct layout l = { .nframes = sizes[k] };
    pid_t pid = fork();
    if(pid == 0){
      check_exhaust(&l);
      _exit(testlib.cur_failed ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    if(!WIFEXITED(st) || WEXITSTATUS(st) != 0){
      printf("  with %d frames of RAM\n", sizes[k]);
      testlib_fail(__FILE__, __LINE__, "exhaust and refill");
    }
  }
}

static void
test_reserved_ranges(void)
{
  struct layout l = { .nframes = 300, .nrsv = 3,
                      .rsv_first = { 10, 63, 299 }, .rsv_len = { 5, 3, 1 } };
  check_exhaust(&l);
}

// kfree() must panic, naming the problem, for a double free, a misaligned
// address and every kind of reserved frame, and change nothing.
static void
test_bad_frees(void)
{
  struct layout l = { .nframes = 200, .nrsv = 1, .rsv_first = { 100 }, .rsv_len = { 2 } };
  int usable = boot(&l);
  void *p = kalloc();
  CHECK(p != 0);
  kfree(p);
  struct {
    uint64 pa;
    const char *says;
  } bad[] = {
    { (uint64)p, "double free" },
    { (uint64)p + 8, "not page aligned" },
    { ram_base, "reserved" },                          // kernel image
    { (uint64)kernel_end, "reserved" },                // the bitmap
    { frame_pa(101), "reserved" },                     // device tree
    { ram_top, "reserved" },                           // past RAM
    { ram_base - PGSIZE, "reserved" },                 // before RAM
  };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
    jmp_buf jb;
    testlib_panic_msg[0] = 0;
    if(setjmp(jb) == 0){
      testlib_panic_jump = &jb;
      kfree((void*)bad[i].pa);
      testlib_panic_jump = 0;
      printf("  kfree(%p) returned; expected a panic saying \"%s\"\n",
             (void*)bad[i].pa, bad[i].says);
      testlib_fail(__FILE__, __LINE__, "no panic");
      continue;
    }
    testlib_panic_jump = 0;
    if(strstr(testlib_panic_msg, bad[i].says) == 0){
      printf("  kfree(%p) panicked with \"%s\"; expected \"%s\"\n",
             (void*)bad[i].pa, testlib_panic_msg, bad[i].says);
      testlib_fail(__FILE__, __LINE__, "wrong panic");
    }
  }
  CHECK_EQ(kfreecount(), usable);
  CHECK_EQ(kalloc_check(), 0);
}

// ---- randomized ----

static long steps = 20000;

// A random layout, then random runs of allocations and frees (biased so
// RAM fills up and drains several times), checked against the model.
static void
random_run(void)
{
  static void *held[MAXFRAMES];
  int nheld = 0;
  struct layout l = { .nframes = 2 + rnd(MAXFRAMES - 1), .nrsv = rnd(MAXRSV + 1) };

  for(int i = 0; i < l.nrsv; i++){
    l.rsv_first[i] = rnd(l.nframes);
    l.rsv_len[i] = 1 + rnd(8);
  }
  int usable = boot(&l);

  int bias = 70;   // percent chance of allocating
  for(long s = 0; s < steps && testlib.cur_failed == 0; s++){
    if(s % 500 == 0)
      bias = 20 + rnd(70);
    if(nheld > 0 && rnd(100) >= bias){
      int k = rnd(nheld);
      give(held[k]);
      held[k] = held[--nheld];
    } else {
      void *p = take();
      if(p == 0)
        CHECK_EQ(nheld, usable);   // empty only when everything is out
      else
        held[nheld++] = p;
    }
    CHECK_EQ(kfreecount(), usable - nheld);
    if(s % 1000 == 0)
      CHECK_EQ(kalloc_check(), 0);
    if(testlib.cur_failed)
      printf("  step %ld: %d frames out of %d usable\n", s, nheld, usable);
  }
  while(nheld > 0)
    give(held[--nheld]);
  CHECK_EQ(kfreecount(), usable);
  CHECK_EQ(kalloc_check(), 0);
}

static void
test_random(void)
{
  printf("  random: seed %llu, %ld steps (replay: -s %llu)\n", testlib_seed, steps, testlib_seed);
  rng_reseed();
  random_run();
  if(testlib.cur_failed)
    printf("  random: FAILED with seed %llu (replay: make host-tests BITMAP_SEED=%llu)\n",
           testlib_seed, testlib_seed);
}

// Run fn in a child process, so it gets a freshly booted allocator, and

int
main(int argc, char **argv)
{
  testlib_args(argc, argv, "BITMAP_SEED", &steps, "test_bitmap [-s seed] [-n steps]");
  RUN_ISOLATED(test_exhaust_sizes);
  RUN_ISOLATED(test_reserved_ranges);
  RUN_ISOLATED(test_bad_frees);
  RUN_ISOLATED(test_random);
  return test_summary();
}
