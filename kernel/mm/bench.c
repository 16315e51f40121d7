// Frame allocator benchmark, run by the first process when the kernel
// option `bench` is given (make qemu KOPTS=bench; tools/bench-frames.py
// runs it on each allocator variant). It prints figures and asserts
// nothing:
//
//   bench: NAME: N ops, T ns/op
//
// Order-0 kalloc/kfree with memory nearly empty, then nearly full (all but
// a scattered few frames allocated). Every kalloc and kfree also fills the
// frame with a poison byte; `memset-frame` measures that share alone.
// Times come from the `time` CSR, whose rate the device tree gives; under
// QEMU they measure emulated work, good for comparing variants in one run.
#include "types.h"
#include "param.h"
#include "riscv.h"
#include "fdt.h"
#include "memstat.h"
#include "defs.h"

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
  printf("bench: done\n");
}
