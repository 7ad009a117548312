"""Synthetic DOTA-shaped data for bench/test_bench_dota.py.

Scenes like DOTA's 1024 x 1024 patches: crowded (``gt_per_image`` oriented
rectangles, mostly small vehicles of 10-40 px at any angle, packed in rows
as in parking lots, and a few large objects), integer vertices as labelTxt
files write them, 15 classes, 5 % difficult.  Detections: most are a GT
perturbed by a detector's error (centre, size and angle noise), the rest
false positives near other objects or anywhere; scores and coordinates are
float32 values, written as their 17-digit reprs as a detector's Task1 files
print them.
"""
import os
from dataclasses import dataclass

import numpy as np

DOTA_CLASSES = ("plane", "baseball-diamond", "bridge", "ground-track-field", "small-vehicle",
                "large-vehicle", "ship", "tennis-court", "basketball-court", "storage-tank",
                "soccer-ball-field", "roundabout", "harbor", "swimming-pool", "helicopter")

__all__ = ["DOTA_CLASSES", "DotaData", "make_dota", "write_dota", "rect_quads"]


def rect_quads(cx, cy, w, h, angle):
    """(n, 8) vertices of rectangles (centre, size, angle in radians)."""
    c, s = np.cos(angle), np.sin(angle)
    dx = np.array([-0.5, 0.5, 0.5, -0.5])[None, :] * w[:, None]
    dy = np.array([-0.5, -0.5, 0.5, 0.5])[None, :] * h[:, None]
    x = cx[:, None] + dx * c[:, None] - dy * s[:, None]
    y = cy[:, None] + dx * s[:, None] + dy * c[:, None]
    return np.stack([x, y], axis=2).reshape(-1, 8)


@dataclass
class DotaData:
    names: list
    classes: tuple
    gt_quads: np.ndarray   # (M, 8) float64, integer-valued
    gt_img: np.ndarray     # (M,) int64
    gt_cls: np.ndarray     # (M,) int64
    gt_difficult: np.ndarray
    det_quads: np.ndarray  # (N, 8) float64 values of float32s
    det_scores: np.ndarray
    det_img: np.ndarray
    det_cls: np.ndarray


def make_dota(n_images, n_det, classes=DOTA_CLASSES, gt_per_image=40, seed=0):
    rng = np.random.default_rng(seed)
    n_gt = n_images * gt_per_image
    gt_img = np.repeat(np.arange(n_images), gt_per_image)
    small = rng.random(n_gt) < 0.8
    k = len(classes)
    gt_cls = np.where(small, classes.index("small-vehicle") if "small-vehicle" in classes else 0,
                      rng.integers(0, k, n_gt))
    # parking rows: small objects on a grid with jitter; large ones anywhere
    slot = np.arange(n_gt) % gt_per_image
    cx = np.where(small, 40 + (slot % 8) * 120 + rng.normal(0, 15, n_gt), rng.uniform(0, 1024, n_gt))
    cy = np.where(small, 40 + (slot // 8) * 30 * (1 + (slot % 3)) + rng.normal(0, 4, n_gt),
                  rng.uniform(0, 1024, n_gt))
    w = np.where(small, rng.uniform(15, 40, n_gt), rng.uniform(40, 300, n_gt))
    h = np.where(small, rng.uniform(8, 18, n_gt), rng.uniform(30, 200, n_gt))
    ang = rng.uniform(0, np.pi, n_gt)
    gt = np.round(rect_quads(cx, cy, w, h, ang))
    difficult = (rng.random(n_gt) < 0.05).astype(np.uint8)

    n_tp = int(n_det * 0.6)
    src = rng.integers(0, n_gt, n_tp)
    s = rng.normal(1, 0.08, n_tp)
    tp = rect_quads(cx[src] + rng.normal(0, 2, n_tp), cy[src] + rng.normal(0, 2, n_tp),
                    w[src] * s, h[src] * s, ang[src] + rng.normal(0, 0.08, n_tp))
    n_fp = n_det - n_tp
    near = rng.integers(0, n_gt, n_fp)
    fp = rect_quads(cx[near] + rng.normal(0, 20, n_fp), cy[near] + rng.normal(0, 20, n_fp),
                    rng.uniform(10, 60, n_fp), rng.uniform(6, 30, n_fp), rng.uniform(0, np.pi, n_fp))
    det = np.concatenate([tp, fp])
    det_img = np.concatenate([gt_img[src], gt_img[near]])
    det_cls = np.concatenate([gt_cls[src], np.where(rng.random(n_fp) < 0.7, gt_cls[near],
                                                     rng.integers(0, k, n_fp))])
    score = np.concatenate([rng.beta(5, 2, n_tp), rng.beta(2, 5, n_fp)])
    perm = rng.permutation(n_det)
    f32 = lambda a: a.astype(np.float32).astype(np.float64)  # noqa: E731
    return DotaData(names=[f"P{i:04d}" for i in range(n_images)], classes=tuple(classes),
                    gt_quads=gt, gt_img=gt_img, gt_cls=gt_cls.astype(np.int64),
                    gt_difficult=difficult, det_quads=f32(det[perm]), det_scores=f32(score[perm]),
                    det_img=det_img[perm].astype(np.int64),
                    det_cls=det_cls[perm].astype(np.int64))


def write_dota(data, root):
    """labelTxt/, imageset.txt and Task1_<class>.txt under root; returns
    (detpath, annopath, imagesetfile) templates."""
    os.makedirs(os.path.join(root, "labelTxt"), exist_ok=True)
    order = np.argsort(data.gt_img, kind="stable")
    bounds = np.searchsorted(data.gt_img[order], np.arange(len(data.names) + 1))
    for i, name in enumerate(data.names):
        rows = order[bounds[i]:bounds[i + 1]]
        lines = ["imagesource:GoogleEarth", "gsd:0.146343590398"]
        lines += [" ".join(str(int(v)) for v in data.gt_quads[r]) +
                  f" {data.classes[data.gt_cls[r]]} {int(data.gt_difficult[r])}" for r in rows]
        with open(os.path.join(root, "labelTxt", f"{name}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(root, "imageset.txt"), "w") as f:
        f.write("\n".join(data.names) + "\n")
    scores, quads = data.det_scores.tolist(), data.det_quads.tolist()
    for c, cname in enumerate(data.classes):
        sel = np.flatnonzero(data.det_cls == c).tolist()
        with open(os.path.join(root, f"Task1_{cname}.txt"), "w") as f:
            f.write("".join(f"{data.names[data.det_img[k]]} {scores[k]!r} " +
                            " ".join(map(repr, quads[k])) + "\n" for k in sel))
    return (os.path.join(root, "Task1_{:s}.txt"), os.path.join(root, "labelTxt", "{:s}.txt"),
            os.path.join(root, "imageset.txt"))
