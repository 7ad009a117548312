"""PNG figures of an ``EvalResult`` (needs the ``[plot]`` extra, matplotlib).

Per result (``plot_result`` writes them all into one directory):

- ``pr_curves.png``          PR curves of all classes overlaid (top-N by AP
                             in the legend, the rest drawn grey)
- ``pr/NNN_<name>.png``      one PR curve per class (NNN: evaluation order,
                             <name>: the class name reduced to [A-Za-z0-9._-])
- ``ap_per_class.png``       AP per class, sorted bars, mAP line
- ``counts_per_class.png``   GT, TP and FP per class, grouped bars
- ``ap_vs_annotations.png``  AP against number of annotations  \\  scatter,
- ``ap_vs_area.png``         AP against mean box area (log x)    > class labels,
- ``ap_vs_aspect.png``       AP against mean aspect ratio       /  Pearson r
- ``f1_vs_confidence.png``   F1 against confidence, classes overlaid

and ``compare.png`` (``plot_compare``): mAP per run and per-class AP across
runs.  Every function returns the paths it wrote.

Every number drawn comes from the result object; the only things computed
here are the Pearson coefficients of the per-class analysis (``correlation``)
and the F1 curves from each class's precision/recall arrays.  ``correlation``
and the file-name helpers need numpy only, so text reports can use them
without matplotlib.

Figures have fixed sizes (``SIZES``, inches, at ``DPI``), so every PNG's
pixel size is known in advance: ``png_size(kind)``.
"""
import contextlib
import functools
import io
import os
import re
import warnings

import numpy as np

from .result import f1_score

__all__ = ["available", "MISSING_MESSAGE", "DPI", "SIZES", "FILES", "TITLES", "png_size",
           "class_plot_name", "correlation", "STATS", "f1_curve", "plot_result", "plot_figures",
           "plot_pr_curves", "plot_ap_bars", "plot_counts", "plot_ap_vs_stats",
           "plot_f1_confidence", "plot_compare"]

MISSING_MESSAGE = ("plots skipped: matplotlib is not installed "
                   "(install the plot extra: pip install 'detap[plot]')")

DPI = 100
#: figure kind -> (width, height) in inches; pixels are these times DPI.
SIZES = {
    "pr_class": (5.0, 4.0),
    "pr_all": (8.0, 6.0),
    "ap_bars": (10.0, 5.0),
    "counts": (10.0, 5.0),
    "ap_vs_annotations": (7.0, 5.0),
    "ap_vs_area": (7.0, 5.0),
    "ap_vs_aspect": (7.0, 5.0),
    "f1_confidence": (8.0, 6.0),
    "compare": (10.0, 8.0),
}
#: figure kind -> file name (per-class PR curves go to ``pr/`` instead).
FILES = {
    "pr_all": "pr_curves.png",
    "ap_bars": "ap_per_class.png",
    "counts": "counts_per_class.png",
    "ap_vs_annotations": "ap_vs_annotations.png",
    "ap_vs_area": "ap_vs_area.png",
    "ap_vs_aspect": "ap_vs_aspect.png",
    "f1_confidence": "f1_vs_confidence.png",
    "compare": "compare.png",
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

TOP_N = 10          # classes named in overlaid legends
MAX_TICKS = 60      # beyond this many classes, bar charts drop the class tick labels
MAX_LABELS = 40     # beyond this many points, scatters label only the extremes
_LABEL_CHARS = 28

# Fonts tried after DejaVu Sans for glyphs it lacks (CJK class names are common);
# only installed ones are used, so matplotlib never logs "font not found".
_FALLBACK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC",
                   "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                   "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB",
                   "Arial Unicode MS", "Noto Sans")


def available():
    """True when matplotlib can be imported."""
    try:
        _mpl()
    except ImportError:
        return False
    return True


def png_size(kind):
    """(width, height) in pixels of the PNG of figure ``kind``."""
    w, h = SIZES[kind]
    return int(round(w * DPI)), int(round(h * DPI))


def classes_union(results):
    """Class names of several results, each once, in order of first appearance."""
    seen = []
    for r in results:
        seen += [c for c in r.classes if c not in seen]
    return seen


def _legend_best_first(ax, rest):
    """The plotted lines' legend entries reversed (the loops draw worst
    first), plus one grey entry for ``rest`` unnamed classes."""
    handles, labels = ax.get_legend_handles_labels()
    handles, labels = handles[::-1], labels[::-1]
    if rest:
        (h,) = ax.plot([], [], lw=0.7, color="0.7")
        handles, labels = handles + [h], labels + [f"{rest} other classes"]
    return handles, labels


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
    return _arr(report.scores), f1_score(_arr(report.precision), _arr(report.recall))


# ------------------------------------------------------------------ plumbing

def _mpl():
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
        import matplotlib.backends.backend_agg  # noqa: F401
    except ImportError as e:
        raise ImportError(MISSING_MESSAGE) from e
    return matplotlib


@functools.lru_cache(maxsize=1)
def _font_family():
    from matplotlib import font_manager
    have = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans"] + [f for f in _FALLBACK_FONTS if f in have]


@contextlib.contextmanager
def _style():
    """Render under matplotlib's defaults, whatever the user's matplotlibrc
    says (a ``savefig.bbox: tight`` or ``text.usetex`` there would change the
    PNG size or choke on class names)."""
    mpl = _mpl()
    with warnings.catch_warnings(), mpl.rc_context():
        # a missing glyph is drawn as a box; a warning per class name is noise
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        warnings.filterwarnings("ignore", message=r".*constrained_layout not applied.*")
        mpl.rcdefaults()
        mpl.rcParams.update({"font.size": 9, "axes.titlesize": 11, "legend.fontsize": 8,
                             "font.family": _font_family()})
        yield


def _figure(kind):
    # No pyplot: the figure never joins pyplot's global registry, so nothing
    # needs closing and the user's interactive backend is left alone; Agg is
    # attached explicitly, so rendering works headless.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=SIZES[kind], dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path):
    from .atomic import atomic_write
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    fig.clear()
    atomic_write(path, buf.getvalue())
    return str(path)


def _arr(a):
    return np.asarray([] if a is None else a, dtype=np.float64).ravel()


def _t(text, limit=_LABEL_CHARS):
    """Class name as matplotlib text: '$' would start mathtext."""
    text = " ".join(str(text).split())
    if limit and len(text) > limit:
        text = text[:limit - 1] + "…"
    return text.replace("$", r"\$")


def _pct(x):
    x = float(x)
    return f"{100 * x:.2f}%" if np.isfinite(x) else "n/a"


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


def _header(result):
    return f"{result.protocol}, IoU {float(result.iou):g}, mAP {_pct(result.map)}"


def _class_ticks(ax, x, names):
    if len(names) <= MAX_TICKS:
        ax.set_xticks(x)
        ax.set_xticklabels([_t(n, 20) for n in names], rotation=90, fontsize=7)
    else:
        ax.set_xticks([])


def _pr_points(report):
    r, p = _arr(report.recall), _arr(report.precision)
    n = min(len(r), len(p))
    r, p = r[:n], p[:n]
    ok = np.isfinite(r) & np.isfinite(p)
    return r[ok], p[ok]


# ------------------------------------------------------------------ figures

def plot_pr_curves(result, out_dir, *, top_n=TOP_N):
    """``pr_curves.png`` (overlay) and ``pr/NNN_<class>.png`` per class."""
    _mpl()
    paths = []
    os.makedirs(os.path.join(out_dir, "pr"), exist_ok=True)
    with _style():
        fig = _figure("pr_all")
        ax = fig.add_subplot()
        order = _ap_order(result)
        named = set(order[:top_n])
        rest = 0
        for c in reversed(order):  # named classes last, drawn on top
            r, p = _pr_points(result.per_class[c])
            if not len(r):
                continue
            if c in named:
                ax.plot(r, p, lw=1.6, zorder=3,
                        label=f"{_t(c)} (AP {_pct(result.per_class[c].ap)})")
            else:
                ax.plot(r, p, lw=0.7, color="0.7", zorder=2)
                rest += 1
        handles, labels = _legend_best_first(ax, rest)
        if handles:
            ax.legend(handles, labels, loc="lower left",
                      title=f"top {len(named)} by AP" if len(order) > top_n else None)
        else:
            ax.text(0.5, 0.5, "no detections", ha="center", va="center", transform=ax.transAxes)
        ax.set(xlim=(0, 1.01), ylim=(0, 1.02), xlabel="recall", ylabel="precision",
               title=f"Precision-recall ({_t(_header(result), 0)})")
        ax.grid(alpha=0.3)
        paths.append(_save(fig, os.path.join(out_dir, FILES["pr_all"])))

        n = len(result.classes)
        for i, c in enumerate(result.classes):
            rep = result.per_class[c]
            fig = _figure("pr_class")
            ax = fig.add_subplot()
            r, p = _pr_points(rep)
            if len(r):
                ax.plot(r, p, lw=1.6, color="C0", label="precision after each detection")
            if np.isfinite(float(rep.f1_recall)) and np.isfinite(float(rep.f1_precision)):
                ax.plot([rep.f1_recall], [rep.f1_precision], "o", color="C3",
                        label=f"best F1 {float(rep.f1):.3f} at conf {float(rep.f1_confidence):.4g}")
            note = ("no ground truth: AP undefined" if int(rep.n_gt) == 0 else
                    "no detections" if not len(r) else None)
            if note:
                ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="lower left")
            ax.set(xlim=(0, 1.01), ylim=(0, 1.02), xlabel="recall", ylabel="precision",
                   title=f"{_t(c, 40)}: AP {_pct(rep.ap)}")
            ax.text(0.99, 0.99, f"GT {int(rep.n_gt)}  dets {int(rep.n_det)}\n"
                                f"TP {int(rep.tp)}  FP {int(rep.fp)}",
                    ha="right", va="top", transform=ax.transAxes, fontsize=8)
            ax.grid(alpha=0.3)
            paths.append(_save(fig, os.path.join(out_dir, "pr", class_plot_name(i, n, c))))
    return paths


def plot_ap_bars(result, out_dir):
    """``ap_per_class.png``: AP per class, best first (classes without AP
    omitted and counted in the axis label), with the mAP as a line."""
    with _style():
        fig = _figure("ap_bars")
        ax = fig.add_subplot()
        names = [c for c in _ap_order(result) if np.isfinite(float(result.per_class[c].ap))]
        aps = [100 * float(result.per_class[c].ap) for c in names]
        x = np.arange(len(names))
        ax.bar(x, aps, color="C0")
        if np.isfinite(float(result.map)):
            ax.axhline(100 * float(result.map), color="C3", ls="--", lw=1.2,
                       label=f"mAP {_pct(result.map)}")
            ax.legend(loc="upper right")
        _class_ticks(ax, x, names)
        skipped = len(result.classes) - len(names)
        xlabel = f"{len(names)} classes, sorted by AP"
        if skipped:
            xlabel += f" ({skipped} without AP omitted)"
        ax.set(ylim=(0, 100), ylabel="AP (%)", xlabel=xlabel,
               title=f"AP per class ({_t(_header(result), 0)})")
        if len(names) == 0:
            ax.text(0.5, 0.5, "no class has an AP", ha="center", va="center",
                    transform=ax.transAxes)
        ax.grid(axis="y", alpha=0.3)
        return [_save(fig, os.path.join(out_dir, FILES["ap_bars"]))]


def plot_counts(result, out_dir):
    """``counts_per_class.png``: GT, TP and FP per class (grouped bars,
    evaluation order)."""
    with _style():
        fig = _figure("counts")
        ax = fig.add_subplot()
        names = list(result.classes)
        x = np.arange(len(names))
        w = 0.27
        for k, (attr, label, color) in enumerate((("n_gt", "GT", "0.45"), ("tp", "TP", "C2"),
                                                  ("fp", "FP", "C3"))):
            ax.bar(x + (k - 1) * w, [int(getattr(result.per_class[c], attr)) for c in names],
                   w, label=label, color=color)
        _class_ticks(ax, x, names)
        from matplotlib.ticker import MaxNLocator
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(ylabel="count", xlabel=f"{len(names)} classes",
               title=f"GT, true and false positives per class ({_t(_header(result), 0)})")
        ax.legend(loc="upper right")
        ax.grid(axis="y", alpha=0.3)
        return [_save(fig, os.path.join(out_dir, FILES["counts"]))]


def plot_ap_vs_stats(result, out_dir):
    """``ap_vs_annotations.png``, ``ap_vs_area.png``, ``ap_vs_aspect.png``:
    does a class's AP follow its annotation count, box size or shape?"""
    _mpl()
    paths = []
    with _style():
        for kind, (attr, xlabel, log, what) in STATS.items():
            fig = _figure(kind)
            ax = fig.add_subplot()
            names, xs, ys = _stat_points(result, kind)
            ax.scatter(xs, 100 * ys, s=28, color="C0", zorder=3)
            if len(names) <= MAX_LABELS:
                label = range(len(names))
            else:
                by_ap = np.argsort(ys, kind="stable")
                label = list(by_ap[:5]) + list(by_ap[-5:])
            for i in label:
                ax.annotate(_t(names[i], 20), (xs[i], 100 * ys[i]), xytext=(4, 3),
                            textcoords="offset points", fontsize=7)
            if log:
                ax.set_xscale("log")
            r, n = _pearson(xs, ys, log)
            text = (f"Pearson r(AP, {what}) = {r:+.3f}" if r is not None
                    else f"Pearson r(AP, {what}) = n/a") + f"\n{n} classes"
            if len(names) > MAX_LABELS:
                text += " (labels: 5 best, 5 worst)"
            ax.text(0.02, 0.98, text, transform=ax.transAxes, ha="left", va="top",
                    bbox=dict(boxstyle="round", fc="white", ec="0.6", alpha=0.9), zorder=4)
            ax.set(ylim=(0, 105), xlabel=xlabel, ylabel="AP (%)",
                   title=f"{TITLES[kind]} ({_t(_header(result), 0)})")
            ax.grid(alpha=0.3)
            paths.append(_save(fig, os.path.join(out_dir, FILES[kind])))
    return paths


def plot_f1_confidence(result, out_dir, *, top_n=TOP_N):
    """``f1_vs_confidence.png``: each class's F1 as the confidence threshold
    moves, with the best-F1 point the result reports (classes without GT
    have no F1 and are left out)."""
    with _style():
        fig = _figure("f1_confidence")
        ax = fig.add_subplot()
        order = [c for c in _ap_order(result) if int(result.per_class[c].n_gt) > 0]
        named = order[:top_n]
        rest = 0
        for c in reversed(order):
            s, f1 = f1_curve(result.per_class[c])
            n = min(len(s), len(f1))
            if n == 0:
                continue
            if c in named:
                (line,) = ax.plot(s[:n], f1[:n], lw=1.4, zorder=3, label=_t(c))
                rep = result.per_class[c]
                if np.isfinite(float(rep.f1)) and np.isfinite(float(rep.f1_confidence)):
                    ax.plot([rep.f1_confidence], [rep.f1], "o", ms=4, color=line.get_color(),
                            zorder=4)
            else:
                ax.plot(s[:n], f1[:n], lw=0.7, color="0.7", zorder=2)
                rest += 1
        handles, labels = _legend_best_first(ax, rest)
        if handles:
            ax.legend(handles, labels, loc="best",
                      title=(f"top {len(named)} by AP; dots: best F1"
                             if len(order) > top_n else "dots: best F1"))
        else:
            ax.text(0.5, 0.5, "no detections", ha="center", va="center", transform=ax.transAxes)
        ax.set(ylim=(0, 1.02), xlabel="confidence threshold", ylabel="F1",
               title=f"F1 vs confidence ({_t(_header(result), 0)})")
        ax.grid(alpha=0.3)
        return [_save(fig, os.path.join(out_dir, FILES["f1_confidence"]))]


def plot_figures(result, out_dir):
    """Every per-result figure into ``out_dir`` (created); returns
    [(kind, path)], kind as in ``SIZES`` ("pr_class" for each class's PR
    curve, in evaluation order), so a report need not tell kinds from paths."""
    _mpl()
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


def plot_compare(runs, out_dir, *, max_lines=12):
    """``compare.png``: mAP per run (top) and per-class AP across runs
    (bottom: a line per class up to ``max_lines`` classes, else a heatmap).
    ``runs``: list of (run name, EvalResult)."""
    _mpl()
    os.makedirs(out_dir, exist_ok=True)
    names = [str(n) for n, _ in runs]
    classes = classes_union([r for _, r in runs])
    ap = np.full((len(classes), len(runs)), np.nan)
    for j, (_, r) in enumerate(runs):
        for i, c in enumerate(classes):
            if c in r.per_class:
                ap[i, j] = float(r.per_class[c].ap)
    maps = np.array([float(r.map) for _, r in runs])
    x = np.arange(len(runs))
    with _style():
        fig = _figure("compare")
        top, bottom = fig.subplots(2, 1, height_ratios=(1, 2))
        top.plot(x, 100 * maps, "o-", color="C3", lw=1.8)
        for xi, m in zip(x, maps):
            if np.isfinite(m):
                top.annotate(f"{100 * m:.2f}", (xi, 100 * m), xytext=(0, 5),
                             textcoords="offset points", ha="center", fontsize=7)
        top.margins(y=0.2)  # room for the value labels above the points
        top.set(ylabel="mAP (%)", title="mAP per run", xlim=(-0.5, len(runs) - 0.5))
        top.set_xticks(x)
        top.set_xticklabels([_t(n, 16) for n in names], rotation=45, ha="right", fontsize=7)
        top.grid(alpha=0.3)
        if len(classes) <= max_lines:
            for i, c in enumerate(classes):
                bottom.plot(x, 100 * ap[i], "o-", ms=3, lw=1.2, label=_t(c, 20))
            bottom.set(ylim=(0, 102), ylabel="AP (%)", xlim=(-0.5, len(runs) - 0.5))
            bottom.grid(alpha=0.3)
            if classes:
                bottom.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
        else:
            im = bottom.imshow(100 * np.ma.masked_invalid(ap), aspect="auto", vmin=0, vmax=100,
                               cmap="viridis", interpolation="nearest")
            fig.colorbar(im, ax=bottom, label="AP (%)")
            if len(classes) <= MAX_TICKS:
                bottom.set_yticks(np.arange(len(classes)))
                bottom.set_yticklabels([_t(c, 20) for c in classes], fontsize=6)
            else:
                bottom.set_yticks([])
                bottom.set_ylabel(f"{len(classes)} classes")
        bottom.set_title("AP per class")
        bottom.set_xticks(x)
        bottom.set_xticklabels([_t(n, 16) for n in names], rotation=45, ha="right", fontsize=7)
        return [_save(fig, os.path.join(out_dir, FILES["compare"]))]
