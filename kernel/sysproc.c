// System calls about processes, time and memory.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "proc.h"
#include "memstat.h"

uint64
sys_exit(void)
{
  int n;
  argint(0, &n);
  exit(n);
}

uint64
sys_getpid(void)
{
  return myproc()->pid;
}

uint64
sys_fork(void)
{
  return fork();
}

uint64
sys_wait(void)
{
  uint64 p;
  argaddr(0, &p);
  return wait(p);
}

// sbrk(n): grow (or shrink, n < 0) the heap; returns the old break, or -1.
uint64
sys_sbrk(void)
{
  int n;
  argint(0, &n);
  uint64 addr = myproc()->as->brk;
  if(growproc(n) < 0)
    return -1;
  return addr;
}

// sleep(n): wait n clock ticks. Returns -1 if killed while sleeping.
uint64
sys_sleep(void)
{
  int n;
  argint(0, &n);
  if(n < 0)
    n = 0;
  acquire(&tickslock);
  uint ticks0 = ticks;
  while(ticks - ticks0 < n){
    if(killed(myproc())){
      release(&tickslock);
      return -1;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
}

uint64
sys_kill(void)
{
  int pid;
  argint(0, &pid);
  return kill(pid);
}

// Clock ticks since boot.
uint64
sys_uptime(void)
{
  acquire(&tickslock);
  uint xticks = ticks;
  release(&tickslock);
  return xticks;
}

// memstat(struct memstat *st): frame counts. 0, or -1 for a bad pointer.
uint64
sys_memstat(void)
{
  uint64 addr;
  struct memstat st;

  argaddr(0, &addr);
  kmemstat(&st);
  if(copyout(myproc()->as->pagetable, addr, (char *)&st, sizeof(st)) < 0)
    return -1;
  return 0;
}

// vmstat(struct vmstat *vs): counters of the memory system (memstat.h).
// 0, or -1 for a bad pointer.
uint64
sys_vmstat(void)
{
  uint64 addr;
  struct vmstat vs;

  argaddr(0, &addr);
  kvmstat(&vs);
  if(copyout(myproc()->as->pagetable, addr, (char *)&vs, sizeof(vs)) < 0)
    return -1;
  return 0;
}

// vmspace(int pid, struct vmspace *vs): the address space of process pid
// (0: the caller), by region (memstat.h). 0, or -1 for no such process or
// a bad pointer.
uint64
sys_vmspace(void)
{
  int pid;
  uint64 addr;
  struct vmspace vs;

  argint(0, &pid);
  argaddr(1, &addr);
  if(procvmspace(pid, &vs) < 0)
    return -1;
  if(copyout(myproc()->as->pagetable, addr, (char *)&vs, sizeof(vs)) < 0)
    return -1;
  return 0;
}

// halt(): power the machine off. Scripts end QEMU with it.
uint64
sys_halt(void)
{
  lockdep_dump();   // the lock-order graph, for tests/lockdep
  printf("halt: powering off\n");
  sbi_shutdown();
}

// buddyinfo(struct buddyinfo *bi): free blocks per order. 0, or -1 for a
// bad pointer or an allocator without orders.
uint64
sys_buddyinfo(void)
{
  uint64 addr;
  struct buddyinfo bi;

  argaddr(0, &addr);
  if(kbuddyinfo(&bi) < 0)
    return -1;
  if(copyout(myproc()->as->pagetable, addr, (char *)&bi, sizeof(bi)) < 0)
    return -1;
  return 0;
}

// memmap(char *buf, int n, int start, int group): one character per group
// of `group` frames (memstat.h), for groups start, start+1, ... Returns
// the number of characters written (0 past the end of RAM), or -1 for a
// bad pointer or argument.
uint64
sys_memmap(void)
{
  uint64 addr;
  int n, start, group, done = 0;
  char chunk[128];

  argaddr(0, &addr);
  argint(1, &n);
  argint(2, &start);
  argint(3, &group);
  if(n < 0 || start < 0 || group <= 0)
    return -1;
  while(done < n){
    int want = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
    int got = kmemmap(chunk, want, start + done, group);
    if(got == 0)
      break;
    if(copyout(myproc()->as->pagetable, addr + done, chunk, got) < 0)
      return -1;
    done += got;
  }
  return done;
}

// kmemtest(cmd, arg): drive kernel allocations from a test program; only
// with the kernel option `selftest` (mm/selftest.c), else -1.
uint64
sys_kmemtest(void)
{
  int cmd, arg;

  argint(0, &cmd);
  argint(1, &arg);
  return selftest_kmemtest(cmd, arg);
}
