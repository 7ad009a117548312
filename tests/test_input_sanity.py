"""Input that reads without error but evaluates to a wrong mAP (issue 10,
"silent wrong answers"): each case is an error or a ``DetapWarning`` that
names the file or folder and the flag that fixes it, and the correct input
does not warn."""
import io
import json
import os
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detap
import detap.formats as F
from detap import cli, synth
from detap.errors import DetapCacheError, DetapInputError, DetapWarning
from tests.conftest import peer_data_dir
from tests.formats_support import write_lines

CLASSES = ("car", "cat", "dog")


def data(n_images=30, seed=1):
    return synth.make_voc_arrays(n_images=n_images, classes=CLASSES, seed=seed)


def per_image(folder, d, line, dets):
    """One ``<name>.txt`` per image of ``d``, a line per box from
    ``line(class index, score, (x1, y1, x2, y2), width, height)``."""
    files = {f"{n}.txt": "" for n in d.names}
    img, cls, boxes = ((d.det_img, d.det_cls, d.det_boxes) if dets else
                       (d.gt_img, d.gt_cls, d.gt_boxes))
    scores = d.det_scores if dets else np.zeros(len(img))
    for i, k, s, b in zip(img, cls, scores, boxes):
        files[f"{d.names[i]}.txt"] += line(k, s, b, d.width[i], d.height[i]) + "\n"
    return write_lines(folder, files)


def xywh(k, s, b, w, h, name=True, conf=False):
    head = CLASSES[k] if name else str(k)
    return f"{head}{f' {s}' if conf else ''} {b[0]} {b[1]} {b[2] - b[0]} {b[3] - b[1]}"


def run(argv):
    out = io.StringIO()
    return cli.main(argv, out=out), out.getvalue()


def no_warning(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DetapWarning)
        return fn(*args, **kw)


# -------------------------------------------- 1. class ids without --names

def test_integer_class_ids_without_names_is_an_error(tmp_path, capsys):
    d = data()
    gt = per_image(tmp_path / "gt", d, xywh, False)
    dt = per_image(tmp_path / "dt", d, lambda *a: xywh(*a, name=False, conf=True), True)
    with pytest.raises(DetapInputError, match=r"(?s)^" + dt + r".*no detection class.*'0'.*"
                                              r"'car'.*--names"):
        F.read(gt, dt, "text")
    code, _ = run(["eval", "--gt", gt, "--dt", dt, "--format", "text"])
    err = capsys.readouterr().err
    assert code == 2 and "--names" in err and dt in err
    names = write_lines(tmp_path / "n", {"names.txt": "car\ncat\ndog\n"}) + "/names.txt"
    ds = no_warning(F.read, gt, dt, "text", names=names)
    assert detap.evaluate(ds, "voc").map > 0.5


def test_most_detection_classes_unknown_warns(tmp_path):
    d = data()
    gt = per_image(tmp_path / "gt", d, xywh, False)
    # "car" by name, the other two classes by id
    dt = per_image(tmp_path / "dt", d, lambda k, *a: xywh(k, *a, name=k == 0, conf=True), True)
    with pytest.warns(DetapWarning, match=r"^" + dt + r": only 1 of 3 detection classes .*"
                                          r"integer class ids need --names"):
        F.read(gt, dt, "text")


# ----------------------------------------------- 2. x1 y1 x2 y2 read as xywh

def xyxy_line(k, s, b, w, h, conf=False):
    return f"{CLASSES[k]}{f' {s}' if conf else ''} {b[0]} {b[1]} {b[2]} {b[3]}"


def test_corners_read_as_xywh_past_the_image_warn(tmp_path):
    d = data()
    synth.write_voc(d, str(tmp_path / "voc"))
    dt = per_image(tmp_path / "dt", d, lambda *a: xyxy_line(*a, conf=True), True)
    gt = str(tmp_path / "voc")
    with pytest.warns(DetapWarning, match=r"^" + dt + r": \d+ of \d+ detection boxes extend "
                                          r"past their image .*--box-format"):
        F.read(gt, dt, ("voc", "text"))
    ds = no_warning(F.read, gt, dt, ("voc", "text"), box_format="xyxy")
    assert detap.evaluate(ds, "voc").map > 0.5


@pytest.mark.parametrize("degrees_on", ["gt", "dt", "both"])
def test_rotated_box_angles_in_degrees_warn(tmp_path, degrees_on):
    """Rotated boxes take radians; angles in degrees read as radians give a
    plausible wrong AP (88 and 90 'radians' are 2 apart), so they warn."""
    d = data()

    def obb(deg, dets):
        def line(k, s, b, w, h):
            cx, cy, bw, bh = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]
            angle = float(30 + k * 20)  # degrees
            head = f"{CLASSES[k]} {s}" if dets else CLASSES[k]
            return f"{head} {cx} {cy} {bw} {bh} {angle if deg else float(np.deg2rad(angle))!r}"
        return line
    gt = per_image(tmp_path / "gt", d, obb(degrees_on in ("gt", "both"), False), False)
    dt = per_image(tmp_path / "dt", d, obb(degrees_on in ("dt", "both"), True), True)
    sides = {"gt": [gt], "dt": [dt], "both": [gt, dt]}[degrees_on]
    with pytest.warns(DetapWarning) as rec:
        F.read(gt, dt, "text", box_format="obb")
    said = [str(w.message) for w in rec if "look like degrees" in str(w.message)]
    assert sorted(m.split(":")[0] for m in said) == sorted(sides)
    if degrees_on != "dt":   # ground truth read alone (no detections) warns too
        with pytest.warns(DetapWarning, match="look like degrees"):
            F.read(gt, None, "text", box_format="obb")
    good_gt = per_image(tmp_path / "gt2", d, obb(False, False), False)
    good_dt = per_image(tmp_path / "dt2", d, obb(False, True), True)
    assert detap.evaluate(no_warning(F.read, good_gt, good_dt, "text", box_format="obb"),
                          "coco").map > 0.5


def test_corners_read_as_xywh_without_sizes_warn(tmp_path):
    d = data()
    gt = per_image(tmp_path / "gt", d, xyxy_line, False)
    dt = per_image(tmp_path / "dt", d, lambda *a: xyxy_line(*a, conf=True), True)
    with pytest.warns(DetapWarning, match=r"w > x and h > y.*--box-format") as rec:
        F.read(gt, dt, "text")
    assert {str(w.message).split(":")[0] for w in rec} == {gt, dt}
    assert all("\n" not in str(w.message) for w in rec)  # one line each
    no_warning(F.read, gt, dt, "text", box_format="xyxy")
    no_warning(F.read, per_image(tmp_path / "g2", d, xywh, False),
               per_image(tmp_path / "d2", d, lambda *a: xywh(*a, conf=True), True), "text")


def test_help_states_the_text_default_box_format(capsys):
    with pytest.raises(SystemExit):
        cli.main(["eval", "--help"])
    assert "default: xywh" in " ".join(capsys.readouterr().out.split())


# ------------------------------------------ 3. YOLO with the confidence first

def yolo_fields(k, s, b, w, h):
    cx, cy = (b[0] + b[2]) / 2 / w, (b[1] + b[3]) / 2 / h
    return int(k), float(cx), float(cy), float((b[2] - b[0]) / w), float((b[3] - b[1]) / h), \
        float(s)


def test_yolo_confidence_first_warns(tmp_path):
    d = data()
    sizes = {n: (int(w), int(h)) for n, w, h in zip(d.names, d.width, d.height)}
    gt = per_image(tmp_path / "gt", d, lambda *a: "%d %r %r %r %r" % yolo_fields(*a)[:5], False)
    wrong = per_image(tmp_path / "wrong", d, lambda *a: "%d %r %r %r %r %r" % (
        lambda f: (f[0], f[5]) + f[1:5])(yolo_fields(*a)), True)
    right = per_image(tmp_path / "right", d, lambda *a: "%d %r %r %r %r %r" % yolo_fields(*a), True)
    with pytest.warns(DetapWarning, match=r"^" + wrong + r": .*'class conf cx cy w h'"):
        F.read(gt, wrong, "yolo", names=list(CLASSES), image_sizes=sizes)
    ds = no_warning(F.read, gt, right, "yolo", names=list(CLASSES), image_sizes=sizes)
    assert detap.evaluate(ds, "voc").map > 0.5


def yolo_obb_fields(k, s, b, w, h):
    """A YOLO-OBB line's fields: the box's corners (relative), conf last."""
    x1, y1, x2, y2 = b
    return (int(k),) + tuple(float(v) for v in (x1 / w, y1 / h, x2 / w, y1 / h, x2 / w, y2 / h,
                                                  x1 / w, y2 / h)) + (float(s),)


def test_yolo_obb_confidence_first_warns(tmp_path):
    d = data()
    sizes = {n: (int(w), int(h)) for n, w, h in zip(d.names, d.width, d.height)}
    fmt = " ".join(["%d"] + ["%r"] * 9)
    gt = per_image(tmp_path / "gt", d, lambda *a: " ".join(["%d"] + ["%r"] * 8) % yolo_obb_fields(*a)[:9],
                   False)
    wrong = per_image(tmp_path / "wrong", d, lambda *a: fmt % (
        lambda f: (f[0], f[9]) + f[1:9])(yolo_obb_fields(*a)), True)
    right = per_image(tmp_path / "right", d, lambda *a: fmt % yolo_obb_fields(*a), True)
    with pytest.warns(DetapWarning, match=r"^" + wrong + r": .*'class conf x1 y1 .. x4 y4'"):
        F.read(gt, wrong, "yolo-obb", names=list(CLASSES), image_sizes=sizes)
    ds = no_warning(F.read, gt, right, "yolo-obb", names=list(CLASSES), image_sizes=sizes)
    assert detap.evaluate(ds, "dota").map > 0.5


@pytest.mark.parametrize("fmt", ["yolo", "yolo-obb"])
def test_yolo_confidence_column_errors_name_file_and_line(tmp_path, fmt):
    """A detections file without the confidence column, or ground truth
    with one: an error naming the file and line, whether the format is
    given (the line layout) or detected (which side the line fits)."""
    box = "0.1 0.1 0.3 0.1 0.3 0.3 0.1 0.3" if fmt == "yolo-obb" else "0.2 0.2 0.1 0.1"
    n = 9 if fmt == "yolo-obb" else 5
    sizes = {"a": (100, 100)}
    gt = write_lines(tmp_path / "gt", {"a.txt": f"0 {box}\n"})
    gtc = write_lines(tmp_path / "gtc", {"a.txt": f"0 {box}\n0 {box} 0.9\n"})
    dt = write_lines(tmp_path / "dt", {"a.txt": f"0 {box} 0.9\n"})
    dtn = write_lines(tmp_path / "dtn", {"a.txt": f"0 {box} 0.9\n\n0 {box}\n"})
    with pytest.raises(DetapInputError, match=rf"^{dtn}/a.txt:3: expected {n + 1} fields .* got "
                                              rf"{n}: .*\(no confidence: detection lines need one"):
        F.read(gt, dtn, fmt, names=["x"], image_sizes=sizes)
    with pytest.raises(DetapInputError, match=rf"^{gtc}/a.txt:2: expected {n} fields .* got "
                                              rf"{n + 1}: .*\(a confidence\? ground-truth lines"):
        F.read(gtc, dt, fmt, names=["x"], image_sizes=sizes)
    name = "YOLO-OBB" if fmt == "yolo-obb" else "YOLO"
    with pytest.raises(DetapInputError, match=rf"^{dtn}/a.txt:3: this line fits no known format "
                                              rf".*it reads as {name} ground truth"):
        F.read(gt, dtn, names=["x"], image_sizes=sizes)
    with pytest.raises(DetapInputError, match=rf"^{gtc}/a.txt:2: .*it reads as a {name} "
                                              "detection"):
        F.read(gtc, dt, names=["x"], image_sizes=sizes)
    code, _ = run(["eval", "--gt", gt, "--dt", dtn, "--names", write_lines(
        tmp_path / "n", {"n.txt": "x\n"}) + "/n.txt", "--image-sizes", str(tmp_path / "s.txt")])
    assert code == 2


# ------------------------------------------------------ 4. empty detections

def test_empty_detection_folder_warns(tmp_path):
    d = data()
    gt = per_image(tmp_path / "gt", d, xywh, False)
    (tmp_path / "dt").mkdir()
    dt = str(tmp_path / "dt")
    with pytest.warns(DetapWarning, match=r"^" + dt + r": no detections were read"):
        F.read(gt, dt, "text")


# ---------------------------------------- 5. ground truth in the wrong format

def test_no_ground_truth_is_an_error_naming_what_the_folder_holds(tmp_path, capsys):
    d = data()
    synth.write_voc(d, str(tmp_path / "voc"))
    ann = str(tmp_path / "voc" / "Annotations")
    dt = per_image(tmp_path / "dt", d, lambda *a: xywh(*a, conf=True), True)
    out = tmp_path / "report"
    code, text = run(["eval", "--gt", ann, "--dt", dt, "--format", "text", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and text == "" and not out.exists()
    assert f"{ann}: no ground-truth boxes" in err and "holds 30 .xml files: try --format voc" in err


# ------------------------------- 6. per-image detections beside VOC ground truth

def test_per_image_dets_read_as_voc_say_how(tmp_path):
    d = data()
    synth.write_voc(d, str(tmp_path / "voc"))
    dt = per_image(tmp_path / "dt", d, lambda *a: xywh(*a, conf=True), True)
    with pytest.raises(DetapInputError, match=r"read as VOC per-class det files.*--dt-format"):
        F.read(str(tmp_path / "voc"), dt, "voc")


# -------------------------------------- 7. text-only flags select the text format

def test_box_format_without_format_selects_text(tmp_path, capsys):
    d = data()
    gt = per_image(tmp_path / "gt", d, xywh, False)
    dt = per_image(tmp_path / "dt", d, lambda *a: xywh(*a, conf=True), True)
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--box-format", "xywh", "--json"])
    assert code == 0 and json.loads(text)["mAP"] > 0.5
    assert F.read(gt, dt, box_format="xywh").box_format == "xywh"
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--relative", "--json"])
    assert code == 2 and "no image size" in capsys.readouterr().err  # read as text


# ----------------------------------------------------------------- 8. convert

def test_convert_format_is_an_alias_of_from_and_takes_dt_format(tmp_path, capsys):
    d = data()
    gt = per_image(tmp_path / "gt", d, xyxy_line, False)
    out = str(tmp_path / "out.json")
    code, _ = run(["convert", "--gt", gt, "--format", "text", "--box-format", "xyxy",
                   "--to", "coco", "--out-gt", out])
    assert code == 0
    boxes = [a["bbox"] for a in json.load(open(out))["annotations"]]
    b = d.gt_boxes[np.argsort(d.gt_img, kind="stable")]
    assert boxes == (np.c_[b[:, :2], b[:, 2:] - b[:, :2]]).tolist()
    code, _ = run(["convert", "--gt", gt, "--format", "text", "--from", "voc", "--to", "coco",
                   "--out-gt", out])
    assert code == 2 and "--format is an alias of --from" in capsys.readouterr().err
    synth.write_voc(d, str(tmp_path / "voc"))
    dt = per_image(tmp_path / "dt", d, lambda *a: xywh(*a, conf=True), True)
    code, text = run(["convert", "--gt", str(tmp_path / "voc"), "--dt", dt, "--dt-format",
                      "text", "--to", "coco", "--out-gt", out, "--out-dt",
                      str(tmp_path / "dt.json")])
    assert code == 0 and f"{len(d.det_boxes)} detections" in text
    assert len(json.load(open(tmp_path / "dt.json"))) == len(d.det_boxes)


# ---------------------------------- 9. results whose category is not in the GT

def test_unknown_category_cli_errors_api_warns(tmp_path, capsys):
    gt_doc, results = synth.make_coco(n_images=5, n_categories=3, dets_per_image=5)
    bad = max(c["id"] for c in gt_doc["categories"]) + 1
    results = results + [dict(results[0], category_id=bad)]
    gt, dt = tmp_path / "gt.json", tmp_path / "dt.json"
    gt.write_text(json.dumps(gt_doc))
    dt.write_text(json.dumps(results))
    code, _ = run(["eval", "--gt", str(gt), "--dt", str(dt)])
    err = capsys.readouterr().err
    assert code == 2 and str(dt) in err and f"'category_id' {bad} is not in 'categories'" in err
    from detap.coco import COCO
    with pytest.warns(UserWarning):
        COCO(str(gt)).loadRes(str(dt))


# ------------------------------------------------------ 10. string image ids

def records(seed, n):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        ng = int(rng.integers(0, 4))
        xy = rng.uniform(0, 50, (ng, 2))
        gb = np.c_[xy, xy + rng.uniform(5, 30, (ng, 2))]
        gl = rng.integers(0, 3, ng)
        keep = rng.random(ng) < 0.7
        db = np.r_[gb[keep] + rng.normal(0, 2, (int(keep.sum()), 4)), rng.uniform(0, 60, (2, 4))]
        db[:, 2:] = np.maximum(db[:, 2:], db[:, :2])
        out.append(dict(image_id=i * 7, gt_boxes=gb, gt_labels=gl, det_boxes=db,
                        det_scores=np.round(rng.random(len(db)), 1),
                        det_labels=np.r_[gl[keep], rng.integers(0, 3, 2)]))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12),
       protocol=st.sampled_from(detap.PROTOCOLS), split=st.integers(0, 12))
def test_string_image_ids_equal_integer_ids(seed, n, protocol, split):
    recs = records(seed, n)
    ints = detap.Evaluator(protocol)
    ints.update_many(recs)
    a, b = detap.Evaluator(protocol), detap.Evaluator(protocol)
    for j, r in enumerate(recs):
        # ids sort like the integers; the two halves arrive in another order
        (a if j >= split else b).update(**dict(r, image_id=f"img{r['image_id']:06d}"))
    merged = pickle.loads(pickle.dumps(b)).merge(pickle.loads(pickle.dumps(a)))
    assert merged.compute().to_dict() == ints.compute().to_dict()


def test_image_ids_of_another_kind_are_explained():
    ev = detap.Evaluator("voc")
    ev.update("a", [[0, 0, 1, 1]], [0], [], [], [])
    with pytest.raises(DetapInputError, match="image ids must be of one kind"):
        ev.update(3, [[0, 0, 1, 1]], [0], [], [], [])
    with pytest.raises(DetapInputError, match="image_id must be an integer or a string"):
        ev.update(None, [[0, 0, 1, 1]], [0], [], [], [])


# ------------------------------------------------------------- 11. cache file

def test_random_cache_file_is_not_a_detap_cache(tmp_path):
    d = synth.make_voc_arrays(n_images=5, classes=CLASSES)
    det, anno, imageset = synth.write_voc(d, str(tmp_path / "voc"))
    cachedir = tmp_path / "cache"
    detap.voc_eval(det, anno, imageset, "car", str(cachedir))
    (cache_file,) = cachedir.iterdir()
    cache_file.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(DetapCacheError) as e:
        detap.voc_eval(det, anno, imageset, "car", str(cachedir))
    assert str(e.value) == f"{cache_file}: not a detap cache (delete it to rebuild)"


# ------------------------------------------------------- 12. overflowing boxes

def test_overflowing_boxes_are_an_error_not_a_numpy_warning(tmp_path):
    gt = write_lines(tmp_path / "gt", {"a.txt": "car 1 1 5 5\ncar 1e308 1e308 1e308 1e308\n"})
    dt = write_lines(tmp_path / "dt", {"a.txt": "car 0.5 1 1 5 5\n"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DetapInputError, match=r"^" + gt + r": image 'a', ground-truth box 2 "
                                                  r"\(class 'car'\).*overflow"):
            F.read(gt, dt, "text")


# ------------------------------------------------------------ no false alarms

def test_no_warning_on_the_bundled_sample_and_synth_data(tmp_path):
    sample = cli.SAMPLE
    no_warning(F.read, sample, os.path.join(sample, "results", "det_test_{}.txt"), "voc",
               imageset=os.path.join(sample, "ImageSets", "Main", "test.txt"))
    gt_doc, results = synth.make_coco(n_images=50)
    (tmp_path / "gt.json").write_text(json.dumps(gt_doc))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    ds = no_warning(F.read, str(tmp_path / "gt.json"), str(tmp_path / "dt.json"))
    for fmt in ("voc", "yolo", "cartucho", "text"):
        F.write(ds, fmt, str(tmp_path / fmt / "gt"), str(tmp_path / fmt / "dt"))
        no_warning(F.read, str(tmp_path / fmt / "gt"), str(tmp_path / fmt / "dt"), fmt,
                   image_sizes=dict(zip(ds.images, ds.image_sizes.tolist())) if fmt == "yolo"
                   else None)


TOY = "review_object_detection_metrics/toyexample/"
PEER_SETS = [
    ("cartucho_mAP/input", None, "cartucho", {}),
    (TOY + "gts_vocpascal_format", TOY + "dets_classname_abs_xywh", ("voc", "text"), {}),
    (TOY + "gts_vocpascal_format", TOY + "dets_classname_abs_xyx2y2", ("voc", "text"),
     {"box_format": "xyxy"}),
    (TOY + "gts_vocpascal_format", TOY + "dets_classid_abs_xywh", ("voc", "text"),
     {"names": TOY + "voc.names"}),
]


@pytest.mark.skipif(peer_data_dir() is None, reason="../shared/peer_data not present")
@pytest.mark.parametrize("gt, dt, fmt, kw", PEER_SETS)
def test_no_warning_on_peer_data(gt, dt, fmt, kw):
    base = str(peer_data_dir())
    kw = {k: os.path.join(base, v) if k == "names" else v for k, v in kw.items()}
    no_warning(F.read, os.path.join(base, gt), dt and os.path.join(base, dt), fmt, **kw)


def test_huge_result_boxes_load_without_numpy_warnings(recwarn):
    """pycocotools sets a result's area to w * h in Python floats (inf for a
    1e308 box, silently); detap gives the same inf without a numpy warning."""
    from detap.coco import COCO
    gt = COCO({"images": [{"id": 1}], "categories": [{"id": 1}],
               "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
                                "bbox": [0, 0, 10, 10], "area": 100.0, "iscrowd": 0}]})
    dt = gt.loadRes([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e308, 1e308],
                      "score": 0.5}])
    assert np.isinf(dt.columns("dt").area[0])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("field", ["segmentation", "keypoints"])
def test_segmentation_results_are_a_one_line_error(tmp_path, field):
    """detap eval on segm or keypoint results (no boxes): exit 2 naming the
    file, not a traceback, and not the boxes made from the masks."""
    import json
    import subprocess
    import sys
    gt = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4],
                           "area": 16.0, "iscrowd": 0}]}
    value = {"size": [8, 8], "counts": "04"} if field == "segmentation" else [1.0, 2.0, 2] * 17
    res = [{"image_id": 1, "category_id": 1, "score": 0.9, field: value}]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    p = subprocess.run([sys.executable, "-m", "detap", "eval", "--gt", str(tmp_path / "gt.json"),
                        "--dt", str(tmp_path / "res.json")], capture_output=True, text=True)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "res.json" in lines[0] and field[:8] in lines[0], p.stderr
    # the results given as ground truth: say what the file looks like
    p = subprocess.run([sys.executable, "-m", "detap", "eval", "--gt", str(tmp_path / "res.json"),
                        "--dt", str(tmp_path / "gt.json")], capture_output=True, text=True)
    assert p.returncode == 2 and "results file" in p.stderr and "--dt" in p.stderr, p.stderr
