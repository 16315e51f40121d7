// File system: blocks, inodes, directories and path names.
//
// Layers, bottom up (the buffer cache and the log live in bio.c, log.c):
//   blocks       balloc()/bfree() keep the free bitmap.
//   inodes       the on-disk inode array, cached in `itable`; bmap() maps a
//                file's block index to a disk block (NDIRECT direct
//                addresses, then one indirect block of NINDIRECT more);
//                readi()/writei() move bytes to and from user or kernel memory.
//   directories  a directory is a file of struct dirent; dirlookup(), dirlink().
//   path names   namei()/nameiparent() walk "/a/b/c" one element at a time.
// The disk layout is drawn in kernel/fs.h; mkfs writes it, fsinit() checks it.
//
// Every function that writes the disk must run inside begin_op()/end_op()
// and write through log_write().
//
// An in-memory inode is referenced (ip->ref > 0) while someone holds a
// pointer to it: open files, current directories, and code in progress.
// Reading or changing its other fields additionally needs ilock(), which
// loads the disk copy on first use.
//
// Locks: itable.lock (spin) guards every inode's dev, inum and ref, and the
//   choice of a free slot. ip->lock (sleep) guards valid and the copy of the
//   disk inode. Order: begin_op() -> a directory's ip->lock -> the lock of
//   an inode in it -> buffer locks -> log.lock -> bcache.lock. itable.lock
//   is never held across a sleep.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "file.h"

#define min(a, b) ((a) < (b) ? (a) : (b))

// The superblock of the one file system, read once by fsinit().
static struct superblock sb;

// Copy the superblock of dev into *out.
// Lock rule: may sleep on disk I/O.
static void
readsb(int dev, struct superblock *out)
{
  struct buf *bp = bread(dev, 1);
  memmove(out, bp->data, sizeof(*out));
  brelse(bp);
}

// Check that the regions the superblock describes are in order and inside
// the disk. Returns a reason string if not, 0 if the layout is sound.
static char*
sb_bad_layout(struct superblock *s)
{
  if(s->ninodes <= ROOTINO || s->size < 2)
    return "too few inodes or blocks";
  // Blocks needed for inodes 0..ninodes-1 and bits 0..size-1.
  uint ninodeblocks = (s->ninodes - 1) / IPB + 1;
  uint nbitmap = (s->size - 1) / BPB + 1;

  if(s->logstart < 2 || s->logstart + s->nlog > s->inodestart)
    return "log overlaps boot block, superblock or inodes";
  if(s->inodestart + ninodeblocks > s->bmapstart)
    return "inodes overlap the bitmap";
  if(s->bmapstart + nbitmap > s->size)
    return "bitmap runs past the end of the disk";
  if(s->nblocks > s->size - (s->bmapstart + nbitmap))
    return "more data blocks than fit on the disk";
  return 0;
}

// Mount the file system on dev: read and check the superblock, then start
// the log (which replays a committed transaction left by a crash).
// Panics on a wrong magic number or an impossible layout: running on a
// corrupt image would only spread the damage.
// Called once, from the first process (it sleeps on the disk).
// Lock rule: none held.
void
fsinit(int dev)
{
  char *why;

  readsb(dev, &sb);
  if(sb.magic != FSMAGIC)
    panic("fsinit: bad file-system magic 0x%x (want 0x%x): not an image made by mkfs",
          sb.magic, FSMAGIC);
  if((why = sb_bad_layout(&sb)) != 0)
    panic("fsinit: corrupt superblock: %s", why);
  initlog(dev, &sb);
}

// Fill block bno of dev with zeros, through the log.
// Lock rule: inside an operation.
static void
bzero(int dev, int bno)
{
  struct buf *bp = bread(dev, bno);
  memset(bp->data, 0, BSIZE);
  log_write(bp);
  brelse(bp);
}

// Allocate a zeroed disk block. Returns its number, or 0 if the disk is
// full (block 0 is the boot block, never a data block).
// Lock rule: inside an operation; takes bitmap buffer locks.
static uint
balloc(uint dev)
{
  uint datastart = sb.size - sb.nblocks;

  for(uint base = 0; base < sb.size; base += BPB){
    struct buf *bp = bread(dev, BBLOCK(base, sb));
    for(uint bi = 0; bi < BPB && base + bi < sb.size; bi++){
      uchar mask = 1 << (bi % 8);
      if((bp->data[bi / 8] & mask) == 0){
        KASSERT(base + bi >= datastart,
                "bitmap marks metadata block %d free", base + bi);
        bp->data[bi / 8] |= mask;
        log_write(bp);
        brelse(bp);
        bzero(dev, base + bi);
        return base + bi;
      }
    }
    brelse(bp);
  }
  printf("balloc: out of disk blocks\n");
  return 0;
}

// Count the free data blocks and free inodes of dev, for tests that check
// that nothing is lost on disk. A snapshot: operations may run meanwhile.
// Lock rule: takes buffer locks one at a time; may sleep.
void
fs_free_count(uint dev, uint *blocks, uint *inodes)
{
  *blocks = *inodes = 0;
  for(uint base = 0; base < sb.size; base += BPB){
    struct buf *bp = bread(dev, BBLOCK(base, sb));
    for(uint bi = 0; bi < BPB && base + bi < sb.size; bi++)
      if((bp->data[bi / 8] & (1 << (bi % 8))) == 0)
        (*blocks)++;
    brelse(bp);
  }
  for(uint inum = ROOTINO + 1; inum < sb.ninodes; inum++){
    struct buf *bp = bread(dev, IBLOCK(inum, sb));
    if(((struct dinode *) bp->data + inum % IPB)->type == 0)
      (*inodes)++;
    brelse(bp);
  }
}

// Mark block b free in the bitmap. Panics on a double free.
// Lock rule: inside an operation.
static void
bfree(int dev, uint b)
{
  struct buf *bp = bread(dev, BBLOCK(b, sb));
  uint bi = b % BPB;
  uchar mask = 1 << (bi % 8);

  KASSERT(b >= sb.size - sb.nblocks && b < sb.size, "bfree of non-data block %d", b);
  KASSERT(bp->data[bi / 8] & mask, "bfree of free block %d", b);
  bp->data[bi / 8] &= ~mask;
  log_write(bp);
  brelse(bp);
}

static struct {
  struct spinlock lock;
  struct inode inode[NINODE];
} itable;

// Set up the inode cache, all slots unreferenced.
// Called once at boot.
void
iinit(void)
{
  initlock(&itable.lock, "itable");
  for(int i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

static struct inode* iget(uint dev, uint inum);

// Allocate an inode of the given type on dev: the first whose disk copy has
// type 0. Returns it referenced but unlocked, or 0 if every inode is in
// use on disk or in the inode table. The table slot is taken before the
// disk inode is claimed, so a full table leaves nothing claimed on disk.
// Lock rule: inside an operation.
struct inode*
ialloc(uint dev, short type)
{
  for(uint inum = ROOTINO + 1; inum < sb.ninodes; inum++){
    struct buf *bp = bread(dev, IBLOCK(inum, sb));
    struct dinode *dip = (struct dinode *) bp->data + inum % IPB;
    if(dip->type == 0){
      struct inode *ip = iget(dev, inum);
      if(ip != 0){
        memset(dip, 0, sizeof(*dip));
        dip->type = type;
        log_write(bp); // claim it on disk before anyone else can
      }
      brelse(bp);
      return ip;
    }
    brelse(bp);
  }
  printf("ialloc: out of inodes\n");
  return 0;
}

// Write the in-memory copy of ip's fields back to its disk inode. Call it
// after every change to a field that lives on disk.
// Lock rule: caller holds ip->lock, inside an operation.
void
iupdate(struct inode *ip)
{
  KASSERT(holdingsleep(&ip->lock), "iupdate of unlocked inode %d", ip->inum);
  struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = (struct dinode *) bp->data + ip->inum % IPB;
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(bp);
  brelse(bp);
}

// Return the in-memory inode for (dev, inum) with one more reference,
// taking a free slot if it is not cached. Does not read the disk: ilock()
// does. Returns 0 if all NINODE slots are referenced: processes holding
// files open can fill the table, and the system call that needs one more
// must fail, not the kernel.
// Lock rule: takes itable.lock.
static struct inode*
iget(uint dev, uint inum)
{
  struct inode *ip, *empty = 0;

  KASSERT(inum > 0 && inum < sb.ninodes, "iget of bad inode number %d", inum);
  acquire(&itable.lock);
  for(ip = itable.inode; ip < itable.inode + NINODE; ip++){
    if(ip->ref > 0 && ip->dev == dev && ip->inum == inum){
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if(empty == 0 && ip->ref == 0)
      empty = ip;
  }
  if(empty == 0){
    release(&itable.lock);
    return 0;
  }

  ip = empty;
  ip->dev = dev;
  ip->inum = inum;
  ip->ref = 1;
  ip->valid = 0;
  release(&itable.lock);
  return ip;
}

// Take one more reference to ip and return it (for `p = idup(q)`).
// Lock rule: takes itable.lock.
struct inode*
idup(struct inode *ip)
{
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

// Lock ip, reading its disk inode the first time. Panics on an inode that
// has no type: a directory entry names a free inode, so the disk is corrupt.
// Lock rule: caller holds a reference; may sleep.
void
ilock(struct inode *ip)
{
  KASSERT(ip != 0 && ip->ref >= 1, "ilock of unreferenced inode");
  acquiresleep(&ip->lock);
  if(ip->valid)
    return;

  struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = (struct dinode *) bp->data + ip->inum % IPB;
  ip->type = dip->type;
  ip->major = dip->major;
  ip->minor = dip->minor;
  ip->nlink = dip->nlink;
  ip->size = dip->size;
  memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
  brelse(bp);
  ip->valid = 1;
  if(ip->type == 0)
    panic("ilock: inode %d is free on disk", ip->inum);
}

// Unlock ip.
// Lock rule: caller holds ip->lock.
void
iunlock(struct inode *ip)
{
  KASSERT(ip != 0 && holdingsleep(&ip->lock) && ip->ref >= 1,
          "iunlock of unlocked or unreferenced inode");
  releasesleep(&ip->lock);
}

// Drop a reference to ip. When the last reference goes and no directory
// names the inode any more, free its blocks and the inode itself.
// Lock rule: inside an operation (it may write the disk); ip not locked.
void
iput(struct inode *ip)
{
  acquire(&itable.lock);
  KASSERT(ip->ref >= 1, "iput of unreferenced inode %d", ip->inum);

  if(ip->ref == 1 && ip->valid && ip->nlink == 0){
    // No other reference, so nobody holds ip->lock and this cannot sleep;
    // no link, so no one can find the inode to take a new reference.
    acquiresleep(&ip->lock);
    release(&itable.lock);

    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = 0;

    releasesleep(&ip->lock);
    acquire(&itable.lock);
  }
  ip->ref--;
  release(&itable.lock);
}

// Unlock ip, then drop the reference: the common end of a use.
// Lock rule: as iunlock() then iput().
void
iunlockput(struct inode *ip)
{
  iunlock(ip);
  iput(ip);
}

// Panic if a block address taken from the disk lies outside the disk.
static void
check_addr(struct inode *ip, uint addr)
{
  if(addr >= sb.size)
    panic("inode %d: block address %d beyond disk of %d blocks",
          ip->inum, addr, sb.size);
}

// Return the disk block holding block bn of ip's contents, allocating it
// (and the indirect block) if there is none yet. Returns 0 if the disk is
// full. Panics on bn >= MAXFILE: callers check the size first.
// Lock rule: caller holds ip->lock, inside an operation if it may allocate.
static uint
bmap(struct inode *ip, uint bn)
{
  uint addr;

  if(bn < NDIRECT){
    if((addr = ip->addrs[bn]) == 0)
      addr = ip->addrs[bn] = balloc(ip->dev);
    check_addr(ip, addr);
    return addr;
  }
  bn -= NDIRECT;
  KASSERT(bn < NINDIRECT, "bmap: block %d past MAXFILE", bn + NDIRECT);

  uint ind = ip->addrs[NDIRECT];
  if(ind == 0){
    if((ind = balloc(ip->dev)) == 0)
      return 0;
    ip->addrs[NDIRECT] = ind;
  }
  check_addr(ip, ind);
  struct buf *bp = bread(ip->dev, ind);
  uint *a = (uint *) bp->data;
  if((addr = a[bn]) == 0){
    if((addr = balloc(ip->dev)) != 0){
      a[bn] = addr;
      log_write(bp);
    }
  }
  brelse(bp);
  check_addr(ip, addr);
  return addr;
}

// Free every data block of ip (and its indirect block) and set its size
// to zero.
// Lock rule: caller holds ip->lock, inside an operation.
void
itrunc(struct inode *ip)
{
  KASSERT(holdingsleep(&ip->lock), "itrunc of unlocked inode %d", ip->inum);
  for(int i = 0; i < NDIRECT; i++){
    if(ip->addrs[i]){
      bfree(ip->dev, ip->addrs[i]);
      ip->addrs[i] = 0;
    }
  }

  if(ip->addrs[NDIRECT]){
    struct buf *bp = bread(ip->dev, ip->addrs[NDIRECT]);
    uint *a = (uint *) bp->data;
    for(int j = 0; j < NINDIRECT; j++){
      if(a[j])
        bfree(ip->dev, a[j]);
    }
    brelse(bp);
    bfree(ip->dev, ip->addrs[NDIRECT]);
    ip->addrs[NDIRECT] = 0;
  }

  ip->size = 0;
  iupdate(ip);
}

// Fill *st from ip.
// Lock rule: caller holds ip->lock.
void
stati(struct inode *ip, struct stat *st)
{
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

// Copy up to n bytes from offset off of ip to dst, a user virtual address
// if user_dst is 1, else a kernel address. Stops at the end of the file.
// Returns the number of bytes copied, or -1 if dst is a bad user address.
// Lock rule: caller holds ip->lock; may sleep.
int
readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  uint tot, m;

  if(off > ip->size || off + n < off)
    return 0;
  if(off + n > ip->size)
    n = ip->size - off;

  for(tot = 0; tot < n; tot += m, off += m, dst += m){
    uint addr = bmap(ip, off / BSIZE);
    if(addr == 0)
      break;
    struct buf *bp = bread(ip->dev, addr);
    m = min(n - tot, BSIZE - off % BSIZE);
    if(either_copyout(user_dst, dst, bp->data + off % BSIZE, m) == -1){
      brelse(bp);
      return -1;
    }
    brelse(bp);
  }
  return tot;
}

// Copy n bytes from src (a user address if user_src is 1) into ip at
// offset off, growing the file as needed. Returns the number of bytes
// written, which is less than n if the disk fills up, src goes bad part
// way, or the file reaches MAXFILE blocks; -1 if off lies past the end of
// the file or at MAXFILE blocks already.
// Lock rule: caller holds ip->lock, inside an operation.
int
writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
  uint tot, m;

  if(off > ip->size || off + n < off || off >= MAXFILE * BSIZE)
    return -1;
  if(off + n > MAXFILE * BSIZE)
    n = MAXFILE * BSIZE - off;

  for(tot = 0; tot < n; tot += m, off += m, src += m){
    uint addr = bmap(ip, off / BSIZE);
    if(addr == 0)
      break;
    struct buf *bp = bread(ip->dev, addr);
    m = min(n - tot, BSIZE - off % BSIZE);
    if(either_copyin(bp->data + off % BSIZE, user_src, src, m) == -1){
      brelse(bp);
      break;
    }
    log_write(bp);
    brelse(bp);
  }

  if(off > ip->size)
    ip->size = off;
  // bmap() may have added blocks to ip->addrs even if size is unchanged.
  iupdate(ip);
  return tot;
}

// Compare two directory-entry names (at most DIRSIZ characters).
int
namecmp(const char *s, const char *t)
{
  return strncmp(s, t, DIRSIZ);
}

// Find the entry name in directory dp. Returns its inode number, storing
// the entry's byte offset in *poff if poff is not 0, or 0 if there is none.
// Lock rule: caller holds dp->lock.
static uint
dirfind(struct inode *dp, char *name, uint *poff)
{
  struct dirent de;

  KASSERT(dp->type == T_DIR, "dirfind in non-directory inode %d", dp->inum);
  for(uint off = 0; off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64) &de, off, sizeof(de)) != sizeof(de))
      panic("dirfind: short read of directory %d", dp->inum);
    if(de.inum != 0 && namecmp(name, de.name) == 0){
      if(poff)
        *poff = off;
      return de.inum;
    }
  }
  return 0;
}

// Look for name in directory dp. Returns its inode, referenced and
// unlocked, storing the entry's byte offset in *poff if poff is not 0;
// returns 0 if there is no such entry or the inode table is full.
// Lock rule: caller holds dp->lock.
struct inode*
dirlookup(struct inode *dp, char *name, uint *poff)
{
  uint inum = dirfind(dp, name, poff);
  return inum ? iget(dp->dev, inum) : 0;
}

// Add the entry (name, inum) to directory dp, reusing a free slot if there
// is one. Returns 0, or -1 if name is already there, the disk is full, or
// dp has been removed (nlink 0): an entry in a removed directory could
// never be reached to be unlinked, so its inode and blocks would be lost
// when the directory is freed on its last reference.
// Lock rule: caller holds dp->lock, inside an operation.
int
dirlink(struct inode *dp, char *name, uint inum)
{
  struct dirent de;
  uint off;

  if(dp->nlink == 0 || dirfind(dp, name, 0) != 0)
    return -1;

  for(off = 0; off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64) &de, off, sizeof(de)) != sizeof(de))
      panic("dirlink: short read of directory %d", dp->inum);
    if(de.inum == 0)
      break;
  }

  // strncpy pads with zeros; a name of exactly DIRSIZ has no terminator,
  // which every reader allows for.
  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  if(writei(dp, 0, (uint64) &de, off, sizeof(de)) != sizeof(de))
    return -1;
  return 0;
}

// Copy the first element of path into name (at most DIRSIZ characters,
// longer ones are cut) and return what follows it, without leading
// slashes. Returns 0 if path holds no element.
// Examples: "a/bb/c" -> name "a", returns "bb/c"; "///a//bb" -> "a", "bb";
//           "a" -> "a", ""; "" and "////" -> 0.
static char*
skipelem(char *path, char *name)
{
  while(*path == '/')
    path++;
  if(*path == 0)
    return 0;

  char *start = path;
  while(*path != '/' && *path != 0)
    path++;
  int len = path - start;
  if(len >= DIRSIZ){
    memmove(name, start, DIRSIZ);
  } else {
    memmove(name, start, len);
    name[len] = 0;
  }
  while(*path == '/')
    path++;
  return path;
}

// Walk path from the root (if it starts with '/') or the current
// directory. With parent set, stop one element early, return that
// directory and copy the last element into name. Returns the inode,
// referenced and unlocked, or 0 if an element is missing or is not a
// directory.
// Lock rule: inside an operation (iput may free an inode); locks one
// directory at a time, so it cannot deadlock against another walk.
static struct inode*
namex(char *path, int parent, char *name)
{
  struct inode *ip, *next;

  if(*path == '/')
    ip = iget(ROOTDEV, ROOTINO);
  else
    ip = idup(myproc()->cwd);
  if(ip == 0)
    return 0;

  while((path = skipelem(path, name)) != 0){
    ilock(ip);
    if(ip->type != T_DIR){
      iunlockput(ip);
      return 0;
    }
    if(parent && *path == 0){
      iunlock(ip); // the caller wants the directory itself
      return ip;
    }
    if((next = dirlookup(ip, name, 0)) == 0){
      iunlockput(ip);
      return 0;
    }
    iunlockput(ip);
    ip = next;
  }
  if(parent){
    // path had no element at all ("/" or ""): it has no parent to give.
    iput(ip);
    return 0;
  }
  return ip;
}

// Return the inode path names, or 0.
// Lock rule: as namex().
struct inode*
namei(char *path)
{
  char name[DIRSIZ];
  return namex(path, 0, name);
}

// Return the directory holding the last element of path and copy that
// element into name (DIRSIZ bytes), or return 0.
// Lock rule: as namex().
struct inode*
nameiparent(char *path, char *name)
{
  return namex(path, 1, name);
}
