// Address spaces: a page table and the regions of user addresses it may
// map (Linux's mm_struct and vm_area_struct, FreeBSD's vmspace and
// vm_map_entry). mm/aspace.c keeps them.
//
// Every user address a process may touch lies in exactly one region,
// which says what the page there may be used for (prot) and how it is
// filled (kind). A fault outside every region is refused from the list
// alone, before any page table is walked; one inside is resolved by the
// handler for its region's kind (mm/fault.c).
//
// Locks, and the letter each field below carries:
//   (a) aspace.lock: the page table's PTEs, and the fields marked (a).
//       The owner (the process's own kernel thread, or its parent in
//       fork before the child runs) changes them holding it; anyone
//       else (reclaim, the OOM killer, vmspace()) reads and, for PTEs,
//       changes them only holding it. The owner may read (a) fields
//       without it, since no one else writes them.
//   (l) the list lock in aspace.c: the live list.
//   (-) set when the address space is made, constant afterwards.
#ifndef KERNEL_MM_ASPACE_H
#define KERNEL_MM_ASPACE_H
#include "types.h"
#include "riscv.h"
#include "spinlock.h"

#define NREGION 16      // regions one address space may have

// How the pages of a region are filled.
enum region_kind {
  REGION_IMAGE,   // a loadable segment of the program: filled by exec from the ELF file
  REGION_GUARD,   // the page under the stack: never accessible from user mode
  REGION_STACK,   // the user stack: filled by exec (the arguments), fixed size
  REGION_HEAP,    // sbrk's memory: anonymous, zero-filled (lab lazy: on first touch)
};

struct region {
  uint64 start, end;      // [start, end), page aligned; empty only for the heap
  int prot;               // PTE_R | PTE_W | PTE_X: what user mode may do with its pages
  enum region_kind kind;
};

// Where an address space of the pool stands.
enum aspace_state {
  AS_FREE,        // in the pool, no one's
  AS_BUILDING,    // its owner fills it (exec), no one else may see it
  AS_LIVE,        // on the live list: reclaim and vmspace() may look at it
  AS_DYING,       // off the list, its memory being freed: not yet reusable
};

struct aspace {
  struct spinlock lock;           // "vmlock": see (a) above
  pagetable_t pagetable;          // (-) the root, with the trampoline and trapframe mapped
  int pid;                        // (-) its process's pid, for reports
  struct proc *owner;             // (-) its process
  struct region region[NREGION];  // (a) sorted by start, never overlapping
  int nregion;                    // (a)
  uint64 brk;                     // (a) the program break (sbrk(0)): the heap
                                  //     region ends at PGROUNDUP(brk)
  uint64 harts;                   // (atomic) harts running this page table in user
                                  //     mode now: the ones a TLB shootdown must reach
  struct aspace *next;            // (l) on the live list
  enum aspace_state state;        // (l, a) written holding both locks
};

struct proc;
void            aspace_init(void);
struct aspace  *aspace_create(struct proc *p);
void            aspace_publish(struct aspace *as);
void            aspace_destroy(struct aspace *as);
int             aspace_fork(struct aspace *parent, struct aspace *child);
struct region  *region_find(struct aspace *as, uint64 va);
int             region_add(struct aspace *as, uint64 start, uint64 end, int prot,
                           enum region_kind kind);
struct region  *aspace_heap(struct aspace *as);
uint64          aspace_pages(struct aspace *as);
uint64          aspace_shrink(struct aspace *as, uint64 newbrk);
int             region_holes(struct region *r);
int             aspace_foreach(int (*fn)(struct aspace *as, void *arg), void *arg);
struct aspace  *aspace_of_pid(int pid);
void            aspace_enter_user(struct aspace *as);
void            aspace_leave_user(struct aspace *as);
#endif
