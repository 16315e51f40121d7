// memwatch: samples the memory counters while a workload runs, for
// tools/memviz.py to draw.
//
//   memwatch [-i TICKS] [-z] [-w grow|frag|cow|lazy|swap | PROG ARGS...]
//
// Runs PROG, or a built-in workload (default grow: several processes'
// memory grows and shrinks; frag, cow, lazy, swap: below, one per lab's
// picture), and, every TICKS clock ticks (default 10, 1/10 s), prints
// these lines:
//
//   sample t=120 total=32768 free=31000 kernel=40 pagetable=20 user=150 reserved=560
//          shared=0 swap_slots=8192 swap_used=700 hot=820     (one line)
//   count t=120 fault=12 fault_zero=3 ... cow_copy=0 cow_reuse=0 ...
//   orders t=120 o0=1 o1=2 ... o10=30720
//   map t=120 first=0x80000000 group=64 RRRRKKP....UUU...
//   zoom t=120 first=0x87e00000 group=1 U.U.U.U.UUUU....    (with -z)
//   phase t=130 3 stream                                    (from a workload)
//
// A sample line holds key=value fields, all frame counts except t (ticks
// since boot): a drawing tool plots whatever keys appear, so counters
// added later (a `count` line of cumulative event counts, for instance)
// show up without changing it. The swap keys come only on a machine with
// a swap disk (swap_used: slots holding pages that are not in RAM); hot,
// only in the swap workload: the resident heap pages of its interactive
// process. An orders line (allocators with orders
// only, lab buddy on) gives the free frames held in blocks of each order
// (o3=16: two free blocks of 8 frames). A map line is the memmap() picture, one
// character per `group` frames from physical address `first`
// (kernel/memstat.h). A zoom line (-z) is the map of the ZOOM frames, one
// character each, where uses alternate most often: where a coarse map
// hides fragmentation. A phase line marks the start of a step of a
// built-in workload, with a short name for the drawing's time axes. The
// run ends with `memwatch: done`.
//
// The console prints a byte at a time, so two processes printing at once
// on two harts mix their lines. The sampler and the built-in workloads
// take turns (take_turn()); a PROG's own output may still cut a line,
// which the drawing tool then skips.
//
// A sampler child prints; a worker child runs the workload, started
// after two samples' time, so the sampler knows its pid; the parent
// waits for the worker, takes three more samples' time, kills the
// sampler and takes the last sample itself.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "kernel/memlayout.h"
#include "user/user.h"

#define PGSIZE 4096
#define MAPCHARS 256          // map resolution: at most this many groups (the console is slow)
#define LINE (MAPCHARS + 128)
#define ZOOM MAPCHARS         // frames in a zoom line
#define MAXFRAMES (1 << 17)   // zoom looks at up to 512 MiB of RAM

static int zoom;              // -z: print zoom lines
static int turn[2];           // a pipe holding one byte: the right to print

// Wait for the right to print (read the byte), or give it back (write
// it): a lock between processes, so that their lines do not mix.
static void
take_turn(void)
{
  char token;

  read(turn[0], &token, 1);
}

static void
give_turn(void)
{
  write(turn[1], "", 1);
}

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

// The memory system's event counters (vmstat()), cumulative since boot:
// one `count` line, which the drawing tool turns into rates.
static void
counts(uint64 t)
{
  static char *names[] = VMSTAT_NAMES;
  static char buf[LINE];
  struct vmstat vs;
  int n = 0;

  if(vmstat(&vs) < 0)
    return;
  put_str(buf, &n, "count ");
  put_field(buf, &n, "t", t);
  for(int i = 0; i < NVMSTAT && i < vs.ncounters; i++)
    put_field(buf, &n, names[i], vs.count[i]);
  buf[n - 1] = '\n';
  write(1, buf, n);
}

// The free frames per buddy order: one `orders` line; nothing without
// orders (buddyinfo() fails before lab buddy).
static void
orders(uint64 t)
{
  static char buf[LINE];
  struct buddyinfo bi;
  char key[4] = "o";
  int n = 0;

  if(buddyinfo(&bi) < 0)
    return;
  put_str(buf, &n, "orders ");
  put_field(buf, &n, "t", t);
  for(int k = 0; k < bi.norder && k < BUDDY_NORDER; k++){
    key[1] = k < 10 ? '0' + k : '1';
    key[2] = k < 10 ? 0 : '0' + k - 10;
    put_field(buf, &n, key, bi.nfree[k] << k);
  }
  buf[n - 1] = '\n';
  write(1, buf, n);
}

// The ZOOM frames where the use changes most often from one frame to the
// next: one `zoom` line, one character per frame.
static void
zoom_line(uint64 t, uint64 total)
{
  static char all[MAXFRAMES], buf[LINE];
  int nall = memmap(all, total < MAXFRAMES ? total : MAXFRAMES, 0, 1);
  int best = 0, bestn = -1, n = 0;

  for(int start = 0; start + ZOOM <= nall; start += ZOOM / 4){
    int changes = 0;
    for(int i = start + 1; i < start + ZOOM; i++)
      changes += all[i] != all[i - 1];
    if(changes > bestn){
      best = start;
      bestn = changes;
    }
  }
  if(bestn < 0)
    return;
  put_str(buf, &n, "zoom ");
  put_field(buf, &n, "t", t);
  put_str(buf, &n, "first=0x");
  put_num(buf, &n, KERNBASE + (uint64)best * PGSIZE, 16);
  put_str(buf, &n, " group=1 ");
  memmove(buf + n, all + best, ZOOM);
  n += ZOOM;
  buf[n++] = '\n';
  write(1, buf, n);
}

// One sample: the counters lines and the map line; with a watch key,
// the resident heap pages of process `watched` under that key.
static void
sample(char *watch, int watched)
{
  static char buf[LINE];
  struct memstat st;
  struct vmspace vs;
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
  put_field(buf, &n, "shared", st.shared);
  if(st.swap_slots){
    put_field(buf, &n, "swap_slots", st.swap_slots);
    put_field(buf, &n, "swap_used", st.swap_used);
  }
  if(watch && vmspace(watched, &vs) == 0)
    put_field(buf, &n, watch, vs.r[VMR_HEAP].resident);
  buf[n - 1] = '\n';
  write(1, buf, n);
  counts(t);
  orders(t);

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
  if(zoom)
    zoom_line(t, st.total);
}

// Marks the start of a step of a workload: a phase line.
static void
phase(char *name)
{
  char buf[64];
  int n = 0;

  put_str(buf, &n, "phase ");
  put_field(buf, &n, "t", uptime());
  for(; *name && n < sizeof(buf) - 1; name++)
    buf[n++] = *name;
  buf[n++] = '\n';
  take_turn();
  write(1, buf, n);
  give_turn();
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

// Lab buddy's picture: two children grow one page at a time, taking
// turns through pipes, so their frames interleave (each takes the buddy
// of the other's last frame). Then the first exits: its frames come back
// one by one, every one's buddy still held by the second, and none can
// merge. After a while the second exits and everything merges again.
static void
frag(void)
{
  int ab[2], ba[2], npages = 1024;
  char token = 0;

  if(pipe(ab) < 0 || pipe(ba) < 0)
    exit(1);
  for(int c = 0; c < 2; c++){
    if(fork() == 0){
      int in = c == 0 ? ba[0] : ab[0], out = c == 0 ? ab[1] : ba[1];
      if(c == 0)
        write(out, &token, 1);
      for(int i = 0; i < npages; i++){
        if(read(in, &token, 1) != 1)
          break;
        char *p = sbrk(PGSIZE);
        if(p == (char *)-1)
          break;
        *p = 1;
        write(out, &token, 1);
      }
      sleep(c == 0 ? 30 : 300);
      exit(0);
    }
  }
  close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
  wait(0);
  wait(0);
}

// Lab cow's picture: a parent with 8 MiB of written heap forks three
// children. Until they write, parent and children share every frame;
// each child then writes its own quarter in steps (a copy per page), and
// once they have exited the parent writes everything: each frame is its
// own again, so the write reuses it instead of copying.
static void
cow(void)
{
  int npages = 2048;
  char *base = sbrk(npages * PGSIZE);

  if(base == (char *)-1)
    exit(1);
  for(int i = 0; i < npages; i++)
    base[i * PGSIZE] = 1;
  sleep(30);
  for(int c = 0; c < 3; c++){
    if(fork() == 0){
      sleep(30 + 40 * c);
      int first = c * npages / 4, step = npages / 16;
      for(int i = 0; i < 4 * step; i++){
        base[(first + i) * PGSIZE] = 2;
        if(i % step == step - 1)
          sleep(10);
      }
      sleep(60);
      exit(0);
    }
    sleep(10);
  }
  for(int c = 0; c < 3; c++)
    wait(0);
  sleep(30);
  for(int i = 0; i < npages; i++)
    base[i * PGSIZE] = 3;
  sleep(30);
}

// Lab lazy's picture: sbrk(16 MiB) allocates nothing; reading one page
// in four maps the shared zero frame, writing every page takes a fresh
// frame each, in steps; sbrk back gives them all back.
static void
lazy(void)
{
  int npages = 4096;
  char *base = sbrk(npages * PGSIZE);
  volatile char sum = 0;

  if(base == (char *)-1)
    exit(1);
  sleep(30);
  for(int s = 0; s < 4; s++){
    for(int i = s * npages / 4; i < (s + 1) * npages / 4; i += 4)
      sum += base[i * PGSIZE];
    sleep(15);
  }
  for(int s = 0; s < 8; s++){
    for(int i = s * npages / 8; i < (s + 1) * npages / 8; i++)
      base[i * PGSIZE] = 1;
    sleep(15);
  }
  sleep(30);
  sbrk(-npages * PGSIZE);
  sleep(30);
}

// Writes one byte of each of the n pages from p on, or reads it (write
// 0), in `steps` steps with a pause between them.
static void
touch(char *p, int n, int write, int steps, int pause)
{
  volatile char sum = 0;

  for(int s = 0; s < steps; s++){
    for(int i = s * n / steps; i < (s + 1) * n / steps; i++){
      if(write)
        p[(uint64)i * PGSIZE] = 1;
      else
        sum += p[(uint64)i * PGSIZE];
    }
    sleep(pause);
  }
}

// The batch job of the swap workload, with `unit` frames to go by (see
// swap()).
static void
swap_batch(int unit)
{
  int chunk = unit / 16;
  char *cold = sbrk(unit / 2 * PGSIZE);

  sleep(50);                              // the hot set first
  if(cold != (char *)-1){
    phase("2 cold set");
    touch(cold, unit / 2, 1, 4, 10);
    sleep(50);
    char *stream = sbrk(24 * chunk * PGSIZE);
    if(stream != (char *)-1){
      phase("3 stream");
      touch(stream, 24 * chunk, 1, 24, 2);  // 3/2 of the free frames, through full RAM
      sleep(30);
      phase("4 free it");
      sbrk(-24 * chunk * PGSIZE);
    }
    sleep(30);
    phase("5 read cold");
    touch(cold, unit / 2, 0, 4, 10);      // back from swap: the swap cache
    sleep(30);
    stream = sbrk(16 * chunk * PGSIZE);
    if(stream != (char *)-1){
      phase("6 stream");
      touch(stream, 16 * chunk, 1, 16, 2);  // the cold set out again, unwritten
      sleep(30);
      phase("7 free it");
      sbrk(-16 * chunk * PGSIZE);
    }
    sleep(30);
  }
  phase("8 end");
  exit(0);
}

// Lab swap's picture: the clock at work, on a machine with a swap disk
// at least twice its free RAM (tools/memviz.py boots -m 16M with 32 MiB
// of swap; with less, the batch job is killed when RAM and swap are
// full, and the run ends there). Two processes share RAM, as in the
// lab's question: a small interactive one that reads its hot set (1/4
// of the free frames) every tick, and a batch job that writes a cold set
// (1/2) once, then streams 3/2 of the free frames of fresh pages
// through: RAM fills, and the clock sends the cold set and the old
// stream to swap, while the hot set, whose accessed bits are set again
// every tick, stays. The batch job gives its stream back, reads the cold
// set back (those frames keep their slots: the swap cache), and streams
// RAM once more: the cold set, read but not written, goes out again
// without a write (swap_clean).
//
// The interactive process is the one memwatch watches (hot= in the
// sample lines), so it is this one, and the batch job its child. It runs
// as long as the batch job does, however that ends (killed for want of
// memory, in a kernel without swap): a third process waits for the end
// of a pipe only the batch job holds, and then kills the interactive
// one.
static void
swap(void)
{
  struct memstat st;
  int alive[2];

  if(memstat(&st) < 0)
    exit(1);
  int unit = st.free;
  int me = getpid(), batch = pipe(alive) < 0 ? -1 : fork();
  if(batch < 0)
    return;
  if(batch == 0){
    close(alive[0]);
    swap_batch(unit);
  }
  close(alive[1]);
  int watchdog = fork();
  if(watchdog == 0){
    char c;
    read(alive[0], &c, 1);      // returns when the batch job has exited
    kill(me);
    exit(0);
  }
  close(alive[0]);
  int hot = unit / 4;
  char *h = watchdog < 0 ? (char *)-1 : sbrk(hot * PGSIZE);
  if(h == (char *)-1){
    kill(batch);
    return;
  }
  phase("1 hot set");
  touch(h, hot, 1, 1, 1);
  for(;;)
    touch(h, hot, 0, 1, 1);
}

struct {
  char *name;
  void (*run)(void);
  char *watch;      // sample key for the resident heap of the workload's first process
} workloads[] = {
  { "grow", workload }, { "frag", frag }, { "cow", cow }, { "lazy", lazy },
  { "swap", swap, "hot" },
};

int
main(int argc, char *argv[])
{
  int interval = 10, go[2];
  void (*builtin)(void) = workload;
  char *watch = 0, token = 0;

  if(argc >= 3 && strcmp(argv[1], "-i") == 0){
    interval = atoi(argv[2]);
    argv += 2;
    argc -= 2;
  }
  if(argc >= 2 && strcmp(argv[1], "-z") == 0){
    zoom = 1;
    argv++;
    argc--;
  }
  if(argc >= 3 && strcmp(argv[1], "-w") == 0){
    builtin = 0;
    for(int i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++){
      if(strcmp(argv[2], workloads[i].name) == 0){
        builtin = workloads[i].run;
        watch = workloads[i].watch;
      }
    }
    argv += 2;
    argc -= 2;
  }
  if(interval <= 0 || builtin == 0){
    fprintf(2, "usage: memwatch [-i TICKS] [-z] [-w grow|frag|cow|lazy|swap | PROG ARGS...]\n");
    exit(1);
  }
  if(pipe(go) < 0 || pipe(turn) < 0){
    fprintf(2, "memwatch: pipe failed\n");
    exit(1);
  }
  give_turn();
  int worker = fork();
  if(worker == 0){
    close(go[1]);
    read(go[0], &token, 1);   // the sampler's baseline first
    close(go[0]);
    if(argc > 1){
      exec(argv[1], argv + 1);
      fprintf(2, "memwatch: cannot run %s\n", argv[1]);
      exit(1);
    }
    builtin();
    exit(0);
  }
  close(go[0]);
  int sampler = worker < 0 ? -1 : fork();
  if(sampler < 0){
    fprintf(2, "memwatch: fork failed\n");
    kill(worker);
    exit(1);
  }
  if(sampler == 0){
    close(go[1]);
    for(;;){
      take_turn();
      sample(watch, worker);
      give_turn();
      sleep(interval);
    }
  }
  sleep(2 * interval);        // a baseline before the workload starts
  write(go[1], &token, 1);
  close(go[1]);
  for(int w = 0; w != worker && w >= 0; )
    w = wait(0);
  sleep(3 * interval);        // watch memory settle
  // The last sample, taken here once the workload is reaped, shows what
  // came back, however few samples a loaded host let the sampler take
  // meanwhile. The turn first: killed while it holds it, the sampler
  // would never give it back.
  take_turn();
  kill(sampler);
  wait(0);
  sample(watch, worker);
  give_turn();
  printf("memwatch: done\n");
  exit(0);
}
