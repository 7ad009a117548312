"""The readers on broken input: no crash, no leak, no undefined behaviour,
and from Python either Python's own answer or a DetapInputError naming the
file (and the line where there is one).

Inputs (tests/fuzz/inputs.py): hypothesis builds valid COCO ground-truth
and results documents and det files, then mutates them (truncations at each
kind of position, flipped, inserted and deleted bytes, huge, long and
malformed numbers, deep nesting, invalid UTF-8, bad escapes, NUL bytes,
BOMs, CRLF, very long lines, repeated keys, malformed RLEs and keypoints),
plus the hand-written SEEDS below.

- test_sanitizer_harness: the C readers (csrc/cocojson.c, parse.c, labeltxt.c,
  numparse.cpp) built with ASan, UBSan and LSan (tests/fuzz/build.py) read
  every input in one process; skipped without gcc/g++ or libasan.
- test_*_contract: the same inputs through detap's Python readers
  (COCO(path), loadRes(path), read_detections, the text formats), compared
  with the same documents read by Python (json.loads, float()).

Quick by default (a fixed, derandomized set: about 1,400 inputs); set
DETAP_FUZZ_LONG=1 for 20 times as many, drawn afresh (DETAP_FUZZ_SEED=n
fixes them).  A failing input is kept in pytest's tmp directory, whose path
the failure names.
"""
import json
import math
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from detap.coco import COCO
from detap.errors import DetapInputError
from detap.formats import text as text_format
from detap.voc import VocAnnotations, read_detections
from tests.fuzz import inputs
from tests.fuzz.build import harness

LONG = os.environ.get("DETAP_FUZZ_LONG") == "1"
SCALE = 20 if LONG else 1
COUNTS = {"gt": 500, "res": 500, "det": 400, "lt": 300}

# Hand-written inputs (regressions first): each is read by the harness and
# by the Python readers like the generated ones.
SEEDS = {
    # labelTxt files as DOTA_devkit's data have them (v1.0 headers, v1.5 none,
    # integer and decimal pixels, flags 0 / 1 and none): the C reader's own
    "lt_dota_v1.txt": b"imagesource:GoogleEarth\ngsd:0.146343590398\n"
                      b"2753 2408 2861 2385 2888 2468 2805 2502 plane 0\n"
                      b"3445 3391 3484 3409 3478 3422 3437 3402 large-vehicle 1\n",
    "lt_dota_v15.txt": b"1054.0 1028.0 1063.0 1032.0 1053.0 1046.0 1045.0 1040.0 small-vehicle 0\n"
                       b"1.5 2.5 10.25 2.5 10.25 9.75 1.5 9.75 ship\n",
    # an empty counts string as the first RLE of a streamed file: memcpy of
    # zero bytes into the still-NULL blob (UBSan; found by DETAP_FUZZ_LONG)
    "res_rle_empty_counts_first.json": b'[{"image_id": 1, "category_id": 1, "score": 0.9, '
                                       b'"segmentation": {"size": [0, 0], "counts": ""}}]',
    # ground-truth polygons read by the C reader (pv / plen), with parts of
    # every length, a first list of four (boxes: not read) and nested junk
    "gt_polygons.json": b'{"images": [{"id": 1, "height": 9, "width": 9}], "annotations": ['
                        b'{"id": 1, "image_id": 1, "category_id": 1, "segmentation": '
                        b'[[1, 1, 5, 1, 5, 5, 1], [], [2, 2], [1e400, -0.0, 3, 3, 4, 4]]}, '
                        b'{"id": 2, "image_id": 1, "category_id": 1, "segmentation": [[1, 2, 3, 4]]}, '
                        b'{"id": 3, "image_id": 1, "category_id": 1, "segmentation": [[1, 2, 3, 4, 5, [6]]]}, '
                        b'{"id": 4, "image_id": 1, "category_id": 1, "segmentation": [[1, 2, 3, 4, 5, 6], 7]}], '
                        b'"categories": [{"id": 1}]}',
    # cocojson.c stepped over a backslash at the end of the buffer: its
    # cursor (and doc->stop) went one byte past the end
    "res_backslash_at_end.json": b'[{"image_id": 1, "segmentation": {"counts": "ab\\',
    # invalid UTF-8 in a string, and an invalid escape: the C reader took them
    "gt_bad_utf8.json": b'{"images": [{"id": 1, "file_name": "a\xffb.jpg"}], "annotations": [], '
                        b'"categories": []}',
    "res_overlong_utf8.json": b'[{"image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], '
                              b'"score": 0.9, "note": "\xc0\xaf"}]',
    "res_bad_escape.json": b'[{"image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], '
                           b'"score": 0.9, "note": "\\q"}]',
    "res_surrogate_utf8.json": b'[{"image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], '
                               b'"score": 0.9, "note": "\xed\xa0\x80"}]',
    # a \u escape in an RLE counts string read by the fast path: the decoding
    # loop took it for a plain one and ran past its scratch buffer (heap
    # overflow in detap._core.rle_from_spans; an ASan build of the extension
    # reports it, a normal one corrupts the heap)
    "res_rle_unicode_escape.json": b'[{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": '
                                   b'{"size": [3, 1], "counts": "0\\/3"}}, {"image_id": 1, '
                                   b'"category_id": 1, "score": 0.8, "segmentation": {"size": [2, 1], '
                                   b'"counts": "\\u0030\\u0032"}}]',
    "res_rle_surrogate_escape.json": b'[{"image_id": 1, "category_id": 1, "score": 0.9, '
                                     b'"segmentation": {"size": [2, 2], "counts": "\\ud800"}}]',
    "gt_crowd_inf.json": b'{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, '
                         b'"category_id": 1, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 1e999}], '
                         b'"categories": [{"id": 1}]}',
    "gt_bbox_int_400_digits.json": b'{"images": [{"id": 1}], "annotations": [{"id": 1, '
                                   b'"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 1'
                                   + b"0" * 400 + b'], "area": 4, "iscrowd": 0}], '
                                   b'"categories": [{"id": 1}]}',
    "res_caption.json": b'[{"image_id": 1, "caption": "a cat"}]',
    "gt_empty.json": b"",
    "gt_deep_arrays.json": b"[" * 10000,
    "gt_deep_objects.json": b'{"info": ' + b'{"a": ' * 10000 + b"1" + b"}" * 10000 + b"}",
    "gt_int_4301_digits.json": b'{"images": [{"id": 1}], "info": ' + b"1" * 4301 + b"}",
    "gt_utf16.json": '{"images": [], "annotations": [], "categories": []}'.encode("utf-16"),
    "gt_bom.json": b'\xef\xbb\xbf{"images": [], "annotations": [], "categories": []}',
    "res_nul.json": b'[{"image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], "score": 0.9}]\x00',
    "det_crlf.txt": b"img1 0.9 1 2 3 4\r\nimg2 0.8 1e999999999 2 3 4\r\n",
    "det_long_number.txt": b"img1 0." + b"9" * 10000 + b" 1 2 3 4\n",
    "det_bad_utf8.txt": b"img1 0.9 1 2 3 4\nimg\xff 0.9 1 2 3 4\n",
    "det_nul.txt": b"img1 0.9 1 2 3 4\x00\n",
    "det_backslash.txt": b"\\",
    "det_empty.txt": b"",
}

# what every contract reads the results with: images 1-4, categories 1-3
GT_DICT = {"images": [{"id": i, "width": 6, "height": 6, "file_name": f"{i}.jpg"} for i in range(1, 5)],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3],
                            "area": 9, "iscrowd": 0, "num_keypoints": 1,
                            "segmentation": [[1, 1, 4, 1, 4, 4]], "keypoints": [2, 2, 2] * 3}],
           "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)]}


def _draw(strategy, n, label):
    """n examples of strategy, derandomized (the same on every run) unless
    DETAP_FUZZ_LONG=1; hypothesis is only the generator here."""
    out = []

    @settings(max_examples=n, derandomize=not LONG, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example):
        out.append(example)

    collect.__name__ = f"collect_{label}"  # its own derandomized sequence
    if LONG and os.environ.get("DETAP_FUZZ_SEED"):
        kind = ("gt", "res", "det", "lt").index(label)
        collect = seed(int(os.environ["DETAP_FUZZ_SEED"]) * 7 + kind)(collect)
    collect()
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """{kind: [(path, bytes, description)]} written to one directory: kind
    "gt" and "res" (JSON), "det" (det files), "lt" (DOTA labelTxt files)."""
    root = tmp_path_factory.mktemp("reader_fuzz")
    drawn = {
        "gt": _draw(inputs.mutated(inputs.gt_document()), COUNTS["gt"] * SCALE, "gt"),
        "res": _draw(inputs.mutated(inputs.results_document()), COUNTS["res"] * SCALE, "res"),
        "det": _draw(inputs.mutated(inputs.det_file(), inputs.DET_MUTATIONS),
                     COUNTS["det"] * SCALE, "det"),
        "lt": _draw(inputs.mutated(inputs.labeltxt_file(), inputs.DET_MUTATIONS),
                    COUNTS["lt"] * SCALE, "lt"),
    }
    for name, data in SEEDS.items():
        drawn[name.split("_")[0]].append((data, f"seed {name}"))
    out = {}
    for kind, examples in drawn.items():
        out[kind] = []
        for i, (data, what) in enumerate(examples):
            path = root / f"{kind}-{i:05d}.{'txt' if kind in ('det', 'lt') else 'json'}"
            path.write_bytes(data)
            out[kind].append((str(path), data, what))
    out["root"] = root
    return out


def _report(failures, what):
    if failures:
        shown = "\n".join(failures[:8])
        pytest.fail(f"{len(failures)} {what} broke the contract:\n{shown}")


# ============================================================ C harness


@pytest.fixture(scope="module")
def sanitized():
    """The built harness (skips without a compiler or the sanitizers)."""
    return harness()


def test_sanitizer_harness(sanitized, corpus):
    """The C readers under ASan/UBSan/LSan, every input in one process."""
    h = sanitized
    r = h.run([corpus["root"]])
    if r.returncode != 0 or r.stderr.strip():
        pytest.fail(f"reader harness exit status {r.returncode}, first failing input: "
                    f"{_culprit(h, r, sorted(corpus['root'].iterdir()))}\n{r.stderr[-6000:]}")
    n = sum(len(corpus[k]) for k in ("gt", "res", "det", "lt"))
    assert f"done: {n + 1} inputs" in r.stdout


def _culprit(h, r, files):
    """The input a failed harness run is about: the last one it started,
    unless the report came at exit (a leak); then found by bisection."""
    def fails(run):
        return run.returncode != 0 or bool(run.stderr.strip())
    last = re.findall(r"^input (.*)$", r.stdout, re.M)
    if "done:" not in r.stdout and last:
        return last[-1]
    if not fails(h.run([])):
        while len(files) > 1:
            half = files[:len(files) // 2]
            files = half if fails(h.run(half)) else files[len(files) // 2:]
        return str(files[0]) if files else "?"
    return "<empty> (or the harness itself)"


# ====================================================== Python contract


def _where_ok(e, path, line=None):
    """A DetapInputError that names the file (and the line, if given)."""
    if not isinstance(e, DetapInputError) or str(path) not in str(e):
        return False
    return line is None or e.line == line


def _state(cols, iou="bbox"):
    """The Columns' arrays that evaluation with ``iou`` reads, comparable
    bit for bit."""
    out = {}
    for f in ("image_id", "category_id", "id", "bbox", "area", "crowd", "ignore", "score") \
            + (("kpts",) if iou == "keypoints" else ()) + (("obb",) if iou == "obb" else ()):
        v = getattr(cols, f)
        out[f] = None if v is None else (np.asarray(v).dtype.str, np.shape(v), np.asarray(v).tobytes())
    if iou == "segm":
        for f in ("counts", "off", "hw", "bbox", "area"):
            v = np.asarray(getattr(cols.masks.decoded(), f))
            out["mask_" + f] = (v.dtype.str, v.shape, v.tobytes())
    return out


def _outcome(fn):
    """("ok", value) or ("error", exception)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the contract is about which ones
        return "error", e


def _json_reference(data):
    """json.loads(data), or the exception it raises."""
    try:
        return "ok", json.loads(data)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, digits
        return "error", e


def _json_error_line(e):
    return e.lineno if isinstance(e, json.JSONDecodeError) else None


def _check(path, what, mine, ref, ref_json_error=None):
    """None when ``mine`` (reading the file) keeps the contract against
    ``ref`` (reading Python's json.loads of it), else why not."""
    if ref_json_error is not None:
        line = _json_error_line(ref_json_error)
        if mine[0] == "error" and _where_ok(mine[1], path, line):
            return None
        return (f"json.loads raises {type(ref_json_error).__name__} ({ref_json_error})"[:200]
                + f"; detap: {_show(mine)}")
    for o in (mine, ref):
        if o[0] == "error" and not isinstance(o[1], DetapInputError):
            return f"{_show(o)} (reading {'the file' if o is mine else 'the dict'})"
    if mine[0] == "error" and not _where_ok(mine[1], path):
        return f"error does not name the file: {_show(mine)}"
    # Both readers may refuse a document early (at COCO() or loadRes) or
    # late (when the columns of an iouType are asked for): where the dict
    # path refuses at once, the file's columns must all be refused; where
    # the file path refuses at once, the dict path must refuse an iouType.
    if mine[0] == "ok" and ref[0] == "error":
        if all(v == "error" for v in _iou_states(mine)):
            return None
    if mine[0] == "error" and ref[0] == "ok":
        if any(v == "error" for v in _iou_states(ref)):
            return None
    if mine[0] != ref[0]:
        return f"the file gives {_show(mine)}, the dict {_show(ref)}"
    if mine[0] == "error":
        return None
    if mine[1] != ref[1]:
        diff = sorted(k for k in mine[1] if mine[1][k] != ref[1].get(k)) \
            if isinstance(mine[1], dict) else "values"
        return f"the file and the dict differ in {diff}"
    return None


def _iou_states(o):
    return [v for k, v in o[1].items() if k in ("bbox", "segm", "keypoints", "obb")]


def _show(o):
    return "ok" if o[0] == "ok" else f"{type(o[1]).__name__}: {str(o[1])[:160]}"


def _columns_state(c, role, ious, codes=(None, None)):
    """_state of each iouType's columns, or "error" for a DetapInputError
    (an iouType the document does not fit)."""
    state = {}
    for iou in ious:
        o = _outcome(lambda: _state(c.columns(role, iou, codes), iou))
        if o[0] == "error" and not isinstance(o[1], DetapInputError):
            raise o[1]
        state[iou] = o[1] if o[0] == "ok" else "error"
    return state


def _gt_state(c, ious):
    codes = c.id_codes()  # ids that are not all integers: their codes
    return {"img": c.getImgIds(), "cat": c.getCatIds(), **_columns_state(c, "gt", ious, codes)}


def test_coco_ground_truth_contract(corpus):
    """COCO(path) on each JSON input: the ids and evaluation columns that
    COCO(json.loads(...)) gives, or DetapInputError naming the file."""
    failures = []
    for path, data, what in corpus["gt"] + corpus["res"]:
        kind, ref_json = _json_reference(data)
        ious = _ious(data)
        mine = _outcome(lambda: _gt_state(COCO(path, verbose=False), ious))
        if kind == "error":
            why = _check(path, what, mine, None, ref_json)
        elif not isinstance(ref_json, dict):
            why = None if mine[0] == "error" and _where_ok(mine[1], path) else \
                f"not an object, yet {_show(mine)}"
        else:
            ref = _outcome(lambda: _gt_state(COCO(ref_json, verbose=False), ious))
            why = _check(path, what, mine, ref)
            if why is None and mine[0] == ref[0] == "ok":
                # the dicts, read again on demand, are json's
                ds = _outcome(lambda: COCO(path, verbose=False).dataset)
                if ds[0] != "ok" or repr(ds[1]) != repr(ref_json):
                    why = f"COCO(path).dataset is not json.loads' document: {_show(ds)}"
        if why:
            failures.append(f"{path} [{what}]: {why}")
    _report(failures, "JSON inputs (COCO ground truth)")


def _ious(data):
    """The iouTypes worth evaluating a document with."""
    return ["bbox"] + [k for k, word in (("segm", b"segmentation"), ("keypoints", b"keypoints"),
                                         ("obb", b'"obb"')) if word in data]


def _res_state(gt, source, ious):
    res = gt.loadRes(source)
    return {"kind": res.result_kind, "img": res.getImgIds(), **_columns_state(res, "dt", ious)}


def test_coco_results_contract(corpus):
    """loadRes(path) on each JSON input: what loadRes(json.loads(...))
    gives, or DetapInputError naming the file."""
    gt = COCO(GT_DICT, verbose=False)
    failures = []
    for path, data, what in corpus["res"] + corpus["gt"][:100]:
        kind, ref_json = _json_reference(data)
        ious = _ious(data)
        mine = _outcome(lambda: _res_state(gt, path, ious))
        if kind == "error":
            why = _check(path, what, mine, None, ref_json)
        elif not isinstance(ref_json, (list, dict)):  # (loadRes takes a str for a path)
            why = None if mine[0] == "error" and _where_ok(mine[1], path) else \
                f"not a list, yet {_show(mine)}"
        else:
            why = _check(path, what, mine, _outcome(lambda: _res_state(gt, ref_json, ious)))
        if why:
            failures.append(f"{path} [{what}]: {why}")
    _report(failures, "JSON inputs (COCO results)")


@pytest.mark.parametrize("text", inputs.UTF8 + inputs.ESCAPES + [b"\x00", b"\x1f", b"\t", b"\x7f"],
                         ids=repr)
def test_strings_read_as_json_reads_them(text, tmp_path):
    """A string in a results file (here an extra field) that json.loads
    refuses (invalid UTF-8, a bad escape, a control character) sends the C
    reader to Python's json, which names the file; one it reads (an encoded
    surrogate too: json.loads decodes bytes with "surrogatepass") stays on
    the fast path."""
    from detap import _core
    data = (b'[{"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "score": 0.5,\n'
            b'  "note": "a' + text + b'"}]')
    path = tmp_path / "res.json"
    path.write_bytes(data)
    refused = _json_reference(data)[0] == "error"
    assert (_core.parse_coco_json(data) is None) == refused
    gt = COCO(GT_DICT, verbose=False)
    mine = _outcome(lambda: gt.loadRes(str(path)))
    if refused:
        utf8 = isinstance(_json_reference(data)[1], UnicodeDecodeError)
        assert mine[0] == "error" and _where_ok(mine[1], path, 2), _show(mine)
        assert ("not UTF-8" in str(mine[1])) == utf8
    else:
        assert mine[0] == "ok", _show(mine)


# ------------------------------------------------------------ det files


def _reference_dets(data, names):
    """A det file read line by line with Python's float(): (img, score,
    boxes), or the 1-based line of the first bad line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    rows = []
    for no, raw in enumerate(re.split(rb"\r\n|\r|\n", data), 1):
        try:
            parts = raw.decode("utf-8").split()
            if not parts:
                continue
            values = [float(t) for t in parts[1:]]
        except ValueError:  # UnicodeDecodeError too
            return no
        if len(parts) < 6 or not all(math.isfinite(v) for v in values[:5]) \
                or parts[0] not in names:
            return no
        rows.append((names.index(parts[0]), *values[:5]))
    a = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return a[:, 0].astype(np.int64), a[:, 1], a[:, 2:]


def test_det_file_contract(corpus):
    """detap.voc.read_detections (the C det reader with its Python
    fallback) on each det input: Python's float() of every field, or
    DetapInputError naming the file and the first bad line."""
    names = inputs.DET_NAMES
    ann = VocAnnotations(names=list(names), multiplicity=np.ones(len(names), np.int64), classes=[],
                         obj_img=np.zeros(0, np.int64), obj_cls=np.zeros(0, np.int32),
                         boxes=np.zeros((0, 4)), difficult=np.zeros(0, np.uint8))
    failures = []
    for path, data, what in corpus["det"]:
        ref = _reference_dets(data, names)
        mine = _outcome(lambda: read_detections(path, ann))
        if isinstance(ref, int):
            ok = mine[0] == "error" and _where_ok(mine[1], path, ref)
            why = None if ok else f"expected an error at line {ref}, got {_show(mine)}"
        elif mine[0] == "error":
            why = f"Python reads it, detap raises {_show(mine)}"
        else:
            got = [np.asarray(x) for x in mine[1]]
            same = all(g.dtype == r.dtype and g.tobytes() == np.ascontiguousarray(r).tobytes()
                       for g, r in zip(got, ref))
            why = None if same else "values differ from Python's float()"
        if why:
            failures.append(f"{path} [{what}]: {why}")
    _report(failures, "det files")


def test_labeltxt_contract(corpus):
    """detap.dota's labelTxt reader (the C reader with its Python fallback,
    labeltxt.read_all) on each labelTxt and det input, one file at a time:
    the objects of the Python reader (_records, the devkit's parse_gt with
    its errors), bit for bit, or its error; and the C reader takes the
    unmutated files written as DOTA writes them (half the generated ones)."""
    from detap import _core
    from detap.dota import labeltxt
    failures, taken, valid = [], 0, 0
    lt = {p for p, _, _ in corpus["lt"]}
    for path, data, what in corpus["lt"] + corpus["det"]:
        template = path.replace("{", "{{").replace("}", "}}")[:-4] + "{}.txt"
        ref = _outcome(lambda: labeltxt.objects_task1(path))
        mine = _outcome(lambda: labeltxt.read_all(template, [""]))
        if ref[0] == "error":
            ok = mine[0] == "error" and type(mine[1]) is type(ref[1]) and str(mine[1]) == str(ref[1])
            why = None if ok else f"Python raises {_show(ref)}, detap gives {_show(mine)}"
        elif mine[0] == "error":
            why = f"Python reads it, detap raises {_show(mine)}"
        else:
            classes, img, cls, quad, diff = mine[1]
            got = [(classes[c], q, d) for c, q, d in zip(cls.tolist(), quad.tolist(), diff.tolist())]
            want = [(name, coords, int(d != 0)) for name, coords, d in ref[1]]
            same = len(got) == len(want) and all(
                g[0] == w[0] and g[2] == w[2] and np.array(g[1]).tobytes() == np.array(w[1]).tobytes()
                for g, w in zip(got, want)) and not img.any()
            why = None if same else f"other objects than Python's: {got[:2]} vs {want[:2]}"
        if why:
            failures.append(f"{path} [{what}]: {why}")
        if (what == "valid" or what.startswith("seed lt_")) and path in lt:
            valid += 1
            took = _core.read_labeltxt([os.fsencode(path)])[0][0] == _core.LABELTXT_OK
            taken += took
            if what.startswith("seed lt_") and not took:
                failures.append(f"{path} [{what}]: the C reader hands a devkit-style file back")
    _report(failures, "labelTxt files")
    # (half the generated files are written as DOTA writes them, and the
    # seeds above must be taken: the C reader must take a good share)
    assert taken > valid / 4, (taken, valid)


def test_text_format_contract(corpus, tmp_path):
    """The per-image text readers (text, Cartucho, YOLO share them) on the
    det inputs as `class conf x1 y1 x2 y2` files: values or DetapInputError
    naming the file and line."""
    lay = text_format.layout("xyxy", dets=True)
    failures = []
    for i, (path, data, what) in enumerate(corpus["det"]):
        d = tmp_path / f"d{i}"
        d.mkdir()
        f = d / "img.txt"
        f.write_bytes(data)
        mine = _outcome(lambda: text_format.parse_dir(str(d), lay))
        if mine[0] == "error":
            e = mine[1]
            if not (isinstance(e, DetapInputError) and _where_ok(e, f) and e.line is not None):
                failures.append(f"{path} [{what}]: {_show(mine)}")
            continue
        p = mine[1]
        ok = all(math.isfinite(v) for v in p.coords.ravel()) and len(p.label) == len(p.line)
        if not ok:
            failures.append(f"{path} [{what}]: non-finite values read")
    _report(failures, "text-format files")


# ------------------------------------------------------------------ CLI


def test_cli_names_the_broken_file(tmp_path):
    """`detap eval` on results that are not UTF-8: exit status 2, one line
    naming the file, no traceback."""
    gt, dt = tmp_path / "gt.json", tmp_path / "dt.json"
    gt.write_text(json.dumps(GT_DICT))
    dt.write_bytes(SEEDS["res_overlong_utf8.json"])
    r = subprocess.run([sys.executable, "-m", "detap", "eval", "--gt", str(gt), "--dt", str(dt),
                        "--no-plots", "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert str(dt) in r.stderr and "UTF-8" in r.stderr and "Traceback" not in r.stderr
