// System call numbers. 1..21 are xv6's and must never change; new calls
// take the numbers after them.
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H
#define SYS_fork    1
#define SYS_exit    2
#define SYS_wait    3
#define SYS_pipe    4
#define SYS_read    5
#define SYS_kill    6
#define SYS_exec    7
#define SYS_fstat   8
#define SYS_chdir   9
#define SYS_dup    10
#define SYS_getpid 11
#define SYS_sbrk   12
#define SYS_sleep  13
#define SYS_uptime 14
#define SYS_open   15
#define SYS_write  16
#define SYS_mknod  17
#define SYS_unlink 18
#define SYS_link   19
#define SYS_mkdir  20
#define SYS_close  21
// Added by this kernel.
#define SYS_memstat 22  // frame counts: int memstat(struct memstat *)
#define SYS_halt    23  // power the machine off: void halt(void)
#define SYS_buddyinfo 24 // free blocks per order: int buddyinfo(struct buddyinfo *)
#define SYS_memmap  25  // map of physical memory: int memmap(char *buf, int n, int start, int group)
#define SYS_kmemtest 26 // test-only kernel allocations, kernel option selftest: int kmemtest(int cmd, int arg)
#define SYS_vmstat  27  // memory-system counters: int vmstat(struct vmstat *)
#define SYS_vmspace 28  // a process's address space by region: int vmspace(int pid, struct vmspace *)
#define SYS_fsfree  29  // free disk blocks and inodes: int fsfree(uint counts[2])
#endif
