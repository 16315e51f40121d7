// System call dispatch and argument fetching. The user's a7 selects the
// call, a0..a5 carry its arguments and a0 receives the result. Every user
// pointer is checked by copyin/copyinstr: a bad one makes the call return
// -1, never a kernel fault.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "syscall.h"
#include "defs.h"

// Fetch the uint64 at user address addr. 0 or -1 (copyin refuses an
// address in no region of the caller's).
int
fetchaddr(uint64 addr, uint64 *ip)
{
  struct proc *p = myproc();
  if(addr + sizeof(uint64) < addr)
    return -1;
  return copyin(p->as->pagetable, (char *)ip, addr, sizeof(*ip));
}

// Fetch the NUL-terminated string at user address addr into buf (max bytes
// with the NUL). Returns its length, or -1.
int
fetchstr(uint64 addr, char *buf, int max)
{
  struct proc *p = myproc();
  if(copyinstr(p->as->pagetable, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}

static uint64
argraw(int n)
{
  struct trapframe *tf = myproc()->trapframe;
  switch(n){
  case 0: return tf->a0;
  case 1: return tf->a1;
  case 2: return tf->a2;
  case 3: return tf->a3;
  case 4: return tf->a4;
  case 5: return tf->a5;
  }
  panic("argraw: argument %d out of range", n);
}

// The n'th argument as an int.
void
argint(int n, int *ip)
{
  *ip = argraw(n);
}

// The n'th argument as a user address. Not checked here: copyin/copyout
// check it when it is used.
void
argaddr(int n, uint64 *ap)
{
  *ap = argraw(n);
}

// The n'th argument as a string copied into buf. Returns its length, or
// -1 for a bad pointer or a string of max bytes or more.
int
argstr(int n, char *buf, int max)
{
  uint64 addr;
  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}

uint64 sys_fork(void);
uint64 sys_exit(void);
uint64 sys_wait(void);
uint64 sys_pipe(void);
uint64 sys_read(void);
uint64 sys_kill(void);
uint64 sys_exec(void);
uint64 sys_fstat(void);
uint64 sys_chdir(void);
uint64 sys_dup(void);
uint64 sys_getpid(void);
uint64 sys_sbrk(void);
uint64 sys_sleep(void);
uint64 sys_uptime(void);
uint64 sys_open(void);
uint64 sys_write(void);
uint64 sys_mknod(void);
uint64 sys_unlink(void);
uint64 sys_link(void);
uint64 sys_mkdir(void);
uint64 sys_close(void);
uint64 sys_memstat(void);
uint64 sys_halt(void);
uint64 sys_buddyinfo(void);
uint64 sys_memmap(void);
uint64 sys_kmemtest(void);
uint64 sys_vmstat(void);
uint64 sys_vmspace(void);
uint64 sys_fsfree(void);

static uint64 (*syscalls[])(void) = {
  [SYS_fork]    sys_fork,
  [SYS_exit]    sys_exit,
  [SYS_wait]    sys_wait,
  [SYS_pipe]    sys_pipe,
  [SYS_read]    sys_read,
  [SYS_kill]    sys_kill,
  [SYS_exec]    sys_exec,
  [SYS_fstat]   sys_fstat,
  [SYS_chdir]   sys_chdir,
  [SYS_dup]     sys_dup,
  [SYS_getpid]  sys_getpid,
  [SYS_sbrk]    sys_sbrk,
  [SYS_sleep]   sys_sleep,
  [SYS_uptime]  sys_uptime,
  [SYS_open]    sys_open,
  [SYS_write]   sys_write,
  [SYS_mknod]   sys_mknod,
  [SYS_unlink]  sys_unlink,
  [SYS_link]    sys_link,
  [SYS_mkdir]   sys_mkdir,
  [SYS_close]   sys_close,
  [SYS_memstat] sys_memstat,
  [SYS_halt]    sys_halt,
  [SYS_buddyinfo] sys_buddyinfo,
  [SYS_memmap]  sys_memmap,
  [SYS_kmemtest] sys_kmemtest,
  [SYS_vmstat]  sys_vmstat,
  [SYS_vmspace] sys_vmspace,
  [SYS_fsfree]  sys_fsfree,
};

void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if(num > 0 && num < NELEM(syscalls) && syscalls[num]){
    p->trapframe->a0 = syscalls[num]();
  } else {
    printf("pid %d (%s): unknown system call %d\n", p->pid, p->name, (int)num);
    p->trapframe->a0 = -1;
  }
}
