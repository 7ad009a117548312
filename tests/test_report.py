"""Reports and plots (detap.report, detap.plots) from EvalResult objects.

The results are built by hand (awkward classes: no GT, no detections, names
with spaces, unicode, HTML and mathtext characters) and from a real
evaluation of the bundled VOC sample.  Every number read back from a report
is compared with ``==`` to the result object's own number.
"""
import base64
import builtins
import csv
import errno
import html.parser
import io
import json
import math
import os
import re
import shutil

import numpy as np
import pytest

import detap
import detap.voc
from detap import document, plots, report
from detap.result import (COCO_STAT_LABELS, SCHEMA, ClassReport, EvalResult, best_f1,
                          f1_score)

jsonschema = pytest.importorskip("jsonschema")
matplotlib = pytest.importorskip("matplotlib")
import matplotlib.image  # noqa: E402

SAMPLE = os.path.join(os.path.dirname(detap.__file__), "data", "sample_voc")
PNG_SIG = b"\x89PNG\r\n\x1a\n"
FLOAT_FIELDS = ["ap", "f1", "f1_confidence", "f1_precision", "f1_recall", "mean_area",
                "mean_aspect"]
INT_FIELDS = ["n_annotations", "n_gt", "n_det", "tp", "fp"]
WEIRD = '猫 <b>&amp; "q" \'x\' $x_1$ | *y*'


# ------------------------------------------------------------------ builders

def make_class(name, labels, scores, npos, *, n_ann=None, area=float("nan"),
               aspect=float("nan")):
    """A ClassReport from TP(1)/FP(0) labels in descending score order; AP by
    detap.voc_ap, the F1 point by detap.result.best_f1."""
    labels = np.asarray(labels, dtype=np.int64)
    tp = np.cumsum(labels == 1).astype(np.float64)
    fp = np.cumsum(labels == 0).astype(np.float64)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).tiny)
    with np.errstate(invalid="ignore", divide="ignore"):
        rec = tp / float(npos) if npos else np.full(len(labels), np.nan)
    ap = float(detap.voc_ap(rec, prec)) if npos else float("nan")
    scores = np.asarray(scores, dtype=np.float64)
    return ClassReport(name, ap, npos, len(labels), int(tp[-1]) if len(tp) else 0,
                       int(fp[-1]) if len(fp) else 0, prec, rec, scores,
                       *best_f1(scores, tp, fp, npos),
                       n_annotations=npos if n_ann is None else n_ann,
                       mean_area=area, mean_aspect=aspect)


def make_result(classes, protocol="voc07", iou=0.5, **kw):
    aps = [c.ap for c in classes if not math.isnan(c.ap)]
    m = float(np.mean(aps)) if aps else float("nan")
    return EvalResult(protocol, iou, [c.name for c in classes], {c.name: c for c in classes},
                      m, n_images=kw.pop("n_images", 12), **kw)


def hand_classes():
    return [
        make_class("dog", [1, 1, 0, 1, 0], [.9, .8, .7, .6, .5], 4, n_ann=5, area=1200.5,
                   aspect=1.3),
        make_class("traffic light", [1, 0, 0, 1], [.95, .6, .6, .2], 3, area=310.25,
                   aspect=0.4),
        make_class(WEIRD, [0, 1, 1], [.5, .4, .1], 2, n_ann=3, area=5000.0, aspect=2.0),
        make_class("no gt", [0, 0, 0], [.9, .3, .1], 0),
        make_class("no dets", [], [], 4, area=800.0, aspect=1.0),
        make_class("a/b\\c..", [1], [0.7], 1, area=90.0, aspect=0.9),
    ]


@pytest.fixture
def hand():
    return make_result(hand_classes(), convention={"ap": "voc07", "iou_cmp": ">"})


@pytest.fixture
def hand_coco():
    cl = hand_classes()
    cl[0] = make_class("dog", [1, 0, 0, 1, 0], [.9, .8, .7, .6, .5], 4, n_ann=5,
                       area=1200.5, aspect=1.3)
    return make_result(cl, protocol="coco", iou=0.75,
                       stats=np.array([0.1 * i for i in range(11)] + [-1.0]))


@pytest.fixture(scope="module")
def real():
    """The bundled VOC sample evaluated by detap.voc, as an EvalResult."""
    det = os.path.join(SAMPLE, "results", "det_test_{}.txt")
    anno = os.path.join(SAMPLE, "Annotations", "{}.xml")
    iset = os.path.join(SAMPLE, "ImageSets", "Main", "test.txt")
    # detap.voc.evaluate returns the one result type, with the annotation
    # statistics and best-F1 points the reports need
    return detap.voc.evaluate(det, anno, iset, convention="py-faster-rcnn")


# ------------------------------------------------------------------ checkers

def png_dims(data):
    """(width, height) from the IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIG
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def expected_kind(path):
    if os.path.basename(os.path.dirname(path)) == "pr":
        return "pr_class"
    name = re.sub(r"_p\d+\.png$", ".png", os.path.basename(path))
    return {v: k for k, v in plots.FILES.items()}[name]


def check_png(path_or_bytes, kind):
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
        img = matplotlib.image.imread(io.BytesIO(data), format="png")
    else:
        with open(path_or_bytes, "rb") as f:
            data = f.read()
        img = matplotlib.image.imread(path_or_bytes)
    w, h = plots.png_size(kind)
    if kind in plots.ROW_INCHES:    # the height follows the class count
        h = png_dims(data)[1]
        assert h in {plots.png_size(kind, n)[1] for n in range(400)}
    assert png_dims(data) == (w, h)
    assert img.shape[:2] == (h, w)
    assert img.std() > 0  # not a blank canvas


def jnum(x):
    x = float(x)
    return x if math.isfinite(x) else None


def check_json_result(d, r):
    assert d["protocol"] == r.protocol and d["iou"] == r.iou
    assert d["mAP"] == jnum(r.map)
    assert list(d["classes"]) == r.classes
    for c in r.classes:
        k, dc = r.per_class[c], d["classes"][c]
        for f in FLOAT_FIELDS:
            assert dc[f] == jnum(getattr(k, f)), (c, f)
        for f in INT_FIELDS:
            assert dc[f] == getattr(k, f), (c, f)
    if r.stats is not None:
        assert d["stats"] == [float(s) for s in r.stats]


class StrictHTML(html.parser.HTMLParser):
    """Collects problems (unbalanced tags, external resources), <img> sources
    and the text."""
    VOID = {"img", "meta", "br", "hr", "link", "input", "col", "wbr", "source", "area"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.imgs, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.errors.append(f"<{tag}> in a self-contained report")
        for k in ("src", "href"):
            if k in a and not (a[k].startswith("data:") or a[k].startswith("#")):
                self.errors.append(f"external {k}={a[k]!r}")
        if tag == "img":
            self.imgs.append(a)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> does not close {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    p = StrictHTML()
    p.feed(src)
    p.close()
    assert not p.errors, p.errors
    assert p.stack == [], p.stack
    assert src.startswith("<!DOCTYPE html>")
    return src, p


def plot_files(written):
    return [p for k, p in written.items() if k.startswith("plot:")]


def all_files(d):
    return sorted(os.path.relpath(os.path.join(root, f), d)
                  for root, _, files in os.walk(d) for f in files)


# ------------------------------------------------------------------ write_report

@pytest.mark.parametrize("which", ["hand", "real"])
def test_write_report_writes_every_file(which, hand, real, tmp_path):
    r = {"hand": hand, "real": real}[which]
    out = tmp_path / "new" / "dir"
    written = report.write_report(r, out, title="T <1>", dataset_info={"anno": "a&b"})
    for key, name in (("json", "report.json"), ("csv", "per_class.csv"), ("md", "report.md"),
                      ("html", "report.html")):
        assert written[key] == str(out / name) and os.path.getsize(written[key]) > 0
    pngs = plot_files(written)
    # 7 summary figures and a PR curve per class
    assert len(pngs) == 7 + len(r.classes)
    assert len({os.path.basename(p) for p in pngs if "/pr/" in p}) == len(r.classes)
    for p in pngs:
        check_png(p, expected_kind(p))
    assert set(all_files(out)) == {os.path.relpath(p, out) for p in written.values()}
    assert not [f for f in all_files(out) if f.endswith(".tmp")]


def test_png_sizes_are_the_documented_ones():
    assert plots.DPI == 100
    assert plots.png_size("pr_class") == (500, 400)
    # bar charts and the compare heatmap grow with the classes on them
    assert plots.png_size("ap_bars", 40) == (1000, 940)
    assert plots.png_size("counts", 40) == (1000, 1360)
    assert plots.png_size("compare") == (1000, 800)
    assert plots.png_size("compare", 365) == (1000, 7750)


def test_report_json_validates_and_equals_result(hand, hand_coco, real, tmp_path):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    w = report.write_report(hand, tmp_path / "one", plots=False)
    with open(w["json"], encoding="utf-8") as f:
        d = json.load(f)
    validator.validate(d)
    assert set(d.pop("provenance")) == {"detap_version", "date"}
    assert d == json.loads(json.dumps(hand.to_dict()))
    check_json_result(d, hand)
    assert d["classes"]["no gt"]["ap"] is None and d["mAP"] is not None

    w = report.write_report([hand, hand_coco, real], tmp_path / "many", plots=False)
    with open(w["json"], encoding="utf-8") as f:
        d = json.load(f)
    assert d["schema_version"] == 1 and len(d["results"]) == 3
    for dr, r in zip(d["results"], [hand, hand_coco, real]):
        validator.validate(dr)
        check_json_result(dr, r)


def test_csv_round_trips_exactly(hand, hand_coco, real, tmp_path):
    results = [hand, hand_coco, real]
    w = report.write_report(results, tmp_path, plots=False)
    with open(w["csv"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
        f.seek(0)
        assert next(csv.reader(f)) == report.CSV_COLUMNS
    expected = [(r, c) for r in results for c in r.classes]
    assert len(rows) == len(expected)
    for row, (r, c) in zip(rows, expected):
        k = r.per_class[c]
        assert row["protocol"] == r.protocol and row["class"] == c
        for f in INT_FIELDS:
            assert int(row[f]) == getattr(k, f)
        for f in FLOAT_FIELDS:
            v = float(getattr(k, f))
            if math.isnan(v):
                assert row[f] == ""
            else:
                assert float(row[f]) == v, (c, f, row[f], v)
    # the weird name survived quoting
    assert WEIRD in [row["class"] for row in rows]


def test_html_is_self_contained_and_parses(hand, tmp_path):
    w = report.write_report(hand, tmp_path, title="Report <&>", dataset_info={"x": "<i>"})
    src, p = parse_html(w["html"])
    pngs = plot_files(w)
    assert len(p.imgs) == len(pngs)
    on_disk = set()
    for p_ in pngs:
        with open(p_, "rb") as f:
            on_disk.add(f.read())
    for img in p.imgs:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        data = base64.b64decode(img["src"][len(prefix):], validate=True)
        assert data in on_disk
        kind = "pr_class" if img["alt"].startswith("PR curve: ") else \
            {v: k for k, v in plots.TITLES.items()}[re.sub(r" \(page .*", "", img["alt"])]
        check_png(data, kind)
        assert (int(img["width"]), int(img["height"])) == png_dims(data)
    # names are escaped in the source and come back intact as text
    assert "<b>" not in src and "Report <&>" not in src and "<i>" not in src
    text = "".join(p.text)
    for c in hand.classes:
        assert c in text
    assert "Report <&>" in text and "<i>" in text
    assert f"{100 * hand.map:.2f}" in text


def test_markdown_report(hand, tmp_path):
    w = report.write_report(hand, tmp_path)
    md = open(w["md"], encoding="utf-8").read()
    assert f"{100 * hand.map:.2f}" in md
    for c in ("dog", "traffic light", "no gt", "no dets"):
        assert f"| {c} |" in md
    assert "<b>" not in md and "&lt;b&gt;" in md and "\\|" in md and "\\$" in md
    # every plot is linked, relative to the report, and exists
    links = [s.split("](", 1)[1].split(")", 1)[0] for s in md.split("\n") if "](" in s]
    assert sorted(links) == sorted(k[len("plot:"):] for k in w if k.startswith("plot:"))
    for link in links:
        assert os.path.isfile(tmp_path / link)
    # the seed-003 analysis is there as numbers too
    r_ann, n = plots.correlation(hand, "ap_vs_annotations")
    assert f"AP vs number of annotations: r = {r_ann:+.3f} ({n} classes)" in md


def test_several_protocols(hand, hand_coco, tmp_path):
    same_protocol = make_result(hand_classes(), protocol="voc07", iou=0.7)
    w = report.write_report([hand, hand_coco, same_protocol], tmp_path)
    tags = {k.split("/")[1] for k in w if k.startswith("plot:")}
    assert tags == {"voc07_iou0.5", "coco_iou0.75", "voc07_iou0.7"}  # clash resolved by IoU
    assert len(plot_files(w)) == 3 * (7 + len(hand.classes))
    md = open(w["md"], encoding="utf-8").read()
    assert "AP per class under each protocol" in md and "AP @.50" in md
    _, p = parse_html(w["html"])
    assert len(p.imgs) == len(plot_files(w))
    with pytest.raises(ValueError):
        report.write_report([], tmp_path / "x")


def test_plots_false_writes_no_png_and_no_warning(hand, tmp_path, recwarn):
    w = report.write_report(hand, tmp_path, plots=False)
    assert not plot_files(w) and "plots_skipped" not in w
    assert all_files(tmp_path) == ["per_class.csv", "report.html", "report.json", "report.md"]
    _, p = parse_html(w["html"])
    assert p.imgs == []
    assert not [x for x in recwarn if "plot" in str(x.message)]


# ------------------------------------------------------------------ without matplotlib

@pytest.fixture
def no_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r} (simulated)")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_without_matplotlib_text_reports_and_warning(hand, no_matplotlib, tmp_path):
    assert not plots.available()
    with pytest.warns(UserWarning, match=r"detap\[plot\]"):
        w = report.write_report(hand, tmp_path)
    assert "detap[plot]" in w["plots_skipped"] and not plot_files(w)
    assert all_files(tmp_path) == ["per_class.csv", "report.html", "report.json", "report.md"]
    _, p = parse_html(w["html"])
    assert p.imgs == []
    assert "r = " in open(w["md"], encoding="utf-8").read()
    with pytest.raises(ImportError, match="detap"):
        plots.plot_ap_bars(hand, tmp_path)
    with pytest.warns(UserWarning, match=r"detap\[plot\]"):
        w = report.write_compare_report([("a", hand), ("b", hand)], tmp_path / "cmp")
    assert "plots_skipped" in w and not os.path.exists(tmp_path / "cmp" / "compare.png")


# ------------------------------------------------------------------ terminal tables

def test_format_table(hand, real):
    for r in (hand, real):
        t = report.format_table(r)
        lines = t.split("\n")
        assert r.protocol in lines[0] and f"IoU {r.iou:g}" in lines[0]
        for c in r.classes:
            row = [ln for ln in lines if ln.startswith(c + " ")]
            assert len(row) == 1
            k = r.per_class[c]
            cells = row[0][len(c):].split()
            assert cells[:4] == [str(k.n_gt), str(k.n_det), str(k.tp), str(k.fp)]
            assert cells[4] == (f"{100 * k.ap:.2f}" if not math.isnan(k.ap) else "n/a")
        assert lines[-1].startswith("mAP") and lines[-1].split()[-1] == f"{100 * r.map:.2f}"
    assert "n/a" in report.format_table(hand)
    # columns line up, CJK counted as two columns wide
    body = report.format_table(hand).split("\n")[1:]
    widths = {document.display_width(ln) for ln in body if not ln.startswith(("-", "mAP"))}
    assert len(widths) == 1


def test_one_per_class_table(hand, hand_coco, tmp_path):
    """EvalResult.table, the CLI's tables and the report files' table are
    class_table rendered."""
    assert hand.table() == report.format_table(hand)
    lines = hand.table(report.VOC_COLUMNS, title="VOC <T>").split("\n")
    assert lines[0] == "VOC <T>"
    assert lines[1].split() == ["class", "GT", "dets", "TP", "FP", "AP"]
    for c in ("dog", "no gt", "no dets"):
        k = hand.per_class[c]
        row = next(ln for ln in lines if ln.startswith(c + " "))
        ap = "n/a" if math.isnan(k.ap) else f"{k.ap:.4f}"
        assert row[len(c):].split() == [str(k.n_gt), str(k.n_det), str(k.tp), str(k.fp), ap]
    assert lines[-1].split() == ["mAP", f"{hand.map:.4f}"]
    w = report.write_report(hand_coco, tmp_path, plots=False)
    table = report.class_table(hand_coco)
    md = open(w["md"], encoding="utf-8").read()
    assert document.to_markdown(document.Document([table])) in md
    head = ["class"] + [report.CLASS_COLUMNS[k][0] for k in report.REPORT_COLUMNS]
    assert table.head == head and table.foot[head.index("AP (%)")] == f"{100 * hand_coco.map:.2f}"


def test_coco_stat_labels_in_the_report(hand_coco, tmp_path):
    assert len(COCO_STAT_LABELS) == len(set(COCO_STAT_LABELS)) == 12
    w = report.write_report(hand_coco, tmp_path, plots=False)
    md = open(w["md"], encoding="utf-8").read()
    for label, v in zip(COCO_STAT_LABELS, hand_coco.stats):
        escaped = label.replace("[", "\\[").replace("]", "\\]")
        assert f"| {escaped} | {v:.4f} |" in md


def test_format_side_by_side(hand, hand_coco):
    t = report.format_side_by_side([hand, hand_coco])
    lines = t.split("\n")
    assert "voc07" in lines[0] and "IoU 0.5" in lines[0]
    assert "coco" in lines[1] and "IoU 0.75" in lines[1]
    for c in hand.classes:
        row = [ln for ln in lines if ln.startswith(c + " ")]
        assert len(row) == 1
        want = [f"{100 * r.per_class[c].ap:.2f}" if not math.isnan(r.per_class[c].ap)
                else "n/a" for r in (hand, hand_coco)]
        assert row[0].split()[-2:] == want
    assert lines[-1].split() == ["mAP", f"{100 * hand.map:.2f}", f"{100 * hand_coco.map:.2f}"]


# ------------------------------------------------------------------ compare

def compare_runs():
    def run(aps, protocol="voc"):
        cl = [make_class(n, [1, 0], [.9, .1], 2) for n in ("a", "b c", "ü<>")]
        for c, ap in zip(cl, aps):
            c.ap = ap
        return make_result(cl, protocol=protocol)
    return [("epoch 1", run([0.5, 0.25, 0.75])),
            ("epoch 2", run([0.6, float("nan"), 0.1])),
            ("epoch <3>", run([0.3, 0.3, 0.2])),                       # tie for best
            ("all nan", run([float("nan")] * 3))]


def test_compare_table_values():
    runs = compare_runs()
    table = report.compare_table(runs)
    first = runs[0][1].map
    for row, (name, r) in zip(table, runs):
        finite = [(i, c, r.per_class[c].ap) for i, c in enumerate(r.classes)
                  if not math.isnan(r.per_class[c].ap)]
        assert row["run"] == name
        assert row["mAP"] == r.map or (math.isnan(row["mAP"]) and math.isnan(r.map))
        if finite:
            best = max(finite, key=lambda t: (t[2], -t[0]))
            worst = min(finite, key=lambda t: (t[2], t[0]))
            assert (row["best_class"], row["best_ap"]) == (best[1], best[2])
            assert (row["worst_class"], row["worst_ap"]) == (worst[1], worst[2])
        else:
            assert row["best_class"] is None and math.isnan(row["best_ap"])
            assert row["worst_class"] is None and math.isnan(row["worst_ap"])
        if math.isnan(r.map):
            assert math.isnan(row["delta"])
        else:
            assert row["delta"] == r.map - first
    assert table[0]["delta"] == 0.0
    assert table[1]["best_class"] == "a" and table[1]["worst_class"] == "ü<>"
    assert table[2]["best_class"] == "a" and table[2]["worst_class"] == "ü<>"
    with pytest.raises(ValueError):
        report.compare_table([])


def test_write_compare_report(tmp_path):
    runs = compare_runs()
    w = report.write_compare_report(runs, tmp_path)
    assert all_files(tmp_path) == ["compare.csv", "compare.html", "compare.json", "compare.md",
                                   "compare.png"]
    check_png(w["plot:compare.png"], "compare")
    table = report.compare_table(runs)

    with open(w["json"], encoding="utf-8") as f:
        d = json.load(f)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for dr, row, (name, r) in zip(d["runs"], table, runs):
        validator.validate(dr["result"])
        check_json_result(dr["result"], r)
        assert dr["run"] == name
        for k in ("mAP", "best_ap", "worst_ap", "delta"):
            assert dr[k] == jnum(row[k])
        assert dr["best_class"] == row["best_class"]

    with open(w["csv"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for crow, row, (name, r) in zip(rows, table, runs):
        assert crow["run"] == name
        for k in ("mAP", "best_ap", "worst_ap", "delta"):
            assert (crow[k] == "") if math.isnan(row[k]) else float(crow[k]) == row[k]
        for c in r.classes:
            v = r.per_class[c].ap
            assert (crow[f"AP[{c}]"] == "") if math.isnan(v) else float(crow[f"AP[{c}]"]) == v

    md = open(w["md"], encoding="utf-8").read()
    assert "| epoch 2 | voc @ IoU 0.5 | 35.00 | a (60.00) | ü&lt;&gt; (10.00) | -15.00 |" in md
    assert "| all nan | voc @ IoU 0.5 | n/a | n/a | n/a | n/a |" in md
    assert "](compare.png)" in md

    src, p = parse_html(w["html"])
    assert len(p.imgs) == 1
    data = base64.b64decode(p.imgs[0]["src"].split(",", 1)[1])
    assert data == open(w["plot:compare.png"], "rb").read()
    assert "epoch <3>" in "".join(p.text) and "epoch <3>" not in src


def test_compare_warns_on_mixed_protocols(hand, hand_coco, tmp_path):
    with pytest.warns(UserWarning, match="not comparable"):
        w = report.write_compare_report([("x", hand), ("y", hand_coco)], tmp_path)
    assert "Warning" in open(w["md"], encoding="utf-8").read()


def test_compare_heatmap_with_many_classes(tmp_path):
    def run(shift):
        cl = [make_class(f"class {i}", [1, 0, 1], [.9, .5, .1], 3) for i in range(30)]
        for i, c in enumerate(cl):
            c.ap = (i * 7 + shift) % 30 / 30
        return make_result(cl)
    w = report.write_compare_report([(f"ckpt{i}", run(i)) for i in range(5)], tmp_path)
    check_png(w["plot:compare.png"], "compare")


# ------------------------------------------------------------------ plots

def test_correlation():
    cl = hand_classes()
    r = make_result(cl)
    ok = [c for c in cl if not math.isnan(c.ap)]
    for kind, attr, f in (("ap_vs_annotations", "n_annotations", float),
                          ("ap_vs_area", "mean_area", math.log10),
                          ("ap_vs_aspect", "mean_aspect", float)):
        pts = [(f(getattr(c, attr)), c.ap) for c in ok if math.isfinite(getattr(c, attr))]
        want = np.corrcoef(np.array(pts).T)[0, 1]
        got, n = plots.correlation(r, kind)
        assert n == len(pts) == 5
        assert got == pytest.approx(want, abs=1e-12)
    one = make_result([cl[0], cl[3]])              # one class with AP
    assert plots.correlation(one, "ap_vs_area") == (None, 1)
    flat = make_result([make_class(n, [1], [.5], 1, area=a, aspect=1.0)
                        for n, a in (("p", 10.0), ("q", 20.0))])
    assert plots.correlation(flat, "ap_vs_area") == (None, 2)        # constant AP
    assert plots.correlation(flat, "ap_vs_aspect") == (None, 2)      # constant aspect


def test_plot_figures_name_their_kinds(hand, tmp_path):
    pairs = plots.plot_figures(hand, tmp_path)
    assert [k for k, _ in pairs].count("pr_class") == len(hand.classes)
    assert {k for k, _ in pairs} == set(plots.SIZES) - {"compare"}
    for kind, p in pairs:
        assert expected_kind(p) == kind
        check_png(p, kind)


def test_f1_curve():
    c = make_class("x", [1, 0, 1, 0], [.9, .8, .7, .6], 2)
    s, f1 = plots.f1_curve(c)
    p, r = c.precision, c.recall
    assert np.array_equal(s, c.scores)
    assert np.allclose(f1, 2 * p * r / (p + r))
    z = make_class("z", [0, 0, 1], [.9, .8, .7], 1)
    assert plots.f1_curve(z)[1][:2].tolist() == [0.0, 0.0]
    assert plots.f1_curve(make_class("n", [0], [.5], 0))[1].tolist() == [0.0]
    assert np.max(plots.f1_curve(c)[1]) == pytest.approx(c.f1)
    assert f1_score([0.5, 0.0, np.nan, 1.0], [0.5, 0.0, np.nan, 0.25]).tolist() == [0.5, 0, 0, 0.4]


def test_class_plot_names_are_safe_and_unique():
    names = ["a b", "a/b", "a\\b", "..", "", WEIRD, "猫", "x" * 300]
    files = [plots.class_plot_name(i, len(names), n) for i, n in enumerate(names)]
    assert len(set(files)) == len(files)
    for f in files:
        assert f.endswith(".png") and len(f) < 80
        assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in f)
    assert plots.class_plot_name(7, 2000, "a") == "0007_a.png"


def test_many_classes_and_user_rc_do_not_change_sizes(tmp_path):
    import matplotlib.pyplot as plt
    cl = [make_class(f"class number {i}", [1, 0, 1][: 1 + i % 3], [.9, .5, .1][: 1 + i % 3],
                     3, n_ann=3 + i, area=100.0 * (i + 1), aspect=0.5 + i / 70)
          for i in range(70)]
    r = make_result(cl)
    before = plt.get_fignums()
    with matplotlib.rc_context({"savefig.bbox": "tight", "figure.dpi": 33,
                                "savefig.dpi": 40, "text.usetex": True}):
        paths = (plots.plot_ap_bars(r, tmp_path) + plots.plot_counts(r, tmp_path)
                 + plots.plot_ap_vs_stats(r, tmp_path) + plots.plot_f1_confidence(r, tmp_path))
        assert matplotlib.rcParams["savefig.bbox"] == "tight"   # restored
    assert len(paths) == 2 + 2 + 4     # 70 classes: bar charts on two pages of 35
    for p in paths:
        check_png(p, expected_kind(p))
    assert plt.get_fignums() == before   # nothing left open in pyplot


# ------------------------------------------------------------------ atomic writing

class HalfWriter:
    """A file that writes half of what it is given, then fails (disk full)."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        self.f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device (simulated)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    report.atomic_write(target, "old")
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError):
        report.atomic_write(target, "new content " * 1000)
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert all_files(tmp_path) == ["x.json"]

    def bad_replace(src, dst):
        raise PermissionError("simulated")
    monkeypatch.setattr(os, "replace", bad_replace)
    with pytest.raises(PermissionError):
        report.atomic_write(tmp_path / "y.png", b"\x89PNG")
    monkeypatch.undo()
    assert all_files(tmp_path) == ["x.json"]


def test_atomic_write_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        report.atomic_write(tmp_path / "m.txt", "x")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "m.txt").st_mode & 0o777) == 0o644


def test_report_interrupted_leaves_no_partial_file(hand, hand_coco, tmp_path, monkeypatch):
    """Fail the k-th file write of a report over an existing one: every file
    is either the old one or a complete new one, no temporary remains."""
    real_fdopen = os.fdopen
    calls = []

    def counting(fd, mode):
        calls.append(1)
        return real_fdopen(fd, mode)
    base = tmp_path / "base"
    report.write_report(hand_coco, base)
    monkeypatch.setattr(os, "fdopen", counting)
    report.write_report(hand, tmp_path / "count")
    monkeypatch.undo()
    n = len(calls)
    assert n == 4 + 7 + len(hand.classes)

    old = {f: (base / f).read_bytes() for f in all_files(base)}
    for k in (1, 2, 3, n - 1, n):
        out = tmp_path / f"fail{k}"
        shutil.copytree(base, out)
        calls.clear()

        def failing(fd, mode):
            calls.append(1)
            f = real_fdopen(fd, mode)
            return HalfWriter(f) if len(calls) == k else f
        monkeypatch.setattr(os, "fdopen", failing)
        with pytest.raises(OSError):
            report.write_report(hand, out)
        monkeypatch.undo()
        files = all_files(out)
        assert not [f for f in files if f.endswith(".tmp")]
        assert files == sorted(old)
        changed = 0
        for f in files:
            data = (out / f).read_bytes()
            if data != old[f]:
                changed += 1
                if f.endswith(".png"):
                    check_png(str(out / f), expected_kind(str(out / f)))
                elif f.endswith(".json"):
                    json.loads(data)
        assert changed < k  # the failing file and those after it are old


def test_report_of_every_protocol_from_a_real_evaluation(tmp_path):
    """``--protocol all``: a report of detap.protocols' results for several protocols."""
    from detap import protocols
    from detap.synth import make_voc_arrays
    ds = make_voc_arrays(12, n_det=150, seed=3).to_dataset()
    results = protocols.evaluate_all(ds, protocols=["voc07", "coco"])
    w = report.write_report(results, tmp_path)
    with open(w["json"], encoding="utf-8") as f:
        d = json.load(f)
    for dr, r in zip(d["results"], results):
        jsonschema.Draft202012Validator(SCHEMA).validate(dr)
        check_json_result(dr, r)
    for p in plot_files(w):
        check_png(p, expected_kind(p))
    _, p = parse_html(w["html"])
    assert len(p.imgs) == len(plot_files(w))
    t = report.format_side_by_side(results)
    assert t.split("\n")[-1].split()[1:] == [f"{100 * r.map:.2f}" for r in results]
    for r in results:
        assert r.classes[0] in report.format_table(r)
