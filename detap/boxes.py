"""Box layouts: float64 (n, 4) arrays in pixels, "xyxy" = [x1, y1, x2, y2]
or "xywh" = [x, y, w, h] (continuous coordinates: w = x2 - x1)."""
import numpy as np

__all__ = ["boxes_as"]


def boxes_as(boxes, src, dst):
    """``boxes`` (n, 4) float64 converted from box format ``src`` to ``dst``
    ("xyxy" or "xywh"); the same array when they are equal."""
    if src == dst:
        return boxes
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
    elif src == "xyxy" and dst == "xywh":
        out[:, 2] = boxes[:, 2] - boxes[:, 0]
        out[:, 3] = boxes[:, 3] - boxes[:, 1]
    else:
        raise ValueError(f"unknown box formats {src!r} -> {dst!r}")
