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

__all__ = ["TideRecords", "tide_records", "tide_pass", "tide_summary", "segment_ap", "MAIN_ERRORS",
           "SPECIAL_ERRORS"]

#: tidecv's short names, in tidecv's order; codes 1..5 of ``dt_err``, Miss per GT
MAIN_ERRORS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
SPECIAL_ERRORS = ("FalsePos", "FalseNeg")
_CLS, _LOC = 1, 2


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
    label, err, fix, dgt, used, miss, conf = _core.tide_images(
        d_off, c(s.dt_box[d_rows]), dt_cls, dt_score,
        g_off, c(s.gt_box[g_rows]), gt_cls, r_off, c(s.gt_box[r_rows]),
        c(s.gt_label[r_rows]), float(pos), float(bg), threads, cthr,
        sims=s.similarities(d_off, d_rows, threads), whole=s.whole_groups())
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
    return _core.tide_class_ap(off, np.ascontiguousarray(tp[o], np.uint8),
                               np.ascontiguousarray(npos, np.int64))


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
    tp = r.dt_label == 1
    npos = np.bincount(r.gt_cls, minlength=K).astype(np.int64)
    first = _first_events(r, ok, K)
    rank = sort_detections(r.dt_score, threads=threads)   # descending score, ties in record order
    nt = nthreads(threads)  # (the groupings below on the same team)
    pts = rank[ok[rank]]
    ap_k, cnt = segment_ap(r.dt_cls[pts], tp[pts], npos, K, nt)
    ap = _mean(ap_k, cnt, npos, first)

    # tidecv's fix_errors pushes the errors (in record order) before the true
    # positives, so among equal scores a class's errors come first: one
    # ranking for every fixed run, grouped by class once (P)
    s = r.dt_score[rank]
    run = np.cumsum(np.r_[0, s[1:] != s[:-1]]) if n else np.zeros(0, np.int64)
    n_runs = int(run[-1]) + 1 if n else 0
    # (a stable counting sort on (run, tp); nothing to do without tied scores)
    fixed_rank = rank if n_runs == n else rank[group.by_image(run * 2 + tp[rank], 2 * n_runs, nt)[1]]
    off_P, by_cls = group.by_image(r.dt_cls[fixed_rank], K, nt)
    P = fixed_rank[by_cls]
    cls_P, err_P, fix_P, tp_P = (a[P] for a in (r.dt_cls, r.dt_err, r.dt_fix == 1, tp))
    is_err = r.dt_err != 0
    errok = is_err & ok            # the errors pushed unfixed (ignored ones are not)
    base_P = tp_P | errok[P]       # what every run keeps but the fixed type's errors
    # where each class's first error of each type lies (kept ones; fixed ones
    # under the class they are fixed to): the orders the fixed runs' classes
    # are met in, tidecv's dict order
    f_ok, f_fix = _core.tide_firsts(np.ascontiguousarray(r.dt_cls, np.int64),
                                    np.ascontiguousarray(r.dt_fixcls, np.int64),
                                    np.ascontiguousarray(r.dt_err, np.uint8),
                                    np.ascontiguousarray(r.dt_fix, np.uint8),
                                    np.ascontiguousarray(r.dt_label, np.int8), K)
    codes = range(1, len(MAIN_ERRORS))

    def pushed_order(code, fixed):
        """The errors kept in a run that fixes ``code`` (its own: only the
        fixed ones, ``fixed``, else none), by first position."""
        f = np.min([f_ok[c] for c in codes if c != code] + ([f_fix[code]] if fixed else []),
                   axis=0, initial=n)
        return _by_first(f, n)
    unfixed_order = pushed_order(0, False)

    def class_ap(keep_P, t_P, npos_):
        # P is grouped by class (off_P): each run keeps some of its points
        return _core.tide_class_ap(off_P, t_P.view(np.uint8), np.asarray(npos_, np.int64),
                                   keep_P.view(np.uint8))

    fix1 = r.dt_fix == 1

    def mean_fixed(code):
        """The mAP with the errors of ``code`` fixed (tidecv's fix_errors)."""
        hit = r.dt_err == code
        if code == _CLS:   # fixed Cls errors join their GT's class: regroup by rank
            fixed_hit = hit & fix1
            keep = tp | (is_err & np.where(hit, fixed_hit, ok))
            rows = fixed_rank[keep[fixed_rank]]
            cls_fixed = np.where(fixed_hit, r.dt_fixcls, r.dt_cls)
            a, c = segment_ap(cls_fixed[rows], (tp | fixed_hit)[rows], npos, K, nt)
            pushed = pushed_order(code, True)
        elif code == _LOC:  # fixed Loc errors keep their class
            hit_P = err_P == code
            a, c = class_ap(np.where(hit_P, fix_P, base_P), tp_P | (hit_P & fix_P), npos)
            pushed = pushed_order(code, True)
        else:              # Both, Dupe, Bkg have no fix: their errors go
            a, c = class_ap(base_P & (err_P != code), tp_P, npos)
            pushed = pushed_order(code, False)
        return _mean(a, c, npos, _then(pushed, first))

    # nothing fixed but the GT count (Miss, FalseNeg): the same points
    order = _then(unfixed_order, first)
    kc, kt = cls_P[base_P], tp_P[base_P]

    def mean_npos(npos_):
        return _mean(*class_ap(base_P, tp_P, npos_), npos_, order)

    # FalsePos: scores 1 for TPs, 0 otherwise, so a class's TPs come first
    a, c = segment_ap(kc, kt[group.by_image(kc * 2 + ~kt, 2 * K, nt)[1]], npos, K, nt)
    false_pos = _mean(a, c, npos, order)

    # tidecv clamps a main dAP at 0 ("binning differences"), not a special one
    main = {name: max(float(mean_fixed(code) - ap), 0.0)
            for code, name in enumerate(MAIN_ERRORS[:5], start=1)}
    main["Miss"] = max(float(mean_npos(npos - np.bincount(r.gt_cls[r.gt_miss == 1], minlength=K)) - ap),
                       0.0)
    special = {"FalsePos": float(false_pos - ap),
               "FalseNeg": float(mean_npos(npos - np.bincount(r.gt_cls[r.gt_used == 0], minlength=K)) - ap)}
    counts = {name: int(np.count_nonzero(r.dt_err == code))
              for code, name in enumerate(MAIN_ERRORS[:5], start=1)}
    counts["Miss"] = int(np.count_nonzero(r.gt_miss))
    return {"ap": float(ap), "main": main, "special": special, "counts": counts}
