"""Report folders written as a whole (detap.report_folder), provenance in
every report file (detap.provenance), and the compare report's per-class
deltas, distinct labels and run paths."""
import csv
import datetime
import json
import os

import pytest

import detap
from detap import plots, report
from detap.errors import DetapOutputError
from tests.test_report import HalfWriter, all_files, hand_classes, make_class, make_result

matplotlib = pytest.importorskip("matplotlib")

PROV = {"gt": "/data/instances_val2017.json", "dt": "/runs/a b/dets.json", "format": "coco",
        "dt_format": "coco", "protocol": "coco", "detap_version": "9.9.9",
        "command": "detap eval --gt x --dt y --out r", "date": "2026-01-02T03:04:05+00:00"}


@pytest.fixture
def hand():
    return make_result(hand_classes())


def siblings(path):
    """Entries next to ``path`` other than itself (temporary folders left behind)."""
    parent = os.path.dirname(os.fspath(path))
    return sorted(e for e in os.listdir(parent) if e != os.path.basename(os.fspath(path)))


def snapshot(folder):
    return {f: open(os.path.join(folder, f), "rb").read() for f in all_files(folder)}


# ------------------------------------------------------------------ atomic folder

@pytest.mark.parametrize("exc", [RuntimeError("boom in the middle of plotting"),
                                 KeyboardInterrupt()])
def test_failure_while_plotting_keeps_the_old_report(hand, tmp_path, monkeypatch, exc):
    out = tmp_path / "rep"
    report.write_report(make_result(hand_classes()[:2], protocol="coco"), out)
    old = snapshot(out)

    def fail(*a, **k):
        raise exc
    monkeypatch.setattr(plots, "plot_ap_vs_stats", fail)   # after the PR curves are written
    with pytest.raises(type(exc)):
        report.write_report(hand, out)
    assert snapshot(out) == old
    assert siblings(out) == []                               # no temporary folder left

    new = tmp_path / "new"
    with pytest.raises(type(exc)):
        report.write_report(hand, new)
    assert not os.path.exists(new)
    assert sorted(os.listdir(tmp_path)) == ["rep"]


def test_disk_full_is_one_output_error_and_keeps_the_old_report(hand, tmp_path, monkeypatch):
    out = tmp_path / "rep"
    report.write_report(hand, out, plots=False)
    old = snapshot(out)
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(DetapOutputError) as e:
        report.write_report(hand, out, plots=False)
    monkeypatch.undo()
    msg = str(e.value)
    assert str(out) in msg and "No space left on device" in msg and "\n" not in msg
    assert isinstance(e.value, OSError)
    assert snapshot(out) == old and siblings(out) == []


def test_previous_report_is_replaced_whole(tmp_path):
    """A report over an older, bigger one: nothing of the old one remains."""
    out = tmp_path / "rep"
    report.write_report(make_result(hand_classes()), out)
    one = make_result(hand_classes()[:1])
    w = report.write_report(one, out)
    pngs = [f for f in all_files(out) if f.endswith(".png")]
    assert len([f for f in pngs if f.startswith("plots/pr/")]) == 1
    assert set(all_files(out)) == {os.path.relpath(p, out) for k, p in w.items()}
    assert siblings(out) == []
    # a compare report may reuse the folder, and back
    report.write_compare_report([("a", one), ("b", one)], out)
    assert all_files(out) == sorted(report.COMPARE_FILES)
    report.write_report(one, out, plots=False)
    assert "report.json" in os.listdir(out)


def test_empty_existing_folder_is_used(hand, tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    w = report.write_report(hand, out, plots=False)
    assert w["json"] == str(out / "report.json") and os.path.isfile(w["json"])


def test_folder_with_other_files_is_refused(hand, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "report.json").write_text("{}")
    with pytest.raises(DetapOutputError, match="not a detap report.*notes.txt"):
        report.write_report(hand, out, plots=False)
    with pytest.raises(DetapOutputError, match="notes.txt"):
        report.write_compare_report([("a", hand)], out)
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(os.listdir(out)) == ["notes.txt", "report.json"]
    assert siblings(out) == []


def test_out_dir_that_is_a_file(hand, tmp_path):
    f = tmp_path / "report"
    f.write_text("a file")
    with pytest.raises(DetapOutputError, match="exists and is not a folder") as e:
        report.write_report(hand, f, plots=False)
    assert str(f) in str(e.value) and e.value.path == str(f)
    with pytest.raises(DetapOutputError, match="exists and is not a folder"):
        report.write_compare_report([("a", hand)], f)
    assert f.read_text() == "a file"


def test_out_dir_under_a_file(hand, tmp_path):
    """A parent that cannot hold folders (works as root too, unlike chmod)."""
    f = tmp_path / "file"
    f.write_text("x")
    out = f / "sub" / "rep"
    with pytest.raises(DetapOutputError, match="cannot create the report folder") as e:
        report.write_report(hand, out, plots=False)
    assert str(out) in str(e.value) and "\n" not in str(e.value)
    assert sorted(os.listdir(tmp_path)) == ["file"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_out_dir_in_an_unwritable_folder(hand, tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(DetapOutputError, match="cannot create the report folder"):
            report.write_report(hand, parent / "rep", plots=False)
        assert os.listdir(parent) == []
    finally:
        parent.chmod(0o755)


def test_report_folder_mode_follows_umask(hand, tmp_path):
    old = os.umask(0o022)
    try:
        report.write_report(hand, tmp_path / "rep", plots=False)
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "rep").st_mode & 0o777) == 0o755


# ------------------------------------------------------------------ provenance

def read_all(w):
    with open(w["json"], encoding="utf-8") as f:
        d = json.load(f)
    return d, open(w["md"], encoding="utf-8").read(), open(w["html"], encoding="utf-8").read()


def test_provenance_in_every_report_file(hand, tmp_path):
    w = report.write_report(hand, tmp_path / "one", plots=False, provenance=PROV)
    d, md, html = read_all(w)
    assert d["provenance"] == PROV
    assert "## Provenance" in md and "<h2>Provenance</h2>" in html
    for k, v in PROV.items():
        assert f"| {k.replace('_', chr(92) + '_')} | " in md      # Markdown-escaped
        assert f"<td>{v}</td>" in html
    assert "detap eval --gt x --dt y --out r" in md
    assert "Generated by detap 9.9.9 on 2026-01-02T03:04:05+00:00." in md

    w = report.write_report([hand, hand], tmp_path / "many", plots=False, provenance=PROV)
    assert read_all(w)[0]["provenance"] == PROV


def test_without_provenance_a_report_still_says_version_and_date(hand, tmp_path):
    before = datetime.datetime.now().astimezone().replace(microsecond=0)
    for w in (report.write_report(hand, tmp_path / "r", plots=False),
              report.write_compare_report([("a", hand), ("b", hand)], tmp_path / "c")):
        d, md, html = read_all(w)
        prov = d["provenance"]
        assert prov["detap_version"] == detap.__version__
        assert datetime.datetime.fromisoformat(prov["date"]) >= before
        for text in (md, html):
            assert "Provenance" in text and detap.__version__ in text and prov["date"] in text


def test_provenance_values_are_made_json_safe(hand, tmp_path):
    w = report.write_report(hand, tmp_path / "r", plots=False,
                            provenance={"gt": tmp_path / "gt.json", "iou": float("nan"),
                                        "argv": ("detap", "eval")})
    prov = read_all(w)[0]["provenance"]
    assert prov["gt"] == str(tmp_path / "gt.json") and prov["iou"] is None
    assert prov["argv"] == ["detap", "eval"]
    assert "| argv | detap eval |" in open(w["md"], encoding="utf-8").read()


def test_compare_report_provenance(hand, tmp_path):
    w = report.write_compare_report([("a", hand), ("b", hand)], tmp_path / "c", provenance=PROV)
    d, md, html = read_all(w)
    assert d["provenance"] == PROV
    assert "## Provenance" in md and "<td>/runs/a b/dets.json</td>" in html


# ------------------------------------------------------------------ compare

def run_of(aps):
    cl = [make_class(name, [1, 0, 1], [.9, .5, .1], 3) for name in aps]
    for c, ap in zip(cl, aps.values()):
        c.ap = ap
    return make_result(cl)


def test_compare_per_class_deltas_labels_and_paths(tmp_path):
    runs = [("ckpt", run_of({"dog": 0.5, "cat": 0.25}), "/runs/e1/dets.json"),
            ("ckpt", run_of({"dog": 0.625, "cat": 0.125, "cow": 0.5}), "/runs/e2/dets.json"),
            ("ckpt", run_of({"dog": 0.5, "cat": float("nan")}))]
    deltas = report.class_deltas(runs)
    expect = {"dog": [0.0, 0.125, 0.0], "cat": [0.0, -0.125, float("nan")],
              "cow": [float("nan")] * 3}
    assert list(deltas) == list(expect)
    for c in expect:
        assert deltas[c] == pytest.approx(expect[c], nan_ok=True)
    assert [r["run"] for r in report.compare_table(runs)] == ["ckpt", "ckpt (2)", "ckpt (3)"]
    w = report.write_compare_report(runs, tmp_path / "c")
    d, md, html = read_all(w)
    assert [r["run"] for r in d["runs"]] == ["ckpt", "ckpt (2)", "ckpt (3)"]
    assert [r["path"] for r in d["runs"]] == ["/runs/e1/dets.json", "/runs/e2/dets.json", None]
    assert d["runs"][1]["class_delta"] == {"dog": 0.125, "cat": -0.125, "cow": None}

    assert "## AP change per class vs the first run (pts)" in md
    assert "| class | AP (%) ckpt | Δ ckpt (2) | Δ ckpt (3) |" in md
    assert "| dog | 50.00 | +12.50 | +0.00 |" in md
    assert "| cat | 25.00 | -12.50 | n/a |" in md
    assert "| cow | - | n/a | n/a |" in md
    assert "| ckpt (2) | /runs/e2/dets.json |" in md and "| ckpt (3) | - |" in md
    assert "<td>/runs/e1/dets.json</td>" in html

    with open(w["csv"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["run"] for r in rows] == ["ckpt", "ckpt (2)", "ckpt (3)"]
    assert rows[0]["path"] == "/runs/e1/dets.json" and rows[2]["path"] == ""
    assert float(rows[1]["dAP[dog]"]) == 0.125 and rows[1]["dAP[cow]"] == ""
    assert "ckpt (2)" in report.format_compare(runs)


def test_compare_runs_are_checked(hand):
    with pytest.raises(ValueError, match="no runs"):
        report.compare_table([])
    with pytest.raises(ValueError, match=r"\(label, result\)"):
        report.compare_table([("a",)])
    # a dict of runs and a suffix that is itself taken
    rows = report.compare_table([("a", hand), ("a (2)", hand), ("a", hand)])
    assert [r["run"] for r in rows] == ["a", "a (2)", "a (3)"]
    assert [r["run"] for r in report.compare_table({"x": hand, "y": hand})] == ["x", "y"]


def test_permission_denied_on_the_parent_is_one_output_error(hand, tmp_path, monkeypatch):
    """The read-only case as root too: the staging folder cannot be made."""
    import tempfile

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    with pytest.raises(DetapOutputError) as e:
        report.write_report(hand, tmp_path / "rep", plots=False)
    assert str(e.value) == f"{tmp_path / 'rep'}: cannot create the report folder: " \
                           "Permission denied"
    assert os.listdir(tmp_path) == []


def test_current_folder_and_links_are_refused(hand, tmp_path, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    monkeypatch.chdir(out)
    for target in (".", str(out), str(tmp_path)):
        with pytest.raises(DetapOutputError, match="is the current folder or contains it"):
            report.write_report(hand, target, plots=False)
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(out, target_is_directory=True)
    with pytest.raises(DetapOutputError, match="is a symbolic link"):
        report.write_report(hand, link, plots=False)
    assert os.path.islink(link) and os.listdir(out) == []
