// RISC-V hardware definitions: CSR accessors, status and interrupt bits,
// Sv39 page-table entry layout and the rounding macros built on PGSIZE.
// Nothing else in the kernel spells a CSR number or a PTE bit by hand.
#ifndef KERNEL_RISCV_H
#define KERNEL_RISCV_H

#ifndef __ASSEMBLER__
#include "types.h"

#define CSR_READ(name) ({ uint64 v_; asm volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define CSR_WRITE(name, val) asm volatile("csrw " #name ", %0" : : "r"((uint64)(val)))

// sstatus: supervisor status.
#define SSTATUS_SPP (1L << 8)  // previous mode: 1 = supervisor, 0 = user
#define SSTATUS_SPIE (1L << 5) // supervisor interrupts enabled before the trap
#define SSTATUS_SIE (1L << 1)  // supervisor interrupts enabled now
#define SSTATUS_SUM (1L << 18) // supervisor may access user pages
// sstatus.FS (bits 14:13): the floating-point unit's state. Off makes
// every FP instruction trap; the hart sets Dirty when one changes a
// register, so the kernel learns whether there is anything to save.
#define SSTATUS_FS       (3L << 13)
#define SSTATUS_FS_OFF   (0L << 13)
#define SSTATUS_FS_CLEAN (2L << 13)
#define SSTATUS_FS_DIRTY (3L << 13)

static inline uint64 r_sstatus(void) { return CSR_READ(sstatus); }
static inline void w_sstatus(uint64 x) { CSR_WRITE(sstatus, x); }

// sip / sie: pending and enabled supervisor interrupts.
#define SIE_SSIE (1L << 1) // software
#define SIE_STIE (1L << 5) // timer
#define SIE_SEIE (1L << 9) // external (PLIC)

static inline uint64 r_sip(void) { return CSR_READ(sip); }
static inline void w_sip(uint64 x) { CSR_WRITE(sip, x); }
static inline uint64 r_sie(void) { return CSR_READ(sie); }
static inline void w_sie(uint64 x) { CSR_WRITE(sie, x); }

// scause values the kernel handles.
#define SCAUSE_INTR (1UL << 63)
#define SCAUSE_SOFT_INTR (SCAUSE_INTR | 1)
#define SCAUSE_TIMER_INTR (SCAUSE_INTR | 5)
#define SCAUSE_EXTERNAL_INTR (SCAUSE_INTR | 9)
#define SCAUSE_INSN_MISALIGNED 0
#define SCAUSE_INSN_ACCESS 1
#define SCAUSE_ILLEGAL_INSN 2
#define SCAUSE_BREAKPOINT 3
#define SCAUSE_LOAD_ACCESS 5
#define SCAUSE_STORE_ACCESS 7
#define SCAUSE_ECALL_U 8
#define SCAUSE_INSN_PAGE_FAULT 12
#define SCAUSE_LOAD_PAGE_FAULT 13
#define SCAUSE_STORE_PAGE_FAULT 15

static inline uint64 r_sepc(void) { return CSR_READ(sepc); }
static inline void w_sepc(uint64 x) { CSR_WRITE(sepc, x); }
static inline uint64 r_stvec(void) { return CSR_READ(stvec); }
static inline void w_stvec(uint64 x) { CSR_WRITE(stvec, x); }
static inline uint64 r_scause(void) { return CSR_READ(scause); }
static inline uint64 r_stval(void) { return CSR_READ(stval); }
static inline uint64 r_satp(void) { return CSR_READ(satp); }
static inline void w_satp(uint64 x) { CSR_WRITE(satp, x); }
static inline uint64 r_time(void) { return CSR_READ(time); }

// Sstc: writing stimecmp programs the next timer interrupt directly.
static inline void w_stimecmp(uint64 x) { asm volatile("csrw 0x14d, %0" : : "r"(x)); }

static inline void intr_on(void) { w_sstatus(r_sstatus() | SSTATUS_SIE); }
static inline void intr_off(void) { w_sstatus(r_sstatus() & ~SSTATUS_SIE); }
static inline int intr_get(void) { return (r_sstatus() & SSTATUS_SIE) != 0; }

static inline uint64 r_sp(void) { uint64 x; asm volatile("mv %0, sp" : "=r"(x)); return x; }
static inline uint64 r_fp(void) { uint64 x; asm volatile("mv %0, s0" : "=r"(x)); return x; }
static inline uint64 r_ra(void) { uint64 x; asm volatile("mv %0, ra" : "=r"(x)); return x; }

// tp holds this hart's id in the kernel (set at entry, saved across user mode).
static inline uint64 r_tp(void) { uint64 x; asm volatile("mv %0, tp" : "=r"(x)); return x; }
static inline void w_tp(uint64 x) { asm volatile("mv tp, %0" : : "r"(x)); }

// Flush the whole TLB of this hart.
static inline void sfence_vma(void) { asm volatile("sfence.vma zero, zero"); }
static inline void wfi(void) { asm volatile("wfi"); }

typedef uint64 pte_t;
typedef uint64 *pagetable_t; // 512 PTEs
#endif // __ASSEMBLER__

#define SATP_SV39 (8L << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)(pagetable)) >> 12))

#define PGSIZE 4096 // bytes per page
#define PGSHIFT 12  // bits of offset within a page

#define PGROUNDUP(sz) (((sz) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE - 1))

#define PTE_V (1L << 0) // valid
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4) // user can access
#define PTE_G (1L << 5)
#define PTE_A (1L << 6) // accessed (set by hardware on QEMU)
#define PTE_D (1L << 7) // dirty
#define PTE_RSW0 (1L << 8) // reserved for software: labs use these
#define PTE_RSW1 (1L << 9)
#define PTE_COW  PTE_RSW0  // lab cow: shared copy-on-write, writable once private
// Lab swap: a PTE with V clear is ignored by the hardware, so the kernel
// may keep anything in it. A page on swap is V=0, PTE_SWAP set, its slot
// number where the frame number would be, and its other flags (U R W X
// COW) kept for when it comes back.
#define PTE_SWAP PTE_RSW1
#define SLOT2PTE(slot) (((uint64)(slot)) << 10)
#define PTE2SLOT(pte) ((pte) >> 10)

// shift a physical address to the right place for a PTE, and back.
#define PA2PTE(pa) ((((uint64)(pa)) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte) & 0x3FF)

// extract the three 9-bit page table indices from a virtual address.
#define PXMASK 0x1FF // 9 bits
#define PXSHIFT(level) (PGSHIFT + (9 * (level)))
#define PX(level, va) ((((uint64)(va)) >> PXSHIFT(level)) & PXMASK)

// First virtual address past the usable range. Sv39 addresses are 39 bits
// sign-extended; using only 38 keeps every address positive, so no code has
// to think about the upper half.
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))

#endif
