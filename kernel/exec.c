// exec: replace the calling process's memory with an ELF program from the
// file system and start it with arguments.
//
// The new image is built in a fresh address space (mm/aspace.h): a region
// for each loadable segment, the stack guard page, the stack and an empty
// heap. The old one is freed only once nothing can fail any more, so a
// failed exec returns -1 to a caller whose memory is untouched. Every
// value read from the file is checked: a corrupt or hostile ELF gives -1,
// never a kernel fault.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "elf.h"
#include "mm/aspace.h"

static int loadseg(pagetable_t pagetable, uint64 va, struct inode *ip, uint offset, uint sz);

// What user mode may do with a segment, from its ELF flags: PTE_X and
// PTE_W (every segment is readable).
static int
flags2perm(int flags)
{
  int perm = 0;
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

// Load every PT_LOAD segment of the ELF in ip into as, each a region of
// its own. Returns the end of the highest segment, or 0 on a bad file or
// out of memory (what was mapped belongs to regions, for the caller to
// free with the address space).
static uint64
load_program(struct aspace *as, struct inode *ip, struct elfhdr *elf)
{
  struct proghdr ph;
  uint64 sz = 0;

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
    if(ph.memsz == 0)
      continue;
    if(as->nregion == NREGION - 3)
      return 0;   // no room left for the guard, stack and heap regions
    uint64 end = PGROUNDUP(ph.vaddr + ph.memsz);
    int perm = flags2perm(ph.flags);
    if(uvmalloc(as->pagetable, ph.vaddr, end, perm) == 0)
      return 0;
    int added = region_add(as, ph.vaddr, end, PTE_R | perm, REGION_IMAGE);
    KASSERT(added == 0, "load_program: segment at %p overlaps a region", (void*)ph.vaddr);
    sz = end;
    if(loadseg(as->pagetable, ph.vaddr, ip, ph.off, ph.filesz) < 0)
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
  struct aspace *as = 0;
  uint64 sz, sp;
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
  if((as = aspace_create(p)) == 0)
    goto bad;
  if((sz = load_program(as, ip, &elf)) == 0)
    goto bad;
  iunlockput(ip);
  end_op();
  ip = 0;

  // A guard page (never user-accessible), then the user stack, above the
  // program; the heap starts empty above the stack.
  uint64 guard = sz, stack = guard + PGSIZE, top = stack + USERSTACK * PGSIZE;
  if(uvmalloc(as->pagetable, guard, top, PTE_W) == 0)
    goto bad;
  uvmclear(as->pagetable, guard);
  int added = region_add(as, guard, stack, 0, REGION_GUARD) |
              region_add(as, stack, top, PTE_R | PTE_W, REGION_STACK) |
              region_add(as, top, top, PTE_R | PTE_W, REGION_HEAP);
  KASSERT(added == 0, "kexec: no room for the stack's regions (load_program leaves three)");
  as->brk = top;
  if((sp = push_args(as->pagetable, top, stack, argv, &argc)) == 0)
    goto bad;

  if(vm_commit(aspace_pages(as), VM_COMMIT_NEW) < 0)
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
  p->trapframe->epc = elf.entry;
  p->trapframe->sp = sp;
  struct aspace *old = p->as;
  uint64 oldpages = aspace_pages(old);
  aspace_publish(as);   // reclaim may take the new image's pages from here
  p->as = as;
  aspace_destroy(old);
  vm_uncommit(oldpages);
  return argc;

bad:
  if(as)
    aspace_destroy(as);
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
