"""Reports of ``EvalResult`` objects: files for ``detap eval --out DIR`` and
``detap compare``, and the terminal tables.

``write_report(results, out_dir)`` writes

- ``report.json``    ``r.to_dict()`` (one result) or ``{"schema_version": 1,
                     "results": [r.to_dict(), ...]}`` (a list), schema
                     ``detap.result.SCHEMA``
- ``per_class.csv``  one row per protocol and class; floats as ``repr`` (they
                     read back exactly), NaN as an empty field
- ``report.md``      mAP, per-class tables, the per-class analysis
                     (Pearson r of AP against count, area, aspect) and links
                     to the plots
- ``report.html``    the same, self-contained: inline CSS, plots as base64
                     data URIs, no script, no external resource
- ``plots/...``      the PNGs of ``detap.plots`` (``plots/<tag>/...`` with
                     several results), when matplotlib is installed

``write_compare_report(runs, out_dir)`` writes ``compare.json``,
``compare.csv``, ``compare.md``, ``compare.html`` and ``compare.png``.
``compare_table``, ``format_table`` and ``format_side_by_side`` return what
the CLI prints.  Every file is written atomically (``atomic_write``).

Every number comes from the result objects; the only arithmetic here is the
compare table's difference of mAPs and choosing best/worst classes.
"""
import base64
import csv
import html
import io
import json
import math
import os
import re
import unicodedata
import warnings

from . import plots as _plots
from .atomic import atomic_write
from .result import COCO_STAT_LABELS

__all__ = ["write_report", "write_compare_report", "compare_table", "format_table",
           "format_side_by_side", "atomic_write", "CSV_COLUMNS"]

REPORT_SCHEMA_VERSION = 1
CSV_COLUMNS = ["protocol", "class", "n_annotations", "n_gt", "n_det", "tp", "fp", "ap", "f1",
               "f1_confidence", "f1_precision", "f1_recall", "mean_area", "mean_aspect"]
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


def _fin(x):
    return x is not None and math.isfinite(float(x))


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


def write_report(result_or_results, out_dir, *, title=None, plots=True, dataset_info=None):
    """Write the report files of one ``EvalResult`` or a list of them (several
    protocols on the same data) into ``out_dir`` (created if needed).

    dataset_info  optional mapping (or text) shown at the top of the
                  Markdown and HTML reports, e.g. paths and image count
    plots         False: text reports only

    Returns {key: path}: "json", "csv", "md", "html", and "plot:<relative
    path>" per PNG.  When plots were requested but matplotlib is missing, a
    warning is issued, the text reports are still written, and the key
    "plots_skipped" holds the message instead of a path.
    """
    results, many = _as_list(result_or_results)
    title = title or "detap evaluation report"
    os.makedirs(out_dir, exist_ok=True)
    written = {}

    doc = ({"schema_version": REPORT_SCHEMA_VERSION, "results": [r.to_dict() for r in results]}
           if many else results[0].to_dict())
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

    # per result: {kind: path relative to out_dir}, "pr_class": [paths, evaluation order]
    figures = [{} for _ in results]
    if plots:
        if _plots.available():
            tags = _tags(results) if many else [None]
            for i, (r, tag) in enumerate(zip(results, tags)):
                rel_dir = "plots" if tag is None else f"plots/{tag}"
                plot_dir = os.path.join(out_dir, *rel_dir.split("/"))
                for kind, p in _plots.plot_figures(r, plot_dir):
                    rel = rel_dir + "/" + os.path.relpath(p, plot_dir).replace(os.sep, "/")
                    if kind == "pr_class":
                        figures[i].setdefault(kind, []).append(rel)
                    else:
                        figures[i][kind] = rel
                    written[f"plot:{rel}"] = p
        else:
            warnings.warn(_plots.MISSING_MESSAGE, stacklevel=2)
            written["plots_skipped"] = _plots.MISSING_MESSAGE

    written["md"] = atomic_write(os.path.join(out_dir, "report.md"),
                                 _report_md(results, figures, title, dataset_info))
    written["html"] = atomic_write(os.path.join(out_dir, "report.html"),
                                   _report_html(results, figures, title, dataset_info, out_dir))
    return written


# ------------------------------------------------------------------ formatting helpers

def _pct(x, signed=False):
    if not _fin(x):
        return "n/a"
    return f"{100 * float(x):+.2f}" if signed else f"{100 * float(x):.2f}"


def _g(x, fmt):
    return format(float(x), fmt) if _fin(x) else "n/a"


def _result_label(r):
    return f"{r.protocol} @ IoU {float(r.iou):g}"


def _class_cells(k):
    """One class's row for the Markdown and HTML tables (all text)."""
    return [str(int(k.n_annotations)), str(int(k.n_gt)), str(int(k.n_det)), str(int(k.tp)),
            str(int(k.fp)), _pct(k.ap), _g(k.f1, ".3f"), _g(k.f1_confidence, ".4g"),
            _pct(k.f1_precision), _pct(k.f1_recall), _g(k.mean_area, ".1f"),
            _g(k.mean_aspect, ".3f")]


_CLASS_HEAD = ["class", "annotations", "GT", "dets", "TP", "FP", "AP (%)", "best F1",
               "conf @F1", "P @F1 (%)", "R @F1 (%)", "mean area (px²)", "mean aspect (w/h)"]


def _analysis(r):
    """[(label, r text)] of the per-class analysis (seed question: is AP
    related to how many, how big, how elongated a class's boxes are?)."""
    out = []
    for kind in ("ap_vs_annotations", "ap_vs_area", "ap_vs_aspect"):
        rho, n = _plots.correlation(r, kind)
        what = {"ap_vs_annotations": "number of annotations",
                "ap_vs_area": "log10 mean box area",
                "ap_vs_aspect": "mean aspect ratio"}[kind]
        out.append((f"AP vs {what}", ("n/a" if rho is None else f"{rho:+.3f}") + f" ({n} classes)"))
    return out


def _info_items(info):
    if info is None:
        return None
    if isinstance(info, dict):
        return [(str(k), str(v)) for k, v in info.items()]
    return str(info)


# ------------------------------------------------------------------ Markdown

def _md(text):
    """Text for a Markdown table cell or heading: HTML-escaped (renderers pass
    raw HTML through) and Markdown punctuation backslash-escaped."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#!$~])", r"\\\1", text)


def _md_table(head, rows, left=(0,)):
    """Markdown table; columns whose index is in ``left`` are left-aligned,
    the (numeric) others right-aligned."""
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(":---" if i in left else "---:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _md_info(info):
    items = _info_items(info)
    if items is None:
        return []
    if isinstance(items, str):
        return [_md(items), ""]
    return _md_table(["dataset", ""], [[_md(k), _md(v)] for k, v in items], left=(0, 1)) + [""]


def _report_md(results, figures, title, info):
    from . import __version__
    out = [f"# {_md(title)}", "", f"Generated by detap {__version__}.", ""]
    out += _md_info(info)
    if len(results) > 1:
        out += ["## Summary", ""]
        out += _md_table(["protocol", "IoU", "mAP (%)", "classes", "images"],
                         [[_md(r.protocol), f"{float(r.iou):g}", _pct(r.map), str(len(r.classes)),
                           str(int(r.n_images))] for r in results])
        out += ["", "### AP per class under each protocol (%)", ""]
        out += _md_table(["class"] + [_md(_result_label(r)) for r in results],
                         [[_md(c)] + [_pct(r.per_class[c].ap) if c in r.per_class else "–"
                                      for r in results] for c in _plots.classes_union(results)]
                         + [["**mAP**"] + [f"**{_pct(r.map)}**" for r in results]])
        out.append("")
    for r, figs in zip(results, figures):
        out += [f"## {_md(_result_label(r))}", "",
                f"**mAP: {_pct(r.map)}%** over {len(r.classes)} classes, "
                f"{int(r.n_images)} images.", ""]
        if r.convention:
            out += ["Convention: " + ", ".join(f"{_md(k)}={_md(v)}" for k, v in r.convention.items()),
                    ""]
        if r.stats is not None:
            out += _md_table(["COCO summary", "value"],
                             [[_md(n), _g(v, ".4f")] for n, v in zip(COCO_STAT_LABELS, r.stats)]) + [""]
        out += _md_table(_CLASS_HEAD, [[_md(c)] + _class_cells(r.per_class[c]) for c in r.classes])
        out += ["", "### Per-class analysis", "",
                "Pearson correlation of AP with each class's annotation statistics "
                "(classes without AP left out):", ""]
        out += [f"- {label}: r = {text}" for label, text in _analysis(r)] + [""]
        if figs:
            out += ["### Plots", ""]
            for kind in _SUMMARY_PLOTS:
                if kind in figs:
                    out += [f"![{_plots.TITLES[kind]}]({figs[kind]})", ""]
            pr = figs.get("pr_class", [])
            if pr:
                out += ["PR curve per class:", ""]
                out += [f"- [{_md(c)}]({p})" for c, p in zip(r.classes, pr)] + [""]
    return "\n".join(out)


# ------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{border-bottom:2px solid #ccc;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f2f2f2}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafafa}
.map{font-size:1.3em;font-weight:bold}.muted{color:#666;font-size:.9em}
figure{display:inline-block;margin:.5em;vertical-align:top}
figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444;text-align:center}
details{margin:1em 0}summary{cursor:pointer;font-weight:bold}
"""


def _e(text):
    return html.escape(str(text), quote=True)


def _html_table(head, rows, left=(0,), foot=None):
    """Cells are HTML already; columns not in ``left`` are numeric."""
    def cells(row, tag):
        num = ' class="num"'
        return "".join(f"<{tag}{'' if i in left else num}>{v}</{tag}>"
                       for i, v in enumerate(row))
    out = ["<table>", f"<thead><tr>{cells(head, 'th')}</tr></thead>", "<tbody>"]
    out += [f"<tr>{cells(row, 'td')}</tr>" for row in rows]
    out.append("</tbody>")
    if foot:
        out.append(f"<tfoot><tr>{cells(foot, 'th')}</tr></tfoot>")
    out.append("</table>")
    return out


def _img(out_dir, rel, kind, caption):
    with open(os.path.join(out_dir, *rel.split("/")), "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    w, h = _plots.png_size(kind)
    return (f'<figure><img src="data:image/png;base64,{data}" width="{w}" height="{h}" '
            f'alt="{_e(caption)}"><figcaption>{_e(caption)}</figcaption></figure>')


def _html_page(title, body):
    return "\n".join(['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>",
                      "<body>", *body, "</body>", "</html>", ""])


def _html_info(info):
    items = _info_items(info)
    if items is None:
        return []
    if isinstance(items, str):
        return [f"<p>{_e(items)}</p>"]
    return _html_table(["dataset", ""], [[_e(k), _e(v)] for k, v in items], left=(0, 1))


def _report_html(results, figures, title, info, out_dir):
    from . import __version__
    body = [f"<h1>{_e(title)}</h1>", f'<p class="muted">Generated by detap {_e(__version__)}.</p>']
    body += _html_info(info)
    if len(results) > 1:
        body += ["<h2>Summary</h2>"]
        body += _html_table(["protocol", "IoU", "mAP (%)", "classes", "images"],
                            [[_e(r.protocol), f"{float(r.iou):g}", _pct(r.map),
                              str(len(r.classes)), str(int(r.n_images))] for r in results])
        body += ["<h3>AP per class under each protocol (%)</h3>"]
        body += _html_table(["class"] + [_e(_result_label(r)) for r in results],
                            [[_e(c)] + [_pct(r.per_class[c].ap) if c in r.per_class else "–"
                                        for r in results] for c in _plots.classes_union(results)],
                            foot=["mAP"] + [_pct(r.map) for r in results])
    for r, figs in zip(results, figures):
        body += ["<section>", f"<h2>{_e(_result_label(r))}</h2>",
                 f'<p><span class="map">mAP {_pct(r.map)}%</span> over {len(r.classes)} classes, '
                 f"{int(r.n_images)} images.</p>"]
        if r.convention:
            body.append('<p class="muted">Convention: '
                        + ", ".join(f"{_e(k)}={_e(v)}" for k, v in r.convention.items()) + "</p>")
        if r.stats is not None:
            body += _html_table(["COCO summary", "value"],
                                [[_e(n), _g(v, ".4f")] for n, v in zip(COCO_STAT_LABELS, r.stats)])
        body += _html_table(_CLASS_HEAD, [[_e(c)] + _class_cells(r.per_class[c])
                                          for c in r.classes],
                            foot=["mAP", "", "", "", "", "", _pct(r.map)] + [""] * 6)
        body += ["<h3>Per-class analysis</h3>",
                 "<p>Pearson correlation of AP with each class's annotation statistics "
                 "(classes without AP left out):</p>", "<ul>"]
        body += [f"<li>{_e(label)}: r = {_e(text)}</li>" for label, text in _analysis(r)]
        body.append("</ul>")
        if figs:
            body.append("<h3>Plots</h3>")
            for kind in _SUMMARY_PLOTS:
                if kind in figs:
                    body.append(_img(out_dir, figs[kind], kind, _plots.TITLES[kind]))
            pr = figs.get("pr_class", [])
            if pr:
                body.append(f"<details><summary>PR curve per class ({len(pr)})</summary>")
                body += [_img(out_dir, p, "pr_class", f"PR curve: {c}")
                         for c, p in zip(r.classes, pr)]
                body.append("</details>")
        body.append("</section>")
    return _html_page(title, body)


# ------------------------------------------------------------------ compare

def _runs_list(runs):
    runs = list(runs.items()) if isinstance(runs, dict) else [tuple(x) for x in runs]
    if not runs:
        raise ValueError("compare: no runs")
    return [(str(n), r) for n, r in runs]


def compare_table(runs):
    """One dict per run: run, mAP, best_class, best_ap, worst_class, worst_ap,
    delta (mAP minus the first run's mAP; NaN when either is NaN).

    Classes with NaN AP are never best or worst; on ties the class first in
    evaluation order wins; without any finite AP the classes are None and
    the APs NaN.
    """
    runs = _runs_list(runs)
    first = float(runs[0][1].map)
    rows = []
    for name, r in runs:
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


def _compare_warning(runs):
    kinds = {(r.protocol, float(r.iou)) for _, r in runs}
    if len(kinds) > 1:
        return ("runs were evaluated under different protocols/IoU thresholds ("
                + ", ".join(f"{p} @ {i:g}" for p, i in sorted(kinds)) + "): APs are not comparable")
    return None


def write_compare_report(runs, out_dir):
    """Write ``compare.json``, ``compare.csv``, ``compare.md``, ``compare.html``
    and (with matplotlib) ``compare.png`` into ``out_dir`` for
    ``runs`` = [(run name, EvalResult), ...] (e.g. one per checkpoint).

    Returns {key: path} like ``write_report`` ("json", "csv", "md", "html",
    "plot:compare.png" or "plots_skipped").  Warns when the runs used
    different protocols or IoU thresholds.
    """
    runs = _runs_list(runs)
    os.makedirs(out_dir, exist_ok=True)
    table = compare_table(runs)
    classes = _plots.classes_union([r for _, r in runs])
    caution = _compare_warning(runs)
    if caution:
        warnings.warn(caution, stacklevel=2)
    written = {}

    doc = {"schema_version": REPORT_SCHEMA_VERSION,
           "runs": [dict(row, protocol=r.protocol, iou=float(r.iou), result=r.to_dict())
                    for row, (_, r) in zip(table, runs)]}
    written["json"] = atomic_write(os.path.join(out_dir, "compare.json"), _dumps(doc))

    head = ["run", "protocol", "iou", "mAP", "delta", "best_class", "best_ap", "worst_class",
            "worst_ap"] + [f"AP[{c}]" for c in classes]
    rows = []
    for row, (_, r) in zip(table, runs):
        rows.append([row["run"], r.protocol, repr(float(r.iou)), _csv_float(row["mAP"]),
                     _csv_float(row["delta"]), row["best_class"] or "", _csv_float(row["best_ap"]),
                     row["worst_class"] or "", _csv_float(row["worst_ap"])]
                    + [_csv_float(r.per_class[c].ap) if c in r.per_class else "" for c in classes])
    written["csv"] = atomic_write(os.path.join(out_dir, "compare.csv"), _csv_text(rows, head))

    png = None
    if _plots.available():
        png = _plots.plot_compare(runs, out_dir)[0]
        written[f"plot:{os.path.basename(png)}"] = png
    else:
        warnings.warn(_plots.MISSING_MESSAGE, stacklevel=2)
        written["plots_skipped"] = _plots.MISSING_MESSAGE

    def best(row, which, esc):
        c = row[f"{which}_class"]
        return "n/a" if c is None else f"{esc(c)} ({_pct(row[f'{which}_ap'])})"

    sum_head = ["run", "protocol", "mAP (%)", "best class", "worst class", "Δ mAP vs first (pts)"]
    ap_head_md = ["class"] + [_md(n) for n, _ in runs]

    md = ["# detap comparison", "", f"{len(runs)} runs, compared with the first "
          f"({_md(runs[0][0])}).", ""]
    if caution:
        md += [f"> **Warning:** {_md(caution)}", ""]
    md += _md_table(sum_head, [[_md(row["run"]), _md(_result_label(r)), _pct(row["mAP"]),
                                best(row, "best", _md), best(row, "worst", _md),
                                _pct(row["delta"], signed=True)]
                               for row, (_, r) in zip(table, runs)], left=(0, 1, 3, 4))
    md += ["", "## AP per class (%)", ""]
    md += _md_table(ap_head_md, [[_md(c)] + [_pct(r.per_class[c].ap) if c in r.per_class else "–"
                                             for _, r in runs] for c in classes]
                    + [["**mAP**"] + [f"**{_pct(row['mAP'])}**" for row in table]])
    if png:
        md += ["", f"![{_plots.TITLES['compare']}](compare.png)"]
    written["md"] = atomic_write(os.path.join(out_dir, "compare.md"), "\n".join(md) + "\n")

    body = ["<h1>detap comparison</h1>",
            f"<p>{len(runs)} runs, compared with the first ({_e(runs[0][0])}).</p>"]
    if caution:
        body.append(f"<p><strong>Warning:</strong> {_e(caution)}</p>")
    body += _html_table(sum_head, [[_e(row["run"]), _e(_result_label(r)), _pct(row["mAP"]),
                                    best(row, "best", _e), best(row, "worst", _e),
                                    _pct(row["delta"], signed=True)]
                                   for row, (_, r) in zip(table, runs)], left=(0, 1, 3, 4))
    body.append("<h2>AP per class (%)</h2>")
    body += _html_table(["class"] + [_e(n) for n, _ in runs],
                        [[_e(c)] + [_pct(r.per_class[c].ap) if c in r.per_class else "–"
                                    for _, r in runs] for c in classes],
                        foot=["mAP"] + [_pct(row["mAP"]) for row in table])
    if png:
        body.append(_img(out_dir, "compare.png", "compare", _plots.TITLES["compare"]))
    written["html"] = atomic_write(os.path.join(out_dir, "compare.html"),
                                   _html_page("detap comparison", body))
    return written


# ------------------------------------------------------------------ terminal tables

def _width(s):
    """Terminal columns of ``s``: wide East Asian characters take two,
    combining marks none."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cell(s):
    # a newline or tab inside a class name would break the table's rows
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(s))


def _align(rows, left_cols=1):
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        parts = []
        for i, (s, w) in enumerate(zip(row, widths)):
            pad = " " * (w - _width(s))
            parts.append(s + pad if i < left_cols else pad + s)
        lines.append("  ".join(parts).rstrip())
    return lines


def format_table(result):
    """Per-class table for the terminal: class, GT, dets, TP, FP, AP, P@F1,
    R@F1, conf@F1 (AP, P, R in %), then the mAP line."""
    r = result
    head = (f"{r.protocol}  IoU {float(r.iou):g}  ({len(r.classes)} classes, "
            f"{int(r.n_images)} images; AP, P@F1, R@F1 in %)")
    rows = [["class", "GT", "dets", "TP", "FP", "AP", "P@F1", "R@F1", "conf@F1"]]
    for c in r.classes:
        k = r.per_class[c]
        rows.append([_cell(c), str(int(k.n_gt)), str(int(k.n_det)), str(int(k.tp)),
                     str(int(k.fp)), _pct(k.ap), _pct(k.f1_precision), _pct(k.f1_recall),
                     _g(k.f1_confidence, ".4g")])
    rows.append(["mAP", "", "", "", "", _pct(r.map), "", "", ""])
    lines = _align(rows)
    rule = "-" * max(_width(x) for x in lines)
    return "\n".join([_cell(head), lines[0], rule] + lines[1:-1] + [rule, lines[-1]])


def format_side_by_side(results):
    """AP per class (rows) under each result's protocol (columns), mAP last;
    a header line per column names its protocol and IoU."""
    results = list(results)
    if not results:
        raise ValueError("format_side_by_side: no results")
    labels = [f"[{i + 1}]" for i in range(len(results))]
    head = [f"{lab} {_cell(r.protocol)}  IoU {float(r.iou):g}  ({len(r.classes)} classes, "
            f"{int(r.n_images)} images)" for lab, r in zip(labels, results)]
    rows = [["class"] + [f"{lab} {_cell(r.protocol)}" for lab, r in zip(labels, results)]]
    for c in _plots.classes_union(results):
        rows.append([_cell(c)] + [_pct(r.per_class[c].ap) if c in r.per_class else "-"
                                  for r in results])
    rows.append(["mAP"] + [_pct(r.map) for r in results])
    lines = _align(rows)
    rule = "-" * max(_width(x) for x in lines)
    return "\n".join(head + ["AP in %", lines[0], rule] + lines[1:-1] + [rule, lines[-1]])


def format_compare(rows):
    """``compare_table`` rows for the terminal: run, mAP, best and worst
    class with their AP, delta to the first run (percentage points)."""
    table = [["run", "mAP", "best class", "AP", "worst class", "AP", "delta"]]
    for row in rows:
        table.append([_cell(row["run"]), _pct(row["mAP"]), _cell(row["best_class"] or "-"),
                      _pct(row["best_ap"]), _cell(row["worst_class"] or "-"),
                      _pct(row["worst_ap"]), _pct(row["delta"], signed=True)])
    lines = _align(table)
    rule = "-" * max(_width(x) for x in lines)
    return "\n".join(["AP in %", lines[0], rule] + lines[1:])
