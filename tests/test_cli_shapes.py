"""detap eval --iou-type segm|keypoints: COCO JSON files through COCOeval,
the same numbers as pycocotools (stats ==), in the table, --json (schema)
and the report folder."""
import copy
import io
import json

import jsonschema
import numpy as np
import pytest

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402

from detap import cli  # noqa: E402
from detap.result import KEYPOINTS_STAT_LABELS, SCHEMA  # noqa: E402
from tests.coco_support import quiet  # noqa: E402
from tests.test_coco_keypoints import make_keypoints  # noqa: E402
from tests.test_coco_segm import make_segm  # noqa: E402


def run(argv):
    out = io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue()


def ref_stats(gt, res, iou_type):
    def body():
        cg = RefCOCO()
        cg.dataset = copy.deepcopy(gt)
        cg.createIndex()
        ev = RefCOCOeval(cg, cg.loadRes(copy.deepcopy(res)), iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev
    return quiet(body)


@pytest.mark.parametrize("iou_type", ["segm", "keypoints"])
def test_eval_iou_type_equals_pycocotools(tmp_path, iou_type):
    gt, res = make_segm(21, "rle", n_images=10) if iou_type == "segm" else make_keypoints(21)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    ref = ref_stats(gt, res, iou_type)
    args = ["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "res.json"),
            "--iou-type", iou_type]
    code, text = run(args + ["--json"])
    assert code == 0, text
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    assert doc["iou_type"] == iou_type
    # the convention names what was compared, not pycocotools' box IoU
    assert doc["convention"]["iou"] == {"segm": "mask", "keypoints": "oks"}[iou_type]
    assert doc["stats"] == ref.stats.tolist()
    # mAP: the mean precision at IoU .5, all areas, the largest maxDets, as pycocotools' AP50
    assert doc["mAP"] == ref.stats[1]
    code, text = run(args + ["--quiet"])
    assert code == 0
    if iou_type == "keypoints":
        assert all(label in text for label in KEYPOINTS_STAT_LABELS)
    code, text = run(args + ["--out", str(tmp_path / "rep"), "--no-plots", "--quiet"])
    assert code == 0, text
    rep = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert rep["stats"] == ref.stats.tolist()


def test_iou_type_refuses_other_formats_and_protocols(tmp_path):
    gt, res = make_keypoints(3)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    base = ["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "res.json"),
            "--iou-type", "keypoints"]
    for extra in (["--protocol", "voc"], ["--format", "text"], ["--iou", "0.52"]):
        code, _ = run(base + extra)
        assert code == 2, extra
    # keypoint results evaluated as boxes would be a plausible wrong number: refused
    code, _ = run(base[:-2])
    assert code == 2


def test_no_silent_mismatch_between_stats_and_precision(tmp_path):
    """The reported per-class AP at IoU .5 averages to the mAP (no mixing
    of the keypoint and box area ranges)."""
    gt, res = make_keypoints(8)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    code, text = run(["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "res.json"),
                      "--iou-type", "keypoints", "--json"])
    doc = json.loads(text)
    aps = [c["ap"] for c in doc["classes"].values() if c["ap"] is not None]
    assert np.isclose(np.mean(aps), doc["mAP"])


def test_summary_line_counts_what_was_read(tmp_path):
    gt, res = make_keypoints(9, n_images=5)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    code, text = run(["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "res.json"),
                      "--iou-type", "keypoints"])
    assert code == 0
    assert f"(5 images, {len(gt['annotations'])} GT, {len(res)} detections, coco format" in text


def test_mask_results_read_as_boxes_say_which_iou_type(tmp_path, capsys):
    """Mask results given without --iou-type: an error naming the option
    that evaluates them, not a box mAP."""
    gt, res = make_segm(33, "rle", n_images=4)
    for r in res:
        r.pop("bbox", None)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    code, _ = run(["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "res.json")])
    err = capsys.readouterr().err
    assert code == 2 and "--iou-type segm" in err, err


def test_reports_say_what_was_compared(tmp_path):
    gt, res = make_segm(31, "rle", n_images=6)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    args = ["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "res.json"),
            "--iou-type", "segm"]
    code, text = run(args)
    assert code == 0 and "coco (segm)" in text
    code, _ = run(args + ["--out", str(tmp_path / "rep"), "--no-plots", "--quiet"])
    assert code == 0
    assert "coco (segm) @ IoU 0.5" in (tmp_path / "rep" / "report.md").read_text()


def _eval_segm_json(tmp_path, gt, res, name):
    """detap eval --iou-type segm --json in a fresh process: (rc, stdout, stderr)."""
    import subprocess
    import sys
    (tmp_path / f"{name}_gt.json").write_text(json.dumps(gt))
    (tmp_path / f"{name}_res.json").write_text(json.dumps(res))
    p = subprocess.run([sys.executable, "-m", "detap", "eval", "--gt", str(tmp_path / f"{name}_gt.json"),
                        "--dt", str(tmp_path / f"{name}_res.json"), "--iou-type", "segm", "--json"],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def test_box_results_under_segm_warn(tmp_path):
    """--iou-type segm on box results: pycocotools' number (box polygons as
    masks), with a warning saying so, not silently."""
    gt, res = make_segm(41, "bbox_only", n_images=6)
    rc, out, err = _eval_segm_json(tmp_path, gt, res, "boxes")
    assert rc == 0
    assert "detap: warning:" in err and "polygons of their boxes" in err
    assert json.loads(out)["stats"] == ref_stats(gt, res, "segm").stats.tolist()
    gt2, res2 = make_segm(41, "rle", n_images=6)
    rc, out, err = _eval_segm_json(tmp_path, gt2, res2, "masks")
    assert rc == 0 and "warning" not in err
