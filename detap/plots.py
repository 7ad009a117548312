"""PNG figures of an ``EvalResult`` (needs the ``[plot]`` extra, matplotlib).

Per result (``plot_result`` writes them all into one directory):

- ``pr_curves.png``          PR curves of all classes overlaid: the 3 best,
                             the median and the 3 worst classes by AP in
                             colour and named, the rest grey
- ``pr/NNN_<name>.png``      one PR curve per class (NNN: evaluation order,
                             <name>: the class name reduced to [A-Za-z0-9._-])
- ``ap_per_class.png``       AP per class, horizontal bars best first, mAP line
- ``counts_per_class.png``   GT, TP and FP per class, grouped horizontal bars
- ``ap_vs_annotations.png``  AP against number of annotations  \\  scatter,
- ``ap_vs_area.png``         AP against mean box area (log x)    > Pearson r in
- ``ap_vs_aspect.png``       AP against mean aspect ratio       /  the title
- ``f1_vs_confidence.png``   F1 against confidence, classes overlaid

The two bar charts name every class: past ``PAGE_CLASSES`` classes they are
split into pages of equal size, ``ap_per_class_p01.png``, ... (``page_files``),
and a page's height grows with its class count (``png_size(kind, n)``).
Scatter labels are a non-overlapping subset (``detap.label_layout``).

``compare.png`` (``plot_compare``, ``detap.plots_compare``): mAP per run and
the per-class AP heatmap across runs.  Every function returns the paths it
wrote.

Every number drawn comes from the result object; the only things computed
here are the Pearson coefficients of the per-class analysis (``correlation``)
and the F1 curves from each class's precision/recall arrays.  ``correlation``
and the file-name helpers need numpy only, so text reports can use them
without matplotlib.
"""
import math
import os
import re

import numpy as np

from .label_layout import place_labels
from .plot_base import (DPI, MISSING_MESSAGE, arr, classes_union, header, mpl_text, new_figure,
                        pct, png_file_size, require_mpl, save, style)
from . import plots_compare
from .plots_compare import plot_compare
from .result import f1_score

__all__ = ["available", "MISSING_MESSAGE", "DPI", "SIZES", "FILES", "TITLES", "png_size",
           "png_file_size", "page_files", "pages", "PAGE_CLASSES", "class_plot_name",
           "correlation", "STATS", "f1_curve", "plot_result", "plot_figures", "plot_pr_curves",
           "plot_ap_bars", "plot_counts", "plot_ap_vs_stats", "plot_f1_confidence",
           "plot_compare", "highlighted", "missing_note", "classes_union"]

#: figure kind -> (width, height) in inches; pixels are these times DPI.  For
#: the bar charts and the compare figure the height is the least one; it
#: grows with the class count (``figure_size``).
SIZES = {
    "pr_class": (5.0, 4.0),
    "pr_all": (9.5, 6.0),
    "ap_bars": (10.0, 3.0),
    "counts": (10.0, 3.0),
    "ap_vs_annotations": (7.0, 5.0),
    "ap_vs_area": (7.0, 5.0),
    "ap_vs_aspect": (7.0, 5.0),
    "f1_confidence": (9.5, 6.0),
    "compare": plots_compare.SIZE,
}
#: inches per class row, and inches for title, axis and legend, of the
#: figures whose height follows the class count
ROW_INCHES = {"ap_bars": (0.2, 1.4), "counts": (0.3, 1.6), "compare": plots_compare.ROW_INCHES}
#: figure kind -> file name (per-class PR curves go to ``pr/`` instead).
FILES = {
    "pr_all": "pr_curves.png",
    "ap_bars": "ap_per_class.png",
    "counts": "counts_per_class.png",
    "ap_vs_annotations": "ap_vs_annotations.png",
    "ap_vs_area": "ap_vs_area.png",
    "ap_vs_aspect": "ap_vs_aspect.png",
    "f1_confidence": "f1_vs_confidence.png",
    "compare": plots_compare.FILE,
}
#: figure kind -> caption, for the reports.
TITLES = {
    "pr_all": "Precision-recall curves, all classes",
    "pr_class": "Precision-recall curve",
    "ap_bars": "AP per class",
    "counts": "GT, TP and FP per class",
    "ap_vs_annotations": "AP vs number of annotations",
    "ap_vs_area": "AP vs mean box area",
    "ap_vs_aspect": "AP vs mean aspect ratio",
    "f1_confidence": "F1 vs confidence",
    "compare": "mAP and per-class AP across runs",
}
#: the per-class analysis: kind -> (ClassReport attribute, axis label, log x,
#: name of the variable r is taken against)
STATS = {
    "ap_vs_annotations": ("n_annotations", "annotations per class", False, "annotations"),
    "ap_vs_area": ("mean_area", "mean GT box area (px², log scale)", True, "log10 area"),
    "ap_vs_aspect": ("mean_aspect", "mean GT aspect ratio (width / height)", False, "aspect"),
}

PAGE_CLASSES = 40   # most classes on one page of a bar chart
N_EXTREMES = 3      # best and worst classes named in overlaid curves (plus the median)
MAX_LABELS = 24     # most labelled points of a scatter (extremes first)


def available():
    """True when matplotlib can be imported."""
    try:
        require_mpl()
    except ImportError:
        return False
    return True


def figure_size(kind, n_classes=None):
    """(width, height) in inches of figure ``kind``; for "ap_bars", "counts"
    (a page of ``n_classes`` rows) and "compare" (``n_classes`` heatmap rows)
    the height grows with ``n_classes``."""
    w, h = SIZES[kind]
    if kind in ROW_INCHES and n_classes is not None:
        row, fixed = ROW_INCHES[kind]
        h = max(h, fixed + row * n_classes)
    return w, h


def png_size(kind, n_classes=None):
    """(width, height) in pixels of the PNG of figure ``kind`` (``figure_size``)."""
    w, h = figure_size(kind, n_classes)
    return int(round(w * DPI)), int(round(h * DPI))


def pages(names, per_page=PAGE_CLASSES):
    """``names`` cut into the fewest pages of at most ``per_page``, all of
    (nearly) equal length; [[]] for no names."""
    n = len(names)
    k = max(1, math.ceil(n / per_page))
    size = math.ceil(n / k) if n else 0
    return [list(names[i * size:(i + 1) * size]) for i in range(k)] if n else [[]]


def page_files(kind, n_pages):
    """File names of the ``n_pages`` pages of bar chart ``kind``: ``FILES[kind]``
    for one page, else ``<stem>_p01.png``, ``<stem>_p02.png``, ..."""
    if n_pages == 1:
        return [FILES[kind]]
    stem = FILES[kind][:-len(".png")]
    width = max(2, len(str(n_pages)))
    return [f"{stem}_p{j + 1:0{width}d}.png" for j in range(n_pages)]


def class_plot_name(index, n_classes, name):
    """File name of class ``index``'s PR curve.  The index prefix keeps names
    unique when sanitizing maps two classes to the same text."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:60] or "class"
    return f"{index:0{max(3, len(str(max(n_classes - 1, 0))))}d}_{safe}.png"


def correlation(result, kind):
    """Pearson r between AP and a per-class statistic (``kind`` in ``STATS``).

    Classes whose AP or statistic is not finite are left out; for the box
    area, whose plot has a log x axis, r is taken against log10(area) (areas
    <= 0 left out).  Returns (r, n): r is None ("n/a") with fewer than two
    classes or when either variable is constant.
    """
    _, x, y = _stat_points(result, kind)
    return _pearson(x, y, STATS[kind][2])


def _pearson(x, y, log):
    """``correlation`` of points already chosen by ``_stat_points`` (a scatter
    plot has them at hand)."""
    if log:
        x = np.log10(x)
    n = len(x)
    if n < 2:
        return None, n
    dx = x - x.mean()
    dy = y - y.mean()
    sxx, syy = float(dx @ dx), float(dy @ dy)
    if sxx == 0.0 or syy == 0.0:
        return None, n
    return float(np.clip((dx @ dy) / np.sqrt(sxx * syy), -1.0, 1.0)), n


def f1_curve(report):
    """(scores, f1) of one ClassReport, F1 = 2PR/(P+R) after each detection
    (0 where P+R is 0 or undefined; ``detap.result.f1_score``)."""
    return arr(report.scores), f1_score(arr(report.precision), arr(report.recall))


def highlighted(result, classes=None, n_extremes=N_EXTREMES):
    """The classes an overlay names, best AP first: all of them when there
    are at most 2 * ``n_extremes`` + 1, else the ``n_extremes`` best, the
    median and the ``n_extremes`` worst by AP (classes without AP never;
    ``classes``: the candidates, default all).  Extremes show the spread;
    a "top 10" is often ten flat lines at precision 1."""
    order = [c for c in _ap_order(result) if np.isfinite(float(result.per_class[c].ap))
             and (classes is None or c in classes)]
    if len(order) <= 2 * n_extremes + 1:
        return order
    return order[:n_extremes] + [order[len(order) // 2]] + order[-n_extremes:]


def missing_note(result, classes=None):
    """Why a figure of ``classes`` (default all) has no curve, saying what
    is really missing: detections, ground truth, or both on the same class."""
    classes = result.classes if classes is None else classes
    gt = sum(int(result.per_class[c].n_gt) for c in classes)
    dets = sum(int(result.per_class[c].n_det) for c in classes)
    if gt == 0 and dets == 0:
        return "no ground truth and no detections"
    if dets == 0:
        return f"no detections: all {gt} GT boxes missed"
    if gt == 0:
        return (f"no ground truth: {dets} detections, all false positives\n"
                "(AP undefined)")
    return (f"no class has both GT and detections\n({gt} GT boxes missed, "
            f"{dets} detections all false positives)")


# ------------------------------------------------------------------ plumbing

def _ap_order(result):
    """Classes by AP, best first; NaN last; ties keep evaluation order."""
    def key(c):
        ap = float(result.per_class[c].ap)
        return (0, -ap) if np.isfinite(ap) else (1, 0.0)
    return sorted(result.classes, key=key)


def _stat_points(result, kind):
    attr, _, log, _ = STATS[kind]
    names, xs, ys = [], [], []
    for c in result.classes:
        r = result.per_class[c]
        x, y = float(getattr(r, attr)), float(r.ap)
        if np.isfinite(x) and np.isfinite(y) and (x > 0 or not log):
            names.append(c)
            xs.append(x)
            ys.append(y)
    return names, np.asarray(xs, np.float64), np.asarray(ys, np.float64)


def _pr_points(report):
    r, p = arr(report.recall), arr(report.precision)
    n = min(len(r), len(p))
    r, p = r[:n], p[:n]
    ok = np.isfinite(r) & np.isfinite(p)
    return r[ok], p[ok]


def _legend_outside(ax, rest, title):
    """The named lines' legend right of the axes (never over a curve), plus
    one grey entry for ``rest`` unnamed classes."""
    handles, labels = ax.get_legend_handles_labels()
    if rest:
        (h,) = ax.plot([], [], lw=0.7, color="0.7")
        handles, labels = handles + [h], labels + [f"{rest} other classes"]
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  title=title, borderaxespad=0.0)
    return bool(handles)


def _overlay_title(result, named):
    n = len([c for c in result.classes if np.isfinite(float(result.per_class[c].ap))])
    if len(named) >= n:
        return "by AP"
    return f"{N_EXTREMES} best, median, {N_EXTREMES} worst by AP"


def _named_line(k):
    """Line style of the k-th named class of an overlay: its own colour,
    and every other line dashed and thinner, so ties (often several flat
    lines at precision 1) stay visible on top of each other."""
    return dict(color=f"C{k}", zorder=3 + k / 10, lw=2.4 if k % 2 == 0 else 1.6,
                ls="-" if k % 2 == 0 else (0, (4, 2)))


def _note(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            bbox=dict(boxstyle="round", fc="white", ec="0.6"))


# ------------------------------------------------------------------ figures

def plot_pr_curves(result, out_dir):
    """``pr_curves.png`` (overlay) and ``pr/NNN_<class>.png`` per class.

    The overlay names the classes of ``highlighted`` (best, median, worst by
    AP), marks where each named curve ends, and pads the frame so curves at
    precision 1 or recall 0 are not hidden in the axes' edge."""
    require_mpl()
    paths = []
    os.makedirs(os.path.join(out_dir, "pr"), exist_ok=True)
    with style():
        fig = new_figure(figure_size("pr_all"))
        ax = fig.add_subplot()
        named = highlighted(result)
        rest = 0
        for c in result.classes:
            if c in named:
                continue
            r, p = _pr_points(result.per_class[c])
            if len(r):
                ax.plot(r, p, lw=0.7, color="0.75", zorder=2)
                rest += 1
        for k, c in enumerate(named):
            r, p = _pr_points(result.per_class[c])
            if len(r):
                (line,) = ax.plot(r, p, **_named_line(k),
                                  label=f"{mpl_text(c)} (AP {pct(result.per_class[c].ap)})")
                ax.plot(r[-1:], p[-1:], "o", ms=5, color=line.get_color(), zorder=4)
        if not _legend_outside(ax, rest, _overlay_title(result, named)):
            _note(ax, missing_note(result))
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.06), xlabel="recall", ylabel="precision",
               title=f"Precision-recall ({mpl_text(header(result), 0)})")
        ax.grid(alpha=0.3)
        paths.append(save(fig, os.path.join(out_dir, FILES["pr_all"])))

        n = len(result.classes)
        for i, c in enumerate(result.classes):
            rep = result.per_class[c]
            fig = new_figure(figure_size("pr_class"))
            ax = fig.add_subplot()
            r, p = _pr_points(rep)
            if len(r):
                ax.plot(r, p, lw=1.6, color="C0", label="precision after each detection")
            if np.isfinite(float(rep.f1_recall)) and np.isfinite(float(rep.f1_precision)):
                ax.plot([rep.f1_recall], [rep.f1_precision], "o", color="C3",
                        label=f"best F1 {float(rep.f1):.3f} at conf {float(rep.f1_confidence):.4g}")
            if not len(r):
                _note(ax, missing_note(result, [c]))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="lower left")
            # the counts go in the title: inside the frame they would cover
            # curves that end at recall 1, precision 1
            ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.06), xlabel="recall", ylabel="precision")
            ax.set_title(f"{mpl_text(c, 40)}: AP {pct(rep.ap)}\nGT {int(rep.n_gt)}, "
                         f"dets {int(rep.n_det)}, TP {int(rep.tp)}, FP {int(rep.fp)}",
                         fontsize=10)
            ax.grid(alpha=0.3)
            paths.append(save(fig, os.path.join(out_dir, "pr", class_plot_name(i, n, c))))
    return paths


def _page_title(what, result, page, n_pages, first, count, total):
    title = f"{what} ({mpl_text(header(result), 0)})"
    if n_pages > 1:
        title += f"\npage {page + 1} of {n_pages}: classes {first + 1}-{first + count} of {total}"
    return title


def _class_axis(ax, names):
    """Class names on the y axis, first at the top."""
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels([mpl_text(c, 40) for c in names], fontsize=8)
    ax.set_ylim(len(names) - 0.5, -0.5)


def _paged_bars(result, out_dir, kind, order, what, draw):
    """Bar chart ``kind`` of the classes ``order`` on ``pages``, one PNG per
    page (``page_files``): ``draw(ax, names)`` draws a page's bars; the
    class axis, title and grid are set here.  Returns the paths."""
    chunks = pages(order)
    paths, first = [], 0
    with style():
        for j, (names, fname) in enumerate(zip(chunks, page_files(kind, len(chunks)))):
            fig = new_figure(figure_size(kind, len(names)))
            ax = fig.add_subplot()
            draw(ax, names)
            _class_axis(ax, names)
            ax.set_title(_page_title(what, result, j, len(chunks), first, len(names),
                                     len(order)))
            if not names:
                _note(ax, "no classes")
            ax.grid(axis="x", alpha=0.3)
            paths.append(save(fig, os.path.join(out_dir, fname)))
            first += len(names)
    return paths


def plot_ap_bars(result, out_dir):
    """``ap_per_class.png`` (or pages ``ap_per_class_pNN.png``): AP per class
    as horizontal bars, best first, each class named, its AP written at the
    bar's end and the mAP as a line.  Classes without AP come last, marked
    "no AP"."""
    require_mpl()

    def draw(ax, names):
        aps = np.array([100 * float(result.per_class[c].ap) for c in names])
        y = np.arange(len(names))
        ok = np.isfinite(aps)
        ax.barh(y[ok], aps[ok], color="C0", height=0.7)
        for yi, v in zip(y, aps):
            ax.text(v + 0.8 if np.isfinite(v) else 0.8, yi,
                    f"{v:.1f}" if np.isfinite(v) else "no AP (no GT)",
                    va="center", fontsize=7, color="0.2" if np.isfinite(v) else "C3",
                    zorder=4, bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none",
                                        alpha=0.8))
        if np.isfinite(float(result.map)):
            ax.axvline(100 * float(result.map), color="C3", ls="--", lw=1.2,
                       label=f"mAP {pct(result.map)}")
            ax.legend(loc="lower right")
        ax.set(xlim=(0, 108), xlabel="AP (%)")
    return _paged_bars(result, out_dir, "ap_bars", _ap_order(result),
                       "AP per class, best first", draw)


def plot_counts(result, out_dir):
    """``counts_per_class.png`` (or pages ``counts_per_class_pNN.png``): GT,
    TP and FP per class as grouped horizontal bars in evaluation order, on
    one count axis shared by all pages."""
    require_mpl()
    from matplotlib.ticker import MaxNLocator
    series = (("n_gt", "GT", "0.45"), ("tp", "TP", "C2"), ("fp", "FP", "C3"))
    top = max([int(getattr(result.per_class[c], a)) for c in result.classes
               for a, _, _ in series] + [1])

    def draw(ax, names):
        y = np.arange(len(names))
        h = 0.27
        for k, (attr, label, color) in enumerate(series):
            ax.barh(y + (k - 1) * h, [int(getattr(result.per_class[c], attr)) for c in names],
                    h, label=label, color=color)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlim=(0, top * 1.02), xlabel="count")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return _paged_bars(result, out_dir, "counts", list(result.classes),
                       "GT, true and false positives per class", draw)


def _label_priority(names, xs, ys):
    """Point indices, most worth a label first: the worst and best APs, the
    smallest and largest x, then the others by distance from the median AP."""
    n = len(names)
    by_ap = list(np.argsort(ys, kind="stable"))
    by_x = list(np.argsort(xs, kind="stable"))
    head = []
    for i in by_ap[:3] + by_ap[::-1][:3] + by_x[:1] + by_x[-1:]:
        if int(i) not in head:
            head.append(int(i))
    med = float(np.median(ys)) if n else 0.0
    rest = sorted((i for i in range(n) if i not in head), key=lambda i: -abs(ys[i] - med))
    return head + rest


def plot_ap_vs_stats(result, out_dir):
    """``ap_vs_annotations.png``, ``ap_vs_area.png``, ``ap_vs_aspect.png``:
    does a class's AP follow its annotation count, box size or shape?  The
    Pearson r is in the title (never over the points); the labelled classes
    are the extremes and as many others as fit without overlap."""
    require_mpl()
    paths = []
    with style():
        for kind, (attr, xlabel, log, what) in STATS.items():
            fig = new_figure(figure_size(kind))
            ax = fig.add_subplot()
            names, xs, ys = _stat_points(result, kind)
            ax.scatter(xs, 100 * ys, s=24, color="C0", zorder=3)
            if log:
                ax.set_xscale("log")
            r, n = _pearson(xs, ys, log)
            stat = f"Pearson r(AP, {what}) = " + (f"{r:+.3f}" if r is not None else "n/a")
            ax.set(ylim=(-4, 106), xlabel=xlabel, ylabel="AP (%)")
            ax.margins(x=0.08)
            title = f"{TITLES[kind]} ({mpl_text(header(result), 0)})\n{stat} over {n} classes"
            ax.set_title(title, fontsize=10)
            ax.grid(alpha=0.3)
            fig.canvas.draw()   # the final layout, so label extents are known
            done = place_labels(ax, xs, 100 * ys, [mpl_text(c, 20) for c in names],
                                _label_priority(names, xs, ys), limit=MAX_LABELS)
            if len(done) < len(names):
                # same number of lines as before, so the layout does not move
                ax.set_title(title + f", {len(done)} labelled (extremes first)",
                             fontsize=10)
            if not names:
                _note(ax, "no class has both an AP and this statistic")
            paths.append(save(fig, os.path.join(out_dir, FILES[kind])))
    return paths


def plot_f1_confidence(result, out_dir):
    """``f1_vs_confidence.png``: each class's F1 as the confidence threshold
    moves, with the best-F1 point the result reports; the classes of
    ``highlighted`` in colour (classes without GT have no F1 and are left
    out)."""
    require_mpl()
    with style():
        fig = new_figure(figure_size("f1_confidence"))
        ax = fig.add_subplot()
        with_gt = [c for c in result.classes if int(result.per_class[c].n_gt) > 0]
        named = highlighted(result, set(with_gt))
        rest = 0
        for c in with_gt:
            s, f1 = f1_curve(result.per_class[c])
            n = min(len(s), len(f1))
            if n and c not in named:
                ax.plot(s[:n], f1[:n], lw=0.7, color="0.75", zorder=2)
                rest += 1
        for k, c in enumerate(named):
            s, f1 = f1_curve(result.per_class[c])
            n = min(len(s), len(f1))
            if n == 0:
                continue
            (line,) = ax.plot(s[:n], f1[:n], **_named_line(k),
                              label=f"{mpl_text(c)} (AP {pct(result.per_class[c].ap)})")
            rep = result.per_class[c]
            if np.isfinite(float(rep.f1)) and np.isfinite(float(rep.f1_confidence)):
                ax.plot([rep.f1_confidence], [rep.f1], "o", ms=5, color=line.get_color(),
                        zorder=4)
        if not _legend_outside(ax, rest, _overlay_title(result, named) + "; dots: best F1"):
            _note(ax, missing_note(result))
        ax.set(ylim=(-0.02, 1.06), xlabel="confidence threshold", ylabel="F1",
               title=f"F1 vs confidence ({mpl_text(header(result), 0)})")
        ax.grid(alpha=0.3)
        return [save(fig, os.path.join(out_dir, FILES["f1_confidence"]))]


def plot_figures(result, out_dir):
    """Every per-result figure into ``out_dir`` (created); returns
    [(kind, path)], kind as in ``SIZES`` ("pr_class" for each class's PR
    curve, in evaluation order; "ap_bars" and "counts" once per page), so a
    report need not tell kinds from paths."""
    require_mpl()
    os.makedirs(out_dir, exist_ok=True)
    overlay, *per_class = plot_pr_curves(result, out_dir)
    return ([("pr_all", overlay)] + [("pr_class", p) for p in per_class]
            + [("ap_bars", p) for p in plot_ap_bars(result, out_dir)]
            + [("counts", p) for p in plot_counts(result, out_dir)]
            + list(zip(STATS, plot_ap_vs_stats(result, out_dir)))
            + [("f1_confidence", p) for p in plot_f1_confidence(result, out_dir)])


def plot_result(result, out_dir):
    """Every per-result figure into ``out_dir`` (created); returns the paths."""
    return [p for _, p in plot_figures(result, out_dir)]
