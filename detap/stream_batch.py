"""A batch of images as the streaming ``Evaluator`` takes it: columns (one
row per box) checked for shapes, kinds and finiteness, and the helpers that
order a state's rows canonically (image ids, rows within an image)."""
import numpy as np

from .boxes import BOX_WIDTHS, boxes_as
from .core import as_boxes
from .errors import DetapInputError

__all__ = ["Batch", "column", "batch_boxes", "repeat_id", "positions", "dense", "concat"]


def column(x, dtype, name, shape_tail=()):
    """numpy (or anything with ``__array__``, e.g. a CPU torch tensor) as a
    contiguous array; an empty input becomes shape (0, *shape_tail)."""
    a = np.asarray(x if x is not None else np.zeros((0,) + shape_tail), dtype=dtype)
    if a.size == 0:
        return np.zeros((0,) + shape_tail, dtype=dtype)
    if shape_tail and (a.ndim != 2 or a.shape[1:] != shape_tail):
        raise DetapInputError(f"{name} must have shape (n, {shape_tail[0]}), got {a.shape}")
    if not shape_tail and a.ndim != 1:
        a = a.reshape(-1)
    return np.ascontiguousarray(a)


def batch_boxes(x, name, box_format):
    """(n, 4) float64 boxes ((n, 8) for "quad", (n, 5) for "obb"), checked
    for shape and finiteness by the array API's own check; None is no boxes."""
    return as_boxes(x if x is not None else [], name, width=BOX_WIDTHS[box_format])


def _labels(x, name):
    a = np.asarray(x if x is not None else np.zeros(0, np.int64))
    if a.size and a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            raise DetapInputError(f"{name} must hold integer class ids, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.int64).reshape(-1)


def _image_ids(x, name):
    """Image ids as an int64 array, or a str array when they are strings;
    DetapInputError saying what is expected otherwise."""
    a = np.asarray(x if x is not None else np.zeros(0, np.int64))
    if a.size == 0:
        return np.zeros(0, np.int64)
    flat = a.reshape(-1)
    if flat.dtype.kind == "U" or (flat.dtype.kind == "O" and all(isinstance(v, str) for v in flat)):
        return flat.astype(str)
    if flat.dtype.kind == "f" and np.isfinite(flat).all() and np.all(flat == np.round(flat)):
        return flat.astype(np.int64)
    if flat.dtype.kind not in "iu":
        raise DetapInputError(f"{name} must be integers or strings (one id per image), got "
                              f"{flat[0]!r} ({type(flat[0]).__name__})")
    return np.ascontiguousarray(flat, dtype=np.int64)


def repeat_id(image_id, n):
    """(n,) array holding one image's id (an int or a str)."""
    if isinstance(image_id, str):
        return np.full(n, image_id)
    try:
        return np.full(n, image_id, np.int64)
    except (TypeError, ValueError, OverflowError):
        raise DetapInputError(f"image_id must be an integer or a string, got {image_id!r} "
                              f"({type(image_id).__name__})") from None


def positions(img):
    """Index of each row among the rows of its image, in row order."""
    n = len(img)
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(img, kind="stable")
    s = img[order]
    start = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    run = np.repeat(start, np.diff(np.r_[start, n]))
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n) - run
    return pos


class Batch:
    """A batch of images as columns, validated (one image id per row)."""

    def __init__(self, gt_image, gt_boxes, gt_labels, det_image, det_boxes, det_scores,
                 det_labels, gt_difficult, gt_iscrowd, gt_area, box_format, images,
                 nonneg_sizes):
        self.gt_boxes = batch_boxes(gt_boxes, "gt_boxes", box_format)
        self.det_boxes = batch_boxes(det_boxes, "det_boxes", box_format)
        ng, nd = len(self.gt_boxes), len(self.det_boxes)
        self.gt_image = _image_ids(gt_image, "gt image ids")
        self.det_image = _image_ids(det_image, "det image ids")
        self.gt_labels = _labels(gt_labels, "gt_labels")
        self.det_labels = _labels(det_labels, "det_labels")
        self.det_scores = column(det_scores, np.float64, "det_scores")
        self.gt_difficult = (np.zeros(ng, bool) if gt_difficult is None
                             else column(gt_difficult, bool, "gt_difficult"))
        self.gt_iscrowd = (np.zeros(ng, bool) if gt_iscrowd is None
                           else column(gt_iscrowd, bool, "gt_iscrowd"))
        self.gt_area = None if gt_area is None else column(gt_area, np.float64, "gt_area")
        for name, n in (("gt_image", ng), ("gt_labels", ng), ("gt_difficult", ng),
                        ("gt_iscrowd", ng), ("det_image", nd), ("det_labels", nd),
                        ("det_scores", nd)) + ((("gt_area", ng),) if gt_area is not None else ()):
            if len(getattr(self, name)) != n:
                raise DetapInputError(f"{name} has {len(getattr(self, name))} values for {n} boxes")
        for name in ("det_scores",) + (("gt_area",) if gt_area is not None else ()):
            bad = ~np.isfinite(getattr(self, name))
            if bad.any():
                i = int(np.argwhere(bad)[0][0])
                raise DetapInputError(f"{name}[{i}] is not finite")
        # as the one-shot front ends: pycocotools' rules refuse negative sizes,
        # voc_eval's take degenerate boxes as they come
        for name, boxes in (("gt_boxes", self.gt_boxes), ("det_boxes", self.det_boxes)):
            if not nonneg_sizes:
                break
            b = boxes_as(boxes, box_format, "xywh")
            if len(b) and (b[:, 2:] < 0).any():
                i = int(np.argwhere((b[:, 2:] < 0).any(1))[0][0])
                raise DetapInputError(f"{name}[{i}] has a negative width or height")
        self.box_format = box_format
        parts = [a for a in (self.gt_image, self.det_image,
                             _image_ids(images, "image ids") if images is not None else ())
                 if len(a)]
        if len({a.dtype.kind for a in parts}) > 1:
            raise DetapInputError("image ids mix integers and strings; use one kind")
        self.images = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        # empty id columns take the ids' kind, so that columns concatenate
        self.gt_image = self.gt_image.astype(self.images.dtype, copy=False)
        self.det_image = self.det_image.astype(self.images.dtype, copy=False)


def dense(values, universe):
    """Index of each value in the sorted array ``universe``."""
    return np.searchsorted(universe, values).astype(np.int64)


def concat(chunks, empty=None):
    """Column-wise concatenation of a list of {name: array} dicts."""
    if not chunks:
        return {k: np.zeros(0, np.int64 if v == 0 else np.float64) for k, v in (empty or {}).items()}
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
