"""Seeded COCO-like segmentation and keypoint data sets for the COCO
benchmarks (``bench/coco_rivals.py``, presets segm* and keypoints*).

``make_segm``: instance segmentation.
    GT: blob-shaped polygons (a smooth star polygon of 8 to 32 vertices, two
    decimals like annotation tools), about 12 % of objects in two or three
    parts (occlusion), object sizes as ``detap.synth.make_coco`` (sqrt(area)
    log-normal, median ~50 px, all three COCO area ranges) in 480 x 640-ish
    images; ~1 % crowd regions stored as compressed RLE (a union of blobs);
    ``area`` is the mask's pixel area, ``bbox`` the polygon's extent.
    Results as Detectron2 writes them: ``segmentation`` a compressed RLE
    ``{"size": [h, w], "counts": "..."}`` (the polygon rasterized by
    ``pycocotools.mask.frPyObjects``), ``bbox`` the predicted box (float32,
    near the mask's extent; ``with_bbox=False`` omits it) and a float32
    ``score``.  About 60 % of results copy a GT object (all its parts) with
    a random scale, shift and vertex noise, so IoUs span 0..1; the rest are
    background blobs; ~0.1 % are empty masks (Mask R-CNN writes those for
    tiny boxes).
``make_keypoints``: person keypoints.
    GT: one category (person, 17 COCO keypoints and skeleton), 0 to ~10
    persons per image (many images without any), (x, y, v) integer
    keypoints with v in {0, 1, 2} (v = 0: x = y = 0), small persons mostly
    without keypoints (``num_keypoints`` 0, as in COCO), ~1 % crowd regions
    (RLE, no keypoints); a polygon ``segmentation`` and its ``area``.
    Results: ``image_id``, ``category_id`` 1, 51 float32 ``keypoints``
    (x, y, confidence) and a float32 ``score``, no ``bbox`` (pycocotools'
    ``loadRes`` derives it from the keypoints): noisy copies of GT persons
    (noise from 0.1 to 2.5 times COCO's per-keypoint sigmas, so
    OKS spans 0..1) and background persons.

Every float of the results is a float32 value written as ``json.dump``
writes ``np.float32(x).tolist()`` (the shortest repr of the double, up to
17 significant digits), as real detectors' outputs are.
"""
import numpy as np

from detap.synth import detections_on_gt

KEYPOINT_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                  "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                  "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
            [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
# where each keypoint sits in a standing person's box (x, y in 0..1)
POSE = np.array([[.50, .08], [.54, .06], [.46, .06], [.58, .08], [.42, .08], [.66, .22],
                 [.34, .22], [.74, .38], [.26, .38], [.78, .52], [.22, .52], [.60, .54],
                 [.40, .54], [.62, .74], [.38, .74], [.62, .95], [.38, .95]])
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87,
                   .89, .89]) / 10.0

# (height, width) of the images and how often each occurs (COCO-like)
IMAGE_SIZES = [(480, 640), (427, 640), (640, 480), (425, 640), (360, 640), (640, 427),
               (375, 500), (500, 375), (512, 512)]
SIZE_FREQ = [.34, .22, .12, .08, .08, .06, .04, .03, .03]


def _f32(a):
    """float32 values as Python floats (what ``json.dump`` writes of a
    detector's float32 tensor after ``.tolist()``)."""
    return np.asarray(a, dtype=np.float32).tolist()


def _images(rng, n_images):
    img_ids = np.sort(rng.choice(np.arange(1, 20 * n_images + 1), n_images, replace=False))
    hw = np.array(IMAGE_SIZES)[rng.choice(len(IMAGE_SIZES), n_images, p=SIZE_FREQ)]
    images = [{"id": int(img_ids[i]), "width": int(hw[i, 1]), "height": int(hw[i, 0]),
               "file_name": f"{img_ids[i]:012d}.jpg"} for i in range(n_images)]
    return img_ids, hw[:, 0].astype(float), hw[:, 1].astype(float), images


def blobs(rng, cx, cy, rx, ry, k):
    """(n, k, 2) vertices of n smooth star polygons (centres cx, cy; radii
    rx, ry; a random rotation and a few harmonics of wobble)."""
    n = len(cx)
    ang = (np.arange(k) + rng.uniform(-.3, .3, (n, k))) * (2 * np.pi / k)
    wob = np.ones((n, k))
    for h, amp in ((2, .12), (3, .08), (5, .04)):
        wob += amp * rng.standard_normal((n, 1)) * np.cos(h * ang + rng.uniform(0, 2 * np.pi, (n, 1)))
    wob = np.clip(wob + rng.normal(0, .03, (n, k)), .45, None)
    rot = rng.uniform(0, 2 * np.pi, (n, 1))
    ex, ey = rx[:, None] * wob * np.cos(ang), ry[:, None] * wob * np.sin(ang)
    x = cx[:, None] + ex * np.cos(rot) - ey * np.sin(rot)
    y = cy[:, None] + ex * np.sin(rot) + ey * np.cos(rot)
    return np.stack([x, y], -1)


def _object_parts(rng, n, W, H, side_mu=3.9, side_sd=0.9, multi_frac=0.12):
    """n objects as lists of parts, each part an (k, 2) vertex array, inside
    images of sizes W, H (arrays of length n); returns (parts, cx, cy, side)."""
    side = np.exp(rng.normal(side_mu, side_sd, n))
    aspect = np.exp(rng.normal(0, 0.45, n))
    rx = np.minimum(side * aspect, W * .9) / 2 / np.sqrt(np.pi / 4)
    ry = np.minimum(side / aspect, H * .9) / 2 / np.sqrt(np.pi / 4)
    cx = rx + rng.random(n) * np.maximum(W - 2 * rx, 1)
    cy = ry + rng.random(n) * np.maximum(H - 2 * ry, 1)
    n_parts = np.where(rng.random(n) < multi_frac, rng.integers(2, 4, n), 1)
    parts = [[] for _ in range(n)]
    ks = rng.choice([8, 12, 16, 24, 32], n)
    for k in (8, 12, 16, 24, 32):
        sel = np.flatnonzero(ks == k)
        if not len(sel):
            continue
        one = n_parts[sel] == 1
        s1 = sel[one]
        for i, poly in zip(s1, blobs(rng, cx[s1], cy[s1], rx[s1], ry[s1], k)):
            parts[i].append(poly)
        sm = sel[~one]
        for j in range(3):  # parts j of the multi-part objects: smaller blobs along an axis
            has = sm[n_parts[sm] > j]
            if not len(has):
                continue
            t = (j - (n_parts[has] - 1) / 2) * 0.9
            dx = t * rx[has] * np.cos(np.pi * 0.1 * j)
            dy = t * ry[has] * np.sin(np.pi * 0.3 * j)
            for i, poly in zip(has, blobs(rng, cx[has] + dx, cy[has] + dy, rx[has] * .55,
                                          ry[has] * .55, k)):
                parts[i].append(poly)
    return parts, cx, cy, side


def _clip(poly, w, h):
    return np.column_stack([np.clip(poly[:, 0], 0, w), np.clip(poly[:, 1], 0, h)])


def _flat(poly):
    return np.round(poly, 2).ravel().tolist()


def _rle_str(rle):
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def _crowd_rle(rng, mask, cx, cy, side, w, h):
    """A crowd region: the union of 3 to 6 blobs around (cx, cy), as
    compressed RLE (pycocotools.mask.encode-style counts)."""
    m = int(rng.integers(3, 7))
    ccx = np.clip(cx + rng.normal(0, side * .5, m), 0, w)
    ccy = np.clip(cy + rng.normal(0, side * .3, m), 0, h)
    r = np.full(m, side * .45)
    polys = [_flat(_clip(p, w, h)) for p in blobs(rng, ccx, ccy, r, r * .8, 16)]
    rle = mask.merge(mask.frPyObjects(polys, int(h), int(w)), intersect=0)
    return rle


def make_segm(n_images=100, n_categories=80, gt_per_image=7.3, dets_per_image=80,
              crowd_frac=0.01, hit_frac=0.6, empty_frac=0.001, with_bbox=True, seed=0):
    """(gt_dict, results_list) of instance segmentation (see the module doc)."""
    from pycocotools import mask
    rng = np.random.default_rng(seed)
    cat_ids = np.sort(rng.choice(np.arange(1, 3 * n_categories + 1), n_categories, replace=False))
    img_ids, H, W, images = _images(rng, n_images)
    freq = rng.dirichlet(np.full(n_categories, 0.7))
    n_gt = rng.poisson(gt_per_image, n_images)
    gi = np.repeat(np.arange(n_images), n_gt)
    gparts, gcx, gcy, gside = _object_parts(rng, len(gi), W[gi], H[gi])
    gcat = rng.choice(n_categories, len(gi), p=freq)
    crowd = rng.random(len(gi)) < crowd_frac
    n_dt = np.minimum(rng.poisson(dets_per_image * 0.9, n_images), 100)
    starts = np.concatenate([[0], np.cumsum(n_gt)])
    annotations, results = [], []
    empty = {}
    for i in range(n_images):
        h, w = H[i], W[i]
        hi, wi = int(h), int(w)
        own = range(starts[i], starts[i + 1])
        for g in own:
            if crowd[g]:
                rle = _crowd_rle(rng, mask, gcx[g], gcy[g], gside[g], w, h)
                seg = _rle_str(rle)
            else:
                polys = [_flat(_clip(p, w, h)) for p in gparts[g]]
                rle = mask.merge(mask.frPyObjects(polys, hi, wi), intersect=0)
                seg = polys
            if not crowd[g]:
                xy = np.concatenate(gparts[g])
                xy = _clip(xy, w, h)
                x0, y0 = xy.min(0)
                x1, y1 = xy.max(0)
                box = [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2),
                       round(float(y1 - y0), 2)]
            else:
                box = mask.toBbox(rle).tolist()
            annotations.append({"id": len(annotations) + 1, "image_id": int(img_ids[i]),
                                "category_id": int(cat_ids[gcat[g]]), "segmentation": seg,
                                "area": float(mask.area(rle)), "bbox": box,
                                "iscrowd": int(crowd[g])})
        nd = int(n_dt[i])
        if nd == 0:
            continue
        cand = [g for g in own if not crowd[g]]
        hit = (rng.random(nd) < hit_frac) & bool(cand)
        src = rng.choice(cand, nd) if cand else np.zeros(nd, int)
        n_bg = int((~hit).sum())
        bparts, _, _, _ = _object_parts(rng, n_bg, np.full(n_bg, w), np.full(n_bg, h),
                                        side_mu=3.7, side_sd=1.0, multi_frac=0.05)
        polys, owner = [], []
        cats = rng.choice(n_categories, nd, p=freq)
        b = 0
        for d in range(nd):
            if hit[d]:
                g = src[d]
                s = np.exp(rng.normal(0, .15))
                shift = rng.normal(0, .12 * gside[g], 2)
                c = np.array([gcx[g], gcy[g]])
                src_parts = gparts[g]
                if rng.random() < 0.9:
                    cats[d] = gcat[g]
                for p in src_parts:
                    q = c + (p - c) * s + shift + rng.normal(0, .03 * gside[g], p.shape)
                    polys.append(_flat(_clip(q, w, h)))
                    owner.append(d)
            else:
                for p in bparts[b]:
                    polys.append(_flat(_clip(p, w, h)))
                    owner.append(d)
                b += 1
        rles = mask.frPyObjects(polys, hi, wi)
        owner = np.array(owner)
        score = np.where(hit, rng.beta(4, 2, nd), rng.beta(1.2, 5, nd))
        for d in range(nd):
            idx = np.flatnonzero(owner == d)
            rle = rles[idx[0]] if len(idx) == 1 else mask.merge([rles[k] for k in idx], intersect=0)
            if rng.random() < empty_frac:
                if (hi, wi) not in empty:
                    empty[(hi, wi)] = mask.encode(np.zeros((hi, wi, 1), np.uint8, order="F"))[0]
                rle = empty[(hi, wi)]
            r = {"image_id": int(img_ids[i]), "category_id": int(cat_ids[cats[d]])}
            if with_bbox:
                bb = mask.toBbox(rle)
                jit = rng.normal(0, .03, 4) * max(bb[2], bb[3], 1.0)
                x0 = max(bb[0] + jit[0], 0.0)
                y0 = max(bb[1] + jit[1], 0.0)
                bw = max(min(bb[0] + bb[2] + jit[2], w) - x0, 0.5)
                bh = max(min(bb[1] + bb[3] + jit[3], h) - y0, 0.5)
                r["bbox"] = _f32([x0, y0, bw, bh])
            r["score"] = _f32(score[d])
            r["segmentation"] = _rle_str(rle)
            results.append(r)
    categories = [{"id": int(c), "name": f"class_{c}", "supercategory": "thing"} for c in cat_ids]
    return {"images": images, "annotations": annotations, "categories": categories}, results


def make_keypoints(n_images=100, persons_per_image=2.3, dets_per_image=20, crowd_frac=0.01,
                   seed=0):
    """(gt_dict, results_list) of person keypoints (see the module doc)."""
    from pycocotools import mask
    rng = np.random.default_rng(seed)
    img_ids, H, W, images = _images(rng, n_images)
    n_gt = rng.poisson(rng.gamma(0.7, persons_per_image / 0.7, n_images))
    gi = np.repeat(np.arange(n_images), n_gt)
    ng = len(gi)
    side = np.exp(rng.normal(4.0, 0.9, ng))           # sqrt(box area)
    aspect = np.exp(rng.normal(0.65, 0.25, ng))       # height / width ~ 2
    bw = np.minimum(side / np.sqrt(aspect), W[gi] - 2)
    bh = np.minimum(side * np.sqrt(aspect), H[gi] - 2)
    bx = rng.random(ng) * (W[gi] - bw)
    by = rng.random(ng) * (H[gi] - bh)
    crowd = rng.random(ng) < crowd_frac
    # keypoint positions: the pose scaled into the box, with limb-sized noise
    kx = bx[:, None] + bw[:, None] * (POSE[:, 0] + rng.normal(0, .06, (ng, 17)))
    ky = by[:, None] + bh[:, None] * (POSE[:, 1] + rng.normal(0, .03, (ng, 17)))
    kx = np.clip(np.round(kx), 0, W[gi, None] - 1)
    ky = np.clip(np.round(ky), 0, H[gi, None] - 1)
    vis = rng.choice([0, 1, 2], (ng, 17), p=[.25, .12, .63])
    small = np.sqrt(bw * bh) < 40
    none = (small & (rng.random(ng) < .7)) | (rng.random(ng) < .08) | crowd
    vis[none] = 0
    gpart = blobs(rng, bx + bw / 2, by + bh / 2, bw * .42, bh * .48, 12)
    annotations = []
    for g in range(ng):
        i = gi[g]
        w, h = W[i], H[i]
        if crowd[g]:
            rle = _crowd_rle(rng, mask, bx[g] + bw[g] / 2, by[g] + bh[g] / 2, side[g], w, h)
            seg = _rle_str(rle)
            box = mask.toBbox(rle).tolist()
        else:
            poly = _flat(_clip(gpart[g], w, h))
            rle = mask.frPyObjects([poly], int(h), int(w))[0]
            seg = [poly]
            box = [round(float(bx[g]), 2), round(float(by[g]), 2), round(float(bw[g]), 2),
                   round(float(bh[g]), 2)]
        v = vis[g]
        kp = np.stack([np.where(v > 0, kx[g], 0), np.where(v > 0, ky[g], 0), v], 1)
        annotations.append({"id": g + 1, "image_id": int(img_ids[i]), "category_id": 1,
                            "segmentation": seg, "area": float(mask.area(rle)), "bbox": box,
                            "iscrowd": int(crowd[g]), "num_keypoints": int((v > 0).sum()),
                            "keypoints": kp.astype(int).ravel().tolist()})

    # results: per image up to dets_per_image persons
    n_dt = np.minimum(rng.poisson(dets_per_image * 0.6, n_images), dets_per_image)
    di, hit, src = detections_on_gt(rng, n_gt, n_dt, 0.65)
    nd = len(di)
    # background persons
    s2 = np.exp(rng.normal(3.8, 0.9, nd))
    a2 = np.exp(rng.normal(0.65, 0.25, nd))
    w2 = np.minimum(s2 / np.sqrt(a2), W[di] - 2)
    h2 = np.minimum(s2 * np.sqrt(a2), H[di] - 2)
    x2 = rng.random(nd) * (W[di] - w2)
    y2 = rng.random(nd) * (H[di] - h2)
    dx = x2[:, None] + w2[:, None] * (POSE[:, 0] + rng.normal(0, .08, (nd, 17)))
    dy = y2[:, None] + h2[:, None] * (POSE[:, 1] + rng.normal(0, .05, (nd, 17)))
    if ng:
        # hits: the GT person's keypoints (where unlabelled: where the pose
        # puts them) plus noise of f * sigma * scale, f log-uniform
        scale = np.sqrt(bw[src] * bh[src] * .55)[:, None]
        f = np.exp(rng.uniform(np.log(.1), np.log(2.5), (nd, 1)))
        noise = rng.standard_normal((nd, 17, 2)) * (f * scale * 2 * SIGMAS)[..., None]
        hx = np.where(vis[src] > 0, kx[src], bx[src, None] + bw[src, None] * POSE[:, 0])
        hy = np.where(vis[src] > 0, ky[src], by[src, None] + bh[src, None] * POSE[:, 1])
        dx = np.where(hit[:, None], hx + noise[..., 0], dx)
        dy = np.where(hit[:, None], hy + noise[..., 1], dy)
    dx = np.clip(dx, 0, W[di, None] - 1)
    dy = np.clip(dy, 0, H[di, None] - 1)
    conf = rng.beta(3, 2, (nd, 17))
    score = np.where(hit, rng.beta(4, 2, nd), rng.beta(1.2, 4, nd))
    kps = np.stack([dx, dy, conf], 2).astype(np.float32).reshape(nd, 51)
    score = score.astype(np.float32)
    results = [{"image_id": int(img_ids[di[k]]), "category_id": 1, "keypoints": kps[k].tolist(),
                "score": float(score[k])} for k in range(nd)]
    categories = [{"id": 1, "name": "person", "supercategory": "person",
                   "keypoints": list(KEYPOINT_NAMES), "skeleton": [list(s) for s in SKELETON]}]
    return {"images": images, "annotations": annotations, "categories": categories}, results
