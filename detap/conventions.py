"""Evaluation conventions: each rule on which evaluators disagree, as a field.

One implementation of matching and AP serves every tool; a ``Convention``
says which of the small rules to follow.  Named presets reproduce known tools.

Fields
------
iou : "voc" | "coco" | "xyxy" | "dota" | "obb" | "probiou"
    "voc": boxes [x1, y1, x2, y2] in inclusive pixels, width = x2 - x1 + 1
    (py-faster-rcnn, VOCdevkit, Cartucho/mAP, mmdet's legacy mode).
    "coco": continuous boxes, pycocotools' arithmetic on [x, y, w, h]
    (array API input is still xyxy; it is converted to xywh).  "xyxy":
    continuous [x1, y1, x2, y2], width = x2 - x1, union floored at the
    float32 epsilon (mmdet >= 2.0).  "dota": quadrilaterals [x1, y1, ...,
    x4, y4] (8 values, pixels) under DOTA_devkit's task1 overlaps: the
    polygon IoU of polyiou.cpp for the GT whose axis-aligned boxes (+1
    pixel) overlap the detection's, no overlap for the others; "voc"
    matching rule only.  "obb": rotated rectangles [cx, cy, w, h, angle]
    (5 values, pixels and radians) under hotcoco's rotated IoU
    (csrc/obb_iou.h: Sutherland-Hodgman clipping in float64, areas w * h);
    "probiou": the same boxes under Ultralytics' probabilistic IoU
    (batch_probiou, in float64 where Ultralytics uses float32).  Both
    "voc" matching rule only.
iou_cmp : ">" | ">="
    A detection matches when IoU > threshold (py-faster-rcnn, Detectron2) or
    IoU >= threshold (VOCdevkit MATLAB, mmdet, Cartucho/mAP, pycocotools).
match : "voc" | "ultralytics" | "coco"
    The greedy matching rule (one C matcher, csrc/match.h).  "voc"
    (py-faster-rcnn and the tools that copy it): a detection takes the GT
    of highest IoU among all of its image's GT (the first of equal ones);
    if that GT is already taken the detection is a false positive.
    "ultralytics" (its match_predictions): the same, but of GT of equal
    IoU the last one, as Ultralytics' reversed argsort puts them wherever
    numpy's sort keeps ties in order (numpy's AVX-512 sort does not: there
    Ultralytics' choice among equal IoUs depends on the CPU).  "coco" (pycocotools' evaluateImg):
    a detection takes the best GT not yet taken, visiting ignored (crowd,
    difficult when ignored, outside the area range) GT last; ties go to the
    later GT; a crowd GT can be matched again; the test is IoU >= t
    whatever ``iou_cmp`` says.  Under "coco", ``evaluate_class`` uses
    pycocotools' area range "all" ([0, 1e10] square pixels, boxes' w * h).
tie_order : "stable" | "numpy" | "coco"
    Order of detections with equal scores.  "stable": input order, equal to
    np.argsort(-s, kind="stable") (computed in C).  "coco": pycocotools'
    accumulate order: detections grouped by image (images by index, input
    order inside an image), then a stable sort by score.  "numpy": whatever
    np.argsort(-s) returns on this machine; numpy's default sort is not
    stable and its tie order varies across numpy versions and CPUs, so this
    is only for reproducing py-faster-rcnn's voc_eval bit for bit.
ap : "voc07" | "all_point" | "coco101" | "ultralytics"
    11-point VOC2007, all-point VOC2010+ area, COCO's 101-point
    interpolated precision, or Ultralytics' compute_ap: the precision
    envelope sampled at 101 recall points with np.interp and integrated
    with the trapezoidal rule (0 for a class without detections).
voc07_grid : "arange" | "tenths"
    The 11 recall points: np.arange(0., 1.1, 0.1) as py-faster-rcnn (it holds
    0.30000000000000004, 0.6000000000000001, 0.7000000000000001, so a recall
    of exactly 0.3 misses that point) or the exact values k / 10.
difficult : "ignore" | "count"
    "ignore": a detection matching a difficult GT is neither TP nor FP and
    difficult GT do not count in recall (VOC).  "count": difficult GT are
    ordinary GT.
"""
from dataclasses import dataclass, replace

import numpy as np

_CHOICES = {
    "iou": ("voc", "coco", "xyxy", "dota", "obb", "probiou"),
    "iou_cmp": (">", ">="),
    "match": ("voc", "ultralytics", "coco"),
    "tie_order": ("stable", "numpy", "coco"),
    "ap": ("voc07", "all_point", "coco101", "ultralytics"),
    "voc07_grid": ("arange", "tenths"),
    "difficult": ("ignore", "count"),
}


@dataclass(frozen=True)
class Convention:
    iou: str = "voc"
    iou_cmp: str = ">"
    match: str = "voc"
    tie_order: str = "stable"
    ap: str = "all_point"
    voc07_grid: str = "arange"
    difficult: str = "ignore"

    def __post_init__(self):
        for field, allowed in _CHOICES.items():
            value = getattr(self, field)
            if value not in allowed:
                raise ValueError(
                    f"Convention.{field} must be one of {allowed}, got {value!r}")
        if self.iou in ("dota", "obb", "probiou") and self.match == "coco":
            # the "coco" rule's area ranges are computed from axis-aligned
            # boxes, which quadrilaterals and rotated boxes are not
            raise ValueError(f"Convention(iou={self.iou!r}) is matched under the 'voc' or "
                             f"'ultralytics' rule only, got match={self.match!r}")

    def replace(self, **changes):
        return replace(self, **changes)

    def voc07_points(self):
        """The 11 recall thresholds, float64."""
        if self.voc07_grid == "arange":
            return np.arange(0.0, 1.1, 0.1)
        return np.arange(11) / 10.0


#: py-faster-rcnn's ``voc_eval``: IoU > t with +1 pixel boxes, numpy's tie
#: order, all-point AP (``use_07_metric`` switches to 11-point).
PY_FASTER_RCNN = Convention(tie_order="numpy")

PRESETS = {
    "py-faster-rcnn": PY_FASTER_RCNN,
    "py-faster-rcnn-07": PY_FASTER_RCNN.replace(ap="voc07"),
    # the same rules with a reproducible (stable) tie order
    "voc": Convention(),
    "voc07": Convention(ap="voc07"),
    # VOCdevkit's VOCevaldet.m: ov >= minoverlap; MATLAB's sort is stable
    "vocdevkit": Convention(iou_cmp=">="),
    # Cartucho/mAP main.py: ovmax >= MINOVERLAP, Python's stable sort
    "cartucho": Convention(iou_cmp=">="),
    # mmdet eval_map / tpfp_default: ious >= thr, np.argsort(-scores),
    # continuous boxes (use_legacy_coordinate=False, the default since 2.0)
    "mmdet": Convention(iou="xyxy", iou_cmp=">=", tie_order="numpy"),
    "mmdet-legacy": Convention(iou_cmp=">=", tie_order="numpy"),
    # pycocotools: its matching rule (ious >= t), mergesort over images in
    # order, 101-point interpolated precision; a VOC "difficult" flag means
    # nothing to it
    "coco": Convention(iou="coco", iou_cmp=">=", match="coco", tie_order="coco", ap="coco101",
                       difficult="count"),
    # Ultralytics (YOLOv8+) DetMetrics: iou >= t, continuous boxes,
    # np.argsort(-conf), 101-point interpolated trapezoid, no difficult flag.
    # Its match_predictions pairs each prediction with its best GT and each
    # GT with its first (highest-confidence) claimant: the score-greedy rule,
    # with the last of equally good GT
    "ultralytics": Convention(iou="xyxy", iou_cmp=">=", match="ultralytics", tie_order="numpy",
                              ap="ultralytics", difficult="count"),
    # DOTA_devkit's dota_evaluation_task1.py as its main() runs it: IoU > t
    # on quadrilaterals (polyiou), np.argsort(-confidence), 11-point AP
    "dota": Convention(iou="dota", tie_order="numpy", ap="voc07"),
    # the same with a reproducible (stable) tie order: detap.dota.evaluate's default
    "dota-stable": Convention(iou="dota", ap="voc07"),
    # (dota_evaluation_task2.py, horizontal boxes, is "py-faster-rcnn-07")
    # mmrotate's eval_rbbox_map (DOTAMetric's default use_07_metric=True):
    # (cx, cy, w, h, angle) boxes, ious_max >= t, np.argsort(-scores), each
    # detection's best GT (ignored GT: neither TP nor FP), 11-point AP.  Its
    # IoU is mmcv's box_iou_rotated in float32 and its precision and AP are
    # float32; here the IoU is hotcoco's rotated IoU in float64 and the
    # curve float64 (see the README)
    "mmrotate": Convention(iou="obb", iou_cmp=">=", tie_order="numpy", ap="voc07"),
    "mmrotate-area": Convention(iou="obb", iou_cmp=">=", tie_order="numpy"),
    # Ultralytics' OBBValidator: "ultralytics" with batch_probiou as the IoU
    # (float64 here, float32 torch there)
    "ultralytics-obb": Convention(iou="probiou", iou_cmp=">=", match="ultralytics",
                                  tie_order="numpy", ap="ultralytics", difficult="count"),
}


def get_convention(spec):
    """A Convention from a Convention, a preset name or None (the default)."""
    if spec is None:
        return Convention()
    if isinstance(spec, Convention):
        return spec
    if isinstance(spec, str):
        try:
            return PRESETS[spec]
        except KeyError:
            raise ValueError(
                f"unknown convention preset {spec!r}; known: {sorted(PRESETS)}") from None
    raise TypeError(f"convention must be a Convention or a preset name, not {type(spec).__name__}")
