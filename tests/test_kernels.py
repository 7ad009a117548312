"""Direct tests of the C kernels behind detap._core, each against the formula
it claims to reproduce (numpy, py-faster-rcnn's voc_eval/voc_ap, or a
transcription of pycocotools), bit for bit."""
import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detap
from detap import _core
from tests import reference_voc
from tests.conftest import assert_same_array, assert_same_float, ref_quiet

FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
VOC07_GRID = np.arange(0.0, 1.1, 0.1)


def bits(x):
    return struct.pack("<d", float(x))


# ============================================================== pairwise_sum


def _mixed(rng, n):
    """Values of wildly mixed magnitude and sign."""
    return rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)


def test_pairwise_sum_lengths_0_to_300():
    rng = np.random.default_rng(0)
    for n in range(301):
        for gen in (_mixed, lambda r, k: r.random(k), lambda r, k: np.round(r.random(k), 1)):
            a = gen(rng, n)
            got, ref = _core.pairwise_sum(a), np.sum(a)
            assert bits(got) == bits(ref), (n, got, ref)


@pytest.mark.parametrize("n", [1000, 8191, 8192, 8193, 16384, 16385, 100001])
def test_pairwise_sum_large(n):
    rng = np.random.default_rng(n)
    for a in (_mixed(rng, n), rng.random(n), np.full(n, 0.1), rng.random(n) * 1e-300):
        got, ref = _core.pairwise_sum(a), np.sum(a)
        assert bits(got) == bits(ref), (n, got, ref)


@FAST
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True) |
                st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 0.1, 1.0]), max_size=300))
def test_pairwise_sum_property(values):
    a = np.array(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        ref = np.sum(a)
    assert_same_float(_core.pairwise_sum(a), ref, f"sum of {len(values)}")


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 16, 128, 129, 1000])
def test_pairwise_sum_all_negative_zeros(n):
    """np.sum of negative zeros is +0.0 (the reduction starts from the
    identity +0.0); the sum's sign is part of its bits."""
    a = np.full(n, -0.0)
    ref = np.sum(a)
    got = _core.pairwise_sum(a)
    assert bits(got) == bits(ref), f"n={n}: pairwise_sum {got!r}, np.sum {ref!r}"


def test_pairwise_sum_zero_cancellation():
    for n in (2, 8, 9, 100, 129, 1000):
        a = np.empty(n)
        a[0::2] = 1e300
        a[1::2] = -1e300
        if n % 2:
            a[-1] = -0.0
        assert bits(_core.pairwise_sum(a)) == bits(np.sum(a)), n
        mixed = np.where(np.arange(n) % 3 == 0, 0.0, -0.0)
        assert bits(_core.pairwise_sum(mixed)) == bits(np.sum(mixed)), n


# ============================================================== argsort_desc


def _check_argsort(s, threads=(0,)):
    ref = np.argsort(-s, kind="stable")
    for t in threads:
        got = _core.argsort_desc(s, t)
        assert got.dtype == np.int64
        assert np.array_equal(got, ref), (s, t, got, ref)


SPECIAL = [0.0, -0.0, np.inf, -np.inf, 0.1, 0.5, 0.9, 1.0, -1.0, 5e-324, -5e-324,
           2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308]


@FAST
@given(st.lists(st.sampled_from(SPECIAL) | st.floats(allow_nan=False), max_size=200))
def test_argsort_desc_float64(values):
    _check_argsort(np.array(values, dtype=np.float64))


@FAST
@given(st.lists(st.sampled_from(SPECIAL[:10]) | st.floats(allow_nan=False, width=32),
                max_size=200))
def test_argsort_desc_float32(values):
    _check_argsort(np.array(values, dtype=np.float32))


@FAST
@given(st.lists(st.sampled_from([0.1, 0.5, 0.9, 0.0, -0.0]), min_size=0, max_size=200))
def test_argsort_desc_heavy_ties(values):
    s = np.array(values)
    _check_argsort(s)
    _check_argsort(s.astype(np.float32))


def test_argsort_desc_negative_zero_ties_with_zero():
    for n in (2, 63, 64, 65, 1000):
        s = np.where(np.arange(n) % 2 == 0, 0.0, -0.0)
        assert np.array_equal(_core.argsort_desc(s), np.arange(n))
        assert np.array_equal(_core.argsort_desc(s.astype(np.float32)), np.arange(n))


def test_argsort_desc_lengths_0_to_200():
    rng = np.random.default_rng(1)
    for n in range(201):
        s = np.round(rng.random(n), 1)
        s[rng.random(n) < 0.1] = -0.0
        s[rng.random(n) < 0.05] = np.inf
        s[rng.random(n) < 0.05] = -np.inf
        _check_argsort(s)
        _check_argsort(s.astype(np.float32))


@pytest.mark.parametrize("kind", ["ties", "uniform", "bits", "equal", "signed"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_argsort_desc_300k(kind, dtype):
    """Large enough for the team's form: 2 to 4 pieces sorted apart, merged."""
    n = 300_000
    rng = np.random.default_rng(5)
    if kind == "ties":
        s = np.round(rng.random(n), 2)
    elif kind == "uniform":
        s = rng.random(n)
    elif kind == "bits":  # every exponent, every sign, subnormals, infinities
        s = rng.integers(0, 2 ** 63, n, dtype=np.uint64).view(np.float64).copy()
        s[np.isnan(s)] = np.inf
        s[rng.random(n) < 0.5] *= -1
        s[:10] = [0.0, -0.0, np.inf, -np.inf, 5e-324, -5e-324, 0.0, -0.0, 1.0, 1.0]
    elif kind == "equal":
        s = np.full(n, 0.25)
    else:
        s = np.round(rng.standard_normal(n), 1)
        s[s == 0] = -0.0
    with np.errstate(over="ignore"):
        s = s.astype(dtype)
    if dtype == np.float32:
        s[np.isnan(s)] = 0
    _check_argsort(np.ascontiguousarray(s), threads=(1, 2, 3, 7))


# ================================================================ iou_matrix


def ref_voc_matrix(dt, gt):
    with np.errstate(all="ignore"):
        out = np.zeros((len(dt), len(gt)))
        for i in range(len(dt)):
            if len(gt):
                out[i] = reference_voc.voc_overlaps(dt[i], gt)
    return out


def _fmin(a, b):
    """C99 fmin (what pycocotools calls): a NaN operand is dropped."""
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return min(a, b)


def _fmax(a, b):
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return max(a, b)


def coco_bbiou(d, g, crowd):
    """pycocotools maskApi.c bbIou for one pair (boxes xywh), transcribed:

        da=D[2]*D[3]; w=fmin(D[2]+D[0],G[2]+G[0])-fmax(D[0],G[0]);
        if(w<=0) continue; h=fmin(D[3]+D[1],G[3]+G[1])-fmax(D[1],G[1]);
        if(h<=0) continue; i=w*h; u = crowd ? da : da+ga-i; o=i/u;
    """
    dx, dy, dw, dh = (float(v) for v in d)
    gx, gy, gw, gh = (float(v) for v in g)
    da = dw * dh
    ga = gw * gh
    w = _fmin(dw + dx, gw + gx) - _fmax(dx, gx)
    if w <= 0:
        return 0.0
    h = _fmin(dh + dy, gh + gy) - _fmax(dy, gy)
    if h <= 0:
        return 0.0
    i = w * h
    u = da if crowd else da + ga - i
    with np.errstate(all="ignore"):
        return float(np.float64(i) / np.float64(u))


def coco_matrix(dt, gt, crowd):
    return np.array([[coco_bbiou(d, g, bool(crowd[j]) if crowd is not None else False)
                      for j, g in enumerate(gt)] for d in dt]).reshape(len(dt), len(gt))


def _boxes(draw, coord, n):
    return np.array(draw(st.lists(st.tuples(coord, coord, coord, coord), min_size=n, max_size=n)),
                    dtype=np.float64).reshape(n, 4)


INT_COORD = st.integers(-3, 30).map(float)
FLOAT_COORD = (st.floats(-5, 60, allow_nan=False).map(lambda v: round(v, 2)) |
               st.floats(-1e6, 1e6, allow_nan=False))
# no NaN: the kernels reject NaN boxes (their precondition, iou.h)
HUGE_COORD = st.sampled_from([-0.0, 0.0, 1.0, -1.0, 1e308, -1e308, 1.7976931348623157e308])
WILD_COORD = HUGE_COORD | st.sampled_from([np.inf, -np.inf])


@FAST
@given(data=st.data(), nd=st.integers(0, 8), ng=st.integers(0, 8),
       coord=st.sampled_from(["int", "float", "wild", "huge"]))
def test_iou_matrix_voc(data, nd, ng, coord):
    c = {"int": INT_COORD, "float": FLOAT_COORD, "wild": INT_COORD | WILD_COORD,
         "huge": INT_COORD | HUGE_COORD}[coord]
    dt, gt = _boxes(data.draw, c, nd), _boxes(data.draw, c, ng)
    got = _core.iou_matrix(dt, gt, _core.IOU_VOC)
    assert_same_array(got, ref_voc_matrix(dt, gt), "voc iou")
    if coord == "huge":  # overflow to +-inf inside bbIou (infinite input: see below)
        with np.errstate(all="ignore"):
            assert_same_array(_core.iou_matrix(dt, gt, _core.IOU_COCO),
                              coco_matrix(dt, gt, None), "coco iou")


def test_iou_matrix_voc_degenerate():
    gt = np.array([[40, 40, 39, 39], [50, 50, 45, 60], [0, 0, 9, 9], [0, 0, 9, 4]], float)
    dt = np.array([[40, 40, 39, 39], [50, 50, 45, 60], [0, 0, 9, 9], [41, 41, 39, 39],
                   [0, 0, -1, 9], [9, 0, 18, 9]], float)
    ref = ref_voc_matrix(dt, gt)
    assert np.isnan(ref[0, 0])  # 0/0: the test data does contain a NaN IoU
    assert ref[2, 3] == 0.5
    assert_same_array(_core.iou_matrix(dt, gt, _core.IOU_VOC), ref)


@FAST
@given(data=st.data(), nd=st.integers(0, 8), ng=st.integers(0, 8), use_crowd=st.booleans())
def test_iou_matrix_coco(data, nd, ng, use_crowd):
    xy = st.floats(0, 60, allow_nan=False).map(lambda v: round(v, 2)) | st.integers(0, 30).map(float)
    wh = st.floats(-5, 40, allow_nan=False).map(lambda v: round(v, 2)) | st.integers(0, 20).map(float)
    box = st.tuples(xy, xy, wh, wh)
    dt = np.array(data.draw(st.lists(box, min_size=nd, max_size=nd)), dtype=np.float64).reshape(nd, 4)
    gt = np.array(data.draw(st.lists(box, min_size=ng, max_size=ng)), dtype=np.float64).reshape(ng, 4)
    crowd = (np.array(data.draw(st.lists(st.integers(0, 1), min_size=ng, max_size=ng)), dtype=np.uint8)
             if use_crowd else None)
    got = _core.iou_matrix(dt, gt, _core.IOU_COCO, crowd)
    assert_same_array(got, coco_matrix(dt, gt, crowd), "coco iou")


@pytest.mark.parametrize("dt,gt", [
    ([np.inf, 0.0, -np.inf, 5.0], [0.0, 0.0, 10.0, 10.0]),   # x + w = inf + -inf = NaN
    ([0.0, 0.0, 10.0, 10.0], [np.inf, 0.0, -np.inf, 5.0]),
    ([0.0, -np.inf, 10.0, np.inf], [0.0, 0.0, 10.0, 10.0]),
])
def test_iou_matrix_coco_infinite_coordinates_follow_fmin(dt, gt):
    """bbIou takes fmin/fmax of x + w, which is NaN for x = inf, w = -inf
    although no coordinate is NaN; C's fmin drops the NaN, so pycocotools
    gets w = -inf -> IoU 0."""
    dt = np.array([dt], dtype=np.float64)
    gt = np.array([gt], dtype=np.float64)
    with np.errstate(all="ignore"):
        ref = coco_matrix(dt, gt, None)
    assert_same_array(_core.iou_matrix(dt, gt, _core.IOU_COCO), ref, "coco iou")


@FAST
@given(data=st.data(), nd=st.integers(1, 6), ng=st.integers(1, 6))
def test_iou_matrix_coco_vs_pycocotools(data, nd, ng):
    """Against the real pycocotools.mask.iou, when it is installed."""
    mask = pytest.importorskip("pycocotools.mask")
    xy = st.floats(0, 60, allow_nan=False).map(lambda v: round(v, 2))
    wh = st.floats(0, 40, allow_nan=False).map(lambda v: round(v, 2)) | st.integers(0, 20).map(float)
    box = st.tuples(xy, xy, wh, wh)
    dt = np.array(data.draw(st.lists(box, min_size=nd, max_size=nd)), dtype=np.float64)
    gt = np.array(data.draw(st.lists(box, min_size=ng, max_size=ng)), dtype=np.float64)
    crowd = data.draw(st.lists(st.integers(0, 1), min_size=ng, max_size=ng))
    ref = np.asarray(mask.iou(dt, gt, crowd), dtype=np.float64).reshape(nd, ng)
    got = _core.iou_matrix(dt, gt, _core.IOU_COCO, np.array(crowd, dtype=np.uint8))
    assert_same_array(got, ref, "pycocotools iou")
    assert_same_array(coco_matrix(dt, gt, crowd), ref, "transcription")


def test_iou_matrix_coco_crowd_changes_the_result():
    dt = np.array([[0, 0, 10, 10]], float)
    gt = np.array([[5, 0, 10, 10], [5, 0, 10, 10]], float)
    crowd = np.array([0, 1], np.uint8)
    got = _core.iou_matrix(dt, gt, _core.IOU_COCO, crowd)
    ref = coco_matrix(dt, gt, crowd)
    assert ref[0, 0] == 50 / 150 and ref[0, 1] == 0.5
    assert_same_array(got, ref)


def test_iou_matrix_rejects_bad_input():
    b = np.zeros((2, 4))
    with pytest.raises(ValueError):
        _core.iou_matrix(b, b, 7)
    with pytest.raises(ValueError):
        _core.iou_matrix(np.zeros((2, 3)), b, _core.IOU_VOC)
    with pytest.raises(ValueError):
        _core.iou_matrix(b, np.zeros((2, 5)), _core.IOU_VOC)
    with pytest.raises(ValueError):
        _core.iou_matrix(b, b, _core.IOU_COCO, np.zeros(3, np.uint8))
    nan = np.array([[0, 0, 1, 1], [0, np.nan, 1, 1]], float)
    for kind in (_core.IOU_VOC, _core.IOU_COCO):
        with pytest.raises(ValueError):
            _core.iou_matrix(nan, b, kind)
        with pytest.raises(ValueError):
            _core.iou_matrix(b, nan, kind)


# ====================================================================== AP


REC_VALUES = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.30000000000000004, 0.5, 0.6,
                              0.6000000000000001, 0.7, 0.7000000000000001, 0.9, 1.0,
                              np.nan, 1.5, -0.0, 1 / 3]) | st.floats(0, 1)
PREC_VALUES = st.sampled_from([0.0, 0.5, 1.0, np.nan, -0.0, 1 / 3, 2 / 3]) | st.floats(0, 1)


@st.composite
def rec_prec(draw, max_size=60):
    n = draw(st.integers(0, max_size))
    rec = np.array(draw(st.lists(REC_VALUES, min_size=n, max_size=n)), dtype=np.float64)
    if draw(st.booleans()):
        rec = np.sort(rec)  # the usual, non-decreasing case (NaN last)
    prec = np.array(draw(st.lists(PREC_VALUES, min_size=n, max_size=n)), dtype=np.float64)
    return rec, prec


def _check_ap(rec, prec):
    ref_all = ref_quiet(reference_voc.voc_ap, rec.copy(), prec.copy(), False)
    ref_07 = ref_quiet(reference_voc.voc_ap, rec.copy(), prec.copy(), True)
    assert_same_float(_core.ap_all_point(rec, prec), ref_all, "ap_all_point")
    ap, hit = _core.ap_voc07(rec, prec, VOC07_GRID)
    assert_same_float(ap, ref_07, "ap_voc07")
    assert hit == isinstance(ref_07, np.float64)
    for use07, ref in ((False, ref_all), (True, ref_07)):
        got = detap.voc_ap(rec, prec, use07)
        assert type(got) is type(ref), (use07, type(got), type(ref))
        assert_same_float(got, ref, f"voc_ap({use07})")
    got = detap.voc_ap(rec, prec)
    assert type(got) is type(ref_all)
    assert_same_float(got, ref_all)


@FAST
@given(rec_prec())
def test_ap_against_reference_voc_ap(rp):
    _check_ap(*rp)


def test_ap_fixed_cases():
    cases = [
        ([], []),
        ([0.3], [1.0]),                     # misses the 0.30000000000000004 grid point
        ([0.30000000000000004], [1.0]),
        ([np.nan, np.nan], [0.0, 0.5]),     # npos == 0
        ([0.1, 0.2, 0.3], [1.0, np.nan, 0.5]),
        ([0.0], [0.0]),
        ([1.0], [1.0]),
        ([0.5, 0.5, 1.0, 1.0], [1.0, 0.5, 2 / 3, 0.5]),
    ]
    for rec, prec in cases:
        _check_ap(np.array(rec, dtype=np.float64), np.array(prec, dtype=np.float64))


def test_voc07_return_type_float_when_no_recall_reaches_zero():
    ref = reference_voc.voc_ap(np.array([np.nan]), np.array([0.5]), True)
    got = detap.voc_ap(np.array([np.nan]), np.array([0.5]), True)
    assert type(ref) is float and type(got) is float and got == ref == 0.0
    ref = reference_voc.voc_ap(np.array([]), np.array([]), True)
    got = detap.voc_ap(np.array([]), np.array([]), True)
    assert type(ref) is float and type(got) is float and got == ref == 0.0


@pytest.mark.parametrize("n", [100, 8191, 8192, 8193, 20000])
def test_ap_all_point_long_curves(n):
    """More terms than numpy's pairwise block sizes."""
    rng = np.random.default_rng(n)
    rec = np.cumsum(rng.integers(0, 2, n)) / float(n)
    prec = rng.random(n)
    _check_ap(rec, prec)


def test_voc_ap_all_point_negative_zero_precision():
    """All precision values -0.0 (ten distinct recall steps): the
    reference's np.sum gives +0.0."""
    rec = np.arange(1, 11) / 10.0
    prec = np.full(10, -0.0)
    ref = reference_voc.voc_ap(rec, prec)
    got = detap.voc_ap(rec, prec)
    assert type(got) is type(ref)
    assert bits(got) == bits(ref), (got, ref)


# ------------------------------------------------------------------ pr_voc


@FAST
@given(labels=st.lists(st.sampled_from([-1, 0, 1]), max_size=80), npos=st.integers(0, 30))
def test_pr_voc_against_reference_formula(labels, npos):
    lab = np.array(labels, dtype=np.int8)
    tp, fp, rec, prec = _core.pr_voc(lab, float(npos))
    with np.errstate(all="ignore"):
        rtp = np.cumsum((lab == 1).astype(float))
        rfp = np.cumsum((lab == 0).astype(float))
        rrec = rtp / float(npos)
        rprec = rtp / np.maximum(rtp + rfp, np.finfo(np.float64).eps)
    for g, r, w in ((tp, rtp, "tp"), (fp, rfp, "fp"), (rec, rrec, "rec"), (prec, rprec, "prec")):
        assert_same_array(g, r, w)


# --------------------------------------------------------------- ap_coco101


def coco_accumulate_cell(labels, scores_sorted, npig, rec_thrs):
    """pycocotools COCOeval.accumulate, the body for one (t, k, a, m) cell."""
    tps = labels == 1
    fps = labels == 0
    tp = np.cumsum(tps).astype(dtype=float)
    fp = np.cumsum(fps).astype(dtype=float)
    nd = len(tp)
    R = len(rec_thrs)
    rc = tp / npig
    pr = tp / (fp + tp + np.spacing(1))
    q = np.zeros((R,))
    ss = np.zeros((R,))
    recall = rc[-1] if nd else 0
    pr = pr.tolist()
    q = q.tolist()
    for i in range(nd - 1, 0, -1):
        if pr[i] > pr[i - 1]:
            pr[i - 1] = pr[i]
    inds = np.searchsorted(rc, rec_thrs, side="left")
    try:
        for ri, pi in enumerate(inds):
            q[ri] = pr[pi]
            ss[ri] = scores_sorted[pi]
    except IndexError:
        pass
    return np.array(q), np.array(ss), recall


REC_THRS = np.linspace(0.0, 1.0, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


@FAST
@given(labels=st.lists(st.sampled_from([-1, 0, 1]), max_size=120), npig=st.integers(1, 40),
       data=st.data())
def test_ap_coco101(labels, npig, data):
    lab = np.array(labels, dtype=np.int8)
    scores = -np.sort(-np.array(data.draw(st.lists(
        st.sampled_from([0.1, 0.5, 0.9]) | st.floats(0, 1), min_size=len(lab), max_size=len(lab))),
        dtype=np.float64))
    thrs = REC_THRS
    if data.draw(st.booleans()):
        thrs = np.array(data.draw(st.lists(st.floats(0, 1.2), max_size=30)), dtype=np.float64)
        if data.draw(st.booleans()):
            thrs = np.sort(thrs)
    q, s, r = _core.ap_coco101(lab, scores, float(npig), thrs)
    rq, rs, rr = coco_accumulate_cell(lab, scores, npig, thrs)
    assert_same_array(q, rq, "precision")
    assert_same_array(s, rs, "scores")
    assert_same_float(r, rr, "recall")


def test_ap_coco101_rejects_bad_input():
    lab = np.zeros(3, np.int8)
    with pytest.raises(ValueError):
        _core.ap_coco101(lab, np.zeros(3), 0.0, REC_THRS)
    with pytest.raises(ValueError):
        _core.ap_coco101(lab, np.zeros(2), 1.0, REC_THRS)


# ============================================================ group_by_image


@FAST
@given(img=st.lists(st.integers(0, 9), max_size=100), extra=st.integers(0, 3))
def test_group_by_image(img, extra):
    a = np.array(img, dtype=np.int64)
    nimg = (int(a.max()) + 1 if len(a) else 0) + extra
    off, perm = _core.group_by_image(a, nimg)
    assert off.dtype == np.int64 and perm.dtype == np.int64
    assert np.array_equal(perm, np.argsort(a, kind="stable"))
    ref_off = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=nimg))]).astype(np.int64)
    assert np.array_equal(off, ref_off)


@pytest.mark.parametrize("img,nimg", [([0, 3, 1], 3), ([0, -1], 5), ([2], 0),
                                      ([2 ** 62], 4), ([-(2 ** 63)], 4)])
def test_group_by_image_out_of_range(img, nimg):
    with pytest.raises(IndexError):
        _core.group_by_image(np.array(img, dtype=np.int64), nimg)


@pytest.mark.parametrize("n, nimg", [(200_003, 5000), (70_000, 100), (300_000, 200_000)])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_group_by_image_in_pieces_is_a_stable_sort(n, nimg, threads):
    """Above 2^16 rows the grouping counts and scatters one piece per
    thread (few images or many, where it stays on one piece): still
    numpy's stable argsort, and a bad index in the last piece is seen."""
    img = np.random.default_rng(n).integers(0, nimg, n)
    off, perm = _core.group_by_image(img, nimg, threads)
    assert np.array_equal(perm, np.argsort(img, kind="stable"))
    assert np.array_equal(off, np.r_[0, np.cumsum(np.bincount(img, minlength=nimg))])
    img[-1] = nimg
    with pytest.raises(IndexError):
        _core.group_by_image(img, nimg, threads)


def test_group_by_image_negative_nimg():
    with pytest.raises(ValueError):
        _core.group_by_image(np.zeros(0, np.int64), -1)


# ============================================================== match_images


def ref_match(kind, order, det_boxes, det_img, gt_boxes, gt_ignore, gt_off, thr, strict):
    """The greedy loop of py-faster-rcnn's voc_eval (strict: IoU > t; else
    IoU >= t), with the IoU of the given kind (crowd-free for COCO)."""
    nd = len(order)
    labels = np.zeros((len(thr), nd), dtype=np.int8)
    for ti, t in enumerate(thr):
        taken = np.zeros(len(gt_boxes), dtype=bool)
        for k, d in enumerate(order):
            im = det_img[d]
            g0, g1 = gt_off[im], gt_off[im + 1]
            ovmax = -np.inf
            if g1 > g0:
                if kind == _core.IOU_VOC:
                    with np.errstate(all="ignore"):
                        ov = reference_voc.voc_overlaps(det_boxes[d], gt_boxes[g0:g1])
                else:
                    ov = np.array([coco_bbiou(det_boxes[d], g, False) for g in gt_boxes[g0:g1]])
                ovmax = np.max(ov)
                jmax = g0 + np.argmax(ov)
            if (ovmax > t) if strict else (ovmax >= t):
                if gt_ignore[jmax]:
                    labels[ti, k] = -1
                elif not taken[jmax]:
                    labels[ti, k] = 1
                    taken[jmax] = True
            # else: FP (0)
    return labels


@FAST
@given(data=st.data(), nimg=st.integers(1, 4), nd=st.integers(0, 25), ng=st.integers(0, 10),
       kind=st.sampled_from([_core.IOU_VOC, _core.IOU_COCO]), strict=st.booleans(),
       thr=st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 1.0]) | st.floats(0, 1),
                    min_size=1, max_size=4))
def test_match_images_against_reference_loop(data, nimg, nd, ng, kind, strict, thr):
    coord = st.integers(0, 20).map(float)
    if kind == _core.IOU_VOC:
        coord = coord | st.sampled_from([-1.0, 5.5])
    det_boxes = _boxes(data.draw, coord, nd)
    gt_boxes = _boxes(data.draw, coord, ng)
    det_img = np.array(data.draw(st.lists(st.integers(0, nimg - 1), min_size=nd, max_size=nd)),
                       dtype=np.int64)
    gt_img = np.array(data.draw(st.lists(st.integers(0, nimg - 1), min_size=ng, max_size=ng)),
                      dtype=np.int64)
    gt_ignore = np.array(data.draw(st.lists(st.integers(0, 1), min_size=ng, max_size=ng)),
                         dtype=np.uint8)
    order = np.array(data.draw(st.permutations(range(nd))), dtype=np.int64)
    off, perm = _core.group_by_image(gt_img, nimg)
    gb, gi = np.ascontiguousarray(gt_boxes[perm]), np.ascontiguousarray(gt_ignore[perm])
    t = np.array(thr, dtype=np.float64)
    got = _core.match_images(kind, _core.RULE_VOC, order, det_boxes, det_img, gb, gi, off, t, strict)
    ref = ref_match(kind, order, det_boxes, det_img, gb, gi, off, t, strict)
    assert_same_array(got, ref, "labels")


def _match_args(**over):
    args = dict(kind=_core.IOU_VOC, rule=_core.RULE_VOC, order=np.arange(3, dtype=np.int64),
                det_boxes=np.zeros((3, 4)), det_img=np.zeros(3, np.int64),
                gt_boxes=np.zeros((2, 4)), gt_ignore=np.zeros(2, np.uint8),
                gt_off=np.array([0, 2], np.int64), thresholds=np.array([0.5]), strict=True)
    args.update(over)
    return args


def test_match_images_valid_baseline():
    labels = _core.match_images(**_match_args())
    assert labels.shape == (1, 3) and labels.dtype == np.int8


@pytest.mark.parametrize("over,exc", [
    (dict(order=np.arange(2, dtype=np.int64)), ValueError),            # length mismatch
    (dict(det_img=np.zeros(2, np.int64)), ValueError),
    (dict(det_boxes=np.zeros((2, 4))), ValueError),
    (dict(det_boxes=np.zeros((3, 3))), ValueError),
    (dict(gt_boxes=np.zeros((2, 5))), ValueError),
    (dict(gt_ignore=np.zeros(1, np.uint8)), ValueError),
    (dict(gt_off=np.array([0, 3], np.int64)), ValueError),             # off vs n GT
    (dict(gt_off=np.zeros(0, np.int64)), ValueError),
    (dict(gt_off=np.array([1, 2], np.int64)), IndexError),             # off[0] != 0
    (dict(gt_off=np.array([0, 3, 2], np.int64)), IndexError),          # decreasing
    (dict(gt_off=np.array([0, -1, 2], np.int64)), IndexError),
    (dict(order=np.array([0, 1, 3], np.int64)), IndexError),           # order out of range
    (dict(order=np.array([0, -1, 2], np.int64)), IndexError),
    (dict(det_img=np.array([0, 1, 0], np.int64)), IndexError),         # image out of range
    (dict(det_img=np.array([0, -1, 0], np.int64)), IndexError),
    (dict(det_img=np.array([0, 2 ** 62, 0], np.int64)), IndexError),
    (dict(kind=5), ValueError),
    (dict(rule=7), ValueError),
    (dict(gt_crowd=np.zeros(1, np.uint8)), ValueError),
    (dict(det_out=np.zeros(2, np.uint8)), ValueError),
    (dict(det_boxes=np.array([[0, 0, 1, 1], [0, 0, 1, np.nan], [0, 0, 1, 1]])), ValueError),
    (dict(gt_boxes=np.array([[np.nan, 0, 1, 1], [0, 0, 1, 1]])), ValueError),
])
def test_match_images_rejects_inconsistent_input(over, exc):
    with pytest.raises(exc):
        _core.match_images(**_match_args(**over))


def test_match_images_no_gt_images():
    """Images without GT (empty offsets range) and zero GT overall."""
    labels = _core.match_images(**_match_args(gt_boxes=np.zeros((0, 4)), gt_ignore=np.zeros(0, np.uint8),
                                           gt_off=np.array([0, 0], np.int64)))
    assert np.array_equal(labels, np.zeros((1, 3), np.int8))


# =================================================================== IdTable


def test_idtable_many_keys():
    n = 10_000
    keys = [f"{i:06d}".encode() for i in range(n)] + [f"img_{i}.jpg".encode() for i in range(n)]
    t = _core.IdTable(keys)
    for i, k in enumerate(keys):
        assert t.get(k) == i
    for k in (b"", b"0", b"00000", b"0000000", b"010000", b"img_", b"img_20000.jpg", b"\x00",
              b"000001\x00", b"IMG_1.jpg"):
        assert t.get(k) == -1, k


def test_idtable_first_index_of_repeated_key_and_odd_bytes():
    keys = [b"a", b"b", b"a", b"", b"a\x00b", b"a\x00c", "é".encode(), b"\xff\xfe", b"b"]
    t = _core.IdTable(keys)
    assert [t.get(k) for k in keys] == [0, 1, 0, 3, 4, 5, 6, 7, 1]
    assert t.get(b"a\x00") == -1 and t.get(b"c") == -1 and t.get(b"e") == -1
    assert _core.IdTable([]).get(b"a") == -1


@FAST
@given(st.lists(st.binary(max_size=12), max_size=200), st.lists(st.binary(max_size=12), max_size=20))
def test_idtable_property(keys, probes):
    t = _core.IdTable(keys)
    first = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    for k in keys + probes:
        assert t.get(k) == first.get(k, -1)


# ================================================================ parse_dets


def _collecting_slow(calls, result=None):
    def slow(raw, line_no, unknown):
        calls.append((raw, line_no, unknown))
        return result(raw) if result else None
    return slow


@st.composite
def decimal_token(draw):
    """Decimal strings: 1..25 digits (leading/trailing zeros included), a
    point anywhere (also '.5' and '5.'), an optional exponent, a sign."""
    digits = draw(st.text("0123456789", min_size=1, max_size=25))
    if draw(st.booleans()):
        digits = "0" * draw(st.integers(1, 4)) + digits
    point = draw(st.none() | st.integers(0, len(digits)))
    body = digits if point is None else digits[:point] + "." + digits[point:]
    sign = draw(st.sampled_from(["", "+", "-"]))
    exp = ""
    if draw(st.booleans()):
        exp = (draw(st.sampled_from("eE")) + draw(st.sampled_from(["", "+", "-"])) +
               "0" * draw(st.integers(0, 2)) + str(draw(st.integers(0, 40))))
    return sign + body + exp


@settings(max_examples=300, deadline=None)
@given(st.lists(decimal_token(), min_size=1, max_size=30))
def test_parse_dets_fast_path_equals_python_float(tokens):
    ids = _core.IdTable([b"img"])
    lines = [f"img {t} {t} {t} {t} {t}\n" for t in tokens]
    calls = []
    img, score, boxes = _core.parse_dets("".join(lines).encode(), ids, _collecting_slow(calls))
    slow_lines = {c[1] for c in calls}
    fast = [t for k, t in enumerate(tokens) if k + 1 not in slow_lines]
    assert len(score) == len(fast)
    assert np.array_equal(img, np.zeros(len(fast), np.int64))
    for k, t in enumerate(fast):
        ref = float(t)
        assert bits(score[k]) == bits(ref), (t, score[k], ref)
        assert [bits(v) for v in boxes[k]] == [bits(ref)] * 4, t
    for raw, line_no, unknown in calls:
        assert raw == lines[line_no - 1].encode() and not unknown
    # numparse.h converts every spelling of its grammar: no number, whatever
    # its digit count or exponent, goes to Python's float()
    assert not slow_lines, [tokens[k - 1] for k in slow_lines]


FAST_BOUNDARY = ["9007199254740992", "9007199254740993", "9007199254740991e-22",
                 "9007199254740993e-22", "1e22", "1e23", "1e-22", "1e-23", "0.1e-21",
                 "1234567890123456789", "12345678901234567890", "0.0000000000000000000001",
                 "-0", "-0.0", "+0e5", "0e-999", "00000000000000000000000000", ".5", "5.",
                 "4.9406564584124654e-324", "1.7976931348623157e308", "179769313486231570e291",
                 "2.2250738585072011e-308", "0.30000000000000004", "123.456e-3", "1E+00"]


def test_parse_dets_fixed_numbers():
    ids = _core.IdTable([b"x"])
    data = "".join(f"x {t} {t} {t} {t} {t}\n" for t in FAST_BOUNDARY).encode()
    img, score, boxes = _core.parse_dets(
        data, ids, _collecting_slow([], lambda raw: (0, *(float(v) for v in raw.split()[1:6]))))
    assert len(score) == len(FAST_BOUNDARY)
    for k, t in enumerate(FAST_BOUNDARY):
        assert bits(score[k]) == bits(float(t)), t
        assert all(bits(v) == bits(float(t)) for v in boxes[k]), t


def test_parse_dets_hands_back_what_it_cannot_parse():
    ids = _core.IdTable([b"a", b"b"])
    lines = [
        b"a 0.5 1 2 3 4",          # 1 fast
        b"b 1_000.5 1 2 3 4",      # 2 digit separator
        b"a 0.5 1 2 3",            # 3 too few fields
        b"a nan 1 2 3 4",          # 4
        b"a 0.5 inf 2 3 4",        # 5
        b"a 1e-30 1 2 3 4",        # 6 fast: any exponent
        b"a 0.1234567890123456789012345 1 2 3 4",  # 7 fast: any digit count
        b"zz 0.5 1 2 3 4",         # 8 unknown image
        b"a 0.5 1 2 3 4 x",        # 9 non-numeric extra column
        b"a 0x10 1 2 3 4",         # 10
        b"a 0.5 1 2 3 4 5 6",      # 11 fast, extra numeric columns ignored
        b"a 1e 1 2 3 4",           # 12
        b"a . 1 2 3 4",            # 13
        b"b\t0.25\t1\t2\t3\t4",    # 14 fast (tabs)
    ]
    calls = []
    marker = (1, -7.0, 0.0, 0.0, 0.0, 0.0)
    img, score, boxes = _core.parse_dets(b"\n".join(lines), ids,
                                         _collecting_slow(calls, lambda raw: marker))
    got_lines = [c[1] for c in calls]
    assert got_lines == [2, 3, 4, 5, 8, 9, 10, 12, 13]
    for raw, line_no, unknown in calls:
        assert raw.rstrip(b"\n") == lines[line_no - 1]
        assert unknown == (line_no == 8)
    expect = []
    for k in range(1, 15):
        expect.append(-7.0 if k in got_lines else {1: 0.5, 6: 1e-30, 7: 0.1234567890123456789012345,
                                                   11: 0.5, 14: 0.25}[k])
    assert score.tolist() == expect
    assert img.tolist() == [1 if k in got_lines else (1 if k == 14 else 0) for k in range(1, 15)]


def test_parse_dets_line_endings_and_blank_lines():
    ids = _core.IdTable([b"a", b"b"])
    body = [b"a 0.5 1 2 3 4", b"b 1_0 1 2 3 4", b"", b"zz 0.5 1 2 3 4", b"b 0.25 1 2 3 4",
            b"   ", b"a 1_0e-30 1 2 3 4"]
    for sep in (b"\n", b"\r\n", b"\r"):
        for tail in (b"", sep):
            calls = []
            img, score, boxes = _core.parse_dets(
                sep.join(body) + tail, ids,
                _collecting_slow(calls, lambda raw: (0, float(raw.split()[1]), 0, 0, 0, 0)
                                 if not raw.startswith(b"zz") else None))
            assert [(c[1], c[2]) for c in calls] == [(2, False), (4, True), (7, False)], sep
            assert score.tolist() == [0.5, 10.0, 0.25, 1e-29]
            assert img.tolist() == [0, 0, 1, 0]
            assert calls[0][0] == body[1] + sep
            assert calls[2][0] == body[6] + tail


def test_parse_dets_empty_and_bom():
    ids = _core.IdTable([b"a"])
    for data in (b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n\t\n"):
        img, score, boxes = _core.parse_dets(data, ids, _collecting_slow([]))
        assert img.shape == (0,) and score.shape == (0,) and boxes.shape == (0, 4)
    img, score, boxes = _core.parse_dets(b"\xef\xbb\xbfa 0.5 1 2 3 4\n", ids, _collecting_slow([]))
    assert img.tolist() == [0] and score.tolist() == [0.5] and boxes.tolist() == [[1, 2, 3, 4]]


@settings(max_examples=150, deadline=None)
@given(kinds=st.lists(st.sampled_from(["fast", "blank", "spaces", "slow", "unknown"]), max_size=40),
       seps=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=40),
       tail=st.booleans(), pieces=st.integers(1, 7))
def test_parse_dets_pieces_sized_by_their_lines(kinds, seps, tail, pieces):
    """Each piece's rows are sized by its line count (every kind of line
    end, blank lines, a last line with or without its end): any cut of the
    text into pieces reads the records of one pass, in file order (a count
    below the records would stop the parser with an error)."""
    ids = _core.IdTable([b"a", b"b"])
    text = {"fast": "a {k}.5 1 2 3 4", "blank": "", "spaces": "  \t", "slow": "b 1_{k} 1 2 3 4",
            "unknown": "zz {k} 1 2 3 4"}
    lines = [text[kind].format(k=k) for k, kind in enumerate(kinds)]
    data = "".join(line + (seps[k % len(seps)] if k + 1 < len(lines) or tail else "")
                   for k, line in enumerate(lines)).encode()

    def slow(raw, line_no, unknown):
        return None if unknown else (1, float(raw.split()[1].replace(b"_", b"")), 0, 0, 0, 0)
    img, score, boxes = _core.parse_dets(data, ids, slow, pieces=pieces, nthreads=2)
    want = [(1, float(f"1{k}")) if kind == "slow" else (0, k + 0.5)
            for k, kind in enumerate(kinds) if kind in ("fast", "slow")]
    assert list(zip(img.tolist(), score.tolist())) == want
    assert boxes.shape == (len(want), 4)


def test_parse_dets_slow_errors_propagate():
    ids = _core.IdTable([b"a"])

    def slow(raw, line_no, unknown):
        raise KeyError(line_no)
    with pytest.raises(KeyError):
        _core.parse_dets(b"a 0.5 1 2 3 4\na nan 1 2 3 4\n", ids, slow)


@settings(max_examples=80, deadline=None)
@given(n_img=st.integers(0, 6), n_cat=st.integers(0, 5), seed=st.integers(0, 2 ** 32 - 1),
       image_order=st.booleans())
def test_coco_group_equals_the_python_grouping(n_img, n_cat, seed, image_order):
    """The C cell grouping (the common case: useCats, unique ids) gives the
    rows and keys of the general Python path, both sides at once; rows in
    image order (a detector's output, where the kernel skips its image
    sort), ids not evaluated among them, or in any order."""
    from detap.coco import cells as dcells
    from detap.coco.columns import Columns
    rng = np.random.default_rng(seed)
    img_ids = np.unique(rng.integers(0, 12, n_img)).astype(np.int64)
    cat_ids = np.unique(rng.integers(1, 9, n_cat)).astype(np.int64)

    def side(n):
        image = rng.integers(0, 14, n)
        if image_order:
            image = np.sort(image)
        return Columns(image, rng.integers(0, 10, n),
                              np.arange(1, n + 1), np.ones((n, 4)), np.ones(n),
                              np.zeros(n, np.uint8), np.zeros(n, np.uint8), np.ones(n))
    g, d = side(int(rng.integers(0, 40))), side(int(rng.integers(0, 40)))
    I, K = len(img_ids), len(cat_ids)
    li, lc = dcells._luts(img_ids, cat_ids, g, d)
    got = _core.coco_group(g.image_id, g.category_id, d.image_id, d.category_id, li, lc, I, K)
    for cols, rows, keys in ((g, got[0], got[1]), (d, got[2], got[3])):
        r, i, k = dcells._prepare_rows(cols, img_ids, cat_ids, True)
        want_rows, want_keys = dcells._sort_rows(r, i, k, I, K, True, True)
        assert np.array_equal(rows, want_rows) and np.array_equal(keys, want_keys)


@pytest.mark.parametrize("image_order", [True, False])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_coco_group_in_pieces_equals_the_python_grouping(image_order, threads):
    """Above 2^16 rows the kernel counts and scatters in one piece per
    thread; the pieces' boundaries must keep the sort stable, and a piece
    boundary inside an image (or out of image order) must be seen."""
    from detap.coco import cells as dcells
    from detap.coco.columns import Columns
    rng = np.random.default_rng(7)
    n = 200_003
    img_ids = np.unique(rng.integers(0, 3000, 2500)).astype(np.int64)
    cat_ids = np.arange(1, 80, dtype=np.int64)
    image = rng.integers(0, 3100, n)  # some images and categories not evaluated
    if image_order:
        image = np.sort(image)
    else:  # in order but for one row: the check must look at every piece
        image = np.sort(image)
        image[n // 2 + 5], image[n - 3] = image[n - 3], image[n // 2 + 5]
    cols = Columns(image, rng.integers(0, 85, n), np.arange(1, n + 1), np.ones((n, 4)),
                   np.ones(n), np.zeros(n, np.uint8), np.zeros(n, np.uint8), np.ones(n))
    I, K = len(img_ids), len(cat_ids)
    li, lc = dcells._luts(img_ids, cat_ids, cols, cols)
    got = _core.coco_group(cols.image_id, cols.category_id, cols.image_id, cols.category_id,
                           li, lc, I, K, threads)
    r, i, k = dcells._prepare_rows(cols, img_ids, cat_ids, True)
    want_rows, want_keys = dcells._sort_rows(r, i, k, I, K, True, True)
    for rows, keys in ((got[0], got[1]), (got[2], got[3])):
        assert np.array_equal(rows, want_rows) and np.array_equal(keys, want_keys)


def test_coco_group_checks_its_tables():
    ids = np.array([1, 2], np.int64)
    with pytest.raises(IndexError):   # a table entry beyond the image count
        _core.coco_group(ids, ids, ids, ids, np.array([-1, 0, 5]), np.array([-1, 0, 0]), 2, 1)
    with pytest.raises(ValueError):
        _core.coco_group(ids, ids[:1], ids, ids, np.array([-1, 0, 1]), np.array([-1, 0, 0]), 2, 1)


def test_box_result_facts_and_the_checks_they_stand_for():
    """Columns.checked(area=None) computes w * h and its checks in one pass:
    the same area as the product, the same errors and warning as the named
    checks, with or without scores."""
    import warnings
    from detap.coco.columns import Columns
    from detap.errors import DetapInputError, DetapWarning

    def make(boxes, score=None, negative="error"):
        n = len(boxes)
        return Columns.checked("f.json", np.ones(n, np.int64), np.ones(n, np.int64),
                               np.arange(1, n + 1), np.asarray(boxes, np.float64), None,
                               score=score, negative=negative)
    boxes = [[0., 0., 2., 3.], [1., 1., 1e200, 1e200]]
    with np.errstate(over="ignore"):
        want = np.asarray(boxes)[:, 2] * np.asarray(boxes)[:, 3]
    for score in (None, np.array([0.5, 0.25])):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert np.array_equal(make(boxes, score).area, want)
    with pytest.raises(DetapInputError, match="record 1 'bbox' is not finite"):
        make([[0., 0., 1., 1.], [0., np.inf, 1., 1.]])
    with pytest.raises(DetapInputError, match="record 0 'score' is not finite"):
        make([[0., 0., 1., 1.]], np.array([np.nan]))
    with pytest.raises(DetapInputError, match="record 0 'bbox' has a negative size"):
        make([[0., 0., -1., 1.]])
    with pytest.warns(DetapWarning, match="negative size"):
        assert make([[0., 0., -1., 2.]], negative="warn").area[0] == -2.0


@pytest.mark.parametrize("n,n_seg", [(0, 1), (50, 4), (200_000, 3000), (120_000, 2)])
def test_sort_segments_desc(n, n_seg):
    """Each segment sorted by descending score, ties in the given order
    (numpy's stable argsort per segment), parallel above 50k rows; rows out
    of range are refused before the kernel runs."""
    rng = np.random.default_rng(n)
    scores = np.round(rng.random(n + 10), 2)       # ties
    rows = rng.permutation(n + 10)[:n].astype(np.int64)
    cuts = np.sort(rng.integers(0, n + 1, n_seg - 1)) if n_seg > 1 else np.zeros(0, np.int64)
    off = np.r_[0, cuts, n].astype(np.int64)
    got = rows.copy()
    for t in (1, 2, 0):
        got = rows.copy()
        _core.sort_segments_desc(scores, off, got, t)
        for a, b in zip(off[:-1], off[1:]):
            seg = rows[a:b]
            assert np.array_equal(got[a:b], seg[np.argsort(-scores[seg], kind="stable")])
    if n:
        bad = rows.copy()
        bad[-1] = len(scores)
        with pytest.raises(IndexError):
            _core.sort_segments_desc(scores, off, bad)
        assert np.array_equal(bad[:-1], rows[:-1])     # untouched
