"""Confusion matrices of detections against ground truth, in two stated
conventions.

Layout (both conventions): ``matrix[t, p]`` counts objects of true class t
predicted as class p, for t, p < K; row K (background) counts detections
that matched no GT (false positives, by predicted class); column K counts
GT that no detection matched (misses, by true class).  Ultralytics stores
the transpose (rows predicted, columns true): ``matrix.T`` is its layout.
Ignored GT (crowd, VOC difficult) take no part.

Ignore regions differ here from the rest of the analysis, on purpose: a
detection on a crowd or difficult region (or, under LVIS, an unmatched
detection of a category not exhaustively annotated in its image) is
ignored by TIDE, the calibration and the per-image results, but the
confusion matrix counts it in the background row (a false positive of its
class).  That is hotcoco's ``confusion_matrix``, which drops crowd GT before
matching (a crowd column could absorb several detections and count them
twice), and Ultralytics', which knows no crowd: users compare these counts
with those tools, so they keep their rule.  The background row is thus an
upper bound of the false positives TIDE counts.

Masks, keypoints and oriented boxes ("coco" convention): the matching
reads the evaluation's similarity (mask IoU, OKS, rotated IoU, polygon
IoU; ``scene.Shapes``), as TIDE does; hotcoco compares boxes on keypoint
runs (and its rotated IoU on "obb" runs).  The "ultralytics" convention
compares boxes, as Ultralytics' ``ConfusionMatrix`` does for its segment
and pose tasks, and rotated boxes by ProbIoU (``batch_probiou``, in
float64), as it does for its OBB task; it takes no quadrilaterals
(Ultralytics has no polygon IoU).

"coco"         (hotcoco's ``confusion_matrix``, on detap's matcher, ``core.match``
               with the "coco" rule and the GT row each detection took) per image,
               detections with score >= ``score`` sorted by descending
               score (ties in input order) and cut at ``max_dets`` over all
               classes, matched greedily to the image's GT *whatever their
               classes* with pycocotools' rule and box IoU (IoU >= ``iou``,
               the highest IoU among the GT not taken, ties to the last
               GT, visiting an image's GT class by class in the class
               list's order, each class in annotation order, as hotcoco
               does).  Several IoU thresholds at once.
"ultralytics"  ``ultralytics.utils.metrics.ConfusionMatrix.process_batch``
               (8.x, detect task): detections with confidence > ``score``
               (default 0.25), every (GT, detection) pair with IoU >
               ``iou`` (default 0.45; IoU = inter / (union + 1e-7) on xyxy
               boxes), one-to-one by descending IoU as its two ``np.unique``
               passes keep them; unmatched detections of an image are
               counted only when the image has at least one match or no GT
               at all (as Ultralytics does).  Remaining differences:
               Ultralytics computes the IoU in the tensors' dtype (float32
               on GPU), detap in float64, so a pair within float32 rounding
               of the threshold can fall the other way.
"""
from dataclasses import dataclass

import numpy as np

from .. import group
from ..boxes import boxes_as
from ..core import GroundTruth, match
from ..dota.polygons import probiou
from ..errors import DetapInputError
from .scene import by_image
from .tide import tide_pass

__all__ = ["DEFAULTS", "thresholds", "ConfusionMatrix", "confusion_coco", "confusion_ultralytics", "confusion_matrix",
           "coco_pairs", "ultralytics_pairs", "matrix_of_pairs"]


@dataclass
class ConfusionMatrix:
    """matrix (K + 1, K + 1) int64 (see the module); classes K names."""
    matrix: np.ndarray
    classes: list
    convention: str
    iou: float
    score: float

    def merged(self, other):
        """The sum of two runs' matrices (split images)."""
        if (other.convention, other.iou, other.score, list(other.classes)) != \
                (self.convention, self.iou, self.score, list(self.classes)):
            raise DetapInputError("confusion matrices of different settings cannot be merged")
        return ConfusionMatrix(self.matrix + other.matrix, self.classes, self.convention,
                               self.iou, self.score)

    def top_confusions(self, n=10):
        """The ``n`` largest off-diagonal counts between two classes:
        [(true class, predicted class, count)], largest first (ties by
        true then predicted class index)."""
        K = len(self.classes)
        m = self.matrix[:K, :K].copy()
        np.fill_diagonal(m, 0)
        flat = np.flatnonzero(m)
        order = flat[np.lexsort((flat, -m.reshape(-1)[flat]))][:n]
        return [(self.classes[i // K], self.classes[i % K], int(m.reshape(-1)[i])) for i in order]

    def to_dict(self, top=20):
        return {"convention": self.convention, "iou": self.iou, "score": self.score,
                "layout": "rows: true class, then background (false positives); columns: "
                          "predicted class, then background (missed GT)",
                "classes": list(self.classes), "matrix": self.matrix.tolist(),
                "top_confusions": [{"true": t, "predicted": p, "count": c}
                                   for t, p, c in self.top_confusions(top)]}


def matrix_of_pairs(K, true, pred, weight=None):
    """(K + 1, K + 1) int64 counts of (true, pred) pairs, K the background."""
    m = np.bincount(true * (K + 1) + pred, weights=weight, minlength=(K + 1) ** 2)
    return m.reshape(K + 1, K + 1).astype(np.int64)


def coco_pairs(scene, iou=0.5, score=0.0, max_dets=100, threads=None, matched=None):
    """The COCO-style decisions, one (true, pred) pair of class indices per
    kept detection and per GT left unmatched (K: background), for each IoU
    threshold: [(true, pred)] of int64 arrays.  ``matched``: the matching
    already done (``tide.tide_pass``' second output, for these thresholds,
    when the score threshold keeps every detection)."""
    thr = np.ascontiguousarray(np.atleast_1d(np.asarray(iou, np.float64)))
    s = scene
    K = len(s.classes)
    d_off, d_rows = s.ranked(max_dets, score)
    g_off, g_rows = s.gt_groups()[:2]
    if matched is None and s.shapes is not None:
        # masks, keypoints: the same matcher on the similarity stage's blocks
        matched = tide_pass(s, max_dets=max_dets, threads=threads, confusion_iou=thr,
                            min_score=score)[1]
    elif matched is None:
        # detap's one matcher under pycocotools' rule, every class as one,
        # visiting an image's GT class by class as hotcoco does (tide.c)
        by_cls = group.by_image(s.gt_image[g_rows] * max(K, 1) + s.gt_label[g_rows],
                                s.n_images * max(K, 1))[1]
        g_rows = g_rows[by_cls]
        gt = GroundTruth(boxes=np.ascontiguousarray(s.gt_box[g_rows]), off=g_off,
                         ignore=np.zeros(len(g_rows), np.uint8), npos=len(g_rows))
        _, matched = match(np.ascontiguousarray(s.dt_box[d_rows]), s.dt_image[d_rows],
                           np.arange(len(d_rows)), gt, thr, "coco", threads, with_matches=True)
    dcls, gcls = s.dt_label[d_rows], s.gt_label[g_rows]
    out = []
    for t in range(len(thr)):
        m = matched[t]
        hit = m >= 0
        gt_hit = np.zeros(len(g_rows), bool)
        gt_hit[m[hit]] = True
        out.append((np.concatenate([np.where(hit, gcls[np.maximum(m, 0)] if len(gcls) else K, K),
                                    gcls[~gt_hit]]),
                    np.concatenate([dcls, np.full(int((~gt_hit).sum()), K)])))
    return out


def confusion_coco(scene, iou=0.5, score=0.0, max_dets=100, threads=None):
    """COCO-style matrices, one per IoU threshold: a list of
    ``ConfusionMatrix`` (``iou`` a number gives one matrix, not a list)."""
    K = len(scene.classes)
    ms = [ConfusionMatrix(matrix_of_pairs(K, t, p), list(scene.classes), "coco", float(v), float(score))
          for (t, p), v in zip(coco_pairs(scene, iou, score, max_dets, threads), np.atleast_1d(iou))]
    return ms[0] if np.ndim(iou) == 0 else ms


def _iou_xyxy(g, d, eps=1e-7):
    """Ultralytics' box_iou(gt, det): (G, D), xyxy, its operation order."""
    iw = (np.minimum(g[:, None, 2], d[None, :, 2]) - np.maximum(g[:, None, 0], d[None, :, 0])).clip(0)
    ih = (np.minimum(g[:, None, 3], d[None, :, 3]) - np.maximum(g[:, None, 1], d[None, :, 1])).clip(0)
    inter = iw * ih
    ga = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    da = (d[:, 2] - d[:, 0]) * (d[:, 3] - d[:, 1])
    return inter / (ga[:, None] + da[None, :] - inter + eps)


def _one_to_one(iou, thr):
    """(gt index, det index) pairs kept by Ultralytics' two unique passes:
    each detection keeps its highest-IoU pair, then each GT its highest."""
    gi, di = np.nonzero(iou > thr)
    if len(gi) <= 1:
        return gi, di
    v = iou[gi, di]
    o = v.argsort()[::-1]          # the same (unstable) sort: the same tie order
    gi, di, v = gi[o], di[o], v[o]
    keep = np.unique(di, return_index=True)[1]
    gi, di, v = gi[keep], di[keep], v[keep]
    o = v.argsort()[::-1]
    gi, di = gi[o], di[o]
    keep = np.unique(gi, return_index=True)[1]
    return gi[keep], di[keep]


def ultralytics_pairs(scene, iou=0.45, score=0.25):
    """Ultralytics' decisions as (true, pred) class-index pairs (K:
    background), as ``coco_pairs``."""
    s = scene
    K = len(s.classes)
    kind = s.shapes.kind if s.shapes is not None else None
    if kind == "quad":
        raise DetapInputError("the ultralytics confusion matrix compares boxes or rotated boxes "
                              "(ProbIoU), not quadrilaterals: use the coco convention")
    dsel = np.flatnonzero(s.dt_score > score)
    d_off, d_rows = by_image(s.dt_image[dsel], s.n_images)
    d_rows = dsel[d_rows]
    gsel = np.flatnonzero(~s.gt_ignore)
    g_off, g_rows = by_image(s.gt_image[gsel], s.n_images)
    g_rows = gsel[g_rows]
    dbox = boxes_as(s.dt_box[d_rows], "xywh", "xyxy")
    gbox = boxes_as(s.gt_box[g_rows], "xywh", "xyxy")
    dcls, gcls = s.dt_label[d_rows], s.gt_label[g_rows]
    true, pred = [], []
    for i in range(s.n_images):
        d0, d1, g0, g1 = d_off[i], d_off[i + 1], g_off[i], g_off[i + 1]
        dc, gc = dcls[d0:d1], gcls[g0:g1]
        if g1 == g0:
            true.append(np.full(d1 - d0, K))
            pred.append(dc)
            continue
        if kind == "obb":  # its OBB task: batch_probiou(gt, det)
            sim = probiou(s.shapes.dt[d_rows[d0:d1]], s.shapes.gt[g_rows[g0:g1]]).T
        else:
            sim = _iou_xyxy(gbox[g0:g1], dbox[d0:d1])
        gi, di = _one_to_one(sim, iou)
        missed = np.ones(g1 - g0, bool)
        missed[gi] = False
        spare = np.ones(d1 - d0, bool)
        spare[di] = False
        if not len(gi):
            spare[:] = False
        true += [gc[gi], gc[missed], np.full(int(spare.sum()), K)]
        pred += [dc[di], np.full(int(missed.sum()), K), dc[spare]]
    cat = [np.zeros(0, np.int64)]
    return [(np.concatenate(cat + true).astype(np.int64), np.concatenate(cat + pred).astype(np.int64))]


def confusion_ultralytics(scene, iou=0.45, score=0.25):
    """Ultralytics' convention (see the module): one ``ConfusionMatrix``."""
    (t, p), = ultralytics_pairs(scene, iou, score)
    return ConfusionMatrix(matrix_of_pairs(len(scene.classes), t, p), list(scene.classes),
                           "ultralytics", float(iou), float(score))


#: each convention's (IoU, score) thresholds when none are given
DEFAULTS = {"coco": (0.5, 0.0), "ultralytics": (0.45, 0.25)}


def thresholds(convention, iou=None, score=None):
    """(IoU, score) thresholds of ``convention``: the given ones, else its
    DEFAULTS."""
    if convention not in DEFAULTS:
        raise DetapInputError(f"confusion convention must be 'coco' or 'ultralytics', "
                              f"got {convention!r}")
    d_iou, d_score = DEFAULTS[convention]
    return (d_iou if iou is None else iou), (d_score if score is None else score)


def confusion_matrix(scene, convention="coco", iou=None, score=None, **kw):
    """The matrix of ``convention`` ("coco" or "ultralytics") with its
    DEFAULTS (coco: IoU 0.5, score 0; ultralytics: IoU 0.45, score 0.25)."""
    iou, score = thresholds(convention, iou, score)
    if convention == "coco":
        return confusion_coco(scene, iou, score, **kw)
    return confusion_ultralytics(scene, iou, score)
