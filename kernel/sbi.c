// Calls from the kernel (S-mode) into OpenSBI (M-mode), following the SBI
// 1.0 calling convention: a7 = extension id, a6 = function id, arguments in
// a0..a5; the firmware returns an error code in a0 and a value in a1.
// OpenSBI 1.1 on QEMU has TIME, IPI, RFENCE, HSM and SRST (not DBCN); the
// kernel uses TIME, HSM, SRST and, for remote TLB flushes, RFENCE.
#include "types.h"
#include "defs.h"

#define SBI_EXT_TIME   0x54494D45  // "TIME"
#define SBI_EXT_RFENCE 0x52464E43  // "RFNC"
#define SBI_EXT_HSM    0x48534D    // "HSM"
#define SBI_EXT_SRST   0x53525354  // "SRST"

#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_REASON_NONE 0

static struct sbiret
sbi_call(uint64 ext, uint64 fid, uint64 arg0, uint64 arg1, uint64 arg2,
         uint64 arg3)
{
  register uint64 a0 asm("a0") = arg0;
  register uint64 a1 asm("a1") = arg1;
  register uint64 a2 asm("a2") = arg2;
  register uint64 a3 asm("a3") = arg3;
  register uint64 a6 asm("a6") = fid;
  register uint64 a7 asm("a7") = ext;
  asm volatile("ecall"
               : "+r"(a0), "+r"(a1)
               : "r"(a2), "r"(a3), "r"(a6), "r"(a7)
               : "memory");
  struct sbiret ret = { (long)a0, (long)a1 };
  return ret;
}

// Program this hart's next timer interrupt at absolute time `stime`.
void
sbi_set_timer(uint64 stime)
{
  sbi_call(SBI_EXT_TIME, 0, stime, 0, 0, 0);
}

// Start a stopped hart at physical address start_addr with a1 = opaque.
// Returns 0 or the SBI error code.
int
sbi_hart_start(uint64 hartid, uint64 start_addr, uint64 opaque)
{
  return sbi_call(SBI_EXT_HSM, 0, hartid, start_addr, opaque, 0).error;
}

// Flush [start, start+size) from the TLBs of the harts in hart_mask.
void
sbi_remote_sfence_vma(uint64 hart_mask, uint64 start, uint64 size)
{
  // hart_mask_base 0: bit i of hart_mask names hart i.
  sbi_call(SBI_EXT_RFENCE, 1, hart_mask, 0, start, size);
}

// Power the machine off. QEMU exits.
void
sbi_shutdown(void)
{
  sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, SBI_SRST_REASON_NONE, 0, 0);
  panic("sbi_shutdown: SRST returned");
}
