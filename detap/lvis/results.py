"""lvis-api's ``LVISResults``: detections on an LVIS data set, capped per image.

A result set keeps at most ``max_dets`` detections per image (300 in
LVIS), over all categories together: an image with more keeps its
``max_dets`` highest scores, ties in file order (a stable sort, as Python's
``sorted(..., reverse=True)``).  As in lvis-api, capping regroups the
records image by image (images in order of first appearance) and numbers
them 1..N in that order.  Box results (the first record has a "bbox") get
``area = w * h``; mask results (compressed RLE, no "bbox" on the first
record) the mask's area and box.
"""
import copy
import os

import numpy as np

from .. import _core, group
from ..coco.cells import index_of
from ..coco.columns import (Columns, DetapResultsError, box_area, column, read_fast)
from ..coco.masks import box_polygons, mask_columns
from .dataset import LVIS, read_document

__all__ = ["LVISResults", "cap_per_image"]

_BOX_FIELDS = _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_SCORE | _core.HAS_BBOX


def cap_per_image(image_id, score, max_dets):
    """lvis-api's ``limit_dets_per_image`` as row indices: the rows kept,
    in its order (images by first appearance; an image's rows in file
    order, or by descending score, ties in file order, when it had more
    than ``max_dets`` and was cut).  image_id, score (n,); -> (m,) int64."""
    n = len(image_id)
    if n == 0:
        return np.zeros(0, np.int64)
    uniq, first, inv = np.unique(image_id, return_index=True, return_inverse=True)
    rank_of = np.empty(len(uniq), np.int64)
    rank_of[np.argsort(first, kind="stable")] = np.arange(len(uniq))
    rank = rank_of[inv.reshape(-1)]
    counts = np.bincount(rank, minlength=len(uniq))
    over = counts[rank] > max_dets
    rows = np.flatnonzero(~over)
    if over.any():
        cut = np.flatnonzero(over)
        cut = cut[np.lexsort((-score[cut], rank[cut]))]   # by image, then score (stable)
        starts = np.searchsorted(rank[cut], rank[cut], side="left")
        cut = cut[np.arange(len(cut)) - starts < max_dets]
        rows = np.concatenate([rows, cut])
    # images in order of first appearance, each image's rows kept in order
    return rows[group.by_image(rank[rows], len(uniq))[1]]


class LVISResults(LVIS):
    """Detections on ``lvis_gt`` (an ``LVIS`` or the path of its file):
    ``results`` is a path to a JSON list or the list itself; ``max_dets``
    caps each image (a negative value: no cap).

    An empty list is evaluated (every detection missing), where lvis-api
    fails on it.  A result on an image that is not in the ground truth
    raises ``DetapResultsError`` (an AssertionError, as in lvis-api)."""

    def __init__(self, lvis_gt, results, max_dets=300):
        gt = lvis_gt if isinstance(lvis_gt, LVIS) else LVIS(lvis_gt)
        self.gt = gt
        self._index, self._cols = None, None
        where = os.fspath(results) if isinstance(results, (str, os.PathLike)) else "<results>"
        self._where = where
        fast = None
        records = None
        if isinstance(results, (str, os.PathLike)):
            data, fast = read_fast(where)
            if not _fast_boxes(fast):
                fast = None
                records, _ = read_document(where)
            del data
        else:
            records = results
        if fast is None and not isinstance(records, list):
            raise DetapResultsError("results must be a list of objects", where)
        self.kind = "bbox" if fast is not None else _result_kind(records, where)
        if fast is not None:
            img, cat, score, bbox = fast["image_id"], fast["category_id"], fast["score"], fast["bbox"]
        else:
            img = column(records, "image_id", np.int64, where, "int")
            cat = column(records, "category_id", np.int64, where, "int")
            score = column(records, "score", np.float64, where)
            bbox = None
        known = np.unique(np.asarray(gt.get_img_ids(), dtype=np.int64))
        bad = index_of(known, img) < 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DetapResultsError(f"record {i}: 'image_id' {int(img[i])} is not an image of the "
                                    "ground truth (Results do not correspond to current LVIS set)",
                                    where)
        rows = cap_per_image(img, score, max_dets) if max_dets >= 0 else np.arange(len(img))
        self._rows = rows
        masks = None
        if self.kind == "bbox":
            if bbox is None:
                bbox = column(records, "bbox", np.float64, where)
            bbox = bbox[rows]
            area = box_area(bbox)
        else:
            kept = [records[r] for r in rows.tolist()]
            masks = mask_columns([a.get("segmentation") for a in kept],
                                 img[rows].tolist(), gt.imgs, where)
            bbox, area = masks.result_box(kept)
        self._dt = Columns.checked(where, img[rows], cat[rows],
                                   np.arange(1, len(rows) + 1, dtype=np.int64), bbox, area,
                                   score=score[rows], check_area=False, ids_unique=True,
                                   negative="warn").with_fields(masks=masks)
        self._records = records
        self._doc, self._loader = None, self._build_dataset

    def _build_dataset(self):
        """lvis-api's result-set document: the ground truth's, with the
        kept result records (copies, with "area", "id" and, for boxes
        without one, the box's polygon as "segmentation") as annotations."""
        records = self._records if self._records is not None else read_document(self._where)[0]
        cols = self._dt
        anns = []
        for j, r in enumerate(self._rows.tolist()):
            a = dict(records[r])
            if self.kind == "bbox":
                if "segmentation" not in a:
                    a["segmentation"] = box_polygons(cols.bbox[j:j + 1])[0]
                x, y, w, h = a["bbox"]
                a["area"] = w * h
            else:
                a["area"] = cols.area[j].item()
                a.setdefault("bbox", cols.bbox[j].tolist())
            a["id"] = j + 1
            anns.append(a)
        doc = copy.deepcopy({k: v for k, v in self.gt.dataset.items() if k != "annotations"})
        doc["annotations"] = anns
        return doc

    def dt_columns(self, iou_type="bbox"):
        """The kept detections as ``Columns`` (lvis-api's order and ids),
        with their masks for ``iou_type="segm"`` (a box result without a
        "segmentation" is its box's polygon, as lvis-api makes it)."""
        cols = self._dt
        if iou_type == "segm" and cols.masks is None:
            records = self._records if self._records is not None else read_document(self._where)[0]
            segs = []
            for j, r in enumerate(self._rows.tolist()):
                a = records[r]
                segs.append(a["segmentation"] if "segmentation" in a
                            else box_polygons(cols.bbox[j:j + 1])[0])
            cols = cols.with_fields(masks=mask_columns(segs, cols.image_id.tolist(), self.gt.imgs,
                                                       self._where))
            self._dt = cols
        return cols

    def gt_columns(self, iou_type="bbox"):
        raise TypeError("a result set has detections, not ground truth: use dt_columns()")

    def get_top_results(self, img_id, score_thrs):
        """The image's results scoring above ``score_thrs``."""
        return [a for a in self.load_anns(self.get_ann_ids(img_ids=[img_id]))
                if a["score"] > score_thrs]


def _fast_boxes(fast):
    """Whether the C reader's columns are box results lvis-api would read
    as boxes: a top-level list whose records all have an image, a
    category, a score and a box, and no segmentation."""
    if fast is None or not fast["top_is_array"]:
        return False
    has = fast["has"]
    return bool(np.all((has & _BOX_FIELDS) == _BOX_FIELDS)) and \
        not bool(np.any(has & _core.HAS_SEGMENTATION)) and not bool(np.any(fast["rle_len"] >= 0))


def _result_kind(records, where):
    """lvis-api decides from the first record: "bbox" if it has one, else
    "segm" if it has a segmentation."""
    if not records:
        return "bbox"
    first = records[0]
    if isinstance(first, dict) and "bbox" in first:
        return "bbox"
    if isinstance(first, dict) and "segmentation" in first:
        return "segm"
    raise DetapResultsError("record 0 has neither 'bbox' nor 'segmentation'", where)
