// init: the first user program, process 1. It makes sure the console is
// open as fds 0, 1 and 2, starts the shell, and restarts it whenever it
// exits. Every orphaned process is re-parented to init by the kernel, so
// init's wait() loop is also what reaps them. Single-threaded: no locks.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char *sh_argv[] = { "sh", 0 };

// Opens the console device read/write as fd 0 and duplicates it to fds 1
// and 2. The device file is created on first boot if the disk lacks it.
// Exits if the console cannot be opened: without it nothing can be said.
static void
open_console(void)
{
  if(open("console", O_RDWR) < 0){
    mknod("console", CONSOLE, 0);
    if(open("console", O_RDWR) < 0)
      exit(1);
  }
  dup(0);  // stdout
  dup(0);  // stderr
}

// Starts one shell and waits until it exits, reaping any orphan that exits
// meanwhile. Returns the shell's exit status, or -1 if no shell could be
// started. Init must never exit (the kernel cannot run without it), so a
// full process table or memory is waited out, never given up on.
static int
run_shell(void)
{
  int pid, wpid, status;

  pid = fork();
  if(pid < 0){
    printf("init: fork failed\n");
    return -1;
  }
  if(pid == 0){
    exec("sh", sh_argv);
    printf("init: exec sh failed\n");
    exit(1);
  }
  for(;;){
    status = 0;
    wpid = wait(&status);
    if(wpid == pid)
      return status;
    if(wpid < 0){
      printf("init: wait returned an error\n");
      return -1;
    }
    // Some other child: an orphan the kernel handed to us. Just reap it.
  }
}

int
main(void)
{
  open_console();
  for(;;){
    printf("init: starting sh\n");
    if(run_shell() != 0){
      // The shell failed (missing, or no slot or memory to start it):
      // try again in a second rather than spin.
      sleep(100);
    }
  }
}
