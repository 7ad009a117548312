"""detap.lvis vs lvis-api, hotcoco, vernier and ultrafast-pycocotools on
LVIS federated box evaluation, each tool in a fresh process.

    python bench/lvis_rivals.py --preset lvis-small              # quick
    python bench/lvis_rivals.py --preset lvis-val --lvis-api-every 20
    DETAP_BENCH_DATA=~/detap-bench-data python bench/lvis_rivals.py --preset lvis-val

Data: ``bench/lvis_data.py`` (written once under DETAP_BENCH_DATA, or a
temporary folder).  Each run: a new Python process imports the tool, then
times load GT -> load results (the 300-per-image cap) -> evaluate +
accumulate + summarize, and reports its peak RSS (``VmHWM``: the process's
own peak, not the parent's) and the 13 results.  Agreement: the 13 numbers
compared with lvis-api's by == ("exact") on the same files; where lvis-api
ran on a fraction (``--lvis-api-every N``: every N-th image), every tool is
compared with lvis-api on that fraction and timed on both.  ``--rounds N``
runs every tool N times, interleaved, and keeps each tool's fastest run
(the machine's speed varies from minute to minute).

Tools (``TOOLS``): detap (``detap.lvis``, all cores), lvis-api 0.5.3
(``np.float = float`` first), hotcoco (``LVIS``, ``LVISResults``,
``LVISEval``), vernier (``CocoDataset.from_lvis_json``,
``evaluate_bbox_grid(parity_mode="strict", max_dets_per_image=300)``,
``summarize_lvis``), ultrafast-pycocotools (``COCOeval(lvis_style=True)``).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOOLS = ("detap", "lvis-api", "hotcoco", "vernier", "ultrafast-pycocotools")
KEYS = ("AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR@300", "ARs@300",
        "ARm@300", "ARl@300")


def _tool(name):
    """(load_gt(path), load_res(gt, path), evaluate(gt, dt) -> 13 numbers,
    version) of one tool; imports only that tool."""
    if name == "detap":
        import detap
        from detap.lvis import LVIS, LVISEval, LVISResults

        def run(gt, dt):
            ev = LVISEval(gt, dt, "bbox")
            ev.run()
            return [ev.results[k] for k in KEYS]
        return LVIS, LVISResults, run, detap.__version__
    if name == "lvis-api":
        import numpy as np
        np.float = float  # lvis-api 0.5.3 still uses it
        import lvis
        from importlib.metadata import version

        def run(gt, dt):
            ev = lvis.LVISEval(gt, dt, "bbox")
            ev.run()
            return [ev.results[k] for k in KEYS]
        return lvis.LVIS, lvis.LVISResults, run, version("lvis")
    if name == "hotcoco":
        import hotcoco

        def run(gt, dt):
            ev = hotcoco.LVISEval(gt, dt, "bbox")
            ev.run()
            res = ev.get_results()
            return [res[k] for k in KEYS]
        return hotcoco.LVIS, hotcoco.LVISResults, run, hotcoco.__version__
    if name == "vernier":
        import vernier
        import vernier.instance as vi

        def load_gt(path):
            with open(path, "rb") as f:
                return vi.CocoDataset.from_lvis_json(f.read())

        def load_res(gt, path):
            with open(path, "rb") as f:
                return f.read()

        def run(gt, dt):
            grid = vi.evaluate_bbox_grid(gt, dt, parity_mode="strict", max_dets_per_image=300,
                                         use_cats=True)
            return list(grid.accumulate([300]).summarize_lvis(gt).stats)
        return load_gt, load_res, run, vernier.__version__
    if name == "ultrafast-pycocotools":
        import ultrafast_pycocotools as u
        from importlib.metadata import version

        def run(gt, dt):
            ev = u.COCOeval(gt, dt, "bbox", lvis_style=True)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            return list(ev.stats)
        return u.COCO, lambda gt, path: gt.loadRes(path), run, version("ultrafast-pycocotools")
    raise ValueError(f"unknown tool {name!r}")


def _vm_hwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def child(name, gt_path, dt_path, out):
    """One fresh-process run: writes {stages, peak, results} to ``out``."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)   # the tools print their summaries
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    t = time.perf_counter()
    load_gt, load_res, run, version = _tool(name)
    rec = {"tool": name, "version": version, "import_s": time.perf_counter() - t,
           "baseline_kib": _vm_hwm_kib()}
    t0 = time.perf_counter()
    gt = load_gt(gt_path)
    t1 = time.perf_counter()
    dt = load_res(gt, dt_path)
    t2 = time.perf_counter()
    results = run(gt, dt)
    t3 = time.perf_counter()
    rec.update(load_gt=t1 - t0, load_res=t2 - t1, evaluate=t3 - t2, pipeline=t3 - t0,
               peak_kib=_vm_hwm_kib(), results=[float(x) for x in results])
    with open(out, "w") as f:
        json.dump(rec, f)


def run_fresh(name, gt_path, dt_path, timeout=1800.0):
    """``child`` in a new process: its record, or {"status": ...} when it
    failed or passed ``timeout`` seconds (killed)."""
    with tempfile.TemporaryDirectory(prefix="detap-lvis-") as tmp:
        out = os.path.join(tmp, "out.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name, gt_path, dt_path, out]
        t = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=timeout, text=True)
        except subprocess.TimeoutExpired:
            return {"tool": name, "status": f"killed after {timeout:.0f} s"}
        if proc.returncode != 0 or not os.path.exists(out):
            return {"tool": name, "status": "error", "stderr": proc.stderr[-2000:]}
        with open(out) as f:
            rec = json.load(f)
    rec.update(status="ok", wall_s=time.perf_counter() - t)
    return rec


def agreement(results, ref):
    """"exact" when all 13 numbers equal lvis-api's by ==, else the
    largest absolute difference."""
    if ref is None:
        return "n/a"
    diff = max(abs(a - b) for a, b in zip(results, ref))
    return "exact" if list(results) == list(ref) else f"max |diff| {diff:.2e}"


def table(runs, ref, title):
    """A Markdown table of fresh-process runs."""
    lines = [f"### {title}", "",
             "| tool | version | load GT s | load results s | evaluate s | pipeline s | "
             "pipeline s, every round | peak RSS MiB | vs lvis-api |",
             "|---|---|---:|---:|---:|---:|---|---:|---|"]
    for r in runs:
        if r["status"] != "ok":
            lines.append(f"| {r['tool']} | | | | | | | | {r['status']} |")
            continue
        every = ", ".join(f"{x:.2f}" for x in r.get("pipelines", [r["pipeline"]]))
        lines.append(f"| {r['tool']} | {r['version']} | {r['load_gt']:.2f} | {r['load_res']:.2f} "
                     f"| {r['evaluate']:.2f} | {r['pipeline']:.2f} | {every} | "
                     f"{r['peak_kib'] / 1024:.0f} | {agreement(r['results'], ref)} |")
    return "\n".join(lines)


def compare(gt_path, dt_path, tools, timeout, rounds=1):
    """Every tool on one pair of files, ``rounds`` fresh runs each, tools
    interleaved round by round (so that a slow spell of the machine falls
    on all of them): (each tool's fastest run, with the pipeline time of
    every round in ``pipelines``; lvis-api's results or None)."""
    best = {}
    for _ in range(rounds):
        for t in tools:
            r = run_fresh(t, gt_path, dt_path, timeout)
            prev = best.get(t)
            times = (prev or {}).get("pipelines", []) + ([r["pipeline"]] if r["status"] == "ok"
                                                         else [])
            if prev is None or (r["status"] == "ok" and (prev["status"] != "ok" or
                                                         r["pipeline"] < prev["pipeline"])):
                best[t] = r
            best[t]["pipelines"] = times
    runs = [best[t] for t in tools]
    ref = next((r["results"] for r in runs if r["tool"] == "lvis-api" and r["status"] == "ok"),
               None)
    return runs, ref


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", nargs=4, metavar=("TOOL", "GT", "DT", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--preset", default="lvis-small")
    ap.add_argument("--tool", action="append", choices=TOOLS)
    ap.add_argument("--lvis-api-every", type=int, default=1,
                    help="run lvis-api on every N-th image only (and every tool there too)")
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--rounds", type=int, default=1,
                    help="fresh runs per tool (interleaved); the table shows the fastest")
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from bench.lvis_data import write_preset
    root = os.environ.get("DETAP_BENCH_DATA") or tempfile.mkdtemp(prefix="detap-lvis-data-")
    tools = args.tool or list(TOOLS)
    gt, dt, counts = write_preset(args.preset, root)
    print(f"preset {args.preset}: {counts}\n")
    whole = [t for t in tools if t != "lvis-api" or args.lvis_api_every == 1]
    runs, ref = compare(gt, dt, whole, args.timeout, args.rounds)
    print(table(runs, ref, f"{args.preset}, whole data set") + "\n")
    if args.lvis_api_every > 1:
        gt, dt, counts = write_preset(args.preset, root, every=args.lvis_api_every)
        runs, ref = compare(gt, dt, tools, args.timeout, args.rounds)
        print(table(runs, ref, f"{args.preset}, every {args.lvis_api_every}th image "
                               f"({counts['images']} images, {counts['detections']} detections)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
