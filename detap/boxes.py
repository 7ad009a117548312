"""Box layouts: float64 arrays in pixels, "xyxy" = [x1, y1, x2, y2] or
"xywh" = [x, y, w, h] (n, 4; continuous coordinates: w = x2 - x1), and
"quad" = [x1, y1, x2, y2, x3, y3, x4, y4] (n, 8), an oriented box or any
quadrilateral as its four vertices (DOTA, YOLO-OBB)."""
import numpy as np

__all__ = ["BOX_WIDTHS", "boxes_as"]

#: values per box of each layout
BOX_WIDTHS = {"xyxy": 4, "xywh": 4, "quad": 8}


def boxes_as(boxes, src, dst):
    """``boxes`` converted from box format ``src`` to ``dst``; the same array
    when they are equal.  A quadrilateral becomes its axis-aligned extent
    (min and max of its vertices) and a box the quadrilateral of its four
    corners (x1 y1, x2 y1, x2 y2, x1 y2); nothing converts back losslessly
    from an oriented quadrilateral, so callers that must not lose the
    orientation check the format first."""
    if src == dst:
        return boxes
    if src not in BOX_WIDTHS or dst not in BOX_WIDTHS:
        raise ValueError(f"unknown box formats {src!r} -> {dst!r}")
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
