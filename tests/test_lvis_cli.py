"""detap eval --protocol lvis: lvis-api's 13 numbers on the command line
and in --json (equal to lvis-api's by ==), the per-class table and the
frequency groups, bad usage as a one-line error."""
import io
import json

import jsonschema
import pytest

from detap import cli
from detap.result import SCHEMA
from tests.lvis_support import run_reference, write_json
from tests.test_lvis import base_dets, base_gt

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run(argv):
    out = io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture
def files(tmp_path):
    return write_json(base_gt(), tmp_path, "gt.json"), write_json(base_dets(), tmp_path, "dt.json")


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_json_summary_equals_lvis_api(files, iou_type):
    gt, dt = files
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--protocol", "lvis", "--json",
                      "--iou-type", iou_type])
    assert code == 0
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    ref = run_reference(base_gt(), base_dets(), iou_type=iou_type)
    assert doc["protocol"] == "lvis" and doc["iou_type"] == iou_type
    assert doc["summary"] == {k: float(v) for k, v in ref.results.items()}
    # the mAP is the AP at --iou over the categories with GT: lvis-api's AP50 here
    assert doc["mAP"] == ref.results["AP50"]
    assert set(doc["classes"]) == {"c1 (c)", "c2 (c)", "c3 (f)", "c4 (f)"}


def test_text_output_lists_results_and_groups(files):
    gt, dt = files
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--protocol", "lvis", "--quiet"])
    assert code == 0
    ref = run_reference(base_gt(), base_dets())
    for key, value in ref.results.items():
        assert f"  {key}" in text and f"{float(value):.3f}" in text
    assert "common:       2 categories" in text and "rare:         0 categories, APr -1.000" in text


def test_bad_usage(files, capsys):
    gt, dt = files
    code, _ = run(["eval", "--gt", gt, "--dt", dt, "--protocol", "lvis", "--format", "voc"])
    assert code == 2
    assert "--protocol lvis" in capsys.readouterr().err


def test_mask_results_file_and_empty_results(tmp_path):
    """RLE mask results read from a file (the json path), and an empty
    results file (every GT missed, as lvis-api scores a set whose every
    detection is dropped)."""
    from pycocotools import mask as pmask
    dets = []
    for d in base_dets():
        x, y, w, h = d["bbox"]
        rle = pmask.frPyObjects([[x, y, x + w, y, x + w, y + h / 2]], 480, 640)[0]
        rle["counts"] = rle["counts"].decode()
        dets.append({"image_id": d["image_id"], "category_id": d["category_id"],
                     "score": d["score"], "segmentation": rle})
    gt = write_json(base_gt(), tmp_path, "gt.json")
    code, text = run(["eval", "--gt", gt, "--dt", write_json(dets, tmp_path, "dt.json"),
                      "--protocol", "lvis", "--iou-type", "segm", "--json"])
    assert code == 0
    ref = run_reference(base_gt(), dets, iou_type="segm")
    assert json.loads(text)["summary"] == {k: float(v) for k, v in ref.results.items()}
    code, text = run(["eval", "--gt", gt, "--dt", write_json([], tmp_path, "empty.json"),
                      "--protocol", "lvis", "--json"])
    assert code == 0
    ref = run_reference(base_gt(), [{"image_id": 3, "category_id": 3, "bbox": [0, 0, 9, 9],
                                     "score": .5}])
    assert json.loads(text)["summary"] == {k: float(v) for k, v in ref.results.items()}


def test_report_shows_the_lvis_summary(files, tmp_path):
    """--out's report states lvis-api's 13 numbers next to the mAP at --iou,
    so the reader sees LVIS's AP, not only the per-class AP50."""
    gt, dt = files
    out = tmp_path / "report"
    code, _ = run(["eval", "--gt", gt, "--dt", dt, "--protocol", "lvis", "--out", str(out),
                   "--quiet"])
    assert code == 0
    ref = run_reference(base_gt(), base_dets())
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert "LVIS summary" in md and "LVIS summary" in html
    for key in ("AP", "APr", "APc", "APf", "AR@300"):
        line = next(ln for ln in md.splitlines() if ln.startswith(f"| {key} "))
        assert f"{float(ref.results[key]):.4f}" in line
