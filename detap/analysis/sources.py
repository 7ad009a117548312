"""The ``Scene`` of a COCO or LVIS evaluation (any iou_type).

The analysis reads the rows the evaluation read, with what its similarity
compares (``scene.Shapes``: the RLE masks of iou_type "segm", the keypoints,
GT areas and sigmas of "keypoints", the rotated boxes of "obb"), so TIDE,
the confusion matrix,
calibration and the per-image results of ``detap eval --iou-type
segm|keypoints --analysis`` compare masks or keypoints as the AP does.
Images come in the evaluation's order (sorted ids), classes in sorted
category id order.

LVIS (federated rules, lvis-api's ``LVISEval``): the analysis sees only
what lvis-api evaluates,

- the detections the per-image cap keeps (300 by default) of the verified
  (image, category) pairs: the category has a GT in the image or is in its
  ``neg_category_ids``; a detection of any other pair is dropped, as
  lvis-api drops it (it is neither right nor wrong: nobody looked);
- the GT of area in (0, inf) (a GT flagged ``ignore`` is an ignore region);
- each (image, category) pair of ``not_exhaustive_category_ids`` with a
  detection is a whole-image ignore region of that category (tidecv's
  region without box or mask): an unmatched detection there is ignored, as
  lvis-api ignores it, instead of being a false positive.
"""
import numpy as np

from .scene import Scene, Shapes

__all__ = ["scene_from_coco_eval", "scene_from_lvis_eval", "scene_from_federated"]


def _names(ids, cats):
    return [str(cats.get(int(c), {}).get("name", c)) if isinstance(cats, dict) else str(c) for c in ids]


def _scene(state, gt_rows, dt_rows, names, gt_ignore, extra=None):
    """A Scene of the evaluated rows of ``state`` (``coco.engine.EvalState``)."""
    cells, gt, dt = state.cells, state.rows.gt, state.rows.dt
    img_ids, cat_ids = cells.img_ids, cells.cat_ids
    shapes = None
    if cells.iou_type == "segm":
        shapes = Shapes("segm", gt.masks.take(gt_rows), dt.masks.take(dt_rows))
    elif cells.iou_type == "keypoints":
        shapes = Shapes("keypoints", gt.kpts[gt_rows], dt.kpts[dt_rows], gt.area[gt_rows],
                        cells.kpt_vars)
    elif cells.iou_type == "obb":
        shapes = Shapes("obb", gt.obb[gt_rows], dt.obb[dt_rows])
    g_box, g_img, g_lab = gt.bbox[gt_rows], gt.image_id[gt_rows], gt.category_id[gt_rows]
    ignore, gt_whole = gt_ignore[gt_rows], None
    if extra is not None:   # whole-image regions: (image ids, category ids)
        e_img, e_cat = extra
        g_box = np.concatenate([g_box, np.zeros((len(e_img), 4))])
        g_img, g_lab = np.concatenate([g_img, e_img]), np.concatenate([g_lab, e_cat])
        ignore = np.concatenate([ignore, np.ones(len(e_img), bool)])
        gt_whole = np.concatenate([np.zeros(len(gt_rows), bool), np.ones(len(e_img), bool)])
    images = [cells.img_label(i) for i in range(len(img_ids))]
    return Scene(n_images=len(img_ids), classes=names, gt_box=g_box,
                 gt_image=np.searchsorted(img_ids, g_img), gt_label=np.searchsorted(cat_ids, g_lab),
                 gt_ignore=ignore, dt_box=dt.bbox[dt_rows],
                 dt_image=np.searchsorted(img_ids, dt.image_id[dt_rows]),
                 dt_label=np.searchsorted(cat_ids, dt.category_id[dt_rows]),
                 dt_score=dt.score[dt_rows], images=[str(i) for i in images], shapes=shapes,
                 gt_whole=gt_whole)


def _evaluated(cols, img_ids, cat_ids):
    """Rows of ``cols`` in an evaluated image and category (ascending)."""
    return np.flatnonzero(np.isin(cols.image_id, img_ids) & np.isin(cols.category_id, cat_ids))


def scene_from_coco_eval(ev):
    """The ``Scene`` of a ``detap.coco.COCOeval`` after ``evaluate()``
    (useCats): crowd GT and GT pycocotools ignores (``ignore``, keypoint GT
    without labelled points) are ignore regions."""
    st = ev.state
    cells = st.cells
    cats = getattr(ev.cocoGt, "cats", {})
    names = _names([cells.cat_label(k) for k in range(len(cells.cat_ids))], cats)
    gt, dt = st.rows.gt, st.rows.dt
    return _scene(st, _evaluated(gt, cells.img_ids, cells.cat_ids),
                  _evaluated(dt, cells.img_ids, cells.cat_ids), names,
                  (gt.crowd != 0) | (gt.ignore != 0))


def scene_from_lvis_eval(ev):
    """The ``Scene`` of a ``detap.lvis.LVISEval`` after ``evaluate()``, on
    LVIS's federated rules (see the module)."""
    return scene_from_federated(ev.state, ev.unmatched_ignored,
                                _names(ev.state.cells.cat_ids, ev.lvis_gt.cats))


def scene_from_federated(state, unmatched_ignored, names):
    """The ``Scene`` of a federated evaluation (``lvis.evaluation.
    evaluate_federated``: its state and per-result not-exhaustive flags)."""
    cells = state.cells
    gt, dt = state.rows.gt, state.rows.dt
    # the evaluation's own selection: rows outside it carry no evaluated category
    dt_rows = _evaluated(dt, cells.img_ids, cells.cat_ids)
    gt_rows = _evaluated(gt, cells.img_ids, cells.cat_ids)
    nel = unmatched_ignored[dt_rows] != 0
    pairs = np.unique(np.stack([dt.image_id[dt_rows][nel], dt.category_id[dt_rows][nel]], 1), axis=0)
    return _scene(state, gt_rows, dt_rows, names, (gt.crowd != 0) | (gt.ignore != 0),
                  extra=(pairs[:, 0], pairs[:, 1]) if len(pairs) else None)
