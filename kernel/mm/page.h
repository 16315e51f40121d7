// Frame metadata: one struct page per 4 KiB frame of RAM.
//
// The array `pages` is placed and sized at boot (page.c) from the RAM the
// device tree reports; frame number i (physical address ram_base +
// i*PGSIZE) is described by pages[i]. Every layer of the memory system
// keeps its per-frame state here: the allocator's free lists, the use the
// frame is put to, how many users share it, the buddy order, and (lab
// swap) the LRU links and the reverse map.
//
// Locks, and the letter each field below carries:
//   (k) kmem.lock in kalloc.c: the use bits of every frame, the order,
//       free-list links and the per-use counters.
//   (a) atomic: changed only with __atomic builtins through page_ref_*().
//   (l) lru.lock in reclaim.c (lab swap): the LRU links of user frames
//       and their PGL_* reclaim state.
//   (o) owner: the kernel code that allocated the frame; no lock while it
//       holds the frame.
// Lock order, outermost first (kernel/lockorder.h): an address space's
// lock (as->lock: its page table), lru.lock, then kmem.lock or swap.lock.
// No spinlock is held across disk I/O: a frame being written to swap is
// PGL_ISOLATED and kept alive by the reclaimer's reference instead.
#ifndef KERNEL_MM_PAGE_H
#define KERNEL_MM_PAGE_H
#include "types.h"
#include "riscv.h"
#include "memstat.h"

// Use of a frame: exactly one of these bits is set in flags at any time.
#define PG_RESERVED   (1 << 0)  // never allocatable: firmware, kernel image, metadata, device tree
#define PG_FREE       (1 << 1)  // on a free list
#define PG_KERNEL     (1 << 2)  // kernel data: stacks, trapframes, pipes, queues
#define PG_PAGETABLE  (1 << 3)  // a page-table page
#define PG_USER       (1 << 4)  // user memory
#define PG_USE_MASK   (PG_RESERVED | PG_FREE | PG_KERNEL | PG_PAGETABLE | PG_USER)
// Reclaim state of a user frame (lab swap), in page.lru.
#define PGL_LRU       (1 << 0)  // on the LRU list
#define PGL_ISOLATED  (1 << 1)  // taken off the list by a reclaimer that is evicting it
// The two-list policy's state of a user frame (reclaim=twolist, mm/twolist.c).
#define PGL_SEEN      (1 << 2)  // the policy has placed it: the bits below are set
#define PGL_NEW       (1 << 3)  // not looked at since it came in: its accessed bit is its fault's
#define PGL_ACTIVE    (1 << 4)  // on (or going back to) the active list
#define PGL_POLICY    (PGL_SEEN | PGL_NEW | PGL_ACTIVE)

// Buddy orders (lab buddy): blocks of 2^order frames, 4 KiB to 4 MiB.
#define MAX_ORDER 10
#define NORDER (MAX_ORDER + 1)
_Static_assert(NORDER == BUDDY_NORDER, "buddyinfo() reports every buddy order");
// Sentinel order of a frame that is not the head of a block.
#define PAGE_ORDER_NONE 0xff

#ifdef SOL_FRAMES
struct page {
  uint16 flags;       // (k) one PG_* use bit, and state bits
  uint8 order;        // (k) order of the block this frame heads: a free block
                      //     while PG_FREE, an allocated one otherwise;
                      //     PAGE_ORDER_NONE for every other frame
  uint8 lru;          // (l) PGL_* reclaim state of a user frame (lab swap)
  int refcount;       // (a) users of the frame: 1 from allocation, +1 per extra
                      //     mapping (lab cow); 0 while free
  struct page *next;  // (k) free list while PG_FREE; (l) LRU list while PG_USER (lab swap)
  struct page *prev;
  union {             // what else a frame needs, by use
    uint64 none;           // PG_FREE, PG_KERNEL, PG_PAGETABLE, PG_RESERVED: nothing
    struct {               // PG_USER (lab swap, reclaim.c):
      uint64 va : 38;      // (o) the user virtual address of its page. Every mapping
                           //     of a user frame has the same address (fork shares
                           //     frames at the addresses they had; xv6 has no mmap), so
                           //     with the process table this is the reverse map
      uint64 slot : 26;    // (o) 1 + the swap slot that holds a copy of the page as it
                           //     came back from swap (a swap cache of one), 0 if none
    } user;
  } u;
  // A page on swap has no frame: its slot lives in the PTE (riscv.h).
};

// Circular doubly linked lists of records through next/prev, with a
// sentinel record (not in the array) as the head: the free lists here,
// the LRU list later. The caller holds the lock that guards the list.
static inline void
page_list_init(struct page *head)
{
  head->next = head->prev = head;
}

static inline int
page_list_empty(struct page *head)
{
  return head->next == head;
}

static inline void
page_list_push(struct page *head, struct page *pg)
{
  pg->next = head->next;
  pg->prev = head;
  head->next->prev = pg;
  head->next = pg;
}

static inline void
page_list_remove(struct page *pg)
{
  pg->prev->next = pg->next;
  pg->next->prev = pg->prev;
  pg->next = pg->prev = 0;
}
#else
// Lab frames, task 1: design the per-frame record (labs/frames/README.md).
struct page {
  uint64 todo;
};
#endif

// 32 bytes per 4096-byte frame is 0.78% of RAM; Linux spends 64.
_Static_assert(sizeof(struct page) <= 32, "struct page must fit in 32 bytes");

// page.c: the frame array
void            page_init(void);
struct page*    pa_to_page(uint64 pa);
uint64          page_to_pa(struct page *pg);
int             page_use(struct page *pg);
void            page_set_use_locked(struct page *pg, int use);
int             page_refcount(struct page *pg);
void            page_ref_inc(struct page *pg);
int             page_ref_inc_not_zero(struct page *pg);
int             page_ref_dec(struct page *pg);
void            page_dump(struct page *pg);
char*           page_use_name(int use);
extern uint64   page_meta_end;

// buddy.c: the block allocator under kalloc.c; caller holds kmem.lock
void            buddy_init(void);
struct page*    buddy_alloc_locked(int order);
void            buddy_free_locked(struct page *pg, int order);
int             buddy_counts_locked(uint64 nfree[NORDER]);
int             buddy_check_locked(uint64 *free_frames);
void            buddy_dump(void);
#endif
