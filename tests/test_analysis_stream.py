"""The analysis under the streaming Evaluator and detap.dask: any split of
the images, merged in any order, gives the bits of one run; one run equals
the one-shot analysis of the images in id order."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap import Evaluator
from detap.analysis import AnalysisSettings, analyze
from detap.errors import DetapInputError
from tests.test_analysis_state import same
from tests.tide_support import random_scene


def records(scene):
    out = []
    for i in range(scene.n_images):
        g, d = scene.gt_image == i, scene.dt_image == i
        out.append({"image_id": i, "gt_boxes": scene.gt_box[g], "gt_labels": scene.gt_label[g],
                    "gt_iscrowd": scene.gt_ignore[g], "det_boxes": scene.dt_box[d],
                    "det_scores": scene.dt_score[d], "det_labels": scene.dt_label[d]})
    return out


def all_classes(scene):
    return {k for k in np.r_[scene.gt_label, scene.dt_label].tolist()}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n_parts=st.integers(1, 4),
       protocol=st.sampled_from(["coco", "voc"]))
def test_evaluator_splits_merge_to_one_run(seed, n_parts, protocol):
    rng = np.random.default_rng(seed)
    scene = random_scene(rng, n_images=8, n_classes=3, ties=bool(seed % 2))
    recs = records(scene)
    one = Evaluator(protocol, analysis=True)
    one.update_many(recs, box_format="xywh")
    ref = one.compute().analysis
    evs = [Evaluator(protocol, analysis=True) for _ in range(n_parts)]
    for r in rng.permutation(len(recs)):
        evs[rng.integers(n_parts)].update_many([recs[r]], box_format="xywh")
    merged = evs[0]
    for e in evs[1:]:
        merged.merge(e)
    got = merged.compute().analysis
    same(got, ref)
    # and the one-shot analysis of the same images (id order)
    if len(all_classes(scene)) == len(scene.classes):
        one_shot = analyze(scene)
        same(got, one_shot)


def test_result_json_has_the_analysis():
    scene = random_scene(np.random.default_rng(4), n_images=5, n_classes=3)
    ev = Evaluator("coco", analysis=AnalysisSettings(confusion="ultralytics"))
    ev.update_many(records(scene), box_format="xywh")
    d = ev.compute().to_dict()["analysis"]
    assert set(d) >= {"schema_version", "tide", "confusion", "calibration", "images"}
    assert d["confusion"]["convention"] == "ultralytics"
    assert set(d["tide"]["main"]) == {"Cls", "Loc", "Both", "Dupe", "Bkg", "Miss"}
    assert set(d["tide"]["special"]) == {"FalsePos", "FalseNeg"}


def test_merge_with_and_without_analysis_is_an_error():
    with pytest.raises(DetapInputError, match="analysis"):
        Evaluator("coco", analysis=True).merge(Evaluator("coco"))


def test_pickled_evaluator_keeps_the_analysis():
    import pickle
    scene = random_scene(np.random.default_rng(9), n_images=6, n_classes=3)
    ev = Evaluator("coco", analysis=True)
    ev.update_many(records(scene), box_format="xywh")
    same(pickle.loads(pickle.dumps(ev)).compute().analysis, ev.compute().analysis)


def test_dask_equals_one_evaluator():
    db = pytest.importorskip("dask.bag")
    import detap.dask
    scene = random_scene(np.random.default_rng(11), n_images=30, n_classes=3, ties=True)
    recs = [dict(r, box_format="xywh") for r in records(scene)]
    one = Evaluator("coco", analysis=True)
    one.update_many(records(scene), box_format="xywh")
    for nparts in (1, 4, 7):
        res = detap.dask.evaluate(db.from_sequence(recs, npartitions=nparts), "coco",
                                  split_every=2, analysis=True, client=None)
        same(res.analysis, one.compute().analysis)


def shape_records(scene, kind):
    """``records`` with the scene's masks (RLE dicts) or keypoints."""
    out = records(scene)
    sh = scene.shapes
    for i, r in enumerate(out):
        g, d = np.flatnonzero(scene.gt_image == i), np.flatnonzero(scene.dt_image == i)
        if kind == "segm":
            r["gt_masks"] = [sh.gt_rles[j] for j in g]
            r["det_masks"] = [sh.dt_rles[j] for j in d]
        else:
            r["gt_keypoints"], r["det_keypoints"] = sh.gt[g], sh.dt[d]
            r["gt_area"] = sh.gt_area[g]
    return out


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n_parts=st.integers(1, 4),
       kind=st.sampled_from(["segm", "keypoints"]))
def test_shapes_evaluator_splits_merge_to_one_run(seed, n_parts, kind):
    """segm and keypoints: merged splits give one run's bits, and one run
    equals the one-shot analysis of the same masks / keypoints."""
    from tests.tide_support import keypoint_scene, mask_scene
    rng = np.random.default_rng(seed)
    base = random_scene(rng, n_images=7, n_classes=3, ties=bool(seed % 2))
    scene, (g, d) = mask_scene(base, rng) if kind == "segm" else keypoint_scene(base, rng)
    if kind == "segm":
        scene.shapes.gt_rles, scene.shapes.dt_rles = g, d
    recs = shape_records(scene, kind)
    one = Evaluator("coco", iou_type=kind, analysis=True)
    one.update_many(recs, box_format="xywh")
    ref = one.compute().analysis
    evs = [Evaluator("coco", iou_type=kind, analysis=True) for _ in range(n_parts)]
    for r in rng.permutation(len(recs)):
        evs[rng.integers(n_parts)].update_many([recs[r]], box_format="xywh")
    merged = evs[0]
    for e in evs[1:]:
        merged.merge(e)
    same(merged.compute().analysis, ref)
    if len(all_classes(scene)) == len(scene.classes):
        same(ref, analyze(scene))   # (with the scene's shapes: boxes differ, test_analysis_shapes)


def test_shapes_under_dask():
    db = pytest.importorskip("dask.bag")
    import detap.dask
    from tests.tide_support import keypoint_scene
    rng = np.random.default_rng(5)
    scene, _ = keypoint_scene(random_scene(rng, n_images=20, n_classes=2, ties=True), rng)
    recs = [dict(r, box_format="xywh") for r in shape_records(scene, "keypoints")]
    one = Evaluator("coco", iou_type="keypoints", analysis=True)
    one.update_many(shape_records(scene, "keypoints"), box_format="xywh")
    for nparts in (1, 3, 6):
        res = detap.dask.evaluate(db.from_sequence(recs, npartitions=nparts), "coco",
                                  split_every=2, analysis=True, iou_type="keypoints")
        same(res.analysis, one.compute().analysis)


def lvis_updates(rng, n_images=8, n_cat=4):
    """Random per-image LVIS updates: (image id, kwargs of update)."""
    out = []
    for i in range(1, n_images + 1):
        base = random_scene(rng, n_images=1, n_classes=n_cat, ties=True)
        cats = rng.permutation(np.arange(1, n_cat + 1))
        out.append((i, dict(gt_boxes=base.gt_box, gt_labels=base.gt_label + 1,
                            det_boxes=base.dt_box, det_scores=base.dt_score,
                            det_labels=base.dt_label + 1, neg_labels=cats[:1].tolist(),
                            not_exhaustive_labels=cats[1:2].tolist(), box_format="xywh")))
    return out


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n_parts=st.integers(1, 4), cap=st.sampled_from([300, 4]))
def test_lvis_evaluator_splits_merge_to_one_run(seed, n_parts, cap):
    """Evaluator('lvis', analysis=True): merged splits equal one run, and
    one run equals the analysis of LVISEval on the same data."""
    rng = np.random.default_rng(seed)
    ups = lvis_updates(rng)
    freq = {c: "f" for c in range(1, 5)}
    one = Evaluator("lvis", frequencies=freq, max_dets=cap, analysis=True)
    for i, kw in ups:
        one.update(i, **kw)
    ref = one.compute().analysis
    evs = [Evaluator("lvis", frequencies=freq, max_dets=cap, analysis=True) for _ in range(n_parts)]
    for j in rng.permutation(len(ups)):
        i, kw = ups[j]
        evs[rng.integers(n_parts)].update(i, **kw)
    merged = evs[0]
    for e in evs[1:]:
        merged.merge(e)
    same(merged.compute().analysis, ref)
    assert ref.settings.max_dets == cap


def test_merge_of_other_similarities_is_an_error():
    from detap.analysis import AnalysisState
    from tests.tide_support import keypoint_scene
    rng = np.random.default_rng(3)
    a = AnalysisState().add_scene(random_scene(rng), image_ids=np.arange(6))
    b = AnalysisState().add_scene(keypoint_scene(random_scene(rng), rng)[0], image_ids=np.arange(6, 12))
    with pytest.raises(DetapInputError, match="OKS"):
        a.merge(b)


def test_lvis_merge_of_other_analysis_settings_is_an_error():
    a = Evaluator("lvis", frequencies={1: "f"}, analysis=True)
    with pytest.raises(DetapInputError):
        a.merge(Evaluator("lvis", frequencies={1: "f"}))
