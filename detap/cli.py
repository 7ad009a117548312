"""The ``detap`` command line.

    detap demo                       evaluate the bundled VOC sample
    detap voc --det T --anno T --imageset F [--iou 0.5] [--use07] ...

Exit codes: 0 success, 2 bad usage or bad input (the message names the
file and line), 1 anything unexpected.
"""
import argparse
import os
import sys
import time

from . import __version__
from .conventions import PRESETS
from .errors import DetapCacheError, DetapInputError
from .voc import evaluate

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sample_voc")


def _print_result(res, title, out):
    width = max([len(c) for c in res.classes] + [5])
    out.write(f"{title}\n")
    out.write(f"{'class':<{width}}  {'GT':>5}  {'dets':>6}  {'TP':>5}  {'FP':>6}  {'AP':>7}\n")
    for c in res.classes:
        r = res.per_class[c]
        tp = int(r.tp[-1]) if r.n_det else 0
        fp = int(r.fp[-1]) if r.n_det else 0
        out.write(f"{c:<{width}}  {r.npos:>5d}  {r.n_det:>6d}  {tp:>5d}  {fp:>6d}  {res.ap[c]:>7.4f}\n")
    out.write(f"{'mAP':<{width}}  {'':>5}  {'':>6}  {'':>5}  {'':>6}  {res.map:>7.4f}\n")


def _voc(args, out):
    t0 = time.perf_counter()
    res = evaluate(args.det, args.anno, args.imageset, args.classes, cachedir=args.cachedir,
                   ovthresh=args.iou, use_07_metric=args.use07 or None,
                   convention=args.convention, missing_ok=args.missing_ok,
                   threads=args.threads)
    dt = time.perf_counter() - t0
    metric = "VOC07 11-point" if res.convention.ap == "voc07" else "VOC2010+ all-point"
    _print_result(res, f"{metric} AP at IoU {'>' if res.convention.iou_cmp == '>' else '>='} "
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


def build_parser():
    p = argparse.ArgumentParser(prog="detap", description="Exact, fast object-detection AP.")
    p.add_argument("--version", action="version", version=f"detap {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="evaluate the bundled VOC-format sample")
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
    try:
        if args.command == "demo":
            _demo(args, out)
        else:
            _voc(args, out)
    except (DetapInputError, DetapCacheError, FileNotFoundError, IsADirectoryError) as e:
        sys.stderr.write(f"detap: error: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
