"""What an analysis reads: one evaluation as columns, in image order.

Every analysis (TIDE, confusion matrix, calibration, per-image results)
compares detections with GT through one similarity, whatever the protocol
of the AP:

- boxes (default): pycocotools' box IoU on ``[x, y, w, h]`` pixels in
  continuous coordinates (a VOC data set's ``[x1, y1, x2, y2]`` boxes
  become ``[x1, y1, x2 - x1, y2 - y1]``);
- ``Shapes("segm")``: pycocotools' mask IoU on the RLEs (tidecv's
  ``TIDE.MASK`` mode), computed by the evaluation's similarity stage;
- ``Shapes("keypoints")``: pycocotools' OKS (``computeOks``: the GT's
  area, its box for GT without visible points) in place of the IoU, every
  threshold unchanged (detap's definition: tidecv has no keypoints mode);
- ``Shapes("obb")``: hotcoco's rotated IoU of [cx, cy, w, h, angle] boxes
  (its iouType "obb", ``csrc/obb_iou.h``), and ``Shapes("quad")``:
  DOTA_devkit's polygon IoU of quadrilaterals, 0 where the devkit's
  axis-aligned prefilter drops the pair (``csrc/quad_iou.h``): TIDE's
  definitions with the IoU that the AP of those boxes uses (detap's
  definition: tidecv has no oriented boxes); the boxes of the scene are
  then the oriented boxes' axis-aligned extents (for reports only).

Crowd and VOC-difficult ground truth are *ignore regions* (TIDE's term): a
detection on one is neither right nor wrong.  Against them the similarity
is pycocotools' crowd IoU (intersection over the detection's box or mask;
hotcoco's for rotated boxes, the same over the polygon's area for
quadrilaterals); OKS has no crowd form (pycocotools ignores ``iscrowd`` in
it) and stays OKS.  ``gt_whole`` marks ignore regions that cover the whole image (tidecv's
region without box or mask: every detection of its class is inside), as
LVIS's not-exhaustive classes are (``detap.lvis``).
"""
from dataclasses import dataclass

import numpy as np

from .. import _core, group
from ..boxes import boxes_as
from ..errors import DetapInputError

__all__ = ["Scene", "Shapes", "SIMILARITY_NAMES", "scene_from_dataset", "by_image"]

#: what each kind of ``Shapes`` is compared by
SIMILARITY_NAMES = {"segm": "mask IoU", "keypoints": "OKS", "obb": "rotated IoU",
                    "quad": "polygon IoU"}


@dataclass
class Shapes:
    """What the similarity compares instead of the boxes.

    kind      "segm" (mask IoU), "keypoints" (OKS), "obb" (rotated IoU) or
              "quad" (polygon IoU)
    gt, dt    ``detap.coco.masks.MaskColumns`` (segm), or (n, 3K) float64
              keypoints x, y, v in pixels, or (n, 5) / (n, 8) float64
              rotated boxes / quadrilaterals, one row per GT / detection
              row (whole-image regions, the GT's last rows, may have none)
    gt_area   (M,) float64 square pixels: the areas OKS scales by
    kpt_vars  (K,) float64: pycocotools' (2 sigma) ** 2 per point
    """
    kind: str
    gt: object
    dt: object
    gt_area: np.ndarray = None
    kpt_vars: np.ndarray = None

    def __post_init__(self):
        if self.kind not in SIMILARITY_NAMES:
            raise DetapInputError(f"analysis: shapes must be one of {', '.join(SIMILARITY_NAMES)}, "
                                  f"got {self.kind!r}")

    def n_gt(self):
        return len(self.gt.hw) if self.kind == "segm" else len(self.gt)

    def similarity_args(self):
        """``_core.image_similarity``'s keyword arguments (the GT's mask counts
        decoded, as the evaluation does: only detections stay strings)."""
        if self.kind == "segm":
            return {"masks": (self.gt.decoded().arrays(), self.dt.arrays())}
        if self.kind in ("obb", "quad"):
            return {self.kind: (self.gt, self.dt)}
        return {"kpts": (self.gt, self.dt, self.kpt_vars)}


@dataclass
class Scene:
    """Ground truth and detections of ``n_images`` images.

    classes     class names; class k is ``classes[k]``
    gt_box      (M, 4) float64 xywh pixels
    gt_image    (M,) int64 image index, gt_label (M,) int64 class index
    gt_ignore   (M,) bool: crowd or difficult (an ignore region)
    dt_box      (N, 4) float64 xywh pixels
    dt_image, dt_label (N,) int64; dt_score (N,) float64
    images      image names (str), one per image, or None
    shapes      ``Shapes`` (masks, keypoints) or None: the boxes are compared
    gt_whole    (M,) bool or None: an ignore region covering its whole image
    """
    n_images: int
    classes: list
    gt_box: np.ndarray
    gt_image: np.ndarray
    gt_label: np.ndarray
    gt_ignore: np.ndarray
    dt_box: np.ndarray
    dt_image: np.ndarray
    dt_label: np.ndarray
    dt_score: np.ndarray
    images: list = None
    shapes: Shapes = None
    gt_whole: np.ndarray = None

    def __post_init__(self):
        f64, i64 = np.float64, np.int64
        self.gt_box = np.ascontiguousarray(self.gt_box, f64).reshape(-1, 4)
        self.dt_box = np.ascontiguousarray(self.dt_box, f64).reshape(-1, 4)
        self.gt_image = np.ascontiguousarray(self.gt_image, i64).reshape(-1)
        self.gt_label = np.ascontiguousarray(self.gt_label, i64).reshape(-1)
        self.gt_ignore = np.ascontiguousarray(self.gt_ignore, bool).reshape(-1)
        self.dt_image = np.ascontiguousarray(self.dt_image, i64).reshape(-1)
        self.dt_label = np.ascontiguousarray(self.dt_label, i64).reshape(-1)
        self.dt_score = np.ascontiguousarray(self.dt_score, f64).reshape(-1)
        m, n = len(self.gt_box), len(self.dt_box)
        if self.gt_whole is not None:
            self.gt_whole = np.ascontiguousarray(self.gt_whole, bool).reshape(-1)
            if len(self.gt_whole) != m:
                raise DetapInputError(f"analysis: gt_whole has {len(self.gt_whole)} entries for {m} boxes")
            self.gt_ignore = self.gt_ignore | self.gt_whole
        for name, want in (("gt_image", m), ("gt_label", m), ("gt_ignore", m), ("dt_image", n),
                           ("dt_label", n), ("dt_score", n)):
            if len(getattr(self, name)) != want:
                raise DetapInputError(f"analysis: {name} has {len(getattr(self, name))} entries "
                                      f"for {want} boxes")
        for name in ("gt_image", "dt_image"):
            a = getattr(self, name)
            if len(a) and (a.min() < 0 or a.max() >= self.n_images):
                raise DetapInputError(f"analysis: {name} holds an index outside 0..{self.n_images - 1}")
        for name in ("gt_label", "dt_label"):
            a = getattr(self, name)
            if len(a) and (a.min() < 0 or a.max() >= len(self.classes)):
                raise DetapInputError(f"analysis: {name} holds a class outside 0..{len(self.classes) - 1}")
        for name in ("gt_box", "dt_box", "dt_score"):
            a = getattr(self, name)
            if not np.isfinite(a).all():
                raise DetapInputError(f"analysis: {name} holds a value that is not finite")


    def ranked(self, max_dets, min_score=None):
        """Detections by image, by descending score, cut at ``max_dets``
        (``by_image``), of those scoring >= ``min_score``: (offsets, rows);
        kept for the next analysis asking the same."""
        memo = self.__dict__.setdefault("_ranked", {})
        sel = None
        if min_score is not None and len(self.dt_score) and self.dt_score.min() < min_score:
            sel = np.flatnonzero(self.dt_score >= min_score)
        key = (max_dets, None if sel is None else min_score)
        if key not in memo:
            img = self.dt_image if sel is None else self.dt_image[sel]
            score = self.dt_score if sel is None else self.dt_score[sel]
            off, rows = by_image(img, self.n_images, score=score, max_dets=max_dets)
            memo[key] = (off, rows if sel is None else sel[rows])
        return memo[key]


    def similarity_name(self):
        """What the analysis compares: "IoU" (boxes), "mask IoU", "OKS",
        "rotated IoU" or "polygon IoU"."""
        return "IoU" if self.shapes is None else SIMILARITY_NAMES[self.shapes.kind]

    def similarities(self, d_off, d_rows, threads=None):
        """The similarity blocks of the ranked detections (``ranked``) against
        each image's GT and ignore regions (``gt_groups``), for
        ``_core.tide_images``' sims; None for boxes (their IoU is computed
        there)."""
        if self.shapes is None:
            return None
        g_off, g_rows, r_off, r_rows = self.gt_groups()
        sh = self.shapes
        m = sh.n_gt()
        box = self.gt_box[:m]
        area = box[:, 2] * box[:, 3] if sh.gt_area is None else sh.gt_area
        crowd = self.gt_ignore[:m].view(np.uint8)   # crowd IoU against the ignore regions
        out = []
        for off, rows in ((g_off, g_rows), (r_off, r_rows)):
            out += _core.image_similarity(d_off, d_rows, off, rows, box, area, crowd,
                                          self.dt_box, nthreads=threads, **sh.similarity_args())
        return tuple(out)

    def whole_groups(self):
        """(offsets, classes) of the whole-image regions by image, or None."""
        if self.gt_whole is None or not self.gt_whole.any():
            return None
        memo = self.__dict__.setdefault("_ranked", {})
        if "whole" not in memo:
            sel = np.flatnonzero(self.gt_whole)
            off, rows = by_image(self.gt_image[sel], self.n_images)
            memo["whole"] = (off, np.ascontiguousarray(self.gt_label[sel[rows]]))
        return memo["whole"]

    def gt_groups(self):
        """The GT by image, in row order: (offsets, rows) of the GT that are
        not ignored, then of the ignore regions (but whole-image ones:
        ``whole_groups``); kept like ``ranked``."""
        memo = self.__dict__.setdefault("_ranked", {})
        if "gt" not in memo:
            out = []
            region = self.gt_ignore if self.gt_whole is None else self.gt_ignore & ~self.gt_whole
            for sel in (np.flatnonzero(~self.gt_ignore), np.flatnonzero(region)):
                off, rows = by_image(self.gt_image[sel], self.n_images)
                out += [off, sel[rows]]
            memo["gt"] = tuple(out)
        return memo["gt"]


def scene_from_dataset(ds):
    """The ``Scene`` of a ``detap.formats.Dataset`` (images in its order);
    oriented boxes are compared by their own IoU (``Shapes("obb")``,
    ``Shapes("quad")``)."""
    shapes = Shapes(ds.box_format, ds.gt_boxes, ds.det_boxes) if ds.oriented else None
    return Scene(n_images=len(ds.images), classes=list(ds.classes),
                 gt_box=boxes_as(ds.gt_boxes, ds.box_format, "xywh"), gt_image=ds.gt_image,
                 gt_label=ds.gt_label, gt_ignore=ds.gt_iscrowd | ds.gt_difficult,
                 dt_box=boxes_as(ds.det_boxes, ds.box_format, "xywh"), dt_image=ds.det_image,
                 dt_label=ds.det_label, dt_score=ds.det_scores, images=list(ds.images),
                 shapes=shapes)


def by_image(image, n_images, *, score=None, max_dets=None):
    """Rows grouped by image: (offsets (n_images + 1,), rows).

    Without ``score`` the rows of an image keep their order; with it they
    are sorted by descending score, ties in row order (Python's stable
    ``list.sort(key=-score)``, as tidecv and pycocotools sort), and cut at
    ``max_dets`` rows per image."""
    image = np.ascontiguousarray(image, np.int64)
    off, rows = group.by_image(image, n_images)
    if score is None:
        return off, rows
    # each image's rows (in row order) sorted by descending score, stably
    _core.sort_segments_desc(np.ascontiguousarray(score, np.float64), off, rows)
    if max_dets is not None and len(rows):
        counts = np.diff(off)
        if counts.max(initial=0) > max_dets:
            pos = np.arange(len(rows)) - np.repeat(off[:-1], counts)
            rows = rows[pos < max_dets]
            off = np.zeros(n_images + 1, np.int64)
            np.cumsum(np.minimum(counts, max_dets), out=off[1:])
    return off, rows
