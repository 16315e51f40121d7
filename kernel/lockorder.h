// The lock-order table: the ONE place that says in which order the
// kernel's locks may be taken. kernel/lockdep.c reads it (kernel option
// `lockdep`): every "held class -> taken class" edge the kernel records
// at run time is judged against it: an edge between two listed classes
// that the ranks reverse panics at once ("lock order reversal"); at halt
// every edge is printed with its verdict, and tests/lockdep/
// test_lockorder.py fails on any the table does not allow (a lock
// missing here, two equal ranks), so the table cannot drift from the code.
//
// A class is every lock initialized with one name (all p->lock are
// "proc"). An edge A -> B (B taken while A is held) is allowed when
// rank(A) < rank(B): lower ranks are outer locks, taken first. A -> A
// (two locks of one class at once) is allowed only for a class marked
// LO_NESTS, whose comment says what orders the two.
//
// Kinds: LO_SLEEP classes are sleep locks, the only locks that may be
// held across sleep() (disk I/O, waiting for a buffer). LO_SPIN classes
// are spinlocks: none may be held across sleep() except the one passed to
// sleep(), which sleep() releases.
//
// The one rule that ranks most of this: wakeup() takes every p->lock,
// and sleep() takes p->lock while holding its condition lock, so every
// lock held across sleep() or wakeup() ranks before "proc", and a
// p->lock holder may only take locks ranked after it.
#ifndef KERNEL_LOCKORDER_H
#define KERNEL_LOCKORDER_H

#define LO_SPIN   0
#define LO_SLEEP  1   // a sleep lock: may be held across sleep()
#define LO_NESTS  2   // flag: two locks of this class may be held at once

struct lockorder {
  const char *name;   // the name passed to initlock()/initsleeplock()
  char kind;          // LO_SPIN or LO_SLEEP
  char flags;         // LO_NESTS
  short rank;         // outer (taken first) < inner
};

static const struct lockorder lockorder_table[] = {
  // Sleep locks come first: they are held across disk I/O, and under them
  // a process takes any spinlock (an interrupt on its hart does too).
  { "inode",     LO_SLEEP, LO_NESTS, 10 }, // dirlink/create hold the directory, then the child
  { "buffer",    LO_SLEEP, LO_NESTS, 20 }, // the log copies one block into another

  // Spinlocks, outermost first.
  { "wait_lock", LO_SPIN, 0, 100 },  // guards p->parent: exit/wait take it before p->lock
  { "oom",       LO_SPIN, 0, 105 },  // oom_kill reads every process's footprint (its
                                     // vmlock) and kills (p->lock) under it
  { "aspaces",   LO_SPIN, 0, 107 },  // the live address spaces (mm/aspace.c): held across
                                     // a walk of them that locks each in turn
  { "vmlock",    LO_SPIN, LO_NESTS, 110 }, // an address space's lock: fork holds the
                                     // parent's, then the child's; reclaim holds it
                                     // across swap_dup (swap.lock)
  { "log",       LO_SPIN, 0, 115 },  // log_write pins the buffer (bcache) under it
  { "bcache",    LO_SPIN, 0, 120 },
  { "pipe",      LO_SPIN, 0, 120 },  // held across sleep/wakeup of readers and writers
  { "cons",      LO_SPIN, 0, 120 },  // held across wakeup of console readers
  { "time",      LO_SPIN, 0, 120 },  // clockintr: wakeup(&ticks) under it
  { "swap",      LO_SPIN, 0, 130 },  // slot counts; sleep() on it in swap_in_begin (its
                                     // waiters are woken after it is released)
  { "vdisk0",    LO_SPIN, 0, 130 },  // virtio_disk_intr wakes the I/O's sleeper under it
  { "vdisk1",    LO_SPIN, 0, 130 },  // the swap disk, the same
  { "uart",      LO_SPIN, 0, 140 },  // uartputc sleeps and uartstart wakes under it
  { "itable",    LO_SPIN, 0, 135 },  // iput locks an unreachable inode under it
  { "sleep lock", LO_SPIN, 0, 140 }, // a sleep lock's own spinlock: releasesleep wakes under it
  { "proc",      LO_SPIN, 0, 200 },  // p->lock: wakeup takes every one; see the rule above
  { "nextpid",   LO_SPIN, 0, 210 },  // allocproc: a pid for the slot it holds
  { "ftable",    LO_SPIN, 0, 210 },  // filedup
  { "commit",    LO_SPIN, 0, 210 },  // vm_commit (it reads kmem's counts under it)
  { "lru",       LO_SPIN, 0, 220 },  // reclaim: vmlock, then lru (mm/reclaim.c)
  { "kmem",      LO_SPIN, 0, 230 },  // the allocator: a leaf but for printing
  { "pr",        LO_SPIN, 0, 290 },  // printf's lock: printing is allowed under any lock
};

// Known edges that break the order above: bugs to fix, not rules. Each
// names what takes the locks and what the fixed order is. The lead
// empties this list; lockdep reports a cycle through such an edge once
// without stopping the kernel (every other cycle is a panic), and the
// lock-order test counts them as "todo", not as allowed.
struct lockorder_todo {
  const char *held, *taken;
};

static const struct lockorder_todo lockorder_todo[] = {
  // Empty. The fork/swap deadlock it listed (fork held the child's
  // p->lock across uvmcopy -> copy_swapped -> swap_dup, and across idup;
  // swap_in_end and swap_writing called wakeup() under swap.lock;
  // allocproc and procvmspace took the address-space lock under p->lock)
  // is fixed: allocproc returns the slot unlocked, fork copies with no
  // p->lock held, vmspace() finds the address space on the live list
  // (mm/aspace.c) with no p->lock, and swap wakes its waiters after
  // releasing swap.lock.
  { 0, 0 },
};

#endif
