"""Oriented boxes in the streaming Evaluator and detap.dask: any split of
the images into updates and merged evaluators gives, bit for bit, the
one-shot "dota" protocol on the whole data set with images sorted by id
(itself DOTA_devkit's voc_eval: tests/test_dota_formats.py)."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detap
from detap.errors import DetapInputError
from detap.formats import Dataset
from tests.test_dota_exact import any_quad

SQ = [0, 0, 10, 0, 10, 10, 0, 10]


@st.composite
def quad_images(draw):
    """(image ids, per image (gt quads, gt labels, difficult, det quads,
    scores, det labels)) with ties, empty images and near-copies of GT."""
    n = draw(st.integers(1, 6))
    ids = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n, unique=True))
    scores = st.one_of(st.sampled_from([0.9, 0.5]), st.floats(0, 1))
    images = []
    for _ in ids:
        gts = draw(st.lists(any_quad, max_size=4))
        dets = [list(np.add(g, draw(st.floats(-1, 1)))) for g in gts if draw(st.booleans())]
        dets += draw(st.lists(any_quad, max_size=3))
        images.append((gts, draw(st.lists(st.integers(0, 2), min_size=len(gts),
                                          max_size=len(gts))),
                       draw(st.lists(st.booleans(), min_size=len(gts), max_size=len(gts))),
                       dets, draw(st.lists(scores, min_size=len(dets), max_size=len(dets))),
                       draw(st.lists(st.integers(0, 2), min_size=len(dets),
                                     max_size=len(dets)))))
    return ids, images


def one_shot(ids, images):
    """protocols.evaluate on one Dataset, images sorted by id."""
    order = np.argsort(ids, kind="stable")
    cols = {k: [] for k in ("gb", "gi", "gl", "gd", "db", "di", "dl", "ds")}
    for i, k in enumerate(order):
        gts, gl, gd, dets, sc, dl = images[k]
        cols["gb"] += gts
        cols["gi"] += [i] * len(gts)
        cols["gl"] += gl
        cols["gd"] += gd
        cols["db"] += dets
        cols["di"] += [i] * len(dets)
        cols["dl"] += dl
        cols["ds"] += sc
    labels = sorted(set(cols["gl"]) | set(cols["dl"]))
    pos = {lab: j for j, lab in enumerate(labels)}
    ds = Dataset(images=[str(ids[k]) for k in order], classes=[str(lab) for lab in labels],
                 box_format="quad", gt_boxes=np.reshape(cols["gb"], (-1, 8)), gt_image=cols["gi"],
                 gt_label=[pos[lab] for lab in cols["gl"]], gt_difficult=cols["gd"],
                 det_boxes=np.reshape(cols["db"], (-1, 8)), det_image=cols["di"],
                 det_label=[pos[lab] for lab in cols["dl"]], det_scores=cols["ds"])
    return detap.evaluate(ds, "dota", 0.5)


def assert_same(got, want):
    assert got.classes == want.classes
    for c in want.classes:
        a, b = got.per_class[c], want.per_class[c]
        assert np.array_equal(a.recall, b.recall, equal_nan=True)
        assert np.array_equal(a.precision, b.precision, equal_nan=True)
        assert a.ap == b.ap or (np.isnan(a.ap) and np.isnan(b.ap))
        assert (a.n_gt, a.n_det, a.tp, a.fp) == (b.n_gt, b.n_det, b.tp, b.fp)
        assert a.mean_area == b.mean_area or (np.isnan(a.mean_area) and np.isnan(b.mean_area))
    assert got.map == want.map or (np.isnan(got.map) and np.isnan(want.map))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=quad_images(), split=st.lists(st.integers(0, 2), min_size=6, max_size=6),
       perm=st.randoms(use_true_random=False))
def test_split_and_merged_equals_one_shot(data, split, perm):
    ids, images = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stale memory, classes without GT
        want = one_shot(ids, images)
        evs = [detap.Evaluator("dota") for _ in range(3)]
        order = list(range(len(ids)))
        perm.shuffle(order)  # update order and evaluator do not matter
        for k in order:
            gts, gl, gd, dets, sc, dl = images[k]
            evs[split[k]].update(ids[k], gts, gl, dets, sc, dl, gt_difficult=gd,
                                 box_format="quad")
        merged = evs[0].merge(evs[1]).merge(evs[2]).compute()
    assert_same(merged, want)


def test_box_kind_must_match_the_protocol():
    ev = detap.Evaluator("dota")
    with pytest.raises(DetapInputError, match="evaluates oriented boxes"):
        ev.update(1, [[0, 0, 1, 1]], [0], [[0, 0, 1, 1]], [0.5], [0])
    with pytest.raises(DetapInputError, match=r"\(N, 8\)"):
        ev.update(1, [[0, 0, 1, 1]], [0], [], [], [], box_format="quad")
    with pytest.raises(DetapInputError, match="dota protocol"):
        detap.Evaluator("voc").update(1, [SQ], [0], [SQ], [0.5], [0], box_format="quad")


def test_update_many_and_dask_take_quads():
    recs = [{"image_id": i, "gt_boxes": [np.add(SQ, i).tolist()], "gt_labels": [0],
             "det_boxes": [np.add(SQ, i + 1).tolist(), SQ], "det_scores": [0.8, 0.3],
             "det_labels": [0, 0]} for i in range(5)]
    ev = detap.Evaluator("dota")
    ev.update_many(recs, box_format="quad")
    res = ev.compute()
    one = detap.Evaluator("dota")
    for r in recs:
        one.update(r["image_id"], r["gt_boxes"], r["gt_labels"], r["det_boxes"],
                   r["det_scores"], r["det_labels"], box_format="quad")
    assert_same(res, one.compute())
    dask = pytest.importorskip("dask")
    import detap.dask as dd
    bag = dask.bag.from_sequence(recs, npartitions=3)
    assert_same(dd.evaluate(bag, "dota", box_format="quad", split_every=2), res)
