// Processes: the process table, creation (fork), exit and wait, and the
// per-hart scheduler with sleep and wakeup.
//
// Locks and their order (take the earlier one first):
//   wait_lock   guards every p->parent, so that a parent's wait() and its
//               children's exit() agree; taken before any p->lock.
//   p->lock     guards p->state, chan, killed, xstate, pid.
// A process switching to the scheduler holds exactly its own p->lock; the
// scheduler releases it after swtch() returns, and takes it before
// switching to a process.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "memstat.h"
#include "defs.h"
#include "mm/swap.h"
#include "inject.h"

struct cpu cpus[NCPU];
struct proc proc[NPROC];
struct proc *initproc;

static int nextpid = 1;
static struct spinlock pid_lock;
static struct spinlock wait_lock;

extern char trampoline[]; // trampoline.S
extern pagetable_t kernel_pagetable;
extern void forkret(void);
static void freeproc(struct proc *p);

// Map a kernel stack for every process slot, each under an unmapped guard
// page (KSTACK). Runs once at boot; out of memory here is fatal.
static void
proc_mapstacks(pagetable_t kpgtbl)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    char *pa = kalloc();
    if(pa == 0)
      panic("proc_mapstacks: out of memory");
    kvmmap(kpgtbl, KSTACK((int)(p - proc)), (uint64)pa, PGSIZE, PTE_R | PTE_W);
  }
}

void
procinit(void)
{
  initlock(&pid_lock, "nextpid");
  initlock(&wait_lock, "wait_lock");
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    initlock(&p->lock, "proc");
    p->state = UNUSED;
    p->kstack = KSTACK((int)(p - proc));
  }
  proc_mapstacks(kernel_pagetable);
  aspace_init();
}

// This hart's id, kept in tp. Interrupts must be off, or the process could
// move to another hart right after reading it.
int
cpuid(void)
{
  return r_tp();
}

// This hart's struct cpu. Interrupts must be off.
struct cpu *
mycpu(void)
{
  return &cpus[cpuid()];
}

// The process running on this hart, or 0.
struct proc *
myproc(void)
{
  push_off();
  struct proc *p = mycpu()->proc;
  pop_off();
  return p;
}

static int
allocpid(void)
{
  acquire(&pid_lock);
  int pid = nextpid++;
  release(&pid_lock);
  return pid;
}

// Find an UNUSED slot and prepare it to run in the kernel: trapframe,
// empty address space (no regions), context that starts at forkret. Returns the
// process in state USED (the scheduler passes it by) with no lock held,
// or 0 when the table is full or memory ran out. p->lock is held only to
// claim the slot: an allocation under it could take swap.lock or kmem's
// locks, and wakeup() takes every p->lock while holding such locks (the
// lock order in kernel/lockorder.h).
static struct proc *
allocproc(void)
{
  struct proc *p;

  for(p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->state == UNUSED)
      goto found;
    release(&p->lock);
  }
  return 0;

found:
  p->pid = allocpid();
  p->state = USED;
  release(&p->lock);
  if((p->trapframe = (struct trapframe *)kalloc()) == 0)
    goto bad;
  memset(p->trapframe, 0, PGSIZE);
  memset(&p->fp, 0, sizeof(p->fp));
  if((p->as = aspace_create(p)) == 0)
    goto bad;
  aspace_publish(p->as);  // fork fills it under its lock, with reclaim looking on

  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + PGSIZE;
  return p;

bad:
  freeproc(p);
  return 0;
}

// Free p's address space (aspace_destroy takes it out of reclaim's
// sight first) and give back what was promised for it.
static void
proc_freemem(struct proc *p)
{
  struct aspace *as = p->as;

  p->as = 0;
  if(as){
    uint64 pages = aspace_pages(as);
    aspace_destroy(as);
    vm_uncommit(pages);
  }
}

// Return a slot that no one else uses any more (being set up, or a zombie
// its parent reaps) to UNUSED, freeing its memory. Takes p->lock only to
// mark it UNUSED, after the memory is freed: freeing takes the memory
// system's locks, which come before p->lock (kernel/lockorder.h).
static void
freeproc(struct proc *p)
{
  KASSERT(!holding(&p->lock), "freeproc: pid %d's p->lock held across freeing its memory",
          p->pid);
  if(p->trapframe)
    kfree(p->trapframe);
  p->trapframe = 0;
  proc_freemem(p);
  acquire(&p->lock);
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
  release(&p->lock);
}

// A user page table with only the trampoline and the trapframe mapped, or
// 0 when out of memory.
pagetable_t
proc_pagetable(struct proc *p)
{
  pagetable_t pagetable = uvmcreate();
  if(pagetable == 0)
    return 0;

  // No PTE_U: only the kernel (in supervisor mode) runs these pages.
  if(mappages(pagetable, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) < 0)
    goto bad;
  if(mappages(pagetable, TRAPFRAME, PGSIZE, (uint64)p->trapframe, PTE_R | PTE_W) < 0)
    goto bad;
  return pagetable;

bad:
  uvmunmap(pagetable, TRAMPOLINE, 1, UVM_HOLES);
  uvmfree(pagetable);
  return 0;
}

// Free a user page table that maps nothing but the trampoline and the
// trapframe (aspace_destroy has unmapped its regions); those two frames
// are not the page table's to free.
void
proc_freepagetable(pagetable_t pagetable)
{
  uvmunmap(pagetable, TRAMPOLINE, 1, 0);
  uvmunmap(pagetable, TRAPFRAME, 1, 0);
  uvmfree(pagetable);
}

// Create the first process. It has no user memory yet: when it first runs,
// forkret() mounts the file system and execs /init.
void
userinit(void)
{
  struct proc *p = allocproc();
  if(p == 0)
    panic("userinit: cannot allocate the first process");
  initproc = p;
  safestrcpy(p->name, "init", sizeof(p->name));
  acquire(&p->lock);
  p->state = RUNNABLE;
  release(&p->lock);
}

#ifdef SOL_LAZY
// Grow the calling process p's heap from its break to newbrk. Lab lazy:
// only the heap region grows (and the promise is counted); the fault
// handler (mm/fault.c) backs each page on first touch. Returns 0, or -1
// when the commit limit forbids it.
static int
grow_heap(struct proc *p, uint64 newbrk)
{
  return vm_commit((PGROUNDUP(newbrk) - PGROUNDUP(p->as->brk)) / PGSIZE, VM_COMMIT_NEW);
}
#else
// Grow the calling process p's heap from its break to newbrk, with zeroed
// frames allocated and mapped now. Returns 0, or -1 when memory runs out
// (nothing is left allocated then).
static int
grow_heap(struct proc *p, uint64 newbrk)
{
  uint64 brk = p->as->brk;
  // A request larger than the free frames cannot succeed: do not use up
  // all of RAM trying.
  if((newbrk - brk) / PGSIZE > kfreecount())
    return -1;
  if(vm_commit((PGROUNDUP(newbrk) - PGROUNDUP(brk)) / PGSIZE, VM_COMMIT_NEW) < 0)
    return -1;
  if(uvmalloc(p->as->pagetable, brk, newbrk - (BUG_SBRK ? PGSIZE : 0), PTE_W) == 0){
    vm_uncommit((PGROUNDUP(newbrk) - PGROUNDUP(brk)) / PGSIZE);
    return -1;
  }
  return 0;
}
#endif

// Grow or shrink the calling process's heap by n bytes. Returns 0, or -1
// when the new break would be negative, would run into the region above
// the heap (or the trapframe), or memory cannot be promised (the process
// is left unchanged). Shrinking frees the pages of the released range.
int
growproc(long n)
{
  struct proc *p = myproc();
  struct aspace *as = p->as;
  uint64 brk = as->brk;

  if(n < 0){
    if((uint64)-n > brk)
      return -1;
    vm_uncommit(aspace_shrink(as, brk + n));
    return 0;
  }
  struct region *heap = aspace_heap(as), *above = heap + 1;
  uint64 limit = above < &as->region[as->nregion] ? above->start : TRAPFRAME;
  if(n > limit || brk + n > limit)
    return -1;
  if(n > 0 && grow_heap(p, brk + n) < 0)
    return -1;
  acquire(&as->lock);
  as->brk = brk + n;
  heap->end = PGROUNDUP(as->brk);
  release(&as->lock);
  return 0;
}

// Create a child that is a copy of the caller. Returns the child's pid in
// the parent and 0 in the child, or -1 when there is no free slot or not
// enough memory.
int
fork(void)
{
  struct proc *np, *p = myproc();

  if((np = allocproc()) == 0)
    return -1;
  if(BUG_FORK_LOCK_ORDER){   // the fork/swap shape: a lock that wakeup() runs under, under p->lock
    acquire(&np->lock);
    acquire(&tickslock);
    release(&tickslock);
    release(&np->lock);
  }
  uint64 pages = aspace_pages(p->as);
  if(vm_commit(pages, VM_COMMIT_COPY) < 0){
    freeproc(np);
    return -1;
  }
  if(aspace_fork(p->as, np->as) < 0){
    // freeproc gives back what the child's regions promise: so far
    // they are the ones copied.
    vm_uncommit(pages - aspace_pages(np->as));
    freeproc(np);
    return -1;
  }
  *(np->trapframe) = *(p->trapframe);
  np->fp = p->fp;        // saved by usertrap when p entered the kernel
  np->trapframe->a0 = 0; // fork returns 0 in the child

  for(int i = 0; i < NOFILE; i++)
    if(p->ofile[i])
      np->ofile[i] = filedup(p->ofile[i]);
  np->cwd = idup(p->cwd);
  safestrcpy(np->name, p->name, sizeof(p->name));
  int pid = np->pid;

  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);

  acquire(&np->lock);
  np->state = RUNNABLE;
  release(&np->lock);
  return pid;
}

// Give p's children to init. wait_lock must be held.
static void
reparent(struct proc *p)
{
  assert_held(&wait_lock);
  for(struct proc *pp = proc; pp < &proc[NPROC]; pp++){
    if(pp->parent == p){
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

// End the calling process with `status`. It stays a ZOMBIE until its
// parent calls wait(). Never returns.
void
exit(int status)
{
  struct proc *p = myproc();

  if(p == initproc)
    panic("exit: init exiting with status %d", status);

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd]){
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;
  selftest_exit(p); // test-only kernel blocks it holds become orphans
  // Give the memory back now, not when the parent waits: a parent may
  // never wait, and the out-of-memory killer counts on a victim's memory
  // coming back when it exits. This runs on the kernel page table.
  proc_freemem(p);

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent); // the parent may be sleeping in wait()
  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);

  sched();
  panic("exit: zombie %d ran again", p->pid);
}

// Wait for a child to exit; copy its status to user address addr unless it
// is 0. Returns the child's pid, or -1 when the caller has no children, is
// killed, or addr is bad (the child is then still reaped).
int
wait(uint64 addr)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  for(;;){
    int havekids = 0;
    for(struct proc *pp = proc; pp < &proc[NPROC]; pp++){
      if(pp->parent != p)
        continue;
      acquire(&pp->lock);
      havekids = 1;
      if(pp->state == ZOMBIE){
        int pid = pp->pid, xstate = pp->xstate;
        release(&pp->lock);
        freeproc(pp);   // only its parent, holding wait_lock, reaps a zombie
        release(&wait_lock);
        // With no spinlock held: the copy may fault the page in (and sleep).
        if(addr != 0 && copyout(p->as->pagetable, addr, (char *)&xstate, sizeof(xstate)) < 0)
          return -1;
        return pid;
      }
      release(&pp->lock);
    }
    if(!havekids || killed(p)){
      release(&wait_lock);
      return -1;
    }
    sleep(p, &wait_lock);
  }
}

// Each hart's scheduler loop: pick a RUNNABLE process and run it until it
// gives the hart back. With nothing to run, sleep in wfi with interrupts
// off (a pending interrupt still wakes wfi), so that idle harts do not
// burn host CPU and no wakeup slips between the search and the wfi.
void
scheduler(void)
{
  struct cpu *c = mycpu();

  c->proc = 0;
  for(;;){
    // Let pending device interrupts in, then search with them off.
    intr_on();
    intr_off();

    int found = 0;
    for(struct proc *p = proc; p < &proc[NPROC]; p++){
      acquire(&p->lock);
      if(p->state == RUNNABLE){
        p->state = RUNNING;
        c->proc = p;
        swtch(&c->context, &p->context);
        c->proc = 0; // the process has changed its state and come back
        found = 1;
      }
      release(&p->lock);
    }
    if(!found)
      wfi();
  }
}

// Switch to this hart's scheduler. The caller holds exactly p->lock and has
// already changed p->state. intena belongs to this kernel thread, not to
// the hart, so it is saved and restored around the switch.
void
sched(void)
{
  struct proc *p = myproc();

  KASSERT(holding(&p->lock), "sched: p->lock of pid %d not held", p->pid);
  KASSERT(mycpu()->noff == 1, "sched: %d locks held, want only p->lock", mycpu()->noff);
  KASSERT(p->state != RUNNING, "sched: pid %d still RUNNING", p->pid);
  KASSERT(!intr_get(), "sched: interrupts enabled");

  int intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena;
}

// Give up the hart for one scheduling round.
void
yield(void)
{
  struct proc *p = myproc();
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// A new process's first code in the kernel, reached through swtch() from
// the scheduler, which still holds p->lock. The very first process also
// mounts the root file system (which needs a process context to sleep on
// disk I/O) and becomes /init.
void
forkret(void)
{
  static int first = 1;
  struct proc *p = myproc();

  release(&p->lock);
  if(first){
    first = 0;
    fsinit(ROOTDEV);
    swap_init();
    __sync_synchronize();
    boot_tasks();   // main.c: the self-tests and benchmarks kernel options ask for
    p->cwd = namei("/");
    char *argv[] = { "init", 0 };
    int argc = kexec("/init", argv);
    if(argc < 0)
      panic("forkret: cannot exec /init");
    p->trapframe->a0 = argc;
  }
  usertrapret();
}

// Atomically release lk and sleep on chan; take lk again when woken.
void
sleep(void *chan, struct spinlock *lk)
{
  struct proc *p = myproc();

  if(lockdep_on)
    lockdep_sleep(lk, (uint64)__builtin_return_address(0));
  // Holding p->lock before releasing lk means no wakeup(chan) can run in
  // between: wakeup needs p->lock to see us.
  acquire(&p->lock);
  release(lk);
  p->chan = chan;
  p->state = SLEEPING;
  sched();
  p->chan = 0;
  release(&p->lock);
  acquire(lk);
}

// Wake every process sleeping on chan. Must not be called with any
// p->lock held.
void
wakeup(void *chan)
{
  struct proc *me = myproc();

  if(lockdep_on)   // counts as taking every p->lock, sleeper or not
    lockdep_wakeup(&proc[0].lock, (uint64)__builtin_return_address(0));
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p == me)
      continue;
    acquire(&p->lock);
    if(p->state == SLEEPING && p->chan == chan)
      p->state = RUNNABLE;
    release(&p->lock);
  }
}

// Mark the process `pid` killed; it exits when it next returns to user
// mode (or wakes from a sleep that checks). Returns 0, or -1 if no such
// pid or pid is init's: init reaps every orphan and must never exit.
int
kill(int pid)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p == initproc)
      continue;  // initproc is set once, before any kill can run
    acquire(&p->lock);
    if(p->pid == pid && p->state != UNUSED){
      p->killed = 1;
      if(p->state == SLEEPING)
        p->state = RUNNABLE;
      release(&p->lock);
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}

// Fill *vs with the address space of process pid (0: the caller), found
// on the list of live address spaces and walked under its own lock
// (uvmspace), so the process may run on another hart meanwhile. Returns
// 0, or -1 if no such process has an address space (none, or exited).
int
procvmspace(int pid, struct vmspace *vs)
{
  memset(vs, 0, sizeof(*vs));
  if(pid == 0)
    pid = myproc()->pid;
  return uvmspace(pid, vs);
}

void
setkilled(struct proc *p)
{
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

int
killed(struct proc *p)
{
  acquire(&p->lock);
  int k = p->killed;
  release(&p->lock);
  return k;
}

// Copy to a user address (user_dst = 1) or a kernel address. 0 or -1.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if(user_dst)
    return copyout(myproc()->as->pagetable, dst, src, len);
  memmove((char *)dst, src, len);
  return 0;
}

// Copy from a user address (user_src = 1) or a kernel address. 0 or -1.
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if(user_src)
    return copyin(myproc()->as->pagetable, dst, src, len);
  memmove(dst, (char *)src, len);
  return 0;
}

// List the processes on the console (^P), with the channel each sleeps
// on, between lines that the graders look for ("procdump: begin" and
// "procdump: end"), and the sum of the vmstat counters: a grader that
// sees two dumps alike, with no output between, knows nothing moved.
// Takes no locks, so that it works on a wedged machine; what it prints
// may be slightly stale.
void
procdump(void)
{
  static char *states[] = {
    [UNUSED] "unused", [USED] "used", [SLEEPING] "sleep ",
    [RUNNABLE] "runble", [RUNNING] "run   ", [ZOMBIE] "zombie"
  };
  static struct vmstat vs;   // not on the stack of an interrupt
  uint64 events = 0;

  printf("\nprocdump: begin\n");
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p->state == UNUSED)
      continue;
    char *state = (p->state >= 0 && p->state < NELEM(states)) ? states[p->state] : "???";
    printf("%d %s %s %d KiB", p->pid, state, p->name, p->as ? (int)(p->as->brk / 1024) : 0);
    if(p->state == SLEEPING)
      printf(" chan %p", p->chan);
    printf("\n");
  }
  kvmstat(&vs);
  for(int i = 0; i < vs.ncounters; i++)
    events += vs.count[i];
  printf("procdump: vmstat events %d\nprocdump: end\n", (int)events);
}
