"""The in-memory form every reader produces and every writer and evaluator takes.

A ``Dataset`` is ground truth and (optionally) detections as flat columns, one
row per box.  Images and classes are referred to by integer index into
``images`` and ``classes``.

Coordinates: boxes are float64 in absolute pixels, in ``box_format``:
``"xyxy"`` = [x1, y1, x2, y2] (VOC XML, Cartucho, YOLO after conversion),
``"xywh"`` = [x, y, w, h] (COCO JSON), both (n, 4), ``"quad"`` = [x1,
y1, ..., x4, y4] (n, 8), oriented boxes as their four vertices (DOTA
labelTxt, YOLO-OBB), evaluated with the polygon IoU, or ``"obb"`` = [cx,
cy, w, h, angle] (n, 5), rotated rectangles (angle in radians; corners in
``detap.boxes``), evaluated with hotcoco's rotated IoU.  Readers keep the file's own numbers
(no conversion) so that an evaluator can reproduce the source tool's float
arithmetic bit for bit; ``boxes_as`` converts when a caller needs the other
form.  Whether x2 is inclusive (VOC, ``+1`` pixel) is a property of the
evaluation protocol, not of the data.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..boxes import BOX_WIDTHS, box_kind, box_size, boxes_as

__all__ = ["Dataset", "boxes_as", "rows_by"]


def rows_by(index, n):
    """Row numbers grouped by ``index`` (an (m,) int array of values in
    0..n-1): a list of n int64 arrays, each in ascending row order (so a
    writer keeps the file order the data came in)."""
    order = np.argsort(index, kind="stable")
    bounds = np.searchsorted(index[order], np.arange(n + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n)]


def _positions(old, new, what):
    """Index of each entry of ``old`` in ``new`` (int64); an entry of
    ``old`` missing from ``new`` is a ValueError naming it."""
    where = {k: i for i, k in enumerate(new)}
    missing = [k for k in old if k not in where]
    if missing:
        raise ValueError(f"{what} {missing[0]!r} is not in the new list")
    return np.array([where[k] for k in old], dtype=np.int64).reshape(-1)


def _f64(n, cols=None):
    return np.zeros((n, cols) if cols else n, dtype=np.float64)


@dataclass
class Dataset:
    """Ground truth and detections of one evaluation, as columns.

    images        image keys (str): file stem (VOC, YOLO, Cartucho) or
                  COCO ``file_name``/id; index i is image i
    classes       class names (str); index k is class k
    box_format    "xyxy", "xywh", "quad" or "obb" for both gt_boxes and det_boxes
    gt_boxes      (M, 4) float64, pixels ((M, 8) for "quad", (M, 5) for "obb")
    gt_image      (M,) int64 image index
    gt_label      (M,) int64 class index
    gt_difficult  (M,) bool, VOC ``difficult`` (Cartucho's "difficult" word)
    gt_iscrowd    (M,) bool, COCO ``iscrowd``
    gt_area       (M,) float64 or None: COCO's ``area`` field (segmentation
                  area; None means box area)
    det_boxes     (N, 4) float64, pixels ((N, 8) for "quad", (N, 5) for "obb")
    det_image     (N,) int64
    det_label     (N,) int64
    det_scores    (N,) float64 confidences
    image_sizes   (I, 2) int64 [width, height] or None (YOLO needs them)
    image_ids     COCO numeric image ids (list of int, one per image) or None
    class_ids     COCO numeric category ids (list of int, one per class) or None
    has_dets      False for a GT-only dataset (no detections were read)
    source        where the data came from, for messages: {"gt": path, "dt": path}
    """
    images: list
    classes: list
    box_format: str = "xyxy"
    gt_boxes: np.ndarray = field(default_factory=lambda: _f64(0, 4))
    gt_image: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gt_label: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    gt_difficult: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    gt_iscrowd: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    gt_area: Optional[np.ndarray] = None
    det_boxes: np.ndarray = field(default_factory=lambda: _f64(0, 4))
    det_image: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    det_label: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    det_scores: np.ndarray = field(default_factory=lambda: _f64(0))
    image_sizes: Optional[np.ndarray] = None
    image_ids: Optional[list] = None
    class_ids: Optional[list] = None
    has_dets: bool = True
    source: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.box_format not in BOX_WIDTHS:
            raise ValueError(f"box_format must be one of {sorted(BOX_WIDTHS)}, "
                             f"got {self.box_format!r}")
        self.images = list(self.images)
        self.classes = list(self.classes)
        width = BOX_WIDTHS[self.box_format]
        self.gt_boxes = np.ascontiguousarray(self.gt_boxes, dtype=np.float64).reshape(-1, width)
        self.det_boxes = np.ascontiguousarray(self.det_boxes, dtype=np.float64).reshape(-1, width)
        for name in ("gt_image", "gt_label", "det_image", "det_label"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=np.int64).reshape(-1))
        for name in ("gt_difficult", "gt_iscrowd"):
            a = np.asarray(getattr(self, name), dtype=bool).reshape(-1)
            setattr(self, name, a if a.size else np.zeros(len(self.gt_boxes), bool))
        self.det_scores = np.ascontiguousarray(self.det_scores, dtype=np.float64).reshape(-1)
        if self.gt_area is not None:
            self.gt_area = np.ascontiguousarray(self.gt_area, dtype=np.float64).reshape(-1)
        m, n = len(self.gt_boxes), len(self.det_boxes)
        for name, want in (("gt_image", m), ("gt_label", m), ("gt_difficult", m),
                           ("gt_iscrowd", m), ("det_image", n), ("det_label", n),
                           ("det_scores", n)):
            if len(getattr(self, name)) != want:
                raise ValueError(f"Dataset.{name} has {len(getattr(self, name))} rows, want {want}")
        if self.gt_area is not None and len(self.gt_area) != m:
            raise ValueError(f"Dataset.gt_area has {len(self.gt_area)} rows, want {m}")
        for name, idx, bound in (("gt_image", self.gt_image, len(self.images)),
                                 ("det_image", self.det_image, len(self.images)),
                                 ("gt_label", self.gt_label, len(self.classes)),
                                 ("det_label", self.det_label, len(self.classes))):
            if idx.size and (idx.min() < 0 or idx.max() >= bound):
                raise ValueError(f"Dataset.{name} holds an index outside 0..{bound - 1}")

    @property
    def oriented(self):
        """True for oriented boxes: quadrilaterals ("quad", the polygon IoU)
        or rotated rectangles ("obb", the rotated IoU)."""
        return self.box_format in ("quad", "obb")

    @property
    def box_kind(self):
        """What the IoU compares: "box", "quad" or "obb" (``detap.boxes.box_kind``)."""
        return box_kind(self.box_format)

    def gt_as(self, box_format):
        """GT boxes in ``box_format``, float64 (a quadrilateral as "xyxy" or
        "xywh" is its axis-aligned extent)."""
        return boxes_as(self.gt_boxes, self.box_format, box_format)

    def dets_as(self, box_format):
        """Detection boxes in ``box_format``, float64 (see ``gt_as``)."""
        return boxes_as(self.det_boxes, self.box_format, box_format)

    def gt_areas(self):
        """(M,) float64 GT areas: ``gt_area`` where given, else box w * h
        (continuous convention, no +1; a quadrilateral's axis-aligned
        extent; a rotated rectangle's own w * h, as hotcoco's)."""
        if self.gt_area is not None:
            return self.gt_area
        w, h = box_size(self.gt_boxes, self.box_format)
        with np.errstate(over="ignore", invalid="ignore"):  # see boxes_as
            return w * h

    def reindex(self, images=None, classes=None):
        """The same data with new image and/or class lists (image keys, class
        names; None keeps the current one).  Rows keep their order and get
        remapped indices; entries of a new list that the old one lacks have
        no rows.  ValueError when a new list leaves out a current entry.
        ``image_sizes``/``image_ids`` (``class_ids``) follow their entries,
        and become None when a new entry has none."""
        images = self.images if images is None else list(images)
        classes = self.classes if classes is None else list(classes)
        if images == self.images and classes == self.classes:
            return self  # nothing to remap (the usual case of a single-format read)
        img = _positions(self.images, images, "image")
        cls = _positions(self.classes, classes, "class")
        return Dataset(
            images=images, classes=classes, box_format=self.box_format,
            gt_boxes=self.gt_boxes, gt_image=img[self.gt_image], gt_label=cls[self.gt_label],
            gt_difficult=self.gt_difficult, gt_iscrowd=self.gt_iscrowd, gt_area=self.gt_area,
            det_boxes=self.det_boxes, det_image=img[self.det_image],
            det_label=cls[self.det_label], det_scores=self.det_scores,
            image_sizes=_follow(self.image_sizes, img, len(images)),
            image_ids=_follow(self.image_ids, img, len(images)),
            class_ids=_follow(self.class_ids, cls, len(classes)),
            has_dets=self.has_dets, source=dict(self.source))

    def with_detections(self, other):
        """This dataset's ground truth with ``other``'s detections, matched
        by image key and class name.  Images and classes only ``other`` has
        are appended in ``other``'s order; detection boxes are converted to
        this dataset's ``box_format`` (axis-aligned boxes, quadrilaterals
        and rotated boxes do not mix: ValueError); an image size unknown
        here is taken from ``other``."""
        if self.box_kind != other.box_kind:
            raise ValueError("quadrilaterals, rotated boxes and axis-aligned boxes do not mix: "
                             f"ground truth {self.box_format}, detections {other.box_format}")
        images = list(dict.fromkeys(self.images + other.images))
        classes = list(dict.fromkeys(self.classes + other.classes))
        base = self.reindex(images, classes)
        dets = other.reindex(images, classes)
        known = {}
        for ds in (other, self):  # this dataset's own size wins
            if ds.image_sizes is not None:
                known.update(zip(ds.images, ds.image_sizes.tolist()))
        sizes = (np.array([known[k] for k in images], np.int64).reshape(-1, 2)
                 if all(k in known for k in images) else None)
        return Dataset(
            images=images, classes=classes, box_format=self.box_format,
            gt_boxes=base.gt_boxes, gt_image=base.gt_image, gt_label=base.gt_label,
            gt_difficult=base.gt_difficult, gt_iscrowd=base.gt_iscrowd, gt_area=base.gt_area,
            det_boxes=dets.dets_as(self.box_format), det_image=dets.det_image,
            det_label=dets.det_label, det_scores=dets.det_scores, image_sizes=sizes,
            image_ids=base.image_ids, class_ids=base.class_ids, has_dets=other.has_dets,
            source={**self.source, "dt": other.source.get("dt")})


def _follow(values, positions, n):
    """Per-entry values (a list, or an array with one row per entry) moved
    to their new ``positions``; None when ``values`` is None or some of the
    n new entries has no value."""
    if values is None or len(positions) != n:
        return None
    inverse = np.empty(n, dtype=np.int64)
    inverse[positions] = np.arange(n)
    if isinstance(values, np.ndarray):
        return values[inverse]
    return [values[i] for i in inverse]
