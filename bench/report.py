"""Run detap's benchmark suite and print a Markdown report.

Usage (from the repository root)::

    python bench/report.py                       # quick mode (CI sizes), ~2 min
    python bench/report.py --full > bench/results.md   # the quoted numbers (long: every
                                                 # full preset, the 10M-detection big included)
    python bench/report.py --from-json run.json  # format an existing --benchmark-json file
    python bench/report.py --full --json run.json -- -k core   # keep the JSON; extra pytest args
    python bench/report.py --full --coco-only > bench/results_coco.md   # COCO tables only
    python bench/report.py --full --coco-only --presets segm,keypoints  # these COCO presets only
    DETAP_BENCH_DATA=~/detap-bench-data python bench/report.py --full --coco-only \
        --presets coco,coco-f32,big        # both number formats, 10M detections (big kept on disk)

It runs ``python -m pytest bench -q -p no:cacheprovider --benchmark-json=...``
(plus ``--bench-full`` with ``--full``), sends pytest's own output to
stderr, and prints to stdout:

- one row per (detap variant, reference variant) pair of every scenario:
  size, detap median, reference median, ratio = reference / detap;
- the goals (full-mode sizes) and whether they are met;
- where detap's time goes: stage medians (``bench/stages.py``; skip with
  ``--no-stages``);
- the machine: CPU model (/proc/cpuinfo), cores, Python, numpy, detap,
  git commit.

Exit status: pytest's, if the benchmarks fail (their exactness checks
included); otherwise 0, whether or not the goals are met.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.report_coco import coco_section, median  # noqa: E402
from bench.stages import fmt_time, format_markdown, run_all  # noqa: E402

SCENARIOS = {
    "a-core": "a. core, 1 class, in-memory arrays (sort + match + AP)",
    "b-core": "b. core at scale, 1 class, in-memory arrays",
    "c-e2e": "c. voc_eval end to end from files, 1 class (det file: short numbers)",
    "c-e2e-f32": "c. voc_eval end to end from files, 1 class (det file: float32 reprs)",
    "d-all-classes": "d. all 20 classes from files (VOC2007-test-sized)",
    "e-dota": "e. DOTA task 1 voc_eval from files, 1 class (bench/test_bench_dota.py)",
    "f-dota-arrays": "f. DOTA task 1 from in-memory quadrilaterals, 1 class",
    "g-tide": "g. TIDE error breakdown from loaded data (bench/test_bench_analysis.py)",
    "h-analysis": "h. detap eval's work from COCO files, without / with --analysis",
}

ROLE_TEXT = {
    "detap": "detap",
    "detap-diskcache": "detap, .npz cache (no memo)",
    "reference": "reference",
    "reference-xml": "reference, parsing XML",
    "reference-pair": "reference, polygon IoU called per pair",
    "reference-parse": "reference, parsing labelTxt",
    "detap-eval": "detap, eval without analysis",
}

# (scenario, detap role, reference role, minimum ratio) and the time limit of (b)
RATIO_GOALS = [
    ("a-core", "detap", "reference", 200.0),
    ("c-e2e", "detap", "reference", 20.0),
    ("c-e2e-f32", "detap", "reference", 30.0),   # issue 12: as fast as with short numbers
    ("e-dota", "detap", "reference", 100.0),     # issue 15 (the devkit loop, compiled polyiou)
    ("g-tide", "detap", "reference", 20.0),       # issue 14: TIDE vs tidecv
]
# (scenario, role with, role without, most added fraction): issue 14's analysis
OVERHEAD_GOALS = [("h-analysis", "detap", "detap-eval", 0.5)]
TIME_GOALS = [("b-core", "detap", 0.5), ("f-dota-arrays", "detap", 1.0)]  # f: issue 15, at 1M


def run_benchmarks(full, json_path, extra):
    cmd = [sys.executable, "-m", "pytest", os.path.relpath(HERE, ROOT), "-q", "-p", "no:cacheprovider",
           f"--benchmark-json={json_path}", "--benchmark-columns=min,median,max,rounds"]
    if full:
        cmd.append("--bench-full")
    cmd += extra
    print("+ " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr)
    return proc.returncode


def collect(data):
    """{scenario: {"size":..., "n": ..., "roles": {role: bench dict}}} in scenario order."""
    out, paired = {}, {}
    for b in data["benchmarks"]:
        ei = b.get("extra_info", {})
        if "paired_for" in ei:   # alternated rounds of an overhead goal
            paired[ei["paired_for"]] = ei
            continue
        sc, role = ei.get("scenario"), ei.get("role")
        if sc is None or role is None:
            continue
        entry = out.setdefault(sc, {"size": ei.get("size", ""), "extra": ei, "roles": {}})
        entry["roles"][role] = b
    for sc, ei in paired.items():
        if sc in out:
            out[sc]["paired"] = ei
        elif sc.endswith("-cli") and sc[:-4] in out:
            out[sc[:-4]]["paired_cli"] = ei
    return dict(sorted(out.items()))


def pairs_of(entry):
    roles = entry["roles"]
    dets = sorted((r for r in roles if r.startswith("detap")), key=lambda r: (r != "detap", r))
    refs = sorted((r for r in roles if r.startswith("reference")), key=lambda r: (r != "reference", r))
    rows = []
    for d in dets:
        for r in (refs or [None]):
            if d != "detap" and r not in ("reference", None):
                continue  # variants only against the main reference
            rows.append((d, r))
    if not dets:
        rows = [(None, r) for r in refs]
    return rows


def results_table(scen):
    lines = ["| scenario | size | detap | detap median | reference | reference median "
             "| ratio (ref/detap) | ratio of minima | rounds (detap/ref) |",
             "|---|---|---|---:|---|---:|---:|---:|---|"]
    for sc, entry in scen.items():
        ei = entry["extra"]
        size = f"{ei.get('n_det', '')} dets, {ei.get('n_images', '')} images, {ei.get('n_gt', '')} GT"
        if ei.get("n_classes", 1) > 1:
            size += f", {ei['n_classes']} classes"
        for d, r in pairs_of(entry):
            bd, br = entry["roles"].get(d), entry["roles"].get(r)
            md, mr = median(bd), median(br)
            ratio = f"**{mr / md:.1f}x**" if md and mr else "—"
            ratio_min = (f"{br['stats']['min'] / bd['stats']['min']:.1f}x"
                         if bd and br and bd["stats"]["min"] else "—")
            ref_text = (ROLE_TEXT.get(r, r) if r else "—" if sc in {g[0] for g in OVERHEAD_GOALS}
                        else "not run (full mode only)")
            rounds = f"{bd['stats']['rounds'] if bd else '—'}/{br['stats']['rounds'] if br else '—'}"
            lines.append(f"| {SCENARIOS.get(sc, sc)} | {size} | {ROLE_TEXT.get(d, d)} | "
                         f"{fmt_time(md)} | {ref_text} | {fmt_time(mr)} | {ratio} | {ratio_min} | {rounds} |")
    return "\n".join(lines)


def goals(scen, mode):
    lines = []
    if mode != "full":
        lines.append("_Quick mode: the goals are stated for the full-mode sizes "
                     "(100k / 1M detections); these checks are indicative only._\n")
    for sc, d, r, need in RATIO_GOALS:
        e = scen.get(sc)
        md = median(e["roles"].get(d)) if e else None
        mr = median(e["roles"].get(r)) if e else None
        if md and mr:
            got = mr / md
            verdict = "met" if got >= need else "**NOT MET**"
            lines.append(f"- {SCENARIOS[sc]} ({e['size']}): detap >= {need:g}x faster than the "
                         f"{ROLE_TEXT[r]}: {got:.1f}x ({fmt_time(md)} vs {fmt_time(mr)}) - {verdict}")
        else:
            lines.append(f"- {SCENARIOS[sc]}: >= {need:g}x - not measured")
    for sc, d, base, most in OVERHEAD_GOALS:
        e = scen.get(sc)
        md = median(e["roles"].get(d)) if e else None
        mb = median(e["roles"].get(base)) if e else None
        if md and mb:
            lo_d, lo_b = e["roles"][d]["stats"]["min"], e["roles"][base]["stats"]["min"]
            p = e.get("paired")
            got = p["paired_overhead"] if p else md / mb - 1
            verdict = "met" if got <= most else "**NOT MET**"
            how = (f"median of {len(p['paired_ratios'])} alternated pairs {got:+.0%}; " if p else "")
            lines.append(f"- {SCENARIOS[sc]} ({e['size']}): adds at most {most:.0%}: {how}"
                         f"medians {md / mb - 1:+.0%} ({fmt_time(mb)} -> {fmt_time(md)}), best "
                         f"rounds {lo_d / lo_b - 1:+.0%} - {verdict}")
            pc = e.get("paired_cli")
            if pc:
                walls = sorted(pc["paired_eval_s"])
                lines.append(f"  - the `detap eval` command in fresh processes, median of "
                             f"{len(pc['paired_ratios'])} alternated pairs: "
                             f"{pc['paired_overhead']:+.0%} (eval alone {fmt_time(walls[len(walls) // 2])})")
        else:
            lines.append(f"- {SCENARIOS[sc]}: adds at most {most:.0%} - not measured")
    for sc, d, limit in TIME_GOALS:
        e = scen.get(sc)
        md = median(e["roles"].get(d)) if e else None
        if md:
            verdict = "met" if md < limit else "**NOT MET**"
            lines.append(f"- {SCENARIOS[sc]} ({e['size']}): detap median < {limit:g} s: "
                         f"{fmt_time(md)} - {verdict}")
        else:
            lines.append(f"- {SCENARIOS[sc]}: < {limit:g} s - not measured")
    return "\n".join(lines)


def machine(data):
    mi = data.get("machine_info", {})
    db = mi.get("detap_bench", {})
    cpu = db.get("cpu_model") or mi.get("cpu", {}).get("brand_raw") or platform.processor()
    rows = [
        ("CPU", cpu),
        ("cores", f"{db.get('cpu_count', os.cpu_count())} (usable: {db.get('cpu_usable', '?')}); "
                  "all timings single-threaded"),
        ("OS", f"{mi.get('system', platform.system())} {mi.get('release', platform.release())} "
               f"{mi.get('machine', platform.machine())}"),
        ("Python", f"{db.get('python', mi.get('python_version', ''))} "
                   f"({mi.get('python_implementation', '')}, {mi.get('python_compiler', '')})"),
        ("numpy", db.get("numpy", "?")),
        ("detap", f"{db.get('detap', '?')} (git {db.get('git_commit', '?')})"),
        ("pytest-benchmark", data.get("version", "?")),
        ("run", data.get("datetime", "")),
    ]
    return "\n".join(["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])


def _loadavg():
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        return "?"


def render(data, command, stages=None, load=None):
    meta = data.get("detap_bench", {})
    mode = meta.get("mode", "?")
    scen = collect(data)
    parts = [
        "# detap benchmark results",
        "",
        f"Command: `{command}`  ",
        f"Mode: **{mode}** (pytest-benchmark, `benchmark.pedantic`, medians of the rounds shown; "
        "data from `detap.synth`, seeded, scores rounded to 3 decimals).  Det files: short "
        "numbers (3-decimal scores, integer corners) or, where the scenario says so, float32 "
        "reprs (the same detections with sub-pixel corners, every number printed as `repr` of "
        "its float32 value, e.g. `0.12300000339746475`: `bench/number_formats.py`).  ",
        "Every benchmark asserts that detap's rec, prec and AP equal the reference's bit for bit.",
        "",
        "Reference = `tests/reference_voc.py`, a faithful transcription of py-faster-rcnn's "
        "`voc_eval`.  In (a)/(b) it is `bench/refcore.py::reference_core`, the reference's code "
        "from the point after the det file is read (GT extraction included, as detap's "
        "`prepare_gt`); in (c)/(d) `reference` is `voc_eval_recs` with pre-parsed `recs` (the "
        "reference with a warm pickle cache whose loading is not even timed) and "
        "`reference, parsing XML` is `voc_eval` parsing every annotation per call.  detap in "
        "(c)/(d) runs with a warm in-process annotation cache; `.npz cache (no memo)` reloads "
        "the on-disk cache each call, as a fresh process would.",
        "",
        "## Results",
        "",
        results_table(scen),
        "",
        "The ratio is of medians; the ratio of minima (best round of each) is shown because "
        "on a shared machine other processes inflate some rounds (compare the two to see "
        "how noisy a run was).",
        "",
    ]
    if mode != "full":
        parts += ["The reference at the big size of (b) is benchmarked in full mode only "
                  "(~15 s per call at 1M detections).", ""]
    parts += ["## Goals", "", goals(scen, mode), ""]
    if stages:
        parts += ["## Where detap's time goes", "",
                  "Stage medians, timed separately with `bench/stages.py` (same data and sizes).",
                  "", format_markdown(stages), ""]
    coco = coco_section(data)
    if coco:
        parts += [coco, ""]
    parts += ["## Machine", "", machine(data)]
    if load:
        parts.append(f"| load average (1/5/15 min) before / after the benchmarks | {load[0]} / {load[1]} |")
    parts.append("")
    return "\n".join(parts)


def run_coco_benchmarks(full, json_path, extra):
    """pytest on bench/test_bench_coco.py alone (``--coco-only``)."""
    cmd = [sys.executable, "-m", "pytest", os.path.join(os.path.relpath(HERE, ROOT),
                                                        "test_bench_coco.py"),
           "-q", "-p", "no:cacheprovider", f"--benchmark-json={json_path}",
           "--benchmark-columns=min,median,max,rounds"]
    if full:
        cmd.append("--bench-full")
    cmd += extra
    print("+ " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr).returncode


def render_coco(data, command, load=None):
    parts = ["# detap COCO benchmark results", "", f"Command: `{command}`", "",
             coco_section(data) or "_No COCO benchmarks in this run._", "",
             "## Machine", "", machine(data).replace("all timings single-threaded",
                                                     "threads as in the tables")]
    if load:
        parts.append(f"| load average (1/5/15 min) before / after the benchmarks | {load[0]} / {load[1]} |")
    parts.append("")
    return "\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description="Run detap's benchmarks and print a Markdown report.",
                                epilog="Arguments after -- are passed to pytest.")
    p.add_argument("--full", action="store_true",
                   help="full sizes (100k / 1M dets, 4952 images); default: quick CI sizes")
    p.add_argument("--json", metavar="PATH", help="keep pytest-benchmark's JSON here")
    p.add_argument("--from-json", metavar="PATH",
                   help="do not run the benchmarks; format this --benchmark-json file")
    p.add_argument("--no-stages", action="store_true", help="skip the stage timings")
    p.add_argument("--presets", metavar="P1,P2",
                   help="COCO presets to run (pytest's --coco-presets), e.g. segm,keypoints; "
                        "default: the mode's own (quick: small, small-f32, segm-small, "
                        "keypoints-small; full: coco, coco-f32, objects365, segm, keypoints, "
                        "big)")
    p.add_argument("--coco-only", action="store_true",
                   help="run (or format) only the COCO benchmarks (bench/test_bench_coco.py) "
                        "and print only their tables")
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    args = p.parse_args(argv)
    if args.presets:
        extra = [f"--coco-presets={args.presets}"] + extra
    command = "python bench/report.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    load = None
    if args.from_json:
        with open(args.from_json) as f:
            data = json.load(f)
        full = data.get("detap_bench", {}).get("mode") == "full"
    else:
        full = args.full
        tmpdir = None
        json_path = args.json
        if json_path is None:
            tmpdir = tempfile.TemporaryDirectory()
            json_path = os.path.join(tmpdir.name, "bench.json")
        load_before = _loadavg()
        rc = (run_coco_benchmarks if args.coco_only else run_benchmarks)(
            full, os.path.abspath(json_path), extra)
        load = (load_before, _loadavg())
        if rc != 0 or not os.path.exists(json_path):
            print(f"benchmarks failed (pytest exit status {rc}); no report", file=sys.stderr)
            return rc or 1
        with open(json_path) as f:
            data = json.load(f)
        if tmpdir is not None:
            tmpdir.cleanup()

    if args.coco_only:
        print(render_coco(data, command.strip(), load))
        print(f"_Generated {datetime.datetime.now().isoformat(timespec='seconds')}._")
        return 0

    stages = None
    if not args.no_stages:
        print("timing stages ...", file=sys.stderr, flush=True)
        stages = run_all(full)
    print(render(data, command.strip(), stages, load))
    print(f"_Generated {datetime.datetime.now().isoformat(timespec='seconds')}._")
    return 0


if __name__ == "__main__":
    sys.exit(main())
