"""Speed of detap.mask against pycocotools.mask (a check, not a test).

    python bench/mask_speed.py [--repeats 5]

- iou: 100 detections x 100 GT, 480 x 640 masks rasterised from COCO-like
  polygons (star-shaped, 6-40 vertices, radius 5-120 px, spread over the
  image so that the box prefilter lets a realistic share of pairs through),
  10% crowd GT;
- frPyObjects on 10,000 such polygons, one annotation at a time (as
  COCO.annToRLE calls it) and as one list;
- encode / decode of 100 such masks.
Each time is the median of --repeats runs; the results are checked equal.
"""
import argparse
import statistics
import time

import numpy as np
from pycocotools import mask as ref

from detap import mask as ours

H, W = 480, 640


def polygons(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        cx, cy, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(5, 120)
        k = int(rng.integers(6, 41))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.6, 1.0, k)
        xy = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        out.append([float(v) for v in xy.ravel()])
    return out


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def compare(name, call, repeats):
    t_ref, r_ref = median_time(lambda: call(ref), repeats)
    t_our, r_our = median_time(lambda: call(ours), repeats)
    same = (np.array_equal(r_ref, r_our) if isinstance(r_ref, np.ndarray) else r_ref == r_our)
    assert same, f"{name}: results differ"
    print(f"| {name} | {t_ref * 1e3:.1f} | {t_our * 1e3:.1f} | {t_ref / t_our:.2f}x |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    polys = polygons(10_000, 0)
    dt = [ref.merge(ref.frPyObjects([p], H, W)) for p in polys[:100]]
    gt = [ref.merge(ref.frPyObjects([p], H, W)) for p in polygons(100, 1)]
    crowd = [int(i % 10 == 0) for i in range(100)]
    masks = ref.decode(dt)
    o = ref.iou(dt, gt, crowd)
    print(f"iou pairs walked (box prefilter > 0): {int((o > 0).sum())} of {o.size}\n")
    print("| operation | pycocotools ms | detap ms | speed-up |")
    print("|---|---|---|---|")
    compare("iou 100 x 100 RLEs (480 x 640)", lambda m: m.iou(dt, gt, crowd), args.repeats)
    compare("frPyObjects, 10k polygons one by one",
            lambda m: [m.frPyObjects([p], H, W) for p in polys], args.repeats)
    compare("frPyObjects, 10k polygons as one list",
            lambda m: m.frPyObjects(polys, H, W), args.repeats)
    compare("encode 100 masks (480 x 640)", lambda m: m.encode(masks), args.repeats)
    compare("decode 100 masks (480 x 640)", lambda m: m.decode(dt), args.repeats)
    compare("merge 100 RLEs", lambda m: m.merge(dt), args.repeats)


if __name__ == "__main__":
    main()
