"""The analysis of masks and keypoints: TIDE on masks equal to tidecv
1.0.1's mask mode (pycocotools' mask IoU), TIDE with OKS equal to tidecv
with OKS in place of its IoU (tests/tide_support.py: detap's definition,
tidecv has no keypoints mode), and the confusion matrix of shapes on the
same similarities."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap.analysis import AnalysisSettings, AnalysisState
from detap.analysis.confusion import coco_pairs, matrix_of_pairs
from detap.analysis.tide import tide_records, tide_summary
from tests.tide_support import keypoint_scene, mask_scene, random_scene, tidecv_on_scene, tidecv_with_oks

pytest.importorskip("tidecv")
pytest.importorskip("pycocotools")


def ours(scene, **kw):
    s = tide_summary(tide_records(scene, **kw), len(scene.classes))
    return s["ap"], s["main"], s["special"], s["counts"]


def assert_same(got, ref):
    if ref is None:
        return
    assert got[0] == ref[0]
    assert got[1] == ref[1]
    assert got[2] == ref[2]
    assert got[3] == ref[3]


def guarded(fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except ZeroDivisionError:   # tidecv: no class with GT or detections
        return None


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), n_images=st.integers(1, 6),
       n_classes=st.integers(1, 4), pos=st.sampled_from([0.5, 0.3, 0.75]))
def test_masks_equal_tidecv_mask_mode(seed, ties, n_images, n_classes, pos):
    rng = np.random.default_rng(seed)
    scene, masks = mask_scene(random_scene(rng, n_images=n_images, n_classes=n_classes, ties=ties), rng)
    assert_same(ours(scene, pos=pos), guarded(tidecv_on_scene, scene, pos=pos, masks=masks))


def test_masks_are_not_boxes():
    """The mask scenes decide differently from their boxes (else the test
    above would pass on a box analysis)."""
    differ = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        box = random_scene(rng)
        scene, _ = mask_scene(box, rng)
        differ += ours(scene) != ours(box)
    assert differ >= 10


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), n_images=st.integers(1, 6),
       n_classes=st.integers(1, 3), max_dets=st.sampled_from([100, 3]))
def test_keypoints_equal_tidecv_with_oks(seed, ties, n_images, n_classes, max_dets):
    rng = np.random.default_rng(seed)
    scene, records = keypoint_scene(random_scene(rng, n_images=n_images, n_classes=n_classes,
                                                 ties=ties), rng)
    assert_same(ours(scene, max_dets=max_dets),
                guarded(tidecv_with_oks, scene, records, max_dets=max_dets))


def test_keypoint_scenes_reach_every_error_type():
    total = {}
    for seed in range(30):
        rng = np.random.default_rng(seed)
        scene, _ = keypoint_scene(random_scene(rng, max_dt=14), rng)
        for k, v in ours(scene)[3].items():
            total[k] = total.get(k, 0) + v
    assert all(total[k] > 0 for k in ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")), total


def coco_pairs_transcription(scene, sims, iou, score, max_dets):
    """hotcoco's rule written out on given (D, G) similarity matrices:
    per image, detections scoring >= score by descending score (stable), cut
    at max_dets, each taking the unmatched non-ignored GT of largest
    similarity >= iou (ties to the last GT, pycocotools' loop)."""
    K = len(scene.classes)
    true, pred = [], []
    for i in range(scene.n_images):
        d = np.flatnonzero((scene.dt_image == i) & (scene.dt_score >= score))
        d = d[np.argsort(-scene.dt_score[d], kind="stable")][:max_dets]
        g = np.flatnonzero((scene.gt_image == i) & ~scene.gt_ignore)
        s = sims(d, g)
        taken = np.zeros(len(g), bool)
        for a in range(len(d)):
            best, m = min(iou, 1 - 1e-10), -1
            for b in range(len(g)):
                if not taken[b] and s[a, b] >= best:
                    best, m = s[a, b], b
            if m >= 0:
                taken[m] = True
            true.append(scene.gt_label[g[m]] if m >= 0 else K)
            pred.append(scene.dt_label[d[a]])
        true += scene.gt_label[g[~taken]].tolist()
        pred += [K] * int((~taken).sum())
    return matrix_of_pairs(K, np.array(true, np.int64), np.array(pred, np.int64))


@pytest.mark.parametrize("kind", ["segm", "keypoints"])
@pytest.mark.parametrize("score", [0.0, 0.5])
def test_confusion_of_shapes_matches_on_their_similarity(kind, score):
    from pycocotools import mask as cmask
    from tests.tide_support import oks_transcription
    for seed in range(8):
        rng = np.random.default_rng(seed)
        base = random_scene(rng, n_images=5, n_classes=3)
        if kind == "segm":
            scene, (gm, dm) = mask_scene(base, rng)

            def sims(d, g):
                r = cmask.iou([dm[x] for x in d], [gm[x] for x in g], [0] * len(g))
                return np.asarray(r).reshape(len(d), len(g))
        else:
            scene, (gr, dr) = keypoint_scene(base, rng)

            def sims(d, g):
                return oks_transcription([dr[x] for x in d], [gr[x] for x in g],
                                         scene.shapes.kpt_vars).reshape(len(d), len(g))
        (t, p), = coco_pairs(scene, [0.5], score, 100)
        got = matrix_of_pairs(len(scene.classes), t, p)
        assert np.array_equal(got, coco_pairs_transcription(scene, sims, 0.5, score, 100))
        # through the state: shared with TIDE's pass (score 0) or its own
        a = AnalysisState(AnalysisSettings(confusion_score=score)).add_scene(scene).compute()
        assert np.array_equal(a.confusion.matrix, got)
