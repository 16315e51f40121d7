// ls: lists files. For each argument (or "." without one) it prints one
// line per file: the name padded to DIRSIZ, the type (1 directory, 2 file,
// 3 device), the inode number and the size in bytes. A directory is listed
// entry by entry. Single-threaded user code: there are no locks.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "user/user.h"

// Returns the last component of path, padded with spaces to DIRSIZ
// characters (a longer name is returned whole). The result lives in a
// static buffer that the next call overwrites.
static char *
fmtname(char *path)
{
  static char name[DIRSIZ + 1];
  char *p = path + strlen(path);

  while(p > path && p[-1] != '/')
    p--;
  if(strlen(p) >= DIRSIZ)
    return p;
  memset(name, ' ', DIRSIZ);
  memmove(name, p, strlen(p));
  name[DIRSIZ] = 0;
  return name;
}

// Prints the line for the file path whose status is st.
static void
print_entry(char *path, struct stat *st)
{
  printf("%s %d %d %lu\n", fmtname(path), st->type, st->ino, st->size);
}

// Lists every entry of the open directory fd, whose name is path.
static void
list_dir(char *path, int fd)
{
  char buf[512], *p;
  struct dirent de;
  struct stat st;

  if(strlen(path) + 1 + DIRSIZ + 1 > sizeof(buf)){
    printf("ls: path too long\n");
    return;
  }
  strcpy(buf, path);
  p = buf + strlen(buf);
  *p++ = '/';
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum == 0)
      continue;   // a free slot
    memmove(p, de.name, DIRSIZ);
    p[DIRSIZ] = 0;  // a name of exactly DIRSIZ bytes has no NUL
    if(stat(buf, &st) < 0){
      printf("ls: cannot stat %s\n", buf);
      continue;
    }
    print_entry(buf, &st);
  }
}

// Lists path: itself if it is a file or device, its entries if it is a
// directory. Prints a message if it cannot be opened.
static void
ls(char *path)
{
  int fd;
  struct stat st;

  if((fd = open(path, O_RDONLY)) < 0){
    fprintf(2, "ls: cannot open %s\n", path);
    return;
  }
  if(fstat(fd, &st) < 0){
    fprintf(2, "ls: cannot stat %s\n", path);
    close(fd);
    return;
  }
  if(st.type == T_DIR)
    list_dir(path, fd);
  else
    print_entry(path, &st);
  close(fd);
}

int
main(int argc, char *argv[])
{
  if(argc < 2){
    ls(".");
    exit(0);
  }
  for(int i = 1; i < argc; i++)
    ls(argv[i]);
  exit(0);
}
