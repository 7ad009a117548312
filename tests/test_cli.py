"""The command line: demo output equals the API (and the reference), exit codes."""
import io
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import detap.voc
from detap import cli

from . import reference_voc

SAMPLE = cli.SAMPLE
DET = os.path.join(SAMPLE, "results", "det_test_{}.txt")
ANNO = os.path.join(SAMPLE, "Annotations", "{}.xml")
ISET = os.path.join(SAMPLE, "ImageSets", "Main", "test.txt")


def run(argv):
    out = io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue()


def test_sample_is_shipped_and_nontrivial():
    names = detap.voc.read_imageset(ISET)
    assert len(names) == 60
    assert all(os.path.isfile(ANNO.format(n)) for n in names)
    res = detap.voc.evaluate(DET, ANNO, ISET)
    assert len(res.classes) == 6
    assert all(r.n_det > 0 and r.npos > 0 for r in res.per_class.values())


@pytest.mark.parametrize("use07", [False, True])
def test_demo_numbers_equal_reference_voc_eval(use07):
    """The demo uses py-faster-rcnn's conventions: each AP it prints is the
    reference's AP for that class, and the mAP their mean."""
    code, text = run(["demo"])
    assert code == 0
    section = text.split("VOC07 11-point")[1] if use07 else text.split("VOC07 11-point")[0]
    aps = []
    for c in ["bicycle", "bottle", "car", "cat", "dog", "person"]:
        rec, prec, ap = reference_voc.voc_eval(DET, ANNO, ISET, c, 0.5, use07)
        aps.append(ap)
        line = next(l for l in section.splitlines() if l.startswith(c + " "))
        assert line.split()[-1] == f"{ap * 100:.2f}"   # percent, as in the whole demo
    mline = next(l for l in section.splitlines() if l.startswith("mAP"))
    assert mline.split()[-1] == f"{np.mean(aps) * 100:.2f}"


def test_voc_subcommand_matches_api(tmp_path):
    code, text = run(["voc", "--det", DET, "--anno", ANNO, "--imageset", ISET, "--iou", "0.7",
                      "--cachedir", str(tmp_path / "cache"), "--classes", "car", "dog"])
    assert code == 0
    res = detap.voc.evaluate(DET, ANNO, ISET, ["car", "dog"], ovthresh=0.7)
    for c in ("car", "dog"):
        line = next(l for l in text.splitlines() if l.startswith(c + " "))
        fields = line.split()
        r = res.per_class[c]
        assert fields[1:] == [str(r.npos), str(r.n_det), str(r.tp), str(r.fp),
                              f"{res.ap[c]:.4f}"]
    assert list((tmp_path / "cache").glob("detap_annots_*.npz"))


def test_bad_input_exit_code_2_and_message(tmp_path, capsys):
    root = tmp_path / "voc"
    shutil.copytree(SAMPLE, root)
    det = root / "results" / "det_test_car.txt"
    lines = det.read_text().splitlines()
    lines[2] = "not_an_image 0.5 1 2 3 4"
    det.write_text("\n".join(lines) + "\n")
    code, _ = run(["voc", "--det", str(root / "results" / "det_test_{}.txt"),
                   "--anno", str(root / "Annotations" / "{}.xml"),
                   "--imageset", str(root / "ImageSets" / "Main" / "test.txt"), "--classes", "car"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{det}:3:" in err and "not_an_image" in err


def test_usage_error_exit_code_2():
    with pytest.raises(SystemExit) as e:
        cli.main(["voc"])
    assert e.value.code == 2


def test_console_script_runs_demo():
    exe = shutil.which("detap")
    cmd = [exe, "demo"] if exe else [sys.executable, "-m", "detap", "demo"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "mAP" in p.stdout and "person" in p.stdout
