// fuzz: random system calls with hostile arguments, to find what panics
// the kernel, hangs a process or leaks frames.
//
//     fuzz [-s SEED] [-n ROUNDS] [-c CALLS] [-f] [-r ROUND] [-v]
//
// Each round runs CALLS calls in a forked child, with a watchdog that
// kills the child after half a second (a call may block forever: that is
// allowed, not being killable is not). A round is a pure function of
// (SEED, round number): `fuzz -s SEED -r ROUND -v` replays one round and
// prints every call before making it. The seed is printed first, and a
// line every 50 rounds, so a kernel panic can be pinned to a few rounds.
// -f checks after every round that all frames came back (only valid when
// nothing else runs). At the end, "fuzz: OK" or "fuzz: FAILED why".
//
// Every call number is tried, out-of-range ones too, except halt (23,
// it would power the machine off). Arguments come from pools of hostile
// values: NULL, kernel, MMIO, trapframe and trampoline addresses, MAXVA
// and non-canonical addresses, the heap's edges, huge and negative
// integers. A few are tamed so that the fuzzer cannot hurt what runs
// beside it: it works in its own directory with its own file names,
// closes the console first and never opens it, kills only its own
// children, and a forked grandchild exits at once.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/syscall.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "user/user.h"

#define NELEM(x) ((int)(sizeof(x) / sizeof((x)[0])))
#define WATCHDOG 50       // ticks a round may take before it is killed
#define MAXKIDS 8

static uint64 state;
static int verbose;
static char area[2 * PGSIZE] __attribute__((aligned(PGSIZE)));
static int kids[MAXKIDS], nkids;

// xorshift64*: small, and the same sequence on every machine.
static uint64
rnd(void)
{
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ULL;
}

static char *names[] = { "fz-a", "fz-b", "fz-d", "fz-d/fz-a", "fz-d/fz-d", ".", "" };

// A hostile pointer: bad addresses, the edges of this process's memory,
// or a valid buffer (sometimes holding a file name).
static uint64
arg_ptr(void)
{
  uint64 brk = (uint64)sbrk(0);
  uint64 pool[] = {
    0, 1, 8, PGSIZE - 1, KERNBASE, KERNBASE + 0x200000, UART0, PLIC,
    VIRTIO0, TRAPFRAME, TRAMPOLINE, MAXVA - 8, MAXVA, 1UL << 63,
    0xffffffc000000000UL, ~0UL, brk - 1, brk - 8, brk, brk + PGSIZE,
    (uint64)area + PGSIZE - 1, (uint64)rnd,
  };
  int k = rnd() % (NELEM(pool) + 6);
  if(k < NELEM(pool))
    return pool[k];
  // A valid buffer in area; usually a NUL-terminated name of ours.
  char *p = area + rnd() % PGSIZE;
  if(rnd() % 3)
    strcpy(p, names[rnd() % NELEM(names)]);
  return (uint64)p;
}

static uint64
arg_int(void)
{
  uint64 pool[] = {
    0, 1, 2, 3, 4, 15, 16, 100, 512, 4096, 0x7fffffff, 0x80000000UL,
    0xffffffffUL, ~0UL, -2UL, -4096UL, 1UL << 32, 1UL << 63,
  };
  if(rnd() % 4 == 0)
    return rnd();
  return pool[rnd() % NELEM(pool)];
}

static uint64
arg_any(void)
{
  return rnd() % 2 ? arg_ptr() : arg_int();
}

// A call number: mostly the real ones, sometimes out of range.
static uint64
pick_call(void)
{
  uint64 pool[] = { 0, SYS_fsfree + 1, SYS_fsfree + 2, 39, 40, 41, 45, 1000, -1UL, 1UL << 32 | SYS_fork };
  uint64 n;
  do {
    n = rnd() % 8 == 0 ? pool[rnd() % NELEM(pool)] : 1 + rnd() % SYS_fsfree;
  } while(n == SYS_halt);
  return n;
}

// The arguments of one call, tamed where the call could reach beyond
// this fuzzer. Returns 0 to skip the call.
static int
pick_args(uint64 n, uint64 *a)
{
  for(int i = 0; i < 6; i++)
    a[i] = arg_any();
  switch(n){
  case SYS_kill: {
    uint64 pool[] = { 0, -1UL, 1, getpid(), 1UL << 40,
                      nkids ? kids[rnd() % nkids] : 0 };
    a[0] = pool[rnd() % NELEM(pool)];
    break;
  }
  case SYS_mknod:
    if((short)a[1] == CONSOLE)
      a[1] = 2;
    break;
  case SYS_sleep:
    a[0] = rnd() % 2 ? rnd() % 5 : arg_int();
    break;
  case SYS_chdir:
    if(a[0] >= (uint64)area && a[0] < (uint64)area + sizeof(area) &&
       strcmp((char*)a[0], "") != 0 && strcmp((char*)a[0], "fz-d") != 0)
      a[0] = (uint64)"fz-d";
    break;
  }
  return 1;
}

static uint64
do_call(uint64 n, uint64 *a)
{
  register uint64 a0 asm("a0") = a[0];
  register uint64 a1 asm("a1") = a[1];
  register uint64 a2 asm("a2") = a[2];
  register uint64 a3 asm("a3") = a[3];
  register uint64 a4 asm("a4") = a[4];
  register uint64 a5 asm("a5") = a[5];
  register uint64 a7 asm("a7") = n;
  asm volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4),
               "r"(a5), "r"(a7) : "memory");
  return a0;
}

// One round: ncalls random calls, in the calling process. With dry set,
// only print them (the replay of a failed round).
static void
round_calls(uint64 seed, int round, int ncalls, int dry)
{
  uint64 a[6];
  state = seed * 0x9E3779B97F4A7C15ULL + round * 2 + 1;
  nkids = 0;
  for(int i = 0; i < ncalls; i++){
    uint64 n = pick_call();
    if(!pick_args(n, a))
      continue;
    if(verbose || dry)
      printf("  round %d call %d: syscall %ld(%p, %p, %p, %p)\n", round, i,
             (long)n, (void*)a[0], (void*)a[1], (void*)a[2], (void*)a[3]);
    if(dry)
      continue;
    uint64 r = do_call(n, a);
    if(n == SYS_fork && r == 0)
      exit(0);                     // a grandchild: gone at once
    if(n == SYS_fork && (long)r > 0 && nkids < MAXKIDS)
      kids[nkids++] = r;
  }
}

static uint64
free_frames(void)
{
  struct memstat m;
  memstat(&m);
  return m.free;
}

// Remove what rounds created under the current directory.
static void
cleanup(void)
{
  char path[32];
  for(int depth = 6; depth >= 0; depth--){
    for(int leaf = 0; leaf < 3; leaf++){
      strcpy(path, "fz-d");
      for(int k = 1; k < depth; k++)
        strcpy(path + strlen(path), "/fz-d");
      if(depth == 0)
        path[0] = 0;
      else
        strcpy(path + strlen(path), "/");
      strcpy(path + strlen(path), leaf == 0 ? "fz-a" : leaf == 1 ? "fz-b" : "fz-d");
      unlink(path);
    }
  }
}

// Run one round in a child under a watchdog. Returns 0, or -1 if the
// child could not be started.
static int
run_round(uint64 seed, int round, int ncalls)
{
  int pid = fork();
  if(pid < 0)
    return -1;
  if(pid == 0){
    if(!verbose){               // -v prints the calls; else no console at all
      close(0);
      close(1);
      close(2);
    }
    round_calls(seed, round, ncalls, 0);
    exit(0);
  }
  int dog = fork();
  if(dog == 0){
    sleep(WATCHDOG);
    kill(pid);
    sleep(20 * WATCHDOG);
    printf("fuzz: FAILED round %d of seed %ld did not die when killed\n",
           round, (long)seed);
    exit(1);
  }
  int w;
  while((w = wait(0)) >= 0)
    if(w == pid && dog > 0)
      kill(dog);
  return 0;
}

int
main(int argc, char *argv[])
{
  uint64 seed = uptime() * 7919 + getpid();
  int rounds = 200, ncalls = 40, only = -1, check = 0;
  char dir[16] = "fz-";

  for(int i = 1; i < argc; i++){
    if(strcmp(argv[i], "-s") == 0 && i + 1 < argc)
      seed = atoi(argv[++i]);
    else if(strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if(strcmp(argv[i], "-c") == 0 && i + 1 < argc)
      ncalls = atoi(argv[++i]);
    else if(strcmp(argv[i], "-r") == 0 && i + 1 < argc)
      only = atoi(argv[++i]);
    else if(strcmp(argv[i], "-f") == 0)
      check = 1;
    else if(strcmp(argv[i], "-v") == 0)
      verbose = 1;
    else {
      fprintf(2, "usage: fuzz [-s seed] [-n rounds] [-c calls] [-r round] [-f] [-v]\n");
      exit(1);
    }
  }
  printf("fuzz: seed %ld, %d rounds of %d calls\n", (long)seed, rounds, ncalls);
  // A directory of our own: two fuzzers may run at once.
  int k = strlen(dir), pid = getpid();
  dir[k++] = '0' + pid / 100 % 10;
  dir[k++] = '0' + pid / 10 % 10;
  dir[k++] = '0' + pid % 10;
  dir[k] = 0;
  if(mkdir(dir) < 0 || chdir(dir) < 0){
    printf("fuzz: FAILED cannot make directory %s\n", dir);
    exit(1);
  }
  uint64 frames0 = free_frames();
  for(int r = only >= 0 ? only : 0; r < (only >= 0 ? only + 1 : rounds); r++){
    if(r % 50 == 0)
      printf("fuzz: seed %ld round %d\n", (long)seed, r);
    if(run_round(seed, r, ncalls) < 0){
      sleep(10);                   // out of processes or memory: retry later
      continue;
    }
    cleanup();
    if(check){
      for(int t = 0; t < 20 && free_frames() < frames0; t++)
        sleep(5);
      if(free_frames() < frames0){
        printf("fuzz: FAILED round %d of seed %ld leaked %d frames; its calls:\n",
               r, (long)seed, (int)(frames0 - free_frames()));
        round_calls(seed, r, ncalls, 1);
        exit(1);
      }
    }
  }
  chdir("..");
  unlink(dir);
  printf("fuzz: OK\n");
  exit(0);
}
