"""Ground-truth masks read by the C reader, against pycocotools.

A COCO file's polygons and compressed RLEs are read by detap's C reader
(csrc/cocojson.c: pv / plen / poly_*) and rasterised from those arrays, so
a segm evaluation never builds the annotation dicts.  Records the reader
does not take (uncompressed RLE, a first list of four numbers, sizes that
are not integers) send the whole file through Python's json, as before.
Either way the numbers must be pycocotools' (np.array_equal), and the C
path must give the same mask columns as the dict path.
"""
import contextlib
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402

from detap import _core  # noqa: E402
from detap import coco as dcoco  # noqa: E402
from detap.coco.masks import mask_columns, reader_mask_columns  # noqa: E402
from tests.coco_support import assert_same_cells, run_files  # noqa: E402
from tests.test_coco_segm import compressed, make_segm, polygon  # noqa: E402


def _compressed_crowds(gt):
    """make_segm's ground truth with every uncompressed RLE compressed (the
    reader's subset: polygons and compressed RLE)."""
    from pycocotools import mask as ref_mask
    for a in gt["annotations"]:
        s = a["segmentation"]
        if isinstance(s, dict) and isinstance(s["counts"], list):
            img = next(i for i in gt["images"] if i["id"] == a["image_id"])
            m = ref_mask.decode(ref_mask.frPyObjects(s, img["height"], img["width"]))
            a["segmentation"] = compressed(m)
    return gt


def _evaluate(tmp_path, gt, res):
    """(pycocotools, detap, whether detap evaluated without the dicts) on
    the files of gt and res."""
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    files = tmp_path / "gt.json", tmp_path / "res.json"
    ref = run_files(RefCOCO, RefCOCOeval, *files, "segm")
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(str(files[0]))
        ev = dcoco.COCOeval(cg, cg.loadRes(str(files[1])), "segm")
        ev.evaluate()
        without_dicts = cg._loader is not None
        ev.accumulate()
        ev.summarize()
    return ref, ev, without_dicts


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2 ** 32 - 1), kind=st.sampled_from(["rle", "rle_bbox", "poly_bbox"]))
def test_gt_masks_read_in_c_equal_pycocotools(tmp_path, seed, kind):
    gt, res = make_segm(seed, kind, n_images=6, n_cats=2)
    if not res:
        return
    ref, got, without_dicts = _evaluate(tmp_path, _compressed_crowds(gt), res)
    # (polygon results need the images' sizes: loadRes reads the GT's dicts)
    assert without_dicts or kind == "poly_bbox"
    assert_same_cells(ref, got)


def _one_image_gt(segs, h=23, w=31, size=None):
    size = size or {"height": h, "width": w}
    anns = [{"id": i + 1, "image_id": 7, "category_id": 1, "iscrowd": 0, "area": 50.0,
             "bbox": [0, 0, 5, 5], "segmentation": s} for i, s in enumerate(segs)]
    return {"images": [{"id": 3, **size}, {"id": 7, **size}], "annotations": anns,
            "categories": [{"id": 1, "name": "a"}]}


def _results_on(gt, rng):
    """Noisy compressed-RLE results over each GT polygon's box region."""
    h, w = gt["images"][1]["height"], gt["images"][1]["width"]
    res = []
    for k in range(6):
        m = rng.random((int(h), int(w))) < .3
        m[: 3 + k, : 5 + k] = True
        res.append({"image_id": 7, "category_id": 1, "score": float(rng.choice([.9, .5, .5 + k / 10])),
                    "segmentation": compressed(m)})
    return res


EDGE_POLYGONS = {
    # odd number of values: the last one is not read
    "odd": [[1, 1, 9, 1, 9, 9, 1]],
    # later parts with fewer than three points, and an empty one
    "short parts": [[0, 0, 10, 0, 10, 10, 0, 10], [3, 3], [], [4, 4, 5, 5]],
    # vertices far outside the image and on its border
    "outside": [[-40, -40, 80, -3, 31, 23, 0, 23]],
    "border": [[0, 0, 31, 0, 31, 23, 0, 23]],
    # integers, exponents, negative zero, long float reprs
    "number spellings": [[1e0, 2.5E+0, -0.0, 11, 7.000000000000001, 19.999999999999996, 3, 4]],
    "degenerate": [[5, 5, 5, 5, 5, 5]],
}


@pytest.mark.parametrize("name", sorted(EDGE_POLYGONS))
def test_edge_polygons(tmp_path, name):
    gt = _one_image_gt([EDGE_POLYGONS[name], [polygon(np.random.default_rng(1), 23, 31)]])
    res = _results_on(gt, np.random.default_rng(2))
    ref, got, without_dicts = _evaluate(tmp_path, gt, res)
    assert without_dicts
    assert_same_cells(ref, got)


@pytest.mark.parametrize("segs, size, in_c", [
    # a first list of four numbers: pycocotools reads boxes (and fails on them from JSON)
    ([[[1, 2, 3, 4]], [[1, 1, 9, 1, 9, 9]]], None, False),
    # uncompressed RLE
    ([{"size": [23, 31], "counts": [100, 50, 563]}, [[1, 1, 9, 1, 9, 9]]], None, False),
    # image sizes written as floats: integral ones are read in C, others are not
    ([[[1, 1, 9, 1, 9, 9]]], {"height": 23.0, "width": 31}, True),
    ([[[1, 1, 9, 1, 9, 9]]], {"height": 23.5, "width": 31}, False),
    ([[[1, 1, 9, 1, 9, 9]]], {"height": "23", "width": 31}, False),
])
def test_records_outside_the_reader_go_through_the_dicts(tmp_path, segs, size, in_c):
    """Whatever the C path does not take, the dict path decides: the same
    outcome as pycocotools (numbers, or an error on both sides)."""
    gt = _one_image_gt(segs, size=size)
    res = _results_on(gt, np.random.default_rng(3))
    try:
        ref = _evaluate_ref_only(tmp_path, gt, res)
    except Exception:  # noqa: BLE001 -- pycocotools fails: so must detap, clearly
        with pytest.raises(Exception) as e:
            _evaluate(tmp_path, gt, res)
        assert type(e.value).__name__ in ("DetapInputError", "TypeError")
        return
    _, got, without_dicts = _evaluate(tmp_path, gt, res)
    assert without_dicts == in_c
    assert_same_cells(ref, got)


def _evaluate_ref_only(tmp_path, gt, res):
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    return run_files(RefCOCO, RefCOCOeval, tmp_path / "gt.json", tmp_path / "res.json", "segm")


def test_polygon_on_an_image_without_size_is_an_input_error(tmp_path):
    gt = _one_image_gt([[[1, 1, 9, 1, 9, 9]]])
    del gt["images"][1]["height"]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(_results_on(_one_image_gt([]), np.random.default_rng(4))))
    from detap.errors import DetapInputError
    with pytest.raises(DetapInputError, match="height"), contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(str(tmp_path / "gt.json"))
        dcoco.COCOeval(cg, cg.loadRes(str(tmp_path / "res.json")), "segm").evaluate()


def test_repeated_segmentation_key_the_last_counts():
    """json keeps the last of a repeated key; so do the reader's columns."""
    doc = (b'{"images": [{"id": 1, "height": 9, "width": 9}], "categories": [{"id": 1}], '
           b'"annotations": [{"id": 1, "image_id": 1, "category_id": 1, '
           b'"segmentation": [[1, 1, 5, 1, 5, 5]], "segmentation": {"size": [9, 9], "counts": [3, 4, 74]}}, '
           b'{"id": 2, "image_id": 1, "category_id": 1, '
           b'"segmentation": {"size": [9, 9], "counts": "04"}, "segmentation": [[1, 1, 5, 1, 5, 5]]}]}')
    cols = _core.parse_coco_json(doc, copy_rle=True)
    assert cols["poly_count"].tolist() == [-1, 1]
    assert cols["rle_len"].tolist() == [-1, -1]


@st.composite
def polygon_docs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    h, w = draw(st.integers(0, 30)), draw(st.integers(0, 30))
    segs = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            m = rng.random((h, w)) < .4
            segs.append(compressed(m))
            continue
        parts = [polygon(rng, max(h, 4), max(w, 4))]
        for _ in range(draw(st.integers(0, 3))):
            n = draw(st.integers(0, 9))
            parts.append([float(v) for v in rng.uniform(-3, max(h, w) + 3, n)])
        segs.append(parts)
    return h, w, segs


@settings(max_examples=150, deadline=None)
@given(doc=polygon_docs(), threads=st.sampled_from([1, 2, 3]))
def test_reader_mask_columns_equal_the_dict_path(doc, threads):
    """The C reader's arrays give the same RLE columns as the records."""
    h, w, segs = doc
    gt = _one_image_gt(segs, h=h, w=w)
    cols = _core.parse_coco_json(json.dumps(gt).encode(), copy_rle=True)
    assert cols is not None
    n = len(segs)
    heights, widths = np.full(n, h), np.full(n, w)
    want = mask_columns(segs, [7] * n, {7: {"height": h, "width": w}}, "x")
    got = _core.reader_rle_columns(cols["rle_blob"], cols, heights, widths, "x", threads)
    for a, b in zip(got, (want.counts, want.off, want.hw, want.bbox, want.area)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert isinstance(reader_mask_columns(cols, heights, widths, "x"), type(want))


def test_reader_rle_columns_checks_its_layout():
    cols = _core.parse_coco_json(json.dumps(_one_image_gt([[[1, 1, 9, 1, 9, 9]]])).encode(),
                                 copy_rle=True)
    bad = dict(cols, plen=np.array([60]))  # more values than pv holds
    with pytest.raises(ValueError):
        _core.reader_rle_columns(cols["rle_blob"], bad, [9], [9], "x")
    bad = dict(cols, poly_first=np.array([5]))
    with pytest.raises(ValueError):
        _core.reader_rle_columns(cols["rle_blob"], bad, [9], [9], "x")
    bad = dict(cols, poly_count=np.array([-1]))
    with pytest.raises(ValueError):
        _core.reader_rle_columns(cols["rle_blob"], bad, [9], [9], "x")


# ------------------------------ results' masks kept as compressed strings

COUNTS_TEXT = st.text(st.sampled_from([chr(c) for c in range(48, 112)] + ["\x00", "\u00e9"]),
                      max_size=40)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(COUNTS_TEXT, min_size=1, max_size=8), ascii_only=st.booleans(),
       threads=st.sampled_from([1, 2, 3]))
def test_result_strings_equal_decoded_columns(texts, ascii_only, threads):
    """rle_strings (escapes undone in place, cut at NUL, boxes and areas
    from a scratch decode) gives rle_from_spans' sizes, boxes and areas,
    and its strings decode to rle_from_spans' counts; both refuse the same
    truncated strings."""
    from detap.coco.masks import result_masks
    from detap.errors import DetapInputError
    recs = [{"image_id": 1, "category_id": 1, "score": 1.0,
             "segmentation": {"size": [7, 5], "counts": t}} for t in texts]
    data = json.dumps(recs, ensure_ascii=ascii_only).encode()
    cols = _core.parse_coco_json(data, copy_rle=True)
    assert cols is not None
    args = (cols["rle_start"], cols["rle_len"], cols["rle_esc"], cols["rle_h"], cols["rle_w"], "x")
    try:
        want = _core.rle_from_spans(cols["rle_blob"].copy(), *args, threads)
    except DetapInputError:
        with pytest.raises(DetapInputError):
            result_masks(cols, "x")
        return
    got = result_masks(cols, "x")
    assert got.counts is None and got.text is not None
    assert got.bbox is None  # (found when asked for, or by C where compared)
    for a, b in zip((got.hw, got.boxes(), got.area), want[2:]):
        assert np.array_equal(a, b)
    dec = got.decoded()
    assert np.array_equal(dec.counts, want[0]) and np.array_equal(dec.off, want[1])
    rows = np.arange(len(texts))[::-1]
    sub = got.take(rows).decoded()
    ref = MaskColumnsFrom(want).take(rows)
    assert np.array_equal(sub.counts, ref.counts) and np.array_equal(sub.off, ref.off)


def MaskColumnsFrom(out):
    from detap.coco.masks import MaskColumns
    return MaskColumns(*out)


def test_segm_results_file_never_holds_decoded_counts(tmp_path):
    """loadRes keeps a results file's compressed masks as strings (so peak
    memory holds no counts array), and COCOeval's cells, computeIoU and
    the summary equal pycocotools'."""
    gt, res = make_segm(11, "rle_bbox", n_images=8, n_cats=2)
    ref, got, _ = _evaluate(tmp_path, _compressed_crowds(gt), res)
    assert got.cocoDt._cols.masks.text is not None
    assert_same_cells(ref, got)
