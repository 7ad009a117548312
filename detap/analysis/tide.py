"""TIDE: the error breakdown of Bolya et al. (ECCV 2020), equal to PyPI
``tidecv`` 1.0.1 (``TIDE().evaluate(gt, preds, mode=TIDE.BOX)``).

Two stages:

1. per image (C, ``csrc/tide.h``): match the image's top ``max_dets``
   detections (all classes together, highest score first) to the GT at
   IoU >= ``pos``, and classify every detection that is not a true
   positive: ``Cls`` (right box, wrong class), ``Loc`` (right class, IoU in
   [``bg``, ``pos``]), ``Both`` (wrong class and box), ``Dupe`` (its GT was
   taken by a higher-scoring detection), ``Bkg`` (IoU <= ``bg`` with every
   GT); a GT neither matched nor claimed by a ``Loc``/``Cls`` error is a
   ``Miss``.  The records are per image, so split runs concatenate.
2. over the records (``tide_summary``): the AP (tidecv's 101-point COCO AP,
   in AP points 0-100, mean over the classes that have GT or detections),
   and for each error type the AP with those errors fixed: dAP = max(fixed
   AP - AP, 0) (``main``); ``FalsePos`` (every false positive scored below
   every true positive) and ``FalseNeg`` (every missed GT removed), not
   clamped (``special``).

tidecv's own order decides ties and so is reproduced: images in data set
order, an image's detections in input order before the (stable) score sort;
when errors are fixed, a class's fixed and false-positive detections come
before its true positives among equal scores.  So tidecv's numbers, and
ours, change when tied scores are reordered (see the README).
"""
from dataclasses import dataclass, fields

import numpy as np

from .. import _core, group
from ..core import sort_detections
from ..threads import nthreads

__all__ = ["TideRecords", "tide_records", "tide_pass", "tide_summary", "segment_ap", "grouped_ap",
           "MAIN_ERRORS", "SPECIAL_ERRORS"]

#: tidecv's short names, in tidecv's order; codes 1..5 of ``dt_err``, Miss per GT
MAIN_ERRORS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
SPECIAL_ERRORS = ("FalsePos", "FalseNeg")
_CLS, _LOC = 1, 2
#: rows of ``_core.tide_runs`` after the as-detected run (0) and codes 1..5
_RUN_MISS, _RUN_FALSEPOS, _RUN_FALSENEG = 6, 7, 8


@dataclass
class TideRecords:
    """TIDE's per-image pass: rows grouped by image (image order, then the
    image's processing order for detections and annotation order for GT).

    dt_image, dt_cls (n,) int64; dt_score (n,) float64
    dt_label     (n,) int8: 1 TP, 0 FP, -1 ignored (on an ignore region)
    dt_err       (n,) uint8: 0 none, 1 Cls, 2 Loc, 3 Both, 4 Dupe, 5 Bkg
    dt_fix       (n,) uint8: fixing this error makes the detection a TP
    dt_fixcls    (n,) int64: the class it is a TP of when fixed
    gt_image, gt_cls (m,) int64: the GT that are not ignored
    gt_used, gt_miss (m,) uint8
    """
    dt_image: np.ndarray
    dt_cls: np.ndarray
    dt_score: np.ndarray
    dt_label: np.ndarray
    dt_err: np.ndarray
    dt_fix: np.ndarray
    dt_fixcls: np.ndarray
    gt_image: np.ndarray
    gt_cls: np.ndarray
    gt_used: np.ndarray
    gt_miss: np.ndarray

    def take(self, dt_rows, gt_rows):
        """The records of these rows (e.g. a canonical reordering)."""
        return TideRecords(**{f.name: getattr(self, f.name)[dt_rows if f.name.startswith("dt_")
                                                            else gt_rows] for f in fields(self)})

    @staticmethod
    def concat(parts):
        return TideRecords(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                              for f in fields(TideRecords)})


def tide_records(scene, pos=0.5, bg=0.1, max_dets=100, threads=None):
    """TIDE's per-image pass over a ``Scene`` (tidecv's defaults: pos 0.5,
    bg 0.1, 100 detections per image over all classes)."""
    return tide_pass(scene, pos, bg, max_dets, threads)[0]


def tide_pass(scene, pos=0.5, bg=0.1, max_dets=100, threads=None, confusion_iou=None,
              min_score=None):
    """``tide_records`` and, with ``confusion_iou`` (a sequence), the
    COCO-style confusion matching of the same ranked detections
    (``confusion.coco_pairs``' ``matched``) from the same similarities:
    (records, matched (T, n) or None).  ``min_score``: only detections
    scoring at least this take part (``Scene.ranked``)."""
    s = scene
    d_off, d_rows = s.ranked(max_dets, min_score)
    g_off, g_rows, r_off, r_rows = s.gt_groups()
    threads = nthreads(threads)

    def c(a):
        return np.ascontiguousarray(a)
    cthr = None if confusion_iou is None else c(np.asarray(confusion_iou, np.float64).reshape(-1))
    dt_cls, dt_score = c(s.dt_label[d_rows]), c(s.dt_score[d_rows])
    gt_cls = c(s.gt_label[g_rows])
    # (the boxes are gathered per image in C, and only when their IoU is
    # computed there: a copy of every box here cost as much as the pass)
    label, err, fix, dgt, used, miss, conf = _core.tide_images(
        d_off, c(s.dt_box), dt_cls, dt_score,
        g_off, c(s.gt_box[g_rows]), gt_cls, r_off, c(s.gt_box[r_rows]),
        c(s.gt_label[r_rows]), float(pos), float(bg), threads, cthr,
        sims=s.similarities(d_off, d_rows, threads), whole=s.whole_groups(),
        dt_rows=c(np.asarray(d_rows, np.int64)))
    fixcls = np.where(err == _CLS, gt_cls[np.maximum(dgt, 0)] if len(gt_cls) else dt_cls, dt_cls)
    return TideRecords(dt_image=s.dt_image[d_rows], dt_cls=dt_cls, dt_score=dt_score,
                       dt_label=label, dt_err=err, dt_fix=fix, dt_fixcls=fixcls,
                       gt_image=s.gt_image[g_rows], gt_cls=gt_cls, gt_used=used, gt_miss=miss), conf


def _by_first(first, n):
    """The classes in order of their first positions ``first`` (K,), those
    at ``n`` (never seen) left out."""
    seen = np.flatnonzero(first < n)
    return seen[np.argsort(first[seen], kind="stable")]


def _first_events(r, ok, K):
    """The classes in the order tidecv's data first meets them: image by
    image, its GT, then its scored (``ok``) detections.  Records are grouped
    by image, so a class's first event is its first GT or its first scored
    detection, whichever comes in an earlier image (the GT in the same)."""
    m, n = len(r.gt_cls), len(r.dt_cls)
    fg = _core.first_index(np.ascontiguousarray(r.gt_cls, np.int64), K)
    fd = _core.first_index(np.ascontiguousarray(r.dt_cls, np.int64), K, ok.view(np.uint8))
    never = np.iinfo(np.int64).max
    gi = np.where(fg < m, r.gt_image[np.minimum(fg, max(m - 1, 0))] if m else never, never)
    di = np.where(fd < n, r.dt_image[np.minimum(fd, max(n - 1, 0))] if n else never, never)
    gt_first = gi <= di
    img = np.minimum(gi, di)
    seen = np.flatnonzero(img < never)
    key = (np.where(gt_first, fg, fd)[seen], ~gt_first[seen], img[seen])
    return seen[np.lexsort(key)]


def _then(a, b):
    """``a`` followed by the values of ``b`` not in ``a``."""
    return np.concatenate([a, b[~np.isin(b, a)]])


def segment_ap(cls, tp, npos, K, threads=1):
    """tidecv's AP (AP points) of each class k < K, and each class's point
    count: points (cls, tp) in ranked order, grouped by class with the one
    stable grouping (``group.by_image``, on ``threads``: detap.threads'
    count); npos (K,) int64."""
    off, o = group.by_image(cls, K, threads)
    return grouped_ap(off, tp[o], npos)


def grouped_ap(off, tp, npos, keep=None):
    """``segment_ap`` of points already grouped: segment k is points
    off[k]:off[k + 1] (ranked), tp (n,) bool, of those ``keep`` (n,) bool
    flags (None: all); npos (K,)."""
    return _core.tide_class_ap(np.ascontiguousarray(off, np.int64),
                               np.ascontiguousarray(tp, bool).view(np.uint8),
                               np.ascontiguousarray(npos, np.int64),
                               None if keep is None else np.ascontiguousarray(keep, bool).view(np.uint8))


def _mean(ap, counts, npos, class_order):
    """tidecv's get_mAP: the mean over the classes with points or GT, summed
    in ``class_order`` (the order its dict of classes was filled)."""
    aps = [ap[k] for k in class_order.tolist() if counts[k] or npos[k]]
    return sum(aps) / len(aps) if aps else float("nan")


def tide_summary(rec, n_classes=None, threads=None):
    """tidecv's numbers from the records: {"ap": AP points, "main": {name:
    dAP}, "special": {name: dAP}, "counts": {name: errors}}."""
    r = rec
    K = int(n_classes if n_classes is not None else
            1 + max(r.dt_cls.max(initial=-1), r.dt_fixcls.max(initial=-1), r.gt_cls.max(initial=-1)))
    n = len(r.dt_cls)
    ok = r.dt_label != -1
    npos = np.bincount(r.gt_cls, minlength=K).astype(np.int64)
    if len(npos) > K:   # (the C runs would take the larger count of classes silently)
        raise ValueError(f"tide_summary: a GT class ({int(r.gt_cls.max())}) is not below "
                         f"n_classes ({K})")
    first = _first_events(r, ok, K)

    def c(a, t):
        return np.ascontiguousarray(a, t)
    # every run's per-class AP in one C pass (csrc/tide.h detap_tide_runs);
    # the Miss and FalseNeg runs count fewer GT
    npos_miss = npos - np.bincount(r.gt_cls[r.gt_miss == 1], minlength=K)
    npos_fn = npos - np.bincount(r.gt_cls[r.gt_used == 0], minlength=K)
    rank = sort_detections(r.dt_score, threads=threads)   # descending score, ties in record order
    ap_r, cnt_r = _core.tide_runs(rank, c(r.dt_score, np.float64), c(r.dt_cls, np.int64),
                                  c(r.dt_fixcls, np.int64), c(r.dt_label, np.int8),
                                  c(r.dt_err, np.uint8), c(r.dt_fix, np.uint8),
                                  np.stack([npos, npos_miss, npos_fn]).astype(np.int64),
                                  nthreads(threads))
    ap = _mean(ap_r[0], cnt_r[0], npos, first)

    # tidecv's dict of classes is filled in the order it meets them, and its
    # mean sums in that order: where each class's first error of each type
    # lies (kept ones; fixed ones under the class they are fixed to) decides
    # the order of a fixed run's classes
    f_ok, f_fix = _core.tide_firsts(c(r.dt_cls, np.int64), c(r.dt_fixcls, np.int64),
                                    c(r.dt_err, np.uint8), c(r.dt_fix, np.uint8),
                                    c(r.dt_label, np.int8), K)
    codes = range(1, len(MAIN_ERRORS))

    def pushed_order(code, fixed):
        """The errors kept in a run that fixes ``code`` (its own: only the
        fixed ones, ``fixed``, else none), by first position."""
        f = np.min([f_ok[k] for k in codes if k != code] + ([f_fix[code]] if fixed else []),
                   axis=0, initial=n)
        return _by_first(f, n)

    def mean_of(run, npos_, order):
        return _mean(ap_r[run], cnt_r[run], npos_, order)

    # tidecv clamps a main dAP at 0 ("binning differences"), not a special one
    main = {name: max(float(mean_of(code, npos, _then(pushed_order(code, code in (_CLS, _LOC)),
                                                      first)) - ap), 0.0)
            for code, name in enumerate(MAIN_ERRORS[:5], start=1)}
    # nothing fixed but the GT count (Miss, FalseNeg) or the order (FalsePos)
    order = _then(pushed_order(0, False), first)
    main["Miss"] = max(float(mean_of(_RUN_MISS, npos_miss, order) - ap), 0.0)
    special = {"FalsePos": float(mean_of(_RUN_FALSEPOS, npos, order) - ap),
               "FalseNeg": float(mean_of(_RUN_FALSENEG, npos_fn, order) - ap)}
    counts = {name: int(np.count_nonzero(r.dt_err == code))
              for code, name in enumerate(MAIN_ERRORS[:5], start=1)}
    counts["Miss"] = int(np.count_nonzero(r.gt_miss))
    return {"ap": float(ap), "main": main, "special": special, "counts": counts}
