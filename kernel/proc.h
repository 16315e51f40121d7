#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H
#include "types.h"
#include "riscv.h"
#include "spinlock.h"
#include "param.h"
#include "mm/aspace.h"

// Callee-saved registers saved by swtch() when a kernel thread gives up the hart.
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

// Per-hart state.
struct cpu {
  struct proc *proc;      // process running on this hart, or null
  struct context context; // swtch() here to enter the scheduler
  int noff;               // depth of push_off() nesting
  int intena;             // were interrupts enabled before push_off()?
  int started;            // hart has finished its own init
};

extern struct cpu cpus[NCPU];

// Saved user registers, in a page of its own mapped just under the
// trampoline in the user page table (TRAPFRAME) and reachable from the
// kernel by its physical address. The offsets are part of trampoline.S:
// change both together.
struct trapframe {
  /*   0 */ uint64 kernel_satp;   // kernel page table
  /*   8 */ uint64 kernel_sp;     // top of process's kernel stack
  /*  16 */ uint64 kernel_trap;   // usertrap()
  /*  24 */ uint64 epc;           // saved user program counter
  /*  32 */ uint64 kernel_hartid; // saved kernel tp
  /*  40 */ uint64 ra;
  /*  48 */ uint64 sp;
  /*  56 */ uint64 gp;
  /*  64 */ uint64 tp;
  /*  72 */ uint64 t0;
  /*  80 */ uint64 t1;
  /*  88 */ uint64 t2;
  /*  96 */ uint64 s0;
  /* 104 */ uint64 s1;
  /* 112 */ uint64 a0;
  /* 120 */ uint64 a1;
  /* 128 */ uint64 a2;
  /* 136 */ uint64 a3;
  /* 144 */ uint64 a4;
  /* 152 */ uint64 a5;
  /* 160 */ uint64 a6;
  /* 168 */ uint64 a7;
  /* 176 */ uint64 s2;
  /* 184 */ uint64 s3;
  /* 192 */ uint64 s4;
  /* 200 */ uint64 s5;
  /* 208 */ uint64 s6;
  /* 216 */ uint64 s7;
  /* 224 */ uint64 s8;
  /* 232 */ uint64 s9;
  /* 240 */ uint64 s10;
  /* 248 */ uint64 s11;
  /* 256 */ uint64 t3;
  /* 264 */ uint64 t4;
  /* 272 */ uint64 t5;
  /* 280 */ uint64 t6;
};

// A process's floating-point registers while it is not in user mode.
// The offsets are part of fp_save/fp_restore in swtch.S.
struct fpstate {
  uint64 f[32];  // f0..f31, as 64-bit patterns
  uint64 fcsr;   // rounding mode and exception flags
};
void fp_save(struct fpstate *);     // swtch.S
void fp_restore(struct fpstate *);  // swtch.S

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

// Per-process state.
//   (p) guarded by p->lock
//   (w) guarded by wait_lock (proc.c)
//   (-) private to the process: only its own kernel thread touches it
struct proc {
  struct spinlock lock;

  enum procstate state;        // (p)
  void *chan;                  // (p) sleeping on chan when non-zero
  int killed;                  // (p) killed: exit at the next chance
  int xstate;                  // (p) exit status for the parent's wait
  int pid;                     // (p)

  struct proc *parent;         // (w)

  uint64 kstack;               // (-) virtual address of kernel stack
  struct aspace *as;           // (-) its address space: page table, regions, break
                               //     (mm/aspace.h); others reach it through the
                               //     list of live address spaces, not through here
  struct trapframe *trapframe; // (-) page for trampoline.S
  struct fpstate fp;           // (-) FP registers, saved at each trap if dirty
  struct context context;      // (-) swtch() here to run the process
  struct file *ofile[NOFILE];  // (-) open files
  struct inode *cwd;           // (-) current directory
  char name[16];               // (-) for debugging
};
#endif
