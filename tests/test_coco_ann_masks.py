"""COCO.annToRLE / COCO.annToMask, as pycocotools' (torchmetrics'
MeanAveragePrecision.coco_to_tm calls annToMask on every segm annotation)."""
import contextlib
import copy
import io

import numpy as np
import pytest

from detap.coco import COCO

pytest.importorskip("pycocotools")
import pycocotools.mask as pymask  # noqa: E402
from pycocotools.coco import COCO as PyCOCO  # noqa: E402


def _dataset():
    h, w = 37, 53
    m = np.zeros((h, w), np.uint8, order="F")
    m[5:20, 30:50] = 1
    rle = pymask.encode(np.asfortranarray(m))
    counts, prev, run = [], 0, 0
    for v in m.flatten(order="F"):
        if v != prev:
            counts.append(run)
            run, prev = 0, v
        run += 1
    counts.append(run)
    str_rle = {"size": rle["size"], "counts": rle["counts"].decode()}
    anns = [
        {"id": 1, "image_id": 7, "category_id": 1, "iscrowd": 0, "area": 1.0, "bbox": [1, 1, 9, 9],
         "segmentation": [[1.5, 1.0, 10.2, 2.0, 8.0, 9.7, 2.0, 8.0], [20, 20, 30, 21, 25, 33]]},
        {"id": 2, "image_id": 7, "category_id": 1, "iscrowd": 1, "area": 1.0, "bbox": [30, 5, 20, 15],
         "segmentation": {"counts": counts, "size": [h, w]}},
        {"id": 3, "image_id": 7, "category_id": 2, "iscrowd": 0, "area": 1.0, "bbox": [30, 5, 20, 15],
         "segmentation": str_rle},
        {"id": 4, "image_id": 8, "category_id": 2, "iscrowd": 0, "area": 1.0, "bbox": [30, 5, 20, 15],
         "segmentation": dict(rle)},
    ]
    return {"images": [{"id": 7, "height": h, "width": w}, {"id": 8, "height": h, "width": w}],
            "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "annotations": anns}


def _index(cls, dataset):
    c = cls()
    c.dataset = copy.deepcopy(dataset)
    with contextlib.redirect_stdout(io.StringIO()):
        c.createIndex()
    return c


def test_ann_to_rle_and_mask_equal_pycocotools():
    data = _dataset()
    ours, ref = _index(COCO, data), _index(PyCOCO, data)
    for ann_id in (1, 2, 3, 4):
        a, r = ours.anns[ann_id], ref.anns[ann_id]
        rle, ref_rle = ours.annToRLE(a), ref.annToRLE(r)
        assert list(rle["size"]) == list(ref_rle["size"])
        assert rle["counts"] == ref_rle["counts"] and type(rle["counts"]) is type(ref_rle["counts"])
        m, ref_m = ours.annToMask(a), ref.annToMask(r)
        assert m.dtype == ref_m.dtype and m.shape == ref_m.shape
        assert np.array_equal(m, ref_m)
        assert m.any()
    # a compressed RLE is handed back as it is, as pycocotools does
    assert ours.annToRLE(ours.anns[3]) is ours.anns[3]["segmentation"]


def test_segm_ground_truth_without_bbox_as_pycocotools():
    """torchmetrics' segm ground truth has no "bbox": pycocotools' segm
    evaluation never reads it, so neither may ours."""
    from detap.coco import COCOeval
    from pycocotools.cocoeval import COCOeval as PyCOCOeval

    data = _dataset()
    for a in data["annotations"]:
        del a["bbox"]
    rng = np.random.default_rng(0)
    results = []
    for a in data["annotations"]:
        ref = _index(PyCOCO, data)
        m = ref.annToMask(ref.anns[a["id"]])
        for k in range(3):
            mm = np.roll(m, int(rng.integers(-3, 4)), axis=1)
            rle = pymask.encode(np.asfortranarray(mm))
            rle["counts"] = rle["counts"].decode()
            results.append({"image_id": a["image_id"], "category_id": a["category_id"],
                            "segmentation": rle, "score": float(rng.uniform())})
    stats = []
    for coco_cls, eval_cls in ((COCO, COCOeval), (PyCOCO, PyCOCOeval)):
        gt = _index(coco_cls, data)
        with contextlib.redirect_stdout(io.StringIO()):
            dt = gt.loadRes(copy.deepcopy(results))
            e = eval_cls(gt, dt, "segm")
            e.evaluate()
            e.accumulate()
            e.summarize()
        stats.append((e.stats, e.eval["precision"]))
    assert np.array_equal(stats[0][0], stats[1][0])
    assert np.array_equal(stats[0][1], stats[1][1])
    assert stats[1][0][0] > 0
