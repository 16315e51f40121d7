// exec: replace the calling process's memory with an ELF program from the
// file system and start it with arguments.
//
// The new image is built in a fresh page table; the old one is freed only
// once nothing can fail any more, so a failed exec returns -1 to a caller
// whose memory is untouched. Every value read from the file is checked:
// a corrupt or hostile ELF gives -1, never a kernel fault.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "elf.h"

static int loadseg(pagetable_t pagetable, uint64 va, struct inode *ip, uint offset, uint sz);

// PTE permissions for a segment's ELF flags (always user-accessible).
static int
flags2perm(int flags)
{
  int perm = PTE_U;
  if(flags & ELF_PROG_FLAG_EXEC)
    perm |= PTE_X;
  if(flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;
  return perm;
}

// Is the program header acceptable: loadable inside user space, page
// aligned, with no overflow?
static int
proghdr_ok(struct proghdr *ph)
{
  if(ph->memsz < ph->filesz)
    return 0;
  if(ph->vaddr + ph->memsz < ph->vaddr)
    return 0;
  if(ph->vaddr % PGSIZE != 0)
    return 0;
  if(ph->vaddr + ph->memsz > TRAPFRAME - (USERSTACK + 1) * PGSIZE)
    return 0;
  return 1;
}

// Load every PT_LOAD segment of the ELF in ip into pagetable. Returns the
// resulting size of user memory, or 0 on a bad file or out of memory
// (*szp then says how much was mapped, for the caller to free).
static uint64
load_program(pagetable_t pagetable, struct inode *ip, struct elfhdr *elf, uint64 *szp)
{
  struct proghdr ph;
  uint64 sz = 0;

  *szp = 0;
  if(elf->phnum > 64 || elf->phentsize != sizeof(ph))
    return 0;
  for(int i = 0; i < elf->phnum; i++){
    uint off = elf->phoff + i * sizeof(ph);
    if(readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return 0;
    if(ph.type != ELF_PROG_LOAD)
      continue;
    if(!proghdr_ok(&ph) || ph.vaddr < sz)
      return 0;
    uint64 sz1 = uvmalloc(pagetable, sz, ph.vaddr + ph.memsz, flags2perm(ph.flags));
    if(sz1 == 0)
      return 0;
    sz = *szp = sz1;
    if(loadseg(pagetable, ph.vaddr, ip, ph.off, ph.filesz) < 0)
      return 0;
  }
  return sz;
}

// Push the argument strings and the argv array onto the new stack.
// Returns the new sp with *argcp set, or 0 if they do not fit or MAXARG is
// exceeded.
static uint64
push_args(pagetable_t pagetable, uint64 sp, uint64 stackbase, char **argv, int *argcp)
{
  uint64 ustack[MAXARG + 1];
  int argc;

  for(argc = 0; argv[argc]; argc++){
    if(argc >= MAXARG)
      return 0;
    sp -= strlen(argv[argc]) + 1;
    sp -= sp % 16; // the RISC-V ABI wants sp 16-byte aligned
    if(sp < stackbase)
      return 0;
    if(copyout(pagetable, sp, argv[argc], strlen(argv[argc]) + 1) < 0)
      return 0;
    ustack[argc] = sp;
  }
  ustack[argc] = 0;

  sp -= (argc + 1) * sizeof(uint64);
  sp -= sp % 16;
  if(sp < stackbase)
    return 0;
  if(copyout(pagetable, sp, (char *)ustack, (argc + 1) * sizeof(uint64)) < 0)
    return 0;
  *argcp = argc;
  return sp;
}

// Replace the caller's image with the program at path (kernel strings in
// path and argv). Returns argc (which becomes a0 of the new program), or
// -1 with the caller unchanged.
int
kexec(char *path, char **argv)
{
  struct elfhdr elf;
  struct inode *ip;
  pagetable_t pagetable = 0;
  uint64 sz = 0, sp;
  int argc;
  struct proc *p = myproc();

  begin_op();
  if((ip = namei(path)) == 0){
    end_op();
    return -1;
  }
  ilock(ip);
  if(readi(ip, 0, (uint64)&elf, 0, sizeof(elf)) != sizeof(elf) || elf.magic != ELF_MAGIC)
    goto bad;
  if((pagetable = proc_pagetable(p)) == 0)
    goto bad;
  if(load_program(pagetable, ip, &elf, &sz) == 0)
    goto bad;
  iunlockput(ip);
  end_op();
  ip = 0;

  // A guard page (no PTE_U), then the user stack, above the program.
  sz = PGROUNDUP(sz);
  uint64 sz1 = uvmalloc(pagetable, sz, sz + (USERSTACK + 1) * PGSIZE, PTE_W);
  if(sz1 == 0)
    goto bad;
  sz = sz1;
  uvmclear(pagetable, sz - (USERSTACK + 1) * PGSIZE);
  sp = sz;
  if((sp = push_args(pagetable, sp, sz - USERSTACK * PGSIZE, argv, &argc)) == 0)
    goto bad;

  if(vm_commit(PGROUNDUP(sz) / PGSIZE, VM_COMMIT_NEW) < 0)
    goto bad;
  // The point of no return: nothing of the caller (its name, registers,
  // FP state, memory) has changed before here, so a failed exec returns
  // to a caller exactly as it was.
  char *last = path, *s;
  for(s = path; *s; s++)
    if(*s == '/')
      last = s + 1;
  safestrcpy(p->name, last, sizeof(p->name));
  memset(&p->fp, 0, sizeof(p->fp)); // a new program starts with zeroed FP registers
  // main(argc, argv): argc comes back as the return value (a0), argv in a1.
  p->trapframe->a1 = sp;
  acquire(&p->vmlock);   // reclaim sees the new image from now on, not the old
  pagetable_t oldpagetable = p->pagetable;
  uint64 oldsz = p->sz, oldheap = p->heap_base;
  p->pagetable = pagetable;
  p->sz = sz;
  p->heap_base = sz;  // the heap starts right above the stack
  release(&p->vmlock);
  p->trapframe->epc = elf.entry;
  p->trapframe->sp = sp;
  proc_freepagetable(oldpagetable, oldheap, oldsz);
  vm_uncommit(PGROUNDUP(oldsz) / PGSIZE);
  return argc;

bad:
  if(pagetable)
    proc_freepagetable(pagetable, sz, sz);
  if(ip){
    iunlockput(ip);
    end_op();
  }
  return -1;
}

// Read sz bytes at file offset `offset` into the already-mapped user
// range starting at va (page aligned). Returns 0, or -1 if the file is
// shorter than the header claims.
static int
loadseg(pagetable_t pagetable, uint64 va, struct inode *ip, uint offset, uint sz)
{
  for(uint i = 0; i < sz; i += PGSIZE){
    uint64 pa = walkaddr(pagetable, va + i);
    KASSERT(pa != 0, "loadseg: va %p should be mapped", (void*)(va + i));
    uint n = sz - i < PGSIZE ? sz - i : PGSIZE;
    if(readi(ip, 0, (uint64)pa, offset + i, n) != n)
      return -1;
  }
  return 0;
}
