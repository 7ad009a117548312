"""Scaling benchmark: COCO-style evaluation (10 IoU thresholds, 4 area
ranges, maxDets 1/10/100) at 1M, 10M and 30M detections.

    python bench/scale.py [--sizes 1e6 1e7 3e7] [--modes oneshot stream dask] > bench/scale.md

Every (size, mode) runs in a fresh process so that its peak memory is its
own.  Data: ``bench/scale_data.py`` (seeded chunks of 1M detections).
- oneshot: ``detap.coco.evaluate_arrays`` + summarize on all arrays;
- stream:  ``detap.Evaluator("coco")``, one ``update_batch`` per chunk,
           then ``compute``;
- dask:    ``detap.dask.evaluate`` on a ``distributed.LocalCluster`` of 2
           worker processes; each worker draws its chunks (the bag is
           persisted before the clock starts, as data already in a cluster).
Memory "beyond inputs" = the process's VmHWM minus its VmRSS once the
input arrays exist; for dask the workers' VmHWM are summed as well.  All
modes must give the same 12 stats (checked by the parent).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _records(spec_item):
    from bench.scale_data import make_chunk
    d = make_chunk(spec_item)
    gi, di = d["gt_image"], d["det_image"]
    out = []
    first = int(spec_item[2])
    g_off = np.searchsorted(gi, np.arange(first, first + d["n_images"] + 1))
    d_off = np.searchsorted(di, np.arange(first, first + d["n_images"] + 1))
    for j in range(d["n_images"]):
        g, h = slice(g_off[j], g_off[j + 1]), slice(d_off[j], d_off[j + 1])
        out.append({"image_id": first + j, "gt_boxes": d["gt_bbox"][g], "gt_labels": d["gt_label"][g],
                    "gt_iscrowd": d["gt_iscrowd"][g], "det_boxes": d["det_bbox"][h],
                    "det_scores": d["det_score"][h], "det_labels": d["det_label"][h]})
    return out


def oneshot_stats(d):
    """The 12 stats of ``detap.coco.evaluate_arrays`` on one data set's arrays."""
    import contextlib
    import io
    from detap.coco import evaluate_arrays
    ev = evaluate_arrays(d["gt_image"], d["gt_label"], d["gt_bbox"], None, d["gt_iscrowd"],
                         dt_image_id=d["det_image"], dt_category_id=d["det_label"],
                         dt_bbox=d["det_bbox"], dt_score=d["det_score"])
    with contextlib.redirect_stdout(io.StringIO()):
        ev.summarize()
    return np.asarray(ev.stats)


def stream_stats(chunks):
    """The 12 stats of a ``detap.Evaluator("coco")`` fed one batch per chunk."""
    from detap import Evaluator
    e = Evaluator("coco")
    for c in chunks:
        first = int(c["gt_image"][0])
        e.update_batch(c["gt_image"], c["gt_bbox"], c["gt_label"], c["det_image"], c["det_bbox"],
                       c["det_score"], c["det_label"], gt_iscrowd=c["gt_iscrowd"],
                       box_format="xywh", image_ids=np.arange(first, first + c["n_images"]))
    return e.compute().stats


def child(n, mode):
    from bench.scale_data import chunk_spec, concat_chunks, make_chunk
    spec = chunk_spec(n)
    out = {"n": n, "mode": mode}
    if mode == "dask":
        import dask.bag as db
        from distributed import Client, LocalCluster, wait
        import detap.dask
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, memory_limit="10GiB")
        client = Client(cluster)
        bag = db.from_sequence(spec, npartitions=len(spec)).map(_records).flatten()
        bag = bag.persist()
        wait(bag)
        base = _status("VmRSS")
        wbase = client.run(lambda: _status("VmRSS"))
        t = time.perf_counter()
        res = detap.dask.evaluate(bag, "coco", box_format="xywh")
        out["seconds"] = time.perf_counter() - t
        out["stats"] = [float(s) for s in res.stats]
        whwm = client.run(lambda: _status("VmHWM"))
        out["beyond_inputs"] = _status("VmHWM") - base
        out["workers_beyond"] = sum(whwm[w] - wbase[w] for w in whwm)
        client.close()
        cluster.close()
    else:
        chunks = [make_chunk(s) for s in spec]
        if mode == "oneshot":
            d = concat_chunks(chunks)
            del chunks
        base = _status("VmRSS")
        t = time.perf_counter()
        stats = oneshot_stats(d) if mode == "oneshot" else stream_stats(chunks)
        out["seconds"] = time.perf_counter() - t
        out["stats"] = [float(s) for s in stats]
        out["beyond_inputs"] = _status("VmHWM") - base
    out["peak"] = _status("VmHWM")
    print(json.dumps(out))


def _fmt_bytes(b):
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.0f} MiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7, 3e7])
    ap.add_argument("--modes", nargs="+", default=["oneshot", "stream", "dask"])
    ap.add_argument("--child", nargs=2)
    a = ap.parse_args()
    if a.child:
        return child(int(float(a.child[0])), a.child[1])
    print("# detap scaling: COCO-style evaluation (10 IoU thresholds x 4 area ranges x 3 maxDets)\n")
    print(f"Command: `python bench/scale.py --sizes {' '.join(f'{s:g}' for s in a.sizes)} "
          f"--modes {' '.join(a.modes)}`; machine: {os.cpu_count()} cores; each row a fresh process.\n")
    print("| detections | mode | time | peak RSS | beyond inputs | bytes/detection | workers beyond inputs | stats equal |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for n in a.sizes:
        first = None
        for mode in a.modes:
            p = subprocess.run([sys.executable, __file__, "--child", str(int(n)), mode],
                               capture_output=True, text=True)
            if p.returncode != 0:
                tail = (p.stderr.strip().splitlines() or ["?"])[-1]
                print(f"| {int(n):,} | {mode} | failed: {tail[:120]} | | | | | |")
                continue
            r = json.loads(p.stdout.strip().splitlines()[-1])
            first = first or r["stats"]
            eq = "yes" if r["stats"] == first else "**NO**"
            wb = _fmt_bytes(r["workers_beyond"]) if "workers_beyond" in r else ""
            print(f"| {int(n):,} | {mode} | {r['seconds']:.2f} s | {_fmt_bytes(r['peak'])} | "
                  f"{_fmt_bytes(r['beyond_inputs'])} | {r['beyond_inputs'] / n:.0f} | {wb} | {eq} |",
                  flush=True)


if __name__ == "__main__":
    main()
