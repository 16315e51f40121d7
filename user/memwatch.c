// memwatch: samples the memory counters while a workload runs, for
// tools/memviz.py to draw.
//
//   memwatch [-i TICKS] [PROG ARGS...]
//
// Runs PROG (default: a built-in workload that grows and shrinks several
// processes' memory) and, every TICKS clock ticks (default 10, 1/10 s),
// prints two lines, each written with one write() so that the workload's
// output cannot split them:
//
//   sample t=120 total=32768 free=31000 kernel=40 pagetable=20 user=150 reserved=560
//   map t=120 first=0x80000000 group=64 RRRRKKP....UUU...
//
// A sample line holds key=value fields, all frame counts except t (ticks
// since boot): a drawing tool plots whatever keys appear, so counters
// added later (a `count` line of cumulative event counts, for instance)
// show up without changing it. A map line is the memmap() picture, one
// character per `group` frames from physical address `first`
// (kernel/memstat.h). The run ends with `memwatch: done`.
//
// A sampler child prints; the parent runs the workload, waits for it,
// takes two more samples' time, then kills the sampler.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "kernel/memlayout.h"
#include "user/user.h"

#define PGSIZE 4096
#define MAPCHARS 256          // map resolution: at most this many groups (the console is slow)
#define LINE (MAPCHARS + 128)

// Appends decimal or hex x to buf at *n.
static void
put_num(char *buf, int *n, uint64 x, int base)
{
  char tmp[24];
  int k = 0;

  do {
    tmp[k++] = "0123456789abcdef"[x % base];
    x /= base;
  } while(x);
  while(k > 0)
    buf[(*n)++] = tmp[--k];
}

static void
put_str(char *buf, int *n, char *s)
{
  while(*s)
    buf[(*n)++] = *s++;
}

static void
put_field(char *buf, int *n, char *key, uint64 v)
{
  put_str(buf, n, key);
  buf[(*n)++] = '=';
  put_num(buf, n, v, 10);
  buf[(*n)++] = ' ';
}

// One sample: the counters line and the map line.
static void
sample(void)
{
  static char buf[LINE];
  struct memstat st;
  int n = 0;
  uint64 t = uptime();

  if(memstat(&st) < 0)
    return;
  put_str(buf, &n, "sample ");
  put_field(buf, &n, "t", t);
  put_field(buf, &n, "total", st.total);
  put_field(buf, &n, "free", st.free);
  if(st.by_use){
    put_field(buf, &n, "kernel", st.kernel);
    put_field(buf, &n, "pagetable", st.pagetable);
    put_field(buf, &n, "user", st.user);
  } else {
    put_field(buf, &n, "used", st.total - st.free - st.reserved);
  }
  put_field(buf, &n, "reserved", st.reserved);
  buf[n - 1] = '\n';
  write(1, buf, n);

  uint64 group = 1;
  while((st.total + group - 1) / group > MAPCHARS)
    group *= 2;
  n = 0;
  put_str(buf, &n, "map ");
  put_field(buf, &n, "t", t);
  put_str(buf, &n, "first=0x");
  put_num(buf, &n, KERNBASE, 16);
  buf[n++] = ' ';
  put_field(buf, &n, "group", group);
  int got = memmap(buf + n, MAPCHARS, 0, group);
  if(got <= 0)
    return;
  n += got;
  buf[n++] = '\n';
  write(1, buf, n);
}

// Grows this process by `pages` pages in `steps` steps, touching every
// page, with a pause between steps. Returns the pages it got.
static int
grow(int pages, int steps, int pause)
{
  int got = 0;

  for(int s = 0; s < steps; s++){
    int n = pages / steps;
    char *p = sbrk(n * PGSIZE);
    if(p == (char *)-1)
      break;
    for(int i = 0; i < n; i++)
      p[i * PGSIZE] = 1;
    got += n;
    sleep(pause);
  }
  return got;
}

// The built-in workload: four children grow at different speeds and exit
// one after the other while the parent grows, then shrinks in steps.
static void
workload(void)
{
  struct memstat st;

  if(memstat(&st) < 0)
    exit(1);
  int budget = st.free / 8;
  for(int c = 0; c < 4; c++){
    if(fork() == 0){
      grow(budget, 4 + 2 * c, 15);
      sleep(60 * (c + 1));
      exit(0);
    }
  }
  int mine = grow(2 * budget, 8, 20);
  for(int s = 0; s < 8; s++){
    sbrk(-(mine / 8) * PGSIZE);
    sleep(20);
  }
  for(int c = 0; c < 4; c++)
    wait(0);
}

int
main(int argc, char *argv[])
{
  int interval = 10;

  if(argc >= 3 && strcmp(argv[1], "-i") == 0){
    interval = atoi(argv[2]);
    argv += 2;
    argc -= 2;
  }
  if(interval <= 0){
    fprintf(2, "usage: memwatch [-i TICKS] [PROG ARGS...]\n");
    exit(1);
  }
  int sampler = fork();
  if(sampler < 0){
    fprintf(2, "memwatch: fork failed\n");
    exit(1);
  }
  if(sampler == 0){
    for(;;){
      sample();
      sleep(interval);
    }
  }
  sleep(2 * interval);        // a baseline before the workload starts
  int worker = fork();
  if(worker == 0){
    if(argc > 1){
      exec(argv[1], argv + 1);
      fprintf(2, "memwatch: cannot run %s\n", argv[1]);
      exit(1);
    }
    workload();
    exit(0);
  }
  for(int w = 0; worker > 0 && w != worker && w >= 0; )
    w = wait(0);
  sleep(3 * interval);        // watch memory settle
  kill(sampler);
  wait(0);
  printf("memwatch: done\n");
  exit(0);
}
