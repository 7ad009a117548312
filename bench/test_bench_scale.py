"""Scale: one-shot, streaming and Dask COCO-style evaluation side by side.

Quick mode (CI): 200k detections; full mode (``--bench-full``): 2M.  The
scaling table at 1M / 10M / 30M with peak memory per fresh process is
``python bench/scale.py`` (see its docstring); this file keeps the three
paths timed in one run and checks that their 12 stats are equal.
"""
import numpy as np
import pytest

from .scale import oneshot_stats, stream_stats
from .scale_data import chunk_spec, concat_chunks, make_chunk


@pytest.fixture(scope="module")
def scale_data(request):
    from .conftest import _full
    n = 2_000_000 if _full(request.config) else 200_000
    spec = chunk_spec(n, chunk=max(n // 4, 1))
    chunks = [make_chunk(s) for s in spec]
    return n, spec, chunks, concat_chunks(chunks)


@pytest.fixture(scope="module")
def oneshot(scale_data):
    """The one-shot stats, computed once (untimed): what the others must equal."""
    return oneshot_stats(scale_data[3])


def test_scale_oneshot(benchmark, scale_data, oneshot):
    n, _, _, d = scale_data
    benchmark.extra_info["detections"] = n
    stats = benchmark.pedantic(oneshot_stats, args=(d,), rounds=3, iterations=1)
    assert np.array_equal(stats, oneshot)   # the same on every round


def test_scale_stream(benchmark, scale_data, oneshot):
    n, _, chunks, _ = scale_data
    benchmark.extra_info["detections"] = n
    stats = benchmark.pedantic(stream_stats, args=(chunks,), rounds=3, iterations=1)
    assert np.array_equal(stats, oneshot)


def test_scale_dask(benchmark, scale_data, oneshot):
    pytest.importorskip("distributed")
    import dask.bag as db
    from distributed import Client, LocalCluster, wait

    import detap.dask
    from .scale import _records
    n, spec, _, _ = scale_data
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        bag = db.from_sequence(spec, npartitions=len(spec)).map(_records).flatten().persist()
        wait(bag)
        benchmark.extra_info["detections"] = n
        res = benchmark.pedantic(detap.dask.evaluate, args=(bag, "coco"),
                                 kwargs={"box_format": "xywh"}, rounds=2, iterations=1)
    assert np.array_equal(res.stats, oneshot)
