"""Wall and CPU time (user + sys, all threads) of bench/test_bench_dota.py's
detap scenarios, and of reading the labelTxt files, as medians.

    python bench/cpu_dota.py [--rounds N]
    OMP_NUM_THREADS=1 python bench/cpu_dota.py      # on one core

pytest-benchmark times wall-clock only; on a shared machine the CPU time
says what the work costs whoever else runs (and, on one core, what it
costs without threads).  Full-mode data (bench/dota_data.py, the same seeds as
the benchmarks): 4952 images, 198,080 GT, 100k detections in a Task1 file
(e) and 1M detections in arrays (f).  Run it against another build with
PYTHONPATH=<that tree> to compare two versions in the same conditions.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # (after PYTHONPATH)

import detap  # noqa: E402
import detap.dota  # noqa: E402
import detap.threads  # noqa: E402
import detap.voc  # noqa: E402
from bench.dota_data import make_dota, write_dota  # noqa: E402

CLS = "small-vehicle"


def medians(fn, rounds):
    walls, cpus = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), float(np.median(cpus))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args(argv)
    core = make_dota(4952, 100_000, classes=(CLS,), seed=1)
    big = make_dota(4952, 1_000_000, classes=(CLS,), seed=2)
    with tempfile.TemporaryDirectory() as root:
        detpath, annopath, imageset = write_dota(core, root)
        names = detap.voc.read_imageset(imageset)

        def e():
            return detap.dota.voc_eval(detpath, annopath, imageset, CLS)

        def read_labeltxt():
            detap.voc._memo.clear()  # (a fresh process's first call:
            detap.voc._path_memo.clear()  # no parsed sets, no formatted paths)
            return detap.dota.load_annotations(annopath, names)

        def f():
            return detap.evaluate_class(big.det_quads, big.det_scores, big.det_img, big.gt_quads,
                                        big.gt_img, big.gt_difficult, convention="dota",
                                        n_images=len(big.names))
        e()
        rows = [("e. voc_eval from files, 100k dets (warm memo)", medians(e, a.rounds)),
                ("labelTxt files read (4952, cold memo)", medians(read_labeltxt, max(2, a.rounds // 4))),
                ("f. 1M oriented dets from arrays", medians(f, max(2, a.rounds // 2)))]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    team = detap.threads.team()
    print(f"detap {os.path.dirname(detap.__file__)}, {team} thread(s), load average {load}")
    print("| scenario | wall median | CPU median |\n|---|---:|---:|")
    for name, (w, c) in rows:
        print(f"| {name} | {w * 1e3:.0f} ms | {c * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()
