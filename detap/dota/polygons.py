"""The polygon IoU of DOTA_devkit (polyiou.cpp's ``iou_poly``) on arrays."""
from .. import _core
from ..core import as_boxes, warn_stale_memory

__all__ = ["polygon_iou"]


def polygon_iou(dets, gts):
    """(N, M) float64: ``iou_poly(gts[j], dets[i])`` for quadrilaterals dets
    (N, 8) and gts (M, 8), ``[x1, y1, ..., x4, y4]`` in pixels, bit for bit
    as DOTA_devkit computes it (no axis-aligned prefilter: that is part of
    the evaluation loop).  Self-intersecting and degenerate quadrilaterals
    get polyiou's numbers too (which are not a polygon IoU: e.g. a
    bow-tie's area is the difference of its two lobes).  Values that depend
    on polyiou's stale memory (csrc/quad_iou.h) are reported with a
    RuntimeWarning."""
    d = as_boxes(dets, "dets", width=8)
    g = as_boxes(gts, "gts", width=8)
    out, undefined = _core.quad_iou_matrix(d, g)
    warn_stale_memory(int(undefined))
    return out
