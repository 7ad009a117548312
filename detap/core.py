"""Array-level evaluation of one class: the pipeline every front end uses.

Stages, each one C kernel behind ``detap._core``:

1. ``order``      sort detections by descending score (stable C radix sort,
                  or numpy's ``argsort`` when reproducing py-faster-rcnn);
2. ``match``      greedy assignment of detections to GT, per image, for all
                  IoU thresholds in one pass (IoU computed on the fly);
3. ``accumulate`` cumulative TP/FP, precision/recall, and AP.

Coordinates: boxes are float64 ``[x1, y1, x2, y2]`` (``box_format="xyxy"``),
in pixels.  With ``Convention.iou == "voc"`` they are inclusive pixel
indices (width = x2 - x1 + 1); with ``"xyxy"`` continuous (width = x2 - x1);
with ``"coco"`` they are continuous and are converted to ``[x, y, w, h]``
(pycocotools' arithmetic) unless given as ``box_format="xywh"``.  With ``"dota"`` they are
float64 quadrilaterals ``[x1, y1, x2, y2, x3, y3, x4, y4]``, shape (N, 8), in pixels
(DOTA_devkit's polygon IoU, csrc/quad_iou.h).  Images are identified by integer indices.
"""
from dataclasses import dataclass
from typing import Optional

import warnings

import numpy as np

from . import _core, group
from .conventions import Convention, get_convention
from .errors import DetapInputError
from .boxes import boxes_as
from .threads import nthreads

__all__ = ["ClassResult", "GroundTruth", "evaluate_class", "evaluate_prepared", "prepare_gt", "as_boxes",
           "as_index", "box_width",
           "sort_detections", "match", "accumulate", "voc_ap_from_curve", "ap_ultralytics",
           "warn_stale_memory"]


@dataclass
class ClassResult:
    """Evaluation of one class.

    With a scalar IoU threshold the arrays are 1-D over detections (in
    processing order, highest score first) and ``ap`` is a float; with a
    sequence of thresholds each gains a leading threshold axis.

    ap           average precision (float, or (T,) array)
    rec, prec    recall and precision after each detection, (nd,) or (T, nd)
    tp, fp       cumulative TP and FP counts (float64), same shapes
    npos         number of GT that count for recall (non-difficult)
    n_det        number of detections
    scores       detection scores in processing order, (nd,)
    order        processing order as indices into the input arrays, (nd,)
    labels       per detection: 1 TP, 0 FP, -1 ignored (difficult), int8
    thresholds   the IoU thresholds, (T,)
    """
    ap: object
    rec: np.ndarray
    prec: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    npos: int
    n_det: int
    scores: np.ndarray
    order: np.ndarray
    labels: np.ndarray
    thresholds: np.ndarray


@dataclass
class GroundTruth:
    """GT of one class grouped by image: image i owns rows off[i]:off[i+1],
    in the order the matching rule visits them (annotation order for "voc";
    not-ignored first for "coco")."""
    boxes: np.ndarray   # (ng, 4) float64, in the IoU kernel's box format
    ignore: np.ndarray  # (ng,) uint8
    off: np.ndarray     # (n_images + 1,) int64
    npos: int
    crowd: Optional[np.ndarray] = None  # (ng,) uint8: crowd IoU, may match again
    # quadrilaterals ("dota"): boxes prepared once for polyiou (a
    # _core.QuadSet of ``boxes``, which are then read-only), for every match
    quads: object = None


def as_boxes(a, name, allow_empty_1d=True, width=4):
    """float64 C-contiguous (N, width) boxes (width 8: quadrilaterals), all finite."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, width), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise DetapInputError(f"{name} must have shape (N, {width}), got {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise DetapInputError(f"{name}[{i}] is not finite: {arr[i].tolist()}")
    return np.ascontiguousarray(arr)


def as_index(a, n, name):
    arr = np.asarray(a)
    if arr.size == 0:
        arr = np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise DetapInputError(f"{name} must have shape ({n},), got {arr.shape}")
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "b" and n == 0):
        raise DetapInputError(f"{name} must hold integer image indices, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if n and arr.min() < 0:
        i = int(np.argmin(arr))
        raise DetapInputError(f"{name}[{i}] = {arr[i]} is negative")
    return arr


def _to_xywh(boxes):
    return boxes_as(boxes, "xyxy", "xywh")


def box_width(conv):
    """Values per box under a convention: 8 for the "dota" quadrilaterals, 5
    for "obb" / "probiou" rotated rectangles, else 4."""
    return {"dota": 8, "obb": 5, "probiou": 5}.get(conv.iou, 4)


def _check_box_format(box_format, conv):
    if box_format not in ("xyxy", "xywh"):
        raise DetapInputError(f"box_format must be 'xyxy' or 'xywh', got {box_format!r}")
    if conv.iou != "coco" and box_format != "xyxy":
        raise DetapInputError(f"box_format='xywh' needs the 'coco' IoU convention; "
                              f"the {conv.iou!r} convention takes xyxy boxes")


def _thresholds(iou_threshold):
    thr = np.atleast_1d(np.asarray(iou_threshold, dtype=np.float64))
    if thr.ndim != 1 or thr.size == 0:
        raise DetapInputError(f"iou_threshold must be a number or a non-empty 1-D sequence, "
                              f"got {iou_threshold!r}")
    if np.isnan(thr).any():
        raise DetapInputError(f"iou_threshold holds NaN: {iou_threshold!r}")
    return np.ascontiguousarray(thr)


_KINDS = {"voc": _core.IOU_VOC, "coco": _core.IOU_COCO, "xyxy": _core.IOU_XYXY,
          "dota": _core.IOU_QUAD, "obb": _core.IOU_OBB, "probiou": _core.IOU_PROBIOU}
_RULES = {"voc": _core.RULE_VOC, "ultralytics": _core.RULE_LAST, "coco": _core.RULE_COCO}

#: pycocotools' area range "all", square pixels: the one range the "coco"
#: matching rule applies in ``evaluate_class``
COCO_AREA_ALL = (0.0, 1e5 ** 2)


def _kind(conv):
    return _KINDS[conv.iou]


def _area_outside(boxes_xywh):
    """Boxes (n, 4) xywh whose area w * h lies outside COCO_AREA_ALL."""
    area = boxes_xywh[:, 2] * boxes_xywh[:, 3]
    return ((area < COCO_AREA_ALL[0]) | (area > COCO_AREA_ALL[1])).astype(np.uint8)


def prepare_gt(gt_boxes, gt_image, n_images, gt_difficult=None, *, convention=None,
               box_format="xyxy", npos=None, gt_iscrowd=None, threads=None):
    """Group one class's GT by image for :func:`match`.

    ``npos`` overrides the count of GT that enter recall (voc_eval counts an
    image listed twice in the image set twice).  ``gt_iscrowd`` (M,) bool:
    crowd regions, ignored; with the "coco" IoU their IoU divides by the
    detection's area (pycocotools' crowd IoU), and under the "coco"
    matching rule they can be matched again.  ``threads``: for preparing
    quadrilaterals ("dota"), which are kept for every match.
    """
    conv = get_convention(convention)
    boxes = as_boxes(gt_boxes, "gt_boxes", width=box_width(conv))
    ng = boxes.shape[0]
    img = as_index(gt_image, ng, "gt_image")
    if ng and img.max() >= n_images:
        raise DetapInputError(f"gt_image holds {img.max()}, not below n_images={n_images}")
    if gt_difficult is None or conv.difficult == "count":
        ignore = np.zeros(ng, dtype=np.uint8)
    else:
        ignore = np.asarray(gt_difficult).astype(bool).astype(np.uint8).reshape(-1)
        if ignore.shape[0] != ng:
            raise DetapInputError(f"gt_difficult has {ignore.shape[0]} flags for {ng} GT boxes")
    crowd = None
    if gt_iscrowd is not None:
        crowd = np.asarray(gt_iscrowd).astype(bool).astype(np.uint8).reshape(-1)
        if crowd.shape[0] != ng:
            raise DetapInputError(f"gt_iscrowd has {crowd.shape[0]} flags for {ng} GT boxes")
        ignore = ignore | crowd
    _check_box_format(box_format, conv)
    if conv.iou == "coco" and box_format == "xyxy":
        boxes = _to_xywh(boxes)
    if conv.match == "coco":
        ignore = ignore | _area_outside(boxes_as(boxes, "xywh" if conv.iou == "coco" else "xyxy",
                                                 "xywh"))
        # pycocotools visits an image's GT not-ignored first, each part in
        # annotation order: one stable grouping on (image, ignored)
        _, perm = group.by_image(img * 2 + ignore, 2 * n_images)
        off = np.zeros(n_images + 1, np.int64)
        np.cumsum(np.bincount(img, minlength=n_images), out=off[1:])
    else:
        off, perm = group.by_image(img, n_images)
    if npos is None:
        npos = int(ng - int(ignore.sum()))
    if not ng or (perm[0] == 0 and perm[-1] == ng - 1 and np.array_equal(perm, np.arange(ng))):
        perm = slice(None)  # already grouped (annotations are read image by image): no copy
    grouped = np.ascontiguousarray(boxes[perm])
    quads = None
    if conv.iou == "dota":
        # the set's own read-only array (it copies a view of a caller's
        # buffer) becomes the boxes, so its prepared form cannot go stale
        quads = _core.QuadSet(grouped, nthreads(threads))
        grouped = quads.boxes
    return GroundTruth(boxes=grouped, ignore=np.ascontiguousarray(ignore[perm]), off=off,
                       npos=npos, quads=quads,
                       crowd=None if crowd is None else np.ascontiguousarray(crowd[perm]))


def sort_detections(scores, tie_order="stable", image=None, n_images=None, threads=None):
    """Processing order: indices of detections by descending score.

    "stable" keeps tied scores in input order (C radix sort, equal to
    np.argsort(-scores, kind="stable")); "numpy" calls np.argsort(-scores)
    exactly as py-faster-rcnn does; "coco" (needs ``image``, (N,) image
    indices below ``n_images``) orders ties by image, then input order, as
    pycocotools' accumulate sees them.  ``threads`` as detap.threads (the
    radix sort splits large inputs between them; the order is the same).
    """
    s = np.asarray(scores)
    if tie_order == "numpy":
        return np.argsort(-s)
    if s.dtype != np.float32:
        s = np.ascontiguousarray(s, dtype=np.float64)
    nt = nthreads(threads)
    if tie_order == "coco":
        _, by_image = group.by_image(image, n_images)
        return by_image[_core.argsort_desc(np.ascontiguousarray(s[by_image]), nt)]
    return _core.argsort_desc(np.ascontiguousarray(s), nt)


def match(det_boxes, det_image, order, gt, thresholds, convention, threads=None,
          with_matches=False):
    """Stage 2: labels (T, nd) int8 in processing order (1 TP, 0 FP, -1 ignored),
    under the convention's matching rule (csrc/match.h); ``with_matches``:
    (labels, gt_match), gt_match (T, nd) int64 the row of ``gt`` each
    detection took, or -1.

    Images are matched in parallel on ``threads`` threads (None: all
    cores); the labels do not depend on the thread count."""
    conv = get_convention(convention)
    thr = _thresholds(thresholds)
    det_out = None
    if conv.match == "coco":
        det_out = _area_outside(boxes_as(det_boxes, "xywh" if conv.iou == "coco" else "xyxy",
                                         "xywh"))
    undefined = np.zeros(1, np.int64)
    labels = _core.match_images(_kind(conv), _RULES[conv.match],
                                np.ascontiguousarray(order, dtype=np.int64), det_boxes, det_image,
                                gt.boxes, gt.ignore, gt.off, thr, conv.iou_cmp == ">",
                                nthreads(threads), gt.crowd, det_out, undefined, with_matches,
                                # (a GroundTruth rebuilt with other boxes, or unpickled
                                # into another array, has its quadrilaterals prepared here)
                                gt.quads if gt.quads is not None and gt.quads.boxes is gt.boxes
                                else None)
    warn_stale_memory(int(undefined[0]))
    return labels


def warn_stale_memory(count, stacklevel=3):
    """The one warning for polygon IoUs whose DOTA_devkit value is not a
    function of the input (csrc/quad_iou.h); nothing when ``count`` is 0."""
    if count:
        warnings.warn(
            f"{count} polygon IoU(s) hit DOTA_devkit polyiou's stale memory (edges within 1e-8 "
            "of collinear, or a clipped polygon over its 10-point array): the devkit's value "
            "there depends on earlier calls, not on the input; detap computed them with the "
            "point (0, 0), polyiou's buffer in a fresh process", RuntimeWarning,
            stacklevel=stacklevel)


def accumulate(labels, npos, convention, scores_sorted=None, rec_thrs=None):
    """Stage 3 for one threshold: (tp, fp, rec, prec, ap)."""
    conv = get_convention(convention)
    labels = np.ascontiguousarray(labels, dtype=np.int8)
    tp, fp, rec, prec = _core.pr_voc(labels, float(npos))
    if conv.ap in ("voc07", "all_point"):
        ap, _ = voc_ap_from_curve(rec, prec, conv)
    elif conv.ap == "ultralytics":
        ap = ap_ultralytics(rec, prec)
    else:
        if rec_thrs is None:
            rec_thrs = np.linspace(0.0, 1.0, 101)
        if npos == 0:
            ap = float("nan")
        else:
            q, _, _ = _core.ap_coco101(labels, np.ascontiguousarray(scores_sorted, dtype=np.float64),
                                       float(npos), np.ascontiguousarray(rec_thrs, dtype=np.float64))
            ap = float(np.mean(q))
    return tp, fp, rec, prec, ap


def voc_ap_from_curve(rec, prec, convention):
    """py-faster-rcnn's voc_ap on float64 recall and precision (nd,) under the
    convention's AP rule ("voc07" on its 11-point grid, or "all_point"):
    (ap, any_hit), any_hit telling whether an 11-point threshold was reached
    (voc_ap then returns np.float64, else a plain 0.0)."""
    conv = get_convention(convention)
    rec = np.ascontiguousarray(rec, dtype=np.float64).reshape(-1)
    prec = np.ascontiguousarray(prec, dtype=np.float64).reshape(-1)
    if conv.ap == "voc07":
        return _core.ap_voc07(rec, prec, conv.voc07_points())
    if conv.ap == "all_point":
        return _core.ap_all_point(rec, prec), True
    raise DetapInputError(f"voc_ap_from_curve takes the 'voc07' or 'all_point' AP rule, not {conv.ap!r}")


def ap_ultralytics(rec, prec):
    """Ultralytics' compute_ap ("interp"): recall (nd,) and precision (nd,)
    after each detection; the precision envelope sampled at 101 recall
    points and integrated by the trapezoidal rule, with numpy's own interp
    and trapezoid (so the float operations are Ultralytics').  0.0 without
    detections, as its ap_per_class skips such a class."""
    if len(rec) == 0:
        return 0.0
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([1.0], prec, [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz
    return float(trapezoid(np.interp(x, mrec, mpre), x))


def evaluate_class(det_boxes, det_scores, det_image, gt_boxes, gt_image, gt_difficult=None, *,
                   iou_threshold=0.5, convention: Optional[Convention] = None,
                   n_images=None, box_format="xyxy", threads=None, gt_iscrowd=None):
    """Average precision of one class from in-memory arrays.

    Parameters
    ----------
    det_boxes : (N, 4) float array, detections in ``box_format``, pixels;
        (N, 8) quadrilaterals under the "dota" IoU
    det_scores : (N,) float array, confidences (NaN rejected)
    det_image : (N,) int array, image index of each detection
    gt_boxes : (M, 4) float array, ground truth in ``box_format``
    gt_image : (M,) int array, image index of each GT box
    gt_difficult : (M,) bool array or None, VOC "difficult" flags
    iou_threshold : float or sequence of floats
    convention : Convention or preset name; default ``Convention()``: VOC
        rules (IoU > t, +1 pixel boxes, all-point AP) with a *stable* tie order
    n_images : number of images (default: 1 + the largest index seen)
    box_format : "xyxy" or (COCO convention only) "xywh"
    threads : threads for matching (None or 0: all cores); results do not
        depend on it
    gt_iscrowd : (M,) bool array or None, COCO crowd regions: ignored; with
        the "coco" IoU, pycocotools' crowd IoU; under the "coco" matching
        rule, matched again and again

    With ``convention="coco"`` the result equals pycocotools' COCOeval on
    the same boxes as one category, area range "all", no maxDets cut and
    ``iouThrs`` = the thresholds: ``ap`` is its mean precision, ``labels``
    its dtMatches / dtIgnore.

    Returns
    -------
    ClassResult
    """
    conv = get_convention(convention)
    boxes = as_boxes(det_boxes, "det_boxes", width=box_width(conv))
    nd = boxes.shape[0]
    scores = np.asarray(det_scores)
    if scores.size == 0:
        scores = np.zeros(0, dtype=np.float64)
    if scores.ndim != 1 or scores.shape[0] != nd:
        raise DetapInputError(f"det_scores must have shape ({nd},), got {scores.shape}")
    if scores.dtype.kind not in "fiu":
        raise DetapInputError(f"det_scores must be numeric, got dtype {scores.dtype}")
    if scores.dtype.kind == "f" and np.isnan(scores).any():
        raise DetapInputError(f"det_scores[{int(np.argmax(np.isnan(scores)))}] is NaN")
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)
    img = as_index(det_image, nd, "det_image")
    gt_img_arr = np.asarray(gt_image)
    if n_images is None:
        n_images = 1 + max(int(img.max()) if nd else -1,
                           int(gt_img_arr.max()) if gt_img_arr.size else -1)
    if nd and img.max() >= n_images:
        raise DetapInputError(f"det_image holds {img.max()}, not below n_images={n_images}")
    gt = prepare_gt(gt_boxes, gt_image, n_images, gt_difficult, convention=conv,
                    box_format=box_format, gt_iscrowd=gt_iscrowd, threads=threads)
    if conv.iou == "coco" and box_format == "xyxy":
        boxes = _to_xywh(boxes)
    return evaluate_prepared(boxes, scores, img, gt, iou_threshold, conv, threads)


def evaluate_prepared(boxes, scores, img, gt, iou_threshold, conv, threads=None):
    """``evaluate_class`` after its checks: boxes (N, 4) in the IoU kernel's
    format, scores (N,), img (N,) int64 image indices below len(gt.off) - 1,
    gt from :func:`prepare_gt`."""
    scalar = np.ndim(iou_threshold) == 0
    thr = _thresholds(iou_threshold)
    order = sort_detections(scores, conv.tie_order, img, len(gt.off) - 1, threads)
    labels = match(boxes, img, order, gt, thr, conv, threads)
    scores_sorted = np.asarray(scores, dtype=np.float64)[order]
    parts = [accumulate(labels[t], gt.npos, conv, scores_sorted) for t in range(len(thr))]
    tp, fp, rec, prec, ap = (list(x) for x in zip(*parts))
    if scalar:
        tp, fp, rec, prec, ap, labels = tp[0], fp[0], rec[0], prec[0], ap[0], labels[0]
    else:
        tp, fp, rec, prec = (np.stack(x) for x in (tp, fp, rec, prec))
        ap = np.asarray(ap, dtype=np.float64)
    return ClassResult(ap=ap, rec=rec, prec=prec, tp=tp, fp=fp, npos=gt.npos,
                       n_det=len(order), scores=scores_sorted, order=order,
                       labels=labels, thresholds=thr)
