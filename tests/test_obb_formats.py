"""Rotated boxes (cx, cy, w, h, angle) through detap.formats and detap
eval/convert: text files with box_format "obb", COCO JSON with hotcoco's
"obb" field; the protocols of rotated boxes ("coco" with hotcoco's rotated
IoU, "mmrotate", "mmrotate-area", "ultralytics-obb") on a Dataset equal
hotcoco (COCO) and detap.evaluate_class under the same convention (itself
tested against the mmrotate and Ultralytics transcriptions in
test_rotated.py), and the box kinds never mix."""
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import detap
import detap.formats as F
from detap.boxes import boxes_as
from detap.cli import main
from detap.conventions import PRESETS
from detap.errors import DetapInputError
from tests.obb_support import obb_case, quiet


def positive(gt, res):
    """The case with sizes >= 0 (a data set's negative sizes are refused)."""
    for r in gt["annotations"] + res:
        r["obb"][2:4] = [abs(v) for v in r["obb"][2:4]]
    return gt, res


def write_case(tmp_path, gt, res):
    gp, dp = tmp_path / "gt.json", tmp_path / "dt.json"
    gp.write_text(json.dumps(gt))
    dp.write_text(json.dumps(res))
    return str(gp), str(dp)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       crowd=st.sampled_from([0.0, 0.2]))
def test_coco_protocol_on_a_dataset_equals_hotcoco(tmp_path_factory, seed, ties, grid, crowd):
    """formats.read(COCO, box_format="obb") + protocol "coco": hotcoco's 12
    numbers bit for bit, and its per-class AP at 0.5 (precision's mean)."""
    hotcoco = pytest.importorskip("hotcoco")
    tmp = tmp_path_factory.mktemp("c")
    gt, res = positive(*obb_case(seed, 6, 3, ties=ties, grid=grid, crowd=crowd))
    if not res or not gt["annotations"]:
        return
    gp, dp = write_case(tmp, gt, res)
    try:
        ds = quiet(F.read, gp, dp, "coco", box_format="obb")
    except DetapInputError as e:  # (no detection class is a GT class: refused)
        assert "no detection class" in str(e)
        return
    r = quiet(detap.evaluate, ds, "coco")
    ref = quiet(_hotcoco, hotcoco, gp, dp)
    assert np.array_equal(r.stats, np.asarray(ref.stats))
    assert r.iou_type == "obb"
    prec = np.asarray(ref.eval["precision"])[0, :, :, 0, -1]
    cats = sorted(c["id"] for c in gt["categories"])
    for k, c in enumerate(cats):
        col = prec[:, k]
        name = f"c{c}"
        want = float(np.mean(col[col > -1])) if (col > -1).any() else float("nan")
        got = r.per_class[name].ap
        assert got == want or (math.isnan(got) and math.isnan(want))


def _hotcoco(hotcoco, gp, dp):
    g = hotcoco.COCO(gp)
    ev = hotcoco.COCOeval(g, g.loadRes(dp), "obb")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    return ev


@pytest.mark.parametrize("protocol", ["mmrotate", "mmrotate-area", "ultralytics-obb"])
@pytest.mark.parametrize("seed", range(6))
def test_rotated_protocols_on_a_dataset_are_evaluate_class(tmp_path, protocol, seed):
    gt, res = positive(*obb_case(seed, 6, 3, ties=seed % 2 == 0, grid=seed % 3 == 0, crowd=0.2))
    gp, dp = write_case(tmp_path, gt, res)
    ds = quiet(F.read, gp, dp, "coco", box_format="obb")
    r = detap.evaluate(ds, protocol)
    aps = []
    for k, name in enumerate(ds.classes):
        g, d = ds.gt_label == k, ds.det_label == k
        c = detap.evaluate_class(ds.det_boxes[d], ds.det_scores[d], ds.det_image[d],
                                 ds.gt_boxes[g], ds.gt_image[g], ds.gt_iscrowd[g],
                                 convention=PRESETS[protocol], n_images=len(ds.images))
        assert r.per_class[name].tp == (int(c.tp[-1]) if len(c.tp) else 0)
        if c.npos:
            assert r.per_class[name].ap == c.ap
            aps.append(c.ap)
        else:
            assert math.isnan(r.per_class[name].ap)
    assert r.map == float(np.mean(aps))


def obb_text(tmp_path, gt_lines, dt_lines):
    for side, lines in (("gt", gt_lines), ("dt", dt_lines)):
        (tmp_path / side).mkdir(exist_ok=True)
        for key, text in lines.items():
            (tmp_path / side / f"{key}.txt").write_text(text)
    return str(tmp_path / "gt"), str(tmp_path / "dt")


GT_LINES = {"a": "car 50 50 40 20 0.3\ncar 120 80 30 30 -0.5\nbus 30 130 60 20 1.2\n",
            "b": "bus 60 60 90 40 3.0\n"}
DT_LINES = {"a": "car 0.9 51 50 40 20 0.32\ncar 0.8 121 79 30 31 -0.45\nbus 0.7 30 131 58 20 1.25\n"
                 "car 0.3 10 10 10 10 0\n",
            "b": "bus 0.6 61 59 88 41 3.05\ncar 0.5 60 60 90 40 3.0\n"}


def test_text_obb_read_write_and_the_coco_protocol(tmp_path):
    gt, dt = obb_text(tmp_path, GT_LINES, DT_LINES)
    ds = F.read(gt, dt, "text", box_format="obb")
    assert ds.box_format == "obb" and ds.gt_boxes.shape == (4, 5) and ds.det_boxes.shape == (6, 5)
    assert ds.gt_boxes[0].tolist() == [50, 50, 40, 20, 0.3]
    # text obb -> coco (hotcoco's fields) -> hotcoco: the protocol's numbers
    F.write(ds, "coco", str(tmp_path / "c.json"), str(tmp_path / "r.json"))
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["annotations"][0]["obb"] == [50, 50, 40, 20, 0.3]
    assert doc["annotations"][0]["area"] == 800
    assert "bbox" not in json.loads((tmp_path / "r.json").read_text())[0]
    back = F.read(str(tmp_path / "c.json"), str(tmp_path / "r.json"), "coco", box_format="obb")
    assert np.array_equal(back.gt_boxes, ds.gt_boxes) and np.array_equal(back.det_boxes, ds.det_boxes)
    r = detap.evaluate(ds, "coco")
    assert np.array_equal(detap.evaluate(back, "coco").stats, r.stats)
    hotcoco = pytest.importorskip("hotcoco")
    ref = quiet(_hotcoco, hotcoco, str(tmp_path / "c.json"), str(tmp_path / "r.json"))
    assert np.array_equal(r.stats, np.asarray(ref.stats))
    # text obb -> text obb: the same numbers; -> quad and dota: the corners
    F.write(ds, "text", str(tmp_path / "t"), str(tmp_path / "tr"), box_format="obb")
    t = F.read(str(tmp_path / "t"), str(tmp_path / "tr"), "text", box_format="obb")
    assert np.array_equal(t.gt_boxes, ds.gt_boxes) and np.array_equal(t.det_boxes, ds.det_boxes)
    F.write(ds, "dota", str(tmp_path / "d"), str(tmp_path / "dr"))
    q = F.read(str(tmp_path / "d"), str(tmp_path / "dr"), "dota")
    assert np.array_equal(q.gt_boxes, boxes_as(ds.gt_boxes, "obb", "quad"))


def test_box_kinds_never_mix_nor_lose_their_orientation(tmp_path):
    gt, dt = obb_text(tmp_path, GT_LINES, DT_LINES)
    ds = F.read(gt, dt, "text", box_format="obb")
    for fmt in ("voc", "yolo", "cartucho"):
        with pytest.raises(DetapInputError, match="orientation would be lost"):
            F.write(ds, fmt, str(tmp_path / fmt))
    with pytest.raises(DetapInputError, match="orientation would be lost"):
        F.write(ds, "text", str(tmp_path / "x"), box_format="xywh")
    quads = F.read(str(tmp_path / "gt"), None, "text", box_format="obb")
    quads = F.Dataset(images=quads.images, classes=quads.classes, box_format="quad",
                      gt_boxes=boxes_as(quads.gt_boxes, "obb", "quad"), gt_image=quads.gt_image,
                      gt_label=quads.gt_label)
    with pytest.raises(DetapInputError, match="orientation would be lost"):
        F.write(quads, "text", str(tmp_path / "q"), box_format="obb")
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "a.txt").write_text("car 0.5 10 10 50 40\n")
    with pytest.raises(DetapInputError, match="do not mix"):
        F.read(gt, str(tmp_path / "boxes"), ("text", "cartucho"), box_format="obb")
    for protocol in ("voc", "dota", "ultralytics"):
        with pytest.raises(DetapInputError, match="rotated boxes .* are evaluated by the coco, "
                                                  "mmrotate"):
            detap.evaluate(ds, protocol)
    (tmp_path / "boxgt").mkdir()
    (tmp_path / "boxgt" / "a.txt").write_text("car 10 10 50 40\n")
    boxes = F.read(str(tmp_path / "boxgt"), str(tmp_path / "boxes"), "cartucho")
    with pytest.raises(DetapInputError, match="'mmrotate' .*which evaluates rotated boxes"):
        detap.evaluate(boxes, "mmrotate")
    # axis-aligned boxes become angle-0 rectangles without loss
    F.write(boxes, "text", str(tmp_path / "ob"), box_format="obb")
    assert (tmp_path / "ob" / "a.txt").read_text() == "car 30 25 40 30 0\n"


@pytest.mark.parametrize("body, line, fragment", [
    ("car 1 2 -3 4 0\n", 1, "'w' is negative"),
    ("car 1 2 3 4 0\ncar 1 2 3 -4 0.5\n", 2, "'h' is negative"),
    ("car 1 2 3 4\n", 1, "expected 6 fields 'class cx cy w h angle', got 5"),
    ("car 1 2 3 4 nan\n", 1, "field 'angle' is not finite"),
])
def test_text_obb_line_errors(tmp_path, body, line, fragment):
    gt, _ = obb_text(tmp_path, {"a": body}, {})
    with pytest.raises(DetapInputError, match=fragment) as e:
        F.read(gt, None, "text", box_format="obb")
    assert e.value.path == os.path.join(gt, "a.txt") and e.value.line == line


def test_relative_rotated_boxes_are_refused(tmp_path):
    gt, _ = obb_text(tmp_path, {"a": "car 0.5 0.5 0.2 0.1 0.3\n"}, {})
    with pytest.raises(DetapInputError, match="no relative coordinates"):
        F.read(gt, None, "text", box_format="obb", relative=True, image_sizes={"a": (10, 20)})


def test_cli_eval_obb(tmp_path, capsys):
    """detap eval on text files (--box-format obb) and on COCO JSON
    (--iou-type obb): hotcoco's numbers; the box kind and the protocol
    must agree; a COCO file of rotated boxes read as boxes says what to do."""
    gt, dt = obb_text(tmp_path, GT_LINES, DT_LINES)
    assert main(["eval", "--gt", gt, "--dt", dt, "--box-format", "obb", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["protocol"] == "coco" and doc["iou_type"] == "obb"
    assert doc["convention"]["iou"] == "obb"   # hotcoco's rotated IoU, not the box IoU
    ds = F.read(gt, dt, "text", box_format="obb")
    assert doc["stats"] == detap.evaluate(ds, "coco").stats.tolist()
    assert main(["eval", "--gt", gt, "--dt", dt, "--box-format", "obb", "--protocol", "voc"]) == 2
    assert "not 'voc'" in capsys.readouterr().err
    F.write(ds, "coco", str(tmp_path / "c.json"), str(tmp_path / "r.json"))
    capsys.readouterr()
    assert main(["eval", "--gt", str(tmp_path / "c.json"), "--dt", str(tmp_path / "r.json"),
                 "--iou-type", "obb", "--json"]) == 0
    coco = json.loads(capsys.readouterr().out)
    assert coco["stats"] == doc["stats"] and coco["iou_type"] == "obb"
    assert coco["convention"]["iou"] == "obb"
    gt2, res2 = obb_case(4, 5, 2)
    gp, dp = write_case(tmp_path, gt2, res2)
    assert main(["eval", "--gt", gp, "--dt", dp]) == 2
    assert "--iou-type obb" in capsys.readouterr().err
    assert main(["eval", "--gt", gt, "--dt", dt, "--iou-type", "obb"]) == 2
    assert "--box-format obb" in capsys.readouterr().err
    # convert: text obb -> coco -> text obb
    assert main(["convert", "--gt", gt, "--dt", dt, "--box-format", "obb", "--to", "coco",
                 "--out-gt", str(tmp_path / "k.json"), "--out-dt", str(tmp_path / "kr.json"),
                 "--quiet"]) == 0
    assert main(["convert", "--gt", str(tmp_path / "k.json"), "--dt", str(tmp_path / "kr.json"),
                 "--from", "coco", "--box-format", "obb", "--to", "text", "--out-box-format",
                 "obb", "--out-gt", str(tmp_path / "k"), "--out-dt", str(tmp_path / "kr"),
                 "--quiet"]) == 0
    assert (tmp_path / "k" / "a.txt").read_text() == GT_LINES["a"]
