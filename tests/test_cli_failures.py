"""Clean failures of the command line, in real processes: one stderr line and
a documented exit code (2 usage/input/output, 130 Ctrl-C, 141 closed pipe),
never a traceback; the result is printed before any report is written."""
import io
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from detap import cli

SAMPLE = cli.SAMPLE
DET = os.path.join(SAMPLE, "results", "det_test_{}.txt")
ISET = os.path.join(SAMPLE, "ImageSets", "Main", "test.txt")
EVAL = ["eval", "--gt", SAMPLE, "--dt", DET, "--imageset", ISET, "--protocol", "voc"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def detap(args, **kw):
    return subprocess.run([sys.executable, "-m", "detap"] + args, capture_output=True,
                          text=True, timeout=120, **kw)


def one_error_line(p, code, *words):
    assert p.returncode == code, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_out_is_an_existing_file(tmp_path):
    f = tmp_path / "report"
    f.write_text("keep me")
    p = detap(EVAL + ["--out", str(f)])
    one_error_line(p, 2, "detap: error:", str(f), "not a folder")
    assert f.read_text() == "keep me"


def test_out_under_a_file_prints_the_result_first(tmp_path):
    """The folder cannot be created: exit 2 naming it, and the table that
    was computed is on stdout already."""
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "report"
    p = detap(EVAL + ["--out", str(out), "--no-plots"])
    one_error_line(p, 2, "detap: error: cannot write", str(tmp_path / "file"))
    assert "mAP" in p.stdout and "69.79" in p.stdout
    assert "report in" not in p.stdout      # no claim of a report that was not written


def test_unwritable_out_folder(tmp_path):
    if os.geteuid() == 0:
        # root writes into read-only folders; sysfs refuses even root a new folder
        if not os.path.isdir("/sys/kernel"):
            pytest.skip("root writes into read-only folders, and there is no /sys")
        out = "/sys/detap-test-report"
        p = detap(EVAL + ["--out", out, "--no-plots"])
    else:
        out = tmp_path / "ro"
        out.mkdir()
        out.chmod(0o555)
        try:
            p = detap(EVAL + ["--out", str(out), "--no-plots"])
        finally:
            out.chmod(0o755)
    one_error_line(p, 2, "cannot write", str(out))
    assert "mAP" in p.stdout


def test_a_stale_plots_entry_cannot_block_the_report(tmp_path):
    """The report folder is built whole beside --out and renamed into place
    (detap.report_folder), so a file where an old report's plots folder was
    cannot make the plots unwritable: the old report is replaced whole."""
    pytest.importorskip("matplotlib")
    out = tmp_path / "report"
    out.mkdir()
    (out / "plots").write_text("a file where the plots folder goes")
    p = detap(EVAL + ["--out", str(out)])
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert "mAP" in p.stdout
    assert (out / "plots").is_dir() and list((out / "plots").glob("*.png"))
    assert (out / "report.html").is_file()


def test_compare_prints_before_a_failed_write(tmp_path):
    (tmp_path / "file").write_text("")
    p = detap(["compare", "--gt", SAMPLE, "--imageset", ISET, DET, DET, "--labels", "a", "b",
               "--out", str(tmp_path / "file" / "cmp")])
    one_error_line(p, 2, "cannot write")
    assert "69.79" in p.stdout


def test_json_is_printed_before_a_failed_write(tmp_path):
    (tmp_path / "file").write_text("")
    p = detap(EVAL + ["--json", "--out", str(tmp_path / "file" / "r"), "--no-plots"])
    one_error_line(p, 2, "cannot write")
    assert json.loads(p.stdout)["mAP"] == pytest.approx(0.6979030125152613, abs=0)


def test_closed_pipe_is_quiet():
    """The reader goes away before detap writes: no message, no "Exception
    ignored" at exit, exit code 141 (128 + SIGPIPE)."""
    proc = subprocess.Popen([sys.executable, "-m", "detap", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""


def test_pipe_into_head():
    """``detap demo | head -2`` in a real shell: two lines, nothing on stderr."""
    p = subprocess.run(["bash", "-c", f"{sys.executable} -m detap demo 2>err.txt | head -2; "
                                      "echo ${PIPESTATUS[0]}; cat err.txt"],
                       capture_output=True, text=True, timeout=120, cwd=os.environ.get("TMPDIR", "/tmp"))
    lines = p.stdout.splitlines()
    assert lines[0].startswith("detap ") and lines[2] in ("0", "141")
    assert lines[3:] == []


def test_closed_pipe_in_process_returns_141(monkeypatch):
    class Closed(io.StringIO):
        def write(self, s):
            raise BrokenPipeError(32, "Broken pipe")
    assert cli.main(["demo"], out=Closed()) == 141


SLOW = textwrap.dedent("""
    import sys, time
    import detap.{module} as m
    def slow(*a, **k):
        sys.stdout.write("READY\\n"); sys.stdout.flush()
        time.sleep(60)
    m.{name} = slow
    from detap.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("module,name,extra", [
    ("protocols", "evaluate", []),                   # while matching
    ("report", "write_report", ["--out", "OUT"]),    # while writing the report
])
def test_ctrl_c_exits_130_with_one_line(tmp_path, module, name, extra):
    extra = [str(tmp_path / "r") if a == "OUT" else a for a in extra]
    proc = subprocess.Popen([sys.executable, "-c", SLOW.format(module=module, name=name)]
                            + EVAL + extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        for line in proc.stdout:   # the result table comes first when writing a report
            if line == "READY\n":
                break
        else:
            pytest.fail(proc.stderr.read())
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read()
    assert code == 130, err
    assert err == "detap: interrupted\n"


def test_ctrl_c_on_a_real_evaluation(tmp_path):
    """SIGINT to a running ``detap eval`` on a synthetic data set large
    enough to still be running: exit 130, one line, no report left over."""
    from detap.synth import make_voc_arrays, write_voc
    det, _, iset = write_voc(make_voc_arrays(n_images=15000, seed=1), str(tmp_path / "voc"))
    proc = subprocess.Popen([sys.executable, "-m", "detap", "eval", "--gt", str(tmp_path / "voc"),
                             "--dt", det, "--imageset", iset, "--protocol", "all", "--out",
                             str(tmp_path / "r")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        import time
        time.sleep(1.0)   # the evaluation takes about 5 s on this machine
        assert proc.poll() is None, "finished before the signal: make the data set larger"
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130
    assert proc.stderr.read() == "detap: interrupted\n"
    assert not (tmp_path / "r" / "report.json").exists()


def test_bad_gate_value_is_a_usage_error():
    p = detap(EVAL + ["--fail-under", "high"])
    one_error_line(p, 2, "--fail-under", "high")


def test_input_warnings_print_as_detap_lines(tmp_path):
    """A DetapWarning from the input checks reaches the user as one
    'detap: warning:' line on stderr, not Python's file:line format."""
    import subprocess
    import sys
    gt, dt = tmp_path / "gt", tmp_path / "dt"
    gt.mkdir()
    dt.mkdir()
    (gt / "a.txt").write_text("car 0 0 10 10\n")
    (dt / "a.txt").write_text("")  # an empty detection file: zero detections
    p = subprocess.run([sys.executable, "-m", "detap", "eval", "--gt", str(gt), "--dt", str(dt),
                        "--format", "text", "--quiet"], capture_output=True, text=True)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert any(ln.startswith("detap: warning: ") and "no detections" in ln for ln in lines), p.stderr
    assert not any("UserWarning" in ln or "warnings.warn" in ln for ln in lines), p.stderr
