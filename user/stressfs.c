// stressfs: several processes write and read back files at the same time,
// to exercise the file system's locking, buffer cache and log under
// concurrency. Each child writes NBLOCK blocks of its own letter to its own
// file, reads them back, checks them and removes the file.
// Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define NCHILD 4
#define NBLOCK 20

static char data[512];

// Writes the file for child i, reads it back and checks every byte.
// Returns 0, or 1 after printing what went wrong.
static int
stress_one(int i, char *path)
{
  int fd, n;

  memset(data, 'a' + i, sizeof(data));
  if((fd = open(path, O_CREATE | O_RDWR)) < 0){
    printf("stressfs: cannot create %s\n", path);
    return 1;
  }
  for(int b = 0; b < NBLOCK; b++){
    if(write(fd, data, sizeof(data)) != sizeof(data)){
      printf("stressfs: write %s failed\n", path);
      close(fd);
      return 1;
    }
  }
  close(fd);
  printf("stressfs: %s written\n", path);
  if((fd = open(path, O_RDONLY)) < 0){
    printf("stressfs: cannot reopen %s\n", path);
    return 1;
  }
  for(int b = 0; b < NBLOCK; b++){
    memset(data, 0, sizeof(data));
    n = read(fd, data, sizeof(data));
    for(int k = 0; k < sizeof(data); k++){
      if(n != sizeof(data) || data[k] != 'a' + i){
        printf("stressfs: %s: bad data in block %d\n", path, b);
        close(fd);
        return 1;
      }
    }
  }
  close(fd);
  unlink(path);
  return 0;
}

int
main(void)
{
  char path[] = "stressfs0";
  int i, status, failed = 0;

  printf("stressfs starting\n");
  for(i = 0; i < NCHILD; i++){
    path[8] = '0' + i;
    int pid = fork();
    if(pid < 0){
      printf("stressfs: fork failed\n");
      break;
    }
    if(pid == 0)
      exit(stress_one(i, path));
  }
  while(wait(&status) >= 0)
    if(status != 0)
      failed = 1;
  printf(failed ? "stressfs: FAILED\n" : "stressfs: ok\n");
  exit(failed);
}
