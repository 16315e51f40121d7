// Traps: system calls, exceptions and interrupts, from user mode
// (uservec in trampoline.S -> usertrap) and from the kernel (kernelvec ->
// kerneltrap). The timer is programmed through SBI set_timer, one tick
// every 1/TICK_HZ s on each hart; the boot hart counts ticks.
//
// tickslock guards ticks.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "fdt.h"
#include "defs.h"

struct spinlock tickslock;
uint ticks;

extern char trampoline[], uservec[], userret[];
extern uint64 boot_hartid;
void kernelvec(void);

static uint64 timer_interval; // timebase ticks between timer interrupts

void
trapinit(void)
{
  initlock(&tickslock, "time");
  timer_interval = bootinfo.timebase_freq / TICK_HZ;
}

static void
timer_arm(void)
{
  sbi_set_timer(r_time() + timer_interval);
}

// Install the kernel trap vector and enable this hart's interrupts
// (external, timer, software) in sie; sstatus.SIE stays off until the
// scheduler turns it on. The FP unit is off in the kernel (OpenSBI
// leaves it on): the kernel has no FP state of its own to keep.
void
trapinithart(void)
{
  w_sstatus((r_sstatus() & ~SSTATUS_FS) | SSTATUS_FS_OFF);
  w_stvec((uint64)kernelvec);
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);
  timer_arm();
}

// A readable name of an exception's scause, for messages.
char *
scause_name(uint64 scause)
{
  switch(scause){
  case SCAUSE_INSN_MISALIGNED: return "instruction address misaligned";
  case SCAUSE_INSN_ACCESS: return "instruction access fault";
  case SCAUSE_ILLEGAL_INSN: return "illegal instruction";
  case SCAUSE_BREAKPOINT: return "breakpoint";
  case 4: return "load address misaligned";
  case SCAUSE_LOAD_ACCESS: return "load access fault";
  case 6: return "store address misaligned";
  case SCAUSE_STORE_ACCESS: return "store access fault";
  case SCAUSE_INSN_PAGE_FAULT: return "instruction page fault";
  case SCAUSE_LOAD_PAGE_FAULT: return "load page fault";
  case SCAUSE_STORE_PAGE_FAULT: return "store page fault";
  }
  return "unknown exception";
}

// Floating point: a process's FP registers are live in the hart only while
// it is in user mode. On the way in, they are saved to p->fp, but only if
// sstatus.FS says the program changed one since they were loaded (Dirty);
// then the unit is turned off, so that the kernel, which runs other
// processes before this one returns, cannot clobber or read them. On the
// way out they are loaded from p->fp and FS is set to Clean.
// Interrupts are off in both.
static void
fp_usertrap(struct proc *p)
{
  uint64 s = r_sstatus();
  if((s & SSTATUS_FS) == SSTATUS_FS_DIRTY)
    fp_save(&p->fp);
  w_sstatus((s & ~SSTATUS_FS) | SSTATUS_FS_OFF);
}

static void
fp_usertrapret(struct proc *p)
{
  w_sstatus((r_sstatus() & ~SSTATUS_FS) | SSTATUS_FS_CLEAN);
  fp_restore(&p->fp);
  w_sstatus((r_sstatus() & ~SSTATUS_FS) | SSTATUS_FS_CLEAN);
}

// Handle a trap from user mode: a system call, a device or timer interrupt,
// a page fault (mm/fault.c), or another exception, which kills the process
// with a message.
void
usertrap(void)
{
  int which_dev = 0;

  KASSERT((r_sstatus() & SSTATUS_SPP) == 0, "usertrap: trap not from user mode");
  fp_usertrap(myproc());
  aspace_leave_user(myproc()->as);  // uservec switched to the kernel's page table

  // Further traps come from the kernel now.
  w_stvec((uint64)kernelvec);

  struct proc *p = myproc();
  p->trapframe->epc = r_sepc();
  uint64 scause = r_scause();

  if(scause == SCAUSE_ECALL_U){
    if(killed(p))
      exit(-1);
    p->trapframe->epc += 4; // return past the ecall
    // Interrupts may come now that sepc, scause and sstatus are saved.
    intr_on();
    syscall();
  } else if((which_dev = devintr()) != 0){
    // handled
  } else if(scause == SCAUSE_INSN_PAGE_FAULT || scause == SCAUSE_LOAD_PAGE_FAULT ||
            scause == SCAUSE_STORE_PAGE_FAULT){
    uint64 va = r_stval();
    // As for a system call: resolving a fault may reclaim (lab swap), a
    // long scan that must not keep the timer from this hart.
    intr_on();
    fault_user(p, scause, va); // mm/fault.c: resolves it or kills p
  } else {
    printf("pid %d (%s): %s (scause %p) at pc %p, address %p: killed\n",
           p->pid, p->name, scause_name(scause), (void*)scause,
           (void*)r_sepc(), (void*)r_stval());
    setkilled(p);
  }

  if(killed(p))
    exit(-1);
  if(which_dev == 2)
    yield();
  usertrapret();
}

// Return to user mode through userret in the trampoline.
void
usertrapret(void)
{
  struct proc *p = myproc();

  // From here until sret a trap would go to uservec in the wrong state.
  intr_off();
  w_stvec(TRAMPOLINE + (uservec - trampoline));
  fp_usertrapret(p);

  // What uservec needs for the next trap into the kernel.
  p->trapframe->kernel_satp = r_satp();
  p->trapframe->kernel_sp = p->kstack + PGSIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  // sret goes to user mode with interrupts enabled.
  uint64 x = r_sstatus();
  x &= ~SSTATUS_SPP;
  x |= SSTATUS_SPIE;
  w_sstatus(x);
  w_sepc(p->trapframe->epc);

  // From here a TLB shootdown of p's address space must reach this hart.
  aspace_enter_user(p->as);
  uint64 satp = MAKE_SATP(p->as->pagetable);
  uint64 trampoline_userret = TRAMPOLINE + (userret - trampoline);
  ((void (*)(uint64))trampoline_userret)(satp);
}

// A trap while in the kernel: only interrupts are expected; an exception
// is a kernel bug.
void
kerneltrap(void)
{
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();
  uint64 scause = r_scause();

  KASSERT(sstatus & SSTATUS_SPP, "kerneltrap: trap not from supervisor mode");
  KASSERT(!intr_get(), "kerneltrap: interrupts enabled");

  int which_dev = devintr();
  if(which_dev == 0){
    // kernelvec saved the interrupted ra at the bottom of its frame, which
    // is where this function's frame pointer points.
    uint64 ra = *(uint64*)r_fp();
    struct proc *p = mycpu()->proc;
    panic("kerneltrap: %s (scause %p) at pc %p, address %p; ra %p, sp %p, process %s",
          scause_name(scause), (void*)scause, (void*)sepc, (void*)r_stval(),
          (void*)ra, (void*)(r_fp() + 256), p ? p->name : "none");
  }

  if(which_dev == 2 && myproc() != 0)
    yield();

  // yield() may have trapped in between: restore what sret needs.
  w_sepc(sepc);
  w_sstatus(sstatus);
}

// Sleep until the next clock tick. The caller holds no spinlock.
void
sleep_tick(void)
{
  acquire(&tickslock);
  sleep(&ticks, &tickslock);
  release(&tickslock);
}

static void
clockintr(void)
{
  if(cpuid() == boot_hartid){
    acquire(&tickslock);
    ticks++;
    wakeup(&ticks);
    release(&tickslock);
  }
  timer_arm();
}

// Handle a device or timer interrupt. Returns 2 for the timer, 1 for
// another device, 0 when scause is not an interrupt this kernel knows.
int
devintr(void)
{
  uint64 scause = r_scause();

  if(scause == SCAUSE_EXTERNAL_INTR){
    int irq = plic_claim();
    if(irq == UART0_IRQ)
      uartintr();
    else if(irq >= VIRTIO_IRQ(0) && irq < VIRTIO_IRQ(NVDISK))
      virtio_disk_intr(irq - VIRTIO_IRQ(0));
    else if(irq)
      printf("devintr: unexpected interrupt irq=%d\n", irq);
    if(irq)
      plic_complete(irq);
    return 1;
  } else if(scause == SCAUSE_TIMER_INTR){
    clockintr();
    return 2;
  } else if(scause == SCAUSE_SOFT_INTR){
    // Software interrupts (IPIs) carry no work yet: acknowledge.
    w_sip(r_sip() & ~SIE_SSIE);
    return 1;
  }
  return 0;
}
