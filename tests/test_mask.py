"""detap.mask / detap._mask against pycocotools 2.0.11, bit for bit.

Masks, RLE strings, areas, boxes, merges and IoUs (this file); polygons,
boxes as masks, uncompressed RLEs and malformed strings are in
test_mask_fuzz.py.  Every comparison is exact: equal dicts and bytes, and
np.array_equal with the same dtype, shape and memory order.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detap.errors import DetapInputError
from tests.mask_support import (assert_same_outcome, assert_same_value, masks, our_api,
                                our_mask, random_masks, ref_api, ref_mask, rles_of)

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ============================================================ encode / decode


@SETTINGS
@given(masks())
def test_encode_decode_area_bbox_match(m):
    rles = assert_same_outcome("encode", m)[1]
    assert rles == ref_mask.encode(m)
    if m.shape[0] * m.shape[1]:
        back = assert_same_outcome("decode", rles)[1]
        assert np.array_equal(back, m)
    assert_same_outcome("area", rles)
    assert_same_outcome("toBbox", rles)


@SETTINGS
@given(masks(n=st.just(1)))
def test_single_mask_api_matches(m):
    """mask.encode / decode / area / toBbox on one (h, w) mask and one RLE."""
    two_d = np.asfortranarray(m[:, :, 0])
    rle = assert_same_outcome("api.encode", two_d)[1]
    assert isinstance(rle, dict)
    if two_d.size:
        assert_same_outcome("api.decode", rle)
    assert_same_outcome("api.area", rle)
    assert_same_outcome("api.toBbox", rle)
    assert_same_outcome("api.encode", m)
    assert_same_outcome("api.area", [rle, rle])


@pytest.mark.parametrize("dtype", [np.uint8, np.bool_])
def test_encode_values_other_than_one(dtype):
    """Runs end wherever the byte changes: 2 and 3 start runs of their own."""
    m = np.array([0, 2, 1, 1, 3, 0, 0, 255, 255], np.uint8).reshape(3, 3, 1, order="F")
    m = np.asfortranarray(m.astype(dtype))
    assert_same_outcome("encode", m)
    assert_same_outcome("api.encode", m[:, :, 0])


@pytest.mark.parametrize("arg", [
    np.zeros((3, 4, 2), np.uint8),                      # C order: refused
    np.zeros((3, 4), np.uint8),                         # 2-D to _mask.encode
    np.zeros((3, 4, 2), np.int8, order="F"),
    np.zeros((3, 4, 2), np.float64, order="F"),
    np.zeros((4, 4, 2), np.uint8, order="F")[::2],      # not contiguous
    [[[0]]],
    np.zeros((0, 3, 2), np.uint8, order="F"),
    np.zeros((3, 3, 0), np.uint8, order="F"),
])
def test_encode_refuses_and_accepts_what_pycocotools_does(arg):
    assert_same_outcome("encode", arg)


@pytest.mark.parametrize("arg", [
    np.zeros((3, 4), np.uint8),            # a C-ordered 2-D mask: ValueError
    np.zeros((3, 4), np.uint8, order="F"),
    np.zeros(5, np.uint8),                 # 1-D: None
    np.zeros((2, 2, 1, 1), np.uint8),      # 4-D: None
])
def test_api_encode_shapes(arg):
    assert_same_outcome("api.encode", arg)


def test_read_only_and_bool_masks():
    m = random_masks(7, 5, 3, "random", .4, 1)
    m.flags.writeable = False
    assert_same_outcome("encode", m)
    assert_same_outcome("encode", np.asfortranarray(m.astype(bool)))


def test_decode_of_empty_list_is_defined():
    """pycocotools returns an array of garbage shape; detap a (0, 0, 0) one."""
    out = our_mask.decode([])
    assert out.shape == (0, 0, 0) and out.dtype == np.uint8


@pytest.mark.parametrize("counts,size", [
    ([b"5"], [2, 2]),               # one too many: ValueError in both
    ([b"5", b"3"], [2, 2]),         # together they fit: both return
    ([b"4"], [0, 0]),
    ([b"0"], [0, 7]),
])
def test_decode_counts_not_adding_up(counts, size):
    """Where pycocotools' result is defined: the counts fill all masks
    exactly, or overflow them (ValueError)."""
    assert_same_outcome("decode", [{"size": size, "counts": c} for c in counts])


def test_decode_keeps_each_mask_in_its_slice():
    """A short RLE leaves the rest of its mask 0 and does not shift the next
    (pycocotools' pointer runs on: undefined bytes)."""
    rles = [{"size": [2, 2], "counts": b"3"}, {"size": [2, 2], "counts": b"13"}]
    out = our_mask.decode(rles)
    assert out[:, :, 0].tolist() == [[0, 0], [0, 0]]
    assert out[:, :, 1].T.ravel().tolist() == [0, 1, 1, 1]
    long = [{"size": [2, 2], "counts": b"05"}, {"size": [2, 2], "counts": b"1"}]
    out = our_mask.decode(long)  # 5 + 1 <= 8 pixels in all: no error, cut at 4
    assert out[:, :, 0].all() and not out[:, :, 1].any()


def test_counts_as_str_and_sizes_as_other_numbers():
    m = random_masks(6, 7, 2, "random", .5, 3)
    rles = ref_mask.encode(m)
    as_str = [{"size": r["size"], "counts": r["counts"].decode()} for r in rles]
    for fn in ("decode", "area", "toBbox", "merge"):
        assert_same_outcome(fn, as_str)
    for size in ([6.0, 7], (6, 7), np.array([6, 7]), [np.int64(6), np.uint8(7)], ["6", 7],
                 [-6, 7]):
        assert_same_outcome("area", [{"size": size, "counts": rles[0]["counts"]}])


@pytest.mark.parametrize("objs", [
    [{"size": [2, 2]}], [{"counts": b"4"}], [{"size": [2, 2], "counts": [4]}],
    [{"size": [2, 2], "counts": bytearray(b"4")}], [{"size": [2, 2], "counts": None}],
    ({"size": [2, 2], "counts": b"13"},), {"size": [2, 2], "counts": b"13"}, None, 5,
    (r for r in [{"size": [2, 2], "counts": b"13"}]),
])
@pytest.mark.parametrize("fn", ["area", "toBbox", "decode", "merge"])
def test_bad_rle_objects_raise_as_in_pycocotools(fn, objs):
    assert_same_outcome(fn, objs)


def test_boxes_where_pycocotools_is_undefined_or_wraps():
    """All 1-runs empty: pycocotools' uint32 wrap (compared); a 1-run in a
    mask of height 0: pycocotools divides by zero, detap skips the run."""
    empty_ones = ref_mask.frUncompressedRLE([{"size": [2, 3], "counts": [6, 0]}], 2, 3)
    assert_same_outcome("toBbox", empty_ones)
    assert our_mask.toBbox(empty_ones).tolist() == [[3, 2, 2**32 - 2, 2**32 - 1]]
    flat = {"size": [0, 5], "counts": b"12"}
    assert our_mask.toBbox([flat]).tolist() == [[5, 0, 2**32 - 4, 1]]


def test_huge_sizes_are_refused():
    with pytest.raises(OverflowError):
        our_mask.area([{"size": [2**32, 1], "counts": b"0"}])
    with pytest.raises(OverflowError):
        our_mask.frPoly([[0, 0, 1, 0, 1, 1]], 1, 2**32)


# ===================================================================== merge


@st.composite
def same_size_rles(draw, min_n=1, max_n=5):
    m = draw(masks(n=st.integers(min_n, max_n)))
    return rles_of(m)


@SETTINGS
@given(same_size_rles(), st.sampled_from([0, 1, True, False]))
def test_merge_matches(rles, intersect):
    assert_same_outcome("merge", rles, intersect)
    assert_same_outcome("merge", rles, intersect=intersect)


def test_merge_edge_cases():
    a = {"size": [2, 2], "counts": b"13"}
    assert_same_outcome("merge", [])
    assert_same_outcome("merge", [a])
    assert_same_outcome("merge", [a, {"size": [1, 1], "counts": b"1"}])  # sizes differ
    assert_same_outcome("merge", [a, a], 0.5)
    assert_same_outcome("merge", [a, a], None)


def test_merge_of_malformed_lengths_terminates():
    """pycocotools loops forever (or dereferences NULL for empty counts);
    detap treats the shorter RLE as 0s after its end."""
    a, short, empty = ({"size": [2, 2], "counts": c} for c in (b"13", b"12", b""))
    assert our_mask.merge([a, short]) == our_mask.merge([a, a])
    assert our_mask.merge([a, short], 1)["counts"] == b"121"
    assert our_mask.merge([empty, a]) == our_mask.merge([a, a])
    assert our_mask.merge([a, empty], 1)["counts"] == b"4"


# ======================================================================= iou

SIZES = st.sampled_from([(8, 8), (8, 9), (9, 8)])


@st.composite
def rle_sets(draw, max_n=5, mixed=True):
    def side():
        out = []
        for _ in range(draw(st.integers(0, max_n))):
            h, w = draw(SIZES) if mixed else (8, 8)
            kind = draw(st.sampled_from(["random", "blob", "zeros", "ones", "border"]))
            m = random_masks(h, w, 1, kind, draw(st.floats(0, 1)), draw(st.integers(0, 2**32)))
            out += rles_of(m)
        return out
    return side(), side()


def crowd_forms(draw, n):
    flags = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return draw(st.sampled_from([flags, [bool(f) for f in flags],
                                 np.array(flags, np.uint8), np.array(flags, bool)]))


@SETTINGS
@given(st.data(), st.booleans())
def test_rle_iou_matches(data, mixed):
    dt, gt = data.draw(rle_sets(mixed=mixed))
    crowd = crowd_forms(data.draw, len(gt))
    assert_same_outcome("iou", dt, gt, crowd)


@st.composite
def odd_counts(draw, total):
    """Counts adding up to `total`, with 0s anywhere (pycocotools' walk stops
    early where both RLEs' runs end on a 0 together)."""
    cuts = sorted(draw(st.lists(st.integers(0, total), max_size=12)))
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


@SETTINGS
@given(st.data(), st.sampled_from([(6, 7), (1, 9), (5, 5)]), st.booleans(),
       st.sampled_from([0, 1]))
def test_rle_iou_of_irregular_counts_matches(data, hw, full, crowd):
    """The IoU takes a faster walk over the 1-runs when both RLEs are plain
    (no 0 after the first count, summing to h * w); zeros inside the counts,
    and counts of another total (both the same one: else pycocotools never
    returns), take pycocotools' own walk and give its values."""
    h, w = hw
    total = h * w if full else data.draw(st.integers(0, h * w + 5))
    dt = [data.draw(odd_counts(total)) for _ in range(data.draw(st.integers(1, 3)))]
    gt = [data.draw(odd_counts(total)) for _ in range(data.draw(st.integers(1, 3)))]
    rle = lambda c: ref_mask.frUncompressedRLE([{"size": [h, w], "counts": c}], h, w)[0]
    assert_same_outcome("iou", [rle(c) for c in dt], [rle(c) for c in gt], [crowd] * len(gt))


def test_rle_iou_minus_one_and_crowd_by_hand():
    a = rles_of(random_masks(8, 8, 1, "ones", 1, 0))
    b = rles_of(random_masks(8, 9, 1, "ones", 1, 0))
    c = rles_of(np.asfortranarray(np.pad(np.ones((4, 8, 1), np.uint8), ((0, 4), (0, 0), (0, 0)))))
    o = our_mask.iou(a + c, b + a, [0, 1])
    assert o.tolist() == [[-1.0, 1.0], [-1.0, 1.0]]  # c inside crowd a: 32 / 32
    assert our_mask.iou(a, c, [0]).tolist() == [[0.5]]
    assert_same_outcome("iou", a + c, b + a, [0, 1])


@st.composite
def box_lists(draw, max_n=5):
    val = st.one_of(st.floats(-5, 20, allow_nan=False, allow_infinity=False),
                    st.integers(-5, 20).map(float))
    return draw(st.lists(st.lists(val, min_size=4, max_size=4), max_size=max_n))


@SETTINGS
@given(box_lists(), box_lists(), st.data())
def test_box_iou_matches(dt, gt, data):
    crowd = crowd_forms(data.draw, len(gt))
    assert_same_outcome("iou", dt, gt, crowd)
    assert_same_outcome("iou", np.array(dt).reshape(-1, 4), np.array(gt).reshape(-1, 4), crowd)
    if dt and gt:
        assert_same_outcome("iou", np.array(dt, np.float32), gt, crowd)  # mixed: Exception


def test_box_iou_reads_other_memory_orders_by_index():
    """pycocotools reads a Fortran-ordered box array's memory as C order;
    detap reads it by index (the C-order answer)."""
    dt = np.array([[1, 1, 2, 2.], [0, 0, 1, 3]])
    gt = np.array([[1, 1, 2, 2.]])
    want = ref_mask.iou(dt, gt, [0])
    assert np.array_equal(our_mask.iou(np.asfortranarray(dt), gt, [0]), want)
    assert np.array_equal(our_mask.iou(dt[::-1][::-1], gt, [0]), want)


@pytest.mark.parametrize("dt,gt,crowd", [
    ([], [], []),
    (np.zeros((0, 4)), np.ones((2, 4)), [0, 0]),
    (np.ones((1, 4)), np.ones((2, 4)), [0]),            # crowd length: AssertionError
    (np.ones((1, 4)), np.ones((2, 4)), True),           # 0-d crowd
    (np.ones((1, 4)), np.ones((2, 4)), [True, False]),
    (np.ones((1, 4)), np.ones((1, 4)), [2]),
    (np.ones((1, 4)), np.ones((1, 4)), [-1]),           # OverflowError
    (np.ones((1, 4)), np.ones((1, 4)), [0.7]),
    (np.ones((1, 4)), np.ones((1, 4)), None),
    (np.ones(4), np.ones((2, 4)), [0, 0]),              # 1-D: pycocotools' odd reshape
    (np.array([4, 1, 1, 1]), np.ones((2, 4)), [0, 0]),
    (np.ones((2, 5)), np.ones((2, 4)), [0, 0]),
    ([1, 1, 2, 2], [[1, 1, 2, 2]], [0]),                # a flat box: TypeError
    (((1, 1, 2, 2),), [[1, 1, 2, 2]], [0]),             # a tuple
    ({"size": [2, 2], "counts": b"4"}, [[1, 1, 2, 2]], [0]),
    (None, [[1, 1, 2, 2]], [0]),
    ([[1, 1, 2, 2]], [{"size": [5, 5], "counts": b"5"}], [0]),
    ([[1, 1, 2, 2], {"size": [5, 5], "counts": b"5"}], [[1, 1, 2, 2]], [0]),
    ([[[1], [1], [2], [2]]], [[1, 1, 2, 2]], [0]),      # 3-D boxes
    ([np.array([1, 1, 2, 2.])], [[0, 0, 3, 3]], [1]),
    ([[1, 1, 2, 2]], [[1, 1, 2, 2], [0, 0, 3, 3]], [0, 1]),
])
def test_iou_arguments_as_pycocotools(dt, gt, crowd):
    assert_same_outcome("iou", dt, gt, crowd)


def test_iou_of_malformed_lengths_terminates():
    a, short = {"size": [2, 2], "counts": b"13"}, {"size": [2, 2], "counts": b"121"}
    assert our_mask.iou([a], [{"size": [2, 2], "counts": b"12"}], [0]).tolist() == [[2 / 3]]
    assert_same_outcome("iou", [a], [short], [1])


# ============================================================== install


def test_install_as_pycocotools_without_pycocotools():
    """With pycocotools not importable at all, install_as_pycocotools()
    provides pycocotools.mask and pycocotools._mask."""
    code = r"""
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "pycocotools" or name.startswith("pycocotools."):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import numpy as np
import detap.coco
names = detap.coco.install_as_pycocotools()
sys.meta_path.pop(0)
from pycocotools import mask as maskUtils
import pycocotools._mask as _mask
import detap.mask
assert maskUtils is detap.mask and "pycocotools.mask" in names and "pycocotools._mask" in names
rle = maskUtils.frPyObjects([[1, 1, 6, 1, 6, 4]], 8, 9)
assert maskUtils.area(maskUtils.merge(rle)) == 7  # as pycocotools
assert _mask.iou(rle, rle, [0]).tolist() == [[1.0]]
print("OK")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=str(Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "OK"


def test_detap_input_error_is_a_pycocotools_exception_type():
    assert issubclass(DetapInputError, Exception)
    assert issubclass(DetapInputError, ValueError)
    assert_same_value(our_api.toBbox(ref_api.encode(np.ones((3, 3), np.uint8, order="F"))),
                      np.array([0., 0., 3., 3.]))
