"""COCO evaluation straight from arrays: no JSON, no dicts."""
import numpy as np

from ..errors import DetapInputError
from .cocoeval import COCOeval
from .columns import Columns, box_area, check_finite
from .obb import check_obb

__all__ = ["columns_from_arrays", "evaluate_arrays"]


def columns_from_arrays(gt_image_id, gt_category_id, gt_bbox, gt_area=None, gt_iscrowd=None,
                        *, dt_image_id, dt_category_id, dt_bbox, dt_score, gt_id=None,
                        gt_obb=None, dt_obb=None):
    """(gt, dt) ``Columns`` from arrays, checked: finite boxes of
    non-negative size, finite scores, one value per box.  Boxes are (N, 4)
    [x, y, w, h] pixels; ``gt_area`` defaults to w * h, ``gt_iscrowd`` to
    zeros, annotation ids to 1..N in array order (``gt_id`` overrides GT's).
    ``gt_obb`` and ``dt_obb``: (N, 5) rotated boxes [cx, cy, w, h, angle]
    for iouType "obb" (the boxes are then their extents, for reports); a
    detection's area is then its obb's w * h, as hotcoco's loadRes sets."""
    gb = np.ascontiguousarray(gt_bbox, dtype=np.float64).reshape(-1, 4)
    db = np.ascontiguousarray(dt_bbox, dtype=np.float64).reshape(-1, 4)
    check_finite(gb, "bbox", "gt_bbox", nonneg_wh=True)
    check_finite(db, "bbox", "dt_bbox", nonneg_wh=True)
    ng, nd = len(gb), len(db)
    area = box_area(gb) if gt_area is None else np.asarray(gt_area, dtype=np.float64).reshape(-1)
    iscrowd = np.zeros(ng, np.int64) if gt_iscrowd is None else np.asarray(gt_iscrowd).reshape(-1)
    score = np.asarray(dt_score, dtype=np.float64).reshape(-1)
    check_finite(score, "score", "dt_score")
    gt = Columns(np.asarray(gt_image_id, np.int64).reshape(-1), np.asarray(gt_category_id, np.int64).reshape(-1),
                 np.arange(1, ng + 1, dtype=np.int64) if gt_id is None else np.asarray(gt_id, np.int64),
                 gb, area, (iscrowd.astype(np.int64) != 0).astype(np.uint8),
                 iscrowd.astype(bool).astype(np.uint8))
    dt = Columns(np.asarray(dt_image_id, np.int64).reshape(-1), np.asarray(dt_category_id, np.int64).reshape(-1),
                 np.arange(1, nd + 1, dtype=np.int64), db, box_area(db),
                 np.zeros(nd, np.uint8), np.zeros(nd, np.uint8), score)
    if gt_obb is not None:
        gt.obb, dt.obb = (check_obb(np.ascontiguousarray(o, np.float64).reshape(-1, 5), name)
                          for o, name in ((gt_obb, "gt_obb"), (dt_obb, "dt_obb")))
        dt.area = dt.obb[:, 2] * dt.obb[:, 3]
        if len(gt.obb) != ng or len(dt.obb) != nd:
            raise DetapInputError("gt_obb and dt_obb must hold one rotated box per box")
    for name, c, n in (("gt", gt, ng), ("dt", dt, nd)):
        for field in ("image_id", "category_id", "area", "id"):
            if len(getattr(c, field)) != n:
                raise DetapInputError(f"{name}_{field} has {len(getattr(c, field))} values for {n} boxes")
    if len(score) != nd:
        raise DetapInputError(f"dt_score has {len(score)} values for {nd} boxes")
    return gt, dt


def evaluate_arrays(gt_image_id, gt_category_id, gt_bbox, gt_area=None, gt_iscrowd=None,
                    *, dt_image_id, dt_category_id, dt_bbox, dt_score, params=None, threads=None,
                    gt_id=None):
    """COCO evaluation straight from arrays (no JSON, no dicts).

    Boxes are (N, 4) [x, y, w, h]; ``gt_area`` defaults to w * h;
    ``gt_iscrowd`` to zeros.  ``params`` is a ``Params`` (its ``imgIds`` and
    ``catIds`` default to the sorted unique GT image and category ids).
    Returns a ``COCOeval`` that has run evaluate() and accumulate() (call
    ``summarize()`` for ``stats``), equal to pycocotools on the same data
    given as JSON with annotation ids 1..N in array order.
    """
    gt, dt = columns_from_arrays(gt_image_id, gt_category_id, gt_bbox, gt_area, gt_iscrowd,
                                 dt_image_id=dt_image_id, dt_category_id=dt_category_id,
                                 dt_bbox=dt_bbox, dt_score=dt_score, gt_id=gt_id)
    ev = COCOeval(iouType="bbox", threads=threads, verbose=False)
    ev.params = params if params is not None else ev.params
    if not len(ev.params.imgIds):
        ev.params.imgIds = sorted(np.unique(gt.image_id).tolist())
    if not len(ev.params.catIds):
        ev.params.catIds = sorted(np.unique(gt.category_id).tolist())
    ev.evaluate_columns(gt, dt)
    ev.accumulate()
    return ev
