"""The polygon IoU kernel's two paths (csrc/quad_iou.c) give the same bits.

The faithful path is polyiou's computation with its static buffer (checked
against tests/reference_dota.py's transcription in test_dota_exact.py); the
fast path computes generic pairs without the buffer and hands every other
pair over, in vector form where the CPU has AVX2 or AVX-512 (csrc/quad_lanes.h,
4 or 8 lanes), else in scalar form.  Here each form of the fast path alone must equal the
faithful one bit for bit (zero signs included) wherever it decides, the kernel (fast, then faithful)
must equal the faithful path everywhere, with the same count of stale-memory
reads, and the fast path must decide nearly every pair of DOTA-shaped data
(else the kernel is slow, which no value comparison would show).
"""
import numpy as np
import pytest

from detap import _core

N = 160  # quadrilaterals per side: N * N pairs per family


def _rects(rng, n, centre, size, scale=1.0):
    cx, cy = rng.uniform(*centre, n), rng.uniform(*centre, n)
    w, h = rng.uniform(*size, n), rng.uniform(*size, n)
    a = rng.uniform(0, np.pi, n)
    c, s = np.cos(a), np.sin(a)
    dx = np.array([-0.5, 0.5, 0.5, -0.5]) * w[:, None]
    dy = np.array([-0.5, -0.5, 0.5, 0.5]) * h[:, None]
    x, y = cx[:, None] + dx * c[:, None] - dy * s[:, None], cy[:, None] + dx * s[:, None] + dy * c[:, None]
    return np.stack([x, y], axis=2).reshape(n, 8) * scale


def _near(rng, q, amount):
    """Copies of q's rows moved by up to `amount`, some vertices exactly kept."""
    out = q[rng.integers(0, len(q), len(q))] + rng.uniform(-amount, amount, q.shape)
    keep = rng.random(q.shape) < 0.3
    return np.where(keep, q[rng.integers(0, len(q), len(q))], out)


def _family(name, rng):
    """(dets, gts) of one family of inputs."""
    if name == "dota":  # float32 detections around integer GT, in a 1024 px image
        g = np.round(_rects(rng, N, (0, 1024), (8, 60)))
        d = _near(rng, g, 3).astype(np.float32).astype(np.float64)
        return d, g
    if name == "far":  # a large image: fan triangles of ~1e8 px^2
        g = np.round(_rects(rng, N, (12000, 20000), (10, 400)))
        return _near(rng, g, 5), g
    if name == "grid":  # small integers: shared vertices, collinear and degenerate shapes
        return rng.integers(0, 25, (N, 8)).astype(float), rng.integers(0, 25, (N, 8)).astype(float)
    if name == "tiny":  # coordinates near polyiou's 1e-8
        return rng.integers(0, 25, (N, 8)) * 1e-5, rng.integers(0, 25, (N, 8)) * 1e-5
    if name == "at_origin":  # tiny detections at the origin (cross values near 1e-8) and GT
        return rng.integers(0, 25, (N, 8)) * 1e-5, _rects(rng, N, (0, 60), (1, 30))
    if name == "nudged":  # vertices within 1e-7 .. 1e-10 of the GT's
        g = rng.integers(0, 40, (N, 8)).astype(float)
        d = g[rng.integers(0, N, N)] + rng.choice([-1, 0, 1], (N, 8)) * 10.0 ** -rng.integers(7, 11, (N, 8))
        return d, g
    if name == "rays":  # vertices on common rays from the origin
        k = rng.integers(0, 9, (2, N, 4, 1))
        dirs = np.array([[1.0, 0.0], [2.0, 1.0], [1.0, 1.0], [3.0, 5.0]])
        pts = k * dirs[rng.integers(0, 4, (2, N, 4))]
        return pts[0].reshape(N, 8), pts[1].reshape(N, 8)
    raise ValueError(name)


FAMILIES = ["dota", "far", "grid", "tiny", "at_origin", "nudged", "rays"]


def _bits(a):
    return np.ascontiguousarray(a).view(np.int64)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("seed", [0, 1])
def test_fast_path_is_the_faithful_path(family, seed):
    d, g = _family(family, np.random.default_rng(seed))
    d, g = np.ascontiguousarray(d), np.ascontiguousarray(g)
    want, want_stale = _core.quad_iou_matrix(d, g, _core.QUAD_FAITHFUL)
    got, got_stale = _core.quad_iou_matrix(d, g, _core.QUAD_ANY)
    assert np.array_equal(_bits(got), _bits(want)) and got_stale == want_stale
    forms = [_core.QUAD_FAST, _core.QUAD_SCALAR] + [
        p for level, p in _core.QUAD_VECTOR.items() if level <= _core.quad_simd_level()]
    for path in forms:
        fast, fast_stale = _core.quad_iou_matrix(d, g, path)
        assert fast_stale == 0
        decided = ~np.isnan(fast)
        assert np.array_equal(_bits(fast[decided]), _bits(want[decided])), path
        if family in ("dota", "far"):
            # (generic data: the faithful path is the exception)
            assert decided.mean() > 0.99, (path, decided.mean())
        else:
            assert decided.any(), path


def test_path_is_checked():
    q = np.zeros((1, 8))
    with pytest.raises(Exception):
        _core.quad_iou_matrix(q, q, 7)


def _marks_reference(hbb, boxes):
    """The prefilter's test in numpy: iw > 0 and ih > 0 with the +1 pixel."""
    iw = np.minimum(boxes[:, 2], hbb[2]) - np.maximum(boxes[:, 0], hbb[0]) + 1.0
    ih = np.minimum(boxes[:, 3], hbb[3]) - np.maximum(boxes[:, 1], hbb[1]) + 1.0
    return np.flatnonzero((iw > 0) & (ih > 0))


@pytest.mark.parametrize("seed", range(4))
def test_prefilter_forms_agree(seed):
    """The DOTA prefilter's scalar and AVX-512 forms (csrc/quad_iou.h's
    detap_quad_marks) give the same candidates as numpy, at every count
    (the vector form's tail) and at the test's edges (iw or ih exactly 0,
    boxes touching, integer coordinates)."""
    rng = np.random.default_rng(seed)
    levels = [0] + ([2] if _core.quad_simd_level() >= 2 else [])
    for G in list(range(0, 20)) + [63, 64, 65, 255, 256, 257, 1000]:
        xy0 = rng.integers(0, 60, (G, 2)).astype(np.float64)
        wh = rng.integers(-2, 25, (G, 2)).astype(np.float64)  # (some empty / inverted boxes)
        boxes = np.concatenate([xy0, xy0 + wh], axis=1)
        if G and seed % 2:
            boxes[: G // 2] += rng.uniform(-0.5, 0.5, (G // 2, 4))
        # (the last box holds the origin: lanes past G, loaded as zeros, would pass)
        for hbb in ([20.0, 20.0, 40.0, 40.0], [39.0, 0.0, 39.0, 59.0], [-5.0, -5.0, -1.0, 70.0],
                    list(rng.uniform(0, 60, 2)) + list(rng.uniform(30, 90, 2)),
                    [-10.0, -10.0, 10.0, 10.0]):
            want = _marks_reference(np.array(hbb), boxes)
            for level in levels:
                got = _core.quad_marks(hbb, boxes, level)
                assert np.array_equal(got, want), (G, hbb, level)
        if G and len(levels) > 1:  # NaN (not reachable from the evaluators): the forms agree
            odd = boxes.copy()
            odd[rng.random(odd.shape) < 0.2] = np.nan
            hbb = [np.nan, 5.0, 40.0, 40.0] if seed % 2 else [20.0, 20.0, 40.0, 40.0]
            assert np.array_equal(_core.quad_marks(hbb, odd, 0), _core.quad_marks(hbb, odd, 2))


@pytest.mark.parametrize("family", FAMILIES)
def test_prepared_gt_matches_as_gt_prepared_per_call(family):
    """core.prepare_gt keeps the GT quadrilaterals prepared (a QuadSet) for
    every match; matching with them gives the labels, matches and
    stale-memory count of a GT prepared inside the call (the same GT
    without its set), over images of several GT each."""
    from detap import core
    rng = np.random.default_rng(7)
    d, g = _family(family, rng)
    n_img = 9
    gimg, dimg = rng.integers(0, n_img, len(g)), rng.integers(0, n_img, len(d))
    gt = core.prepare_gt(g, gimg, n_img, rng.random(len(g)) < 0.2, convention="dota")
    assert gt.quads is not None and gt.quads.n == len(g)
    bare = core.GroundTruth(boxes=gt.boxes.copy(), ignore=gt.ignore, off=gt.off, npos=gt.npos)
    order = core.sort_detections(rng.random(len(d)))
    thr = [0.1, 0.5, 0.75]
    got = [core.match(d, dimg, order, x, thr, "dota", with_matches=True) for x in (gt, bare)]
    assert np.array_equal(got[0][0], got[1][0]) and np.array_equal(got[0][1], got[1][1])
    counts = []
    for x in (gt, bare):
        undefined = np.zeros(1, np.int64)
        _core.match_images(_core.IOU_QUAD, _core.RULE_VOC, order, d, dimg, x.boxes, x.ignore,
                           x.off, np.asarray(thr), True, 2, None, None, undefined, False, x.quads)
        counts.append(int(undefined[0]))
    assert counts[0] == counts[1]


def test_prepared_gt_cannot_go_stale():
    """The prepared set is only taken with the read-only array it was made
    from: prepare_gt copies a caller's array (a later change to it changes
    nothing), and a set given with other boxes, or for another IoU, is an
    error, not a silent use of stale values."""
    from detap import core
    rng = np.random.default_rng(3)
    g = np.round(_rects(rng, 40, (0, 200), (8, 40)))
    d = _near(rng, g, 2)
    img = np.zeros(40, np.int64)
    gt = core.prepare_gt(g, img, 1, convention="dota")
    assert not gt.boxes.flags.writeable and not np.shares_memory(gt.boxes, g)
    order = core.sort_detections(rng.random(40))
    before = core.match(d, img, order, gt, [0.5], "dota")
    g[:] = 0  # the caller's array changes: the prepared GT does not
    assert np.array_equal(core.match(d, img, order, gt, [0.5], "dota"), before)
    base = np.round(_rects(rng, 4, (0, 50), (5, 9)))
    view = _core.QuadSet(base[:3])  # a view of a writable array: copied
    own = _core.QuadSet(base.copy())  # an array owning its data: made read-only, kept
    assert not np.shares_memory(view.boxes, base) and not view.boxes.flags.writeable
    assert not own.boxes.flags.writeable and own.boxes.flags.owndata
    other = gt.boxes.copy()
    other.flags.writeable = False
    for boxes, kind in ((other, _core.IOU_QUAD), (gt.boxes[:20], _core.IOU_QUAD),
                        (gt.boxes, _core.IOU_VOC)):
        with pytest.raises(ValueError, match="QuadSet of gt_boxes|quadrilaterals"):
            _core.match_images(kind, _core.RULE_VOC, order, d, img, boxes, gt.ignore[:len(boxes)],
                               np.array([0, len(boxes)]), np.array([0.5]), True, 1, None, None,
                               None, False, gt.quads)


def test_prepared_gt_survives_pickle_and_deepcopy():
    """A GroundTruth with its prepared quadrilaterals pickles and deep-copies
    (the set is prepared again from its boxes), and one rebuilt with other
    boxes does not use the set of the old ones: each matches as a GT
    prepared anew."""
    import copy
    import pickle
    from dataclasses import replace
    from detap import core
    rng = np.random.default_rng(4)
    g = np.round(_rects(rng, 30, (0, 200), (8, 40)))
    d = _near(rng, g, 2)
    img = rng.integers(0, 3, 30)
    gt = core.prepare_gt(g, img, 3, convention="dota")
    order = core.sort_detections(rng.random(30))
    want = core.match(d, img, order, gt, [0.3, 0.5], "dota")
    for again in (pickle.loads(pickle.dumps(gt)), copy.deepcopy(gt)):
        assert not again.quads.boxes.flags.writeable
        assert np.array_equal(core.match(d, img, order, again, [0.3, 0.5], "dota"), want)
    moved = gt.boxes + 3.0
    fresh = core.prepare_gt(g + 3.0, img, 3, convention="dota")
    assert np.array_equal(moved, fresh.boxes)
    assert np.array_equal(core.match(d, img, order, replace(gt, boxes=moved), [0.3, 0.5], "dota"),
                          core.match(d, img, order, fresh, [0.3, 0.5], "dota"))
