#ifndef KERNEL_STAT_H
#define KERNEL_STAT_H
#include "types.h"

#define T_DIR     1   // directory
#define T_FILE    2   // regular file
#define T_DEVICE  3   // device file

struct stat {
  int dev;     // disk device number
  uint ino;    // inode number
  short type;  // one of T_*
  short nlink; // number of links to the file
  uint64 size; // size in bytes
};
#endif
