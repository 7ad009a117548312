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


def test_lvis_evaluator_refuses_analysis():
    with pytest.raises(DetapInputError, match="no error analysis"):
        Evaluator("lvis", frequencies={1: "f"}, analysis=True)
