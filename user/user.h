// The user-program interface: system calls and the small C library.
// The first block is xv6's, unchanged, so xv6 programs compile as they are.
#ifndef USER_USER_H
#define USER_USER_H
#include "kernel/types.h"

struct stat;
struct memstat;
struct buddyinfo;
struct vmstat;
struct vmspace;

// system calls
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int*);
int pipe(int*);
int write(int, const void*, int);
int read(int, void*, int);
int close(int);
int kill(int);
int exec(const char*, char**);
int open(const char*, int);
int mknod(const char*, short, short);
int unlink(const char*);
int fstat(int fd, struct stat*);
int link(const char*, const char*);
int mkdir(const char*);
int chdir(const char*);
int dup(int);
int getpid(void);
char* sbrk(int);
int sleep(int);
int uptime(void);

// system calls added by this kernel (kernel/syscall.h)
int memstat(struct memstat*);   // frame counts; 0 on success, -1 on a bad pointer
void halt(void) __attribute__((noreturn)); // power off the machine
int buddyinfo(struct buddyinfo*); // free blocks per order; -1 for an allocator without orders
int memmap(char*, int, int, int); // map of physical memory: buf, n, first group, frames per group
int kmemtest(int, int);         // test-only kernel allocations (kernel option selftest)
int vmstat(struct vmstat*);     // memory-system counters (kernel/memstat.h); -1 on a bad pointer
int vmspace(int, struct vmspace*); // address space of a process (0: this one) by region; -1 if none
int fsfree(uint*);              // free disk blocks and free inodes, in [0] and [1]; -1 on a bad pointer

// ulib.c
int stat(const char*, struct stat*);
char* strcpy(char*, const char*);
void *memmove(void*, const void*, int);
char* strchr(const char*, char c);
int strcmp(const char*, const char*);
void fprintf(int, const char*, ...) __attribute__ ((format (printf, 2, 3)));
void printf(const char*, ...) __attribute__ ((format (printf, 1, 2)));
char* gets(char*, int max);
uint strlen(const char*);
void* memset(void*, int, uint);
int atoi(const char*);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);

// umalloc.c
void* malloc(uint);
void free(void*);
#endif
