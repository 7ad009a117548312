"""The streamed, parallel results reader (csrc/cocojson.h,
detap_results_feed; ``_core.read_coco_results``) against the one-shot
reader and Python's json.

The streamed reader cuts each block at guessed record starts and keeps a
piece only when the piece before it ends exactly there, so its columns must
be the one-shot reader's for every block size and thread count, including
documents whose strings hold text that looks like a record boundary, records
longer than a block, and blocks that end inside a number, a string or an
escape.  Whatever either reader refuses goes to Python's json.
"""
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from detap import _core
from detap.coco import COCO

# columns the two readers share (the RLE offsets differ by design: into the
# text, or into the streamed reader's blob)
SHARED = ("image_id", "category_id", "bbox", "score", "has", "id", "area", "iscrowd",
          "rle_len", "rle_h", "rle_w", "rle_esc", "kp_start", "kp_len", "kp", "num_kp",
          "pv", "plen", "poly_first", "poly_count")
DECOYS = ['}, {"image_id": 9, "score": 1}', '},{', '"}, {"', '\\"}, {', '\\\\', 'é', '\u2028']


@st.composite
def result_docs(draw):
    recs = []
    for i in range(draw(st.integers(0, 40))):
        r = {"image_id": draw(st.integers(-3, 10 ** 12)), "category_id": draw(st.integers(0, 90)),
             "bbox": [float(np.float32(v)) for v in draw(st.lists(
                 st.floats(-1e4, 1e4, allow_nan=False), min_size=4, max_size=4))],
             "score": draw(st.floats(0, 1))}
        extra = draw(st.sampled_from(["", "note", "rle", "kp", "area", "poly"]))
        if extra == "note":  # strings that look like a record boundary
            r["note"] = draw(st.sampled_from(DECOYS)) * draw(st.integers(1, 3))
        elif extra == "rle":
            r["segmentation"] = {"size": [3, 4], "counts": draw(st.sampled_from(["0c0", "1", "a\\\\b", "34"]))}
        elif extra == "poly":  # (a block that ends inside one leaves nothing of it)
            r["segmentation"] = draw(st.lists(st.lists(st.floats(0, 100, width=32), min_size=6,
                                                       max_size=10), min_size=1, max_size=2))
        elif extra == "kp":
            r["keypoints"] = draw(st.lists(st.floats(0, 100), max_size=6))
        elif extra == "area":
            r["area"] = draw(st.floats(0, 1e6))
            r["id"] = i + 7
        recs.append(r)
    indent = draw(st.sampled_from([None, 0, 2]))
    return json.dumps(recs, indent=indent, ensure_ascii=draw(st.booleans())).encode()


def stream(data, nthreads, block):
    return _core.read_coco_results(io.BytesIO(data), len(data), nthreads, block)


def rle_strings(cols, text):
    start, length = cols["rle_start"], cols["rle_len"]
    return [bytes(text[s:s + n]) if n >= 0 else None for s, n in zip(start, length)]


def assert_same_columns(got, want, data):
    for k in SHARED:
        assert np.array_equal(got[k], want[k], equal_nan=True), k
    assert rle_strings(got, got["rle_blob"]) == rle_strings(want, data)


@settings(max_examples=150, deadline=None)
@given(result_docs(), st.integers(1, 4), st.sampled_from([1, 7, 64, 1 << 12, 1 << 20]))
def test_streamed_equals_one_shot(data, nthreads, block):
    want = _core.parse_coco_json(data)
    got = stream(data, nthreads, block)
    assert (got is None) == (want is None)
    if want is not None:
        assert_same_columns(got, want, data)


@settings(max_examples=150, deadline=None)
@given(result_docs(), st.data(), st.sampled_from([1, 2, 3]), st.sampled_from([5, 300]))
def test_streamed_mutations_agree_with_one_shot(data, draw, nthreads, block):
    """Cut, spliced or corrupted documents: the streamed reader accepts
    exactly what the one-shot reader accepts, with the same columns."""
    i = draw.draw(st.integers(0, len(data)))
    op = draw.draw(st.sampled_from(["cut", "byte", "dup"]))
    if op == "cut":
        data = data[:i]
    elif op == "byte":
        data = data[:i] + bytes([draw.draw(st.integers(0, 255))]) + data[i + 1:]
    else:
        data = data[:i] + data[i // 2:]
    want = _core.parse_coco_json(data)
    got = stream(data, nthreads, block)
    assert (got is None) == (want is None or not want["top_is_array"])
    if got is not None:
        assert_same_columns(got, want, data)


TAILS = [{}, {"segmentation": {"size": [3, 4], "counts": "0c0"}}, {"keypoints": [1.5, 2.0, 2]},
         {"score": 0.25}, {"bbox": [9.5, 8, 7, 6]}, {"image_id": 77, "note": "x"},
         {"segmentation": {"size": [2, 2], "counts": "a\\\\b"}, "category_id": 3}]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10 ** 9), st.integers(0, 90),
                          st.lists(st.floats(-1e4, 1e4, width=32), min_size=4, max_size=4),
                          st.floats(0, 1), st.sampled_from(range(len(TAILS)))),
                max_size=12),
       st.sampled_from([(", ", ": "), (",", ":")]), st.sampled_from([1, 2]))
def test_box_fields_then_more_fields_read_as_json(rows, separators, nthreads):
    """Detectron2 writes image_id, category_id, bbox and score first and a
    mask or keypoints after them: the box fast path hands the rest of the
    record to the field-by-field reader, and a field named again later
    counts, as in json."""
    recs = [dict({"image_id": i, "category_id": c, "bbox": [float(v) for v in b], "score": s},
                 **{k: v for k, v in TAILS[t].items() if k not in ("image_id", "bbox", "score")})
            for i, c, b, s, t in rows]
    text = "[" + ", ".join(
        json.dumps({"image_id": i, "category_id": c, "bbox": [float(v) for v in b], "score": s},
                   separators=separators)[:-1]
        + ("" if not TAILS[t] else separators[0] + json.dumps(TAILS[t], separators=separators)[1:-1])
        + "}" for i, c, b, s, t in rows) + "]"
    data = text.encode()
    want = json.loads(data)  # (json's last-wins view of every record)
    assert len(want) == len(recs)
    for cols in (_core.parse_coco_json(data), stream(data, nthreads, 7)):
        assert cols is not None
        assert cols["image_id"].tolist() == [r["image_id"] for r in want]
        assert cols["category_id"].tolist() == [r["category_id"] for r in want]
        assert cols["bbox"].tolist() == [r["bbox"] for r in want]
        assert cols["score"].tolist() == [r["score"] for r in want]
        text_of = cols.get("rle_blob", data) if cols is not None and "rle_blob" in cols else data
        counts = rle_strings(cols, text_of) if cols["rle_len"] is not None else [None] * len(want)
        assert [c.replace(b"\\\\", b"\\") if c is not None else None for c in counts] == [
            r["segmentation"]["counts"].encode() if "segmentation" in r else None for r in want]
    # the same records with the score first: read field by field only
    generic = json.dumps([dict([("score", r["score"])] + list(r.items())) for r in want]).encode()
    assert_same_columns(stream(data, nthreads, 7), _core.parse_coco_json(generic), generic)


def test_many_pieces_on_a_large_document():
    """Several megabytes, so the blocks are cut into pieces on every thread,
    with decoys in strings on the way."""
    recs = [{"image_id": i // 50, "category_id": i % 80, "score": 1 / (i + 1),
             "bbox": [float(np.float32(i * 0.37)), 1.5, 2.25, 3.0]} for i in range(60_000)]
    for i in range(0, 60_000, 997):
        recs[i]["note"] = DECOYS[i % len(DECOYS)] * 3
    data = json.dumps(recs).encode()
    want = _core.parse_coco_json(data)
    for nthreads, block in [(2, 1 << 20), (4, 1 << 19), (3, 1 << 21)]:
        assert_same_columns(stream(data, nthreads, block), want, data)


@pytest.mark.parametrize("doc", [b"[", b"[{}", b"[{},]", b"[] x", b"[{\"image_id\":1}", b"  ",
                                 b"[1]", b"[{\"image_id\": 1.5}]", b"\xef\xbb\xbf[]", b"[]]"])
def test_refused_documents_go_to_python(doc):
    assert stream(doc, 2, 1) is None


@pytest.mark.parametrize("doc", [b"[]", b" [ ] \n", b"[{}]", b"[{\"image_id\": 1}, {}]"])
def test_accepted_small_documents(doc):
    cols = stream(doc, 2, 1)
    assert cols is not None and len(cols["has"]) == len(json.loads(doc))


def test_results_file_streams_through_coco(tmp_path):
    """loadRes on a results file takes the streamed path and says what
    pycocotools says; a document only json can read still loads."""
    gt = {"images": [{"id": 1, "width": 10, "height": 10}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4],
                           "area": 16, "iscrowd": 0}]}
    g = tmp_path / "gt.json"
    g.write_text(json.dumps(gt))
    res = [{"image_id": 1, "category_id": 1, "bbox": [1.0000000000000002, 1, 4, 4], "score": 0.9},
           {"image_id": 1, "category_id": 1, "bbox": [2, 2, 4, 4], "score": 0.8}]
    for text in (json.dumps(res), json.dumps(res, indent=1), json.dumps([dict(r, id=1.5) for r in res])):
        r = tmp_path / "res.json"
        r.write_text(text)
        dt = COCO(str(g), verbose=False).loadRes(str(r))
        assert [a["bbox"] for a in dt.dataset["annotations"]] == [x["bbox"] for x in res]


def test_results_from_a_pipe(tmp_path):
    """A results path that is a named pipe (not seekable) is read whole, as
    before streaming, with the same records."""
    import os
    import threading
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4],
                           "area": 16, "iscrowd": 0}]}
    g = tmp_path / "gt.json"
    g.write_text(json.dumps(gt))
    res = [{"image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "score": 0.9}]
    fifo = tmp_path / "res.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(json.dumps(res)))
    writer.start()
    gt_coco = COCO(str(g), verbose=False)
    dt = gt_coco.loadRes(str(fifo))
    writer.join()
    # (the records themselves are read again from the path on demand, which
    # a pipe cannot give twice: compare what the columns evaluate to)
    from detap.coco import COCOeval
    ev = COCOeval(gt_coco, dt, "bbox")
    ev.evaluate()
    ev.accumulate()
    ref = COCOeval(gt_coco, gt_coco.loadRes(res), "bbox")
    ref.evaluate()
    ref.accumulate()
    assert np.array_equal(ev.eval["precision"], ref.eval["precision"])


@pytest.mark.parametrize("special", [b"\\\\", b"\\u00e9", "é".encode(), b"\x1f", b"\x7f", b"\\\""])
def test_string_scan_stops_at_every_position(special):
    """The reader scans strings sixteen bytes at a time (SSE2) or eight:
    whatever byte it must look at (an escape, a byte beyond ASCII, a control
    character), at any offset of a long counts string, is seen where
    Python's json sees it: the string ends where json's does, and a
    string json refuses is not taken."""
    for at in range(40):
        raw = b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW"[:at] + special + b"XYZ[]^_`abcdefghij"
        data = (b'[{"image_id": 1, "category_id": 2, "bbox": [1, 2, 3, 4], "score": 0.5, '
                b'"segmentation": {"size": [3, 4], "counts": "' + raw + b'"}}]')
        try:
            json.loads(data)
        except ValueError:
            assert _core.parse_coco_json(data) is None, at
            continue
        cols = _core.parse_coco_json(data)
        assert cols is not None, at
        assert rle_strings(cols, data) == [raw], at
        odd = b"\\u" in special or any(b >= 0x80 for b in special)
        assert cols["rle_esc"].tolist() == [2 if odd else int(b"\\" in special)], at


@pytest.mark.parametrize("nthreads,block", [(1, 1 << 20), (2, 1 << 18), (3, 1 << 19), (2, 4096)])
def test_file_read_with_pread_equals_readinto(tmp_path, nthreads, block):
    """A raw file is read with pread, each block in pieces by all the
    threads (csrc/file_read.h), from the file's position on: the columns
    are those of the same bytes read through readinto, and the file is left
    after what was read (here: its end)."""
    rng = np.random.default_rng(5)
    n = 12000  # ~1.3 MB: blocks of several pread pieces
    recs = [{"image_id": int(rng.integers(0, 10 ** 6)), "category_id": int(rng.integers(1, 91)),
             "bbox": [float(np.float32(v)) for v in rng.uniform(0, 640, 4)],
             "score": float(np.float32(rng.random())),
             "keypoints": [float(np.float32(v)) for v in rng.uniform(0, 9, 6)]} for _ in range(n)]
    data = json.dumps(recs).encode()
    prefix = b"not JSON: skipped by the caller "
    path = tmp_path / "results.json"
    path.write_bytes(prefix + data)
    want = stream(data, 1, 1 << 20)
    with open(path, "rb", buffering=0) as f:
        f.seek(len(prefix))
        got = _core.read_coco_results(f, len(data), nthreads, block)
        assert f.tell() == len(prefix) + len(data)
    assert got is not None and len(got["score"]) == n
    assert_same_columns(got, want, data)


@pytest.mark.parametrize("size", [0, 1000, 300_000, 500_000, 716_800, 1 << 20, (1 << 20) + 7])
def test_read_at_gives_the_file_from_its_offset(tmp_path, size):
    """detap_read_at reads [pos, pos + n) in parts on several threads: the
    bytes from pos up to the end of the file or n, whichever comes first,
    whatever part the end falls in (n = 1 MiB: up to 3 or 4 parts of at
    least 256 KiB), for any offset, also past the end; a failed read gives
    its errno."""
    import errno
    import os
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        for pos in (0, 1, size // 3, size, size + 5):
            for n in (1 << 20, 100_000, 1):
                for nthreads in (1, 3, 4):
                    got = _core.read_at(fd, n, pos, nthreads)
                    if got is None:
                        pytest.skip("no pread on this system")
                    assert got == (data[pos:pos + n], 0), (pos, n, nthreads)
    finally:
        os.close(fd)
    got = _core.read_at(fd, 1 << 20, 0, 2)  # (closed)
    assert got is not None and got[0] == b"" and got[1] == errno.EBADF
