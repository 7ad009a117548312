"""Helpers of the LVIS exactness tests: lvis-api (``lvis`` 0.5.3) and detap
run on the same ground truth and results, and compared.

lvis-api still uses ``np.float`` (removed in numpy 1.24), so ``reference``
sets ``np.float = float`` before importing it, as its users do."""
import copy
import json
import os
import tempfile

import numpy as np
import pytest


def reference():
    """lvis-api's package, or the test is skipped when it is not installed."""
    if not hasattr(np, "float"):
        np.float = float
    pytest.importorskip("lvis")
    import lvis.eval
    import lvis.lvis
    import lvis.results
    return lvis


def write_json(doc, directory, name):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def run_reference(gt, dets, iou_type="bbox", max_dets=300, capsys=None):
    """lvis-api's LVISEval on ``gt`` (dict) and ``dets`` (list): the
    evaluator after run(), and the printed results when ``capsys``."""
    lvis = reference()
    with tempfile.TemporaryDirectory() as d:
        api_gt = lvis.lvis.LVIS(write_json(gt, d, "gt.json"))
    res = lvis.results.LVISResults(api_gt, copy.deepcopy(dets), max_dets=max_dets)
    ev = lvis.eval.LVISEval(api_gt, res, iou_type)
    ev.run()
    return ev


def run_detap(gt, dets, iou_type="bbox", max_dets=300, via_files=False, threads=None):
    """detap's LVISEval on the same input (through JSON files with
    ``via_files``: the C readers' path)."""
    from detap.lvis import LVIS, LVISEval, LVISResults
    if via_files:
        with tempfile.TemporaryDirectory() as d:
            g = LVIS(write_json(gt, d, "gt.json"))
            res = LVISResults(g, write_json(dets, d, "dt.json"), max_dets=max_dets)
    else:
        g = LVIS(copy.deepcopy(gt))
        res = LVISResults(g, copy.deepcopy(dets), max_dets=max_dets)
    ev = LVISEval(g, res, iou_type, threads=threads)
    ev.run()
    return ev


def assert_same(ours, ref):
    """precision and recall equal by np.array_equal, every result by ==
    (and of the same kind: -1 stays an int)."""
    assert ours.eval["precision"].shape == ref.eval["precision"].shape
    assert np.array_equal(ours.eval["precision"], ref.eval["precision"])
    assert np.array_equal(ours.eval["recall"], ref.eval["recall"])
    assert list(ours.results) == list(ref.results)
    for key, value in ref.results.items():
        assert ours.results[key] == value, key
        assert type(ours.results[key]) is type(value), key
    assert ours.eval["counts"] == ref.eval["counts"]


def image(i, neg=(), nel=(), w=640, h=480):
    return {"id": i, "width": w, "height": h, "neg_category_ids": list(neg),
            "not_exhaustive_category_ids": list(nel)}


def category(i, frequency="f"):
    return {"id": i, "name": f"c{i}", "frequency": frequency}


def ann(i, img, cat, box, area=None, **extra):
    x, y, w, h = box
    return dict({"id": i, "image_id": img, "category_id": cat, "bbox": list(box),
                 "area": w * h if area is None else area,
                 "segmentation": [[x, y, x, y + h, x + w, y + h, x + w, y]]}, **extra)


def det(img, cat, box, score):
    return {"image_id": img, "category_id": cat, "bbox": list(box), "score": score}
