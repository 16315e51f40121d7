// Frame allocator benchmark, run by the first process when the kernel
// option `bench` is given (make qemu KOPTS=bench; tools/bench-frames.py
// runs it on each allocator variant). It prints figures and asserts
// nothing:
//
//   bench: NAME: N ops, T ns/op
//
// Order-0 kalloc/kfree with memory nearly empty, then nearly full (all but
// a scattered few frames allocated); order-4 alloc_pages/free_pages; and
// fragmentation: with one frame in 4 (then 1 in 64) kept allocated, the
// largest run of free frames and the largest block alloc_pages() gives.
// Every allocation and free also fills the frames with a poison byte;
// `memset-frame` measures that share alone. An allocator that cannot do
// something (order 4 without a buddy allocator) prints `unsupported`.
// Times come from the `time` CSR, whose rate the device tree gives; under
// QEMU they measure emulated work, good for comparing variants in one run.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "fdt.h"
#include "memstat.h"
#include "defs.h"
#include "mm/page.h"

#define PAIRS 20000
#define BATCH (PGSIZE / sizeof(void*)) // pointers that fit in one frame
#define KEEP_FREE_EVERY 64  // nearly full: one free frame in 64

static uint64
now_ns(void)
{
  return r_time() * (1000000000UL / bootinfo.timebase_freq);
}

static void
report(char *name, uint64 ops, uint64 t0)
{
  uint64 ns = now_ns() - t0;
  printf("bench: %s: %d ops, %d ns/op\n", name, (int)ops, (int)(ns / ops));
}

// kalloc then kfree of one frame, PAIRS times; then BATCH kallocs
// followed by BATCH kfrees. `frames` holds BATCH pointers.
static void
measure(int full, void **frames)
{
  uint64 t0 = now_ns();
  for(int i = 0; i < PAIRS; i++)
    kfree(kalloc());
  report(full ? "full-alloc+free" : "empty-alloc+free", PAIRS, t0);

  int n = 0;
  t0 = now_ns();
  while(n < BATCH && (frames[n] = kalloc()) != 0)
    n++;
  report(full ? "full-batch-alloc" : "empty-batch-alloc", n, t0);
  t0 = now_ns();
  for(int i = 0; i < n; i++)
    kfree(frames[i]);
  report(full ? "full-batch-free" : "empty-batch-free", n, t0);
}

// Order-4 blocks (64 KiB): alloc_pages then free_pages, PAIRS/10 times.
static void
measure_order4(void)
{
  struct page *pg = alloc_pages(4);
  if(pg == 0){
    printf("bench: order4-alloc+free: unsupported\n");
    return;
  }
  free_pages(pg, 4);
  uint64 t0 = now_ns();
  for(int i = 0; i < PAIRS / 10; i++)
    free_pages(alloc_pages(4), 4);
  report("order4-alloc+free", PAIRS / 10, t0);
}

// The longest run of consecutive free frames, from the frame records
// (0 when the allocator keeps none).
static uint64
longest_free_run(void)
{
  uint64 best = 0, run = 0;
  for(uint64 pa = ram_base; pa < ram_top; pa += PGSIZE){
    struct page *pg = pa_to_page(pa);
    run = (pg && page_use(pg) == PG_FREE) ? run + 1 : 0;
    if(run > best)
      best = run;
  }
  return best;
}

// The largest order alloc_pages() can satisfy now, or -1.
static int
largest_block(void)
{
  for(int order = MAX_ORDER; order >= 0; order--){
    struct page *pg = alloc_pages(order);
    if(pg){
      free_pages(pg, order);
      return order;
    }
  }
  return -1;
}

// Fill memory with single frames, free all but one in `keep`, report the
// largest free run and block, then free the rest.
static void
fragment(int keep)
{
  void *head = 0, *kept = 0;
  uint64 n = 0;

  for(void *pa; (pa = kalloc()) != 0; n++){
    *(void**)pa = head;
    head = pa;
  }
  for(void *pa = head, *next; pa; pa = next){
    next = *(void**)pa;
    if(((uint64)pa / PGSIZE) % keep == 0){
      *(void**)pa = kept;
      kept = pa;
    } else {
      kfree(pa);
    }
  }
  printf("bench: fragmented 1-in-%d: longest free run %d frames, largest block order %d\n",
         keep, (int)longest_free_run(), largest_block());
  while(kept){
    void *next = *(void**)kept;
    kfree(kept);
    kept = next;
  }
}

void
bench_frames(void)
{
  void **frames = kalloc(); // room for BATCH pointers
  void *head = 0;
  struct memstat st;

  if(frames == 0)
    panic("bench_frames: no memory");
  kmemstat(&st);
  printf("bench: allocator with %d bits of metadata per frame, %d free frames\n",
         (int)st.meta_bits, (int)st.free);

  uint64 t0 = now_ns();
  for(int i = 0; i < PAIRS; i++)
    memset(frames, 0, PGSIZE);
  report("memset-frame", PAIRS, t0);

  measure(0, frames);

  // Fill memory, chaining the frames through their first word, then give
  // back one in KEEP_FREE_EVERY so the free frames are scattered.
  uint64 n = 0;
  for(void *pa; (pa = kalloc()) != 0; n++){
    *(void**)pa = head;
    head = pa;
  }
  void *kept = 0;
  for(void *pa = head, *next; pa; pa = next, n--){
    next = *(void**)pa;
    if(n % KEEP_FREE_EVERY == 0){
      kfree(pa);
    } else {
      *(void**)pa = kept;
      kept = pa;
    }
  }
  kmemstat(&st);
  printf("bench: nearly full: %d free frames\n", (int)st.free);
  measure(1, frames);

  while(kept){
    void *next = *(void**)kept;
    kfree(kept);
    kept = next;
  }
  kfree(frames);

  measure_order4();
  printf("bench: unfragmented: longest free run %d frames, largest block order %d\n",
         (int)longest_free_run(), largest_block());
  fragment(4);
  fragment(64);
  printf("bench: after freeing all: longest free run %d frames, largest block order %d\n",
         (int)longest_free_run(), largest_block());
  printf("bench: done\n");
}
