"""LVIS federated box evaluation: detap.lvis against lvis-api (exactness,
in process) and against lvis-api, hotcoco, vernier and
ultrafast-pycocotools (fresh processes: stage times, peak RSS, agreement).

Quick mode (CI): preset lvis-small (60 images, 300 categories, ~18k
detections).  Full mode (``--bench-full``): lvis-val (19,809 images, 1,203
categories, ~6M detections); lvis-api runs on every 20th image only (its
whole run takes far longer than the ~15 minutes allowed and tens of GiB),
every tool is compared with it there.  The Markdown tables of the numbers
are ``python bench/lvis_rivals.py`` (see its docstring).
"""
import importlib.util

import numpy as np
import pytest

from .lvis_data import write_preset
from .lvis_rivals import TOOLS, agreement, compare

MODULES = {"detap": "detap", "lvis-api": "lvis", "hotcoco": "hotcoco", "vernier": "vernier",
           "ultrafast-pycocotools": "ultrafast_pycocotools"}


@pytest.fixture(scope="module")
def lvis_files(request, tmp_path_factory):
    """(gt path, results path, counts) of the mode's preset, and of the
    fraction lvis-api runs on (the same files in quick mode)."""
    from .conftest import _full
    import os
    root = os.environ.get("DETAP_BENCH_DATA") or str(tmp_path_factory.mktemp("lvis"))
    name = "lvis-val" if _full(request.config) else "lvis-small"
    whole = write_preset(name, root)
    part = write_preset(name, root, every=20) if name == "lvis-val" else whole
    return whole, part


def _lvis_api():
    if not hasattr(np, "float"):
        np.float = float
    return pytest.importorskip("lvis")


def test_lvis_detap_equals_lvis_api(lvis_files):
    """detap's precision, recall and 13 results equal lvis-api's on the
    preset (on its fraction in full mode)."""
    lvis = _lvis_api()
    from detap.lvis import LVIS, LVISEval, LVISResults
    gt_path, dt_path, _ = lvis_files[1]
    g = lvis.LVIS(gt_path)
    ref = lvis.LVISEval(g, lvis.LVISResults(g, dt_path), "bbox")
    ref.run()
    ours_gt = LVIS(gt_path)
    ours = LVISEval(ours_gt, LVISResults(ours_gt, dt_path), "bbox")
    ours.run()
    assert np.array_equal(ours.eval["precision"], ref.eval["precision"])
    assert np.array_equal(ours.eval["recall"], ref.eval["recall"])
    assert all(ours.results[k] == v for k, v in ref.results.items())


def test_lvis_detap_pipeline(benchmark, lvis_files):
    """detap's whole pipeline in process (load GT, results, evaluate)."""
    from detap.lvis import LVIS, LVISEval, LVISResults
    gt_path, dt_path, counts = lvis_files[0]

    def pipeline():
        gt = LVIS(gt_path)
        ev = LVISEval(gt, LVISResults(gt, dt_path), "bbox")
        ev.run()
        return ev.results
    benchmark.extra_info.update(counts)
    first = pipeline()
    assert benchmark.pedantic(pipeline, rounds=2, iterations=1) == first


@pytest.mark.parametrize("which", ["whole", "fraction"])
def test_lvis_rivals_fresh(benchmark, lvis_files, which):
    """Every installed tool in a fresh process: stage times and peak RSS
    in extra_info; detap agrees with lvis-api exactly where both ran."""
    whole, part = lvis_files
    if which == "fraction" and part is whole:
        pytest.skip("quick mode: lvis-api runs on the whole preset")
    gt_path, dt_path, counts = whole if which == "whole" else part
    tools = [t for t in TOOLS if importlib.util.find_spec(MODULES[t]) is not None
             and not (t == "lvis-api" and part is not whole and which == "whole")]
    runs, ref = benchmark.pedantic(compare, args=(gt_path, dt_path, tools, 1800.0), rounds=1,
                                   iterations=1)
    benchmark.extra_info.update(counts)
    benchmark.extra_info["runs"] = runs
    by = {r["tool"]: r for r in runs}
    assert by["detap"]["status"] == "ok", by["detap"]
    if ref is not None:
        assert agreement(by["detap"]["results"], ref) == "exact"
