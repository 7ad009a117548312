"""detap vs the py-faster-rcnn reference, side by side (one benchmark group
per scenario; the reference/detap median ratio goes into ``extra_info``).

    python -m pytest bench -q -p no:cacheprovider              # quick (CI)
    python -m pytest bench -q -p no:cacheprovider --bench-full # full sizes
    python bench/report.py --full > bench/results.md           # Markdown table

Scenarios (sizes: full mode / quick mode):

a  core, 1 class, 100k / 20k dets, in-memory arrays: sort + match + AP.
   ``detap.evaluate_class(convention=Convention(tie_order="numpy"))`` vs
   ``bench.refcore.reference_core`` (the reference after its det file is
   read).  Both include grouping the class's GT by image.
b  core at 1M / 200k dets: detap; the reference only in full mode (one
   round, ~15 s).  In quick mode detap's answer is still checked against
   one unbenchmarked reference run.
c  end to end from files, 1 class, the data of (a):
   detap                ``detap.voc_eval`` with a warm cache (the in-process
                        memo, as in a loop over classes);
   detap-diskcache      ``detap.voc_eval`` loading the .npz annotation cache
                        on every call (memo cleared before each round);
   reference            ``voc_eval_recs`` with pre-parsed ``recs``: the
                        reference with a warm pickle cache (the realistic
                        comparison; loading the pickle is not even timed);
   reference-xml        ``reference_voc.voc_eval``: parses all XML per call.
   The det file holds short numbers (3-decimal scores, integer corners).
c-f32  the same, det file with float32 reprs (``bench/number_formats.py``: the
   detections of (a) with sub-pixel corners, every number as ``repr`` of its
   float32 value, ``0.12300000339746475``, as a detector's outputs print):
   detap (warm memo) vs reference (warm recs), in both modes.
d  all 20 classes, VOC2007-test-sized set (4952 images, ~12k GT, 150k dets):
   ``detap.voc.evaluate(convention="py-faster-rcnn")`` (warm memo) vs a loop
   of ``voc_eval_recs`` over the classes (warm recs).

Every benchmark asserts that its output equals the other implementation's,
bit for bit (rec, prec arrays with np.array_equal; ap with ==), so a fast
wrong answer can never be measured.
"""
import numpy as np
import pytest

import detap
import detap.voc
from detap.synth import VOC_CLASSES
from tests import reference_voc

from .refcore import det_inputs, make_class_recs_builder, reference_core

NUMPY_TIES = detap.Convention(tie_order="numpy")  # py-faster-rcnn's rules


# ------------------------------------------------------------------ helpers

def assert_same(got, want, what=""):
    """(rec, prec, ap) triples equal bit for bit (NaN == NaN)."""
    rec, prec, ap = got
    rec2, prec2, ap2 = want
    assert rec.dtype == rec2.dtype == np.float64, what
    assert prec.dtype == prec2.dtype == np.float64, what
    assert rec.shape == rec2.shape, f"{what}: {rec.shape} != {rec2.shape}"
    assert np.array_equal(rec, rec2, equal_nan=True), f"{what}: rec differs"
    assert np.array_equal(prec, prec2, equal_nan=True), f"{what}: prec differs"
    assert ap == ap2 or (np.isnan(ap) and np.isnan(ap2)), f"{what}: ap {ap!r} != {ap2!r}"


def triple(res):
    """(rec, prec, ap) of a detap ClassResult."""
    return res.rec, res.prec, res.ap


def info(sizes, scenario, n_det, data, n_classes=1):
    return dict(scenario=scenario, size=f"{sizes.label(n_det)} dets", n_det=int(n_det),
                n_images=len(data.names), n_gt=int(len(data.gt_img)), n_classes=n_classes,
                mode=sizes.mode)


def detap_core(data):
    """detap's core on the arrays of a single-class synth set."""
    def run():
        return detap.evaluate_class(data.det_boxes, data.det_scores, data.det_img,
                                    data.gt_boxes, data.gt_img, data.gt_difficult,
                                    convention=NUMPY_TIES, n_images=len(data.names))
    return run


def reference_core_runner(data, recs):
    """The reference core on the same data (inputs built once, not timed)."""
    builder = make_class_recs_builder(recs, data.names, data.classes[0])
    image_ids, confidence, BB = det_inputs(data)

    def run():
        return reference_core(builder, image_ids, confidence, BB)
    return run


# --------------------------------------------------- (a) core at 100k dets

def test_a_core_reference(benchmark, sizes, core_data, core_recs, outputs, pairs):
    benchmark.group = f"a-core-{sizes.label(sizes.core_n)}"
    out = benchmark.pedantic(reference_core_runner(core_data, core_recs),
                             rounds=sizes.rounds["reference"], warmup_rounds=0)
    outputs.put("a", out)
    pairs.record(benchmark, "reference", impl="bench.refcore.reference_core",
                 **info(sizes, "a-core", sizes.core_n, core_data))
    assert_same(triple(detap_core(core_data)()), out, "core")


def test_a_core_detap(benchmark, sizes, core_data, core_recs, outputs, pairs):
    benchmark.group = f"a-core-{sizes.label(sizes.core_n)}"
    res = benchmark.pedantic(detap_core(core_data), rounds=sizes.rounds["detap"],
                             warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.evaluate_class(tie_order='numpy')",
                 **info(sizes, "a-core", sizes.core_n, core_data))
    assert_same(triple(res), outputs.get("a", reference_core_runner(core_data, core_recs)),
                "core")


# ----------------------------------------------------- (b) core at 1M dets

def test_b_big_reference(benchmark, sizes, big_data, big_recs, outputs, pairs):
    if not sizes.big_reference:
        pytest.skip(f"the reference at {sizes.label(sizes.big_n)} dets is benchmarked in full "
                    "mode only (--bench-full / DETAP_BENCH_FULL=1)")
    benchmark.group = f"b-core-{sizes.label(sizes.big_n)}"
    out = benchmark.pedantic(reference_core_runner(big_data, big_recs),
                             rounds=sizes.rounds["reference_big"], warmup_rounds=0)
    outputs.put("b", out)
    pairs.record(benchmark, "reference", impl="bench.refcore.reference_core",
                 **info(sizes, "b-core", sizes.big_n, big_data))
    assert_same(triple(detap_core(big_data)()), out, "core (big)")


def test_b_big_detap(benchmark, sizes, big_data, big_recs, outputs, pairs):
    benchmark.group = f"b-core-{sizes.label(sizes.big_n)}"
    res = benchmark.pedantic(detap_core(big_data), rounds=sizes.rounds["detap_big"],
                             warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.evaluate_class(tie_order='numpy')",
                 **info(sizes, "b-core", sizes.big_n, big_data))
    # in quick mode the reference runs once here, unbenchmarked (~3 s at 200k)
    assert_same(triple(res), outputs.get("b", reference_core_runner(big_data, big_recs)),
                "core (big)")


# ------------------------------------------- (c) end to end from files, 1 class

def _voc_eval_detap(f):
    def run():
        return detap.voc_eval(f.detpath, f.annopath, f.imagesetfile, "car", cachedir=f.cachedir)
    return run


def _voc_eval_reference_warm(f):
    def run():
        return reference_voc.voc_eval_recs(f.recs, f.imagenames, f.detpath.format("car"), "car")
    return run


def _voc_eval_reference_xml(f):
    def run():
        return reference_voc.voc_eval(f.detpath, f.annopath, f.imagesetfile, "car")
    return run


def test_c_e2e_reference(benchmark, sizes, core_files, outputs, pairs):
    benchmark.group = f"c-e2e-{sizes.label(sizes.core_n)}"
    out = benchmark.pedantic(_voc_eval_reference_warm(core_files),
                             rounds=sizes.rounds["reference"], warmup_rounds=0)
    outputs.put("c", out)
    pairs.record(benchmark, "reference", impl="reference_voc.voc_eval_recs (pre-parsed recs)",
                 **info(sizes, "c-e2e", sizes.core_n, core_files.data))
    assert_same(_voc_eval_detap(core_files)(), out, "voc_eval")


def test_c_e2e_reference_xml(benchmark, sizes, core_files, outputs, pairs):
    benchmark.group = f"c-e2e-{sizes.label(sizes.core_n)}"
    out = benchmark.pedantic(_voc_eval_reference_xml(core_files),
                             rounds=sizes.rounds["reference_slow"], warmup_rounds=0)
    pairs.record(benchmark, "reference-xml", impl="reference_voc.voc_eval (parses XML)",
                 **info(sizes, "c-e2e", sizes.core_n, core_files.data))
    assert_same(_voc_eval_detap(core_files)(), out, "voc_eval")


def test_c_e2e_detap(benchmark, sizes, core_files, outputs, pairs):
    benchmark.group = f"c-e2e-{sizes.label(sizes.core_n)}"
    run = _voc_eval_detap(core_files)
    run()  # warm the cache (parses the XML once, writes the .npz, fills the memo)
    out = benchmark.pedantic(run, rounds=sizes.rounds["detap_files"], warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.voc_eval (warm in-process cache)",
                 **info(sizes, "c-e2e", sizes.core_n, core_files.data))
    assert_same(out, outputs.get("c", _voc_eval_reference_warm(core_files)), "voc_eval")


def test_c_e2e_detap_diskcache(benchmark, sizes, core_files, outputs, pairs):
    benchmark.group = f"c-e2e-{sizes.label(sizes.core_n)}"
    run = _voc_eval_detap(core_files)
    run()  # make sure the .npz cache exists

    def forget():  # each round starts from the on-disk cache, as a fresh process
        detap.voc._memo.clear()

    out = benchmark.pedantic(run, setup=forget, rounds=sizes.rounds["detap_files"],
                             warmup_rounds=1)
    pairs.record(benchmark, "detap-diskcache", impl="detap.voc_eval (.npz cache, no memo)",
                 **info(sizes, "c-e2e", sizes.core_n, core_files.data))
    assert_same(out, outputs.get("c", _voc_eval_reference_warm(core_files)), "voc_eval")


# ------------------------------ (c-f32) the same with float32-repr numbers

def test_c_f32_e2e_reference(benchmark, sizes, core_files_f32, outputs, pairs):
    benchmark.group = f"c-e2e-f32-{sizes.label(sizes.core_n)}"
    out = benchmark.pedantic(_voc_eval_reference_warm(core_files_f32),
                             rounds=sizes.rounds["reference"], warmup_rounds=0)
    outputs.put("c-f32", out)
    pairs.record(benchmark, "reference", impl="reference_voc.voc_eval_recs (pre-parsed recs)",
                 numbers="float32", **info(sizes, "c-e2e-f32", sizes.core_n, core_files_f32.data))
    assert_same(_voc_eval_detap(core_files_f32)(), out, "voc_eval (float32 reprs)")


def test_c_f32_e2e_detap(benchmark, sizes, core_files_f32, outputs, pairs):
    benchmark.group = f"c-e2e-f32-{sizes.label(sizes.core_n)}"
    run = _voc_eval_detap(core_files_f32)
    run()  # warm the annotation cache (the same GT as c)
    out = benchmark.pedantic(run, rounds=sizes.rounds["detap_files"], warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.voc_eval (warm in-process cache)",
                 numbers="float32", **info(sizes, "c-e2e-f32", sizes.core_n, core_files_f32.data))
    assert_same(out, outputs.get("c-f32", _voc_eval_reference_warm(core_files_f32)),
                "voc_eval (float32 reprs)")


# ------------------------------------------------------- (d) all 20 classes

def _all_detap(f):
    def run():
        return detap.voc.evaluate(f.detpath, f.annopath, f.imagesetfile, list(VOC_CLASSES),
                                  cachedir=f.cachedir, convention="py-faster-rcnn")
    return run


def _all_reference(f):
    def run():
        return {c: reference_voc.voc_eval_recs(f.recs, f.imagenames, f.detpath.format(c), c)
                for c in VOC_CLASSES}
    return run


def _check_all(res, ref):
    assert res.classes == list(ref)
    for c, want in ref.items():
        assert_same(triple(res.per_class[c]), want, c)
    assert res.map == float(np.mean([ref[c][2] for c in ref])) or (
        np.isnan(res.map) and np.isnan(np.mean([ref[c][2] for c in ref])))


def _all_info(sizes, f):
    return info(sizes, "d-all-classes", int(len(f.data.det_img)), f.data,
                n_classes=len(VOC_CLASSES))


def test_d_all_reference(benchmark, sizes, all_files, outputs, pairs):
    benchmark.group = f"d-all-classes-{sizes.label(sizes.all_n)}"
    with np.errstate(all="ignore"):
        out = benchmark.pedantic(_all_reference(all_files), rounds=sizes.rounds["reference_slow"],
                                 warmup_rounds=0)
    outputs.put("d", out)
    pairs.record(benchmark, "reference", impl="loop of reference_voc.voc_eval_recs (pre-parsed recs)",
                 **_all_info(sizes, all_files))
    _check_all(_all_detap(all_files)(), out)


def test_d_all_detap(benchmark, sizes, all_files, outputs, pairs):
    benchmark.group = f"d-all-classes-{sizes.label(sizes.all_n)}"
    run = _all_detap(all_files)
    run()  # warm the cache
    res = benchmark.pedantic(run, rounds=sizes.rounds["detap_files"], warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.voc.evaluate(convention='py-faster-rcnn')",
                 **_all_info(sizes, all_files))
    with np.errstate(all="ignore"):
        ref = outputs.get("d", _all_reference(all_files))
    _check_all(res, ref)
