// Lab cow: tests of copy-on-write fork seen from user space.
//
//   cowtest            run every test
//   cowtest NAME       run one
//
// Prints `cowtest: NAME: ok` or `cowtest: NAME: FAIL why` per test and
// `cowtest: done` at the end; graders match these lines. Each test runs in
// a child of its own; the runner counts the free frames (memstat) before
// the fork and again after it has reaped the child, and fails the test
// when they differ: every frame a test takes, its children's included,
// must come back.
//
// What only copy-on-write can pass: a fork of a process that holds more
// than half of the free frames (a copying fork has no room for the copy),
// the reuse counter, the shared counts of memstat() and vmspace(). What a
// copying fork passes too, and a careless copy-on-write does not: each
// process sees only its own writes, also when the kernel writes for it
// (read, pipe, wait, fstat), and text is never writable.
//
// Counting page faults: vmstat() counts events of the whole machine, and a
// forked process takes a COW fault on its first write to any shared page,
// stack and globals included. So a test writes to the stack variables it
// uses before it reads the counters it compares (see own_stack()).
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/testlib.h"

#define PGSIZE 4096
#define BIG_PERCENT 60     // "more than half of free memory"
#define BIG_FORKS 10       // fork-half-memory: forks of the big process
#define THREE_DIV 5        // three-writers: each of 3 processes holds free/5 pages
#define REUSE_PAGES 64
#define RACE_PAGES 32
#define RACE_ROUNDS 40
#define SHARED_PAGES 64
#define TMPFILE "cowtest.tmp"

// ---- helpers ----

// The COW faults resolved so far: copies plus reuses.
static uint64
cow_events(void)
{
  return test_counter(VMSTAT_COW_COPY) + test_counter(VMSTAT_COW_REUSE);
}

static struct vmspace
space(int pid)
{
  struct vmspace vs;

  memset(&vs, 0, sizeof(vs));
  if(vmspace(pid, &vs) < 0)
    FAIL("vmspace(%d) failed", pid);
  return vs;
}

// Write to this process's stack (one page, USERSTACK), so that later
// counts do not include the COW fault of its first write after a fork.
static void
own_stack(void)
{
  volatile char here = 1;

  here++;
}

// The value word `w` of page `i` holds when process `tag` wrote it.
static uint64
stamp(int tag, int i, int w)
{
  return ((uint64)tag << 40) | ((uint64)i << 8) | w;
}

// Words of a page that stamping writes: the first, a middle and the last.
static const int words[] = { 0, PGSIZE / 16, PGSIZE / 8 - 1 };
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void
write_pages(char *base, int npages, int tag)
{
  for(int i = 0; i < npages; i++)
    for(int k = 0; k < NWORDS; k++)
      ((volatile uint64 *)(base + (uint64)i * PGSIZE))[words[k]] = stamp(tag, i, k);
}

// The first page of base[0..npages) that does not hold tag's stamps, or -1.
static int
check_pages(char *base, int npages, int tag)
{
  for(int i = 0; i < npages; i++)
    for(int k = 0; k < NWORDS; k++)
      if(((volatile uint64 *)(base + (uint64)i * PGSIZE))[words[k]] != stamp(tag, i, k))
        return i;
  return -1;
}

// Grow the heap by npages and stamp every page with tag (so each is
// backed by a frame of its own). Returns the first page.
static char *
grow(int npages, int tag)
{
  char *p = sbrk(npages * PGSIZE);

  if(p == (char *)-1)
    FAIL("sbrk(%d pages) failed", npages);
  write_pages(p, npages, tag);
  return p;
}

// Pages that are BIG_PERCENT of the free frames now.
static int
big_pages(void)
{
  return test_mem().free * BIG_PERCENT / 100;
}

static int
fork_or_fail(int npages)
{
  int pid = fork();

  if(pid < 0)
    FAIL("fork() of a process holding %d pages failed with %lu frames free: fork "
         "must share the parent's frames, not copy them", npages, test_mem().free);
  return pid;
}

// ---- the tests ----

// A process holding more than half of the free frames forks, again and
// again; each child reads and writes a little and exits.
static void
fork_half_memory(void)
{
  int n = big_pages();
  char *p = grow(n, 1);

  for(int round = 0; round < BIG_FORKS; round++){
    int pid = fork_or_fail(n);
    if(pid == 0){
      int bad = check_pages(p, n, 1);
      if(bad >= 0)
        FAIL("the child of fork %d reads a wrong value in page %d", round, bad);
      write_pages(p + (uint64)(round % n) * PGSIZE, 1, 2);
      exit(check_pages(p + (uint64)(round % n) * PGSIZE, 1, 2) < 0 ? 0 : 1);
    }
    int status = test_wait();
    if(status != 0)
      FAIL("the child of fork %d (of %d) exited with %d", round, BIG_FORKS, status);
  }
  int bad = check_pages(p, n, 1);
  if(bad >= 0)
    FAIL("after its children wrote, the parent reads their value in page %d: "
         "a write must go to a copy of the writer's own", bad);
}

// Three processes write their own stamps into the same pages at about
// the same time; each must read back only its own.
static void
three_writers(void)
{
  int n = test_mem().free / THREE_DIV;
  char *p = grow(n, 1);

  int pid1 = fork_or_fail(n);
  if(pid1 == 0){
    int pid2 = fork_or_fail(n);
    int tag = pid2 == 0 ? 3 : 2;
    write_pages(p, n, tag);
    sleep(1);  // the others write meanwhile
    int bad = check_pages(p, n, tag);
    if(bad >= 0)
      FAIL("process %d of 3 reads another's value in page %d after writing it", tag, bad);
    if(pid2 == 0)
      exit(0);
    exit(test_wait());
  }
  write_pages(p, n, 4);
  sleep(1);
  int status = test_wait();
  if(status != 0)
    FAIL("a child exited with %d", status);
  int bad = check_pages(p, n, 4);
  if(bad >= 0)
    FAIL("the parent reads a child's value in page %d: each writer needs its own copy", bad);
}

// The kernel writes into COW pages for a process (copyout): a pipe read
// in the child and in the parent into the same shared buffer, across a
// page boundary. Neither may see the other's bytes.
static void
pipe_read(void)
{
  char *p = grow(3, 1);
  char *at = p + PGSIZE - 16;   // 32 bytes over the boundary of pages 0 and 1
  char mine[32], theirs[32];
  int down[2], up[2];

  if(pipe(down) < 0 || pipe(up) < 0)
    FAIL("pipe() failed");
  int pid = fork_or_fail(3);
  int child = pid == 0;
  close(child ? down[1] : up[1]);   // each end has one owner: no reader waits forever
  close(child ? up[0] : down[0]);
  memset(mine, child ? 'c' : 'p', sizeof(mine));
  if(write(child ? up[1] : down[1], mine, sizeof(mine)) != sizeof(mine))
    FAIL("write to a pipe failed");
  if(read(child ? down[0] : up[0], at, sizeof(mine)) != sizeof(mine))
    FAIL("read from a pipe failed");
  memset(theirs, child ? 'p' : 'c', sizeof(theirs));
  if(memcmp(at, theirs, sizeof(theirs)) != 0)
    FAIL("the %s reads wrong bytes from its pipe", child ? "child" : "parent");
  if(child){
    sleep(1);   // the parent's read lands in its own copy meanwhile
    if(memcmp(at, theirs, sizeof(theirs)) != 0)
      FAIL("the child's buffer changed when the parent read into its own: "
           "copyout must copy a shared page before it writes");
    exit(0);
  }
  int status = test_wait();
  if(status != 0)
    FAIL("the child exited with %d", status);
  if(memcmp(at, theirs, sizeof(theirs)) != 0)
    FAIL("the parent's buffer changed when the child read into its own: "
         "copyout must copy a shared page before it writes");
  if(((uint64 *)(p + 2 * PGSIZE))[0] != stamp(1, 2, 0) || ((uint64 *)p)[0] != stamp(1, 0, 0))
    FAIL("a pipe read changed bytes outside the buffer it read into");
}

// A file read in the child into a COW page; the parent's page keeps its
// bytes, and the parent's own read after that gets the file.
static void
file_read(void)
{
  char *p = grow(2, 1);
  char text[64], *at = p + PGSIZE - 20;

  memset(text, 'f', sizeof(text));
  int fd = open(TMPFILE, O_CREATE | O_RDWR);
  if(fd < 0 || write(fd, text, sizeof(text)) != sizeof(text))
    FAIL("cannot write %s", TMPFILE);
  close(fd);
  int pid = fork_or_fail(2);
  if(pid == 0){
    if((fd = open(TMPFILE, O_RDONLY)) < 0 || read(fd, at, sizeof(text)) != sizeof(text))
      FAIL("the child cannot read %s", TMPFILE);
    exit(memcmp(at, text, sizeof(text)) == 0 ? 0 : 1);
  }
  int status = test_wait();
  unlink(TMPFILE);
  if(status != 0)
    FAIL("the child read wrong bytes from the file (status %d)", status);
  if(((uint64 *)(p + PGSIZE))[0] != stamp(1, 1, 0) || at[0] == 'f')
    FAIL("the child's file read changed the parent's page: read() writes "
         "through copyout, which must copy a shared page first");
}

// A process holding more than half of the free frames forks, and the
// child runs another program: only possible when fork copies nothing.
static void
fork_exec(void)
{
  int n = big_pages();
  char *p = grow(n, 1);
  char out[32];
  int fds[2];

  if(pipe(fds) < 0)
    FAIL("pipe() failed");
  int pid = fork_or_fail(n);
  if(pid == 0){
    close(1);
    dup(fds[1]);
    char *argv[] = { "echo", "cow-exec-ok", 0 };
    exec("echo", argv);
    FAIL("exec echo failed");
  }
  close(fds[1]);
  memset(out, 0, sizeof(out));
  int got = 0, r;
  while(got < sizeof(out) - 1 && (r = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
    got += r;
  close(fds[0]);
  int status = test_wait();
  if(status != 0 || strcmp(out, "cow-exec-ok\n") != 0)
    FAIL("the exec'd child printed \"%s\" and exited with %d", out, status);
  if(check_pages(p, n, 1) >= 0)
    FAIL("the parent's memory changed when its child exec'd");
}

// After the only other holder of its frames has exited, a process's write
// takes each frame back: a reuse each, and no new frame.
static void
reuse_after_exit(void)
{
  char *p = grow(REUSE_PAGES, 1);

  if(fork_or_fail(REUSE_PAGES) == 0)
    exit(0);
  if(test_wait() != 0)
    FAIL("the child exited with an error");
  own_stack();
  uint64 copies = test_counter(VMSTAT_COW_COPY), reuses = test_counter(VMSTAT_COW_REUSE);
  uint64 free = test_mem().free;
  write_pages(p, REUSE_PAGES, 2);
  uint64 dcopy = test_counter(VMSTAT_COW_COPY) - copies;
  uint64 dreuse = test_counter(VMSTAT_COW_REUSE) - reuses;
  uint64 took = free - test_mem().free;
  if(dreuse != REUSE_PAGES || dcopy != 0 || took != 0)
    FAIL("writing %d pages whose child had exited made %lu reuses and %lu copies and "
         "took %lu frames; expected %d reuses, 0 copies, 0 frames: a frame with one "
         "reference left is made writable again, not copied",
         REUSE_PAGES, dreuse, dcopy, took, REUSE_PAGES);
  if(check_pages(p, REUSE_PAGES, 2) >= 0)
    FAIL("the pages taken back do not hold what was written");
}

// One round of the race: two children and the parent write the same
// shared pages at the same moment.
static void
race_round(char *p, int round, int go, int go_w)
{
  int pids[2];

  for(int c = 0; c < 2; c++){
    pids[c] = fork_or_fail(RACE_PAGES);
    if(pids[c] == 0){
      char b;
      int tag = 100 + 2 * round + c;
      close(go_w);  // so that a parent gone early means end of file here
      if(read(go, &b, 1) != 1)
        exit(2);
      write_pages(p, RACE_PAGES, tag);
      exit(check_pages(p, RACE_PAGES, tag) < 0 ? 0 : 1);
    }
  }
}

// Two children on two harts (and the parent on a third) write the same
// shared pages at the same time, round after round. Each must end with
// its own values; every write fault is resolved once, as a copy or a
// reuse; no frame stays shared or leaks.
static void
race(void)
{
  char *p = grow(RACE_PAGES, 1);
  int go[2];

  if(pipe(go) < 0)
    FAIL("pipe() failed");
  own_stack();
  uint64 shared = test_mem().shared, events = cow_events(), bad = test_counter(VMSTAT_FAULT_BAD);
  for(int round = 0; round < RACE_ROUNDS; round++){
    race_round(p, round, go[0], go[1]);
    if(write(go[1], "gg", 2) != 2)
      FAIL("write to a pipe failed");
    write_pages(p, RACE_PAGES, 2 + round);
    if(check_pages(p, RACE_PAGES, 2 + round) >= 0)
      FAIL("round %d: the parent reads a child's value", round);
    for(int c = 0; c < 2; c++){
      int status = test_wait();
      if(status != 0)
        FAIL("round %d: a child read another's values or failed (status %d)", round, status);
    }
  }
  uint64 n = cow_events() - events, want = 3 * RACE_PAGES * RACE_ROUNDS;
  // Beyond the shared pages, stack pages fault too, up to 4 a round: each
  // child's, and the parent's after each of its two forks.
  if(n < want || n > want + 4 * RACE_ROUNDS)
    FAIL("%lu COW copies + reuses over %d rounds of 3 writers x %d pages; expected "
         "%lu (+ at most %d stack faults): each first write to a shared page is "
         "resolved exactly once", n, RACE_ROUNDS, RACE_PAGES, want, 4 * RACE_ROUNDS);
  if(test_counter(VMSTAT_FAULT_BAD) != bad)
    FAIL("%lu faults were refused during the race", test_counter(VMSTAT_FAULT_BAD) - bad);
  if(test_mem().shared != shared)
    FAIL("%lu frames shared before the race, %lu after: a reference count went wrong",
         shared, test_mem().shared);
}

// The child of a process holding more than half of the free frames writes
// all of them: the copies run out, and the child is killed (status -1)
// with nothing leaked; the parent and the kernel go on.
static void
oom_copy(void)
{
  int n = big_pages();
  char *p = grow(n, 1);
  uint64 ooms = test_counter(VMSTAT_FAULT_OOM), free = test_mem().free;

  if(fork_or_fail(n) == 0){
    write_pages(p, n, 2);
    exit(0);
  }
  int status = test_wait();
  if(status != KILLED)
    FAIL("the child wrote all %d shared pages with %lu frames free and exited with %d; "
         "expected it killed (-1) when no frame is left for a copy", n, free, status);
  if(test_counter(VMSTAT_FAULT_OOM) == ooms)
    FAIL("vmstat counted no out-of-memory fault");
  if(test_mem().free != free)
    FAIL("%lu frames free before the fork, %lu after the killed child was reaped: "
         "its copies (or the one it was making) leaked", free, test_mem().free);
  if(check_pages(p, n, 1) >= 0)
    FAIL("the parent's memory changed when its child ran out of memory");
  if(fork_or_fail(n) == 0){
    write_pages(p, 1, 3);
    exit(check_pages(p, 1, 3) < 0 ? 0 : 1);
  }
  if(test_wait() != 0)
    FAIL("after the out-of-memory kill, a new child could not write a page");
}

// wait() and fstat() write into COW pages: the parent's status and stat
// land in its own copy while a child holds the page, and the child's in
// its own, and each keeps what the other's kernel writes did not touch.
static void
wait_fstat(void)
{
  char *p = grow(1, 1);
  int *status = (int *)(p + 64);
  struct stat *st = (struct stat *)(p + 128);
  int sync[2];

  *status = 12345;
  memset(st, 0xab, sizeof(*st));
  if(pipe(sync) < 0)
    FAIL("pipe() failed");
  int pid = fork_or_fail(1);
  if(pid == 0){
    char b;
    close(sync[1]);  // so that a parent gone early means end of file here
    if(read(sync[0], &b, 1) != 1)
      exit(2);
    if(*status != 12345 || ((uchar *)st)[0] != 0xab)
      exit(3);   // the parent's wait or fstat wrote into the child's page
    if(fork_or_fail(1) == 0)
      exit(9);
    int fd = open("cowtest", O_RDONLY);
    if(wait(status) < 0 || *status != 9 || fd < 0 || fstat(fd, st) < 0 || st->type != T_FILE)
      exit(4);
    exit(0);
  }
  if(fork_or_fail(1) == 0)
    exit(7);
  int other = wait(status);   // the first child is blocked: this is the exit(7)
  if(other < 0 || other == pid || *status != 7)
    FAIL("wait() into a shared page returned %d with status %d; expected status 7", other, *status);
  int fd = open(".", O_RDONLY);
  if(fd < 0 || fstat(fd, st) < 0 || st->type != T_DIR)
    FAIL("fstat() into a shared page failed");
  close(fd);
  if(write(sync[1], "g", 1) != 1)
    FAIL("write to a pipe failed");
  int s = test_wait();
  if(s == 3)
    FAIL("the parent's wait()/fstat() changed the child's copy of the page: copyout must "
         "copy a shared page before it writes");
  if(s != 0)
    FAIL("the child's wait()/fstat() into a shared page failed (status %d)", s);
  if(*status != 7 || st->type != T_DIR)
    FAIL("the child's wait()/fstat() changed the parent's page");
}

// memstat() and vmspace() count frames mapped more than once: after a
// fork the heap is shared, after the child's writes it is not, and after
// the child's exit everything is as before.
static void
shared_counts(void)
{
  char *p = grow(SHARED_PAGES, 1);
  int down[2], up[2];
  char b;

  if(pipe(down) < 0 || pipe(up) < 0)
    FAIL("pipe() failed");
  own_stack();
  uint64 before = test_mem().shared;
  int pid = fork_or_fail(SHARED_PAGES);
  if(pid == 0){
    close(down[1]);  // so that a parent gone early means end of file here
    for(;;){
      if(read(down[0], &b, 1) != 1 || b == 'x')
        exit(0);
      write_pages(p, SHARED_PAGES, 2);
      write(up[1], "w", 1);
    }
  }
  uint64 s = test_mem().shared;
  if(s < before + SHARED_PAGES)
    FAIL("memstat shared %lu after forking %d written heap pages, %lu before: each "
         "frame parent and child both map counts as shared", s, SHARED_PAGES, before);
  struct vmspace me = space(0), it = space(pid);
  if(me.r[VMR_HEAP].shared < SHARED_PAGES || it.r[VMR_HEAP].shared < SHARED_PAGES)
    FAIL("vmspace heap shared: parent %lu, child %lu pages after fork; expected at "
         "least %d each", me.r[VMR_HEAP].shared, it.r[VMR_HEAP].shared, SHARED_PAGES);
  if(write(down[1], "w", 1) != 1 || read(up[0], &b, 1) != 1)
    FAIL("the child did not answer");
  s = test_mem().shared;
  me = space(0);
  it = space(pid);
  if(s > before + 2 || me.r[VMR_HEAP].shared != 0 || it.r[VMR_HEAP].shared != 0)
    FAIL("after the child wrote every heap page: memstat shared %lu (%lu before the "
         "fork), vmspace heap shared parent %lu, child %lu; expected none shared: a "
         "copy drops the original's count (fault_cow: kput() the frame the PTE mapped "
         "once the copy is installed)", s, before, me.r[VMR_HEAP].shared,
         it.r[VMR_HEAP].shared);
  write(down[1], "x", 1);
  if(test_wait() != 0)
    FAIL("the child exited with an error");
  if(test_mem().shared != before)
    FAIL("memstat shared %lu after the child exited, %lu before the fork",
         test_mem().shared, before);
}

// Text is mapped read-only, so fork shares it as it is: never copied,
// never copy-on-write.
static void
text_shared(void)
{
  struct vmspace me = space(0);
  struct vmregion *t = &me.r[VMR_TEXT];
  int sync[2];
  char b;

  // The runner that forked this test holds the same text frames.
  if(t->pages == 0 || t->shared != t->pages)
    FAIL("vmspace text: %lu pages, %lu shared, %lu private after a fork; expected all "
         "shared: fork maps the parent's text frames into the child", t->pages,
         t->shared, t->resident);
  if(pipe(sync) < 0)
    FAIL("pipe() failed");
  int pid = fork_or_fail(0);
  if(pid == 0){
    close(sync[1]);  // so that a parent gone early means end of file here
    read(sync[0], &b, 1);
    exit(0);
  }
  struct vmspace it = space(pid);
  write(sync[1], "x", 1);
  test_wait();
  if(it.r[VMR_TEXT].shared != t->pages)
    FAIL("the child's text: %lu of %lu pages shared", it.r[VMR_TEXT].shared, t->pages);
}

// A write to text kills the writer (status -1) after a fork as before,
// and the parent's text is unchanged.
static void
text_write_kills(void)
{
  volatile char *code = (volatile char *)(uint64)text_write_kills;
  char first = code[0];

  if(fork_or_fail(0) == 0){
    code[0] = first + 1;
    exit(0);
  }
  int status = test_wait();
  if(status != KILLED)
    FAIL("a child that wrote to its text exited with %d; expected it killed (-1): text "
         "is never writable, not even copy-on-write", status);
  if(code[0] != first)
    FAIL("the child's write to text changed the parent's text");
}

// ---- the runner ----

static struct labtest tests[] = {
  { "fork-half-memory", fork_half_memory },
  { "three-writers", three_writers },
  { "pipe-read", pipe_read },
  { "file-read", file_read },
  { "fork-exec", fork_exec },
  { "reuse-after-exit", reuse_after_exit },
  { "race", race },
  { "oom-copy", oom_copy },
  { "wait-fstat", wait_fstat },
  { "shared-counts", shared_counts },
  { "text-shared", text_shared },
  { "text-write-kills", text_write_kills },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

// Run test t in a child of its own; then check that every frame came back.
// Returns 1 if it failed.
static int
run(struct labtest *t)
{
  struct memstat before = test_mem(), after;
  int status;

  if(test_run(t->name, t->fn, &status) < 0)
    return 1;
  after = test_mem();
  if(status == KILLED)
    printf("cowtest: %s: FAIL the test process was killed\n", t->name);
  else if(status != 0)
    ;  // the test printed its FAIL line
  else if(after.free != before.free)
    printf("cowtest: %s: FAIL %lu frames free before the test, %lu after its processes "
           "were reaped: every frame must come back on its last reference (each "
           "page_ref_inc() of fork_page or fault_cow has its kput())\n",
           t->name, before.free, after.free);
  else {
    printf("cowtest: %s: ok\n", t->name);
    return 0;
  }
  return 1;
}

int
main(int argc, char *argv[])
{
  test_prog = "cowtest";
  test_main(argc, argv, tests, NTESTS, run);
}
