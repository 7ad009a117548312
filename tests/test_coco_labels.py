"""The engine's packed labels (csrc/labels.h, detap/coco/labels.py).

The C matcher writes two bit planes per (detection, area range); numpy's
packbits must read the same layout, and the values must be what the
evalImgs records say (dtIgnore / dtMatches, themselves checked against
pycocotools in test_coco_exact.py), for any number of thresholds (1, 8, 9,
17: byte boundaries).
"""
import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap.coco import COCO, COCOeval
from detap.coco.labels import pack, packed_shape, unpack, values_at
from detap.synth import make_coco


@settings(max_examples=60, deadline=None)
@given(values=st.integers(0, 5).flatmap(lambda n: st.integers(0, 3).flatmap(
    lambda a: st.integers(0, 20).flatmap(lambda t: st.lists(
        st.sampled_from([-1, 0, 1]), min_size=n * a * t, max_size=n * a * t).map(
        lambda v: np.asarray(v, np.int8).reshape(n, a, t))))))
def test_pack_unpack_round_trip(values):
    n, A, T = values.shape
    packed = pack(values)
    assert packed.shape == packed_shape(n, A, T) and packed.dtype == np.uint8
    assert np.array_equal(unpack(packed, T), values)
    for a in range(A):  # one (area range, threshold) read alone
        for t in range(T):
            got = values_at(packed, a, t)
            assert got.dtype == np.int8 and np.array_equal(got, values[:, a, t])


@pytest.mark.parametrize("T", [1, 8, 9, 17])
def test_c_labels_are_what_evalimgs_say(T):
    gt, res = make_coco(n_images=30, n_categories=4, dets_per_image=20, seed=T)
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO(gt)
        ev = COCOeval(cg, cg.loadRes(res), "bbox")
        ev.params.iouThrs = np.linspace(0.3, 0.95, T)
        ev.evaluate()
    m = ev._state.matches
    assert m.T == T and m.labels.shape[1:] == packed_shape(0, 4, T)[1:]
    values = m.label_values()
    # rebuild from the evalImgs views: the same packed bits
    I, A = len(ev.params.imgIds), len(ev.params.areaRng)
    checked = 0
    for c, key in enumerate(ev._state.cells.cell_key):
        k, i = divmod(int(key), I)
        b, e = m.kept_off[c], m.kept_off[c + 1]
        for a in range(A):
            rec = ev.evalImgs[k * A * I + a * I + i]
            want = np.where(rec["dtIgnore"], -1, np.where(np.asarray(rec["dtMatches"]) != 0, 1, 0))
            assert np.array_equal(values[b:e, a, :].T, want)
            checked += e - b
    assert checked > 100
    assert np.array_equal(pack(values), m.labels)
