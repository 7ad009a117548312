"""The streaming Evaluator and detap.dask with iou_type "segm" and
"keypoints": equal to COCOeval (itself equal to pycocotools) on the whole
data set, and merges of random splits equal to one evaluator, bit for bit."""
import copy

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("pycocotools")
import pycocotools.mask as ref_mask  # noqa: E402

from detap import Evaluator  # noqa: E402
from detap import coco as dcoco  # noqa: E402
from detap.errors import DetapInputError  # noqa: E402
from tests.coco_support import quiet  # noqa: E402
from tests.test_coco_keypoints import make_keypoints  # noqa: E402
from tests.test_coco_segm import make_segm  # noqa: E402


def one_shot(gt, res, iou_type):
    def body():
        cg = dcoco.COCO(copy.deepcopy(gt))
        ev = dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(res)), iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev
    return quiet(body)


def records(gt, res, iou_type):
    """One update() dict per image, from COCO dicts (xywh boxes)."""
    imgs = {i["id"]: i for i in gt["images"]}
    out = []
    for img_id, img in imgs.items():
        g = [a for a in gt["annotations"] if a["image_id"] == img_id]
        d = [r for r in res if r["image_id"] == img_id]
        rec = {"image_id": img_id,
               "gt_boxes": np.array([a["bbox"] for a in g], float).reshape(-1, 4),
               "gt_labels": np.array([a["category_id"] for a in g], np.int64),
               "gt_iscrowd": np.array([a["iscrowd"] for a in g], bool),
               "gt_area": np.array([a["area"] for a in g], float),
               "det_scores": np.array([r["score"] for r in d], float),
               "det_labels": np.array([r["category_id"] for r in d], np.int64)}
        if iou_type == "segm":
            rec["gt_masks"] = [ref_mask.merge(ref_mask.frPyObjects(a["segmentation"], img["height"], img["width"]))
                               if isinstance(a["segmentation"], list) else a["segmentation"] for a in g]
            rec["det_masks"] = [r["segmentation"] for r in d]
            rec["det_boxes"] = np.array([ref_mask.toBbox(r["segmentation"]) for r in d]).reshape(-1, 4)
        else:
            rec["gt_keypoints"] = np.array([a["keypoints"] for a in g], float).reshape(len(g), 51)
            rec["gt_num_keypoints"] = np.array([a["num_keypoints"] for a in g], float)
            rec["det_keypoints"] = np.array([r["keypoints"] for r in d], float).reshape(len(d), 51)
            rec["det_boxes"] = np.zeros((len(d), 4))
        out.append(rec)
    return out


def data(iou_type, seed):
    if iou_type == "segm":
        return make_segm(seed, "rle", n_images=8, n_cats=3)
    return make_keypoints(seed, n_images=8)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10 ** 6), iou_type=st.sampled_from(["segm", "keypoints"]),
       split=st.integers(0, 2 ** 16))
def test_streaming_equals_cocoeval_and_merges(seed, iou_type, split):
    gt, res = data(iou_type, seed)
    if not res:
        return
    ref = one_shot(gt, res, iou_type)
    recs = records(gt, res, iou_type)
    one = Evaluator("coco", iou_type=iou_type)
    for r in recs:
        one.update(**r, box_format="xywh")
    got = one.compute()
    assert got.iou_type == iou_type
    assert len(got.stats) == (10 if iou_type == "keypoints" else 12)
    assert got.stats.tolist() == ref.stats.tolist()
    # random split into three evaluators, fed in batches, merged
    rng = np.random.default_rng(split)
    parts = [Evaluator("coco", iou_type=iou_type) for _ in range(3)]
    order = rng.permutation(len(recs))
    for j, i in enumerate(order):
        parts[j % 3].update_many([recs[i]], box_format="xywh")
    merged = parts[0].merge(parts[1]).merge(parts[2]).compute()
    assert merged.stats.tolist() == got.stats.tolist()
    for name in got.classes:
        a, b = got.per_class[name], merged.per_class[name]
        assert (a.ap == b.ap) or (np.isnan(a.ap) and np.isnan(b.ap))


def test_dask_segm_equals_one_shot():
    pytest.importorskip("dask.bag")
    import dask
    import dask.bag as db

    from detap import dask as ddask
    gt, res = data("segm", 5)
    ref = one_shot(gt, res, "segm")
    recs = [dict(r, box_format="xywh") for r in records(gt, res, "segm")]
    with dask.config.set(scheduler="sync"):
        got = ddask.evaluate(db.from_sequence(recs, npartitions=3), iou_type="segm")
    assert got.stats.tolist() == ref.stats.tolist()


def test_shapes_must_fit_the_iou_type():
    ev = Evaluator("coco", iou_type="keypoints")
    with pytest.raises(DetapInputError, match="gt_keypoints"):
        ev.update(1, [[0, 0, 1, 1]], [1], [], [], [])
    with pytest.raises(DetapInputError, match="shape"):
        ev.update(1, [[0, 0, 1, 1]], [1], [], [], [], gt_keypoints=np.zeros((1, 6)),
                  det_keypoints=np.zeros((0, 51)))
    with pytest.raises(DetapInputError, match="unexpected"):
        Evaluator("coco").update(1, [], [], [], [], [], gt_masks=[])
    with pytest.raises(DetapInputError, match="needs protocol 'coco'"):
        Evaluator("voc", iou_type="segm")
    with pytest.raises(DetapInputError, match="cannot merge"):
        Evaluator("coco", iou_type="segm").merge(Evaluator("coco"))
