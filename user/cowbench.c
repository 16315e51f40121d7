// Lab cow: what fork costs, measured from user space.
//
//   cowbench          run every figure
//   cowbench nop      exit at once (the program fork-exec runs)
//
// Prints `cowbench: NAME: VALUE UNIT` lines and `cowbench: done`;
// tools/bench-cow.py boots the lab's starter (fork copies) and the
// solution (fork shares) and puts their figures side by side. Time comes
// from uptime() (ticks of 1/100 s), so each figure repeats its operation
// for at least MIN_TICKS and divides. Emulated time: compare kernels
// within one run, not with real hardware.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define PGSIZE 4096
#define BIG_MB 32
#define BIG_PAGES (BIG_MB * 1024 * 1024 / PGSIZE)
#define MIN_TICKS 100       // 1 s of ticks per figure at least
#define MIN_ROUNDS 5
#define USEC_PER_TICK 10000

static uint64
free_frames(void)
{
  struct memstat st;

  if(memstat(&st) < 0){
    printf("cowbench: memstat failed\n");
    exit(1);
  }
  return st.free;
}

// What one round of a figure does: fork, and in the child `child`, then
// wait. Returns 0, or -1 when fork or the child failed.
static int
fork_round(void (*child)(void))
{
  int pid = fork(), status = -1;

  if(pid < 0)
    return -1;
  if(pid == 0){
    child();
    exit(0);
  }
  wait(&status);
  return status == 0 ? 0 : -1;
}

// Repeat fork_round(child) for MIN_TICKS at least and print the time per
// round in microseconds as figure `name`.
static void
time_rounds(char *name, void (*child)(void))
{
  int rounds = 0;
  uint64 start = uptime(), now;

  do {
    if(fork_round(child) < 0){
      printf("cowbench: %s: failed\n", name);
      return;
    }
    rounds++;
    now = uptime();
  } while(now - start < MIN_TICKS || rounds < MIN_ROUNDS);
  printf("cowbench: %s: %lu us (%d rounds)\n", name,
         (now - start) * USEC_PER_TICK / rounds, rounds);
}

static void
child_exits(void)
{
}

static void
child_execs(void)
{
  char *argv[] = { "cowbench", "nop", 0 };

  exec("cowbench", argv);
  exit(1);
}

static char *big;   // BIG_PAGES touched pages, once grown

static void
child_writes_all(void)
{
  for(int i = 0; i < BIG_PAGES; i++)
    big[(uint64)i * PGSIZE] = 2;
}

// Frames a child holds while it lives and has written nothing.
static void
frames_per_child(char *name)
{
  int fds[2];
  char b;

  if(pipe(fds) < 0)
    return;
  uint64 before = free_frames();
  int pid = fork();
  if(pid < 0){
    printf("cowbench: %s: failed\n", name);
    return;
  }
  if(pid == 0){
    close(fds[1]);
    read(fds[0], &b, 1);   // ends when the parent closes its end
    exit(0);
  }
  close(fds[0]);
  sleep(1);                // let the child reach its read
  uint64 during = free_frames();
  close(fds[1]);
  wait(0);
  printf("cowbench: %s: %lu frames\n", name, before - during);
}

int
main(int argc, char *argv[])
{
  if(argc > 1 && strcmp(argv[1], "nop") == 0)
    exit(0);
  time_rounds("fork-exit-small", child_exits);
  time_rounds("fork-exec-small", child_execs);

  big = sbrk(BIG_PAGES * PGSIZE);
  if(big == (char *)-1){
    printf("cowbench: cannot grow by %d MiB\n", BIG_MB);
    exit(1);
  }
  // The first touch of each page is a fault (lab lazy) in both kernels:
  // what one trap into the fault handler costs, for comparison with a
  // copy-on-write fault.
  uint64 start = uptime();
  for(int i = 0; i < BIG_PAGES; i++)
    big[(uint64)i * PGSIZE] = 1;
  printf("cowbench: first-touch-per-page: %lu ns\n",
         (uptime() - start) * USEC_PER_TICK * 1000 / BIG_PAGES);
  frames_per_child("frames-per-child-32M");
  time_rounds("fork-exit-32M", child_exits);
  time_rounds("fork-exec-32M", child_execs);
  time_rounds("fork-write-all-32M", child_writes_all);
  printf("cowbench: done\n");
  exit(0);
}
