"""Readers and writers for detection data formats.

Every reader returns a ``Dataset`` (ground truth and, when detections are
given, detections; see ``detap.formats.dataset`` for units and shapes) and
every writer takes one, so any format converts to any other.

=========  ===================================  ===========================  ============
format     ground truth                         detections                   Dataset boxes
=========  ===================================  ===========================  ============
voc        XML folder / VOC root / VOCdevkit    per-class ``image score      xyxy pixels
                                                x1 y1 x2 y2`` files
coco       COCO JSON file                       results JSON file            xywh pixels
yolo       ``id cx cy w h`` per image           ``id cx cy w h conf``        xyxy pixels
cartucho   ``class x1 y1 x2 y2 [difficult]``    ``class conf x1 y1 x2 y2``   xyxy pixels
text       ``class <box>`` per image            ``class conf <box>``         xywh, xyxy,
                                                                             quad or obb
dota       labelTxt folder ``x1 y1 .. y4        per-class Task1 files        quad pixels
           class [difficult]``                  ``image score x1 y1 .. y4``
yolo-obb   ``id x1 y1 .. x4 y4`` per image      ``id x1 y1 .. y4 conf``      quad pixels
=========  ===================================  ===========================  ============

(text: ``box_format`` xyxy, xywh (default), cxcywh, quad or obb, in pixels
or, with ``relative``, fractions of the image size (not obb); cxcywh
becomes xyxy.  coco: ``box_format="obb"`` reads hotcoco's rotated boxes,
the records' ``"obb"``.)

Oriented boxes are quadrilaterals ("quad": four vertices, pixels),
evaluated by the "dota" protocol (DOTA_devkit's polygon IoU), and rotated
rectangles ("obb": cx cy w h angle, pixels and radians), evaluated by
"coco" with hotcoco's rotated IoU, "mmrotate", "mmrotate-area" or
"ultralytics-obb".  They are written only to formats that hold them
(quadrilaterals: dota, yolo-obb, text quad; rotated rectangles: those as
the quadrilateral of their corners, text obb, coco with "obb"), never
silently reduced to their axis-aligned extent.  Axis-aligned boxes may be
written to any of those (as their corners, or as angle-0 rectangles).

Matching: images are matched across ground truth and detections by key (the
file stem for per-image files, the ``file_name`` stem for COCO).  In the
per-image formats a detection file with no ground-truth file adds its image
(with no ground truth), as Cartucho/mAP and Object-Detection-Metrics do; in
VOC and COCO a detection on an unknown image is an error, as in voc_eval and
pycocotools.  Classes: COCO keeps ``categories`` order, YOLO the names
file's; otherwise the sorted union of ground-truth and detection class
names.  ``names`` fixes the class list and order for any format.

Ground truth and detections in different formats: pass ``format`` as a
pair, e.g. ``("voc", "text")``; the detection format must be a per-image
one (yolo, cartucho, text), and it gets the ground truth's image sizes for
relative coordinates.
"""
import dataclasses
import warnings

import numpy as np

from ..errors import DetapInputError
from . import cartucho, coco, dota, sanity, text, voc, yolo, yolo_obb
from .dataset import Dataset, boxes_as
from .detect import detect_format
from .image_sizes import default_image_dirs, size_source
from .names import load_names

__all__ = ["Dataset", "boxes_as", "FORMATS", "ORIENTED", "read", "write", "detect_format",
           "convert"]

FORMATS = ("voc", "coco", "yolo", "cartucho", "text", "dota", "yolo-obb")
_PER_IMAGE = ("yolo", "cartucho", "text", "yolo-obb")
# (box format, relative) of the formats whose files fix them
_GEOMETRY = {"voc": ("xyxy", False), "cartucho": ("xyxy", False), "coco": ("xywh", False),
             "yolo": ("cxcywh", True), "dota": ("quad", False), "yolo-obb": ("quad", True)}
#: the formats that hold oriented boxes (text: with box_format "quad")
ORIENTED = ("dota", "yolo-obb")


def read(gt, dt=None, format="auto", *, box_format=None, relative=None, names=None,
         image_sizes=None, imageset=None):
    """Read ground truth ``gt`` and (optionally) detections ``dt`` into a
    ``Dataset``.

    format       "auto" (``detect_format``; "text" when ``box_format`` or
                 ``relative`` is given), one of ``FORMATS``, or a
                 (gt format, dt format) pair
    box_format   text format: "xyxy", "xywh" (default), "cxcywh", "quad" or
                 "obb" (cx cy w h angle, radians); coco: "obb" reads the
                 records' rotated boxes ("obb") instead of their "bbox"
    relative     text format: coordinates are fractions of the image size
                 (default False)
    names        class names: a list, a names file (one per line) or a YAML
                 file with ``names:``; fixes the classes and their order and
                 maps integer class ids (YOLO, text "class id" files)
    image_sizes  {key: (width, height)}, a folder of images, a sizes file
                 (``name width height`` lines) or a JSON {name: [w, h]};
                 needed for relative coordinates, and otherwise kept as
                 ``Dataset.image_sizes`` when the files give none
    imageset     VOC: an image-set file, or a set name in ImageSets/Main;
                 DOTA: an image-set file

    A Cartucho ``input/`` folder as ``gt`` (with ``dt`` None) reads its
    ``ground-truth/`` and ``detection-results/`` both.

    The result is checked for input that parses but looks like a mistake
    (``detap.formats.sanity``): no ground truth or no shared class is a
    DetapInputError, a likely wrong box layout or an empty detection folder
    a ``DetapWarning``.
    """
    gt_fmt, dt_fmt = _formats(format, gt, dt, text_flags=box_format is not None or bool(relative))
    used = {gt_fmt} | ({dt_fmt} if dt is not None else set())
    _check_options(used, box_format, relative, imageset)
    name_list, names_path = load_names(names) if names is not None else (None, None)
    opts = dict(box_format=box_format or "xywh", relative=bool(relative), names=name_list,
                image_sizes=image_sizes, imageset=imageset,
                exclude=(names_path,) if names_path else (),
                coco_box="obb" if box_format == "obb" else "xywh")
    if dt is None or dt_fmt == gt_fmt:
        ds = _read_one(gt_fmt, gt, dt, opts)
    else:
        if dt_fmt not in _PER_IMAGE:
            raise DetapInputError(f"detections in the {dt_fmt} format need {dt_fmt} ground truth; "
                                  "with other ground truth, detections must be per-image files "
                                  f"({', '.join(_PER_IMAGE)})", dt)
        base = _read_one(gt_fmt, gt, None, opts)
        if image_sizes is None and base.image_sizes is not None:
            opts["image_sizes"] = dict(zip(base.images, base.image_sizes.tolist()))
        try:
            ds = base.with_detections(_read_one(dt_fmt, None, dt, opts))
        except ValueError as e:  # boxes and quadrilaterals
            raise DetapInputError(str(e), dt) from None
    ds = _order_classes(ds, name_list, names_path, gt_fmt)
    if ds.image_sizes is None and image_sizes is not None:
        known = size_source(image_sizes)(ds.images)
        if all(k in known for k in ds.images):
            sizes = np.array([known[k] for k in ds.images], np.int64).reshape(-1, 2)
            ds = dataclasses.replace(ds, image_sizes=sizes)
    sanity.check(ds, gt, dt, gt_fmt, dt_fmt if dt is not None else gt_fmt, box_format)
    return ds


def _formats(format, gt, dt, text_flags=False):
    """(gt format, dt format); "auto" with a text-only flag (``text_flags``:
    box_format or relative given) is "text", the one format they apply to."""
    if isinstance(format, (tuple, list)):
        if len(format) != 2:
            raise DetapInputError(f"format must be a name or a (gt, dt) pair, got {format!r}")
        pair = tuple(format)
    elif format == "auto":
        fmt = "text" if text_flags else detect_format(gt, dt)
        pair = (fmt, fmt)
    else:
        pair = (format, format)
    for f in pair:
        if f not in FORMATS:
            raise DetapInputError(f"unknown format {f!r}; known: auto, {', '.join(FORMATS)}")
    return pair


def _check_options(used, box_format, relative, imageset):
    if box_format is not None and box_format not in text.BOX_FORMATS:
        raise DetapInputError(f"box_format must be one of {', '.join(text.BOX_FORMATS)}, "
                              f"got {box_format!r}")
    if imageset is not None and not used & {"voc", "dota"}:
        raise DetapInputError("imageset applies to the voc and dota formats only")
    if "text" in used:
        return
    for fmt in used:
        _check_geometry(fmt, box_format, relative)


def _check_geometry(fmt, box_format, relative):
    """A format other than text fixes its box layout: ``box_format`` and
    ``relative`` (None: unspecified) may only repeat it (coco: or be "obb",
    hotcoco's rotated boxes)."""
    fixed_box, fixed_rel = _GEOMETRY[fmt]
    if fmt == "coco" and box_format == "obb":
        fixed_box = "obb"
    if box_format not in (None, fixed_box) or relative not in (None, fixed_rel):
        raise DetapInputError(f"{fmt} files are {fixed_box} "
                              f"{'relative' if fixed_rel else 'pixel'} boxes; box_format "
                              "and relative apply to the text format")


def _read_one(fmt, gt, dt, o):
    if fmt == "voc":
        return voc.read(gt, dt, imageset=o["imageset"])
    if fmt == "dota":
        return dota.read(gt, dt, imageset=o["imageset"])
    if fmt == "yolo-obb":
        return yolo_obb.read(gt, dt, names=o["names"], image_sizes=o["image_sizes"],
                             exclude=o["exclude"])
    if fmt == "coco":
        return coco.read(gt, dt, box_format=o["coco_box"])
    if fmt == "yolo":
        return yolo.read(gt, dt, names=o["names"], image_sizes=o["image_sizes"],
                         exclude=o["exclude"])
    if fmt == "cartucho":
        return cartucho.read(gt, dt, names=o["names"], exclude=o["exclude"])
    gt_layout, dt_layout = (text.layout(o["box_format"], dets) for dets in (False, True))
    dirs = [d for d in (gt, dt) if d is not None]
    sizes = (size_source(o["image_sizes"], default_image_dirs(dirs))
             if o["relative"] or o["image_sizes"] is not None else None)
    return text.read_dirs(gt, dt, gt_layout, dt_layout, names=o["names"], sizes=sizes,
                          relative=o["relative"], exclude=o["exclude"])


def _order_classes(ds, names, names_path, gt_fmt):
    if names is not None:
        known = set(names)
        missing = [c for c in ds.classes if c not in known]
        if missing:
            raise DetapInputError(f"class {missing[0]!r} of the data is not in the class names",
                                  names_path or "names")
        return ds.reindex(classes=names)
    if gt_fmt in ("coco", "yolo", "yolo-obb"):
        return ds
    return ds.reindex(classes=sorted(ds.classes))


def write(dataset, format, gt_out, dt_out=None, *, box_format=None, relative=False):
    """Write ``dataset`` in ``format`` (one of ``FORMATS``): ground truth to
    ``gt_out`` and, when given, detections to ``dt_out``.

    voc       gt_out: a VOC root (Annotations/, ImageSets/Main/all.txt);
              dt_out: a folder (det_test_<class>.txt) or a template with {}
    coco      gt_out, dt_out: JSON files
    yolo      gt_out, dt_out: label folders (gt_out/classes.txt holds the
              names); needs image sizes
    cartucho  gt_out, dt_out: folders (ground-truth/, detection-results/)
    text      gt_out, dt_out: folders; ``box_format`` (default "xywh") and
              ``relative`` (needs image sizes) choose the coordinates
    (coco     rotated boxes as hotcoco's "obb" field)
    dota      gt_out: a labelTxt folder; dt_out: a folder (Task1_<class>.txt)
              or a template with {}
    yolo-obb  gt_out, dt_out: label folders, as yolo; needs image sizes

    The per-image formats write a file for every image (empty when it has
    no boxes).  A flag the format cannot hold is dropped with a warning,
    except that VOC and Cartucho write a crowd object as difficult (the VOC
    family ignores both alike)."""
    if format not in FORMATS:
        raise DetapInputError(f"unknown format {format!r}; known: {', '.join(FORMATS)}")
    if format != "text":
        _check_geometry(format, box_format, relative or None)
    out_fmt = ("quad" if format in ORIENTED else box_format or "xywh" if format == "text" else
               "obb" if format == "coco" and dataset.box_kind == "obb" else "xyxy")
    try:
        text.check_writable(dataset, out_fmt, gt_out)
    except DetapInputError:
        raise DetapInputError(f"{dataset.box_format} boxes cannot be written as {format} boxes "
                              "(their orientation would be lost): write "
                              + ("dota, yolo-obb, coco or text with box_format obb or quad"
                                 if dataset.box_kind == "obb" else
                                 "dota, yolo-obb or text with box_format quad"), gt_out) from None
    dataset = _fit_flags(dataset, format)
    if format == "voc":
        voc.write(dataset, gt_out, dt_out)
    elif format == "coco":
        coco.write(dataset, gt_out, dt_out)
    elif format == "yolo":
        yolo.write(dataset, gt_out, dt_out)
    elif format == "cartucho":
        cartucho.write(dataset, gt_out, dt_out)
    elif format == "dota":
        dota.write(dataset, gt_out, dt_out)
    elif format == "yolo-obb":
        yolo_obb.write(dataset, gt_out, dt_out)
    else:
        fmt = box_format or "xywh"
        text.write_dir(dataset, gt_out, text.layout(fmt, False), relative=relative)
        if dt_out is not None:
            text.write_dir(dataset, dt_out, text.layout(fmt, True), relative=relative)


# the object flags each format can hold
_FLAGS = {"voc": ("difficult",), "cartucho": ("difficult",), "coco": ("iscrowd",), "yolo": (),
          "text": (), "dota": ("difficult",), "yolo-obb": ()}


def _fit_flags(ds, format):
    """``ds`` with the flags ``format`` cannot hold folded or dropped (with
    a warning)."""
    holds = _FLAGS[format]
    counts = {"difficult": int(ds.gt_difficult.sum()), "iscrowd": int(ds.gt_iscrowd.sum())}
    if "difficult" in holds and counts["iscrowd"]:
        warnings.warn(f"{format} has no iscrowd flag: {counts['iscrowd']} crowd object(s) "
                      "written as difficult", stacklevel=3)
        ds = dataclasses.replace(ds, gt_difficult=ds.gt_difficult | ds.gt_iscrowd)
        counts["iscrowd"] = 0
    lost = [f"{n} {flag}" for flag, n in counts.items() if n and flag not in holds]
    if lost:
        warnings.warn(f"{format} cannot mark {' or '.join(lost)} object(s): written as ordinary "
                      "objects", stacklevel=3)
    return ds


from .convert import convert  # noqa: E402  (convert calls read and write above)
