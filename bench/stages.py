"""Where the time goes: medians of the stages of detap's pipeline.

Used by ``bench/report.py`` (section "Stages"); also runnable alone:

    python -m bench.stages [--full]

Each stage is timed on its own with the public stage functions of
``detap.core`` / ``detap.voc`` (plus the private input checks of
``detap.core``), so the parts need not add up exactly to the total; the
"rest" line is total minus the parts (Python glue, allocation, result
object).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import detap  # noqa: E402
import detap.core as dcore  # noqa: E402
import detap.voc as dvoc  # noqa: E402
from detap.synth import make_voc_arrays, write_voc  # noqa: E402

NUMPY_TIES = detap.Convention(tie_order="numpy")


def _median(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def core_stages(data, repeats=7):
    """[(stage, seconds)] of ``evaluate_class`` on a single-class synth set."""
    conv = NUMPY_TIES
    n_images = len(data.names)
    boxes, scores, img = data.det_boxes, data.det_scores, data.det_img
    total = _median(lambda: detap.evaluate_class(boxes, scores, img, data.gt_boxes, data.gt_img,
                                                 data.gt_difficult, convention=conv,
                                                 n_images=n_images), repeats)

    def validate():
        dcore.as_boxes(boxes, "det_boxes")
        np.isnan(scores).any()
        dcore.as_index(img, len(scores), "det_image")

    gt = dcore.prepare_gt(data.gt_boxes, data.gt_img, n_images, data.gt_difficult, convention=conv)
    order = dcore.sort_detections(scores, "numpy")
    thr = np.array([0.5])
    labels = dcore.match(boxes, img, order, gt, thr, conv)
    sorted_scores = scores[order]
    parts = [
        ("validate det arrays (finite/NaN/index checks)", _median(validate, repeats)),
        ("prepare_gt (validate + group GT by image)",
         _median(lambda: dcore.prepare_gt(data.gt_boxes, data.gt_img, n_images, data.gt_difficult,
                                          convention=conv), repeats)),
        ("sort: np.argsort(-scores) (tie_order='numpy')",
         _median(lambda: dcore.sort_detections(scores, "numpy"), repeats)),
        ("match (C, greedy, IoU on the fly)",
         _median(lambda: dcore.match(boxes, img, order, gt, thr, conv), repeats)),
        ("gather scores[order]", _median(lambda: scores[order], repeats)),
        ("accumulate (cumsum, prec/rec, AP)",
         _median(lambda: dcore.accumulate(labels[0], gt.npos, conv, sorted_scores), repeats)),
    ]
    rest = total - sum(t for _, t in parts)
    info = [("(for comparison) sort: C radix, tie_order='stable'",
             _median(lambda: dcore.sort_detections(scores, "stable"), repeats))]
    return [("TOTAL evaluate_class", total)] + parts + [("rest (glue, allocations)", rest)] + info


def e2e_stages(detpath, annopath, imagesetfile, classname, cachedir, repeats=7):
    """[(stage, seconds)] of ``detap.voc_eval`` with a warm in-process cache."""
    run = lambda: detap.voc_eval(detpath, annopath, imagesetfile, classname, cachedir=cachedir)  # noqa: E731
    run()
    total = _median(run, repeats)
    conv = NUMPY_TIES
    names = dvoc.read_imageset(imagesetfile)
    ann = dvoc.load_annotations(annopath, names, cachedir)
    detfile = detpath.format(classname)
    img, score, boxes = dvoc.read_detections(detfile, ann)
    gt = ann.class_gt(classname, conv)
    ann2 = dvoc.load_annotations(annopath, names, cachedir)

    def fresh_ids():  # the id table is built once per VocAnnotations object
        a = dvoc.load_annotations(annopath, names, cachedir)
        return a.id_table

    def read_bytes():
        with open(detfile, "rb") as f:
            f.read()

    parts = [
        ("read_imageset", _median(lambda: dvoc.read_imageset(imagesetfile), repeats)),
        ("load_annotations, warm memo (all of it)",
         _median(lambda: dvoc.load_annotations(annopath, names, cachedir), repeats)),
    ]
    unique = list(dict.fromkeys(names))
    if hasattr(dvoc, "_fingerprint"):  # private: skipped if detap reorganises
        parts.append(("  of which: fingerprint (os.stat of every XML + sha256)",
                      _median(lambda: dvoc._fingerprint(annopath, unique), repeats)))
    if hasattr(dvoc, "_read_cache") and hasattr(dvoc, "_cache_path"):
        cachefile = dvoc._cache_path(cachedir, annopath, unique)
        fp = dvoc._fingerprint(annopath, unique)
        parts.append(("  of which: checking the .npz is current (fingerprint + names)",
                      _median(lambda: dvoc._read_cache(cachefile, fp, unique, columns=False),
                              repeats)))
    parts += [
        ("image-id hash table (built per call)", _median(fresh_ids, repeats)
         - _median(lambda: dvoc.load_annotations(annopath, names, cachedir), repeats)),
        ("read_detections (C parser, incl. reading the file)",
         _median(lambda: dvoc.read_detections(detfile, ann2), repeats)),
        ("  of which: reading the det file bytes", _median(read_bytes, repeats)),
        ("class_gt (select class + prepare_gt)", _median(lambda: ann.class_gt(classname, conv),
                                                         repeats)),
        ("core (evaluate_prepared: sort, match, accumulate)",
         _median(lambda: dcore.evaluate_prepared(boxes, score, img, gt, 0.5, conv), repeats)),
    ]
    counted = [t for name, t in parts if not name.startswith("  ")]
    rest = total - sum(counted)
    return [("TOTAL voc_eval (warm)", total)] + parts + [("rest (glue, result conversion)", rest)]


def diskcache_stages(annopath, imagesetfile, cachedir, repeats=5):
    """Cost of loading annotations from the .npz cache (no memo)."""
    names = dvoc.read_imageset(imagesetfile)

    def cold():
        dvoc._memo.clear()
        dvoc.load_annotations(annopath, names, cachedir)

    def parse_xml():
        dvoc._memo.clear()
        dvoc.load_annotations(annopath, names, None)

    return [("load_annotations from .npz cache (memo cleared)", _median(cold, repeats)),
            ("load_annotations parsing every XML (no cache)", _median(parse_xml, 3))]


def reference_stages(data, recs, repeats=3):
    """Reference core: GT extraction (class_recs) vs the rest (sort + loop + AP)."""
    from bench.refcore import det_inputs, make_class_recs_builder, reference_core
    builder = make_class_recs_builder(recs, data.names, data.classes[0])
    image_ids, confidence, BB = det_inputs(data)
    total = _median(lambda: reference_core(builder, image_ids, confidence, BB), repeats)
    build = _median(builder, repeats)
    return [("TOTAL reference_core", total), ("class_recs (GT extraction)", build),
            ("sort + per-detection loop + cumsum + voc_ap", total - build)]


def run_all(full, repeats=7):
    """{section title: [(stage, seconds)]} for the report."""
    from bench.refcore import recs_from_arrays
    n_images = 4952 if full else 1000
    core_n, big_n = (100_000, 1_000_000) if full else (20_000, 200_000)
    core = make_voc_arrays(n_images=n_images, classes=("car",), n_det=core_n, seed=1)
    big = make_voc_arrays(n_images=n_images, classes=("car",), n_det=big_n, seed=2)
    out = {}
    out[f"a: detap core, {core_n} dets"] = core_stages(core, repeats)
    out[f"a: reference core, {core_n} dets"] = reference_stages(core, recs_from_arrays(core))
    out[f"b: detap core, {big_n} dets"] = core_stages(big, max(3, repeats // 2))
    with tempfile.TemporaryDirectory() as tmp:
        detpath, annopath, imagesetfile = write_voc(core, tmp)
        cachedir = os.path.join(tmp, "cache")
        out[f"c: detap.voc_eval warm, {core_n} dets, {n_images} images"] = e2e_stages(
            detpath, annopath, imagesetfile, "car", cachedir, repeats)
        out["c: annotation loading without the memo"] = diskcache_stages(
            annopath, imagesetfile, cachedir)
    return out


def format_markdown(sections):
    lines = []
    for title, rows in sections.items():
        lines += [f"**{title}**", "", "| stage | median |", "|---|---:|"]
        lines += [f"| {name} | {fmt_time(t)} |" for name, t in rows]
        lines.append("")
    return "\n".join(lines)


def fmt_time(t):
    if t is None:
        return "—"
    a = abs(t)
    if a >= 1:
        return f"{t:.3f} s"
    if a >= 1e-3:
        return f"{t * 1e3:.2f} ms"
    return f"{t * 1e6:.0f} µs"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true", help="full sizes (as the benchmark's full mode)")
    args = p.parse_args(argv)
    print(format_markdown(run_all(args.full)))


if __name__ == "__main__":
    main()
