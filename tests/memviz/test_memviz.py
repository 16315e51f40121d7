#!/usr/bin/env python3
"""Tests of tools/memviz.py and user/memwatch.c.

- parsing: sample/count/map lines, unknown keys kept, cut lines skipped;
- orders lines (lab buddy on): their panel, without the largest order;
  memwatch's built-in workloads (-w frag) chosen by name; zoom lines
  (memwatch -z): a grid of one frame a cell at the most mixed moment;
- drawing a made-up run: both SVGs are well-formed XML and hold their
  parts (titles, legend entries for the uses present, one grid cell per
  map character, one line per key, the rate panel only with count lines);
- the memmap() characters: every one kernel/memstat.h defines has a
  colour and name in memviz and a place in user/memmap.c's legend;
- lab swap's picture from a made-up run: map lines with frames being
  evicted (E) and swap cache (C) are kept, the grids show those moments,
  free and swap_used are plotted, swap_slots is not, swap traffic has its
  own panel, phase lines mark every panel; how the swap workload boots;
- a real run (unless --no-boot): boots the kernel, runs memwatch with its
  default workload, and checks that the pictures show memory being used
  and given back; then the swap workload on a machine with a swap disk:
  pages go to swap, frames are seen being evicted and in the swap cache.

    python3 tests/memviz/test_memviz.py [--no-boot]

Prints `NAME: OK` or `NAME: FAIL why` per check, then `N passed, N failed`.
"""

import argparse
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import memviz  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"
RESULTS = []


def check(name, ok, why=""):
    RESULTS.append(bool(ok))
    print("%s: %s" % (name, "OK" if ok else "FAIL " + why), flush=True)


LOG = """$ memwatch
sample t=10 total=1024 free=900 kernel=20 pagetable=4 user=0 reserved=100
map t=10 first=0x80000000 group=16 RRRRRRRK........................................................
count t=10 faults=0 cow=0
sample t=20 total=1024 free=600 kernel=20 pagetable=8 user=296 reserved=100 swapped=5
map t=20 first=0x80000000 group=16 RRRRRRRKPUUUUUUUUUUUUUUUUUU.....................................
count t=20 faults=50 cow=4
sample t=30 total=1024 free=90
sample t=30 total=1024 fr
map t=30 first=0x80000000 group=16 RRRRRRRKPUUUUUU@@
count t=30 faults=80 cow=10
sample t=40 total=1024 free=880 kernel=20 pagetable=4 user=20 reserved=100
map t=40 first=0x80000000 group=16 RRRRRRRK...U....................................................
memwatch: done
"""


def svg_root(path, name):
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        check(name, False, str(e))
        return None
    check(name, root.tag == NS + "svg", root.tag)
    return root


def texts(root):
    return [t.text or "" for t in root.iter(NS + "text")]


def test_parse():
    samples, counts, maps = memviz.parse(LOG)
    check("parse/samples", [s["t"] for s in samples] == [10, 20, 30, 40]
          and samples[1]["swapped"] == 5 and samples[2] == {
              "t": 30, "total": 1024, "free": 90}, str(samples))
    check("parse/counts", [c["faults"] for c in counts] == [0, 50, 80],
          str(counts))
    check("parse/maps-skip-garbled", [m[0] for m in maps] == [10, 20, 40]
          and maps[0][1:3] == (0x80000000, 16), str([m[:3] for m in maps]))


def test_draw(out):
    samples, counts, maps = memviz.parse(LOG)
    memviz.draw_map(maps, samples, os.path.join(out, "map.svg"))
    memviz.draw_timeline(samples, counts, os.path.join(out, "timeline.svg"))
    root = svg_root(os.path.join(out, "map.svg"), "draw/map-well-formed")
    if root is not None:
        t = texts(root)
        check("draw/map-title", any("Physical memory by use" in s for s in t), t[:3])
        legend = [g for g in root.iter(NS + "g") if g.get("class") == "legend"]
        labels = [x.text for g in legend for x in g.iter(NS + "text")]
        check("draw/map-legend", labels == ["free", "kernel", "page table",
                                            "user", "reserved"], str(labels))
        grids = [g for g in root.iter(NS + "g") if g.get("class") == "grid"]
        cells = [len(list(g.iter(NS + "rect"))) for g in grids]
        want = [len(maps[1][3]), len(maps[-1][3])]   # busiest, last
        check("draw/map-grids", cells == want, "%s, not %s" % (cells, want))
        strip = [g for g in root.iter(NS + "g") if g.get("class") == "strip"]
        check("draw/map-over-time", len(strip) == 1 and
              len(list(strip[0].iter(NS + "rect"))) >= 3 * 2, "no strip")
        check("draw/map-addresses", "0x80000000" in t and "0x80200000" in t,
              str(t))
    root = svg_root(os.path.join(out, "timeline.svg"),
                    "draw/timeline-well-formed")
    if root is not None:
        keys = [p.get("data-key") for p in root.iter(NS + "polyline")]
        check("draw/timeline-every-key", keys == [
            "kernel", "pagetable", "user", "reserved", "swapped",
            "faults", "cow"], str(keys))
        check("draw/timeline-free-in-title", any(
            "free: least 90, at the end 880" in s for s in texts(root)),
            texts(root)[:2])
        check("draw/timeline-rates", any("Event rates" in s
                                         for s in texts(root)), "")
    memviz.draw_timeline(samples, [], os.path.join(out, "t2.svg"))
    root = svg_root(os.path.join(out, "t2.svg"), "draw/timeline-no-counts")
    if root is not None:
        check("draw/timeline-no-rate-panel",
              not any("Event rates" in s for s in texts(root)), "")


ORDERS = """sample t=10 total=1024 free=900 user=0
orders t=10 o0=1 o1=2 o2=0 o10=800
sample t=20 total=1024 free=600 user=300
orders t=20 o0=150 o1=0 o2=4 o10=400
memwatch: done
"""


def test_orders(out):
    rows, _maps = memviz.parse_all(ORDERS)
    check("orders/parse", [r["o0"] for r in rows["orders"]] == [1, 150],
          str(rows["orders"]))
    path = os.path.join(out, "orders.svg")
    memviz.draw_timeline(rows["sample"], rows["count"], path, rows["orders"])
    root = svg_root(path, "orders/well-formed")
    if root is not None:
        keys = [p.get("data-key") for p in root.iter(NS + "polyline")]
        check("orders/panel-below-largest", keys == ["user", "o0", "o1", "o2"],
              str(keys))
        check("orders/title", any("smaller blocks than o10" in s
                                  for s in texts(root)), "")
        check("orders/no-empty-rate-panel",
              not any("Event rates" in s for s in texts(root)), "")
    check("orders/builtin-workload",
          memviz.memwatch_command(10, "frag") == "memwatch -i 10 -z -w frag"
          and memviz.memwatch_command(10, "cow", True) == "memwatch -i 10 -z -w cow"
          and memviz.memwatch_command(5, "forktest") == "memwatch -i 5 forktest"
          and memviz.memwatch_command(10, "") == "memwatch -i 10",
          memviz.memwatch_command(10, "frag"))


ZOOM = """sample t=10 total=1024 free=900 user=0
map t=10 first=0x80000000 group=16 RRRRRRRK....UUUU
zoom t=10 first=0x80100000 group=1 UUUUUUUU........
sample t=20 total=1024 free=600 user=300
map t=20 first=0x80000000 group=16 RRRRRRRK....UUUU
zoom t=20 first=0x80100000 group=1 U.U.U.U.U.U.U.U.
memwatch: done
"""


def test_zoom(out):
    rows, maps = memviz.parse_all(ZOOM)
    check("zoom/parse", len(maps) == 2 and [z[0] for z in rows["zoom"]] == [10, 20]
          and rows["zoom"][0][2] == 1, str(rows["zoom"]))
    path = os.path.join(out, "zoom.svg")
    memviz.draw_map(maps, rows["sample"], path, rows["zoom"])
    root = svg_root(path, "zoom/well-formed")
    if root is not None:
        grids = [g for g in root.iter(NS + "g") if g.get("class") == "grid"]
        cells = [len(list(g.iter(NS + "rect"))) for g in grids]
        check("zoom/three-grids", cells == [16, 16, 16], str(cells))
        t = texts(root)
        check("zoom/title-and-most-mixed", any("1 cell = 1 frame" in s for s in t)
              and any(s.startswith("most mixed moment (t = 0.20 s)") for s in t),
              str(t))


def test_legends():
    with open(os.path.join(ROOT, "kernel", "memstat.h")) as f:
        defined = dict(re.findall(r"#define\s+(MEMMAP_\w+)\s+'(.)'", f.read()))
    check("legend/memstat-defines", {"MEMMAP_SWAPCACHE", "MEMMAP_EVICTING"}
          <= set(defined), str(defined))
    missing = sorted(c for c in defined.values() if c not in memviz.CHAR_COLOUR)
    check("legend/memviz-knows-every-char", not missing,
          "memviz.USES has no entry for %s" % missing)
    with open(os.path.join(ROOT, "user", "memmap.c")) as f:
        src = f.read()
    legend = re.search(r'printf\("legend:(.*?)\);', src, re.S)
    missing = sorted(n for n in defined if not legend or n not in legend.group(1))
    check("legend/memmap-prints-every-char", not missing,
          "user/memmap.c's legend leaves out %s" % missing)


SWAPLOG = """sample t=10 total=1024 free=900 user=20 reserved=100 swap_slots=2048 swap_used=0 hot=0
map t=10 first=0x80000000 group=64 RR.U............
count t=10 fault=0 swap_in=0 swap_out=0 reclaim_scan=0 swap_clean=0
phase t=12 1 hot set
phase t=15 3 stream
sample t=20 total=1024 free=32 user=890 reserved=100 swap_slots=2048 swap_used=300 hot=200
map t=20 first=0x80000000 group=64 RRUUUUUEUUUUUUUU
count t=20 fault=500 swap_in=0 swap_out=300 reclaim_scan=900 swap_clean=0
phase t=25 5 read cold
sample t=30 total=1024 free=400 user=500 reserved=100 swap_slots=2048 swap_used=20 hot=200
map t=30 first=0x80000000 group=64 RRUUCCCC........
count t=30 fault=800 swap_in=280 swap_out=300 reclaim_scan=900 swap_clean=0
sample t=40 total=1024 free=36 user=886 reserved=100 swap_slots=2048 swap_used=500 hot=200
map t=40 first=0x80000000 group=64 RRUUUCCUUUUUUUUU
count t=40 fault=1300 swap_in=280 swap_out=500 reclaim_scan=1500 swap_clean=250
memwatch: done
"""


def test_swap(out):
    rows, maps = memviz.parse_all(SWAPLOG)
    check("swap/maps-with-E-and-C-kept", [m[0] for m in maps] == [10, 20, 30, 40],
          str([m[0] for m in maps]))
    check("swap/phases", [(p["t"], p["name"]) for p in rows["phase"]] == [
        (12, "1 hot set"), (15, "3 stream"), (25, "5 read cold")], str(rows["phase"]))
    path = os.path.join(out, "swap-map.svg")
    memviz.draw_map(maps, rows["sample"], path, rows["zoom"], rows["phase"])
    root = svg_root(path, "swap/map-well-formed")
    if root is not None:
        t = texts(root)
        check("swap/grid-clock-at-work", any(s.startswith(
            "the clock at work: E, a frame being evicted (t = 0.20 s)") for s in t), str(t))
        check("swap/grid-most-swap-cache", any(s.startswith(
            "most swap cache (C) (t = 0.30 s)") for s in t), str(t))
        legend = [x.text for g in root.iter(NS + "g") if g.get("class") == "legend"
                  for x in g.iter(NS + "text")]
        check("swap/map-legend", "swap cache" in legend and "being evicted" in legend,
              str(legend))
        red = memviz.CHAR_COLOUR["E"]
        strip = [g for g in root.iter(NS + "g") if g.get("class") == "strip"]
        check("swap/strip-shows-evicting", strip and any(
            r.get("fill") == red and float(r.get("height")) >= 3
            for r in strip[0].iter(NS + "rect")), "no E cell in the strip")
        labels = [x.text for g in root.iter(NS + "g") if g.get("class") == "phases"
                  for x in g.iter(NS + "text")]
        check("swap/map-phases", labels == ["1 hot set", "3 stream", "5 read cold"],
              str(labels))
    path = os.path.join(out, "swap-timeline.svg")
    memviz.draw_timeline(rows["sample"], rows["count"], path, rows["orders"],
                         rows["phase"], "Kernel options: reclaim=fifo")
    root = svg_root(path, "swap/timeline-well-formed")
    if root is not None:
        keys = [p.get("data-key") for p in root.iter(NS + "polyline")]
        check("swap/timeline-keys", keys == [
            "free", "user", "reserved", "swap_used", "hot", "fault", "reclaim_scan",
            "swap_in", "swap_out", "swap_clean"], str(keys))
        t = texts(root)
        check("swap/timeline-note-and-swap-disk", any(s.startswith(
            "Kernel options: reclaim=fifo. Swap disk: 2048 slots (8 MiB)") for s in t),
            str(t[:3]))
        check("swap/timeline-swap-panel", any(s.startswith("Swap traffic") for s in t), "")
        phases = [len(list(g.iter(NS + "line"))) for g in root.iter(NS + "g")
                  if g.get("class") == "phases"]
        check("swap/timeline-phases-on-every-panel", phases == [3, 1, 1],
              "phase lines per panel: %s (the rates begin at t=20)" % phases)
    args = memviz.argparse.Namespace
    check("swap/boot-settings",
          memviz.boot_settings(args(workload="swap", mem=None, cpus=None, swap=None))
          == (3, "16M", 32 << 20)
          and memviz.boot_settings(args(workload="swap", mem="32M", cpus=1, swap="64M"))
          == (1, "32M", 64 << 20)
          and memviz.boot_settings(args(workload="cow", mem=None, cpus=None, swap=None))
          == (3, "128M", 0)
          and memviz.memwatch_command(10, "swap") == "memwatch -i 10 -w swap",
          memviz.memwatch_command(10, "swap"))


def test_boot(out):
    rc = memviz.main(["--out", out])
    check("boot/memviz-runs", rc == 0, "status %d" % rc)
    if rc:
        return
    with open(os.path.join(out, "memwatch.log")) as f:
        samples, _counts, maps = memviz.parse(f.read())
    free = [s["free"] for s in samples]
    check("boot/samples", len(samples) >= 5 and len(maps) >= 5,
          "%d samples, %d maps" % (len(samples), len(maps)))
    check("boot/workload-uses-and-returns-memory",
          min(free) < free[0] * 0.7 and free[-1] > free[0] * 0.95,
          "free frames over time: %s" % free)
    check("boot/user-frames-on-map", any("U" in m[3] for m in maps), "")
    for name in ("map.svg", "timeline.svg"):
        svg_root(os.path.join(out, name), "boot/%s-well-formed" % name)


def test_boot_swap(out):
    rc = memviz.main(["--out", out, "--workload", "swap"])
    check("boot-swap/memviz-runs", rc == 0, "status %d" % rc)
    if rc:
        return
    with open(os.path.join(out, "memwatch.log")) as f:
        rows, maps = memviz.parse_all(f.read())
    samples = rows["sample"]
    used = [s.get("swap_used", 0) for s in samples]
    # At the end only pages of init and sh may stay on swap.
    check("boot-swap/pages-on-swap-and-back", max(used) > 0 and used[-1] < max(used) / 10,
          "swap_used over time: %s" % used)
    check("boot-swap/hot-watched", any(s.get("hot", 0) > 0 for s in samples), "")
    check("boot-swap/evicting-on-map", any("E" in m[3] for m in maps),
          "no map shows a frame being evicted")
    check("boot-swap/swap-cache-on-map", any("C" in m[3] for m in maps),
          "no map shows a frame in the swap cache")
    check("boot-swap/every-phase", [p["name"][0] for p in rows["phase"]]
          == list("12345678"), str(rows["phase"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-boot", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        test_parse()
        test_draw(out)
        test_orders(out)
        test_zoom(out)
        test_legends()
        test_swap(out)
        if not args.no_boot:
            test_boot(os.path.join(out, "boot"))
            test_boot_swap(os.path.join(out, "boot-swap"))
    passed = sum(RESULTS)
    print("%d passed, %d failed" % (passed, len(RESULTS) - passed))
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
