"""pycocotools' ``COCOeval`` and ``Params``, as a facade over the engine.

``from detap.coco import COCOeval`` replaces ``from pycocotools.cocoeval
import COCOeval``; for every iouType ("bbox", "segm", "keypoints") the results (``stats``,
``eval["precision"]``, ``eval["recall"]``, ``eval["scores"]``) are equal to
pycocotools' bit for bit.  The methods are short: the work is in
``engine.py`` (evaluate, accumulate), ``summarize.py`` and ``views.py``
(``ious``, ``evalImgs``, built lazily on first use).
"""
import copy
import datetime
import time

import numpy as np

from ..threads import nthreads
from . import engine
from .summarize import stats_table, summarize
from .engine import cell_ious
from .views import LazyEvalImgs, eval_img, ious_dict

__all__ = ["COCOeval", "Params"]


class Params:
    """pycocotools' evaluation parameters: boxes and masks (``setDetParams``)
    or keypoints (``setKpParams``: maxDets [20], area ranges all / medium /
    large, the 17 COCO person sigmas)."""

    def setDetParams(self):
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [1, 10, 100]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1

    def setKpParams(self):
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [20]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "medium", "large"]
        self.useCats = 1
        # COCO's person keypoints, nose first (pycocotools' values, in tenths)
        self.kpt_oks_sigmas = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                                        1.07, 1.07, .87, .87, .89, .89]) / 10.0

    def __init__(self, iouType="segm"):
        if iouType in ("segm", "bbox", "obb"):  # ("obb": hotcoco's, with the box parameters)
            self.setDetParams()
        elif iouType == "keypoints":
            self.setKpParams()
        else:
            raise Exception("iouType not supported")
        self.iouType = iouType
        self.useSegm = None  # deprecated in pycocotools: 1 means "segm", 0 "bbox"

    def __deepcopy__(self, memo):
        """A deep copy without copying each id one by one (the ids are
        immutable scalars, so new lists and arrays suffice)."""
        new = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(new, name, value.copy())
            elif isinstance(value, list):
                # only areaRng nests; imgIds can hold 10^5 scalars, so do not
                # scan every list for nested ones
                if name == "areaRng" or (value and isinstance(value[0], (list, np.ndarray))):
                    value = [list(v) if isinstance(v, list) else
                             (v.copy() if isinstance(v, np.ndarray) else v) for v in value]
                setattr(new, name, value[:])
        return new



class COCOeval:
    """pycocotools' ``COCOeval`` for ``iouType`` "bbox", "segm" and "keypoints".

    ``evaluate()``, ``accumulate()``, ``summarize()``; ``stats`` (12,; 10
    for keypoints);
    ``eval`` with ``precision`` (T, R, K, A, M), ``recall`` (T, K, A, M),
    ``scores``, ``counts``, ``params``, ``date``; ``ious`` and ``evalImgs``
    computed lazily.  ``threads`` (detap only): worker threads for the C
    stages, default all cores; results do not depend on it.
    """

    def __init__(self, cocoGt=None, cocoDt=None, iouType="segm", threads=None, verbose=True):
        self.verbose = verbose  # detap only: False silences pycocotools' progress lines
        if not iouType:
            iouType = "segm"
        self.params = Params(iouType=iouType)
        self.cocoGt, self.cocoDt = cocoGt, cocoDt
        self.evalImgs = []
        self.eval = {}
        self.stats = []
        self.threads = nthreads(threads)
        self._paramsEval = {}
        self._state = None
        self._ious, self._ious_state = None, None
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            self.params.catIds = sorted(cocoGt.getCatIds())

    # -- evaluate --------------------------------------------------------

    def evaluate(self):
        tic = time.time()
        self._say("Running per image evaluation...")
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
            self._say("useSegm (deprecated) is not None. Running {} evaluation".format(p.iouType))
        self._say(f"Evaluate annotation type *{p.iouType}*")
        self.evaluate_columns(*self._columns())
        self._say(f"DONE (t={time.time() - tic:0.2f}s).")

    def _say(self, *lines):
        """pycocotools' progress lines, unless made with verbose=False."""
        if self.verbose:
            for line in lines:
                print(line)

    def evaluate_columns(self, gt, dt, codes=(None, None)):
        """evaluate() on ``Columns`` (detap only: ``evaluate_arrays`` and
        ``evaluate`` end here); ``codes``: the ground truth's id codes, when
        its image or category ids are not integers."""
        tic = time.time()
        p = self.params
        img_ids = np.unique(np.asarray(p.imgIds))
        p.imgIds = list(img_ids)
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        cat_ids = p.catIds
        labels = (None, None)
        if codes != (None, None):
            gt, dt, img_ids, cat_ids, labels = _positions(gt, dt, codes, p)
        self._state = engine.evaluate(gt, dt, img_ids, cat_ids, p.useCats, p.areaRng, p.iouThrs,
                                      p.maxDets[-1] if len(p.maxDets) else 0, self.threads,
                                      p.iouType, getattr(p, "kpt_oks_sigmas", None))
        self._state.cells.img_labels, self._state.cells.cat_labels = labels
        self._ious, self._ious_state = None, None
        self.evalImgs = LazyEvalImgs(self._state, p)
        self._paramsEval = copy.deepcopy(p)
        self._eval_seconds = time.time() - tic

    @property
    def state(self):
        """The engine's ``EvalState`` of the last evaluate() (detap only), or None."""
        return self._state

    @property
    def ious(self):
        """pycocotools' ``ious``: a plain dict {(imgId, catId): (D, G) array
        or []}, built on first access (it is large and few programs read it)
        and then stored, so callers see a real dict."""
        if self._ious is None:
            source = self._ious_state if self._ious_state is not None else self._state
            if source is None or source.rows is None:
                return {}
            self._ious = ious_dict(source)
        return self._ious

    @ious.setter
    def ious(self, value):
        self._ious = value

    def _columns(self):
        t = self.params.iouType
        codes = self.cocoGt.id_codes()
        return self.cocoGt.columns("gt", t, codes), self.cocoDt.columns("dt", t, codes), codes

    def computeIoU(self, imgId, catId):
        """pycocotools' computeIoU: (D, G) IoU of the cell (boxes or masks),
        D cut at maxDets[-1]; [] when either side is empty."""
        st = self._state
        return cell_ious(st, st.cells.cell_of(imgId, catId))

    def computeOks(self, imgId, catId):
        """pycocotools' computeOks: (D, G) keypoint similarity of the cell
        (after ``evaluate`` or ``_prepare`` with iouType "keypoints")."""
        st = self._state
        if st.cells.iou_type != "keypoints":
            raise ValueError("computeOks needs an evaluation with iouType='keypoints'")
        return cell_ious(st, st.cells.cell_of(imgId, catId))

    def _prepare(self):
        """pycocotools' _prepare, for code that drives the per-image steps
        itself (DETR's and torchvision's CocoEvaluator call ``_prepare``,
        then ``computeIoU`` and ``evaluateImg``): groups and matches the
        annotations of ``params`` so those two can answer."""
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
        self.evaluate_columns(*self._columns())

    def evaluateImg(self, imgId, catId, aRng, maxDet):
        """pycocotools' per-image record (dict) or None, from the C results."""
        st = self._state
        p = self._paramsEval if self._paramsEval else self.params
        a = [list(r) for r in p.areaRng].index(list(aRng))
        return eval_img(st, st.cells.cell_of(imgId, catId), a, maxDet, aRng)

    # -- accumulate ------------------------------------------------------

    def accumulate(self, p=None):
        tic = time.time()
        self._say("Accumulating evaluation results...")
        if self._state is None:
            print("Please run evaluate() first")
            return
        if p is None:
            p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]  # as pycocotools (it writes to params)
        if not isinstance(self.evalImgs, LazyEvalImgs):
            # evalImgs was replaced (e.g. torchvision merges the lists of
            # several processes): accumulate what it now holds.  ious stay
            # those of this process's evaluate(), as in pycocotools
            if self._ious is None and self._state.rows is not None:
                self._ious_state = self._state
            self._state = engine.state_from_eval_imgs(self.evalImgs, self._paramsEval)
            self.evalImgs = LazyEvalImgs(self._state, self.params, keep=self.evalImgs)
        precision, recall, scores = engine.accumulate_params(self._state, p, self._paramsEval,
                                                             self.threads)
        T, R, K, A, M = precision.shape
        self.eval = {
            "params": p,
            "counts": [T, R, K, A, M],
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": precision,
            "recall": recall,
            "scores": scores,
        }
        self._acc_seconds = time.time() - tic
        self._say(f"DONE (t={self._acc_seconds:0.2f}s).")

    # -- summarize -------------------------------------------------------

    def summarize(self):
        """pycocotools' summary numbers (12; 10 for keypoints), printed and
        stored in ``stats``."""
        if not self.eval:
            raise Exception("Please run accumulate() first")
        self.stats, lines = summarize(self.eval["precision"], self.eval["recall"], self.params,
                                      stats_table(self.params.iouType, self.params.maxDets))
        for line in lines:
            print(line)

    def __str__(self):
        self.summarize()
        return ""


def _positions(gt, dt, codes, p):
    """Columns whose image (category) ids are positions in p.imgIds
    (p.catIds), for ground truths whose ids are not integers: the engine
    then sees sorted integer ids, and the labels turn them back.  Returns
    (gt, dt, img_ids, cat_ids, (img labels or None, cat labels or None))."""
    out = {"gt": gt, "dt": dt}
    ids = {"image": np.asarray(p.imgIds), "category": np.asarray(p.catIds)}
    labels = [None, None]
    for j, (field, plist) in enumerate((("image_id", p.imgIds), ("category_id", p.catIds))):
        c = codes[j]
        if c is None:
            continue
        pcodes = c.encode(list(plist), "params", field)
        lut = np.full(len(c.ids) + 1, -1, np.int64)  # last entry: ids the GT does not name
        known = pcodes >= 0
        lut[pcodes[known]] = np.flatnonzero(known)
        for side in ("gt", "dt"):
            col = getattr(out[side], field)
            out[side] = out[side].with_fields(**{field: lut[np.where(col >= 0, col, len(c.ids))]})
        ids["image" if j == 0 else "category"] = np.arange(len(plist), dtype=np.int64)
        labels[j] = list(plist)
    return out["gt"], out["dt"], ids["image"], ids["category"], tuple(labels)
