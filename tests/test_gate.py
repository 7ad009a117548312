"""The CI gate (``--fail-under``, ``--max-drop``, ``--junit``, ``--summary-md``),
provenance in ``--json``, compare's input flags, labels and summary line,
the demo's unit and tie-order note, rich output only on a terminal."""
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from detap import cli
from detap.errors import DetapInputError
from detap.gate import parse_fraction
from detap.result import SCHEMA

SAMPLE = cli.SAMPLE
DET = os.path.join(SAMPLE, "results", "det_test_{}.txt")
ISET = os.path.join(SAMPLE, "ImageSets", "Main", "test.txt")
EVAL = ["eval", "--gt", SAMPLE, "--dt", DET, "--imageset", ISET, "--protocol", "voc"]
VOC_MAP = 0.6979030125152613      # the sample's mAP under --protocol voc


def run(argv, out=None):
    out = out or io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue()


def detap(args, **kw):
    return subprocess.run([sys.executable, "-m", "detap"] + args, capture_output=True,
                          text=True, timeout=120, **kw)


@pytest.fixture
def runs(tmp_path):
    """Two runs in folders with the same basename; the second lost every
    other car detection (car AP 69.45 -> 67.27 %, mAP 69.79 -> 69.43 %)."""
    paths = []
    for e in ("e1", "e2"):
        d = tmp_path / e / "dets"
        shutil.copytree(os.path.join(SAMPLE, "results"), d)
        paths.append(str(d))
    car = DET.format("car")
    with open(car) as f:
        lines = f.readlines()
    (tmp_path / "e2" / "dets" / "det_test_car.txt").write_text("".join(lines[1::2]))
    return paths


# ------------------------------------------------------------ thresholds

@pytest.mark.parametrize("text,value", [("0.45", 0.45), ("45", 0.45), ("45%", 0.45),
                                        ("1", 1.0), ("1%", 0.01), ("0", 0.0), ("100", 1.0)])
def test_threshold_fraction_or_percent(text, value):
    assert parse_fraction(text, "--fail-under") == pytest.approx(value, abs=1e-15)


@pytest.mark.parametrize("text", ["x", "-1", "101", "nan", "inf", "200%"])
def test_bad_threshold_names_the_flag(text):
    with pytest.raises(DetapInputError, match="--fail-under"):
        parse_fraction(text, "--fail-under")


# ------------------------------------------------------------ --fail-under

@pytest.mark.parametrize("threshold", ["0.69", "69", "69%", "0.6979030125152613"])
def test_fail_under_passes(threshold):
    p = detap(EVAL + ["--fail-under", threshold])
    assert p.returncode == 0, p.stderr
    assert p.stderr == "detap: gate passed (1 check)\n"


@pytest.mark.parametrize("threshold", ["0.70", "70", "70%"])
def test_fail_under_fails_with_a_readable_summary(threshold):
    p = detap(EVAL + ["--fail-under", threshold])
    assert p.returncode == 1
    assert "mAP" in p.stdout                       # the table is still printed
    lines = p.stderr.splitlines()
    assert lines[0] == "detap: gate FAILED: 1 of 1 checks"
    assert lines[1] == "  FAIL mAP 69.79 % < 70.00 % (voc, IoU 0.5)"
    assert "Traceback" not in p.stderr


def test_fail_under_every_protocol_with_all():
    code, _ = run(EVAL[:-1] + ["all", "--fail-under", "0.68", "--quiet"])
    assert code == 1          # mmdet (68.79) passes, coco (67.61) does not
    code, _ = run(EVAL[:-1] + ["all", "--fail-under", "0.67", "--quiet"])
    assert code == 0


def test_junit_one_testcase_per_check(tmp_path):
    junit = tmp_path / "ci" / "detap.xml"
    code, _ = run(EVAL[:-1] + ["all", "--fail-under", "0.68", "--junit", str(junit), "--quiet"])
    assert code == 1
    root = ET.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 8
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["mAP coco @ IoU 0.5", "mAP ultralytics @ IoU 0.5"]
    assert root.get("tests") == "8" and root.get("failures") == "2"
    assert not [f for f in os.listdir(junit.parent) if f.endswith(".tmp")]


def test_summary_md_file_and_github_step_summary(tmp_path, monkeypatch):
    md = tmp_path / "summary.md"
    code, _ = run(EVAL + ["--fail-under", "70", "--summary-md", str(md), "--quiet"])
    assert code == 1
    text = md.read_text()
    assert "**FAILED**: 1 of 1 checks" in text and "| mAP voc @ IoU 0.5 | **FAIL** |" in text
    gh = tmp_path / "step_summary.md"
    gh.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(gh))
    code, _ = run(EVAL + ["--fail-under", "60", "--summary-md", "--quiet"])
    assert code == 0
    assert gh.read_text().startswith("earlier step\n### detap eval")   # appended
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    p = detap(EVAL + ["--fail-under", "60", "--summary-md"],
              env={k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"})
    assert p.returncode == 2 and "GITHUB_STEP_SUMMARY" in p.stderr


def test_gate_files_without_a_gate_are_a_usage_error(tmp_path):
    p = detap(EVAL + ["--junit", str(tmp_path / "j.xml")])
    assert p.returncode == 2 and "--junit needs a gate" in p.stderr
    assert not (tmp_path / "j.xml").exists()


def test_junit_that_cannot_be_written(tmp_path):
    (tmp_path / "file").write_text("")
    p = detap(EVAL + ["--fail-under", "0.5", "--junit", str(tmp_path / "file" / "j.xml")])
    assert p.returncode == 2
    assert p.stderr.startswith("detap: error: cannot write") and len(p.stderr.splitlines()) == 1


# ------------------------------------------------------------ compare --max-drop

def test_max_drop_on_the_map(runs):
    gt = ["compare", "--gt", SAMPLE, "--imageset", ISET]
    code, _ = run(gt + runs + ["--max-drop", "0.5", "--quiet"])    # 0.5: a fraction, 50 points
    assert code == 0
    code, _ = run(gt + runs + ["--max-drop", "0.5%", "--quiet"])   # drop 0.36 points
    assert code == 0
    code, _ = run(gt + runs + ["--max-drop", "0.3%", "--quiet"])
    assert code == 1


def test_max_drop_per_class(runs, tmp_path):
    junit = tmp_path / "j.xml"
    p = detap(["compare", "--gt", SAMPLE, "--imageset", ISET] + runs
              + ["--max-drop", "0.5%", "--per-class", "--junit", str(junit)])
    assert p.returncode == 1
    assert p.stderr.splitlines() == [
        "detap: gate FAILED: 1 of 7 checks",
        "  FAIL e2/dets AP[car]: 67.27 %, first run 69.45 %, drop 2.18 points, "
        "more than the 0.50 allowed"]
    cases = ET.parse(junit).getroot().findall("./testsuite/testcase")
    assert [c.get("name") for c in cases if c.find("failure") is not None] == ["e2/dets car"]


def test_per_class_needs_max_drop(runs):
    code, _ = run(["compare", "--gt", SAMPLE, "--imageset", ISET] + runs + ["--per-class"])
    assert code == 2


# ------------------------------------------------------------ compare's labels and flags

def test_compare_labels_runs_with_the_same_basename(runs):
    code, text = run(["compare", "--gt", SAMPLE, "--imageset", ISET] + runs + ["--json"])
    assert code == 0
    doc = json.loads(text)
    assert [r["run"] for r in doc["runs"]] == ["e1/dets", "e2/dets"]
    assert [r["path"] for r in doc["runs"]] == runs
    assert doc["provenance"]["runs"] == [{"label": "e1/dets", "path": runs[0]},
                                         {"label": "e2/dets", "path": runs[1]}]


def test_run_labels():
    assert cli.run_labels(["a/x/dets", "b/x/dets"]) == ["a/x/dets", "b/x/dets"]
    assert cli.run_labels(["e1", "e2"]) == ["e1", "e2"]
    assert cli.run_labels(["r/e1", "r/e1"]) == ["e1", "e1 (2)"]


def test_duplicate_labels_are_refused(runs):
    code, _ = run(["compare", "--gt", SAMPLE, "--imageset", ISET] + runs
                  + ["--labels", "a", "a"])
    assert code == 2


def test_compare_prints_protocol_and_report_folder(runs, tmp_path):
    code, text = run(["compare", "--gt", SAMPLE, "--imageset", ISET] + runs
                     + ["--out", str(tmp_path / "cmp"), "--no-plots"])
    assert code == 0
    assert text.splitlines()[-1] == f"(2 runs, protocol voc, IoU 0.5; report in {tmp_path / 'cmp'})"


def test_compare_takes_the_input_flags_of_eval(tmp_path):
    """Text ground truth with xywh boxes and detections in Cartucho's format."""
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "a.txt").write_text("cat 10 10 20 20\n")       # x y w h
    for run_dir in ("r1", "r2"):
        (tmp_path / run_dir).mkdir()
        (tmp_path / run_dir / "a.txt").write_text("cat 0.9 10 10 30 30\n")  # x1 y1 x2 y2
    parser = cli.build_parser()
    args = parser.parse_args(["compare", "--gt", "g", "r", "--format", "text", "--dt-format",
                              "cartucho", "--box-format", "xywh", "--names", "n",
                              "--image-sizes", "s", "--relative", "--imageset", "i"])
    assert (args.dt_format, args.box_format, args.names, args.image_sizes) == \
        ("cartucho", "xywh", "n", "s")
    code, text = run(["compare", "--gt", str(tmp_path / "gt"), str(tmp_path / "r1"),
                      str(tmp_path / "r2"), "--format", "text", "--box-format", "xywh",
                      "--dt-format", "cartucho", "--json"])
    assert code == 0, text
    doc = json.loads(text)
    assert [r["mAP"] for r in doc["runs"]] == [1.0, 1.0]
    assert doc["provenance"]["dt_format"] == "cartucho"


# ------------------------------------------------------------ provenance

def test_json_provenance():
    code, text = run(EVAL + ["--json"])
    assert code == 0
    doc = json.loads(text)
    jsonschema.validate(doc, SCHEMA)
    prov = doc["provenance"]
    assert prov["gt"] == SAMPLE and prov["dt"] == DET
    assert prov["format"] == "voc" and prov["dt_format"] is None and prov["protocol"] == "voc"
    assert prov["command"].startswith("detap eval --gt ") and "'" in prov["command"]  # {} quoted
    assert prov["date"].endswith("Z") and prov["date"][10] == "T"
    from detap import __version__
    assert prov["detap_version"] == __version__


def test_json_provenance_with_every_protocol():
    code, text = run(EVAL[:-1] + ["all", "--json"])
    doc = json.loads(text)
    assert doc["provenance"]["protocol"] == "all"
    jsonschema.validate(dict(doc["results"][0], provenance=doc["provenance"]), SCHEMA)


def test_schema_refuses_a_malformed_provenance():
    code, text = run(EVAL + ["--json"])
    doc = json.loads(text)
    doc["provenance"] = {"gt": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


# ------------------------------------------------------------ demo and terminal output

def test_demo_one_unit_and_the_tie_order_note():
    code, text = run(["demo"])
    assert code == 0
    assert "0.7428" not in text and "74.28" in text    # py-faster-rcnn's bicycle AP, in %
    note = [l for l in text.splitlines() if "tie order" in l]
    assert len(note) == 1
    assert "69.22 %" in note[0] and "69.79 %" in note[0] and "np.argsort" in note[0]


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_rich_table_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    code, plain = run(EVAL)
    assert "\x1b[" not in plain
    code, fancy = run(EVAL, out=Tty())
    assert code == 0 and "\x1b[" in fancy and "┃" in fancy     # rich's box drawing
    code, quiet = run(EVAL + ["--quiet"], out=Tty())
    assert "\x1b[" not in quiet
    code, js = run(EVAL + ["--json"], out=Tty())
    assert "\x1b[" not in js and json.loads(js)["mAP"] == VOC_MAP


def test_import_detap_does_not_import_rich():
    code = "import sys, detap, detap.cli; assert 'rich' not in sys.modules, 'rich imported'"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_progress_bar_is_drawn_by_rich_on_a_terminal(monkeypatch):
    from detap.progress import Progress
    s = Tty()
    with Progress(10, "parsing", stream=s, delay=0.0) as p:
        for _ in range(10):
            p._last = -1.0
            p.update(1)
    assert "━" in s.getvalue() and "10/10" in s.getvalue()     # rich's bar
    monkeypatch.setitem(sys.modules, "rich.progress", None)     # rich missing: plain text
    t = Tty()
    with Progress(10, "parsing", stream=t, delay=0.0) as p:
        p._last = -1.0
        p.update(10)
    assert "[##############################] 10/10" in t.getvalue()


def test_compare_report_gets_paths_and_provenance_when_it_takes_them(runs, tmp_path,
                                                                     monkeypatch):
    """A report module whose runs may carry their path and which takes
    ``provenance=`` gets both; today's gets (label, result) pairs."""
    from detap import report
    seen = {}
    real_table = report.compare_table

    def compare_table(rs):
        return real_table([r[:2] for r in rs])

    def write_compare_report(rs, out_dir, provenance=None):
        seen.update(runs=rs, provenance=provenance)
    monkeypatch.setattr(report, "compare_table", compare_table)
    monkeypatch.setattr(report, "write_compare_report", write_compare_report)
    code, _ = run(["compare", "--gt", SAMPLE, "--imageset", ISET] + runs
                  + ["--out", str(tmp_path / "cmp")])
    assert code == 0
    assert [(n, p) for n, _, p in seen["runs"]] == [("e1/dets", runs[0]), ("e2/dets", runs[1])]
    assert seen["provenance"]["dt"] == runs and seen["provenance"]["protocol"] == "voc"


def test_eval_report_gets_provenance_when_it_takes_it(tmp_path, monkeypatch):
    from detap import report
    seen = {}

    def write_report(result, out_dir, *, plots=True, provenance=None):
        seen.update(result=result, provenance=provenance)
    monkeypatch.setattr(report, "write_report", write_report)
    code, _ = run(EVAL + ["--out", str(tmp_path / "r")])
    assert code == 0
    assert seen["result"].map == VOC_MAP
    assert seen["provenance"]["gt"] == SAMPLE and seen["provenance"]["dt"] == DET
