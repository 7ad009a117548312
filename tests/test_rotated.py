"""Rotated rectangles (cx, cy, w, h, angle): detap's "obb" IoU equals
hotcoco's (tests/reference_rotated.py) bit for bit, agrees with shapely on
well-formed boxes, and the "mmrotate" convention is mmrotate's
eval_rbbox_map (transcribed, with that IoU injected) on the labels, recall
and float32 precision, its float32 AP to float32 rounding."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import detap
import detap.dota
from detap.errors import DetapInputError
from tests import reference_rotated as R

angle = st.one_of(st.floats(-7, 7), st.sampled_from([0.0, np.pi / 2, np.pi, -np.pi / 4]))
size = st.one_of(st.floats(0.5, 60), st.sampled_from([0.0, 1.0, 10.0]), st.floats(-5, 0))
obb = st.builds(lambda cx, cy, w, h, a: [cx, cy, w, h, a],
                st.floats(-50, 200), st.floats(-50, 200), size, size, angle)


@st.composite
def obb_pairs(draw):
    """Boxes, many of them near copies of each other (shared centres,
    sizes or angles), and crowd flags for the GT."""
    gts = draw(st.lists(obb, min_size=1, max_size=5))
    dets = draw(st.lists(obb, max_size=3))
    for g in gts:
        if draw(st.booleans()):
            jit = draw(st.sampled_from([0.0, 1e-9, 0.5, 3.0]))
            dets.append([g[0] + jit, g[1], g[2], g[3] + jit, g[4] + draw(st.sampled_from(
                [0.0, np.pi / 2, 1e-7, 0.3]))])
    crowd = draw(st.lists(st.booleans(), min_size=len(gts), max_size=len(gts)))
    return dets, gts, crowd


@settings(max_examples=400, deadline=None)
@given(pair=obb_pairs())
def test_obb_iou_is_hotcocos(pair):
    dets, gts, crowd = pair
    got = detap.dota.obb_iou(np.reshape(dets, (-1, 5)), gts, crowd)
    want = R.obb_iou(dets, gts, crowd)
    assert got.shape == want.shape and np.array_equal(got, want), (dets, gts, got, want)
    assert np.array_equal(detap.dota.obb_iou(np.reshape(dets, (-1, 5)), gts),
                          R.obb_iou(dets, gts))


@settings(max_examples=300, deadline=None)
@given(a=st.builds(lambda cx, cy, w, h, t: [cx, cy, w, h, t], st.floats(0, 100),
                   st.floats(0, 100), st.floats(1, 50), st.floats(1, 50), st.floats(-4, 4)),
       b=st.builds(lambda dx, dy, w, h, t: [dx, dy, w, h, t], st.floats(-20, 20),
                   st.floats(-20, 20), st.floats(1, 50), st.floats(1, 50), st.floats(-4, 4)))
def test_obb_iou_agrees_with_shapely(a, b):
    """An independent check of the geometry on well-formed rectangles."""
    shapely = pytest.importorskip("shapely")
    b = [a[0] + b[0], a[1] + b[1]] + b[2:]
    got = detap.dota.obb_iou([a], [b])[0, 0]
    pa = shapely.Polygon(np.reshape(detap.dota.obb_to_quad([a]), (4, 2)))
    pb = shapely.Polygon(np.reshape(detap.dota.obb_to_quad([b]), (4, 2)))
    inter = pa.intersection(pb).area
    want = inter / (a[2] * a[3] + b[2] * b[3] - inter)
    assert abs(got - want) <= 1e-9, (a, b, got, want)


def test_obb_iou_known_values():
    sq = [5, 5, 4, 4, 0.0]
    assert detap.dota.obb_iou([sq], [sq])[0, 0] == 1.0
    assert detap.dota.obb_iou([[7, 5, 4, 4, 0.0]], [sq])[0, 0] == 8 / 24
    assert detap.dota.obb_iou([[0, 0, 0, 4, 0.0]], [sq])[0, 0] == 0.0  # w * h <= 0
    assert detap.dota.obb_iou([[5, 5, 2, 2, 0.3]], [[5, 5, 4, 4, 0.3]], [True])[0, 0] == \
        pytest.approx(1.0)
    assert detap.dota.obb_iou(np.zeros((0, 5)), [sq]).shape == (0, 1)
    with pytest.raises(DetapInputError, match=r"\(N, 5\)"):
        detap.dota.obb_iou([[0, 0, 1, 1]], [sq])


@st.composite
def rbox_class(draw, ignored=True):
    """One class over a few images: GT (some ignored, with ``ignored``),
    detections near them and others, distinct scores (the references'
    tie orders are not detap's: see the tests)."""
    n_img = draw(st.integers(1, 4))
    images = []
    for _ in range(n_img):
        gts = draw(st.lists(obb, max_size=4))
        dets = draw(st.lists(obb, max_size=3))
        for g in gts:
            if draw(st.booleans()):
                dets.append([g[0] + draw(st.floats(-4, 4)), g[1] + draw(st.floats(-4, 4)),
                             g[2], g[3], g[4] + draw(st.sampled_from([0.0, 0.2, -0.5]))])
        ignore = draw(st.lists(st.booleans(), min_size=len(gts), max_size=len(gts))) \
            if ignored else [False] * len(gts)
        images.append((gts, ignore, dets))
    n_det = sum(len(d) for _, _, d in images)
    scores = draw(st.lists(st.integers(1, 10 ** 6), min_size=n_det, max_size=n_det,
                           unique=True))
    return images, [s / 10 ** 6 for s in scores]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cls=rbox_class(), thr=st.sampled_from([0.1, 0.5, 0.7]), use07=st.booleans())
def test_mmrotate_convention(cls, thr, use07):
    """detap.evaluate_class(convention="mmrotate" / "mmrotate-area") against
    the transcription of eval_rbbox_map with the same IoU.  Scores are
    distinct: mmrotate matches each image's detections in that image's own
    np.argsort order, detap in the class's, and the two may differ on tied
    scores (README)."""
    images, scores = cls
    dets, gts, gts_ign = [], [], []
    det_rows, det_img, gt_rows, gt_img, gt_ign = [], [], [], [], []
    k = 0
    for i, (g, ign, d) in enumerate(images):
        g = np.reshape(g, (-1, 5))
        ign = np.asarray(ign, bool)
        s = np.asarray(scores[k:k + len(d)])
        k += len(d)
        dets.append(np.hstack([np.reshape(d, (-1, 5)), s[:, None]]))
        gts.append(g[~ign])
        gts_ign.append(g[ign])
        det_rows += list(np.reshape(d, (-1, 5)))
        det_img += [i] * len(d)
        # mmrotate stacks an image's GT before its ignored GT: the same order
        # here, so that the first-maximum choice sees the same columns
        gt_rows += list(g[~ign]) + list(g[ign])
        gt_img += [i] * len(g)
        gt_ign += [False] * int((~ign).sum()) + [True] * int(ign.sum())
    ref = R.eval_rbbox_class(dets, gts, gts_ign, thr, use07, R.obb_iou)
    conv = "mmrotate" if use07 else "mmrotate-area"
    got = detap.evaluate_class(np.reshape(det_rows, (-1, 5)), scores, det_img,
                               np.reshape(gt_rows, (-1, 5)), gt_img, gt_ign,
                               iou_threshold=thr, convention=conv, n_images=len(images))
    assert got.npos == ref["num_gts"] and len(got.scores) == ref["num_dets"]
    if ref["num_gts"] == 0 or ref["num_dets"] == 0:
        return  # mmrotate divides by float32 eps there; detap gives NaN / no curve
    assert np.array_equal(got.rec, ref["recall"])
    assert np.array_equal(got.prec.astype(np.float32), ref["precision"])
    # the AP: mmdet sums float32 precisions (or areas) into a float32
    assert abs(got.ap - float(ref["ap"])) <= 4 * np.finfo(np.float32).eps * max(got.ap, 1e-30)


def test_mmrotate_refuses_other_boxes():
    with pytest.raises(DetapInputError, match=r"\(N, 5\)"):
        detap.evaluate_class([[0, 0, 1, 1]], [1.0], [0], [[0, 0, 1, 1]], [0],
                             convention="mmrotate")
    with pytest.raises(ValueError, match="'ultralytics' rule only"):
        detap.Convention(iou="obb", match="coco")


# ------------------------------------------------------------ Ultralytics OBB

@settings(max_examples=300, deadline=None)
@given(pair=obb_pairs())
def test_probiou_is_ultralytics_formula(pair):
    dets, gts, _ = pair
    got = detap.dota.probiou(np.reshape(dets, (-1, 5)), gts)
    want = RP_probiou(gts, dets)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True), (dets, gts, got, want)


def RP_probiou(gts, dets):
    """(D, G) from batch_probiou(gt, det) (G, D)."""
    return R.batch_probiou(gts, dets).T.reshape(len(dets), len(gts))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cls=rbox_class(ignored=False), thr=st.sampled_from([0.3, 0.5, 0.75]))
# duplicated GT: each detection's best ProbIoU is a tie, where Ultralytics'
# choice is its sort's (the reference's note)
@example(cls=([([[0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.5, 0.0], [0.0, 0.0, 1.0, 0.5, 0.0],
                 [0.0, 0.0, 1.0, 1.0, 0.0]], [False] * 4,
                [[0.0, 0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 1.0, 0.5, 0.0]])], [1e-06, 2e-06]), thr=0.3)
def test_ultralytics_obb_convention(cls, thr):
    """detap.evaluate_class(convention="ultralytics-obb") against the
    Ultralytics validator's loop (match_predictions, ap_per_class,
    compute_ap) with batch_probiou as its similarity."""
    from tests import reference_protocols as RP
    images, scores = cls
    ref_images, det_rows, det_img, gt_rows, gt_img, k = [], [], [], [], [], 0
    for i, (g, _, d) in enumerate(images):
        s = np.asarray(scores[k:k + len(d)])
        k += len(d)
        o = np.argsort(-s, kind="stable")  # the validator's per-image order
        d = np.reshape(d, (-1, 5))
        g = np.reshape(g, (-1, 5))
        ref_images.append((g, np.zeros(len(g), int), d[o], s[o], np.zeros(len(d), int)))
        det_rows += list(d)
        det_img += [i] * len(d)
        gt_rows += list(g)
        gt_img += [i] * len(g)
    with warnings.catch_warnings():  # its mean over no class
        warnings.simplefilter("ignore", RuntimeWarning)
        per_class, _ = RP.ultralytics_map(ref_images, thr, R.batch_probiou)
    got = detap.evaluate_class(np.reshape(det_rows, (-1, 5)), scores, det_img,
                               np.reshape(gt_rows, (-1, 5)), gt_img, iou_threshold=thr,
                               convention="ultralytics-obb", n_images=len(images))
    if 0 in per_class:
        assert got.ap == per_class[0], (got.ap, per_class[0])
    else:
        assert not gt_rows or not det_rows or np.isnan(got.ap) or got.ap == 0
