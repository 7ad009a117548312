"""The analysis state: merging random splits gives the same bits as one
run; calibration and per-image results against direct definitions."""
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap.analysis import AnalysisSettings, AnalysisState, analyze
from detap.analysis.calibration import calibration
from detap.analysis.scene import Scene
from detap.errors import DetapInputError
from tests.tide_support import random_scene


def sub_scene(scene, images):
    """The scene restricted to ``images`` (renumbered 0..)."""
    pos = {int(i): j for j, i in enumerate(images)}
    g = np.isin(scene.gt_image, images)
    d = np.isin(scene.dt_image, images)
    return Scene(n_images=len(images), classes=scene.classes, gt_box=scene.gt_box[g],
                 gt_image=[pos[int(i)] for i in scene.gt_image[g]], gt_label=scene.gt_label[g],
                 gt_ignore=scene.gt_ignore[g], dt_box=scene.dt_box[d],
                 dt_image=[pos[int(i)] for i in scene.dt_image[d]], dt_label=scene.dt_label[d],
                 dt_score=scene.dt_score[d])


def same(a, b):
    assert a.tide == b.tide
    assert np.array_equal(a.confusion.matrix, b.confusion.matrix)
    for f in ("count", "confidence", "accuracy"):
        assert np.array_equal(getattr(a.calibration, f), getattr(b.calibration, f), equal_nan=True)
    assert a.calibration.ece == b.calibration.ece or (np.isnan(a.calibration.ece) and np.isnan(b.calibration.ece))
    for f in ("tp", "fp", "fn", "n_gt", "ap"):
        assert np.array_equal(getattr(a.images, f), getattr(b.images, f))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), n_parts=st.integers(1, 4),
       confusion=st.sampled_from(["coco", "ultralytics"]))
def test_merged_splits_equal_one_run(seed, ties, n_parts, confusion):
    rng = np.random.default_rng(seed)
    scene = random_scene(rng, n_images=9, n_classes=4, ties=ties)
    cfg = AnalysisSettings(confusion=confusion)
    whole = AnalysisState(cfg).add_scene(scene).compute(np.arange(4))
    # images dealt to parts at random, each part's images in a random order
    # and with their own ids (the image index)
    part = rng.integers(0, n_parts, scene.n_images)
    states = []
    for p in range(n_parts):
        imgs = rng.permutation(np.flatnonzero(part == p))
        if len(imgs):
            states.append(AnalysisState(cfg).add_scene(sub_scene(scene, imgs), image_ids=imgs))
    order = rng.permutation(len(states))
    merged = states[order[0]]
    for s in order[1:]:
        merged = merged.merge(states[s])
    same(merged.compute(np.arange(4)), whole)


def test_analyze_is_the_state():
    scene = random_scene(np.random.default_rng(1), n_images=7)
    same(analyze(scene), AnalysisState().add_scene(scene).compute(np.arange(4)))


def test_image_analysed_twice_is_an_error():
    scene = random_scene(np.random.default_rng(2), n_images=3)
    s = AnalysisState().add_scene(scene).merge(AnalysisState().add_scene(scene))
    with pytest.raises(DetapInputError, match="twice"):
        s.compute()


def test_calibration_definition():
    s = np.array([0.0, 0.05, 0.1, 0.15, 0.5, 0.99, 1.0, 1.0])
    c = np.array([0, 1, 0, 0, 1, 1, 1, 0], bool)
    cal = calibration(s, c, n_bins=10)
    assert cal.count.tolist() == [2, 2, 0, 0, 0, 1, 0, 0, 0, 3]
    gaps = {0: abs(0.5 - 0.025), 1: abs(0.0 - 0.125), 5: abs(1 - 0.5), 9: abs(2 / 3 - (0.99 + 1 + 1) / 3)}
    assert cal.ece == pytest.approx(sum(cal.count[b] / 8 * g for b, g in gaps.items()), abs=1e-15)
    assert cal.mce == pytest.approx(max(gaps.values()), abs=1e-15)
    with pytest.raises(DetapInputError, match="logits"):
        calibration([1.5], [True])


def test_image_results_counts():
    gt = np.array([[0, 0, 10, 10], [50, 50, 10, 10]], float)
    scene = Scene(n_images=3, classes=["a"], gt_box=gt, gt_image=[0, 0], gt_label=[0, 0],
                  gt_ignore=[False, False], dt_box=np.array([[0, 0, 10, 10], [200, 0, 5, 5]], float),
                  dt_image=[0, 1], dt_label=[0, 0], dt_score=[0.9, 0.8])
    im = analyze(scene).images
    assert im.tp.tolist() == [1, 0, 0] and im.fp.tolist() == [0, 1, 0] and im.fn.tolist() == [1, 0, 0]
    assert im.ap[2] == 100.0 and im.ap[1] == 0.0
    assert im.worst(1).tolist() == [1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), iou=st.sampled_from([0.5, 0.75]),
       score=st.sampled_from([0.0, 0.5, -1.0]))
def test_confusion_from_tide_pass_equals_its_own_matching(seed, iou, score):
    """The state takes the COCO-style matching from TIDE's pass when the
    score threshold keeps every detection: the same counts."""
    from detap.analysis.confusion import confusion_coco
    scene = random_scene(np.random.default_rng(seed), n_images=8, ties=True)
    cfg = AnalysisSettings(confusion_iou=iou, confusion_score=score)
    got = AnalysisState(cfg).add_scene(scene).compute(np.arange(4)).confusion.matrix
    assert np.array_equal(got, confusion_coco(scene, iou, score).matrix)


@pytest.mark.parametrize("kw", [{"iou": 0}, {"iou": -0.1}, {"iou": 1.5}, {"bg": 0.5},
                                {"iou": 0.3, "bg": 0.3}, {"bg": -0.1}, {"max_dets": 0},
                                {"max_dets": 2.5}, {"n_bins": 0}, {"confusion": "yolo"}])
def test_settings_that_cannot_mean_anything_are_refused(kw):
    """At IoU 0 every pair would match (TIDE's AP read 100 on the sample)."""
    with pytest.raises(DetapInputError):
        AnalysisSettings(**kw)


def test_cli_iou_zero_with_analysis_is_an_error(capsys):
    from detap import cli
    import detap
    sample = os.path.join(os.path.dirname(detap.__file__), "data", "sample_voc")
    code = cli.main(["eval", "--gt", sample, "--dt", os.path.join(sample, "results"),
                     "--analysis", "--iou", "0"])
    assert code == 2
    assert "IoU threshold must be in (0, 1]" in capsys.readouterr().err
