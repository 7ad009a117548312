"""Box layouts: float64 arrays in pixels, "xyxy" = [x1, y1, x2, y2] or
"xywh" = [x, y, w, h] (n, 4; continuous coordinates: w = x2 - x1),
"quad" = [x1, y1, x2, y2, x3, y3, x4, y4] (n, 8), an oriented box or any
quadrilateral as its four vertices (DOTA, YOLO-OBB), and "obb" = [cx, cy,
w, h, angle] (n, 5), a rotated rectangle as hotcoco writes one: centre and
size in pixels, angle in radians, counter-clockwise positive in the image's
x-right, y-down axes (so clockwise on screen); its corners are
c + (-u - v), c + (u - v), c + (u + v), c + (-u + v) with
u = (w/2) (cos a, sin a), v = (h/2) (-sin a, cos a)."""
import numpy as np

from . import _core
from .errors import DetapInputError

__all__ = ["BOX_WIDTHS", "ORIENTED_FORMATS", "box_kind", "boxes_as", "check_box_format",
           "obb_size"]

#: values per box of each layout
BOX_WIDTHS = {"xyxy": 4, "xywh": 4, "quad": 8, "obb": 5}
#: the layouts of oriented boxes (their IoU is not the axis-aligned one)
ORIENTED_FORMATS = ("quad", "obb")


def check_box_format(box_format):
    """``box_format`` when it is one of ``BOX_WIDTHS``' layouts, else a
    DetapInputError naming them."""
    if box_format not in BOX_WIDTHS:
        raise DetapInputError(f"box_format must be one of {', '.join(map(repr, BOX_WIDTHS))}, "
                              f"got {box_format!r}")
    return box_format


def box_kind(box_format):
    """What a layout's IoU compares: "quad" (polygons), "obb" (rotated
    rectangles) or "box" (axis-aligned: xyxy, xywh)."""
    return box_format if box_format in ORIENTED_FORMATS else "box"


def obb_size(obb):
    """(w, h) of (n, 5) rotated boxes: the rectangle's own sides (its area
    is w * h, hotcoco's), not those of its axis-aligned extent."""
    return obb[:, 2], obb[:, 3]


def box_size(boxes, fmt, xywh=None):
    """(w, h) of boxes in box format ``fmt`` as the evaluations size them: a
    rotated box's own sides (``obb_size``), any other box's axis-aligned
    extent (``xywh``: that extent when the caller has it already)."""
    if fmt == "obb":
        return obb_size(boxes)
    b = boxes_as(boxes, fmt, "xywh") if xywh is None else xywh
    return b[:, 2], b[:, 3]


def boxes_as(boxes, src, dst):
    """``boxes`` converted from box format ``src`` to ``dst``; the same array
    when they are equal.  An oriented box ("quad", "obb") becomes its
    axis-aligned extent (min and max of its vertices; an "obb"'s corners as
    hotcoco computes them, so its xywh is hotcoco's ``obb_to_aabb``) and an
    "obb" its quadrilateral of corners; an axis-aligned box becomes the
    quadrilateral of its four corners (x1 y1, x2 y1, x2 y2, x1 y2) or the
    "obb" [centre, w, h, 0].  Nothing converts to "obb" from a
    quadrilateral (which need not be a rectangle: ``detap.dota.quad_to_obb``
    reads one under a stated angle convention), so callers that must not
    lose the orientation check the format first."""
    if src == dst:
        return boxes
    if src not in BOX_WIDTHS or dst not in BOX_WIDTHS:
        raise ValueError(f"unknown box formats {src!r} -> {dst!r}")
    if dst == "obb":
        if src == "quad":
            raise ValueError("quadrilaterals do not convert to rotated rectangles without an "
                             "angle convention (detap.dota.quad_to_obb)")
        x1, y1, x2, y2 = boxes_as(boxes, src, "xyxy").T
        with np.errstate(over="ignore", invalid="ignore"):
            return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1,
                             np.zeros(len(x1))], axis=1).reshape(-1, 5)
    if src == "obb":  # its corners, then as a quadrilateral
        corners = _core.obb_corners(np.ascontiguousarray(boxes, np.float64).reshape(-1, 5))
        return boxes_as(corners, "quad", dst)
    if src == "quad":
        x, y = boxes[:, 0::2], boxes[:, 1::2]
        extent = np.stack([x.min(axis=1), y.min(axis=1), x.max(axis=1), y.max(axis=1)], axis=1)
        return boxes_as(extent.reshape(-1, 4), "xyxy", dst)
    if dst == "quad":
        x1, y1, x2, y2 = boxes_as(boxes, src, "xyxy").T
        return np.stack([x1, y1, x2, y1, x2, y2, x1, y2], axis=1).reshape(-1, 8)
    out = np.array(boxes, dtype=np.float64, copy=True)
    # a box near the float64 limit (1e308) overflows to inf here: the kernels
    # take inf like any coordinate, and numpy's RuntimeWarning would only
    # reach the user as noise with no record named
    with np.errstate(over="ignore", invalid="ignore"):
        _convert(out, boxes, src, dst)
    return out


def _convert(out, boxes, src, dst):
    if src == "xywh" and dst == "xyxy":
        out[:, 2] = boxes[:, 0] + boxes[:, 2]
        out[:, 3] = boxes[:, 1] + boxes[:, 3]
    else:
        out[:, 2] = boxes[:, 2] - boxes[:, 0]
        out[:, 3] = boxes[:, 3] - boxes[:, 1]
