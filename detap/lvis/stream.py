"""``Evaluator("lvis")``: LVIS evaluation streamed image by image, mergeable.

Each update adds images with their GT, their detections and their LVIS
labels (``neg_labels``, ``not_exhaustive_labels``).  The state keeps the
boxes (LVIS's per-image cap and federated rules need an image's
detections of every category together); ``compute`` runs the one-shot
stages (``evaluation.evaluate_federated`` and ``accumulate_federated``)
on them.  The result does not depend on the order of updates nor on how
images were split between merged evaluators: it equals ``LVISEval`` on the
same data (categories the keys of ``frequencies``), bit for bit.

Boxes are (n, 4) float pixels, ``box_format`` "xyxy" or "xywh"; labels
and image ids are integers; a GT's area is ``gt_area`` or its box's.
"""
from collections import OrderedDict

import numpy as np

from ..boxes import boxes_as
from ..coco.cells import index_of
from ..coco.columns import Columns, box_area
from ..core import as_boxes
from ..errors import DetapInputError
from ..protocols import (annotation_stats, check_iou, coco_result, iou_index,
                         reported_iou_index)
from ..streaming import Evaluator, analysis_settings
from .evaluation import Params, accumulate_federated, evaluate_federated
from .federated import cap_per_image
from .summary import frequency_groups, summarize

__all__ = ["LVISEvaluator"]


def _ints(x, name, n=None):
    a = np.asarray([] if x is None else x)
    if a.size and a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and
                                                     np.all(a == np.round(a))):
        raise DetapInputError(f"{name} must hold integers, got dtype {a.dtype}")
    a = a.astype(np.int64).reshape(-1)
    if n is not None and len(a) != n:
        raise DetapInputError(f"{name} has {len(a)} values for {n} boxes")
    return a


def _box_format(box_format):
    if box_format not in ("xyxy", "xywh"):
        raise DetapInputError(f"Evaluator('lvis') compares axis-aligned boxes (box_format 'xyxy' "
                              f"or 'xywh'), got box_format={box_format!r}")
    return box_format


_BOX_KEYS = ("gt_boxes", "gt_labels", "det_boxes", "det_scores", "det_labels")
#: the keys of one image's record (``update_many``, ``detap.dask``)
UPDATE_KEYS = frozenset(("image_id", "neg_labels", "not_exhaustive_labels", "gt_area",
                         "box_format") + _BOX_KEYS)


class LVISEvaluator(Evaluator):
    """The streaming LVIS evaluator (made by ``Evaluator("lvis", ...)``).

    frequencies  category label -> "r", "c" or "f": the categories
                 evaluated (lvis-api's GT categories) and their groups
    classes      label -> name (default: the label)
    iou          IoU threshold of ``map`` and the per-class APs (one of
                 the ten); the 13 numbers cover all of them
    max_dets     the per-image cap (300; -1: none)
    analysis     True (or a ``detap.analysis.AnalysisSettings``): the
                 result's ``.analysis`` on LVIS's federated rules
                 (``detap.analysis.sources``), TIDE keeping the cap's
                 detections per image; computed from the kept boxes, so
                 merges give the bits of one run
    """

    def __init__(self, protocol="lvis", iou=0.5, classes=None, threads=None, iou_type="bbox",
                 frequencies=None, max_dets=300, analysis=False):
        if iou_type != "bbox":
            raise DetapInputError("Evaluator('lvis') compares boxes (iou_type 'bbox')")
        if not frequencies:
            raise DetapInputError("Evaluator('lvis') needs frequencies={label: 'r'|'c'|'f'} "
                                  "for every category")
        self.protocol, self.iou_type, self.classes, self.threads = "lvis", "bbox", classes, threads
        self.iou = check_iou(iou)
        self.max_dets = int(max_dets)
        self.analysis = analysis_settings(analysis, iou=self.iou, max_dets=max(self.max_dets, 1)
                                          if self.max_dets >= 0 else 2 ** 31 - 1)
        labels = sorted(int(k) for k in frequencies)
        self.frequencies = {k: frequencies[k] for k in labels}
        frequency_groups(labels, list(self.frequencies.values()))  # checks the letters
        self._params = Params("bbox")
        reported_iou_index(self._params.iou_thrs, self.iou, "the lvis Evaluator")
        self.reset()

    def reset(self):
        self._chunks = {"img": [], "gt": [], "det": [], "neg": [], "nel": []}
        self._id_kind = "i"

    def _key(self):
        return ("lvis", self.iou, "bbox", self.max_dets, tuple(self.frequencies.items()),
                getattr(self, "analysis", None))

    def update(self, image_id, gt_boxes, gt_labels, det_boxes, det_scores, det_labels, *,
               neg_labels=(), not_exhaustive_labels=(), gt_area=None, box_format="xyxy"):
        """Add one image: GT (m, 4) boxes and (m,) labels, detections (n, 4)
        with (n,) scores and labels (file order: it breaks score ties), and
        the categories verified absent (``neg_labels``) and not exhaustively
        annotated (``not_exhaustive_labels``) on it."""
        _box_format(box_format)
        ng = len(as_boxes(gt_boxes if gt_boxes is not None else [], "gt_boxes"))
        nd = len(as_boxes(det_boxes if det_boxes is not None else [], "det_boxes"))
        self.update_batch(np.full(ng, image_id), gt_boxes, gt_labels, np.full(nd, image_id),
                          det_boxes, det_scores, det_labels, image_ids=[image_id],
                          neg_labels={image_id: neg_labels},
                          not_exhaustive_labels={image_id: not_exhaustive_labels},
                          gt_area=gt_area, box_format=box_format)

    def update_many(self, records, box_format="xyxy"):
        """Add several images given as dicts with ``update``'s keywords
        (``image_id`` and the boxes, plus ``neg_labels``,
        ``not_exhaustive_labels``, ``gt_area``, ``box_format``)."""
        for r in records:
            extra = set(r) - UPDATE_KEYS
            if extra:
                raise DetapInputError(f"record of image {r.get('image_id')!r}: the lvis Evaluator "
                                      f"takes no {sorted(extra)} (allowed: {sorted(UPDATE_KEYS)})")
            kw = dict(r)
            kw.setdefault("box_format", box_format)
            self.update(kw.pop("image_id"), *(kw.pop(k, None) for k in _BOX_KEYS), **kw)

    def update_batch(self, gt_image_id, gt_boxes, gt_labels, det_image_id, det_boxes, det_scores,
                     det_labels, *, image_ids, neg_labels=None, not_exhaustive_labels=None,
                     gt_area=None, box_format="xyxy"):
        """Add the images ``image_ids`` as columns (one row per box);
        ``neg_labels`` / ``not_exhaustive_labels``: image id -> labels."""
        images = _ints(image_ids, "image_ids")
        _box_format(box_format)
        gb = boxes_as(as_boxes(gt_boxes if gt_boxes is not None else [], "gt_boxes"), box_format,
                      "xywh")
        db = boxes_as(as_boxes(det_boxes if det_boxes is not None else [], "det_boxes"),
                      box_format, "xywh")
        g_img, d_img = _ints(gt_image_id, "gt_image_id", len(gb)), _ints(det_image_id,
                                                                          "det_image_id", len(db))
        score = np.asarray(det_scores if det_scores is not None else [], np.float64).reshape(-1)
        if len(score) != len(db):
            raise DetapInputError(f"det_scores has {len(score)} values for {len(db)} boxes")
        if not np.isin(g_img, images).all() or not np.isin(d_img, images).all():
            raise DetapInputError("a box's image id is not in image_ids")
        area = box_area(gb) if gt_area is None else np.asarray(gt_area, np.float64).reshape(-1)
        if len(area) != len(gb):
            raise DetapInputError(f"gt_area has {len(area)} values for {len(gb)} boxes")
        self._chunks["img"].append({"id": images})
        self._chunks["gt"].append({"img": g_img, "label": _ints(gt_labels, "gt_labels", len(gb)),
                                   "box": gb, "area": area})
        self._chunks["det"].append({"img": d_img, "label": _ints(det_labels, "det_labels",
                                                                 len(db)),
                                    "box": db, "score": score})
        for kind, lists in (("neg", neg_labels), ("nel", not_exhaustive_labels)):
            lists = lists or {}
            pairs = [(i, int(c)) for i in images.tolist() for c in lists.get(i, ())]
            a = np.asarray(pairs, np.int64).reshape(-1, 2)
            self._chunks[kind].append({"img": a[:, 0].copy(), "label": a[:, 1].copy()})

    def _state(self, kind, fields):
        parts = self._chunks[kind]
        return {f: (np.concatenate([p[f] for p in parts]) if parts else
                    np.zeros((0, 4) if f == "box" else 0)) for f in fields}

    def compute(self):
        """The ``EvalResult`` (protocol "lvis"; ``summary``: lvis-api's 13
        numbers) of every image added, here or in merged evaluators."""
        images = self._state("img", ["id"])["id"].astype(np.int64)
        img_ids = np.unique(images)
        if len(img_ids) != len(images):
            dup = np.unique(images, return_counts=True)
            raise DetapInputError(f"image {int(dup[0][dup[1] > 1][0])} was added more than once")
        gt = self._state("gt", ["img", "label", "box", "area"])
        det = self._state("det", ["img", "label", "box", "score"])
        cat_ids = np.asarray(list(self.frequencies), np.int64)
        unknown = index_of(cat_ids, gt["label"].astype(np.int64)) < 0
        if unknown.any():
            raise DetapInputError(f"GT label {int(gt['label'][unknown][0])} has no frequency")
        pos = index_of(img_ids, det["img"].astype(np.int64))
        kept = cap_per_image(pos, len(img_ids), det["score"], self.max_dets) \
            if self.max_dets >= 0 else None
        rows = np.arange(len(pos)) if kept is None else np.flatnonzero(kept)
        n_g, n_d = len(gt["img"]), len(rows)
        gt_cols = Columns.checked("Evaluator GT", gt["img"].astype(np.int64),
                                  gt["label"].astype(np.int64), np.arange(1, n_g + 1), gt["box"],
                                  gt["area"], ids_unique=True)
        dt_cols = Columns.checked("Evaluator detections", det["img"][rows].astype(np.int64),
                                  det["label"][rows].astype(np.int64), np.arange(1, n_d + 1),
                                  det["box"][rows], box_area(det["box"][rows]),
                                  score=det["score"][rows], check_area=False, ids_unique=True)
        lists = []
        for kind in ("neg", "nel"):
            s = self._state(kind, ["img", "label"])
            lists.append((index_of(img_ids, s["img"].astype(np.int64)),
                          s["label"].astype(np.int64)))
        p = self._params
        p.img_ids, p.cat_ids = img_ids.tolist(), cat_ids.tolist()
        state, n_dt, unmatched_ignored = evaluate_federated(gt_cols, dt_cols, img_ids, cat_ids, lists[0], lists[1],
                                         p, self.threads)
        precision, recall = accumulate_federated(state, n_dt, p.rec_thrs, self.threads)
        letters = list(self.frequencies.values())
        results = OrderedDict(summarize(precision, recall, p,
                                        frequency_groups(p.cat_ids, letters)))
        names = [self._name(c) for c in p.cat_ids]
        k = index_of(cat_ids, gt_cols.category_id)
        stats = annotation_stats(k, gt_cols.bbox[:, 2], gt_cols.bbox[:, 3], len(cat_ids))
        res = coco_result(None, state.matches, precision[..., None],
                          iou_index(p.iou_thrs, self.iou), names, self.iou, stats,
                          len(img_ids), "bbox", protocol="lvis", summary=dict(results))
        if getattr(self, "analysis", None) is not None:
            from ..analysis import analyze
            from ..analysis.sources import scene_from_federated
            res.analysis = analyze(scene_from_federated(state, unmatched_ignored, names),
                                   self.analysis, self.threads)
        return res

    def _name(self, label):
        c = self.classes
        name = str(label) if c is None else str(c[label] if isinstance(c, dict) or
                                                label < len(c) else label)
        return f"{name} ({self.frequencies[label]})"
