"""The ``detap`` command line.

    detap demo                       evaluate the bundled VOC sample
    detap eval --gt P --dt P [--format F] [--protocol P|all] [--iou T] [--out DIR] [--json]
    detap compare --gt P RUN [RUN ...] [--protocol P] [--out DIR] [--json]
    detap convert --gt P [--dt P] --from F --to F --out-gt P [--out-dt P]
    detap voc --det T --anno T --imageset F [--iou 0.5] [--use07] ...

Exit codes: 0 success, 2 bad usage or bad input (the message names the
file and line), 1 anything unexpected.
"""
import argparse
import json
import os
import sys
import time

from . import __version__
from .conventions import PRESETS
from .errors import DetapCacheError, DetapInputError
from .result import COCO_STAT_LABELS, SCHEMA_VERSION
from .voc import evaluate

FORMATS = ("auto", "voc", "coco", "yolo", "cartucho", "text")
#: the protocol a format's own tool uses, for ``--protocol auto``
NATIVE_PROTOCOL = {"voc": "voc", "coco": "coco", "cartucho": "cartucho", "yolo": "ultralytics",
                   "text": "vocdevkit"}

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sample_voc")


def _print_result(res, title, out):
    from . import report
    out.write(report.format_table(res, report.VOC_COLUMNS, title=title) + "\n")


def _voc(args, out):
    t0 = time.perf_counter()
    res = evaluate(args.det, args.anno, args.imageset, args.classes, cachedir=args.cachedir,
                   ovthresh=args.iou, use_07_metric=args.use07 or None,
                   convention=args.convention, missing_ok=args.missing_ok,
                   threads=args.threads)
    dt = time.perf_counter() - t0
    metric = {"voc07": "VOC07 11-point", "all_point": "VOC2010+ all-point",
              "coco101": "COCO 101-point", "ultralytics": "Ultralytics 101-point"}[res.convention["ap"]]
    _print_result(res, f"{metric} AP at IoU {res.convention['iou_cmp']} "
                       f"{args.iou} ({args.convention or 'voc'} conventions)", out)
    out.write(f"({len(res.classes)} classes in {dt * 1000:.1f} ms)\n")
    return res


def _demo(args, out):
    out.write(f"detap {__version__} demo: bundled PASCAL VOC-format sample in {SAMPLE}\n\n")
    common = dict(det=os.path.join(SAMPLE, "results", "det_test_{}.txt"),
                  anno=os.path.join(SAMPLE, "Annotations", "{}.xml"),
                  imageset=os.path.join(SAMPLE, "ImageSets", "Main", "test.txt"),
                  classes=None, cachedir=None, iou=0.5, convention="py-faster-rcnn",
                  missing_ok=False, threads=None)
    _voc(argparse.Namespace(use07=False, **common), out)
    out.write("\n")
    _voc(argparse.Namespace(use07=True, **common), out)
    out.write("\nThe same files under every protocol (detap eval --protocol all):\n")
    from . import formats, report
    from .protocols import evaluate_all
    ds = formats.read(SAMPLE, common["det"], format="voc", imageset=common["imageset"])
    out.write(report.format_side_by_side(evaluate_all(ds)) + "\n")


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


def _protocols(args, fmt):
    from .protocols import PROTOCOLS
    if args.protocol == "all":
        return list(PROTOCOLS)
    return [NATIVE_PROTOCOL[fmt] if args.protocol == "auto" else args.protocol]


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


def _eval(args, out):
    from . import report
    t0 = time.perf_counter()
    fmt, ds = _read(args, args.dt)
    if not ds.has_dets:
        raise DetapInputError(f"{args.gt}: no detections were read; give them with --dt")
    protocols = _protocols(args, fmt)
    results = _evaluate(args, ds, protocols)
    elapsed = time.perf_counter() - t0
    if args.out:
        report.write_report(results if len(results) > 1 else results[0], args.out,
                            plots=not args.no_plots)
    if args.json:
        doc = (results[0].to_dict() if len(results) == 1 else
               {"schema_version": SCHEMA_VERSION, "protocol": "all", "iou": args.iou,
                "results": [r.to_dict() for r in results]})
        out.write(json.dumps(doc, allow_nan=False) + "\n")
        return results
    if len(results) == 1:
        out.write(report.format_table(results[0]) + "\n")
        if results[0].stats is not None:
            out.write(_coco_stats_text(results[0].stats) + "\n")
    else:
        out.write(report.format_side_by_side(results) + "\n")
    if not args.quiet:
        out.write(f"({len(ds.images)} images, {len(ds.gt_boxes)} GT, {len(ds.det_boxes)} detections, "
                  f"{fmt} format, {elapsed:.2f} s{'; report in ' + args.out if args.out else ''})\n")
    return results


def _coco_stats_text(stats):
    width = max(map(len, COCO_STAT_LABELS))
    return "\n".join(f"  {name:<{width}} {v:.3f}" for name, v in zip(COCO_STAT_LABELS, stats))


def _compare(args, out):
    from . import report
    runs = []
    names = args.labels or [os.path.basename(os.path.normpath(r)) for r in args.runs]
    if len(names) != len(args.runs):
        raise DetapInputError(f"--labels gives {len(names)} names for {len(args.runs)} runs")
    for name, run in zip(names, args.runs):
        fmt, ds = _read(args, run)
        p = _protocols(args, fmt)
        if len(p) != 1:
            raise DetapInputError("compare takes one protocol, not 'all'")
        runs.append((name, _evaluate(args, ds, p)[0]))
    if args.out:
        report.write_compare_report(runs, args.out)
    if args.json:
        rows = report.compare_table(runs)
        out.write(json.dumps(report.json_safe({"schema_version": SCHEMA_VERSION, "runs": [
            dict(row, result=r.to_dict()) for row, (_, r) in zip(rows, runs)]}),
            allow_nan=False) + "\n")
    else:
        out.write(report.format_compare(runs) + "\n")
    return runs


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
                            "(a per-image one: yolo, cartucho, text)")
    p.add_argument("--box-format", choices=("xyxy", "xywh", "cxcywh"),
                   help="box layout of the text format (default: xywh, i.e. x y w h; the "
                        "other formats fix their own); implies --format text when --format "
                        "is not given")
    p.add_argument("--relative", action="store_true", default=None,
                   help="text coordinates are fractions of the image size (implies "
                        "--format text when --format is not given)")
    p.add_argument("--names", help="class names file (one per line) or YOLO data.yaml")
    p.add_argument("--image-sizes", help="image folder or sizes file, for relative coordinates")
    p.add_argument("--imageset", help="VOC image set file (default: every annotation)")


def _eval_options(p):
    from .protocols import PROTOCOLS
    p.add_argument("--protocol", choices=("auto",) + PROTOCOLS + ("all",), default="auto",
                   help="whose rules (default: the format's own tool; 'all': every protocol "
                        "side by side)")
    p.add_argument("--iou", type=float, default=0.5, help="IoU threshold (default 0.5)")
    p.add_argument("--ap", choices=("voc07", "all_point"),
                   help="override the protocol's AP rule (VOC-family protocols)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for matching (default: all cores)")
    p.add_argument("--out", help="write report.json, per_class.csv, report.md, report.html "
                                 "and plots into this folder")
    p.add_argument("--no-plots", action="store_true", help="with --out: text reports only")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (schema in detap.result.SCHEMA)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary line")


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
    c.add_argument("--labels", nargs="+", help="a name per run (default: folder names)")
    _eval_options(c)
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
    k.add_argument("--out-box-format", choices=("xyxy", "xywh", "cxcywh"),
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
    return p


def main(argv=None, out=None):
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    from .progress import configure
    configure(False if getattr(args, "quiet", False) else None)
    commands = {"demo": _demo, "voc": _voc, "eval": _eval, "compare": _compare,
                "convert": _convert}
    try:
        commands[args.command](args, out)
    except (DetapInputError, DetapCacheError, FileNotFoundError, IsADirectoryError,
            NotADirectoryError) as e:
        sys.stderr.write(f"detap: error: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
