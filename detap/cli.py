"""The ``detap`` command line.

    detap demo                       evaluate the bundled VOC sample
    detap eval --gt P --dt P [--format F] [--protocol P|all] [--iou T] [--out DIR] [--json]
    detap compare --gt P RUN [RUN ...] [--protocol P] [--out DIR] [--json]
    detap convert --gt P [--dt P] --from F --to F --out-gt P [--out-dt P]
    detap voc --det T --anno T --imageset F [--iou 0.5] [--use07] ...
    detap dota --det T --anno T --imageset F [--task 1|2] [--iou 0.5] [--all-point] ...

Exit codes (the README's command-line section has the full table):
0 success; 1 a CI gate failed (``--fail-under``, ``--max-drop``); 2 bad
usage, bad input (the message names the file and line) or an output that
cannot be written (the message names the path); 130 interrupted (Ctrl-C);
141 (128 + SIGPIPE, as for other Unix tools) when the reader of stdout went
away, e.g. ``detap demo | head -2``, with no message.  Every failure is one
line on stderr, never a traceback.
"""
import argparse
import json
import os
import sys
import time
import warnings

from . import __version__
from .conventions import PRESETS
from .errors import DetapCacheError, DetapInputError, DetapOutputError
from .result import SCHEMA_VERSION, stat_labels
from .voc import evaluate

FORMATS = ("auto", "voc", "coco", "yolo", "cartucho", "text", "dota", "yolo-obb")
#: the protocol a format's own tool uses, for ``--protocol auto``
NATIVE_PROTOCOL = {"voc": "voc", "coco": "coco", "cartucho": "cartucho", "yolo": "ultralytics",
                   "text": "vocdevkit", "dota": "dota", "yolo-obb": "dota"}

#: the demo's per-class columns: ``detap voc``'s, with AP in percent
DEMO_COLUMNS = ("gt", "dets", "tp", "fp", "ap")

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sample_voc")


EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 130, 141


def _fancy(args, out):
    from .console import rich_enabled
    return not getattr(args, "json", False) and rich_enabled(out, getattr(args, "quiet", False))


def _print_result(res, title, out, columns=None, fancy=False):
    from . import report
    columns = columns or report.VOC_COLUMNS
    if fancy:
        from .console import write_result_table
        write_result_table(out, title, report.class_table(res, columns))
    else:
        out.write(report.format_table(res, columns, title=title) + "\n")


def _voc(args, out):
    return _templates(args, out, evaluate, "voc", use_07_metric=args.use07 or None)


def _dota(args, out):
    from .dota import evaluate as dota_evaluate
    use07 = False if args.all_point else None
    return _templates(args, out, dota_evaluate, "dota task 1" if args.task == 1 else "dota task 2",
                      task=args.task, use_07_metric=use07)


def _templates(args, out, evaluate_fn, default_name, **kwargs):
    """detap voc / detap dota: a per-class det file template evaluated
    against an annotation template and an image set."""
    t0 = time.perf_counter()
    res = evaluate_fn(args.det, args.anno, args.imageset, args.classes, cachedir=args.cachedir,
                      ovthresh=args.iou, convention=args.convention,
                      missing_ok=args.missing_ok, threads=args.threads, **kwargs)
    dt = time.perf_counter() - t0
    metric = {"voc07": "VOC07 11-point", "all_point": "VOC2010+ all-point",
              "coco101": "COCO 101-point", "ultralytics": "Ultralytics 101-point"}[res.convention["ap"]]
    _print_result(res, f"{metric} AP at IoU {res.convention['iou_cmp']} "
                       f"{args.iou} ({args.convention or default_name} conventions)", out,
                  getattr(args, "columns", None), _fancy(args, out))
    out.write(f"({len(res.classes)} classes in {dt * 1000:.1f} ms)\n")
    return res


def _write(out, text, fancy):
    from .console import write_text
    write_text(out, text, fancy)


def _demo(args, out):
    from . import report
    out.write(f"detap {__version__} demo: bundled PASCAL VOC-format sample in {SAMPLE}\n\n")
    common = dict(det=os.path.join(SAMPLE, "results", "det_test_{}.txt"),
                  anno=os.path.join(SAMPLE, "Annotations", "{}.xml"),
                  imageset=os.path.join(SAMPLE, "ImageSets", "Main", "test.txt"),
                  classes=None, cachedir=None, iou=0.5, convention="py-faster-rcnn",
                  missing_ok=False, threads=None)
    # AP in percent here, as in the side-by-side table below: one unit in the demo
    pfr = _voc(argparse.Namespace(use07=False, columns=DEMO_COLUMNS, **common), out)
    out.write("\n")
    pfr07 = _voc(argparse.Namespace(use07=True, columns=DEMO_COLUMNS, **common), out)
    out.write("\nThe same files under every protocol (detap eval --protocol all):\n")
    from . import formats
    from .protocols import evaluate_all
    ds = formats.read(SAMPLE, common["det"], format="voc", imageset=common["imageset"])
    results = evaluate_all(ds)
    _write(out, report.format_side_by_side(results), _fancy(args, out))
    by = {r.protocol: r for r in results}
    out.write(f"\npy-faster-rcnn's mAPs above ({pfr.map * 100:.2f} %, {pfr07.map * 100:.2f} %) "
              f"differ from [2] voc's and [1] voc07's ({by['voc'].map * 100:.2f} %, "
              f"{by['voc07'].map * 100:.2f} %) only by tie order: np.argsort(-score) "
              f"vs file order.\n")


def _read_options(args):
    return {k: getattr(args, k) for k in ("box_format", "relative", "names", "image_sizes",
                                          "imageset") if getattr(args, k, None) is not None}


def _read(args, dt):
    """(format, Dataset): the format is the ground truth's (it picks the
    native protocol); ``--dt-format`` reads detections in another one."""
    from . import formats
    fmt = args.format
    if fmt == "auto":
        # --box-format and --relative apply to the text format only (to the
        # detections when --dt-format names their format)
        text_flags = (args.box_format or args.relative) and not args.dt_format
        fmt = ("text" if text_flags else
               formats.detect_format(args.gt, None if args.dt_format else dt))
    both = (fmt, args.dt_format) if args.dt_format else fmt
    return fmt, formats.read(args.gt, dt, format=both, **_read_options(args))


def _protocols(args, fmt, kind="box"):
    """The protocols to run on a data set of box kind ``kind`` ("box",
    "quad", "obb"): 'auto' is the format's own tool's ("dota" for
    quadrilaterals, "coco" with hotcoco's rotated IoU for rotated boxes)."""
    from .protocols import KIND_PROTOCOLS
    if args.protocol == "all":
        return list(KIND_PROTOCOLS[kind])
    if args.protocol == "auto":  # text lines of oriented boxes too
        return [{"quad": "dota", "obb": "coco"}.get(kind) or NATIVE_PROTOCOL[fmt]]
    return [args.protocol]


def _evaluate(args, ds, protocols):
    from .progress import Progress
    from .protocols import evaluate as run
    results = []
    with Progress(len(protocols), "evaluating") as bar:  # --quiet: see main()
        for p in protocols:
            results.append(run(ds, p, args.iou, threads=args.threads,
                               ap=None if p == "coco" else args.ap))
            bar.update(1)
    return results


def _writing(path, write):
    """Run ``write()``; any OSError becomes one DetapOutputError naming the
    path (the report writers may name a file inside ``path``)."""
    try:
        return write()
    except BrokenPipeError:
        raise
    except OSError as e:
        where = e.filename if getattr(e, "filename", None) else path
        raise DetapOutputError(f"cannot write {where}: {e.strerror or e}", where) from None


def _write_report(args, write):
    """``write()`` the report into ``args.out``, with a spinner on a terminal
    (the plots take seconds on large data sets)."""
    from .console import activity
    with activity(f"writing the report to {args.out}", sys.stderr, args.quiet):
        return _writing(args.out, write)


def _check_out_dir(path):
    """Fail before the (maybe long) evaluation when ``--out`` cannot become
    the report folder: the report writer's own rule, checked early."""
    if path:
        from .report import REPORT_FOLDER_NAMES
        from .report_folder import check_replaceable
        check_replaceable(path, REPORT_FOLDER_NAMES)


def _eval(args, out):
    from . import report
    from .provenance import build
    t0 = time.perf_counter()
    _check_out_dir(args.out)
    gate = _gate_setup(args)
    if args.protocol == "lvis":
        fmt, results, counts = _eval_lvis(args)
        protocols = ["lvis"]
    elif args.iou_type != "bbox":
        fmt, results, counts = _eval_shapes(args)
        protocols = ["coco"]
    else:
        fmt, ds = _read(args, args.dt)
        if not ds.has_dets:
            raise DetapInputError(f"{args.gt}: no detections were read; give them with --dt")
        protocols = _protocols(args, fmt, ds.box_kind)
        results = _evaluate(args, ds, protocols)
        if getattr(args, "analysis", False):
            from .analysis import analyze
            a = analyze(ds, iou=args.iou, threads=args.threads)
            for r in results:
                r.analysis = a
        counts = (len(ds.images), len(ds.gt_boxes), len(ds.det_boxes))
    elapsed = time.perf_counter() - t0
    prov = build(args.argv, args.gt, args.dt, fmt, args.dt_format,
                 protocols[0] if len(protocols) == 1 else "all")
    # the result goes to stdout before any file is written: a failed write
    # must not lose it
    if args.json:
        doc = (results[0].to_dict() if len(results) == 1 else
               {"schema_version": SCHEMA_VERSION, "protocol": "all", "iou": args.iou,
                "results": [r.to_dict() for r in results]})
        doc["provenance"] = prov
        out.write(json.dumps(doc, allow_nan=False) + "\n")
    elif len(results) == 1:
        fancy = _fancy(args, out)
        if fancy:
            r = results[0]
            _print_result(r, f"{r.protocol_label}  IoU {float(r.iou):g}  ({len(r.classes)} classes, "
                             f"{int(r.n_images)} images)", out, report.TERMINAL_COLUMNS, True)
        else:
            out.write(report.format_table(results[0]) + "\n")
        if results[0].stats is not None:
            _write(out, _coco_stats_text(results[0].stats), fancy)
        if results[0].summary is not None:
            from .lvis.report import summary_text
            _write(out, summary_text(results[0]), fancy)
        if results[0].analysis is not None:
            from .report_analysis import analysis_text
            _write(out, "\n" + analysis_text(results[0].analysis), fancy)
    else:
        _write(out, report.format_side_by_side(results), _fancy(args, out))
    out.flush()
    if args.out:
        _write_report(args, lambda: report.write_report(
            results if len(results) > 1 else results[0], args.out, plots=not args.no_plots,
            provenance=prov))
    # after the write: "report in" is only said of a report that exists
    if not args.quiet and not args.json:
        out.write(f"({counts[0]} images, {counts[1]} GT, {counts[2]} detections, "
                  f"{fmt} format, {elapsed:.2f} s{'; report in ' + args.out if args.out else ''})\n")
    from .gate import map_checks
    checks = map_checks(results, gate["fail_under"]) if gate["fail_under"] is not None else []
    return _gate_finish(args, gate, checks, prov, "detap eval")


def _eval_shapes(args):
    """detap eval --iou-type segm|keypoints|obb: COCO JSON files through
    COCOeval (masks and keypoints have no other format; rotated boxes in
    text files are --box-format obb): (format, [EvalResult], (images, GT,
    detections))."""
    from .coco.report import evaluate_files
    json_gt = os.path.isfile(args.gt) and args.gt.lower().endswith(".json")
    fmt = args.format if args.format != "auto" else "coco" if json_gt else "other"
    if fmt != "coco" or args.dt_format or args.protocol not in ("auto", "coco"):
        also = ("; rotated boxes in text files: --format text --box-format obb"
                if args.iou_type == "obb" else "")
        raise DetapInputError(f"--iou-type {args.iou_type} takes COCO JSON files and the coco "
                              f"protocol only{also}")
    if not args.dt:
        raise DetapInputError(f"{args.gt}: no detections; give them with --dt")
    res, read = evaluate_files(args.gt, args.dt, args.iou_type, args.iou, args.threads,
                               _analysis_settings(args))
    return "coco", [res], read


def _eval_lvis(args):
    """detap eval --protocol lvis: an LVIS JSON ground truth and a results
    list through LVISEval (bbox or segm): (format, [EvalResult], (images,
    GT, detections kept))."""
    from .lvis.report import evaluate_files
    if args.format not in ("auto", "coco") or args.dt_format or args.iou_type == "keypoints":
        raise DetapInputError("--protocol lvis takes an LVIS JSON ground truth and a JSON "
                              "results list, with --iou-type bbox or segm")
    if not args.dt:
        raise DetapInputError(f"{args.gt}: no detections; give them with --dt")
    res, read = evaluate_files(args.gt, args.dt, args.iou_type, args.iou, args.threads,
                               _analysis_settings(args, max_dets=300))
    return "lvis", [res], read


def _analysis_settings(args, **kw):
    """``--analysis``' settings (TIDE at the reported IoU), or None without
    it; LVIS keeps its 300 detections per image (``max_dets``)."""
    if not getattr(args, "analysis", False):
        return None
    from .analysis import AnalysisSettings
    return AnalysisSettings(iou=args.iou, **kw)


def _coco_stats_text(stats):
    labels = stat_labels(stats)
    width = max(map(len, labels))
    return "\n".join(f"  {name:<{width}} {v:.3f}" for name, v in zip(labels, stats))


def run_labels(paths):
    """Distinct labels for run paths: the shortest path suffix (same number
    of trailing components for every run) that tells them apart, e.g.
    ``e1/dets`` and ``e2/dets`` rather than ``dets`` twice; a path given
    twice gets " (2)", " (3)" ... appended."""
    parts = [os.path.normpath(os.path.abspath(p)).split(os.sep) for p in paths]
    distinct = {tuple(x) for x in parts}
    for k in range(1, max(len(x) for x in parts) + 1):
        if len({x[-k:] for x in distinct}) == len(distinct):
            break
    seen = {}
    out = []
    for x in parts:
        label = "/".join(x[-k:]).lstrip("/") or "/"
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _compare(args, out):
    from . import report
    from .provenance import build
    _check_out_dir(args.out)
    gate = _gate_setup(args)
    names = args.labels or run_labels(args.runs)
    if len(names) != len(args.runs):
        raise DetapInputError(f"--labels gives {len(names)} names for {len(args.runs)} runs")
    if len(set(names)) != len(names):
        raise DetapInputError(f"--labels: {sorted(n for n in names if names.count(n) > 1)[0]!r} "
                              "is given twice; every run needs its own label")
    runs, fmts, protocols = [], [], []
    for name, run in zip(names, args.runs):
        fmt, ds = _read(args, run)
        p = _protocols(args, fmt, ds.box_kind)
        if len(p) != 1:
            raise DetapInputError("compare takes one protocol, not 'all'")
        fmts.append(fmt)
        protocols += p
        runs.append((name, _evaluate(args, ds, p)[0]))
    prov = build(args.argv, args.gt, list(args.runs), fmts[0], args.dt_format,
                 protocols[0] if len(set(protocols)) == 1 else ",".join(protocols),
                 runs=[{"label": n, "path": r} for n, r in zip(names, args.runs)])
    if args.json:
        rows = report.compare_table(runs)
        out.write(json.dumps(report.json_safe({"schema_version": SCHEMA_VERSION, "runs": [
            dict(row, result=r.to_dict(), path=path)
            for row, (_, r), path in zip(rows, runs, args.runs)], "provenance": prov}),
            allow_nan=False) + "\n")
    else:
        _write(out, report.format_compare(runs), _fancy(args, out))
    out.flush()
    if args.out:
        _write_report(args, lambda: report.write_compare_report(
            [(n, r, path) for (n, r), path in zip(runs, args.runs)], args.out,
            provenance=prov))
    if not args.quiet and not args.json:
        out.write(f"({len(runs)} runs, protocol {prov['protocol']}, IoU {args.iou:g}"
                  f"{'; report in ' + args.out if args.out else ''})\n")
    from .gate import drop_checks, map_checks
    checks = map_checks([r for _, r in runs], gate["fail_under"]) \
        if gate["fail_under"] is not None else []
    if gate["max_drop"] is not None:
        checks += drop_checks(runs, gate["max_drop"], args.per_class)
    return _gate_finish(args, gate, checks, prov, "detap compare")


def _gate_setup(args):
    """The gate's thresholds as fractions, checked before any work."""
    from .gate import parse_fraction
    g = {"fail_under": None, "max_drop": None}
    if getattr(args, "fail_under", None) is not None:
        g["fail_under"] = parse_fraction(args.fail_under, "--fail-under")
    if getattr(args, "max_drop", None) is not None:
        g["max_drop"] = parse_fraction(args.max_drop, "--max-drop")
    if getattr(args, "per_class", False) and g["max_drop"] is None:
        raise DetapInputError("--per-class needs --max-drop")
    if g["fail_under"] is None and g["max_drop"] is None:
        for flag in ("junit", "summary_md"):
            if getattr(args, flag, None) is not None:
                raise DetapInputError(f"--{flag.replace('_', '-')} needs a gate: --fail-under"
                                      + (" or --max-drop" if args.command == "compare" else ""))
    if getattr(args, "summary_md", None) == "":
        g["summary_md"] = os.environ.get("GITHUB_STEP_SUMMARY")
        if not g["summary_md"]:
            raise DetapInputError("--summary-md without a file needs $GITHUB_STEP_SUMMARY set; "
                                  "give a file: --summary-md FILE")
    else:
        g["summary_md"] = getattr(args, "summary_md", None)
    return g


def _gate_finish(args, gate, checks, prov, title):
    """Write the gate's files, its verdict on stderr; the exit code."""
    if not checks:
        return EXIT_OK
    from .console import rich_enabled, write_error
    from .gate import failed, summary_text, write_junit, write_summary
    if args.junit:
        _writing(args.junit, lambda: write_junit(args.junit, checks))
    if gate["summary_md"]:
        _writing(gate["summary_md"], lambda: write_summary(gate["summary_md"], checks, title,
                                                          prov))
    bad = failed(checks)
    if bad or not args.quiet:
        write_error(sys.stderr, summary_text(checks), bool(bad) and rich_enabled(sys.stderr))
    return EXIT_GATE if bad else EXIT_OK


def _convert(args, out):
    # --format is an alias of --from (the flag eval and compare call it)
    if "auto" not in (args.format, args.src_format) and args.format != args.src_format:
        raise DetapInputError(f"--format {args.format} and --from {args.src_format} disagree; "
                              "--format is an alias of --from: give one")
    from . import formats
    src = args.src_format if args.src_format != "auto" else args.format
    fmt, ds = _read(argparse.Namespace(**dict(vars(args), format=src)), args.dt)
    src = f"{fmt} (detections {args.dt_format})" if args.dt_format else fmt
    formats.write(ds, args.dst_format, args.out_gt, args.out_dt if ds.has_dets else None,
                  box_format=args.out_box_format, relative=args.out_relative)
    if not args.quiet:
        out.write(f"converted {len(ds.images)} images, {len(ds.gt_boxes)} GT, "
                  f"{len(ds.det_boxes)} detections: {src} -> {args.dst_format}\n")


def _input_options(p, with_dt=True):
    p.add_argument("--gt", required=True, help="ground truth: file or folder")
    if with_dt:
        p.add_argument("--dt", help="detections: file or folder (not needed for a Cartucho "
                                    "input/ folder holding both)")
    p.add_argument("--format", choices=FORMATS, default="auto",
                   help="input format (default: detected from the files)")
    if with_dt is not None:
        p.add_argument("--dt-format", choices=FORMATS[1:],
                       help="detections in another format than the ground truth "
                            "(a per-image one: yolo, cartucho, text, yolo-obb)")
    p.add_argument("--box-format", choices=("xyxy", "xywh", "cxcywh", "quad", "obb"),
                   help="box layout of the text format (default: xywh, i.e. x y w h; quad: "
                        "x1 y1 ... x4 y4, oriented boxes; obb: cx cy w h angle, rotated boxes, "
                        "angle in radians; the other formats fix their own); implies --format "
                        "text when --format is not given")
    p.add_argument("--relative", action="store_true", default=None,
                   help="text coordinates are fractions of the image size (implies "
                        "--format text when --format is not given)")
    p.add_argument("--names", help="class names file (one per line) or YOLO data.yaml")
    p.add_argument("--image-sizes", help="image folder or sizes file, for relative coordinates")
    p.add_argument("--imageset", help="VOC or DOTA image set file (default: every annotation)")


def _eval_options(p, compare=False):
    from .protocols import ALL_PROTOCOLS
    choices = ("auto",) + ALL_PROTOCOLS + (() if compare else ("lvis",)) + ("all",)
    p.add_argument("--protocol", choices=choices, default="auto",
                   help="whose rules (default: the format's own tool; 'all': every protocol "
                        "side by side; 'lvis': lvis-api's federated evaluation of an LVIS "
                        "JSON ground truth)")
    p.add_argument("--iou", type=float, default=0.5, help="IoU threshold (default 0.5)")
    if not compare:
        p.add_argument("--iou-type", choices=("bbox", "segm", "keypoints", "obb"), default="bbox",
                       help="what the coco protocol compares: boxes (default), masks, "
                            "keypoints (COCO JSON files: pycocotools' iouType) or rotated "
                            "boxes ('obb': [cx, cy, w, h, angle in radians], hotcoco's)")
    p.add_argument("--ap", choices=("voc07", "all_point"),
                   help="override the protocol's AP rule (VOC-family protocols)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for matching (default: all cores)")
    p.add_argument("--out", help="write report.json, per_class.csv, report.md, report.html "
                                 "and plots into this folder")
    p.add_argument("--no-plots", action="store_true", help="with --out: text reports only")
    if not compare:
        p.add_argument("--analysis", action="store_true",
                       help="also analyse the errors: TIDE breakdown (tidecv's numbers), confusion "
                            "matrix, calibration, worst images; with --iou-type segm|keypoints on masks / "
                            "OKS, with --protocol lvis on its federated rules")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (schema in detap.result.SCHEMA)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bars, colour or summary line")
    g = p.add_argument_group("CI gate (exit 1 when a check fails)")
    g.add_argument("--fail-under", metavar="MAP",
                   help="fail when the mAP is below MAP: a fraction (0.45) or percent (45, 45%%)")
    if compare:
        g.add_argument("--max-drop", metavar="DELTA",
                       help="fail when a run's mAP is more than DELTA below the first run's: "
                            "a fraction (0.01) or AP points (1, 0.5%%)")
        g.add_argument("--per-class", action="store_true",
                       help="with --max-drop: check every class's AP too")
    g.add_argument("--junit", metavar="FILE", help="write the gate's checks as JUnit XML")
    g.add_argument("--summary-md", metavar="FILE", nargs="?", const="",
                   help="append a Markdown summary of the gate to FILE (without FILE: to "
                        "$GITHUB_STEP_SUMMARY)")


def build_parser():
    p = argparse.ArgumentParser(prog="detap", description="Exact, fast object-detection AP.")
    p.add_argument("--version", action="version", version=f"detap {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="evaluate the bundled VOC-format sample")
    e = sub.add_parser("eval", help="evaluate detections against ground truth")
    _input_options(e)
    _eval_options(e)
    c = sub.add_parser("compare", help="compare runs or checkpoints against the same GT")
    _input_options(c, with_dt=False)
    c.add_argument("runs", nargs="+", help="detection file or folder of each run")
    c.add_argument("--labels", nargs="+",
                   help="a name per run (default: the shortest distinct path suffixes)")
    _eval_options(c, compare=True)
    k = sub.add_parser("convert", help="convert between formats")
    _input_options(k, with_dt=None)
    k.add_argument("--dt", help="detections to convert too")
    k.add_argument("--from", dest="src_format", choices=FORMATS, default="auto",
                   help="input format (default: detected; --format is an alias)")
    k.add_argument("--dt-format", choices=FORMATS[1:],
                   help="detections in another format than the ground truth "
                        "(a per-image one: yolo, cartucho, text)")
    k.add_argument("--to", dest="dst_format", choices=FORMATS[1:], required=True)
    k.add_argument("--out-gt", required=True, help="where to write the ground truth")
    k.add_argument("--out-dt", help="where to write the detections")
    k.add_argument("--out-box-format", choices=("xyxy", "xywh", "cxcywh", "quad", "obb"),
                   help="box layout for text output")
    k.add_argument("--out-relative", action="store_true", help="relative text coordinates")
    k.add_argument("--quiet", action="store_true")
    v = sub.add_parser("voc", help="evaluate a PASCAL VOC layout (py-faster-rcnn voc_eval files)")
    v.add_argument("--det", required=True, help="det file template, e.g. results/det_test_{}.txt")
    v.add_argument("--anno", required=True, help="annotation template, e.g. Annotations/{}.xml")
    v.add_argument("--imageset", required=True, help="image set file, one id per line")
    v.add_argument("--classes", nargs="+", help="classes (default: all in the annotations)")
    v.add_argument("--iou", type=float, default=0.5, help="IoU threshold (default 0.5)")
    v.add_argument("--use07", action="store_true", help="VOC07 11-point AP")
    v.add_argument("--cachedir", help="directory for the annotation cache")
    v.add_argument("--convention", choices=sorted(PRESETS), default=None,
                   help="rule preset (default 'voc': py-faster-rcnn rules, stable ties)")
    v.add_argument("--threads", type=int, default=None,
                   help="threads for matching (default: all cores)")
    v.add_argument("--missing-ok", action="store_true",
                   help="a class without det file has no detections (default: error)")
    d = sub.add_parser("dota", help="evaluate DOTA files (DOTA_devkit's task 1 / task 2 voc_eval)")
    d.add_argument("--det", required=True, help="det file template, e.g. results/Task1_{}.txt")
    d.add_argument("--anno", required=True, help="labelTxt template, e.g. labelTxt/{}.txt")
    d.add_argument("--imageset", required=True, help="image set file, one id per line")
    d.add_argument("--task", type=int, choices=(1, 2), default=1,
                   help="1: oriented quadrilaterals (default), 2: horizontal boxes")
    d.add_argument("--classes", nargs="+", help="classes (default: all in the annotations)")
    d.add_argument("--iou", type=float, default=0.5, help="IoU threshold (default 0.5)")
    d.add_argument("--all-point", action="store_true",
                   help="all-point AP (default: VOC07 11-point, as the devkit's main())")
    d.add_argument("--cachedir", help="directory for the annotation cache")
    d.add_argument("--convention", choices=sorted(PRESETS), default=None,
                   help="rule preset (default: the devkit's rules with stable ties; 'dota' "
                        "(task 1) or 'py-faster-rcnn-07' (task 2): the devkit's numpy ties)")
    d.add_argument("--threads", type=int, default=None,
                   help="threads for matching (default: all cores)")
    d.add_argument("--missing-ok", action="store_true",
                   help="a class without det file has no detections (default: error)")
    return p


def _run(argv, out):
    args = build_parser().parse_args(argv)
    args.argv = argv
    from .progress import configure
    configure(False if getattr(args, "quiet", False) else None)
    commands = {"demo": _demo, "voc": _voc, "dota": _dota, "eval": _eval, "compare": _compare,
                "convert": _convert}
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = commands[args.command](args, out)
        out.flush()
    except BrokenPipeError:
        raise
    except (DetapInputError, DetapCacheError, OSError) as e:
        # OSError: input files (missing, unreadable) and outputs
        # (DetapOutputError), each naming its path
        sys.stderr.write(f"detap: error: {e}\n")
        return EXIT_USAGE
    return code if isinstance(code, int) else EXIT_OK


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as the command line's own lines: ``detap: warning: ...``
    (detap's input checks write one-line messages that name the file and
    the flag that fixes it; a Python location would only add noise)."""
    sys.stderr.write(f"detap: warning: {message}\n")


def _silence_stdout():
    """Point stdout at /dev/null, so the interpreter's final flush of what
    is still buffered for a closed pipe fails neither loudly nor at all
    (the Python docs' recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None, out=None):
    """Run the command line; returns the exit code (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    out = out or sys.stdout
    try:
        return _run(argv, out)
    except KeyboardInterrupt:
        sys.stderr.write("detap: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE


if __name__ == "__main__":
    sys.exit(main())
