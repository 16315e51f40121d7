// Physical memory map of QEMU's virt machine and the virtual address spaces.
//
// Physical (what the kernel direct-maps, virtual == physical):
//
//   0x0c000000  PLIC
//   0x10000000  UART 16550 (irq 10)
//   0x10001000  virtio-mmio slot 0 (irq 1)  file-system disk
//   0x10002000  virtio-mmio slot 1 (irq 2)  swap disk (later lab)
//   ...         virtio-mmio slots 2..7
//   0x80000000  RAM begins; OpenSBI owns the first 2 MiB (PMP-protected,
//               listed in the device tree's /reserved-memory)
//   0x80200000  kernel text, then data, bss; `end` marks the image's end
//   ...         free frames, up to the RAM top the device tree reports;
//               the device tree blob itself lies near the top of RAM
//
// Kernel virtual address space: the devices and all of RAM mapped at their
// physical addresses, plus at the very top:
//
//   MAXVA-1 page   TRAMPOLINE (same physical page in every address space)
//   below it       one kernel stack per process, each under a guard page
//
// User virtual address space (xv6's layout):
//
//   0              text and data of the program
//                  one guard page (no PTE_U)
//                  USERSTACK pages of stack
//                  heap, grown by sbrk
//   ...
//   TRAPFRAME      the process's trapframe (kernel-only page)
//   TRAMPOLINE     trap entry/exit code
#ifndef KERNEL_MEMLAYOUT_H
#define KERNEL_MEMLAYOUT_H

#include "riscv.h"

#define UART0 0x10000000L
#define UART0_IRQ 10

#define VIRTIO0 0x10001000L
#define VIRTIO_STRIDE 0x1000L
#define VIRTIO_MMIO(slot) (VIRTIO0 + VIRTIO_STRIDE * (slot))
#define VIRTIO0_IRQ 1
#define VIRTIO_IRQ(slot) (VIRTIO0_IRQ + (slot))

#define PLIC 0x0c000000L
#define PLIC_SIZE 0x400000L
#define PLIC_PRIORITY (PLIC + 0x0)
#define PLIC_PENDING (PLIC + 0x1000)
// QEMU numbers contexts M-mode then S-mode per hart: S-mode of hart h is 2h+1.
#define PLIC_SENABLE(hart) (PLIC + 0x2080 + (hart) * 0x100)
#define PLIC_SPRIORITY(hart) (PLIC + 0x201000 + (hart) * 0x2000)
#define PLIC_SCLAIM(hart) (PLIC + 0x201004 + (hart) * 0x2000)

// RAM. The kernel reads the real size from the device tree; PHYSTOP is the
// top of the default 128 MiB machine, kept for programs that name it.
#define KERNBASE 0x80000000L
#define KERNLINK 0x80200000L // where OpenSBI enters the kernel
#define PHYSTOP (KERNBASE + 128 * 1024 * 1024)

// The trampoline page sits at the highest virtual address in both the
// kernel and every user address space.
#define TRAMPOLINE (MAXVA - PGSIZE)

// Kernel stacks below the trampoline, each with an unmapped guard page below.
#define KSTACK(p) (TRAMPOLINE - ((p) + 1) * 2 * PGSIZE)

// User space: the trapframe lies just under the trampoline.
#define TRAPFRAME (TRAMPOLINE - PGSIZE)

#endif
