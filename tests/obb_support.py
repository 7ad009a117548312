"""Random COCO data with hotcoco's rotated boxes ("obb": [cx, cy, w, h,
angle], pixels and radians) and hotcoco run on it (shared by the obb
tests)."""
import contextlib
import copy
import io
import math
import os
import warnings

import numpy as np


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def random_obb(rng, grid):
    """A rotated box: on a coarse grid with quarter-turn angles (equal IoUs,
    exact 0.5 overlaps) or anywhere at any angle."""
    if grid:
        cx, cy = (float(v) for v in rng.integers(0, 12, 2) * 5)
        w, h = (float(v) for v in rng.integers(1, 8, 2) * 5)
        return [cx, cy, w, h, float(rng.choice([0.0, math.pi / 2, math.pi, -math.pi / 2]))]
    cx, cy = (float(v) for v in rng.uniform(0, 150, 2))
    size = float(rng.choice([8.0, 40.0, 150.0]))  # small, medium and large objects
    w, h = (float(v) for v in rng.uniform(0.2, 1.0, 2) * size)
    return [cx, cy, w, h, float(rng.uniform(-math.pi, math.pi))]


def jitter(rng, obb, grid):
    """A detection near a GT box (at every IoU, IoU 1 included)."""
    if grid:
        d = rng.integers(-1, 2, 4) * 5.0
        return [obb[0] + d[0], obb[1] + d[1], max(5.0, obb[2] + d[2]), max(5.0, obb[3] + d[3]),
                obb[4] + float(rng.choice([0.0, math.pi / 2]))]
    s = float(rng.choice([0.0, 0.05, 0.2, 0.5]))
    return [obb[0] + rng.normal(0, s * obb[2] + 1e-9), obb[1] + rng.normal(0, s * obb[3] + 1e-9),
            obb[2] * (1 + rng.normal(0, s)), obb[3] * (1 + rng.normal(0, s)),
            obb[4] + rng.normal(0, s)]


def obb_case(seed, n_images=5, n_cats=3, max_gt=6, max_dt=10, ties=False, grid=False,
             crowd=0.1, no_area=0.0, dt_bbox=False, shuffle_ids=False):
    """(gt dict, results list): images with ids not 1..n (some without any
    annotation), categories some without GT or detections, crowd GT, GT
    areas of every range (their w * h, another value, 1024 and 9216 on the
    range bounds, or none with probability ``no_area``), detections near a
    GT or anywhere (``ties``: scores from four values); ``dt_bbox``: every
    result also carries a "bbox" (hotcoco then reads box results: area from
    the box); ``shuffle_ids``: GT ids not in file order."""
    rng = np.random.default_rng(seed)
    img_ids = sorted(int(v) for v in rng.choice(np.arange(1, 1000), n_images, replace=False))
    cat_ids = sorted(int(v) for v in rng.choice(np.arange(1, 50), n_cats, replace=False))
    anns, res = [], []
    for i in img_ids:
        ng = int(rng.integers(0, max_gt + 1))
        mine = []
        for _ in range(ng):
            obb = [float(v) for v in random_obb(rng, grid)]
            a = {"id": len(anns) + 1, "image_id": i, "category_id": int(rng.choice(cat_ids)),
                 "obb": obb, "iscrowd": int(rng.random() < crowd)}
            if rng.random() >= no_area:
                a["area"] = float(rng.choice([obb[2] * obb[3], obb[2] * obb[3] * rng.uniform(0.2, 3),
                                              1024.0, 9216.0]))
            anns.append(a)
            mine.append(a)
        for _ in range(int(rng.integers(0, max_dt + 1))):
            if mine and rng.random() < 0.75:
                g = mine[int(rng.integers(len(mine)))]
                obb = jitter(rng, g["obb"], grid)
                cat = g["category_id"] if rng.random() < 0.8 else int(rng.choice(cat_ids))
            else:
                obb, cat = random_obb(rng, grid), int(rng.choice(cat_ids))
            s = float(rng.integers(1, 5)) / 4 if ties else float(rng.random())
            r = {"image_id": i, "category_id": cat, "obb": [float(v) for v in obb], "score": s}
            if dt_bbox:
                r["bbox"] = [float(v) for v in rng.uniform(0, 120, 4)]
            res.append(r)
    if shuffle_ids and anns:
        for a, new in zip(anns, rng.permutation(len(anns)) + 1):
            a["id"] = int(new)
    images = [{"id": i, "width": 200, "height": 200, "file_name": f"{i}.jpg"} for i in img_ids]
    cats = [{"id": c, "name": f"c{c}"} for c in cat_ids]
    return {"images": images, "annotations": anns, "categories": cats}, res


def run(module, gt, res, setup=None, files=None):
    """evaluate, accumulate, summarize of iouType "obb" with ``module``'s
    COCO and COCOeval (hotcoco or detap.coco), silenced; from dicts (each
    tool its own copy), or from the JSON files ``files`` = (gt, results)."""
    def body():
        g = module.COCO(os.fspath(files[0]) if files else copy.deepcopy(gt))
        ev = module.COCOeval(g, g.loadRes(os.fspath(files[1]) if files else copy.deepcopy(res)),
                             "obb")
        if setup is not None:
            setup(ev.params)
        for step in (ev.evaluate, ev.accumulate, ev.summarize):
            step()
        return ev
    return quiet(body)


def assert_same(got, ref):
    """stats, precision, recall and scores equal bit for bit."""
    assert np.array_equal(np.asarray(got.stats), np.asarray(ref.stats)), (got.stats, ref.stats)
    for key in ("precision", "recall", "scores"):
        a, b = np.asarray(got.eval[key]), np.asarray(ref.eval[key])
        assert a.shape == b.shape and np.array_equal(a, b), key
