// mkfs: build the kernel's file-system image on the host.
//
//   mkfs fs.img file...
//
// writes an image of FSSIZE blocks with the layout of kernel/fs.h:
//   [ boot | super | log (LOGSIZE+1) | inodes (NINODES) | bitmap | data ]
// holding a root directory ("." and "..") and each input file under its
// base name, with a leading '_' removed (user/_cat -> cat) and a trailing
// ".md" removed (README.md -> README). Any error prints a message and
// exits with status 1; no partial image is left behind.
//
// The image is built in memory by small functions that take an image and
// plain values and return 0 or -1 with a message in img->err, so the
// layout logic can be unit-tested on the host: #include this file in a
// test built with -DMKFS_NO_MAIN -Wno-unused-function and call
// mkfs_layout(), img_create(), img_ialloc(), img_append(), img_dirlink(),
// install_name(), img_finish() and the decoders directly.
//
// Every multi-byte value goes through put16/put32 (and get16/get32), which
// store little-endian byte by byte, so the image is the same on any host.
// Data blocks are handed out in order from the first data block; inodes
// from ROOTINO upwards. Blocks in use are exactly those below
// img->freeblock, which is what img_finish() writes into the bitmap.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>

#define stat xv6_stat  // kernel/stat.h's struct stat is not the host's
#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/param.h"

#define NINODES 200  // inodes in the image (inode 0 is never used)

// The on-disk structures must have the size the kernel sees on RISC-V.
_Static_assert(sizeof(struct superblock) == 32, "superblock layout");
_Static_assert(sizeof(struct dinode) == 64, "dinode layout");
_Static_assert(sizeof(struct dirent) == 16, "dirent layout");
_Static_assert(BSIZE % sizeof(struct dinode) == 0, "inodes must tile a block");

struct image {
  uchar *data;          // size * BSIZE bytes, the whole disk
  struct superblock sb; // host-order copy of block 1
  uint freeblock;       // next data block to hand out
  uint freeinode;       // next inode number to hand out
  char err[200];        // why the last call failed
};

// ---- little-endian encoding ----

static void
put16(uchar *p, uint v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}

static void
put32(uchar *p, uint v)
{
  for(int i = 0; i < 4; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

static uint
get16(const uchar *p)
{
  return p[0] | (uint) p[1] << 8;
}

static uint
get32(const uchar *p)
{
  return p[0] | (uint) p[1] << 8 | (uint) p[2] << 16 | (uint) p[3] << 24;
}

// Record why the current call fails; returns -1 for `return fail(...)`.
static int
fail(struct image *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
fail(struct image *img, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(img->err, sizeof(img->err), fmt, ap);
  va_end(ap);
  return -1;
}

// ---- layout ----

// Compute the superblock of a disk of `size` blocks with `ninodes` inodes
// and a log area of `nlog` blocks (header included). Returns 0 with *sb
// filled in, or a message saying why no such layout exists.
// Example, size 4000, ninodes 200, nlog 31: boot 0, super 1, log 2..32,
// inodes 33..45 (16 per block), bitmap 46, data 47..3999 (3953 blocks).
static const char*
mkfs_layout(uint size, uint ninodes, uint nlog, struct superblock *sb)
{
  if(ninodes < ROOTINO + 1 || ninodes - 1 > 0xffff)
    return "inode count must leave room for the root and fit a dirent";
  if(nlog < 2)
    return "log needs a header and at least one block";
  uint ninodeblocks = (ninodes + IPB - 1) / IPB;
  uint nbitmap = (size + BPB - 1) / BPB;
  uint64 nmeta = 2 + (uint64) nlog + ninodeblocks + nbitmap;
  if(size <= nmeta)
    return "disk too small for its metadata";

  memset(sb, 0, sizeof(*sb));
  sb->magic = FSMAGIC;
  sb->size = size;
  sb->nblocks = size - nmeta;
  sb->ninodes = ninodes;
  sb->nlog = nlog;
  sb->logstart = 2;
  sb->inodestart = 2 + nlog;
  sb->bmapstart = 2 + nlog + ninodeblocks;
  return 0;
}

// Encode *sb into the 32 bytes at p, field by field.
static void
sb_encode(uchar *p, const struct superblock *sb)
{
  put32(p + offsetof(struct superblock, magic), sb->magic);
  put32(p + offsetof(struct superblock, size), sb->size);
  put32(p + offsetof(struct superblock, nblocks), sb->nblocks);
  put32(p + offsetof(struct superblock, ninodes), sb->ninodes);
  put32(p + offsetof(struct superblock, nlog), sb->nlog);
  put32(p + offsetof(struct superblock, logstart), sb->logstart);
  put32(p + offsetof(struct superblock, inodestart), sb->inodestart);
  put32(p + offsetof(struct superblock, bmapstart), sb->bmapstart);
}

// Decode the superblock at p into *sb (for tests and checks).
static void
sb_decode(const uchar *p, struct superblock *sb)
{
  sb->magic = get32(p + offsetof(struct superblock, magic));
  sb->size = get32(p + offsetof(struct superblock, size));
  sb->nblocks = get32(p + offsetof(struct superblock, nblocks));
  sb->ninodes = get32(p + offsetof(struct superblock, ninodes));
  sb->nlog = get32(p + offsetof(struct superblock, nlog));
  sb->logstart = get32(p + offsetof(struct superblock, logstart));
  sb->inodestart = get32(p + offsetof(struct superblock, inodestart));
  sb->bmapstart = get32(p + offsetof(struct superblock, bmapstart));
}

// The bytes of block b. Callers pass only blocks inside the image.
static uchar*
blockp(struct image *img, uint b)
{
  if(b >= img->sb.size){
    fprintf(stderr, "mkfs: internal error: block %u outside image\n", b);
    abort();
  }
  return img->data + (size_t) b * BSIZE;
}

// Set up an all-zero image with the given geometry and its superblock.
// Returns 0, or -1 with img->err set (bad geometry, no memory).
static int
img_create(struct image *img, uint size, uint ninodes, uint nlog)
{
  const char *why;

  memset(img, 0, sizeof(*img));
  if((why = mkfs_layout(size, ninodes, nlog, &img->sb)) != 0)
    return fail(img, "bad layout: %s", why);
  if((img->data = calloc(size, BSIZE)) == 0)
    return fail(img, "out of memory for a %u-block image", size);
  img->freeblock = size - img->sb.nblocks;
  img->freeinode = ROOTINO;
  sb_encode(blockp(img, 1), &img->sb);
  return 0;
}

// Free the image's memory.
static void
img_destroy(struct image *img)
{
  free(img->data);
  img->data = 0;
}

// ---- inodes ----

// The 64 bytes of inode inum.
static uchar*
inodep(struct image *img, uint inum)
{
  return blockp(img, IBLOCK(inum, img->sb)) + (inum % IPB) * sizeof(struct dinode);
}

// Decode inode inum into *din.
static void
rinode(struct image *img, uint inum, struct dinode *din)
{
  uchar *p = inodep(img, inum);
  din->type = get16(p + offsetof(struct dinode, type));
  din->major = get16(p + offsetof(struct dinode, major));
  din->minor = get16(p + offsetof(struct dinode, minor));
  din->nlink = get16(p + offsetof(struct dinode, nlink));
  din->size = get32(p + offsetof(struct dinode, size));
  for(int i = 0; i < NDIRECT + 1; i++)
    din->addrs[i] = get32(p + offsetof(struct dinode, addrs) + 4 * i);
}

// Encode *din as inode inum.
static void
winode(struct image *img, uint inum, const struct dinode *din)
{
  uchar *p = inodep(img, inum);
  put16(p + offsetof(struct dinode, type), din->type);
  put16(p + offsetof(struct dinode, major), din->major);
  put16(p + offsetof(struct dinode, minor), din->minor);
  put16(p + offsetof(struct dinode, nlink), din->nlink);
  put32(p + offsetof(struct dinode, size), din->size);
  for(int i = 0; i < NDIRECT + 1; i++)
    put32(p + offsetof(struct dinode, addrs) + 4 * i, din->addrs[i]);
}

// Allocate the next inode with the given type, one link and no data.
// Returns its number, or 0 with img->err set if all are used.
static uint
img_ialloc(struct image *img, short type)
{
  struct dinode din;

  if(img->freeinode >= img->sb.ninodes){
    fail(img, "too many files: the image has %u inodes", img->sb.ninodes - 1);
    return 0;
  }
  uint inum = img->freeinode++;
  memset(&din, 0, sizeof(din));
  din.type = type;
  din.nlink = 1;
  winode(img, inum, &din);
  return inum;
}

// Hand out the next data block (the image starts zeroed). Returns its
// number, or 0 with img->err set if the disk is full.
static uint
img_balloc(struct image *img)
{
  if(img->freeblock >= img->sb.size){
    fail(img, "disk full: all %u data blocks used", img->sb.nblocks);
    return 0;
  }
  return img->freeblock++;
}

// Return the disk block holding block fbn of the file *din, allocating
// it (and the indirect block) if needed. Returns 0 with img->err set if
// fbn is past MAXFILE or the disk is full.
static uint
img_bmap(struct image *img, struct dinode *din, uint fbn)
{
  if(fbn < NDIRECT){
    if(din->addrs[fbn] == 0)
      din->addrs[fbn] = img_balloc(img);
    return din->addrs[fbn];
  }
  fbn -= NDIRECT;
  if(fbn >= NINDIRECT){
    fail(img, "file too large: more than %lu blocks", (unsigned long) MAXFILE);
    return 0;
  }
  if(din->addrs[NDIRECT] == 0 && (din->addrs[NDIRECT] = img_balloc(img)) == 0)
    return 0;
  uchar *ind = blockp(img, din->addrs[NDIRECT]) + 4 * fbn;
  uint b = get32(ind);
  if(b == 0 && (b = img_balloc(img)) != 0)
    put32(ind, b);
  return b;
}

// Append n bytes from data to the end of inode inum.
// Returns 0, or -1 with img->err set (too large, disk full).
static int
img_append(struct image *img, uint inum, const void *data, uint n)
{
  const uchar *src = data;
  struct dinode din;
  int r = 0;

  rinode(img, inum, &din);
  if((uint64) din.size + n > (uint64) MAXFILE * BSIZE)
    return fail(img, "file too large: %llu bytes, at most %lu",
                (unsigned long long) din.size + n, (unsigned long) (MAXFILE * BSIZE));
  while(n > 0){
    uint off = din.size;
    uint b = img_bmap(img, &din, off / BSIZE);
    if(b == 0){
      r = -1;
      break;
    }
    uint m = BSIZE - off % BSIZE;
    if(m > n)
      m = n;
    memcpy(blockp(img, b) + off % BSIZE, src, m);
    din.size += m;
    src += m;
    n -= m;
  }
  winode(img, inum, &din); // keep what was written, even on failure
  return r;
}

// ---- directories ----

// Look for name in directory dir. Returns its inode number, or 0.
static uint
img_dirlookup(struct image *img, uint dir, const char *name)
{
  struct dinode din;

  rinode(img, dir, &din);
  for(uint off = 0; off < din.size; off += sizeof(struct dirent)){
    uchar *de = blockp(img, img_bmap(img, &din, off / BSIZE)) + off % BSIZE;
    uint inum = get16(de + offsetof(struct dirent, inum));
    if(inum != 0 && strncmp((char *) de + offsetof(struct dirent, name), name, DIRSIZ) == 0)
      return inum;
  }
  return 0;
}

// Add the entry (name, inum) to directory dir. Returns 0, or -1 with
// img->err set if name is empty, longer than DIRSIZ, already present, or
// the directory cannot grow.
static int
img_dirlink(struct image *img, uint dir, const char *name, uint inum)
{
  uchar de[sizeof(struct dirent)];

  if(name[0] == 0 || strlen(name) > DIRSIZ)
    return fail(img, "bad file name '%s' (1 to %d characters)", name, DIRSIZ);
  if(strchr(name, '/') != 0)
    return fail(img, "file name '%s' contains '/'", name);
  if(img_dirlookup(img, dir, name) != 0)
    return fail(img, "duplicate file name '%s'", name);
  memset(de, 0, sizeof(de));
  put16(de + offsetof(struct dirent, inum), inum);
  memcpy(de + offsetof(struct dirent, name), name, strlen(name));  // zero padded
  return img_append(img, dir, de, sizeof(de));
}

// Create the root directory, inode ROOTINO, with "." and ".." naming
// itself. Returns 0, or -1 with img->err set.
static int
img_mkroot(struct image *img)
{
  uint root = img_ialloc(img, T_DIR);
  if(root == 0)
    return -1;
  if(root != ROOTINO)
    return fail(img, "root directory got inode %u, not %d", root, ROOTINO);
  if(img_dirlink(img, root, ".", root) < 0 || img_dirlink(img, root, "..", root) < 0)
    return -1;
  return 0;
}

// Mark every block handed out so far as used in the bitmap. Call it once,
// after the last allocation.
static void
img_finish(struct image *img)
{
  for(uint b = 0; b < img->freeblock; b++){
    uchar *bm = blockp(img, BBLOCK(b, img->sb));
    uint bi = b % BPB;
    bm[bi / 8] |= 1 << (bi % 8);
  }
}

// ---- names and files ----

// The name a host path gets in the root directory: the part after the
// last '/', without a leading '_' and without a trailing ".md".
// Writes it to out (DIRSIZ+1 bytes). Returns 0, or -1 if it is empty or
// longer than DIRSIZ.
// Examples: "user/_cat" -> "cat"; "README.md" -> "README"; "a/b/" -> -1.
static int
install_name(const char *path, char *out)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if(base[0] == '_')
    base++;
  size_t len = strlen(base);
  if(len > 3 && strcmp(base + len - 3, ".md") == 0)
    len -= 3;
  if(len == 0 || len > DIRSIZ)
    return -1;
  memcpy(out, base, len);
  out[len] = 0;
  return 0;
}

// Add the bytes data[0..n) to directory dir as a regular file called name.
// Returns 0, or -1 with img->err set.
static int
img_addfile(struct image *img, uint dir, const char *name, const void *data, uint n)
{
  if(img_dirlookup(img, dir, name) != 0)
    return fail(img, "duplicate file name '%s'", name);
  uint inum = img_ialloc(img, T_FILE);
  if(inum == 0)
    return -1;
  if(img_append(img, inum, data, n) < 0)
    return -1;
  return img_dirlink(img, dir, name, inum);
}

#ifndef MKFS_NO_MAIN

static void
die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void
die(const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "mkfs: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  exit(1);
}

// Read the whole of path into a new buffer, at most `max` bytes. Sets *n
// and returns the buffer; exits with a message on any error.
static uchar*
read_input(const char *path, size_t max, size_t *n)
{
  FILE *f = fopen(path, "rb");
  if(f == 0)
    die("cannot open %s: %s", path, strerror(errno));
  uchar *buf = malloc(max + 1);
  if(buf == 0)
    die("out of memory reading %s", path);
  *n = fread(buf, 1, max + 1, f);
  if(ferror(f))
    die("cannot read %s: %s", path, strerror(errno));
  fclose(f);
  if(*n > max)
    die("%s is too large: files hold at most %zu bytes", path, max);
  return buf;
}

// Write the image to path; exits with a message on any error.
static void
write_image(struct image *img, const char *path)
{
  FILE *f = fopen(path, "wb");
  if(f == 0)
    die("cannot create %s: %s", path, strerror(errno));
  if(fwrite(img->data, BSIZE, img->sb.size, f) != img->sb.size || fflush(f) != 0){
    fclose(f);
    remove(path);
    die("cannot write %s: %s", path, strerror(errno));
  }
  if(fclose(f) != 0){
    remove(path);
    die("cannot write %s: %s", path, strerror(errno));
  }
}

int
main(int argc, char *argv[])
{
  struct image img;
  char name[DIRSIZ + 1];

  if(argc < 2)
    die("usage: mkfs fs.img file...");
  if(img_create(&img, FSSIZE, NINODES, LOGSIZE + 1) < 0 || img_mkroot(&img) < 0)
    die("%s", img.err);

  for(int i = 2; i < argc; i++){
    size_t n;
    if(install_name(argv[i], name) < 0)
      die("%s: name must be 1 to %d characters once '_' and '.md' are removed",
          argv[i], DIRSIZ);
    uchar *data = read_input(argv[i], MAXFILE * BSIZE, &n);
    if(img_addfile(&img, ROOTINO, name, data, n) < 0)
      die("%s: %s", argv[i], img.err);
    free(data);
  }

  img_finish(&img);
  struct superblock check;
  sb_decode(blockp(&img, 1), &check);
  if(memcmp(&check, &img.sb, sizeof(check)) != 0)
    die("internal error: superblock does not decode to what was encoded");
  write_image(&img, argv[1]);
  printf("mkfs: %s: %u blocks (%u meta, %u data, %u used), %u of %u inodes used\n",
         argv[1], img.sb.size, img.sb.size - img.sb.nblocks, img.sb.nblocks,
         img.freeblock - (img.sb.size - img.sb.nblocks), img.freeinode - 1,
         img.sb.ninodes - 1);
  img_destroy(&img);
  return 0;
}

#endif // MKFS_NO_MAIN
