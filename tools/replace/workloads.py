"""The page reference strings of user/refbench.c's workloads, made on the host.

Each generator takes the same parameters as `refbench NAME ...` and yields
the heap pages the program touches, in order, as small integers (page
numbers from the start of its heap, one region after the other).
Consecutive references to the same page are one reference (a page that
stays in use between two faults cannot be evicted in between by any
policy here: the process is running, not faulting). The string is
exact: refbench touches its heap in an order fixed by its arguments and
seed, and does the same arithmetic (the 64-bit LCG below).

What the strings leave out, and why the comparison stays fair:
  - Text, data and stack: refbench's loops run from one or two text
    pages that every policy keeps (they are used between any two heap
    references), and the rest of the image is idle while a workload
    runs, like the shell's and init's pages. The tool (bench-replace.py)
    counts those idle pages among the frames the workload has, and
    gives the simulator PINNED pages fewer frames for the loop's text;
    see frames_for() there.
  - Cold faults: a page's first touch is a fresh zero-filled frame in
    the kernel, not a swap-in; the simulator counts them apart (warm
    faults compare with the kernel's swap-ins).

Python 3 standard library only.
"""

import bisect

MASK = (1 << 64) - 1
PAGE_WORDS = 512            # 8-byte words in a 4 KiB page
ZIPF_BITS = 16              # refbench's zipf draws u in [0, 2^16)


def lcg(seed):
    """refbench's generator: x = x * A + C mod 2^64 (Knuth's MMIX
    constants); yields the successive x."""
    x = seed & MASK
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK
        yield x


def dedup(refs):
    """Drop a reference equal to the one before it."""
    last = None
    for p in refs:
        if p != last:
            yield p
            last = p


def loop(pages, passes):
    """Write pages 0..pages-1, then read them in the same order `passes`
    times: a loop larger than RAM, LRU's worst case."""
    for _ in range(1 + passes):
        yield from range(pages)


def hotscan(cold, hot, chunk, chunks):
    """Write `cold` pages once, then a hot set of `hot` pages, then
    `chunks` chunks of `chunk` fresh pages, each followed by a read of
    the whole hot set: a scan passing through a hot set."""
    yield from range(cold + hot)
    fresh = cold + hot
    for k in range(chunks):
        yield from range(fresh + k * chunk, fresh + (k + 1) * chunk)
        yield from range(cold, cold + hot)


def zipf(pages, refs, seed):
    """Write every page once, then `refs` references to page
    pages * u^3 / 2^48 with u uniform in [0, 2^16) (the top 16 bits of
    the LCG): low pages are hot, a Zipf-like skew (the share of the
    references to the first k pages grows as the cube root of k)."""
    yield from range(pages)
    rng = lcg(seed)
    for _ in range(refs):
        u = next(rng) >> (64 - ZIPF_BITS)
        yield (pages * u * u * u) >> (3 * ZIPF_BITS)


def msort_data(pages, seed):
    """The array msort sorts: pages * PAGE_WORDS words from the LCG."""
    rng = lcg(seed)
    return [next(rng) for _ in range(pages * PAGE_WORDS)]


def merge_pages(a, lo, mid, hi, sbase, dbase):
    """Page references of merging the sorted runs a[lo:mid] and a[mid:hi]
    (of the buffer at page base sbase) into the other buffer (base
    dbase), as refbench's merge() makes them: each step reads the current
    left and right words, compares them and writes the smaller (left on
    a tie) to the output; when one run is used up, the rest of the other
    is copied. Whenever one of the pages in use changes, they are
    referenced again in that order (left, right, output): the loop uses
    each of them every step, so none can go in between."""
    left, right = a[lo:mid], a[mid:hi]

    def pos_left(x):        # output position of left[x]
        return x + bisect.bisect_left(right, left[x])

    def pos_right(x):       # right[x] goes after the left words <= it
        return x + bisect.bisect_right(left, right[x])

    total = hi - lo
    events = set(range(0, total, PAGE_WORDS))   # output page changes
    for x in range(PAGE_WORDS - 1, len(left), PAGE_WORDS):
        events.add(pos_left(x) + 1)             # left pointer to a new page
    for x in range(PAGE_WORDS - 1, len(right), PAGE_WORDS):
        events.add(pos_right(x) + 1)
    refs = []
    for k in sorted(e for e in events if e < total):
        # i: left words output before position k (pos_left increases).
        lo_i, hi_i = 0, len(left)
        while lo_i < hi_i:
            m = (lo_i + hi_i) // 2
            if pos_left(m) < k:
                lo_i = m + 1
            else:
                hi_i = m
        i, j = lo_i, k - lo_i
        if i < len(left):
            refs.append(sbase + (lo + i) // PAGE_WORDS)
        if j < len(right):
            refs.append(sbase + (mid + j) // PAGE_WORDS)
        refs.append(dbase + (lo + k) // PAGE_WORDS)
    return refs


def msort(pages, seed):
    """Merge sort of pages * 512 words (Pintos's page-merge): fill the
    array (page order), sort each page in place (page order), then a
    bottom-up merge with runs of one page, doubling, between the array
    (pages 0..pages-1) and a buffer of the same size (pages
    pages..2*pages-1), the result copied back if it ends in the buffer."""
    a = msort_data(pages, seed)
    yield from range(pages)                     # fill
    for p in range(pages):                      # sort each page
        a[p * PAGE_WORDS:(p + 1) * PAGE_WORDS] = sorted(
            a[p * PAGE_WORDS:(p + 1) * PAGE_WORDS])
        yield p
    n, width = len(a), PAGE_WORDS
    sbase, dbase = 0, pages
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            yield from merge_pages(a, lo, mid, hi, sbase, dbase)
            a[lo:hi] = sorted(a[lo:hi])
        sbase, dbase = dbase, sbase
        width *= 2
    if sbase != 0:                              # copy back
        for p in range(pages):
            yield sbase + p
            yield p


def family(shared, children, own, turns):
    """A parent writes `shared` pages and forks `children` children,
    which take turns (a token passed through pipes, one turn each in
    order): in each of its `turns` turns a child reads every shared page
    (shared copy-on-write: one frame for all) and writes its `own`
    private pages. Child k's private pages are numbered from
    shared + k * own."""
    yield from range(shared)
    for _ in range(turns):
        for k in range(children):
            yield from range(shared)
            base = shared + k * own
            yield from range(base, base + own)


WORKLOADS = {
    "loop": (loop, ["pages", "passes"]),
    "hotscan": (hotscan, ["cold", "hot", "chunk", "chunks"]),
    "zipf": (zipf, ["pages", "refs", "seed"]),
    "msort": (msort, ["pages", "seed"]),
    "family": (family, ["shared", "children", "own", "turns"]),
}


def refs_of(name, params):
    """The reference string (a list) of workload name with params, a
    {parameter: int} dict, consecutive repeats dropped."""
    fn, keys = WORKLOADS[name]
    return list(dedup(fn(*[params[k] for k in keys])))
