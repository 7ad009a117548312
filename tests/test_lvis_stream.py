"""Evaluator("lvis"): streamed and merged evaluation gives lvis-api's 13
numbers (== on each) and the one-shot per-class AP, whatever the order of
updates and the split between merged evaluators; pickling keeps the state."""
import copy
import pickle
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detap import Evaluator
from detap.errors import DetapInputError
from detap.lvis.stream import LVISEvaluator
from tests.lvis_support import run_detap, run_reference
from tests.test_lvis import base_dets, base_gt, lvis_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def stream(gt, dets, order, split, max_dets=300):
    """Evaluators fed image by image in ``order``, the first ``split``
    images into one, the rest into another, merged (through pickle)."""
    freq = {c["id"]: c["frequency"] for c in gt["categories"]}
    evs = [Evaluator("lvis", frequencies=freq, max_dets=max_dets) for _ in range(2)]
    imgs = {img["id"]: img for img in gt["images"]}
    for n, i in enumerate(order):
        g = [a for a in gt["annotations"] if a["image_id"] == i]
        d = [x for x in dets if x["image_id"] == i]
        evs[n >= split].update(i, [a["bbox"] for a in g], [a["category_id"] for a in g],
                               [x["bbox"] for x in d], [x["score"] for x in d],
                               [x["category_id"] for x in d],
                               gt_area=[a["area"] for a in g],
                               neg_labels=imgs[i]["neg_category_ids"],
                               not_exhaustive_labels=imgs[i]["not_exhaustive_category_ids"],
                               box_format="xywh")
    return evs[0].merge(pickle.loads(pickle.dumps(evs[1]))).compute()


def check(gt, dets, seed=0, max_dets=300):
    ref = run_reference(gt, dets, max_dets=max_dets)
    one = run_detap(gt, dets, max_dets=max_dets)
    order = [img["id"] for img in gt["images"]]
    random.Random(seed).shuffle(order)
    res = stream(gt, dets, order, seed % (len(order) + 1), max_dets)
    assert res.protocol == "lvis"
    assert list(res.summary) == list(ref.results)
    for k, v in ref.results.items():
        assert res.summary[k] == v, k
    prec = one.eval["precision"][0, :, :, 0]     # IoU 0.5, area all
    for j, c in enumerate(one.params.cat_ids):
        col = prec[:, j]
        ap = res.per_class[f"{c} ({gt['categories'][j]['frequency']})"].ap
        assert (np.isnan(ap) and not (col > -1).any()) or ap == np.mean(col[col > -1])
    return res


def test_base_case():
    assert isinstance(Evaluator("lvis", frequencies={1: "r"}), LVISEvaluator)
    for seed in range(4):
        check(base_gt(), base_dets(), seed)


def test_cap_in_stream():
    check(base_gt(), base_dets(), 1, max_dets=2)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases(), st.integers(0, 50))
def test_random_cases(case, seed):
    gt, dets, max_dets = case
    gt = copy.deepcopy(gt)
    for j, a in enumerate(gt["annotations"]):  # ids from 1, no ignore flag: the stream has neither
        a["id"] = j + 1
        a.pop("ignore", None)
    check(gt, dets, seed, max_dets)


def test_bad_use():
    with pytest.raises(DetapInputError, match="frequencies"):
        Evaluator("lvis")
    ev = Evaluator("lvis", frequencies={1: "r"})
    ev.update(1, [[0, 0, 5, 5]], [1], [], [], [])
    ev.update(1, [], [], [], [], [])
    with pytest.raises(DetapInputError, match="more than once"):
        ev.compute()
    with pytest.raises(DetapInputError, match="cannot merge"):
        Evaluator("lvis", frequencies={1: "r"}).merge(Evaluator("coco"))


@pytest.mark.parametrize("protocol", ["coco", "lvis"])
def test_iou_off_the_grid_is_refused_with_the_value_to_pass(protocol):
    """0.9 is not pycocotools' ninth threshold (np.linspace gives
    0.8999999999999999): the error says which value to pass, and that
    value works."""
    from detap.streaming import Evaluator
    kw = {"frequencies": {1: "r"}} if protocol == "lvis" else {}
    with pytest.raises(DetapInputError, match=r"got 0\.9 \(the threshold it compares with is "
                                              r"0\.8999999999999999"):
        Evaluator(protocol, iou=0.9, **kw)
    with pytest.raises(DetapInputError, match=r"got 0\.52$"):
        Evaluator(protocol, iou=0.52, **kw)
    assert Evaluator(protocol, iou=0.8999999999999999, **kw).iou == 0.8999999999999999


def _records(gt, dets):
    imgs = {img["id"]: img for img in gt["images"]}
    out = []
    for i in imgs:
        g = [a for a in gt["annotations"] if a["image_id"] == i]
        d = [x for x in dets if x["image_id"] == i]
        out.append({"image_id": i, "gt_boxes": [a["bbox"] for a in g],
                    "gt_labels": [a["category_id"] for a in g],
                    "det_boxes": [x["bbox"] for x in d], "det_scores": [x["score"] for x in d],
                    "det_labels": [x["category_id"] for x in d], "gt_area": [a["area"] for a in g],
                    "neg_labels": imgs[i]["neg_category_ids"],
                    "not_exhaustive_labels": imgs[i]["not_exhaustive_category_ids"]})
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases(), st.integers(1, 4))
def test_update_many_and_dask_equal_one_evaluator(case, nparts):
    """Evaluator("lvis").update_many (it raised TypeError) and
    detap.dask.evaluate(..., "lvis", frequencies=...) with the analysis give
    the streamed result, bit for bit."""
    db = pytest.importorskip("dask.bag")
    import detap.dask
    gt, dets, max_dets = case
    gt = copy.deepcopy(gt)
    for j, a in enumerate(gt["annotations"]):
        a["id"] = j + 1
        a.pop("ignore", None)
    freq = {c["id"]: c["frequency"] for c in gt["categories"]}
    recs = _records(gt, dets)
    one = Evaluator("lvis", frequencies=freq, max_dets=max_dets, analysis=True)
    for r in recs:
        one.update(r["image_id"], r["gt_boxes"], r["gt_labels"], r["det_boxes"], r["det_scores"],
                   r["det_labels"], gt_area=r["gt_area"], neg_labels=r["neg_labels"],
                   not_exhaustive_labels=r["not_exhaustive_labels"], box_format="xywh")
    want = one.compute()
    many = Evaluator("lvis", frequencies=freq, max_dets=max_dets, analysis=True)
    many.update_many(recs, box_format="xywh")
    got = detap.dask.evaluate(db.from_sequence(recs, npartitions=nparts), "lvis",
                              frequencies=freq, max_dets=max_dets, box_format="xywh",
                              analysis=True, threads=1)
    for res in (many.compute(), got):
        assert _same(res.summary, want.summary) and _same(res.map, want.map)
        assert _same(res.analysis.tide, want.analysis.tide)
        assert np.array_equal(res.analysis.confusion.matrix, want.analysis.confusion.matrix)
    with pytest.raises(DetapInputError, match="gt_difficult"):
        Evaluator("lvis", frequencies=freq).update_many([dict(recs[0], gt_difficult=[])])
    with pytest.raises(DetapInputError, match="for protocol 'lvis'"):
        detap.dask.evaluate(db.from_sequence(recs), "coco", frequencies=freq)


def _same(a, b):
    """Equal values, NaN equal to NaN, through dicts and lists."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b
