#!/usr/bin/env python3
"""Pictures of physical memory over time (SVG, Python 3 stdlib only).

Boots the kernel, runs `memwatch` (user/memwatch.c) with a workload in the
shell, and draws what it sampled into two SVG files that open in any
browser:

  OUT/map.svg       the physical memory map, coloured by use: at the
                    busiest sample and at the end, and every sample side
                    by side (time left to right, addresses top to bottom);
                    with --zoom also the 256 frames where the use changes
                    most often, one cell each (fragmentation that a cell
                    of many frames hides)
  OUT/timeline.svg  every counter of the `sample` lines over time (frames:
                    free, kernel, page table, user, ... whatever keys the
                    kernel reports), and, when memwatch prints `count`
                    lines (cumulative event counters such as faults),
                    their rates per second, and, when it prints `orders`
                    lines (a buddy allocator), the free frames by the
                    order of the block that holds them

    tools/memviz.py [--out DIR] [--workload 'PROG ARGS' | --workload NAME]
                    [--interval TICKS] [--zoom] [--kernel-dir TREE]
                    [--mem 128M] [--cpus 3] [--swap 32M] [--kopts OPTS]
    tools/memviz.py --from memwatch.log --out DIR    (draw a saved run)

NAME is one of memwatch's built-in workloads (grow, the default; frag,
cow, lazy, swap: the pictures of labs buddy, cow, lazy and swap). The
swap workload boots with -m 16M and a 32 MiB swap disk, as lab swap's
grader does (but three harts), unless told otherwise; the others boot
without swap.
`make memviz` runs it into build/memviz/ (`make memviz WORKLOAD=frag`).
The console transcript is saved as OUT/memwatch.log.
"""

import argparse
import math
import os
import re
import sys
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK_HZ = 100          # kernel/param.h
BUILTIN = ("grow", "frag", "cow", "lazy", "swap")   # memwatch -w NAME
# How the swap workload boots unless told otherwise: with the RAM and swap
# disk grade-lab-swap.py boots with, so that its streams are larger than
# RAM, and three harts, as `make qemu`: a page fault runs with interrupts
# off, so on one hart the hot process could not run while the batch job's
# fault sweeps the clock, and would lose its pages for want of a turn.
SWAP_BOOT = {"mem": "16M", "cpus": 3, "swap": "32M"}

# memmap() characters (kernel/memstat.h), their names and colours: swap
# cache in the colour of swap in the timeline, being evicted in red.
USES = [(".", "free", "#e9e9e9"), ("K", "kernel", "#3b6fb6"),
        ("P", "page table", "#e08a2c"), ("U", "user", "#4aa35a"),
        ("S", "shared", "#8a63b8"), ("C", "swap cache", "#17a2b8"),
        ("E", "being evicted", "#e8202a"),
        ("R", "reserved", "#6b6b6b"), ("#", "in use", "#a07850")]
CHAR_COLOUR = {c: col for c, _n, col in USES}
# Colours of timeline series by key; other keys take PALETTE in turn.
KEY_COLOUR = {"free": "#9a9a9a", "kernel": "#3b6fb6", "pagetable": "#e08a2c",
              "user": "#4aa35a", "shared": "#8a63b8", "reserved": "#6b6b6b",
              "used": "#a07850", "swapped": "#17a2b8", "swap_used": "#17a2b8",
              "hot": "#1b5e20", "swap_out": "#17a2b8", "swap_in": "#c2185b",
              "reclaim_scan": "#222222", "swap_clean": "#7fd3e0"}
# Keys of sample lines that are sizes, not series: in the title only.
SIZE_KEYS = ("t", "total", "swap_slots")
PALETTE = ["#d6336c", "#b8860b", "#6f42c1", "#fd7e14", "#20c997", "#343a40"]
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


# ---- parsing ----

FIELD = re.compile(r"(\w+)=(0x[0-9a-fA-F]+|-?\d+)")


def parse(text):
    """(samples, counts, maps) from memwatch output: samples and counts are
    lists of {key: int} (each has t), maps a list of (t, first, group,
    chars). Lines that are cut or garbled are skipped."""
    rows, maps = parse_all(text)
    return rows["sample"], rows["count"], maps


def parse_all(text):
    """({kind: [{key: int}]} for the kinds sample, count and orders, under
    "zoom" the zoom lines in the form of the maps, under "phase" the
    phase lines as {"t": int, "name": str}; the maps) from memwatch
    output; see parse()."""
    rows = {"sample": [], "count": [], "orders": [], "zoom": [], "phase": []}
    maps = []
    for line in text.replace("\r", "").split("\n"):
        words = line.strip().split(" ")
        kind = words[0]
        if kind == "phase":
            m = FIELD.fullmatch(words[1]) if len(words) > 2 else None
            if m and m.group(1) == "t":
                rows[kind].append({"t": int(m.group(2), 0),
                                   "name": " ".join(words[2:])})
        elif kind in rows and kind != "zoom":
            d = {}
            for w in words[1:]:
                m = FIELD.fullmatch(w)
                if not m:
                    d = None
                    break
                d[m.group(1)] = int(m.group(2), 0)
            if d and "t" in d:
                rows[kind].append(d)
        elif kind in ("map", "zoom") and len(words) == 5:
            f = dict(FIELD.fullmatch(w).groups() for w in words[1:4]
                     if FIELD.fullmatch(w))
            chars = words[4]
            if {"t", "first", "group"} <= set(f) and \
                    all(c in CHAR_COLOUR or c == "?" for c in chars):
                (maps if kind == "map" else rows["zoom"]).append(
                    (int(f["t"], 0), int(f["first"], 0), int(f["group"], 0), chars))
    return rows, maps


# ---- SVG helpers ----

class Svg:
    def __init__(self, width, height, title):
        self.w, self.h = width, height
        self.parts = ['<rect width="%d" height="%d" fill="white"/>'
                      % (width, height)]
        self.text(16, 28, title, size=18, weight="bold", cls="title")

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", weight="normal",
             cls=None, fill="#222"):
        self.add('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" '
                 'font-weight="%s" fill="%s"%s>%s</text>'
                 % (x, y, size, anchor, weight, fill,
                    ' class="%s"' % cls if cls else "", escape(str(s))))

    def rect(self, x, y, w, h, fill, stroke=None):
        self.add('<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" '
                 'fill="%s"%s/>' % (x, y, w, h, fill,
                                    ' stroke="%s"' % stroke if stroke else ""))

    def legend(self, x, y, items, cls):
        """items: (label, colour); rows of swatches from (x, y), wrapped
        at the picture's right edge. Returns the y of the last row."""
        self.add('<g class="%s">' % cls)
        x0 = x
        for label, colour in items:
            width = 30 + 7 * len(label)
            if x > x0 and x + width > self.w - 16:
                x, y = x0, y + 20
            self.rect(x, y - 10, 14, 14, colour, stroke="#444")
            self.text(x + 19, y + 2, label)
            x += width
        self.add("</g>")
        return y

    def save(self, path):
        with open(path, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
                    'height="%d" viewBox="0 0 %d %d" %s>\n%s\n</svg>\n'
                    % (self.w, self.h, self.w, self.h, FONT,
                       "\n".join(self.parts)))


def kib(n):
    return "%d MiB" % (n >> 20) if n >= 1 << 20 else "%d KiB" % (n >> 10)


def nice_step(span, ticks=5):
    """A round step (1, 2 or 5 times a power of ten) that cuts span into
    about `ticks` parts."""
    raw = max(span / ticks, 1e-9)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def draw_phases(svg, phases, x_of, y, h, right):
    """The phase lines of a workload as dashed vertical lines from y down
    h units, at x_of(t) (None: out of range), each labelled at its top
    (to its left where it would pass x = right); labels that would run
    into the one before drop a row."""
    svg.add('<g class="phases">')
    ends = []                   # per label row, the x where its last label ends
    for p in phases:
        x = x_of(p["t"])
        if x is None:
            continue
        svg.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333" '
                'stroke-dasharray="4,3" stroke-width="1"/>' % (x, y, x, y + h))
        width = 6.5 * len(p["name"]) + 4
        left = x + 1 if x + 1 + width <= right else x - 1 - width
        row = next((r for r, end in enumerate(ends) if left > end), len(ends))
        if row == len(ends):
            ends.append(-math.inf)
        ends[row] = left + width
        svg.rect(left, y + 2 + 13 * row, width, 12, "white")
        svg.text(left + 2, y + 12 + 13 * row, p["name"], size=11, fill="#111")
    svg.add("</g>")


# ---- the map picture ----

def draw_grid(svg, x0, y0, m, label, cell=10, per_row=32):
    """One memmap() snapshot as a grid, 32 groups per row."""
    t, first, group, chars = m
    svg.text(x0, y0 - 8, "%s (t = %.2f s)" % (label, t / TICK_HZ), size=13,
             weight="bold")
    svg.add('<g class="grid">')
    for i, c in enumerate(chars):
        r, col = divmod(i, per_row)
        svg.rect(x0 + 86 + col * cell, y0 + r * cell, cell - 1, cell - 1,
                 CHAR_COLOUR.get(c, "black"))
        if col == 0:
            svg.text(x0 + 80, y0 + r * cell + cell - 1,
                     "0x%x" % (first + i * group * 4096), size=10,
                     anchor="end", fill="#555")
    svg.add("</g>")
    return y0 + ((len(chars) + per_row - 1) // per_row) * cell


def changes(chars):
    return sum(a != b for a, b in zip(chars, chars[1:]))


def snapshots(maps, samples):
    """The two maps drawn as grids, with their titles: the busiest moment
    (least free frames) and the end of the run; on a machine that swaps,
    instead, a moment with a frame being evicted (the one with the least
    free frames) and the moment with the most swap cache."""
    free = {s["t"]: s.get("free", 0) for s in samples}

    def least_free(ms):
        return min(ms, key=lambda m: free.get(m[0], math.inf))

    first = ("busiest moment", maps[-1])
    if samples:
        top = min(samples, key=lambda s: s.get("free", 0))
        first = ("busiest moment", min(maps, key=lambda m: abs(m[0] - top["t"])))
    evicting = [m for m in maps if "E" in m[3]]
    if evicting:
        first = ("the clock at work: E, a frame being evicted", least_free(evicting))
    second = ("end of the run", maps[-1])
    cached = max(maps, key=lambda m: m[3].count("C"))
    if "C" in cached[3]:
        second = ("most swap cache (C)", cached)
    return first, second


def draw_map(maps, samples, path, zooms=(), phases=()):
    """map.svg: two snapshots (snapshots()), the zoom (one frame a cell)
    of the most mixed moment, then all samples over time, with frames
    being evicted drawn at least 3 units tall so that one shows, and the
    workload's phases."""
    ncell = len(maps[-1][3])
    rows = (ncell + 31) // 32
    n = len(maps)
    cw = max(3.0, min(14.0, 800.0 / n))
    strip_h = max(256.0, float(ncell))
    zrows = (len(zooms[0][3]) + 31) // 32 + 7 if zooms else 0
    height = 96 + (rows + zrows) * 10 + 56 + strip_h + 50
    svg = Svg(int(max(900, 100 + n * cw + 40)), int(height),
              "Physical memory by use (memwatch, 1 cell = %d frames = %s)"
              % (maps[-1][2], kib(maps[-1][2] * 4096)))
    present = set("".join(m[3] for m in list(maps) + list(zooms)))
    svg.legend(16, 56, [(name, col) for c, name, col in USES
                        if c in present], "legend")
    y = 96
    (label1, map1), (label2, map2) = snapshots(maps, samples)
    bottom = draw_grid(svg, 16, y, map1, label1)
    draw_grid(svg, 460, y, map2, label2)
    if zooms:
        mixed = max(zooms, key=lambda z: changes(z[3]))
        y = bottom + 36
        svg.text(16, y, "Zoom, 1 cell = 1 frame: the %d frames where the use "
                 "changes most often, at the moment it changes most"
                 % len(mixed[3]), size=13, weight="bold")
        bottom = draw_grid(svg, 16, y + 26, mixed, "most mixed moment")
    y = bottom + 56
    svg.text(16, y - 10, "Over time: one column per sample, addresses "
             "top (low) to bottom (high)", size=13, weight="bold")
    x0 = 100
    ch = strip_h / ncell
    svg.add('<g class="strip">')
    for k, (_t, _f, _g, chars) in enumerate(maps):
        run_start = 0
        for i in range(1, len(chars) + 1):       # merge equal cells
            if i == len(chars) or chars[i] != chars[run_start]:
                svg.rect(x0 + k * cw, y + run_start * ch, cw + 0.3,
                         (i - run_start) * ch + 0.3,
                         CHAR_COLOUR.get(chars[run_start], "black"))
                run_start = i
        for i in [i for i, c in enumerate(chars) if c == "E"]:
            svg.rect(x0 + k * cw, y + i * ch + ch / 2 - max(ch, 3) / 2,
                     cw + 0.3, max(ch, 3), CHAR_COLOUR["E"])
    svg.add("</g>")

    def column_x(t):
        k = next((k for k, m in enumerate(maps) if m[0] >= t), None)
        return None if k is None or t < maps[0][0] else x0 + k * cw
    draw_phases(svg, phases, column_x, y, strip_h, x0 + n * cw)
    first, group = maps[-1][1], maps[-1][2]
    for frac in (0, 0.25, 0.5, 0.75, 1):
        i = int(frac * (ncell - 1))
        svg.text(x0 - 6, y + i * ch + 4, "0x%x" % (first + i * group * 4096),
                 size=10, anchor="end", fill="#555")
    t0 = maps[0][0]
    span = max(1, maps[-1][0] - t0)
    step = nice_step(span / TICK_HZ)
    s = 0.0
    while s * TICK_HZ <= span * (1 + 1e-9):
        k = min(n - 1, int(round(s * TICK_HZ / span * (n - 1))))
        svg.text(x0 + k * cw + cw / 2, y + strip_h + 16, "%gs" % round(s, 6),
                 size=10, anchor="middle", fill="#555")
        s += step
    svg.text(x0 + n * cw / 2, y + strip_h + 34, "time since memwatch started",
             size=11, anchor="middle")
    svg.save(path)


# ---- the timeline picture ----

def series_keys(rows):
    keys = []
    for r in rows:
        for k in r:
            if k not in SIZE_KEYS and k not in keys:
                keys.append(k)
    return keys


def order_colour(k, n=11):
    """Order 0 red through order n-1 blue: small blocks warm, large cold."""
    f = k / max(1, n - 1)
    r, g, b = (214 + (30 - 214) * f, 51 + (100 - 51) * f, 40 + (200 - 40) * f)
    return "#%02x%02x%02x" % (int(r), int(g), int(b))


def peak_cap(rows, keys):
    """A round value to cut the y axis at when a few peaks of rows' keys
    would flatten everything else (more than 1.5 times three times the
    90th percentile of the values above 0), else None."""
    vals = sorted(r.get(k, 0) for r in rows for k in keys if r.get(k, 0) > 0)
    if len(vals) < 10:
        return None
    cap = nice_step(3 * vals[len(vals) * 9 // 10], 1)    # rounded up
    return cap if vals[-1] > 1.5 * cap else None


def plot_panel(svg, x0, y0, w, h, rows, keys, ylabel, values, colours=None,
               phases=(), cut=None):
    """A line chart of values(row, key) over rows' t, with axes, grid,
    the phases of the workload and a legend under it (colours: {key:
    colour} to override the defaults; cut: no value drawn above it).
    Returns the y below the panel."""
    t0 = rows[0]["t"]
    tspan = max(1, rows[-1]["t"] - t0)
    if cut is not None:
        uncut = values

        def values(r, k):
            return min(uncut(r, k), cut)
    ymax = max([values(r, k) for r in rows for k in keys] + [1])
    ystep = nice_step(ymax)
    ytop = ystep * (int(ymax / ystep) + 1)
    svg.add('<g class="axes">')
    svg.rect(x0, y0, w, h, "white", stroke="#888")
    v = 0.0
    while v <= ytop + 1e-9:
        y = y0 + h - v / ytop * h
        svg.add('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                'stroke="#ddd"/>' % (x0, y, x0 + w, y))
        svg.text(x0 - 6, y + 4, "%g" % v, size=10, anchor="end", fill="#555")
        v += ystep
    tstep = nice_step(tspan / TICK_HZ)
    s = 0.0
    while s * TICK_HZ <= tspan * (1 + 1e-9):
        x = x0 + s * TICK_HZ / tspan * w
        svg.text(x, y0 + h + 15, "%gs" % round(s, 6), size=10, anchor="middle",
                 fill="#555")
        s += tstep
    svg.add('<text transform="rotate(-90 %.1f %.1f)" x="%.1f" y="%.1f" '
            'font-size="11" text-anchor="middle">%s</text>'
            % (x0 - 58, y0 + h / 2, x0 - 58, y0 + h / 2, escape(ylabel)))
    svg.add("</g>")
    colours = dict(colours or {})
    extra = iter(PALETTE * 4)
    for k in keys:
        colours[k] = colours.get(k) or KEY_COLOUR.get(k) or next(extra)
        pts = " ".join("%.1f,%.1f" % (x0 + (r["t"] - t0) / tspan * w,
                                      y0 + h - values(r, k) / ytop * h)
                       for r in rows if k in r)
        svg.add('<polyline class="series" data-key="%s" points="%s" '
                'fill="none" stroke="%s" stroke-width="2"/>'
                % (escape(k), pts, colours[k]))
    t1 = rows[-1]["t"]
    draw_phases(svg, phases, lambda t: x0 + (t - t0) / tspan * w
                if t0 <= t <= t1 else None, y0, h, x0 + w)
    last = svg.legend(x0, y0 + h + 40, [(k, colours[k]) for k in keys], "legend")
    return last + 20


def draw_timeline(samples, counts, path, orders=(), phases=(), note=""):
    """timeline.svg: the sample keys in frames (free, which dwarfs the
    others, only in the title, unless the machine swaps: then free is the
    reserve the reclaimer keeps, and the point); rates of the count keys
    that moved, those of swap (swap_*) in a panel of their own; the free
    frames per block order of orders lines; the workload's phases on
    every panel; a note (such as the kernel options) under the title."""
    slots = max(s.get("swap_slots", 0) for s in samples)
    keys = [k for k in series_keys(samples) if k != "free" or slots]
    total = samples[-1].get("total")
    free = [s["free"] for s in samples if "free" in s]
    rates = []
    for a, b in zip(counts, counts[1:]):
        dt = max(1, b["t"] - a["t"]) / TICK_HZ
        rates.append(dict({k: (b.get(k, 0) - a.get(k, 0)) / dt
                           for k in b if k != "t"}, t=b["t"]))
    moved = [k for k in series_keys(rates) if any(r.get(k) for r in rates)]
    swapping = [k for k in moved if k.startswith("swap_")]
    moved = [k for k in moved if k not in swapping]
    h = 300
    panels = 1 + bool(moved) + bool(swapping) + (len(orders) >= 2)
    svg = Svg(1000, 60 + (h + 100) * panels,
              "Frames in use over time%s" % (
                  " (of %d = %s; free: least %d, at the end %d)"
                  % (total, kib(total * 4096), min(free), free[-1])
                  if total and free else ""))
    swap = ("Swap disk: %d slots (%s); swap_used: slots holding a page that "
            "is not in RAM" % (slots, kib(slots * 4096))) if slots else ""
    if note or swap:
        svg.text(16, 48, ". ".join(x for x in (note, swap) if x), size=12)
    y = plot_panel(svg, 90, 60, 860, h, samples, keys, "frames",
                   lambda r, k: r.get(k, 0), phases=phases)
    for title, ks in (("Event rates (per second, from count lines)", moved),
                      ("Swap traffic (pages per second): out = written, "
                       "clean = evicted with no write, in = read back",
                       swapping)):
        if ks:
            cap = peak_cap(rates, ks)
            if cap:
                top = max(ks, key=lambda k: max(r.get(k, 0) for r in rates))
                title += "; cut at %g (%s peaks at %d)" % (
                    cap, top, max(r.get(top, 0) for r in rates))
            svg.text(16, y + 26, title, size=14, weight="bold")
            y = plot_panel(svg, 90, y + 40, 860, h, rates, ks, "events / s",
                           lambda r, k: r.get(k, 0), phases=phases, cut=cap)
    if len(orders) >= 2:
        keys = series_keys(orders)
        top = keys[-1]           # the largest blocks hold most free frames
        svg.text(16, y + 26, "Free frames in smaller blocks than %s, by order "
                 "(fragmentation moves frames to low orders)" % top,
                 size=14, weight="bold")
        plot_panel(svg, 90, y + 40, 860, h, orders, keys[:-1], "free frames",
                   lambda r, k: r.get(k, 0),
                   {k: order_colour(i, len(keys)) for i, k in enumerate(keys)},
                   phases=phases)
    svg.save(path)


# ---- running memwatch ----

def memwatch_command(interval, workload, zoom=False):
    """The shell command: memwatch with a program, or -w NAME for one of
    its built-in workloads; zoom (always for frag): -z, zoom lines."""
    work = workload or ""
    if work in BUILTIN:
        zoom = zoom or work == "frag"
        work = "-w " + work
    return ("memwatch -i %d %s%s" % (interval, "-z " if zoom else "", work)).strip()


def size_bytes(size):
    """Bytes of a size written as QEMU's -m takes it: 32M, 1G, 4096K, or
    plain bytes; 0 for "0"."""
    m = re.fullmatch(r"(\d+)([KMG]?)", str(size).upper())
    if not m:
        raise ValueError("not a size: %r" % size)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def boot_settings(args):
    """(cpus, mem, swap disk bytes) of the boot: the options given, else
    SWAP_BOOT for the swap workload, else 3 harts, 128M and no swap."""
    plain = {"mem": "128M", "cpus": 3, "swap": "0"}
    default = SWAP_BOOT if args.workload == "swap" else plain
    pick = {k: default[k] if getattr(args, k) is None else getattr(args, k)
            for k in default}
    return int(pick["cpus"]), pick["mem"], size_bytes(pick["swap"])


def run_memwatch(args):
    """Boot, run memwatch, return the console transcript."""
    sys.path.insert(0, os.path.join(ROOT, "grade"))
    from qemu import PROMPT, Qemu, scaled
    tree = os.path.abspath(args.kernel_dir)
    cmd = memwatch_command(args.interval, args.workload, args.zoom)
    cpus, mem, swap = boot_settings(args)
    with Qemu(cpus=cpus, mem=mem, kopts=args.kopts,
              disks=[swap] if swap else [],
              kernel=os.path.join(tree, "kernel", "kernel"),
              fsimg=os.path.join(tree, "fs.img")) as q:
        q.expect(PROMPT, timeout=scaled(60))
        mark = q.mark()
        q.send(cmd)
        q.expect(r"memwatch: done", timeout=scaled(args.timeout))
        return q.text_since(mark)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "memviz"))
    ap.add_argument("--from", dest="log", help="draw a saved memwatch log")
    ap.add_argument("--workload", default="",
                    help="program and arguments for memwatch to run, or "
                    "a built-in workload: " + ", ".join(BUILTIN))
    ap.add_argument("--interval", type=int, default=10, help="ticks per sample")
    ap.add_argument("--zoom", action="store_true", help="also draw the most "
                    "mixed 256 frames one by one (memwatch -z; on for frag)")
    ap.add_argument("--kernel-dir", default=ROOT)
    ap.add_argument("--mem", help="RAM (-m): 128M, or 16M for swap")
    ap.add_argument("--cpus", type=int, help="harts: 3")
    ap.add_argument("--swap", help="size of a swap disk: 0 (none), or 32M "
                    "for swap")
    ap.add_argument("--kopts", default="", help="kernel options (-append), "
                    "e.g. reclaim=fifo; named under the timeline's title")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.log:
        with open(args.log) as f:
            text = f.read()
    else:
        text = run_memwatch(args)
        with open(os.path.join(args.out, "memwatch.log"), "w") as f:
            f.write(text)
    rows, maps = parse_all(text)
    samples, counts = rows["sample"], rows["count"]
    if len(samples) < 2 or not maps:
        print("memviz: too few samples (%d samples, %d maps) to draw"
              % (len(samples), len(maps)), file=sys.stderr)
        return 1
    draw_map(maps, samples, os.path.join(args.out, "map.svg"), rows["zoom"],
             rows["phase"])
    draw_timeline(samples, counts, os.path.join(args.out, "timeline.svg"),
                  rows["orders"], rows["phase"],
                  "Kernel options: " + args.kopts if args.kopts else "")
    print("memviz: %d samples over %.2f s -> %s/map.svg, %s/timeline.svg" % (
        len(samples), (samples[-1]["t"] - samples[0]["t"]) / TICK_HZ,
        args.out, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
