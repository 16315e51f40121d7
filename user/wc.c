// wc: counts the lines, words and bytes of each named file, or of the
// standard input when none is named, and prints "lines words bytes name".
// Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[512];

// Counts fd to its end and prints the totals under name. Exits with
// status 1 on a read error.
static void
wc(int fd, char *name)
{
  int lines = 0, words = 0, bytes = 0, inword = 0, n;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    for(int i = 0; i < n; i++){
      bytes++;
      if(buf[i] == '\n')
        lines++;
      if(strchr(" \r\t\n\v", buf[i])){
        inword = 0;
      } else if(!inword){
        words++;
        inword = 1;
      }
    }
  }
  if(n < 0){
    fprintf(2, "wc: read error\n");
    exit(1);
  }
  printf("%d %d %d %s\n", lines, words, bytes, name);
}

int
main(int argc, char *argv[])
{
  int fd;

  if(argc <= 1){
    wc(0, "");
    exit(0);
  }
  for(int i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      exit(1);
    }
    wc(fd, argv[i]);
    close(fd);
  }
  exit(0);
}
