"""Rotated boxes in COCO files: hotcoco's iouType "obb".

hotcoco (the only tool that evaluates rotated boxes under the COCO
protocol) reads a record's ``"obb": [cx, cy, w, h, angle]``: centre and
size in pixels, the angle in radians (``detap.boxes`` gives the corners),
and compares them with its rotated IoU (``csrc/obb_iou.h``; a crowd GT
divides the intersection by the detection's w * h).  Everything else is
pycocotools' protocol: the matching, the 101-point accumulation, the 12
summary numbers, the area ranges.  What hotcoco decides for rotated boxes,
and detap does the same:

- a GT's area (the area ranges' test) is its record's ``"area"``; a GT
  without one gets hotcoco's instance area: its mask's pixel count when it
  has a ``"segmentation"`` of some pixels (on an image with a size), else
  its obb's w * h;
- a GT without ``"iscrowd"`` is not crowd (pycocotools would fail on it);
- results: loadRes decides their kind by the first record (hotcoco's order:
  "bbox", "segmentation", "keypoints", then "obb"): rotated-box results get
  area w * h of their obb and their obb's axis-aligned extent as "bbox";
  when the first result has a "bbox", every result is a box result and its
  area the box's w * h, whatever its obb.  (Results read as masks or
  keypoints are refused under iouType "obb".)

A GT without ``"bbox"`` gets its obb's extent (only reports read it).
Every record evaluated needs an ``"obb"`` of five finite numbers: hotcoco
scores a record without one as a box that overlaps nothing, detap refuses
it (a file without the field is the wrong file).
"""
import warnings

import numpy as np

from .. import _core
from ..boxes import boxes_as
from ..errors import DetapInputError, DetapWarning
from .columns import check_finite, gt_columns

__all__ = ["obb_column", "check_obb", "fast_obb", "reader_boxes", "obb_gt_columns",
           "obb_result_box"]


def obb_column(anns, where):
    """(n, 5) float64 of the records' "obb" [cx, cy, w, h, angle], checked:
    present, five numbers, finite; a negative width or height is warned of
    (hotcoco's area w * h is then <= 0 for one sign and its IoU 0, or the
    rectangle itself when both are negative)."""
    n = len(anns)
    try:
        arr = np.array([a["obb"] for a in anns], dtype=np.float64) if n else np.zeros((0, 5))
        if arr.shape != (n, 5):
            raise ValueError
    except (KeyError, TypeError, ValueError, OverflowError):
        for i, a in enumerate(anns):
            v = a.get("obb") if isinstance(a, dict) else None
            if not isinstance(a, dict):
                raise DetapInputError(f"{where}: record {i} is not an object: {a!r:.80}") from None
            if v is None:
                raise DetapInputError(f"{where}: record {i} has no 'obb' (iouType 'obb' compares "
                                      "[cx, cy, w, h, angle] rotated boxes)") from None
            if not isinstance(v, (list, tuple)) or len(v) != 5:
                raise DetapInputError(f"{where}: record {i} 'obb' must be [cx, cy, w, h, angle], "
                                      f"got {v!r:.80}") from None
            try:
                [float(x) for x in v]
            except (TypeError, ValueError, OverflowError):
                raise DetapInputError(f"{where}: record {i} 'obb' is not five numbers: "
                                      f"{v!r:.80}") from None
        raise DetapInputError(f"{where}: bad 'obb' values") from None
    return check_obb(arr, where)


def check_obb(arr, where):
    """``arr`` (n, 5), after the checks of ``obb_column``."""
    check_finite(arr, "obb", where)
    neg = (arr[:, 2] < 0) | (arr[:, 3] < 0)
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        warnings.warn(f"{where}: record {i} 'obb' has a negative size: {arr[i].tolist()} "
                      f"({int(neg.sum())} such boxes); they are evaluated as hotcoco does (area "
                      "w * h)", DetapWarning, stacklevel=4)
    return arr


def fast_obb(fast):
    """The (n, 5) rotated boxes the C reader read (its columns ``fast``),
    or None unless every record has one."""
    obb = fast.get("obb") if fast is not None else None
    # (a column no record has is a broadcast NaN: strides 0)
    if obb is None or not len(obb) or obb.strides[0] == 0 or bool(np.isnan(obb[:, 0]).any()):
        return None
    return obb


def reader_boxes(fast, obb):
    """The records' "bbox", or their obb's extent where they have none."""
    own = (fast["has"] & _core.HAS_BBOX) != 0
    if bool(own.all()):
        return fast["bbox"]
    return np.where(own[:, None], fast["bbox"], boxes_as(obb, "obb", "xywh"))


def obb_gt_columns(anns, where, codes=(None, None), mask_area=None):
    """GT ``Columns`` of records with "obb", with hotcoco's defaults (see the
    module): iscrowd 0, a missing area derived, the obb's extent for a
    missing "bbox".  ``mask_area(record)``: the pixel count of a record's
    segmentation, or None when it cannot be drawn (no image size)."""
    obb = obb_column(anns, where)
    extent = boxes_as(obb, "obb", "xywh")
    recs = []
    for i, a in enumerate(anns):
        if "iscrowd" not in a or "area" not in a or "bbox" not in a:
            a = dict(a)  # (a record with every field is read as it is)
            a.setdefault("iscrowd", 0)
            if "area" not in a:
                pixels = mask_area(a) if mask_area is not None and "segmentation" in a else None
                a["area"] = float(pixels) if pixels else obb[i, 2] * obb[i, 3]
            if "bbox" not in a:
                a["bbox"] = extent[i].tolist()
        recs.append(a)
    return gt_columns(recs, where, codes).with_fields(obb=obb)


def obb_result_box(obb):
    """hotcoco's loadRes of rotated-box results: (bbox (n, 4) xywh, the
    obb's extent; area (n,) w * h)."""
    with np.errstate(over="ignore"):
        return boxes_as(obb, "obb", "xywh"), obb[:, 2] * obb[:, 3]
