"""Transcriptions (written for the tests) of two tools' confusion-matrix
loops, in detap's layout (rows true class, columns predicted; index K the
background).

- ``hotcoco_coco``: hotcoco's ``COCOeval.confusion_matrix`` per image:
  crowd GT dropped, detections with score >= min_score sorted by
  descending score (ties: input order here) and cut at max_det, matched
  class-agnostically with pycocotools' greedy loop.
- ``ultralytics_process_batch``: ``ConfusionMatrix.process_batch`` of
  ultralytics 8.x (detect task) on one image, with torch replaced by numpy
  (float64), its matrix transposed into detap's layout.
"""
import numpy as np


def _bbiou(d, g):
    """pycocotools' bbIou of xywh boxes (not crowd)."""
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    if w <= 0:
        return 0.0
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if h <= 0:
        return 0.0
    i = w * h
    return i / (d[2] * d[3] + g[2] * g[3] - i)


def hotcoco_coco(scene, iou=0.5, min_score=0.0, max_det=100):
    K = len(scene.classes)
    m = np.zeros((K + 1, K + 1), np.int64)
    for im in range(scene.n_images):
        gts = [(b, k) for b, i, k, ig in zip(scene.gt_box.tolist(), scene.gt_image.tolist(),
                                             scene.gt_label.tolist(), scene.gt_ignore.tolist())
               if i == im and not ig]
        dts = [(s, b, k) for b, i, k, s in zip(scene.dt_box.tolist(), scene.dt_image.tolist(),
                                               scene.dt_label.tolist(), scene.dt_score.tolist())
               if i == im and s >= min_score]
        dts.sort(key=lambda x: -x[0])
        dts = dts[:max_det]
        taken = [False] * len(gts)
        for s, b, k in dts:
            best, j = min(iou, 1 - 1e-10), -1
            for g, (gb, gk) in enumerate(gts):
                if taken[g]:
                    continue
                v = _bbiou(b, gb)
                if v < best:
                    continue
                best, j = v, g
            if j >= 0:
                taken[j] = True
                m[gts[j][1], k] += 1
            else:
                m[K, k] += 1
        for g, (gb, gk) in enumerate(gts):
            if not taken[g]:
                m[gk, K] += 1
    return m


def ultralytics_process_batch(matrix, nc, conf, iou_thres, detections, gt_bboxes, gt_cls):
    """One call of process_batch; ``matrix`` in Ultralytics' layout
    [predicted, true]; detections (N, 6) x1 y1 x2 y2 conf class, or for
    its OBB task (N, 7) cx cy w h conf class angle against (M, 5) GT
    [cx, cy, w, h, angle], compared by batch_probiou as it does."""
    if gt_cls.shape[0] == 0:
        detections = detections[detections[:, 4] > conf]
        for dc in detections[:, 5].astype(int):
            matrix[dc, nc] += 1
        return
    detections = detections[detections[:, 4] > conf]
    gt_classes = gt_cls.astype(int)
    detection_classes = detections[:, 5].astype(int)
    is_obb = detections.shape[1] == 7 and gt_bboxes.shape[1] == 5
    if is_obb:
        from tests.reference_rotated import batch_probiou
        iou = batch_probiou(gt_bboxes, np.concatenate([detections[:, :4], detections[:, -1:]], 1))
    else:
        a1, a2 = gt_bboxes[:, None, :2], gt_bboxes[:, None, 2:]
        b1, b2 = detections[None, :, :2], detections[None, :, 2:4]
        inter = (np.minimum(a2, b2) - np.maximum(a1, b1)).clip(0).prod(2)
        iou = inter / ((a2 - a1).prod(2) + (b2 - b1).prod(2) - inter + 1e-7)
    x = np.nonzero(iou > iou_thres)
    if x[0].shape[0]:
        matches = np.concatenate((np.stack(x, 1), iou[x[0], x[1]][:, None]), 1)
        if x[0].shape[0] > 1:
            matches = matches[matches[:, 2].argsort()[::-1]]
            matches = matches[np.unique(matches[:, 1], return_index=True)[1]]
            matches = matches[matches[:, 2].argsort()[::-1]]
            matches = matches[np.unique(matches[:, 0], return_index=True)[1]]
    else:
        matches = np.zeros((0, 3))
    n = matches.shape[0] > 0
    m0, m1, _ = matches.transpose().astype(int)
    for i, gc in enumerate(gt_classes):
        j = m0 == i
        if n and sum(j) == 1:
            matrix[detection_classes[m1[j]], gc] += 1
        else:
            matrix[nc, gc] += 1
    if n:
        for i, dc in enumerate(detection_classes):
            if not any(m1 == i):
                matrix[dc, nc] += 1


def ultralytics_matrix(scene, conf=0.25, iou_thres=0.45):
    """Ultralytics' matrix of a scene (of rotated boxes: its OBB task's)."""
    K = len(scene.classes)
    mat = np.zeros((K + 1, K + 1))
    obb = scene.shapes is not None and scene.shapes.kind == "obb"
    for im in range(scene.n_images):
        gsel = (scene.gt_image == im) & ~scene.gt_ignore
        dsel = scene.dt_image == im
        if obb:
            g = scene.shapes.gt[gsel]
            d = scene.shapes.dt[dsel]
            det = np.concatenate([d[:, :4], scene.dt_score[dsel][:, None],
                                  scene.dt_label[dsel][:, None], d[:, 4:]], 1).reshape(-1, 7)
            ultralytics_process_batch(mat, K, conf, iou_thres, det, g.reshape(-1, 5),
                                      scene.gt_label[gsel].astype(float))
            continue
        g = scene.gt_box[gsel].copy()
        g[:, 2:] += g[:, :2]
        d = scene.dt_box[dsel].copy()
        d[:, 2:] += d[:, :2]
        det = np.concatenate([d, scene.dt_score[dsel][:, None], scene.dt_label[dsel][:, None]], 1)
        ultralytics_process_batch(mat, K, conf, iou_thres, det, g, scene.gt_label[gsel].astype(float))
    return mat.T.astype(np.int64)
