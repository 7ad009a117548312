"""detap.coco vs pycocotools, faster-coco-eval, hotcoco, vernier and
ultrafast-pycocotools on COCO evaluation (boxes, masks, keypoints), side by
side (one benchmark group per measure and preset).

    python -m pytest bench/test_bench_coco.py -q -p no:cacheprovider              # quick (CI)
    python -m pytest bench/test_bench_coco.py -q -p no:cacheprovider --bench-full # full
    python -m pytest bench/test_bench_coco.py -q -p no:cacheprovider --bench-full \
        --coco-presets segm,keypoints                                 # these presets only
    python bench/report.py --full                  # Markdown, VOC and COCO tables
    python bench/report.py --full --coco-only      # the COCO tables alone
    python bench/report.py --full --coco-only --presets segm,keypoints

Presets (``bench/coco_rivals.py``, seed ``PRESET_SEED``, written to JSON once
per session under ``tmp_path_factory``, or once for good under env
DETAP_BENCH_DATA; ``--coco-presets`` picks any of them).  Numbers: how the
results write their floats (``bench/number_formats.py``): short = 2-3 decimals,
f32 = float32 reprs (``198.5500030517578``); GT always has short numbers.

quick  small            bbox, 300 images, 20 categories (~2k GT, ~24k dets), short
       small-f32        small's detections as float32 reprs; fresh processes only
       segm-small       segm, 120 images, 20 categories (~0.9k GT, ~6k masks), f32
       keypoints-small  keypoints, 400 images (~1k persons, ~4.8k dets), f32
full   coco             bbox, 5,000 images, 80 categories (~37k GT, ~400k dets), short
       coco-f32         coco's detections as float32 reprs
       objects365       bbox, 80,000 images, 365 categories (~960k GT, ~1.2M dets), short
       segm             segm, 5,000 images, 80 categories (~37k GT, ~400k masks), f32
       keypoints        keypoints, 5,000 images (~11.5k persons, ~60k dets), f32
       big              bbox, 125,000 images, 365 categories (~1.5M GT, ~10.2M dets),
                        f32 (1.6 GB of results); fresh processes only, pycocotools
                        and faster-coco-eval not run (``PRESET_SKIP``)

Boxes come from ``detap.synth.make_coco`` (big: ``bench/coco_big.py``, the
same draws block by block), masks and keypoints from ``bench/masks_data.py``.

Variants (``bench/coco_rivals.py``): detap-t1 (threads=1), detap (threads=0,
all cores), pycocotools, faster-coco-eval (defaults), hotcoco (defaults: rayon
pool on all cores), hotcoco-t1 (RAYON_NUM_THREADS=1, fresh processes only),
vernier (its pycocotools shim, parity_mode="strict", sequential),
ultrafast-pycocotools (defaults: rayon, all cores) and
ultrafast-pycocotools-t1 (RAYON_NUM_THREADS=1, fresh processes only).  A
variant whose tool raises NotImplementedError for the preset's iouType (detap
on segm / keypoints until that support lands) is recorded as "not available"
in its fresh-process benchmark and its in-process benchmarks are skipped.

Groups:

coco-fresh-<preset>     each variant in a FRESH process (``bench/memory.py``):
                        peak RSS (VmHWM) and its increase over the
                        post-import baseline from the first round; stage
                        times of every round (load GT, loadRes, COCOeval(),
                        evaluate, accumulate, summarize).  The benchmark's
                        own time is the child's wall time (interpreter start,
                        imports and all its rounds): not a comparison number;
                        the numbers are in ``extra_info``.  These runs go
                        first and gate the others: a (tool, preset) whose
                        fresh run does not finish within the time limit (600 s
                        in full mode, 120 s in quick mode; env
                        DETAP_BENCH_COCO_TIMEOUT) or whose RSS passes half
                        the machine's RAM (env DETAP_BENCH_COCO_MEM_CAP_GIB)
                        is killed there and recorded as "skipped (too slow)"
                        / "skipped (too much memory)" with the stages it
                        finished; its in-process benchmarks are skipped.
                        A (preset, variant) of ``PRESET_SKIP`` is not even
                        launched: "not run (too large: ...)".
coco-evalacc-<preset>   ``COCOeval(gt, dt, iouType)`` + evaluate() + accumulate(),
                        GT and results loaded beforehand: a fresh pair of
                        objects per round (the ``setup`` of pedantic, not
                        timed), so no tool reuses what its previous round
                        built or cached.
coco-pipeline-<preset>  COCO(gt.json) + loadRes(results.json) + COCOeval +
                        evaluate + accumulate + summarize.
                        (No in-process groups for ``PRESET_FRESH_ONLY``
                        presets: big, small-f32.)

Exactness, inside the benchmarks: detap's ``stats``, ``eval["precision"]``,
``["recall"]`` and ``["scores"]`` must equal pycocotools' bit for bit
(pycocotools' arrays come from its fresh-process run), wherever pycocotools
ran; detap threads=1 must equal threads=0.  The rivals that claim
pycocotools-identical results (``EXACT_CLAIMS``: vernier in strict parity
mode, ultrafast-pycocotools) must have ``stats`` equal to pycocotools' bit
for bit in quick mode (CI), on every preset; in full mode their agreement is
recorded and a difference is reported next to the claim (an assertion there
would cost the whole report).  faster-coco-eval and hotcoco claim no such
thing: their agreement (bit-equal / equal to 1e-12 / differ) is printed and
recorded in ``extra_info``, never asserted.  Where pycocotools did not run or
finish (big; objects365 when it passes the memory cap), hotcoco's stats are
the reference: every tool's agreement with them is recorded (detap's is the
issue's "stats equal to hotcoco's" on big), not asserted.
"""
import gc
import os

import numpy as np
import pytest

from .coco_rivals import (EXACT_CLAIMS, IN_PROCESS, PRESET_FRESH_ONLY, PRESET_NAMES, VARIANTS,
                          Adapter, agreement, eval_arrays, skip_reason, usable_cores)
from .conftest import _full, coco_presets
from .memory import mib, run_fresh

# fresh-process runs first (they gate the in-process ones); the reference
# (pycocotools) first of all, since every other check needs its numbers
FRESH_ORDER = ["pycocotools", "detap", "detap-t1", "hotcoco", "hotcoco-t1", "faster-coco-eval",
               "vernier", "ultrafast-pycocotools", "ultrafast-pycocotools-t1"]
assert sorted(FRESH_ORDER) == sorted(VARIANTS)
SLOW = ("pycocotools", "faster-coco-eval")
# presets whose runs take minutes whatever the mode: full-mode time limits
LARGE = ("big",)
# where pycocotools does not finish, this tool's stats are the reference
FALLBACK_REFERENCE = "hotcoco"


def pytest_generate_tests(metafunc):
    if "coco_preset" in metafunc.fixturenames:
        mode = "full" if _full(metafunc.config) else "quick"
        # function scope (not session): session-scoped parameters make pytest
        # reorder the tests, and the fresh-process runs must go first
        metafunc.parametrize("coco_preset", coco_presets(metafunc.config) or PRESET_NAMES[mode])


# ------------------------------------------------------------------ policy

def timeout_s(mode, preset=None):
    """Time limit of one fresh-process run (the child is killed after it)."""
    env = os.environ.get("DETAP_BENCH_COCO_TIMEOUT")
    if env:
        return float(env)
    return 600.0 if mode == "full" or preset in LARGE else 120.0


def rounds(mode, preset, variant, kind):
    """(rounds, warmup_rounds) of a benchmark; ``kind``: evalacc, pipeline, fresh."""
    slow = VARIANTS[variant].tool in SLOW
    # full presets where pycocotools takes < 1 min
    medium = preset in ("coco", "coco-f32", "keypoints")
    if kind == "fresh":  # rounds of the child (its first round is the warmup of the medians)
        if preset in LARGE:  # ~20 s a round: a warm second round for the fast tools only
            return (1 if variant == "vernier" else 2), 0
        if preset == "small-f32":  # CI coverage of the float32 path, kept cheap
            return (1 if slow else 2), 0
        if mode == "quick":
            return (2 if slow else 3), 0
        if medium:
            return (1 if variant == "pycocotools" else 3 if slow else 6), 0
        return (1 if slow else 3), 0
    if mode == "quick":
        return (2, 0) if variant == "pycocotools" else (3, 1) if slow else (5, 1)
    if medium:
        return (1, 0) if variant == "pycocotools" else (3, 0) if slow else (10, 1)
    return (1, 0) if slow else (3, 1)


def mode_of(config):
    return "full" if _full(config) else "quick"


MODULES = {"detap": "detap.coco", "pycocotools": "pycocotools.cocoeval",
           "faster-coco-eval": "faster_coco_eval", "hotcoco": "hotcoco", "vernier": "vernier",
           "ultrafast-pycocotools": "ultrafast_pycocotools"}


def installed(variant):
    """Whether the variant's tool can be imported."""
    import importlib.util
    try:
        return importlib.util.find_spec(MODULES[VARIANTS[variant].tool]) is not None
    except ModuleNotFoundError:
        return False


def require(variant):
    """Skip when the variant's tool is not installed (``pip install -e .[bench]``)."""
    if not installed(variant):
        pytest.skip(f"{MODULES[VARIANTS[variant].tool]} is not installed (pip install -e .[bench])")


# ------------------------------------------------------------------ shared

def fresh(outputs, files, variant, mode, benchmark=None):
    """The fresh-process record of (preset, variant), run once per session.

    With ``benchmark`` (the coco-fresh tests) the child run is the timed
    target; otherwise it runs untimed (when an in-process test needs a
    record before its fresh test ran)."""
    key = ("coco-fresh", files.preset, variant)

    def run():
        why = skip_reason(files.preset, variant)
        if why:
            return not_run_record(variant, why)
        save = None
        if variant in ("pycocotools", "detap"):
            save = eval_path(files, variant)
        n, _ = rounds(mode, files.preset, variant, "fresh")
        return run_fresh(variant, files.gt_path, files.dt_path, rounds=n,
                         timeout=timeout_s(mode, files.preset), save_eval=save,
                         iou_type=files.iou_type)

    if benchmark is not None:
        done = getattr(outputs, "_store", {}).get(key)
        if done is None:
            rec = benchmark.pedantic(run, rounds=1, warmup_rounds=0)
            outputs.put(key, rec)
            return rec
        # already run untimed for another test: do not run it twice (the
        # benchmark's time is the child's wall time, as measured then)
        benchmark.pedantic(lambda: done, rounds=1, warmup_rounds=0)
        return done
    return outputs.get(key, run)


def not_run_record(variant, why):
    """The fresh-process record of a (preset, variant) of PRESET_SKIP."""
    v = VARIANTS[variant]
    return dict(status="not-run", variant=variant, tool=v.tool, threads=v.threads_text(),
                reason=why)


def eval_path(files, variant):
    """Where the fresh run of ``variant`` saves its stats and eval arrays."""
    return os.path.join(files.work_dir, f"{files.preset}_{variant}_eval.npz")


def reference(outputs, files, mode):
    """The numbers every tool is checked against on this preset:
    pycocotools' {'name', 'stats', 'precision', 'recall', 'scores'}; where
    pycocotools was not run or did not finish, hotcoco's {'name', 'stats'}
    (run untimed now if its own benchmark has not run yet); None if neither."""
    def load():
        rec = fresh(outputs, files, "pycocotools", mode)
        if rec["status"] == "ok":
            with np.load(eval_path(files, "pycocotools")) as z:
                out = {k: z[k] for k in z.files}
            assert np.array_equal(out["stats"], np.array(rec["stats"])), "npz and record disagree"
            return dict(out, name="pycocotools")
        why = "pycocotools " + ("not run" if rec["status"] == "not-run" else "did not finish")
        if not installed(FALLBACK_REFERENCE):
            return None
        rec = fresh(outputs, files, FALLBACK_REFERENCE, mode)
        if rec["status"] != "ok":
            return None
        return dict(name=FALLBACK_REFERENCE, stats=np.array(rec["stats"]), why=why)
    return outputs.get(("coco-ref", files.preset), load)


KILLED = ("timeout", "memory")


def unavailable_text(rec):
    return (f"not available: {rec['tool']} {rec.get('version', '')} raised "
            f"{rec['reason']} (in {rec['stopped_in']})")


def too_slow_text(rec):
    if rec["status"] in KILLED:
        done = ", ".join(f"{k} {v:.1f} s" for k, v in rec.get("partial", {}).items())
        seen = f"{rec.get('watched_peak_kib', 0) / 1048576:.1f} GiB"
        if rec["status"] == "timeout":
            why = (f"skipped (too slow): killed after {rec['wall_s']:.0f} s "
                   f"(limit {rec['timeout_s']:.0f} s) in a fresh process")
        else:
            why = (f"skipped (too much memory): killed at RSS > "
                   f"{rec['mem_cap_kib'] / 1048576:.1f} GiB after {rec['wall_s']:.0f} s in a "
                   "fresh process")
        return (f"{why}, during {rec['stopped_in']}" + (f"; finished: {done}" if done else "")
                + f"; peak RSS seen {seen}")
    if rec["status"] == "unavailable":
        return unavailable_text(rec)
    if rec["status"] == "not-run":
        return f"not run ({rec['reason']})"
    return f"fresh-process run failed: {rec.get('status')} {rec.get('stderr', '')[-500:]}"


def check_against_reference(variant, stats, arrays, ref, files, mode):
    """Assert (detap vs pycocotools) or record (the others; everyone vs the
    fallback reference) the agreement with the reference.  Returns
    extra_info entries."""
    info = {}
    tool = VARIANTS[variant].tool
    if variant == "pycocotools":
        if ref is not None and ref["name"] == "pycocotools":
            assert np.array_equal(stats, ref["stats"]), "pycocotools differs from its own fresh run"
        info["stats_agreement"] = "reference"
        return info
    if ref is None:
        info["stats_agreement"] = ("neither pycocotools nor hotcoco finished (see their rows): "
                                   "not checked")
        print(f"[{files.preset}] {variant}: {info['stats_agreement']}")
        return info
    if ref["name"] != "pycocotools":
        return check_against_fallback(variant, stats, ref, files)
    claim = EXACT_CLAIMS.get(tool)
    if tool == "detap":
        assert np.array_equal(stats, ref["stats"]), (
            f"detap stats differ from pycocotools': {agreement(stats, ref['stats'])}\n"
            f"detap {stats.tolist()}\npycocotools {ref['stats'].tolist()}")
        for k, a in arrays.items():
            assert np.array_equal(a, ref[k], equal_nan=True), f"detap eval[{k!r}] differs from pycocotools'"
        info["stats_agreement"] = "bit-equal (asserted)"
        info["eval_agreement"] = "precision/recall/scores bit-equal (asserted)"
    else:
        got = agreement(stats, ref["stats"])
        if claim and mode == "quick":
            assert got == "bit-equal", (
                f"{variant} claims {claim}, but its stats {got} from pycocotools' on "
                f"{files.preset}\n{variant} {stats.tolist()}\npycocotools {ref['stats'].tolist()}")
            got += " (asserted)"
        elif claim and got != "bit-equal":
            got += f"; DIFFERS although {variant} claims: {claim}"
        info["stats_agreement"] = got
        info["exact_claim"] = claim
        if arrays:
            info["eval_agreement"] = "; ".join(f"{k}: {agreement(a, ref[k])}"
                                               for k, a in arrays.items() if k in ref)
    print(f"[{files.preset}] {variant} vs pycocotools: stats {info['stats_agreement']}; "
          f"{info.get('eval_agreement', '')}")
    print(f"    {variant}: {stats.tolist()}")
    print(f"    pycocotools: {ref['stats'].tolist()}")
    return info


def check_against_fallback(variant, stats, ref, files):
    """Record ``variant``'s agreement with the fallback reference (hotcoco's
    stats, where pycocotools did not run): never asserted, since hotcoco
    claims no exactness; a detap difference is flagged."""
    name = ref["name"]
    if variant == name:
        text = f"reference ({ref['why']})"
    else:
        text = f"vs {name} ({ref['why']}): {agreement(stats, ref['stats'])}"
        if VARIANTS[variant].tool == "detap" and not text.endswith("bit-equal"):
            text += "; DIFFERS (goal: detap's stats equal to hotcoco's)"
    print(f"[{files.preset}] {variant}: stats {text}")
    return {"stats_agreement": text, "reference": name}


def base_info(files, variant, mode, kind):
    v = VARIANTS[variant]
    try:
        load = list(os.getloadavg())
    except (AttributeError, OSError):
        load = None
    return dict(files.info(), coco_measure=kind, variant=variant, tool=v.tool,
                threads=v.threads_text(), cores=usable_cores(), mode=mode,
                size=files.size_text(), loadavg=load)


# ------------------------------------------- fresh process: memory + stages

@pytest.mark.parametrize("fresh_variant", FRESH_ORDER)
def test_coco_fresh(benchmark, request, coco_preset, coco_files, fresh_variant, outputs, coco_pairs):
    variant = fresh_variant
    require(variant)
    mode = mode_of(request.config)
    benchmark.group = f"coco-fresh-{coco_preset}"
    rec = fresh(outputs, coco_files, variant, mode, benchmark=benchmark)
    info = base_info(coco_files, variant, mode, "fresh")
    info["fresh_status"] = rec["status"]
    if rec["status"] == "not-run":
        info["skipped"] = too_slow_text(rec)
        info["not_run"] = rec["reason"]
        coco_pairs.record(benchmark, variant, **info)
        print(f"[{coco_preset}] {variant}: {info['skipped']}")
        return
    if rec["status"] in KILLED:
        info["skipped"] = too_slow_text(rec)
        info["partial"] = rec.get("partial", {})
        info["stopped_in"] = rec["stopped_in"]
        info["wall_s"] = rec["wall_s"]
        info["watched_peak_mib"] = mib(rec.get("watched_peak_kib"))
        coco_pairs.record(benchmark, variant, **info)
        print(f"[{coco_preset}] {variant}: {info['skipped']}")
        # a rival that cannot finish is a result; detap must
        assert VARIANTS[variant].tool != "detap", f"{variant} did not finish in {rec['wall_s']:.0f} s"
        return
    if rec["status"] == "unavailable":
        info["skipped"] = unavailable_text(rec)
        info["unavailable"] = rec["reason"]
        coco_pairs.record(benchmark, variant, **info)
        print(f"[{coco_preset}] {variant}: {info['skipped']}")
        return
    assert rec["status"] == "ok", too_slow_text(rec)
    stats = np.array(rec["stats"])
    arrays = {}
    if variant in ("detap", "pycocotools"):
        with np.load(eval_path(coco_files, variant)) as z:
            arrays = {k: z[k] for k in z.files if k != "stats"}
    ref = reference(outputs, coco_files, mode)
    info.update(check_against_reference(variant, stats, arrays, ref, coco_files, mode))
    if variant == "detap-t1":
        det = fresh(outputs, coco_files, "detap", mode)
        if det["status"] == "ok":
            assert rec["stats"] == det["stats"], "threads=1 and threads=0 differ"
    m = rec["median"]
    info.update(
        stats=rec["stats"], version=rec["version"], child_rounds=len(rec["rounds"]),
        import_s=rec["import_s"], wall_s=rec["wall_s"],
        peak_mib=mib(rec["peak_kib"]), baseline_mib=mib(rec["baseline_kib"]),
        increase_mib=mib(rec["increase_kib"]), ru_maxrss_mib=mib(rec["ru_maxrss_kib"]),
        threads_seen=rec["threads_seen"], threads_after_import=rec["threads_after_import"],
        median={k: v for k, v in m.items()}, first={k: v for k, v in rec["first"].items()},
        eval_acc_cpu_per_wall=(m["eval_acc_cpu"] / m["eval_acc"]) if m["eval_acc"] else None,
        child_env=rec["env"], loadavg_start=rec.get("loadavg_start"),
        loadavg_end=rec.get("loadavg_end"),
    )
    coco_pairs.record(benchmark, variant, **info)
    print(f"[{coco_preset}] {variant} (fresh process, {len(rec['rounds'])} rounds): "
          f"eval+acc {m['eval_acc']:.3f} s, pipeline {m['pipeline']:.3f} s "
          f"(load GT {m['load_gt']:.3f}, loadRes {m['load_res']:.3f}, evaluate {m['evaluate']:.3f}, "
          f"accumulate {m['accumulate']:.3f}), peak {info['peak_mib']:.0f} MiB "
          f"(+{info['increase_mib']:.0f} MiB over {info['baseline_mib']:.0f} MiB after imports), "
          f"threads seen {rec['threads_seen']}")


# --------------------------------------------------- in process: timings

def _gate(outputs, files, variant, mode):
    if files.preset in PRESET_FRESH_ONLY:
        pytest.skip(f"{files.preset}: {PRESET_FRESH_ONLY[files.preset]}")
    rec = fresh(outputs, files, variant, mode)
    if rec["status"] in KILLED + ("unavailable", "not-run"):
        pytest.skip(too_slow_text(rec))
    assert rec["status"] == "ok", too_slow_text(rec)
    return rec


def _finish(benchmark, variant, ev, ad, files, mode, kind, outputs, coco_pairs, summarize):
    stats = ad.summarize(ev) if summarize else np.array(ev.stats, dtype=np.float64)
    arrays = eval_arrays(ev)
    ref = reference(outputs, files, mode)
    info = base_info(files, variant, mode, kind)
    info["version"] = ad.version
    info.update(check_against_reference(variant, stats, arrays, ref, files, mode))
    if VARIANTS[variant].tool == "detap":
        key = ("coco-detap-stats", files.preset)
        first = outputs.get(key, lambda: stats)
        assert np.array_equal(stats, first), "detap threads=1 and threads=0 differ"
    info["stats"] = stats.tolist()
    coco_pairs.record(benchmark, variant, **info)


@pytest.mark.parametrize("variant", IN_PROCESS)
def test_coco_evalacc(benchmark, request, coco_preset, coco_files, variant, outputs, coco_pairs):
    require(variant)
    mode = mode_of(request.config)
    benchmark.group = f"coco-evalacc-{coco_preset}"
    _gate(outputs, coco_files, variant, mode)
    ad = Adapter(variant, coco_files.iou_type)
    n, warm = rounds(mode, coco_preset, variant, "evalacc")

    def setup():  # fresh objects every round, not timed
        gc.collect()
        gt = ad.load_gt(coco_files.gt_path)
        return (gt, ad.load_res(gt, coco_files.dt_path)), {}

    ev = benchmark.pedantic(ad.eval_acc, setup=setup, rounds=n, warmup_rounds=warm)
    _finish(benchmark, variant, ev, ad, coco_files, mode, "evalacc", outputs, coco_pairs,
            summarize=True)


@pytest.mark.parametrize("pipeline_variant", IN_PROCESS)
def test_coco_pipeline(benchmark, request, coco_preset, coco_files, pipeline_variant, outputs,
                       coco_pairs):
    variant = pipeline_variant
    require(variant)
    mode = mode_of(request.config)
    benchmark.group = f"coco-pipeline-{coco_preset}"
    _gate(outputs, coco_files, variant, mode)
    ad = Adapter(variant, coco_files.iou_type)
    n, warm = rounds(mode, coco_preset, variant, "pipeline")
    ev = benchmark.pedantic(ad.pipeline, args=(coco_files.gt_path, coco_files.dt_path),
                            setup=None, rounds=n, warmup_rounds=warm)
    _finish(benchmark, variant, ev, ad, coco_files, mode, "pipeline", outputs, coco_pairs,
            summarize=False)
