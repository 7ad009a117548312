"""Plain-Python references for the protocol presets, one detection at a time.

Each is a transcription of the per-class loop of the tool the preset names
(voc_eval's structure, with that tool's rules): the IoU expression, the
comparison with the threshold, the tie order of the score sort and the
AP rule.  Slow and obvious on purpose: detap's C path must agree bit for bit.
"""
import numpy as np

from .reference_voc import voc_ap

FLT_EPS = float(np.finfo(np.float32).eps)


def overlaps(bb, BBGT, plus1, eps_union):
    """IoU of bb (4,) xyxy against BBGT (G, 4): voc_eval's expression with
    ``plus1`` added to widths (1.0 VOC, 0.0 continuous) and, for mmdet, the
    union floored at the float32 epsilon."""
    ixmin = np.maximum(BBGT[:, 0], bb[0])
    iymin = np.maximum(BBGT[:, 1], bb[1])
    ixmax = np.minimum(BBGT[:, 2], bb[2])
    iymax = np.minimum(BBGT[:, 3], bb[3])
    iw = np.maximum(ixmax - ixmin + plus1, 0.)
    ih = np.maximum(iymax - iymin + plus1, 0.)
    inters = iw * ih
    uni = ((bb[2] - bb[0] + plus1) * (bb[3] - bb[1] + plus1) +
           (BBGT[:, 2] - BBGT[:, 0] + plus1) * (BBGT[:, 3] - BBGT[:, 1] + plus1) - inters)
    if eps_union:
        uni = np.maximum(uni, FLT_EPS)
    return inters / uni


RULES = {
    # protocol: (plus1, eps_union, ">=" or ">", sort kind, use_07)
    "voc": (1., False, ">", "stable", False),
    "voc07": (1., False, ">", "stable", True),
    "vocdevkit": (1., False, ">=", "stable", False),
    "cartucho": (1., False, ">=", "stable", False),
    "mmdet": (0., True, ">=", None, False),
    "mmdet-legacy": (1., False, ">=", None, False),
}


def eval_class(protocol, gt_boxes, gt_image, gt_ignore, det_boxes, det_image, det_scores, iou):
    """(rec, prec, ap, npos) of one class; boxes xyxy, images as ints."""
    plus1, eps_union, cmp, kind, use07 = RULES[protocol]
    recs = {}
    for i in set(gt_image.tolist()) | set(det_image.tolist()):
        sel = gt_image == i
        recs[i] = {"bbox": gt_boxes[sel], "difficult": gt_ignore[sel],
                   "det": [False] * int(sel.sum())}
    npos = int((~gt_ignore).sum())
    nd = len(det_scores)
    tp, fp = np.zeros(nd), np.zeros(nd)
    order = np.argsort(-det_scores) if kind is None else np.argsort(-det_scores, kind=kind)
    for d, j in enumerate(order):
        R = recs[int(det_image[j])]
        ovmax = -np.inf
        if R["bbox"].size > 0:
            ov = overlaps(det_boxes[j], R["bbox"], plus1, eps_union)
            ovmax, jmax = np.max(ov), np.argmax(ov)
        hit = ovmax >= iou if cmp == ">=" else ovmax > iou
        if hit:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d] = 1.
                    R["det"][jmax] = 1
                else:
                    fp[d] = 1.
        else:
            fp[d] = 1.
    fp, tp = np.cumsum(fp), np.cumsum(tp)
    with np.errstate(invalid="ignore", divide="ignore"):
        rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    with np.errstate(invalid="ignore"):
        ap = voc_ap(rec, prec, use07)
    return rec, prec, ap, npos


# ------------------------------------------------------------- Ultralytics
# Transcribed from ultralytics/utils/metrics.py (box_iou, ap_per_class,
# compute_ap) and DetectionValidator.match_predictions, with numpy in place
# of torch and float64 throughout.

def box_iou(box1, box2):
    """(N, M) IoU of xyxy boxes; Ultralytics adds eps=1e-7 to the union,
    detap floors it at the float32 epsilon (mmdet): equal for unions
    of a pixel or more, so the reference here takes detap's floor."""
    (a1, a2), (b1, b2) = np.split(box1[:, None], 2, axis=2), np.split(box2[None], 2, axis=2)
    inter = (np.minimum(a2, b2) - np.maximum(a1, b1)).clip(0).prod(2)
    area1 = (box1[:, 2] - box1[:, 0]) * (box1[:, 3] - box1[:, 1])
    area2 = (box2[:, 2] - box2[:, 0]) * (box2[:, 3] - box2[:, 1])
    return inter / np.maximum(area1[:, None] + area2 - inter, FLT_EPS)


def match_predictions(pred_classes, true_classes, iou, iouv):
    correct = np.zeros((pred_classes.shape[0], len(iouv))).astype(bool)
    correct_class = true_classes[:, None] == pred_classes
    iou = iou * correct_class
    for i, threshold in enumerate(iouv):
        matches = np.nonzero(iou >= threshold)
        matches = np.array(matches).T
        if matches.shape[0]:
            if matches.shape[0] > 1:
                # Ultralytics' argsort() is numpy's quicksort: its small
                # partitions' insertion sort keeps equal IoUs in order, its
                # AVX-512 sort (this machine's) does not, so the stable kind
                # stands for the former, the order detap's "ultralytics" rule
                # follows (the last of equal GT); see conventions.py
                matches = matches[iou[matches[:, 0], matches[:, 1]].argsort(kind="stable")[::-1]]
                matches = matches[np.unique(matches[:, 1], return_index=True)[1]]
                matches = matches[np.unique(matches[:, 0], return_index=True)[1]]
            correct[matches[:, 1].astype(int), i] = True
    return correct


def compute_ap(recall, precision):
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz
    return trapezoid(np.interp(x, mrec, mpre), x)


def ap_per_class(tp, conf, pred_cls, target_cls, eps=1e-16):
    """{class: AP at each IoU threshold} for the classes with GT."""
    i = np.argsort(-conf)
    tp, conf, pred_cls = tp[i], conf[i], pred_cls[i]
    unique_classes, nt = np.unique(target_cls, return_counts=True)
    ap = np.zeros((len(unique_classes), tp.shape[1]))
    for ci, c in enumerate(unique_classes):
        i = pred_cls == c
        n_l, n_p = nt[ci], i.sum()
        if n_p == 0 or n_l == 0:
            continue
        fpc = (1 - tp[i]).cumsum(0)
        tpc = tp[i].cumsum(0)
        recall = tpc / (n_l + eps)
        precision = tpc / (tpc + fpc)
        for j in range(tp.shape[1]):
            ap[ci, j] = compute_ap(recall[:, j], precision[:, j])
    return dict(zip(unique_classes.tolist(), ap[:, 0].tolist())), ap[:, 0].mean()


def ultralytics_map(images, iou_thr, iou_fn=box_iou):
    """images: list of (gt_boxes, gt_cls, det_boxes, det_scores, det_cls),
    detections of an image in the validator's order (by confidence).
    Returns ({class: AP}, mAP) at one threshold, as DetMetrics reports.
    ``iou_fn(gt, det)`` is the similarity: box_iou (DetectionValidator) or
    batch_probiou (OBBValidator, tests/reference_rotated.py)."""
    tps, confs, pcls, tcls = [], [], [], []
    for gb, gc, db, ds, dc in images:
        tcls.append(gc)
        if len(db) == 0:
            continue
        correct = (match_predictions(dc, gc, iou_fn(gb, db), [iou_thr]) if len(gb)
                   else np.zeros((len(db), 1), bool))
        tps.append(correct)
        confs.append(ds)
        pcls.append(dc)
    tp = np.concatenate(tps) if tps else np.zeros((0, 1), bool)
    conf = np.concatenate(confs) if confs else np.zeros(0)
    pc = np.concatenate(pcls) if pcls else np.zeros(0, int)
    return ap_per_class(tp, conf, pc, np.concatenate(tcls))
