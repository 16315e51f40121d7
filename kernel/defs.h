// Prototypes of functions used across files, grouped by the file that
// defines them, and the kernel's assertion macro.
#ifndef KERNEL_DEFS_H
#define KERNEL_DEFS_H
#include "types.h"
#include "riscv.h"

struct aspace;
struct buf;
struct context;
struct file;
struct inode;
struct pipe;
struct proc;
struct spinlock;
struct sleeplock;
struct stat;
struct superblock;
struct memstat;
struct buddyinfo;
struct vmstat;
struct vmspace;
struct page;

// KASSERT(cond, fmt, ...): an invariant that must hold; on failure the
// kernel panics naming the condition and the message. Always compiled in.
#define KASSERT(cond, fmt, ...)                                               \
  do {                                                                        \
    if(!(cond))                                                               \
      panic("%s:%d: assertion '%s' failed: " fmt, __FILE__, __LINE__, #cond,  \
            ##__VA_ARGS__);                                                   \
  } while(0)

#define NELEM(x) (sizeof(x)/sizeof((x)[0]))

// main.c
extern volatile int kernel_started;
void            boot_tasks(void);
int             bootarg_has(const char *opt);

// sbi.c: calls into OpenSBI (machine mode)
struct sbiret { long error; long value; };
void            sbi_set_timer(uint64 stime);
int             sbi_hart_start(uint64 hartid, uint64 start_addr, uint64 opaque);
void            sbi_remote_sfence_vma(uint64 hart_mask, uint64 start, uint64 size);
void            sbi_shutdown(void) __attribute__((noreturn));

// printf.c
int             printf(char *fmt, ...) __attribute__((format(printf, 1, 2)));
void            panic(char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void            printfinit(void);
void            backtrace(void);
extern volatile int panicked;

// dev/console.c
void            consoleinit(void);
void            consoleintr(int c);
void            consputc(int c);

// dev/uart.c
void            uartinit(void);
void            uartintr(void);
void            uartputc(int c);
void            uartputc_sync(int c);
int             uartgetc(void);

// dev/plic.c
void            plicinit(void);
void            plicinithart(void);
int             plic_claim(void);
void            plic_complete(int irq);

// dev/virtio_disk.c: every virtio-blk device found in the mmio slots
void            virtio_disk_init(void);
int             virtio_disk_present(int slot);
uint64          virtio_disk_capacity(int slot); // in 512-byte sectors
int             virtio_disk_io(int slot, uint64 sector, void *data, uint32 len, int write);
void            virtio_disk_rw(struct buf *b, int write); // file system disk
void            virtio_disk_intr(int slot);

// mm/bootmem.c: RAM and reserved ranges from the device tree
void            bootmem_init(void);
char*           bootmem_reserved_why(uint64 pa);
extern uint64   ram_base, ram_top;

// mm/kalloc.c: the physical frame allocator (its whole interface)
void            kinit(void);
void*           kalloc(void);
void*           kalloc_as(int use); // use: PG_KERNEL, PG_PAGETABLE or PG_USER (mm/page.h)
void            kfree(void *pa);
void            kput(void *pa);
struct page*    alloc_pages(int order);
struct page*    alloc_pages_as(int order, int use);
void            free_pages(struct page *pg, int order);
int             kalloc_check(void);
void            kalloc_usage(struct memstat *st);
uint64          kalloc_nfree(void);
void            kalloc_lock(void);
void            kalloc_unlock(void);
int             kalloc_frame_use_locked(uint64 pa);

// mm/stat.c: reports and counters
void            vmstat_count(int what);
void            kvmstat(struct vmstat *vs);
void            kmemstat(struct memstat *st);
uint64          kfreecount(void);
int             kbuddyinfo(struct buddyinfo *bi);
int             kmemmap(char *buf, int n, uint64 start, uint64 group);
int             vm_commit(uint64 npages, int how);
#define VM_COMMIT_NEW  0    // vm_commit: a new request (sbrk, exec)
#define VM_COMMIT_COPY 1    // vm_commit: promises copied from a parent (fork)
int             overcommit_mode(void);
void            vm_uncommit(uint64 npages);

// mm/fault.c: page faults
enum fault_access { FAULT_READ, FAULT_WRITE, FAULT_EXEC };
void            fault_init(void);
char*           fault_resolve(struct proc *p, uint64 va, enum fault_access access);
void            fault_user(struct proc *p, uint64 scause, uint64 va);
int             fault_zero_frame(uint64 pa);

// mm/reclaim.c
void            reclaim_init(void);
void            reclaim_forget(struct page *pg);
void*           user_frame_alloc(uint64 va, int oom);
void*           ptpage_alloc(int oom);
void*           rmap_swapcached(uint64 slot, uint64 va);

// mm/twolist.c (reclaim=twolist)
void            twolist_init(void);
void            twolist_evicted(uint64 va);
void            twolist_add_locked(struct page *inactive, struct page *pg, uint64 n);
void            twolist_remove_locked(struct page *pg);
struct page*    twolist_next_locked(struct page *inactive);
int             twolist_keep(struct page *pg, int referenced);

// mm/selftest.c
void            selftest_run(void);
int             selftest_kmemtest(int cmd, int arg);
void            selftest_exit(struct proc *p);

// mm/bench.c
void            bench_frames(void);

// mm/vm.c
void            kvminit(void);
void            kvminithart(void);
void            kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm);
int             mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm);
pte_t*          walk(pagetable_t pagetable, uint64 va, int alloc);
uint64          walkaddr(pagetable_t pagetable, uint64 va);
pagetable_t     uvmcreate(void);
uint64          uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm);
uint64          uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz);
int             uvmcopy(pagetable_t old, pagetable_t new, uint64 lo, uint64 hi, int holes);
int             uvmcopy_reserve(pagetable_t old, pagetable_t new, uint64 lo, uint64 hi,
                                struct spinlock *lk);
void            uvmfree(pagetable_t pagetable);
#define UVM_FREE  1     // uvmunmap: drop each frame's reference
#define UVM_HOLES 2     // uvmunmap: pages that are not mapped are expected
void            uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int flags);
int             uvmspace(int pid, struct vmspace *vs);
#define PSS_ONE 1024    // uvmfootprint()'s unit: 1/PSS_ONE of a page
void            uvmfootprint(struct aspace *as, uint64 *ram, uint64 *swapped,
                             uint64 *ptpages);
int             uvm_ptreserve(pagetable_t pagetable, uint64 va, struct spinlock *lk, int oom);
void            uvm_ptprune(pagetable_t pagetable, uint64 lo, uint64 hi);
uint64          uvm_ptpages(pagetable_t pagetable);
void            uvmclear(pagetable_t pagetable, uint64 va);
int             copyout(pagetable_t pagetable, uint64 dstva, char *src, uint64 len);
int             copyin(pagetable_t pagetable, char *dst, uint64 srcva, uint64 len);
int             copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max);
void            vmprint(pagetable_t pagetable);

// proc.c
int             cpuid(void);
struct cpu*     mycpu(void);
struct proc*    myproc(void);
void            procinit(void);
void            userinit(void);
int             growproc(long n);
int             fork(void);
void            exit(int status) __attribute__((noreturn));
int             wait(uint64 addr);
int             kill(int pid);
int             killed(struct proc *p);
void            setkilled(struct proc *p);
void            sched(void);
void            scheduler(void) __attribute__((noreturn));
void            yield(void);
void            sleep(void *chan, struct spinlock *lk);
void            wakeup(void *chan);
int             either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int             either_copyin(void *dst, int user_src, uint64 src, uint64 len);
void            procdump(void);
pagetable_t     proc_pagetable(struct proc *p);
void            proc_freepagetable(pagetable_t pagetable);
int             procvmspace(int pid, struct vmspace *vs);

// swtch.S
void            swtch(struct context *old, struct context *new);

// spinlock.c
void            initlock(struct spinlock *lk, char *name);
void            acquire(struct spinlock *lk);
void            release(struct spinlock *lk);
int             holding(struct spinlock *lk);
int             holding_spinlocks(void);
void            push_off(void);
void            pop_off(void);
#define assert_held(lk) KASSERT(holding(lk), "caller must hold lock %s", (lk)->name)

// lockdep.c
extern int      lockdep_on;
void            lockdep_init(void);
void            lockdep_acquire(struct spinlock *lk, uint64 ra);
void            lockdep_release(struct spinlock *lk, uint64 ra);
void            lockdep_sleep(struct spinlock *lk, uint64 ra);
void            lockdep_wakeup(struct spinlock *plock, uint64 ra);
void            lockdep_acquiresleep(struct sleeplock *lk, uint64 ra);
void            lockdep_gotsleep(struct sleeplock *lk, uint64 ra);
void            lockdep_releasesleep(struct sleeplock *lk, uint64 ra);
void            lockdep_dump(void);

// sleeplock.c
void            initsleeplock(struct sleeplock *lk, char *name);
void            acquiresleep(struct sleeplock *lk);
void            releasesleep(struct sleeplock *lk);
int             holdingsleep(struct sleeplock *lk);

// string.c
int             memcmp(const void *a, const void *b, uint n);
void*           memmove(void *dst, const void *src, uint n);
void*           memcpy(void *dst, const void *src, uint n);
void*           memset(void *dst, int c, uint n);
char*           safestrcpy(char *dst, const char *src, int n);
int             strlen(const char *s);
int             strncmp(const char *p, const char *q, uint n);
char*           strncpy(char *dst, const char *src, int n);

// syscall.c
void            argint(int n, int *ip);
void            argaddr(int n, uint64 *ap);
int             argstr(int n, char *buf, int max);
int             fetchaddr(uint64 addr, uint64 *ip);
int             fetchstr(uint64 addr, char *buf, int max);
void            syscall(void);

// trap.c
char*           scause_name(uint64 scause);
extern uint     ticks;
extern struct spinlock tickslock;
void            sleep_tick(void);
void            trapinit(void);
void            trapinithart(void);
void            usertrapret(void);
int             devintr(void);

// exec.c
int             kexec(char *path, char **argv);

// fs/bio.c
void            binit(void);
struct buf*     bread(uint dev, uint blockno);
void            brelse(struct buf *b);
void            bwrite(struct buf *b);
void            bpin(struct buf *b);
void            bunpin(struct buf *b);

// fs/log.c
void            initlog(int dev, struct superblock *sb);
void            log_write(struct buf *b);
void            begin_op(void);
void            end_op(void);

// fs/fs.c
void            fsinit(int dev);
void            fs_free_count(uint dev, uint *blocks, uint *inodes);
int             dirlink(struct inode *dp, char *name, uint inum);
struct inode*   dirlookup(struct inode *dp, char *name, uint *poff);
struct inode*   ialloc(uint dev, short type);
struct inode*   idup(struct inode *ip);
void            iinit(void);
void            ilock(struct inode *ip);
void            iput(struct inode *ip);
void            iunlock(struct inode *ip);
void            iunlockput(struct inode *ip);
void            iupdate(struct inode *ip);
void            itrunc(struct inode *ip);
int             namecmp(const char *s, const char *t);
struct inode*   namei(char *path);
struct inode*   nameiparent(char *path, char *name);
int             readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
int             writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);
void            stati(struct inode *ip, struct stat *st);

// fs/file.c
struct file*    filealloc(void);
void            fileclose(struct file *f);
struct file*    filedup(struct file *f);
void            fileinit(void);
int             fileread(struct file *f, uint64 addr, int n);
int             filestat(struct file *f, uint64 addr);
int             filewrite(struct file *f, uint64 addr, int n);

// fs/pipe.c
int             pipealloc(struct file **f0, struct file **f1);
void            pipeclose(struct pipe *pi, int writable);
int             piperead(struct pipe *pi, uint64 addr, int n);
int             pipewrite(struct pipe *pi, uint64 addr, int n);

#endif
