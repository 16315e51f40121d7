// Reclaim (lab swap): when RAM runs short, user pages go to the swap disk
// and come back on demand (mm/fault.c), so a program may use more memory
// than the machine has.
//
// Every user frame in use is on one LRU list, in the order it was first
// mapped. A reclaimer takes frames from the front of the list:
//   - clock (the default; second chance): a frame whose mappings' accessed
//     bits (PTE_A, set by the hardware on every access) say it was used
//     since the last look has those bits cleared and goes to the back; the
//     first frame found unused is the victim.
//   - FIFO (kernel option reclaim=fifo): the front frame is the victim.
//   - two lists (kernel option reclaim=twolist): the list is split in an
//     inactive and an active one, so that hot pages survive a sweep that
//     finds every page referenced; mm/twolist.c says how.
// The victim is unmapped from every PTE that maps it, each replaced by a
// swap PTE naming one slot (riscv.h: PTE_SWAP); the harts running an
// affected process flush their TLBs (SBI RFENCE); the page is written to
// the slot; the frame is freed.
//
// The reverse map. A user frame records its user virtual address
// (page.u.user.va), and every mapping of a frame has that address: fork shares
// frames at the addresses they had, and nothing else maps a user frame
// (xv6 has no mmap). So the PTEs of a frame are found by looking up that
// address in each live address space's page table (aspace_foreach). That
// costs a walk per address space per victim, little next to the disk
// write, and nothing at fork. A list of PTE
// pointers per frame would cost an allocation per shared page at every
// fork instead (the "pte chains" Linux 2.5 had, and dropped for the same
// object-based idea).
//
// When. A user page allocation (user_frame_alloc), and a page-table page
// taken where the caller may sleep (ptpage_alloc), reclaims directly when
// no more than `reserve` frames are free, and leaves those to the
// kernel's own allocations that hold spinlocks (pipes, trapframes, a
// page-table page under an address-space lock), which never reclaim.
// With nothing left to evict (swap full or absent), the out-of-memory
// killer kills the process that uses the most memory, page tables
// counted; it never kills init, and waits for as long as a victim is
// still on its way out.
//
// Locking: lru.lock guards the list and every frame's PGL_* bits. A
// reclaimer takes the victim off the list under lru.lock together with a
// reference, so the frame cannot be freed under it (PGL_ISOLATED), then
// drops lru.lock and takes the address-space lock (as->lock) of one
// address space at a time to look at or change its PTEs: the lock order
// is the address-space list, as->lock, then lru.lock
// (kernel/lockorder.h). No lock is held while the page is written.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "memstat.h"
#include "inject.h"
#include "defs.h"
#include "mm/page.h"
#include "mm/swap.h"
#include "mm/aspace.h"

#ifdef SOL_SWAP
#define RECLAIM_BATCH 8     // frames a reclaimer tries to free at once

static struct {
  struct spinlock lock;
  struct page head;   // sentinel of the LRU list: oldest frame first
  uint64 n;           // frames on the list
  int fifo;           // kernel option reclaim=fifo
  int twolist;        // kernel option reclaim=twolist (mm/twolist.c)
  uint64 reserve;     // free frames user allocations leave to the kernel
} lru;

static struct spinlock oom_lock;

// Set up the LRU list. Runs once at boot, after kinit().
void
reclaim_init(void)
{
  struct memstat st;

  initlock(&lru.lock, "lru");
  initlock(&oom_lock, "oom");
  page_list_init(&lru.head);
  lru.fifo = bootarg_has("reclaim=fifo");
  lru.twolist = bootarg_has("reclaim=twolist");
  twolist_init();
  memset(&st, 0, sizeof(st));
  kalloc_usage(&st);
  lru.reserve = st.total / 256 > 32 ? st.total / 256 : 32;
}

// Put a frame at the back of the LRU list. Takes lru.lock.
static void
lru_add_tail(struct page *pg)
{
  acquire(&lru.lock);
  KASSERT((pg->lru & (PGL_LRU | PGL_ISOLATED)) != PGL_LRU,
          "lru_add: frame %p is already on the LRU list", (void*)page_to_pa(pg));
  if(lru.twolist)
    twolist_add_locked(&lru.head, pg, lru.n);
  else
    page_list_push(lru.head.prev, pg);
  pg->lru = (pg->lru & PGL_POLICY) | PGL_LRU;
  lru.n++;
  release(&lru.lock);
}

// The frame pg is being freed (its last reference is gone): take it off
// the LRU list. Called by kalloc.c for every user frame it frees. Takes
// lru.lock.
void
reclaim_forget(struct page *pg)
{
  acquire(&lru.lock);
  KASSERT((pg->lru & PGL_ISOLATED) == 0,
          "reclaim_forget: frame %p freed while a reclaimer holds it", (void*)page_to_pa(pg));
  if(pg->lru & PGL_LRU){
    twolist_remove_locked(pg);
    page_list_remove(pg);
    lru.n--;
  }
  pg->lru = 0;
  release(&lru.lock);
  if(pg->u.user.slot)
    swap_uncache(pg->u.user.slot - 1);  // its copy on swap is no one's now
  pg->u.none = 0;
}

// Take the oldest frame off the LRU list, with a reference the caller
// must drop (PGL_ISOLATED: no other reclaimer sees it). Frames whose last
// reference is going are skipped. Returns 0 when the list is empty.
static struct page *
lru_isolate(void)
{
  struct page *pg = 0;

  acquire(&lru.lock);
  if(BUG_RECLAIM_ORDER){  // an address-space lock under lru.lock: reversed
    acquire(&myproc()->as->lock); release(&myproc()->as->lock); }
  while(lru.n > 0){
    pg = lru.twolist ? twolist_next_locked(&lru.head) : lru.head.next;
    twolist_remove_locked(pg);
    page_list_remove(pg);
    lru.n--;
    pg->lru &= PGL_POLICY;
    if(page_ref_inc_not_zero(pg)){
      pg->lru |= PGL_ISOLATED;
      break;
    }
    pg = 0;   // being freed: reclaim_forget() finds it off the list
  }
  release(&lru.lock);
  return pg;
}

// Give back an isolated frame: onto the back of the list when anyone
// still maps it, and drop the reclaimer's reference.
static void
lru_putback(struct page *pg)
{
  acquire(&lru.lock);
  pg->lru &= PGL_POLICY;
  release(&lru.lock);
  if(page_refcount(pg) > 1)
    lru_add_tail(pg);
  kput((void*)page_to_pa(pg));
}

// What a walk of the reverse map looks for, and what it found.
struct rmap_walk {
  uint64 pa;      // the frame
  uint64 va;      // the user address every mapping of it has
  uint64 slot;    // rmap_swapcached: the slot it must keep; rmap_unmap: the slot it goes to
  int young;      // rmap_referenced: some mapping had PTE_A set
  int mapped;     // rmap_unmap: mappings replaced
  int dirty;      // rmap_unmap: some mapping had PTE_D set
  uint64 harts;   // rmap_unmap: harts that may cache a replaced mapping
};

// as's valid PTE at user address va, or 0. Caller holds as->lock.
static pte_t *
rmap_mapping(struct aspace *as, uint64 va)
{
  vmstat_count(VMSTAT_RMAP_WALK);
  pte_t *pte = walk(as->pagetable, va, 0);
  return pte && (*pte & PTE_V) ? pte : 0;
}

// as's PTE that maps frame pa at user address va, or 0. Caller holds
// as->lock.
static pte_t *
rmap_pte(struct aspace *as, uint64 pa, uint64 va)
{
  pte_t *pte = rmap_mapping(as, va);
  return pte && PTE2PA(*pte) == pa ? pte : 0;
}

// aspace_foreach() step of rmap_swapcached(): does as map, at w->va, a
// frame that keeps slot w->slot? Then take a reference to it and stop.
static int
swapcached_in(struct aspace *as, void *arg)
{
  struct rmap_walk *w = arg;
  pte_t *pte = rmap_mapping(as, w->va);
  if(pte == 0 || fault_zero_frame(PTE2PA(*pte)))
    return 0;
  struct page *pg = pa_to_page(PTE2PA(*pte));
  if(pg->u.user.slot != w->slot + 1)
    return 0;
  KASSERT((*pte & PTE_W) == 0, "rmap_swapcached: frame %p keeps slot %d, which other PTEs "
          "name, but pid %d may write it (fault_cow must copy such a frame)",
          (void*)PTE2PA(*pte), (int)w->slot, as->pid);
  page_ref_inc(pg);   // as's mapping holds one: the frame is not going
  w->pa = PTE2PA(*pte);
  return 1;
}

// The frame that holds the page of slot in RAM, found through the
// reverse map: a process that shares the slot brought the page back into
// a frame that keeps the slot (swap_keep(): SWAP_SHARED) and maps it at
// the same address va. Returns its address with a reference for the
// caller, or 0 when no address space maps such a frame.
void *
rmap_swapcached(uint64 slot, uint64 va)
{
  struct rmap_walk w = { .va = va, .slot = slot };
  if(BUG_SWAP_REREAD)
    return 0;
  return aspace_foreach(swapcached_in, &w) ? (void*)w.pa : 0;
}

// aspace_foreach() step of rmap_referenced(): clear the accessed bit of
// as's mapping of the frame, noting whether it was set.
static int
referenced_in(struct aspace *as, void *arg)
{
  struct rmap_walk *w = arg;
  pte_t *pte = rmap_pte(as, w->pa, w->va);
  if(pte && (*pte & PTE_A) && !BUG_CLOCK_FIFO){
    *pte &= ~PTE_A;
    w->young = 1;
  }
  return 0;
}

// Was the frame pa (at user address va) used since the last look? Clears
// the accessed bits of all its mappings. No TLB flush: a hart that still
// caches the translation only delays the next accessed bit, which costs
// accuracy, not correctness.
static int
rmap_referenced(uint64 pa, uint64 va)
{
  struct rmap_walk w = { .pa = pa, .va = va };
  aspace_foreach(referenced_in, &w);
  return w.young;
}

// aspace_foreach() step of rmap_unmap(): replace as's mapping of the
// frame by a swap PTE naming w->slot.
static int
unmap_in(struct aspace *as, void *arg)
{
  struct rmap_walk *w = arg;
  pte_t *pte = rmap_pte(as, w->pa, w->va);
  if(pte == 0)
    return 0;
  w->dirty |= (*pte & PTE_D) != 0;
  swap_dup(w->slot);
  *pte = SLOT2PTE(w->slot) | PTE_SWAP | (*pte & (PTE_R | PTE_W | PTE_X | PTE_U | PTE_COW));
  int left = page_ref_dec(pa_to_page(w->pa));
  KASSERT(left > 0, "rmap_unmap: frame %p lost the reclaimer's reference", (void*)w->pa);
  // The harts running as in user mode now may cache the old PTE; the
  // fence orders our PTE store before the look (aspace_enter_user()).
  __sync_synchronize();
  w->harts |= __atomic_load_n(&as->harts, __ATOMIC_SEQ_CST);
  w->mapped++;
  return 0;
}

// Replace every mapping of frame pg by a swap PTE naming slot, keeping
// its permissions for the way back; each such PTE holds a slot reference
// in place of its frame reference. Returns the number of mappings
// replaced; *harts gets the harts that may cache one of them, *dirty
// whether one of them had written the page (PTE_D).
static int
rmap_unmap(struct page *pg, uint64 slot, uint64 *harts, int *dirty)
{
  struct rmap_walk w = { .pa = page_to_pa(pg), .va = pg->u.user.va, .slot = slot };
  aspace_foreach(unmap_in, &w);
  *harts = w.harts;
  *dirty = w.dirty;
  return w.mapped;
}

// Make every hart in harts, and this one, forget stale translations.
static void
flush_harts(uint64 harts)
{
  if(BUG_NO_FLUSH)
    return;   // planted bug (kernel/inject.h)
  sfence_vma();
  harts &= ~(1UL << r_tp());
  if(harts)
    sbi_remote_sfence_vma(harts, 0, ~0UL);
}

// Try to evict the isolated frame pg, which the caller holds a reference
// to (given up here). Returns 1 when its page went to swap, 0 when it
// stays (recently used, or no mapping found), -1 when swap is full.
//
// A frame that came back from swap and still has that slot (u.user.slot)
// goes back to it, and is written only if one of its mappings wrote it.
// Either no other PTE names such a slot (swap_keep(): SWAP_KEPT), so it
// may be rewritten, or the frame was never writable (SWAP_SHARED), so it
// is clean.
static int
evict(struct page *pg)
{
  uint64 harts = 0;
  int dirty = 0, cached = pg->u.user.slot != 0;

  if(lru.twolist ? twolist_keep(pg, rmap_referenced(page_to_pa(pg), pg->u.user.va)) :
     !lru.fifo && rmap_referenced(page_to_pa(pg), pg->u.user.va)){
    lru_putback(pg);  // second chance
    return 0;
  }
  long slot = cached ? pg->u.user.slot - 1 : swap_alloc();
  if(slot < 0){
    lru_putback(pg);
    return -1;
  }
  swap_writing(slot, 1);
  if(rmap_unmap(pg, slot, &harts, &dirty) == 0){
    // Mapped by no process's page table: a new image exec has not
    // installed yet, or a frame on its way to be mapped. Not ours.
    swap_writing(slot, 0);
    if(!cached)
      swap_put(slot);
    lru_putback(pg);
    return 0;
  }
  flush_harts(harts);
  if(lru.twolist)
    twolist_evicted(pg->u.user.va);
  if(dirty || !cached){
    swap_out(slot, page_to_pa(pg));
    vmstat_count(VMSTAT_SWAP_OUT);
  } else
    vmstat_count(VMSTAT_SWAP_CLEAN);
  // Before a fault waiting for the slot goes on, so that it does not
  // find this frame in RAM through a mapping we could not see.
  pg->u.user.slot = 0;
  swap_writing(slot, 0);
  if(cached)
    swap_uncache(slot); // the frame's own reference: its PTEs hold theirs
  else
    swap_put(slot);
  lru_putback(pg);    // freed here, unless a mapping we could not see remains
  return 1;
}

// Free up to `want` frames by sending pages to swap. Returns the number
// freed; 0 when nothing could be evicted (swap full or absent, or no
// user frame not in use by a reclaimer).
static int
reclaim(int want)
{
  int freed = 0;
  uint64 limit = 2 * lru.n + RECLAIM_BATCH;  // a full turn of the clock, and a second

  for(uint64 scanned = 0; freed < want && scanned < limit; scanned++){
    struct page *pg = lru_isolate();
    if(pg == 0)
      break;
    vmstat_count(VMSTAT_RECLAIM_SCAN);
    int r = evict(pg);
    if(r < 0)
      break;
    freed += r;
  }
  return freed;
}

// What address space as costs, in 1/PSS_ONE pages: its frames in RAM, a
// shared one counted as its share, its pages on swap and its page-table
// pages; the split into *ram, *swapped and *pt (whole pages) for
// messages. Caller holds as->lock.
static uint64
footprint(struct aspace *as, uint64 *ram, uint64 *swapped, uint64 *pt)
{
  uvmfootprint(as, ram, swapped, pt);
  uint64 total = *ram + (*swapped + *pt) * PSS_ONE;
  *ram = (*ram + PSS_ONE / 2) / PSS_ONE;
  return total;
}

// Free frames and free swap slots: the room user pages have.
static uint64
memory_room(void)
{
  uint64 slots, used;

  swap_usage(&slots, &used);
  return kalloc_nfree() + slots - used;
}

// What oom_kill() tells the allocation that called it.
enum oom_verdict {
  OOM_GIVE_UP,  // fail the allocation: the caller is the victim, or no one can be killed
  OOM_WAIT,     // a victim is on its way out: wait a tick for its memory
  OOM_RETRY,    // memory came back meanwhile: try again now
};

// The OOM killer's survey of the live address spaces.
struct oom_survey {
  int pending;                  // some process was killed and still holds memory
  int pid;                      // the victim so far, or 0
  char name[16];
  uint64 most, ram, swapped, pt;
};

// aspace_foreach() step of oom_kill(): weigh as against the victim so far.
static int
oom_weigh(struct aspace *as, void *arg)
{
  struct oom_survey *s = arg;
  uint64 ram, swapped, pt, cost = footprint(as, &ram, &swapped, &pt);
  if(cost == 0 || as->pid <= 1)
    return 0;
  if(killed(as->owner))
    s->pending = 1;
  else if(cost > s->most || (cost == s->most && as->pid > s->pid)){
    s->most = cost;
    s->pid = as->pid;
    safestrcpy(s->name, as->owner->name, sizeof(s->name));
    s->ram = ram;
    s->swapped = swapped;
    s->pt = pt;
  }
  return 0;
}

// RAM and swap are full: kill the process whose memory costs the most
// (frames shared copy-on-write count as a share each: a child that has
// copied its parent's pages costs as much as the parent, and the younger
// of two equal processes goes: a child before its parent; page-table
// pages count whole). Never init. If an earlier victim is still on its
// way out (killed, with memory left), wait for it instead of killing
// another. room: memory_room() before the caller's reclaim failed; if
// there is more now, an earlier victim has just let go of its memory.
static enum oom_verdict
oom_kill(struct proc *me, uint64 room)
{
  struct oom_survey s = { 0 };

  acquire(&oom_lock);
  aspace_foreach(oom_weigh, &s);
  enum oom_verdict v = memory_room() > room ? OOM_RETRY : s.pending ? OOM_WAIT : OOM_GIVE_UP;
  if(v != OOM_GIVE_UP || s.pid == 0){
    release(&oom_lock);
    return killed(me) ? OOM_GIVE_UP : v;
  }
  printf("oom-kill: pid %d (%s) using %d pages (%d resident, %d on swap, %d page tables): "
         "out of memory and swap\n", s.pid, s.name, (int)(s.ram + s.swapped + s.pt),
         (int)s.ram, (int)s.swapped, (int)s.pt);
  vmstat_count(VMSTAT_OOM_KILL);
  kill(s.pid);
  release(&oom_lock);
  return s.pid == me->pid ? OOM_GIVE_UP : OOM_WAIT;
}

// A frame for `use`, reclaiming when no more than the reserve is free.
// As a last resort, when oom is set (a page fault, which cannot fail
// without killing), the largest process is killed to make room, and the
// caller waits for as long as a victim is on its way out; without oom
// (exec, fork, sbrk, which may just fail) it gives up after a reclaim that
// finds nothing (a fault of init, which must not die, then waits and
// tries again in fault_user()). Returns 0 when no frame can be had.
// Sleeps; the caller holds no spinlock.
static void *
frame_alloc(int use, int oom)
{
  struct proc *me = myproc();

  KASSERT(me == 0 || !holding_spinlocks(),
          "user_frame_alloc: called with a spinlock held (reclaim sleeps)");
  for(;;){
    void *pa = kalloc_nfree() > lru.reserve ? kalloc_as(use) : 0;
    if(pa)
      return pa;
    if(me == 0 || killed(me))
      return 0;
    uint64 room = memory_room();
    if(reclaim(RECLAIM_BATCH) > 0)
      continue;
    if(!oom)
      return 0;
    enum oom_verdict v = oom_kill(me, room);
    if(v == OOM_GIVE_UP)
      return 0;     // (a fault of init then waits and retries: fault_user)
    if(v == OOM_WAIT)
      sleep_tick();  // for a victim on its way out
  }
}

// A frame for the user page at va, on the LRU list (frame_alloc()).
// Returns 0 when no frame can be had. Sleeps; the caller holds no
// spinlock.
void *
user_frame_alloc(uint64 va, int oom)
{
  void *pa = frame_alloc(PG_USER, oom);
  if(pa){
    struct page *pg = pa_to_page((uint64)pa);
    pg->u.none = 0;
    pg->u.user.va = PGROUNDDOWN(va);
    lru_add_tail(pg);
  }
  return pa;
}

// A page-table page for a user page table, taken like a user frame
// (frame_alloc(): it may reclaim, and with oom kill) so that page tables
// compete for RAM with the pages they map instead of draining the
// kernel's reserve. Not on the LRU list: page-table pages are not
// evicted. Returns 0 when none can be had. Sleeps; the caller holds no
// spinlock.
void *
ptpage_alloc(int oom)
{
  return frame_alloc(PG_PAGETABLE, oom);
}
#else
// Lab swap, tasks 2 to 6 (labs/swap/README.md): the LRU list, the victim
// choice (FIFO, then the clock), eviction through the reverse map, the
// search for a shared page already back from swap (rmap_swapcached(),
// declared in defs.h, task 4), and the out-of-memory killer live in this
// file.

// Set up the LRU list. Runs once at boot, after kinit().
void
reclaim_init(void)
{
}

// The frame pg is being freed (its last reference is gone): take it off
// the LRU list. Called by kalloc.c for every user frame it frees.
void
reclaim_forget(struct page *pg)
{
}

// A frame for the user page at va, on the LRU list, reclaiming when
// memory is short; with oom set (a page fault), killing the largest
// process as a last resort. Returns 0 when no frame can be had. Sleeps;
// the caller holds no spinlock. Without swap: a frame if one is free.
void *
user_frame_alloc(uint64 va, int oom)
{
  return kalloc_as(PG_USER);
}

// A page-table page for a user page table, taken like a user frame (with
// reclaim, and with oom set the killer), not put on the LRU list. Returns
// 0 when none can be had. Sleeps; the caller holds no spinlock. Without
// swap: a frame if one is free.
void *
ptpage_alloc(int oom)
{
  return kalloc_as(PG_PAGETABLE);
}
#endif
