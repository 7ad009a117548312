"""tidecv (PyPI, the oracle) run on a detap ``Scene``, and random scenes.

tidecv 1.0.1 imports cv2 and reads a GT ``segmentation`` when it loads a
COCO file (``tidecv.datasets.COCO``) even in box mode; its users pass
polygons of the boxes, as ``coco_files`` does.  Its ``Data`` API takes the
boxes directly (``tidecv_on_scene``)."""
import json
import os

import numpy as np

from detap.analysis.scene import Scene


def tidecv_on_scene(scene, pos=0.5, bg=0.1, max_dets=100):
    """tidecv's (ap, main, special, counts) on ``scene``, images in index order."""
    return tidecv_run(*tidecv_data(scene, max_dets), pos, bg)


def tidecv_data(scene, max_dets=100):
    """tidecv's (gt, dt) ``Data`` of ``scene``, images in index order."""
    from tidecv import Data
    gt, dt = Data("gt", max_dets=max_dets), Data("dt")
    for i in range(scene.n_images):
        gt.add_image(i, f"img{i}")
    for k in range(len(scene.classes)):
        gt.add_class(k, str(k))
    for b, i, k, ig in zip(scene.gt_box.tolist(), scene.gt_image.tolist(), scene.gt_label.tolist(),
                           scene.gt_ignore.tolist()):
        if ig:
            gt.add_ignore_region(i, k, box=b)
        else:
            gt.add_ground_truth(i, k, box=b)
    for b, i, k, s in zip(scene.dt_box.tolist(), scene.dt_image.tolist(), scene.dt_label.tolist(),
                          scene.dt_score.tolist()):
        dt.add_detection(i, k, s, box=b)
    return gt, dt


def tidecv_run(gt, dt, pos=0.5, bg=0.1):
    """(ap, main, special, counts) of tidecv on its ``Data`` objects."""
    from tidecv import TIDE
    tide = TIDE(pos_threshold=pos, background_threshold=bg)
    run = tide.evaluate(gt, dt, mode=TIDE.BOX, name="dt")
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
