"""COCOeval with iouType "obb" (rotated boxes [cx, cy, w, h, angle]) equal to
hotcoco's own COCOeval("obb"), bit for bit: stats, precision, recall and
scores (np.array_equal), on hand-made cases and random data (ties, crowd,
equal IoUs on a grid, empty images and categories, GT areas of every range
and on the range bounds, GT without area, results that also carry a box,
GT ids out of file order), from dicts and from JSON files."""
import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap import coco as dcoco
from detap.errors import DetapInputError, DetapWarning
from tests.obb_support import assert_same, obb_case, quiet, run

hotcoco = pytest.importorskip("hotcoco")


def gt_doc(anns, n_images=1, n_cats=1):
    return {"images": [{"id": i, "width": 100, "height": 100} for i in range(1, n_images + 1)],
            "categories": [{"id": c, "name": f"c{c}"} for c in range(1, n_cats + 1)],
            "annotations": [dict({"id": n + 1, "image_id": 1, "category_id": 1, "iscrowd": 0}, **a)
                            for n, a in enumerate(anns)]}


def both(gt, res, setup=None):
    got, ref = run(dcoco, gt, res, setup), run(hotcoco, gt, res, setup)
    assert_same(got, ref)
    return got


HAND_MADE = [
    # IoU exactly 0.5 (axis-aligned, exact arithmetic) and exactly 1
    ([{"obb": [6, 5, 12, 10, 0], "area": 120}], [{"obb": [10, 5, 12, 10, 0], "score": .9}]),
    ([{"obb": [6, 5, 12, 10, 0.3], "area": 120}], [{"obb": [6, 5, 12, 10, 0.3], "score": .9}]),
    # a crowd GT: intersection over the detection's w * h, matched again
    ([{"obb": [50, 50, 60, 60, 0.7], "area": 3600, "iscrowd": 1}, {"obb": [20, 20, 8, 8, 0]}],
     [{"obb": [50, 50, 10, 10, 0.2], "score": .9}, {"obb": [52, 50, 10, 10, 0.2], "score": .8},
      {"obb": [20, 20, 8, 8, 0.1], "score": .7}]),
    # two GT equally overlapped: the later one is taken
    ([{"obb": [10, 5, 10, 10, 0], "area": 100}, {"obb": [20, 5, 10, 10, 0], "area": 100}],
     [{"obb": [15, 5, 10, 10, 0], "score": .9}, {"obb": [20, 5, 10, 10, 0], "score": .8}]),
    # rotated by a quarter turn: the same rectangle; a half turn too
    ([{"obb": [30, 30, 20, 10, 0], "area": 200}],
     [{"obb": [30, 30, 10, 20, math.pi / 2], "score": .5}, {"obb": [30, 30, 20, 10, math.pi], "score": .5}]),
    # degenerate boxes (zero width, negative sizes): IoU 0 as hotcoco's area w * h says
    ([{"obb": [30, 30, 0, 10, 0], "area": 0}, {"obb": [60, 60, -10, -10, 0], "area": 100}],
     [{"obb": [30, 30, 5, 10, 0], "score": .5}, {"obb": [60, 60, 10, 10, 0], "score": .4}]),
]


@pytest.mark.parametrize("case", range(len(HAND_MADE)))
def test_hand_made_cases(case):
    anns, res = HAND_MADE[case]
    gt = gt_doc(anns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DetapWarning)
        both(gt, [dict({"image_id": 1, "category_id": 1}, **r) for r in res])


def test_exact_half_overlap_is_a_match_at_050():
    gt = gt_doc([{"obb": [6, 5, 12, 10, 0], "area": 120}])
    ev = both(gt, [{"image_id": 1, "category_id": 1, "obb": [10, 5, 12, 10, 0], "score": .9}])
    assert ev.computeIoU(1, 1)[0, 0] == 0.5
    assert ev.eval["recall"][0, 0, 0, -1] == 1.0 and ev.eval["recall"][1, 0, 0, -1] == 0.0


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       crowd=st.sampled_from([0.0, 0.15, 0.5]), no_area=st.sampled_from([0.0, 0.0, 0.3]),
       dt_bbox=st.booleans(), shuffle=st.booleans(), n_images=st.integers(1, 7),
       n_cats=st.integers(1, 4))
def test_random_equals_hotcoco(seed, ties, grid, crowd, no_area, dt_bbox, shuffle, n_images, n_cats):
    gt, res = obb_case(seed, n_images, n_cats, ties=ties, grid=grid, crowd=crowd,
                       no_area=no_area, dt_bbox=dt_bbox, shuffle_ids=shuffle)
    both(gt, res)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       max_dets=st.sampled_from([[1, 3, 7], [2], [2, 5], [1, 10, 100], [1, 10, 100, 200]]),
       thrs=st.sampled_from([None, [0.5, 0.62, 0.9]]), use_cats=st.sampled_from([1, 0]))
def test_params_equal_hotcoco(seed, ties, grid, max_dets, thrs, use_cats):
    """Other maxDets, IoU thresholds, useCats 0; the summary numbers take
    hotcoco's maxDets (its AP at the largest, not pycocotools' literal 100)."""
    gt, res = obb_case(seed, 6, 3, max_dt=12, ties=ties, grid=grid)

    def setup(p):
        p.maxDets = list(max_dets)
        p.useCats = use_cats
        if thrs is not None:
            p.iouThrs = np.array(thrs)
    both(gt, res, setup)


@pytest.mark.parametrize("seed", range(4))
def test_files_equal_hotcoco(tmp_path, seed):
    gt, res = obb_case(seed, 8, 3, ties=bool(seed % 2), dt_bbox=seed == 3)
    gp, dp = tmp_path / "gt.json", tmp_path / "dt.json"
    gp.write_text(json.dumps(gt))
    dp.write_text(json.dumps(res))
    got = run(dcoco, None, None, files=(gp, dp))
    assert_same(got, run(hotcoco, None, None, files=(gp, dp)))
    assert_same(got, run(dcoco, gt, res))


def test_gt_without_area_takes_hotcocos_instance_area():
    """A GT without "area": its mask's pixel count when it has a
    segmentation (of some pixels, on an image with a size), else its obb's
    w * h, as hotcoco derives it (pycocotools would fail)."""
    gt = gt_doc([{"obb": [50, 50, 60, 60, 0.1]},
                 {"obb": [20, 20, 60, 60, 0.1], "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]]},
                 {"obb": [80, 80, 60, 60, 0.1], "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]],
                  "image_id": 2},
                 {"obb": [80, 20, 60, 60, 0.1], "segmentation": []}], n_images=2)
    gt["images"][1].pop("height")
    res = [{"image_id": i, "category_id": 1, "obb": o, "score": .9}
           for i, o in ((1, [50, 50, 60, 60, 0.1]), (1, [20, 20, 60, 60, 0.1]), (2, [80, 80, 60, 60, 0.1]))]
    ev = both(gt, res)
    assert ev.state.rows.gt.area.tolist() == [3600.0, 100.0, 3600.0, 3600.0]


def test_box_results_take_their_box_area_as_in_hotcoco():
    """Results whose first record has a "bbox" are box results to hotcoco's
    loadRes: the area ranges read the box's w * h, not the obb's."""
    gt = gt_doc([{"obb": [50, 50, 60, 60, 0.1], "area": 3600}])
    res = [{"image_id": 1, "category_id": 1, "obb": [50, 50, 60, 60, 0.1], "bbox": [0, 0, 2, 2],
            "score": .9}, {"image_id": 1, "category_id": 1, "obb": [10, 10, 3, 3, 0], "score": .8,
                           "bbox": [0, 0, 4, 4]}]
    ev = both(gt, res)
    assert [a["area"] for a in ev.cocoDt.loadAnns([1, 2])] == [4, 16]
    assert run(dcoco, gt, [{k: v for k, v in r.items() if k != "bbox"}
                           for r in res]).cocoDt.loadAnns([2])[0]["area"] == 9
    # a box result without its box: pycocotools' KeyError, hotcoco's obb area; an error here
    with pytest.raises(DetapInputError, match="record 1 has no 'bbox'"):
        run(dcoco, gt, [res[0], {k: v for k, v in res[1].items() if k != "bbox"}])


def test_results_view_is_hotcocos():
    """loadRes' records: area w * h, bbox the obb's extent (hotcoco's
    obb_to_aabb), ids 1..N, iscrowd 0."""
    gt, res = obb_case(3, 4, 2)
    got = quiet(lambda: dcoco.COCO(gt).loadRes(res))
    ref = quiet(lambda: hotcoco.COCO(gt).loadRes(res))
    for a, b in zip(got.dataset["annotations"], ref.dataset["annotations"]):
        assert (a["id"], a["area"], a["bbox"], a["iscrowd"]) == (b["id"], b["area"], b["bbox"], b["iscrowd"])


def test_empty_results_and_empty_ground_truth():
    gt, res = obb_case(1, 4, 2)
    both(gt, [])
    both(dict(gt, annotations=[]), res)


def test_mask_results_are_refused():
    gt = gt_doc([{"obb": [50, 50, 60, 60, 0.1], "area": 3600}])
    res = [{"image_id": 1, "category_id": 1, "obb": [50, 50, 6, 6, 0], "score": .9,
            "keypoints": [1, 2, 2]}]
    with pytest.raises(DetapInputError, match="first result has a 'keypoints' shape"):
        run(dcoco, gt, res)


@pytest.mark.parametrize("bad,match", [
    ({"bbox": [0, 0, 1, 1]}, "record 1 has no 'obb'"),
    ({"obb": [1, 2, 3, 4]}, r"record 1 'obb' must be \[cx, cy, w, h, angle\]"),
    ({"obb": [1, 2, 3, 4, "a"]}, "record 1 'obb' is not five numbers"),
    ({"obb": [1, 2, 3, 4, float("nan")]}, "record 1 'obb' is not finite"),
])
def test_bad_results_name_the_record(bad, match):
    gt = gt_doc([{"obb": [50, 50, 60, 60, 0.1], "area": 3600}])
    first = {"image_id": 1, "category_id": 1, "obb": [50, 50, 6, 6, 0], "score": .9}
    res = [first, dict({"image_id": 1, "category_id": 1, "score": .5}, **bad)]
    with pytest.raises(DetapInputError, match=match):
        run(dcoco, gt, res)


def test_ground_truth_without_obb_is_an_error():
    gt = gt_doc([{"obb": [50, 50, 60, 60, 0.1], "area": 1}, {"bbox": [0, 0, 3, 3], "area": 9}])
    res = [{"image_id": 1, "category_id": 1, "obb": [50, 50, 6, 6, 0], "score": .9}]
    with pytest.raises(DetapInputError, match="annotations: record 1 has no 'obb'"):
        run(dcoco, gt, res)


def test_obb_is_not_the_box_evaluation():
    """The same records evaluated as boxes (their bbox) give other numbers:
    the obb iouType reads the rotated boxes."""
    gt, res = obb_case(11, 6, 2, dt_bbox=True)
    for a in gt["annotations"]:
        a["bbox"] = [a["obb"][0], a["obb"][1], 5.0, 5.0]
    ev = run(dcoco, gt, res)
    box = quiet(lambda: _box_eval(gt, res))
    assert not np.array_equal(ev.eval["precision"], box.eval["precision"])


def _box_eval(gt, res):
    g = dcoco.COCO(gt)
    ev = dcoco.COCOeval(g, g.loadRes(res), "bbox")
    ev.evaluate()
    ev.accumulate()
    return ev
