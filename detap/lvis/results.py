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
from ..core import sort_detections
from ..coco.columns import (Columns, DetapResultsError, column, read_fast)
from ..coco.masks import box_polygons, mask_columns
from .dataset import LVIS, read_document
from .federated import cap_per_image

__all__ = ["LVISResults", "api_order"]

_BOX_FIELDS = _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_SCORE | _core.HAS_BBOX


def _by_image_then_score(rows, image_pos, n_images, score):
    """``rows`` ordered by image, then descending score, ties in file order."""
    rows = rows[sort_detections(score[rows])]          # C radix sort, stable
    return rows[group.by_image(image_pos[rows], n_images)[1]]


def api_order(image_pos, n_images, score, kept):
    """The kept rows (``kept`` (n,) bool, or None: all) in lvis-api's order,
    which numbers them 1..m: images by first appearance; an image's rows in
    file order, or by descending score (ties in file order) when the cap
    cut it."""
    n = len(image_pos)
    off, perm = group.by_image(image_pos, n_images)    # stable: file order inside an image
    counts = np.diff(off)
    if kept is None:
        rows = np.arange(n)
    else:
        cut_img = np.zeros(n_images, bool)
        cut_img[image_pos[~kept]] = True
        in_cut = cut_img[image_pos]
        rows = np.concatenate([np.flatnonzero(~in_cut),
                               _by_image_then_score(np.flatnonzero(in_cut & kept), image_pos,
                                                    n_images, score)])
    present = counts > 0
    rank = np.zeros(n_images, np.int64)
    rank[np.flatnonzero(present)[np.argsort(perm[off[:-1][present]], kind="stable")]] = \
        np.arange(int(present.sum()))
    return rows[group.by_image(rank[image_pos[rows]], n_images)[1]]


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
        self._index, self._cols, self._fast_cols = None, None, None
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
        pos = index_of(known, img)
        bad = pos < 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DetapResultsError(f"record {i}: 'image_id' {int(img[i])} is not an image of the "
                                    "ground truth (Results do not correspond to current LVIS set)",
                                    where)
        # the cap as a mask: evaluation leaves the cut rows out, nothing is copied
        self.kept = cap_per_image(pos, len(known), score, max_dets) if max_dets >= 0 else None
        self._capped = max_dets >= 0
        self._pos, self._n_images, self._api_ids = pos, len(known), None
        masks = None
        if self.kind == "bbox":
            if bbox is None:
                bbox = column(records, "bbox", np.float64, where)
            area = None  # w * h, by Columns.checked
        else:
            masks = mask_columns([a.get("segmentation") for a in records], img.tolist(),
                                 gt.imgs, where)
            bbox, area = masks.result_box(records)
        # ids: the file row + 1 (what the engine needs: positive, distinct); lvis-api's
        # numbering (after its regrouping) is api_ids()
        self._all = Columns.checked(where, img, cat, np.arange(1, len(img) + 1), bbox, area,
                                    score=score, check_area=False, ids_unique=True,
                                    negative="warn").with_fields(masks=masks)
        self._records = records
        self._doc, self._loader = None, self._build_dataset

    @staticmethod
    def limit_dets_per_image(anns, max_dets):
        """lvis-api's cap on a list of result dicts: grouped image by image
        (images in order of first appearance), an image with more than
        ``max_dets`` keeps its ``max_dets`` highest scores (ties in list
        order), the others keep their order.  Returns a new list."""
        by_image = {}
        for a in anns:
            by_image.setdefault(a["image_id"], []).append(a)
        out = []
        for group in by_image.values():
            if len(group) > max_dets:
                group = sorted(group, key=lambda a: a["score"], reverse=True)[:max_dets]
            out.extend(group)
        return out

    def _kept_rows(self):
        return np.arange(len(self._all)) if self.kept is None else np.flatnonzero(self.kept)

    @property
    def n_kept(self):
        """How many results the cap kept."""
        return len(self._all) if self.kept is None else int(self.kept.sum())

    def api_ids(self):
        """(n,) int64: lvis-api's id of each result record (1..m in its
        order after the cap's regrouping; 0 for a record the cap cut)."""
        if self._api_ids is None:
            if self._capped:
                order = api_order(self._pos, self._n_images, self._all.score, self.kept)
            else:  # no cap: lvis-api keeps the records as they are
                order = np.arange(len(self._all))
            ids = np.zeros(len(self._all), np.int64)
            ids[order] = np.arange(1, len(order) + 1)
            self._api_ids = ids
        return self._api_ids

    def _build_dataset(self):
        """lvis-api's result-set document: the ground truth's, with the
        kept result records (copies, with "area", "id" and, for boxes
        without one, the box's polygon as "segmentation") as annotations."""
        records = self._records if self._records is not None else read_document(self._where)[0]
        cols, ids = self._all, self.api_ids()
        order = np.empty(int((ids > 0).sum()), np.int64)
        order[ids[ids > 0] - 1] = np.flatnonzero(ids > 0)
        anns = []
        for j, r in enumerate(order.tolist()):
            a = dict(records[r])
            if self.kind == "bbox":
                if "segmentation" not in a:
                    a["segmentation"] = box_polygons(cols.bbox[r:r + 1])[0]
                x, y, w, h = a["bbox"]
                a["area"] = w * h
            else:
                a["area"] = cols.area[r].item()
                a.setdefault("bbox", cols.bbox[r].tolist())
            a["id"] = j + 1
            anns.append(a)
        doc = copy.deepcopy({k: v for k, v in self.gt.dataset.items() if k != "annotations"})
        doc["annotations"] = anns
        return doc

    def evaluation_columns(self, iou_type="bbox"):
        """(every result record as ``Columns``, in file order, ids the file
        row + 1, with masks for ``iou_type="segm"``; the kept mask (n,) bool
        or None when the cap cut nothing): what evaluation reads, without
        copying the kept rows out."""
        cols = self._all
        if iou_type == "segm" and cols.masks is None:
            records = self._records if self._records is not None else read_document(self._where)[0]
            segs = [a["segmentation"] if "segmentation" in a else box_polygons(cols.bbox[r:r + 1])[0]
                    for r, a in enumerate(records)]
            cols = cols.with_fields(masks=mask_columns(segs, cols.image_id.tolist(), self.gt.imgs,
                                                       self._where))
            self._all = cols
        return cols, self.kept

    def dt_columns(self, iou_type="bbox"):
        """The kept detections as ``Columns`` (file order, lvis-api's ids),
        with their masks for ``iou_type="segm"`` (a box result without a
        "segmentation" is its box's polygon, as lvis-api makes it)."""
        cols, kept = self.evaluation_columns(iou_type)
        rows = self._kept_rows()
        if kept is not None:
            cols = cols.take(rows)
        return cols.with_fields(id=self.api_ids()[rows])

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
