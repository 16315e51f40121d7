// Boot-time self-tests of lab buddy (kernel option selftest; the lines
// and their format are selftest.c's), its deliberate misuses, and the
// test-only kmemtest() system call, through which user/buddytest.c
// allocates and frees kernel blocks of any order.
//
// kmemtest blocks outlive the process that allocated them, so that a
// student can hold blocks by hand from the shell (`buddytest scatter`, then
// `buddyinfo`, then `buddytest free all`). While that process lives only
// it may free or look up its blocks; once it has exited they are orphans
// that any process may free.
//
// Locking: kmt.lock guards the kmemtest handle table; the tests run
// single-threaded at boot (selftest.c).
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "memstat.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "mm/page.h"
#include "mm/selftest.h"

static int
same_buddyinfo(struct buddyinfo *a, struct buddyinfo *b)
{
  return memcmp(a, b, sizeof(*a)) == 0;
}

// A block of every order: aligned to its size, every frame marked, and
// the free blocks per order back to their starting figures once freed.
static char *
test_buddy_orders(void)
{
  struct buddyinfo before, after;

  if(kbuddyinfo(&before) < 0)
    return "buddyinfo not implemented";
  for(int order = 0; order <= MAX_ORDER; order++){
    struct page *pg = alloc_pages(order);
    if(pg == 0)
      return "alloc_pages() failed for an order that has free blocks";
    uint64 pa = page_to_pa(pg);
    if(pa % ((uint64)PGSIZE << order) != 0){
      free_pages(pg, order);
      return "a block is not aligned to its size";
    }
    for(uint64 i = 0; i < (1UL << order); i++){
      if(page_use(pa_to_page(pa + i * PGSIZE)) != PG_KERNEL){
        free_pages(pg, order);
        return "a frame of an allocated block is not marked PG_KERNEL";
      }
    }
    free_pages(pg, order);
  }
  kbuddyinfo(&after);
  if(!same_buddyinfo(&before, &after))
    return "free blocks per order differ after allocating and freeing one block of each order";
  return 0;
}

// Pseudo-random mixed orders: blocks never overlap (each keeps its fill),
// the invariants hold, and everything merges back.
static char *
test_buddy_mixed(void)
{
  enum { NBLOCK = 48, NSTEP = 400 };
  struct { struct page *pg; int order; } blk[NBLOCK];
  struct buddyinfo before, after;
  uint64 seed = 12345;
  char *why = 0;

  if(kbuddyinfo(&before) < 0)
    return "buddyinfo not implemented";
  memset(blk, 0, sizeof(blk));
  for(int step = 0; step < NSTEP && !why; step++){
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    int i = (seed >> 33) % NBLOCK;
    if(blk[i].pg == 0){
      int order = (seed >> 20) % 6;
      if((blk[i].pg = alloc_pages(order)) == 0){
        // 48 blocks of at most 32 frames: memory cannot run out.
        why = "alloc_pages(k) returned 0 for some k in 1..5 with most of memory free";
        break;
      }
      blk[i].order = order;
      memset((void*)page_to_pa(blk[i].pg), i, PGSIZE << order);
    } else {
      uchar *p = (uchar*)page_to_pa(blk[i].pg);
      for(uint64 b = 0; b < (PGSIZE << blk[i].order) && !why; b += 512)
        if(p[b] != i)
          why = "a block's contents changed: two blocks overlap";
      free_pages(blk[i].pg, blk[i].order);
      blk[i].pg = 0;
    }
  }
  if(!why && kalloc_check() != 0)
    why = "kalloc_check() found violations with mixed blocks allocated";
  for(int i = 0; i < NBLOCK; i++)
    if(blk[i].pg)
      free_pages(blk[i].pg, blk[i].order);
  kbuddyinfo(&after);
  if(!why && !same_buddyinfo(&before, &after))
    why = "free blocks per order differ after freeing every block: a merge was missed";
  return why;
}

void
buddy_selftest_run(void)
{
  selftest_result("buddy-orders", test_buddy_orders());
  selftest_result("buddy-mixed", test_buddy_mixed());
}

// Deliberate misuse of lab buddy's checks (kernel options
// selftest-panic=wrong-order and part-of-block); the kernel must panic
// naming the block. Returns only when it did not (then 1 if some misuse
// was asked for).
int
buddy_selftest_misuse(void)
{
  struct page *pg;

  if(bootarg_has("selftest-panic=wrong-order")){
    if((pg = alloc_pages(2)) == 0){
      printf("selftest: alloc_pages(2) returned 0\n");
      return 1;
    }
    printf("selftest: freeing order-2 block %p as order 1\n", (void*)page_to_pa(pg));
    free_pages(pg, 1);
  } else if(bootarg_has("selftest-panic=part-of-block")){
    if((pg = alloc_pages(2)) == 0){
      printf("selftest: alloc_pages(2) returned 0\n");
      return 1;
    }
    printf("selftest: freeing frame %p inside order-2 block %p\n",
           (void*)page_to_pa(pg + 1), (void*)page_to_pa(pg));
    kfree((void*)page_to_pa(pg + 1));
  } else {
    return 0;
  }
  return 1;
}

// ---- kmemtest(): kernel blocks a user test program allocates ----

static struct {
  struct spinlock lock;
  struct page *pg[KMEMTEST_MAX];  // block of each handle, or 0
  int order[KMEMTEST_MAX];
  struct proc *owner[KMEMTEST_MAX]; // the live process holding it, or 0 for an orphan
} kmt = { .lock = { 0, "kmemtest", 0 } };

// A new handle for block pg owned by p, or -1 when all are taken. Takes kmt.lock.
static int
kmt_alloc(struct proc *p, int order)
{
  struct page *pg = alloc_pages(order);
  if(pg == 0)
    return -1;
  acquire(&kmt.lock);
  for(int h = 0; h < KMEMTEST_MAX; h++){
    if(kmt.pg[h] == 0){
      kmt.pg[h] = pg;
      kmt.order[h] = order;
      kmt.owner[h] = p;
      release(&kmt.lock);
      memset((void*)page_to_pa(pg), h & 0xff, PGSIZE << order);
      return h;
    }
  }
  release(&kmt.lock);
  free_pages(pg, order);
  return -1;
}

// May process p use handle h? Its own blocks and orphans only. Caller
// holds kmt.lock.
static int
kmt_mine_locked(struct proc *p, int h)
{
  assert_held(&kmt.lock);
  return kmt.pg[h] != 0 && (kmt.owner[h] == p || kmt.owner[h] == 0);
}

// Free handle h's block if p may: 0, -1 for a free handle or another live
// process's block, -2 when the block's fill was overwritten. Takes kmt.lock.
static int
kmt_free(struct proc *p, int h)
{
  acquire(&kmt.lock);
  struct page *pg = kmt.pg[h];
  int order = kmt.order[h];
  if(!kmt_mine_locked(p, h)){
    release(&kmt.lock);
    return -1;
  }
  kmt.pg[h] = 0;
  kmt.owner[h] = 0;
  release(&kmt.lock);
  int r = 0;
  uchar *p0 = (uchar*)page_to_pa(pg);
  for(uint64 b = 0; b < (PGSIZE << order); b += 256)
    if(p0[b] != (h & 0xff))
      r = -2;
  free_pages(pg, order);
  return r;
}

// Process p exits: its blocks become orphans.
void
kmemtest_exit(struct proc *p)
{
  acquire(&kmt.lock);
  for(int h = 0; h < KMEMTEST_MAX; h++)
    if(kmt.owner[h] == p)
      kmt.owner[h] = 0;
  release(&kmt.lock);
}

// The kmemtest() system call: see KMEMTEST_* in memstat.h. -1 without the
// kernel option selftest, for a bad argument, or for a block another live
// process holds. Takes kmt.lock.
int
kmemtest(int cmd, int arg)
{
  struct proc *p = myproc();

  if(!bootarg_has("selftest"))
    return -1;
  switch(cmd){
  case KMEMTEST_ALLOC:
    return arg >= 0 && arg <= MAX_ORDER ? kmt_alloc(p, arg) : -1;
  case KMEMTEST_FREE:
    return arg >= 0 && arg < KMEMTEST_MAX ? kmt_free(p, arg) : -1;
  case KMEMTEST_PFN:
    if(arg < 0 || arg >= KMEMTEST_MAX)
      return -1;
    acquire(&kmt.lock);
    int pfn = kmt_mine_locked(p, arg) ? page_to_pa(kmt.pg[arg]) >> PGSHIFT : -1;
    release(&kmt.lock);
    return pfn;
  case KMEMTEST_CHECK:
    return kalloc_check();
  }
  return -1;
}
