// Flattened device tree (FDT) reader. OpenSBI passes the physical address of
// a device tree blob in a1; fdt_parse() walks it once and copies out what
// the kernel needs (struct bootinfo in fdt.h): RAM ranges, reserved ranges,
// the harts present, the timer frequency and the kernel command line.
//
// The blob is treated as untrusted input. The header's totalsize must fit in
// the caller's maxsize, every block must lie inside totalsize, and every
// token, property length, node name and string offset is checked before it
// is read, so a corrupt blob yields -1 and never a read outside the blob.
// The file is pure logic (no allocation, no libc, no other kernel calls) so
// the host unit test tests/host/test_fdt.c builds it unchanged under ASan.
//
// Locking: none. fdt_parse() touches only its arguments; main() calls it on
// the boot hart before the other harts are started.
//
// Blob layout (Devicetree Specification v0.4, chapter 5), all big-endian:
//
//   header (40 bytes) | reservation block | structure block | strings block
//
// The reservation block is a list of (address, size) u64 pairs ended by
// (0, 0). The structure block is a stream of 32-bit tokens:
//
//   BEGIN_NODE name\0 <pad to 4>   a node opens; its properties come first,
//                                  then its child nodes
//   PROP len nameoff value <pad>   nameoff indexes the strings block
//   END_NODE  NOP  END             END follows the root's END_NODE
//
// A node's "reg" is a list of (address, size) tuples whose widths in 32-bit
// cells are the PARENT's #address-cells and #size-cells (default 2 and 1).
// Properties may come in any order, so a node is only acted on at its
// END_NODE, when its reg, device_type and status are all known.

#include "types.h"
#include "fdt.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_HDR_SIZE 40 // header of version 17; 16 lacks size_dt_struct

#define TOK_BEGIN_NODE 1
#define TOK_END_NODE 2
#define TOK_PROP 3
#define TOK_NOP 4
#define TOK_END 9

// Nodes nested deeper than this are skipped (none we read is deeper than 3;
// QEMU's deepest is /cpus/cpu-map/cluster0/core0 at depth 5).
#define FDT_MAX_DEPTH 16

// A checked view of one blob. Offsets count from the blob's first byte.
struct fdt {
  const uchar *b;
  uint64 total;          // header totalsize, <= the caller's maxsize
  uint64 rsvoff;         // memory reservation block
  uint64 soff, send;     // structure block is [soff, send)
  uint64 stroff, strend; // strings block is [stroff, strend)
};

// Which nodes matter, decided from a node's name and its parent's kind.
enum nodekind {
  N_OTHER,
  N_ROOT,
  N_CPUS,       // /cpus
  N_CPUS_CHILD, // /cpus/<anything>; a hart only if it looks like a cpu
  N_CHOSEN,     // /chosen
  N_RESV,       // /reserved-memory
  N_RESV_CHILD, // /reserved-memory/<anything>: its reg is reserved
};

// Node flags, set from the name at BEGIN_NODE or from properties.
#define NF_NAME_MEMORY 0x01 // child of the root named memory or memory@...
#define NF_NAME_CPU 0x02    // named cpu or cpu@...
#define NF_TYPE_MEMORY 0x04 // device_type = "memory"
#define NF_TYPE_CPU 0x08    // device_type = "cpu"
#define NF_DISABLED 0x10    // status present and neither "okay" nor "ok"
#define NF_HAS_REG 0x20

// What the walk remembers about one open node (20 bytes: the whole stack
// is 320 bytes, small enough for a boot stack).
struct fnode {
  uchar kind;    // enum nodekind
  uchar flags;   // NF_*
  uint32 acells; // this node's #address-cells, used by its children
  uint32 scells; // this node's #size-cells, used by its children
  uint32 reg;    // blob offset of the reg value when NF_HAS_REG
  uint32 reglen; // its length in bytes
};

struct walk {
  const struct fdt *f;
  struct bootinfo *info;
  int depth; // open nodes; node[d] is the one at depth d (root is 1)
  struct fnode node[FDT_MAX_DEPTH]; // node[0]: the root's virtual parent
};

// Big-endian loads, a byte at a time: the blob need not be aligned on the
// host, and the caller has already checked the bytes lie inside it.
static uint32
rd32(const uchar *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

static uint64
rd64(const uchar *p)
{
  return ((uint64)rd32(p) << 32) | rd32(p + 4);
}

// Read a value of n (0..2) big-endian cells.
static uint64
rdcells(const uchar *p, uint32 n)
{
  uint64 v = 0;

  for(uint32 i = 0; i < n; i++)
    v = (v << 32) | rd32(p + 4 * i);
  return v;
}

static uint64
align4(uint64 x)
{
  return (x + 3) & ~(uint64)3;
}

static void
zero(void *p, uint64 n)
{
  uchar *q = p;

  while(n-- > 0)
    *q++ = 0;
}

// Is the NUL-terminated string a equal to b?
static int
streq(const char *a, const char *b)
{
  while(*a && *a == *b){
    a++;
    b++;
  }
  return *a == *b;
}

// Does the NUL-terminated string s start with prefix?
static int
has_prefix(const char *s, const char *prefix)
{
  while(*prefix){
    if(*s++ != *prefix++)
      return 0;
  }
  return 1;
}

// Is the property value v (len bytes, perhaps not NUL-terminated when the
// blob is corrupt) the string lit? Extra strings after the first NUL, as in
// a string list, are ignored. Never reads past v[len-1].
static int
val_streq(const uchar *v, uint64 len, const char *lit)
{
  for(uint64 i = 0; i < len; i++){
    if(v[i] != (uchar)lit[i])
      return 0;
    if(lit[i] == 0)
      return 1;
  }
  return 0;
}

// Length of the NUL-terminated string at blob offset off if its NUL lies
// before end; -1 if it runs to end without one.
static long
strz_len(const struct fdt *f, uint64 off, uint64 end)
{
  for(uint64 i = off; i < end; i++){
    if(f->b[i] == 0)
      return i - off;
  }
  return -1;
}

// Do the len bytes at off lie inside [lo, hi)? Written to avoid overflow:
// all the bounds are at most totalsize (< 2^32) but len and off may be junk.
static int
inside(uint64 off, uint64 len, uint64 lo, uint64 hi)
{
  return off >= lo && off <= hi && len <= hi - off;
}

// Check the header of the blob and fill in f. Returns 0, or -1 if the magic,
// version or sizes are wrong or a block does not lie inside totalsize.
// No locks.
static int
fdt_open(struct fdt *f, const void *blob, uint64 maxsize)
{
  const uchar *h = blob;
  uint64 version, ssize, strsize;

  if(blob == 0 || maxsize < FDT_HDR_SIZE || rd32(h) != FDT_MAGIC)
    return -1;
  f->b = h;
  f->total = rd32(h + 4);
  version = rd32(h + 20);
  if(f->total < FDT_HDR_SIZE || f->total > maxsize)
    return -1;
  if(version < 16 || rd32(h + 24) > 17) // last_comp_version
    return -1;
  f->soff = rd32(h + 8);
  f->stroff = rd32(h + 12);
  f->rsvoff = rd32(h + 16);
  strsize = rd32(h + 32);
  // Version 16 has no size_dt_struct: the structure block may run to the
  // end. (If soff > total the difference wraps, and inside() refuses it.)
  ssize = version >= 17 ? rd32(h + 36) : f->total - f->soff;
  // Tokens are 4-aligned, reservation entries 8-aligned (spec 5.3, 5.4).
  if(f->soff % 4 != 0 || f->rsvoff % 8 != 0)
    return -1;
  if(!inside(f->soff, ssize, FDT_HDR_SIZE, f->total) ||
     !inside(f->stroff, strsize, FDT_HDR_SIZE, f->total) ||
     !inside(f->rsvoff, 0, FDT_HDR_SIZE, f->total))
    return -1;
  f->send = f->soff + ssize;
  f->strend = f->stroff + strsize;
  return 0;
}

// Append [base, base+size) to a range array unless it is full, empty or
// wraps around the address space. No locks.
static void
add_range(struct memrange *r, int *n, uint64 base, uint64 size)
{
  if(*n >= FDT_MAX_RANGES || size == 0 || base + size < base)
    return;
  r[*n].base = base;
  r[*n].size = size;
  (*n)++;
}

// Copy the memory reservation block into info->reserved. Returns 0, or -1
// if the list runs off the end of the blob without its (0, 0) terminator.
// No locks.
static int
read_rsvmap(const struct fdt *f, struct bootinfo *info)
{
  for(uint64 off = f->rsvoff; off + 16 <= f->total; off += 16){
    uint64 base = rd64(f->b + off);
    uint64 size = rd64(f->b + off + 8);
    if(base == 0 && size == 0)
      return 0;
    add_range(info->reserved, &info->nreserved, base, size);
  }
  return -1;
}

// Append every (address, size) tuple of node n's reg to a range array,
// decoding it with the parent's cell counts. A reg with cell counts we
// cannot hold in 64 bits is skipped (it is not RAM). No locks.
static void
add_reg(struct walk *w, const struct fnode *n, const struct fnode *parent,
        struct memrange *r, int *count)
{
  uint32 ac = parent->acells, sc = parent->scells;
  const uchar *reg = w->f->b + n->reg;
  uint64 tuple;

  if(ac < 1 || ac > 2 || sc < 1 || sc > 2)
    return;
  tuple = 4 * (ac + sc); // bytes per (address, size): 16 on QEMU virt
  for(uint64 off = 0; off + tuple <= n->reglen; off += tuple)
    add_range(r, count, rdcells(reg + off, ac), rdcells(reg + off + 4 * ac, sc));
}

// A child of /cpus closes: if it is an available cpu, its reg (the hart id)
// sets a bit of hart_mask. Ids of 64 and above do not fit and are dropped.
// No locks.
static void
add_hart(struct walk *w, const struct fnode *n, const struct fnode *cpus)
{
  uint64 id;

  if(!(n->flags & (NF_NAME_CPU | NF_TYPE_CPU)) || (n->flags & NF_DISABLED))
    return;
  if(cpus->acells < 1 || cpus->acells > 2 || n->reglen < 4 * cpus->acells)
    return;
  id = rdcells(w->f->b + n->reg, cpus->acells);
  if(id < 64)
    w->info->hart_mask |= 1UL << id;
}

// Node d closes: now that all its properties are known, record what it
// describes. The parent, node[d-1], is still open and holds the cell counts
// for its reg. No locks.
static void
end_node(struct walk *w, int d)
{
  const struct fnode *n = &w->node[d], *parent = &w->node[d - 1];
  struct bootinfo *info = w->info;

  if(!(n->flags & NF_HAS_REG))
    return;
  if(n->kind == N_RESV_CHILD)
    add_reg(w, n, parent, info->reserved, &info->nreserved);
  else if(n->flags & (NF_TYPE_MEMORY | NF_NAME_MEMORY))
    add_reg(w, n, parent, info->ram, &info->nram);
  else if(n->kind == N_CPUS_CHILD)
    add_hart(w, n, parent);
}

// A node named name opens below node[d-1]: set up node[d] with the default
// cell counts and the kind its name and parent give it. No locks.
static void
begin_node(struct walk *w, int d, const char *name)
{
  struct fnode *n = &w->node[d];
  uchar pkind = w->node[d - 1].kind;

  zero(n, sizeof(*n));
  n->acells = 2; // spec 2.3.5: defaults when a node does not say
  n->scells = 1;
  n->kind = N_OTHER;
  if(d == 1){
    n->kind = N_ROOT;
  } else if(pkind == N_ROOT){
    if(streq(name, "cpus"))
      n->kind = N_CPUS;
    else if(streq(name, "chosen"))
      n->kind = N_CHOSEN;
    else if(streq(name, "reserved-memory"))
      n->kind = N_RESV;
    else if(streq(name, "memory") || has_prefix(name, "memory@"))
      n->flags |= NF_NAME_MEMORY;
  } else if(pkind == N_RESV){
    n->kind = N_RESV_CHILD;
  } else if(pkind == N_CPUS){
    n->kind = N_CPUS_CHILD;
    if(streq(name, "cpu") || has_prefix(name, "cpu@"))
      n->flags |= NF_NAME_CPU;
  }
}

// Copy /chosen's bootargs, stopping at its NUL or at the end of the value,
// truncated to fit info->bootargs and always NUL-terminated. No locks.
static void
copy_bootargs(struct bootinfo *info, const uchar *v, uint64 len)
{
  uint64 i;

  for(i = 0; i < len && i < FDT_BOOTARGS_MAX - 1 && v[i] != 0; i++)
    info->bootargs[i] = v[i];
  info->bootargs[i] = 0;
}

// Property name of node n has the len-byte value at blob offset val (both
// already bounds-checked): remember or record what we need. No locks.
static void
node_prop(struct walk *w, struct fnode *n, const char *name, uint64 val, uint64 len)
{
  const uchar *v = w->f->b + val;

  if(streq(name, "reg")){
    n->flags |= NF_HAS_REG;
    n->reg = val;
    n->reglen = len;
  } else if(streq(name, "#address-cells") && len == 4){
    n->acells = rd32(v);
  } else if(streq(name, "#size-cells") && len == 4){
    n->scells = rd32(v);
  } else if(streq(name, "device_type")){
    if(val_streq(v, len, "memory"))
      n->flags |= NF_TYPE_MEMORY;
    if(val_streq(v, len, "cpu"))
      n->flags |= NF_TYPE_CPU;
  } else if(streq(name, "status")){
    if(!val_streq(v, len, "okay") && !val_streq(v, len, "ok"))
      n->flags |= NF_DISABLED;
  } else if(n->kind == N_CPUS && streq(name, "timebase-frequency")){
    if(len == 4)
      w->info->timebase_freq = rd32(v);
    else if(len == 8)
      w->info->timebase_freq = rd64(v);
  } else if(n->kind == N_CHOSEN && streq(name, "bootargs")){
    copy_bootargs(w->info, v, len);
  }
}

// The BEGIN_NODE token's name starts at *off. Check it, open the node and
// advance *off past the padded name. Returns 0, or -1 if the name has no
// NUL inside the structure block. No locks.
static int
tok_begin_node(struct walk *w, uint64 *off)
{
  const struct fdt *f = w->f;
  long namelen = strz_len(f, *off, f->send);

  if(namelen < 0)
    return -1;
  w->depth++;
  if(w->depth < FDT_MAX_DEPTH)
    begin_node(w, w->depth, (const char *)(f->b + *off));
  *off = align4(*off + namelen + 1);
  return 0;
}

// The PROP token's header (len, nameoff) starts at *off. Check that the
// value lies in the structure block and the name in the strings block, hand
// it to the open node and advance *off past the padded value. Returns 0, or
// -1 for a property that points outside its block. No locks.
static int
tok_prop(struct walk *w, uint64 *off)
{
  const struct fdt *f = w->f;
  uint64 len, nameoff, val;

  if(!inside(*off, 8, f->soff, f->send))
    return -1;
  len = rd32(f->b + *off);
  nameoff = f->stroff + rd32(f->b + *off + 4);
  val = *off + 8;
  if(!inside(val, len, f->soff, f->send))
    return -1;
  if(nameoff >= f->strend || strz_len(f, nameoff, f->strend) < 0)
    return -1;
  if(w->depth < FDT_MAX_DEPTH)
    node_prop(w, &w->node[w->depth], (const char *)(f->b + nameoff), val, len);
  *off = align4(val + len);
  return 0;
}

// Walk the structure block token by token. Returns 0 at an END token that
// closes a single root node, or -1 for an unknown token, unbalanced nodes, a
// property outside any node, or a block that ends without END. Every token
// advances the offset, so the walk ends. No locks.
static int
walk_struct(struct walk *w)
{
  const struct fdt *f = w->f;
  uint64 off = f->soff;
  int seen_root = 0;

  for(;;){
    if(!inside(off, 4, f->soff, f->send))
      return -1;
    uint32 tok = rd32(f->b + off);
    off += 4;
    switch(tok){
    case TOK_BEGIN_NODE:
      if(w->depth == 0 && seen_root)
        return -1; // a second root
      seen_root = 1;
      if(tok_begin_node(w, &off) < 0)
        return -1;
      break;
    case TOK_END_NODE:
      if(w->depth == 0)
        return -1;
      if(w->depth < FDT_MAX_DEPTH)
        end_node(w, w->depth);
      w->depth--;
      break;
    case TOK_PROP:
      if(w->depth == 0 || tok_prop(w, &off) < 0)
        return -1;
      break;
    case TOK_NOP:
      break;
    case TOK_END:
      return (w->depth == 0 && seen_root) ? 0 : -1;
    default:
      return -1;
    }
  }
}

// Parse the device tree blob at blob, reading at most maxsize bytes, into
// *info. Returns 0, or -1 if the blob is malformed in any way the reader
// notices; *info is then all zero. No locks: it touches only its arguments.
int
fdt_parse(const void *blob, uint64 maxsize, struct bootinfo *info)
{
  struct fdt f;
  struct walk w;

  zero(info, sizeof(*info));
  if(fdt_open(&f, blob, maxsize) < 0)
    goto bad;
  info->fdt_base = (uint64)blob;
  info->fdt_size = f.total;
  if(read_rsvmap(&f, info) < 0)
    goto bad;
  zero(&w, sizeof(w));
  w.f = &f;
  w.info = info;
  w.node[0].kind = N_OTHER; // the root's virtual parent: default cells
  w.node[0].acells = 2;
  w.node[0].scells = 1;
  if(walk_struct(&w) < 0)
    goto bad;
  return 0;

bad:
  zero(info, sizeof(*info));
  return -1;
}
