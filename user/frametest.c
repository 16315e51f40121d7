// Lab frames: tests of frame accounting seen from user space.
//
//   frametest            run every test
//   frametest NAME       run one
//
// Prints `frametest: NAME: ok` or `frametest: NAME: FAIL why` per test and
// `frametest: done` at the end; graders match these lines.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define PGSIZE 4096
#define NWORKERS 3    // one per hart of the default machine
#define ROUNDS 20     // forks per worker
#define CHILD_PAGES 16

static int failed;

static void
stat_or_die(struct memstat *st)
{
  if(memstat(st) < 0){
    printf("frametest: memstat failed\n");
    exit(1);
  }
}

static uint64
sum(struct memstat *st)
{
  return st->free + st->kernel + st->pagetable + st->user + st->reserved;
}

// The counts by use add up to all of RAM, and growing the heap by n pages
// and touching them moves n frames from free to user.
static char *
accounting(void)
{
  struct memstat a, b, c;
  int n = 64;

  stat_or_die(&a);
  if(!a.by_use)
    return "memstat does not report frames by use (by_use = 0)";
  if(sum(&a) != a.total)
    return "free + kernel + page-table + user + reserved != total";
  char *p = sbrk(n * PGSIZE);
  if(p == (char*)-1)
    return "sbrk failed";
  for(int i = 0; i < n; i++)
    p[i * PGSIZE] = 1;   // a lazy sbrk (lab lazy) backs a page on first touch
  stat_or_die(&b);
  if(sbrk(-n * PGSIZE) == (char*)-1)
    return "sbrk shrink failed";
  stat_or_die(&c);
  if(sum(&b) != b.total || sum(&c) != c.total)
    return "counts do not add up to total after sbrk";
  if(b.user < a.user + n)
    return "user frames did not grow by the pages sbrk added";
  if(a.free - b.free < n || a.free - b.free > n + 4)
    return "free frames did not shrink by the pages sbrk added (plus a few page-table pages)";
  if(c.user != a.user || c.free != a.free || c.pagetable != a.pagetable)
    return "counts not restored after sbrk shrank the heap back";
  return 0;
}

// A child that holds CHILD_PAGES of heap, touched, then exits.
static void
child(void)
{
  char *p = sbrk(CHILD_PAGES * PGSIZE);
  if(p == (char*)-1)
    exit(2);
  for(int i = 0; i < CHILD_PAGES; i++)
    p[i * PGSIZE] = i;
  exit(0);
}

// Worker: fork ROUNDS children, a few at a time, and reap them.
static void
worker(void)
{
  for(int r = 0; r < ROUNDS; r++){
    int pid = fork();
    if(pid < 0)
      exit(3);
    if(pid == 0)
      child();
    if(r % 2 == 1){
      int st;
      while(wait(&st) > 0)
        if(st != 0)
          exit(4);
    }
  }
  int st;
  while(wait(&st) > 0)
    if(st != 0)
      exit(4);
  exit(0);
}

// Workers on every hart fork and free concurrently; afterwards every count
// is back where it started.
static char *
concurrent(void)
{
  struct memstat a, b;
  char *why = 0;

  stat_or_die(&a);
  for(int i = 0; i < NWORKERS; i++){
    int pid = fork();
    if(pid < 0)
      return "fork of a worker failed";
    if(pid == 0)
      worker();
  }
  for(int i = 0; i < NWORKERS; i++){
    int st;
    if(wait(&st) < 0 || st != 0)
      why = "a worker or one of its children failed";
  }
  stat_or_die(&b);
  if(!why && b.free != a.free)
    why = "free frames differ after the concurrent forks: frames leaked or double-counted";
  if(!why && (!b.by_use || b.user != a.user || b.kernel != a.kernel || b.pagetable != a.pagetable))
    why = "use counts (kernel, page-table, user) differ after the concurrent forks";
  return why;
}

// Frames held by a sleeping child show up as user and page-table frames.
static char *
inuse(void)
{
  struct memstat a, b;
  int ready[2], done[2];
  char c;

  stat_or_die(&a);
  if(pipe(ready) < 0 || pipe(done) < 0)
    return "pipe failed";
  int pid = fork();
  if(pid < 0)
    return "fork failed";
  if(pid == 0){
    char *p = sbrk(CHILD_PAGES * PGSIZE);
    if(p != (char*)-1)
      for(int i = 0; i < CHILD_PAGES; i++)
        p[i * PGSIZE] = 1;
    write(ready[1], "x", 1);
    read(done[0], &c, 1); // hold the memory until the parent has looked
    exit(0);
  }
  read(ready[0], &c, 1);
  stat_or_die(&b);
  write(done[1], "y", 1);
  wait(0);
  close(ready[0]);
  close(ready[1]);
  close(done[0]);
  close(done[1]);
  if(!b.by_use || b.user < a.user + CHILD_PAGES)
    return "a child's heap does not show in the user count";
  if(b.pagetable <= a.pagetable)
    return "a child's page table does not show in the page-table count";
  return 0;
}

static struct {
  char *name;
  char *(*fn)(void);
} tests[] = {
  { "accounting", accounting },
  { "inuse", inuse },
  { "concurrent", concurrent },
};

int
main(int argc, char *argv[])
{
  test_prog = "frametest";
  for(int i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
    if(argc < 2 || strcmp(argv[1], tests[i].name) == 0)
      failed |= test_result(tests[i].name, tests[i].fn());
  printf("frametest: done\n");
  exit(failed);
}
