// The platform-level interrupt controller (PLIC): routes device interrupts
// (the UART and the virtio disks) to the harts' supervisor mode.
//
// Each source has a priority; each hart context has an enable bit per
// source and a threshold, and gets a source only if its priority exceeds the
// threshold. A hart claims the pending source it will service and marks it
// complete afterwards; until then the PLIC does not raise that source again.
//
// Locks: none. plicinit runs once on the boot hart; every other register
// touched here belongs to one hart's own context, indexed by cpuid() (the
// hart id: harts start in any order, so no counter is used).
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

#define Reg32(addr) (*(volatile uint32 *)(addr))

// Give every source we use priority 1, so a threshold of 0 lets it through
// (priority 0 means "never interrupt"). Lock rule: boot hart only.
void
plicinit(void)
{
  Reg32(PLIC_PRIORITY + UART0_IRQ * 4) = 1;
  for(int slot = 0; slot < NVDISK; slot++)
    Reg32(PLIC_PRIORITY + VIRTIO_IRQ(slot) * 4) = 1;
}

// Enable the UART and all virtio sources for this hart's S-mode context and
// accept any priority. All these sources lie below 32, in the first word of
// the enable bitmap. Lock rule: none; touches only this hart's context.
void
plicinithart(void)
{
  int hart = cpuid();
  uint32 enable = 1U << UART0_IRQ;

  KASSERT(UART0_IRQ < 32 && VIRTIO_IRQ(NVDISK - 1) < 32,
          "plic sources must fit the first enable word");
  for(int slot = 0; slot < NVDISK; slot++)
    enable |= 1U << VIRTIO_IRQ(slot);
  Reg32(PLIC_SENABLE(hart)) = enable;
  Reg32(PLIC_SPRIORITY(hart)) = 0;
}

// Claim the highest-priority pending interrupt for this hart. Returns its
// source number, or 0 if none is pending (another hart took it).
// Lock rule: none; call with interrupts off.
int
plic_claim(void)
{
  return Reg32(PLIC_SCLAIM(cpuid()));
}

// Tell the PLIC this hart has finished serving source irq, so the source
// may interrupt again. Lock rule: none; call with interrupts off.
void
plic_complete(int irq)
{
  Reg32(PLIC_SCLAIM(cpuid())) = irq;
}
