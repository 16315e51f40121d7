// Boot. OpenSBI starts one hart (chosen by lottery, any hart id) at
// _entry, which calls main(). It reads the device tree, brings up the
// memory system, devices and the first process, then starts the other
// harts with SBI HSM; each of them runs secondary_main(). All harts end in
// the scheduler.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "proc.h"
#include "fdt.h"
#include "defs.h"

// The device tree is tiny (a few KiB); refuse a header claiming more.
#define FDT_MAX_SIZE (1024 * 1024)

struct bootinfo bootinfo;
uint64 boot_hartid;
volatile int kernel_started = 0;

extern char _secondary_entry[];

// Is `opt` one of the space-separated words of /chosen/bootargs?
int
bootarg_has(const char *opt)
{
  int n = strlen(opt);
  char *s = bootinfo.bootargs;

  while(*s){
    while(*s == ' ')
      s++;
    int len = 0;
    while(s[len] && s[len] != ' ')
      len++;
    if(len == n && strncmp(s, opt, n) == 0)
      return 1;
    s += len;
  }
  return 0;
}

// Start every hart the device tree lists, except this one.
static void
start_other_harts(uint64 self)
{
  for(uint64 id = 0; id < NCPU; id++){
    if(id == self || !(bootinfo.hart_mask & (1UL << id)))
      continue;
    int err = sbi_hart_start(id, (uint64)_secondary_entry, 0);
    // SBI_ERR_ALREADY_AVAILABLE (-6): the hart came in through _entry.
    if(err && err != -6)
      printf("hart %d: SBI hart_start failed (%d)\n", (int)id, err);
  }
}

static void
print_boot_banner(uint64 hartid)
{
  printf("\n%s kernel booting on hart %d\n", "xv6-mm", (int)hartid);
  printf("RAM %p-%p (%d MiB), harts mask %x, timebase %d Hz\n",
         (void*)ram_base, (void*)ram_top, (int)((ram_top - ram_base) >> 20),
         (uint)bootinfo.hart_mask, (int)bootinfo.timebase_freq);
  if(bootinfo.bootargs[0])
    printf("bootargs: %s\n", bootinfo.bootargs);
}

// What the first process runs before it becomes /init, once it can sleep
// (the file system and swap need disk I/O): the tests and benchmarks of
// the memory system that kernel options ask for, in this order. The one
// place they start from; forkret() calls boot_tasks().
static const struct {
  const char *option;   // the kernel option that asks for it
  void (*run)(void);
} boot_task[] = {
  { "selftest", selftest_run },   // mm/selftest.c: allocator self-tests
  { "bench", bench_frames },      // mm/bench.c: allocator benchmarks
};

void
boot_tasks(void)
{
  for(int i = 0; i < sizeof(boot_task) / sizeof(boot_task[0]); i++)
    if(bootarg_has(boot_task[i].option))
      boot_task[i].run();
}

void
main(uint64 hartid, uint64 dtb)
{
  boot_hartid = hartid;
  consoleinit();
  printfinit();
  if(fdt_parse((void*)dtb, FDT_MAX_SIZE, &bootinfo) < 0)
    panic("main: no valid device tree at %p", (void*)dtb);
  if(bootinfo.nram == 0)
    panic("main: device tree lists no memory");
  if(bootinfo.timebase_freq == 0)
    bootinfo.timebase_freq = 10000000; // QEMU virt's, if the tree omits it
  bootinfo.hart_mask |= 1UL << hartid;
  lockdep_init();    // lock-order checking, if the kernel option asks

  bootmem_init();    // RAM and reserved ranges
  print_boot_banner(hartid);
  kinit();          // physical frame allocator
  fault_init();     // the shared zero frame
  reclaim_init();   // the LRU list (lab swap)
  kvminit();        // kernel page table
  kvminithart();    // turn on paging
  procinit();       // process table
  trapinit();
  trapinithart();   // install the kernel trap vector, start the timer
  plicinit();
  plicinithart();
  binit();          // buffer cache
  iinit();          // inode table
  fileinit();       // file table
  virtio_disk_init();
  userinit();       // first process: execs /init once scheduled

  __sync_synchronize();
  kernel_started = 1;
  mycpu()->started = 1;
  start_other_harts(hartid);
  scheduler();
}

void
secondary_main(uint64 hartid)
{
  while(kernel_started == 0)
    ;
  __sync_synchronize();
  kvminithart();
  trapinithart();
  plicinithart();
  mycpu()->started = 1;
  scheduler();
}
