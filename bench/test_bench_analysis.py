"""The analysis (issue 14): its overhead on ``detap eval`` and TIDE against
tidecv, in one run.

    python -m pytest bench/test_bench_analysis.py -q -p no:cacheprovider              # quick
    python -m pytest bench/test_bench_analysis.py -q -p no:cacheprovider --bench-full # full
    python bench/report.py --full        # the goals' lines

Data: the COCO presets of ``bench/coco_rivals.py`` (full: "coco", 5,000
images, 80 categories, ~37k GT, ~400k detections; quick: "small", 300
images, 20 categories).

g-tide      TIDE's numbers from data already loaded: detap
            (``scene_from_dataset`` + ``tide_records`` + ``tide_summary``)
            vs tidecv (``TIDE().evaluate`` + ``get_all_errors``, on its
            ``Data`` objects built beforehand, not timed).  The benchmark
            asserts the two give the same numbers, bit for bit.  Goal:
            detap >= 20x faster.
h-analysis  ``detap eval``'s work from the files: read + the "coco"
            protocol's evaluation (role detap-eval), and the same plus
            ``detap.analysis.analyze`` (role detap: ``eval --analysis``).
            Goal: the analysis adds at most 50 %.  On a shared machine the
            two benchmarks run minutes apart under different loads, so
            ``test_analysis_overhead_paired`` also times them in alternation
            (eval, eval + analysis, eval, ...) and records the median of the
            paired ratios in ``extra_info["paired_overhead"]``, which the
            goal line of ``bench/report.py`` prefers.
            ``test_analysis_overhead_cli_paired`` does the same with the
            command itself, ``detap eval --quiet`` and ``detap eval
            --analysis --quiet`` in fresh processes (what a user waits
            for: interpreter start and imports included, from bytecode
            caches as an installed package has them).
"""
import os
import statistics
import subprocess
import sys
import time

import pytest

import detap
from detap.analysis import analyze
from detap.analysis.scene import scene_from_dataset
from detap.analysis.tide import tide_records, tide_summary
from detap.formats import read

from .conftest import _full

tidecv = pytest.importorskip("tidecv")


@pytest.fixture(scope="module")
def preset(request, coco_data_dir):
    from .coco_rivals import cached_preset
    name = "coco" if _full(request.config) else "small"
    files = cached_preset(name, coco_data_dir)
    return name, files.gt_path, files.dt_path


@pytest.fixture(scope="module")
def loaded(preset):
    _, gt, dt = preset
    return read(gt, dt, format="coco")


def _info(name, ds, scenario, role):
    return dict(scenario=scenario, role=role, size=f"{name} preset", n_det=len(ds.det_boxes),
                n_images=len(ds.images), n_gt=len(ds.gt_boxes), n_classes=len(ds.classes),
                preset=name)


def _tidecv_data(ds):
    from tests.tide_support import tidecv_data
    return tidecv_data(scene_from_dataset(ds))


def _detap_tide(ds):
    sc = scene_from_dataset(ds)
    s = tide_summary(tide_records(sc), len(sc.classes))
    return s["ap"], s["main"], s["special"], s["counts"]


def test_tide_detap(benchmark, preset, loaded):
    benchmark.group = "g-tide"
    benchmark.extra_info.update(_info(preset[0], loaded, "g-tide", "detap"))
    benchmark.pedantic(_detap_tide, args=(loaded,), rounds=5, warmup_rounds=1)


def test_tide_tidecv(benchmark, preset, loaded):
    from tests.tide_support import tidecv_run
    benchmark.group = "g-tide"
    benchmark.extra_info.update(_info(preset[0], loaded, "g-tide", "reference"))
    gt, dt = _tidecv_data(loaded)
    ref = benchmark.pedantic(tidecv_run, args=(gt, dt), rounds=1, iterations=1)
    assert _detap_tide(loaded) == tuple(ref)   # the same numbers, bit for bit


def _eval(gt, dt, analysis):
    ds = read(gt, dt, format="coco")
    res = detap.evaluate(ds, "coco")
    if analysis:
        res.analysis = analyze(ds)
    return res


@pytest.mark.parametrize("analysis", [False, True], ids=["eval", "eval+analysis"])
def test_analysis_overhead(benchmark, preset, loaded, analysis):
    name, gt, dt = preset
    benchmark.group = "h-analysis"
    benchmark.extra_info.update(_info(name, loaded, "h-analysis",
                                      "detap" if analysis else "detap-eval"))
    res = benchmark.pedantic(_eval, args=(gt, dt, analysis), rounds=9, warmup_rounds=1)
    assert (res.analysis is not None) == analysis


def test_analysis_overhead_paired(benchmark, request, preset, loaded):
    name, gt, dt = preset
    benchmark.group = "h-analysis-paired"
    ratios, base = [], []
    _eval(gt, dt, True)   # warm
    for _ in range(7 if _full(request.config) else 3):
        t0 = time.perf_counter()
        _eval(gt, dt, False)
        t1 = time.perf_counter()
        _eval(gt, dt, True)
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
        base.append(t1 - t0)
    # not a scenario row of its own: bench/report.py reads it for the goal
    benchmark.extra_info.update(paired_for="h-analysis", preset=name,
                                paired_overhead=statistics.median(ratios) - 1,
                                paired_ratios=ratios, paired_eval_s=base)
    benchmark.pedantic(lambda: None, rounds=1)


def test_analysis_overhead_cli_paired(benchmark, request, preset):
    name, gt, dt = preset
    benchmark.group = "h-analysis-cli-paired"
    cmd = [sys.executable, "-m", "detap", "eval", "--gt", gt, "--dt", dt, "--quiet"]

    # an installed package runs from its compiled bytecode; without a cache
    # (PYTHONDONTWRITEBYTECODE in some shells and CI images) every run would
    # compile detap's sources again, the analysis modules' too
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def wall(args):
        t = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True, env=env)
        return time.perf_counter() - t
    wall(cmd)                    # warm the page cache and write the bytecode
    wall(cmd + ["--analysis"])
    pairs = [(wall(cmd), wall(cmd + ["--analysis"])) for _ in range(7 if _full(request.config) else 2)]
    ratios = [b / a for a, b in pairs]
    benchmark.extra_info.update(paired_for="h-analysis-cli", preset=name,
                                paired_overhead=statistics.median(ratios) - 1,
                                paired_ratios=ratios, paired_eval_s=[a for a, _ in pairs])
    benchmark.pedantic(lambda: None, rounds=1)
