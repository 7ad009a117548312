"""``detap eval --analysis``: the JSON's "analysis" object (schema), equal
to tidecv reading the same files; the text sections; the report's plots."""
import io
import json
import os

import jsonschema
import numpy as np
import pytest

from detap import cli
from detap.result import SCHEMA
from tests.tide_support import coco_files, random_scene, tidecv_run


def run(argv):
    out = io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    scene = random_scene(np.random.default_rng(21), n_images=40, n_classes=5, max_gt=8,
                         max_dt=30, ties=True)
    return coco_files(scene, str(tmp_path_factory.mktemp("an")))


def test_json_analysis_equals_tidecv(files):
    pytest.importorskip("tidecv")
    from tidecv import datasets
    gt, dt = files
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--analysis", "--json"])
    assert code == 0, text
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    a = doc["analysis"]
    ap, main, special, counts = tidecv_run(datasets.COCO(gt), datasets.COCOResult(dt))
    assert a["tide"]["ap"] == ap
    assert a["tide"]["main"] == main
    assert a["tide"]["special"] == special
    assert a["tide"]["counts"] == counts
    m = np.array(a["confusion"]["matrix"])
    assert m.shape == (6, 6)
    assert a["calibration"]["n_detections"] == sum(a["calibration"]["bins"]["count"])


def test_text_sections(files):
    gt, dt = files
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--analysis"])
    assert code == 0
    for title in ("Error analysis (TIDE)", "Confusion matrix", "Calibration", "Worst images"):
        assert title in text
    code, plain = run(["eval", "--gt", gt, "--dt", dt])
    assert "Error analysis" not in plain


def test_report_has_the_plots_and_sections(files, tmp_path):
    pytest.importorskip("matplotlib")
    gt, dt = files
    out = str(tmp_path / "rep")
    code, _ = run(["eval", "--gt", gt, "--dt", dt, "--analysis", "--out", out, "--quiet"])
    assert code == 0
    for f in ("confusion_matrix.png", "tide_errors.png", "reliability.png"):
        assert os.path.getsize(os.path.join(out, "plots", f)) > 1000
    md = open(os.path.join(out, "report.md")).read()
    assert "Error analysis (TIDE)" in md and "plots/confusion_matrix.png" in md
    doc = json.load(open(os.path.join(out, "report.json")))
    assert doc["analysis"]["schema_version"] == 1


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_segm_json_analysis_equals_tidecv_mask_mode(tmp_path, seed):
    """detap eval --iou-type segm --analysis: TIDE equal to tidecv reading
    the same files with its own loaders in mask mode (crowd masks its ignore
    regions); the JSON valid against the schema."""
    pytest.importorskip("tidecv")
    from tidecv import TIDE, datasets
    from tests.test_coco_segm import make_segm
    gt, res = make_segm(seed, "rle", n_images=12, n_cats=3)
    for im in gt["images"]:
        im["file_name"] = f"{im['id']}.jpg"
    gt.setdefault("categories", [{"id": k, "name": f"c{k}"} for k in (1, 2, 3)])
    gp, dp = tmp_path / "gt.json", tmp_path / "dt.json"
    gp.write_text(json.dumps(gt))
    dp.write_text(json.dumps(res))
    code, text = run(["eval", "--gt", str(gp), "--dt", str(dp), "--iou-type", "segm", "--analysis",
                      "--json"])
    assert code == 0
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    assert doc["analysis"]["similarity"] == "mask IoU"
    tide = TIDE()
    run_ = tide.evaluate(datasets.COCO(str(gp)), datasets.COCOResult(str(dp)), mode=TIDE.MASK, name="dt")
    errs = tide.get_all_errors()
    a = doc["analysis"]["tide"]
    assert a["ap"] == run_.ap
    assert a["main"] == errs["main"]["dt"] and a["special"] == errs["special"]["dt"]
    assert a["counts"] == {e.short_name: n for e, n in run_.count_errors().items()}


def test_keypoints_cli_analysis_is_the_evaluations(tmp_path):
    """--iou-type keypoints --analysis: the analysis of the evaluated rows
    (OKS; GT without labelled points ignored), text and JSON."""
    from detap.analysis import AnalysisSettings, analyze
    from detap.analysis.sources import scene_from_coco_eval
    from detap.coco import COCO, COCOeval
    from tests.test_coco_keypoints import make_keypoints
    gt, res = make_keypoints(21)
    gp, dp = tmp_path / "gt.json", tmp_path / "dt.json"
    gp.write_text(json.dumps(gt))
    dp.write_text(json.dumps(res))
    code, text = run(["eval", "--gt", str(gp), "--dt", str(dp), "--iou-type", "keypoints",
                      "--analysis", "--json"])
    assert code == 0
    g = COCO(str(gp), verbose=False)
    ev = COCOeval(g, g.loadRes(str(dp)), "keypoints", verbose=False)
    ev.evaluate()
    scene = scene_from_coco_eval(ev)
    assert scene.shapes.kind == "keypoints"
    ref = analyze(scene, AnalysisSettings())
    a = json.loads(text)["analysis"]
    assert a["tide"]["ap"] == ref.tide["ap"] and a["tide"]["main"] == ref.tide["main"]
    assert a["confusion"]["matrix"] == ref.confusion.matrix.tolist()
    code, text = run(["eval", "--gt", str(gp), "--dt", str(dp), "--iou-type", "keypoints", "--analysis"])
    assert code == 0 and "Error analysis (TIDE)" in text and "points at OKS 0.5" in text
    assert a["similarity"] == "OKS"


def test_logit_scores_give_no_calibration_but_the_rest(tmp_path, capsys):
    scene = random_scene(np.random.default_rng(5), n_images=6, n_classes=3)
    scene.dt_score = scene.dt_score * 8 - 4
    gt, dt = coco_files(scene, str(tmp_path))
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--analysis", "--json"])
    assert code == 0
    assert "no calibration" in capsys.readouterr().err
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    assert doc["analysis"]["calibration"] is None
    assert doc["analysis"]["tide"]["ap"] is not None


PEER = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "peer_data", "coco_val2014_100")


def test_tide_on_cocoapi_fake_results_equals_tidecv():
    """Real data: the 100 COCO val2014 images and cocoapi's fake box results
    (../shared), read by tidecv's own COCO loaders and by detap eval."""
    pytest.importorskip("tidecv")
    gt = os.path.join(PEER, "instances_val2014_100.json")
    dt = os.path.join(PEER, "instances_val2014_fakebbox100_results.json")
    if not (os.path.exists(gt) and os.path.exists(dt)):
        pytest.skip("../shared/peer_data/coco_val2014_100 is not beside the clone")
    from tidecv import datasets
    code, text = run(["eval", "--gt", gt, "--dt", dt, "--analysis", "--json"])
    assert code == 0, text
    tide = json.loads(text)["analysis"]["tide"]
    ap, main, special, counts = tidecv_run(datasets.COCO(gt), datasets.COCOResult(dt))
    assert tide["ap"] == ap and tide["main"] == main and tide["special"] == special
    assert tide["counts"] == counts
    assert main["Cls"] > 1 and main["Miss"] > 1   # errors of several kinds, not a trivial case
