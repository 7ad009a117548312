"""detap.dota vs DOTA_devkit's task 1 evaluation, side by side (see
bench/test_bench_voc.py for the modes and the ratio bookkeeping).

    python -m pytest bench/test_bench_dota.py -q -p no:cacheprovider              # quick
    python -m pytest bench/test_bench_dota.py -q -p no:cacheprovider --bench-full # full

Data: bench/dota_data.py (crowded 1024 px scenes of oriented rectangles,
integer GT vertices in labelTxt files, float32 detections printed as
17-digit reprs in a Task1 file), ``sizes.n_images`` images.

e  from files, 1 class, 100k / 20k detections:
   detap            ``detap.dota.voc_eval`` (annotations in the in-process
                    memo, as in a loop over classes);
   reference        the devkit's loop (tests/reference_dota.py, its Python
                    statements) on pre-parsed annotations, reading the Task1
                    file itself, with the polygon IoU compiled: one call per
                    detection to polyiou's arithmetic in C for all its kept
                    GT (bench/refdota.py; the devkit's SWIG call is one per
                    pair);
   reference-pair   the same with one compiled call per (GT, detection) pair,
                    as the devkit calls polyiou (minus SWIG's conversions);
   reference-parse  per-detection calls, parsing every labelTxt file per
                    call, as the devkit's voc_eval does.
f  1M / 200k oriented detections from arrays: ``detap.evaluate_class(...,
   convention="dota")`` alone (the goal: under 1 s at 1M).

Every benchmark of (e) checks that detap's rec, prec and ap equal the
baseline's bit for bit.
"""
import numpy as np
import pytest

import detap
import detap.dota

from .dota_data import make_dota, write_dota
from .refdota import devkit_loop, devkit_recs
from .test_bench_voc import assert_same, info  # (the same checks and record fields)

CLS = "small-vehicle"


class DotaFiles:
    def __init__(self, data, root):
        self.data = data
        self.detpath, self.annopath, self.imagesetfile = write_dota(data, str(root))
        self.recs = devkit_recs(self.annopath, data.names)


@pytest.fixture(scope="session")
def dota_files(sizes, tmp_path_factory):
    data = make_dota(sizes.n_images, sizes.core_n, classes=(CLS,), seed=1)
    return DotaFiles(data, tmp_path_factory.mktemp("dota_core"))


@pytest.fixture(scope="session")
def dota_big(sizes):
    return make_dota(sizes.n_images, sizes.big_n, classes=(CLS,), seed=2)


def _detap(f):
    def run():
        return detap.dota.voc_eval(f.detpath, f.annopath, f.imagesetfile, CLS)
    return run


def _reference(f):
    def run():
        return devkit_loop(f.recs, f.data.names, f.detpath.format(CLS), CLS)
    return run


def _reference_pair(f):
    def run():
        return devkit_loop(f.recs, f.data.names, f.detpath.format(CLS), CLS, calls="per-pair")
    return run


def _reference_parse(f):
    def run():
        recs = devkit_recs(f.annopath, f.data.names)
        return devkit_loop(recs, f.data.names, f.detpath.format(CLS), CLS)
    return run


def test_e_dota_reference(benchmark, sizes, dota_files, outputs, pairs):
    benchmark.group = f"e-dota-{sizes.label(sizes.core_n)}"
    out = benchmark.pedantic(_reference(dota_files), rounds=sizes.rounds["reference"],
                             warmup_rounds=0)
    outputs.put("e", out)
    pairs.record(benchmark, "reference",
                 impl="DOTA_devkit task1 loop, compiled polyiou (pre-parsed labelTxt)",
                 **info(sizes, "e-dota", sizes.core_n, dota_files.data))
    assert_same(_detap(dota_files)(), out, "dota voc_eval")


def _slow_variant(benchmark, sizes, dota_files, outputs, pairs, role, impl, runner):
    """A baseline variant, benchmarked with the slow round count and checked
    against the baseline's output."""
    benchmark.group = f"e-dota-{sizes.label(sizes.core_n)}"
    out = benchmark.pedantic(runner(dota_files), rounds=sizes.rounds["reference_slow"],
                             warmup_rounds=0)
    pairs.record(benchmark, role, impl=impl, **info(sizes, "e-dota", sizes.core_n, dota_files.data))
    assert_same(outputs.get("e", _reference(dota_files)), out, "devkit")


def test_e_dota_reference_parse(benchmark, sizes, dota_files, outputs, pairs):
    _slow_variant(benchmark, sizes, dota_files, outputs, pairs, "reference-parse",
                  "DOTA_devkit task1 voc_eval, compiled polyiou (parses labelTxt)",
                  _reference_parse)


def test_e_dota_reference_pair(benchmark, sizes, dota_files, outputs, pairs):
    _slow_variant(benchmark, sizes, dota_files, outputs, pairs, "reference-pair",
                  "DOTA_devkit task1 loop, compiled polyiou called per pair", _reference_pair)


def test_e_dota_detap(benchmark, sizes, dota_files, outputs, pairs):
    benchmark.group = f"e-dota-{sizes.label(sizes.core_n)}"
    run = _detap(dota_files)
    run()  # the annotations go to the in-process memo, as in a loop over classes
    out = benchmark.pedantic(run, rounds=sizes.rounds["detap_files"], warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.dota.voc_eval (warm in-process memo)",
                 **info(sizes, "e-dota", sizes.core_n, dota_files.data))
    assert_same(out, outputs.get("e", _reference(dota_files)), "dota voc_eval")


def test_f_dota_arrays_detap(benchmark, sizes, dota_big, pairs):
    benchmark.group = f"f-dota-arrays-{sizes.label(sizes.big_n)}"
    d = dota_big

    def run():
        return detap.evaluate_class(d.det_quads, d.det_scores, d.det_img, d.gt_quads, d.gt_img,
                                    d.gt_difficult, convention="dota", n_images=len(d.names))
    res = benchmark.pedantic(run, rounds=sizes.rounds["detap_big"], warmup_rounds=1)
    pairs.record(benchmark, "detap", impl="detap.evaluate_class(convention='dota')",
                 **info(sizes, "f-dota-arrays", sizes.big_n, d))
    assert res.n_det == sizes.big_n and 0 < res.ap < 1
