"""Oriented boxes as ``(cx, cy, w, h, angle)`` and as quadrilaterals.

Coordinates in pixels, image axes (x right, y down), angles in radians,
measured from the x axis toward the y axis (clockwise on screen), as
mmrotate, OpenCV and Ultralytics use them.  A box's vertices are::

    p1 = c - u - v,  p2 = c + u - v,  p3 = c + u + v,  p4 = c - u + v
    u = w / 2 (cos a, sin a),  v = h / 2 (-sin a, cos a)

(mmrotate's ``obb2poly``).  The same rectangle has several
``(w, h, angle)`` spellings; a *convention* picks one:

=========  =====================  =========================================
name       angle range            w
=========  =====================  =========================================
``le90``   [-pi/2, pi/2)          the longer side (along the angle)
``le135``  [-pi/4, 3 pi/4)        the longer side (along the angle)
``oc``     (0, pi/2]              the side along the angle (either length)
=========  =====================  =========================================

``quad_to_obb`` reads a quadrilateral as a rectangle the way mmrotate's
``poly2obb_le90`` does (sides p1p2 and p2p3, centre the midpoint of p1 and
p3), so a labelTxt quadrilateral that is not a rectangle gets that
rectangle, not its minimum-area one.  These functions are geometry, not a
bit-for-bit copy of mmrotate's float32 torch or OpenCV arithmetic.
"""
import numpy as np

from ..core import as_boxes
from ..errors import DetapInputError

__all__ = ["ANGLE_CONVENTIONS", "obb_to_quad", "quad_to_obb", "normalize_obb"]

ANGLE_CONVENTIONS = ("le90", "le135", "oc")


def _check(convention):
    if convention not in ANGLE_CONVENTIONS:
        raise DetapInputError(f"angle convention must be one of {ANGLE_CONVENTIONS}, "
                              f"got {convention!r}")


def obb_to_quad(obbs):
    """(N, 5) ``cx cy w h angle`` -> (N, 8) vertices p1..p4 (any convention)."""
    b = as_boxes(obbs, "obbs", width=5)
    cx, cy, w, h, a = b.T
    c, s = np.cos(a), np.sin(a)
    ux, uy = w / 2 * c, w / 2 * s
    vx, vy = -h / 2 * s, h / 2 * c
    return np.stack([cx - ux - vx, cy - uy - vy, cx + ux - vx, cy + uy - vy,
                     cx + ux + vx, cy + uy + vy, cx - ux + vx, cy - uy + vy], axis=1)


def normalize_obb(obbs, convention="le90"):
    """The same rectangles spelled in ``convention`` (see the module doc)."""
    _check(convention)
    b = as_boxes(obbs, "obbs", width=5).copy()
    w, h, a = b[:, 2].copy(), b[:, 3].copy(), b[:, 4].copy()
    half = np.pi / 2
    if convention == "oc":
        # a - k pi/2 in (0, pi/2]; each quarter turn swaps the sides
        k = np.ceil(a / half) - 1
        a = a - k * half
        swap = (k % 2) != 0
    else:
        swap = w < h
        a = np.where(swap, a + half, a)
        lo = -half if convention == "le90" else -np.pi / 4
        a = (a - lo) % np.pi + lo
    b[:, 2] = np.where(swap, h, w)
    b[:, 3] = np.where(swap, w, h)
    b[:, 4] = a
    return b


def quad_to_obb(quads, convention="le90"):
    """(N, 8) quadrilaterals -> (N, 5) ``cx cy w h angle`` in ``convention``:
    the rectangle of sides |p1p2| and |p2p3|, angle of p1p2, centre the
    midpoint of p1 and p3 (mmrotate's reading of a DOTA polygon)."""
    _check(convention)
    q = as_boxes(quads, "quads", width=8)
    x, y = q[:, 0::2], q[:, 1::2]
    e1 = np.hypot(x[:, 1] - x[:, 0], y[:, 1] - y[:, 0])
    e2 = np.hypot(x[:, 2] - x[:, 1], y[:, 2] - y[:, 1])
    a = np.arctan2(y[:, 1] - y[:, 0], x[:, 1] - x[:, 0])
    obb = np.stack([(x[:, 0] + x[:, 2]) / 2, (y[:, 0] + y[:, 2]) / 2, e1, e2, a], axis=1)
    return normalize_obb(obb, convention)
