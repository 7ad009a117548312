"""Per-image results: TP / FP / FN counts and AP of each image, from TIDE's
per-image pass at the evaluation IoU (see ``calibration`` for what counts
as a true positive).

``ap`` is the image's own AP in AP points (0-100): its scored detections
ranked by score against its GT, with tidecv's 101-point AP; 100 for an
image with neither GT nor detections, 0 for one with detections and no GT
(hotcoco's per-image convention).  ``worst(n)`` lists the images of lowest
AP, more errors (FP + FN) first among equal AP.
"""
from dataclasses import dataclass

import numpy as np

from .tide import grouped_ap, segment_ap

__all__ = ["ImageResults", "image_results"]


@dataclass
class ImageResults:
    """Per image (I,): tp, fp, fn, n_gt (not ignored), ap (AP points)."""
    names: list
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    n_gt: np.ndarray
    ap: np.ndarray

    def worst(self, n=20):
        """Indices of the ``n`` worst images."""
        order = np.lexsort((np.arange(len(self.ap)), -(self.fp + self.fn), self.ap))
        return order[:n]

    def row(self, i):
        return {"image": self.names[i], "tp": int(self.tp[i]), "fp": int(self.fp[i]),
                "fn": int(self.fn[i]), "n_gt": int(self.n_gt[i]), "ap": float(self.ap[i])}

    def to_dict(self, n_worst=20):
        return {"ap_units": "AP points (0-100), each image's own detections against its GT",
                "worst": [self.row(i) for i in self.worst(n_worst)],
                "tp": self.tp.tolist(), "fp": self.fp.tolist(), "fn": self.fn.tolist(),
                "names": [str(x) for x in self.names]}


def image_results(rec, n_images, names):
    """``ImageResults`` of TIDE records whose images are 0 .. n_images - 1."""
    ok = rec.dt_label != -1
    tp_d = rec.dt_label == 1
    tp = np.bincount(rec.dt_image[tp_d], minlength=n_images)
    fp = np.bincount(rec.dt_image[ok & ~tp_d], minlength=n_images)
    n_gt = np.bincount(rec.gt_image, minlength=n_images)
    fn = np.bincount(rec.gt_image[rec.gt_used == 0], minlength=n_images)
    di = rec.dt_image
    if np.all(di[1:] >= di[:-1]):   # (records in image order, as compute puts them: no grouping)
        off = np.zeros(n_images + 1, np.int64)
        np.cumsum(np.bincount(di, minlength=n_images), out=off[1:])
        ap, _ = grouped_ap(off, tp_d, n_gt, ok)
    else:
        ap, _ = segment_ap(di[ok], tp_d[ok], n_gt, n_images)
    ap = np.where((n_gt == 0) & (tp + fp == 0), 100.0, ap)
    return ImageResults(names=list(names), tp=tp, fp=fp, fn=fn, n_gt=n_gt, ap=ap)
