"""Run detap's benchmark suite and print a Markdown report.

Usage (from the repository root)::

    python bench/report.py                       # quick mode (CI sizes), ~10 s
    python bench/report.py --full > bench/results.md   # the quoted numbers, ~70 s
    python bench/report.py --from-json run.json  # format an existing --benchmark-json file
    python bench/report.py --full --json run.json -- -k core   # keep the JSON; extra pytest args
    python bench/report.py --full --coco-only > bench/results_coco.md   # COCO tables only

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

from bench.stages import fmt_time, format_markdown, run_all  # noqa: E402

SCENARIOS = {
    "a-core": "a. core, 1 class, in-memory arrays (sort + match + AP)",
    "b-core": "b. core at scale, 1 class, in-memory arrays",
    "c-e2e": "c. voc_eval end to end from files, 1 class",
    "d-all-classes": "d. all 20 classes from files (VOC2007-test-sized)",
}

ROLE_TEXT = {
    "detap": "detap",
    "detap-diskcache": "detap, .npz cache (no memo)",
    "reference": "reference",
    "reference-xml": "reference, parsing XML",
}

# (scenario, detap role, reference role, minimum ratio) and the time limit of (b)
RATIO_GOALS = [
    ("a-core", "detap", "reference", 200.0),
    ("c-e2e", "detap", "reference", 20.0),
]
TIME_GOALS = [("b-core", "detap", 0.5)]


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
    out = {}
    for b in data["benchmarks"]:
        ei = b.get("extra_info", {})
        sc, role = ei.get("scenario"), ei.get("role")
        if sc is None or role is None:
            continue
        entry = out.setdefault(sc, {"size": ei.get("size", ""), "extra": ei, "roles": {}})
        entry["roles"][role] = b
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


def median(b):
    return b["stats"]["median"] if b else None


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
            ref_text = ROLE_TEXT.get(r, r) if r else "not run (full mode only)"
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
        "data from `detap.synth`, seeded, scores rounded to 3 decimals).  ",
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


# ---------------------------------------------------------------- COCO section
# bench/test_bench_coco.py: detap.coco vs pycocotools, faster-coco-eval and
# hotcoco.  Its benchmarks carry ``coco_measure`` (fresh / evalacc /
# pipeline) and ``role`` (the variant) in extra_info.

COCO_ORDER = ["detap-t1", "detap", "hotcoco-t1", "hotcoco", "faster-coco-eval", "pycocotools"]
COCO_PRESET_ORDER = ["small", "coco", "objects365"]
COCO_GOAL_SPEEDUP_ALL = 2.0      # detap (all cores) vs hotcoco (all cores)
COCO_GOAL_SPEEDUP_ONE = 1.5      # detap threads=1 vs hotcoco RAYON_NUM_THREADS=1


def coco_collect(data):
    """{preset: {"info": ..., measure: {variant: bench dict}}} of the COCO benchmarks."""
    out = {}
    for b in data.get("benchmarks", []):
        ei = b.get("extra_info", {})
        measure, role, preset = ei.get("coco_measure"), ei.get("role"), ei.get("preset")
        if measure is None or role is None or preset is None:
            continue
        entry = out.setdefault(preset, {"info": ei})
        entry.setdefault(measure, {})[role] = b
    return {k: out[k] for k in sorted(out, key=lambda p: (COCO_PRESET_ORDER.index(p)
                                                         if p in COCO_PRESET_ORDER else 99, p))}


def _mib(x):
    return "—" if x is None else (f"{x / 1024:.2f} GiB" if x >= 1024 else f"{x:.0f} MiB")


def _x(a, b):
    """b / a as a speed-up text (a: tool time, b: hotcoco time)."""
    return f"{b / a:.2f}x" if a and b else "—"


def _coco_times(entry, variant):
    """(eval+acc, pipeline, how): in-process pytest-benchmark medians, or the
    fresh-process medians for variants that only run there (hotcoco-t1)."""
    ev = entry.get("evalacc", {}).get(variant)
    pl = entry.get("pipeline", {}).get(variant)
    if ev or pl:
        return median(ev), median(pl), "in-process"
    fr = entry.get("fresh", {}).get(variant)
    m = fr["extra_info"].get("median") if fr else None
    if m:
        return m.get("eval_acc"), m.get("pipeline"), "fresh"
    return None, None, None


def _fresh(entry, variant):
    fr = entry.get("fresh", {}).get(variant)
    return fr["extra_info"] if fr else None


def coco_main_table(coco):
    lines = ["| preset | tool | threads | eval+acc median | whole pipeline median | peak RSS "
             "(+ over imports) | speed-up vs hotcoco, eval+acc / pipeline | stats vs pycocotools |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for preset, entry in coco.items():
        hot_e, hot_p, _ = _coco_times(entry, "hotcoco")
        h1_e, h1_p, _ = _coco_times(entry, "hotcoco-t1")
        for v in COCO_ORDER:
            fi = _fresh(entry, v)
            e, pl, how = _coco_times(entry, v)
            if fi is None and how is None:
                continue
            threads = (fi or {}).get("threads", "")
            if fi is not None and fi.get("skipped"):
                lines.append(f"| {preset} | {v} | {threads} | {fi['skipped']} | | | | |")
                continue
            mark = " †" if how == "fresh" else ""
            peak = (f"{_mib(fi.get('peak_mib'))} (+{_mib(fi.get('increase_mib'))})"
                    if fi and fi.get("peak_mib") else "—")
            ratio = f"{_x(e, hot_e)} / {_x(pl, hot_p)}"
            if v == "detap-t1":
                ratio += f" (vs hotcoco-t1 †: {_x((fi or {}).get('median', {}).get('eval_acc'), h1_e)}"
                ratio += f" / {_x((fi or {}).get('median', {}).get('pipeline'), h1_p)})"
            ev_b = entry.get("evalacc", {}).get(v) or entry.get("pipeline", {}).get(v)
            agree = (ev_b or {}).get("extra_info", {}).get("stats_agreement") or \
                (fi or {}).get("stats_agreement", "—")
            lines.append(f"| {preset} | {v} | {threads} | {fmt_time(e)}{mark} | {fmt_time(pl)}{mark} | "
                         f"{peak} | {ratio} | {agree} |")
    return "\n".join(lines)


def coco_stage_table(coco):
    lines = ["| preset | tool | threads | rounds | load GT | loadRes | COCOeval() | evaluate | "
             "accumulate | summarize | eval+acc | pipeline | CPU/wall of eval+acc | "
             "threads seen | imports | baseline RSS | peak RSS | increase |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for preset, entry in coco.items():
        for v in COCO_ORDER:
            fi = _fresh(entry, v)
            if fi is None:
                continue
            if fi.get("skipped"):
                lines.append(f"| {preset} | {v} | {fi.get('threads', '')} | killed | "
                             f"{fi['skipped']} |||||||||||||")
                continue
            m = fi.get("median", {})
            cpw = fi.get("eval_acc_cpu_per_wall")
            times = " | ".join(fmt_time(m.get(k)) for k in ("load_gt", "load_res", "make_eval",
                                                            "evaluate", "accumulate", "summarize",
                                                            "eval_acc", "pipeline"))
            lines.append(
                f"| {preset} | {v} | {fi.get('threads', '')} | {fi.get('child_rounds', '')} | "
                f"{times} | {'—' if cpw is None else f'{cpw:.2f}'} | {fi.get('threads_seen', '')} | "
                f"{fmt_time(fi.get('import_s'))} | {_mib(fi.get('baseline_mib'))} | "
                f"{_mib(fi.get('peak_mib'))} | {_mib(fi.get('increase_mib'))} |")
    return "\n".join(lines)


def coco_agreement_lines(coco):
    out = []
    for preset, entry in coco.items():
        for v in COCO_ORDER:
            b = entry.get("evalacc", {}).get(v) or entry.get("pipeline", {}).get(v)
            ei = (b or {}).get("extra_info") or _fresh(entry, v)
            if not ei or not ei.get("stats_agreement") or v == "pycocotools":
                continue
            txt = ei["stats_agreement"]
            if ei.get("eval_agreement"):
                txt += f"; eval arrays: {ei['eval_agreement']}"
            out.append(f"- {preset}, {v}: stats {txt}")
    return "\n".join(out)


def coco_goals(coco, mode):
    lines = []
    if mode != "full":
        lines.append("_Quick mode: the goals are stated for the full presets (coco, objects365); "
                     "these checks are indicative only._\n")

    def verdict(ok):
        return "met" if ok else "**NOT MET**"

    for preset, entry in coco.items():
        d_e, d_p, _ = _coco_times(entry, "detap")
        h_e, h_p, _ = _coco_times(entry, "hotcoco")
        for what, a, b in (("eval+acc", d_e, h_e), ("whole pipeline", d_p, h_p)):
            if a and b:
                lines.append(f"- {preset}, all cores, {what}: detap >= {COCO_GOAL_SPEEDUP_ALL:g}x "
                             f"faster than hotcoco: {b / a:.2f}x ({fmt_time(a)} vs {fmt_time(b)}, "
                             f"in-process medians) - {verdict(b / a >= COCO_GOAL_SPEEDUP_ALL)}")
            else:
                lines.append(f"- {preset}, all cores, {what}: not measured")
        f1, h1 = _fresh(entry, "detap-t1"), _fresh(entry, "hotcoco-t1")
        for what, key in (("eval+acc", "eval_acc"), ("whole pipeline", "pipeline")):
            a = (f1 or {}).get("median", {}).get(key)
            b = (h1 or {}).get("median", {}).get(key)
            if a and b:
                lines.append(f"- {preset}, 1 thread, {what}: detap threads=1 >= "
                             f"{COCO_GOAL_SPEEDUP_ONE:g}x faster than hotcoco RAYON_NUM_THREADS=1: "
                             f"{b / a:.2f}x ({fmt_time(a)} vs {fmt_time(b)}, fresh-process medians) "
                             f"- {verdict(b / a >= COCO_GOAL_SPEEDUP_ONE)}")
            else:
                lines.append(f"- {preset}, 1 thread, {what}: not measured")
        for dv, hv in (("detap", "hotcoco"), ("detap-t1", "hotcoco-t1")):
            a, b = _fresh(entry, dv), _fresh(entry, hv)
            if a and b and a.get("peak_mib") and b.get("peak_mib"):
                lines.append(f"- {preset}, peak RSS, {dv} <= {hv}: {_mib(a['peak_mib'])} vs "
                             f"{_mib(b['peak_mib'])} ({a['peak_mib'] / b['peak_mib']:.2f}x) - "
                             f"{verdict(a['peak_mib'] <= b['peak_mib'])}")
    return "\n".join(lines)


def coco_load_text(coco):
    """The 1-minute load average seen by the COCO benchmarks (other processes
    on the machine make multi-threaded timings unreliable)."""
    loads = []
    for entry in coco.values():
        for measure in ("fresh", "evalacc", "pipeline"):
            for b in entry.get(measure, {}).values():
                ei = b.get("extra_info", {})
                for k in ("loadavg", "loadavg_start", "loadavg_end"):
                    if ei.get(k):
                        loads.append(ei[k][0])
    if not loads:
        return ""
    cores = next(iter(coco.values()))["info"].get("cores", "?")
    return (f"1-minute load average during the COCO runs: {min(loads):.2f} to {max(loads):.2f} "
            f"on {cores} usable cores (the benchmark itself counts for about 1 per busy thread; "
            "a load above that means other "
            "processes competed for the CPUs: the multi-threaded rows are the first to suffer).")


def coco_section(data):
    """The COCO part of the report (empty string when there are no COCO benchmarks)."""
    coco = coco_collect(data)
    if not coco:
        return ""
    mode = data.get("detap_bench", {}).get("mode", "?")
    sizes = [f"- **{p}**: {e['info'].get('size', '')}" for p, e in coco.items()]
    return "\n".join([
        "## COCO box evaluation: detap.coco vs pycocotools, faster-coco-eval, hotcoco",
        "",
        f"Mode: **{mode}**.  `bench/test_bench_coco.py`; data from `detap.synth.make_coco` "
        "(seeded), written to JSON once per session:",
        "",
        *sizes,
        "",
        "eval+acc = `COCOeval(gt, dt, \"bbox\")` + `evaluate()` + `accumulate()` on GT and "
        "results loaded beforehand (fresh objects every round, loading not timed); whole "
        "pipeline = `COCO(gt.json)` + `loadRes(results.json)` + eval+acc + `summarize()`.  "
        "Medians of pytest-benchmark rounds in the pytest process; † = measured only in fresh "
        "processes (hotcoco's rayon pool is global and sized once per process, so "
        "`RAYON_NUM_THREADS=1` needs its own process): the median of the child's rounds after "
        "its first.  Peak RSS = `VmHWM` of a fresh process running the pipeline once "
        "(`bench/memory.py`); + = over the same process's `VmHWM` after its imports.  "
        "Speed-up = hotcoco's median / the tool's (> 1: faster than hotcoco).",
        "",
        coco_main_table(coco),
        "",
        coco_load_text(coco),
        "",
        "### Goals",
        "",
        coco_goals(coco, mode),
        "",
        "### Stages in fresh processes (where the time goes)",
        "",
        "Medians over the child's rounds after the first (one round only: that round).  "
        "CPU/wall = process CPU time (all threads) over wall time of eval+acc: ~1 means one "
        "core busy.  Threads seen = entries of /proc/self/task after the first round.",
        "",
        coco_stage_table(coco),
        "",
        "### Agreement of the numbers",
        "",
        "detap's stats and precision/recall/scores arrays are asserted bit-equal to "
        "pycocotools' inside the benchmarks wherever pycocotools ran; faster-coco-eval's and "
        "hotcoco's are recorded, not asserted.",
        "",
        coco_agreement_lines(coco),
        "",
    ])


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
    p.add_argument("--coco-only", action="store_true",
                   help="run (or format) only the COCO benchmarks (bench/test_bench_coco.py) "
                        "and print only their tables")
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    args = p.parse_args(argv)
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
