"""The C COCO reader on masks and keypoints, against Python's json.

The reader locates compressed RLE counts strings and reads keypoints,
num_keypoints and rotated boxes "obb" (csrc/cocojson.c).  Differential fuzzing: valid documents and
mutated ones (bytes flipped, truncated, spliced); whatever the reader
accepts must say what json says (the same counts strings, keypoints and
sizes), spans never leave the text, and decoding either works or raises
DetapInputError.  Never a crash.
"""
import json

import numpy as np
from hypothesis import given, settings, strategies as st

from detap import _core
from detap.errors import DetapInputError

ALPHABET = "".join(chr(c) for c in range(48, 112))


@st.composite
def documents(draw):
    n = draw(st.integers(0, 6))
    recs = []
    for i in range(n):
        r = {"image_id": i + 1, "category_id": 1, "score": draw(st.floats(0, 1))}
        kind = draw(st.sampled_from(["rle", "kp", "poly", "bbox", "obb"]))
        if kind == "rle":
            r["segmentation"] = {"size": [draw(st.integers(0, 50)), draw(st.integers(0, 50))],
                                 "counts": draw(st.text(ALPHABET, max_size=30))}
            if draw(st.booleans()):
                r["segmentation"] = dict(reversed(list(r["segmentation"].items())))
        elif kind == "kp":
            r["keypoints"] = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=9))
            r["num_keypoints"] = draw(st.integers(0, 3))
        elif kind == "obb":  # (four or six values: not a rotated box, Python decides)
            r["obb"] = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=4, max_size=6))
        elif kind == "poly":
            r["segmentation"] = [[1.5, 2, 3, 4, 5, 6]]
        else:
            r["bbox"] = [1, 2, 3, 4]
        recs.append(r)
    return json.dumps(recs, ensure_ascii=draw(st.booleans())).encode()


def check_against_json(data):
    cols = _core.parse_coco_json(data)
    try:
        ref = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        ref = None
    if cols is None:
        return
    if ref is None:
        # the fast path accepts no document json refuses, but for bytes that
        # are not UTF-8 (it does not validate the encoding of strings it
        # skips or locates: issue 12's fuzzing item)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return
        raise AssertionError("the C reader accepted a document json refuses")
    assert isinstance(ref, list) == cols["top_is_array"]
    if not isinstance(ref, list):
        return
    n = len(ref)
    assert len(cols["rle_len"]) == n
    for i, r in enumerate(ref):
        seg = r.get("segmentation") if isinstance(r, dict) else None
        if cols["rle_len"][i] >= 0:
            a, ln = int(cols["rle_start"][i]), int(cols["rle_len"][i])
            assert 0 <= a and a + ln <= len(data)
            raw = data[a:a + ln]
            assert json.loads(b'"' + raw + b'"') == seg["counts"]
            assert [cols["rle_h"][i], cols["rle_w"][i]] == seg["size"]
        if cols["kp_len"][i] >= 0:
            a, ln = int(cols["kp_start"][i]), int(cols["kp_len"][i])
            assert cols["kp"][a:a + ln].tolist() == [float(v) for v in r["keypoints"]]
        if isinstance(r, dict) and "num_keypoints" in r:
            assert cols["num_kp"][i] == float(r["num_keypoints"])
        got = cols["obb"][i]
        if isinstance(r, dict) and isinstance(r.get("obb"), list):
            assert got.tolist() == [float(v) for v in r["obb"]]  # (five: else not read at all)
        else:
            assert np.isnan(got).all()
    rle = cols["rle_len"] >= 0
    if rle.any():
        try:
            out = _core.rle_from_spans(data, cols["rle_start"][rle], cols["rle_len"][rle],
                                       cols["rle_esc"][rle], cols["rle_h"][rle], cols["rle_w"][rle],
                                       "fuzz", 2)
        except DetapInputError:
            return
        assert out[1][-1] == len(out[0])


@settings(max_examples=300, deadline=None)
@given(doc=documents())
def test_valid_documents_read_as_json_reads_them(doc):
    check_against_json(doc)


@settings(max_examples=400, deadline=None)
@given(doc=documents(), cuts=st.lists(st.tuples(st.integers(0, 10 ** 6), st.binary(max_size=3)),
                                      max_size=4), trunc=st.integers(0, 10 ** 6))
def test_mutated_documents_never_crash(doc, cuts, trunc):
    data = bytearray(doc)
    for pos, chunk in cuts:
        if data:
            p = pos % len(data)
            data[p:p + len(chunk)] = chunk
    data = bytes(data[:trunc % (len(data) + 1)] if trunc % 3 == 0 else data)
    check_against_json(data)


def test_escaped_and_unicode_counts():
    counts = "a\\b/c\"d" + "\u00e9"
    doc = json.dumps([{"image_id": 1, "category_id": 1, "score": 1.0,
                       "segmentation": {"size": [4, 4], "counts": counts}}]).encode()
    cols = _core.parse_coco_json(doc)
    assert cols is not None and cols["rle_esc"][0] == 2  # (a \\u escape)
    check_against_json(doc)
    # the kinds of counts strings: plain ASCII 0; only \\ \/ \" escapes 1;
    # another escape or a byte beyond ASCII 2 (for Python's json)
    for text, ascii_only, kind in [("0a4", True, 0), ("a\\b/c\"d", True, 1), ("a\tb", True, 2),
                                   ("\u00e9", False, 2), ("a\\\u00e9", False, 2)]:
        doc = json.dumps([{"image_id": 1, "segmentation": {"size": [4, 4], "counts": text}}],
                         ensure_ascii=ascii_only).encode()
        assert _core.parse_coco_json(doc)["rle_esc"].tolist() == [kind], text
    ok = json.dumps([{"image_id": 1, "category_id": 1, "score": 1.0,
                      "segmentation": {"size": [2, 2], "counts": "04"}}]).encode()
    c = _core.parse_coco_json(ok)
    counts, off, hw, bbox, area = _core.rle_from_spans(ok, c["rle_start"], c["rle_len"],
                                                       c["rle_esc"], c["rle_h"], c["rle_w"], "x")
    assert counts.tolist() == [0, 4] and area.tolist() == [4.0]
    assert np.array_equal(hw, [[2, 2]])


# ------------------------------------------- images and categories, in C

NAMES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@st.composite
def gt_index_docs(draw):
    images = []
    for i in range(draw(st.integers(0, 6))):
        r = {"id": i + 1}
        for key, value in (("file_name", st.one_of(NAMES, st.none(), st.integers(0, 9))),
                           ("width", st.one_of(st.integers(1, 5000), st.floats(0, 1e4), st.text(max_size=2))),
                           ("height", st.integers(1, 5000))):
            if draw(st.booleans()):
                r[key] = draw(value)
        images.append(r)
    cats = [{"id": k + 1, "name": draw(NAMES)} for k in range(draw(st.integers(0, 4)))]
    return {"images": images, "categories": cats, "annotations": []}


@settings(max_examples=200, deadline=None)
@given(gt_index_docs(), st.booleans())
def test_index_records_from_c_equal_the_records(doc, ascii_only):
    """COCO.index_records (what detap eval shows of images and categories)
    read by the C reader equals the records Python's json reads, field by
    field; a field with another kind of value makes it read the records."""
    import tempfile, os
    from detap.coco import COCO
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "gt.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=ascii_only)
        images, cats = COCO(path, verbose=False).index_records()
    keep_img = ("id", "file_name", "width", "height")
    want_img = [{k: v for k, v in r.items() if k in keep_img} for r in doc["images"]]
    assert images == want_img  # 640 == 640.0: numbers compare as numbers
    assert cats == doc["categories"]


def test_escaped_counts_strings_are_decoded_in_c(monkeypatch):
    """Counts strings whose only escapes are \\\\, \\/ and \\" (about a third of
    real ones hold a backslash) are counted and decoded in C; only other
    escapes (\\u....) go through Python's json."""
    from pycocotools import mask as ref_mask
    rng = np.random.default_rng(5)
    recs = []
    while len(recs) < 40:
        m = np.asfortranarray((rng.random((30, 20)) < .5).astype(np.uint8))
        counts = ref_mask.encode(m)["counts"].decode()
        if "\\" in counts:
            recs.append({"image_id": 1, "category_id": 1, "score": 1.0,
                         "segmentation": {"size": [30, 20], "counts": counts}})
    data = json.dumps(recs).encode()
    c = _core.parse_coco_json(data)
    assert c["rle_esc"].all()
    calls = []
    real = json.loads
    monkeypatch.setattr(json, "loads", lambda *a, **k: calls.append(a) or real(*a, **k))
    got = _core.rle_from_spans(data, c["rle_start"], c["rle_len"], c["rle_esc"], c["rle_h"],
                               c["rle_w"], "x", 2)
    assert calls == []
    for i, r in enumerate(recs):
        mask = ref_mask.decode({"size": [30, 20], "counts": r["segmentation"]["counts"].encode()})
        flat = mask.reshape(-1, order="F")
        runs = np.diff(np.flatnonzero(np.diff(np.r_[2, flat, 2])))  # run lengths, from the first value
        want = ([0] if flat[0] else []) + runs.tolist()
        assert got[0][got[1][i]:got[1][i + 1]].tolist() == want
    odd = data.replace(b'"counts": "', b'"counts": "\\u0030', 1)
    c = _core.parse_coco_json(odd)
    _core.rle_from_spans(odd, c["rle_start"], c["rle_len"], c["rle_esc"], c["rle_h"], c["rle_w"], "x", 2)
    assert len(calls) == 1


# one byte of each kind the string scanner must stop at ('"', '\\', a
# control character, a byte beyond ASCII) or pass (the edges of the plain
# range), raw in the JSON text
SPECIAL = [b'"', b"\\\\", b"\\", b"\\u00e9", b"\x1f", b"\x00", b"\n", b"\x7f", b" ", b"\xc3\xa9",
           b"\xff", b"\x80", b"!", b"#", b"[", b"]"]


def test_every_special_byte_at_every_offset_of_a_word():
    """The string scanner reads eight bytes at a time: a special byte at
    any offset of any word, in strings of every length around a word, is
    seen (checked against json)."""
    for special in SPECIAL:
        for length in range(0, 26):
            for at in range(0, length + 1):
                counts = b"A" * at + special + b"B" * (length - at)
                doc = (b'[{"image_id": 1, "category_id": 1, "score": 1.0, '
                       b'"segmentation": {"size": [4, 4], "counts": "' + counts + b'"}}]')
                check_against_json(doc)
                cols = _core.parse_coco_json(doc)
                try:
                    json.loads(doc)
                    accepted_by_json = True
                except (ValueError, UnicodeDecodeError):
                    accepted_by_json = False
                if not accepted_by_json:
                    assert cols is None, (special, length, at)


POLYGON_COLUMNS = {"poly_first", "poly_count", "pv", "plen"}


def same_but_polygons(data):
    """Reading without polygons accepts and refuses what reading with them
    does, with the same columns but the polygon ones."""
    full, lean = _core.parse_coco_json(data), _core.parse_coco_json(data, polygons=False)
    assert (full is None) == (lean is None), data
    if full is None:
        return
    assert set(full) == set(lean)
    for key, value in full.items():
        if key in POLYGON_COLUMNS:
            continue
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, lean[key], equal_nan=value.dtype.kind == "f"), key
        else:
            assert value == lean[key], key
    assert not (lean["poly_count"] >= 0).any() if "poly_count" in lean else True


@settings(max_examples=300, deadline=None)
@given(doc=documents(), cuts=st.lists(st.tuples(st.integers(0, 10 ** 6), st.binary(max_size=3)),
                                      max_size=3))
def test_polygons_skipped_read_the_same_otherwise(doc, cuts):
    data = bytearray(doc)
    for pos, chunk in cuts:
        if data:
            p = pos % len(data)
            data[p:p + len(chunk)] = chunk
    same_but_polygons(bytes(data))
    same_but_polygons(b'{"annotations": ' + bytes(data) + b', "images": []}')


def _same_columns(a, b):
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k
        else:
            assert x == y, k


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["images first", "annotations first"]))
def test_annotations_in_pieces_read_as_in_one(seed, order):
    """A GT document whose annotations array is large enough to be cut into
    pieces (1 MB each) reads into the same columns on 1, 2 and 3 threads:
    records of every kind, and strings holding the '}, {' a piece start is
    guessed from (a wrong guess must be dropped, never kept)."""
    rng = np.random.default_rng(seed)
    anns = []
    for i in range(12000):
        a = {"id": i + 1, "image_id": int(rng.integers(1, 50)), "category_id": 1,
             "bbox": [float(v) for v in rng.random(4).round(3) * 100],
             "area": float(rng.random()), "iscrowd": int(rng.integers(0, 2))}
        kind = rng.integers(0, 4)
        if kind == 0:
            a["segmentation"] = {"size": [20, 30], "counts": "".join(
                ALPHABET[j] for j in rng.integers(0, 64, rng.integers(1, 40)))}
        elif kind == 1:
            a["segmentation"] = [[float(v) for v in rng.random(8).round(2) * 50]]
        elif kind == 3 and rng.random() < 0.5:
            a["obb"] = [float(v) for v in rng.random(5).round(3) * 100]
        elif kind == 2:
            # (most of the text: a guess mostly lands in one)
            a["note"] = "}, {" * int(rng.integers(20, 60)) + '"id": 7}, {'
        a = dict(sorted(a.items(), key=lambda kv: rng.random()))
        anns.append(a)
    parts = {"images": [{"id": i, "width": 30, "height": 20} for i in range(1, 50)],
             "annotations": anns, "categories": [{"id": 1, "name": "a}, {b"}]}
    keys = ["images", "annotations", "categories"]
    if order == "annotations first":
        keys = ["annotations", "categories", "images"]
    data = json.dumps({k: parts[k] for k in keys}).encode()
    assert len(data) > 2 << 20
    for polygons in (True, False):
        one = _core.parse_coco_json(data, copy_rle=True, polygons=polygons, nthreads=1)
        assert one is not None and len(one["ann_id"] if "ann_id" in one else one["image_id"]) == 12000
        for nt in (2, 3):
            _same_columns(one, _core.parse_coco_json(data, copy_rle=True, polygons=polygons,
                                                     nthreads=nt))
    # and where the fast path gives up (a record it does not read), so do the pieces
    bad = data.replace(b'"iscrowd": 0', b'"iscrowd": [0]', 1)
    assert [_core.parse_coco_json(bad, nthreads=nt) for nt in (1, 3)] == [None, None]
