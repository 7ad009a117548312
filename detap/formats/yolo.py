"""YOLO (darknet / ultralytics) label files.

A labels directory holds one ``<image stem>.txt`` per image:

- ground truth: ``class_id cx cy w h``
- detections:   ``class_id cx cy w h confidence`` (ultralytics' ``save_conf``
  order: the confidence last)

``class_id`` is a 0-based index into the class names; ``cx cy`` is the box
centre and ``w h`` its size, all as fractions of the image width (cx, w)
and height (cy, h).  The reader returns pixel boxes in "xyxy"
(``x1 = (cx - w/2) * width`` computed as ``cx*width - w*width/2``), so it
needs every image's size.  Coordinates outside [0, 1] are accepted (a
detection may leave the image).

Class names (``names`` None): ``classes.txt`` in the labels directory
(labelImg's convention; it is not read as a label file), else a
``data.yaml`` in the labels directory, its parent or grandparent (see
``detap.formats.names.find_names``).

Image sizes (``image_sizes``, see ``detap.formats.image_sizes.size_source``):
a dict, a sizes file, a JSON file, or a folder of images whose headers are
read (stored sizes: EXIF orientation is not applied).  Default: images
beside the labels, or in the ``images`` folder that mirrors a ``labels``
folder (ultralytics' ``images/train`` <-> ``labels/train``).
"""
import os

from ..errors import DetapInputError
from . import text
from .image_sizes import default_image_dirs, size_source
from .names import NAMES_FILE, find_names, load_names, write_names_file

__all__ = ["GT", "DT", "read", "write"]

GT = text.layout("cxcywh", dets=False, class_ids=True)
DT = text.layout("cxcywh", dets=True, class_ids=True, score_last=True)


def read(gt, dt=None, *, names=None, image_sizes=None, exclude=(), layouts=(GT, DT)):
    """A ``Dataset`` ("xyxy" pixels) from a YOLO labels directory ``gt`` and
    optionally a detections directory ``dt`` (either may be None, not both).

    names        class names (list) or None to find them (see module doc)
    image_sizes  anything ``size_source`` takes, or None for the default
                 image folders
    layouts      the (GT, detection) line layouts (YOLO-OBB passes its own)
    """
    dirs = [d for d in (gt, dt) if d is not None]
    if names is None:
        names = load_names(find_names(dirs))[0]
    exclude = tuple(exclude) + tuple(os.path.join(d, NAMES_FILE) for d in dirs)
    sizes = size_source(image_sizes, default_image_dirs(dirs))
    return text.read_dirs(gt, dt, *layouts, names=names, sizes=sizes, relative=True,
                          exclude=exclude)


def write(ds, gt_out, dt_out=None, layouts=(GT, DT)):
    """Label files for ``ds`` in ``gt_out`` (plus its class names in
    ``gt_out/classes.txt``) and detection files in ``dt_out``.  Needs
    ``ds.image_sizes``."""
    if os.path.splitext(NAMES_FILE)[0] in ds.images:
        raise DetapInputError(f"an image named 'classes' would collide with {NAMES_FILE}", gt_out)
    text.write_dir(ds, gt_out, layouts[0], relative=True)
    write_names_file(os.path.join(gt_out, NAMES_FILE), ds.classes)
    if dt_out is not None:
        text.write_dir(ds, dt_out, layouts[1], relative=True)
