"""The Cartucho/mAP layout.

An ``input/`` folder with

- ``ground-truth/<image>.txt``: lines ``class left top right bottom``, or
  ``class left top right bottom difficult`` for a difficult object;
- ``detection-results/<image>.txt``: lines
  ``class confidence left top right bottom``.

Coordinates are pixels, "xyxy" (the +1-pixel width is the evaluation
protocol's business, not the file's).  Class names contain no whitespace.
A detection file may be empty or missing (the image has no detections); a
detection file without a ground-truth file adds its image.
"""
import os

from . import text

__all__ = ["GT", "DT", "GT_DIR", "DT_DIR", "read", "write", "resolve", "is_root"]

GT = text.layout("xyxy", dets=False, difficult=True)
DT = text.layout("xyxy", dets=True)
GT_DIR, DT_DIR = "ground-truth", "detection-results"


def is_root(path):
    """True for the ``input/`` folder that holds ``ground-truth/``."""
    return os.path.isdir(os.path.join(path, GT_DIR))


def resolve(gt, dt):
    """(gt dir, dt dir): the ``input/`` folder as ``gt`` stands for its
    ``ground-truth/``, and, with ``dt`` None, its ``detection-results/``
    when that exists."""
    if gt is not None and is_root(gt):
        if dt is None and os.path.isdir(os.path.join(gt, DT_DIR)):
            dt = os.path.join(gt, DT_DIR)
        gt = os.path.join(gt, GT_DIR)
    return gt, dt


def read(gt, dt=None, *, names=None, exclude=()):
    """A ``Dataset`` ("xyxy" pixels, ``gt_difficult`` set) from a
    ground-truth and/or a detection directory (or the ``input/`` folder,
    see ``resolve``).  ``names``: class order (list), else sorted names."""
    gt, dt = resolve(gt, dt)
    return text.read_dirs(gt, dt, GT, DT, names=names, exclude=exclude)


def write(ds, gt_out, dt_out=None):
    """``<key>.txt`` files for every image of ``ds`` in ``gt_out`` and (when
    given) ``dt_out``; boxes converted to "xyxy"."""
    text.write_dir(ds, gt_out, GT)
    if dt_out is not None:
        text.write_dir(ds, dt_out, DT)
