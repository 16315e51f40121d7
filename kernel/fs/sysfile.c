// File-system system calls: argument checking and file-descriptor
// bookkeeping on top of file.c and fs.c.
//
// Every user pointer is copied with copyin/copyout/copyinstr (through
// argstr/fetchaddr/fetchstr), which fail on a bad address: the call then
// returns -1 and the kernel carries on. Every path that starts a
// file-system operation with begin_op() ends it with end_op() before
// returning.
//
// Locks: a process's ofile[] and cwd are private to it (no lock). Inode
//   locks are taken parent directory first, then the inode in it (create,
//   unlink), inside begin_op()/end_op(), as fs.c's lock order requires.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "proc.h"
#include "fs.h"
#include "sleeplock.h"
#include "file.h"
#include "fcntl.h"

// Fetch system-call argument n as a file descriptor of the calling
// process. Stores the descriptor in *pfd and its file in *pf, either may
// be 0. Returns 0, or -1 if it is out of range or not open.
static int
argfd(int n, int *pfd, struct file **pf)
{
  int fd;
  struct file *f;

  argint(n, &fd);
  if(fd < 0 || fd >= NOFILE || (f = myproc()->ofile[fd]) == 0)
    return -1;
  if(pfd)
    *pfd = fd;
  if(pf)
    *pf = f;
  return 0;
}

// Give f the lowest free descriptor of the calling process. Returns it,
// or -1 if all NOFILE are in use (the caller still owns f then).
static int
fdalloc(struct file *f)
{
  struct proc *p = myproc();

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd] == 0){
      p->ofile[fd] = f;
      return fd;
    }
  }
  return -1;
}

// int dup(int fd): a second descriptor for the same open file.
uint64
sys_dup(void)
{
  struct file *f;
  int fd;

  if(argfd(0, 0, &f) < 0)
    return -1;
  if((fd = fdalloc(f)) < 0)
    return -1;
  filedup(f);
  return fd;
}

// int read(int fd, void *buf, int n)
uint64
sys_read(void)
{
  struct file *f;
  uint64 p;
  int n;

  argaddr(1, &p);
  argint(2, &n);
  if(argfd(0, 0, &f) < 0)
    return -1;
  return fileread(f, p, n);
}

// int write(int fd, const void *buf, int n)
uint64
sys_write(void)
{
  struct file *f;
  uint64 p;
  int n;

  argaddr(1, &p);
  argint(2, &n);
  if(argfd(0, 0, &f) < 0)
    return -1;
  return filewrite(f, p, n);
}

// int close(int fd)
uint64
sys_close(void)
{
  struct file *f;
  int fd;

  if(argfd(0, &fd, &f) < 0)
    return -1;
  myproc()->ofile[fd] = 0;
  fileclose(f);
  return 0;
}

// int fstat(int fd, struct stat *st)
uint64
sys_fstat(void)
{
  struct file *f;
  uint64 st;

  argaddr(1, &st);
  if(argfd(0, 0, &f) < 0)
    return -1;
  return filestat(f, st);
}

// int link(const char *old, const char *new): a new name for an existing
// file (not a directory), on the same device.
uint64
sys_link(void)
{
  char name[DIRSIZ], new[MAXPATH], old[MAXPATH];
  struct inode *dp, *ip;

  if(argstr(0, old, MAXPATH) < 0 || argstr(1, new, MAXPATH) < 0)
    return -1;

  begin_op();
  if((ip = namei(old)) == 0){
    end_op();
    return -1;
  }
  ilock(ip);
  if(ip->type == T_DIR || ip->nlink >= MAXLINK){
    iunlockput(ip);
    end_op();
    return -1;
  }
  // Count the link first: a crash between the two writes then leaves a
  // count too high (harmless), never too low.
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  if((dp = nameiparent(new, name)) == 0)
    goto bad;
  ilock(dp);
  if(dp->dev != ip->dev || dirlink(dp, name, ip->inum) < 0){
    iunlockput(dp);
    goto bad;
  }
  iunlockput(dp);
  iput(ip);
  end_op();
  return 0;

bad:
  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return -1;
}

// Is directory dp empty apart from "." and ".."?
// Lock rule: caller holds dp->lock.
static int
isdirempty(struct inode *dp)
{
  struct dirent de;

  for(uint off = 2 * sizeof(de); off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64) &de, off, sizeof(de)) != sizeof(de))
      panic("isdirempty: short read of directory %d", dp->inum);
    if(de.inum != 0)
      return 0;
  }
  return 1;
}

// Remove the entry name (found at offset off) from directory dp, and the
// link it held to ip.
// Lock rule: caller holds dp->lock and ip->lock, inside an operation.
static void
unlink_entry(struct inode *dp, struct inode *ip, uint off)
{
  struct dirent de;

  memset(&de, 0, sizeof(de));
  if(writei(dp, 0, (uint64) &de, off, sizeof(de)) != sizeof(de))
    panic("unlink: cannot clear entry in directory %d", dp->inum);
  if(ip->type == T_DIR){
    dp->nlink--;  // ip's ".." no longer names dp
    iupdate(dp);
  }
  ip->nlink--;
  iupdate(ip);
}

// int unlink(const char *path): remove a name; the file goes when its
// last link and last open reference are gone. Directories must be empty;
// "." and ".." cannot be removed.
uint64
sys_unlink(void)
{
  char name[DIRSIZ], path[MAXPATH];
  struct inode *ip, *dp;
  uint off;

  if(argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  if((dp = nameiparent(path, name)) == 0){
    end_op();
    return -1;
  }
  ilock(dp);
  if(namecmp(name, ".") == 0 || namecmp(name, "..") == 0)
    goto bad;
  if((ip = dirlookup(dp, name, &off)) == 0)
    goto bad;
  ilock(ip);
  KASSERT(ip->nlink >= 1, "unlink: inode %d has no links", ip->inum);
  if(ip->type == T_DIR && !isdirempty(ip)){
    iunlockput(ip);
    goto bad;
  }
  unlink_entry(dp, ip, off);
  iunlockput(dp);
  iunlockput(ip);
  end_op();
  return 0;

bad:
  iunlockput(dp);
  end_op();
  return -1;
}

// Fill the new directory ip with "." and ".." (dp is its parent). Returns
// 0 or -1 if the disk is full. "." does not count as a link: a directory
// that counted itself could never reach nlink 0.
// Lock rule: caller holds ip->lock, inside an operation.
static int
dir_init(struct inode *ip, struct inode *dp)
{
  if(dirlink(ip, ".", ip->inum) < 0 || dirlink(ip, "..", dp->inum) < 0)
    return -1;
  return 0;
}

// Create path as a new inode of the given type. For T_FILE an existing
// file or device of that name is returned instead. Returns the inode
// locked, or 0 if the parent is missing, the name exists (and is not
// reusable), or the disk or inode table is full.
// Lock rule: inside an operation; returns holding ip->lock.
static struct inode*
create(char *path, short type, short major, short minor)
{
  struct inode *ip, *dp;
  char name[DIRSIZ];

  if((dp = nameiparent(path, name)) == 0)
    return 0;
  ilock(dp);

  if((ip = dirlookup(dp, name, 0)) != 0){
    iunlockput(dp);
    ilock(ip);
    if(type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE))
      return ip;
    iunlockput(ip);
    return 0;
  }

  // A new directory's ".." is one more link to dp.
  if((type == T_DIR && dp->nlink >= MAXLINK) ||
     (ip = ialloc(dp->dev, type)) == 0){
    iunlockput(dp);
    return 0;
  }
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);

  if(type == T_DIR && dir_init(ip, dp) < 0)
    goto fail;
  if(dirlink(dp, name, ip->inum) < 0)
    goto fail;
  if(type == T_DIR){
    dp->nlink++;  // for the child's ".."
    iupdate(dp);
  }
  iunlockput(dp);
  return ip;

fail:
  // No directory names ip: with nlink 0, iput() frees it and its blocks.
  ip->nlink = 0;
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return 0;
}

// Find or create the inode open() names, and check omode against it.
// Returns the inode locked, or 0.
// Lock rule: inside an operation.
static struct inode*
open_inode(char *path, int omode)
{
  struct inode *ip;

  if(omode & O_CREATE)
    return create(path, T_FILE, 0, 0);

  if((ip = namei(path)) == 0)
    return 0;
  ilock(ip);
  if(ip->type == T_DIR && omode != O_RDONLY){
    iunlockput(ip);
    return 0;
  }
  return ip;
}

// int open(const char *path, int omode): O_RDONLY, O_WRONLY or O_RDWR,
// optionally with O_CREATE and O_TRUNC. Returns a descriptor or -1.
uint64
sys_open(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct file *f;
  int fd, omode;

  argint(1, &omode);
  if(argstr(0, path, MAXPATH) < 0)
    return -1;

  begin_op();
  if((ip = open_inode(path, omode)) == 0){
    end_op();
    return -1;
  }
  // A device number read from disk is checked before it indexes devsw.
  if(ip->type == T_DEVICE && (ip->major < 0 || ip->major >= NDEV))
    goto bad;
  if((f = filealloc()) == 0)
    goto bad;
  if((fd = fdalloc(f)) < 0){
    fileclose(f);
    goto bad;
  }

  if(ip->type == T_DEVICE){
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = 0;
  }
  f->ip = ip;
  f->readable = !(omode & O_WRONLY);
  f->writable = (omode & O_WRONLY) || (omode & O_RDWR);
  if((omode & O_TRUNC) && ip->type == T_FILE)
    itrunc(ip);

  iunlock(ip);
  end_op();
  return fd;

bad:
  iunlockput(ip);
  end_op();
  return -1;
}

// int mkdir(const char *path)
uint64
sys_mkdir(void)
{
  char path[MAXPATH];
  struct inode *ip;

  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if((ip = create(path, T_DIR, 0, 0)) == 0){
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

// int mknod(const char *path, short major, short minor): a device file.
// The major number is checked when the file is opened, not here.
uint64
sys_mknod(void)
{
  char path[MAXPATH];
  struct inode *ip;
  int major, minor;

  argint(1, &major);
  argint(2, &minor);
  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if((ip = create(path, T_DEVICE, major, minor)) == 0){
    end_op();
    return -1;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

// int chdir(const char *path)
uint64
sys_chdir(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct proc *p = myproc();

  if(argstr(0, path, MAXPATH) < 0)
    return -1;
  begin_op();
  if((ip = namei(path)) == 0){
    end_op();
    return -1;
  }
  ilock(ip);
  if(ip->type != T_DIR){
    iunlockput(ip);
    end_op();
    return -1;
  }
  iunlock(ip);
  iput(p->cwd);  // inside the operation: it may be the last reference
  end_op();
  p->cwd = ip;
  return 0;
}

// Copy the user's null-terminated argument vector at uargv into argv
// (room for MAXARG pointers, so at most MAXARG-1 strings and the final 0),
// one kalloc'ed page per string. Returns 0, or -1 on too many arguments,
// a bad pointer or no memory; the caller frees argv's pages either way.
static int
fetch_argv(uint64 uargv, char **argv)
{
  for(int i = 0; ; i++){
    uint64 uarg;
    if(i >= MAXARG)
      return -1;
    if(fetchaddr(uargv + sizeof(uint64) * i, &uarg) < 0)
      return -1;
    if(uarg == 0){
      argv[i] = 0;
      return 0;
    }
    if((argv[i] = kalloc()) == 0)
      return -1;
    if(fetchstr(uarg, argv[i], PGSIZE) < 0)
      return -1;
  }
}

// int exec(const char *path, char **argv): replace the calling process's
// image. Returns argc to the new image, or -1 to the old one.
uint64
sys_exec(void)
{
  char path[MAXPATH], *argv[MAXARG];
  uint64 uargv;
  int ret = -1;

  argaddr(1, &uargv);
  if(argstr(0, path, MAXPATH) < 0)
    return -1;

  memset(argv, 0, sizeof(argv));
  if(fetch_argv(uargv, argv) == 0)
    ret = kexec(path, argv);

  for(int i = 0; i < MAXARG && argv[i] != 0; i++)
    kfree(argv[i]);
  return ret;
}

// int pipe(int fds[2]): fds[0] reads, fds[1] writes.
uint64
sys_pipe(void)
{
  uint64 fdarray;
  struct file *rf, *wf;
  int fd0, fd1;
  struct proc *p = myproc();

  argaddr(0, &fdarray);
  if(pipealloc(&rf, &wf) < 0)
    return -1;
  fd0 = -1;
  if((fd0 = fdalloc(rf)) < 0 || (fd1 = fdalloc(wf)) < 0)
    goto bad;
  if(copyout(p->as->pagetable, fdarray, (char *) &fd0, sizeof(fd0)) < 0 ||
     copyout(p->as->pagetable, fdarray + sizeof(fd0), (char *) &fd1, sizeof(fd1)) < 0){
    p->ofile[fd1] = 0;
    goto bad;
  }
  return 0;

bad:
  if(fd0 >= 0)
    p->ofile[fd0] = 0;
  fileclose(rf);
  fileclose(wf);
  return -1;
}

// int fsfree(uint counts[2]): free data blocks and free inodes of the root
// disk. Returns 0, or -1 if counts is a bad address.
uint64
sys_fsfree(void)
{
  uint64 addr;
  uint counts[2];

  argaddr(0, &addr);
  fs_free_count(ROOTDEV, &counts[0], &counts[1]);
  return copyout(myproc()->as->pagetable, addr, (char *)counts, sizeof(counts));
}
