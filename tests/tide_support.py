"""tidecv (PyPI, the oracle) run on a detap ``Scene``, and random scenes.

tidecv 1.0.1 imports cv2 and reads a GT ``segmentation`` when it loads a
COCO file (``tidecv.datasets.COCO``) even in box mode; its users pass
polygons of the boxes, as ``coco_files`` does.  Its ``Data`` API takes the
boxes directly (``tidecv_on_scene``)."""
import json
import os

import numpy as np

from detap.analysis.scene import Scene


def tidecv_on_scene(scene, pos=0.5, bg=0.1, max_dets=100, masks=None):
    """tidecv's (ap, main, special, counts) on ``scene``, images in index
    order; ``masks``: (GT, detection) RLE dicts, run in tidecv's mask mode."""
    return tidecv_run(*tidecv_data(scene, max_dets, masks), pos, bg,
                      mode="box" if masks is None else "mask")


def tidecv_data(scene, max_dets=100, masks=None):
    """tidecv's (gt, dt) ``Data`` of ``scene``, images in index order
    (``masks``: each row's mask; whole-image regions get no box nor mask)."""
    from tidecv import Data
    gt, dt = Data("gt", max_dets=max_dets), Data("dt")
    for i in range(scene.n_images):
        gt.add_image(i, f"img{i}")
    for k in range(len(scene.classes)):
        gt.add_class(k, str(k))
    gm, dm = masks if masks is not None else ([None] * len(scene.gt_box), [None] * len(scene.dt_box))
    whole = scene.gt_whole if scene.gt_whole is not None else np.zeros(len(scene.gt_box), bool)
    for b, i, k, ig, m, w in zip(scene.gt_box.tolist(), scene.gt_image.tolist(), scene.gt_label.tolist(),
                                 scene.gt_ignore.tolist(), gm, whole.tolist()):
        if w:
            gt.add_ignore_region(i, k)
        elif ig:
            gt.add_ignore_region(i, k, box=b, mask=m)
        else:
            gt.add_ground_truth(i, k, box=b, mask=m)
    for b, i, k, s, m in zip(scene.dt_box.tolist(), scene.dt_image.tolist(), scene.dt_label.tolist(),
                             scene.dt_score.tolist(), dm):
        dt.add_detection(i, k, s, box=b, mask=m)
    return gt, dt


def tidecv_run(gt, dt, pos=0.5, bg=0.1, mode="box"):
    """(ap, main, special, counts) of tidecv on its ``Data`` objects."""
    from tidecv import TIDE
    tide = TIDE(pos_threshold=pos, background_threshold=bg)
    run = tide.evaluate(gt, dt, mode=TIDE.BOX if mode == "box" else TIDE.MASK, name="dt")
    errs = tide.get_all_errors()
    counts = {e.short_name: n for e, n in run.count_errors().items()}
    return run.ap, errs["main"]["dt"], errs["special"]["dt"], counts


def coco_files(scene, directory):
    """``scene`` as a COCO GT file (box polygons as segmentation, image
    sizes) and a results file; (gt path, dt path)."""
    imgs = [{"id": i + 1, "file_name": f"{i}.jpg", "width": 2000, "height": 2000}
            for i in range(scene.n_images)]
    anns = []
    for n, (b, i, k, ig) in enumerate(zip(scene.gt_box.tolist(), scene.gt_image.tolist(),
                                          scene.gt_label.tolist(), scene.gt_ignore.tolist())):
        x, y, w, h = b
        anns.append({"id": n + 1, "image_id": i + 1, "category_id": k + 1, "bbox": b,
                     "area": w * h, "iscrowd": int(ig),
                     "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]})
    cats = [{"id": k + 1, "name": str(c)} for k, c in enumerate(scene.classes)]
    res = [{"image_id": i + 1, "category_id": k + 1, "bbox": b, "score": s}
           for b, i, k, s in zip(scene.dt_box.tolist(), scene.dt_image.tolist(),
                                 scene.dt_label.tolist(), scene.dt_score.tolist())]
    gp, dp = os.path.join(directory, "gt.json"), os.path.join(directory, "dt.json")
    with open(gp, "w") as f:
        json.dump({"images": imgs, "annotations": anns, "categories": cats}, f)
    with open(dp, "w") as f:
        json.dump(res, f)
    return gp, dp


def random_scene(rng, n_images=6, n_classes=4, max_gt=6, max_dt=12, ties=False, grid=False):
    """Random boxes with overlaps at every IoU, crowd regions, empty images,
    classes with only GT or only detections; ``ties``: scores from a few
    values; ``grid``: coordinates on a coarse grid (equal IoUs)."""
    gt_rows, dt_rows = [], []
    for i in range(n_images):
        ng = int(rng.integers(0, max_gt + 1))
        for _ in range(ng):
            x, y = rng.integers(0, 60, 2) * (5 if grid else 1) + (0 if grid else rng.random(2))
            w, h = rng.integers(5, 40, 2) * (1 if grid else 1.0) + (0 if grid else rng.random(2))
            gt_rows.append((i, [float(x), float(y), float(w), float(h)], int(rng.integers(n_classes)),
                            bool(rng.random() < 0.1)))
        nd = int(rng.integers(0, max_dt + 1))
        for _ in range(nd):
            if gt_rows and rng.random() < 0.7 and gt_rows[-1][0] == i:
                mine = [g for g in gt_rows if g[0] == i]
                b = list(mine[int(rng.integers(len(mine)))][1])
                j = rng.normal(0, 4 if not grid else 0, 4) if not grid else rng.integers(-2, 3, 4) * 2
                b = [b[0] + j[0], b[1] + j[1], max(1.0, b[2] + j[2]), max(1.0, b[3] + j[3])]
            else:
                x, y = rng.integers(0, 60, 2) * (5 if grid else 1)
                b = [float(x), float(y), float(rng.integers(5, 40)), float(rng.integers(5, 40))]
            s = float(rng.integers(0, 4)) / 4 if ties else float(rng.random())
            dt_rows.append((i, [float(v) for v in b], int(rng.integers(n_classes)), s))
    return Scene(n_images=n_images, classes=[f"c{k}" for k in range(n_classes)],
                 gt_box=np.array([g[1] for g in gt_rows]).reshape(-1, 4),
                 gt_image=[g[0] for g in gt_rows], gt_label=[g[2] for g in gt_rows],
                 gt_ignore=[g[3] for g in gt_rows],
                 dt_box=np.array([d[1] for d in dt_rows]).reshape(-1, 4),
                 dt_image=[d[0] for d in dt_rows], dt_label=[d[2] for d in dt_rows],
                 dt_score=[d[3] for d in dt_rows])


def mask_scene(scene, rng, h=160, w=160):
    """``scene`` with a mask per box (its pixels, some cleared at random, so
    mask IoU is not box IoU; a box outside the image gives an empty mask):
    (the scene with ``Shapes("segm")``, (GT RLEs, detection RLEs))."""
    from pycocotools import mask as cmask
    from detap.analysis.scene import Shapes
    from detap.coco.masks import mask_columns

    def rles(boxes):
        out = []
        for x, y, bw, bh in boxes.tolist():
            m = np.zeros((h, w), np.uint8)
            m[max(0, int(y)):max(0, int(y + bh)), max(0, int(x)):max(0, int(x + bw))] = 1
            m &= (rng.random((h, w)) > rng.choice([0.0, 0.2, 0.5])).astype(np.uint8)
            r = cmask.encode(np.asfortranarray(m))
            r["counts"] = r["counts"].decode()
            out.append(r)
        return out
    g, d = rles(scene.gt_box), rles(scene.dt_box)
    gm = mask_columns(g, [0] * len(g), {}, "gt")
    dm = mask_columns(d, [0] * len(d), {}, "dt")
    sc = Scene(**{k: getattr(scene, k) for k in ("n_images", "classes", "gt_box", "gt_image", "gt_label",
                                                  "gt_ignore", "dt_box", "dt_image", "dt_label", "dt_score")},
               shapes=Shapes("segm", gm, dm))
    return sc, (g, d)


SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89,
                   .89]) / 10.0


def oks_transcription(dts, gts, vars_):
    """pycocotools' computeOks, written out: dts, gts lists of
    {"keypoints": (3K,), "bbox": xywh, "area": float}; (D, G) float64."""
    ious = np.zeros((len(dts), len(gts)))
    k = len(vars_)
    for j, gt in enumerate(gts):
        g = np.asarray(gt["keypoints"], float)
        xg, yg, vg = g[0::3], g[1::3], g[2::3]
        k1 = np.count_nonzero(vg > 0)
        bb = gt["bbox"]
        x0, x1 = bb[0] - bb[2], bb[0] + bb[2] * 2
        y0, y1 = bb[1] - bb[3], bb[1] + bb[3] * 2
        for i, dt in enumerate(dts):
            d = np.asarray(dt["keypoints"], float)
            xd, yd = d[0::3], d[1::3]
            if k1 > 0:
                dx, dy = xd - xg, yd - yg
            else:
                z = np.zeros(k)
                dx = np.max((z, x0 - xd), axis=0) + np.max((z, xd - x1), axis=0)
                dy = np.max((z, y0 - yd), axis=0) + np.max((z, yd - y1), axis=0)
            e = (dx ** 2 + dy ** 2) / vars_ / (gt["area"] + np.spacing(1)) / 2
            if k1 > 0:
                e = e[vg > 0]
            ious[i, j] = np.sum(np.exp(-e)) / e.shape[0]
    return ious


def keypoint_scene(scene, rng):
    """``scene`` with 17 keypoints per box (some unlabelled, some GT with
    none: ignored, as pycocotools does, and compared by its box rule) and GT
    areas: (the scene with
    ``Shapes("keypoints")``, (GT records, detection records) for
    ``tidecv_with_oks``)."""
    from detap.analysis.scene import Shapes

    def kpts(boxes, gt):
        out = np.zeros((len(boxes), 51))
        for n, (x, y, bw, bh) in enumerate(boxes.tolist()):
            out[n, 0::3] = x + rng.random(17) * bw
            out[n, 1::3] = y + rng.random(17) * bh
            out[n, 2::3] = (rng.random(17) < (0.0 if gt and rng.random() < 0.15 else 0.8)) * 2
        return out
    gk, dk = kpts(scene.gt_box, True), kpts(scene.dt_box, False)
    # a detection on a GT (the same image, box IoU > 0.3) takes its points,
    # moved by up to a fraction of the box: OKS at every level
    from pycocotools import mask as cmask
    for n in range(len(dk)):
        g = np.flatnonzero(scene.gt_image == scene.dt_image[n])
        if not len(g):
            continue
        iou = np.asarray(cmask.iou([scene.dt_box[n].tolist()], scene.gt_box[g].tolist(),
                                   [0] * len(g))).reshape(-1)
        if iou.max() > 0.3:
            j = g[int(np.argmax(iou))]
            spread = rng.choice([0.0, 0.05, 0.15, 0.4]) * scene.gt_box[j, 2:].mean()
            dk[n, 0::3] = gk[j, 0::3] + rng.normal(0, spread + 1e-9, 17)
            dk[n, 1::3] = gk[j, 1::3] + rng.normal(0, spread + 1e-9, 17)
    area = scene.gt_box[:, 2] * scene.gt_box[:, 3] * rng.uniform(0.3, 1.0, len(scene.gt_box))
    vars_ = (SIGMAS * 2) ** 2
    keep = {k: getattr(scene, k) for k in ("n_images", "classes", "gt_box", "gt_image", "gt_label",
                                           "dt_box", "dt_image", "dt_label", "dt_score")}
    # pycocotools ignores a GT without labelled points (its OKS is the box rule)
    sc = Scene(**keep, gt_ignore=scene.gt_ignore | ~(gk[:, 2::3] > 0).any(1),
               shapes=Shapes("keypoints", gk, dk, area, vars_))
    g = [{"keypoints": gk[n], "bbox": scene.gt_box[n].tolist(), "area": float(area[n])}
         for n in range(len(gk))]
    d = [{"keypoints": dk[n]} for n in range(len(dk))]
    return sc, (g, d)


class _OksUtils:
    """What tidecv's quantify reads of pycocotools.mask (``iou``), with OKS
    in place of the IoU: TIDE with OKS is tidecv with this one change."""

    def __init__(self, vars_):
        self.vars = vars_

    def iou(self, dts, gts, iscrowd):
        if not len(dts) or not len(gts):
            return []
        return oks_transcription(dts, gts, self.vars)


def tidecv_with_oks(scene, records, pos=0.5, bg=0.1, max_dets=100):
    """tidecv's (ap, main, special, counts) on a keypoint scene, its mask
    mode reading keypoint records and comparing them with OKS."""
    import tidecv.quantify as q
    saved = q.mask_utils
    q.mask_utils = _OksUtils((SIGMAS * 2) ** 2)
    try:
        return tidecv_run(*tidecv_data(scene, max_dets, records), pos, bg, mode="mask")
    finally:
        q.mask_utils = saved
