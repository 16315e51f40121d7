// halt: powers the machine off through the halt() system call, which asks
// the firmware (SBI system reset) to stop QEMU. Used by test scripts.
#include "kernel/types.h"
#include "user/user.h"

int
main(void)
{
  halt();
}
