"""Where polyiou's arithmetic is not a polygon IoU: a bound on how far its
intersection area can be from the exact one, got by running our
transcription (tests/reference_dota.py) with its three inexact steps
watched.  The shapely check uses it to leave out exactly those inputs.

polyiou sums the intersections of triangles fanned from the origin, each
clipped along the other triangle's three sides (a polygon edge and two
rays from the origin).  Three steps can move its result by more than
rounding:

- ``sig(d)``: a cross product |d| <= 1e-8 counts as zero (a point on the
  clip line).  A value above rounding noise and below 1e-6 is near that
  tolerance: polyiou may misplace the point, shifting the area by ~|d|.
- ``Point ==``: two clipped vertices within 1e-8 in both coordinates are
  merged.  Two points apart by more than rounding and less than 1e-6 are
  near that tolerance: a merge drops a sliver of ~distance x r (r the
  distance from the origin), e.g. 6.7e-8 px^2 for corners 7e-9 from a fan
  ray (test_polygon_iou_drops_fan_slivers).
- ``lineCross``: the crossing ``(c s2 - d s1) / (s2 - s1)`` divides the
  rounding noise of s1 and s2 (cross products of magnitude r^2) by
  s2 - s1, which is small when the segment cd runs nearly along the clip
  line, as it does from a vertex shared by both polygons: the point moves
  along cd by noise / |s2 - s1| x |cd|, the area by that x r.

Everything else is exact up to a few roundings of r^2-sized terms
(bounded separately by the test's fan-cancellation allowance).
"""
import math
from contextlib import contextmanager

from . import reference_dota as R

__all__ = ["polyiou_error_bound"]

_ULP = 2.0 ** -52


def _cross_noise(a, b, c, err):
    """A bound on the rounding error of ``cross(a, b, c)``: its two
    products, and the errors ``err`` carries for computed points (input
    vertices and the origin are exact; so is a difference of two exact
    coordinates, up to its own relative rounding)."""
    bx, by, cx, cy = b[0] - a[0], b[1] - a[1], c[0] - a[0], c[1] - a[1]
    ea, eb, ec = err.get(a, 0.0), err.get(b, 0.0), err.get(c, 0.0)
    return (4 * _ULP * (abs(bx * cy) + abs(cx * by))
            + (ea + eb) * (abs(cx) + abs(cy)) + (ea + ec) * (abs(bx) + abs(by)))


@contextmanager
def _watched(r, record):
    """R's sig, Point == and lineCross recording, in ``record``, the px^2
    by which each call can move polyiou's area (r: the largest distance
    of a vertex from the origin)."""
    sig, same, line_cross, tri = R.sig, R.same, R.lineCross, R.intersectArea_tri
    err = {}  # computed point of the current triangle pair -> its error bound, px

    def watched_tri(a, b, c, d):
        err.clear()  # each triangle pair is clipped from exact vertices
        return tri(a, b, c, d)

    def watched_sig(d):
        if 8 * _ULP * r * r < abs(d) < 1e-6:
            record.append(abs(d))                 # a point misplaced across a line
        return sig(d)

    def watched_same(a, b):
        gap = max(abs(a[0] - b[0]), abs(a[1] - b[1]))
        if err.get(a, 0.0) + err.get(b, 0.0) + 4 * _ULP * r < gap < 1e-6:
            record.append(gap * 2 * r)            # a sliver merged away
        return same(a, b)

    def watched_line_cross(a, b, c, d, p, k):
        s1, s2 = R.cross(a, b, c), R.cross(a, b, d)
        out = line_cross(a, b, c, d, p, k)
        if out != 1:
            return out
        if s1 == 0 or s2 == 0:  # the crossing is the end on the line, to a rounding
            end = c if s1 == 0 else d
            e = err.get(end, 0.0) + 2 * _ULP * max(abs(end[0]), abs(end[1]))
        else:
            moved = ((_cross_noise(a, b, c, err) + _cross_noise(a, b, d, err)) / abs(s2 - s1)
                     * math.hypot(d[0] - c[0], d[1] - c[1]))
            record.append(moved * 2 * r)          # the crossing moved along cd
            e = moved + max(err.get(c, 0.0), err.get(d, 0.0)) + 4 * _ULP * r
        if e > 4 * _ULP * max(abs(p[k][0]), abs(p[k][1])):
            err[p[k]] = max(err.get(p[k], 0.0), e)
        return out

    R.sig, R.same, R.lineCross, R.intersectArea_tri = (watched_sig, watched_same,
                                                        watched_line_cross, watched_tri)
    try:
        yield
    finally:
        R.sig, R.same, R.lineCross, R.intersectArea_tri = sig, same, line_cross, tri


def polyiou_error_bound(p, q):
    """An estimate (px^2) of how far polyiou's intersection area of
    quadrilaterals p and q (8 values each) can be from the exact one
    beyond rounding: the sum of the contributions of its inexact steps
    (see the module doc).  0 where none comes near its tolerance."""
    r = max(math.hypot(x, y) for v in (p, q) for x, y in zip(v[0::2], v[1::2]))
    record = []
    with _watched(max(r, 1.0), record):
        R.iou_poly(p, q)
    return sum(record)
