"""Seeded synthetic detection data sets, for tests, benchmarks and demos.

``make_voc_arrays`` draws ground truth and detections with a realistic
structure (detections are jittered copies of GT plus background false
positives; scores rounded so that ties occur as with real detectors).
``write_voc`` writes them in the py-faster-rcnn layout:

    root/Annotations/<id>.xml
    root/ImageSets/Main/<imageset>.txt
    root/results/det_<imageset>_<class>.txt   (image_id score x1 y1 x2 y2)

Boxes are integer pixel corners [x1, y1, x2, y2] (VOC's inclusive convention).
"""
import os
from dataclasses import dataclass

import numpy as np

VOC_CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
               "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
               "pottedplant", "sheep", "sofa", "train", "tvmonitor")


@dataclass
class SynthVOC:
    """names (n_images,) ids; classes; gt_* and det_* columns (class index, image index)."""
    names: list
    classes: tuple
    width: np.ndarray
    height: np.ndarray
    gt_img: np.ndarray
    gt_cls: np.ndarray
    gt_boxes: np.ndarray
    gt_difficult: np.ndarray
    det_img: np.ndarray
    det_cls: np.ndarray
    det_boxes: np.ndarray
    det_scores: np.ndarray

    def to_dataset(self):
        """The same data as a ``detap.formats.Dataset`` (xyxy pixels)."""
        from .formats.dataset import Dataset
        return Dataset(images=self.names, classes=list(self.classes), gt_boxes=self.gt_boxes,
                       gt_image=self.gt_img, gt_label=self.gt_cls, gt_difficult=self.gt_difficult,
                       det_boxes=self.det_boxes, det_image=self.det_img, det_label=self.det_cls,
                       det_scores=self.det_scores)


def _clip_boxes(b, w, h):
    b[:, 0] = np.clip(b[:, 0], 1, w - 1)
    b[:, 1] = np.clip(b[:, 1], 1, h - 1)
    b[:, 2] = np.clip(b[:, 2], b[:, 0], w)
    b[:, 3] = np.clip(b[:, 3], b[:, 1], h)
    return b


def make_voc_arrays(n_images=100, classes=VOC_CLASSES, gt_per_image=2.5, n_det=None,
                    difficult_frac=0.1, score_decimals=3, seed=0):
    """Draw a data set.  ``n_det`` total detections (default ~6 per GT)."""
    rng = np.random.default_rng(seed)
    nc = len(classes)
    w = rng.integers(300, 640, n_images)
    h = rng.integers(300, 640, n_images)
    counts = rng.poisson(gt_per_image, n_images)
    gt_img = np.repeat(np.arange(n_images), counts)
    ng = len(gt_img)
    # class frequencies vary like real data sets (a few common classes)
    freq = rng.dirichlet(np.full(nc, 0.8))
    gt_cls = rng.choice(nc, ng, p=freq)
    gw, gh = w[gt_img], h[gt_img]
    bw = np.maximum(8, (rng.beta(1.5, 3, ng) * gw)).astype(np.int64)
    bh = np.maximum(8, (rng.beta(1.5, 3, ng) * gh)).astype(np.int64)
    x1 = (rng.random(ng) * (gw - bw)).astype(np.int64) + 1
    y1 = (rng.random(ng) * (gh - bh)).astype(np.int64) + 1
    gt_boxes = np.stack([x1, y1, x1 + bw - 1, y1 + bh - 1], 1).astype(np.float64)
    gt_difficult = rng.random(ng) < difficult_frac
    if n_det is None:
        n_det = max(1, 6 * ng)
    # ~60 %: jittered GT copies (true and duplicate hits), the rest background
    n_hit = int(0.6 * n_det) if ng else 0
    src = rng.integers(0, max(ng, 1), n_hit)
    jit = rng.normal(0, 0.12, (n_hit, 4)) * np.stack([bw[src], bh[src]] * 2, 1) if ng else np.zeros((0, 4))
    hit_boxes = np.rint(gt_boxes[src] + jit) if ng else np.zeros((0, 4))
    hit_img = gt_img[src] if ng else np.zeros(0, np.int64)
    hit_cls = np.where(rng.random(n_hit) < 0.9, gt_cls[src] if ng else 0, rng.integers(0, nc, n_hit))
    hit_score = np.clip(rng.beta(5, 2, n_hit), 0, 1)
    n_bg = n_det - n_hit
    bg_img = rng.integers(0, n_images, n_bg)
    bww = np.maximum(8, rng.beta(1.5, 3, n_bg) * w[bg_img]).astype(np.int64)
    bhh = np.maximum(8, rng.beta(1.5, 3, n_bg) * h[bg_img]).astype(np.int64)
    bx = (rng.random(n_bg) * (w[bg_img] - bww)).astype(np.int64) + 1
    by = (rng.random(n_bg) * (h[bg_img] - bhh)).astype(np.int64) + 1
    bg_boxes = np.stack([bx, by, bx + bww - 1, by + bhh - 1], 1).astype(np.float64)
    det_img = np.concatenate([hit_img, bg_img]).astype(np.int64)
    det_cls = np.concatenate([hit_cls, rng.integers(0, nc, n_bg)]).astype(np.int64)
    det_boxes = _clip_boxes(np.concatenate([hit_boxes, bg_boxes]), w[det_img], h[det_img])
    det_scores = np.round(np.concatenate([hit_score, rng.beta(2, 5, n_bg)]), score_decimals)
    perm = rng.permutation(n_det)
    return SynthVOC(names=[f"{i:06d}" for i in range(n_images)], classes=tuple(classes),
                    width=w, height=h, gt_img=gt_img, gt_cls=gt_cls, gt_boxes=gt_boxes,
                    gt_difficult=gt_difficult, det_img=det_img[perm], det_cls=det_cls[perm],
                    det_boxes=det_boxes[perm], det_scores=det_scores[perm])


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def write_voc(data, root, imageset="test", score_format="{:.3f}"):
    """Write ``data`` in the py-faster-rcnn layout; returns
    (detpath, annopath, imagesetfile) templates for voc_eval."""
    ann_dir = os.path.join(root, "Annotations")
    set_dir = os.path.join(root, "ImageSets", "Main")
    res_dir = os.path.join(root, "results")
    for d in (ann_dir, set_dir, res_dir):
        os.makedirs(d, exist_ok=True)
    order = np.argsort(data.gt_img, kind="stable")
    starts = np.searchsorted(data.gt_img[order], np.arange(len(data.names) + 1))
    for i, name in enumerate(data.names):
        objs = []
        for k in order[starts[i]:starts[i + 1]]:
            b = data.gt_boxes[k]
            objs.append(
                "  <object>\n"
                f"    <name>{data.classes[data.gt_cls[k]]}</name>\n"
                "    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n"
                f"    <difficult>{int(data.gt_difficult[k])}</difficult>\n"
                "    <bndbox>\n"
                f"      <xmin>{_fmt(b[0])}</xmin>\n      <ymin>{_fmt(b[1])}</ymin>\n"
                f"      <xmax>{_fmt(b[2])}</xmax>\n      <ymax>{_fmt(b[3])}</ymax>\n"
                "    </bndbox>\n  </object>\n")
        with open(os.path.join(ann_dir, f"{name}.xml"), "w") as f:
            f.write(f"<annotation>\n  <filename>{name}.jpg</filename>\n"
                    f"  <size><width>{data.width[i]}</width><height>{data.height[i]}</height>"
                    f"<depth>3</depth></size>\n{''.join(objs)}</annotation>\n")
    with open(os.path.join(set_dir, f"{imageset}.txt"), "w") as f:
        f.write("".join(n + "\n" for n in data.names))
    for c, cname in enumerate(data.classes):
        sel = np.flatnonzero(data.det_cls == c)
        with open(os.path.join(res_dir, f"det_{imageset}_{cname}.txt"), "w") as f:
            f.write("".join(
                f"{data.names[data.det_img[k]]} {score_format.format(data.det_scores[k])} "
                f"{_fmt(data.det_boxes[k, 0])} {_fmt(data.det_boxes[k, 1])} "
                f"{_fmt(data.det_boxes[k, 2])} {_fmt(data.det_boxes[k, 3])}\n" for k in sel))
    return (os.path.join(res_dir, f"det_{imageset}_{{}}.txt"),
            os.path.join(ann_dir, "{}.xml"),
            os.path.join(set_dir, f"{imageset}.txt"))


# ----------------------------------------------------------------- COCO format

COCO_PRESETS = {
    # COCO val2017-like: 5,000 images, 80 categories, ~36k GT, <= 100 dets/image
    "coco": dict(n_images=5000, n_categories=80, gt_per_image=7.3, dets_per_image=100),
    # Objects365-like: 80,000 images, 365 categories, ~1.2M detections
    "objects365": dict(n_images=80000, n_categories=365, gt_per_image=12.0, dets_per_image=19),
}


def detections_on_gt(rng, n_gt, n_dt, hit_frac):
    """Place ``n_dt[i]`` detections on image i, which has ``n_gt[i]`` GT
    (stored image by image): (image index, hit, GT index) per detection,
    where a hit (probability ``hit_frac`` on an image with GT) sits on a
    random GT of its image; the GT index is 0 where not a hit."""
    di = np.repeat(np.arange(len(n_gt)), n_dt)
    starts = np.concatenate([[0], np.cumsum(n_gt)])
    hit = (n_gt[di] > 0) & (rng.random(len(di)) < hit_frac)
    src = starts[di] + (rng.random(len(di)) * np.maximum(n_gt[di], 1)).astype(np.int64)
    return di, hit, np.where(hit, src, 0)


def coco_images(rng, n_images, gt_per_image):
    """(W, H, n_gt) of ``n_images`` images: widths 320-640 px and heights
    240-480 px (float64) and a Poisson(``gt_per_image``) count of GT objects
    per image (the first draws of ``make_coco`` after the ids)."""
    W = rng.integers(320, 641, n_images).astype(float)
    H = rng.integers(240, 481, n_images).astype(float)
    return W, H, rng.poisson(gt_per_image, n_images)


def coco_gt_arrays(rng, W, H, n_gt, freq, crowd_frac):
    """GT objects of images of sizes ``W`` x ``H`` px with ``n_gt`` objects
    each, categories drawn with probabilities ``freq``: (image index,
    category index, [x, y, w, h] boxes in px with two decimals, area in px^2
    with two decimals, crowd flags), stored image by image."""
    gi = np.repeat(np.arange(len(n_gt)), n_gt)
    ng = len(gi)
    gc = rng.choice(len(freq), ng, p=freq)
    side = np.exp(rng.normal(3.9, 0.9, ng))  # sqrt(area): median ~50 px
    aspect = np.exp(rng.normal(0, 0.5, ng))
    w = np.minimum(side * aspect, W[gi] - 1)
    h = np.minimum(side / aspect, H[gi] - 1)
    x = rng.random(ng) * (W[gi] - w)
    y = rng.random(ng) * (H[gi] - h)
    gb = np.round(np.stack([x, y, w, h], 1), 2)
    crowd = rng.random(ng) < crowd_frac
    area = np.round(gb[:, 2] * gb[:, 3] * rng.uniform(0.45, 0.9, ng), 2)
    return gi, gc, gb, area, crowd


def coco_det_arrays(rng, W, H, n_gt, gc, gb, freq, dets_per_image, score_decimals):
    """Detections on the images of ``coco_gt_arrays`` (whose categories
    ``gc`` and boxes ``gb`` they copy): (image index, category index,
    [x, y, w, h] boxes in px with two decimals, scores rounded to
    ``score_decimals``), image by image, at most ``dets_per_image`` each."""
    ng = len(gc)
    n_dt = np.minimum(rng.poisson(dets_per_image * 0.8, len(n_gt)), dets_per_image)
    # about 70 % of an image's detections sit on its GT (several per object)
    di, hit, src = detections_on_gt(rng, n_gt, n_dt, 0.7)
    nd = len(di)
    db = np.empty((nd, 4))
    dc = rng.choice(len(freq), nd, p=freq)
    if ng:
        s = gb[src]
        jit = rng.normal(0, 0.1, (nd, 4)) * np.stack([s[:, 2], s[:, 3]] * 2, 1)
        jb = s + jit
        db[hit] = jb[hit]
        dc = np.where(hit & (rng.random(nd) < 0.9), gc[src], dc)
    side = np.exp(rng.normal(3.7, 1.0, nd))
    aspect = np.exp(rng.normal(0, 0.5, nd))
    bw = np.minimum(side * aspect, W[di] - 1)
    bh = np.minimum(side / aspect, H[di] - 1)
    bg = np.stack([rng.random(nd) * (W[di] - bw), rng.random(nd) * (H[di] - bh), bw, bh], 1)
    db[~hit] = bg[~hit]
    db[:, 2] = np.maximum(db[:, 2], 1.0)
    db[:, 3] = np.maximum(db[:, 3], 1.0)
    db = np.round(db, 2)
    score = np.where(hit, rng.beta(4, 2, nd), rng.beta(1.2, 5, nd))
    return di, dc, db, np.round(score, score_decimals)


def make_coco(n_images=100, n_categories=10, gt_per_image=7.3, dets_per_image=100,
              crowd_frac=0.01, score_decimals=3, seed=0):
    """COCO-format (gt_dict, results_list) with realistic structure.

    Boxes are [x, y, w, h] floats (two decimals, like real annotation tools);
    GT ``area`` is a segmentation-like area (a random 45-90 % of the box), so
    that area ranges do not simply follow the box; sizes span COCO's small,
    medium and large ranges; ~``crowd_frac`` of GT are crowd regions; each
    image has at most ``dets_per_image`` detections (about 70 % jittered
    copies of its GT, the rest background), scores rounded to
    ``score_decimals`` so ties occur as with real detectors.  Category and
    image ids are non-contiguous, as in COCO.  The arrays come from
    ``coco_images``, ``coco_gt_arrays`` and ``coco_det_arrays`` (usable
    block by block for data sets too large for one list of dicts).
    """
    rng = np.random.default_rng(seed)
    cat_ids = np.sort(rng.choice(np.arange(1, 3 * n_categories + 1), n_categories, replace=False))
    img_ids = np.sort(rng.choice(np.arange(1, 20 * n_images + 1), n_images, replace=False))
    W, H, n_gt = coco_images(rng, n_images, gt_per_image)
    freq = rng.dirichlet(np.full(n_categories, 0.7))
    gi, gc, gb, area, crowd = coco_gt_arrays(rng, W, H, n_gt, freq, crowd_frac)
    images = [{"id": int(img_ids[i]), "width": int(W[i]), "height": int(H[i]),
               "file_name": f"{img_ids[i]:012d}.jpg"} for i in range(n_images)]
    categories = [{"id": int(c), "name": f"class_{c}", "supercategory": "thing"} for c in cat_ids]
    annotations = [{"id": k + 1, "image_id": int(img_ids[gi[k]]), "category_id": int(cat_ids[gc[k]]),
                    "bbox": gb[k].tolist(), "area": float(area[k]), "iscrowd": int(crowd[k])}
                   for k in range(len(gi))]
    gt = {"images": images, "annotations": annotations, "categories": categories}
    di, dc, db, score = coco_det_arrays(rng, W, H, n_gt, gc, gb, freq, dets_per_image,
                                        score_decimals)
    results = [{"image_id": int(img_ids[di[k]]), "category_id": int(cat_ids[dc[k]]),
                "bbox": db[k].tolist(), "score": float(score[k])} for k in range(len(di))]
    return gt, results
