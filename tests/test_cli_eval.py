"""``detap eval / compare / convert``: the peer data sets' published figures
from the command line, the --json schema, reports whose numbers equal the
API's, exit codes."""
import csv
import io
import json
import math
import os
import re
import subprocess
import sys

import jsonschema
import numpy as np
import pytest

from detap import cli, formats
from detap.protocols import PROTOCOLS, evaluate
from detap.result import COCO_STAT_LABELS, SCHEMA

from .conftest import peer_data_dir, same_float
from .peer_figures import (CARTUCHO_APS, CASE1_11POINT, CASE1_ALLPOINT, COCO_STATS, TOY, pct2,
                           truncated)

PEER = peer_data_dir()
need_peer = pytest.mark.skipif(PEER is None, reason="../shared/peer_data is not present")


def run(argv):
    out = io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue()


def run_json(argv):
    code, text = run(argv + ["--json"])
    assert code == 0, text
    doc = json.loads(text)
    if "results" not in doc:
        jsonschema.validate(doc, SCHEMA)
    return doc


# --------------------------------------------------------- published figures

@need_peer
@pytest.mark.parametrize("layout", ["two-folders", "input-folder"])
def test_cartucho_published_map_and_classes(layout):
    base = PEER / "cartucho_mAP" / "input"
    argv = (["eval", "--gt", str(base / "ground-truth"), "--dt", str(base / "detection-results")]
            if layout == "two-folders" else ["eval", "--gt", str(base)])
    doc = run_json(argv)   # protocol auto: the format's own tool
    assert doc["protocol"] == "cartucho" and doc["iou"] == 0.5
    assert pct2(doc["mAP"]) == "31.05"
    for c, want in CARTUCHO_APS.items():
        assert pct2(doc["classes"][c]["ap"]) == want, c
    with_gt = [c for c, v in doc["classes"].items() if v["n_gt"] > 0]
    assert len(with_gt) == 30 and sum(doc["classes"][c]["n_gt"] for c in with_gt) == 686
    assert sum(v["n_det"] for v in doc["classes"].values()) == 494


@need_peer
def test_coco_published_stats_to_the_last_bit():
    base = PEER / "coco_val2014_100"
    doc = run_json(["eval", "--gt", str(base / "instances_val2014_100.json"),
                    "--dt", str(base / "instances_val2014_fakebbox100_results.json")])
    assert doc["protocol"] == "coco"
    assert doc["stats"] == COCO_STATS
    assert doc["mAP"] == COCO_STATS[1]          # AP at IoU .5 (the --iou default)
    doc75 = run_json(["eval", "--gt", str(base / "instances_val2014_100.json"),
                      "--dt", str(base / "instances_val2014_fakebbox100_results.json"),
                      "--iou", "0.75"])
    assert doc75["mAP"] == COCO_STATS[2]
    # the printed table carries pycocotools' summary lines, 3 decimals
    code, text = run(["eval", "--gt", str(base / "instances_val2014_100.json"),
                      "--dt", str(base / "instances_val2014_fakebbox100_results.json"), "--quiet"])
    assert code == 0 and f"{COCO_STATS[0]:.3f}" in text
    for label, v in zip(COCO_STAT_LABELS, COCO_STATS):
        assert re.search(rf"^  {re.escape(label)} +{v:.3f}$", text, re.M), label


@need_peer
def test_object_detection_metrics_published_ap(tmp_path):
    base = PEER / "object_detection_metrics"
    common = ["eval", "--gt", str(base / "groundtruths"), "--dt", str(base / "detections"),
              "--format", "text", "--box-format", "xywh", "--protocol", "vocdevkit", "--iou", "0.3"]
    assert pct2(run_json(common)["mAP"]) == "24.57"                       # results/results.txt
    assert pct2(run_json(common + ["--ap", "voc07"])["mAP"]) == "26.84"   # its README, 11-point
    # the YOLO-style relative copies (images of 200 x 200) give the same figure
    sizes = {p.stem: [200, 200] for p in (base / "groundtruths_rel").glob("*.txt")}
    rel = ["eval", "--gt", str(base / "groundtruths_rel"), "--dt", str(base / "detections_rel"),
           "--format", "text", "--box-format", "cxcywh", "--relative", "--protocol", "vocdevkit",
           "--iou", "0.3"]
    path = tmp_path / "sizes.json"
    path.write_text(json.dumps(sizes))
    assert pct2(run_json(rel + ["--image-sizes", str(path)])["mAP"]) == "24.57"


CASE1 = {**{("voc07", t): v for t, v in CASE1_11POINT.items()},
         **{("all_point", t): v for t, v in CASE1_ALLPOINT.items()}}


@need_peer
@pytest.mark.parametrize("ap, iou", sorted(CASE1))
def test_review_case1_published_aps(ap, iou):
    base = PEER / "review_object_detection_metrics" / "tests" / "test_case_1"
    doc = run_json(["eval", "--gt", str(base / "gts"), "--dt", str(base / "dets"), "--format",
                    "text", "--box-format", "xywh", "--protocol", "vocdevkit", "--ap", ap,
                    "--iou", str(iou)])
    assert truncated(doc["mAP"], 10) == CASE1[(ap, iou)]


@need_peer
@pytest.mark.parametrize("dets, extra", [
    ("dets_classname_abs_xywh", ["--box-format", "xywh"]),
    ("dets_classname_abs_xyx2y2", ["--box-format", "xyxy"]),
    ("dets_classid_abs_xywh", ["--box-format", "xywh", "--names", "voc.names"]),
    ("dets_classid_abs_xyx2y2", ["--box-format", "xyxy", "--names", "voc.names"]),
])
@pytest.mark.parametrize("iou, ap", sorted(TOY))
def test_review_toyexample_published_aps(dets, extra, iou, ap):
    base = PEER / "review_object_detection_metrics" / "toyexample"
    extra = [str(base / e) if e.endswith(".names") else e for e in extra]
    doc = run_json(["eval", "--gt", str(base / "gts_vocpascal_format"), "--dt", str(base / dets),
                    "--dt-format", "text", "--protocol", "vocdevkit", "--ap", ap,
                    "--iou", str(iou)] + extra)
    assert pct2(doc["classes"]["cat"]["ap"]) == TOY[(iou, ap)]


@need_peer
def test_mmdet_published_figures(tmp_path):
    """mmdet's test arrays (2 images x 2 classes, ignore boxes, the last column
    as score) through a Cartucho-layout file set; eval_map's published
    0.291 < mAP < 0.293 with the legacy +1 coordinates."""
    spec = json.loads((PEER / "mmdetection" / "test_mean_ap_inputs.json").read_text())
    gt_dir, dt_dir = tmp_path / "ground-truth", tmp_path / "detection-results"
    gt_dir.mkdir(), dt_dir.mkdir()
    gt_lines = ([f"c{k} {' '.join(map(str, b))}" for b, k in zip(spec["gt_bboxes"], spec["gt_labels"])]
                + [f"c{k} {' '.join(map(str, b))} difficult"
                   for b, k in zip(spec["gt_bboxes_ignore"], spec["gt_labels_ignore"])])
    dt_lines = [f"c{k} {b[-1]} {' '.join(map(str, b))}" for k in (0, 1) for b in spec["det_bboxes"]]
    for img in ("a", "b"):
        (gt_dir / f"{img}.txt").write_text("\n".join(gt_lines) + "\n")
        (dt_dir / f"{img}.txt").write_text("\n".join(dt_lines) + "\n")
    doc = run_json(["eval", "--gt", str(gt_dir), "--dt", str(dt_dir), "--protocol", "mmdet-legacy"])
    assert 0.291 < doc["mAP"] < 0.293
    assert doc["classes"]["c0"]["ap"] == pytest.approx(1 / 3, abs=1e-4)
    assert doc["classes"]["c1"]["ap"] == pytest.approx(0.25, abs=1e-4)


# ------------------------------------------------------------ API equality

def sample_dataset():
    from detap.synth import make_voc_arrays
    return make_voc_arrays(30, classes=("cat", "dog", "car"), n_det=400, seed=11).to_dataset()


@pytest.fixture
def cartucho_files(tmp_path):
    ds = sample_dataset()
    formats.write(ds, "cartucho", str(tmp_path / "ground-truth"), str(tmp_path / "detection-results"))
    return tmp_path, formats.read(str(tmp_path / "ground-truth"), str(tmp_path / "detection-results"),
                                  format="cartucho")


def test_json_equals_api_for_every_protocol(cartucho_files):
    base, ds = cartucho_files
    argv = ["eval", "--gt", str(base / "ground-truth"), "--dt", str(base / "detection-results"),
            "--iou", "0.6"]
    doc = run_json(argv + ["--protocol", "all"])
    assert [r["protocol"] for r in doc["results"]] == list(PROTOCOLS)
    for r in doc["results"]:
        jsonschema.validate(r, SCHEMA)
        api = evaluate(ds, r["protocol"], 0.6)
        assert r == json.loads(json.dumps(api.to_dict()))
        assert r["mAP"] == api.map


def test_report_numbers_equal_api(cartucho_files, tmp_path):
    pytest.importorskip("matplotlib")
    base, ds = cartucho_files
    out = tmp_path / "report"
    code, _ = run(["eval", "--gt", str(base / "ground-truth"), "--dt",
                   str(base / "detection-results"), "--protocol", "voc", "--out", str(out),
                   "--quiet"])
    assert code == 0
    api = evaluate(ds, "voc", 0.5)
    doc = json.loads((out / "report.json").read_text())
    assert "detap_version" in doc.pop("provenance")     # every report says what made it
    assert doc == json.loads(json.dumps(api.to_dict()))
    with open(out / "per_class.csv") as f:
        rows = list(csv.DictReader(f))
    assert {row["class"] for row in rows} == set(api.classes)
    for row in rows:
        r = api.per_class[row["class"]]
        assert same_float(float(row["ap"]) if row["ap"] else math.nan, r.ap)
        assert int(row["tp"]) == r.tp and int(row["fp"]) == r.fp
    for name in ("report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    assert list((out / "plots").glob("*.png"))


def test_table_lists_every_class_and_the_map(cartucho_files):
    base, ds = cartucho_files
    code, text = run(["eval", "--gt", str(base / "ground-truth"), "--dt",
                      str(base / "detection-results"), "--protocol", "voc07"])
    assert code == 0
    api = evaluate(ds, "voc07", 0.5)
    for c in ds.classes:
        line = next(l for l in text.splitlines() if l.split() and l.split()[0] == c)
        assert f"{api.per_class[c].ap * 100:.2f}" in line
    assert f"{api.map * 100:.2f}" in next(l for l in text.splitlines() if l.startswith("mAP"))


def test_compare_runs(cartucho_files, tmp_path):
    base, ds = cartucho_files
    runs = []
    for i, keep in enumerate((1.0, 0.7, 0.4)):
        d = tmp_path / f"epoch{i}"
        sub = ds.det_scores >= np.quantile(ds.det_scores, 1 - keep) if keep < 1 else slice(None)
        part = formats.Dataset(images=ds.images, classes=ds.classes, gt_boxes=ds.gt_boxes,
                       gt_image=ds.gt_image, gt_label=ds.gt_label, gt_difficult=ds.gt_difficult,
                       det_boxes=ds.det_boxes[sub], det_image=ds.det_image[sub],
                       det_label=ds.det_label[sub], det_scores=ds.det_scores[sub])
        formats.write(part, "cartucho", str(tmp_path / f"gt{i}"), str(d))
        runs.append((str(d), evaluate(part, "cartucho", 0.5)))
    code, text = run(["compare", "--gt", str(base / "ground-truth")] + [r for r, _ in runs]
                     + ["--json"])
    assert code == 0
    doc = json.loads(text)
    maps = [r.map for _, r in runs]
    assert [x["mAP"] for x in doc["runs"]] == maps
    assert [x["delta"] for x in doc["runs"]] == [m - maps[0] for m in maps]
    assert [x["run"] for x in doc["runs"]] == ["epoch0", "epoch1", "epoch2"]
    code, text = run(["compare", "--gt", str(base / "ground-truth")] + [r for r, _ in runs]
                     + ["--labels", "a", "b", "c", "--out", str(tmp_path / "cmp")])
    assert code == 0 and all(f"{m * 100:.2f}" in text for m in maps)
    assert (tmp_path / "cmp" / "compare.json").exists()


def test_convert_then_eval_gives_the_same_numbers(cartucho_files, tmp_path):
    base, ds = cartucho_files
    code, _ = run(["convert", "--gt", str(base / "ground-truth"), "--dt",
                   str(base / "detection-results"), "--from", "cartucho", "--to", "coco",
                   "--out-gt", str(tmp_path / "gt.json"), "--out-dt", str(tmp_path / "dt.json"),
                   "--quiet"])
    assert code == 0
    a = run_json(["eval", "--gt", str(base / "ground-truth"), "--dt",
                  str(base / "detection-results"), "--protocol", "coco"])
    b = run_json(["eval", "--gt", str(tmp_path / "gt.json"), "--dt", str(tmp_path / "dt.json"),
                  "--protocol", "coco"])
    assert a["stats"] == b["stats"] and a["mAP"] == b["mAP"]


# ------------------------------------------------------------- exit codes

def test_bad_input_exits_2_naming_file_and_line(tmp_path, capsys):
    (tmp_path / "gt").mkdir()
    (tmp_path / "dt").mkdir()
    (tmp_path / "gt" / "a.txt").write_text("cat 1 2 3 4\n")
    (tmp_path / "dt" / "a.txt").write_text("cat 0.5 1 2 x 4\n")
    code, _ = run(["eval", "--gt", str(tmp_path / "gt"), "--dt", str(tmp_path / "dt"),
                   "--format", "cartucho"])
    err = capsys.readouterr().err
    assert code == 2 and "a.txt:1" in err
    code, _ = run(["eval", "--gt", str(tmp_path / "nope"), "--dt", str(tmp_path / "dt")])
    assert code == 2
    code, _ = run(["eval", "--gt", str(tmp_path / "gt"), "--dt", str(tmp_path / "dt"),
                   "--format", "cartucho", "--iou", "1.5"])
    assert code == 2


def test_console_script_exit_codes_and_quiet_pipe(cartucho_files):
    base, _ = cartucho_files
    exe = [sys.executable, "-m", "detap"]
    p = subprocess.run(exe + ["eval", "--gt", str(base / "ground-truth"), "--dt",
                              str(base / "detection-results"), "--json"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == ""   # no progress bar on a pipe
    json.loads(p.stdout)
    p = subprocess.run(exe + ["eval", "--gt", str(base / "ground-truth")], capture_output=True,
                       text=True)
    assert p.returncode == 2 and "--dt" in p.stderr
    p = subprocess.run(exe + ["eval", "--gt", str(base / "ground-truth"), "--iou", "x"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "--iou" in p.stderr


def test_progress_bar_only_on_a_terminal():
    from detap.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True
    s = Tty()
    with Progress(10, "parsing", stream=s, delay=0.0) as p:
        for _ in range(10):
            p._last = -1.0
            p.update(1)
    assert "parsing" in s.getvalue() and "10/10" in s.getvalue()
    q = io.StringIO()
    with Progress(10, "parsing", stream=q, delay=0.0) as p:
        p.update(10)
    assert q.getvalue() == ""
    t = Tty()
    with Progress(10, "parsing", stream=t, delay=0.0, enabled=False) as p:
        p.update(10)
    assert t.getvalue() == ""


def test_demo_shows_every_protocol_with_the_api_numbers():
    from detap.protocols import evaluate_all
    code, text = run(["demo"])
    assert code == 0
    part = text.split("under every protocol")[1]
    ds = formats.read(cli.SAMPLE, os.path.join(cli.SAMPLE, "results", "det_test_{}.txt"),
                      format="voc", imageset=os.path.join(cli.SAMPLE, "ImageSets", "Main", "test.txt"))
    results = evaluate_all(ds)
    mline = next(l for l in part.splitlines() if l.startswith("mAP")).split()[1:]
    assert mline == [f"{r.map * 100:.2f}" for r in results]
    assert len({r.map for r in results}) > 2   # the protocols really differ on this sample


def test_compare_without_any_ground_truth(tmp_path):
    """Ground truth without a single box gives no meaningful mAP: an error
    naming the folder (issue 10), not a JSON of nulls."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "dt").mkdir()
    (tmp_path / "gt" / "a.txt").write_text("")
    (tmp_path / "dt" / "a.txt").write_text("cat 0.5 1 2 3 4\n")
    code, text = run(["compare", "--gt", str(tmp_path / "gt"), str(tmp_path / "dt"),
                      "--format", "cartucho", "--json"])
    assert code == 2 and text == ""
