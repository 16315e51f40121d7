// free: reports the use of physical memory from the memstat() system call:
// frames in total, free, reserved and in use (by kind when the allocator
// can tell), each in pages and KiB, and what the allocator's per-frame
// metadata costs, then the pages committed to user address spaces and the
// commit limit (kernel option overcommit=never), then the swap disk's
// slots in total and in use (0 and 0 without a swap disk). Integer
// arithmetic only.
// Single-threaded: no locks.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

// Prints one line: a label, a frame count and the same amount in KiB.
static void
line(const char *label, uint64 frames, uint64 page_size)
{
  printf("%-11s %8lu pages %10lu KiB\n", label, frames,
         frames * page_size / 1024);
}

// Prints the metadata line: bits (or whole bytes) per frame and their share of RAM as a
// percentage with three decimals, rounded to nearest. Example: 1 bit per
// 4096-byte frame is 1 / 32768 = 0.00305 % of RAM, printed as 0.003%;
// 256 bits (a 32-byte record) is 256 / 32768 = 0.781%.
static void
metadata(uint64 bits, uint64 page_size)
{
  uint64 frame_bits = page_size * 8;
  // The share in thousandths of a percent: bits / frame_bits * 100 * 1000.
  uint64 milli = (bits * 100000 + frame_bits / 2) / frame_bits;

  if(bits >= 8 && bits % 8 == 0)
    printf("metadata: %lu bytes per frame (%lu.%03lu%% of RAM)\n",
           bits / 8, milli / 1000, milli % 1000);
  else
    printf("metadata: %lu bit%s per frame (%lu.%03lu%% of RAM)\n",
           bits, bits == 1 ? "" : "s", milli / 1000, milli % 1000);
}

int
main(void)
{
  struct memstat st;
  uint64 ps, used;

  if(memstat(&st) < 0){
    fprintf(2, "free: memstat failed\n");
    exit(1);
  }
  ps = st.page_size != 0 ? st.page_size : 4096;
  used = st.total - st.free - st.reserved;
  if(st.free + st.reserved > st.total)
    used = 0;   // counts taken while memory was changing hands

  line("total:", st.total, ps);
  line("free:", st.free, ps);
  line("reserved:", st.reserved, ps);
  line("used:", used, ps);
  if(st.by_use){
    line("kernel:", st.kernel, ps);
    line("page-table:", st.pagetable, ps);
    line("user:", st.user, ps);
  }
  metadata(st.meta_bits, ps);
  line("shared:", st.shared, ps);       // user frames mapped by several processes (copy-on-write)
  // Commit accounting: pages promised to user address spaces, and the most
  // the kernel may promise (0: no limit, lazy overcommit).
  line("committed:", st.committed, ps);
  if(st.commit_limit)
    line("commit-limit:", st.commit_limit, ps);
  else
    printf("commit-limit: none (lazy overcommit)\n");
  static char *modes[] = {
    [OVERCOMMIT_GUESS] "heuristic (mode 0): one request may not exceed RAM + swap",
    [OVERCOMMIT_ALWAYS] "always (mode 1): every request is granted",
    [OVERCOMMIT_NEVER] "never (mode 2): every promise must fit the commit limit",
  };
  printf("overcommit: %s\n", st.overcommit < 3 ? modes[st.overcommit] : "unknown");
  // Swap: page-sized slots on the swap disk, and those holding a page.
  line("swap-total:", st.swap_slots, ps);
  line("swap-used:", st.swap_used, ps);
  exit(0);
}
