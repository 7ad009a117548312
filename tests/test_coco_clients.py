"""API details that real pycocotools clients rely on (part of issue 11).

Each driver below is written here in the way DETR's and torchvision's
``coco_eval.py`` drive pycocotools (no code of theirs is copied): the same
driver runs on pycocotools and on detap, and the results must be equal by
``np.array_equal``.
"""
import contextlib
import copy
import io
from collections import defaultdict

import numpy as np
import pytest

from detap import synth
from detap.coco import COCO as DCOCO, COCOeval as DCOCOeval

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as RCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RCOCOeval  # noqa: E402


def _data(seed=3):
    gt, res = synth.make_coco(n_images=40, n_categories=6, dets_per_image=30, seed=seed)
    return gt, res


def _load(COCO, gt, res):
    with contextlib.redirect_stdout(io.StringIO()):
        g = COCO()
        g.dataset = copy.deepcopy(gt)
        g.createIndex()
        return g, g.loadRes(copy.deepcopy(res))


def per_image_driver(COCOeval, g, d):
    """Evaluate the way DETR's evaluator does: _prepare, then computeIoU and
    evaluateImg per cell, evalImgs stored as a flat list, accumulate."""
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(g, d, "bbox")
        p = ev.params
        p.imgIds = list(np.unique(p.imgIds))
        p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        ev.params = p
        ev._prepare()
        cat_ids = p.catIds if p.useCats else [-1]
        ev.ious = {(i, c): ev.computeIoU(i, c) for i in p.imgIds for c in cat_ids}
        imgs = [ev.evaluateImg(i, c, a, p.maxDets[-1])
                for c in cat_ids for a in p.areaRng for i in p.imgIds]
        ev.evalImgs = list(np.asarray(imgs).reshape(len(cat_ids), len(p.areaRng),
                                                    len(p.imgIds)).flatten())
        ev._paramsEval = copy.deepcopy(ev.params)
        ev.accumulate()
        ev.summarize()
    return ev


def test_per_image_driver_equals_pycocotools():
    gt, res = _data()
    got = per_image_driver(DCOCOeval, *_load(DCOCO, gt, res))
    ref = per_image_driver(RCOCOeval, *_load(RCOCO, gt, res))
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(got.eval[key], ref.eval[key]), key
    assert np.array_equal(got.stats, ref.stats)
    for key, r in ref.ious.items():
        g = got.ious[key]
        assert (isinstance(r, list) and g == []) or np.array_equal(g, r), key


def test_ious_is_a_plain_dict():
    """Generic code rebuilds mappings as type(d)(...) (torchmetrics'
    apply_to_collection): ious must be a dict, equal to pycocotools'."""
    gt, res = _data(5)
    with contextlib.redirect_stdout(io.StringIO()):
        evs = []
        for COCO, COCOeval in ((DCOCO, DCOCOeval), (RCOCO, RCOCOeval)):
            ev = COCOeval(*_load(COCO, gt, res), "bbox")
            ev.evaluate()
            evs.append(ev)
    got, ref = evs
    assert type(got.ious) is dict
    rebuilt = type(got.ious)((k, v) for k, v in got.ious.items())
    assert rebuilt.keys() == ref.ious.keys()
    for k, r in ref.ious.items():
        assert (isinstance(r, list) and rebuilt[k] == []) or np.array_equal(rebuilt[k], r), k


def own_create_index(coco):
    """An index built by client code and assigned attribute by attribute, as
    older torchvision coco_eval.py (and its copies) do."""
    anns, cats, imgs = {}, {}, {}
    img_to_anns, cat_to_imgs = defaultdict(list), defaultdict(list)
    for ann in coco.dataset.get("annotations", []):
        img_to_anns[ann["image_id"]].append(ann)
        anns[ann["id"]] = ann
    for img in coco.dataset.get("images", []):
        imgs[img["id"]] = img
    for cat in coco.dataset.get("categories", []):
        cats[cat["id"]] = cat
    for ann in coco.dataset.get("annotations", []):
        cat_to_imgs[ann["category_id"]].append(ann["image_id"])
    coco.anns, coco.imgs, coco.cats = anns, imgs, cats
    coco.imgToAnns, coco.catToImgs = img_to_anns, cat_to_imgs


def test_index_dicts_can_be_assigned():
    gt, res = _data(7)
    stats = []
    for COCO, COCOeval in ((DCOCO, DCOCOeval), (RCOCO, RCOCOeval)):
        with contextlib.redirect_stdout(io.StringIO()):
            g = COCO()
            g.dataset = copy.deepcopy(gt)
            own_create_index(g)
            assert g.imgs and g.anns and set(g.imgToAnns) <= set(g.imgs)
            d = g.loadRes(copy.deepcopy(res))
            ev = COCOeval(g, d, "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        stats.append(ev.stats)
    assert np.array_equal(stats[0], stats[1])


@pytest.mark.parametrize("as_file", [False, True])
def test_result_image_id_of_another_type_is_refused_as_pycocotools(tmp_path, as_file):
    """Results naming image "1" on a ground truth whose image is 1:
    pycocotools' loadRes asserts; detap raises its AssertionError subclass
    instead of converting "1" to 1 quietly."""
    import json
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
                           "area": 100.0, "iscrowd": 0}]}
    res = [{"image_id": "1", "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5}]
    if as_file:
        path = tmp_path / "res.json"
        path.write_text(json.dumps(res))
        res = str(path)
    for COCO in (RCOCO, DCOCO):
        with contextlib.redirect_stdout(io.StringIO()):
            g, _ = COCO(), None
            g.dataset = copy.deepcopy(gt)
            g.createIndex()
            with pytest.raises(AssertionError):
                g.loadRes(copy.deepcopy(res) if not as_file else res)


def test_negative_size_boxes_evaluate_as_pycocotools():
    """pycocotools evaluates boxes of negative width or height (GT and
    results: their IoU is 0, a result's area w * h enters the area ranges);
    detap warns and gives the same precision, recall and stats."""
    import warnings
    from detap import DetapWarning
    gt, res = _data(11)
    rng = np.random.default_rng(0)
    for recs in (gt["annotations"], res):
        for j in rng.choice(len(recs), len(recs) // 10, replace=False):
            b = list(recs[j]["bbox"])
            b[2 + int(rng.integers(0, 2))] *= -1
            if rng.random() < 0.3:
                b[2], b[3] = -abs(b[2]), -abs(b[3])
            recs[j]["bbox"] = b
    evs = []
    for COCO, COCOeval in ((DCOCO, DCOCOeval), (RCOCO, RCOCOeval)):
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ev = COCOeval(*_load(COCO, gt, res), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        evs.append((ev, w))
    (got, w), (ref, _) = evs
    assert any(issubclass(x.category, DetapWarning) and "negative size" in str(x.message)
               for x in w)
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(got.eval[key], ref.eval[key]), key
    assert np.array_equal(got.stats, ref.stats)


def _lines(fn):
    """What fn() prints, with pycocotools' timings blanked."""
    import re
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return [re.sub(r"\(t=\d+\.\d\ds\)", "(t=T)", ln) for ln in buf.getvalue().splitlines()]


def test_progress_lines_are_pycocotools(tmp_path):
    """The 'loading annotations... Done' lines where pycocotools prints them
    (logs and notebooks show them); verbose=False (detap only) silences them."""
    import json
    gt, res = _data(13)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    outputs = []
    for COCO, COCOeval in ((DCOCO, DCOCOeval), (RCOCO, RCOCOeval)):
        def run():
            g = COCO(str(tmp_path / "gt.json"))
            d = g.loadRes(str(tmp_path / "res.json"))
            ev = COCOeval(g, d, "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            g2 = COCO()
            g2.dataset = copy.deepcopy(gt)
            g2.createIndex()
        outputs.append(_lines(run))
    assert outputs[0] == outputs[1]
    assert _lines(lambda: DCOCO(str(tmp_path / "gt.json"), verbose=False).loadRes(
        str(tmp_path / "res.json"))) == []
