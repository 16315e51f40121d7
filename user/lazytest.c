// Lab lazy: tests of lazy allocation, the shared zero page and commit
// accounting, seen from user space.
//
//   lazytest          run every test
//   lazytest NAME     run one
//
// Each test runs in a forked child and prints `lazytest: NAME: ok` or
// `lazytest: NAME: FAIL why` (details on lines starting `lazytest:   `);
// `lazytest: done` comes last. The parent counts the free frames before
// it forks the child and again after it has reaped it: a test that
// leaves one frame behind fails, whatever it printed itself.
//
// A lazy heap is memory that sbrk promised and nobody has touched yet, so
// most tests start with lazy_sbrk(), which fails the test at once when
// sbrk allocates frames eagerly. The `strict` test behaves by the kernel
// option: with overcommit=never (memstat's commit_limit != 0) it checks
// that sbrk refuses what cannot be backed; without it, that the same
// request is accepted.
//
// The user stack is one page: no test keeps a large buffer on it.
// Single-threaded: the processes of a test share nothing but the kernel.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/memstat.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"
#include "user/testlib.h"

#define KiB 1024UL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define SLACK 4            // frames a count may drift by (page tables, a pipe)
#define TESTFILE "lazyfile"

static char *heap_base;             // the break when main() started

#define DETAIL(...) do { printf("lazytest:   "); printf(__VA_ARGS__); printf("\n"); } while(0)

// ---- figures ----

// The caller's heap region, from vmspace(0).
static struct vmregion
heap(void)
{
  struct vmspace vs;
  if(vmspace(0, &vs) < 0)
    FAIL("vmspace(0) returned -1");
  return vs.r[VMR_HEAP];
}

// ---- helpers ----

// Grow the heap by n bytes, in sbrk calls of at most 1 GiB (sbrk takes an
// int). Returns the first new byte, or 0 when an sbrk refused (the heap is
// then back where it was).
static char *
grow(uint64 n)
{
  char *start = sbrk(0);
  for(uint64 done = 0; done < n; ){
    uint64 step = n - done > GiB ? GiB : n - done;
    if(sbrk((int)step) == (char*)-1){
      while(done > 0){
        uint64 back = done > GiB ? GiB : done;
        sbrk(-(int)back);
        done -= back;
      }
      return 0;
    }
    done += step;
  }
  return start;
}

// Give back the heap above `start`, in steps of at most 1 GiB.
static void
shrink_to(char *start)
{
  while(sbrk(0) > start){
    uint64 n = sbrk(0) - start;
    if(sbrk(-(int)(n > GiB ? GiB : n)) == (char*)-1)
      FAIL("sbrk(-%lu) returned -1", n > GiB ? GiB : n);
  }
}

// Grow the heap by n bytes and check that sbrk allocated no frame for it.
// Returns the first new byte. Tests ask for 16 pages or more, so that an
// eager sbrk shows above the SLACK.
static char *
lazy_sbrk(uint64 n)
{
  struct memstat a, b;
  a = test_mem();
  char *p = grow(n);
  if(p == 0)
    FAIL("sbrk of %lu KiB returned -1 with the break at %p: a lazy sbrk "
         "only moves the size, up to the user limit", n / KiB, sbrk(0));
  b = test_mem();
  if(b.user > a.user + SLACK)
    FAIL("sbrk of %lu pages took %lu user frames at once: sbrk must only "
         "move the size; frames come on first touch", n / PGSIZE, b.user - a.user);
  return p;
}

// The byte a test writes at offset i of its pattern: never 0.
static char
pat(uint64 i)
{
  return (char)(1 + (i * 7) % 251);
}

// Create TESTFILE holding n bytes of pat(). Returns nothing; fails the test.
static void
make_file(int n)
{
  char buf[256];
  int fd = open(TESTFILE, O_CREATE | O_TRUNC | O_WRONLY);
  if(fd < 0)
    FAIL("cannot create %s", TESTFILE);
  for(int off = 0; off < n; off += sizeof(buf)){
    int k = n - off < sizeof(buf) ? n - off : sizeof(buf);
    for(int i = 0; i < k; i++)
      buf[i] = pat(off + i);
    if(write(fd, buf, k) != k)
      FAIL("write to %s failed", TESTFILE);
  }
  close(fd);
}

// Read from fd into buf until n bytes came or the writers are gone.
// Returns the bytes read.
static int
read_all(int fd, char *buf, int n)
{
  int got = 0, r;
  while(got < n && (r = read(fd, buf + got, n - got)) > 0)
    got += r;
  return got;
}

// Run fn in a child and return its exit status (-1 when the kernel killed
// it). A child that failed the test (status 1) fails this process too.
static int
in_child(void (*fn)(void *), void *arg)
{
  int pid = test_fork(), st;
  if(pid == 0){
    fn(arg);
    exit(0);
  }
  if(wait(&st) != pid)
    FAIL("wait did not return the child");
  if(st == 1)
    exit(1);    // the child printed the test's FAIL line
  return st;
}


// ---- the heap is lazy ----

// sbrk of 1 GiB, then a write every 16 MiB: only the touched pages get
// frames, and the rest reads as zeros.
static void
sparse(void)
{
  struct memstat a, b;
  int n = 64;
  uint64 stride = 16 * MiB;
  char *p = lazy_sbrk(GiB);

  a = test_mem();
  for(int i = 0; i < n; i++)
    p[i * stride + i] = pat(i);
  p[GiB - 1] = pat(n);
  b = test_mem();
  if(b.user - a.user < n + 1 || b.user - a.user > n + 1 + SLACK)
    FAIL("writing %d pages of a 1 GiB heap took %lu user frames: one fresh "
         "frame per page touched", n + 1, b.user - a.user);
  if(b.pagetable - a.pagetable > 2 * (n + 1) + SLACK)
    FAIL("writing %d pages took %lu page-table frames", n + 1, b.pagetable - a.pagetable);
  for(int i = 0; i < n; i++){
    if(p[i * stride + i] != pat(i))
      FAIL("the byte written at %p reads back wrong", p + i * stride + i);
    if(p[i * stride + i + 1] != 0 || p[i * stride + 8 * MiB] != 0)
      FAIL("untouched heap near %p does not read as zero", p + i * stride);
  }
  if(p[GiB - 1] != pat(n))
    FAIL("the last byte of the heap reads back wrong");
  shrink_to(p);
}

// A 256 MiB heap with a few pages written and many holes: sbrk(-256 MiB)
// frees exactly the written ones; then a partial shrink of a small heap
// with holes frees the resident pages of the released part only.
static void
shrink(void)
{
  struct memstat a, b, c;
  uint64 n = 256 * MiB;
  char *p = lazy_sbrk(n);

  a = test_mem();
  for(uint64 off = 0; off < n; off += 4 * MiB)
    p[off] = 1;
  p[n - 1] = 1;
  b = test_mem();
  if(sbrk(-(int)n) == (char*)-1)
    FAIL("sbrk(-256 MiB) returned -1");
  if(sbrk(0) != p)
    FAIL("sbrk(-256 MiB) left the break at %p, not %p", sbrk(0), p);
  c = test_mem();
  if(c.user != a.user)
    FAIL("after sbrk(-256 MiB) %lu of the %lu frames written are still held: a "
         "shrinking sbrk frees every resident page of the range and skips the holes",
         c.user - a.user, b.user - a.user);

  int k = 16;
  p = lazy_sbrk(k * PGSIZE);
  for(int i = 0; i < k; i += 2)
    p[i * PGSIZE] = pat(i);     // odd pages stay holes
  a = test_mem();
  if(sbrk(-(k / 2) * PGSIZE) == (char*)-1)
    FAIL("sbrk(-%d pages) returned -1", k / 2);
  b = test_mem();
  if(a.user - b.user != k / 4)
    FAIL("shrinking by %d pages, %d written and %d holes, freed %lu frames",
         k / 2, k / 4, k / 4, a.user - b.user);
  for(int i = 0; i < k / 2; i += 2)
    if(p[i * PGSIZE] != pat(i))
      FAIL("a page below the new break lost its contents");
  shrink_to(p);
}

// ---- system calls on untouched heap ----

// read() from a file into untouched heap, across page boundaries: the
// kernel's copyout resolves the faults like the program's own access.
static void
sys_read(void)
{
  int n = 2 * PGSIZE + 500;
  char *p = lazy_sbrk(16 * PGSIZE);
  char *buf = p + PGSIZE + 100;

  make_file(n);
  int fd = open(TESTFILE, O_RDONLY);
  if(fd < 0)
    FAIL("cannot open %s", TESTFILE);
  int r = read(fd, buf, n);
  close(fd);
  unlink(TESTFILE);
  if(r != n)
    FAIL("read() of %d bytes into untouched heap returned %d: copyout must "
         "resolve a heap fault like a user access", n, r);
  for(int i = 0; i < n; i++)
    if(buf[i] != pat(i))
      FAIL("byte %d read into untouched heap is wrong", i);
  for(char *q = p; q < buf; q++)
    if(*q != 0)
      FAIL("heap next to the read buffer is not zero");
}

// write() from untouched heap: the kernel's copyin reads zeros.
static void
sys_write(void)
{
  char buf[256];
  int n = 2 * PGSIZE;
  char *p = lazy_sbrk(16 * PGSIZE);

  int fd = open(TESTFILE, O_CREATE | O_TRUNC | O_RDWR);
  if(fd < 0)
    FAIL("cannot create %s", TESTFILE);
  int w = write(fd, p + 10, n);
  close(fd);
  if(w != n){
    unlink(TESTFILE);
    FAIL("write() of %d bytes from untouched heap returned %d: copyin must "
         "resolve a heap fault like a user access", n, w);
  }
  fd = open(TESTFILE, O_RDONLY);
  int got = 0, r;
  while((r = read(fd, buf, sizeof(buf))) > 0){
    for(int i = 0; i < r; i++)
      if(buf[i] != 0)
        FAIL("the file written from untouched heap has a non-zero byte at %d", got + i);
    got += r;
  }
  close(fd);
  unlink(TESTFILE);
  if(got != n)
    FAIL("the file written from untouched heap holds %d bytes, not %d", got, n);
}

// A writer child sends 3000 bytes through a pipe; the reader reads them
// into untouched heap across a page boundary.
static void
sys_pipe(void)
{
  int fds[2], n = 3000;
  char *p = lazy_sbrk(16 * PGSIZE);
  char *buf = p + PGSIZE - 1000;

  if(pipe(fds) < 0)
    FAIL("pipe() failed");
  if(test_fork() == 0){
    char b[100];
    close(fds[0]);
    for(int off = 0; off < n; off += sizeof(b)){
      for(int i = 0; i < sizeof(b); i++)
        b[i] = pat(off + i);
      if(write(fds[1], b, sizeof(b)) != sizeof(b))
        exit(1);
    }
    exit(0);
  }
  close(fds[1]);
  int got = read_all(fds[0], buf, n);
  close(fds[0]);
  wait(0);
  if(got != n)
    FAIL("read() from a pipe into untouched heap got %d of %d bytes", got, n);
  for(int i = 0; i < n; i++)
    if(buf[i] != pat(i))
      FAIL("byte %d read from the pipe into untouched heap is wrong", i);
  // pipe() itself writes its two descriptors into untouched heap.
  int *fdp = (int*)(p + 3 * PGSIZE - 4);  // the two descriptors straddle a page boundary
  if(pipe(fdp) < 0)
    FAIL("pipe() with its descriptors in untouched heap returned -1");
  close(fdp[0]);
  close(fdp[1]);
}

// fstat() into a struct stat that straddles two untouched pages.
static void
sys_fstat(void)
{
  int n = 1234;
  char *p = lazy_sbrk(16 * PGSIZE);
  struct stat *st = (struct stat*)(p + PGSIZE - 16);

  make_file(n);
  int fd = open(TESTFILE, O_RDONLY);
  if(fd < 0)
    FAIL("cannot open %s", TESTFILE);
  int r = fstat(fd, st);
  close(fd);
  unlink(TESTFILE);
  if(r < 0)
    FAIL("fstat() into untouched heap returned -1");
  if(st->type != T_FILE || st->size != n)
    FAIL("fstat() into untouched heap gave type %d size %lu, not a file of %d bytes",
         st->type, st->size, n);
}

// Runs `echo` with argv in a child, its output into buf (at most max-1
// bytes, then a 0). Returns the child's exit status.
static int
run_echo(char **argv, char *buf, int max)
{
  int fds[2], st;
  if(pipe(fds) < 0)
    FAIL("pipe() failed");
  if(test_fork() == 0){
    close(1);
    dup(fds[1]);
    close(fds[0]);
    close(fds[1]);
    exec("echo", argv);
    exit(7);
  }
  close(fds[1]);
  buf[read_all(fds[0], buf, max - 1)] = 0;
  close(fds[0]);
  wait(&st);
  return st;
}

// exec() whose argument strings and argv array lie in untouched heap (they
// read as empty strings and a null pointer), and a path that does.
static void
sys_exec(void)
{
  char out[32];
  char *p = lazy_sbrk(16 * PGSIZE);
  char **argv = (char**)(p + 2 * PGSIZE);   // written here: the array is touched

  argv[0] = "echo";
  argv[1] = "lazy";
  argv[2] = p + PGSIZE + 100;               // an untouched string: ""
  argv[3] = "ok";
  argv[4] = 0;
  int st = run_echo(argv, out, sizeof(out));
  if(st != 0 || strcmp(out, "lazy  ok\n") != 0)
    FAIL("exec(echo) with an argument string in untouched heap: status %d, "
         "output \"%s\", not \"lazy  ok\\n\"", st, out);
  st = run_echo((char**)(p + 3 * PGSIZE), out, sizeof(out));
  if(st != 0 || strcmp(out, "\n") != 0)
    FAIL("exec(echo) with its argv array in untouched heap (no arguments): "
         "status %d, output \"%s\"", st, out);
  if(exec(p, argv) != -1)
    FAIL("exec() of an empty path (untouched heap) did not return -1");
}

// wait() stores the exit status into untouched heap.
static void
sys_wait(void)
{
  char *p = lazy_sbrk(16 * PGSIZE);
  int *st = (int*)(p + PGSIZE + 40);

  int pid = test_fork();
  if(pid == 0)
    exit(42);
  int r = wait(st);
  if(r != pid || *st != 42)
    FAIL("wait() into untouched heap returned %d with status %d, not %d and 42",
         r, *st, pid);
}

// System calls on addresses that are not the process's memory still fail
// with -1, and kill nothing: above the break, the guard page, text (for a
// write into it), the trapframe, beyond MAXVA.
static void
bad_address(void)
{
  char *brk = sbrk(0);
  struct memstat a, b;
  struct { char *addr; char *what; } bad[] = {
    { brk + 10 * PGSIZE, "10 pages above the break" },
    { brk - 10, "the last 10 bytes below the break and 10 above" },
    { heap_base - 2 * PGSIZE, "the stack guard page" },
    { (char*)bad_address, "the program's text" },
    { (char*)TRAPFRAME, "the trapframe" },
    { (char*)MAXVA, "MAXVA" },
  };

  make_file(100);
  int fd = open(TESTFILE, O_RDONLY);
  if(fd < 0)
    FAIL("cannot open %s", TESTFILE);
  a = test_mem();
  for(int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
    int r = read(fd, bad[i].addr, 20);
    if(r != -1)
      FAIL("read() into %s (%p) returned %d, not -1", bad[i].what, bad[i].addr, r);
  }
  int r1 = write(fd, brk + PGSIZE, 10);
  int r2 = pipe((int*)(brk + PGSIZE));
  int r3 = fstat(fd, (struct stat*)(brk + PGSIZE));
  int r4 = exec("echo", (char**)(brk + PGSIZE));
  close(fd);
  unlink(TESTFILE);
  if(r1 != -1 || r2 != -1 || r3 != -1 || r4 != -1)
    FAIL("write, pipe, fstat, exec on an address above the break returned "
         "%d %d %d %d, not -1", r1, r2, r3, r4);
  b = test_mem();
  if(sbrk(0) != brk || b.user > a.user + SLACK)
    FAIL("system calls on bad addresses grew the heap or took %lu frames: only "
         "the heap below the break is lazy", b.user - a.user);
}

// ---- fork, zero page, kills ----

static void
fork_child(void *arg)
{
  struct vmregion *pr = arg, cr = heap();
  char *p = (char*)pr->start;
  int k = 64;

  // Resident or shared: a kernel with copy-on-write (lab cow) shares the
  // parent's frames instead of copying them.
  uint64 cf = cr.resident + cr.shared, pf = pr->resident + pr->shared;
  if(cf != pf || cr.zero != pr->zero || cr.pages != pr->pages)
    FAIL("the child's heap has %lu pages with a frame, %lu zero, %lu pages; the "
         "parent's %lu, %lu, %lu: fork copies resident pages, keeps zero-page "
         "mappings and holes", cf, cr.zero, cr.pages, pf, pr->zero, pr->pages);
  for(int i = 0; i < k; i++)
    if(p[i * PGSIZE + i] != (i < k / 4 ? pat(i) : 0))
      FAIL("the child reads page %d of the heap wrong", i);
  for(int i = k / 4; i < k; i++)
    p[i * PGSIZE] = 9;          // must not show in the parent
}

// A parent with written pages, zero-page mappings and holes forks: the
// child sees the same contents and the same counts by vmspace.
static void
fork_holes(void)
{
  int k = 64;
  char *p = lazy_sbrk(k * PGSIZE);
  volatile char sum = 0;

  for(int i = 0; i < k / 4; i++)
    p[i * PGSIZE + i] = pat(i);          // resident
  for(int i = k / 4; i < k / 2; i++)
    sum += p[i * PGSIZE];                // zero page
  struct vmregion r = heap();            // the rest are holes
  if(r.resident < k / 4 || r.zero < k / 4 || r.pages - r.resident - r.zero < k / 2)
    FAIL("before the fork vmspace shows %lu resident, %lu zero of %lu heap pages, "
         "not %d, %d, %d holes", r.resident, r.zero, r.pages, k / 4, k / 4, k / 2);
  int st = in_child(fork_child, &r);
  if(st != 0)
    FAIL("the child failed (status %d)", st);
  for(int i = 0; i < k; i++)
    if(p[i * PGSIZE + (i < k / 4 ? i : 0)] != (i < k / 4 ? pat(i) : 0))
      FAIL("after the child wrote its copy, the parent's page %d changed", i);
}

// Reads of untouched heap map the shared zero page (vmspace zero, vmstat
// FAULT_ZERO); writes then replace it by private frames (FAULT_FRESH).
static void
zero_page(void)
{
  int k = 16;
  struct memstat ma, mb;
  char *p = lazy_sbrk(k * PGSIZE);
  struct vmregion a = heap(), b, c;
  uint64 z0 = test_counter(VMSTAT_FAULT_ZERO), f0 = test_counter(VMSTAT_FAULT_FRESH);
  int sum = 0;

  ma = test_mem();
  for(int i = 0; i < k; i++)
    sum += p[i * PGSIZE] + p[i * PGSIZE + PGSIZE - 1];
  mb = test_mem();
  b = heap();
  if(sum != 0)
    FAIL("untouched heap does not read as zero");
  if(b.zero - a.zero != k || b.resident != a.resident)
    FAIL("after reading %d untouched pages vmspace shows %lu more zero-page and "
         "%lu more resident pages: a read maps the shared zero frame, read-only",
         k, b.zero - a.zero, b.resident - a.resident);
  if(mb.user > ma.user + SLACK)
    FAIL("reading %d untouched pages took %lu user frames", k, mb.user - ma.user);
  if(test_counter(VMSTAT_FAULT_ZERO) - z0 < k)
    FAIL("vmstat fault_zero grew by %lu for %d zero-page faults",
         test_counter(VMSTAT_FAULT_ZERO) - z0, k);
  for(int i = 0; i < k; i++)
    p[i * PGSIZE + i] = pat(i);
  c = heap();
  if(c.zero != a.zero || c.resident - a.resident != k)
    FAIL("after writing the %d pages vmspace shows %lu zero-page and %lu new "
         "resident pages: a write replaces the zero page by a private frame",
         k, c.zero - a.zero, c.resident - a.resident);
  if(test_counter(VMSTAT_FAULT_FRESH) - f0 < k)
    FAIL("vmstat fault_fresh grew by %lu for %d writes to zero pages",
         test_counter(VMSTAT_FAULT_FRESH) - f0, k);
  for(int i = 0; i < k; i++)
    if(p[i * PGSIZE + i] != pat(i) || p[i * PGSIZE + i + 1] != 0)
      FAIL("page %d reads back wrong after the write", i);
  char *q = lazy_sbrk(k * PGSIZE);
  for(int i = 0; i < PGSIZE; i++)
    if(q[i] != 0)
      FAIL("a fresh untouched page reads %d at byte %d: the zero frame was written",
           q[i], i);
}

static void
touch_all(void *arg)
{
  uint64 n = (uint64)arg;
  char *p = lazy_sbrk(n);
  for(uint64 off = 0; off < n; off += PGSIZE)
    p[off] = 1;
}

// A child promised more than RAM touches all of it: it is killed (out of
// memory), the kernel goes on, and every frame comes back.
static void
oom(void)
{
  struct memstat m;
  m = test_mem();
  uint64 o0 = test_counter(VMSTAT_FAULT_OOM);
  uint64 n = (m.total + 256) * PGSIZE;

  int st = in_child(touch_all, (void*)n);
  if(st == 0)
    FAIL("a child wrote %lu pages, more than the %lu frames of RAM, and was "
         "not killed", n / PGSIZE, m.total);
  if(st != -1)
    FAIL("the child touching more than RAM exited with %d, not -1 (killed)", st);
  if(test_counter(VMSTAT_FAULT_OOM) == o0)
    FAIL("vmstat fault_oom did not count the out-of-memory kill");
  st = in_child(touch_all, (void*)(64 * PGSIZE));
  if(st != 0)
    FAIL("after the out-of-memory kill, a child writing 64 pages failed (status %d)", st);
}

static void
poke(void *addr)
{
  *(volatile char*)addr = 1;
}

static void
peek(void *addr)
{
  (void)*(volatile char*)addr;
}

// Faults the handler must not resolve still kill: a write to the guard
// page or to text, a read above the break, of the trapframe, past MAXVA.
static void
kill_bad(void)
{
  char *brk = sbrk(0);
  struct { void (*fn)(void*); void *addr; char *what; } bad[] = {
    { poke, heap_base - 2 * PGSIZE, "a write to the stack guard page" },
    { poke, (void*)kill_bad, "a write to the program's text" },
    { peek, brk, "a read at the break" },
    { peek, brk + 100 * PGSIZE, "a read 100 pages above the break" },
    { peek, (void*)TRAPFRAME, "a read of the trapframe" },
    { poke, (void*)(MAXVA + 4096), "a write past MAXVA" },
  };
  for(int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
    int st = in_child(bad[i].fn, bad[i].addr);
    if(st != -1)
      FAIL("%s (%p) did not kill the process (status %d)", bad[i].what, bad[i].addr, st);
  }
}

// sbrk(1 GiB) again and again is refused only at the user limit, just
// below the trapframe; the top page works.
static void
limit(void)
{
  char *start = sbrk(0);
  int n = 0;

  while(n < 1024 && sbrk(GiB) != (char*)-1)
    n++;
  char *top = sbrk(0);
  if(n == 0)
    FAIL("sbrk(1 GiB) returned -1 with the break at %p: a lazy sbrk only moves "
         "the size, up to the user limit", start);
  if((uint64)top > TRAPFRAME || n >= 1024)
    FAIL("the heap reached %p, above the trapframe at %p", top, (char*)TRAPFRAME);
  if(TRAPFRAME - (uint64)top >= GiB)
    FAIL("sbrk(1 GiB) returned -1 with the break at %p, %lu MiB below the limit",
         top, (TRAPFRAME - (uint64)top) / MiB);
  if(sbrk(GiB) != (char*)-1 || sbrk(0) != top)
    FAIL("a refused sbrk moved the break");
  top[-1] = 5;
  if(top[-1] != 5)
    FAIL("the top byte of the heap does not keep a write");
  shrink_to(start);
}

// The same request under both modes: sbrk of twice the RAM. Lazy mode
// (commit_limit 0) accepts it; overcommit=never refuses it, and accepts a
// request that fits below the limit, counting it as committed.
static void
strict(void)
{
  struct memstat m, m2;
  m = test_mem();
  uint64 n = 2 * m.total * PGSIZE;
  char *start = sbrk(0);

  if(m.commit_limit == 0){
    DETAIL("lazy mode (no commit limit): sbrk of %lu MiB, twice the RAM", n / MiB);
    if(grow(n) == 0)
      FAIL("in lazy mode sbrk of %lu MiB (twice the RAM) returned -1: only a "
           "fault that finds no frame fails", n / MiB);
    shrink_to(start);
    return;
  }
  DETAIL("strict mode: commit limit %lu pages, %lu committed, %lu frames of RAM",
         m.commit_limit, m.committed, m.total);
  if(m.commit_limit >= m.total || m.committed == 0 || m.committed > m.commit_limit)
    FAIL("commit limit %lu and committed %lu pages for %lu frames: the limit "
         "must be below RAM and hold what is committed", m.commit_limit,
         m.committed, m.total);
  if(grow(n) != 0)
    FAIL("in strict mode sbrk of %lu MiB (twice the RAM) succeeded: sbrk must "
         "refuse what the commit limit cannot back", n / MiB);
  uint64 k = (m.commit_limit - m.committed) / 2;
  char *p = grow(k * PGSIZE);
  if(p == 0)
    FAIL("in strict mode sbrk of %lu pages, half the room below the commit "
         "limit, returned -1", k);
  m2 = test_mem();
  if(m2.committed != m.committed + k)
    FAIL("sbrk of %lu pages moved committed from %lu to %lu", k, m.committed, m2.committed);
  if(grow((m2.commit_limit - m2.committed + 1) * PGSIZE) != 0)
    FAIL("in strict mode an sbrk one page past the commit limit succeeded");
  for(uint64 i = 0; i < k; i++)
    p[i * PGSIZE] = 1;          // what was committed can be touched
  shrink_to(start);
  m2 = test_mem();
  if(m2.committed != m.committed)
    FAIL("after shrinking back committed is %lu, not %lu", m2.committed, m.committed);
}

static struct labtest tests[] = {
  { "sparse", sparse },
  { "shrink", shrink },
  { "read", sys_read },
  { "write", sys_write },
  { "pipe", sys_pipe },
  { "fstat", sys_fstat },
  { "exec", sys_exec },
  { "wait", sys_wait },
  { "bad-address", bad_address },
  { "fork-holes", fork_holes },
  { "zero-page", zero_page },
  { "oom", oom },
  { "kill", kill_bad },
  { "limit", limit },
  { "strict", strict },
};

// Run test t in a child and judge it, with the free frames before the
// fork and after the child is reaped. Returns 1 if it failed.
static int
run(struct labtest *t)
{
  struct memstat a = test_mem(), b;
  int st;

  if(test_run(t->name, t->fn, &st) < 0)
    return 1;
  b = test_mem();
  if(st != 0 && st != 1)
    printf("lazytest: %s: FAIL the test process exited with status %d "
           "(-1: the kernel killed it; see its message above)\n", t->name, st);
  if(b.free != a.free){
    if(st == 0)
      printf("lazytest: %s: FAIL %ld frames %s: every frame comes back when "
             "the process is gone\n", t->name, (long)(a.free - b.free),
             a.free > b.free ? "lost" : "freed twice");
    else
      DETAIL("and free frames went from %lu to %lu", a.free, b.free);
    return 1;
  }
  if(st == 0)
    printf("lazytest: %s: ok\n", t->name);
  return st != 0;
}

int
main(int argc, char *argv[])
{
  test_prog = "lazytest";
  heap_base = sbrk(0);
  test_main(argc, argv, tests, sizeof(tests) / sizeof(tests[0]), run);
}
