"""detap.formats: readers, writers, conversion and autodetection.

Round trips write a Dataset and read it back, then compare every array with
np.array_equal.  Box values are chosen to be exactly representable in the
target format: integers in pixels, and image sizes that are powers of two,
so that YOLO's and the text format's fractions (x / width) are exact binary
fractions and scale back to the same integers.

Peer data (``../shared/peer_data``, located by ``tests.conftest.peer_data_dir``)
is read at the end; those tests skip when it is absent.
"""
import json
import os
import sys
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detap.formats as F
from detap.errors import DetapInputError
from detap.formats import text
from detap.formats.dataset import Dataset
from tests.conftest import peer_data_dir
from tests.formats_support import png, raises_at, write_lines

FORMATS = ("voc", "coco", "yolo", "cartucho", "text")


# ------------------------------------------------------------------ helpers

def sample(difficult=False, crowd=False):
    """Four images (sizes powers of two), three classes ("zebra" only in
    detections), an image with no GT ("im2") and one with no detections
    ("im3"); rows in image order, as per-image files give them back."""
    gt = [  # image, class, x1, y1, x2, y2
        (0, 0, 1, 2, 30, 20), (0, 1, 10, 4, 40, 28), (0, 0, 0, 0, 63, 31),
        (1, 1, 5, 5, 5, 9), (1, 0, 100, 20, 127, 63), (3, 1, 3, 1, 17, 12)]
    dt = [  # image, class, score, box
        (0, 0, 0.9, (1, 2, 29, 21)), (0, 2, 0.25, (10, 4, 40, 28)),
        (1, 1, 0.123456789, (4, 6, 6, 9)), (1, 0, 0.9, (90, 10, 120, 60)),
        (2, 2, 1e-7, (0, 0, 8, 8)), (2, 1, 0.5, (2, 2, 3, 3))]
    g = np.array(gt, dtype=np.float64)
    return Dataset(
        images=["im0", "im1", "im2", "im3"], classes=["cat", "dog", "zebra"], box_format="xyxy",
        gt_image=g[:, 0], gt_label=g[:, 1], gt_boxes=g[:, 2:],
        gt_difficult=np.array([0, 1, 0, 0, 1, 0], bool) if difficult else [],
        gt_iscrowd=np.array([0, 0, 1, 0, 0, 0], bool) if crowd else [],
        det_image=[d[0] for d in dt], det_label=[d[1] for d in dt],
        det_scores=[d[2] for d in dt], det_boxes=[d[3] for d in dt],
        image_sizes=np.array([[64, 32], [128, 64], [16, 16], [32, 16]]))


SIZES = {"im0": (64, 32), "im1": (128, 64), "im2": (16, 16), "im3": (32, 16)}


def assert_same(got, want, *, sizes=True, flags=("difficult", "iscrowd"), det_order=None):
    """Every array equal; boxes compared in xyxy (exact for these values).
    ``det_order``: the detection rows of ``want`` in the order ``got`` has
    them (VOC writes one file per class)."""
    assert got.images == want.images
    assert got.classes == want.classes
    assert np.array_equal(got.gt_as("xyxy"), want.gt_as("xyxy"))
    assert np.array_equal(got.gt_image, want.gt_image)
    assert np.array_equal(got.gt_label, want.gt_label)
    for flag in flags:
        assert np.array_equal(getattr(got, f"gt_{flag}"), getattr(want, f"gt_{flag}")), flag
    o = np.arange(len(want.det_scores)) if det_order is None else det_order
    assert np.array_equal(got.dets_as("xyxy"), want.dets_as("xyxy")[o])
    assert np.array_equal(got.det_image, want.det_image[o])
    assert np.array_equal(got.det_label, want.det_label[o])
    assert np.array_equal(got.det_scores, want.det_scores[o])
    if sizes:
        assert np.array_equal(got.image_sizes, want.image_sizes)
    assert got.has_dets == want.has_dets


def paths(tmp, fmt):
    ext = ".json" if fmt == "coco" else ""
    return os.path.join(tmp, f"gt{ext}"), os.path.join(tmp, f"dt{ext}")


def roundtrip(ds, fmt, tmp, **write_kw):
    gt, dt = paths(tmp, fmt)
    F.write(ds, fmt, gt, dt, **write_kw)
    read_kw = {"voc": dict(imageset="all"), "yolo": dict(image_sizes=SIZES),
               "text": dict(box_format=write_kw.get("box_format"),
                            relative=write_kw.get("relative"),
                            image_sizes=SIZES if write_kw.get("relative") else None)}
    return F.read(gt, dt, fmt, **read_kw.get(fmt, {}))


# --------------------------------------------------------------- round trips

def test_voc_roundtrip(tmp_path):
    ds = sample(difficult=True)
    got = roundtrip(ds, "voc", tmp_path)
    # one det file per class: rows grouped by class, file order within
    assert_same(got, ds, flags=("difficult",), det_order=np.argsort(ds.det_label, kind="stable"))
    assert got.box_format == "xyxy"


def test_voc_written_files_load_in_reference_parser(tmp_path):
    from tests import reference_voc
    F.write(sample(), "voc", tmp_path / "voc", tmp_path / "det")
    objs = reference_voc.parse_rec(str(tmp_path / "voc" / "Annotations" / "im0.xml"))
    assert [o["bbox"] for o in objs] == [[1, 2, 30, 20], [10, 4, 40, 28], [0, 0, 63, 31]]
    assert sorted(os.listdir(tmp_path / "det")) == [
        "det_test_cat.txt", "det_test_dog.txt", "det_test_zebra.txt"]


def test_voc_det_template_and_sets(tmp_path):
    ds = sample()
    F.write(ds, "voc", tmp_path / "root", str(tmp_path / "res" / "comp4_{}_x.txt"))
    got = F.read(tmp_path / "root", str(tmp_path / "res" / "comp4_{}_x.txt"), "voc",
                 imageset=str(tmp_path / "root" / "ImageSets" / "Main" / "all.txt"))
    assert_same(got, ds, det_order=np.argsort(ds.det_label, kind="stable"))
    # without an image set: every XML file, sorted
    assert F.read(tmp_path / "root" / "Annotations", format="voc").images == ds.images


def test_voc_crowd_is_written_difficult(tmp_path):
    ds = sample(crowd=True)
    with pytest.warns(UserWarning, match="crowd object"):
        got = roundtrip(ds, "voc", tmp_path)
    assert np.array_equal(got.gt_difficult, ds.gt_iscrowd)


def test_coco_roundtrip_keeps_ids_area_crowd(tmp_path):
    ds = sample(crowd=True)
    ds = Dataset(**{**ds.__dict__, "box_format": "xywh", "gt_boxes": ds.gt_as("xywh"),
                    "det_boxes": ds.dets_as("xywh"), "gt_area": np.arange(6) * 1.5 + 0.25,
                    "image_ids": [7, 3, 100, 4], "class_ids": [18, 1, 90]})
    got = roundtrip(ds, "coco", tmp_path)
    assert_same(got, ds, flags=("iscrowd",))
    assert got.box_format == "xywh"
    assert np.array_equal(got.gt_boxes, ds.gt_boxes)
    assert np.array_equal(got.gt_area, ds.gt_area)
    assert got.image_ids == [7, 3, 100, 4] and got.class_ids == [18, 1, 90]


def test_coco_written_files_load_in_pycocotools(tmp_path):
    from pycocotools.coco import COCO
    gt, dt = paths(tmp_path, "coco")
    F.write(sample(), "coco", gt, dt)
    with open(os.devnull, "w") as null:
        old, sys.stdout = sys.stdout, null  # pycocotools prints progress
        try:
            coco = COCO(gt)
            res = coco.loadRes(dt)
        finally:
            sys.stdout = old
    assert len(coco.getAnnIds()) == 6 and len(res.getAnnIds()) == 6
    assert coco.loadAnns(1)[0]["bbox"] == [1.0, 2.0, 29.0, 18.0]
    assert coco.loadImgs(1)[0]["file_name"] == "im0.jpg"


def test_yolo_roundtrip_exact(tmp_path):
    ds = sample()
    got = roundtrip(ds, "yolo", tmp_path)
    assert_same(got, ds)
    lines = (tmp_path / "gt" / "im0.txt").read_text().splitlines()
    assert lines[0] == "0 0.2421875 0.34375 0.453125 0.5625"
    assert (tmp_path / "gt" / "classes.txt").read_text() == "cat\ndog\nzebra\n"
    assert (tmp_path / "dt" / "im0.txt").read_text().splitlines()[0].endswith(" 0.9")


def test_yolo_drops_flags_with_warning(tmp_path):
    with pytest.warns(UserWarning, match="2 difficult"):
        roundtrip(sample(difficult=True), "yolo", tmp_path)


def test_cartucho_roundtrip(tmp_path):
    ds = sample(difficult=True)
    got = roundtrip(ds, "cartucho", tmp_path)
    assert_same(got, ds, sizes=False, flags=("difficult",))
    assert got.image_sizes is None
    assert (tmp_path / "gt" / "im1.txt").read_text() == "dog 5 5 5 9\ncat 100 20 127 63 difficult\n"
    assert (tmp_path / "dt" / "im3.txt").read_text() == ""


@pytest.mark.parametrize("box_format", ["xyxy", "xywh", "cxcywh"])
@pytest.mark.parametrize("relative", [False, True])
def test_text_roundtrip(tmp_path, box_format, relative):
    ds = sample()
    got = roundtrip(ds, "text", tmp_path, box_format=box_format, relative=relative)
    assert_same(got, ds, sizes=relative, flags=())
    assert got.box_format == ("xywh" if box_format == "xywh" else "xyxy")


def test_text_keeps_xywh_numbers(tmp_path):
    ds = sample()
    ds = Dataset(**{**ds.__dict__, "box_format": "xywh", "gt_boxes": ds.gt_as("xywh") + 0.1,
                    "det_boxes": ds.dets_as("xywh") / 3})
    got = roundtrip(ds, "text", tmp_path, box_format="xywh")
    assert np.array_equal(got.gt_boxes, ds.gt_boxes)
    assert np.array_equal(got.det_boxes, ds.det_boxes)


def test_gt_only_roundtrip(tmp_path):
    ds = sample()
    ds = Dataset(**{**ds.__dict__, "det_image": [], "det_label": [], "det_scores": [],
                    "det_boxes": np.zeros((0, 4)), "has_dets": False, "classes": ["cat", "dog"]})
    for fmt in FORMATS:
        gt, _ = paths(tmp_path / fmt, fmt)
        F.write(ds, fmt, gt)
        kw = {"yolo": dict(image_sizes=SIZES), "voc": dict(imageset="all")}.get(fmt, {})
        got = F.read(gt, None, fmt, **kw)
        assert_same(got, ds, sizes=fmt in ("voc", "coco", "yolo"), flags=())
        assert not got.has_dets


# hypothesis: random small data sets through every format

@st.composite
def datasets(draw):
    n_img = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(["a", "b", "c.d", "e-f"]), min_size=1, max_size=3,
                          unique=True))
    sizes = np.array([draw(st.sampled_from([(64, 64), (128, 32), (256, 512)]))
                      for _ in range(n_img)])

    def rows(n, dets):
        out = []
        for _ in range(n):
            i = draw(st.integers(0, n_img - 1))
            w, h = sizes[i]
            x1, y1 = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
            box = (x1, y1, draw(st.integers(x1, w)), draw(st.integers(y1, h)))
            score = draw(st.sampled_from([0.5, 0.1, 1 / 3, 1.0, 0.0, 0.95])) if dets else 0.0
            out.append((i, draw(st.integers(0, len(names) - 1)), score, box))
        out.sort(key=lambda r: r[0])  # per-image files return rows in image order
        return out

    gt = rows(draw(st.integers(1, 8)), False)  # >= 1 class: VOC needs a det file
    dt = rows(draw(st.integers(0, 8)), True)
    if dt:  # a class shared with the GT: with none, read() refuses the data (sanity.py)
        dt[0] = (dt[0][0], gt[0][1]) + dt[0][2:]
    used = sorted({names[r[1]] for r in gt + dt})
    relabel = {names.index(n): k for k, n in enumerate(used)}

    def col(rs, j):
        return [relabel[r[1]] for r in rs] if j == 1 else [r[j] for r in rs]

    return Dataset(
        images=[f"img{i}" for i in range(n_img)], classes=used,
        gt_image=col(gt, 0), gt_label=col(gt, 1), gt_boxes=np.array(col(gt, 3)).reshape(-1, 4),
        gt_difficult=[draw(st.booleans()) for _ in gt],
        det_image=col(dt, 0), det_label=col(dt, 1), det_scores=col(dt, 2),
        det_boxes=np.array(col(dt, 3)).reshape(-1, 4), image_sizes=sizes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(), fmt=st.sampled_from(FORMATS), box_format=st.sampled_from(text.BOX_FORMATS),
       relative=st.booleans())
def test_roundtrip_property(ds, fmt, box_format, relative):
    sizes = dict(zip(ds.images, ds.image_sizes.tolist()))
    kept = {"voc": ("difficult",), "cartucho": ("difficult",)}.get(fmt, ())
    if not kept:
        ds = Dataset(**{**ds.__dict__, "gt_difficult": []})
    write_kw = dict(box_format=box_format, relative=relative) if fmt == "text" else {}
    with tempfile.TemporaryDirectory() as tmp:
        gt, dt = paths(tmp, fmt)
        if fmt == "text" and box_format == "obb" and relative:
            # a rotated box has no relative form: the writer refuses, and writes nothing
            with pytest.raises(DetapInputError, match="no relative coordinates"):
                F.write(ds, fmt, gt, dt, **write_kw)
            assert not any(os.listdir(d) for d in (gt, dt) if os.path.isdir(d))
            return
        F.write(ds, fmt, gt, dt, **write_kw)
        read_kw = {"voc": dict(imageset="all"), "yolo": dict(image_sizes=sizes),
                   "text": dict(write_kw, image_sizes=sizes)}.get(fmt, {})
        got = F.read(gt, dt, fmt, **read_kw)
    order = np.argsort(ds.det_label, kind="stable") if fmt == "voc" else None
    assert_same(got, ds, sizes=fmt != "cartucho", flags=kept, det_order=order)


# ---------------------------------------------------------------- conversion

def canonical(ds):
    """Rows sorted by (image, class, box, score): for comparing data sets
    whose formats store rows in different orders."""
    def sort(img, lab, box, score):
        keys = [score, *box.T[::-1], lab, img] if score is not None else [*box.T[::-1], lab, img]
        o = np.lexsort(keys)
        return img[o], lab[o], box[o], None if score is None else score[o]
    return (ds.images, ds.classes, sort(ds.gt_image, ds.gt_label, ds.gt_as("xyxy"), None),
            sort(ds.det_image, ds.det_label, ds.dets_as("xyxy"), ds.det_scores))


def assert_canonical_equal(a, b):
    ca, cb = canonical(a), canonical(b)
    assert ca[0] == cb[0] and ca[1] == cb[1]
    for x, y in zip(ca[2] + ca[3], cb[2] + cb[3]):
        assert (x is None and y is None) or np.array_equal(x, y)


def test_convert_chain_through_every_format(tmp_path):
    base = sample()
    src = (str(tmp_path / "src"), str(tmp_path / "src_dt"))
    F.write(base, "voc", *src)
    steps = [("voc", {"imageset": "all"}), ("coco", {}), ("yolo", {}), ("cartucho", {}),
             ("text", {"dst_box_format": "cxcywh", "dst_relative": True}), ("voc", {})]
    fmt, opts = steps[0]
    for k, (dst, dst_opts) in enumerate(steps[1:], 1):
        out = paths(tmp_path / f"step{k}", dst)
        read_opts = {key: v for key, v in opts.items() if not key.startswith("dst_")}
        if fmt == "text":
            read_opts.update(box_format="cxcywh", relative=True)
        read_opts["image_sizes"] = SIZES  # only a fallback where the files have sizes
        ds = F.convert(*src, fmt, dst, *out, **read_opts, **dst_opts)
        assert_canonical_equal(ds, base)
        src, fmt, opts = out, dst, dst_opts
    final = F.read(*src, "voc")
    assert_canonical_equal(final, base)


def test_convert_options(tmp_path):
    F.write(sample(), "cartucho", tmp_path / "g", tmp_path / "d")
    with pytest.raises(TypeError, match="bogus"):
        F.convert(tmp_path / "g", tmp_path / "d", "cartucho", "coco", "a.json", "b.json", bogus=1)
    ds = F.convert(str(tmp_path / "g"), None, "auto", "text", str(tmp_path / "t"), None,
                   dst_box_format="xyxy")
    assert not ds.has_dets
    assert (tmp_path / "t" / "im0.txt").read_text().startswith("cat 1 2 30 20\n")


def test_mixed_formats_use_gt_sizes(tmp_path):
    ds = sample()
    F.write(ds, "coco", tmp_path / "gt.json")
    F.write(ds, "text", tmp_path / "unused", tmp_path / "dets", box_format="cxcywh", relative=True)
    got = F.read(tmp_path / "gt.json", tmp_path / "dets", ("coco", "text"),
                 box_format="cxcywh", relative=True)
    assert got.box_format == "xywh"
    assert_canonical_equal(got, ds)
    with pytest.raises(DetapInputError, match="need coco ground truth"):
        F.read(tmp_path / "unused", tmp_path / "gt.json", ("text", "coco"))


def test_dataset_reindex_and_with_detections():
    ds = sample()
    r = ds.reindex(images=["im3", "im2", "im1", "im0", "new"], classes=["zebra", "dog", "cat"])
    assert r.image_sizes is None and r.images[-1] == "new"
    assert [r.images[i] for i in r.gt_image] == [ds.images[i] for i in ds.gt_image]
    assert [r.classes[i] for i in r.det_label] == [ds.classes[i] for i in ds.det_label]
    assert np.array_equal(ds.reindex(images=ds.images[::-1]).image_sizes, ds.image_sizes[::-1])
    with pytest.raises(ValueError, match="'im0'"):
        ds.reindex(images=["im1"])
    gt_only = Dataset(**{**ds.__dict__, "det_image": [], "det_label": [], "det_scores": [],
                         "det_boxes": np.zeros((0, 4)), "image_sizes": None})
    dets = ds.reindex(images=["im9"] + ds.images, classes=["ant"] + ds.classes)
    both = gt_only.with_detections(dets)
    assert both.images == ds.images + ["im9"] and both.classes == ds.classes + ["ant"]
    assert both.image_sizes is None  # im9 has no size anywhere
    assert [both.images[i] for i in both.det_image] == [ds.images[i] for i in ds.det_image]


# ------------------------------------------------------------- autodetection

def test_detect_written_formats(tmp_path):
    ds = sample(difficult=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fmt in ("voc", "coco", "yolo", "cartucho"):
            gt, dt = paths(tmp_path / fmt, fmt)
            F.write(ds, fmt, gt, dt)
            assert F.detect_format(gt, dt) == fmt
            assert F.detect_format(gt) == fmt
    got = F.read(*paths(tmp_path / "yolo", "yolo"), image_sizes=SIZES)  # format="auto"
    assert_same(got, Dataset(**{**ds.__dict__, "gt_difficult": []}))


def test_detect_voc_layouts(tmp_path):
    F.write(sample(), "voc", tmp_path / "VOCdevkit" / "VOC2007")
    devkit = tmp_path / "VOCdevkit"
    assert F.detect_format(devkit) == "voc"
    assert F.detect_format(devkit / "VOC2007") == "voc"
    assert F.detect_format(devkit / "VOC2007" / "Annotations") == "voc"
    assert F.read(devkit, imageset="all").images == ["im0", "im1", "im2", "im3"]
    # an Annotations folder finds its image sets in the parent
    assert len(F.read(devkit / "VOC2007" / "Annotations", imageset="all").images) == 4
    F.write(sample(), "voc", devkit / "VOC2012")
    with pytest.raises(DetapInputError, match="several data sets.*VOC2007, VOC2012"):
        F.read(devkit)


def test_detect_cartucho_root_reads_both_folders(tmp_path):
    F.write(sample(), "cartucho", tmp_path / "input" / "ground-truth",
            tmp_path / "input" / "detection-results")
    assert F.detect_format(tmp_path / "input") == "cartucho"
    ds = F.read(tmp_path / "input")
    assert ds.has_dets and len(ds.det_scores) == 6


@pytest.mark.parametrize("gt_lines, fragment", [
    ({"a.txt": "cat 0 0 5 5\n", "b.txt": "dog 10 20 3 4\n"}, "box format"),  # xywh-like text
    ({"a.txt": "3 10 20 30 40\n"}, "box format"),                          # ids, pixels
    ({"a.txt": "cat 1 2\n"}, "fits no known format"),
    ({"a.txt": "\n\n"}, "no boxes"),
])
def test_detect_ambiguous_names_format_option(tmp_path, gt_lines, fragment):
    gt = write_lines(tmp_path / "gt", gt_lines)
    with pytest.raises(DetapInputError, match=f"(?s){fragment}.*--format"):
        F.detect_format(gt)


def test_detect_uses_detections_and_rejects_other_files(tmp_path):
    gt = write_lines(tmp_path / "gt", {"a.txt": "0 0.5 0.5 0.25 0.25\n"})
    assert F.detect_format(gt) == "yolo"
    dt = write_lines(tmp_path / "dt", {"a.txt": "cat 0.9 1 1 5 5\n"})
    with pytest.raises(DetapInputError, match="box format"):
        F.detect_format(gt, dt)  # only text fits class-id GT and named-class detections
    assert F.detect_format(write_lines(tmp_path / "c", {"x.txt": "a 1 2 3 4 difficult\n"})) == \
        "cartucho"
    with pytest.raises(DetapInputError, match="--format"):
        F.detect_format(write_lines(tmp_path / "f", {"x.csv": ""}) + "/x.csv")
    with pytest.raises(DetapInputError, match="no such file"):
        F.detect_format(tmp_path / "missing")


# ----------------------------------------------------------------- line files

LINE_ERRORS = [
    ("cartucho", "cat 1 2 3\n", 1, "expected 5 fields"),
    ("cartucho", "\ncat 1 2 3 4 5 6\n", 2, "got 7"),
    ("cartucho", "cat 1 2 x 4\n", 1, "field 'x2' is not a number: 'x'"),
    ("cartucho", "cat 1 2 nan 4\n", 1, "field 'x2' is not finite"),
    ("cartucho", "cat 1 2 3 inf\n", 1, "field 'y2' is not finite"),
    ("cartucho", "cat 5 2 3 4\n", 1, "x2 < x1 (negative width)"),
    ("cartucho", "cat 1 2 3 4\ncat 1 5 3 4\n", 2, "y2 < y1 (negative height)"),
    ("text", "cat 1 2 -3 4\n", 1, "'w' is negative"),
    ("text", "cat 1 2 3 -4\n", 1, "'h' is negative"),
]


@pytest.mark.parametrize("fmt, body, line, fragment", LINE_ERRORS)
def test_gt_line_errors(tmp_path, fmt, body, line, fragment):
    gt = write_lines(tmp_path / "gt", {"a.txt": "cat 0 0 1 1\n", "b.txt": body})
    with raises_at(os.path.join(gt, "b.txt"), line, fragment):
        F.read(gt, None, fmt)


@pytest.mark.parametrize("fmt, body, line, fragment", [
    ("cartucho", "cat 0.5 1 2 3\n", 1, "expected 6 fields 'class confidence x1 y1 x2 y2'"),
    ("cartucho", "cat high 1 2 3 4\n", 1, "field 'confidence' is not a number"),
    ("cartucho", "cat nan 1 2 3 4\n", 1, "field 'confidence' is not finite"),
    ("yolo", "0 0.5 0.5 0.1 0.1 -inf\n", 1, "field 'confidence' is not finite"),
    ("yolo", "0 0.5 0.5 -0.1 0.1 0.9\n", 1, "'w' is negative"),
    ("yolo", "cat 0.5 0.5 0.1 0.1 0.9\n", 1, "class id 'cat' is not an integer"),
    ("yolo", "\n\n2 0.5 0.5 0.1 0.1 0.9\n", 3, "unknown class id 2"),
    ("yolo", "-1 0.5 0.5 0.1 0.1 0.9\n", 1, "unknown class id -1"),
])
def test_det_line_errors(tmp_path, fmt, body, line, fragment):
    dt = write_lines(tmp_path / "dt", {"b.txt": body})
    gt = write_lines(tmp_path / "gt", {"b.txt": ""})
    kw = dict(names=["cat", "dog"], image_sizes={"b": (10, 10)}) if fmt == "yolo" else {}
    with raises_at(os.path.join(dt, "b.txt"), line, fragment):
        F.read(gt, dt, fmt, **kw)


def test_unknown_class_name_with_names(tmp_path):
    gt = write_lines(tmp_path / "gt", {"a.txt": "cat 0 0 1 1\nemu 1 1 2 2\n"})
    with raises_at(os.path.join(gt, "a.txt"), 2, "class 'emu' is not in the class names"):
        F.read(gt, None, "cartucho", names=["cat", "dog"])
    ds = F.read(gt, None, "cartucho", names=["dog", "emu", "cat"])
    assert ds.classes == ["dog", "emu", "cat"] and ds.gt_label.tolist() == [2, 1]


def test_text_class_ids_with_names_file(tmp_path):
    names = write_lines(tmp_path, {"n.names": "cat\ndog\n\n"}) + "/n.names"
    gt = write_lines(tmp_path / "gt", {"a.txt": "1 0 0 4 4\ncat 1 1 2 2\n"})
    ds = F.read(gt, None, "text", names=names)
    assert ds.classes == ["cat", "dog"] and ds.gt_label.tolist() == [1, 0]
    with raises_at(os.path.join(gt, "a.txt"), 1, "unknown class id 1"):
        F.read(gt, None, "text", names=["cat"])


def test_not_utf8_names_line(tmp_path):
    gt = write_lines(tmp_path / "gt", {})
    (tmp_path / "gt" / "a.txt").write_bytes(b"cat 0 0 1 1\ncat\xff 1 1 2 2\n")
    with raises_at(os.path.join(gt, "a.txt"), 2, "not UTF-8"):
        F.read(gt, None, "cartucho")


def test_detections_without_gt_file_add_the_image(tmp_path):
    gt = write_lines(tmp_path / "gt", {"b.txt": "cat 0 0 1 1\n"})
    dt = write_lines(tmp_path / "dt", {"a.txt": "cat 0.5 0 0 1 1\n", "b.txt": ""})
    ds = F.read(gt, dt, "cartucho")
    assert ds.images == ["a", "b"] and ds.classes == ["cat"]
    assert ds.gt_image.tolist() == [1] and ds.det_image.tolist() == [0]


def test_files_sort_like_the_tools(tmp_path):
    # "a-b.txt" < "a.txt" by file name although "a" < "a-b" by stem
    gt = write_lines(tmp_path / "gt", {"a.txt": "x 0 0 1 1\n", "a-b.txt": "x 0 0 1 1\n"})
    assert F.read(gt, None, "cartucho").images == ["a-b", "a"]


def test_relative_needs_sizes(tmp_path):
    gt = write_lines(tmp_path / "gt", {"a.txt": "", "b.txt": "cat 0.5 0.5 0.1 0.1\n"})
    with raises_at(os.path.join(gt, "b.txt"), 1, "no image size for image 'b'"):
        F.read(gt, None, "text", box_format="cxcywh", relative=True, image_sizes={"a": (4, 4)})


def test_write_errors(tmp_path):
    ds = sample()
    spaced = Dataset(**{**ds.__dict__, "classes": ["cat", "big dog", "zebra"]})
    with pytest.raises(DetapInputError, match="'big dog' cannot be written as one field"):
        F.write(spaced, "cartucho", tmp_path / "c")
    spaced_img = Dataset(**{**ds.__dict__, "images": ["im0", "im 1", "im2", "im3"]})
    with pytest.raises(DetapInputError, match="image id 'im 1' cannot be written as one field"):
        F.write(spaced_img, "voc", tmp_path / "v", tmp_path / "vd")
    nosize = Dataset(**{**ds.__dict__, "image_sizes": None})
    with pytest.raises(DetapInputError, match="need the image sizes"):
        F.write(nosize, "yolo", tmp_path / "y")
    with pytest.raises(DetapInputError, match="apply to the text format"):
        F.write(ds, "cartucho", tmp_path / "c", relative=True)
    with pytest.raises(DetapInputError, match="unknown format"):
        F.write(ds, "kitti", tmp_path / "k")
    slash = Dataset(**{**ds.__dict__, "images": ["a/b", "im1", "im2", "im3"]})
    with pytest.raises(DetapInputError, match="cannot be a file name"):
        F.write(slash, "text", tmp_path / "t")


def test_read_option_errors(tmp_path):
    F.write(sample(), "cartucho", tmp_path / "g")
    with pytest.raises(DetapInputError, match="imageset applies to the voc and dota formats"):
        F.read(tmp_path / "g", format="cartucho", imageset="test")
    with pytest.raises(DetapInputError, match="apply to the text format"):
        F.read(tmp_path / "g", format="cartucho", box_format="xywh")
    with pytest.raises(DetapInputError, match="box_format must be one of"):
        F.read(tmp_path / "g", format="text", box_format="ltrb")
    with pytest.raises(DetapInputError, match="unknown format 'kitti'"):
        F.read(tmp_path / "g", format="kitti")
    with raises_at(str(tmp_path / "nope"), None, "no such directory"):
        F.read(tmp_path / "nope", format="text")
    with raises_at(str(tmp_path / "g" / "im0.txt"), 2, "class 'dog' is not in the class names"):
        F.read(tmp_path / "g", format="cartucho", names=["cat"])
    F.write(sample(), "voc", tmp_path / "v")
    with pytest.raises(DetapInputError, match="'dog' of the data is not in the class names"):
        F.read(tmp_path / "v", format="voc", names=["cat"])


# ------------------------------------------------------------ names and sizes

def test_yolo_finds_names_or_says_so(tmp_path):
    labels = write_lines(tmp_path / "ds" / "labels" / "val", {"a.txt": "1 0.5 0.5 0.5 0.5\n"})
    write_lines(tmp_path / "ds" / "images" / "val", {})
    with pytest.raises(DetapInputError, match="need the class names.*--names"):
        F.read(labels, None, "yolo", image_sizes={"a": (8, 8)})
    write_lines(tmp_path / "ds", {"data.yaml": "names: [x, y]\n"})
    (tmp_path / "ds" / "images" / "val" / "a.png").write_bytes(png(16, 8))
    ds = F.read(labels, None, "yolo")  # names from ../../data.yaml, size from images/val
    assert ds.classes == ["x", "y"] and ds.gt_boxes.tolist() == [[4.0, 2.0, 12.0, 6.0]]
    assert ds.image_sizes.tolist() == [[16, 8]]


def test_sizes_attached_for_absolute_formats(tmp_path):
    F.write(sample(), "cartucho", tmp_path / "g")
    ds = F.read(tmp_path / "g", format="cartucho", image_sizes=SIZES)
    assert np.array_equal(ds.image_sizes, sample().image_sizes)


# ----------------------------------------------------------------- VOC errors

def test_voc_errors(tmp_path):
    F.write(sample(), "voc", tmp_path / "v", tmp_path / "d")
    ann = tmp_path / "v" / "Annotations"
    with raises_at(str(tmp_path / "v" / "ImageSets" / "Main" / "x"), None, "image set not found"):
        F.read(tmp_path / "v", format="voc", imageset=str(tmp_path / "v" / "ImageSets" / "Main" / "x"))
    (tmp_path / "v" / "ImageSets" / "Main" / "more.txt").write_text("im0\nim9\n")
    with raises_at(str(ann / "im9.xml"), None, "no such annotation file"):
        F.read(tmp_path / "v", format="voc", imageset="more")
    # a negative box in the XML
    xml = (ann / "im1.xml").read_text().replace("<xmax>5</xmax>", "<xmax>4</xmax>")
    (ann / "im1.xml").write_text(xml)
    with raises_at(str(ann / "im1.xml"), None, "object 0 (dog): xmax < xmin"):
        F.read(tmp_path / "v", format="voc")
    (ann / "im1.xml").write_text("<annotation>\n<object>\n</annotation>\n")
    with raises_at(str(ann / "im1.xml"), 3, "malformed XML"):
        F.read(tmp_path / "v", format="voc")


def test_voc_det_errors(tmp_path):
    F.write(sample(), "voc", tmp_path / "v", tmp_path / "d")
    det = tmp_path / "d" / "det_test_dog.txt"
    det.write_text("im0 0.5 1 1 2 2\n\nim1 0.5 5 1 2 2\n")
    with raises_at(str(det), 3, "negative width"):
        F.read(tmp_path / "v", tmp_path / "d", "voc")
    det.write_text("im0 0.5 1 1 2 2\nim7 0.5 1 1 2 2\n")
    with raises_at(str(det), 2, "'im7' is not in the image set"):
        F.read(tmp_path / "v", tmp_path / "d", "voc")
    det.write_text("im0 0.5 1 1 2\n")
    with raises_at(str(det), 1, "got 5 field"):
        F.read(tmp_path / "v", tmp_path / "d", "voc")
    with raises_at(str(tmp_path / "empty"), None, "no such directory"):
        F.read(tmp_path / "v", str(tmp_path / "empty" / "det_{}.txt"), "voc")
    os.makedirs(tmp_path / "none")
    with raises_at(str(tmp_path / "none"), None, "no per-class detection files"):
        F.read(tmp_path / "v", tmp_path / "none", "voc")


def test_voc_det_file_class_names(tmp_path):
    # one file: the class is the part after the last "_", unless a GT
    # class (here with an underscore) ends the name
    ds = Dataset(images=["i"], classes=["traffic_light"], gt_image=[0], gt_label=[0],
                 gt_boxes=[[0, 0, 1, 1]], det_image=[0], det_label=[0], det_scores=[0.5],
                 det_boxes=[[0, 0, 1, 1]])
    F.write(ds, "voc", tmp_path / "v", tmp_path / "d")
    assert F.read(tmp_path / "v", tmp_path / "d", "voc").classes == ["traffic_light"]
    assert list(F.voc.det_files(str(tmp_path / "d"))) == ["light"]


def test_sample_voc_package_data():
    root = os.path.join(os.path.dirname(F.__file__), "..", "data", "sample_voc")
    ds = F.read(root, os.path.join(root, "results"), imageset="test")
    assert len(ds.images) == 60 and len(ds.gt_boxes) == 153
    assert ds.classes == ["bicycle", "bottle", "car", "cat", "dog", "person"]


# ---------------------------------------------------------------- COCO errors

def coco_doc(**over):
    doc = {"images": [{"id": 1, "file_name": "a.jpg", "width": 8, "height": 8}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2],
                            "area": 4, "iscrowd": 0}],
           "categories": [{"id": 3, "name": "cat"}]}
    doc.update(over)
    return doc


def dump(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


def test_coco_errors(tmp_path):
    gt = dump(tmp_path / "gt.json", coco_doc())
    res = dump(tmp_path / "r1.json", [{"image_id": 1, "category_id": 4, "bbox": [0, 0, 1, 1],
                                       "score": 0.5}])
    with raises_at(res, None, "record 0: 'category_id' 4 is not in 'categories'"):
        F.read(gt, res)
    res = dump(tmp_path / "r2.json", [{"image_id": 2, "category_id": 3, "bbox": [0, 0, 1, 1],
                                       "score": 0.5}])
    with raises_at(res, None, "record 0: 'image_id' 2 is not an image"):
        F.read(gt, res)
    res = dump(tmp_path / "r3.json", [{"image_id": 1, "category_id": 3, "bbox": [0, 0, -1, 1],
                                       "score": 0.5}])
    with raises_at(res, None, "negative size"):
        F.read(gt, res)
    bad = coco_doc(annotations=[dict(coco_doc()["annotations"][0], image_id=5)])
    with raises_at(str(tmp_path / "g2.json"), None, "record 0: 'image_id' 5 is not in 'images'"):
        F.read(dump(tmp_path / "g2.json", bad))
    bad = coco_doc(images=coco_doc()["images"] * 2)
    with raises_at(str(tmp_path / "g3.json"), None, "images: id 1 appears twice"):
        F.read(dump(tmp_path / "g3.json", bad))
    (tmp_path / "g4.json").write_text('{"images": [}')
    with raises_at(str(tmp_path / "g4.json"), 1, "malformed JSON"):
        F.read(str(tmp_path / "g4.json"))


def test_coco_image_keys_and_result_objects(tmp_path):
    doc = coco_doc(images=[{"id": 1, "file_name": "x/a.jpg"}, {"id": 2, "file_name": "y/a.jpg"},
                           {"id": 5, "file_name": "b.png"}])
    gt = dump(tmp_path / "gt.json", doc)
    ds = F.read(gt)
    assert ds.images == ["x/a.jpg", "y/a.jpg", "b.png"] and ds.image_sizes is None
    res = dump(tmp_path / "res.json", {"annotations": [
        {"image_id": 5, "category_id": 3, "bbox": [1, 1, 2, 2], "score": 0.25}]})
    ds = F.read(gt, res)
    assert ds.det_image.tolist() == [2] and ds.det_scores.tolist() == [0.25]
    assert F.read(dump(tmp_path / "g2.json", coco_doc(images=[{"id": 1}]))).images == ["1"]


# ------------------------------------------------------------------ peer data

PEER = peer_data_dir("README.md")
peer = pytest.mark.skipif(PEER is None, reason="shared/peer_data not found")


def peer_path(*parts):
    path = os.path.join(PEER, *parts)
    if not os.path.exists(path):
        pytest.skip(f"{path} not present")
    return path


@peer
def test_peer_cartucho():
    root = peer_path("cartucho_mAP", "input")
    assert F.detect_format(root) == "cartucho"
    ds = F.read(root)
    assert len(ds.images) == 85 and len(ds.gt_boxes) == 686 and len(ds.det_boxes) == 494
    assert len(np.unique(ds.gt_label)) == 30  # classes with GT
    assert len(ds.classes) == 38              # with detection-only class names
    first = ds.images.index("2007_000027")
    assert ds.gt_boxes[ds.gt_image == first][0].tolist() == [176, 206, 225, 266]
    assert ds.classes[ds.gt_label[ds.gt_image == first][0]] == "pictureframe"
    empty = ds.images.index("2007_000332")  # its detection file is empty
    assert not (ds.det_image == empty).any() and (ds.gt_image == empty).any()


@peer
def test_peer_cartucho_roundtrip(tmp_path):
    ds = F.read(peer_path("cartucho_mAP", "input"))
    for fmt in ("cartucho", "voc"):
        got = roundtrip(ds, fmt, tmp_path / fmt)
        order = np.argsort(ds.det_label, kind="stable") if fmt == "voc" else None
        assert_same(got, ds, sizes=False, det_order=order)


@peer
@pytest.mark.parametrize("folder, cls", [("object_detection_metrics", "person"),
                                         ("review_object_detection_metrics/tests/test_case_1",
                                          "object")])
def test_peer_object_detection_metrics(folder, cls):
    base = peer_path(*folder.split("/"))
    gt_dir, dt_dir = (("groundtruths", "detections") if "test_case" not in folder
                      else ("gts", "dets"))
    ds = F.read(os.path.join(base, gt_dir), os.path.join(base, dt_dir), "text")
    assert (len(ds.images), len(ds.gt_boxes), len(ds.det_boxes)) == (7, 15, 24)
    assert ds.classes == [cls] and ds.box_format == "xywh"
    assert ds.gt_boxes[0].tolist() == [25, 16, 38, 56]
    assert ds.det_scores[:3].tolist() == [0.88, 0.70, 0.80]


@peer
def test_peer_object_detection_metrics_relative():
    base = peer_path("object_detection_metrics")
    absolute = F.read(os.path.join(base, "groundtruths"), os.path.join(base, "detections"), "text")
    # the _rel files are YOLO-style centre/size fractions of 200 x 200 images
    rel = F.read(os.path.join(base, "groundtruths_rel"), os.path.join(base, "detections_rel"),
                 "text", box_format="cxcywh", relative=True,
                 image_sizes={k: (200, 200) for k in absolute.images})
    assert rel.images == absolute.images and rel.classes == absolute.classes
    assert np.array_equal(rel.det_scores, absolute.det_scores)
    assert np.array_equal(rel.gt_label, absolute.gt_label)
    for got, want in ((rel.gt_boxes, absolute.gt_as("xyxy")), (rel.det_boxes, absolute.dets_as("xyxy"))):
        # the fractions are the pixel values / 200 written to ~16 digits:
        # equal within that precision, and exactly after rounding
        assert np.allclose(got, want, rtol=0, atol=1e-9)
        assert np.array_equal(np.round(got), want)


TOY_DETS = [
    ("dets_classname_abs_xywh", {}),
    ("dets_classname_abs_xyx2y2", dict(box_format="xyxy")),
    ("dets_classid_abs_xywh", dict(names="voc.names")),
    ("dets_classid_abs_xyx2y2", dict(box_format="xyxy", names="voc.names")),
]
TOY_REL = ["dets_classname_rel_xcycwh", "dets_classid_rel_xcycwh"]


def toy(*parts):
    return peer_path("review_object_detection_metrics", "toyexample", *parts)


def toy_read(folder, **kw):
    if "names" in kw:
        kw["names"] = toy(kw["names"])
    return F.read(toy("gts_vocpascal_format"), toy(folder), ("voc", "text"), **kw)


@peer
def test_peer_toyexample_voc_gt():
    ds = F.read(toy("gts_vocpascal_format"))
    assert len(ds.images) == 10 and len(ds.gt_boxes) == 12 and ds.classes == ["cat"]
    assert ds.image_sizes[ds.images.index("2007_000733")].tolist() == [450, 435]
    coco = F.read(toy("gts_coco_format", "toy_example_coco.JSON"),
                  toy("dets_coco_format", "coco_dets.json"), "coco")
    assert coco.images == ds.images and coco.classes == ["cat"]
    assert_canonical_equal(coco, F.read(toy("gts_vocpascal_format"),
                                                   toy("dets_classname_abs_xywh"),
                                                   ("voc", "text")))
    assert np.array_equal(coco.image_sizes, ds.image_sizes)


@peer
@pytest.mark.parametrize("folder, kw", TOY_DETS)
def test_peer_toyexample_absolute_dets(folder, kw):
    ref = toy_read("dets_classname_abs_xywh")
    ds = toy_read(folder, **kw)
    assert len(ds.det_boxes) == 12
    with open(toy("voc.names")) as f:
        voc_names = f.read().split()
    assert ds.classes == (voc_names if "names" in kw else ["cat"])
    assert [ds.classes[k] for k in ds.det_label] == ["cat"] * 12
    assert np.array_equal(ds.dets_as("xyxy"), ref.dets_as("xyxy"))
    assert np.array_equal(ds.det_scores, ref.det_scores)
    assert [ds.images[i] for i in ds.det_image] == [ref.images[i] for i in ref.det_image]


@peer
@pytest.mark.parametrize("folder", TOY_REL)
def test_peer_toyexample_relative_dets(folder):
    ref = toy_read("dets_classname_abs_xywh")
    kw = dict(names=toy("voc.names")) if "classid" in folder else {}
    ds = F.read(toy("gts_vocpascal_format"), toy(folder), ("voc", "text"),
                box_format="cxcywh", relative=True, **kw)  # sizes from the XML <size>
    assert np.array_equal(ds.det_scores, ref.det_scores)
    # the files' fractions were made from the pixel boxes and rounded (some
    # to 2 decimals, some to 6): they give back each corner within half a pixel
    r = ref.dets_as("xyxy")
    assert np.abs(ds.dets_as("xyxy") - r).max() <= 0.5


@peer
def test_peer_coco_val2014():
    base = peer_path("coco_val2014_100")
    gt = os.path.join(base, "instances_val2014_100.json")
    dt = os.path.join(base, "instances_val2014_fakebbox100_results.json")
    assert F.detect_format(gt, dt) == "coco"
    ds = F.read(gt, dt)
    assert (len(ds.images), len(ds.gt_boxes), len(ds.det_boxes)) == (100, 839, 734)
    assert len(ds.classes) == 80 and int(ds.gt_iscrowd.sum()) == 9
    with open(gt) as f:
        doc = json.load(f)
    assert ds.image_ids == [im["id"] for im in doc["images"]]
    assert ds.class_ids == [c["id"] for c in doc["categories"]]
    assert ds.images[0] == os.path.splitext(doc["images"][0]["file_name"])[0]
    assert np.array_equal(ds.gt_area, [a["area"] for a in doc["annotations"]])
    assert np.array_equal(ds.gt_boxes, [a["bbox"] for a in doc["annotations"]])


@peer
def test_peer_coco_roundtrip_gives_pycocotools_the_same_stats(tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    base = peer_path("coco_val2014_100")
    src = (os.path.join(base, "instances_val2014_100.json"),
           os.path.join(base, "instances_val2014_fakebbox100_results.json"))
    out = paths(tmp_path, "coco")
    ds = F.convert(*src, "coco", "coco", *out)
    assert_same(F.read(*out), ds, flags=("iscrowd",))

    def stats(gt, dt):
        with open(os.devnull, "w") as null:
            old, sys.stdout = sys.stdout, null
            try:
                c = COCO(gt)
                e = COCOeval(c, c.loadRes(dt), "bbox")
                e.evaluate()
                e.accumulate()
                e.summarize()
            finally:
                sys.stdout = old
        return e.stats

    assert np.array_equal(stats(*out), stats(*src))


def test_coco_gt_box_of_negative_size_is_refused(tmp_path):
    """detap eval refuses GT boxes of negative size (pycocotools' own API,
    detap.coco, warns and evaluates them)."""
    doc = coco_doc()
    doc["annotations"][0]["bbox"] = [0, 0, 5, -2]
    gt = dump(tmp_path / "gt.json", doc)
    with raises_at(gt, None, "negative size"):
        F.read(gt)
