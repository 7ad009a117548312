"""Oriented boxes through detap.formats and detap eval/convert: DOTA labelTxt
and Task1 files, YOLO-OBB labels and text quadrilaterals, evaluated by the
"dota" protocol, which must equal DOTA_devkit (our transcription,
tests/reference_dota.py) class by class, bit for bit."""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import detap
import detap.formats as F
from detap.errors import DetapInputError, DetapWarning
from tests.test_dota_exact import dota_dataset, reference_call, write_dota

LABELTXT = """imagesource:GoogleEarth
gsd:0.146343590398
10 10 50 10 50 40 10 40 plane 0
60 60 90 65 85 95 55 90 ship 1
100 100 140 100 140 130 100 130 plane
"""
TASK1 = {"plane": "P0001 0.9 11 10 50 11 50 40 10 40\nP0001 0.8 100 100 140 100 140 130 100 131\n"
                  "P0002 0.3 5 5 25 5 25 30 5 30\n",
         "ship": "P0002 0.7 5 5 25 5 25 29 5 30\nP0001 0.6 60 60 90 65 85 95 55 90\n"}


def small_dota(root):
    os.makedirs(os.path.join(root, "labelTxt"))
    os.makedirs(os.path.join(root, "res"))
    with open(os.path.join(root, "labelTxt", "P0001.txt"), "w") as f:
        f.write(LABELTXT)
    with open(os.path.join(root, "labelTxt", "P0002.txt"), "w") as f:
        f.write("5 5 25 5 25 30 5 30 ship 0\n")
    for cls, text in TASK1.items():
        with open(os.path.join(root, "res", f"Task1_{cls}.txt"), "w") as f:
            f.write(text)
    return os.path.join(root, "labelTxt"), os.path.join(root, "res")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=dota_dataset())
def test_dota_protocol_is_the_devkit(ds):
    """detap.formats.read(..., "dota") + protocol "dota" == DOTA_devkit's
    voc_eval (11-point, np.argsort ties) on every class with GT and dets."""
    imageset, gts, dets = ds
    imageset = list(dict.fromkeys(imageset))  # a Dataset lists an image once
    with tempfile.TemporaryDirectory() as root:
        det, anno, iset = write_dota(root, imageset, gts, dets)
        if not any(gts.values()):
            with pytest.raises(DetapInputError, match="no ground-truth"), \
                    pytest.warns(RuntimeWarning):
                F.read(os.path.dirname(anno), det, "dota", imageset=iset)
            return
        gt_classes = {c for g in gts.values() for _, c, _ in g}
        if dets and not gt_classes & {d[3] for d in dets}:
            # detections of no ground-truth class: refused as a likely naming
            # mistake, where the devkit would score each class 0
            with pytest.raises(DetapInputError, match="no detection class"), _quiet():
                F.read(os.path.dirname(anno), det, "dota", imageset=iset)
            return
        with _quiet():
            data = F.read(os.path.dirname(anno), det, "dota", imageset=iset)
            got = detap.evaluate(data, "dota", 0.5)
        assert data.box_format == "quad" and data.gt_boxes.shape[1] == 8
        # the devkit's main() over the dataset's classes: map += ap; map / n,
        # a class without (non-difficult) GT included with its AP 0
        total, comparable = 0.0, True
        for cls in data.classes:
            if not any(d[3] == cls for d in dets):
                comparable = False  # the devkit fails on an empty det file
                continue
            ref, stale = reference_call(det, anno, iset, cls, 0.5, True)
            if stale is None or stale:
                comparable = False  # polyiou's stale memory: tests/test_dota_exact.py
                continue
            total = total + ref[2]
            pc = got.per_class[cls]  # (a report's AP is a float, the devkit's np.float64)
            assert pc.ap == ref[2], (cls, pc.ap, ref[2])
            assert np.array_equal(pc.recall, ref[0], equal_nan=True)  # (NaN without GT)
            assert np.array_equal(pc.precision, ref[1], equal_nan=True)
        if comparable:
            assert got.map == total / len(data.classes), (got.map, total / len(data.classes))


class _quiet:
    """Warnings (stale memory, classes without GT) are not this test's subject."""

    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_read_labeltxt_and_task1(tmp_path):
    gt, dt = small_dota(str(tmp_path))
    for where in (gt, str(tmp_path)):  # the labelTxt folder or the split folder
        assert F.detect_format(where) == "dota"
        ds = F.read(where, dt)
        assert ds.images == ["P0001", "P0002"] and ds.classes == ["plane", "ship"]
        assert ds.box_format == "quad" and ds.oriented
        assert ds.gt_boxes[1].tolist() == [60, 60, 90, 65, 85, 95, 55, 90]
        assert ds.gt_difficult.tolist() == [False, True, False, False]
        assert len(ds.det_boxes) == 5
    res = detap.evaluate(ds, "dota")
    (tmp_path / "set.txt").write_text("P0001\nP0002\n")
    ref = detap.dota.evaluate(os.path.join(dt, "Task1_{}.txt"), os.path.join(gt, "{}.txt"),
                              str(tmp_path / "set.txt"), convention="dota")
    for c in ds.classes:
        assert res.per_class[c].ap == ref.per_class[c].ap
        assert np.array_equal(res.per_class[c].precision, ref.per_class[c].precision)
    assert res.map == ref.map
    # the annotation statistics are those of the axis-aligned extent
    assert res.per_class["ship"].mean_area == (35 * 35 + 20 * 25) / 2


def test_protocol_and_box_kind_must_agree(tmp_path):
    gt, dt = small_dota(str(tmp_path))
    ds = F.read(gt, dt)
    with pytest.raises(DetapInputError, match="evaluated by the dota protocol"):
        detap.evaluate(ds, "voc")
    boxes = F.Dataset(images=["a"], classes=["x"], gt_boxes=[[0, 0, 1, 1]], gt_image=[0],
                      gt_label=[0])
    with pytest.raises(DetapInputError, match="evaluates oriented boxes"):
        detap.evaluate(boxes, "dota")
    assert [r.protocol for r in detap.protocols.evaluate_all(ds)] == ["dota"]


@pytest.mark.parametrize("side, name, line, msg, at", [
    ("gt", "P0002.txt", "1 2 3 4 5 6 7 x8 ship 0\n", "y4 is not a number", 2),
    ("dt", "Task1_ship.txt", "P0001 0.5 1 2 3 4\n", "Task1", 3),
])
def test_bad_line_names_file_and_line(tmp_path, side, name, line, msg, at):
    gt, dt = small_dota(str(tmp_path))
    with open(os.path.join(gt if side == "gt" else dt, name), "a") as f:
        f.write(line)
    with pytest.raises(DetapInputError, match=msg) as e:
        F.read(gt, dt, "dota")
    assert e.value.path.endswith(name) and e.value.line == at


def test_convert_round_trips(tmp_path):
    gt, dt = small_dota(str(tmp_path))
    sizes = {"P0001": (200, 150), "P0002": (64, 48)}
    ds = F.read(gt, dt, "dota", image_sizes=sizes)
    # dota -> dota and text quad: the same numbers
    F.write(ds, "dota", str(tmp_path / "d2"), str(tmp_path / "d2res"))
    again = F.read(str(tmp_path / "d2"), str(tmp_path / "d2res"), "dota")
    assert np.array_equal(again.gt_boxes, ds.gt_boxes)
    assert np.array_equal(again.det_boxes, ds.det_boxes)
    assert np.array_equal(again.gt_difficult, ds.gt_difficult)
    with pytest.warns(UserWarning, match="cannot mark 1 difficult"):
        F.write(ds, "text", str(tmp_path / "t"), str(tmp_path / "tres"), box_format="quad")
    t = F.read(str(tmp_path / "t"), str(tmp_path / "tres"), "text", box_format="quad")
    assert t.oriented and np.array_equal(t.gt_boxes, ds.gt_boxes)
    # dota -> yolo-obb (relative): the same quadrilaterals, to a rounding
    with pytest.warns(UserWarning, match="cannot mark 1 difficult"):
        F.write(ds, "yolo-obb", str(tmp_path / "y"), str(tmp_path / "yres"))
    assert F.detect_format(str(tmp_path / "y"), str(tmp_path / "yres")) == "yolo-obb"
    y = F.read(str(tmp_path / "y"), str(tmp_path / "yres"), "yolo-obb", image_sizes=sizes)
    assert y.oriented and y.classes == ds.classes
    assert np.allclose(y.gt_boxes, ds.gt_boxes, rtol=0, atol=1e-9)
    assert np.allclose(y.det_boxes[np.lexsort((y.det_scores,))],
                       ds.det_boxes[np.lexsort((ds.det_scores,))], rtol=0, atol=1e-9)
    line = (tmp_path / "y" / "P0002.txt").read_text().split()
    assert line[0] == "1" and float(line[1]) == 5 / 64 and float(line[2]) == 5 / 48
    # the orientation is never dropped silently
    for fmt in ("voc", "coco", "yolo", "cartucho"):
        with pytest.raises(DetapInputError, match="orientation would be lost"):
            F.write(ds, fmt, str(tmp_path / fmt))
    with pytest.raises(DetapInputError, match="orientation would be lost"):
        F.write(ds, "text", str(tmp_path / "txy"), box_format="xyxy")


def test_boxes_and_quads_do_not_mix(tmp_path):
    gt, dt = small_dota(str(tmp_path))
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "P0001.txt").write_text("plane 0.5 10 10 50 40\n")
    with pytest.raises(DetapInputError, match="do not mix"):
        F.read(gt, str(tmp_path / "boxes"), ("dota", "cartucho"))


def test_cli_eval_and_convert(tmp_path, capsys):
    from detap.cli import main
    gt, dt = small_dota(str(tmp_path))
    assert main(["eval", "--gt", gt, "--dt", dt, "--json"]) == 0
    import json
    doc = json.loads(capsys.readouterr().out)
    res = detap.evaluate(F.read(gt, dt), "dota")
    assert doc["protocol"] == "dota" and doc["mAP"] == res.map
    assert main(["eval", "--gt", gt, "--dt", dt, "--protocol", "voc"]) == 2
    assert "dota protocol" in capsys.readouterr().err
    assert main(["eval", "--gt", gt, "--dt", dt, "--analysis"]) == 0  # (polygon IoU)
    assert "polygon IoU" in capsys.readouterr().out
    sizes = tmp_path / "sizes.txt"
    sizes.write_text("P0001 200 150\nP0002 64 48\n")
    assert main(["convert", "--gt", gt, "--dt", dt, "--to", "yolo-obb", "--image-sizes",
                 str(sizes), "--out-gt", str(tmp_path / "y"), "--out-dt",
                 str(tmp_path / "yres"), "--quiet"]) == 0
    assert main(["eval", "--gt", str(tmp_path / "y"), "--dt", str(tmp_path / "yres"),
                 "--image-sizes", str(sizes), "--json"]) == 0
    capsys.readouterr()
    assert main(["convert", "--gt", gt, "--to", "voc", "--out-gt", str(tmp_path / "v"),
                 "--quiet"]) == 2
    assert "orientation would be lost" in capsys.readouterr().err


def test_class_without_counted_gt_scores_zero_as_in_the_devkit(tmp_path):
    """A class whose only GT is difficult, with detections: the devkit's
    main() scores it 0 (11-point voc_ap of a NaN recall) and divides by every
    class; detap eval's "dota" protocol, the streaming Evaluator and
    detap.dota.evaluate give that mean (it printed 100 with exit 0)."""
    (tmp_path / "labelTxt").mkdir()
    (tmp_path / "labelTxt" / "P0001.txt").write_text(
        "10 10 50 10 50 40 10 40 plane 0\n60 60 90 65 85 95 55 90 ship 1\n")
    (tmp_path / "set.txt").write_text("P0001\n")
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "Task1_plane.txt").write_text("P0001 0.9 10 10 50 10 50 40 10 40\n")
    (tmp_path / "res" / "Task1_ship.txt").write_text("P0001 0.8 60 60 90 65 85 95 55 90\n"
                                             "P0001 0.7 200 200 220 200 220 220 200 220\n")
    det, anno, iset = (str(tmp_path / "res" / "Task1_{:s}.txt"), str(tmp_path / "labelTxt" / "{:s}.txt"),
                       str(tmp_path / "set.txt"))
    refs = [reference_call(det, anno, iset, c, 0.5, True)[0][2] for c in ("plane", "ship")]
    want = (0.0 + refs[0] + refs[1]) / 2
    assert refs[1] == 0 and want < 0.6
    with pytest.warns(RuntimeWarning, match="ship"):
        data = F.read(str(tmp_path / "labelTxt"), str(tmp_path / "res"), "dota", imageset=iset)
        got = detap.evaluate(data, "dota", 0.5)
    assert got.map == want and got.per_class["ship"].ap == 0.0
    ev = detap.Evaluator("dota", classes=list(data.classes))
    for k, name in enumerate(data.images):
        g, d = data.gt_image == k, data.det_image == k
        ev.update(name, data.gt_boxes[g], data.gt_label[g],
                  data.det_boxes[d], data.det_scores[d], data.det_label[d],
                  gt_difficult=data.gt_difficult[g], box_format="quad")
    with pytest.warns(RuntimeWarning, match="ship"):
        assert ev.compute().map == want
    with pytest.warns(RuntimeWarning):
        assert detap.dota.evaluate(det, anno, iset, convention="dota").map == want


def test_pixel_coordinates_in_yolo_obb_labels_are_reported(tmp_path):
    """YOLO-OBB labels hold fractions of the image size; pixel coordinates
    written there parse, and would score 100 with GT written the same way:
    a warning names the folder (the review found them silent)."""
    for side in ("y", "yres"):
        (tmp_path / side).mkdir()
    (tmp_path / "y" / "classes.txt").write_text("plane\n")
    sizes = {f"i{k}": (200, 100) for k in range(12)}
    for k in range(12):
        quad = f"{10 + k} 10 {60 + k} 10 {60 + k} 40 {10 + k} 40"
        (tmp_path / "y" / f"i{k}.txt").write_text(f"0 {quad}\n")
        (tmp_path / "yres" / f"i{k}.txt").write_text(f"0 {quad} 0.9\n")
    with pytest.warns(DetapWarning, match="extend past their image: yolo-obb labels hold fractions"):
        F.read(str(tmp_path / "y"), str(tmp_path / "yres"), "yolo-obb", image_sizes=sizes)
    # the same labels as fractions: no warning
    for side, tail in (("y", ""), ("yres", " 0.9")):
        for k in range(12):
            quad = f"{(10 + k) / 200} 0.1 {(60 + k) / 200} 0.1 {(60 + k) / 200} 0.4 {(10 + k) / 200} 0.4"
            (tmp_path / side / f"i{k}.txt").write_text(f"0 {quad}{tail}\n")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", DetapWarning)
        F.read(str(tmp_path / "y"), str(tmp_path / "yres"), "yolo-obb", image_sizes=sizes)


def test_image_listed_twice_in_the_set_is_reported(tmp_path):
    gt, dt = small_dota(str(tmp_path))
    iset = tmp_path / "set.txt"
    iset.write_text("P0001\nP0002\nP0001\n")
    with pytest.warns(DetapWarning, match="listed more than once.*P0001"):
        ds = F.read(gt, dt, "dota", imageset=str(iset))
    assert ds.images == ["P0001", "P0002"]


def test_yolo_obb_vertices_just_outside_the_image_are_detected(tmp_path):
    """Ultralytics' DOTA conversion leaves border vertices at -0.002 or
    1.0004 (unclipped): still YOLO-OBB labels, not text boxes."""
    for side in ("y", "yres"):
        (tmp_path / side).mkdir()
    (tmp_path / "y" / "a.txt").write_text("0 -0.002 0.1 0.5 0.1 0.5 0.4 -0.002 0.4\n")
    (tmp_path / "yres" / "a.txt").write_text("0 -0.002 0.1 0.5 0.1 0.5 0.4 -0.002 0.4 0.9\n")
    (tmp_path / "y" / "b.txt").write_text("0 0.6 0.6 1.0004 0.6 1.0004 0.9 0.6 0.9\n")
    assert F.detect_format(str(tmp_path / "y"), str(tmp_path / "yres")) == "yolo-obb"


def test_c_readers_refuse_a_path_with_a_nul_byte(tmp_path):
    """C would open the path cut at the NUL, another file: refused, as
    os.stat refuses it."""
    from detap import _core
    (tmp_path / "a").write_text("0 0 1 0 1 1 0 1 car 0\n")
    bad = os.fsencode(str(tmp_path / "a")) + b"\0b.txt"
    with pytest.raises(ValueError, match="null"):
        os.stat(bad)
    with pytest.raises(ValueError, match="null byte"):
        _core.stat_files([bad], 1)
    with pytest.raises(ValueError, match="null byte"):
        _core.read_labeltxt([bad], 1)
