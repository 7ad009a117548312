"""detap's PASCAL VOC front ends against the py-faster-rcnn reference, bit for bit.

The yardstick is tests/reference_voc.py (a transcription of py-faster-rcnn's
voc_eval / voc_ap / parse_rec).  Every comparison is exact: arrays with
np.array_equal (NaN only where the reference has NaN), scalars bit for bit,
and ``ap`` must have the reference's type (np.float64, or a plain float 0.0
from the 11-point metric when no recall reaches the first grid point).
"""
import os
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detap
import detap.voc
from detap.synth import VOC_CLASSES, make_voc_arrays, write_voc
from tests import reference_voc
from tests.conftest import (assert_same_array, assert_same_float, assert_same_voc, det_line,
                            ref_quiet, reference_recs, voc_dataset, write_voc_files, xml_text)

THRESHOLDS = (0.1, 0.3, 0.5, 0.7, 0.75, 0.9)


def detap_quiet(*args, **kwargs):
    """detap.voc_eval with its 'no non-difficult GT' RuntimeWarning swallowed
    (tests that are about the warning check it explicitly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return detap.voc_eval(*args, **kwargs)


def compare(detpath, annopath, imagesetfile, classname, ovthresh=0.5, use07=False,
            cachedir=None):
    ref = ref_quiet(reference_voc.voc_eval, detpath, annopath, imagesetfile, classname,
                    ovthresh, use07)
    got = detap_quiet(detpath, annopath, imagesetfile, classname, cachedir, ovthresh, use07)
    assert_same_voc(got, ref, f"[{classname} t={ovthresh} 07={use07}]")
    return got, ref


# ======================================================= hand-made edge cases

EDGE_ANNOTATIONS = {
    # ordinary image, with a difficult cat and an overlapping pair of cats
    "000001": [dict(name="cat", bbox=[0, 0, 9, 9]),
               dict(name="cat", bbox=[20, 20, 29, 29], difficult=1),
               dict(name="dog", bbox=[5, 5, 14, 14]),
               dict(name="cat", bbox=[0, 0, 9, 19])],
    # no objects at all
    "000002": [],
    # difficult objects only
    "000003": [dict(name="cat", bbox=[0, 0, 9, 9], difficult=1),
               dict(name="horse", bbox=[10, 10, 30, 30], difficult=1)],
    # degenerate GT: zero width and height (x2 == x1 - 1), then x2 < x1
    "000004": [dict(name="cat", bbox=[40, 40, 39, 39]),
               dict(name="cat", bbox=[50, 50, 45, 60]),
               dict(name="dog", bbox=[0, 0, 9, 9])],
    # two touching cats and a small bird
    "000005": [dict(name="cat", bbox=[0, 0, 19, 19]),
               dict(name="cat", bbox=[20, 0, 39, 19]),
               dict(name="bird", bbox=[0, 0, 5, 5])],
    # a horse, difficult: the class has no non-difficult GT anywhere
    "000006": [dict(name="horse", bbox=[0, 0, 9, 9], difficult=1)],
}


def _edge_dets():
    cat = [
        ("000001", 0.9, [0, 0, 9, 9]),        # TP
        ("000001", 0.9, [0, 0, 9, 9]),        # exact duplicate: FP
        ("000001", 0.8, [20, 20, 29, 29]),    # difficult: ignored
        ("000001", 0.8, [0, 0, 9, 4]),        # IoU exactly 0.5 with [0 0 9 9]
        ("000002", 0.7, [0, 0, 9, 9]),        # image without objects
        ("000003", 0.7, [0, 0, 9, 9]),        # difficult-only image
        ("000004", 0.6, [40, 40, 39, 39]),    # zero-area det on zero-area GT: 0/0
        ("000004", 0.6, [50, 50, 45, 60]),    # x2 < x1 det on x2 < x1 GT
        ("000004", 0.5, [41, 41, 39, 39]),    # x2 < x1 - 1
        ("000005", 0.5, [10, 0, 29, 19]),     # same IoU (1/3) with both touching GT
        ("000005", 0.5, [0, 0, 19, 19]),      # TP
        ("000005", 0.4, [20, 0, 39, 9]),      # IoU exactly 0.5
        ("000001", 0.3, [0, 0, 9, 19]),       # TP on the 4th cat
    ]
    # a tail of tied scores, so that numpy's (unstable) argsort has work to do
    rng = np.random.default_rng(7)
    for k in range(24):
        img = ("000001", "000005", "000004", "000002")[k % 4]
        x1, y1 = (int(v) for v in rng.integers(0, 30, 2))
        w, h = (int(v) for v in rng.integers(-1, 22, 2))
        cat.append((img, float(rng.choice([0.5, 0.3, 0.2])), [x1, y1, x1 + w - 1, y1 + h - 1]))
    dog = [("000001", 0.6, [5, 5, 14, 14]), ("000004", 0.6, [0, 0, 9, 9]),
           ("000004", 0.6, [0, 0, 9, 9]), ("000005", 0.95, [5, 5, 14, 14]),
           ("000003", 0.2, [10, 10, 30, 30])]
    horse = [("000003", 0.8, [10, 10, 30, 30]), ("000006", 0.7, [0, 0, 9, 9]),
             ("000001", 0.6, [0, 0, 9, 9])]
    zebra = [("000001", 0.5, [0, 0, 9, 9]), ("000002", 0.5, [1, 1, 5, 5])]
    return {"cat": cat, "dog": dog, "horse": horse, "zebra": zebra, "bird": []}


EDGE_CLASSES = ("cat", "dog", "horse", "zebra", "bird")


@pytest.fixture(scope="module")
def edge_voc(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("edge"))
    return write_voc_files(root, EDGE_ANNOTATIONS, _edge_dets())


@pytest.mark.parametrize("use07", [False, True])
@pytest.mark.parametrize("ovthresh", THRESHOLDS)
@pytest.mark.parametrize("cls", EDGE_CLASSES)
def test_edge_cases_match_reference(edge_voc, cls, ovthresh, use07):
    compare(*edge_voc, cls, ovthresh, use07)


def test_edge_data_exercises_what_it_claims(edge_voc):
    """Guards the test data itself (computed with the reference only)."""
    detpath, annopath, imagesetfile = edge_voc
    rec, prec, ap = ref_quiet(reference_voc.voc_eval, *edge_voc, "cat", 0.5, False)
    assert len(rec) == len(_edge_dets()["cat"]) > 16
    rec, prec, ap = ref_quiet(reference_voc.voc_eval, *edge_voc, "horse", 0.5, False)
    assert np.isnan(rec).all() and np.isnan(ap)
    rec, prec, ap = ref_quiet(reference_voc.voc_eval, *edge_voc, "bird", 0.5, False)
    assert rec.shape == (0,) and ap == 0.0


@pytest.mark.parametrize("cls", ["horse", "zebra"])
def test_class_without_non_difficult_gt_nan_and_warning(edge_voc, cls):
    """All GT difficult ('horse') or no GT at all ('zebra'), with detections:
    the reference's recall is 0/0 = NaN and its all-point AP NaN."""
    ref = ref_quiet(reference_voc.voc_eval, *edge_voc, cls, 0.5, False)
    assert np.isnan(ref[0]).all() and np.isnan(ref[2])
    with pytest.warns(RuntimeWarning, match="non-difficult"):
        got = detap.voc_eval(*edge_voc, cls, None, 0.5, False)
    assert_same_voc(got, ref)
    assert np.isnan(got[0]).all() and np.isnan(got[2])
    # 11-point: no recall reaches 0.0, so the reference's plain float 0.0
    ref07 = ref_quiet(reference_voc.voc_eval, *edge_voc, cls, 0.5, True)
    with pytest.warns(RuntimeWarning):
        got07 = detap.voc_eval(*edge_voc, cls, None, 0.5, True)
    assert type(ref07[2]) is float
    assert_same_voc(got07, ref07)


@pytest.mark.parametrize("use07", [False, True])
def test_empty_det_file(edge_voc, use07):
    got, ref = compare(*edge_voc, "bird", 0.5, use07)
    assert got[0].shape == (0,) and got[1].shape == (0,)
    assert got[2] == 0.0


def test_empty_det_file_for_class_without_gt(tmp_path):
    templates = write_voc_files(str(tmp_path), {"a": [dict(name="cat", bbox=[0, 0, 9, 9])]},
                                {"cat": [("a", 0.5, [0, 0, 9, 9])], "dog": []})
    for use07 in (False, True):
        compare(*templates, "dog", 0.5, use07)


def test_empty_det_file_warns_nothing(tmp_path):
    """No detections and no GT: the reference computes no 0/0 (empty arrays)."""
    templates = write_voc_files(str(tmp_path), {"a": []}, {"cat": []})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = detap.voc_eval(*templates, "cat")
    assert_same_voc(got, ref_quiet(reference_voc.voc_eval, *templates, "cat"))


# ------------------------------------------------------- IoU == threshold


@pytest.mark.parametrize("use07", [False, True])
@pytest.mark.parametrize("t", THRESHOLDS)
def test_iou_exactly_at_threshold(tmp_path, t, use07):
    """A detection whose IoU equals ovthresh exactly is a FP (the reference
    tests IoU > ovthresh); one ulp lower a threshold makes it a TP."""
    if t == 0.75:
        gt, det = [0, 0, 19, 19], [0, 0, 19, 14]  # 300 / 400
    else:
        k = int(round(t * 10))
        gt, det = [0, 0, 9, 9], [0, 0, 9, k - 1]  # 10k / 100
    templates = write_voc_files(
        str(tmp_path), {"a": [dict(name="cat", bbox=gt)], "b": [dict(name="cat", bbox=gt)]},
        {"cat": [("a", 0.9, det), ("b", 0.8, gt), ("a", 0.7, gt)]})
    ref = ref_quiet(reference_voc.voc_eval, *templates, "cat", t, use07)
    assert ref[1][0] == 0.0  # the construction really sits on the threshold
    compare(*templates, "cat", t, use07)
    below = np.nextafter(t, 0.0)
    ref_below = ref_quiet(reference_voc.voc_eval, *templates, "cat", below, use07)
    assert ref_below[1][0] == 1.0
    compare(*templates, "cat", below, use07)


def test_touching_boxes_have_zero_iou(tmp_path):
    """Boxes sharing an edge overlap by one pixel row under the +1
    convention; boxes one pixel apart do not overlap at all."""
    gt = [dict(name="cat", bbox=[0, 0, 9, 9])]
    dets = [("a", 0.9, [9, 0, 18, 9]), ("a", 0.8, [10, 0, 19, 9]), ("a", 0.7, [0, 9, 9, 18])]
    templates = write_voc_files(str(tmp_path), {"a": gt}, {"cat": dets})
    for t in (0.0, 0.05, 0.1):
        for use07 in (False, True):
            compare(*templates, "cat", t, use07)


# ----------------------------------------------------- image set and files


def test_image_listed_twice(tmp_path):
    ann = {"a": [dict(name="cat", bbox=[0, 0, 9, 9]), dict(name="cat", bbox=[20, 0, 29, 9])],
           "b": [dict(name="cat", bbox=[0, 0, 9, 9], difficult=1), dict(name="cat", bbox=[5, 5, 9, 9])]}
    dets = {"cat": [("a", 0.9, [0, 0, 9, 9]), ("b", 0.8, [5, 5, 9, 9]), ("a", 0.8, [20, 0, 29, 9]),
                    ("b", 0.7, [0, 0, 9, 9]), ("a", 0.1, [0, 0, 9, 9])]}
    templates = write_voc_files(str(tmp_path), ann, dets, imageset=["a", "b", "a", "a"])
    ref = ref_quiet(reference_voc.voc_eval, *templates, "cat", 0.5, False)
    assert ref[0][-1] == 3 / 7  # npos counts "a" three times (guards the data)
    for use07 in (False, True):
        for t in (0.3, 0.5):
            compare(*templates, "cat", t, use07)


@pytest.mark.parametrize("det_template,anno_template", [
    ("det_{}.txt", "{}.xml"),
    ("comp4_det_test_{:s}.txt", "{:s}.xml"),
    ("{}/dets.txt", "{}/annotation.xml"),
])
def test_format_string_templates(tmp_path, det_template, anno_template):
    root = str(tmp_path)
    ann = {"a": [dict(name="cat", bbox=[0, 0, 9, 9]), dict(name="dog", bbox=[3, 3, 12, 12])],
           "b": [dict(name="cat", bbox=[1, 1, 9, 9])]}
    dets = {"cat": [("a", 0.9, [0, 0, 9, 9]), ("b", 0.9, [0, 0, 9, 9]), ("b", 0.4, [1, 1, 9, 9])],
            "dog": [("a", 0.5, [2, 2, 12, 12])]}
    templates = write_voc_files(root, ann, dets, det_template=det_template,
                                anno_template=anno_template)
    for c in ("cat", "dog"):
        for use07 in (False, True):
            compare(*templates, c, 0.5, use07)


def _line_ending_dets():
    return [("a", 0.9, [0, 0, 9, 9]), ("b", 0.5, [0, 0, 9, 9]), ("a", 0.5, [1, 1, 9, 9]),
            ("b", 0.3, [2, 2, 11, 11])]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_det_file_line_endings(tmp_path, newline):
    ann = {"a": [dict(name="cat", bbox=[0, 0, 9, 9])], "b": [dict(name="cat", bbox=[1, 1, 10, 10])]}
    templates = write_voc_files(str(tmp_path), ann, {"cat": _line_ending_dets()}, newline=newline)
    with open(templates[0].format("cat"), "rb") as f:
        assert f.read().count(newline.encode()) == 4
    for use07 in (False, True):
        compare(*templates, "cat", 0.5, use07)


def test_det_file_without_final_newline_and_with_padding(tmp_path):
    """Leading/trailing whitespace around a line (the reference strips it)."""
    ann = {"a": [dict(name="cat", bbox=[0, 0, 9, 9])], "b": [dict(name="cat", bbox=[1, 1, 10, 10])]}
    raw = " a 0.9 0 0 9 9\nb 0.5 1 1 10 10  \n\ta 0.5 1 1 9 9\t\nb 0.3 2 2 11 11"
    templates = write_voc_files(str(tmp_path), ann, {"cat": raw})
    compare(*templates, "cat", 0.5, False)


def test_det_numbers_needing_the_slow_float_path(tmp_path):
    """Numbers the C fast path cannot convert exactly (more than 19
    significant digits, exponents beyond 1e±22, digit separators) must come
    out as Python's float() gives them."""
    ann = {"a": [dict(name="cat", bbox=[0, 0, 9, 9]), dict(name="cat", bbox=[0, 0, 99, 99])],
           "b": [dict(name="cat", bbox=[10, 10, 1000, 1000])]}
    lines = [
        "a 0.9000000000000000000000001 0 0 9 9",          # 25 significant digits
        "a 1e-30 0 0 9.000000000000000000000000001 9",
        "b 0.5 10 10 1_000.5 1_000",                      # float() accepts '_'
        "a 0.70000000000000000000000000000000001 0.0000000000000000000000000001 0 99 99",
        "b 0.123456789012345678901 10.0000000000000000000000000 10 1000 1000",
        "a 4.9406564584124654e-324 0 0 98 98",           # the smallest subnormal
        "b 2.2250738585072011e-308 10 10 999.99999999999999999 1000",
        "a 1E+0 0 0 9 9", "a 0.5e-22 0 0 9 9", "a 5e-23 0 0 9 9",
        "b 0.30000000000000004 +10 10 1000.0 1e3",
        "b 123456789012345678e-18 10 10 1000 999.5",
        "a .5 -0 -0.0 9. 9.", "b 5. 0010 010 01000 1000",
        "a 9007199254740993e-16 0 0 9 9",                  # 2**53 + 1: not exact in float64
        "a 9007199254740992e-16 0 0 9 9",
    ]
    templates = write_voc_files(str(tmp_path), ann, {"cat": lines})
    for t in (0.3, 0.5, 0.9):
        for use07 in (False, True):
            compare(*templates, "cat", t, use07)


def test_det_scores_with_17_significant_digits(tmp_path):
    """Scores written with %.17g: some fit the fast path, others do not."""
    data = make_voc_arrays(n_images=12, classes=("cat", "dog"), seed=3, score_decimals=17)
    data.det_scores = np.random.default_rng(3).random(len(data.det_scores)) ** 3
    templates = write_voc(data, str(tmp_path), score_format="{:.17g}")
    for c in data.classes:
        for use07 in (False, True):
            compare(*templates, c, 0.5, use07)


# ------------------------------------------------------------- signatures


def test_detectron2_signature(edge_voc):
    d, a, i = edge_voc
    for cls in ("cat", "dog"):
        ref = ref_quiet(reference_voc.voc_eval, d, a, i, cls, 0.5, True)
        assert_same_voc(detap_quiet(d, a, i, cls, ovthresh=0.5, use_07_metric=True), ref)
        ref = ref_quiet(reference_voc.voc_eval, d, a, i, cls, 0.7, True)
        assert_same_voc(detap_quiet(d, a, i, cls, 0.7, True), ref)
        ref = ref_quiet(reference_voc.voc_eval, d, a, i, cls, 0.3, False)
        assert_same_voc(detap_quiet(d, a, i, cls, 0.3), ref)
        ref = ref_quiet(reference_voc.voc_eval, d, a, i, cls)
        assert_same_voc(detap_quiet(d, a, i, cls), ref)


def test_py_faster_rcnn_signature_with_cachedir(edge_voc, tmp_path):
    d, a, i = edge_voc
    cachedir = str(tmp_path / "cache")
    detap.voc._memo.clear()  # an in-memory copy would make detap skip the cache
    for cls in ("cat", "dog"):
        ref = ref_quiet(reference_voc.voc_eval, d, a, i, cls, 0.7, True)
        assert_same_voc(detap_quiet(d, a, i, cls, cachedir, 0.7, True), ref)
        assert_same_voc(detap_quiet(d, a, i, cls, cachedir, ovthresh=0.7, use_07_metric=True), ref)
    assert os.listdir(cachedir), "no annotation cache was written"
    # force a read of the on-disk cache rather than the in-memory copy
    detap.voc._memo.clear()
    for cls in EDGE_CLASSES:
        for use07 in (False, True):
            ref = ref_quiet(reference_voc.voc_eval, d, a, i, cls, 0.5, use07)
            assert_same_voc(detap_quiet(d, a, i, cls, cachedir, 0.5, use07), ref)
            detap.voc._memo.clear()


# ----------------------------------------------------------------- parse_rec


def test_parse_rec_equals_reference(edge_voc, tmp_path):
    _, annopath, _ = edge_voc
    for name in EDGE_ANNOTATIONS:
        path = annopath.format(name)
        got, ref = detap.parse_rec(path), reference_voc.parse_rec(path)
        assert got == ref
        for g, r in zip(got, ref):
            assert [type(v) for v in g["bbox"]] == [type(v) for v in r["bbox"]]
            assert type(g["difficult"]) is type(r["difficult"])
            assert type(g["truncated"]) is type(r["truncated"])
    # values the reference reads with int(): signs, padding, other flags
    path = str(tmp_path / "odd.xml")
    objs = [dict(name="cat", bbox=["+3", " 4 ", "-5", "0012"], truncated=1, difficult=2,
                 pose="Left"),
            dict(name="dog bed", bbox=[1, 2, 3, 4], pose="")]
    with open(path, "w") as f:
        f.write(xml_text(objs))
    got, ref = detap.parse_rec(path), reference_voc.parse_rec(path)
    assert got == ref
    assert [type(v) for v in got[0]["bbox"]] == [int] * 4


def test_parse_rec_float_coordinates_and_missing_tags(tmp_path):
    path = str(tmp_path / "f.xml")
    objs = [dict(name="cat", bbox=["10.5", "20", "30.25", "4e1"]),
            dict(name="dog", bbox=["1.0", "2", "3", "4"], difficult=1)]
    with open(path, "w") as f:
        f.write(xml_text(objs, omit={"pose", "truncated"}))
    with pytest.raises(AttributeError):  # the reference cannot read this file
        reference_voc.parse_rec(path)
    got = detap.parse_rec(path)
    assert got == [
        {"name": "cat", "pose": None, "truncated": 0, "difficult": 0,
         "bbox": [10.5, 20, 30.25, 40.0]},
        {"name": "dog", "pose": None, "truncated": 0, "difficult": 1, "bbox": [1.0, 2, 3, 4]},
    ]
    assert [type(v) for v in got[0]["bbox"]] == [float, int, float, float]
    path2 = str(tmp_path / "g.xml")
    with open(path2, "w") as f:
        f.write(xml_text([dict(name="cat", bbox=[1, 2, 3, 4])], omit={"difficult"}))
    assert detap.parse_rec(path2)[0]["difficult"] == 0


def test_float_gt_coordinates_follow_the_reference_algorithm(tmp_path):
    """With non-integer GT coordinates (which the reference parse_rec cannot
    read) detap must still compute what the reference's algorithm computes
    on those values (voc_eval_recs fed detap.parse_rec's records)."""
    ann = {"a": [dict(name="cat", bbox=["0.5", "0.25", "9.75", "9.5"]),
                 dict(name="cat", bbox=["10.1", "0", "19.9", "10.3"])],
           "b": [dict(name="cat", bbox=["1.5", "1.5", "10.5", "10.5"], difficult=1),
                 dict(name="cat", bbox=[30, 30, 40, 40])]}
    dets = {"cat": [("a", 0.9, [0, 0, 9, 9]), ("a", 0.8, [10, 0, 20, 10]),
                    ("b", 0.8, [1.5, 1.5, 10.5, 10.5]), ("b", 0.6, [30.5, 30, 40, 40.5]),
                    ("a", 0.5, [0.5, 0.25, 9.75, 9.5])]}
    templates = write_voc_files(str(tmp_path), ann, dets)
    detpath, annopath, imagesetfile = templates
    names = ["a", "b"]
    recs = {n: detap.parse_rec(annopath.format(n)) for n in names}
    for t in THRESHOLDS:
        for use07 in (False, True):
            ref = ref_quiet(reference_voc.voc_eval_recs, recs, names, detpath.format("cat"),
                            "cat", t, use07)
            assert_same_voc(detap_quiet(*templates, "cat", None, t, use07), ref)


def test_huge_integer_coordinates(tmp_path):
    """Integers beyond 2**53 (and beyond int64) in annotations and det
    files: every path must round them to float64 as the reference does."""
    big, huge = 2 ** 53 + 1, 2 ** 63 + 5
    ann = {"a": [dict(name="cat", bbox=[0, 0, big, big]), dict(name="cat", bbox=[big, 0, big + 10, 9])],
           "b": [dict(name="cat", bbox=[huge, huge, huge + 3, huge + 5])]}
    dets = {"cat": [f"a 0.9 0 0 {big} {big}", f"a 0.8 {big + 2} 0 {big + 12} 9",
                    f"b 0.7 {huge} {huge} {huge + 3} {huge + 5}", "b 0.6 0 0 9 9"]}
    templates = write_voc_files(str(tmp_path), ann, dets)
    for t in (0.1, 0.5):
        for use07 in (False, True):
            compare(*templates, "cat", t, use07)


# ======================================================= synthetic data sets


def _ref_loop(templates, classes, t, use07, sort=None):
    """The reference voc_eval per class, annotations parsed once (the same
    code path as reference_voc.voc_eval, which re-parses on every call)."""
    detpath, annopath, imagesetfile = templates
    names, recs = reference_recs(annopath, imagesetfile)
    return {c: ref_quiet(reference_voc.voc_eval_recs, recs, names, detpath.format(c), c, t,
                         use07, sort) for c in classes}


@pytest.fixture(scope="module", params=[(1, 0), (3, 1), (1, 2)],
                ids=["1dec-seed0", "3dec-seed1", "1dec-seed2"])
def synth_voc(request, tmp_path_factory):
    decimals, seed = request.param
    data = make_voc_arrays(n_images=40, classes=VOC_CLASSES[:6], gt_per_image=3.0,
                           difficult_frac=0.2, score_decimals=decimals, seed=seed)
    root = str(tmp_path_factory.mktemp(f"synth{seed}"))
    templates = write_voc(data, root, score_format=f"{{:.{decimals}f}}")
    return data, templates


@pytest.mark.parametrize("use07", [False, True])
@pytest.mark.parametrize("ovthresh", THRESHOLDS)
def test_synthetic_voc_eval(synth_voc, ovthresh, use07):
    data, templates = synth_voc
    ref = _ref_loop(templates, data.classes, ovthresh, use07)
    for c in data.classes:
        got = detap_quiet(*templates, c, None, ovthresh, use07)
        assert_same_voc(got, ref[c], f"[{c}]")


def test_synthetic_data_has_heavy_ties(synth_voc):
    data, _ = synth_voc
    if data.det_scores.size and not np.array_equal(data.det_scores, np.round(data.det_scores, 1)):
        pytest.skip("only the 1-decimal data sets are meant to be tie-heavy")
    per_class = [np.unique(data.det_scores[data.det_cls == c], return_counts=True)[1].max()
                 for c in range(len(data.classes))]
    assert max(per_class) > 16


def test_synthetic_voc_eval_direct_reference(synth_voc):
    """One class through reference_voc.voc_eval itself (not the parse-once loop)."""
    data, templates = synth_voc
    compare(*templates, data.classes[0], 0.5, False)
    compare(*templates, data.classes[1], 0.5, True)


def _assert_evaluate_matches(res, ref, classes):
    assert list(res.classes) == list(classes)
    for c in classes:
        r = res.per_class[c]
        assert_same_array(r.rec, ref[c][0], f"rec [{c}]")
        assert_same_array(r.prec, ref[c][1], f"prec [{c}]")
        assert_same_float(res.ap[c], ref[c][2], f"ap [{c}]")


@pytest.mark.parametrize("use07", [False, True])
def test_evaluate_py_faster_rcnn_equals_voc_eval_loop(synth_voc, use07):
    data, templates = synth_voc
    classes = list(data.classes)
    for t in (0.5, 0.7):
        ref = _ref_loop(templates, classes, t, use07)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = detap.voc.evaluate(*templates, classes, ovthresh=t, use_07_metric=use07,
                                     convention="py-faster-rcnn")
        _assert_evaluate_matches(res, ref, classes)


@pytest.mark.parametrize("use07", [False, True])
def test_evaluate_default_equals_stable_reference(synth_voc, use07):
    data, templates = synth_voc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = detap.voc.evaluate(*templates, ovthresh=0.5, use_07_metric=use07)
    classes = list(res.classes)
    # default classnames: every class of the annotations, sorted
    assert classes == sorted({data.classes[k] for k in data.gt_cls})
    ref = _ref_loop(templates, classes, 0.5, use07, sort="stable")
    _assert_evaluate_matches(res, ref, classes)


def test_evaluate_on_edge_cases(edge_voc):
    for use07 in (False, True):
        for conv, sort in (("py-faster-rcnn", None), (None, "stable")):
            ref = _ref_loop(edge_voc, EDGE_CLASSES, 0.5, use07, sort)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = detap.voc.evaluate(*edge_voc, list(EDGE_CLASSES), use_07_metric=use07,
                                         convention=conv)
            _assert_evaluate_matches(res, ref, EDGE_CLASSES)


# ============================================================ property tests


def _write_dataset(root, ds, imageset):
    dets = {c: [(ds["names"][i], s, b) for i, cc, s, b in ds["dets"] if cc == c]
            for c in ("cat", "dog")}
    return write_voc_files(root, ds["gt"], dets, imageset=imageset)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ds=voc_dataset(), t=st.sampled_from(THRESHOLDS), data=st.data())
def test_property_voc_eval_files(ds, t, data):
    imageset = list(ds["names"])
    if data.draw(st.booleans(), "repeat an image"):
        imageset.insert(data.draw(st.integers(0, len(imageset))), data.draw(st.sampled_from(imageset)))
    with tempfile.TemporaryDirectory() as root:
        templates = _write_dataset(root, ds, imageset)
        for c in ("cat", "dog"):
            for use07 in (False, True):
                compare(*templates, c, t, use07)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = detap.voc.evaluate(*templates, ["cat", "dog"], ovthresh=t)
        _assert_evaluate_matches(res, _ref_loop(templates, ["cat", "dog"], t, False, "stable"),
                                 ["cat", "dog"])


def _class_arrays(ds, classname):
    names = ds["names"]
    gt_boxes, gt_image, gt_diff = [], [], []
    for i, n in enumerate(names):
        for o in ds["gt"][n]:
            if o["name"] == classname:
                gt_boxes.append(o["bbox"])
                gt_image.append(i)
                gt_diff.append(bool(o["difficult"]))
    sel = [d for d in ds["dets"] if d[1] == classname]
    return (np.array([d[3] for d in sel], dtype=np.float64).reshape(-1, 4),
            np.array([d[2] for d in sel], dtype=np.float64),
            np.array([d[0] for d in sel], dtype=np.int64),
            np.array(gt_boxes, dtype=np.float64).reshape(-1, 4),
            np.array(gt_image, dtype=np.int64),
            np.array(gt_diff, dtype=bool))


ANY_THRESHOLD = st.sampled_from((0.0, 0.1, 0.3, 0.5, 0.7, 0.75, 0.9, 1.0)) | st.floats(0, 1)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ds=voc_dataset(), t=ANY_THRESHOLD)
def test_property_evaluate_class_in_memory(ds, t):
    names = ds["names"]
    recs = {n: [dict(o) for o in ds["gt"][n]] for n in names}
    det_boxes, det_scores, det_image, gt_boxes, gt_image, gt_diff = _class_arrays(ds, "cat")
    with tempfile.TemporaryDirectory() as root:
        detfile = os.path.join(root, "det.txt")
        with open(detfile, "w") as f:
            f.write("".join(det_line(names[i], s, b) + "\n"
                            for i, c, s, b in ds["dets"] if c == "cat"))
        for ap in ("all_point", "voc07"):
            conv = detap.Convention(tie_order="stable", ap=ap)
            ref = ref_quiet(reference_voc.voc_eval_recs, recs, names, detfile, "cat", t,
                            ap == "voc07", sort="stable")
            got = detap.evaluate_class(det_boxes, det_scores, det_image, gt_boxes, gt_image,
                                       gt_diff, iou_threshold=t, convention=conv,
                                       n_images=len(names))
            assert_same_array(got.rec, ref[0], "rec")
            assert_same_array(got.prec, ref[1], "prec")
            assert_same_float(got.ap, ref[2], "ap")
            assert got.npos == int(sum(not d for d in gt_diff))
            assert np.array_equal(got.order, np.argsort(-det_scores, kind="stable"))


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ds=voc_dataset(), ap=st.sampled_from(("all_point", "voc07")))
def test_property_multi_threshold_equals_per_threshold(ds, ap):
    thr = [0.3, 0.5, 0.7]
    arrays = _class_arrays(ds, "dog")
    conv = detap.Convention(tie_order="stable", ap=ap)
    n = len(ds["names"])
    multi = detap.evaluate_class(*arrays, iou_threshold=thr, convention=conv, n_images=n)
    assert multi.rec.shape == multi.prec.shape == (3, len(arrays[1]))
    assert multi.ap.shape == (3,)
    assert np.array_equal(multi.thresholds, np.array(thr))
    names = ds["names"]
    recs = {nm: ds["gt"][nm] for nm in names}
    with tempfile.TemporaryDirectory() as root:
        detfile = os.path.join(root, "det.txt")
        with open(detfile, "w") as f:
            f.write("".join(det_line(names[i], s, b) + "\n"
                            for i, c, s, b in ds["dets"] if c == "dog"))
        for k, t in enumerate(thr):
            one = detap.evaluate_class(*arrays, iou_threshold=t, convention=conv, n_images=n)
            for field in ("rec", "prec", "tp", "fp", "labels"):
                assert_same_array(getattr(multi, field)[k], getattr(one, field), field)
            assert_same_float(multi.ap[k], one.ap)
            assert np.array_equal(multi.order, one.order)
            ref = ref_quiet(reference_voc.voc_eval_recs, recs, names, detfile, "dog", t,
                            ap == "voc07", sort="stable")
            assert_same_array(multi.rec[k], ref[0], "rec")
            assert_same_array(multi.prec[k], ref[1], "prec")
            assert_same_float(multi.ap[k], ref[2], "ap")
