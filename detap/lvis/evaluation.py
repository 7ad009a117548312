"""lvis-api's ``LVISEval`` and ``Params`` on detap's COCO engine.

What LVIS shares with COCO runs on the engine unchanged (``coco.engine``:
cells, pycocotools' box or mask IoU, greedy matching with ignored GT last,
101-point interpolated precision).  lvis-api's rules that differ from
pycocotools' are applied here and in ``federated.py``:

- only verified (image, category) pairs are evaluated (federated rows);
- detections of not-exhaustively annotated categories are ignored when
  unmatched (the engine's ``dt_unmatched_ignored``);
- no per-cell maxDets cut: the result set's per-image cap is the only one;
- no crowd regions: ``iscrowd`` is not read, the GT's own ``ignore`` is;
- precision (T, R, K, A) and recall (T, K, A), without pycocotools' M axis;
- 13 summary numbers with frequency groups (``summary.py``).

lvis-api's matching loop and accumulation are pycocotools' line for line
(the same mergesort tie order, the same handling of ignored GT, of
unmatched out-of-range detections, of cells without GT), so those
stages need no LVIS variant.
"""
import datetime
from collections import OrderedDict

import numpy as np

from ..coco import engine
from ..coco.cocoeval import Params as CocoParams
from ..threads import nthreads
from .dataset import LVIS
from .federated import federated_rows, only_rows
from .results import LVISResults
from .summary import frequency_groups, result_lines, summarize, summary_value
from .views import DtPointers, LazyEvalImgs, ious_dict

__all__ = ["LVISEval", "Params", "evaluate_federated", "accumulate_federated"]


class Params:
    """lvis-api's evaluation parameters (its attribute names): ``img_ids``,
    ``cat_ids``, ``iou_thrs`` (10,), ``rec_thrs`` (101,), ``max_dets`` 300
    (a label: the cap is the result set's), ``area_rng`` (square pixels),
    ``area_rng_lbl``, ``use_cats``, ``img_count_lbl`` (r, c, f),
    ``iou_type``.  Thresholds and area ranges are COCO's."""

    def __init__(self, iou_type):
        coco = CocoParams(iouType="bbox")
        self.img_ids = []
        self.cat_ids = []
        self.iou_thrs = coco.iouThrs
        self.rec_thrs = coco.recThrs
        self.max_dets = 300
        self.area_rng = coco.areaRng
        self.area_rng_lbl = coco.areaRngLbl
        self.use_cats = 1
        self.img_count_lbl = ["r", "c", "f"]
        self.iou_type = iou_type


def evaluate_federated(gt, dt, img_ids, cat_ids, neg, not_exhaustive, params, threads,
                       dt_keep=None):
    """lvis-api's evaluate() on columns: (the engine's ``EvalState``, the
    number of detections evaluated, (len(dt),) uint8 flags of detections
    whose category is not exhaustively annotated in their image).  gt, dt ``Columns``; img_ids, cat_ids
    sorted unique int64; ``neg`` / ``not_exhaustive`` (image position,
    category id) pairs (``federated_rows``); ``params`` an LVIS ``Params``
    (area ranges, IoU thresholds, iou_type); ``dt_keep`` the per-image
    cap's mask of ``dt`` (None: all kept)."""
    rows = federated_rows(gt, dt, img_ids, cat_ids, neg, not_exhaustive, dt_keep, threads)
    unmatched_ignored = np.zeros(len(dt), np.uint8)
    unmatched_ignored[rows.dt_rows] = rows.unmatched_ignored
    n_dt = len(rows.dt_rows)
    # no per-cell maxDets cut: a cell keeps all its detections (n_dt bounds every cell)
    state = engine.evaluate(only_rows(gt, rows.gt_rows, cat_ids),
                            only_rows(dt, rows.dt_rows, cat_ids), img_ids, cat_ids, True,
                            params.area_rng, params.iou_thrs, n_dt, threads,
                            iou_type=params.iou_type, dt_unmatched_ignored=unmatched_ignored)
    return state, n_dt, unmatched_ignored


def accumulate_federated(state, n_dt, rec_thrs, threads):
    """lvis-api's accumulate(): precision (T, R, K, A) and recall (T, K, A),
    K in the state's (sorted) category order: pycocotools' with one maxDets
    that cuts nothing."""
    precision, recall, _ = engine.accumulate(state.matches, [n_dt], rec_thrs, threads,
                                             with_scores=False)  # (lvis-api keeps none)
    return precision[..., 0], recall[..., 0]


class LVISEval:
    """lvis-api's ``LVISEval``: ``lvis_gt`` an ``LVIS`` (or its path),
    ``lvis_dt`` an ``LVISResults`` (or a path or list of results, capped
    at 300 per image), ``iou_type`` "segm" (lvis-api's default) or "bbox".

    ``run()`` = ``evaluate()``, ``accumulate()``, ``summarize()``;
    ``eval["precision"]`` (T, R, K, A), ``eval["recall"]`` (T, K, A)
    (-1 where lvis-api leaves -1), ``eval["dt_pointers"]`` (built on access), ``results`` (the 13 numbers),
    ``print_results()``, ``get_results()``; ``eval_imgs`` (lvis-api's
    per-cell dicts, [category][area range][image], each built on access),
    ``ious`` (its plain dict, built on first access), ``compute_iou`` and
    ``evaluate_img`` for one cell.  ``threads`` (detap only):
    worker threads of the C stages; results do not depend on it."""

    def __init__(self, lvis_gt, lvis_dt, iou_type="segm", threads=None):
        if iou_type not in ("bbox", "segm"):
            raise ValueError(f"iou_type: {iou_type} is not supported.")
        if isinstance(lvis_gt, LVIS) and not isinstance(lvis_gt, LVISResults):
            self.lvis_gt = lvis_gt
        elif isinstance(lvis_gt, (str, dict)) or hasattr(lvis_gt, "__fspath__"):
            self.lvis_gt = LVIS(lvis_gt)
        else:
            raise TypeError(f"Unsupported type {type(lvis_gt).__name__} of lvis_gt.")
        if isinstance(lvis_dt, LVISResults):
            self.lvis_dt = lvis_dt
        elif isinstance(lvis_dt, (str, list)) or hasattr(lvis_dt, "__fspath__"):
            self.lvis_dt = LVISResults(self.lvis_gt, lvis_dt)
        else:
            raise TypeError(f"Unsupported type {type(lvis_dt).__name__} of lvis_dt.")
        self.threads = nthreads(threads)
        self.eval_imgs = []
        self.eval = {}
        self.params = Params(iou_type=iou_type)
        self.results = OrderedDict()
        self._ious = {}
        self.freq_groups = [[] for _ in self.params.img_count_lbl]
        self.params.img_ids = sorted(self.lvis_gt.get_img_ids())
        self.params.cat_ids = sorted(self.lvis_gt.get_cat_ids())
        self._state = None
        self._n_dt = 0
        self._unmatched_ignored = None

    @property
    def state(self):
        """The engine's state after evaluate() (``coco.engine.EvalState``;
        K in sorted distinct category ids), or None before."""
        return self._state

    @property
    def unmatched_ignored(self):
        """After evaluate(): (n results,) uint8, 1 for a result whose category
        is not exhaustively annotated in its image (ignored when it matches
        nothing); None before."""
        return self._unmatched_ignored

    def evaluate(self):
        """Match every verified (category, image) cell, per area range and
        IoU threshold (the engine's C matcher)."""
        p = self.params
        if not p.use_cats:
            raise NotImplementedError("use_cats=0: lvis-api's own code evaluates no cell then")
        p.img_ids = list(np.unique(p.img_ids))
        img_ids = np.asarray(p.img_ids, dtype=np.int64).reshape(-1)
        cat_ids = np.unique(np.asarray(p.cat_ids, dtype=np.int64))
        dt, keep = self.lvis_dt.evaluation_columns(p.iou_type)
        self._state, self._n_dt, self._unmatched_ignored = evaluate_federated(
            self.lvis_gt.gt_columns(p.iou_type), dt, img_ids, cat_ids,
            self.lvis_gt.image_lists(p.img_ids, "neg_category_ids"),
            self.lvis_gt.image_lists(p.img_ids, "not_exhaustive_category_ids"), p,
            self.threads, keep)
        self.freq_groups = frequency_groups(p.cat_ids, self.lvis_gt.frequencies(p.cat_ids))
        self._ious = None
        self.eval_imgs = LazyEvalImgs(self._state, p, self._unmatched_ignored,
                                      self.lvis_dt.api_ids)

    @property
    def ious(self):
        """lvis-api's ``ious``: {(img_id, cat_id): (D, G) IoU, or []} over
        params' images and categories (built on first access: at LVIS
        scale a dict of 24M entries, which evaluation itself never needs)."""
        if self._ious is None:
            self._ious = ious_dict(self._evaluated(), self.params)
        return self._ious

    @ious.setter
    def ious(self, value):
        self._ious = value

    def _evaluated(self):
        if self._state is None:
            raise RuntimeError("Please run evaluate() first.")
        return self._state

    def compute_iou(self, img_id, cat_id):
        """(D, G) IoU of one (image, category) cell after evaluate():
        detections by descending score, GT in file order; [] when either is
        empty."""
        st = self._evaluated()
        return engine.cell_ious(st, st.cells.cell_of(img_id, cat_id))

    def evaluate_img(self, img_id, cat_id, area_rng):
        """lvis-api's dict for one cell and area range after evaluate(),
        or None for a cell without GT and detections."""
        self._evaluated()
        return self.eval_imgs.cell(img_id, cat_id, area_rng)

    def accumulate(self):
        """precision (T, R, K, A) and recall (T, K, A) into ``eval``, K in
        ``params.cat_ids`` order."""
        if self._state is None:
            raise RuntimeError("Please run evaluate() first.")
        p = self.params
        precision, recall = accumulate_federated(self._state, self._n_dt, p.rec_thrs,
                                                 self.threads)
        # the engine's K axis is the sorted distinct ids; lvis-api's is params.cat_ids
        cat_ids = np.asarray(p.cat_ids, dtype=np.int64).reshape(-1)
        k = np.searchsorted(self._state.cells.cat_ids, cat_ids)
        if not np.array_equal(cat_ids, self._state.cells.cat_ids):
            precision, recall = precision[:, :, k, :], recall[:, k, :]
        T, R, K, A = precision.shape
        self.eval = {
            "params": p,
            "counts": [T, R, K, A],
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": precision,
            "recall": recall,
            "dt_pointers": DtPointers(self._state, k, self.lvis_dt.api_ids),  # built on access
        }

    def summarize(self):
        """The 13 numbers into ``results``."""
        if not self.eval:
            raise RuntimeError("Please run accumulate() first.")
        self.results = summarize(self.eval["precision"], self.eval["recall"], self.params,
                                 self.freq_groups)

    def _summarize(self, summary_type, iou_thr=None, area_rng="all", freq_group_idx=None):
        """lvis-api's one summary number: mean of the precision ("ap") or
        recall (other) entries > -1 at ``iou_thr`` (None: all), area range
        label ``area_rng``, frequency group position ``freq_group_idx``."""
        return summary_value(self.eval["precision"], self.eval["recall"], self.params,
                             self.freq_groups, summary_type == "ap", iou_thr, area_rng,
                             freq_group_idx)

    def run(self):
        self.evaluate()
        self.accumulate()
        self.summarize()

    def print_results(self):
        """lvis-api's table of the 13 numbers, one line each."""
        for line in result_lines(self.results, self.params):
            print(line)

    def get_results(self):
        return self.results
