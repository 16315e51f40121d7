// Host unit test of the device tree reader, kernel/fdt.c, built with the
// host gcc under AddressSanitizer and UBSan (tests/host/host.mk).
//
//   test_fdt [-s seed] [-n iterations] [-q qemu-dump.dtb] DTBDIR
//
// DTBDIR holds the .dtb files that dtc built from tests/host/fdt/*.dts:
// trees QEMU and OpenSBI really pass the kernel, and hand-written corner
// cases. -q names a tree just dumped by `qemu-system-riscv64 -machine
// virt,dumpdtb=FILE -m 128M -smp 3`, checked like virt-128m-qemu.dts.
//
// Every blob is copied into a heap buffer of exactly the size the parser
// is allowed to read, so ASan reports any read past it. Corrupt blobs come
// from patching valid ones, from a small builder of synthetic blobs, and
// from random mutation with a seed (-s, else the time) printed up front.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/fdt.h"
#include "testlib.h"

static const char *dtbdir;
static const char *live_dtb;
static long fuzz_iters = 20000;

// ---- blobs ----

struct blob {
  unsigned char *p;
  size_t len;
};

static uint32_t
get32(const unsigned char *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void
put32(unsigned char *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

// Header fields, by byte offset.
enum {
  H_MAGIC = 0, H_TOTAL = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12,
  H_OFF_RSV = 16, H_VERSION = 20, H_LAST_COMP = 24, H_SIZE_STRINGS = 32,
  H_SIZE_STRUCT = 36,
};

static uint32_t
hdr(const struct blob *b, int field)
{
  return get32(b->p + field);
}

// A heap copy of the first len bytes of src in a buffer of exactly len
// bytes (at least 1, so malloc never returns a shared zero-size block).
static struct blob
blob_copy(const unsigned char *src, size_t len, size_t srclen)
{
  struct blob b = { malloc(len ? len : 1), len };

  if(b.p == NULL){
    perror("malloc");
    exit(2);
  }
  memcpy(b.p, src, len < srclen ? len : srclen);
  return b;
}

static void
blob_free(struct blob *b)
{
  free(b->p);
  b->p = NULL;
}

// Read DTBDIR/name (or a path when dir is NULL); exits when it is missing,
// since the build made it.
static struct blob
blob_load(const char *dir, const char *name)
{
  char path[1024];
  FILE *fp;
  long n;
  struct blob b;

  snprintf(path, sizeof(path), "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
  if((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0){
    perror(path);
    exit(2);
  }
  rewind(fp);
  b = blob_copy((const unsigned char *)"", n, 0);
  if(fread(b.p, 1, n, fp) != (size_t)n){
    perror(path);
    exit(2);
  }
  fclose(fp);
  return b;
}

static int
info_is_zero(const struct bootinfo *info)
{
  static const struct bootinfo zero;
  return memcmp(info, &zero, sizeof(zero)) == 0;
}

// Parse b with maxsize = its length; a failure must leave *info zero.
static int
parse(const struct blob *b, struct bootinfo *info)
{
  int r;

  memset(info, 0xa5, sizeof(*info));
  r = fdt_parse(b->p, b->len, info);
  if(r < 0)
    CHECK(info_is_zero(info));
  return r;
}

// Parse a copy of b after `patch` wrote one big-endian word at off.
static int
parse_patched(const struct blob *b, size_t off, uint32_t val, struct bootinfo *info)
{
  struct blob c = blob_copy(b->p, b->len, b->len);
  int r;

  put32(c.p + off, val);
  r = parse(&c, info);
  blob_free(&c);
  return r;
}

// ---- finding tokens in a valid blob (the test trusts its own inputs) ----

// Offset of the PROP token named prop in the innermost node named node
// ("" for the root), or of that node's BEGIN_NODE token when prop is NULL.
// Exits if there is none: the .dts files are ours.
static size_t
find(const struct blob *b, const char *node, const char *prop)
{
  size_t off = hdr(b, H_OFF_STRUCT), strs = hdr(b, H_OFF_STRINGS);
  const char *cur = NULL;

  for(;;){
    uint32_t tok = get32(b->p + off);
    if(tok == 1){
      cur = (const char *)b->p + off + 4;
      if(prop == NULL && strcmp(cur, node) == 0)
        return off;
      off = (off + 4 + strlen(cur) + 1 + 3) & ~(size_t)3;
    } else if(tok == 3){
      const char *name = (const char *)b->p + strs + get32(b->p + off + 8);
      if(prop && cur && strcmp(cur, node) == 0 && strcmp(name, prop) == 0)
        return off;
      off = (off + 12 + get32(b->p + off + 4) + 3) & ~(size_t)3;
    } else if(tok == 9){
      fprintf(stderr, "find: no %s in node '%s'\n", prop ? prop : "node", node);
      exit(2);
    } else {
      off += 4;
    }
  }
}

// Offset of the END token: the last word of the structure block.
static size_t
find_end(const struct blob *b)
{
  return hdr(b, H_OFF_STRUCT) + hdr(b, H_SIZE_STRUCT) - 4;
}

// ---- a builder of synthetic blobs ----

struct builder {
  unsigned char st[2048]; // structure block
  size_t nst;
  char str[512];          // strings block
  size_t nstr;
};

static void
b_word(struct builder *b, uint32_t v)
{
  put32(b->st + b->nst, v);
  b->nst += 4;
}

static void
b_bytes(struct builder *b, const void *p, size_t n)
{
  memcpy(b->st + b->nst, p, n);
  b->nst += n;
  while(b->nst % 4)
    b->st[b->nst++] = 0;
}

static void
b_begin(struct builder *b, const char *name)
{
  b_word(b, 1);
  b_bytes(b, name, strlen(name) + 1);
}

static void
b_prop(struct builder *b, const char *name, const void *val, size_t len)
{
  b_word(b, 3);
  b_word(b, len);
  b_word(b, b->nstr);
  memcpy(b->str + b->nstr, name, strlen(name) + 1);
  b->nstr += strlen(name) + 1;
  b_bytes(b, val, len);
}

static void
b_prop_cells(struct builder *b, const char *name, int n, const uint32_t *cells)
{
  unsigned char v[64];

  for(int i = 0; i < n; i++)
    put32(v + 4 * i, cells[i]);
  b_prop(b, name, v, 4 * n);
}

// Lay out a blob in a buffer of exactly totalsize bytes:
//   header | structure | strings | reservation    (default)
//   header | reservation | strings | structure    (struct_last)
// The reservation block has nrsv entries, then (0, 0) when term. Whichever
// block is last ends the buffer, so a read that runs off it is caught. The
// last block starts pad bytes later than alignment asks (to test that).
static struct blob
b_layout(struct builder *b, int nrsv, int term, int struct_last, size_t pad)
{
  size_t rsvlen = 16 * (nrsv + (term ? 1 : 0)), st, strs, rsv, total;
  struct blob out;

  if(struct_last){
    rsv = 40;
    strs = rsv + rsvlen;
    st = ((strs + b->nstr + 3) & ~(size_t)3) + pad;
    total = st + b->nst;
  } else {
    st = 40;
    strs = st + b->nst;
    rsv = ((strs + b->nstr + 7) & ~(size_t)7) + pad;
    total = rsv + rsvlen;
  }
  out = blob_copy((const unsigned char *)"", total, 0);
  memset(out.p, 0, total);
  put32(out.p + H_MAGIC, 0xd00dfeed);
  put32(out.p + H_TOTAL, total);
  put32(out.p + H_OFF_STRUCT, st);
  put32(out.p + H_OFF_STRINGS, strs);
  put32(out.p + H_OFF_RSV, rsv);
  put32(out.p + H_VERSION, 17);
  put32(out.p + H_LAST_COMP, 16);
  put32(out.p + H_SIZE_STRINGS, b->nstr);
  put32(out.p + H_SIZE_STRUCT, b->nst);
  for(int i = 0; i < nrsv; i++){
    put32(out.p + rsv + 16 * i + 4, 0x80000000 + 0x1000 * i); // base
    put32(out.p + rsv + 16 * i + 12, 0x1000);                 // size
  }
  memcpy(out.p + st, b->st, b->nst);
  memcpy(out.p + strs, b->str, b->nstr);
  return out;
}

static struct blob
b_finish(struct builder *b, int nrsv, int term)
{
  return b_layout(b, nrsv, term, 0, 0);
}

// A minimal valid tree: / { memory@80000000 { device_type; reg } }.
static void
b_minimal_root(struct builder *b)
{
  static const uint32_t reg[] = { 0, 0x80000000, 0, 0x1000000 };

  b_begin(b, "");
  b_prop_cells(b, "#address-cells", 1, (uint32_t[]){ 2 });
  b_prop_cells(b, "#size-cells", 1, (uint32_t[]){ 2 });
  b_begin(b, "memory@80000000");
  b_prop(b, "device_type", "memory", 7);
  b_prop_cells(b, "reg", 4, reg);
  b_word(b, 2);
}

// ---- the trees QEMU and OpenSBI hand the kernel ----

// What every QEMU virt tree with -smp 3 says besides its RAM size.
static void
check_virt(const struct blob *b, const struct bootinfo *info, uint64 ramsize)
{
  CHECK_EQ(info->nram, 1);
  CHECK_EQ(info->ram[0].base, 0x80000000);
  CHECK_EQ(info->ram[0].size, ramsize);
  CHECK_EQ(info->timebase_freq, 10000000);
  CHECK_EQ(info->hart_mask, 0x7);
  CHECK_EQ(info->fdt_base, (uint64)(uintptr_t)b->p);
  CHECK_EQ(info->fdt_size, hdr(b, H_TOTAL));
}

// OpenSBI's /reserved-memory: 1.1 protects its first 512 KiB this way.
static void
check_opensbi_reserved(const struct bootinfo *info)
{
  CHECK_EQ(info->nreserved, 1);
  CHECK_EQ(info->reserved[0].base, 0x80000000);
  CHECK_EQ(info->reserved[0].size, 0x80000);
}

// Parse the tree in dir/name (dir NULL: name is a path) and check it is a
// virt tree of ramsize bytes, with OpenSBI's reservation or none, and bootargs.
static void
check_virt_file(const char *dir, const char *name, uint64 ramsize, int opensbi,
                const char *bootargs)
{
  struct blob b = blob_load(dir, name);
  struct bootinfo info;

  CHECK_EQ(parse(&b, &info), 0);
  check_virt(&b, &info, ramsize);
  if(opensbi)
    check_opensbi_reserved(&info);
  else
    CHECK_EQ(info.nreserved, 0);
  CHECK_STR(info.bootargs, bootargs);
  blob_free(&b);
}

static void
test_virt_128m_sbi(void)
{
  check_virt_file(dtbdir, "virt-128m-sbi.dtb", 0x8000000, 1, "");
}

static void
test_virt_512m_bootargs(void)
{
  check_virt_file(dtbdir, "virt-512m-sbi-bootargs.dtb", 0x20000000, 1, "selftest foo");
}

static void
test_virt_128m_qemu(void)
{
  check_virt_file(dtbdir, "virt-128m-qemu.dtb", 0x8000000, 0, "");
}

// The tree QEMU dumped during this build. The file may be longer than the
// header's totalsize (QEMU pads it); the parser may read all of it.
static void
test_live_qemu_dump(void)
{
  check_virt_file(NULL, live_dtb, 0x8000000, 0, "");
}

// maxsize == totalsize is enough; one byte less is refused.
static void
test_maxsize(void)
{
  struct blob b = blob_load(dtbdir, "virt-128m-sbi.dtb");
  struct blob shorter = blob_copy(b.p, b.len - 1, b.len);
  struct bootinfo info;

  CHECK_EQ(hdr(&b, H_TOTAL), b.len);
  CHECK_EQ(parse(&b, &info), 0);
  CHECK(parse(&shorter, &info) < 0);
  blob_free(&shorter);
  blob_free(&b);
}

// ---- hand-written corner cases (tests/host/fdt/*.dts) ----

static void
check_range(const struct memrange *r, uint64 base, uint64 size)
{
  CHECK_EQ(r->base, base);
  CHECK_EQ(r->size, size);
}

static void
test_edge(void)
{
  struct blob b = blob_load(dtbdir, "edge.dtb");
  struct bootinfo info;
  char want[FDT_BOOTARGS_MAX];

  CHECK_EQ(parse(&b, &info), 0);
  CHECK_EQ(info.nram, 4);
  check_range(&info.ram[0], 0x80000000, 0x4000000);
  check_range(&info.ram[1], 0x88000000, 0x2000000);
  check_range(&info.ram[2], 0x100000000, 0x10000000);
  check_range(&info.ram[3], 0xc0000000, 0x10000);
  CHECK_EQ(info.nreserved, 5);
  check_range(&info.reserved[0], 0x80000000, 0x20000); // /memreserve/
  check_range(&info.reserved[1], 0x90000000, 0x1000);
  check_range(&info.reserved[2], 0x80000000, 0x40000); // /reserved-memory
  check_range(&info.reserved[3], 0x80040000, 0x20000);
  check_range(&info.reserved[4], 0xa0000000, 0x1000);
  CHECK_EQ(info.timebase_freq, 0x100000000);
  CHECK_EQ(info.hart_mask, (1UL << 0) | (1UL << 2) | (1UL << 5) | (1UL << 7) | (1UL << 63));
  for(int i = 0; i < FDT_BOOTARGS_MAX - 1; i++)
    want[i] = (i % 20 < 10) ? '0' + i % 20 : 'a' + i % 20 - 10;
  want[FDT_BOOTARGS_MAX - 1] = 0;
  CHECK_STR(info.bootargs, want);
  blob_free(&b);
}

static void
test_defaults(void)
{
  struct blob b = blob_load(dtbdir, "defaults.dtb");
  struct bootinfo info;

  CHECK_EQ(parse(&b, &info), 0);
  CHECK_EQ(info.nram, 1);
  check_range(&info.ram[0], 0x80000000, 0x1000000);
  CHECK_EQ(info.nreserved, 0);
  CHECK_EQ(info.timebase_freq, 1000000);
  CHECK_EQ(info.hart_mask, 0x2);
  CHECK_STR(info.bootargs, "");
  blob_free(&b);
}

static void
test_many(void)
{
  struct blob b = blob_load(dtbdir, "many.dtb");
  struct bootinfo info;

  CHECK_EQ(parse(&b, &info), 0);
  CHECK_EQ(info.nram, FDT_MAX_RANGES);
  CHECK_EQ(info.nreserved, FDT_MAX_RANGES);
  for(int i = 0; i < FDT_MAX_RANGES; i++){
    check_range(&info.ram[i], 0x80000000 + 0x200000UL * i, 0x100000);
    check_range(&info.reserved[i], 0x90000000 + 0x10000UL * i, 0x1000);
  }
  blob_free(&b);
}

static void
test_deep(void)
{
  struct blob b = blob_load(dtbdir, "deep.dtb");
  struct bootinfo info;

  CHECK_EQ(parse(&b, &info), 0);
  CHECK_EQ(info.nram, 2);
  check_range(&info.ram[0], 0xb0000000, 0x1000);
  check_range(&info.ram[1], 0x80000000, 0x800000);
  blob_free(&b);
}

// ---- corrupt blobs: each must be refused, without a read outside ----

static void
test_bad_header(void)
{
  struct blob b = blob_load(dtbdir, "virt-128m-sbi.dtb");
  struct blob tiny = blob_copy(b.p, 39, b.len);
  struct bootinfo info;
  uint32_t total = hdr(&b, H_TOTAL), soff = hdr(&b, H_OFF_STRUCT);

  CHECK(parse_patched(&b, H_MAGIC, 0xd00dfeee, &info) < 0);
  CHECK(parse_patched(&b, H_TOTAL, total + 4096, &info) < 0); // past the buffer
  CHECK(parse_patched(&b, H_TOTAL, 39, &info) < 0);
  CHECK(parse(&tiny, &info) < 0);
  CHECK(fdt_parse(b.p, 0, &info) < 0);
  CHECK(fdt_parse(NULL, 4096, &info) < 0 && info_is_zero(&info));
  CHECK(parse_patched(&b, H_VERSION, 15, &info) < 0);
  CHECK(parse_patched(&b, H_LAST_COMP, 18, &info) < 0);
  CHECK(parse_patched(&b, H_OFF_STRUCT, total, &info) < 0);
  CHECK(parse_patched(&b, H_OFF_STRUCT, 0xfffffffc, &info) < 0);
  CHECK(parse_patched(&b, H_OFF_STRUCT, soff + 2, &info) < 0); // unaligned
  CHECK(parse_patched(&b, H_OFF_STRUCT, 0, &info) < 0);        // the header
  CHECK(parse_patched(&b, H_SIZE_STRUCT, 0xffffffff, &info) < 0);
  CHECK(parse_patched(&b, H_SIZE_STRUCT, total - soff + 4, &info) < 0);
  CHECK(parse_patched(&b, H_SIZE_STRUCT, 0, &info) < 0);
  CHECK(parse_patched(&b, H_SIZE_STRINGS, 0xffffffff, &info) < 0);
  CHECK(parse_patched(&b, H_OFF_STRINGS, total, &info) < 0);
  CHECK(parse_patched(&b, H_OFF_RSV, total + 8, &info) < 0);
  CHECK(parse_patched(&b, H_OFF_RSV, 44, &info) < 0); // not 8-aligned
  CHECK(parse_patched(&b, H_OFF_RSV, 0, &info) < 0);
  // Fewer than 16 bytes left: no room for even the terminator.
  CHECK(parse_patched(&b, H_OFF_RSV, (total - 8) & ~7u, &info) < 0);
  blob_free(&tiny);
  blob_free(&b);
}

// Version 16 has no size_dt_struct: whatever that word holds is ignored.
static void
test_version16(void)
{
  struct blob b = blob_load(dtbdir, "virt-128m-sbi.dtb");
  struct bootinfo info;

  put32(b.p + H_VERSION, 16);
  put32(b.p + H_SIZE_STRUCT, 0xffffffff);
  CHECK_EQ(parse(&b, &info), 0);
  check_virt(&b, &info, 0x8000000);
  blob_free(&b);
}

// A reservation block that reaches the end of the blob without its (0, 0).
static void
test_rsvmap_unterminated(void)
{
  struct builder bl = { 0 };
  struct blob good, bad;
  struct bootinfo info;

  b_minimal_root(&bl);
  b_word(&bl, 2);
  b_word(&bl, 9);
  good = b_finish(&bl, 3, 1);
  bad = b_finish(&bl, 3, 0);
  CHECK_EQ(parse(&good, &info), 0);
  CHECK_EQ(info.nreserved, 3);
  check_range(&info.reserved[2], 0x80002000, 0x1000);
  CHECK_EQ(info.nram, 1);
  CHECK(parse(&bad, &info) < 0);
  blob_free(&good);
  blob_free(&bad);
}

static void
test_bad_prop(void)
{
  struct blob b = blob_load(dtbdir, "virt-128m-sbi.dtb");
  struct bootinfo info;
  size_t reg = find(&b, "memory@80000000", "reg");
  uint32_t send = hdr(&b, H_OFF_STRUCT) + hdr(&b, H_SIZE_STRUCT);
  uint32_t strsize = hdr(&b, H_SIZE_STRINGS);

  CHECK(parse_patched(&b, reg + 4, 0xffffffff, &info) < 0);
  CHECK(parse_patched(&b, reg + 4, 0xfffffff8, &info) < 0); // wraps if added
  CHECK(parse_patched(&b, reg + 4, send - (reg + 12) + 1, &info) < 0);
  CHECK(parse_patched(&b, reg + 4, send - (reg + 12), &info) < 0); // eats END
  CHECK(parse_patched(&b, reg + 8, strsize, &info) < 0);
  CHECK(parse_patched(&b, reg + 8, 0xffffffff, &info) < 0);

  // A name at the end of the strings block whose NUL has been overwritten.
  struct blob c = blob_copy(b.p, b.len, b.len);
  c.p[hdr(&b, H_OFF_STRINGS) + strsize - 1] = 'x';
  put32(c.p + reg + 8, strsize - 1);
  CHECK(parse(&c, &info) < 0);
  blob_free(&c);
  blob_free(&b);
}

static void
test_bad_struct(void)
{
  struct blob b = blob_load(dtbdir, "virt-128m-sbi.dtb");
  struct bootinfo info;
  size_t mem = find(&b, "memory@80000000", NULL);
  size_t reg = find(&b, "memory@80000000", "reg");
  size_t end = find_end(&b);
  uint32_t soff = hdr(&b, H_OFF_STRUCT);

  CHECK_EQ(get32(b.p + end), 9);
  // The structure block ends in the middle of a node's name.
  CHECK(parse_patched(&b, H_SIZE_STRUCT, mem + 4 + 3 - soff, &info) < 0);
  // ... or in the middle of a property header.
  CHECK(parse_patched(&b, H_SIZE_STRUCT, reg + 8 - soff, &info) < 0);
  CHECK(parse_patched(&b, reg, 7, &info) < 0);  // unknown token
  CHECK(parse_patched(&b, reg, 0, &info) < 0);
  CHECK(parse_patched(&b, end, 4, &info) < 0);  // END became NOP: no END
  CHECK(parse_patched(&b, end, 2, &info) < 0);  // one END_NODE too many
  CHECK(parse_patched(&b, end, 1, &info) < 0);  // a node with no name
  // The block stops short of END (the END word is still in the blob).
  CHECK(parse_patched(&b, H_SIZE_STRUCT, end - soff, &info) < 0);
  blob_free(&b);
}

// Synthetic structure blocks that are wrong in shape.
static void
test_bad_shape(void)
{
  struct builder only_end = { 0 }, prop_first = { 0 }, two_roots = { 0 };
  struct builder open_root = { 0 }, nops = { 0 }, climb = { 0 };
  struct blob x;
  struct bootinfo info;

  b_word(&only_end, 9);
  b_prop_cells(&prop_first, "#size-cells", 1, (uint32_t[]){ 1 });
  b_begin(&prop_first, "");
  b_word(&prop_first, 2);
  b_word(&prop_first, 9);
  b_begin(&two_roots, "");
  b_word(&two_roots, 2);
  b_begin(&two_roots, "");
  b_word(&two_roots, 2);
  b_word(&two_roots, 9);
  b_begin(&climb, ""); // END_NODE at depth 0, ending back at "depth 0"
  b_word(&climb, 2);
  b_word(&climb, 2);
  b_begin(&climb, "");
  b_word(&climb, 9);
  b_minimal_root(&open_root);
  b_word(&open_root, 9);
  b_word(&nops, 4);
  b_minimal_root(&nops);
  b_word(&nops, 4);
  b_word(&nops, 2);
  b_word(&nops, 4);
  b_word(&nops, 9);

  struct builder *bad[] = { &only_end, &prop_first, &two_roots, &open_root, &climb };
  for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
    x = b_finish(bad[i], 0, 1);
    CHECK(parse(&x, &info) < 0);
    blob_free(&x);
  }
  x = b_finish(&nops, 0, 1);
  CHECK_EQ(parse(&x, &info), 0);
  CHECK_EQ(info.nram, 1);
  blob_free(&x);
}

// The structure block ends the blob, so a token, property header, value or
// node name that runs past its end would run past the buffer too.
static void
test_struct_at_end(void)
{
  struct builder args = { 0 }, prop_tok = { 0 }, name = { 0 }, cut = { 0 };
  struct blob x;
  struct bootinfo info;
  size_t len;

  b_begin(&args, "");
  b_begin(&args, "chosen");
  b_prop(&args, "bootargs", "hi", 3);
  b_word(&args, 2);
  b_word(&args, 2);
  b_word(&args, 9);
  x = b_layout(&args, 0, 1, 1, 0);
  CHECK_EQ(parse(&x, &info), 0);
  CHECK_STR(info.bootargs, "hi");
  len = find(&x, "chosen", "bootargs") + 4;
  CHECK(parse_patched(&x, len, 0x100, &info) < 0); // value past the end
  blob_free(&x);

  b_begin(&prop_tok, "");
  b_word(&prop_tok, 3); // PROP with no header after it
  x = b_layout(&prop_tok, 0, 1, 1, 0);
  CHECK(parse(&x, &info) < 0);
  blob_free(&x);

  b_begin(&name, "");
  b_word(&name, 1);
  b_bytes(&name, "cpus", 4); // a node name with no NUL
  x = b_layout(&name, 0, 1, 1, 0);
  CHECK(parse(&x, &info) < 0);
  blob_free(&x);

  // bootargs without a NUL as the blob's last bytes; then its length grows.
  b_begin(&cut, "");
  b_begin(&cut, "chosen");
  b_prop(&cut, "bootargs", "abcd", 4);
  x = b_layout(&cut, 0, 1, 1, 0);
  CHECK(parse(&x, &info) < 0); // no END
  CHECK(parse_patched(&x, find(&x, "chosen", "bootargs") + 4, 0x100, &info) < 0);
  blob_free(&x);
}

// Blocks at offsets the spec forbids (structure not 4-aligned, reservation
// not 8-aligned) are refused even when their contents are fine.
static void
test_misaligned(void)
{
  struct builder bl = { 0 };
  struct blob x;
  struct bootinfo info;

  b_minimal_root(&bl);
  b_word(&bl, 2);
  b_word(&bl, 9);
  for(size_t pad = 0; pad < 8; pad++){
    x = b_layout(&bl, 1, 1, 1, pad); // structure block last
    CHECK_EQ(parse(&x, &info), pad % 4 == 0 ? 0 : (uint64)-1);
    blob_free(&x);
    x = b_layout(&bl, 1, 1, 0, pad); // reservation block last
    CHECK_EQ(parse(&x, &info), pad == 0 ? 0 : (uint64)-1);
    CHECK_EQ(info.nreserved, pad == 0 ? 1 : 0);
    blob_free(&x);
  }
}

// Nonsense cell counts make a reg unreadable, not the whole tree.
static void
test_junk_cells(void)
{
  struct blob b = blob_load(dtbdir, "virt-128m-sbi.dtb");
  struct bootinfo info;
  size_t rootac = find(&b, "", "#address-cells") + 12;
  size_t rootsc = find(&b, "", "#size-cells") + 12;
  size_t cpusac = find(&b, "cpus", "#address-cells") + 12;

  CHECK_EQ(parse_patched(&b, rootac, 0xffffffff, &info), 0);
  CHECK_EQ(info.nram, 0);
  CHECK_EQ(info.nreserved, 1); // /reserved-memory has its own cells
  CHECK_EQ(info.hart_mask, 0x7);
  CHECK_EQ(parse_patched(&b, rootsc, 0, &info), 0);
  CHECK_EQ(info.nram, 0);
  CHECK_EQ(parse_patched(&b, cpusac, 3, &info), 0);
  CHECK_EQ(info.hart_mask, 0);
  CHECK_EQ(info.nram, 1);
  CHECK_EQ(parse_patched(&b, cpusac, 2, &info), 0); // reg is 4 bytes: too short
  CHECK_EQ(info.hart_mask, 0);
  blob_free(&b);
}

// Property values of odd lengths and forms, in a synthetic tree.
static void
test_odd_values(void)
{
  struct builder bl = { 0 };
  struct blob x;
  struct bootinfo info;
  static const uint32_t reg5[] = { 0, 0x90000000, 0, 0x2000, 0x1234 };

  b_minimal_root(&bl); // ram[0]
  b_begin(&bl, "ram");  // a type without its NUL is not "memory"
  b_prop(&bl, "device_type", "memory", 6);
  b_prop_cells(&bl, "reg", 4, reg5);
  b_word(&bl, 2);
  b_begin(&bl, "dram"); // a string list whose first string is "memory"
  b_prop(&bl, "device_type", "memory\0extra", 13);
  b_prop_cells(&bl, "reg", 5, reg5); // the partial tuple is dropped: ram[1]
  b_word(&bl, 2);
  b_begin(&bl, "cpus");
  b_prop_cells(&bl, "#address-cells", 1, (uint32_t[]){ 1 });
  b_prop_cells(&bl, "#size-cells", 1, (uint32_t[]){ 0 });
  b_prop(&bl, "timebase-frequency", "\x01\x02\x03", 3); // neither u32 nor u64
  b_begin(&bl, "cpu@1");
  b_prop_cells(&bl, "reg", 1, (uint32_t[]){ 1 });
  b_prop(&bl, "status", "okay", 4); // no NUL: not "okay", so not available
  b_word(&bl, 2);
  b_begin(&bl, "cpu@2");
  b_prop(&bl, "reg", "", 0);        // empty reg: no hart id
  b_word(&bl, 2);
  b_begin(&bl, "cpu@4");
  b_prop_cells(&bl, "reg", 1, (uint32_t[]){ 4 });
  b_word(&bl, 2);
  b_word(&bl, 2);
  b_begin(&bl, "chosen");
  b_prop(&bl, "bootargs", "hello", 5); // no NUL: the length bounds it
  b_word(&bl, 2);
  b_word(&bl, 2);
  b_word(&bl, 9);
  x = b_finish(&bl, 0, 1);

  CHECK_EQ(parse(&x, &info), 0);
  CHECK_EQ(info.nram, 2);
  check_range(&info.ram[0], 0x80000000, 0x1000000);
  check_range(&info.ram[1], 0x90000000, 0x2000);
  CHECK_EQ(info.timebase_freq, 0);
  CHECK_EQ(info.hart_mask, 1UL << 4);
  CHECK_STR(info.bootargs, "hello");
  blob_free(&x);
}

// ---- random corruption ----

// Damage c in one of several ways; returns how many bytes of it the parser
// may read (possibly fewer than c->len, to test truncation).
static size_t
mutate(struct blob *c)
{
  uint32_t soff = get32(c->p + H_OFF_STRUCT), ssize = get32(c->p + H_SIZE_STRUCT);
  size_t n = 1 + rnd(4);

  switch(rnd(5)){
  case 0: // flip bits anywhere
    for(size_t i = 0; i < n; i++)
      c->p[rnd(c->len)] ^= 1 << rnd(8);
    return c->len;
  case 1: // overwrite header bytes
    for(size_t i = 0; i < n; i++)
      c->p[rnd(40)] = rng();
    return c->len;
  case 2: // overwrite aligned words of the structure block
    for(size_t i = 0; i < n; i++){
      size_t off = soff + 4 * rnd(ssize / 4);
      uint32_t v = rnd(2) ? rnd(12) : (uint32_t)rng();
      if(off + 4 <= c->len)
        put32(c->p + off, v);
    }
    return c->len;
  case 3: // small nudges to the header's offsets and sizes
    for(size_t i = 0; i < n; i++){
      size_t f = 4 + 4 * rnd(9);
      put32(c->p + f, get32(c->p + f) + (uint32_t)(rnd(65) - 32));
    }
    return c->len;
  default: // truncate
    return rnd(c->len + 1);
  }
}

// What must hold for any result of fdt_parse on buffer p of len bytes.
static int
sane(int r, const struct bootinfo *info, const unsigned char *p, size_t len)
{
  if(r < 0)
    return r == -1 && info_is_zero(info);
  if(r != 0 || info->nram < 0 || info->nram > FDT_MAX_RANGES ||
     info->nreserved < 0 || info->nreserved > FDT_MAX_RANGES ||
     memchr(info->bootargs, 0, FDT_BOOTARGS_MAX) == NULL ||
     info->fdt_base != (uint64)(uintptr_t)p || info->fdt_size > len)
    return 0;
  for(int i = 0; i < info->nram; i++)
    if(info->ram[i].size == 0 || info->ram[i].base + info->ram[i].size < info->ram[i].base)
      return 0;
  for(int i = 0; i < info->nreserved; i++)
    if(info->reserved[i].size == 0)
      return 0;
  return 1;
}

static void
test_fuzz(void)
{
  static const char *names[] = {
    "virt-128m-sbi.dtb", "virt-512m-sbi-bootargs.dtb", "edge.dtb",
    "defaults.dtb", "many.dtb", "deep.dtb",
  };
  enum { NB = sizeof(names) / sizeof(names[0]) };
  struct blob src[NB];
  long ok = 0, refused = 0;

  printf("  fuzz: seed %llu, %ld iterations (replay: -s %llu)\n", testlib_seed, fuzz_iters,
         testlib_seed);
  fflush(stdout); // before any sanitizer report
  rng_reseed();
  for(int i = 0; i < NB; i++)
    src[i] = blob_load(dtbdir, names[i]);
  for(long it = 0; it < fuzz_iters; it++){
    struct blob *s = &src[rnd(NB)];
    struct blob c = blob_copy(s->p, s->len, s->len);
    size_t len = mutate(&c);
    struct blob t = blob_copy(c.p, len, c.len); // exactly what may be read
    struct bootinfo info;
    int r = fdt_parse(t.p, t.len, &info);

    if(!sane(r, &info, t.p, t.len)){
      printf("  fuzz: seed %llu iteration %ld: bad result %d\n", testlib_seed, it, r);
      CHECK(0);
    }
    if(r < 0)
      refused++;
    else
      ok++;
    blob_free(&t);
    blob_free(&c);
  }
  printf("  fuzz: %ld parsed, %ld refused\n", ok, refused);
  for(int i = 0; i < NB; i++)
    blob_free(&src[i]);
}

static void
usage(void)
{
  fprintf(stderr, "usage: test_fdt [-s seed] [-n iterations] [-q qemu.dtb] DTBDIR\n");
  exit(2);
}

int
main(int argc, char **argv)
{
  int i;

  testlib_seed_from("FDT_SEED");
  for(i = 1; i < argc && argv[i][0] == '-'; i++){
    if(testlib_option(argc, argv, &i, &fuzz_iters))
      continue;
    if(strcmp(argv[i], "-q") == 0 && i + 1 < argc)
      live_dtb = argv[++i];
    else
      usage();
  }
  if(i != argc - 1)
    usage();
  dtbdir = argv[i];

  RUN_TEST(test_virt_128m_sbi);
  RUN_TEST(test_virt_512m_bootargs);
  RUN_TEST(test_virt_128m_qemu);
  if(live_dtb)
    RUN_TEST(test_live_qemu_dump);
  RUN_TEST(test_maxsize);
  RUN_TEST(test_edge);
  RUN_TEST(test_defaults);
  RUN_TEST(test_many);
  RUN_TEST(test_deep);
  RUN_TEST(test_bad_header);
  RUN_TEST(test_version16);
  RUN_TEST(test_rsvmap_unterminated);
  RUN_TEST(test_bad_prop);
  RUN_TEST(test_bad_struct);
  RUN_TEST(test_bad_shape);
  RUN_TEST(test_struct_at_end);
  RUN_TEST(test_misaligned);
  RUN_TEST(test_junk_cells);
  RUN_TEST(test_odd_values);
  RUN_TEST(test_fuzz);
  return test_summary();
}
