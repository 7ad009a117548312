"""lvis-api's per-cell views from detap's LVISEval: ``eval_imgs`` (every
dict, key by key, values and dtypes), ``ious``, ``compute_iou``,
``evaluate_img`` and ``_summarize``, equal to lvis-api 0.5.3's on hand-made
and hypothesis-generated data sets; plus ``limit_dets_per_image`` and
``download``."""
import copy
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lvis_support import reference, run_detap, run_reference
from tests.test_lvis import base_dets, base_gt, lvis_cases

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def same_value(got, want, where):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), where
        assert got.dtype == want.dtype and got.shape == want.shape, (where, got, want)
        assert np.array_equal(got, want), (where, got, want)
    else:
        assert type(got) is type(want) and got == want, (where, got, want)


def same_eval_img(got, want, where):
    if want is None:
        assert got is None, where
        return
    assert list(got) == list(want), where
    for key, value in want.items():
        if key in ("dt_ids", "gt_ids", "dt_scores"):
            assert got[key] == value, (where, key)
            assert [type(v) for v in got[key]] == [type(v) for v in value], (where, key)
        else:
            same_value(got[key], value, (where, key))


def same_views(ours, ref):
    assert len(ours.eval_imgs) == len(ref.eval_imgs)
    for j, want in enumerate(ref.eval_imgs):
        same_eval_img(ours.eval_imgs[j], want, j)
    assert list(ours.ious) == list(ref.ious)
    for key, want in ref.ious.items():
        got = ours.ious[key]
        if isinstance(want, list):
            assert got == want, key
        else:
            same_value(got, want, key)
            same_value(ours.compute_iou(*key), want, key)
    p = ref.params
    for i in p.img_ids:
        for k in p.cat_ids:
            for rng in p.area_rng:
                same_eval_img(ours.evaluate_img(i, k, rng), ref.evaluate_img(i, k, rng), (i, k))
    for args in [("ap",), ("ap", .5), ("ap", None, "small"), ("ar",), ("ar", .75, "large"),
                 ("ap", None, "all", 0), ("ap", None, "all", 2), ("ar", None, "all", 1)]:
        same_value(np.float64(ours._summarize(*args)), np.float64(ref._summarize(*args)), args)


def test_views_on_the_base_case():
    ref = run_reference(base_gt(), base_dets())
    ours = run_detap(base_gt(), base_dets())
    same_views(ours, ref)
    assert any(e is not None and e["dt_ignore"].any() for e in ref.eval_imgs)
    assert any(e is not None and e["dt_matches"].any() for e in ref.eval_imgs)


def test_views_before_evaluate():
    from detap.lvis import LVIS, LVISEval, LVISResults
    g = LVIS(base_gt())
    ev = LVISEval(g, LVISResults(g, base_dets()), "bbox")
    assert ev.eval_imgs == [] and ev.ious == {}
    with pytest.raises(RuntimeError):
        ev.compute_iou(1, 1)


def test_segm_views():
    from detap import mask as mask_api
    gt = base_gt()
    dets = []
    for d in base_dets():
        x, y, w, h = d["bbox"]
        rle = mask_api.frPyObjects([[x, y, x + w, y, x + w, y + h, x, y + h]], 400, 400)[0]
        rle["counts"] = rle["counts"].decode()
        dets.append({k: v for k, v in d.items() if k != "bbox"} | {"segmentation": rle})
    for img in gt["images"]:
        img["height"], img["width"] = 400, 400
    same_views(run_detap(gt, dets, iou_type="segm"), run_reference(gt, dets, iou_type="segm"))


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases())
def test_random_views_equal_lvis_api(case):
    gt, dets, max_dets = case
    same_views(run_detap(gt, dets, max_dets=max_dets), run_reference(gt, dets, max_dets=max_dets))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases())
def test_limit_dets_per_image(case):
    lvis = reference()
    from detap.lvis import LVIS, LVISResults
    gt, dets, max_dets = case
    if max_dets < 0:
        max_dets = 1
    want = lvis.results.LVISResults.limit_dets_per_image(None, copy.deepcopy(dets), max_dets)
    ours = LVISResults(LVIS(gt), dets)
    assert ours.limit_dets_per_image(copy.deepcopy(dets), max_dets) == want


def test_download(tmp_path):
    """Images come from each record's coco_url (file:// here), skipped when
    already there, written whole (a temporary name, then renamed)."""
    from detap.lvis import LVIS
    src = tmp_path / "server"
    src.mkdir()
    gt = base_gt()
    for img in gt["images"]:
        (src / f"{img['id']:012d}.jpg").write_bytes(b"jpeg %d" % img["id"])
        img["coco_url"] = (src / f"{img['id']:012d}.jpg").as_uri()
    g = LVIS(gt)
    out = tmp_path / "out" / "images"
    g.download(str(out), img_ids=[1, 3])
    assert sorted(os.listdir(out)) == ["000000000001.jpg", "000000000003.jpg"]
    assert (out / "000000000003.jpg").read_bytes() == b"jpeg 3"
    (out / "000000000001.jpg").write_bytes(b"kept")
    g.download(str(out))
    assert (out / "000000000001.jpg").read_bytes() == b"kept"
    assert sorted(os.listdir(out)) == ["000000000001.jpg", "000000000002.jpg", "000000000003.jpg"]
    (src / "000000000002.jpg").unlink()
    (out / "000000000002.jpg").unlink()
    with pytest.raises(OSError):
        g.download(str(out))
    assert sorted(os.listdir(out)) == ["000000000001.jpg", "000000000003.jpg"]
