"""Bad input: every malformed file, cache or array raises a typed error that
says where the problem is (file and line, image id, or argument), and nothing
ever crashes the interpreter.

The VOC data set of each test is a small seeded synthetic one
(``detap.synth``, 5 images, classes "a" and "b") in ``tmp_path``; class "b" is
the one evaluated (with seed 0, class "a" has no ground truth).  Correct
results are checked against ``tests/reference_voc.py`` (a transcription of
py-faster-rcnn's voc_eval), never against detap itself alone.
"""
import collections
import glob
import os
import pickle
import re
import subprocess
import sys
import textwrap
import time
import types
import warnings

import numpy as np
import pytest

import detap
import detap.cache
import detap.conventions
import detap.voc
from detap import synth
from tests import reference_voc

CLS = "b"


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def voc(tmp_path, monkeypatch):
    """A fresh synthetic VOC data set; detap's in-memory annotation memo is
    emptied so that every test starts with nothing parsed."""
    monkeypatch.setattr(detap.voc, "_memo", collections.OrderedDict())
    data = synth.make_voc_arrays(n_images=5, classes=("a", "b"), seed=0)
    detpath, annopath, imagesetfile = synth.write_voc(data, str(tmp_path / "voc"))
    ns = types.SimpleNamespace(
        data=data, detpath=detpath, annopath=annopath, imagesetfile=imagesetfile,
        detfile=detpath.format(CLS), cachedir=str(tmp_path / "cache"), tmp=tmp_path)
    with open(ns.detfile, "rb") as f:
        ns.det_lines = f.read().splitlines()
    assert len(ns.det_lines) >= 5
    # class "b" has non-difficult GT, so rec/prec are finite
    assert np.any((data.gt_cls == 1) & ~data.gt_difficult)
    return ns


def forget_memory():
    """Drop what detap parsed in this process, so the next call must read the
    annotations (or the cache file) again."""
    detap.voc._memo.clear()


def reference(voc, classname=CLS):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return reference_voc.voc_eval(voc.detpath, voc.annopath, voc.imagesetfile, classname)


def run(voc, cachedir=None, classname=CLS):
    return detap.voc_eval(voc.detpath, voc.annopath, voc.imagesetfile, classname, cachedir)


def assert_same_result(got, ref):
    rec, prec, ap = got
    rrec, rprec, rap = ref
    assert rec.dtype == rrec.dtype and np.array_equal(rec, rrec)
    assert prec.dtype == rprec.dtype and np.array_equal(prec, rprec)
    assert float(ap) == float(rap)


def write_det(voc, data):
    with open(voc.detfile, "wb") as f:
        f.write(data)


def cache_files(cachedir):
    return sorted(glob.glob(os.path.join(cachedir, "detap_annots_*.npz")))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def bump_mtime(path, seconds=10):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


def edit_annotation(voc, image, old, new):
    """Replace the first ``old`` by ``new`` in an annotation file."""
    path = voc.annopath.format(image)
    with open(path) as f:
        text = f.read()
    assert old in text, (old, path)
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))
    return path


def move_first_b_box(voc):
    """Move the first class-b GT box that the top-scored detection hits far
    away, so that the evaluation must change; returns the annotation path."""
    d = voc.data
    ref_ap = float(reference(voc)[2])
    for k in np.flatnonzero((d.gt_cls == 1) & ~d.gt_difficult):
        name = d.names[d.gt_img[k]]
        x1, y1, x2, y2 = (int(v) for v in d.gt_boxes[k])
        old = (f"<xmin>{x1}</xmin>\n      <ymin>{y1}</ymin>\n"
               f"      <xmax>{x2}</xmax>\n      <ymax>{y2}</ymax>")
        new = ("<xmin>1</xmin>\n      <ymin>1</ymin>\n"
               "      <xmax>3</xmax>\n      <ymax>3</ymax>")
        path = voc.annopath.format(name)
        before = read_bytes(path)
        edit_annotation(voc, name, old, new)
        if float(reference(voc)[2]) != ref_ap:
            bump_mtime(path)
            return path
        write_bytes(path, before)  # this box changes nothing: try the next one
    raise AssertionError("no class-b box changes the AP")


# ------------------------------------------------------------ sanity: clean


def test_clean_data_matches_reference(voc):
    assert_same_result(run(voc), reference(voc))


# ------------------------------------------------------------------ det lines

BAD_DET_LINES = [
    # (bad line, regex the message must contain after "<detfile>:3: ")
    (b"000001 0.5 1 2 3", r"expected 'image_id score x1 y1 x2 y2', got 5 field\(s\)"),
    (b"000001", r"got 1 field\(s\)"),
    (b"000001 high 1 2 3 4", r"score is not a number: 'high'"),
    (b"000001 0.5 1 2 x3 4", r"x2 is not a number: 'x3'"),
    (b"000001 0.5 1,0 2 3 4", r"x1 is not a number: '1,0'"),
    (b"000001 nan 1 2 3 4", r"score is not finite: 'nan'"),
    (b"000001 NaN 1 2 3 4", r"score is not finite: 'NaN'"),
    (b"000001 inf 1 2 3 4", r"score is not finite: 'inf'"),
    (b"000001 -inf 1 2 3 4", r"score is not finite: '-inf'"),
    (b"000001 1e999 1 2 3 4", r"score is not finite: '1e999'"),
    (b"000001 0.5 nan 2 3 4", r"x1 is not finite: 'nan'"),
    (b"000001 0.5 1 inf 3 4", r"y1 is not finite: 'inf'"),
    (b"000001 0.5 1 2 3 1e999", r"y2 is not finite: '1e999'"),
    (b"000001 0.5 1 2 -Infinity 4", r"x2 is not finite: '-Infinity'"),
    (b"000001 0.5 1 2 3 4 extra", r"field 7 is not a number: 'extra'"),
    (b"no_such_image 0.5 1 2 3 4", r"image id 'no_such_image' is not in the image set"),
    (b"00000 0.5 1 2 3 4", r"image id '00000' is not in the image set"),
    (b"\xff\xfe 0.5 1 2 3 4", r"not UTF-8"),
    (b"000001 0.5 1 2 3 4 \xe9t\xe9", r"not UTF-8"),
    (b"00000\xc3 0.5 1 2 3 4", r"not UTF-8"),
]


@pytest.mark.parametrize("bad, what", BAD_DET_LINES, ids=[repr(b) for b, _ in BAD_DET_LINES])
def test_bad_det_line_names_file_and_line(voc, bad, what):
    """The bad line is the 3rd of 5."""
    lines = voc.det_lines[:2] + [bad] + voc.det_lines[2:4]
    write_det(voc, b"\n".join(lines) + b"\n")
    with pytest.raises(detap.DetapInputError, match="^" + re.escape(f"{voc.detfile}:3: ") + ".*" + what) as e:
        run(voc)
    assert e.value.path == voc.detfile
    assert e.value.line == 3


@pytest.mark.parametrize("position", [0, 2, 4])
@pytest.mark.parametrize("bad", [b"000001 nan 1 2 3 4", b"zzz 0.5 1 2 3 4", b"000001 0.5 1 2 3"])
def test_bad_det_line_number_at_each_position(voc, bad, position):
    """First, middle and last line (the last one without a final newline)."""
    lines = voc.det_lines[:4]
    lines.insert(position, bad)
    write_det(voc, b"\n".join(lines))
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{voc.detfile}:{position + 1}: ")):
        run(voc)


def test_unknown_image_id_message_names_id_file_and_line(voc):
    lines = voc.det_lines[:2] + [b"2007_000042 0.5 1 2 3 4"] + voc.det_lines[2:4]
    write_det(voc, b"\n".join(lines) + b"\n")
    with pytest.raises(detap.DetapInputError) as e:
        run(voc)
    msg = str(e.value)
    assert msg.startswith(f"{voc.detfile}:3: ")
    assert "'2007_000042'" in msg
    assert voc.imagesetfile in msg


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_number_counts_blank_lines_and_crlf(voc, newline):
    """Blank and whitespace-only lines before the bad one still count."""
    lines = [voc.det_lines[0], b"", voc.det_lines[1], b"  \t ", b"", b"zzz 0.5 1 2 3 4",
             voc.det_lines[2]]
    write_det(voc, newline.join(lines) + newline)
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{voc.detfile}:6: ")):
        run(voc)


def test_line_number_after_bom_and_crlf(voc):
    data = b"\xef\xbb\xbf" + b"\r\n".join(voc.det_lines[:3] + [b"000001 0.5 1 2 3 nan"]) + b"\r\n"
    write_det(voc, data)
    with pytest.raises(detap.DetapInputError,
                       match=re.escape(f"{voc.detfile}:4: ") + "y2 is not finite"):
        run(voc)


def test_line_number_after_many_lines(voc):
    """Far beyond the first lines (the C fast path counts lines too)."""
    lines = (voc.det_lines * 40)[:137] + [b"000001 0.5 1 2 3"]
    write_det(voc, b"\r\n".join(lines) + b"\r\n")
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{voc.detfile}:138: ")):
        run(voc)


@pytest.mark.parametrize("variant", [
    "trailing_blank_line", "several_trailing_blank_lines", "whitespace_only_lines",
    "crlf", "crlf_with_blank_lines", "leading_blank_lines", "tabs_and_spaces", "bom",
    "no_final_newline"])
def test_blank_and_whitespace_lines_are_skipped(voc, variant):
    ref = reference(voc)  # on the clean file written by synth
    L = voc.det_lines
    data = {
        "trailing_blank_line": b"\n".join(L) + b"\n\n",
        "several_trailing_blank_lines": b"\n".join(L) + b"\n\n \n\t\n\n",
        "whitespace_only_lines": b"\n   \n".join(L) + b"\n",
        "crlf": b"\r\n".join(L) + b"\r\n",
        "crlf_with_blank_lines": b"\r\n\r\n".join(L) + b"\r\n  \r\n",
        "leading_blank_lines": b"\n \n" + b"\n".join(L) + b"\n",
        "tabs_and_spaces": b"\n".join(b" \t" + x.replace(b" ", b" \t ") + b"  " for x in L) + b"\n",
        "bom": b"\xef\xbb\xbf" + b"\n".join(L) + b"\n",
        "no_final_newline": b"\n".join(L),
    }[variant]
    write_det(voc, data)
    assert_same_result(run(voc), ref)


def test_empty_det_file(voc):
    write_det(voc, b"")
    rec, prec, ap = run(voc)
    assert rec.shape == (0,) and prec.shape == (0,) and ap == 0.0


def test_missing_det_file(voc):
    os.remove(voc.detfile)
    with pytest.raises(FileNotFoundError, match=re.escape(voc.detfile)):
        run(voc)


# ---------------------------------------------------------------- annotations


def test_missing_annotation_file(voc):
    path = voc.annopath.format("000003")
    os.remove(path)
    with pytest.raises(FileNotFoundError, match=re.escape(path)):
        run(voc)
    with pytest.raises(FileNotFoundError, match=re.escape(path)):
        run(voc, voc.cachedir)


def test_malformed_xml(voc):
    path = edit_annotation(voc, "000002", "</annotation>", "")
    with pytest.raises(detap.DetapInputError, match=re.escape(path) + ".*malformed XML") as e:
        run(voc)
    assert e.value.path == path


def test_malformed_xml_mismatched_tag_names_line(voc):
    path = voc.annopath.format("000002")
    write_bytes(path, b"<annotation>\n  <object>\n    <name>b</nam>\n  </object>\n</annotation>\n")
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{path}:3: ")):
        run(voc)


@pytest.mark.parametrize("old, new, what", [
    ("<bndbox>", "<box>", r"object 0 \(b\) has no <bndbox>"),
    ("<name>b</name>", "", r"object 0 has no <name>"),
    ("<xmin>", "<xmin>abc", r"object 0 \(b\) <xmin> is not a number: 'abc"),
    ("<ymax>", "<ymax>1O", r"object 0 \(b\) <ymax> is not a number: '1O"),
], ids=["no_bndbox", "no_name", "xmin_not_a_number", "ymax_letter_O"])
def test_bad_object(voc, old, new, what):
    if old == "<bndbox>":
        path = edit_annotation(voc, "000002", "</bndbox>", "</box>")
        edit_annotation(voc, "000002", old, new)
    else:
        path = edit_annotation(voc, "000002", old, new)
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{path}: ") + what) as e:
        run(voc)
    assert e.value.path == path
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{path}: ") + what):
        detap.parse_rec(path)


@pytest.mark.parametrize("tag, value", [("xmin", "nan"), ("ymin", "NaN"), ("xmax", "inf"),
                                        ("ymax", "-inf"), ("xmin", "1e999")])
def test_non_finite_coordinate(voc, tag, value):
    path = voc.annopath.format("000002")
    with open(path) as f:
        text = f.read()
    text = re.sub(rf"<{tag}>\d+</{tag}>", f"<{tag}>{value}</{tag}>", text, count=1)
    write_bytes(path, text.encode())
    with pytest.raises(detap.DetapInputError,
                       match=re.escape(f"{path}: ") + rf"object 0 \(b\) <{tag}> is not finite"):
        run(voc)


def test_empty_or_missing_coordinate(voc):
    path = voc.annopath.format("000002")
    original = read_bytes(path)
    text = original.decode()
    write_bytes(path, re.sub(r"<xmin>\d+</xmin>", "<xmin></xmin>", text, count=1).encode())
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{path}: ") + r".*<xmin> is empty"):
        run(voc)
    forget_memory()
    write_bytes(path, re.sub(r"<ymin>\d+</ymin>", "", text, count=1).encode())
    bump_mtime(path)
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{path}: ") + r".*has no <ymin>"):
        run(voc)


def _recs_from_data(data, edit=None):
    """The reference's recs built from the synthetic arrays (not from the
    files), so that float coordinates and missing tags can be expressed."""
    recs = {n: [] for n in data.names}
    for k in np.argsort(data.gt_img, kind="stable"):
        obj = {"name": data.classes[data.gt_cls[k]], "pose": "Unspecified", "truncated": 0,
               "difficult": int(data.gt_difficult[k]),
               "bbox": [int(v) for v in data.gt_boxes[k]]}
        recs[data.names[data.gt_img[k]]].append(obj)
    if edit is not None:
        edit(recs)
    return recs


def _reference_from_recs(voc, recs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return reference_voc.voc_eval_recs(recs, voc.data.names, voc.detfile, CLS)


def test_float_coordinates_are_accepted(voc):
    path = voc.annopath.format("000000")
    with open(path) as f:
        text = f.read()
    m = re.search(r"<xmin>(\d+)</xmin>\n      <ymin>(\d+)</ymin>", text)
    xmin, ymin = int(m.group(1)), int(m.group(2))
    text = text.replace(m.group(0), f"<xmin>{xmin}.5</xmin>\n      <ymin>{ymin - 0.25}</ymin>", 1)
    write_bytes(path, text.encode())
    objs = detap.parse_rec(path)
    assert objs[0]["bbox"][:2] == [xmin + 0.5, ymin - 0.25]
    assert type(objs[0]["bbox"][2]) is int

    def edit(recs):
        recs["000000"][0]["bbox"][:2] = [xmin + 0.5, ymin - 0.25]

    assert_same_result(run(voc), _reference_from_recs(voc, _recs_from_data(voc.data, edit)))


def test_missing_optional_tags_are_accepted(voc):
    """No <pose>, <truncated> or <difficult>: pose None, flags 0."""
    path = voc.annopath.format("000000")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\s*<(pose|truncated|difficult)>[^<]*</\1>", "", text)
    write_bytes(path, text.encode())
    objs = detap.parse_rec(path)
    assert objs and all(o["pose"] is None and o["truncated"] == 0 and o["difficult"] == 0
                        for o in objs)

    def edit(recs):
        for o in recs["000000"]:
            o["difficult"] = 0

    assert_same_result(run(voc), _reference_from_recs(voc, _recs_from_data(voc.data, edit)))


def test_non_integer_difficult_flag(voc):
    path = edit_annotation(voc, "000002", "<difficult>1</difficult>", "<difficult>yes</difficult>")
    with pytest.raises(detap.DetapInputError, match=re.escape(f"{path}: ") + r".*<difficult>"):
        run(voc)


# ---------------------------------------------------------------------- cache


def test_cachedir_is_created(voc):
    cachedir = os.path.join(voc.cachedir, "deep", "er")
    assert not os.path.exists(voc.cachedir)
    assert_same_result(run(voc, cachedir), reference(voc))
    assert len(cache_files(cachedir)) == 1


def test_cache_file_written_after_an_uncached_call(voc):
    """With cachedir given, the cache file exists after the call even when the
    annotations were already parsed in this process by an uncached call
    (py-faster-rcnn's voc_eval always leaves the cache behind)."""
    run(voc)  # parsed, kept in memory only
    assert_same_result(run(voc, voc.cachedir), reference(voc))
    assert len(cache_files(voc.cachedir)) == 1


def test_cache_is_used_from_disk(voc, monkeypatch):
    """The second call (memory forgotten) reads the cache file, not the XML."""
    first = run(voc, voc.cachedir)
    forget_memory()

    def no_xml(*a, **k):
        raise AssertionError("annotations re-parsed although the cache is valid")

    monkeypatch.setattr(detap.voc, "parse_rec", no_xml)
    assert_same_result(run(voc, voc.cachedir), first)


@pytest.mark.parametrize("corruption", ["garbage", "truncated", "empty", "zeros", "other_npz",
                                        "wrong_format_tag", "missing_key"])
def test_corrupt_cache_raises(voc, corruption):
    run(voc, voc.cachedir)
    (path,) = cache_files(voc.cachedir)
    good = read_bytes(path)
    if corruption == "garbage":
        write_bytes(path, b"this is not a zip file\x00\xff" * 10)
    elif corruption == "truncated":
        write_bytes(path, good[: len(good) // 2])
    elif corruption == "empty":
        write_bytes(path, b"")
    elif corruption == "zeros":
        write_bytes(path, bytes(len(good)))
    else:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        if corruption == "other_npz":
            arrays = {"x": np.arange(3)}
        elif corruption == "wrong_format_tag":
            arrays["format"] = np.array("something-else-v9")
        else:
            del arrays["boxes"]
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    forget_memory()
    with pytest.raises(detap.DetapCacheError, match=re.escape(path)):
        run(voc, voc.cachedir)


def test_inconsistent_cache_raises_cache_error(voc):
    """A well-formed cache file whose arrays disagree with each other (here:
    ``difficult`` one entry short) is a corrupt cache: DetapCacheError naming
    the file, not an IndexError/ValueError from deep inside, and never a
    silently wrong result."""
    run(voc, voc.cachedir)
    (path,) = cache_files(voc.cachedir)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["difficult"] = arrays["difficult"][:-1]
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    forget_memory()
    with pytest.raises(detap.DetapCacheError, match=re.escape(path)):
        run(voc, voc.cachedir)


class _Sentinel:
    """Unpickling this creates the directory ``path``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.mark.parametrize("evil_keys", ["all", "format", "fingerprint", "names", "boxes"])
def test_pickled_cache_is_refused(voc, evil_keys):
    run(voc, voc.cachedir)
    (path,) = cache_files(voc.cachedir)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    sentinel = str(voc.tmp / "PWNED")
    for k in (list(arrays) if evil_keys == "all" else [evil_keys]):
        arrays[k] = np.array([_Sentinel(sentinel), "x"], dtype=object)
    with open(path, "wb") as f:
        np.savez(f, **arrays)

    # the crafted file is live: unpickling it does run the payload
    probe = str(voc.tmp / "probe")
    live = path + ".live.npz"
    with open(live, "wb") as f:
        np.savez(f, x=np.array([_Sentinel(probe)], dtype=object))
    with np.load(live, allow_pickle=True) as z:
        z["x"]
    assert os.path.isdir(probe)
    os.remove(live)

    forget_memory()
    with pytest.raises(detap.DetapCacheError, match=re.escape(path)):
        run(voc, voc.cachedir)
    assert not os.path.exists(sentinel)


def test_voc_eval_never_unpickles(voc, monkeypatch):
    calls = []
    real_read = detap.cache.read

    def spy_read(*a, **k):
        calls.append(a[0])
        return real_read(*a, **k)

    def boom(*a, **k):
        raise AssertionError("pickle used")

    monkeypatch.setattr(detap.cache, "read", spy_read)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    ref = reference(voc)
    assert_same_result(run(voc, voc.cachedir), ref)  # writes the cache
    forget_memory()
    assert_same_result(run(voc, voc.cachedir), ref)  # reads it
    assert len(calls) == 1


def test_cache_rebuilt_when_annotation_changes(voc):
    before = run(voc, voc.cachedir)
    assert_same_result(before, reference(voc))
    (path,) = cache_files(voc.cachedir)
    old_cache = read_bytes(path)
    move_first_b_box(voc)
    forget_memory()
    after = run(voc, voc.cachedir)
    assert float(after[2]) != float(before[2])
    assert_same_result(after, reference(voc))
    forget_memory()
    assert_same_result(after, run(voc))  # a fresh evaluation without cache
    assert read_bytes(path) != old_cache  # the cache file was rewritten
    forget_memory()
    assert_same_result(run(voc, voc.cachedir), after)  # and is now valid


def test_grouped_gt_kept_only_for_the_same_files_and_image_list(voc):
    """Repeated evaluations (every epoch) reuse the grouped GT of a class;
    an edited annotation file or another image list does not."""
    names = detap.voc.read_imageset(voc.imagesetfile)
    conv = detap.conventions.PRESETS["py-faster-rcnn"]
    first = detap.voc.load_annotations(voc.annopath, names)
    gt = first.class_gt(CLS, conv)
    again = detap.voc.load_annotations(voc.annopath, names)
    assert again.class_gt(CLS, conv) is gt
    assert again.class_gt(CLS, conv.replace(difficult="count")).npos != gt.npos
    twice = detap.voc.load_annotations(voc.annopath, names + names[:1])  # an image listed twice
    assert twice.class_gt(CLS, conv) is not gt
    assert np.array_equal(twice.multiplicity[:1], [2])
    move_first_b_box(voc)
    edited = detap.voc.load_annotations(voc.annopath, names)
    assert edited.class_gt(CLS, conv) is not gt
    assert not np.array_equal(edited.class_gt(CLS, conv).boxes, gt.boxes)
    assert_same_result(run(voc), reference(voc))


def test_cache_rebuilt_when_edit_keeps_size_and_mtime(voc):
    """Same byte count, mtime restored: the change is still seen."""
    before = run(voc, voc.cachedir)
    d = voc.data
    k = int(np.flatnonzero((d.gt_cls == 1) & ~d.gt_difficult)[0])
    name = d.names[d.gt_img[k]]
    path = voc.annopath.format(name)
    st = os.stat(path)
    # the kernel's file timestamps are coarse (a few ms): let the ctime of the
    # edit differ from that of the original write, as any real edit's does
    time.sleep(0.05)
    with open(path) as f:
        text = f.read()
    # mark every class-b object of this image difficult: same length
    new = text.replace("<difficult>0</difficult>", "<difficult>1</difficult>")
    assert new != text and len(new) == len(text)
    write_bytes(path, new.encode())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    forget_memory()
    after = run(voc, voc.cachedir)
    assert_same_result(after, reference(voc))
    assert not (np.array_equal(after[0], before[0]) and np.array_equal(after[1], before[1]))


def test_cache_rebuilt_when_image_set_changes(voc):
    """Same length and first id (so possibly the same cache file name), one
    image replaced by another."""
    assert_same_result(run(voc, voc.cachedir), reference(voc))
    # image 000005: the annotation of 000003 with every box of class b moved
    with open(voc.annopath.format("000003")) as f:
        text = f.read()
    text = re.sub(r"<name>b</name>", "<name>a</name>", text)
    write_bytes(voc.annopath.format("000005"), text.encode())
    names = voc.data.names[:4] + ["000005"]
    write_bytes(voc.imagesetfile, "".join(n + "\n" for n in names).encode())
    write_det(voc, b"\n".join(x.replace(b"000004 ", b"000005 ") for x in voc.det_lines) + b"\n")
    forget_memory()
    got = run(voc, voc.cachedir)
    assert_same_result(got, reference(voc))
    forget_memory()
    assert_same_result(got, run(voc))


def _failing_savez(file, *args, **kwds):
    file.write(b"PK\x03\x04 half a zip")
    raise OSError(28, "No space left on device (simulated)")


def test_cache_write_is_atomic_no_leftovers(voc, monkeypatch):
    monkeypatch.setattr(detap.cache.np, "savez", _failing_savez)
    with pytest.warns(UserWarning, match="could not write annotation cache"):
        got = run(voc, voc.cachedir)
    assert_same_result(got, reference(voc))
    assert os.listdir(voc.cachedir) == []


def test_cache_write_failure_keeps_previous_cache(voc, monkeypatch):
    run(voc, voc.cachedir)
    (path,) = cache_files(voc.cachedir)
    old_cache = read_bytes(path)
    move_first_b_box(voc)
    forget_memory()
    with monkeypatch.context() as m:
        m.setattr(detap.cache.np, "savez", _failing_savez)
        with pytest.warns(UserWarning, match="could not write annotation cache"):
            got = run(voc, voc.cachedir)
    assert_same_result(got, reference(voc))  # the edited annotations
    assert os.listdir(voc.cachedir) == [os.path.basename(path)]
    assert read_bytes(path) == old_cache
    forget_memory()
    assert_same_result(run(voc, voc.cachedir), got)  # stale cache not used


def test_cache_write_interrupted_leaves_no_temp_file(voc, monkeypatch):
    def interrupted(file, *a, **k):
        file.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(detap.cache.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(voc, voc.cachedir)
    assert os.listdir(voc.cachedir) == []


# ------------------------------------------------------------------ array API

B = np.array([[0, 0, 10, 10], [5, 5, 20, 20], [0, 0, 10, 10.]])
S = np.array([0.9, 0.8, 0.7])
I = np.array([0, 1, 0])
G = np.array([[0, 0, 10, 10], [5, 5, 20, 20.]])
GI = np.array([0, 1])


def _evaluate(**changes):
    args = dict(det_boxes=B, det_scores=S, det_image=I, gt_boxes=G, gt_image=GI)
    args.update(changes)
    return detap.evaluate_class(**args)


def test_array_api_baseline():
    r = _evaluate()
    assert r.ap == 1.0
    assert np.array_equal(r.labels, [1, 1, 0])


BAD_ARRAYS = {
    "det_boxes_3_columns": (dict(det_boxes=B[:, :3]), r"det_boxes must have shape \(N, 4\)"),
    "det_boxes_1d": (dict(det_boxes=B[0]), r"det_boxes must have shape \(N, 4\)"),
    "det_boxes_3d": (dict(det_boxes=B[None]), r"det_boxes must have shape \(N, 4\)"),
    "gt_boxes_5_columns": (dict(gt_boxes=np.ones((2, 5))), r"gt_boxes must have shape \(N, 4\)"),
    "det_boxes_nan": (dict(det_boxes=np.where(np.arange(12).reshape(3, 4) == 5, np.nan, B)),
                      r"det_boxes\[1\] is not finite"),
    "det_boxes_inf": (dict(det_boxes=np.where(np.arange(12).reshape(3, 4) == 11, np.inf, B)),
                      r"det_boxes\[2\] is not finite"),
    "gt_boxes_neg_inf": (dict(gt_boxes=np.where(np.arange(8).reshape(2, 4) == 6, -np.inf, G)),
                         r"gt_boxes\[1\] is not finite"),
    "scores_nan": (dict(det_scores=np.array([0.9, np.nan, 0.7])), r"det_scores\[1\] is NaN"),
    "scores_nan_f32": (dict(det_scores=np.array([np.nan, 1, 2], np.float32)),
                       r"det_scores\[0\] is NaN"),
    "scores_short": (dict(det_scores=S[:2]), r"det_scores must have shape \(3,\)"),
    "scores_2d": (dict(det_scores=S[None]), r"det_scores must have shape \(3,\)"),
    "scores_strings": (dict(det_scores=np.array(["a", "b", "c"])), r"det_scores must be numeric"),
    "scores_object": (dict(det_scores=S.astype(object)), r"det_scores must be numeric"),
    "det_image_negative": (dict(det_image=np.array([0, -1, 0])), r"det_image\[1\] = -1 is negative"),
    "det_image_float": (dict(det_image=np.array([0, 1.0, 0])), r"det_image must hold integer"),
    "det_image_fractional": (dict(det_image=np.array([0, 1.5, 0])), r"det_image must hold integer"),
    "det_image_short": (dict(det_image=I[:2]), r"det_image must have shape \(3,\)"),
    "det_image_bool": (dict(det_image=np.array([True, False, True])), r"det_image must hold integer"),
    "gt_image_negative": (dict(gt_image=np.array([0, -3])), r"gt_image\[1\] = -3 is negative"),
    "gt_image_float": (dict(gt_image=np.array([0.0, 1.0])), r"gt_image must hold integer"),
    "gt_image_long": (dict(gt_image=np.array([0, 1, 1])), r"gt_image must have shape \(2,\)"),
    "gt_difficult_long": (dict(gt_difficult=np.array([0, 1, 0])), r"gt_difficult has 3 flags"),
    "n_images_too_small_det": (dict(n_images=1), r"det_image holds 1, not below n_images=1"),
    "n_images_too_small_gt": (dict(det_image=np.array([0, 0, 0]), n_images=1),
                              r"gt_image holds 1, not below n_images=1"),
}


@pytest.mark.parametrize("name", list(BAD_ARRAYS))
def test_array_api_rejects(name):
    changes, what = BAD_ARRAYS[name]
    with pytest.raises(detap.DetapInputError, match=what):
        _evaluate(**changes)


def test_array_api_error_is_a_value_error():
    with pytest.raises(ValueError):
        _evaluate(det_scores=np.array([np.nan, 0, 0]))


def test_unknown_convention_preset():
    with pytest.raises(ValueError, match="unknown convention preset 'voc2012'"):
        _evaluate(convention="voc2012")


def test_convention_field_checked():
    with pytest.raises(ValueError, match=r"Convention\.ap must be one of"):
        detap.Convention(ap="eleven")
    with pytest.raises(TypeError, match="convention must be a Convention or a preset name"):
        _evaluate(convention=0.5)


@pytest.mark.parametrize("thr", [float("nan"), [0.5, float("nan")]], ids=["scalar", "in_list"])
def test_nan_iou_threshold_rejected(thr):
    """A NaN IoU threshold is malformed input like a NaN score; today it
    silently makes every detection a false positive (AP 0)."""
    with pytest.raises(detap.DetapInputError, match="iou_threshold"):
        _evaluate(iou_threshold=thr)


def test_unknown_box_format_rejected():
    """box_format is "xyxy" or "xywh"; anything else must not be taken as xywh."""
    with pytest.raises(ValueError, match="box_format"):
        _evaluate(box_format="cxcywh", convention=detap.Convention(iou="coco"))


# --------------------------------------------------- never a segfault (C core)

_PRELUDE = """
import numpy as np
from detap import _core
i64 = lambda *a: np.array(a, dtype=np.int64)
b1 = np.array([[0, 0, 10, 10.]])
b2 = np.array([[0, 0, 10, 10.], [1, 1, 5, 5]])
u1 = np.zeros(1, np.uint8)
u2 = np.zeros(2, np.uint8)
thr = np.array([0.5])
V = _core.IOU_VOC
def main():
    {call}
try:
    main()
except BaseException as e:
    print("RAISED", type(e).__name__, e)
else:
    print("RETURNED")
"""

LOW_LEVEL = {
    # match_images(kind, rule, order, det_boxes, det_img, gt_boxes, gt_ignore, gt_off, thresholds, strict)
    "match_order_out_of_range": ("_core.match_images(V, _core.RULE_VOC, i64(5), b1, i64(0), b1, u1, i64(0, 1), thr, True)",
                                 "IndexError"),
    "match_order_negative": ("_core.match_images(V, _core.RULE_VOC, i64(-1), b1, i64(0), b1, u1, i64(0, 1), thr, True)",
                             "IndexError"),
    "match_det_img_out_of_range": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(1), b1, u1, i64(0, 1), thr, True)",
                                   "IndexError"),
    "match_det_img_negative": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(-2), b1, u1, i64(0, 1), thr, True)",
                               "IndexError"),
    "match_det_img_huge": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(2**62), b1, u1, i64(0, 1), thr, True)",
                           "IndexError"),
    "match_order_longer_than_boxes": (
        "_core.match_images(V, _core.RULE_VOC, i64(0, 1), b1, i64(0), b1, u1, i64(0, 1), thr, True)", "ValueError"),
    "match_det_img_longer": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(0, 0), b1, u1, i64(0, 1), thr, True)",
                             "ValueError"),
    "match_gt_off_total_wrong": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(0), b1, u1, i64(0, 2), thr, True)",
                                 "ValueError"),
    "match_gt_off_not_monotonic": (
        "_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(1), b2, u2, i64(0, 5, 2), thr, True)", "IndexError"),
    "match_gt_off_negative": (
        "_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(1), b2, u2, i64(0, -3, 2), thr, True)", "IndexError"),
    "match_gt_off_not_from_zero": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(0), b2, u2, i64(1, 2), thr, True)",
                                   "IndexError"),
    "match_gt_off_empty": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(0), b1, u1, i64(), thr, True)",
                           "ValueError"),
    "match_gt_ignore_short": ("_core.match_images(V, _core.RULE_VOC, i64(0), b1, i64(0), b2, u1, i64(0, 2), thr, True)",
                              "ValueError"),
    "match_boxes_3_columns": (
        "_core.match_images(V, _core.RULE_VOC, i64(0), np.zeros((1, 3)), i64(0), b1, u1, i64(0, 1), thr, True)",
        "ValueError"),
    "match_unknown_kind": ("_core.match_images(99, _core.RULE_VOC, i64(0), b1, i64(0), b1, u1, i64(0, 1), thr, True)",
                           "ValueError"),
    "match_wrong_dtype": ("_core.match_images(V, _core.RULE_VOC, np.array([0], np.int32), b1, i64(0), b1, u1, i64(0, 1), "
                          "thr, True)", "ValueError"),
    "match_not_contiguous": ("_core.match_images(V, _core.RULE_VOC, i64(0, 9, 1, 9)[::2], b2, i64(0, 0), b1, u1, i64(0, 1), thr, "
                             "True)", "ValueError"),
    "group_index_too_large": ("_core.group_by_image(i64(0, 3), 3)", "IndexError"),
    "group_index_negative": ("_core.group_by_image(i64(0, -1), 3)", "IndexError"),
    "group_no_images": ("_core.group_by_image(i64(0), 0)", "IndexError"),
    "group_negative_nimg": ("_core.group_by_image(i64(0), -1)", "ValueError"),
    "iou_crowd_length": ("_core.iou_matrix(b1, b2, V, np.zeros(3, np.uint8))", "ValueError"),
    "ap07_grid_length": ("_core.ap_voc07(np.zeros(2), np.zeros(2), np.zeros(10))", "ValueError"),
    "ap_all_point_lengths": ("_core.ap_all_point(np.zeros(2), np.zeros(3))", "ValueError"),
    "ap_coco101_lengths": ("_core.ap_coco101(np.zeros(2, np.int8), np.zeros(3), 1.0, np.zeros(101))",
                           "ValueError"),
    # parse_dets(data, ids, slow): an IdTable argument of None, and a slow
    # callback that hands back a record with fewer than 6 values
    "parse_dets_ids_none": ("_core.parse_dets(b'a 1 2 3 4 5\\n', None, lambda *a: None)",
                            "TypeError"),
    "parse_dets_short_record": ("_core.parse_dets(b'a x 2 3 4 5\\n', _core.IdTable([b'a']), "
                                "lambda *a: (0, 1.0))", ("IndexError", "ValueError", "TypeError")),
    "parse_dets_empty_record": ("_core.parse_dets(b'a x 2 3 4 5\\n', _core.IdTable([b'a']), "
                                "lambda *a: ())", ("IndexError", "ValueError", "TypeError")),
}


@pytest.mark.parametrize("name", list(LOW_LEVEL))
def test_low_level_never_crashes(name):
    """Run in a child process: a segfault must fail this test, not kill pytest."""
    call, expected = LOW_LEVEL[name]
    if isinstance(expected, str):
        expected = (expected,)
    code = textwrap.dedent(_PRELUDE).replace("{call}", call)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, (f"child died with return code {p.returncode} "
                               f"(negative = killed by signal)\n{p.stderr[-2000:]}")
    out = p.stdout.strip()
    assert out.startswith("RAISED "), out
    assert out.split()[1] in expected, out
