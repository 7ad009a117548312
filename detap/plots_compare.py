"""``compare.png``: mAP per run (top) and a heatmap of every class's AP in
every run (bottom; a row per class, all named, a column per run).

Each cell shows its AP and, after the first run, the change from the first
run ("45.1 (+3.2)"), at a font size that fits the cell; where even the AP
alone would be under ``MIN_FONT`` points the cell is left without text
(the colour still shows the AP).  The figure's height grows with the class
count (``compare_size``).
"""
import os

import numpy as np

from .plot_base import DPI, classes_union, mpl_text, new_figure, require_mpl, save, style

__all__ = ["plot_compare", "compare_size", "cell_texts", "cell_font_size", "FILE",
           "SIZE", "ROW_INCHES", "MIN_FONT"]

FILE = "compare.png"
SIZE = (10.0, 8.0)          # width and least height, inches
ROW_INCHES = (0.2, 4.5)     # inches per class row; inches of the mAP panel, titles, axes
MIN_FONT = 5.0              # points: smaller cell text is not drawn
_TOP_INCHES = 2.2


def compare_size(n_classes):
    """(width, height) in inches of compare.png for ``n_classes`` rows."""
    row, fixed = ROW_INCHES
    return SIZE[0], max(SIZE[1], fixed + row * n_classes)


def cell_texts(ap):
    """Text of each heatmap cell of ``ap`` (classes x runs, fractions): the AP
    in %, with the change from column 0 in points after the first column;
    "" where the AP is NaN."""
    out = np.full(ap.shape, "", dtype=object)
    for i in range(ap.shape[0]):
        for j in range(ap.shape[1]):
            v = ap[i, j]
            if not np.isfinite(v):
                continue
            out[i, j] = f"{100 * v:.1f}"
            d = v - ap[i, 0]
            if j > 0 and np.isfinite(d):
                out[i, j] += f" ({100 * d:+.1f})"
    return out


def cell_font_size(cell_w_pt, cell_h_pt, n_chars):
    """Font size (points) at which ``n_chars`` characters fit a cell of the
    given size: a character is about 0.6 em wide, a line 1.4 em high."""
    if n_chars <= 0:
        return 0.0
    return min(cell_h_pt / 1.4, cell_w_pt / (0.6 * n_chars + 0.8), 9.0)


def _ap_matrix(runs, classes):
    ap = np.full((len(classes), len(runs)), np.nan)
    for j, (_, r) in enumerate(runs):
        for i, c in enumerate(classes):
            if c in r.per_class:
                ap[i, j] = float(r.per_class[c].ap)
    return ap


def _annotate_cells(fig, ax, im, ap):
    fig.canvas.draw()   # the final layout: cell sizes are known
    box = ax.get_window_extent()
    w_pt = box.width / ap.shape[1] * 72 / DPI
    h_pt = box.height / max(ap.shape[0], 1) * 72 / DPI
    texts = cell_texts(ap)
    longest = max((len(t) for t in texts.ravel()), default=0)
    size = cell_font_size(w_pt, h_pt, longest)
    if size < MIN_FONT:     # the AP alone, without the change
        texts = np.vectorize(lambda t: t.split(" ")[0], otypes=[object])(texts)
        size = cell_font_size(w_pt, h_pt, max((len(t) for t in texts.ravel()), default=0))
    if size < MIN_FONT:
        return 0.0
    for (i, j), t in np.ndenumerate(texts):
        if t:
            r, g, b, _ = im.cmap(im.norm(100 * ap[i, j]))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(j, i, t, ha="center", va="center", fontsize=size,
                    color="white" if dark else "black").set_in_layout(False)
    return size


def plot_compare(runs, out_dir):
    """``compare.png`` of ``runs`` = [(run label, EvalResult)] into
    ``out_dir``; returns [path]."""
    require_mpl()
    os.makedirs(out_dir, exist_ok=True)
    names = [str(n) for n, _ in runs]
    classes = classes_union([r for _, r in runs])
    ap = _ap_matrix(runs, classes)
    maps = np.array([float(r.map) for _, r in runs])
    x = np.arange(len(runs))
    w, h = compare_size(len(classes))
    with style():
        fig = new_figure((w, h))
        top, bottom = fig.subplots(2, 1, height_ratios=(_TOP_INCHES, h - _TOP_INCHES - 1.0))
        top.plot(x, 100 * maps, "o-", color="C3", lw=1.8)
        for xi, m in zip(x, maps):
            if np.isfinite(m):
                top.annotate(f"{100 * m:.2f}", (xi, 100 * m), xytext=(0, 5),
                             textcoords="offset points", ha="center", fontsize=7)
        top.margins(y=0.25)  # room for the value labels above the points
        top.set(ylabel="mAP (%)", title="mAP per run", xlim=(-0.5, len(runs) - 0.5))
        top.set_xticks(x)
        top.set_xticklabels([mpl_text(n, 24) for n in names], rotation=20, ha="right",
                            fontsize=7)
        top.grid(alpha=0.3)
        im = bottom.imshow(100 * np.ma.masked_invalid(ap), aspect="auto", vmin=0, vmax=100,
                           cmap="viridis", interpolation="nearest")
        # a colorbar keeps its aspect: make it as tall as the heatmap
        fig.colorbar(im, ax=bottom, label="AP (%)", fraction=0.04, pad=0.02,
                     aspect=max(20.0, 4.0 * (h - _TOP_INCHES - 1.0)))
        bottom.set_yticks(np.arange(len(classes)))
        bottom.set_yticklabels([mpl_text(c, 30) for c in classes], fontsize=7)
        bottom.set_xticks(x)
        bottom.set_xticklabels([mpl_text(n, 24) for n in names], rotation=20, ha="right",
                               fontsize=7)
        bottom.xaxis.tick_top()
        bottom.tick_params(axis="x", labelrotation=0)
        for t in bottom.get_xticklabels():
            t.set_ha("center")
        bottom.set_title("AP per class (%); in brackets: change from the first run (pts)",
                         fontsize=10)
        if classes:
            _annotate_cells(fig, bottom, im, ap)
        return [save(fig, os.path.join(out_dir, FILE))]
