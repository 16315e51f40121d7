// buddyinfo: the free blocks of the buddy allocator per order, in the
// spirit of Linux's /proc/buddyinfo. Column k counts free blocks of 2^k
// frames (4 KiB << k); a last line adds them up:
//
//   order:      0     1     2     3     4     5     6     7     8     9    10
//   free:       1     0     1     1     0     1     0     1     1     0    27
//   free frames: 28077 (112308 KiB), largest free block: order 10 (4096 KiB)
//
// Many small blocks and few large ones mean free memory is fragmented:
// the frames are there, but not side by side. A last check compares the
// frames the lists hold with the free count of memstat() (what `free`
// prints): they must agree. Single-threaded: no locks.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "user/user.h"

#define PGSIZE 4096

int
main(void)
{
  struct buddyinfo bi;
  struct memstat st;
  uint64 frames = 0;
  int largest = -1;

  if(buddyinfo(&bi) < 0){
    printf("buddyinfo: this allocator has no orders\n");
    exit(1);
  }
  if(bi.norder > BUDDY_NORDER)   // a kernel newer than this program
    bi.norder = BUDDY_NORDER;

  printf("order:");
  for(int k = 0; k < bi.norder; k++)
    printf(" %5d", k);
  printf("\nfree: ");
  for(int k = 0; k < bi.norder; k++){
    printf(" %5lu", bi.nfree[k]);
    frames += bi.nfree[k] << k;
    if(bi.nfree[k] > 0)
      largest = k;
  }
  printf("\nfree frames: %lu (%lu KiB), ", frames, frames * PGSIZE / 1024);
  if(largest < 0)
    printf("largest free block: none\n");
  else
    printf("largest free block: order %d (%lu KiB)\n", largest,
           ((uint64)PGSIZE << largest) / 1024);
  // Nothing allocates between the two calls (this process is not
  // growing), so the free lists and the allocator's counter must agree.
  if(memstat(&st) == 0 && st.free != frames){
    printf("buddyinfo: the free lists hold %lu frames but memstat counts %lu free\n",
           frames, st.free);
    exit(1);
  }
  exit(0);
}
