// memmap: a picture of physical memory, one character per group of
// frames, from the memmap() system call.
//
//   memmap           groups sized so the map fits in 32 lines
//   memmap GROUP     GROUP frames per character (1 shows every frame)
//
// Each line shows 64 groups and starts with the physical address of its
// first frame (RAM starts at KERNBASE on QEMU's virt machine). A group's
// character is the use most of its frames are put to, or E when one of
// them is being evicted (kernel/memstat.h):
//
//   0x80000000 RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR
//   0x80400000 RRRRRRRRRRKKKPPKU...............................................
//
// Free space broken by a scattering of K or U among the dots is external
// fragmentation: free frames that cannot form one large block.
// Single-threaded: no locks.
#include "kernel/types.h"
#include "kernel/memstat.h"
#include "kernel/memlayout.h"
#include "user/user.h"

#define PGSIZE 4096
#define PERLINE 64   // characters per line
#define MAXLINES 32  // the default group keeps the map this short

// Parses a positive decimal number; -1 if s is not one.
static int
number(char *s)
{
  int n = 0;

  if(*s == 0)
    return -1;
  for(; *s; s++){
    if(*s < '0' || *s > '9' || n > 100000000)
      return -1;
    n = n * 10 + (*s - '0');
  }
  return n > 0 ? n : -1;
}

// The smallest power of two of frames per character that draws `total`
// frames in at most MAXLINES lines.
static uint64
default_group(uint64 total)
{
  uint64 group = 1;

  while((total + group - 1) / group > PERLINE * MAXLINES)
    group *= 2;
  return group;
}

int
main(int argc, char *argv[])
{
  struct memstat st;
  char line[PERLINE + 1];
  uint64 group;

  if(argc > 2 || (argc == 2 && number(argv[1]) < 0)){
    fprintf(2, "usage: memmap [frames-per-character]\n");
    exit(1);
  }
  if(memstat(&st) < 0 || st.total == 0){
    fprintf(2, "memmap: memstat failed\n");
    exit(1);
  }
  group = argc == 2 ? number(argv[1]) : default_group(st.total);

  uint64 ngroups = (st.total + group - 1) / group;
  for(uint64 first = 0; first < ngroups; first += PERLINE){
    int n = memmap(line, PERLINE, first, group);
    if(n < 0){
      fprintf(2, "memmap: memmap(group %lu, from %lu) failed\n", group, first);
      exit(1);
    }
    if(n == 0)
      break;     // RAM is smaller than memstat said a moment ago
    line[n] = 0;
    printf("0x%lx %s\n", (uint64)KERNBASE + first * group * PGSIZE, line);
  }
  printf("legend: %c free, %c kernel, %c page table, %c user, %c shared, %c swap cache,"
         " %c being evicted, %c reserved, %c in use; 1 char = %lu frame%s (%lu KiB)\n",
         MEMMAP_FREE, MEMMAP_KERNEL, MEMMAP_PAGETABLE, MEMMAP_USER, MEMMAP_SHARED,
         MEMMAP_SWAPCACHE, MEMMAP_EVICTING, MEMMAP_RESERVED, MEMMAP_USED, group,
         group == 1 ? "" : "s", group * PGSIZE / 1024);
  exit(0);
}
