"""DOTA: labelTxt ground truth and Task1 per-class detection files.

Ground truth (``gt``): a folder of labelTxt files ``<image>.txt`` (DOTA
v1.0, v1.5 and v2.0 alike), or a split folder holding ``labelTxt/``.  Each
file is read as DOTA_devkit's task1 ``parse_gt`` reads it
(``detap.dota.labeltxt``): lines ``x1 y1 x2 y2 x3 y3 x4 y4 class
[difficult]`` in pixels, header lines such as ``imagesource:`` and
``gsd:`` skipped, a malformed line an error naming the file and line.
Images: every labelTxt file, sorted by name, or the ids of ``imageset``
(a file, one id per line, as the devkit's imagesetfile).

Detections (``dt``): a folder of per-class Task1 files (the devkit's
``Task1_<class>.txt``; as for VOC, the prefix is what the file names
share, up to its last "_"), or a template with ``{}`` for the class name.
Lines: ``image_id score x1 y1 x2 y2 x3 y3 x4 y4``, exactly ten fields; a
detection on an image outside the image set is an error, as in the devkit.

Boxes are quadrilaterals (``Dataset.box_format`` "quad"), evaluated by the
"dota" protocol with polyiou's polygon IoU.  No image sizes are read.
"""
import os

from ..dota.evaluation import load_annotations
from ..errors import DetapInputError
from . import voc
from .dataset import rows_by
from .text import check_field, check_image_keys, fmt_num

__all__ = ["LABELS", "DET_TEMPLATE", "is_layout", "locate", "read", "write"]

LABELS = "labelTxt"
DET_TEMPLATE = "Task1_{}.txt"   # the writer's per-class file names (the devkit's)
_TASK1_LINES = "DOTA Task1 files, Task1_<class>.txt with 'image score x1 y1 ... x4 y4' lines"


def is_layout(path):
    """True for a split folder holding ``labelTxt/``."""
    return os.path.isdir(os.path.join(path, LABELS))


def locate(gt):
    """The labelTxt folder of a ground-truth path."""
    gt = os.fspath(gt)
    if is_layout(gt):
        return os.path.join(gt, LABELS)
    if not os.path.isdir(gt):
        raise DetapInputError("DOTA ground truth must be a folder of labelTxt files (or one "
                              "holding labelTxt/)", gt)
    return gt


def read(gt, dt=None, *, imageset=None):
    """A ``Dataset`` ("quad" pixels) from labelTxt ground truth ``gt`` and
    optionally Task1 detection files ``dt`` (see the module doc)."""
    folder = locate(gt)
    if imageset is None:
        names = sorted(n[:-4] for n in os.listdir(folder) if n.endswith(".txt"))
        set_name = folder
    else:
        set_name = os.fspath(imageset)
        if not os.path.isfile(set_name):
            raise DetapInputError("image set not found", set_name)
        names = voc.read_set(set_name)
    # the folder becomes part of a str.format template: keep its braces literal
    template = os.path.join(folder.replace("{", "{{").replace("}", "}}"), "{}.txt")
    try:
        ann = load_annotations(template, names, task=1)
    except FileNotFoundError as e:
        raise DetapInputError(f"no such labelTxt file (image listed in {set_name})",
                              e.filename) from None
    dets = voc.read_class_dets(dt, ann, set_name, 8, _TASK1_LINES)
    return voc.dataset_from(ann, dets, "quad", None, gt, dt)


def write(ds, gt_out, dt_out=None):
    """DOTA files for ``ds``: ``gt_out/<image>.txt`` labelTxt files for
    every image (``... class difficult`` lines; crowd objects are written
    as difficult by ``detap.formats.write``) and, with ``dt_out`` (a folder
    or a template with ``{}``), one ``Task1_<class>.txt`` per class.  Axis-
    aligned boxes are written as the quadrilateral of their corners."""
    check_image_keys(ds.images, gt_out)
    for name in ds.classes:
        check_field(name, "class name", gt_out)
    os.makedirs(gt_out, exist_ok=True)
    quads = ds.gt_as("quad").tolist()
    for i, rows in enumerate(rows_by(ds.gt_image, len(ds.images))):
        lines = (" ".join(map(fmt_num, quads[r])) + f" {ds.classes[ds.gt_label[r]]} "
                 f"{int(ds.gt_difficult[r])}\n" for r in rows.tolist())
        with open(os.path.join(gt_out, ds.images[i] + ".txt"), "w", encoding="utf-8") as f:
            f.write("".join(lines))
    if dt_out is not None:
        voc.write_class_dets(ds, os.fspath(dt_out), DET_TEMPLATE, "quad")
