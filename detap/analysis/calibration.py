"""Calibration of detection confidence: expected and maximum calibration
error (ECE, MCE) and the reliability diagram's data.

Definitions (hotcoco's and vernier's): ``n_bins`` equal-width bins over
[0, 1]; a score s falls in bin ``min(floor(s * n_bins), n_bins - 1)`` (so
1.0 is in the last bin, and a bin holds [lo, hi) but the last [lo, 1]).
Per bin: count, mean confidence, accuracy (the fraction of true
positives).  ECE = sum over bins of count / N * |accuracy - confidence|;
MCE = the largest |accuracy - confidence| of a non-empty bin.  Scores
outside [0, 1] are refused (an ECE of logits means nothing).

Which detections and what "correct" means: detap's analysis uses TIDE's
per-image pass at the evaluation IoU (the image's top ``max_dets``
detections, a true positive matched a same-class GT at IoU >= the
threshold; detections on ignore regions are left out).  Sums run in the
records' canonical order, so merged runs give the same bits.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import DetapInputError

__all__ = ["Calibration", "NotConfidences", "calibration", "not_confidences"]


@dataclass
class Calibration:
    """ece, mce (fractions 0-1); per bin (n_bins,): lo, hi, count,
    confidence (mean score, NaN when empty), accuracy (NaN when empty)."""
    ece: float
    mce: float
    lo: np.ndarray
    hi: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    n_detections: int

    def to_dict(self):
        def num(a):
            return [_num(v) for v in a]
        return {"binning": f"{len(self.count)} equal-width bins over [0, 1], "
                           "bin = min(floor(score * n_bins), n_bins - 1)",
                "ece": _num(self.ece), "mce": _num(self.mce), "n_detections": self.n_detections,
                "bins": {"lo": self.lo.tolist(), "hi": self.hi.tolist(),
                         "count": self.count.tolist(), "confidence": num(self.confidence),
                         "accuracy": num(self.accuracy)}}


def _num(x):
    return float(x) if np.isfinite(x) else None


class NotConfidences(DetapInputError):
    """Scores that are not confidences in [0, 1] (logits, say)."""


def not_confidences(scores):
    """Why ``scores`` are not confidences in [0, 1] (the first that is not,
    NaN included), or None when they all are."""
    s = np.asarray(scores, np.float64).reshape(-1)
    bad = ~((s >= 0) & (s <= 1))
    if not bad.any():
        return None
    return (f"calibration needs confidences in [0, 1]; score {s[np.argmax(bad)]!r} is not "
            "(are these logits?)")


def calibration(scores, correct, n_bins=10):
    """``Calibration`` of scores (n,) in [0, 1] and correct (n,) bool."""
    if int(n_bins) != n_bins or n_bins < 1:
        raise DetapInputError(f"n_bins must be a positive whole number, got {n_bins!r}")
    n_bins = int(n_bins)
    s = np.asarray(scores, np.float64).reshape(-1)
    c = np.asarray(correct, bool).reshape(-1)
    if len(s) != len(c):
        raise DetapInputError(f"calibration: {len(s)} scores for {len(c)} outcomes")
    why = not_confidences(s)
    if why:
        raise NotConfidences(why)
    b = np.minimum(np.floor(s * n_bins), n_bins - 1).astype(np.int64)
    count = np.bincount(b, minlength=n_bins)
    sconf = np.bincount(b, weights=s, minlength=n_bins)
    sacc = np.bincount(b, weights=c.astype(np.float64), minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf, acc = sconf / count, sacc / count
    gap = np.abs(acc - conf)
    full = count > 0
    n = len(s)
    ece = float(np.sum(count[full] / n * gap[full])) if n else float("nan")
    mce = float(gap[full].max()) if full.any() else float("nan")
    edges = np.arange(n_bins + 1) / n_bins
    return Calibration(ece=ece, mce=mce, lo=edges[:-1], hi=edges[1:], count=count,
                       confidence=conf, accuracy=acc, n_detections=n)
