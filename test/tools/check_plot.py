#!/usr/bin/env python3
"""Checks an `nnc train --plot` SVG (test/driver/plot_svg.test).

check_plot.py FILE.svg ['SERIES=N' ...] [--lr | --no-lr]
check_plot.py --png FILE.png   (a PNG signature and a nonzero size, after rsvg-convert)

Parses the SVG as XML; checks that every evaluation marker (circle
class="marker") lies in the plot area, that the legend's rectangle does not
overlap the plot area (nor the learning-rate panel), counts the markers of each
named series, and whether the learning-rate panel is there. Prints one line
per check; exits 1 at the first failure."""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def rect(root, ident):
    for r in root.iter(NS + "rect"):
        if r.get("id") == ident:
            return tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
    return None


def overlaps(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def main():
    args = sys.argv[1:]
    if args[0] == "--png":
        with open(args[1], "rb") as f:
            data = f.read()
        if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 100:
            fail("%s is not a PNG" % args[1])
        print("PNG: %d bytes" % len(data))
        return
    root = ET.parse(args[0]).getroot()
    plot = rect(root, "plot-area")
    legend = rect(root, "legend")
    lr = rect(root, "lr-area")
    if plot is None or legend is None:
        fail("no plot-area or legend rectangle")
    if overlaps(plot, legend) or (lr and overlaps(lr, legend)):
        fail("the legend %s overlaps the plot area %s" % (legend, plot))
    width = float(root.get("width"))
    if legend[0] + legend[2] > width:
        fail("the legend leaves the picture")
    print("legend outside the plot area: %s right of x=%g" % (
        "yes" if legend[0] >= plot[0] + plot[2] else "no", plot[0] + plot[2]))
    markers = {}
    for c in root.iter(NS + "circle"):
        if c.get("class") != "marker":
            continue
        cx, cy = float(c.get("cx")), float(c.get("cy"))
        if not (plot[0] <= cx <= plot[0] + plot[2] and plot[1] <= cy <= plot[1] + plot[3]):
            fail("a marker at %g,%g is outside the plot area" % (cx, cy))
        markers[c.get("data-series")] = markers.get(c.get("data-series"), 0) + 1
    for spec in [a for a in args[1:] if "=" in a]:
        name, n = spec.rsplit("=", 1)
        got = markers.get(name, 0)
        if got != int(n):
            fail("%d markers for '%s', expected %s (all: %s)" % (got, name, n, markers))
        print("markers '%s': %d" % (name, got))
    if "--lr" in args and lr is None:
        fail("no learning-rate panel")
    if "--no-lr" in args and lr is not None:
        fail("a learning-rate panel without a schedule")
    print("learning-rate panel: %s" % ("yes" if lr else "no"))
    for line in root.iter(NS + "polyline"):
        name = line.get("data-series") or ""
        if name.startswith("train "):
            print("curve '%s': %d points" % (name, len(line.get("points").split())))


if __name__ == "__main__":
    main()
