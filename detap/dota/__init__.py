"""Oriented boxes: DOTA_devkit's evaluation, exact and fast.

- ``voc_eval`` / ``voc_eval_task2``: drop-ins for DOTA_devkit's
  ``dota_evaluation_task1.voc_eval`` and ``dota_evaluation_task2.voc_eval``,
  bit for bit (``detap.dota.evaluation``);
- ``evaluate``: every class at once, annotations parsed once;
- ``parse_gt`` / ``parse_gt_task2``: the devkit's labelTxt readers
  (``detap.dota.labeltxt``);
- ``polygon_iou``: the devkit's polygon IoU (polyiou's ``iou_poly``) as a
  matrix; ``obb_iou``: hotcoco's IoU of ``(cx, cy, w, h, angle)`` rotated
  rectangles (the "obb" IoU of the "mmrotate" convention); ``probiou``:
  Ultralytics' probabilistic IoU of them ("ultralytics-obb");
- ``obb_to_quad`` / ``quad_to_obb`` / ``normalize_obb``: ``(cx, cy, w, h,
  angle)`` boxes in the le90, le135 and oc angle conventions
  (``detap.dota.angles``);
- array-level evaluation is ``detap.evaluate_class(..., convention="dota")``
  on (N, 8) quadrilaterals.

Coordinates are pixels; a quadrilateral is ``[x1, y1, x2, y2, x3, y3, x4,
y4]`` in any vertex order.
"""
from .angles import ANGLE_CONVENTIONS, normalize_obb, obb_to_quad, quad_to_obb
from .evaluation import evaluate, load_annotations, voc_eval, voc_eval_task2
from .labeltxt import parse_gt, parse_gt_task2
from .polygons import obb_iou, polygon_iou, probiou
from ..voc import voc_ap

__all__ = ["voc_eval", "voc_eval_task2", "evaluate", "load_annotations", "parse_gt",
           "parse_gt_task2", "polygon_iou", "obb_iou", "probiou", "voc_ap", "obb_to_quad", "quad_to_obb",
           "normalize_obb", "ANGLE_CONVENTIONS"]
