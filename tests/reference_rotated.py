"""Transcriptions, written for detap's tests, of rotated-box evaluators:

- hotcoco's rotated IoU (crates/hotcoco/src/geometry.rs: obb_to_corners,
  Sutherland-Hodgman clipping, shoelace area, obb_iou_pair) on Python
  floats, the same operations in the same order, so detap's C kernel
  (csrc/obb_iou.c) must equal it bit for bit;
- mmrotate's eval_rbbox_map for 'rbox' boxes without scale ranges
  (mmrotate/evaluation/functional/mean_ap.py: tpfp_default per image,
  then the class's curve) with mmdet's average_precision, keeping their
  float32 arrays.  Its IoU, mmcv's box_iou_rotated (float32, CUDA/C++), is
  not transcribed: ``iou_fn`` is injected (the tests pass the hotcoco
  transcription), so what is checked is the protocol: matching, tie order,
  counting and AP;
- Ultralytics' batch_probiou (ultralytics/utils/metrics.py,
  _get_covariance_matrix and batch_probiou) on Python floats in its
  operation order (Ultralytics runs it on float32 tensors; this is the
  float64 reading detap computes); its OBBValidator is the detection
  validator's loop (tests/reference_protocols.py) with this similarity.

Do not "improve" this file: it is the yardstick.
"""
import math

import numpy as np

# ------------------------------------------------------------------ hotcoco


def obb_to_corners(obb):
    cx, cy, w, h, angle = (float(v) for v in obb)
    cos_a = math.cos(angle)
    sin_a = math.sin(angle)
    hw = w / 2.0
    hh = h / 2.0
    dx_w = hw * cos_a
    dy_w = hw * sin_a
    dx_h = hh * sin_a
    dy_h = hh * cos_a
    return [(cx - dx_w + dx_h, cy - dy_w - dy_h), (cx + dx_w + dx_h, cy + dy_w - dy_h),
            (cx + dx_w - dx_h, cy + dy_w + dy_h), (cx - dx_w - dx_h, cy - dy_w + dy_h)]


def signed_polygon_area(v):
    n = len(v)
    if n < 3:
        return 0.0
    area = 0.0
    for i in range(n):
        j = (i + 1) % n
        area += v[i][0] * v[j][1]
        area -= v[j][0] * v[i][1]
    return area * 0.5


def is_inside(p, s, e):
    cross = (e[0] - s[0]) * (p[1] - s[1]) - (e[1] - s[1]) * (p[0] - s[0])
    return cross >= 0.0


def line_intersection(p1, p2, p3, p4):
    d1x = p2[0] - p1[0]
    d1y = p2[1] - p1[1]
    d2x = p4[0] - p3[0]
    d2y = p4[1] - p3[1]
    denom = d1x * d2y - d1y * d2x
    if abs(denom) < 1e-12:
        return None
    t = ((p3[0] - p1[0]) * d2y - (p3[1] - p1[1]) * d2x) / denom
    return (p1[0] + t * d1x, p1[1] + t * d1y)


def sutherland_hodgman_clip(subject, clip):
    if not subject or not clip:
        return []
    output = list(subject)
    for i in range(len(clip)):
        if not output:
            return output
        s, e = clip[i], clip[(i + 1) % len(clip)]
        inp, output = output, []
        for j in range(len(inp)):
            current, previous = inp[j], inp[(j + len(inp) - 1) % len(inp)]
            if is_inside(current, s, e):
                if not is_inside(previous, s, e):
                    pt = line_intersection(previous, current, s, e)
                    if pt is not None:
                        output.append(pt)
                output.append(current)
            elif is_inside(previous, s, e):
                pt = line_intersection(previous, current, s, e)
                if pt is not None:
                    output.append(pt)
    return output


def obb_iou_pair(corners_a, area_a, corners_b, area_b, b_is_crowd):
    if area_a <= 0.0 or area_b <= 0.0:
        return 0.0
    inter = abs(signed_polygon_area(sutherland_hodgman_clip(corners_a, corners_b)))
    if inter <= 0.0:
        return 0.0
    if b_is_crowd:
        return inter / area_a
    union = area_a + area_b - inter
    return 0.0 if union <= 0.0 else inter / union


def obb_iou(dt, gt, iscrowd=None):
    """(D, G) hotcoco obb_iou(dt, gt, iscrowd)."""
    iscrowd = [False] * len(gt) if iscrowd is None else iscrowd
    out = np.zeros((len(dt), len(gt)))
    gc = [obb_to_corners(b) for b in gt]
    ga = [float(b[2]) * float(b[3]) for b in gt]
    for i, d in enumerate(dt):
        cd, ad = obb_to_corners(d), float(d[2]) * float(d[3])
        for j in range(len(gt)):
            out[i, j] = obb_iou_pair(cd, ad, gc[j], ga[j], bool(iscrowd[j]))
    return out


# ----------------------------------------------------------------- mmrotate


def tpfp_default(det_bboxes, gt_bboxes, gt_bboxes_ignore, iou_thr, iou_fn):
    """tp, fp (float32, shape (num_dets,)) of one image: det_bboxes (m, 6)
    [cx, cy, w, h, a, score], GT (n, 5) and ignored GT (k, 5)."""
    det_bboxes = np.array(det_bboxes)
    gt_ignore_inds = np.concatenate((np.zeros(gt_bboxes.shape[0], dtype=bool),
                                     np.ones(gt_bboxes_ignore.shape[0], dtype=bool)))
    gt_bboxes = np.vstack((gt_bboxes, gt_bboxes_ignore))
    num_dets, num_gts = det_bboxes.shape[0], gt_bboxes.shape[0]
    tp = np.zeros(num_dets, dtype=np.float32)
    fp = np.zeros(num_dets, dtype=np.float32)
    if gt_bboxes.shape[0] == 0:
        fp[...] = 1
        return tp, fp
    ious = iou_fn(det_bboxes[:, :5], gt_bboxes)
    ious_max = ious.max(axis=1)
    ious_argmax = ious.argmax(axis=1)
    sort_inds = np.argsort(-det_bboxes[:, -1])
    gt_covered = np.zeros(num_gts, dtype=bool)
    for i in sort_inds:
        if ious_max[i] >= iou_thr:
            matched_gt = ious_argmax[i]
            if not gt_ignore_inds[matched_gt]:
                if not gt_covered[matched_gt]:
                    gt_covered[matched_gt] = True
                    tp[i] = 1
                else:
                    fp[i] = 1
        else:
            fp[i] = 1
    return tp, fp


def average_precision(recalls, precisions, mode="area"):
    """mmdet's average_precision for one scale (float32 AP)."""
    recalls, precisions = recalls[np.newaxis, :], precisions[np.newaxis, :]
    ap = np.zeros(1, dtype=np.float32)
    if mode == "area":
        zeros = np.zeros((1, 1), dtype=recalls.dtype)
        ones = np.ones((1, 1), dtype=recalls.dtype)
        mrec = np.hstack((zeros, recalls, ones))
        mpre = np.hstack((zeros, precisions, zeros))
        for i in range(mpre.shape[1] - 1, 0, -1):
            mpre[:, i - 1] = np.maximum(mpre[:, i - 1], mpre[:, i])
        ind = np.where(mrec[0, 1:] != mrec[0, :-1])[0]
        ap[0] = np.sum((mrec[0, ind + 1] - mrec[0, ind]) * mpre[0, ind + 1])
    else:
        for thr in np.arange(0, 1 + 1e-3, 0.1):
            precs = precisions[0, recalls[0, :] >= thr]
            prec = precs.max() if precs.size > 0 else 0
            ap[0] += prec
        ap /= 11
    return ap[0]


def eval_rbbox_class(dets, gts, gts_ignore, iou_thr, use_07_metric, iou_fn):
    """One class of eval_rbbox_map: per image (m, 6) dets, (n, 5) GT and
    (k, 5) ignored GT -> dict(num_gts, num_dets, recall, precision, ap)."""
    tpfp = [tpfp_default(d, g, gi, iou_thr, iou_fn) for d, g, gi in zip(dets, gts, gts_ignore)]
    tp, fp = tuple(zip(*tpfp))
    num_gts = np.zeros(1, dtype=int)
    for bbox in gts:
        num_gts[0] += bbox.shape[0]
    cls_dets = np.vstack(dets)
    num_dets = cls_dets.shape[0]
    sort_inds = np.argsort(-cls_dets[:, -1])
    tp = np.hstack(tp)[np.newaxis, :][:, sort_inds]
    fp = np.hstack(fp)[np.newaxis, :][:, sort_inds]
    tp = np.cumsum(tp, axis=1)
    fp = np.cumsum(fp, axis=1)
    eps = np.finfo(np.float32).eps
    recalls = tp / np.maximum(num_gts[:, np.newaxis], eps)
    precisions = tp / np.maximum((tp + fp), eps)
    recalls, precisions = recalls[0, :], precisions[0, :]
    ap = average_precision(recalls, precisions, "area" if not use_07_metric else "11points")
    return {"num_gts": num_gts.item(), "num_dets": num_dets, "recall": recalls,
            "precision": precisions, "ap": ap}


# --------------------------------------------------------------- Ultralytics


def _sq(x):
    """torch's pow(2): x * x (Python's x ** 2 calls pow(), which can be
    off by an ulp)."""
    return x * x


def _log(x):
    """torch's log: -inf at 0, NaN below (math.log raises there)."""
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _covariance(b):
    a = _sq(float(b[2])) / 12
    bb = _sq(float(b[3])) / 12
    cos, sin = math.cos(float(b[4])), math.sin(float(b[4]))
    cos2, sin2 = _sq(cos), _sq(sin)
    return a * cos2 + bb * sin2, a * sin2 + bb * cos2, (a - bb) * cos * sin


def batch_probiou(obb1, obb2, eps=1e-7):
    """(N, M) batch_probiou(obb1, obb2): obb1 the GT, obb2 the predictions."""
    out = np.zeros((len(obb1), len(obb2)))
    for i, p in enumerate(obb1):
        x1, y1 = float(p[0]), float(p[1])
        a1, b1, c1 = _covariance(p)
        for j, q in enumerate(obb2):
            x2, y2 = float(q[0]), float(q[1])
            a2, b2, c2 = _covariance(q)
            t1 = (((a1 + a2) * _sq(y1 - y2) + (b1 + b2) * _sq(x1 - x2))
                  / ((a1 + a2) * (b1 + b2) - _sq(c1 + c2) + eps)) * 0.25
            t2 = (((c1 + c2) * (x2 - x1) * (y1 - y2))
                  / ((a1 + a2) * (b1 + b2) - _sq(c1 + c2) + eps)) * 0.5
            t3 = _log(((a1 + a2) * (b1 + b2) - _sq(c1 + c2))
                          / (4 * math.sqrt(max(a1 * b1 - _sq(c1), 0.0)
                                           * max(a2 * b2 - _sq(c2), 0.0)) + eps) + eps) * 0.5
            bd = min(max(t1 + t2 + t3, eps), 100.0)
            hd = math.sqrt(1.0 - math.exp(-bd) + eps)
            out[i, j] = 1 - hd
    return out
