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

from .. import _core
from ..threads import nthreads
from .scene import by_image

__all__ = ["TideRecords", "tide_records", "tide_summary", "MAIN_ERRORS", "SPECIAL_ERRORS"]

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
    s = scene
    d_off, d_rows = by_image(s.dt_image, s.n_images, score=s.dt_score, max_dets=max_dets)
    keep = ~s.gt_ignore
    g_idx = np.flatnonzero(keep)
    g_off, g_rows = by_image(s.gt_image[keep], s.n_images)
    g_rows = g_idx[g_rows]
    r_idx = np.flatnonzero(~keep)
    r_off, r_rows = by_image(s.gt_image[~keep], s.n_images)
    r_rows = r_idx[r_rows]

    def c(a):
        return np.ascontiguousarray(a)
    label, err, fix, dgt, used, miss = _core.tide_images(
        d_off, c(s.dt_box[d_rows]), c(s.dt_label[d_rows]), c(s.dt_score[d_rows]),
        g_off, c(s.gt_box[g_rows]), c(s.gt_label[g_rows]), r_off, c(s.gt_box[r_rows]),
        c(s.gt_label[r_rows]), float(pos), float(bg), nthreads(threads))
    dt_cls = s.dt_label[d_rows]
    gt_cls = s.gt_label[g_rows]
    fixcls = np.where(err == _CLS, gt_cls[np.maximum(dgt, 0)] if len(gt_cls) else dt_cls, dt_cls)
    return TideRecords(dt_image=s.dt_image[d_rows], dt_cls=dt_cls, dt_score=s.dt_score[d_rows],
                       dt_label=label, dt_err=err, dt_fix=fix, dt_fixcls=fixcls,
                       gt_image=s.gt_image[g_rows], gt_cls=gt_cls, gt_used=used, gt_miss=miss)


def _first_seen(values):
    """The distinct values in order of first appearance."""
    u, first = np.unique(values, return_index=True)
    return u[np.argsort(first, kind="stable")]


def _tidecv_ap(tp, npos):
    """tidecv's APDataObject.get_ap on one class's points in ranked order:
    tp (n,) bool; AP points (0-100), 0 without GT."""
    if npos == 0:
        return 0
    ntrue = np.cumsum(tp, dtype=np.int64)
    nall = np.arange(1, len(tp) + 1, dtype=np.int64)
    prec = ntrue / nall
    rec = ntrue / npos
    prec = np.maximum.accumulate(prec[::-1])[::-1]
    idx = np.searchsorted(rec, _RECALL_GRID, side="left")
    y = np.zeros(len(_RECALL_GRID))
    inside = idx < len(prec)
    y[inside] = prec[idx[inside]]
    # Python's left-to-right sum, as tidecv adds the 101 values
    return sum(y.tolist()) / len(y) * 100


# tidecv's grid: x / 100 (not numpy's linspace, whose bits differ)
_RECALL_GRID = np.array([x / 100 for x in range(101)])


def _mean_ap(cls, score, tp, npos, class_order):
    """tidecv's ClassedAPDataObject.get_mAP: points (cls, score, tp) in push
    order, npos {class: GT count}; the mean over the classes with points or
    GT, summed in ``class_order``."""
    rank = np.lexsort((np.arange(len(cls)), -score, cls))
    cls, tp = cls[rank], tp[rank]
    bounds = np.searchsorted(cls, class_order, side="left"), np.searchsorted(cls, class_order, "right")
    aps = []
    for k, b, e in zip(class_order.tolist(), *bounds):
        n = npos.get(k, 0)
        if e > b or n != 0:
            aps.append(_tidecv_ap(tp[b:e], n))
    return sum(aps) / len(aps) if aps else float("nan")


def tide_summary(rec):
    """tidecv's numbers from the records: {"ap": AP points, "main": {name:
    dAP}, "special": {name: dAP}, "counts": {name: errors}}."""
    r = rec
    ok = r.dt_label != -1
    tp = r.dt_label == 1
    gt_classes, gt_counts = np.unique(r.gt_cls, return_counts=True)
    npos = dict(zip(gt_classes.tolist(), gt_counts.tolist()))
    # classes in the order tidecv's data first meets them: per image its GT,
    # then its scored detections
    ev_img = np.concatenate([r.gt_image, r.dt_image[ok]])
    ev_kind = np.concatenate([np.zeros(len(r.gt_image), np.int8), np.ones(int(ok.sum()), np.int8)])
    ev_cls = np.concatenate([r.gt_cls, r.dt_cls[ok]])
    ev_pos = np.arange(len(ev_img))
    first = _first_seen(ev_cls[np.lexsort((ev_pos, ev_kind, ev_img))])
    ap = _mean_ap(r.dt_cls[ok], r.dt_score[ok], tp[ok], npos, first)

    is_err = r.dt_err != 0
    tps = np.flatnonzero(tp)

    def fixed(code=None, score_of=None, npos_=npos):
        # tidecv's fix_errors: the error points in error order (fixed or not),
        # then the true positives, class by class
        e = np.flatnonzero(is_err)
        hit = r.dt_err[e] == code if code is not None else np.zeros(len(e), bool)
        keep = np.where(hit, r.dt_fix[e] == 1, r.dt_label[e] != -1)
        e, hit = e[keep], hit[keep]
        cls = np.concatenate([np.where(hit, r.dt_fixcls[e], r.dt_cls[e]), r.dt_cls[tps]])
        sc = np.concatenate([r.dt_score[e], r.dt_score[tps]])
        t = np.concatenate([hit, np.ones(len(tps), bool)])
        if score_of is not None:
            sc = np.where(t, 1.0, 0.0) if score_of == "binary" else sc
        order = np.concatenate([_first_seen(cls[:len(e)]), first])
        return _mean_ap(cls, sc, t, npos_, _first_seen(order))

    main = {}
    for code, name in enumerate(MAIN_ERRORS[:5], start=1):
        main[name] = max(fixed(code) - ap, 0)
    miss_cls, miss_n = np.unique(r.gt_cls[r.gt_miss == 1], return_counts=True)
    npos_miss = dict(npos)
    for k, n in zip(miss_cls.tolist(), miss_n.tolist()):
        npos_miss[k] -= n
    main["Miss"] = max(fixed(npos_=npos_miss) - ap, 0)
    fn_cls, fn_n = np.unique(r.gt_cls[r.gt_used == 0], return_counts=True)
    npos_fn = dict(npos)
    for k, n in zip(fn_cls.tolist(), fn_n.tolist()):
        npos_fn[k] -= n
    special = {"FalsePos": fixed(score_of="binary") - ap, "FalseNeg": fixed(npos_=npos_fn) - ap}
    counts = {name: int(np.count_nonzero(r.dt_err == code))
              for code, name in enumerate(MAIN_ERRORS[:5], start=1)}
    counts["Miss"] = int(np.count_nonzero(r.gt_miss))
    return {"ap": ap, "main": main, "special": special, "counts": counts}
