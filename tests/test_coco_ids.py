"""Image and category ids that are not integers, as pycocotools takes them.

pycocotools keys its dicts by the JSON's ids and sorts them; detap codes them
as int64 ranks (detap/coco/ids.py).  Compared with pycocotools 2.0.11: stats,
precision, recall, scores, every evalImgs record, the keys of ``ious``,
params.imgIds / catIds, evaluateImg and computeIoU by the caller's ids.
"""
import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402

from detap import coco as dcoco  # noqa: E402
from detap.coco import DetapResultsError  # noqa: E402
from detap.synth import make_coco  # noqa: E402
from tests.coco_support import assert_same_eval, quiet  # noqa: E402
from tests.conftest import assert_same_array  # noqa: E402


def renamed(gt, res, img_name, cat_name):
    gt, res = copy.deepcopy(gt), copy.deepcopy(res)
    for img in gt["images"]:
        img["id"] = img_name(img["id"])
    for cat in gt["categories"]:
        cat["id"] = cat_name(cat["id"])
    for a in gt["annotations"] + res:
        a["image_id"] = img_name(a["image_id"])
        a["category_id"] = cat_name(a["category_id"])
    return gt, res


def run(COCO, COCOeval, gt, res, use_cats=1, path=None):
    def body():
        if path is not None:
            cg = COCO(str(path))
        else:
            cg = COCO()
            cg.dataset = copy.deepcopy(gt)
            cg.createIndex()
        ev = COCOeval(cg, cg.loadRes(copy.deepcopy(res)), "bbox")
        ev.params.useCats = use_cats
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev
    return quiet(body)


def assert_same_views(got, ref):
    assert_same_eval(got, ref)
    assert got.params.imgIds == ref.params.imgIds
    assert got.params.catIds == ref.params.catIds
    assert list(got.ious) == list(ref.ious)
    for key, v in ref.ious.items():
        assert_same_array(np.asarray(got.ious[key]), np.asarray(v), f"ious{key}")
    assert len(got.evalImgs) == len(ref.evalImgs)
    for a, b in zip(ref.evalImgs, got.evalImgs):
        assert (a is None) == (b is None)
        if a is not None:
            assert b["image_id"] == a["image_id"] and b["category_id"] == a["category_id"]
            for k in ("dtIds", "gtIds", "dtScores", "aRng", "maxDet"):
                assert b[k] == a[k], k
            for k in ("dtMatches", "gtMatches", "gtIgnore", "dtIgnore"):
                assert_same_array(np.asarray(b[k]), np.asarray(a[k]), k)


NAMINGS = {
    # string order differs from numeric order: "img_10" < "img_2"
    "strings": (lambda i: f"img_{i}", lambda k: f"cat_{k}"),
    "images_only": (lambda i: f"{i:x}", lambda k: k),
    "categories_only": (lambda i: i, lambda k: ["zebra", "apple", "mango", "kiwi", "fig"][k % 5] + str(k)),
}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10 ** 6), naming=st.sampled_from(sorted(NAMINGS)),
       use_cats=st.sampled_from([0, 1]))
def test_string_ids_equal_pycocotools(seed, naming, use_cats):
    gt, res = make_coco(n_images=12, n_categories=4, seed=seed)
    gt, res = renamed(gt, res, *NAMINGS[naming])
    ref = run(RefCOCO, RefCOCOeval, gt, res, use_cats)
    got = run(dcoco.COCO, dcoco.COCOeval, gt, res, use_cats)
    assert_same_views(got, ref)


def test_string_ids_from_files(tmp_path):
    gt, res = make_coco(n_images=15, n_categories=3, seed=4)
    gt, res = renamed(gt, res, *NAMINGS["strings"])
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(gt))
    ref = run(RefCOCO, RefCOCOeval, gt, res, path=p)
    got = run(dcoco.COCO, dcoco.COCOeval, gt, res, path=p)
    assert_same_views(got, ref)
    some = ref.params.imgIds[3]
    cat = ref.params.catIds[1]
    assert_same_array(np.asarray(got.computeIoU(some, cat)), np.asarray(ref.computeIoU(some, cat)))
    a = ref.evaluateImg(some, cat, [0, 1e10], 100)
    b = got.evaluateImg(some, cat, [0, 1e10], 100)
    assert (a is None) == (b is None)
    if a is not None:
        assert b["image_id"] == a["image_id"] and b["dtIds"] == a["dtIds"]


def test_number_results_on_string_ground_truth_assert():
    gt, res = make_coco(n_images=3, n_categories=2, seed=1)
    gt, _ = renamed(gt, res, lambda i: str(i), lambda k: k)
    cg = quiet(dcoco.COCO, gt)
    with pytest.raises(DetapResultsError, match="number"):
        quiet(cg.loadRes, res)
    with pytest.raises(AssertionError):
        quiet(cg.loadRes, res)


def test_unknown_string_image_in_results_asserts():
    gt, res = make_coco(n_images=3, n_categories=2, seed=1)
    gt, res = renamed(gt, res, lambda i: f"im{i}", lambda k: k)
    res[0]["image_id"] = "nope"
    cg = quiet(dcoco.COCO, gt)
    with pytest.raises(DetapResultsError, match="nope"):
        quiet(cg.loadRes, res)


def test_unsortable_ids_fail_as_in_pycocotools():
    gt, res = make_coco(n_images=3, n_categories=2, seed=1)
    first = gt["images"][0]["id"]
    gt, res = renamed(gt, res, lambda i: "a" if i == first else i, lambda k: k)
    with pytest.raises(TypeError):
        run(RefCOCO, RefCOCOeval, gt, res)
    with pytest.raises(TypeError, match="cannot be sorted"):
        run(dcoco.COCO, dcoco.COCOeval, gt, res)
