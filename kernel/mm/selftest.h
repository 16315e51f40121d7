// Shared by the boot self-tests of the labs (selftest.c and each lab's
// own file).
#ifndef KERNEL_MM_SELFTEST_H
#define KERNEL_MM_SELFTEST_H
struct page;
struct proc;

// selftest.c
void            selftest_result(char *name, char *why);
struct page*    selftest_record(char *name, uint64 pa);

// buddy_selftest.c (lab buddy)
void            buddy_selftest_run(void);
int             buddy_selftest_misuse(void);
int             kmemtest(int cmd, int arg);
void            kmemtest_exit(struct proc *p);
#endif
