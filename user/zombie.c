// zombie: leaves a zombie behind. The child exits at once, and the parent
// exits without waiting for it, so the child must be handed to init and
// reaped there. Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "user/user.h"

int
main(void)
{
  if(fork() > 0)
    sleep(5);  // let the child exit first, so it is a zombie when we go
  exit(0);
}
