"""Confusion matrices equal to transcriptions of hotcoco's and
Ultralytics' loops (tests/confusion_support.py)."""
import numpy as np
from hypothesis import given, settings, strategies as st

from detap.analysis.confusion import confusion_coco, confusion_matrix, confusion_ultralytics
from tests.confusion_support import hotcoco_coco, ultralytics_matrix
from tests.tide_support import random_scene


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       iou=st.sampled_from([0.5, 0.3, 0.75]), score=st.sampled_from([0.0, 0.25, 0.5]),
       max_det=st.integers(1, 15))
def test_coco_style_equals_transcription(seed, ties, grid, iou, score, max_det):
    scene = random_scene(np.random.default_rng(seed), ties=ties, grid=grid)
    got = confusion_coco(scene, iou, score, max_dets=max_det)
    assert np.array_equal(got.matrix, hotcoco_coco(scene, iou, score, max_det))
    # every kept detection and every GT is counted exactly once
    n_dt = sum(min(max_det, int(((scene.dt_image == i) & (scene.dt_score >= score)).sum()))
               for i in range(scene.n_images))
    assert got.matrix[:, :-1].sum() == n_dt
    assert got.matrix[:-1, :].sum() == int((~scene.gt_ignore).sum())


def test_coco_style_several_thresholds_at_once():
    scene = random_scene(np.random.default_rng(5), n_images=10, max_dt=20)
    ms = confusion_coco(scene, [0.5, 0.75])
    for m, t in zip(ms, (0.5, 0.75)):
        assert np.array_equal(m.matrix, confusion_coco(scene, t).matrix)


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       iou=st.sampled_from([0.45, 0.3, 0.6]), conf=st.sampled_from([0.25, 0.0, 0.5]))
def test_ultralytics_equals_transcription(seed, ties, grid, iou, conf):
    scene = random_scene(np.random.default_rng(seed), ties=ties, grid=grid)
    got = confusion_ultralytics(scene, iou, conf)
    assert np.array_equal(got.matrix, ultralytics_matrix(scene, conf, iou))


def test_ultralytics_skips_unmatched_detections_of_an_image_without_match():
    """Ultralytics counts an image's unmatched detections only when the
    image has a match (or no GT): a quirk kept by the convention."""
    from detap.analysis.scene import Scene
    scene = Scene(n_images=1, classes=["a", "b"], gt_box=[[0, 0, 10, 10]], gt_image=[0],
                  gt_label=[0], gt_ignore=[False], dt_box=[[100, 100, 10, 10]], dt_image=[0],
                  dt_label=[1], dt_score=[0.9])
    u = confusion_matrix(scene, "ultralytics").matrix
    c = confusion_matrix(scene, "coco").matrix
    assert u.tolist() == [[0, 0, 1], [0, 0, 0], [0, 0, 0]]
    assert c.tolist() == [[0, 0, 1], [0, 0, 0], [0, 1, 0]]


def test_top_confusions():
    from detap.analysis.confusion import ConfusionMatrix
    m = np.array([[5, 3, 0, 1], [0, 2, 7, 0], [3, 0, 1, 0], [4, 4, 4, 0]])
    cm = ConfusionMatrix(m, ["a", "b", "c"], "coco", 0.5, 0.0)
    assert cm.top_confusions(3) == [("b", "c", 7), ("a", "b", 3), ("c", "a", 3)]


def test_detection_on_a_crowd_region_is_background_in_the_matrix_only():
    """A detection on a crowd region: ignored by TIDE, the calibration and
    the per-image results; a background-row false positive in the COCO-style
    matrix, as in hotcoco (crowd GT dropped before matching) and in the
    transcription; no ignore region in Ultralytics' matrix either."""
    from detap.analysis import analyze
    from detap.analysis.scene import Scene
    from detap.analysis.tide import tide_records
    from tests.confusion_support import hotcoco_coco
    scene = Scene(n_images=1, classes=["a", "b"], gt_box=[[0, 0, 10, 10], [50, 50, 40, 40]],
                  gt_image=[0, 0], gt_label=[0, 1], gt_ignore=[False, True],
                  dt_box=[[0, 0, 10, 10], [55, 55, 20, 20]], dt_image=[0, 0], dt_label=[0, 1],
                  dt_score=[0.9, 0.8])
    assert tide_records(scene).dt_label.tolist() == [1, -1]
    a = analyze(scene)
    assert a.images.fp.tolist() == [0] and a.calibration.n_detections == 1
    m = a.confusion.matrix
    assert m.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    assert np.array_equal(m, hotcoco_coco(scene, 0.5, 0.0, 100))
    u = analyze(scene, confusion="ultralytics", confusion_score=0.0).confusion.matrix
    assert u[2, 1] == 1
