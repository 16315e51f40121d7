# Kernel entry points. OpenSBI enters in S-mode with the MMU off.
#
# _entry: the one hart that won OpenSBI's boot lottery (any hart id).
#   a0 = hart id, a1 = physical address of the device tree.
# _secondary_entry: every other hart, started later by main() through the
#   SBI HSM extension. a0 = hart id, a1 = the opaque argument (unused).
#
# Each hart runs on its own boot stack in stack0 (indexed by hart id) and
# keeps its hart id in tp for the rest of its life in the kernel.
#include "param.h"

#define BOOT_STACK_SIZE 16384

.section .text.entry
.globl _entry
_entry:
        # A hart id we have no slot for parks forever.
        li t0, NCPU
        bgeu a0, t0, park

        # Only the first hart to arrive is the boot hart: it clears .bss,
        # which holds every hart's stack and the kernel's state. A later
        # arrival must not clear it under the running kernel, so it takes
        # the secondary path. (Under a heavily loaded host, about one boot
        # in 60 used to die returning to address 0 from a zeroed boot
        # stack, as if a second hart had come through here; with this
        # guard 480 such boots passed. The cause is not proven.) The flag
        # lives in .data, which clearing .bss does not touch.
        la t0, boot_hart_claimed
        li t1, 1
        amoswap.w.aq t1, t1, (t0)
        bnez t1, _secondary_entry

        # Clear .bss before any C runs: the boot stacks live there too, but
        # nothing is on them yet.
        la t0, bss_start
        la t1, bss_end
1:      bgeu t0, t1, 2f
        sd zero, 0(t0)
        addi t0, t0, 8
        j 1b
2:
        call set_stack
        call main          # main(hartid, dtb), never returns
        j park

.globl _secondary_entry
_secondary_entry:
        li t0, NCPU
        bgeu a0, t0, park
        call set_stack
        call secondary_main     # secondary_main(hartid), never returns
        j park

# sp = stack0 + (hartid + 1) * BOOT_STACK_SIZE; tp = hartid. Clobbers t0, t1.
set_stack:
        la sp, stack0
        li t0, BOOT_STACK_SIZE
        addi t1, a0, 1
        mul t0, t0, t1
        add sp, sp, t0
        mv tp, a0
        ret

park:
        wfi
        j park

.section .data
boot_hart_claimed: .word 0

.section .bss
.align 12
.globl stack0
stack0:
        .space BOOT_STACK_SIZE * NCPU
