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
