"""detap._mask against pycocotools 2.0.11 on generated shapes and strings:
polygons (frPoly, frPyObjects, annToRLE's merge of parts), boxes (frBbox),
uncompressed RLEs, and compressed counts strings, well-formed or not.

Polygons are where exactness is fragile (pycocotools rasterises on a grid 5
times finer, rounds with truncation toward zero, and keeps only centre
crossings), so they get the most examples: coordinates on and beside the
rounding boundaries (multiples of 0.1), outside the image, negative, far
away (1e5), and repeated, collinear or self-intersecting outlines.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from detap.errors import DetapInputError
from tests.mask_support import (assert_same_outcome, boxes, coords, our_mask, polygons,
                                ref_mask, uncompressed)

SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
SMALL = st.tuples(st.integers(0, 40), st.integers(0, 40))
DIMS = st.one_of(SMALL, st.just((480, 640)), st.sampled_from([(0, 0), (1, 1), (3, 0), (0, 3)]))


# ================================================================== polygons


@SETTINGS
@given(polygons(), DIMS)
def test_polygon_pixels_match(parts, dims):
    h, w = dims
    rles = assert_same_outcome("frPoly", parts, h, w)[1]
    assert_same_outcome("frPyObjects", parts, h, w)
    if w:  # (for w == 0 the parts' counts add up to different lengths: pycocotools hangs)
        assert_same_outcome("merge", rles)  # COCO.annToRLE: the parts' union


@SETTINGS
@given(polygons(max_parts=1, max_points=4,
                coord=st.integers(-3, 45).map(lambda k: k / 5 - 0.1)), SMALL)
def test_polygons_on_rounding_boundaries(parts, dims):
    """Vertices where 5 x + .5 is an integer: pycocotools' (int) cast
    decides, negative ones rounding the other way."""
    assert_same_outcome("frPoly", parts, *dims)


@SETTINGS
@given(st.lists(st.tuples(coords, coords), min_size=1, max_size=3), SMALL)
def test_degenerate_polygons(points, dims):
    """1, 2 and 3 points, through frPoly (frPyObjects would read 4 numbers
    as a box and refuse the list)."""
    flat = [v for p in points for v in p]
    assert_same_outcome("frPoly", [flat], *dims)
    assert_same_outcome("frPoly", [flat + flat[:2]], *dims)  # closed by a repeated point


@pytest.mark.parametrize("poly", [
    [1, 1, 8, 1, 8, 6, 1, 6],                     # a rectangle
    [0, 0, 10, 10, 10, 0, 0, 10],                 # a bow tie (self-intersecting)
    [2, 2, 12, 2, 7, 4, 12, 12, 2, 12],           # concave
    [-5, -5, 50, -5, 50, 50, -5, 50],             # covers the image
    [3, 3, 3, 3, 3, 3],                           # one point three times
    [1, 1, 5, 5, 9, 9],                           # collinear
    [0.4, 0.4, 5.6, 0.4, 5.6, 7.6],               # on the .5 boundaries after scaling
    [-0.1, -0.1, 4.9, -0.1, 4.9, 4.9],
    [1e5, 1e5, -1e5, 2, 3, -1e5],                 # far outside
    [2, -1e5, 3, 1e5, 4, 0],                      # steep and long
    [1, 2, 3, 4, 5, 6, 7],                        # odd length: last value ignored
    [],
    [1, 2],
])
@pytest.mark.parametrize("dims", [(12, 10), (10, 12), (0, 5), (5, 0), (1, 1)])
def test_polygons_by_hand(poly, dims):
    assert_same_outcome("frPoly", [poly], *dims)


def _comb(teeth, x0, x1, y0, y1):
    """A comb: `teeth` spikes between columns x0 and x1, each from y0 down
    to y1, so every column in a spike's span is crossed twice per tooth."""
    xs = np.linspace(x0, x1, 2 * teeth + 1)
    pts = [(x0, y0 - 1.3)]
    for k, x in enumerate(xs):
        pts.append((x, y1 if k % 2 else y0))
    pts.append((x1, y0 - 1.3))
    return [v for p in pts for v in p]


@pytest.mark.parametrize("poly, dims", [
    (_comb(40, 3.3, 9.7, 2.1, 470.4), (480, 640)),      # many toggles in a few columns
    (_comb(400, 1.1, 630.8, 5.2, 474.9), (480, 640)),   # thousands of toggles, all columns
    (_comb(3, 1.1, 630.8, 5.2, 474.9), (480, 640)),     # long shallow edges
    (_comb(300, 0.3, 20.9, -40.0, 900.0), (480, 640)),  # steep edges far outside
    (_comb(200, -50.7, 700.2, 0.4, 479.6), (480, 640)),
    ([1e5, 3, -1e5, 7, 3, 400, 9, 2], (480, 640)),      # steep, long, and clipped
])
def test_polygons_with_many_toggles(poly, dims):
    """The toggles' sort takes buckets of a few per column, with a radix sort
    for crowded ones; every mix of both against pycocotools."""
    assert_same_outcome("frPoly", [poly], *dims)
    assert_same_outcome("frPoly", [poly[::-1]], *dims)  # (x, y) swapped: the other axis


def test_polygon_arguments_as_pycocotools():
    for args in ([[(1, 1, 3, 1, 3, 3)], 5, 5], [[np.array([1, 1, 3, 1, 3, 3.])], 5, 5],
                 [[np.array([1, 1, 3, 1, 3, 3], np.float32)], 5, 5],
                 [[[[1, 1], [3, 1], [3, 3]]], 5, 5], [["abc"], 5, 5], [[[1, 1, 3, 1, 3, 3]], -5, 5],
                 [[[1, 1, 3, 1, 3, 3]], 5.0, 5], [[[1, 1, 3, 1, 3, 3]], "5", 5], [[], 5, 5],
                 [(p for p in [[1, 1, 3, 1, 3, 3]]), 5, 5]):
        assert_same_outcome("frPoly", *args)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 4.3e8, -4.3e8])
def test_polygon_coordinates_without_defined_result_raise(bad):
    """pycocotools' (int) conversion is undefined there (it ran out of
    memory on NaN when tried); detap refuses with DetapInputError."""
    with pytest.raises(DetapInputError):
        our_mask.frPoly([[1, 1, bad, 1, 3, 3]], 5, 5)
    with pytest.raises(DetapInputError):
        our_mask.frBbox(np.array([[1, 1, bad, 2.]]), 5, 5)


def test_largest_accepted_coordinates():
    """Just inside the int32 range after scaling, no memory for the outline."""
    poly = [[2, 2, 4.29e8, 3, 5, -4.29e8]]
    rle = our_mask.frPoly(poly, 30, 20)[0]
    assert rle["size"] == [30, 20] and our_mask.area([rle])[0] > 0


# ==================================================================== boxes


@SETTINGS
@given(boxes, DIMS)
def test_boxes_as_masks_match(bbs, dims):
    arr = np.array(bbs, dtype=np.double).reshape(-1, 4)
    assert_same_outcome("frBbox", arr, *dims)
    assert_same_outcome("frPyObjects", arr, *dims)
    if len(bbs):
        assert_same_outcome("frPyObjects", [list(b) for b in bbs], *dims)  # TypeError in both


def test_box_arguments_as_pycocotools():
    for bb in ([[1, 1, 2, 2]], np.array([[1, 1, 2, 2]]), np.array([1, 1, 2, 2.]),
               np.array([[1, 1, 2, 2]], np.float32), np.zeros((0, 4)), np.zeros((0, 3))):
        assert_same_outcome("frBbox", bb, 5, 5)
    ro = np.array([[1, 1, 2, 2.]])
    ro.flags.writeable = False
    assert_same_outcome("frBbox", ro, 5, 5)


def test_box_arrays_in_other_orders_are_read_by_index():
    """pycocotools reads the memory as C order (and past the end of an
    (n, 3) array); detap reads by index and refuses other widths."""
    bb = np.array([[1, 1, 2, 2.], [0, 0, 1, 3]])
    assert our_mask.frBbox(np.asfortranarray(bb), 5, 5) == ref_mask.frBbox(bb, 5, 5)
    with pytest.raises(DetapInputError):
        our_mask.frBbox(np.ones((2, 3)), 5, 5)


# ========================================================= uncompressed RLE


@SETTINGS
@given(st.lists(uncompressed(), min_size=1, max_size=4), st.booleans())
def test_uncompressed_rles_match(ucs, single):
    h, w = ucs[0]["size"]
    obj = ucs[0] if single else ucs
    rles = assert_same_outcome("frPyObjects", obj, h, w)[1]
    rles = [rles] if single else rles
    assert_same_outcome("frUncompressedRLE", ucs, h, w)
    for fn in ("area", "toBbox"):
        assert_same_outcome(fn, rles)
    assert_same_outcome("merge", rles[:1])
    counts = [uc["counts"] for uc in ([obj] if single else ucs)]
    # pycocotools' merge stops at the first RLE of another size; before that,
    # it keeps its counts in h * w + 1 slots, which zero-length runs can
    # overflow (a heap overflow in the test process), and its loop can spin
    # forever: only the inputs where neither happens go to it
    n = next((i for i, r in enumerate(rles) if r["size"] != rles[0]["size"]), len(rles))
    h0, w0 = rles[0]["size"]
    if sum(len(c) + 1 for c in counts[:n]) <= h0 * w0 + 1 and _merge_ends(counts[:n]):
        assert_same_outcome("merge", rles)
    else:
        our_mask.merge(rles)  # detap returns on these
    same_size = [r for r in rles if r["size"] == rles[0]["size"]]
    if h * w:
        assert_same_outcome("decode", same_size)
    if all(_run_pair(a, b) is not None for a in counts for b in counts):
        assert_same_outcome("iou", rles, rles, [0] * len(rles))
    else:
        our_mask.iou(rles, rles, [0] * len(rles))


def _run_pair(a, b):
    """pycocotools' walk over two run-length lists (the loop of rleMerge's
    union and of rleIou), transcribed: the union's counts, or None where the
    loop never ends (one list is used up while the other still holds pixels,
    which happens when both hit zero-length runs at once and the walk stops
    early, leaving a short result for the next merge)."""
    if not a or not b:
        return []
    ca, cb, va, vb, v, ia, ib, cc, ct, out = a[0], b[0], 0, 0, 0, 1, 1, 0, 1, []
    while ct > 0:
        c = min(ca, cb)
        if c == 0 and ((ca == 0 and ia == len(a) and cb) or (cb == 0 and ib == len(b) and ca)):
            return None
        cc += c
        ca -= c
        if not ca and ia < len(a):
            ca, va, ia = a[ia], not va, ia + 1
        cb -= c
        if not cb and ib < len(b):
            cb, vb, ib = b[ib], not vb, ib + 1
        ct = ca + cb
        vp, v = v, va or vb
        if v != vp or ct == 0:
            out.append(cc)
            cc = 0
    return out


def _merge_ends(counts):
    """Whether pycocotools' union of these run-length lists returns."""
    acc = counts[0]
    for c in counts[1:]:
        acc = _run_pair(acc, c)
        if acc is None:
            return False
    return True


@SETTINGS
@given(st.lists(st.one_of(st.integers(0, 40), st.integers(0, 2**32 - 1)), min_size=1, max_size=8),
       st.integers(1, 9), st.integers(1, 9))
def test_huge_counts_round_trip_as_in_pycocotools(counts, h, w):
    """Counts up to 2**32 - 1: the strings, and what reading them back gives
    (pycocotools' reader garbles some 7-character negative differences: so
    does detap's, on purpose)."""
    uc = {"size": [h, w], "counts": counts}
    assume(_fits_reference_buffer(our_mask.frUncompressedRLE([uc], h, w)[0]["counts"], counts))
    rle = assert_same_outcome("frUncompressedRLE", [uc], h, w)[1][0]
    assert_same_outcome("merge", [rle])  # one RLE: counts read, then written again
    assert_same_outcome("area", [rle])
    assert_same_outcome("toBbox", [rle])


@SETTINGS
@given(st.lists(st.one_of(st.integers(0, 70000), st.integers(0, 2**32 - 1)), min_size=2, max_size=10),
       st.one_of(st.sampled_from([1, 2, 3, 7, 2**16 - 1, 2**16 + 1, 2**31 - 1, 2**31, 2**32 - 1]),
                 st.integers(1, 2**32 - 1)))
def test_boxes_of_tall_masks_as_pycocotools(counts, h):
    """toBbox divides run positions by the mask's height (detap by a
    multiply-high, exact for every uint32 position and height): heights up
    to 2**32 - 1 and positions that wrap give pycocotools' boxes."""
    uc = {"size": [h, 1], "counts": counts}
    assume(_fits_reference_buffer(our_mask.frUncompressedRLE([uc], h, 1)[0]["counts"], counts))
    rle = assert_same_outcome("frUncompressedRLE", [uc], h, 1)[1][0]
    assert_same_outcome("toBbox", [rle])
    assert_same_outcome("area", [rle])


def test_uncompressed_arguments_as_pycocotools():
    for objs in ([{"size": [2, 2], "counts": [-1, 5]}], [{"size": [2, 2], "counts": [1.7, 2.2]}],
                 [{"size": [2, 2], "counts": []}], [{"size": (2, 2), "counts": (1, 2, 1)}],
                 [{"size": [2, 2], "counts": np.array([1, 2, 1])}],
                 [{"size": [2, 2], "counts": [[1, 2]]}], [{"size": [2, 2], "counts": b"12"}],
                 [{"size": [2, 2], "counts": [2**32]}]):
        assert_same_outcome("frUncompressedRLE", objs, 2, 2)
    assert_same_outcome("frUncompressedRLE", [{"size": [2, 2], "counts": [4]}], "2", 2)


@pytest.mark.parametrize("pyobj", [
    [[1, 1, 2, 2, 3, 1], {"size": [5, 5], "counts": [25]}],   # polygon first: TypeError
    [{"size": [5, 5], "counts": [25]}, [1, 1, 2, 2, 3, 1]],   # dict first
    [{"size": [5, 5], "counts": [25]}, {"size": [5, 5], "counts": [5, 20]}],
    [[1, 1, 2, 2], [1, 1, 2, 2, 3, 1]],                       # a box first
    [np.array([1, 1, 2, 2, 3, 1.]), [1, 1, 3, 3, 0, 4]],
    [1, 1, 2, 2], [1, 1, 2, 2, 3, 1],                          # single flat objects
    {"size": [5, 5], "counts": [25]}, {"size": [5, 5], "counts": b"25"}, {"size": [5, 5]},
    [], [[1, 2], [3, 4], [5, 6], [7, 8]], [[1, 2], [3, 4], [5, 6], [7, 8], [9, 0]],
    np.array([[1, 1, 2, 2.]]), np.array([1, 1, 2, 2.]), np.array([[1, 1, 2, 2]]),
    np.array([[1, 1, 2, 2.]]).view(type("Sub", (np.ndarray,), {})),
    (1, 1, 2, 2), None, "abc",
])
def test_frpyobjects_dispatch_as_pycocotools(pyobj):
    assert_same_outcome("frPyObjects", pyobj, 5, 5)


# ======================================================= compressed strings

LAST = [bytes([b]) for b in range(1, 256) if (b - 48) & 0x20 == 0]  # no "more" bit


@SETTINGS
@given(st.binary(max_size=24).filter(lambda s: b"\0" not in s), st.sampled_from(LAST),
       st.integers(1, 9), st.integers(1, 9))
def test_any_complete_string_reads_as_in_pycocotools(body, last, h, w):
    """Random bytes (any value, not only the 64 characters COCO writes),
    ending with a byte that closes its value: pycocotools reads them
    deterministically, and detap the same way, wrap-around included.  A
    string with a value still open at its end is the truncated case below."""
    s = body + last
    assume(_complete(s))
    rle = {"size": [h, w], "counts": s}
    assume(_fits_reference_buffer(our_mask.merge([rle])["counts"], _values(s)))
    for fn in ("merge", "area", "toBbox"):
        assert_same_outcome(fn, [rle])
    assert_same_outcome("iou", [rle], [rle], [1])


def _values(s):
    """The counts a string holds: one per byte without the "more" bit."""
    return [b for b in s.split(b"\0")[0] if (b - 48) & 0x20 == 0]


def _fits_reference_buffer(text, counts):
    """Whether pycocotools can write this string: it allocates 6 bytes per
    count (and the NUL), but a count can take 7, and writing past the
    allocation could corrupt the test process's heap."""
    return len(text) + 1 <= 6 * len(counts)


def _complete(s):
    """Whether every value of s ends before s does (pycocotools' reader
    would otherwise run past the end)."""
    s = s.split(b"\0")[0]
    return not s or (s[-1] - 48) & 0x20 == 0


@SETTINGS
@given(st.binary(min_size=1, max_size=24))
def test_malformed_strings_never_crash(s):
    """Any bytes, NUL and truncation included: a result or DetapInputError
    (when a value is still open at the end); never a crash."""
    rle = {"size": [3, 4], "counts": s}
    for fn in (our_mask.area, our_mask.toBbox, our_mask.merge, our_mask.decode):
        try:
            fn([rle])
        except DetapInputError:
            assert not _complete(s)
        except ValueError as e:  # decode: more pixels than the mask holds
            assert fn is our_mask.decode and "Invalid RLE" in str(e)
    try:
        our_mask.iou([rle], [rle, {"size": [3, 4], "counts": b"1"}], [0, 1])
        our_mask.merge([rle, {"size": [3, 4], "counts": b"1"}], 1)
    except DetapInputError:
        assert not _complete(s)


@pytest.mark.parametrize("s", [b"1P", b"P", b"o", b"1234o", b"12P\x0034", b"oooooooooooo"])
def test_truncated_strings_raise(s):
    """pycocotools reads past the end of these (different results on each
    call); detap refuses them."""
    with pytest.raises(DetapInputError, match="truncated"):
        our_mask.area([{"size": [2, 2], "counts": s}])


def test_nul_ends_the_string_and_odd_bytes_read_as_in_pycocotools():
    # (each re-encoded string fits the 6 bytes a count pycocotools allocates)
    for s in (b"12\x0034", b"12 34", b"\xff\xfe1", b"PPPPPPPP1", b"1PPPPPPPPL2",
              b"1oooooooooooooo0", b"12PPPPPPPL"):
        assert _fits_reference_buffer(our_mask.merge([{"size": [2, 2], "counts": s}])["counts"],
                                      _values(s))
        assert_same_outcome("merge", [{"size": [2, 2], "counts": s}])
        assert_same_outcome("area", [{"size": [2, 2], "counts": s}])


@SETTINGS
@given(st.lists(st.integers(0, 12), min_size=1, max_size=8), st.integers(1, 9))
def test_decode_of_any_counts_is_safe(counts, h):
    """Counts adding up to anything: decode never writes outside the mask;
    it cuts at h * w, leaves 0s after the end, and raises ValueError as
    pycocotools does when they overflow."""
    rle = our_mask.frUncompressedRLE([{"size": [h, 3], "counts": counts}], h, 3)[0]
    total = sum(counts)
    if total > 3 * h:
        with pytest.raises(ValueError):
            our_mask.decode([rle])
        return
    out = our_mask.decode([rle])[:, :, 0].T.ravel()
    want = np.repeat(np.arange(len(counts)) % 2, counts).astype(np.uint8)
    assert np.array_equal(out[:total], want) and not out[total:].any()
    if total == 3 * h:
        assert_same_outcome("decode", [rle])


def _read_counts(s):
    """pycocotools' rleFrString, transcribed: the counts of a complete
    string (up to a NUL), with its 32-bit wrap-around (shift counts mod 32,
    as on x86-64) and the differences from the fourth value on."""
    out, p, s = [], 0, s.split(b"\0")[0]
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = (s[p] - 48) & 0x3f
            x |= ((c & 0x1f) << (5 * k % 32)) & 0xFFFFFFFF
            more = bool(c & 0x20)
            p, k = p + 1, k + 1
            if not more and c & 0x10:
                x |= (0xFFFFFFFF << (5 * k % 32)) & 0xFFFFFFFF
        if len(out) > 2:
            x = (x + out[-2]) & 0xFFFFFFFF
        out.append(x)
    return out


def test_areas_read_without_counts_at_every_block_alignment():
    """rle_strings' area (eight one-character values summed at a time)
    equals the sum of the odd-numbered values the transcription reads, for
    strings whose runs of one-character values start after an odd or an
    even number of values, with longer values between them."""
    from detap import _core
    rng = np.random.default_rng(5)
    texts = []
    for _ in range(300):
        parts = [bytes([80 + int(rng.integers(0, 32)), 48 + int(rng.integers(0, 16))])
                 for _ in range(int(rng.integers(1, 4)))]  # two-character values first
        for _ in range(int(rng.integers(1, 6))):
            parts.append(bytes(48 + int(c) for c in rng.integers(0, 32, int(rng.integers(1, 30)))))
            parts.append(bytes([80 + int(rng.integers(0, 32)), 48 + int(rng.integers(0, 32))]))
        texts.append(b"".join(parts))
    blob = np.frombuffer(b"".join(texts), np.uint8).copy()
    lens = np.array([len(t) for t in texts], np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    n = len(texts)
    _, _, _, area = _core.rle_strings(blob, starts, lens, np.zeros(n, np.uint8),
                                      np.full(n, 9, np.uint32), np.full(n, 9, np.uint32), "t", 2)
    want = [float(int(np.array(_read_counts(t), np.uint64)[1::2].sum()) % 2**32) for t in texts]
    assert area.tolist() == want


PIECE = st.one_of(
    st.binary(min_size=1, max_size=12).map(lambda b: bytes(48 + x % 64 for x in b)
                                             .replace(b"\\", b"0").replace(b'"', b"0")),
    st.sampled_from([b"\\\\", b"\\/", b'\\"', b"\\n", b"\\u0041", b"\\u0000", b"\xc3\xa9"]))


@SETTINGS
@given(st.lists(st.lists(PIECE, max_size=30).map(b"".join), min_size=1, max_size=6))
def test_escaped_strings_read_as_json_text(raws):
    """rle_strings on JSON string bytes flagged as holding escapes: the
    area is that of the text Python's json reads (cut at its first NUL),
    whether C undoes the escapes (only \\\\ \\/ \\") or hands the string to
    Python (any other escape, a byte beyond ASCII)."""
    import json
    from detap import _core
    texts = [json.loads(b'"' + r + b'"').encode() for r in raws]
    texts = [t.split(b"\0")[0] for t in texts]
    counts = []
    for t in texts:
        try:
            counts.append(_read_counts(t))
        except IndexError:  # ends inside a value
            counts.append(None)
    blob = np.frombuffer(b"".join(raws), np.uint8).copy()
    lens = np.array([len(r) for r in raws], np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    n = len(raws)
    args = (blob, starts, lens, np.ones(n, np.uint8), np.full(n, 5, np.uint32),
            np.full(n, 5, np.uint32), "t", 2)
    if any(c is None for c in counts):
        with pytest.raises(DetapInputError):
            _core.rle_strings(*args)
        return
    st_, ln_, _, area = _core.rle_strings(*args)
    assert area.tolist() == [float(int(np.array(c, np.uint64)[1::2].sum()) % 2**32) for c in counts]
    assert [bytes(blob[a:a + b]) for a, b in zip(st_, ln_)] == texts


# one-character values (as most of a COCO-like mask's) and longer ones, in
# any mix: the reader takes eight one-character values at a time
SHORT = st.sampled_from([bytes([b]) for b in range(48, 80)])
LONG = st.builds(lambda body, last: body + last,
                 st.binary(min_size=1, max_size=7).map(lambda b: bytes(48 + 32 + x % 32 for x in b)),
                 SHORT)


@SETTINGS
@given(st.lists(st.one_of(SHORT, SHORT, SHORT, LONG), max_size=120), st.integers(0, 9))
def test_long_strings_decode_as_pycocotools_reads_them(values, pad):
    """Strings long enough for every word alignment, decoded by both C
    paths (rle_columns from the objects, decode_text_spans from one text
    blob), equal to the transcription of pycocotools' reader."""
    from detap import _core
    s = b"".join(values)
    want = np.array(_read_counts(s), np.uint32)
    counts, off = _core.rle_columns([{"size": [3, 4], "counts": s}], np.zeros(1, np.int64),
                                    np.zeros(1, np.int64), "t")[:2]
    assert np.array_equal(counts[off[0]:off[1]], want)
    blob = np.frombuffer(b"x" * pad + s + b"y" * pad, np.uint8).copy()
    got, off, _ = _core.decode_text_spans(blob, np.array([pad], np.int64),
                                          np.array([len(s)], np.int64),
                                          np.array([3], np.uint32), np.array([4], np.uint32), "t", 1)
    assert np.array_equal(got, want)
    # the area read without storing the counts (eight values at a time by
    # one multiply), and the box of the decoded string
    one = np.ones(1, np.uint32)
    st_, ln_, hw_, area = _core.rle_strings(blob.copy(), np.array([pad], np.int64),
                                            np.array([len(s)], np.int64), np.zeros(1, np.uint8),
                                            3 * one, 4 * one, "t", 1)
    assert area[0] == float(int(want[1::2].astype(np.uint64).sum()) % 2**32)
    boxes = _core.text_boxes(blob, st_, ln_, hw_, 1)
    assert np.array_equal(boxes, _core._rle_boxes(want, np.array([0, len(want)], np.int64),
                                                  hw_, 1)[0])


def test_cell_similarity_equals_mask_iou_on_counts_that_wrap():
    """The segm cell similarity (csrc/mask_cells.c) skips pycocotools' box
    prefilter only for two plain masks of one size; on counts that are not
    plain (zero runs, sums past h * w, positions that wrap in uint32) it
    gives what detap.mask.iou gives (box IoU first, as pycocotools), pair
    for pair, crowd or not."""
    from detap import _core
    rng = np.random.default_rng(1)
    fixed = ([{"size": [3, 2], "counts": b"iooooo3"}, {"size": [3, 2], "counts": b"15"}],
             [{"size": [3, 2], "counts": b"5mooooo3"}, {"size": [3, 2], "counts": b"nooooo3500"}],
             [1, 1])
    cases = [fixed]
    for _ in range(3000):
        h, w = int(rng.integers(1, 4)), int(rng.integers(1, 4))

        def rle():
            c = [int(x) for x in rng.integers(0, 6, int(rng.integers(1, 6)))]
            if rng.random() < .5:
                c[int(rng.integers(0, len(c)))] = 2**32 - int(rng.integers(1, 8))
            return {"size": [h, w], "counts": c}
        cases.append((our_mask.frPyObjects([rle(), rle()], h, w),
                      our_mask.frPyObjects([rle(), rle()], h, w),
                      [int(x) for x in rng.integers(0, 2, 2)]))
    for g, d, crowd in cases:
        h, w = g[0]["size"]
        gc, go, gh, gb, ga = _core.rle_columns(g, np.full(2, h), np.full(2, w), "g")
        dc, do, dh, db, _ = _core.rle_columns(d, np.full(2, h), np.full(2, w), "d")
        sim = _core.coco_similarity(gb, ga, np.array(crowd, np.uint8), db,
                                    masks=((gc, go, gh, gb), (dc, do, dh, db)))
        assert np.array_equal(sim, np.asarray(our_mask.iou(d, g, crowd))), (g, d, crowd)
