"""TIDE equal to PyPI tidecv 1.0.1 (the oracle), bit for bit: AP, the six
main dAPs, the two special ones and the error counts."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap.analysis.scene import Scene, scene_from_dataset
from detap.analysis.tide import tide_records, tide_summary
from tests.tide_support import coco_files, random_scene, tidecv_run
from tests import tide_support

pytest.importorskip("tidecv")


def tidecv_on_scene(scene, **kw):
    try:
        return tide_support.tidecv_on_scene(scene, **kw)
    except ZeroDivisionError:
        return None


def ours(scene, **kw):
    s = tide_summary(tide_records(scene, **kw))
    return s["ap"], s["main"], s["special"], s["counts"]


def assert_same(got, ref):
    ap, main, special, counts = got
    if ref is None:  # tidecv divides by zero: no class has GT or detections
        assert np.isnan(ap) or any(np.isnan(v) for v in [*main.values(), *special.values()])
        return
    rap, rmain, rspecial, rcounts = ref
    assert ap == rap
    assert main == rmain
    assert special == rspecial
    assert counts == rcounts


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       n_images=st.integers(1, 8), n_classes=st.integers(1, 5))
def test_random_scenes_equal_tidecv(seed, ties, grid, n_images, n_classes):
    scene = random_scene(np.random.default_rng(seed), n_images=n_images, n_classes=n_classes,
                         ties=ties, grid=grid)
    assert_same(ours(scene), tidecv_on_scene(scene))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), max_dets=st.integers(1, 6), pos=st.sampled_from([0.5, 0.75, 0.3]),
       bg=st.sampled_from([0.1, 0.0, 0.2]))
def test_cut_and_thresholds_equal_tidecv(seed, max_dets, pos, bg):
    scene = random_scene(np.random.default_rng(seed), max_dt=14, ties=True)
    assert_same(ours(scene, pos=pos, bg=bg, max_dets=max_dets),
                tidecv_on_scene(scene, pos=pos, bg=bg, max_dets=max_dets))


def test_every_error_type_occurs_in_the_random_scenes():
    """The random data exercise every branch (else the equality tests above
    could pass on data that never reaches one)."""
    total = {}
    for seed in range(20):
        scene = random_scene(np.random.default_rng(seed), n_images=20, n_classes=4, max_gt=8,
                             max_dt=30, ties=seed % 2 == 1, grid=seed % 3 == 0)
        for k, v in ours(scene)[3].items():
            total[k] = total.get(k, 0) + v
    assert all(total[k] > 0 for k in ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")), total


def test_coco_files_through_tidecv_loaders(tmp_path):
    """COCO-format files read by tidecv's own loaders (which need the GT
    ``segmentation`` even in box mode) and by detap's reader."""
    from detap.formats import read
    from tidecv import datasets
    scene = random_scene(np.random.default_rng(7), n_images=25, n_classes=5, max_gt=8, max_dt=30)
    gp, dp = coco_files(scene, str(tmp_path))
    ref = tidecv_run(datasets.COCO(gp), datasets.COCOResult(dp))
    got = ours(scene_from_dataset(read(gp, dp, format="coco")))
    assert_same(got, ref)


def test_hand_example():
    """One image, class 0 GT A and B, class 1 GT C: a TP on A, a duplicate
    on A, a Loc on B, a Cls on C, a background detection; numbers from
    tidecv's definitions by hand."""
    gt = np.array([[0, 0, 10, 10], [100, 100, 10, 10], [200, 0, 10, 10]], float)
    dt = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [100, 105, 10, 10], [200, 0, 10, 10],
                   [400, 400, 5, 5]], float)
    scene = Scene(n_images=1, classes=["a", "b"], gt_box=gt, gt_image=[0, 0, 0],
                  gt_label=[0, 0, 1], gt_ignore=[False] * 3, dt_box=dt, dt_image=[0] * 5,
                  dt_label=[0, 0, 0, 0, 0], dt_score=[0.9, 0.8, 0.7, 0.6, 0.5])
    r = tide_records(scene)
    assert r.dt_label.tolist() == [1, 0, 0, 0, 0]
    assert r.dt_err.tolist() == [0, 4, 2, 1, 5]  # -, Dupe, Loc, Cls, Bkg
    assert r.gt_miss.tolist() == [0, 0, 0]       # B and C are claimed by Loc and Cls
    assert_same(ours(scene), tidecv_on_scene(scene))


def test_tied_scores_order_dependence_is_tidecv_s():
    """tidecv's result depends on the input order of tied scores (its
    stable sorts); detap follows the order it is given, and so matches
    tidecv for each order."""
    gt = np.array([[0, 0, 10, 10], [50, 50, 10, 10]], float)
    dt = np.array([[0, 0, 10, 10], [300, 300, 10, 10], [50, 50, 10, 10]], float)
    scene = Scene(n_images=1, classes=["a"], gt_box=gt, gt_image=[0, 0], gt_label=[0, 0],
                  gt_ignore=[False, False], dt_box=dt, dt_image=[0] * 3, dt_label=[0] * 3,
                  dt_score=[0.5, 0.5, 0.5])
    flipped = Scene(n_images=1, classes=["a"], gt_box=gt, gt_image=[0, 0], gt_label=[0, 0],
                    gt_ignore=[False, False], dt_box=dt[[0, 2, 1]], dt_image=[0] * 3,
                    dt_label=[0] * 3, dt_score=[0.5, 0.5, 0.5])
    a, b = tidecv_on_scene(scene), tidecv_on_scene(flipped)
    assert a[0] != b[0]  # tidecv itself: the FP's place among the ties moves the AP
    assert_same(ours(scene), a)
    assert_same(ours(flipped), b)


def test_empty_and_gt_only():
    scene = random_scene(np.random.default_rng(3), n_images=4, max_dt=0)
    assert_same(ours(scene), tidecv_on_scene(scene))


def _get_ap_reference(tp, npos):
    """tidecv's APDataObject.get_ap on one class's ranked points, written
    out point by point (precision and recall after each point, suffix
    maximum, the first point reaching each of 101 recalls)."""
    if npos == 0:
        return 0.0
    nt, prec, rec = 0, [], []
    for i, t in enumerate(tp):
        nt += bool(t)
        prec.append(nt / (i + 1))
        rec.append(nt / npos)
    for i in range(len(prec) - 1, 0, -1):
        if prec[i] > prec[i - 1]:
            prec[i - 1] = prec[i]
    total = 0.0
    for x in range(101):
        j = int(np.searchsorted(rec, x / 100, side="left"))
        total += prec[j] if j < len(prec) else 0.0
    return total / 101 * 100


@settings(max_examples=300, deadline=None)
@given(seg=st.lists(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=40), min_size=1,
                    max_size=4),
       npos=st.lists(st.integers(0, 50), min_size=4, max_size=4), masked=st.booleans())
def test_class_ap_kernel_equals_get_ap(seg, npos, masked):
    """_core.tide_class_ap (only the true positives' precisions are
    computed) against get_ap point by point, with and without a keep mask;
    npos below the true positives too (the FalseNeg and Miss runs lower it)."""
    from detap import _core
    K = len(seg)
    off = np.r_[0, np.cumsum([len(s) for s in seg])].astype(np.int64)
    tp = np.array([t for s in seg for t, _ in s], bool)
    keep = np.array([k or not masked for s in seg for _, k in s], bool)
    ap, count = _core.tide_class_ap(off, tp.view(np.uint8), np.array(npos[:K], np.int64),
                                    keep.view(np.uint8) if masked else None)
    for k in range(K):
        sl = slice(off[k], off[k + 1])
        assert ap[k] == _get_ap_reference(tp[sl][keep[sl]], npos[k]), k
        assert count[k] == keep[sl].sum()


@settings(max_examples=200, deadline=None)
@given(v=st.lists(st.integers(-1, 6), max_size=60), K=st.integers(0, 8), data=st.data())
def test_first_index_kernel(v, K, data):
    """_core.first_index against a loop; a flagged value outside [0, K)
    is an IndexError (the kernel reads whole blocks of 4096 values, so in
    these short arrays it meets every one)."""
    from detap import _core
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(v), max_size=len(v))), bool)
    vals = np.array(v, np.int64)
    if K and any(m and not 0 <= x < K for x, m in zip(v, mask)):
        with pytest.raises(IndexError):
            _core.first_index(vals, K, mask.view(np.uint8))
    else:
        want = [next((i for i in range(len(v)) if v[i] == k and mask[i]), len(v)) for k in range(K)]
        assert _core.first_index(vals, K, mask.view(np.uint8)).tolist() == want
    if K and all(0 <= x < K for x in v):
        assert _core.first_index(vals, K).tolist() == [v.index(k) if k in v else len(v)
                                                        for k in range(K)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), shuffled=st.booleans())
def test_image_results_ap_equals_get_ap_per_image(seed, ties, shuffled):
    """Each image's AP is get_ap over its scored detections in record
    order against its GT, whether the records come grouped by image (the
    grouping is skipped) or not."""
    from detap.analysis.images import image_results
    scene = random_scene(np.random.default_rng(seed), n_images=6, ties=ties)
    rec = tide_records(scene)
    if shuffled:   # images out of order, each image's rows still in their order
        perm = np.random.default_rng(seed).permutation(scene.n_images)
        d = np.argsort(perm[rec.dt_image], kind="stable")
        g = np.argsort(perm[rec.gt_image], kind="stable")
        rec = rec.take(d, g)
    im = image_results(rec, scene.n_images, list(range(scene.n_images)))
    for i in range(scene.n_images):
        rows = (rec.dt_image == i) & (rec.dt_label != -1)
        n_gt = int(np.count_nonzero(rec.gt_image == i))
        want = 100.0 if n_gt == 0 and not rows.any() else _get_ap_reference(rec.dt_label[rows] == 1, n_gt)
        assert im.ap[i] == want, i


def test_tide_runs_kernel_refuses_out_of_range_input():
    """The C summary reads records through rank and classes through K:
    an index outside either is an error, not a read out of bounds."""
    from detap import _core
    n = 3
    rec = dict(score=np.array([0.9, 0.5, 0.5]), cls=np.zeros(n, np.int64),
               fixcls=np.zeros(n, np.int64), label=np.array([1, 0, -1], np.int8),
               err=np.array([0, 5, 0], np.uint8), fix=np.zeros(n, np.uint8))
    npos = np.ones((3, 1), np.int64)

    def run(rank, **kw):
        r = dict(rec, **kw)
        return _core.tide_runs(np.asarray(rank, np.int64), r["score"], r["cls"], r["fixcls"],
                               r["label"], r["err"], r["fix"], npos)
    ap, count = run([0, 1, 2])
    assert ap.shape == (9, 1) and count[0, 0] == 2   # as detected: the ignored one is no point
    for bad in ([0, 1, 3], [0, 1, -1]):
        with pytest.raises((IndexError, ValueError)):
            run(bad)
    with pytest.raises((IndexError, ValueError)):
        run([0, 1, 2], cls=np.array([0, 1, 0], np.int64))
    with pytest.raises((IndexError, ValueError)):
        run([0, 1, 2], err=np.array([0, 6, 0], np.uint8))
    # a fixed Cls error joins its GT's class, which must exist too
    with pytest.raises((IndexError, ValueError)):
        run([0, 1, 2], err=np.array([0, 1, 0], np.uint8), fix=np.array([0, 1, 0], np.uint8),
            fixcls=np.array([0, 4, 0], np.int64))
    with pytest.raises(ValueError):
        run([0, 1])


def test_summary_refuses_classes_beyond_n_classes():
    """A record whose class is not below n_classes is an error, not a
    summary over a silently larger class count."""
    scene = random_scene(np.random.default_rng(3), n_images=4)
    rec = tide_records(scene)
    K = int(max(rec.gt_cls.max(initial=-1), rec.dt_cls.max(initial=-1), rec.dt_fixcls.max(initial=-1))) + 1
    tide_summary(rec, K)
    for bad in (K - 1, 0):
        with pytest.raises((ValueError, IndexError)):
            tide_summary(rec, bad)
