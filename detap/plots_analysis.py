"""The analysis' figures (``detap.analysis.Analysis``): the confusion
matrix heatmap, TIDE's error bars and the reliability diagram.

The heatmap shows each true class's row normalised by its GT count (the
share of its objects predicted as each class, background last) on a
logarithmic colour scale, so rare confusions stay visible next to the
diagonal; its size grows with the class count (labels stay readable at 80
classes: ``HEATMAP_INCHES_PER_CLASS``), and the report lists the largest
confusions as a table.
"""
import os

import numpy as np

from .plot_base import mpl_text, new_figure, require_mpl, save, style

__all__ = ["ANALYSIS_FILES", "ANALYSIS_TITLES", "plot_analysis", "plot_confusion", "plot_tide",
           "plot_reliability", "HEATMAP_INCHES_PER_CLASS"]

ANALYSIS_FILES = {"confusion": "confusion_matrix.png", "tide": "tide_errors.png",
                  "reliability": "reliability.png"}
ANALYSIS_TITLES = {"confusion": "Confusion matrix (rows: true class, share of its objects; log colour)",
                   "tide": "TIDE: AP points gained by fixing each error type",
                   "reliability": "Reliability diagram (calibration of confidence)"}
HEATMAP_INCHES_PER_CLASS = 0.16


def plot_confusion(cm, path, similarity="IoU"):
    """The heatmap of a ``ConfusionMatrix``: rows true (then background:
    the false positives, normalised by their total), columns predicted
    (then background: the misses)."""
    from matplotlib.colors import LogNorm
    m = np.asarray(cm.matrix, np.float64)
    K = len(cm.classes)
    rows = m.sum(1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    side = max(6.0, 2.6 + HEATMAP_INCHES_PER_CLASS * (K + 1))
    fig = new_figure((side + 1.2, side))
    ax = fig.add_subplot()
    shown = np.where(share > 0, share, np.nan)
    im = ax.imshow(shown, cmap="viridis", norm=LogNorm(vmin=max(1e-4, np.nanmin(shown) if
                                                                  np.isfinite(shown).any() else 1e-4),
                                                       vmax=1.0),
                   interpolation="nearest", aspect="equal")
    ax.set_facecolor("#f2f2f2")
    names = [mpl_text(c, 18) for c in cm.classes] + ["background"]
    size = 9 if K <= 20 else (7 if K <= 50 else 5.5)
    ax.set_xticks(range(K + 1), names, rotation=90, fontsize=size)
    ax.set_yticks(range(K + 1), names, fontsize=size)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.axhline(K - 0.5, color="white", lw=1)
    ax.axvline(K - 0.5, color="white", lw=1)
    if K <= 20:   # counts in the cells when they fit
        for i, j in zip(*np.nonzero(m)):
            ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=6,
                    color="white" if share[i, j] < 0.3 else "black")
    ax.set_title(f"Confusion matrix ({cm.convention}, {similarity} {cm.iou:g}, score >= {cm.score:g})")
    fig.colorbar(im, ax=ax, shrink=0.6, label="share of the row")
    return save(fig, path)


def plot_tide(tide, path):
    """TIDE's main and special dAP as horizontal bars (AP points)."""
    from .analysis.tide import MAIN_ERRORS, SPECIAL_ERRORS
    fig = new_figure((8.0, 4.2))
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[3, 1.4])
    colors = ["#e4572e", "#29335c", "#f3a712", "#a8c686", "#669bbc", "#8e7dbe"]
    vals = [float(tide["main"][k]) for k in MAIN_ERRORS]
    ax1.barh(range(6), vals, color=colors)
    ax1.set_yticks(range(6), [f"{k} ({tide['counts'][k]})" for k in MAIN_ERRORS])
    ax1.invert_yaxis()
    ax1.set_xlabel("dAP (AP points)")
    ax1.set_title(f"main errors (AP {tide['ap']:.2f})")
    for i, v in enumerate(vals):
        ax1.text(v, i, f" {v:.2f}", va="center", fontsize=8)
    sv = [float(tide["special"][k]) for k in SPECIAL_ERRORS]
    ax2.bar(range(2), sv, color=["#c0c0c0", "#707070"])
    ax2.set_xticks(range(2), list(SPECIAL_ERRORS))
    ax2.set_title("special")
    for i, v in enumerate(sv):
        ax2.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    top = max(vals + sv + [1.0])
    ax1.set_xlim(0, top * 1.15)
    ax2.set_ylim(min(0, min(sv)), top * 1.15)
    return save(fig, path)


def plot_reliability(cal, path):
    """Accuracy against mean confidence per bin, with the bins' counts."""
    fig = new_figure((6.0, 6.0))
    ax, axc = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    width = cal.hi - cal.lo
    full = cal.count > 0
    ax.bar(cal.lo[full], np.nan_to_num(cal.accuracy[full]), width=width[full], align="edge",
           color="#4c78a8", edgecolor="white", label="accuracy (TP share)")
    ax.bar(cal.lo[full], np.nan_to_num(cal.confidence[full] - cal.accuracy[full]),
           bottom=np.nan_to_num(cal.accuracy[full]), width=width[full], align="edge",
           color="#e45756", alpha=0.35, label="gap to mean confidence")
    ax.plot([0, 1], [0, 1], color="black", lw=1, ls="--", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(f"ECE {cal.ece:.4f}, MCE {cal.mce:.4f} ({cal.n_detections} detections)")
    ax.legend(loc="upper left", fontsize=8)
    axc.bar(cal.lo, cal.count, width=width, align="edge", color="#999999", edgecolor="white")
    axc.set_ylabel("detections")
    axc.set_xlabel("confidence")
    return save(fig, path)


def plot_analysis(analysis, out_dir):
    """The three figures of an ``Analysis`` in ``out_dir``: [(kind, path)]."""
    require_mpl()
    os.makedirs(out_dir, exist_ok=True)
    out = []
    with style():
        out.append(("tide", plot_tide(analysis.tide, os.path.join(out_dir, ANALYSIS_FILES["tide"]))))
        out.append(("confusion", plot_confusion(analysis.confusion,
                                                os.path.join(out_dir, ANALYSIS_FILES["confusion"]),
                                                analysis.similarity)))
        if analysis.calibration is not None:
            out.append(("reliability", plot_reliability(
                analysis.calibration, os.path.join(out_dir, ANALYSIS_FILES["reliability"]))))
    return out
