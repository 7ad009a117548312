"""Protocols: evaluate a ``Dataset`` the way a named tool does.

A protocol is a convention preset (``detap.conventions.PRESETS``) plus the
two choices that live above one class's AP: which classes enter the mean,
and how the mean is summed.  Every protocol runs the same core
(``detap.core`` for the VOC family, ``detap.coco`` for "coco"); none of
them has its own matching or AP code.

=============  ======  =====  =====  =========  ==========  ======================
protocol       IoU     +1 px  ties   AP         difficult   mean over
=============  ======  =====  =====  =========  ==========  ======================
voc07          > t     yes    stable 11-point   ignored     classes with GT, np.mean
voc            > t     yes    stable all-point  ignored     classes with GT, np.mean
vocdevkit      >= t    yes    stable all-point  ignored     classes with GT, np.mean
cartucho       >= t    yes    stable all-point  ignored     classes with GT, Python sum / n
mmdet          >= t    no     numpy  all-point  ignored     classes with GT, np.mean
mmdet-legacy   >= t    yes    numpy  all-point  ignored     classes with GT, np.mean
coco           >= t    no     merge  101-point  counted     pycocotools' mean of precision
ultralytics    >= t    no     numpy  101 trapz  counted     classes with GT, np.mean
dota           > t     poly   numpy  11-point   ignored     classes with GT, Python sum / n
mmrotate       >= t    obb    numpy  11-point   ignored     classes with GT, np.mean
mmrotate-area  >= t    obb    numpy  all-point  ignored     classes with GT, np.mean
ultralytics-.. >= t    prob   numpy  101 trapz  counted     classes with GT, np.mean
=============  ======  =====  =====  =========  ==========  ======================

Each box kind has its protocols (``KIND_PROTOCOLS``), and a protocol
given another kind is an error.  "dota" (``ORIENTED_PROTOCOLS``) evaluates
quadrilaterals (box_format "quad") as DOTA_devkit's task1 main() does:
polyiou's polygon IoU for the GT whose axis-aligned boxes (+1 pixel)
overlap.  Rotated rectangles (box_format "obb", ``ROTATED_PROTOCOLS``) are
evaluated by "coco" with hotcoco's rotated IoU (its iouType "obb": areas
w * h of the rectangles; ``detap.coco.obb``), by mmrotate's eval_rbbox_map
("mmrotate", its default 11-point AP; "mmrotate-area" all-point) with the
same IoU, or by Ultralytics' OBB validator ("ultralytics-obb", ProbIoU).
Axis-aligned boxes take the others, and "coco".  The per-class annotation
statistics (mean area, mean aspect w/h) of quadrilaterals are those of
their axis-aligned extent, of rotated rectangles their own w and h.

"stable": tied scores keep input order (Python's and MATLAB's sorts);
"numpy": ``np.argsort(-scores)`` (quicksort; its tie order depends on the
numpy build).  Ultralytics computes IoU and scores in float32 torch
tensors and sorts all classes' predictions together; detap uses float64
and sorts within a class, so a pair at exactly the threshold or tied
scores can differ from it (see the README).  A crowd GT (``iscrowd``) is ignored like a difficult one in
the VOC family; under "coco" it is pycocotools' crowd region.
"""
import dataclasses

import warnings

import numpy as np

from . import group
from .coco import Params, engine
from .coco.arrays import columns_from_arrays
from .boxes import box_size
from .coco.summarize import stats_table, summarize
from .conventions import PRESETS
from .core import evaluate_class, sort_detections
from .errors import DetapInputError
from .progress import progress
from .result import ClassReport, EvalResult, best_f1

__all__ = ["PROTOCOLS", "ORIENTED_PROTOCOLS", "ROTATED_PROTOCOLS", "KIND_PROTOCOLS", "ALL_PROTOCOLS",
           "SCORES_EMPTY_CLASSES", "evaluate", "evaluate_all"]

#: protocol name -> how the mean over classes is summed
MEAN_RULE = {"voc07": "numpy", "voc": "numpy", "vocdevkit": "numpy", "cartucho": "python",
         "mmdet": "numpy", "mmdet-legacy": "numpy", "coco": "coco", "ultralytics": "numpy",
         "dota": "sum-all", "mmrotate": "numpy", "mmrotate-area": "numpy",
         "ultralytics-obb": "numpy"}
#: the protocols of quadrilaterals (box_format "quad")
ORIENTED_PROTOCOLS = ("dota",)
#: the protocols of rotated rectangles (box_format "obb"): "coco" with
#: hotcoco's rotated IoU, mmrotate's eval_rbbox_map, Ultralytics' OBB validator
ROTATED_PROTOCOLS = ("coco", "mmrotate", "mmrotate-area", "ultralytics-obb")
#: protocols whose reference scores a class without (non-difficult) GT and
#: counts it in the mean: DOTA_devkit's main() sums voc_eval's AP over its
#: class list, and the 11-point voc_ap of a NaN recall is 0.  Elsewhere such
#: a class has no AP (NaN) and is left out of the mean.
SCORES_EMPTY_CLASSES = ("dota",)
#: the protocols of axis-aligned boxes
PROTOCOLS = tuple(p for p in MEAN_RULE if p not in ORIENTED_PROTOCOLS + ROTATED_PROTOCOLS
                  or p == "coco")
#: the protocols of each box kind (``detap.boxes.box_kind``)
KIND_PROTOCOLS = {"box": PROTOCOLS, "quad": ORIENTED_PROTOCOLS, "obb": ROTATED_PROTOCOLS}
#: every protocol name
ALL_PROTOCOLS = tuple(MEAN_RULE)


def convention_dict(conv):
    return dataclasses.asdict(conv)


def preset_name(conv):
    """The name of the preset ``conv`` equals ("custom" if none)."""
    return next((name for name, c in PRESETS.items() if c == conv), "custom")


def annotation_stats(label, w, h, K):
    """Per class: (count, mean area, mean aspect w/h) of GT boxes given as
    class indices (M,) and continuous widths and heights (M,) (no +1);
    boxes with zero height are left out of the aspect mean.  Each a (K,)
    array; the sums follow row order."""
    count = np.bincount(label, minlength=K)
    area = np.bincount(label, weights=w * h, minlength=K)
    ok = h > 0
    aspect = np.bincount(label[ok], weights=w[ok] / h[ok], minlength=K)
    n_aspect = np.bincount(label[ok], minlength=K)
    with np.errstate(invalid="ignore", divide="ignore"):
        return count, area / count, aspect / n_aspect


def _annotation_stats(ds):
    w, h = box_size(ds.gt_boxes, ds.box_format)
    return annotation_stats(ds.gt_label, w, h, len(ds.classes))


def mean_ap(aps, how):
    """The mean AP over classes by a reference's rule: "sum-all" (DOTA_devkit's
    main(): map += ap over every class, a NaN included, then / n); else over
    the finite APs, summed left to right ("python": Cartucho's sum_AP += ap)
    or by np.mean."""
    if how == "sum-all":
        total = 0.0
        for a in aps:
            total = total + a
        return float(total / len(aps)) if len(aps) else float("nan")
    aps = [a for a in aps if np.isfinite(a)]
    if not aps:
        return float("nan")
    if how == "python":  # Cartucho: sum_AP += ap; mAP = sum_AP / n_classes
        total = 0.0
        for a in aps:
            total += a
        return total / len(aps)
    return float(np.mean(aps))


def class_report(name, ap, npos, scores, tp, fp, prec, rec, n_ann, area, aspect,
                 protocol=None):
    """A class's ``ClassReport``; its AP is NaN without GT unless the
    protocol scores such classes (SCORES_EMPTY_CLASSES: then the computed AP,
    with a warning, since it pulls the mean down)."""
    nd = len(scores)
    f1 = best_f1(scores, tp, fp, npos)
    if npos <= 0 and protocol in SCORES_EMPTY_CLASSES:
        warnings.warn(f"class {name!r} has no ground truth that counts (none, or only difficult): "
                      f"its AP {float(ap):g} is counted in the mean, as the {protocol} reference "
                      "does", RuntimeWarning, stacklevel=3)
    keep = npos > 0 or protocol in SCORES_EMPTY_CLASSES
    return ClassReport(name=name, ap=float(ap) if keep else float("nan"), n_gt=int(npos),
                       n_det=nd, tp=int(tp[-1]) if nd else 0, fp=int(fp[-1]) if nd else 0,
                       precision=np.asarray(prec, np.float64), recall=np.asarray(rec, np.float64),
                       scores=np.asarray(scores, np.float64), f1=f1[0], f1_confidence=f1[1],
                       f1_precision=f1[2], f1_recall=f1[3], n_annotations=int(n_ann),
                       mean_area=float(area), mean_aspect=float(aspect))


def check_iou(iou):
    iou = float(iou)
    if not 0.0 <= iou <= 1.0:
        raise DetapInputError(f"the IoU threshold must be in [0, 1], got {iou}")
    return iou


def evaluate(dataset, protocol="voc", iou=0.5, *, threads=None, ap=None):
    """Evaluate every class of ``dataset`` under ``protocol`` at IoU ``iou``.

    dataset   a ``detap.formats.Dataset`` (boxes in pixels)
    protocol  one of ``PROTOCOLS`` (axis-aligned boxes),
              ``ORIENTED_PROTOCOLS`` (quadrilaterals) or
              ``ROTATED_PROTOCOLS`` (rotated rectangles, box_format "obb")
    iou       IoU threshold in [0, 1]
    threads   threads for matching (None or 0: all cores); results do not
              depend on it
    ap        override the preset's AP rule ("voc07" or "all_point"; VOC
              family only), e.g. VOCdevkit 2007's 11-point AP with IoU >= t
    Returns an ``EvalResult``; for "coco" its ``stats`` are pycocotools' 12
    numbers (at the standard thresholds, whatever ``iou``) and ``map`` is
    pycocotools' AP at ``iou`` (= stats[1] at 0.5, stats[2] at 0.75).
    """
    if protocol not in MEAN_RULE:
        raise DetapInputError(f"unknown protocol {protocol!r}; known: {', '.join(ALL_PROTOCOLS)}")
    check_box_kind(dataset.box_kind, protocol)
    iou = check_iou(iou)
    if protocol == "coco":
        if ap not in (None, "coco101"):
            raise DetapInputError("the coco protocol has only its 101-point AP")
        return _evaluate_coco(dataset, iou, threads)
    if ap not in (None, "voc07", "all_point"):
        raise DetapInputError(f"ap must be 'voc07' or 'all_point' for {protocol!r}, got {ap!r}")
    return _evaluate_voc_family(dataset, protocol, iou, threads, ap)


#: what each box kind is called in messages
KIND_NAMES = {"box": "axis-aligned boxes", "quad": "oriented boxes (quadrilaterals)",
              "obb": "rotated boxes (cx, cy, w, h, angle)"}


def check_box_kind(kind, protocol):
    """A protocol of another box kind ("box", "quad", "obb") is an error:
    its IoU cannot be computed on these boxes."""
    if protocol in KIND_PROTOCOLS[kind]:
        return
    takes = [k for k, ps in KIND_PROTOCOLS.items() if protocol in ps]
    raise DetapInputError(f"{KIND_NAMES[kind]} are evaluated by the "
                          f"{', '.join(KIND_PROTOCOLS[kind])} protocol"
                          f"{'s' if len(KIND_PROTOCOLS[kind]) > 1 else ''}, not {protocol!r}"
                          + (f" (which evaluates {KIND_NAMES[takes[0]]})" if takes else ""))


def evaluate_all(dataset, iou=0.5, *, threads=None, protocols=None):
    """``evaluate`` under each protocol (default: every protocol of the
    dataset's box kind): a list of ``EvalResult``."""
    if protocols is None:
        protocols = KIND_PROTOCOLS[dataset.box_kind]
    return [evaluate(dataset, p, iou, threads=threads) for p in protocols]


def _evaluate_voc_family(ds, protocol, iou, threads, ap=None):
    conv = PRESETS[protocol]
    if ap is not None:
        conv = conv.replace(ap=ap)
    fmt = "xywh" if conv.iou == "coco" else "xyxy"
    # the oriented IoUs take the quadrilaterals and rotated boxes themselves
    gt_boxes, det_boxes = ((ds.gt_boxes, ds.det_boxes) if conv.iou in ("dota", "obb", "probiou")
                           else (ds.gt_as(fmt), ds.dets_as(fmt)))
    ignore = ds.gt_difficult | ds.gt_iscrowd
    K, I = len(ds.classes), len(ds.images)
    g_off, g_perm = group.by_image(ds.gt_label, K)
    d_off, d_perm = group.by_image(ds.det_label, K)
    count, area, aspect = _annotation_stats(ds)
    per_class = {}
    for k, name in progress(list(enumerate(ds.classes)), label=f"{protocol}: classes"):
        gi = g_perm[g_off[k]:g_off[k + 1]]
        di = d_perm[d_off[k]:d_off[k + 1]]
        r = evaluate_class(det_boxes[di], ds.det_scores[di], ds.det_image[di], gt_boxes[gi],
                           ds.gt_image[gi], ignore[gi], iou_threshold=iou, convention=conv,
                           n_images=I, box_format=fmt, threads=threads)
        per_class[name] = class_report(name, r.ap, r.npos, r.scores, r.tp, r.fp, r.prec, r.rec,
                                       count[k], area[k], aspect[k], protocol)
    mean = mean_ap([per_class[c].ap for c in ds.classes], MEAN_RULE[protocol])
    return EvalResult(protocol=protocol, iou=iou, classes=list(ds.classes), per_class=per_class,
                      map=mean, convention=convention_dict(conv), n_images=I)


def dataset_ids(ids, n, what, start=1):
    """A Dataset's ``image_ids``/``class_ids`` as int64, checked to hold ``n``
    distinct ids; None gives start, start + 1, ..."""
    if ids is None:
        return np.arange(start, start + n, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) != n or len(np.unique(ids)) != n:
        raise DetapInputError(f"Dataset.{what} must hold {n} distinct ids")
    return ids


def _run_coco(ds, img_ids, cat_ids, iou_thrs, threads):
    """The COCO engine on a Dataset (rotated boxes: hotcoco's iouType
    "obb"): (EvalState, Params, precision, recall)."""
    iou_type = "obb" if ds.box_format == "obb" else "bbox"
    p = Params(iou_type)
    p.imgIds, p.catIds = sorted(img_ids.tolist()), sorted(cat_ids.tolist())
    if iou_thrs is not None:
        p.iouThrs = np.asarray(iou_thrs, dtype=np.float64)
    obb = dict(gt_obb=ds.gt_boxes, dt_obb=ds.det_boxes) if iou_type == "obb" else {}
    gt, dt = columns_from_arrays(img_ids[ds.gt_image], cat_ids[ds.gt_label], ds.gt_as("xywh"),
                                 ds.gt_areas(), ds.gt_iscrowd.astype(np.int64),
                                 dt_image_id=img_ids[ds.det_image],
                                 dt_category_id=cat_ids[ds.det_label], dt_bbox=ds.dets_as("xywh"),
                                 dt_score=ds.det_scores, **obb)
    st = engine.evaluate(gt, dt, p.imgIds, p.catIds, p.useCats, p.areaRng, p.iouThrs,
                         p.maxDets[-1], threads, iou_type)
    precision, recall, _ = engine.accumulate(st.matches, p.maxDets, p.recThrs, threads)
    return st, p, precision, recall


def _coco_class_curve(m, k, t):
    """Category k's kept detections at area "all" and the largest maxDets
    (``m``: the engine's ``Matches``), in accumulate()'s order (mergesort
    on -score over images in id order): (scores, cumulative tp, cumulative
    fp, npos), ignored detections dropped."""
    c0, c1 = m.cat_off[k], m.cat_off[k + 1]
    # a category's cells are consecutive, so are their kept detections
    k0, k1 = m.kept_off[c0], m.kept_off[c1]
    scores = m.kept_scores(k0, k1)
    order = sort_detections(scores)  # (stable: np.argsort(-scores, kind="mergesort"))
    lab = m.label_values_at(slice(k0, k1), 0, t)[order]
    keep = lab != -1
    lab, scores = lab[keep], scores[order][keep]
    tp = np.cumsum(lab == 1, dtype=np.float64)
    fp = np.cumsum(lab == 0, dtype=np.float64)
    npos = int(m.npig[0, c0:c1].sum())
    return scores, tp, fp, npos


def _evaluate_coco(ds, iou, threads):
    K, I = len(ds.classes), len(ds.images)
    img_ids = dataset_ids(ds.image_ids, I, "image_ids")
    cat_ids = dataset_ids(ds.class_ids, K, "class_ids")
    st, p, precision, recall = _run_coco(ds, img_ids, cat_ids, None, threads)
    stats, _ = summarize(precision, recall, p, stats_table(p.iouType, p.maxDets))
    t = iou_index(p.iouThrs, iou)
    if t is None:  # a threshold outside the standard ten: evaluate at it alone
        st, _, precision, _ = _run_coco(ds, img_ids, cat_ids, [iou], threads)
        t = 0
    sorted_k = np.argsort(cat_ids, kind="stable")  # category j of the state is class sorted_k[j]
    names = [ds.classes[k] for k in sorted_k]
    count, area, aspect = (a[sorted_k] for a in _annotation_stats(ds))
    return coco_result(stats, st.matches, precision, t, names, iou, (count, area, aspect), I,
                       p.iouType)


def iou_index(thrs, iou):
    """Index of ``iou`` in ``thrs`` by ==, as pycocotools' summarize looks it up."""
    hit = np.flatnonzero(np.asarray(thrs, dtype=np.float64) == iou)
    return int(hit[0]) if len(hit) else None


def reported_iou_index(thrs, iou, who):
    """iou_index, or DetapInputError when ``iou`` is not one of the
    thresholds ``thrs`` that ``who`` (e.g. "the coco Evaluator", "pycocotools'")
    evaluates: a streaming evaluator reports its table at one of them."""
    t = iou_index(thrs, iou)
    if t is None:
        thrs = [float(x) for x in thrs]
        near = [x for x in thrs if abs(x - iou) < 1e-9]
        hint = (f" (the threshold it compares with is {near[0]!r}: np.linspace's value, which "
                "pycocotools uses; pass that)") if near else ""
        raise DetapInputError(f"{who} reports at one of its IoU thresholds {thrs}, got "
                              f"{iou!r}{hint}")
    return t


#: what the "coco" protocol compares, per iouType, as the reports' convention
#: names it (the preset's "coco" is pycocotools' box IoU)
_COCO_SIMILARITY = {"bbox": "coco", "segm": "mask", "keypoints": "oks", "obb": "obb"}


def coco_result(stats, matches, precision, t, names, iou, ann_stats, n_images, iou_type="bbox",
                protocol="coco", summary=None):
    """The "coco" ``EvalResult`` from an accumulated evaluation (or, with
    ``protocol="lvis"``, lvis-api's on the same engine state).

    stats      pycocotools' summary numbers (``coco.summarize``), or None
    summary    named summary numbers (LVIS: its 13 results), or None
    matches    the engine's ``Matches`` the per-class curves come from
    precision  (T, R, K, A, M) precision holding IoU index t
    names      class names in the state's category order
    ann_stats  (count, mean area, mean aspect), each (K,) in that order
    """
    prec = precision[t, :, :, 0, -1]  # (R, K): all areas, the largest maxDets
    valid = prec[prec > -1]
    mean = float(np.mean(valid)) if valid.size else float("nan")
    count, area, aspect = ann_stats
    per_class = {}
    for j, name in enumerate(names):
        col = prec[:, j]
        ap = float(np.mean(col[col > -1])) if (col > -1).any() else float("nan")
        scores, tp, fp, npos = _coco_class_curve(matches, j, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_curve = tp / np.maximum(tp + fp, np.finfo(np.float64).tiny)
            r_curve = tp / npos if npos else np.full(len(tp), np.nan)
        per_class[name] = class_report(name, ap, npos, scores, tp, fp, p_curve, r_curve,
                                       count[j], area[j], aspect[j])
    return EvalResult(protocol=protocol, iou=iou, classes=list(names), per_class=per_class,
                      map=mean, stats=None if stats is None else np.asarray(stats, np.float64),
                      convention=dict(convention_dict(PRESETS["coco"]),
                                      iou=_COCO_SIMILARITY.get(iou_type, "coco")),
                      n_images=n_images, iou_type=iou_type, summary=summary)

