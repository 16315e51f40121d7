// A small reader of the flattened device tree (FDT) that OpenSBI passes in
// a1. It extracts what the kernel needs at boot and nothing else. The reader
// is pure logic (no kernel calls), so it also builds on the host and is unit
// tested there on blobs made by dtc.
#ifndef KERNEL_FDT_H
#define KERNEL_FDT_H
#include "types.h"

#define FDT_MAX_RANGES 16
#define FDT_BOOTARGS_MAX 128

struct memrange {
  uint64 base;
  uint64 size;
};

struct bootinfo {
  struct memrange ram[FDT_MAX_RANGES];      // /memory@... reg entries
  int nram;
  struct memrange reserved[FDT_MAX_RANGES]; // memory reservation block + /reserved-memory children
  int nreserved;
  uint64 fdt_base, fdt_size;                // the blob itself (totalsize)
  uint64 timebase_freq;                     // /cpus timebase-frequency, 0 if absent
  uint64 hart_mask;                         // bit i set: /cpus/cpu@i present (ids < 64)
  char bootargs[FDT_BOOTARGS_MAX];          // /chosen/bootargs, "" if absent
};

// Parse the blob at `blob`. Returns 0 on success, or a negative value when
// the header is bad (wrong magic, version, or offsets outside totalsize);
// `maxsize` bounds how many bytes may be read.
int fdt_parse(const void *blob, uint64 maxsize, struct bootinfo *info);

// The kernel's copy, filled by main() on the boot hart.
extern struct bootinfo bootinfo;
#endif
