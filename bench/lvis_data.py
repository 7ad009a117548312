"""Seeded LVIS-like data sets for the LVIS benchmark (``bench/lvis_rivals.py``).

Shaped like LVIS v1 val (``make_lvis`` with the "lvis-val" preset):

- ~20k images of 320-640 x 240-480 px, ~12 GT per image (LVIS v1 val:
  19,809 images, ~244k annotations);
- 1,203 categories with a long-tailed (Zipf) frequency: a category's
  share of the objects falls as rank^-1.1; the most common 34 % are
  "f", the next 38 % "c", the rest "r" (LVIS v1: 405 / 461 / 337);
- per image, ``neg_category_ids``: ~6 categories drawn by frequency among
  those without GT there, and ``not_exhaustive_category_ids``: ~10 % of
  its present categories (disjoint from the negatives, as LVIS has them);
- ~300 detections per image (Poisson(300), at most 375: images above 300
  exercise the per-image cap), ~70 % jittered copies of the image's GT
  (90 % with its category), the rest background boxes of categories drawn
  by frequency: most of those fall on unverified (image, category) pairs,
  which the federated rule drops, as with a real detector on LVIS.

Boxes, areas and the GT come from ``detap.synth`` (``coco_images``,
``coco_gt_arrays``, ``coco_det_arrays``); GT has two-decimal numbers and a
polygon ``segmentation`` (its box); results are written as a detector
writes float32 tensors: every box value and score is the float64 of a
float32, printed by ``repr`` (the shortest round-trip string, up to 17
significant digits).  The results file is written in blocks of text,
never held as a list of dicts.
"""
import json
import os

import numpy as np

from detap.synth import coco_det_arrays, coco_gt_arrays, coco_images

PRESETS = {
    # (images, categories, mean GT per image, mean detections per image)
    "lvis-small": dict(n_images=60, n_categories=300, gt_per_image=12.3, dets_per_image=300),
    "lvis-val": dict(n_images=19809, n_categories=1203, gt_per_image=12.3, dets_per_image=300),
}
SEED = 2026
FREQ_SHARE = (("f", .34), ("c", .38), ("r", .28))


def _categories(rng, n):
    """(ids (n,), sampling probabilities (n,), frequency letters): ids
    sparse and sorted, probabilities long-tailed in a random id order."""
    ids = np.sort(rng.choice(np.arange(1, 2 * n + 1), n, replace=False))
    rank = rng.permutation(n)              # rank 0: the most frequent
    p = (rank + 1.0) ** -1.1
    p /= p.sum()
    bounds = np.cumsum([s for _, s in FREQ_SHARE]) * n
    letters = np.array([FREQ_SHARE[int(np.searchsorted(bounds, r, side="right"))][0]
                        for r in rank])
    return ids, p, letters


def _image_lists(rng, gi, gc, n_images, p):
    """Per image: (present categories, negative ones, not exhaustive ones),
    as lists of category indices."""
    present = [[] for _ in range(n_images)]
    for i, c in zip(gi.tolist(), gc.tolist()):
        present[i].append(c)
    present = [sorted(set(x)) for x in present]
    n_neg = rng.poisson(6, n_images)
    draws = rng.choice(len(p), (n_images, 12), p=p)
    neg, nel = [], []
    for i in range(n_images):
        here = set(present[i])
        neg.append(sorted({int(c) for c in draws[i, :n_neg[i]]} - here))
        nel.append([c for c in present[i] if rng.random() < .1])
    return present, neg, nel


def make_lvis(n_images, n_categories, gt_per_image, dets_per_image, seed=SEED):
    """(gt dict, detection arrays (image ids, category ids, xywh boxes,
    scores), both float32-rounded) of one LVIS-like data set."""
    rng = np.random.default_rng(seed)
    cat_ids, p, letters = _categories(rng, n_categories)
    img_ids = np.sort(rng.choice(np.arange(1, 20 * n_images + 1), n_images, replace=False))
    W, H, n_gt = coco_images(rng, n_images, gt_per_image)
    gi, gc, gb, area, _ = coco_gt_arrays(rng, W, H, n_gt, p, 0.0)
    _, neg, nel = _image_lists(rng, gi, gc, n_images, p)
    images = [{"id": int(img_ids[i]), "width": int(W[i]), "height": int(H[i]),
               "neg_category_ids": [int(cat_ids[c]) for c in neg[i]],
               "not_exhaustive_category_ids": [int(cat_ids[c]) for c in nel[i]],
               "coco_url": f"http://images.cocodataset.org/val2017/{img_ids[i]:012d}.jpg"}
              for i in range(n_images)]
    categories = [{"id": int(c), "name": f"cat_{c}", "synset": f"cat_{c}.n.01",
                   "frequency": str(letters[k]), "image_count": 0, "instance_count": 0}
                  for k, c in enumerate(cat_ids)]
    annotations = []
    for k in range(len(gi)):
        x, y, w, h = gb[k].tolist()
        annotations.append({"id": k + 1, "image_id": int(img_ids[gi[k]]),
                            "category_id": int(cat_ids[gc[k]]), "bbox": [x, y, w, h],
                            "area": float(area[k]),
                            "segmentation": [[x, y, x, round(y + h, 2), round(x + w, 2),
                                              round(y + h, 2), round(x + w, 2), y]]})
    gt = {"info": {"description": "LVIS-like synthetic data (detap bench)"},
          "images": images, "categories": categories, "annotations": annotations}
    di, dc, db, score = coco_det_arrays(rng, W, H, n_gt, gc, gb, p, int(dets_per_image * 1.25),
                                        4)
    f32 = lambda a: np.asarray(a, np.float32).astype(np.float64)  # noqa: E731
    return gt, (img_ids[di], cat_ids[dc], f32(db), f32(score))


def write_results(path, dets, block=200_000):
    """Write detection arrays as a JSON results list, float values by
    ``repr`` (float32 values: up to 17 significant digits)."""
    img, cat, box, score = dets
    with open(path, "w") as f:
        f.write("[")
        for b in range(0, len(img), block):
            e = min(b + block, len(img))
            parts = []
            for i, c, bb, s in zip(img[b:e].tolist(), cat[b:e].tolist(), box[b:e].tolist(),
                                   score[b:e].tolist()):
                parts.append(f'{{"image_id": {i}, "category_id": {c}, "bbox": [{bb[0]!r}, '
                             f'{bb[1]!r}, {bb[2]!r}, {bb[3]!r}], "score": {s!r}}}')
            f.write((", " if b else "") + ", ".join(parts))
        f.write("]")


def subset(gt, dets, every):
    """The data set restricted to every ``every``-th image (for a tool too
    slow or too large for the whole): (gt, dets)."""
    if every == 1:
        return gt, dets
    keep = np.array([img["id"] for img in gt["images"][::every]], np.int64)
    ids = set(keep.tolist())
    gt = dict(gt, images=[img for img in gt["images"] if img["id"] in ids],
              annotations=[a for a in gt["annotations"] if a["image_id"] in ids])
    sel = np.isin(dets[0], keep)
    return gt, tuple(a[sel] for a in dets)


def write_preset(name, directory, seed=SEED, every=1):
    """Draw preset ``name`` (restricted to every ``every``-th image) into
    ``<directory>/<name>-<seed>[-1in<every>]_gt.json`` and ``..._results.json``
    (kept when a previous call completed them: ``..._done.json`` is written
    last); returns (gt path, results path, counts)."""
    os.makedirs(directory, exist_ok=True)
    base = os.path.join(directory, f"{name}-{seed}" + (f"-1in{every}" if every > 1 else ""))
    gt_path, dt_path, done = base + "_gt.json", base + "_results.json", base + "_done.json"
    if not os.path.exists(done):
        gt, dets = subset(*make_lvis(**PRESETS[name], seed=seed), every)
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        write_results(dt_path, dets)
        counts = {"images": len(gt["images"]), "categories": len(gt["categories"]),
                  "gt": len(gt["annotations"]), "detections": int(len(dets[0])),
                  "gt_bytes": os.path.getsize(gt_path), "dt_bytes": os.path.getsize(dt_path)}
        with open(done, "w") as f:
            json.dump(counts, f)
    with open(done) as f:
        return gt_path, dt_path, json.load(f)
