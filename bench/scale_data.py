"""Seeded COCO-style arrays at any size, for the scaling benchmarks.

Images of 640 x 480 pixels; GT boxes of log-uniform size (all three COCO
area ranges occur); detections are jittered GT copies (hits and duplicates)
and background boxes, scores rounded to 3 decimals so ties occur, ~1 %
crowd GT.  Boxes are float64 [x, y, w, h] in pixels.
"""
import numpy as np


def make_arrays(n_det, dets_per_image=50, gt_per_image=7, n_categories=80, seed=0, first_image=0):
    """dict of columns: gt_image, gt_label, gt_bbox (M, 4), gt_iscrowd,
    det_image, det_label, det_bbox (N, 4), det_score; image ids
    first_image .. first_image + n_images - 1."""
    rng = np.random.default_rng(seed)
    n_img = max(1, n_det // dets_per_image)
    ng = n_img * gt_per_image
    gt_image = np.repeat(np.arange(n_img, dtype=np.int64), gt_per_image)
    gt_label = rng.integers(0, n_categories, ng)
    side = np.exp(rng.uniform(np.log(8), np.log(400), (ng, 2)))
    xy = rng.uniform(0, 1, (ng, 2)) * (np.array([640, 480]) - side).clip(1)
    gt_bbox = np.round(np.concatenate([xy, side], 1), 2)
    gt_iscrowd = rng.random(ng) < 0.01
    n_hit = int(0.6 * n_det)
    src = rng.integers(0, ng, n_hit)
    jit = rng.normal(0, 0.1, (n_hit, 4)) * np.repeat(gt_bbox[src, 2:], 2, 1)
    hit = gt_bbox[src] + jit
    hit[:, 2:] = np.abs(hit[:, 2:]) + 1
    n_bg = n_det - n_hit
    bside = np.exp(rng.uniform(np.log(8), np.log(300), (n_bg, 2)))
    bxy = rng.uniform(0, 1, (n_bg, 2)) * (np.array([640, 480]) - bside).clip(1)
    det_bbox = np.round(np.concatenate([hit, np.concatenate([bxy, bside], 1)]), 2)
    det_image = np.concatenate([gt_image[src], rng.integers(0, n_img, n_bg)])
    det_label = np.concatenate([np.where(rng.random(n_hit) < 0.9, gt_label[src],
                                         rng.integers(0, n_categories, n_hit)),
                                rng.integers(0, n_categories, n_bg)])
    det_score = np.round(np.concatenate([rng.beta(5, 2, n_hit), rng.beta(2, 5, n_bg)]), 3)
    order = np.argsort(det_image, kind="stable")  # detectors write image by image
    gt_image += first_image
    det_image += first_image
    return {"gt_image": gt_image, "gt_label": gt_label, "gt_bbox": gt_bbox, "gt_iscrowd": gt_iscrowd,
            "det_image": det_image[order], "det_label": det_label[order],
            "det_bbox": det_bbox[order], "det_score": det_score[order], "n_images": n_img}


def chunk_spec(n_det, chunk=1_000_000, dets_per_image=50):
    """[(seed, n_det_of_chunk, first_image)]: a data set of n_det detections
    as independent chunks (each can be drawn where it is used: a Dask worker
    draws its own), images numbered consecutively across chunks."""
    spec, first, seed = [], 0, 0
    for start in range(0, n_det, chunk):
        n = min(chunk, n_det - start)
        spec.append((seed, n, first))
        first += max(1, n // dets_per_image)
        seed += 1
    return spec


def make_chunk(spec_item, **kw):
    seed, n, first = spec_item
    return make_arrays(n, seed=seed, first_image=first, **kw)


def concat_chunks(chunks):
    keys = [k for k in chunks[0] if k != "n_images"]
    out = {k: np.concatenate([c[k] for c in chunks]) for k in keys}
    out["n_images"] = sum(c["n_images"] for c in chunks)
    return out
