"""Ultralytics YOLO-OBB label files (oriented boxes).

A labels directory holds one ``<image stem>.txt`` per image:

- ground truth: ``class_id x1 y1 x2 y2 x3 y3 x4 y4``
- detections:   ``class_id x1 y1 x2 y2 x3 y3 x4 y4 confidence`` (what
  ultralytics' ``save_txt`` with ``save_conf`` writes for an OBB model:
  the four vertices of ``xyxyxyxyn``, the confidence last)

Coordinates are fractions of the image width (x) and height (y); the
reader returns the quadrilaterals in pixels (``Dataset.box_format`` "quad",
each vertex scaled as ``x * width``), so it needs every image's size.
Class names and image sizes are found as for YOLO (``detap.formats.yolo``).
The boxes are evaluated with DOTA_devkit's polygon IoU (protocol "dota").
"""
from . import text, yolo

__all__ = ["GT", "DT", "read", "write"]

GT = text.layout("quad", dets=False, class_ids=True)
DT = text.layout("quad", dets=True, class_ids=True, score_last=True)


def read(gt, dt=None, *, names=None, image_sizes=None, exclude=()):
    """A ``Dataset`` ("quad" pixels) from YOLO-OBB label directories ``gt``
    and optionally ``dt`` (either may be None, not both); options as
    ``detap.formats.yolo.read``."""
    return yolo.read(gt, dt, names=names, image_sizes=image_sizes, exclude=exclude,
                     layouts=(GT, DT))


def write(ds, gt_out, dt_out=None):
    """YOLO-OBB label files (and ``classes.txt``) for ``ds``, which must
    hold quadrilaterals ("quad") and image sizes."""
    yolo.write(ds, gt_out, dt_out, layouts=(GT, DT))
