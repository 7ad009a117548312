"""Reports of ``EvalResult`` objects: files for ``detap eval --out DIR`` and
``detap compare``, and the terminal tables.

``write_report(results, out_dir, provenance=...)`` writes

- ``report.json``    ``r.to_dict()`` (one result) or ``{"schema_version": 1,
                     "results": [r.to_dict(), ...]}`` (a list), schema
                     ``detap.result.SCHEMA``, plus ``"provenance"``
- ``per_class.csv``  one row per protocol and class; floats as ``repr`` (they
                     read back exactly), NaN as an empty field
- ``report.md``      mAP, per-class tables, the per-class analysis
                     (Pearson r of AP against count, area, aspect), the
                     plots, and a "Provenance" table
- ``report.html``    the same, self-contained: inline CSS, plots as base64
                     data URIs, no script, no external resource
- ``plots/...``      the PNGs of ``detap.plots`` (``plots/<tag>/...`` with
                     several results), when matplotlib is installed; with an
                     analysis (``EvalResult.analysis``) also its heatmap,
                     TIDE bars and reliability diagram (``detap.plots_analysis``),
                     and report sections for it (``detap.report_analysis``)

``write_compare_report(runs, out_dir, provenance=...)`` writes
``compare.json``, ``compare.csv``, ``compare.md``, ``compare.html`` and
``compare.png``, with each class's AP change from the first run.
``format_table``, ``format_side_by_side`` and ``format_compare`` return what
the CLI prints.

The provenance (``detap.provenance.complete``) always holds the detap
version and the date.  A report folder is written as a whole
(``detap.report_folder.staged_folder``): built next to ``out_dir`` and
renamed into place, so a failure or Ctrl-C leaves the previous report
intact; output failures raise ``detap.errors.DetapOutputError``.

Each report is one ``detap.document.Document``, rendered to Markdown, HTML
and (the CLI's tables) terminal text, so a section is written once; the
per-class table of every one of them comes from ``class_table``.

Every number comes from the result objects; the only arithmetic here is the
compare tables' differences (mAP, per-class AP) and choosing best/worst
classes.
"""
import csv
import io
import json
import math
import os
import re
import warnings

from . import plots as _plots
from .atomic import atomic_write
from .provenance import cell as provenance_cell
from .provenance import complete as complete_provenance
from .report_folder import staged_folder
from .document import (Bullets, Document, Figure, FigureGroup, Heading, Paragraph, Section,
                       Strong, Table, number, percent, to_html, to_markdown, to_text)
from .plots_analysis import plot_analysis
from .report_analysis import analysis_blocks
from .result import stat_labels

__all__ = ["write_report", "write_compare_report", "compare_table", "format_table",
           "format_side_by_side", "format_compare", "class_table", "CLASS_COLUMNS",
           "REPORT_COLUMNS", "TERMINAL_COLUMNS", "VOC_COLUMNS", "atomic_write", "CSV_COLUMNS",
           "class_deltas", "REPORT_FILES", "COMPARE_FILES", "REPORT_FOLDER_NAMES"]

REPORT_SCHEMA_VERSION = 1
CSV_COLUMNS = ["protocol", "class", "n_annotations", "n_gt", "n_det", "tp", "fp", "ap", "f1",
               "f1_confidence", "f1_precision", "f1_recall", "mean_area", "mean_aspect"]
REPORT_FILES = ("report.json", "per_class.csv", "report.md", "report.html", "plots")
COMPARE_FILES = ("compare.json", "compare.csv", "compare.md", "compare.html", "compare.png")
#: what an existing folder may hold to be replaced by a report (either kind,
#: so ``compare --out`` may reuse an ``eval --out`` folder and back)
REPORT_FOLDER_NAMES = frozenset(REPORT_FILES + COMPARE_FILES)
_SUMMARY_PLOTS = ["ap_bars", "pr_all", "counts", "ap_vs_annotations", "ap_vs_area",
                  "ap_vs_aspect", "f1_confidence"]


# ------------------------------------------------------------------ writing

def _as_list(result_or_results):
    if isinstance(result_or_results, (list, tuple)):
        results = list(result_or_results)
        if not results:
            raise ValueError("write_report: empty list of results")
        return results, True
    return [result_or_results], False


def json_safe(obj):
    """``obj`` with every non-finite float (at any depth of dicts, lists and
    tuples) replaced by None: JSON has no NaN.  to_dict already maps the
    schema's nullable numbers; this covers the rest (a NaN stat, a compare
    row's NaN delta)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def _dumps(obj):
    return json.dumps(json_safe(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _csv_float(x):
    x = float(x)
    return "" if math.isnan(x) else repr(x)


def _csv_text(rows, header):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _tags(results):
    """Plot sub-directory per result: protocol, then IoU, then index as needed
    to keep them distinct."""
    def safe(s):
        return re.sub(r"[^A-Za-z0-9._-]+", "_", str(s)).strip("._") or "result"
    tags = [safe(r.protocol) for r in results]
    if len(set(tags)) < len(tags):
        tags = [f"{t}_iou{float(r.iou):g}" for t, r in zip(tags, results)]
    if len(set(tags)) < len(tags):
        tags = [f"{i}_{t}" for i, t in enumerate(tags)]
    return tags


def _final_paths(written, tmp, out_dir):
    """``written`` with paths under the staging folder ``tmp`` moved to
    ``out_dir`` (where they are once the folder is renamed)."""
    out = {}
    for k, p in written.items():
        if k == "plots_skipped":
            out[k] = p
        else:
            out[k] = os.path.join(os.fspath(out_dir), os.path.relpath(p, tmp))
    return out


def write_report(result_or_results, out_dir, *, title=None, plots=True, dataset_info=None,
                 provenance=None):
    """Write the report files of one ``EvalResult`` or a list of them (several
    protocols on the same data) into the folder ``out_dir``.

    dataset_info  optional mapping (or text) shown at the top of the
                  Markdown and HTML reports, e.g. paths and image count
    provenance    optional mapping of JSON-able values (the CLI: gt, dt,
                  format, dt_format, protocol, detap_version, command, date);
                  stored as report.json's "provenance" and a "Provenance"
                  table; detap_version and date are added when missing
                  (``detap.provenance.complete``)
    plots         False: text reports only

    The folder is written as a whole (``detap.report_folder``): built next
    to ``out_dir`` and renamed into place, so an error or Ctrl-C leaves the
    previous report (if any) untouched.  An existing ``out_dir`` is
    replaced only when it is empty or holds nothing but a previous detap
    report; otherwise, or when ``out_dir`` is a file or cannot be written,
    ``detap.errors.DetapOutputError`` (an OSError) is raised with a one-line
    message naming it.

    Returns {key: path}: "json", "csv", "md", "html", and "plot:<relative
    path>" per PNG.  When plots were requested but matplotlib is missing, a
    warning is issued, the text reports are still written, and the key
    "plots_skipped" holds the message instead of a path.
    """
    results, many = _as_list(result_or_results)
    title = title or "detap evaluation report"
    prov = complete_provenance(provenance)
    with staged_folder(out_dir, REPORT_FOLDER_NAMES) as tmp:
        written = _write_report_files(results, many, tmp, title, plots, dataset_info, prov)
    return _final_paths(written, tmp, out_dir)


def _write_report_files(results, many, out_dir, title, plots, dataset_info, prov):
    written = {}
    doc = ({"schema_version": REPORT_SCHEMA_VERSION, "results": [r.to_dict() for r in results]}
           if many else results[0].to_dict())
    doc["provenance"] = prov
    written["json"] = atomic_write(os.path.join(out_dir, "report.json"), _dumps(doc))

    rows = []
    for r in results:
        for c in r.classes:
            k = r.per_class[c]
            rows.append([r.protocol, c, int(k.n_annotations), int(k.n_gt), int(k.n_det),
                         int(k.tp), int(k.fp)]
                        + [_csv_float(getattr(k, a)) for a in CSV_COLUMNS[7:]])
    written["csv"] = atomic_write(os.path.join(out_dir, "per_class.csv"),
                                  _csv_text(rows, CSV_COLUMNS))

    # per result: {kind: [paths relative to out_dir]} (several for paged
    # bar charts and for "pr_class", one per class in evaluation order)
    figures = [{} for _ in results]
    if plots:
        if _plots.available():
            tags = _tags(results) if many else [None]
            for i, (r, tag) in enumerate(zip(results, tags)):
                rel_dir = "plots" if tag is None else f"plots/{tag}"
                plot_dir = os.path.join(out_dir, *rel_dir.split("/"))
                for kind, p in _plots.plot_figures(r, plot_dir) + (
                        plot_analysis(r.analysis, plot_dir) if r.analysis is not None else []):
                    rel = rel_dir + "/" + os.path.relpath(p, plot_dir).replace(os.sep, "/")
                    figures[i].setdefault(kind, []).append(rel)
                    written[f"plot:{rel}"] = p
        else:
            warnings.warn(_plots.MISSING_MESSAGE, stacklevel=3)
            written["plots_skipped"] = _plots.MISSING_MESSAGE

    doc = _report_document(results, figures, title, dataset_info, prov, out_dir)
    written["md"] = atomic_write(os.path.join(out_dir, "report.md"), to_markdown(doc))
    written["html"] = atomic_write(os.path.join(out_dir, "report.html"), to_html(doc, out_dir))
    return written


# ------------------------------------------------------------------ tables

def _count(v):
    return str(int(v))


#: Columns of the per-class table: key -> (header, ClassReport attribute,
#: cell text of its value).  The mAP goes under the "ap" attribute's columns.
CLASS_COLUMNS = {
    "annotations": ("annotations", "n_annotations", _count),
    "gt": ("GT", "n_gt", _count),
    "dets": ("dets", "n_det", _count),
    "tp": ("TP", "tp", _count),
    "fp": ("FP", "fp", _count),
    "ap": ("AP (%)", "ap", percent),
    # py-faster-rcnn prints AP as a fraction with four decimals
    "ap_fraction": ("AP", "ap", lambda v: number(v, ".4f")),
    "f1": ("best F1", "f1", lambda v: number(v, ".3f")),
    "f1_confidence": ("conf @F1", "f1_confidence", lambda v: number(v, ".4g")),
    "f1_precision": ("P @F1 (%)", "f1_precision", percent),
    "f1_recall": ("R @F1 (%)", "f1_recall", percent),
    "mean_area": ("mean area (px²)", "mean_area", lambda v: number(v, ".1f")),
    "mean_aspect": ("mean aspect (w/h)", "mean_aspect", lambda v: number(v, ".3f")),
}
#: the report files' table: every column
REPORT_COLUMNS = ("annotations", "gt", "dets", "tp", "fp", "ap", "f1", "f1_confidence",
                  "f1_precision", "f1_recall", "mean_area", "mean_aspect")
#: ``detap eval``'s table
TERMINAL_COLUMNS = ("gt", "dets", "tp", "fp", "ap", "f1_precision", "f1_recall",
                    "f1_confidence")
#: ``detap voc`` and ``detap demo``: the columns and AP digits of py-faster-rcnn's output
VOC_COLUMNS = ("gt", "dets", "tp", "fp", "ap_fraction")


def class_table(result, columns=REPORT_COLUMNS):
    """The per-class ``Table`` of an ``EvalResult``: a row per class in
    evaluation order with ``columns`` (keys of ``CLASS_COLUMNS``), the mAP
    as its footer."""
    spec = [CLASS_COLUMNS[c] for c in columns]
    rows = [[c] + [fmt(getattr(result.per_class[c], attr)) for _, attr, fmt in spec]
            for c in result.classes]
    foot = ["mAP"] + [fmt(result.map) if attr == "ap" else "" for _, attr, fmt in spec]
    return Table(["class"] + [head for head, _, _ in spec], rows, foot=foot)


def _ap_table(labelled):
    """AP per class (rows, every class of any result) under each
    (label, result) (columns), the mAPs as footer; "-" where a result has
    no such class."""
    results = [r for _, r in labelled]
    rows = [[c] + [percent(r.per_class[c].ap) if c in r.per_class else "-" for r in results]
            for c in _plots.classes_union(results)]
    return Table(["class"] + [label for label, _ in labelled], rows,
                 foot=["mAP"] + [percent(r.map) for r in results])


def _result_label(r):
    return f"{r.protocol_label} @ IoU {float(r.iou):g}"


def _counts_text(r):
    return f"{len(r.classes)} classes, {int(r.n_images)} images"


# ------------------------------------------------------------------ report document

def _analysis(r):
    """The per-class analysis as texts (seed question: is AP related to how
    many, how big, how elongated a class's boxes are?)."""
    out = []
    for kind, what in (("ap_vs_annotations", "number of annotations"),
                       ("ap_vs_area", "log10 mean box area"),
                       ("ap_vs_aspect", "mean aspect ratio")):
        rho, n = _plots.correlation(r, kind)
        out.append(f"AP vs {what}: r = " + ("n/a" if rho is None else f"{rho:+.3f}")
                   + f" ({n} classes)")
    return out


def _info_blocks(info):
    if info is None:
        return []
    if isinstance(info, dict):
        return [Table(["dataset", ""], [[str(k), str(v)] for k, v in info.items()], align="ll")]
    return [Paragraph(str(info))]


def _figure(rel, base_dir, caption):
    """A Figure of the PNG ``rel`` (relative to ``base_dir``) at its own
    pixel size (paged bar charts and the compare heatmap grow with the
    class count)."""
    w, h = _plots.png_file_size(os.path.join(base_dir, *rel.split("/")))
    return Figure(rel, caption, w, h)


def _provenance_blocks(prov):
    return [Heading("Provenance"),
            Table(["key", "value"], [[k, provenance_cell(v)] for k, v in prov.items()],
                  align="ll")]


def _result_section(r, figs, base_dir):
    blocks = [Heading(_result_label(r)),
              Paragraph([Strong(f"mAP: {percent(r.map)}%"), f" over {_counts_text(r)}."])]
    if r.convention:
        blocks.append(Paragraph("Convention: " + ", ".join(f"{k}={v}"
                                                           for k, v in r.convention.items()),
                                style="muted"))
    if r.stats is not None:
        blocks.append(Table(["COCO summary", "value"],
                            [[n, number(v, ".4f")] for n, v in zip(stat_labels(r.stats), r.stats)]))
    if r.summary is not None:  # LVIS: lvis-api's 13 results (-1 where it gives -1)
        blocks.append(Table([f"{r.protocol.upper()} summary", "value"],
                            [[n, number(v, ".4f")] for n, v in r.summary.items()]))
    blocks += [class_table(r),
               Heading("Per-class analysis", 3),
               Paragraph("Pearson correlation of AP with each class's annotation statistics "
                         "(classes without AP left out):"),
               Bullets(_analysis(r))]
    if figs:
        blocks.append(Heading("Plots", 3))
        for kind in _SUMMARY_PLOTS:
            paths = figs.get(kind, [])
            for k, rel in enumerate(paths):
                caption = _plots.TITLES[kind]
                if len(paths) > 1:
                    caption += f" (page {k + 1} of {len(paths)})"
                blocks.append(_figure(rel, base_dir, caption))
        pr = figs.get("pr_class", [])
        if pr:
            blocks.append(FigureGroup("PR curve per class", [
                _figure(p, base_dir, f"PR curve: {c}") for c, p in zip(r.classes, pr)]))
    if r.analysis is not None:
        blocks += analysis_blocks(r.analysis, {k: v[0] for k, v in figs.items()},
                                  lambda rel, caption: _figure(rel, base_dir, caption))
    return Section(blocks)


def _generated_by(prov):
    return Paragraph(f"Generated by detap {prov['detap_version']} on {prov['date']}.",
                     style="muted")


def _report_document(results, figures, title, info, prov, base_dir):
    blocks = [_generated_by(prov)]
    blocks += _info_blocks(info)
    if len(results) > 1:
        blocks += [Heading("Summary"),
                   Table(["protocol", "IoU", "mAP (%)", "classes", "images"],
                         [[r.protocol, f"{float(r.iou):g}", percent(r.map), len(r.classes),
                           int(r.n_images)] for r in results]),
                   Heading("AP per class under each protocol (%)", 3),
                   _ap_table([(_result_label(r), r) for r in results])]
    blocks += [_result_section(r, figs, base_dir) for r, figs in zip(results, figures)]
    blocks += _provenance_blocks(prov)
    return Document(blocks, title)


# ------------------------------------------------------------------ compare

def _runs_list(runs):
    """[(label, result, path or None)] from a dict {label: result} or
    (label, result[, path]) items.  Equal labels get " (2)", " (3)"...
    appended (in order), so every run stays distinct in tables and plots."""
    items = list(runs.items()) if isinstance(runs, dict) else [tuple(x) for x in runs]
    if not items:
        raise ValueError("compare: no runs")
    out, used = [], set()
    for item in items:
        if len(item) not in (2, 3):
            raise ValueError("compare: each run is (label, result) or (label, result, path)")
        label = str(item[0])
        path = None if len(item) < 3 or item[2] is None else os.fspath(item[2])
        unique, k = label, 1
        while unique in used:
            k += 1
            unique = f"{label} ({k})"
        used.add(unique)
        out.append((unique, item[1], path))
    return out


def compare_table(runs):
    """One dict per run: run, mAP, best_class, best_ap, worst_class, worst_ap,
    delta (mAP minus the first run's mAP; NaN when either is NaN).

    ``runs``: [(label, EvalResult)] or [(label, EvalResult, path)]; equal
    labels are made distinct (``_runs_list``).  Classes with NaN AP are never
    best or worst; on ties the class first in evaluation order wins; without
    any finite AP the classes are None and the APs NaN.
    """
    runs = _runs_list(runs)
    first = float(runs[0][1].map)
    rows = []
    for name, r, _ in runs:
        best = worst = None
        for c in r.classes:
            ap = float(r.per_class[c].ap)
            if math.isnan(ap):
                continue
            if best is None or ap > best[1]:
                best = (c, ap)
            if worst is None or ap < worst[1]:
                worst = (c, ap)
        m = float(r.map)
        rows.append({"run": name, "mAP": m,
                     "best_class": best[0] if best else None,
                     "best_ap": best[1] if best else math.nan,
                     "worst_class": worst[0] if worst else None,
                     "worst_ap": worst[1] if worst else math.nan,
                     "delta": m - first})
    return rows


def class_deltas(runs):
    """{class: [AP of each run minus the first run's AP]} over every class of
    any run (order of first appearance); NaN where either run has no such
    class or no AP for it.  ``runs`` as in ``compare_table``."""
    runs = _runs_list(runs)
    results = [r for _, r, _ in runs]

    def ap(r, c):
        return float(r.per_class[c].ap) if c in r.per_class else math.nan
    return {c: [ap(r, c) - ap(results[0], c) for r in results]
            for c in _plots.classes_union(results)}


def _compare_warning(runs):
    kinds = {(r.protocol, float(r.iou)) for _, r, _ in runs}
    if len(kinds) > 1:
        return ("runs were evaluated under different protocols/IoU thresholds ("
                + ", ".join(f"{p} @ {i:g}" for p, i in sorted(kinds)) + "): APs are not comparable")
    return None


def _compare_summary(runs, table):
    """The comparison's table: a row per run (``table``: their
    ``compare_table``) with its mAP, best and worst class and the mAP's
    difference to the first run."""
    def extreme(row, which):
        c = row[f"{which}_class"]
        return "n/a" if c is None else f"{c} ({percent(row[f'{which}_ap'])})"
    rows = [[row["run"], _result_label(r), percent(row["mAP"]), extreme(row, "best"),
             extreme(row, "worst"), percent(row["delta"], signed=True)]
            for row, (_, r, _) in zip(table, runs)]
    return Table(["run", "protocol", "mAP (%)", "best class", "worst class",
                  "Δ mAP vs first (pts)"], rows, align="llrllr")


def _delta_table(runs, deltas):
    """Per class: the first run's AP, then each later run's AP change (pts)."""
    first = runs[0][1]
    rows = [[c, percent(first.per_class[c].ap) if c in first.per_class else "-"]
            + [percent(d, signed=True) for d in ds[1:]] for c, ds in deltas.items()]
    return Table(["class", f"AP (%) {runs[0][0]}"] + [f"Δ {n}" for n, _, _ in runs[1:]], rows)


def _compare_document(runs, table, caution, png, prov, base_dir):
    blocks = [_generated_by(prov),
              Paragraph(f"{len(runs)} runs, compared with the first ({runs[0][0]}).")]
    if caution:
        blocks.append(Paragraph([Strong("Warning:"), f" {caution}"], style="note"))
    blocks.append(_compare_summary(runs, table))
    if any(p is not None for _, _, p in runs):
        blocks += [Heading("Runs", 3),
                   Table(["run", "path"], [[n, p or "-"] for n, _, p in runs], align="ll")]
    blocks += [Heading("AP per class (%)"), _ap_table([(n, r) for n, r, _ in runs])]
    if len(runs) > 1:
        blocks += [Heading("AP change per class vs the first run (pts)"),
                   _delta_table(runs, class_deltas(runs))]
    if png:
        blocks.append(_figure(os.path.basename(png), base_dir, _plots.TITLES["compare"]))
    blocks += _provenance_blocks(prov)
    return Document(blocks, "detap comparison")


def write_compare_report(runs, out_dir, provenance=None):
    """Write ``compare.json``, ``compare.csv``, ``compare.md``, ``compare.html``
    and (with matplotlib) ``compare.png`` into the folder ``out_dir`` for
    ``runs`` = [(label, EvalResult)] or [(label, EvalResult, path)] (e.g. one
    per checkpoint; equal labels get " (2)"... appended).  Each class's AP
    change from the first run is in every file ("class_delta" in the JSON,
    "dAP[class]" columns, a table, the heatmap's cells).  ``provenance``
    and the folder's atomic replacement as in ``write_report``.

    Returns {key: path} like ``write_report`` ("json", "csv", "md", "html",
    "plot:compare.png" or "plots_skipped").  Warns when the runs used
    different protocols or IoU thresholds.
    """
    runs = _runs_list(runs)
    caution = _compare_warning(runs)
    if caution:
        warnings.warn(caution, stacklevel=2)
    prov = complete_provenance(provenance)
    with staged_folder(out_dir, REPORT_FOLDER_NAMES) as tmp:
        written = _write_compare_files(runs, tmp, prov, caution)
    return _final_paths(written, tmp, out_dir)


def _write_compare_files(runs, out_dir, prov, caution):
    table = compare_table(runs)
    deltas = class_deltas(runs)
    classes = list(deltas)
    written = {}
    doc = {"schema_version": REPORT_SCHEMA_VERSION,
           "runs": [dict(row, path=path, protocol=r.protocol, iou=float(r.iou),
                         class_delta={c: d[j] for c, d in deltas.items()}, result=r.to_dict())
                    for j, (row, (_, r, path)) in enumerate(zip(table, runs))],
           "provenance": prov}
    written["json"] = atomic_write(os.path.join(out_dir, "compare.json"), _dumps(doc))

    head = (["run", "path", "protocol", "iou", "mAP", "delta", "best_class", "best_ap",
             "worst_class", "worst_ap"] + [f"AP[{c}]" for c in classes]
            + [f"dAP[{c}]" for c in classes])
    rows = []
    for j, (row, (_, r, path)) in enumerate(zip(table, runs)):
        rows.append([row["run"], path or "", r.protocol, repr(float(r.iou)),
                     _csv_float(row["mAP"]), _csv_float(row["delta"]), row["best_class"] or "",
                     _csv_float(row["best_ap"]), row["worst_class"] or "",
                     _csv_float(row["worst_ap"])]
                    + [_csv_float(r.per_class[c].ap) if c in r.per_class else "" for c in classes]
                    + [_csv_float(deltas[c][j]) for c in classes])
    written["csv"] = atomic_write(os.path.join(out_dir, "compare.csv"), _csv_text(rows, head))

    png = None
    if _plots.available():
        png = _plots.plot_compare([(n, r) for n, r, _ in runs], out_dir)[0]
        written[f"plot:{os.path.basename(png)}"] = png
    else:
        warnings.warn(_plots.MISSING_MESSAGE, stacklevel=3)
        written["plots_skipped"] = _plots.MISSING_MESSAGE

    doc = _compare_document(runs, table, caution, png, prov, out_dir)
    written["md"] = atomic_write(os.path.join(out_dir, "compare.md"), to_markdown(doc))
    written["html"] = atomic_write(os.path.join(out_dir, "compare.html"), to_html(doc, out_dir))
    return written


# ------------------------------------------------------------------ terminal tables

def format_table(result, columns=None, *, title=None):
    """Per-class table for the terminal: a title line (default: protocol,
    IoU, counts), then ``class_table(result, columns)`` (default
    ``TERMINAL_COLUMNS``) with the mAP line."""
    if title is None:
        title = f"{result.protocol_label}  IoU {float(result.iou):g}  ({_counts_text(result)})"
    return to_text(Document([Paragraph(title),
                             class_table(result, columns or TERMINAL_COLUMNS)]))


def format_side_by_side(results):
    """AP per class (rows) under each result's protocol (columns), mAP last;
    a header line per column names its protocol and IoU."""
    results = list(results)
    if not results:
        raise ValueError("format_side_by_side: no results")
    labels = [f"[{i + 1}] {r.protocol}" for i, r in enumerate(results)]
    heads = [Paragraph(f"{label}  IoU {float(r.iou):g}  ({_counts_text(r)})")
             for label, r in zip(labels, results)]
    return to_text(Document(heads + [Paragraph("AP in %"), _ap_table(list(zip(labels, results)))]))


def format_compare(runs):
    """The comparison of ``runs`` ([(run name, EvalResult)]) for the
    terminal: the table of ``compare.md``."""
    runs = _runs_list(runs)
    return to_text(Document([_compare_summary(runs, compare_table(runs))]))
