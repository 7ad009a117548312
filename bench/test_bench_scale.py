"""Scale: one-shot, streaming and Dask COCO-style evaluation side by side.

Quick mode (CI): 200k detections; full mode (``--bench-full``): 2M.  The
scaling table at 1M / 10M / 30M with peak memory per fresh process is
``python bench/scale.py`` (see its docstring); this file keeps the three
paths timed in one run and checks that their 12 stats are equal.
"""
import contextlib
import io

import numpy as np
import pytest

import detap
from detap.coco import evaluate_arrays

from .scale_data import chunk_spec, concat_chunks, make_chunk

_STATS = {}


@pytest.fixture(scope="module")
def scale_data(request):
    from .conftest import _full
    n = 2_000_000 if _full(request.config) else 200_000
    spec = chunk_spec(n, chunk=max(n // 4, 1))
    chunks = [make_chunk(s) for s in spec]
    return n, spec, chunks, concat_chunks(chunks)


def _oneshot(d):
    ev = evaluate_arrays(d["gt_image"], d["gt_label"], d["gt_bbox"], None, d["gt_iscrowd"],
                         dt_image_id=d["det_image"], dt_category_id=d["det_label"],
                         dt_bbox=d["det_bbox"], dt_score=d["det_score"])
    with contextlib.redirect_stdout(io.StringIO()):
        ev.summarize()
    return np.asarray(ev.stats)


def _stream(chunks):
    e = detap.Evaluator("coco")
    for c in chunks:
        first = int(c["gt_image"][0])
        e.update_batch(c["gt_image"], c["gt_bbox"], c["gt_label"], c["det_image"], c["det_bbox"],
                       c["det_score"], c["det_label"], gt_iscrowd=c["gt_iscrowd"],
                       box_format="xywh", image_ids=np.arange(first, first + c["n_images"]))
    return e.compute().stats


def test_scale_oneshot(benchmark, scale_data):
    n, _, _, d = scale_data
    benchmark.extra_info["detections"] = n
    _STATS["oneshot"] = benchmark.pedantic(_oneshot, args=(d,), rounds=3, iterations=1)


def test_scale_stream(benchmark, scale_data):
    n, _, chunks, _ = scale_data
    benchmark.extra_info["detections"] = n
    stats = benchmark.pedantic(_stream, args=(chunks,), rounds=3, iterations=1)
    assert np.array_equal(stats, _STATS.get("oneshot", _oneshot(scale_data[3])))


def test_scale_dask(benchmark, scale_data):
    pytest.importorskip("distributed")
    import dask.bag as db
    from distributed import Client, LocalCluster, wait

    import detap.dask
    from .scale import _records
    n, spec, _, d = scale_data
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        bag = db.from_sequence(spec, npartitions=len(spec)).map(_records).flatten().persist()
        wait(bag)
        benchmark.extra_info["detections"] = n
        res = benchmark.pedantic(detap.dask.evaluate, args=(bag, "coco"),
                                 kwargs={"box_format": "xywh"}, rounds=2, iterations=1)
    assert np.array_equal(res.stats, _STATS.get("oneshot", _oneshot(d)))
