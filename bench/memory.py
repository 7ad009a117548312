"""Fresh-process runs of the COCO pipeline: peak memory and stage times.

``run_fresh(variant, gt_path, dt_path, rounds, timeout)`` starts a new
Python process (this file, ``--child``) that imports only the tool under
test, then runs ``rounds`` times

    load GT -> loadRes -> COCOeval(...) -> evaluate -> accumulate -> summarize

timing every stage with ``time.perf_counter`` (and the CPU time of
evaluate + accumulate, all threads, with ``time.process_time``).

Memory is read from ``/proc/self/status`` in the child:

baseline   ``VmHWM`` after the imports (interpreter + numpy + the tool);
peak       ``VmHWM`` after the first round (later rounds only add timings);
increase   peak - baseline: what the pipeline itself needed at its peak.

``VmHWM`` is the peak resident set of the process's current memory image.
``getrusage(RUSAGE_SELF).ru_maxrss`` is recorded too, but it is *not* used:
Linux carries the parent's peak RSS across fork + exec into the child's
``ru_maxrss`` (measured: a child of a 300 MiB parent reports 313 MiB after
exec, ``VmHWM`` 13 MiB), so a child started from a big pytest process would
report the parent's memory.  The same happens with ``multiprocessing``'s
'spawn' start method (also fork + exec).

The child writes one line per finished stage to a progress file, so a run
stopped at ``timeout`` seconds (SIGKILL to that one child) still tells how
far it got and how long each finished stage took.

Command line (from the repository root)::

    python bench/memory.py --preset small                     # all variants
    python bench/memory.py --preset coco --variant detap --variant hotcoco --rounds 3
    python bench/memory.py --preset segm-small --variant pycocotools --variant vernier
    DETAP_BENCH_DATA=~/detap-bench-data python bench/memory.py --preset coco-f32 \
        --variant detap --variant hotcoco       # presets kept on disk (big: generated once)
"""
import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

STAGES = ("load_gt", "load_res", "make_eval", "evaluate", "accumulate", "summarize")


def _status_kib(*keys):
    """{key: KiB} from /proc/self/status (None off Linux)."""
    out = dict.fromkeys(keys)
    try:
        with open("/proc/self/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in out:
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def _ru_maxrss_kib():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _loadavg():
    try:
        return list(os.getloadavg())
    except (AttributeError, OSError):
        return None


def _threads_now():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


# ------------------------------------------------------------------- child

def _rounds(args, ad, mark):
    """The child's rounds: ([{stage: seconds}], record of the first round)."""
    from bench.coco_rivals import eval_arrays
    rounds = []
    record = {}
    for r in range(args.rounds):
        times = {}
        t_round = time.perf_counter()
        t = time.perf_counter()
        gt = ad.load_gt(args.gt)
        times["load_gt"] = time.perf_counter() - t
        mark(f"r{r}:load_gt", times["load_gt"])
        t = time.perf_counter()
        dt = ad.load_res(gt, args.dt)
        times["load_res"] = time.perf_counter() - t
        mark(f"r{r}:load_res", times["load_res"])
        c = time.process_time()
        t = time.perf_counter()
        ev = ad.make_eval(gt, dt)
        times["make_eval"] = time.perf_counter() - t
        mark(f"r{r}:make_eval", times["make_eval"])
        t = time.perf_counter()
        ad.evaluate(ev)
        times["evaluate"] = time.perf_counter() - t
        mark(f"r{r}:evaluate", times["evaluate"])
        t = time.perf_counter()
        ad.accumulate(ev)
        times["accumulate"] = time.perf_counter() - t
        times["eval_acc_cpu"] = time.process_time() - c
        mark(f"r{r}:accumulate", times["accumulate"])
        t = time.perf_counter()
        stats = ad.summarize(ev)
        times["summarize"] = time.perf_counter() - t
        times["pipeline"] = time.perf_counter() - t_round
        times["eval_acc"] = times["make_eval"] + times["evaluate"] + times["accumulate"]
        mark(f"r{r}:summarize", times["summarize"])
        if r == 0:
            peak = _status_kib("VmHWM", "VmRSS")
            record.update(
                stats=[float(x) for x in stats],
                peak_kib=peak["VmHWM"], rss_after_kib=peak["VmRSS"],
                ru_maxrss_kib=_ru_maxrss_kib(),
                threads_seen=_threads_now(),
            )
            if args.save_eval:
                import numpy as np
                np.savez(args.save_eval, stats=stats, **eval_arrays(ev))
        rounds.append(times)
        del ev, dt, gt
        gc.collect()

    return rounds, record


def child_main(args):
    t_start = time.perf_counter()
    load_start = _loadavg()
    progress = open(args.progress, "a", buffering=1)

    def mark(what, seconds):
        progress.write(f"{what} {seconds!r} {time.perf_counter() - t_start!r}\n")
        progress.flush()

    # the tools print their summaries; keep the pipe quiet (fd level, as
    # hotcoco writes from Rust)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    t = time.perf_counter()
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from bench.coco_rivals import Adapter
    ad = Adapter(args.variant, args.iou_type or "bbox")
    import_s = time.perf_counter() - t
    mark("imports", import_s)
    base = _status_kib("VmHWM", "VmRSS")
    base_ru = _ru_maxrss_kib()
    threads_after_import = _threads_now()

    try:
        rounds, record = _rounds(args, ad, mark)
    except NotImplementedError as e:
        # the tool does not evaluate this iouType (yet): "not available"
        with open(args.out, "w") as f:
            json.dump(dict(status="unavailable", variant=args.variant, tool=ad.variant.tool,
                           version=ad.version, reason=f"NotImplementedError: {e}",
                           stopped_in=_next_stage(_read_progress(args.progress))), f)
        mark("done", time.perf_counter() - t_start)
        return 0
    record.update(
        variant=args.variant, tool=ad.variant.tool, version=ad.version,
        threads=ad.variant.threads_text(), env={k: os.environ[k] for k in
                                                 ("RAYON_NUM_THREADS", "OMP_NUM_THREADS")
                                                 if k in os.environ},
        import_s=import_s, baseline_kib=base["VmHWM"], baseline_rss_kib=base["VmRSS"],
        baseline_ru_maxrss_kib=base_ru, threads_after_import=threads_after_import,
        rounds=rounds, pid=os.getpid(), loadavg_start=load_start, loadavg_end=_loadavg(),
    )
    record["increase_kib"] = (record["peak_kib"] - record["baseline_kib"]
                              if record.get("peak_kib") is not None and base["VmHWM"] is not None
                              else None)
    with open(args.out, "w") as f:
        json.dump(record, f)
    mark("done", time.perf_counter() - t_start)
    return 0


# ------------------------------------------------------------------ parent

def _next_stage(done):
    """The stage of the first round that did not finish (None: all did)."""
    finished = [d[0] for d in done]
    for s in STAGES:
        if f"r0:{s}" not in finished:
            return s
    return None


def _read_progress(path):
    done = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    done.append((parts[0], float(parts[1]), float(parts[2])))
    except OSError:
        pass
    return done


def summarize_rounds(rounds):
    """{stage: median} over the warm rounds (all but the first when there
    are several: the first pays one-time costs, as a warmup round)."""
    warm = rounds[1:] if len(rounds) > 1 else rounds
    if not warm:
        return {}
    return {k: statistics.median(r[k] for r in warm) for k in warm[0]}


def _proc_status_kib(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def default_mem_cap_kib():
    """Kill a child whose RSS passes this (default: half the machine's RAM,
    or DETAP_BENCH_COCO_MEM_CAP_GIB)."""
    env = os.environ.get("DETAP_BENCH_COCO_MEM_CAP_GIB")
    if env:
        return int(float(env) * 1024 * 1024)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 2
    except OSError:
        pass
    return 8 * 1024 * 1024


def run_fresh(variant, gt_path, dt_path, rounds=1, timeout=600.0, save_eval=None, env=None,
              mem_cap_kib=None, iou_type="bbox"):
    """Run ``variant`` in a fresh process; returns a JSON-able dict.

    status "ok": the child's record (see ``child_main``) plus ``wall_s``
    (the child's wall time, interpreter start included), ``median``
    (``summarize_rounds``) and ``first`` (the first round's stages).
    status "timeout": the child was killed after ``timeout`` s; ``done``
    lists the stages it finished ([stage, seconds, at]), ``stopped_in``
    the stage it was in.  status "unavailable": the tool raised
    NotImplementedError for ``iou_type`` (``reason``, ``stopped_in``).
    status "memory": the same, killed because its RSS
    passed ``mem_cap_kib`` (default ``default_mem_cap_kib()``: the machine
    must not run out of memory).  status "error": ``stderr`` holds the end
    of the child's stderr.  ``watched_peak_kib``: the child's VmHWM as last
    seen by the parent (polled every 0.1 s).
    """
    if mem_cap_kib is None:
        mem_cap_kib = default_mem_cap_kib()
    from bench.coco_rivals import VARIANTS
    v = VARIANTS[variant]
    with tempfile.TemporaryDirectory(prefix="detap-mem-") as tmp:
        out = os.path.join(tmp, "out.json")
        prog = os.path.join(tmp, "progress.txt")
        errf = os.path.join(tmp, "stderr.txt")
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--variant", variant,
               "--gt", gt_path, "--dt", dt_path, "--out", out, "--progress", prog,
               "--rounds", str(rounds), "--iou-type", iou_type]
        if save_eval:
            cmd += ["--save-eval", save_eval]
        child_env = dict(os.environ if env is None else env)
        child_env.update(v.env)
        t0 = time.perf_counter()
        with open(errf, "w") as err:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)
        status, ru = None, None
        deadline = t0 + timeout
        killed = None
        watched = 0
        next_look = 0.0
        while True:
            # wait4 gives this one child's rusage (its CPU time)
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = st
                break
            now = time.perf_counter()
            if now >= next_look:
                seen = _proc_status_kib(proc.pid)
                watched = max(watched, seen.get("VmHWM", 0))
                next_look = now + 0.1
                if seen.get("VmRSS", 0) > mem_cap_kib:
                    killed = "memory"
            if now > deadline:
                killed = "timeout"
            if killed:
                proc.kill()  # SIGKILL to our own child only
                _, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        done = _read_progress(prog)
        base = dict(variant=variant, tool=v.tool, threads=v.threads_text(child_env),
                    wall_s=wall, child_cpu_s=(ru.ru_utime + ru.ru_stime) if ru else None,
                    timeout_s=timeout, mem_cap_kib=mem_cap_kib, watched_peak_kib=watched,
                    done=done)
        if killed:
            return dict(base, status=killed, stopped_in=_next_stage(done) or "a later round",
                        partial={d[0].split(":", 1)[-1]: d[1] for d in done
                                 if d[0].startswith("r0:")})
        if proc.returncode != 0 or not os.path.exists(out):
            with open(errf) as f:
                tail = f.read()[-3000:]
            return dict(base, status="error", returncode=proc.returncode, stderr=tail)
        with open(out) as f:
            rec = json.load(f)
    if rec.get("status") == "unavailable":
        return dict(base, **rec)
    rec.update(base)
    rec["status"] = "ok"
    rec["median"] = summarize_rounds(rec["rounds"])
    rec["first"] = rec["rounds"][0]
    return rec


def mib(kib):
    return None if kib is None else kib / 1024.0


# --------------------------------------------------------------------- CLI

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--variant", action="append")
    p.add_argument("--gt")
    p.add_argument("--dt")
    p.add_argument("--out")
    p.add_argument("--progress")
    p.add_argument("--save-eval")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--iou-type", default=None, help="bbox, segm or keypoints (default: the preset's)")
    p.add_argument("--preset", default="small",
                   help="small, small-f32, coco, coco-f32, objects365, big, segm-small, segm, "
                        "keypoints-small or keypoints (bench/coco_rivals.py; written under "
                        "DETAP_BENCH_DATA if set, else a temporary directory)")
    p.add_argument("--timeout", type=float, default=600.0)
    args = p.parse_args(argv)
    if args.child:
        args.variant = args.variant[0]
        return child_main(args)

    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from bench.coco_rivals import VARIANTS, cached_preset, data_root, skip_reason
    variants = args.variant or list(VARIANTS)
    with tempfile.TemporaryDirectory(prefix="detap-coco-") as tmp:
        files = cached_preset(args.preset, data_root(tmp))
        print(f"{args.preset}: {files.size_text()}", file=sys.stderr)
        print("| variant | threads | load GT | loadRes | evaluate | accumulate | eval+acc | "
              "pipeline | peak RSS | increase | stats[0] |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for v in variants:
            if skip_reason(args.preset, v):
                print(f"| {v} | | not run ({skip_reason(args.preset, v)}) |||||||||")
                continue
            r = run_fresh(v, files.gt_path, files.dt_path, rounds=args.rounds, timeout=args.timeout,
                          iou_type=args.iou_type or files.iou_type)
            if r["status"] != "ok":
                print(f"| {v} | {r['threads']} | {r['status']}: {r.get('stopped_in', '')} "
                      f"{r.get('reason', '')}{r.get('stderr', '')[-300:]} |||||||||")
                continue
            m = r["median"]
            print(f"| {v} | {r['threads']} | {m['load_gt']:.3f} | {m['load_res']:.3f} | "
                  f"{m['evaluate']:.3f} | {m['accumulate']:.3f} | {m['eval_acc']:.3f} | "
                  f"{m['pipeline']:.3f} | {mib(r['peak_kib']):.0f} MiB | "
                  f"{mib(r['increase_kib']):.0f} MiB | {r['stats'][0]!r} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
