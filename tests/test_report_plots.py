"""Plots that read well at 6 to 365 classes (detap.plots, detap.plots_compare,
detap.label_layout).

The figures are caught just before they are saved (``save`` patched), so
the tests read their tick labels, texts and legends from the matplotlib
objects rather than from pixels.
"""
import math

import numpy as np
import pytest

from detap import plots, plots_compare
from tests.test_report import make_class, make_result

matplotlib = pytest.importorskip("matplotlib")

BASE_NAMES = ["traffic light", "baseball glove", "person", "fire hydrant", "potted plant",
              "tennis racket", "wine glass", "hair drier", "teddy bear", "cell phone"]


def many_classes(n, seed=0):
    """n classes with realistic names (each unique) and spread-out APs."""
    rng = np.random.default_rng(seed)
    cl = []
    for i in range(n):
        name = f"{BASE_NAMES[i % len(BASE_NAMES)]} {i}"
        k = 3 + i % 5
        labels = (rng.random(k) < rng.random()).astype(int)
        cl.append(make_class(name, labels, np.linspace(0.9, 0.1, k), k, n_ann=k + i,
                             area=50.0 * (i + 1), aspect=0.5 + (i % 17) / 10))
    return make_result(cl)


@pytest.fixture
def caught(monkeypatch):
    """Figures the plot functions save, as (file name, snapshot): title,
    tick labels, texts, legend labels, annotation extents."""
    out = []

    def snapshot(fig, path):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        axes = []
        for ax in fig.axes:
            legend = ax.get_legend()
            axes.append({
                "title": ax.get_title(),
                "yticks": [t.get_text() for t in ax.get_yticklabels()],
                "xticks": [t.get_text() for t in ax.get_xticklabels()],
                "texts": [t.get_text() for t in ax.texts],
                "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
                "legend_title": legend.get_title().get_text() if legend else "",
                "ylim": ax.get_ylim(), "xlim": ax.get_xlim(),
                "frame": ax.get_window_extent(renderer),
                "annotations": [(a.get_text(), a.get_window_extent(renderer))
                                for a in ax.texts if hasattr(a, "xyann")],
            })
        out.append((str(path).rsplit("/", 1)[-1], axes))
        return str(path)
    monkeypatch.setattr(plots, "save", snapshot)
    monkeypatch.setattr(plots_compare, "save", snapshot)
    return out


@pytest.mark.parametrize("n", [6, 80, 365])
def test_bar_charts_name_every_class(n, caught, tmp_path):
    r = many_classes(n)
    plots.plot_ap_bars(r, tmp_path)
    plots.plot_counts(r, tmp_path)
    n_pages = math.ceil(n / plots.PAGE_CLASSES)
    ap_pages = [axes[0] for name, axes in caught if name.startswith("ap_per_class")]
    count_pages = [axes[0] for name, axes in caught if name.startswith("counts_per_class")]
    assert len(ap_pages) == len(count_pages) == n_pages
    for pages_ in (ap_pages, count_pages):
        names = [t for page in pages_ for t in page["yticks"]]
        assert sorted(names) == sorted(r.classes)     # each class once, none cut
        assert all(len(p["yticks"]) <= plots.PAGE_CLASSES for p in pages_)
    # the AP pages go best first across pages
    order = [t for page in ap_pages for t in page["yticks"]]
    aps = [r.per_class[c].ap for c in order]
    assert aps == sorted(aps, reverse=True)
    if n_pages > 1:
        assert [name for name, _ in caught if name.startswith("ap_per_class")] == \
            plots.page_files("ap_bars", n_pages)
        assert f"page {n_pages} of {n_pages}" in ap_pages[-1]["title"]


def test_pages_are_even_and_sized_by_their_classes():
    assert [len(p) for p in plots.pages(list(range(365)))] == [37] * 9 + [32]
    assert [len(p) for p in plots.pages(list(range(80)))] == [40, 40]
    assert plots.pages([]) == [[]]
    assert plots.png_size("ap_bars", 37)[1] > plots.png_size("ap_bars", 6)[1]
    assert plots.page_files("counts", 1) == ["counts_per_class.png"]


def test_ap_bars_mark_classes_without_ap(caught, tmp_path):
    cl = [make_class("dog", [1, 0], [.9, .1], 2), make_class("no gt", [0] * 4, [.5] * 4, 0)]
    plots.plot_ap_bars(make_result(cl), tmp_path)
    (_, [ax]), = caught
    assert ax["yticks"] == ["dog", "no gt"]
    assert "no AP (no GT)" in ax["texts"]


@pytest.mark.parametrize("n", [6, 20, 80, 365])
def test_scatter_statistic_outside_the_data_and_labels_never_overlap(n, caught, tmp_path):
    r = many_classes(n)
    plots.plot_ap_vs_stats(r, tmp_path)
    assert [name for name, _ in caught] == [plots.FILES[k] for k in plots.STATS]
    for (name, [ax]), kind in zip(caught, plots.STATS):
        rho, m = plots.correlation(r, kind)
        assert f"= {rho:+.3f} over {m} classes" in ax["title"]
        assert not any("Pearson" in t for t in ax["texts"])
        boxes = [b for _, b in ax["annotations"]]
        assert boxes, name
        assert len(boxes) <= plots.MAX_LABELS
        frame = ax["frame"]
        for i, a in enumerate(boxes):
            assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
            for b in boxes[i + 1:]:
                assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
        if n <= 20:     # uncrowded: the best and worst class are labelled
            labelled = {t for t, _ in ax["annotations"]}
            for pick in (max, min):
                c = pick(r.classes, key=lambda c: r.per_class[c].ap)
                assert plots.mpl_text(c, 20) in labelled


def test_pr_overlay_shows_best_median_worst_in_a_padded_frame(caught, tmp_path):
    r = many_classes(20)
    named = plots.highlighted(r)
    by_ap = sorted(r.classes, key=lambda c: -r.per_class[c].ap)
    assert named == by_ap[:3] + [by_ap[10]] + by_ap[-3:]
    plots.plot_pr_curves(r, tmp_path)
    _, [ax] = caught[0]
    assert [t.split(" (AP")[0] for t in ax["legend"][:-1]] == named
    assert ax["legend"][-1] == "13 other classes"
    assert "best, median" in ax["legend_title"]
    assert ax["ylim"][1] > 1.0 and ax["ylim"][0] < 0.0   # lines at 1.0 and 0 stay visible
    assert ax["xlim"][0] < 0.0 and ax["xlim"][1] > 1.0
    few = make_result([make_class("a", [1], [.9], 1), make_class("b", [0, 1], [.9, .1], 1)])
    assert plots.highlighted(few) == ["a", "b"]


def test_no_ground_truth_is_not_called_no_detections(caught, tmp_path):
    """452 detections of a class without GT: the plots say GT is missing
    and the detections are all false positives (they said "no detections")."""
    cl = [make_class("ghost", [0] * 452, np.linspace(0.99, 0.01, 452), 0)]
    r = make_result(cl)
    plots.plot_pr_curves(r, tmp_path)
    plots.plot_f1_confidence(r, tmp_path)
    texts = {name: " ".join(t for ax in axes for t in ax["texts"]) for name, axes in caught}
    for name in ("pr_curves.png", "f1_vs_confidence.png", "000_ghost.png"):
        assert "no ground truth" in texts[name], name
        assert "452 detections, all false positives" in texts[name], name
        assert "no detections" not in texts[name], name


def test_missing_note_names_what_is_missing():
    gt_only = make_result([make_class("a", [], [], 5)])
    assert plots.missing_note(gt_only) == "no detections: all 5 GT boxes missed"
    nothing = make_result([make_class("a", [], [], 0)])
    assert plots.missing_note(nothing) == "no ground truth and no detections"
    split = make_result([make_class("a", [], [], 3), make_class("b", [0, 0], [.5, .4], 0)])
    assert "no class has both GT and detections" in plots.missing_note(split)
    assert "3 GT boxes missed" in plots.missing_note(split)


def test_compare_heatmap_shows_values_and_deltas_when_they_fit(caught, tmp_path):
    def run(aps):
        cl = [make_class(f"class {i}", [1, 0, 1], [.9, .5, .1], 3) for i in range(len(aps))]
        for c, ap in zip(cl, aps):
            c.ap = ap
        return make_result(cl)
    runs = [("base", run([0.5, 0.25, float("nan")])), ("new", run([0.625, 0.125, 0.5]))]
    plots.plot_compare(runs, tmp_path)
    (_, axes), = caught
    heat = axes[1]
    assert heat["yticks"] == ["class 0", "class 1", "class 2"]
    assert {"50.0", "25.0", "62.5 (+12.5)", "12.5 (-12.5)", "50.0"} <= set(heat["texts"])
    assert "first run" in heat["title"]


def test_compare_heatmap_cells_too_small_for_text(caught, tmp_path):
    runs = [(f"r{j}", many_classes(365, seed=j)) for j in range(40)]
    plots.plot_compare(runs, tmp_path)
    (_, axes), = caught
    assert axes[1]["texts"] == []            # 40 columns: no room for numbers
    assert len(axes[1]["yticks"]) == 365     # every class still named


def test_cell_font_size():
    assert plots_compare.cell_font_size(100, 11.2, 12) == pytest.approx(8)   # line height
    assert plots_compare.cell_font_size(30, 50, 6) == pytest.approx(30 / 4.4)  # width
    assert plots_compare.cell_font_size(500, 500, 1) == 9.0                    # the cap
    assert plots_compare.cell_font_size(20, 14, 12) < plots_compare.MIN_FONT
    texts = plots_compare.cell_texts(np.array([[0.5, 0.75], [np.nan, 0.1]]))
    assert texts.tolist() == [["50.0", "75.0 (+25.0)"], ["", "10.0"]]
