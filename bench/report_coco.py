"""The COCO part of ``bench/report.py``: tables and goals of
``bench/test_bench_coco.py`` (detap.coco vs pycocotools, faster-coco-eval,
hotcoco, vernier and ultrafast-pycocotools on boxes, masks and keypoints),
from pytest-benchmark's JSON.
"""
from bench.number_formats import NUMBER_FORMATS
from bench.stages import fmt_time


def median(b):
    return b["stats"]["median"] if b else None


# bench/test_bench_coco.py's benchmarks carry ``coco_measure`` (fresh /
# evalacc / pipeline), ``role`` (the variant), ``preset`` and ``iou_type`` in
# extra_info.

COCO_ORDER = ["detap-t1", "detap", "ultrafast-pycocotools-t1", "ultrafast-pycocotools",
              "hotcoco-t1", "hotcoco", "vernier", "faster-coco-eval", "pycocotools"]
COCO_PRESET_ORDER = ["small", "small-f32", "segm-small", "keypoints-small", "coco", "coco-f32",
                     "objects365", "segm", "keypoints", "big"]
COCO_GOAL_SPEEDUP_ALL = 2.0      # boxes: detap (all cores) vs hotcoco (all cores)
COCO_GOAL_SPEEDUP_ONE = 1.5      # boxes: detap threads=1 vs hotcoco RAYON_NUM_THREADS=1
MASK_GOAL_SPEEDUP = 2.0          # segm / keypoints: detap (all cores) vs the fastest rival
RIVAL_GOAL_SPEEDUP = 2.0         # boxes, whole pipeline: detap vs the fastest rival (issue 12)
BIG_GOAL_PIPELINE_S = 7.0        # big (10M detections from JSON): whole pipeline, fresh process
BIG_GOAL_PEAK_MIB = 1.5 * 1024   # ... and its peak RSS


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


def preset_label(preset, entry):
    """'coco-f32 (float32 reprs)': the preset and how its results write numbers."""
    numbers = entry["info"].get("numbers")
    return f"{preset} ({NUMBER_FORMATS[numbers]})" if numbers in NUMBER_FORMATS else preset


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
    lines = ["| preset (results' numbers) | tool | threads | eval+acc median | whole pipeline median "
             "| peak RSS (+ over imports) | speed-up vs hotcoco, eval+acc / pipeline | stats vs "
             "pycocotools (hotcoco where pycocotools did not run) |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for name, entry in coco.items():
        preset = preset_label(name, entry)
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
    lines = ["| preset (results' numbers) | tool | threads | rounds | load GT | loadRes | "
             "COCOeval() | evaluate | accumulate | summarize | eval+acc | pipeline | CPU/wall of "
             "eval+acc | threads seen | imports | baseline RSS | peak RSS | increase |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, entry in coco.items():
        preset = preset_label(name, entry)
        for v in COCO_ORDER:
            fi = _fresh(entry, v)
            if fi is None:
                continue
            if fi.get("skipped"):
                how = ("not available" if fi.get("unavailable") else
                       "not run" if fi.get("not_run") else "killed")
                lines.append(f"| {preset} | {v} | {fi.get('threads', '')} | {how} | "
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
    for name, entry in coco.items():
        preset = preset_label(name, entry)
        for v in COCO_ORDER:
            b = entry.get("evalacc", {}).get(v) or entry.get("pipeline", {}).get(v)
            ei = (b or {}).get("extra_info") or _fresh(entry, v)
            if ei and (ei.get("unavailable") or ei.get("not_run")):
                out.append(f"- {preset}, {v}: {ei['skipped']}")
                continue
            if not ei or not ei.get("stats_agreement") or v == "pycocotools":
                continue
            txt = ei["stats_agreement"]
            if ei.get("eval_agreement"):
                txt += f"; eval arrays: {ei['eval_agreement']}"
            out.append(f"- {preset}, {v}: stats {txt}")
    return "\n".join(out)


def _verdict(ok):
    return "met" if ok else "**NOT MET**"


def _iou_type(entry):
    return entry["info"].get("iou_type", "bbox")


def coco_goals(coco, mode):
    lines = []
    if mode != "full":
        lines.append("_Quick mode: the goals are stated for the full presets (coco, coco-f32, "
                     "objects365, segm, keypoints, big); these checks are indicative only._\n")
    for name, entry in coco.items():
        preset = preset_label(name, entry)
        if _iou_type(entry) == "bbox":
            lines += box_goals(preset, entry) + fastest_rival_lines(
                preset, entry, (("whole pipeline", 1),), RIVAL_GOAL_SPEEDUP)
        else:
            lines += mask_goals(preset, entry)
        if name == "big":
            lines += big_goals(preset, entry)
    return "\n".join(lines)


def box_goals(preset, entry):
    """Boxes: detap vs hotcoco, all cores and one thread, time and peak RSS."""
    lines = []
    d_e, d_p, how = _coco_times(entry, "detap")
    h_e, h_p, h_how = _coco_times(entry, "hotcoco")
    # fresh-only presets (big, small-f32) have fresh-process medians only
    how = how if how == h_how else f"{how} / {h_how}"
    how = how.replace("fresh", "fresh-process")
    for what, a, b in (("eval+acc", d_e, h_e), ("whole pipeline", d_p, h_p)):
        if a and b:
            lines.append(f"- {preset}, all cores, {what}: detap >= {COCO_GOAL_SPEEDUP_ALL:g}x "
                         f"faster than hotcoco: {b / a:.2f}x ({fmt_time(a)} vs {fmt_time(b)}, "
                         f"{how} medians) - {_verdict(b / a >= COCO_GOAL_SPEEDUP_ALL)}")
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
                         f"- {_verdict(b / a >= COCO_GOAL_SPEEDUP_ONE)}")
        else:
            lines.append(f"- {preset}, 1 thread, {what}: not measured")
    for dv, hv in (("detap", "hotcoco"), ("detap-t1", "hotcoco-t1")):
        a, b = _fresh(entry, dv), _fresh(entry, hv)
        if a and b and a.get("peak_mib") and b.get("peak_mib"):
            lines.append(f"- {preset}, peak RSS, {dv} <= {hv}: {_mib(a['peak_mib'])} vs "
                         f"{_mib(b['peak_mib'])} ({a['peak_mib'] / b['peak_mib']:.2f}x) - "
                         f"{_verdict(a['peak_mib'] <= b['peak_mib'])}")
    return lines


def _rivals(entry):
    return [v for v in COCO_ORDER if not v.startswith("detap")]


def mask_goals(preset, entry):
    """Masks and keypoints: detap (all cores) >= MASK_GOAL_SPEEDUP x the
    fastest rival (any variant, any thread count) in eval+acc and in the
    whole pipeline; detap's peak RSS below every rival's."""
    iou = _iou_type(entry)
    det = _fresh(entry, "detap")
    if det is None or det.get("skipped"):
        why = det["skipped"] if det else "not run"
        return [f"- {preset} ({iou}), all goals (detap >= {MASK_GOAL_SPEEDUP:g}x the fastest "
                f"rival in eval+acc and whole pipeline, peak RSS below every rival): not "
                f"measured - detap {why}"]
    lines = fastest_rival_lines(f"{preset} ({iou})", entry,
                                (("eval+acc", 0), ("whole pipeline", 1)), MASK_GOAL_SPEEDUP)
    peaks = [((_fresh(entry, v) or {}).get("peak_mib"), v) for v in _rivals(entry)]
    peaks = [(m, v) for m, v in peaks if m]
    if det.get("peak_mib") and peaks:
        m, v = min(peaks)
        lines.append(f"- {preset} ({iou}), peak RSS: detap below every rival (lowest: {v}): "
                     f"{_mib(det['peak_mib'])} vs {_mib(m)} ({det['peak_mib'] / m:.2f}x) - "
                     f"{_verdict(det['peak_mib'] < m)}")
    else:
        lines.append(f"- {preset} ({iou}), peak RSS: not measured")
    return lines


def fastest_rival_lines(label, entry, measures, need):
    """detap (all cores) >= ``need`` x the fastest rival (any variant, any
    thread count), for each (name, index into _coco_times) of ``measures``."""
    lines = []
    for what, k in measures:
        a = _coco_times(entry, "detap")[k]
        times = [(_coco_times(entry, v)[k], v) for v in _rivals(entry)]
        times = [(t, v) for t, v in times if t]
        if not (a and times):
            lines.append(f"- {label}, {what}: not measured")
            continue
        t, v = min(times)
        lines.append(f"- {label}, {what}: detap (all cores) >= {need:g}x faster than the "
                     f"fastest rival ({v}): {t / a:.2f}x ({fmt_time(a)} vs {fmt_time(t)}) - "
                     f"{_verdict(t / a >= need)}")
    return lines


def big_goals(preset, entry):
    """10M detections from JSON: detap's whole pipeline and peak RSS in a
    fresh process, and its stats equal to hotcoco's."""
    det = _fresh(entry, "detap")
    if det is None or det.get("skipped"):
        return [f"- {preset}: not measured - detap {det['skipped'] if det else 'not run'}"]
    pl = det.get("median", {}).get("pipeline")
    peak = det.get("peak_mib")
    agree = det.get("stats_agreement", "")
    return [
        f"- {preset}, whole pipeline < {BIG_GOAL_PIPELINE_S:g} s (detap, all cores, fresh "
        f"process): {fmt_time(pl)} - {_verdict(pl is not None and pl < BIG_GOAL_PIPELINE_S)}",
        f"- {preset}, peak RSS < {_mib(BIG_GOAL_PEAK_MIB)}: {_mib(peak)} - "
        f"{_verdict(peak is not None and peak < BIG_GOAL_PEAK_MIB)}",
        f"- {preset}, stats equal to hotcoco's: {agree or 'not checked'} - "
        f"{_verdict('hotcoco' in agree and agree.endswith('bit-equal'))}",
    ]


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
    sizes = [f"- **{preset_label(p, e)}**: {e['info'].get('size', '')}" for p, e in coco.items()]
    return "\n".join([
        "## COCO evaluation: detap.coco vs pycocotools, faster-coco-eval, hotcoco, vernier, "
        "ultrafast-pycocotools",
        "",
        f"Mode: **{mode}**.  `bench/test_bench_coco.py`; data (seeded) from "
        "`detap.synth.make_coco` (boxes; big: `bench/coco_big.py`, the same draws block by "
        "block) and `bench/masks_data.py` (masks, keypoints), written to JSON once per "
        "session.  Results' numbers (`bench/number_formats.py`): short decimals (boxes 2, scores 3 "
        "decimals) or float32 reprs (every float the float64 value of a float32, as "
        "`json.dump` of a detector's `.tolist()` writes it: `198.5500030517578`); "
        "`coco-f32` is `coco`'s detections rounded to float32.  GT always has short numbers.",
        "",
        *sizes,
        "",
        "Each tool through its own `COCO` / `loadRes` / `COCOeval` (vernier: pycocotools' "
        "`COCO` and `loadRes`, then `vernier.COCOeval(..., parity_mode=\"strict\")`, its "
        "documented drop-in), iouType bbox, segm or keypoints as the preset.  "
        "eval+acc = `COCOeval(gt, dt, iouType)` + `evaluate()` + `accumulate()` on GT and "
        "results loaded beforehand (fresh objects every round, loading not timed); whole "
        "pipeline = `COCO(gt.json)` + `loadRes(results.json)` + eval+acc + `summarize()`.  "
        "Medians of pytest-benchmark rounds in the pytest process; † = measured only in fresh "
        "processes (hotcoco's and ultrafast-pycocotools' rayon pools are global and sized "
        "once per process, so "
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
        "pycocotools' inside the benchmarks wherever pycocotools ran.  vernier (strict parity "
        "mode) and ultrafast-pycocotools claim pycocotools-identical results: their stats are "
        "asserted bit-equal in quick mode (CI) and recorded in full mode, where a difference "
        "is flagged next to the claim.  faster-coco-eval and hotcoco claim no such thing: "
        "recorded, not asserted.  \"not available\": the tool raised NotImplementedError "
        "for that iouType.  \"not run\": not launched, too large for the tool "
        "(`PRESET_SKIP`).  Where pycocotools did not run or finish, hotcoco's stats are the "
        "reference: every tool's agreement with them is recorded, not asserted.",
        "",
        coco_agreement_lines(coco),
        "",
    ])
