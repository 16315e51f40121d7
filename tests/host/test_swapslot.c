// Host unit tests of the swap-slot allocator, kernel/mm/swapslot.c,
// compiled unchanged against the stubs below and checked against a
// model: an array of reference counts.
//
//   test_swapslot [-s SEED] [-n STEPS]     (SWAPSLOT_SEED=... works too)
//
// A failing random run prints its seed; replay it with -s.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/types.h"
#include "kernel/mm/swap.h"
#include "testlib.h"

// ---- what swapslot.c needs from the kernel ----

// A panic where no test expects one (a stub's -1 used as a slot, say)
// fails the running test with its message.
void
kernel_panic(char *fmt, ...)
{
  TESTLIB_PANIC(fmt);
}

int
kernel_printf(char *fmt, ...)
{
  return 0;
}

// ---- a swap disk of n slots, and the model ----

static struct swapslots s;
static unsigned char model[SWAP_MAXCHUNK * SWAP_SLOTS_PER_CHUNK];

static void
setup(uint64 n)
{
  for(int c = 0; c < SWAP_MAXCHUNK; c++){
    free(s.chunk[c]);
    s.chunk[c] = 0;
  }
  for(uint64 c = 0; c * SWAP_SLOTS_PER_CHUNK < n; c++)
    s.chunk[c] = calloc(SWAP_SLOTS_PER_CHUNK, 1);
  swapslots_init(&s, n);
  memset(model, 0, sizeof(model));
}

static uint64
model_used(uint64 n)
{
  uint64 used = 0;
  for(uint64 i = 0; i < n; i++)
    used += model[i] != 0;
  return used;
}

// Every slot is handed out once, then the disk is full; freeing one makes
// exactly that one available again.
static void
test_fill(void)
{
  uint64 n = 3 * SWAP_SLOTS_PER_CHUNK + 17;   // across chunks, not a multiple
  setup(n);
  if(swapslots_alloc(&s) < 0){
    // The starter's stub: say which task this is rather than fail below.
    CHECK(0 && "swapslots_alloc() found no free slot on an empty disk: "
          "write it (lab swap, task 1)");
    return;
  }
  setup(n);
  for(uint64 i = 0; i < n; i++){
    long slot = swapslots_alloc(&s);
    CHECK(slot >= 0 && (uint64)slot < n);
    if(slot < 0 || (uint64)slot >= n)
      return;
    CHECK_EQ(model[slot], 0);
    model[slot] = 1;
  }
  CHECK_EQ(s.nused, n);
  CHECK_EQ(swapslots_alloc(&s), (uint64)-1);
  CHECK_EQ(swapslots_put(&s, 4100), 0);
  CHECK_EQ(swapslots_alloc(&s), 4100);
  CHECK_EQ(swapslots_alloc(&s), (uint64)-1);
  CHECK_EQ(swapslots_check(&s), 0);
}

// Shared slots: dup adds references, put takes them away, and the slot is
// free only after the last one.
static void
test_shared(void)
{
  setup(8);
  long slot = swapslots_alloc(&s);
  CHECK(slot >= 0 && "swapslots_alloc() of an empty disk gives a slot");
  if(slot < 0)
    return;
  swapslots_dup(&s, slot);
  swapslots_dup(&s, slot);
  CHECK_EQ(swapslots_refs(&s, slot), 3);
  CHECK_EQ(swapslots_put(&s, slot), 2);
  CHECK_EQ(swapslots_put(&s, slot), 1);
  CHECK_EQ(s.nused, 1);
  CHECK_EQ(swapslots_put(&s, slot), 0);
  CHECK(s.nused == 0 && "swapslots_put: the last reference frees the slot (nused drops)");
  CHECK_EQ(swapslots_check(&s), 0);
}

// Misuse is a kernel bug: freeing a free slot, sharing a free slot, and a
// slot number past the disk all panic, naming the slot.
static void
test_misuse(void)
{
  jmp_buf on_panic;

  setup(8);
  testlib_panic_jump = &on_panic;
  if(setjmp(on_panic) == 0){
    swapslots_put(&s, 3);
    CHECK(0 && "put of a free slot did not panic");
  } else
    CHECK(strstr(testlib_panic_msg, "slot 3") != 0);
  if(setjmp(on_panic) == 0){
    swapslots_dup(&s, 5);
    CHECK(0 && "dup of a free slot did not panic");
  } else
    CHECK(strstr(testlib_panic_msg, "slot 5") != 0);
  if(setjmp(on_panic) == 0){
    swapslots_refs(&s, 8);
    CHECK(0 && "slot past the disk did not panic");
  } else
    CHECK(strstr(testlib_panic_msg, "slot 8") != 0);
  testlib_panic_jump = 0;
}

static long steps = 20000;

// Random allocations, dups and puts against the model: a slot handed out
// was free, counts agree after every step, nused is right.
static void
test_random(void)
{
  uint64 n = 1 + rnd(2 * SWAP_SLOTS_PER_CHUNK);
  rng_reseed();
  setup(n);
  printf("  (seed %llu, %d slots)\n", testlib_seed, (int)n);
  for(long step = 0; step < steps; step++){
    uint64 i = rnd(n);
    int op = rnd(3);
    if(op == 0){
      long slot = swapslots_alloc(&s);
      if(slot < 0){
        CHECK_EQ(model_used(n), n);
        if(testlib.cur_failed)
          return;
        continue;
      }
      CHECK_EQ(model[slot], 0);
      model[slot] = 1;
    } else if(model[i] && op == 1 && model[i] < 200){
      swapslots_dup(&s, i);
      model[i]++;
    } else if(model[i]){
      CHECK_EQ(swapslots_put(&s, i), model[i] - 1);
      model[i]--;
    }
    CHECK_EQ(swapslots_refs(&s, i), model[i]);
    if(testlib.cur_failed)
      return;
  }
  CHECK_EQ(s.nused, model_used(n));
  CHECK(swapslots_check(&s) == 0 && "nused must count the slots with a reference");
}

int
main(int argc, char **argv)
{
  testlib_args(argc, argv, "SWAPSLOT_SEED", &steps, "test_swapslot [-s SEED] [-n STEPS]");
  RUN_ISOLATED(test_fill);
  RUN_ISOLATED(test_shared);
  RUN_ISOLATED(test_misuse);
  RUN_ISOLATED(test_random);
  return test_summary();
}
