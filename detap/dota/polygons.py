"""Oriented-box IoUs on arrays: DOTA_devkit's polygon IoU (polyiou.cpp's
``iou_poly``) of quadrilaterals, and hotcoco's rotated-rectangle IoU of
``(cx, cy, w, h, angle)`` boxes."""
from .. import _core
from ..core import as_boxes, warn_stale_memory

__all__ = ["polygon_iou", "obb_iou", "probiou"]


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


def obb_iou(dets, gts, gt_crowd=None):
    """(N, M) float64 IoU of rotated rectangles dets (N, 5) and gts (M, 5),
    ``[cx, cy, w, h, angle]`` (pixels, radians; corners as ``obb_to_quad``),
    computed as hotcoco computes it (csrc/obb_iou.h: the detection's
    corners clipped by the GT's edges, areas w * h, IoU 0 for a box with
    w * h <= 0), bit for bit; ``gt_crowd`` (M,) flags: intersection over
    the detection's area for those GT.  The "obb" IoU of the "mmrotate"
    convention."""
    d = as_boxes(dets, "dets", width=5)
    g = as_boxes(gts, "gts", width=5)
    return _core.rotated_matrix(_core.IOU_OBB, d, g, gt_crowd)


def probiou(dets, gts):
    """(N, M) float64 Ultralytics ProbIoU (``batch_probiou(gts, dets).T``)
    of ``(cx, cy, w, h, angle)`` boxes dets (N, 5) and gts (M, 5), its
    operations in its order in float64 (Ultralytics computes in float32, so
    its values differ in the last float32 bits): the similarity of the
    "ultralytics-obb" convention."""
    d = as_boxes(dets, "dets", width=5)
    g = as_boxes(gts, "gts", width=5)
    return _core.rotated_matrix(_core.IOU_PROBIOU, d, g)
