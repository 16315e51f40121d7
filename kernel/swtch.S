# void swtch(struct context *old, struct context *new)
#
# Save the callee-saved registers of the running kernel thread into *old
# and load those of *new; returning then continues the other thread.
# Caller-saved registers are already on the stack by the C calling
# convention. Offsets follow struct context in proc.h.
.globl swtch
swtch:
        sd ra, 0(a0)
        sd sp, 8(a0)
        sd s0, 16(a0)
        sd s1, 24(a0)
        sd s2, 32(a0)
        sd s3, 40(a0)
        sd s4, 48(a0)
        sd s5, 56(a0)
        sd s6, 64(a0)
        sd s7, 72(a0)
        sd s8, 80(a0)
        sd s9, 88(a0)
        sd s10, 96(a0)
        sd s11, 104(a0)

        ld ra, 0(a1)
        ld sp, 8(a1)
        ld s0, 16(a1)
        ld s1, 24(a1)
        ld s2, 32(a1)
        ld s3, 40(a1)
        ld s4, 48(a1)
        ld s5, 56(a1)
        ld s6, 64(a1)
        ld s7, 72(a1)
        ld s8, 80(a1)
        ld s9, 88(a1)
        ld s10, 96(a1)
        ld s11, 104(a1)
        ret

# void fp_save(struct fpstate *s) / void fp_restore(struct fpstate *s)
#
# Copy f0..f31 and fcsr to or from *s (struct fpstate in proc.h). The
# caller has the FP unit on (sstatus.FS not Off); see trap.c.
.globl fp_save
fp_save:
        .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        fsd f\r, (\r*8)(a0)
        .endr
        frcsr t0
        sd t0, 256(a0)
        ret

.globl fp_restore
fp_restore:
        .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        fld f\r, (\r*8)(a0)
        .endr
        ld t0, 256(a0)
        fscsr t0
        ret
