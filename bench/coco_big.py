"""Box data sets too large for one list of dicts (the ``big`` preset of
``bench/coco_rivals.py``: 125,000 images, 365 categories, ~1.5M GT,
~10.2M detections, a 1.6 GB results file and a 0.2 GB GT file), drawn and
written block by block (~100 s, once: see ``coco_rivals.cached_preset``).

The draws are ``detap.synth.make_coco``'s (``coco_images``,
``coco_gt_arrays``, ``coco_det_arrays``), arranged so that no block needs
another's data:

- one generator seeded with ``seed`` draws what the whole data set shares:
  category ids, image ids, image sizes and GT counts, and the category
  frequencies (a long tail shared by all images, as in Objects365);
- the images are cut into blocks of ``block_images``; block ``b`` draws its
  GT and detections from its own generator, seeded with ``[seed, b]``
  (numpy's SeedSequence), so the data are fixed by (seed, block size)
  whatever order the blocks are drawn in.

Files are written as the blocks are drawn: the results array block by
block, and the GT file's annotations likewise (its images and categories
are known before the first block).  Peak memory is one block's records
(~0.6 GB peak RSS at 5,000 images), not the data set's.
"""
import json

import numpy as np

from .number_formats import as_float32, check_numbers

# the data depend on it: changing it needs a new coco_rivals.DATA_VERSION
BLOCK_IMAGES = 5000


def shared_draws(n_images, n_categories, gt_per_image, seed):
    """What every block uses: {cat_ids, img_ids, W, H, n_gt, freq}."""
    from detap.synth import coco_images
    rng = np.random.default_rng(seed)
    cat_ids = np.sort(rng.choice(np.arange(1, 3 * n_categories + 1), n_categories, replace=False))
    img_ids = np.sort(rng.choice(np.arange(1, 20 * n_images + 1), n_images, replace=False))
    W, H, n_gt = coco_images(rng, n_images, gt_per_image)
    freq = rng.dirichlet(np.full(n_categories, 0.7))
    return dict(cat_ids=cat_ids, img_ids=img_ids, W=W, H=H, n_gt=n_gt, freq=freq)


def draw_block(shared, b, block_images, dets_per_image, crowd_frac, score_decimals, seed):
    """GT and detection arrays of block ``b`` (images ``b * block_images`` on),
    image indices global: {gi, gc, gb, area, crowd, di, dc, db, score}."""
    from detap.synth import coco_det_arrays, coco_gt_arrays
    s = slice(b * block_images, (b + 1) * block_images)
    W, H, n_gt = shared["W"][s], shared["H"][s], shared["n_gt"][s]
    rng = np.random.default_rng([seed, b])
    gi, gc, gb, area, crowd = coco_gt_arrays(rng, W, H, n_gt, shared["freq"], crowd_frac)
    di, dc, db, score = coco_det_arrays(rng, W, H, n_gt, gc, gb, shared["freq"], dets_per_image,
                                        score_decimals)
    first = b * block_images
    return dict(gi=gi + first, gc=gc, gb=gb, area=area, crowd=crowd, di=di + first, dc=dc, db=db,
                score=score)


def gt_records(shared, blk, first_id):
    """The block's GT annotations as dicts (ids from ``first_id``); GT keeps
    its short numbers whatever the results' format."""
    img, cat = shared["img_ids"][blk["gi"]].tolist(), shared["cat_ids"][blk["gc"]].tolist()
    return [{"id": first_id + k, "image_id": i, "category_id": c, "bbox": bb, "area": a,
             "iscrowd": int(cr)}
            for k, (i, c, bb, a, cr) in enumerate(zip(img, cat, blk["gb"].tolist(),
                                                      blk["area"].tolist(), blk["crowd"].tolist()))]


def det_records(shared, blk, numbers):
    """The block's detections as result dicts, numbers as ``numbers``."""
    box, score = blk["db"], blk["score"]
    if numbers == "float32":
        box, score = as_float32(box), as_float32(score)
    img, cat = shared["img_ids"][blk["di"]].tolist(), shared["cat_ids"][blk["dc"]].tolist()
    return [{"image_id": i, "category_id": c, "bbox": bb, "score": sc}
            for i, c, bb, sc in zip(img, cat, box.tolist(), score.tolist())]


class ArrayWriter:
    """Writes the items of one JSON array chunk by chunk (``json.dumps`` of a
    chunk's list without its brackets, ", " between chunks: the same text as
    one ``json.dump`` of the whole list)."""

    def __init__(self, f):
        self.f = f
        self.n = 0

    def write(self, items):
        if not items:
            return
        self.f.write((", " if self.n else "") + json.dumps(items)[1:-1])
        self.n += len(items)


def write_blocked(gt_path, dt_path, n_images, n_categories, gt_per_image, dets_per_image,
                  crowd_frac=0.01, score_decimals=3, seed=0, numbers="short",
                  block_images=BLOCK_IMAGES, progress=None):
    """Draw and write the data set block by block; returns (n_gt, n_dt).
    ``progress(b, n_blocks)``, if given, is called after each block."""
    check_numbers(numbers)
    shared = shared_draws(n_images, n_categories, gt_per_image, seed)
    images = [{"id": int(i), "width": int(w), "height": int(h), "file_name": f"{i:012d}.jpg"}
              for i, w, h in zip(shared["img_ids"], shared["W"], shared["H"])]
    categories = [{"id": int(c), "name": f"class_{c}", "supercategory": "thing"}
                  for c in shared["cat_ids"]]
    n_blocks = -(-n_images // block_images)
    with open(gt_path, "w") as g, open(dt_path, "w") as d:
        g.write('{"images": ' + json.dumps(images) + ', "annotations": [')
        d.write("[")
        anns, dets = ArrayWriter(g), ArrayWriter(d)
        for b in range(n_blocks):
            blk = draw_block(shared, b, block_images, dets_per_image, crowd_frac, score_decimals,
                             seed)
            anns.write(gt_records(shared, blk, anns.n + 1))
            dets.write(det_records(shared, blk, numbers))
            if progress is not None:
                progress(b, n_blocks)
        g.write('], "categories": ' + json.dumps(categories) + "}")
        d.write("]")
    return anns.n, dets.n
