// Page faults: the one place that decides what a fault on a user address
// means, and resolves it when the memory system can.
//
// Two ways in, so that a system call touching user memory behaves exactly
// like the program touching it:
//   - fault_user(): usertrap hands over every instruction, load and store
//     page fault from user mode (scause 12, 13, 15) with stval, the
//     faulting address. A fault that is not resolved kills the process
//     with a message saying why.
//   - fault_resolve(): the user-copy walk (copy_user in vm.c, behind
//     copyin, copyout and copyinstr) calls it when a page is missing, or
//     read-only for a write. A fault that is not resolved makes the copy,
//     and so the system call, fail with -1; nothing is killed.
//
// Resolving is the labs' work: lazy allocation (lab lazy), copy-on-write
// (lab cow) and swap-in (lab swap) each add a case to fault_resolve().
// Until then every fault is diagnosed and refused.
//
// Locking: a fault changes only the faulting process's own page table,
// from its own kernel thread, so it needs no lock of its own.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "memstat.h"
#include "defs.h"

// Why an access to va by process p cannot be allowed as the page table
// stands: a short phrase for the kill message.
static char *
fault_diagnose(struct proc *p, uint64 va, enum fault_access access)
{
  if(va >= MAXVA)
    return "address beyond the user address space";
  pte_t *pte = walk(p->pagetable, va, 0);
  if(pte == 0 || (*pte & PTE_V) == 0)
    return "not mapped";
  if((*pte & PTE_U) == 0)
    return "not a user page (stack guard, trapframe or trampoline)";
  if(access == FAULT_WRITE && (*pte & PTE_W) == 0)
    return "write to read-only page";
  if(access == FAULT_EXEC && (*pte & PTE_X) == 0)
    return "execute of non-executable page";
  if(access == FAULT_READ && (*pte & PTE_R) == 0)
    return "read of unreadable page";
  return "access allowed by the page table: a stale TLB entry?";
}

// Try to make the access `access` to user address va of process p
// possible. Returns 0 when it is now mapped as the access needs, or a
// phrase saying why not. Called by p's own kernel thread only.
char *
fault_resolve(struct proc *p, uint64 va, enum fault_access access)
{
  vmstat_count(VMSTAT_FAULT);
  char *why = fault_diagnose(p, va, access);
  vmstat_count(VMSTAT_FAULT_BAD);
  return why;
}

static enum fault_access
access_of(uint64 scause)
{
  switch(scause){
  case SCAUSE_INSN_PAGE_FAULT: return FAULT_EXEC;
  case SCAUSE_STORE_PAGE_FAULT: return FAULT_WRITE;
  default: return FAULT_READ;
  }
}

// A page fault from user mode (usertrap): resolve it, or kill the process
// with a message naming the fault and why it could not be resolved.
void
fault_user(struct proc *p, uint64 scause, uint64 va)
{
  KASSERT(scause == SCAUSE_INSN_PAGE_FAULT || scause == SCAUSE_LOAD_PAGE_FAULT ||
          scause == SCAUSE_STORE_PAGE_FAULT, "fault_user: scause %p is not a page fault",
          (void*)scause);
  char *why = fault_resolve(p, va, access_of(scause));
  if(why == 0)
    return;
  printf("pid %d (%s): %s (scause %p) at pc %p, address %p: killed (%s)\n",
         p->pid, p->name, scause_name(scause), (void*)scause,
         (void*)p->trapframe->epc, (void*)va, why);
  setkilled(p);
}
