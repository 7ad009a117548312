"""The matching rule is a convention field: ``evaluate_class(convention="coco")``
runs pycocotools' rule on the one C matcher and equals pycocotools.

pycocotools runs on the same boxes as one category in one area range
("all"), with maxDets above every image's detection count and ``iouThrs``
the thresholds under test; detap's labels must equal its dtMatches /
dtIgnore and its AP the mean of its precision, by ``==``.
"""
import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import detap
from detap import _core

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402


def pycocotools_one_class(gt_xywh, gt_img, gt_crowd, dt_xywh, dt_img, dt_score, thr, n_images):
    """(precision (T, R), recall (T,), labels (T, N) by input row) from pycocotools."""
    images = [{"id": i + 1} for i in range(n_images)]
    anns = [{"id": j + 1, "image_id": int(gt_img[j]) + 1, "category_id": 1,
             "bbox": [float(v) for v in gt_xywh[j]],
             "area": float(gt_xywh[j][2] * gt_xywh[j][3]), "iscrowd": int(gt_crowd[j])}
            for j in range(len(gt_xywh))]
    res = [{"image_id": int(dt_img[k]) + 1, "category_id": 1,
            "bbox": [float(v) for v in dt_xywh[k]], "score": float(dt_score[k])}
           for k in range(len(dt_xywh))]
    with contextlib.redirect_stdout(io.StringIO()):
        cg = RefCOCO()
        cg.dataset = {"images": images, "annotations": anns, "categories": [{"id": 1}]}
        cg.createIndex()
        cd = cg.loadRes(res) if res else RefCOCO()
        if not res:
            cd.dataset = {"images": images, "annotations": [], "categories": [{"id": 1}]}
            cd.createIndex()
        ev = RefCOCOeval(cg, cd, "bbox")
        p = ev.params
        p.iouThrs = np.asarray(thr, dtype=np.float64)
        p.areaRng, p.areaRngLbl = [[0 ** 2, 1e5 ** 2]], ["all"]
        p.maxDets = [len(res) + 1]
        ev.evaluate()
        ev.accumulate()
    T = len(thr)
    labels = np.full((T, len(res)), 9, np.int8)
    for e in ev.evalImgs:
        if e is None:
            continue
        for t in range(T):
            for q, did in enumerate(e["dtIds"]):
                ign, m = e["dtIgnore"][t][q], e["dtMatches"][t][q]
                labels[t, did - 1] = -1 if ign else (1 if m != 0 else 0)
    return ev.eval["precision"][:, :, 0, 0, 0], ev.eval["recall"][:, 0, 0, 0], labels


def check_equal(gt_xywh, gt_img, gt_crowd, dt_xywh, dt_img, dt_score, thr, n_images):
    r = detap.evaluate_class(dt_xywh, dt_score, dt_img, gt_xywh, gt_img, None,
                             gt_iscrowd=gt_crowd, iou_threshold=thr, convention="coco",
                             n_images=n_images, box_format="xywh")
    prec, rec, ref_labels = pycocotools_one_class(gt_xywh, gt_img, gt_crowd, dt_xywh, dt_img,
                                                  dt_score, thr, n_images)
    by_row = np.empty_like(r.labels)
    by_row[:, r.order] = r.labels
    assert np.array_equal(by_row, ref_labels), (by_row, ref_labels)
    for t in range(len(thr)):
        if r.npos == 0:
            assert np.isnan(r.ap[t]) and (prec[t] == -1).all()
            continue
        assert r.ap[t] == np.mean(prec[t][prec[t] > -1]), (t, r.ap[t], prec[t])
        if r.n_det:
            assert r.rec[t][-1] == rec[t]
    return r


def test_issue_example_two_detections_both_match():
    """GT [0,0,10,10], [0,0,10,9]; detections [0,0,10,10] at 0.9 and 0.8.
    pycocotools matches both (the second takes the other GT); the VOC rule
    makes the second a FP because its best GT is taken."""
    gt = np.array([[0, 0, 10, 10], [0, 0, 10, 9]], np.float64)
    dt = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float64)
    args = (dt, [0.9, 0.8], [0, 0], gt, [0, 0])
    r = detap.evaluate_class(*args, convention="coco", box_format="xywh")
    assert r.labels.tolist() == [1, 1] and r.ap == 1.0
    v = detap.evaluate_class(*args, convention=detap.PRESETS["coco"].replace(match="voc"),
                             box_format="xywh")
    assert v.labels.tolist() == [1, 0] and v.ap < 1.0
    check_equal(gt, np.array([0, 0]), np.zeros(2, bool), dt, np.array([0, 0]),
                np.array([0.9, 0.8]), [0.5], 1)


def test_crowd_matches_again_and_is_ignored():
    gt = np.array([[0, 0, 20, 20], [0, 0, 10, 10]], np.float64)
    dt = np.array([[1, 1, 5, 5], [2, 2, 5, 5], [0, 0, 10, 10]], np.float64)
    r = check_equal(gt, np.array([0, 0]), np.array([True, False]), dt, np.zeros(3, np.int64),
                    np.array([0.9, 0.8, 0.7]), [0.1, 0.5], 1)
    assert r.labels[0].tolist() == [1, -1, -1]  # IoU 0.25 reaches the regular GT first
    assert r.labels[1].tolist() == [-1, -1, 1]  # the crowd GT takes both small boxes


def test_tied_scores_across_images_follow_image_order():
    """pycocotools sorts the concatenation of per-image lists: ties go by image."""
    gt = np.array([[0, 0, 10, 10]], np.float64)
    dt = np.array([[50, 50, 10, 10], [0, 0, 10, 10]], np.float64)
    r = check_equal(gt, np.array([0]), np.zeros(1, bool), dt, np.array([1, 0]),
                    np.array([0.5, 0.5]), [0.5], 2)
    assert r.order.tolist() == [1, 0]


def test_huge_boxes_leave_the_area_range():
    """Area above 1e10: an unmatched detection there is ignored, a GT there is
    ignored (not in npos)."""
    gt = np.array([[0, 0, 2e5, 2e5], [0, 0, 10, 10]], np.float64)
    dt = np.array([[0, 0, 2e5, 2e5], [0, 0, 3e5, 3e5], [0, 0, 10, 10]], np.float64)
    r = check_equal(gt, np.array([0, 0]), np.zeros(2, bool), dt, np.zeros(3, np.int64),
                    np.array([0.9, 0.8, 0.7]), [0.5], 1)
    assert r.npos == 1


def test_the_rule_is_a_convention_field():
    assert detap.PRESETS["coco"].match == "coco"
    ultra = ("ultralytics", "ultralytics-obb")   # the last of equally good GT (match.h)
    assert all(detap.PRESETS[name].match == "ultralytics" for name in ultra)
    assert all(c.match == "voc" for name, c in detap.PRESETS.items()
               if name != "coco" and name not in ultra)
    with pytest.raises(ValueError):
        detap.Convention(match="hungarian")


coord = st.integers(0, 12).map(float) | st.sampled_from([0.5, 2.5])
size = st.integers(0, 8).map(float) | st.sampled_from([0.5, 1e6])


@st.composite
def scenes(draw):
    n_images = draw(st.integers(1, 4))
    ng = draw(st.integers(0, 8))
    nd = draw(st.integers(0, 12))
    box = st.tuples(coord, coord, size, size)
    gt = np.array(draw(st.lists(box, min_size=ng, max_size=ng)), np.float64).reshape(-1, 4)
    dt = np.array(draw(st.lists(box, min_size=nd, max_size=nd)), np.float64).reshape(-1, 4)
    gi = np.array(draw(st.lists(st.integers(0, n_images - 1), min_size=ng, max_size=ng)), np.int64)
    di = np.array(draw(st.lists(st.integers(0, n_images - 1), min_size=nd, max_size=nd)), np.int64)
    crowd = np.array(draw(st.lists(st.booleans(), min_size=ng, max_size=ng)), bool)
    score = np.array(draw(st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.9, 1.0]),
                                   min_size=nd, max_size=nd)), np.float64)
    thr = draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.95, 1.0]),
                        min_size=1, max_size=4))
    return gt, gi, crowd, dt, di, score, thr, n_images


@settings(max_examples=150, deadline=None)
@given(scenes())
def test_coco_rule_equals_pycocotools(scene):
    check_equal(*scene)


def test_one_matcher_serves_both_drivers():
    """The per-image driver (evaluate_class) and the COCO cell driver
    (COCOeval) give the same labels on one cell: they share csrc/match.h."""
    rng = np.random.default_rng(3)
    gt = np.round(rng.uniform(0, 20, (6, 4)))
    dt = np.round(rng.uniform(0, 20, (15, 4)))
    score = np.round(rng.uniform(0, 1, 15), 1)
    crowd = np.array([0, 1, 0, 0, 0, 0], bool)
    r = check_equal(gt, np.zeros(6, np.int64), crowd, dt, np.zeros(15, np.int64), score,
                    list(np.linspace(0.5, 0.95, 10)), 1)
    assert (r.labels == 1).any() and (r.labels == 0).any()
    assert _core.RULE_VOC != _core.RULE_COCO


def test_voc_files_under_the_coco_convention_equal_the_array_api():
    """voc.evaluate reads xyxy det files; under the COCO IoU they must be
    converted like the GT (they were once passed on as xyxy: car AP 0.0026)."""
    import os
    import detap.voc
    sample = os.path.join(os.path.dirname(detap.__file__), "data", "sample_voc")
    det = os.path.join(sample, "results", "det_test_{}.txt")
    anno = os.path.join(sample, "Annotations", "{}.xml")
    iset = os.path.join(sample, "ImageSets", "Main", "test.txt")
    res = detap.voc.evaluate(det, anno, iset, ["car"], convention="coco")
    ann = detap.voc.load_annotations(anno, detap.voc.read_imageset(iset))
    img, score, boxes = detap.voc.read_detections(det.format("car"), ann, iset)
    sel = ann.obj_cls == ann.classes.index("car")
    r = detap.evaluate_class(boxes, score, img, ann.boxes[sel], ann.obj_img[sel],
                             ann.difficult[sel], convention="coco", n_images=len(ann.names))
    assert res.ap["car"] == r.ap and r.ap > 0.5
    assert type(res.ap["car"]) is np.float64  # voc_eval's type


def test_engine_refuses_unsorted_image_ids():
    from detap.coco import engine
    from detap.coco.columns import Columns
    z = np.zeros(0, np.int64)
    cols = Columns(z, z, z, np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.uint8),
                   np.zeros(0, np.uint8), np.zeros(0))
    with pytest.raises(detap.DetapInputError, match="sorted"):
        engine.evaluate(cols, cols, [3, 1], [1], True, [[0, 1e10]], [0.5], 100)

