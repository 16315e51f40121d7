// Lab swap: tests of page replacement to the swap disk, seen from user
// space.
//
//   swaptest            run every test
//   swaptest NAME       run one
//
// Prints `swaptest: NAME: ok` or `swaptest: NAME: FAIL why` per test and
// `swaptest: done` at the end; graders match these lines. Before each
// result a line `swaptest:   NAME: swap_out +N swap_in +N ...` gives the
// test's vmstat deltas, so a failure says what the kernel did.
//
// Each test runs in a child of its own. The runner counts free frames and
// used swap slots (memstat) before the fork and after it has reaped the
// child, and fails the test when either differs: every frame and every
// slot a test takes, its children's included, must come back. Processes
// outside the test (init, sh, the runner itself) may have pages pushed
// to swap while it runs; the runner brings its own back (touch_self) and
// subtracts what vmspace() says the others have on swap, since each of
// their swapped pages moved one frame to one slot.
//
// Sizes come from memstat: RAM is `total` frames, so the tests adapt to
// `make qemu MEM=...`. Every test that needs swap fails at once, saying
// so, on a kernel booted without a swap disk.
//
// The user stack is one page: no test keeps a large buffer on it.
// Single-threaded: the processes of a test share nothing but the kernel.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "user/user.h"
#include "user/testlib.h"

#define WORDS (PGSIZE / 8)   // 64-bit words per page
#define MiB (1024 * 1024)
#define PIPE_PAGES 8         // syscall-swapped: buffer size in pages
#define SETTLE_TRIES 20      // runner: readings before it calls a count a leak

// ---- figures ----

// Pages process pid (0: this one) has on swap, all regions; -1 if there
// is no such process.
static long
swapped_of(int pid)
{
  struct vmspace vs;
  long n = 0;

  if(vmspace(pid, &vs) < 0)
    return -1;
  for(int i = 0; i < NVMR; i++)
    n += vs.r[i].swapped;
  return n;
}

// Pages of the heap region of this process on swap.
static uint64
heap_swapped(void)
{
  struct vmspace vs;

  if(vmspace(0, &vs) < 0)
    FAIL("vmspace(0) failed");
  return vs.r[VMR_HEAP].swapped;
}

// Pages on swap of every process with a pid up to `last`.
static uint64
swapped_upto(int last)
{
  uint64 n = 0;

  for(int pid = 1; pid <= last; pid++){
    long k = swapped_of(pid);
    if(k > 0)
      n += k;
  }
  return n;
}

// Fail unless the kernel has a swap disk with room for `pages` more pages
// beyond the free frames (what a test is about to touch).
static void
need_swap(uint64 pages)
{
  struct memstat m = test_mem();

  if(m.swap_slots == 0)
    FAIL("no swap disk: memstat swap_slots is 0 (boot with one: make qemu SWAP=64M; "
         "the kernel must find the disk on virtio slot 1)");
  if(pages > m.free + m.swap_slots - m.swap_used)
    FAIL("the test needs %lu pages, but only %lu frames are free and %lu swap slots: "
         "boot with a larger swap disk", pages, m.free, m.swap_slots - m.swap_used);
}

// ---- page contents ----

// Word w of page i as process `tag` writes it: different in every word,
// every page and every writer.
static uint64
stamp(int tag, uint64 i, int w)
{
  return ((uint64)tag << 56) ^ (i << 20) ^ ((uint64)w * 0x9E3779B97F4A7C15ULL);
}

static void
fill_page(char *base, uint64 i, int tag)
{
  volatile uint64 *p = (volatile uint64 *)(base + i * PGSIZE);

  for(int w = 0; w < WORDS; w++)
    p[w] = stamp(tag, i, w);
}

// The first word of page i that does not hold tag's stamp, or -1.
static int
bad_word(char *base, uint64 i, int tag)
{
  volatile uint64 *p = (volatile uint64 *)(base + i * PGSIZE);

  for(int w = 0; w < WORDS; w++)
    if(p[w] != stamp(tag, i, w))
      return w;
  return -1;
}

// Fill pages [0, n) with tag's stamps, from the last page down when down
// is set (so the pages at the top are the oldest).
static void
fill_pages(char *base, uint64 n, int tag, int down)
{
  for(uint64 k = 0; k < n; k++)
    fill_page(base, down ? n - 1 - k : k, tag);
}

// Fail unless every page of [0, n) holds tag's stamps; what: whose pages.
// A word that holds another writer's stamp means that writer's write
// reached this process's page: say so, it is a sharing bug, not a swap-in
// that read the wrong slot.
static void
check_pages(char *base, uint64 n, int tag, char *what)
{
  for(uint64 i = 0; i < n; i++){
    int w = bad_word(base, i, tag);
    if(w < 0)
      continue;
    uint64 got = ((volatile uint64 *)(base + i * PGSIZE))[w];
    int other = got >> 56;
    if(other != tag && got == stamp(other, i, w))
      FAIL("%s: page %lu of %lu holds the stamps of process %d, which wrote its own copy "
           "of the page: a frame shared after swap-in (rmap_swapcached, or swap_keep's "
           "SWAP_SHARED) must be mapped copy-on-write in fault_swapin, so that a write "
           "copies it", what, i, n, other);
    FAIL("%s: page %lu of %lu, word %d reads %p, expected %p (swap-in must bring "
         "back exactly the page that was written out)", what, i, n, w, (void*)got,
         (void*)stamp(tag, i, w));
  }
}

// Grow the heap by n pages; returns the first one.
static char *
grow(uint64 n)
{
  char *p = sbrk(n * PGSIZE);

  if(p == (char *)-1)
    FAIL("sbrk(%lu pages) failed", n);
  return p;
}

// Push this process's older pages out: touch n fresh pages, then give them
// back. With n = RAM, the pages touched before are (nearly) all on swap.
static void
push_out(uint64 n)
{
  char *p = grow(n);

  for(uint64 i = 0; i < n; i++)
    p[i * PGSIZE] = 1;
  if(sbrk(-(int)(n * PGSIZE)) == (char *)-1)
    FAIL("sbrk(-%lu pages) failed", n);
}

// A child's exit status, explained when the kernel killed it.
static void
child_ok(int status, char *who)
{
  if(status == KILLED)
    FAIL("%s was killed: with RAM full, a fault must evict a page to swap and go on "
         "(only RAM and swap both full may kill, and then the biggest process)", who);
  if(status != 0)
    FAIL("%s exited with %d", who, status);
}

// Reap n children, all of them before judging, then require the worst
// exit status to be a clean one (child_ok); who: what the children are.
static void
reap_children(int n, char *who)
{
  int worst = 0;

  for(int k = 0; k < n; k++){
    int st = test_wait();
    if(st != 0)
      worst = st;
  }
  child_ok(worst, who);
}

// ---- the tests ----

// A working set twice the size of RAM: every page written, then every word
// of every page checked in a second full pass.
static void
twice_ram(void)
{
  uint64 n = 2 * test_mem().total;

  need_swap(n);
  char *p = grow(n);
  fill_pages(p, n, 1, 0);
  check_pages(p, n, 1, "the read-back pass after all were written");
  if(test_counter(VMSTAT_SWAP_OUT) == 0 || test_counter(VMSTAT_SWAP_IN) == 0)
    FAIL("%lu pages touched with %lu frames of RAM, but vmstat counts no swap_out or "
         "no swap_in", n, test_mem().total);
}

// Child of cow_shared: wait for the go byte, check the shared pages,
// write its own stamps and check them. Exits with 0 or via FAIL.
static void
cow_child(int *go, char *p, uint64 n, int tag)
{
  char c;

  close(go[1]);      // so that a parent gone early means end of file here
  if(read(go[0], &c, 1) != 1)
    FAIL("child %d: the parent went away", tag);
  check_pages(p, n, 1, "a child reading the shared pages after they came back");
  fill_pages(p, n, tag, 0);
  check_pages(p, n, tag, "a child reading its own writes");
  exit(0);
}

// Pages shared copy-on-write by three processes go to swap (a fourth one
// touches a RAM's worth of memory) and come back right in each; then the
// children's writes stay private.
static void
cow_shared(void)
{
  uint64 ram = test_mem().total;
  uint64 n = ram / 4;
  int go[2];

  need_swap(n + ram);
  char *p = grow(n);
  fill_pages(p, n, 1, 0);
  if(pipe(go) < 0)
    FAIL("pipe() failed");
  for(int tag = 2; tag <= 3; tag++)
    if(test_fork() == 0)
      cow_child(go, p, n, tag);
  int pusher = test_fork();
  if(pusher == 0){
    push_out(ram);
    exit(0);
  }
  child_ok(test_wait(), "the process that touched a RAM's worth of pages");
  uint64 out = heap_swapped();
  if(out == 0)
    FAIL("none of the %lu shared heap pages went to swap while a process touched %lu "
         "pages (RAM %lu frames): shared pages must be evictable too", n, ram, ram);
  check_pages(p, n, 1, "the parent reading the shared pages after they came back");
  if(write(go[1], "gg", 2) != 2)
    FAIL("write to the go pipe failed");
  for(int k = 0; k < 2; k++)
    child_ok(test_wait(), "a child of the shared pages");
  check_pages(p, n, 1, "the parent after its children wrote (each write must go to "
              "the writer's own copy)");
}

// Fork, exit and a shrinking sbrk while pages are on swap: the slots of
// the pages that go away come back at once.
static void
fork_exit_sbrk(void)
{
  uint64 ram = test_mem().total;
  uint64 n = ram + ram / 2;

  need_swap(n);
  char *p = grow(n);
  fill_pages(p, n, 1, 1);          // top down: the top half is the oldest
  uint64 h0 = heap_swapped(), s0 = test_mem().swap_used;
  if(h0 == 0)
    FAIL("%lu heap pages written with %lu frames of RAM, none on swap (vmspace)", n, ram);
  if(s0 < h0)
    FAIL("vmspace counts %lu heap pages on swap but memstat only %lu slots in use", h0, s0);
  if(sbrk(-(int)(n / 2 * PGSIZE)) == (char *)-1)
    FAIL("sbrk(-%lu pages) failed", n / 2);
  uint64 h1 = heap_swapped(), s1 = test_mem().swap_used;
  if(h1 >= h0 || s1 > s0 || s0 - s1 < h0 - h1)
    FAIL("shrinking the heap by %lu pages took %lu swapped pages away (%lu -> %lu), but "
         "the slots in use went %lu -> %lu: a shrinking sbrk must free their slots",
         n / 2, h0 - h1, h0, h1, s0, s1);
  n -= n / 2;
  push_out(ram);                    // what is left goes to swap too
  if(heap_swapped() == 0)
    FAIL("none of the %lu heap pages left went to swap after touching %lu more", n, ram);
  int pid = test_fork();
  if(pid == 0){
    check_pages(p, n, 1, "a child forked while pages were on swap");
    exit(0);
  }
  child_ok(test_wait(), "the child forked with pages on swap");
  if(test_fork() == 0)
    exit(0);                        // a child that exits holding swap slots
  child_ok(test_wait(), "a child that exited at once");
  check_pages(p, n, 1, "the parent after its children exited");
}

// A child that allocates forever: it must be killed (RAM and swap full),
// with the oom_kill counter counting it; then memory works again.
static void
oom_kill(void)
{
  struct memstat m = test_mem();
  uint64 kills = test_counter(VMSTAT_OOM_KILL);

  need_swap(0);
  uint64 cap = 2 * (m.total + m.swap_slots);   // stop here if nothing ever runs out
  int pid = test_fork();
  if(pid == 0){
    for(uint64 got = 0; got < cap; got += MiB / PGSIZE){
      char *a = sbrk(MiB);
      if(a == (char *)-1)
        exit(2);
      for(int i = 0; i < MiB; i += PGSIZE)
        a[i] = 1;
    }
    exit(3);
  }
  int st = test_wait();
  if(st == 2)
    FAIL("sbrk refused memory: the kernel must overcommit (lazy) and kill when RAM "
         "and swap are full");
  if(st != KILLED)
    FAIL("a child that allocated %lu pages (RAM %lu + swap %lu) exited with %d: it must "
         "be killed (-1) once RAM and swap are full", cap, m.total, m.swap_slots, st);
  if(test_counter(VMSTAT_OOM_KILL) != kills + 1)
    FAIL("vmstat oom_kill went %lu -> %lu for one process killed out of memory and swap",
         kills, test_counter(VMSTAT_OOM_KILL));
  if(test_fork() == 0){
    uint64 n = test_mem().total / 2;
    char *p = grow(n);
    fill_pages(p, n, 4, 0);
    check_pages(p, n, 4, "a process after the out-of-memory kill");
    exit(0);
  }
  child_ok(test_wait(), "a process using half of RAM after the out-of-memory kill");
}

// A hog holds over half of RAM + swap and sleeps; a smaller process then
// needs half. The kernel must kill the hog (the biggest), not the
// faulting process, which finishes with its pages right.
static void
oom_biggest(void)
{
  struct memstat m = test_mem();
  uint64 room = m.free + m.swap_slots - m.swap_used;
  uint64 big = room * 55 / 100, small = room / 2;
  uint64 kills = test_counter(VMSTAT_OOM_KILL);
  int ready[2];
  char c;

  need_swap(0);
  if(pipe(ready) < 0)
    FAIL("pipe() failed");
  int hog = test_fork();
  if(hog == 0){
    char *p = grow(big);
    fill_pages(p, big, 5, 0);
    write(ready[1], "r", 1);
    for(;;)
      sleep(100);
  }
  close(ready[1]);                // so that a hog killed early means end of file
  if(read(ready[0], &c, 1) != 1)
    FAIL("the hog died before it held %lu pages (RAM and swap: %lu)", big, room);
  int grower = test_fork();
  if(grower == 0){
    char *p = grow(small);
    fill_pages(p, small, 6, 0);
    check_pages(p, small, 6, "the smaller process after the kill");
    exit(0);
  }
  int st = 0, pid = wait(&st);
  if(pid != hog || st != KILLED){
    kill(hog);
    test_wait();
    FAIL("pid %d ended first with %d; expected the hog (pid %d, %lu pages) killed: the "
         "out-of-memory victim is the process using the most memory, not the one "
         "faulting (%lu pages)", pid, st, hog, big, small);
  }
  child_ok(test_wait(), "the smaller process, which was not the biggest");
  if(test_counter(VMSTAT_OOM_KILL) != kills + 1)
    FAIL("vmstat oom_kill went %lu -> %lu for one victim", kills, test_counter(VMSTAT_OOM_KILL));
}

// Three processes, each with a working set larger than a third of RAM,
// fault at the same time (on three harts with CPUS=3).
static void
three_faulting(void)
{
  uint64 n = test_mem().total / 2;

  need_swap(3 * n);
  for(int tag = 1; tag <= 3; tag++){
    if(test_fork() == 0){
      char *p = grow(n);
      fill_pages(p, n, tag, 0);
      check_pages(p, n, tag, "one of three processes faulting at once");
      exit(0);
    }
  }
  reap_children(3, "one of three processes faulting at once");
}

// write() from a swapped-out buffer into a pipe: the reader child gets the
// bytes; read() from the pipe into a swapped-out buffer: they land.
static void
syscall_swapped(void)
{
  uint64 ram = test_mem().total;
  int down[2], up[2];

  need_swap(ram + PIPE_PAGES);
  if(pipe(down) < 0 || pipe(up) < 0)
    FAIL("pipe() failed");
  int pid = test_fork();
  if(pid == 0){
    close(down[1]);  // so that a parent gone early means end of file here
    close(up[0]);
    char *b = grow(PIPE_PAGES);
    for(uint64 got = 0; got < PIPE_PAGES * PGSIZE; ){
      int r = read(down[0], b + got, PIPE_PAGES * PGSIZE - got);
      if(r <= 0)
        FAIL("the reader child got %lu of %d bytes", got, PIPE_PAGES * PGSIZE);
      got += r;
    }
    check_pages(b, PIPE_PAGES, 7, "bytes written to a pipe from a swapped-out buffer");
    fill_pages(b, PIPE_PAGES, 8, 0);
    if(write(up[1], b, PIPE_PAGES * PGSIZE) != PIPE_PAGES * PGSIZE)
      FAIL("the child's write to the pipe failed");
    exit(0);
  }
  close(down[0]);
  close(up[1]);
  char *buf = grow(PIPE_PAGES);
  fill_pages(buf, PIPE_PAGES, 7, 0);
  push_out(ram);
  uint64 out = heap_swapped();
  if(out < PIPE_PAGES)
    FAIL("only %lu of the %d buffer pages went to swap after touching %lu pages", out,
         PIPE_PAGES, ram);
  if(write(down[1], buf, PIPE_PAGES * PGSIZE) != PIPE_PAGES * PGSIZE)
    FAIL("write() of %d bytes from a swapped-out buffer failed: copyin must swap "
         "the pages in through the fault path", PIPE_PAGES * PGSIZE);
  push_out(ram);
  if(heap_swapped() < PIPE_PAGES)
    FAIL("the buffer did not go back to swap");
  for(uint64 got = 0; got < PIPE_PAGES * PGSIZE; ){
    int r = read(up[0], buf + got, PIPE_PAGES * PGSIZE - got);
    if(r <= 0)
      FAIL("read() into a swapped-out buffer returned %d after %lu bytes: copyout "
           "must swap the pages in through the fault path", r, got);
    got += r;
  }
  check_pages(buf, PIPE_PAGES, 8, "bytes read from a pipe into a swapped-out buffer");
  child_ok(test_wait(), "the reader child");
}

// ---- the runner ----

// The clock keeps pages in use: a hot set of RAM/4 pages is read between
// every two chunks of a stream of fresh pages (RAM/64 each, twice RAM in
// all). A hot page is used again long before the hand comes back to it,
// so once RAM has filled and the hand has gone round, the clock does not
// evict it; FIFO throws the whole hot set out every RAM's worth of new
// pages, and reads it back each time. Counted: the hot reads after the
// first 3/4 RAM of the stream (RAM full, the hand's first sweep done).
//
// RAM/4 old pages, touched once, go on the list before the hot set. When
// RAM first fills, every page on the list was used since the hand last
// passed (it never has), so the hand clears every accessed bit in one turn
// and then evicts from the front, as FIFO would: the old pages are what
// that turn takes. Without them it takes the hot set, and whether the
// clock gets back to a steady state that keeps it depends on where the
// hand stops within a chunk, that is on the exact number of free frames
// (at 14, 15, 17, 20 and 23 MiB of RAM it did not).
static void
clock_keeps_hot(void)
{
  uint64 ram = test_mem().total, hot = ram / 4, chunk = ram / 64, chunks = 128, warm = 48;

  need_swap(ram / 4 + hot + chunk * chunks);
  char *old = grow(ram / 4), *h = grow(hot), *fresh = grow(chunk * chunks);
  for(uint64 i = 0; i < ram / 4; i++)
    old[i * PGSIZE] = 1;
  fill_pages(h, hot, 1, 0);
  uint64 hot_ins = 0;
  for(uint64 c = 0; c < chunks; c++){
    for(uint64 i = 0; i < chunk; i++)
      fresh[(c * chunk + i) * PGSIZE] = 1;
    uint64 before = test_counter(VMSTAT_SWAP_IN);
    for(uint64 i = 0; i < hot; i++)
      (void)((volatile char *)h)[i * PGSIZE];
    if(c >= warm)
      hot_ins += test_counter(VMSTAT_SWAP_IN) - before;
  }
  check_pages(h, hot, 1, "the hot set");
  if(hot_ins > hot / 4)
    FAIL("%lu swap-ins while reading a hot set of %lu pages that is read after every "
         "%lu fresh pages: the clock must give a page whose accessed bit (PTE_A) is set "
         "a second chance (clear the bit, move it to the back) instead of evicting it",
         hot_ins, hot, chunk);
}

// Three children and the parent share n pages copy-on-write; the pages
// go to swap (a fourth child touches a RAM's worth of memory). Returns the
// number of them on swap, after failing if none is. The children wait for
// a byte on go[0], read every page, write a byte to done[1] and keep their
// pages until end[0] reaches end of file.
#define SHARERS 3
static uint64
share_and_push(char *p, uint64 n, int *go, int *done, int *end)
{
  if(pipe(go) < 0 || pipe(done) < 0 || pipe(end) < 0)
    FAIL("pipe() failed");
  fill_pages(p, n, 1, 0);
  for(int k = 0; k < SHARERS; k++){
    if(test_fork() == 0){
      char c;
      close(go[1]);
      close(end[1]);
      if(read(go[0], &c, 1) != 1)
        FAIL("a sharer: the parent went away");
      check_pages(p, n, 1, "a child reading pages it shares with three others, after "
                  "they came back from swap");
      if(write(done[1], "d", 1) != 1)
        FAIL("a sharer: write to the done pipe failed");
      read(end[0], &c, 1);
      exit(0);
    }
  }
  close(go[0]);
  close(end[0]);
  if(test_fork() == 0){
    push_out(test_mem().total);
    exit(0);
  }
  child_ok(test_wait(), "the process that touched a RAM's worth of pages");
  uint64 out = heap_swapped();
  if(out == 0)
    FAIL("none of the %lu shared heap pages went to swap while a process touched a RAM's "
         "worth of pages: shared pages must be evictable too", n);
  return out;
}

// Let the sharers go, wait until each has read every page, then let them
// exit and reap them.
static void
sharers_read(int *go, int *done, int *end)
{
  char c;

  if(write(go[1], "ggg", SHARERS) != SHARERS)
    FAIL("write to the go pipe failed");
  for(int k = 0; k < SHARERS; k++)
    if(read(done[0], &c, 1) != 1)
      FAIL("a sharer died before it had read the shared pages");
}

static void
sharers_end(int *end)
{
  close(end[1]);
  reap_children(SHARERS, "a child sharing pages on swap");
}

// Four processes read the same swapped-out shared pages at once: each page
// is read from the disk once and comes back into one frame, shared again.
static void
shared_one_read(void)
{
  uint64 n = test_mem().total / 8;
  int go[2], done[2], end[2];

  need_swap(n + test_mem().total);
  char *p = grow(n);
  uint64 out = share_and_push(p, n, go, done, end);
  uint64 ins = test_counter(VMSTAT_SWAP_IN), free = test_mem().free;
  sharers_read(go, done, end);
  check_pages(p, n, 1, "the parent reading the shared pages after they came back");
  ins = test_counter(VMSTAT_SWAP_IN) - ins;
  uint64 used = free > test_mem().free ? free - test_mem().free : 0;
  sharers_end(end);
  // Slack for the processes' own stacks and the pipes.
  if(ins > out + out / 2)
    FAIL("%lu pages shared by 4 processes were on swap, and all 4 read them back with "
         "%lu swap-ins: a page shared when it went out must be read once (the first "
         "fault keeps the slot in its frame, swap_keep; the others find that frame "
         "through the reverse map, rmap_swapcached, and map it copy-on-write)", out, ins);
  if(used > out + out / 2)
    FAIL("%lu pages shared by 4 processes came back from swap into %lu frames: the "
         "processes must share one frame per page again (fault_swapin maps the frame "
         "rmap_swapcached found, copy-on-write, instead of a copy of it)", out, used);
}

// A page that came back into a frame that other processes' swap PTEs still
// find (through its slot) is written by the process that brought it back:
// the write must go to a copy, so that the others read the page as it was.
static void
shared_write_private(void)
{
  uint64 n = test_mem().total / 8;
  int go[2], done[2], end[2];

  need_swap(n + test_mem().total);
  char *p = grow(n);
  share_and_push(p, n, go, done, end);
  check_pages(p, n, 1, "the parent reading the shared pages after they came back");
  fill_pages(p, n, 2, 0);
  sharers_read(go, done, end);
  sharers_end(end);
  check_pages(p, n, 2, "the parent reading its own writes after the children read");
}

// Forks under swap traffic, FORK_STORM times: a parent with half of RAM's
// worth of pages, most on swap, forks children one after another while
// two siblings page their own working sets (3/4 of RAM each) in and out; each child reads some
// of the parent's pages, writes one (a copy-on-write fault on a page that
// may be on swap) and exits, and every third one is killed while it runs.
// A kernel that holds a p->lock across fork's copy (which takes
// swap.lock) while swap wakes its waiters under swap.lock (wakeup takes
// every p->lock) deadlocks here, the whole machine (kernel/lockorder.h).
#define FORK_STORM 25
static void
fork_storm(void)
{
  // The siblings' working sets together exceed RAM: they page all along.
  uint64 ram = test_mem().total, n = ram / 2, sib = 3 * ram / 4;
  int sibs[2];

  need_swap(n + 2 * sib + FORK_STORM);
  char *p = grow(n);
  fill_pages(p, n, 1, 0);
  for(int k = 0; k < 2; k++){
    if((sibs[k] = test_fork()) == 0){
      char *q = grow(sib);
      for(;;)
        fill_pages(q, sib, 2 + k, 0);   // until the parent kills it
    }
  }
  // Fork once the siblings page: most of this process's pages on swap.
  for(int t = 0; t < 1000 && heap_swapped() < n / 2; t++)
    sleep(1);
  for(int i = 0; i < FORK_STORM; i++){
    int pid = test_fork();
    if(pid == 0){
      for(uint64 k = 0; k < 8; k++){
        uint64 at = (i * 37 + k * 101) % n;
        if(bad_word(p, at, 1) >= 0)
          check_pages(p + at * PGSIZE, 1, 1, "a child forked under swap traffic");
      }
      fill_page(p, i % n, 8);
      exit(bad_word(p, i % n, 8) >= 0 ? 2 : 0);
    }
    if(i % 3 == 2)
      kill(pid);
    int st = test_wait();
    if(st != 0 && !(i % 3 == 2 && st == KILLED))
      child_ok(st, "a child forked under swap traffic");
  }
  for(int k = 0; k < 2; k++)
    kill(sibs[k]);
  for(int k = 0; k < 2; k++)
    if(test_wait() != KILLED)
      FAIL("a sibling paging its working set was not killed by kill()");
  check_pages(p, n, 1, "the parent after forking under swap traffic");
}

// A process that has touched twice RAM (most of it on swap), with a
// sparse 256 MiB region beside (one page read per 2 MiB: 128 page-table
// pages for 128 zero-frame mappings), forks; the child reads every dense
// page and writes every other one. The child's page table needs about 160
// page-table pages while RAM is full of user pages: more than the
// kernel's reserve, so they must come like user frames, by reclaim
// (ptpage_alloc), with fork holding no spinlock while it takes them.
#define SPARSE_CHUNK (64 * MiB)
#define SPARSE_CHUNKS 4
static void
fork_big(void)
{
  uint64 ram = test_mem().total, n = 2 * ram;

  need_swap(n + n / 2);
  char *sparse = grow(SPARSE_CHUNK / PGSIZE);
  for(int k = 1; k < SPARSE_CHUNKS; k++)
    grow(SPARSE_CHUNK / PGSIZE);
  for(uint64 a = 0; a < SPARSE_CHUNKS * SPARSE_CHUNK; a += 2 * MiB)
    if(((volatile char *)sparse)[a] != 0)
      FAIL("untouched heap at %p does not read 0", sparse + a);
  char *p = grow(n);
  fill_pages(p, n, 1, 0);
  int pid = fork();
  if(pid < 0)
    FAIL("fork of a process of %lu pages (%lu on swap, RAM %lu) and 128 page tables' worth "
         "of sparse heap returned -1, while swap has room: the child's page-table pages "
         "must come by reclaim (ptpage_alloc, uvmcopy_reserve), not from the kernel's "
         "reserve", n, heap_swapped(), ram);
  if(pid == 0){
    check_pages(p, n, 1, "the child of a big fork reading every page");
    for(uint64 i = 0; i < n; i += 2)
      fill_page(p, i, 2);
    for(uint64 i = 0; i < n; i += 2)
      if(bad_word(p, i, 2) >= 0)
        FAIL("the child of a big fork lost its write to page %lu", i);
    exit(0);
  }
  child_ok(test_wait(), "the child of a big fork");
  check_pages(p, n, 1, "the parent after its big child wrote half its pages");
}

#define WRITER_PAGES 256    // tlb-shootdown: pages the writer increments a word of
#define WRITER_ROUNDS 200   // tlb-shootdown: rounds of increments between two checks

// tlb-shootdown's writer: increment one word of each of WRITER_PAGES
// fresh pages, round after round, in a loop with no system call (only
// timer interrupts and faults trap, and each return to user space
// flushes this hart), checking after every WRITER_ROUNDS rounds that all
// increments landed, until killed. Many pages, so that many of the
// pusher's evictions hit the writer while it runs, whatever the load of
// the host; one word each, so that a stale write into a freed frame
// leaves the rest of its poison for the kernel to see.
static void
hot_writer(void)
{
  volatile uint64 *w = (volatile uint64 *)grow(WRITER_PAGES);
  uint64 rounds = 0;

  for(;;){
    for(int r = 0; r < WRITER_ROUNDS; r++)
      for(int i = 0; i < WRITER_PAGES; i++)
        w[i * (PGSIZE / 8) + 1]++;
    rounds += WRITER_ROUNDS;
    for(int i = 0; i < WRITER_PAGES; i++)
      if(w[i * (PGSIZE / 8) + 1] != rounds)
        FAIL("page %d of %d incremented in a loop holds %lu after %lu increments: "
             "writes were lost while the page went to swap. The hart running the writer "
             "kept writing through its TLB's stale translation into the evicted frame: "
             "after changing the PTEs of a process that runs on another hart, evict() "
             "must flush that hart (flush_harts(): SBI remote sfence.vma) before the "
             "page is written out and its frame freed", i, WRITER_PAGES,
             w[i * (PGSIZE / 8) + 1], rounds);
  }
}

// One process writes pages in a tight loop on one hart while another,
// on another hart, fills 1.5 x RAM and so pushes the writer's pages to
// swap (with reclaim=fifo, which evicts them however hot): no
// write may be lost, and none may reach the frame after it is freed (the
// kernel checks the free poison when it hands the frame out again).
static void
tlb_shootdown(void)
{
  uint64 n = 3 * test_mem().total / 2;
  int st = 0;

  need_swap(n + 1);
  int writer = test_fork();
  if(writer == 0){
    hot_writer();
    exit(0);
  }
  int pusher = test_fork();
  if(pusher == 0){
    fill_pages(grow(n), n, 7, 0);
    exit(0);
  }
  int first = wait(&st);
  if(first == writer){
    // It never ends by itself: it found a lost write (its line above), or
    // the kernel killed it (a bad instruction or address), or its own code
    // or data changed under it and it ran into another test's exit.
    kill(pusher);
    test_wait();
    FAIL("the writer %s while its pages were evicted (its lines above say more): "
         "writes were lost or went astray through a stale translation. After changing "
         "the PTEs of a process that runs on another hart, evict() must flush that hart "
         "(flush_harts(): SBI remote sfence.vma) before the page is written out and its "
         "frame freed", st == KILLED ? "was killed by the kernel" : "ended by itself");
  }
  child_ok(st, "the process pushing pages to swap");
  kill(writer);
  st = test_wait();
  if(st != KILLED)
    child_ok(st, "the writer");
}

static struct labtest tests[] = {
  { "twice-ram", twice_ram },
  { "cow-shared", cow_shared },
  { "fork-exit-sbrk", fork_exit_sbrk },
  { "syscall-swapped", syscall_swapped },
  { "three-faulting", three_faulting },
  { "tlb-shootdown", tlb_shootdown },
  { "oom-kill", oom_kill },
  { "oom-biggest", oom_biggest },
  { "clock-keeps-hot", clock_keeps_hot },
  { "shared-one-read", shared_one_read },
  { "shared-write-private", shared_write_private },
  { "fork-storm", fork_storm },
  { "fork-big", fork_big },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static uint64 stack_top;   // top of the user stack, set by main()

// Read a byte of every page this process owns, so that pages pushed to
// swap during a test are back before the runner counts (xv6's layout:
// text and data, a guard page, the stack, the heap).
static void
touch_self(void)
{
  uint64 brk = (uint64)sbrk(0);
  uint64 base = stack_top - USERSTACK * PGSIZE;

  char v;

  for(uint64 a = 0; a < brk; a += PGSIZE)
    if(a != base - PGSIZE)        // the guard page
      asm volatile("lb %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
}

// The runner's count: free frames and used slots, less the pages that the
// other processes (pids below ours: init, sh) have on swap.
struct count {
  uint64 free, slots;
};

static struct count
count(void)
{
  struct memstat m;
  uint64 others;

  touch_self();
  memset(&m, 0, sizeof(m));
  memstat(&m);
  others = swapped_upto(getpid());
  return (struct count){ m.free - others, m.swap_used - others };
}

// Print test t's vmstat deltas since `before`.
static void
deltas(struct labtest *t, uint64 *before)
{
  static int shown[] = { VMSTAT_SWAP_OUT, VMSTAT_SWAP_IN, VMSTAT_RECLAIM_SCAN,
                         VMSTAT_OOM_KILL, VMSTAT_FAULT, VMSTAT_SWAP_SHARED };
  static char *names[] = VMSTAT_NAMES;

  printf("swaptest:   %s:", t->name);
  for(int k = 0; k < sizeof(shown) / sizeof(shown[0]); k++)
    printf(" %s +%lu", names[shown[k]], test_counter(shown[k]) - before[k]);
  printf("\n");
}

// Judge the counts after test t; returns 0 for a pass, after printing.
static int
judge(struct labtest *t, struct count *before)
{
  struct count after;

  // Orphans of the test may still be on their way to init: give them time.
  for(int i = 0; i < SETTLE_TRIES; i++){
    after = count();
    if(after.free == before->free && after.slots == before->slots)
      return 0;
    sleep(5);
  }
  if(after.free != before->free)
    printf("swaptest: %s: FAIL %lu frames free before the test, %lu after its processes "
           "were reaped (not counting other processes' pages on swap): every frame must "
           "come back\n", t->name, before->free, after.free);
  else
    printf("swaptest: %s: FAIL %lu swap slots in use before the test, %lu after its "
           "processes were reaped (not counting other processes' pages on swap): exit, "
           "sbrk and swap-in must give every slot back\n", t->name, before->slots,
           after.slots);
  return 1;
}

// Run test t in a child of its own; then check that every frame and slot
// came back. Returns 1 if it failed.
static int
run(struct labtest *t)
{
  uint64 start[6] = { test_counter(VMSTAT_SWAP_OUT), test_counter(VMSTAT_SWAP_IN),
                      test_counter(VMSTAT_RECLAIM_SCAN), test_counter(VMSTAT_OOM_KILL),
                      test_counter(VMSTAT_FAULT), test_counter(VMSTAT_SWAP_SHARED) };
  struct count before = count();
  int status;

  if(test_run(t->name, t->fn, &status) < 0)
    return 1;
  deltas(t, start);
  if(status == KILLED)
    printf("swaptest: %s: FAIL the test process was killed: with RAM full, a fault must "
           "evict a page to swap, not kill (only RAM and swap full may kill, and then "
           "the biggest process)%s\n", t->name, test_counter(VMSTAT_SWAP_OUT) == start[0] ?
           "; no page went to swap: user_frame_alloc() evicts (lab swap, task 2)" : "");
  else if(status != 0)
    ;  // the test printed its FAIL line
  else if(judge(t, &before) == 0){
    printf("swaptest: %s: ok\n", t->name);
    return 0;
  }
  return 1;
}

int
main(int argc, char *argv[])
{
  test_prog = "swaptest";
  stack_top = PGROUNDDOWN((uint64)argv) + PGSIZE;
  test_main(argc, argv, tests, NTESTS, run);
}
