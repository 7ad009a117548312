"""A COCOeval run as detap's ``EvalResult`` (tables, ``--json``, reports,
the CI gate): ``detap eval --iou-type segm|keypoints|obb`` goes through here.

The numbers are COCOeval's own (pycocotools' to the last bit); the per-class
curves come from the same engine state as the "coco" protocol's.  Class
names are the categories' "name" (else the id); areas in square pixels.
"""
import contextlib
import io
import warnings

import numpy as np

from ..errors import DetapInputError, DetapWarning
from ..protocols import annotation_stats, coco_result, iou_index
from .cocoeval import COCOeval
from .dataset import COCO

__all__ = ["eval_result", "evaluate_files"]


def eval_result(ev, iou=0.5):
    """The ``EvalResult`` of a COCOeval after evaluate() and accumulate()
    (summarize() is called when stats are missing); ``iou`` is one of
    params.iouThrs (the per-class AP and mAP are reported there)."""
    p = ev.params
    if not len(ev.stats):
        ev.summarize()
    t = iou_index(p.iouThrs, iou)
    if t is None:
        raise DetapInputError(f"--iou {iou} is not one of pycocotools' IoU thresholds "
                              f"{', '.join(f'{x:.2f}' for x in p.iouThrs)}")
    st = ev.state
    cats = list(p.catIds) if p.useCats else [-1]
    names = []
    for c in cats:
        rec = ev.cocoGt.cats.get(c, {}) if c != -1 else {}
        names.append(str(rec.get("name", c)))
    codes = ev.cocoGt.id_codes()
    gt = ev.cocoGt.columns("gt", "obb" if p.iouType == "obb" else "bbox", codes)
    if p.useCats and len(cats):
        # the GT's category column holds ids, or codes when ids are not integers
        keys = np.asarray(cats if codes[1] is None else codes[1].encode(cats, "params", "catIds"))
        k = np.searchsorted(keys, gt.category_id)
        known = (k < len(keys)) & (keys[np.minimum(k, len(keys) - 1)] == gt.category_id)
    else:
        k, known = np.zeros(len(gt), np.int64), np.ones(len(gt), bool)
    size = gt.bbox if gt.obb is None else gt.obb  # (a rotated box's own w and h)
    count, area, aspect = annotation_stats(k[known], size[known, 2], size[known, 3], len(cats))
    return coco_result(ev.stats, st.matches, ev.eval["precision"], t, names, iou,
                       (count, area, aspect), len(p.imgIds), p.iouType)


def evaluate_files(gt_path, dt_path, iou_type, iou=0.5, threads=None, analysis=None):
    """COCOeval(gt, gt.loadRes(dt), iou_type) on two COCO JSON files, silent:
    (``EvalResult``, (images, GT annotations, results) read).  ``analysis``:
    None, or the ``detap.analysis.AnalysisSettings`` of the result's
    ``.analysis`` (comparing masks or keypoints as the AP does)."""
    gt = COCO(gt_path, verbose=False)
    dt = gt.loadRes(dt_path)
    if iou_type == "segm" and dt.boxes_without_masks:
        # pycocotools evaluates such results as the polygons of their boxes:
        # a plausible number that is nearly always a wrong input file
        warnings.warn(f"{dt_path}: results without 'segmentation' are evaluated as the "
                      "polygons of their boxes (as pycocotools' loadRes makes them); give "
                      "mask results for a mask AP", DetapWarning, stacklevel=2)
    ev = COCOeval(gt, dt, iou_type, threads=threads, verbose=False)
    ev.evaluate()
    ev.accumulate()
    with contextlib.redirect_stdout(io.StringIO()):  # the caller prints the numbers its way
        ev.summarize()
    read = (len(gt.getImgIds()), len(ev.state.rows.gt), len(ev.state.rows.dt))
    res = eval_result(ev, iou)
    if analysis is not None:
        from ..analysis import analyze
        from ..analysis.sources import scene_from_coco_eval
        res.analysis = analyze(scene_from_coco_eval(ev), analysis, threads)
    return res, read
