// The boot memory map: which physical frames exist and which of them the
// allocator must never hand out. Built once from the device tree on the
// boot hart, read-only afterwards (so no lock).
//
// Reserved: the firmware's range below KERNLINK (OpenSBI, PMP-protected),
// the kernel image, the device tree blob, and every range of the device
// tree's memory reservation block and /reserved-memory node. The frame
// allocator adds its own metadata on top (it knows where that lies).
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "fdt.h"
#include "defs.h"

extern char end[]; // first address after the kernel image; see kernel.ld

uint64 ram_base, ram_top; // RAM is [ram_base, ram_top)

// Use the first RAM range of the device tree. Panics when the kernel image
// does not lie inside it: nothing could work then.
void
bootmem_init(void)
{
  ram_base = PGROUNDUP(bootinfo.ram[0].base);
  ram_top = PGROUNDDOWN(bootinfo.ram[0].base + bootinfo.ram[0].size);
  if(bootinfo.nram > 1)
    printf("bootmem: using only the first of %d RAM ranges\n", bootinfo.nram);
  KASSERT(KERNLINK >= ram_base && (uint64)end < ram_top,
          "kernel image [%p, %p) must lie inside RAM [%p, %p)",
          (void*)KERNLINK, (void*)end, (void*)ram_base, (void*)ram_top);
}

static int
in_range(uint64 pa, uint64 base, uint64 size)
{
  uint64 lo = PGROUNDDOWN(base), hi = PGROUNDUP(base + size);
  return pa >= lo && pa < hi;
}

// Why the frame holding pa may never be allocated, or 0 if it may.
char *
bootmem_reserved_why(uint64 pa)
{
  if(pa < ram_base || pa >= ram_top)
    return "outside RAM";
  if(pa < KERNLINK)
    return "the firmware's range";
  if(pa < (uint64)end)
    return "the kernel image";
  if(in_range(pa, bootinfo.fdt_base, bootinfo.fdt_size))
    return "the device tree";
  for(int i = 0; i < bootinfo.nreserved; i++)
    if(in_range(pa, bootinfo.reserved[i].base, bootinfo.reserved[i].size))
      return "a reserved range of the device tree";
  return 0;
}
