"""PASCAL VOC: XML annotations and py-faster-rcnn's per-class detection files.

Ground truth (``gt``), any of:

- a folder of ``*.xml`` files (all of them, sorted by name, unless an
  image set is given);
- a VOC root holding ``Annotations/`` (and ``ImageSets/Main/<set>.txt``);
- a VOCdevkit folder holding exactly one such root.

``imageset``: a path to an image-set file (one image id per line), or the
name of one in ``ImageSets/Main`` ("test" for ``ImageSets/Main/test.txt``).
Annotations are read with ``detap.voc.load_annotations`` (so
``parse_rec``'s rules and error messages apply): boxes are the XML's
``xmin ymin xmax ymax`` in pixels, "xyxy", as written; ``difficult`` is
kept; ``<size>`` gives ``image_sizes`` when every file has one.

Detections (``dt``): a folder of per-class files named
``<prefix><classname>.txt`` (e.g. py-faster-rcnn's
``comp4_det_test_aeroplane.txt``; the prefix is what all file names share,
up to its last "_", and a ground-truth class name that ends a file name
wins), or a template with ``{}`` for the class name.  Lines:
``image_id score x1 y1 x2 y2``, read by ``detap.voc.read_detections``.
Unlike the per-image formats, a detection on an image outside the image
set is an error, as in voc_eval.

Classes: the sorted union of annotation and detection-file class names.
An image set listing an image twice is read once.
"""
import os
import warnings
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np

from .. import voc as _voc
from ..errors import DetapInputError, DetapWarning
from .dataset import Dataset, rows_by
from .text import check_image_keys, check_stem, first_negative, fmt_num

__all__ = ["ANNOTATIONS", "IMAGE_SETS", "WRITTEN_SET", "DET_TEMPLATE", "locate", "is_layout",
           "read_set", "det_files", "read", "write", "read_class_dets", "dataset_from", "write_class_dets"]

ANNOTATIONS = "Annotations"
IMAGE_SETS = os.path.join("ImageSets", "Main")
WRITTEN_SET = "all"             # the writer's ImageSets/Main/all.txt
DET_TEMPLATE = "det_test_{}.txt"  # the writer's per-class file names


# ------------------------------------------------------------------- layout

def _xml_files(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".xml"))


def _roots_below(folder):
    return [d for d in sorted(os.listdir(folder)) if os.path.isdir(os.path.join(folder, d, ANNOTATIONS))]


def is_layout(path):
    """True when ``path`` is a folder with XML files, an Annotations/ folder
    or a VOCdevkit (a folder holding VOC roots)."""
    return os.path.isdir(path) and bool(os.path.isdir(os.path.join(path, ANNOTATIONS))
                                        or _xml_files(path) or _roots_below(path))


def locate(gt):
    """(annotation folder, VOC root or None) of a ground-truth path."""
    if os.path.isdir(os.path.join(gt, ANNOTATIONS)):
        return os.path.join(gt, ANNOTATIONS), gt
    if os.path.isdir(gt) and _xml_files(gt):
        parent = os.path.dirname(os.path.abspath(gt))
        return gt, parent if os.path.basename(os.path.abspath(gt)) == ANNOTATIONS else None
    roots = _roots_below(gt) if os.path.isdir(gt) else []
    if len(roots) == 1:
        return os.path.join(gt, roots[0], ANNOTATIONS), os.path.join(gt, roots[0])
    if roots:
        raise DetapInputError(f"this VOCdevkit holds several data sets ({', '.join(roots)}): "
                              "give one of them", gt)
    raise DetapInputError("no VOC annotations here (expected *.xml files, an Annotations/ "
                          "folder or a VOCdevkit)", gt)


def _image_names(ann_dir, root, imageset):
    """(image ids, image-set path or None)."""
    if imageset is None:
        return [n[:-4] for n in _xml_files(ann_dir)], None
    path = os.fspath(imageset)
    if not os.path.isfile(path):
        named = os.path.join(root, IMAGE_SETS, path + ".txt") if root else None
        if named is None or not os.path.isfile(named):
            raise DetapInputError(f"image set not found (neither a file nor "
                                  f"{named or 'a set name under a VOC root'})", path)
        path = named
    return read_set(path), path


def read_set(path):
    """The image ids an image-set file lists, each once; a warning when one
    is listed again (voc_eval and DOTA_devkit count such an image's GT once
    per listing; a Dataset holds an image once)."""
    names = _voc.read_imageset(path)
    once = list(dict.fromkeys(names))
    if len(once) < len(names):
        again = [n for n, c in Counter(names).items() if c > 1]
        warnings.warn(f"{path}: {len(again)} image(s) listed more than once (e.g. {again[0]!r}): "
                      "each is evaluated once here, where voc_eval and DOTA_devkit count its "
                      "ground truth again (detap.voc.voc_eval / detap.dota.voc_eval do that too)",
                      DetapWarning, stacklevel=3)
    return once


# ------------------------------------------------------------------- reading

def read(gt, dt=None, *, imageset=None):
    """A ``Dataset`` ("xyxy" pixels) from VOC annotations ``gt`` and
    optionally per-class detection files ``dt`` (see the module doc)."""
    ann_dir, root = locate(os.fspath(gt))
    names, set_path = _image_names(ann_dir, root, imageset)
    # the folder becomes part of a str.format template: keep its braces literal
    template = os.path.join(ann_dir.replace("{", "{{").replace("}", "}}"), "{}.xml")
    try:
        ann = _voc.load_annotations(template, names)
    except FileNotFoundError as e:
        raise DetapInputError(f"no such annotation file (image listed in {set_path})",
                              e.filename) from None
    _check_gt(ann, template)
    dets = read_class_dets(dt, ann, set_path or ann_dir)
    sizes = [_xml_size(template.format(n)) for n in ann.names]
    return dataset_from(ann, dets, "xyxy", sizes if None not in sizes else None, gt, dt)


def dataset_from(ann, dets, box_format, sizes, gt, dt):
    """A ``Dataset`` from annotations (``detap.voc.VocAnnotations``) and
    ``read_class_dets``' result; ``sizes`` a [width, height] per image or
    None.  Classes: the sorted union of both sides'."""
    det_classes, (d_img, d_cls, d_score, d_box) = dets
    classes = sorted(set(ann.classes) | set(det_classes))
    position = {c: i for i, c in enumerate(classes)}

    def labels(names, k):
        return np.array([position[c] for c in names], np.int64)[k.astype(np.int64)]

    return Dataset(
        images=ann.names, classes=classes, box_format=box_format,
        gt_boxes=ann.boxes, gt_image=ann.obj_img, gt_label=labels(ann.classes, ann.obj_cls),
        gt_difficult=ann.difficult.astype(bool),
        det_boxes=d_box, det_image=d_img, det_label=labels(det_classes, d_cls), det_scores=d_score,
        image_sizes=np.array(sizes, np.int64).reshape(-1, 2) if sizes is not None else None,
        has_dets=dt is not None, source={"gt": gt, "dt": dt})


def _check_gt(ann, template):
    bad = _negative(ann.boxes)
    if bad is not None:
        i, what = bad
        first = int(np.searchsorted(ann.obj_img, ann.obj_img[i]))
        raise DetapInputError(f"object {i - first} ({ann.classes[ann.obj_cls[i]]}): {what}",
                              template.format(ann.names[ann.obj_img[i]]))


def _negative(boxes):
    """(first row, message) of a box with x2 < x1 or y2 < y1, else None."""
    bad = first_negative(boxes, "xyxy")
    if bad is None:
        return None
    row, axis = bad
    what = ("xmax < xmin (negative width)", "ymax < ymin (negative height)")[axis]
    return row, f"{what}: {' '.join(fmt_num(v) for v in boxes[row].tolist())}"


_VOC_LINES = ("VOC per-class det files, det_test_<class>.txt with 'image score x1 y1 x2 y2' "
              "lines")


def read_class_dets(dt, ann, set_name, ncoord=4, described=_VOC_LINES):
    """(class names, (image, class position, score, boxes)) of the per-class
    files ``dt`` (a folder or a template, ``det_files``; classes sorted by
    name; no classes and no rows when ``dt`` is None).  ncoord 4: VOC lines
    (boxes checked for x2 >= x1, y2 >= y1), 8: DOTA Task1 lines (exactly
    ten fields).  ``described`` names the layout in error messages."""
    files = det_files(os.fspath(dt), ann.classes) if dt is not None else {}
    parts = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros((0, ncoord)))]
    for k, (cls, path) in enumerate(files.items()):
        try:
            img, score, boxes = _voc.read_detections(path, ann, set_name, ncoord,
                                                     extra_ok=ncoord == 4)
        except DetapInputError as e:
            err = DetapInputError(f"{e} (the detections were read as {described}, "
                                  f"this one as class {cls!r}; per-image detection files need "
                                  "--dt-format yolo, yolo-obb, cartucho or text)")
            err.path, err.line = e.path, e.line
            raise err from None
        bad = _negative(boxes) if ncoord == 4 else None
        if bad is not None:
            raise DetapInputError(bad[1], path, _line_of(path, bad[0]))
        parts.append((img, np.full(len(img), k, np.int64), score, boxes))
    cols = [np.concatenate([p[j] for p in parts]) for j in range(4)]
    return list(files), (cols[0], cols[1], cols[2], cols[3].reshape(-1, ncoord))


def _line_of(path, row):
    """1-based line number of the ``row``-th non-blank line of a det file
    (read_detections skips blank lines, so rows and lines can differ)."""
    with open(path, "rb") as f:
        seen = -1
        for no, line in enumerate(f, 1):
            seen += bool(line.strip())
            if seen == row:
                return no
    return None


def det_files(dt, gt_classes=()):
    """{class name: path}, sorted by class name, of the per-class detection
    files in folder ``dt`` or matching template ``dt`` (``{}``, or the
    devkits' ``{:s}``, = class)."""
    folder, base = os.path.split(dt)
    dt = os.path.join(folder, base.replace("{:s}", "{}"))
    if "{}" in os.path.basename(dt):
        folder, base = os.path.split(dt)
        prefix, suffix = base.split("{}", 1)
    elif os.path.isdir(dt):
        folder, suffix = dt, ".txt"
        common = os.path.commonprefix([n for n in os.listdir(dt) if n.endswith(suffix)])
        prefix = common[:common.rfind("_") + 1]
    else:
        raise DetapInputError("per-class detections must be a folder of per-class files or a "
                              "file-name template with {} for the class name", dt)
    folder = folder or "."
    if not os.path.isdir(folder):
        raise DetapInputError("no such directory", folder)
    files = {}
    for n in sorted(os.listdir(folder)):
        if n.startswith(prefix) and n.endswith(suffix) and len(n) > len(prefix) + len(suffix):
            cls = _class_of(n[:len(n) - len(suffix)], len(prefix), gt_classes)
            if cls in files:
                raise DetapInputError(f"two detection files for class {cls!r}: "
                                      f"{os.path.basename(files[cls])} and {n}", folder)
            files[cls] = os.path.join(folder, n)
    if not files:
        raise DetapInputError("no per-class detection files", dt)
    return dict(sorted(files.items()))


def _class_of(stem, cut, gt_classes):
    """The class of a det file: a GT class that ends its stem after "_"
    (the longest), else the stem after the shared prefix."""
    ends = [c for c in gt_classes if stem.endswith("_" + c) or stem == c]
    return max(ends, key=len) if ends else stem[cut:]


def _xml_size(path):
    """(width, height) from an annotation's <size>, or None when absent or
    not positive.  Only the size element is looked at (objects come from
    parse_rec)."""
    try:
        for _, el in ET.iterparse(path):
            if el.tag == "size":
                dims = [_int_text(el.findtext(t), path, t) for t in ("width", "height")]
                return tuple(dims) if None not in dims and min(dims) > 0 else None
    except ET.ParseError as e:
        raise DetapInputError(f"malformed XML: {e}", path, e.position[0]) from None
    return None


def _int_text(value, path, tag):
    if value is None or not value.strip():
        return None
    try:
        v = float(value)
    except ValueError:
        v = None
    if v is None or not v.is_integer():
        raise DetapInputError(f"<size> <{tag}> is not an integer: {value.strip()!r}", path)
    return int(v)


# ------------------------------------------------------------------- writing

def write(ds, gt_out, dt_out=None):
    """VOC files for ``ds``: ``gt_out/Annotations/<key>.xml`` for every
    image, ``gt_out/ImageSets/Main/all.txt`` (the images in order), and,
    with ``dt_out`` (a folder, or a template with ``{}``), one
    ``det_test_<class>.txt`` per class (empty when it has no detections).
    Boxes are converted to "xyxy"; integral values are written as ints."""
    check_image_keys(ds.images, gt_out)
    ann_dir = os.path.join(gt_out, ANNOTATIONS)
    os.makedirs(ann_dir, exist_ok=True)
    boxes = ds.gt_as("xyxy")
    for i, rows in enumerate(rows_by(ds.gt_image, len(ds.images))):
        size = ds.image_sizes[i].tolist() if ds.image_sizes is not None else None
        objects = [(ds.classes[ds.gt_label[r]], boxes[r].tolist(), bool(ds.gt_difficult[r]))
                   for r in rows.tolist()]
        _xml(size, objects).write(os.path.join(ann_dir, ds.images[i] + ".xml"), encoding="utf-8")
    set_dir = os.path.join(gt_out, IMAGE_SETS)
    os.makedirs(set_dir, exist_ok=True)
    with open(os.path.join(set_dir, WRITTEN_SET + ".txt"), "w", encoding="utf-8") as f:
        f.write("".join(k + "\n" for k in ds.images))
    if dt_out is not None:
        _write_dets(ds, os.fspath(dt_out))


def _xml(size, objects):
    root = ET.Element("annotation")
    if size is not None:
        el = ET.SubElement(root, "size")
        ET.SubElement(el, "width").text = str(size[0])
        ET.SubElement(el, "height").text = str(size[1])
    for name, box, difficult in objects:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = name
        # py-faster-rcnn's parse_rec reads pose and truncated unconditionally
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = str(int(difficult))
        bb = ET.SubElement(obj, "bndbox")
        for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), box):
            ET.SubElement(bb, tag).text = fmt_num(v)
    ET.indent(root)
    return ET.ElementTree(root)


def _write_dets(ds, dt_out):
    write_class_dets(ds, dt_out, DET_TEMPLATE, "xyxy")


def write_class_dets(ds, dt_out, file_template, box_format):
    """One ``file_template.format(class)`` per class (empty when it has no
    detections) in folder ``dt_out``, or ``dt_out`` itself when it is a
    template with ``{}``: lines ``image score <box in box_format>``."""
    template = dt_out if "{}" in os.path.basename(dt_out) else os.path.join(dt_out, file_template)
    os.makedirs(os.path.dirname(template) or ".", exist_ok=True)
    boxes = ds.dets_as(box_format).tolist()
    scores, image = ds.det_scores.tolist(), ds.det_image.tolist()
    for k, rows in enumerate(rows_by(ds.det_label, len(ds.classes))):
        check_stem(ds.classes[k], "class name", dt_out)
        lines = (f"{ds.images[image[r]]} {scores[r]!r} " + " ".join(map(fmt_num, boxes[r])) + "\n"
                 for r in rows.tolist())
        with open(template.replace("{}", ds.classes[k]), "w", encoding="utf-8") as f:
            f.write("".join(lines))
