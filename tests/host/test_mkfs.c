// Host unit test of mkfs (mkfs/mkfs.c, #included with -DMKFS_NO_MAIN),
// built with the host gcc under AddressSanitizer and UBSan.
//
//   test_mkfs [-s seed] [-n images]
//
// Images are built in memory through mkfs's own functions and then read
// back by a small independent checker (an fsck written from kernel/fs.h,
// decoding every field byte by byte), which insists on: a superblock that
// matches the layout, each file under its name with its exact bytes,
// every block owned once, the bitmap marking exactly the blocks in use,
// unused inodes and the log all zero. The randomized test draws geometry,
// names, sizes and contents from a seed (-s, else the time) and predicts
// when mkfs must refuse a file (disk full, inodes used up).
#include "mkfs/mkfs.c"

#include <stdlib.h>
#include <time.h>

#include "testlib.h"

#define MAXBYTES (MAXFILE * BSIZE)
#define MAXFILES 300

// What a test put into an image, to compare with what the checker reads.
struct file {
  char name[DIRSIZ + 1];
  uchar *data;
  uint n;
};

// ---- an independent reader ----

static uint
le16(const uchar *p)
{
  return p[0] | p[1] << 8;
}

static uint
le32(const uchar *p)
{
  return (uint)p[0] | (uint)p[1] << 8 | (uint)p[2] << 16 | (uint)p[3] << 24;
}

static const uchar *
blk(struct image *img, uint b)
{
  return img->data + (size_t)b * BSIZE;
}

// Fields of inode inum, straight from the bytes (layout of struct dinode:
// type, major, minor, nlink as 16 bits, size, then NDIRECT+1 addresses).
struct ino {
  uint type, major, minor, nlink, size;
  uint addrs[NDIRECT + 1];
};

static void
read_ino(struct image *img, const uchar *sbp, uint inum, struct ino *ip)
{
  uint inodestart = le32(sbp + 24);
  const uchar *p = blk(img, inodestart + inum / (BSIZE / 64)) + (inum % (BSIZE / 64)) * 64;
  ip->type = le16(p);
  ip->major = le16(p + 2);
  ip->minor = le16(p + 4);
  ip->nlink = le16(p + 6);
  ip->size = le32(p + 8);
  for(int i = 0; i < NDIRECT + 1; i++)
    ip->addrs[i] = le32(p + 12 + 4 * i);
}

struct fsck {
  struct image *img;
  const uchar *sb;
  uint size, nblocks, ninodes, nlog, logstart, inodestart, bmapstart;
  uint nbitmap, datastart;
  uchar *owner;         // per block: 0 free, 1 metadata, 2 owned by an inode
  uchar *seen;          // per inode: named by a directory entry
  int errors;
};

static void
fsck_fail(struct fsck *f, const char *what, uint a, uint b)
{
  if(f->errors++ < 10)
    printf("  fsck: %s (%u, %u)\n", what, a, b);
}

// Claim block b for an inode: it must be a data block nobody owns.
static void
claim(struct fsck *f, uint b, uint inum)
{
  if(b < f->datastart || b >= f->size)
    fsck_fail(f, "inode points outside the data blocks: inode, block", inum, b);
  else if(f->owner[b] != 0)
    fsck_fail(f, "block owned twice: inode, block", inum, b);
  else
    f->owner[b] = 2;
}

// Read the whole of inode inum into a new buffer (its size in *n),
// claiming its blocks. Holes and stray addresses past the end are errors.
static uchar *
read_file(struct fsck *f, uint inum, uint *n)
{
  struct ino in;
  read_ino(f->img, f->sb, inum, &in);
  uint nb = (in.size + BSIZE - 1) / BSIZE;
  uchar *out = malloc(in.size + 1);
  const uchar *ind = 0;

  if(nb > MAXFILE)
    fsck_fail(f, "file larger than MAXFILE blocks: inode, blocks", inum, nb);
  if(nb > NDIRECT && in.addrs[NDIRECT] == 0)
    fsck_fail(f, "large file without an indirect block: inode, blocks", inum, nb);
  if(nb <= NDIRECT && in.addrs[NDIRECT] != 0)
    fsck_fail(f, "small file with an indirect block: inode, blocks", inum, nb);
  if(in.addrs[NDIRECT] != 0){
    claim(f, in.addrs[NDIRECT], inum);
    ind = blk(f->img, in.addrs[NDIRECT] < f->size ? in.addrs[NDIRECT] : 0);
  }
  for(uint i = 0; i < NDIRECT + NINDIRECT && f->errors == 0; i++){
    uint b = i < NDIRECT ? in.addrs[i] : (ind ? le32(ind + 4 * (i - NDIRECT)) : 0);
    if(i >= nb){
      if(b != 0)
        fsck_fail(f, "address past the end of the file: inode, index", inum, i);
      continue;
    }
    if(b == 0){
      fsck_fail(f, "hole in a file: inode, index", inum, i);
      continue;
    }
    claim(f, b, inum);
    uint m = in.size - i * BSIZE < BSIZE ? in.size - i * BSIZE : BSIZE;
    if(b < f->size)
      memcpy(out + i * BSIZE, blk(f->img, b), m);
  }
  *n = in.size;
  return out;
}

// Decode the superblock and check that the regions lie back to back with
// the geometry the image was made with. Returns the number of errors.
static int
fsck_super(struct fsck *f)
{
  f->size = le32(f->sb + 4);
  f->nblocks = le32(f->sb + 8);
  f->ninodes = le32(f->sb + 12);
  f->nlog = le32(f->sb + 16);
  f->logstart = le32(f->sb + 20);
  f->inodestart = le32(f->sb + 24);
  f->bmapstart = le32(f->sb + 28);
  f->nbitmap = (f->size + BSIZE * 8 - 1) / (BSIZE * 8);
  f->datastart = f->bmapstart + f->nbitmap;

  if(le32(f->sb) != FSMAGIC)
    fsck_fail(f, "bad magic", le32(f->sb), FSMAGIC);
  if(f->size != f->img->sb.size || f->ninodes != f->img->sb.ninodes ||
     f->nlog != f->img->sb.nlog)
    fsck_fail(f, "superblock differs from the geometry asked for", f->size, f->img->sb.size);
  if(f->logstart != 2 || f->inodestart != 2 + f->nlog ||
     f->bmapstart != f->inodestart + (f->ninodes + BSIZE / 64 - 1) / (BSIZE / 64) ||
     f->nblocks != f->size - f->datastart)
    fsck_fail(f, "regions not laid out back to back: bmapstart, datastart",
              f->bmapstart, f->datastart);
  for(uint b = 0; b < f->inodestart && f->errors == 0; b++)
    for(int i = 0; i < BSIZE; i++)
      if(b != 1 && blk(f->img, b)[i] != 0){
        fsck_fail(f, "boot or log block not zero: block, byte", b, i);
        break;
      }
  return f->errors;
}

// Check directory entry k of the root (0 is ".", 1 is "..", then the
// files in order) and, for a file, its inode and contents.
static void
fsck_entry(struct fsck *f, const uchar *de, uint k, struct file *files)
{
  uint inum = le16(de);
  char name[DIRSIZ + 1] = {0};
  memcpy(name, de + 2, DIRSIZ);
  const char *want = k == 0 ? "." : k == 1 ? ".." : files[k - 2].name;

  if(strcmp(name, want) != 0 || (strlen(want) < DIRSIZ && de[2 + DIRSIZ - 1] != 0))
    fsck_fail(f, "directory entry has the wrong name: entry, inode", k, inum);
  if(k < 2){
    if(inum != ROOTINO)
      fsck_fail(f, "'.' or '..' of the root is not the root: entry, inode", k, inum);
    return;
  }
  if(inum <= ROOTINO || inum >= f->ninodes || f->seen[inum]){
    fsck_fail(f, "directory entry with a bad or repeated inode: entry, inode", k, inum);
    return;
  }
  f->seen[inum] = 1;
  struct ino in;
  read_ino(f->img, f->sb, inum, &in);
  if(in.type != T_FILE || in.nlink != 1 || in.major || in.minor)
    fsck_fail(f, "file inode: type, nlink", in.type, in.nlink);
  uint n;
  uchar *data = read_file(f, inum, &n);
  if(n != files[k - 2].n || memcmp(data, files[k - 2].data, n) != 0)
    fsck_fail(f, "file contents differ: entry, size", k, n);
  free(data);
}

// Every inode no entry names is all zero; the bitmap marks exactly the
// metadata and the blocks inodes own, and nothing past the disk's end.
static void
fsck_unused(struct fsck *f)
{
  for(uint inum = 0; inum < f->ninodes; inum++){
    if(f->seen[inum])
      continue;
    const uchar *p = blk(f->img, f->inodestart + inum / (BSIZE / 64)) + (inum % (BSIZE / 64)) * 64;
    for(int i = 0; i < 64; i++)
      if(p[i] != 0){
        fsck_fail(f, "inode in no directory is not zero: inode, byte", inum, i);
        break;
      }
  }
  for(uint b = 0; b < f->nbitmap * BSIZE * 8; b++){
    uint bit = (blk(f->img, f->bmapstart + b / (BSIZE * 8))[(b % (BSIZE * 8)) / 8] >> (b % 8)) & 1;
    uint used = b < f->size && f->owner[b] != 0;
    if(bit != used)
      fsck_fail(f, "bitmap bit wrong: block, bit", b, bit);
  }
}

// Check the whole image against the files it should hold (in directory
// order). Returns the number of errors found.
static int
fsck(struct image *img, struct file *files, int nfiles)
{
  struct fsck f = { .img = img, .sb = blk(img, 1) };

  if(fsck_super(&f))
    return f.errors;
  f.owner = calloc(f.size, 1);
  f.seen = calloc(f.ninodes, 1);
  for(uint b = 0; b < f.datastart; b++)
    f.owner[b] = 1;

  struct ino root;
  read_ino(img, f.sb, ROOTINO, &root);
  if(root.type != T_DIR || root.nlink < 1)
    fsck_fail(&f, "root is not a directory: type, nlink", root.type, root.nlink);
  uint dsize;
  uchar *dir = read_file(&f, ROOTINO, &dsize);
  if(dsize != (2 + nfiles) * 16)
    fsck_fail(&f, "root directory size: bytes, expected", dsize, (2 + nfiles) * 16);
  f.seen[ROOTINO] = 1;
  for(uint k = 0; k * 16 < dsize && k < 2 + (uint)nfiles && f.errors == 0; k++)
    fsck_entry(&f, dir + k * 16, k, files);
  free(dir);
  fsck_unused(&f);
  free(f.seen);
  free(f.owner);
  return f.errors;
}

// ---- helpers ----

static long nimages = 150;

static void
fill(struct file *fl, const char *name, uint n)
{
  snprintf(fl->name, sizeof(fl->name), "%s", name);
  fl->n = n;
  fl->data = malloc(n + 1);
  for(uint i = 0; i < n; i++)
    fl->data[i] = rng();
}

static void
free_files(struct file *files, int n)
{
  for(int i = 0; i < n; i++)
    free(files[i].data);
}

// ---- tests ----

static void
test_layout_example(void)
{
  struct superblock sb;
  CHECK(mkfs_layout(4000, 200, 31, &sb) == 0);
  CHECK_EQ(sb.magic, FSMAGIC);
  CHECK_EQ(sb.size, 4000);
  CHECK_EQ(sb.logstart, 2);
  CHECK_EQ(sb.inodestart, 33);
  CHECK_EQ(sb.bmapstart, 46);
  CHECK_EQ(sb.nblocks, 3953);

  // The image `make` builds: the kernel's sizes.
  struct image img;
  CHECK(img_create(&img, FSSIZE, NINODES, LOGSIZE + 1) == 0);
  CHECK(img_mkroot(&img) == 0);
  img_finish(&img);
  CHECK_EQ(fsck(&img, 0, 0), 0);
  struct superblock back;
  sb_decode(blockp(&img, 1), &back);
  CHECK(memcmp(&back, &img.sb, sizeof(back)) == 0);
  img_destroy(&img);
}

static void
test_layout_errors(void)
{
  struct superblock sb;
  CHECK(mkfs_layout(4000, ROOTINO, 31, &sb) != 0);       // no inode for the root
  CHECK(mkfs_layout(4000, 0x10002, 31, &sb) != 0);       // inum must fit a dirent
  CHECK(mkfs_layout(4000, 200, 1, &sb) != 0);            // log without a data block
  // Metadata of 2 + 2 + 1 + 1 blocks: a disk of 6 has no data block, 7 has one.
  CHECK(mkfs_layout(6, 16, 2, &sb) != 0);
  CHECK(mkfs_layout(7, 16, 2, &sb) == 0);
  CHECK_EQ(sb.nblocks, 1);
  struct image img;
  CHECK(img_create(&img, 5, 16, 2) < 0);
  CHECK(strstr(img.err, "too small") != 0);
}

static void
test_install_name(void)
{
  static const struct {
    const char *path, *name;
  } ok[] = {
    { "user/_cat", "cat" }, { "README.md", "README" }, { "a/b/x.md", "x" },
    { ".md", ".md" }, { "_", 0 }, { "a/b/", 0 }, { "", 0 },
    { "abcdefghijklmn", "abcdefghijklmn" }, { "abcdefghijklmno", 0 },
    { "user/_abcdefghijklmn.md", "abcdefghijklmn" }, { "x__y", "x__y" },
  };
  for(size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++){
    char out[DIRSIZ + 1] = "junk";
    int r = install_name(ok[i].path, out);
    if(ok[i].name == 0){
      CHECK_EQ(r, -1);
    } else {
      CHECK_EQ(r, 0);
      CHECK_STR(out, ok[i].name);
    }
  }
}

// Files of every size class: empty, partial block, exact blocks, just
// into the indirect block, and the largest file.
static void
test_sizes(void)
{
  static const uint sizes[] = {
    0, 1, BSIZE - 1, BSIZE, BSIZE + 1, NDIRECT * BSIZE - 1, NDIRECT * BSIZE,
    NDIRECT * BSIZE + 1, MAXBYTES - 1, MAXBYTES,
  };
  enum { N = sizeof(sizes) / sizeof(sizes[0]) };
  struct file files[N];
  struct image img;

  testlib_rng_state = 12345;    // fixed contents: this test is not random
  CHECK(img_create(&img, FSSIZE, NINODES, LOGSIZE + 1) == 0);
  CHECK(img_mkroot(&img) == 0);
  for(int i = 0; i < N; i++){
    char name[16];
    snprintf(name, sizeof(name), "f%d", i);
    fill(&files[i], name, sizes[i]);
    CHECK(img_addfile(&img, ROOTINO, files[i].name, files[i].data, files[i].n) == 0);
  }
  img_finish(&img);
  CHECK_EQ(fsck(&img, files, N), 0);
  img_destroy(&img);
  free_files(files, N);
}

// Every refusal says why and returns -1.
static void
test_refusals(void)
{
  struct image img;
  static uchar big[MAXBYTES + 1];

  CHECK(img_create(&img, FSSIZE, NINODES, LOGSIZE + 1) == 0);
  CHECK(img_mkroot(&img) == 0);
  CHECK(img_addfile(&img, ROOTINO, "big", big, MAXBYTES + 1) < 0);
  CHECK(strstr(img.err, "too large") != 0);
  CHECK(img_addfile(&img, ROOTINO, "a", "x", 1) == 0);
  CHECK(img_addfile(&img, ROOTINO, "a", "y", 1) < 0);
  CHECK(strstr(img.err, "duplicate") != 0);
  CHECK(img_dirlink(&img, ROOTINO, "", 3) < 0);
  CHECK(img_dirlink(&img, ROOTINO, "abcdefghijklmno", 3) < 0);
  CHECK(img_dirlink(&img, ROOTINO, "a/b", 3) < 0);
  CHECK(strstr(img.err, "'/'") != 0);
  img_destroy(&img);

  // 16 inodes, 0 and 1 taken: 14 files fit, the 15th does not.
  CHECK(img_create(&img, 200, 16, 2) == 0);
  CHECK(img_mkroot(&img) == 0);
  for(int i = 0; i < 14; i++){
    char name[16];
    snprintf(name, sizeof(name), "n%d", i);
    CHECK(img_addfile(&img, ROOTINO, name, "", 0) == 0);
  }
  CHECK(img_addfile(&img, ROOTINO, "last", "", 0) < 0);
  CHECK(strstr(img.err, "too many files") != 0);
  img_destroy(&img);

  // A disk of 20 blocks (6 metadata, 1 for the root): 13 data blocks left.
  CHECK(img_create(&img, 20, 16, 2) == 0);
  CHECK(img_mkroot(&img) == 0);
  CHECK(img_addfile(&img, ROOTINO, "fits", big, 12 * BSIZE) == 0);
  CHECK(img_addfile(&img, ROOTINO, "one", big, 1) == 0);
  CHECK(img_addfile(&img, ROOTINO, "full", big, 1) < 0);
  CHECK(strstr(img.err, "disk full") != 0);
  img_destroy(&img);
}

// A random file size, biased to the boundaries between size classes.
static uint
random_size(uint limit)
{
  static const uint edges[] = { 0, 1, BSIZE, NDIRECT * BSIZE, MAXBYTES };
  uint n;
  switch(rnd(4)){
  case 0:
    n = edges[rnd(5)] + rnd(3) - 1;
    if(n > MAXBYTES)
      n = rnd(2) ? 0 : MAXBYTES;
    break;
  case 1:
    n = rnd(MAXBYTES + 1);
    break;
  default:
    n = rnd(4 * BSIZE);
    break;
  }
  return n < limit ? n : limit;
}

static void
random_name(char *name, int k)
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
  int len = 1 + rnd(DIRSIZ);
  for(int i = 0; i < len; i++)
    name[i] = chars[rnd(sizeof(chars) - 1)];
  name[len] = 0;
  // Make it unique: a number and a '~' in front, cut back to DIRSIZ.
  char tmp[64];
  snprintf(tmp, sizeof(tmp), "%d~%s", k, name);
  tmp[DIRSIZ] = 0;
  strcpy(name, tmp);
}

// Data blocks a file of n bytes needs, its indirect block included.
static uint
blocks_for(uint n)
{
  uint nb = (n + BSIZE - 1) / BSIZE;
  return nb + (nb > NDIRECT);
}

// Add fl to the root: in one call, or (half the time) through the pieces,
// appending in random chunks. Returns 0, or -1 with img->err set.
static int
add_file(struct image *img, struct file *fl)
{
  if(rnd(2))
    return img_addfile(img, ROOTINO, fl->name, fl->data, fl->n);
  uint inum = img_ialloc(img, T_FILE);
  if(inum == 0)
    return -1;
  for(uint off = 0; off < fl->n; ){
    uint k = 1 + rnd(3 * BSIZE);
    k = k < fl->n - off ? k : fl->n - off;
    if(img_append(img, inum, fl->data + off, k) < 0)
      return -1;
    off += k;
  }
  return img_dirlink(img, ROOTINO, fl->name, inum);
}

// One random image: add files until mkfs must refuse one, predicting
// the refusal from a model of free blocks and inodes; then check it all.
static int
random_image(void)
{
  static struct file files[MAXFILES];
  struct image img;
  int nfiles = 0, bad = 0;
  uint ninodes = 2 + rnd(MAXFILES);
  uint nlog = 2 + rnd(40);
  uint nmeta = 2 + nlog + (ninodes + IPB - 1) / IPB + 1;
  uint size = nmeta + 1 + rnd(rnd(2) ? 300 : 4000);

  if(img_create(&img, size, ninodes, nlog) < 0 || img_mkroot(&img) < 0){
    printf("  image %u blocks, %u inodes, %u log: %s\n", size, ninodes, nlog, img.err);
    return 1;
  }
  uint freeblocks = img.sb.nblocks - 1, freeinodes = ninodes - 2, dirsize = 32;
  for(;;){
    struct file *fl = &files[nfiles];
    char name[DIRSIZ + 1];
    random_name(name, nfiles);
    fill(fl, name, random_size(rnd(8) == 0 ? MAXBYTES : freeblocks * BSIZE + BSIZE));
    uint need = blocks_for(fl->n) + (dirsize % BSIZE == 0);
    int refuse = freeinodes == 0 || need > freeblocks;
    if(refuse){
      // Check what is there before mkfs half-adds the file and gives up.
      img_finish(&img);
      bad += fsck(&img, files, nfiles);
    }
    int r = add_file(&img, fl);
    if(refuse){
      const char *why = freeinodes == 0 ? "too many files" : "disk full";
      if(r == 0 || strstr(img.err, why) == 0){
        printf("  file %d of %u bytes: result %d \"%s\", expected a refusal: %s\n",
               nfiles, fl->n, r, r ? img.err : "", why);
        bad++;
      }
      nfiles++;
      break;
    }
    if(r != 0){
      printf("  file %d of %u bytes refused (%s); the model says it fits\n",
             nfiles, fl->n, img.err);
      bad++;
      nfiles++;
      break;
    }
    freeblocks -= need;
    freeinodes--;
    dirsize += 16;
    nfiles++;
    if(nfiles == MAXFILES)
      break;
  }
  if(bad)
    printf("  in an image of %u blocks, %u inodes, %u log blocks\n", size, ninodes, nlog);
  img_destroy(&img);
  free_files(files, nfiles);
  return bad;
}

static void
test_random(void)
{
  printf("  random: seed %llu, %ld images (replay: -s %llu)\n", testlib_seed, nimages,
         testlib_seed);
  rng_reseed();
  for(int i = 0; i < nimages; i++){
    if(random_image()){
      printf("  random: image %d FAILED with seed %llu (replay: make host-tests MKFS_SEED=%llu)\n",
             i, testlib_seed, testlib_seed);
      testlib_fail(__FILE__, __LINE__, "random image");
      break;
    }
  }
}

int
main(int argc, char **argv)
{
  testlib_args(argc, argv, "MKFS_SEED", &nimages, "test_mkfs [-s seed] [-n images]");
  RUN_TEST(test_layout_example);
  RUN_TEST(test_layout_errors);
  RUN_TEST(test_install_name);
  RUN_TEST(test_sizes);
  RUN_TEST(test_refusals);
  RUN_TEST(test_random);
  return test_summary();
}
