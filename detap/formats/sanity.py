"""Checks that a freshly read ``Dataset`` looks like what the user meant.

A reader that parses every line can still return data that evaluates to a
plausible but wrong mAP: integer class ids that match no class name, boxes
read in the wrong layout, a confidence column read as a coordinate, an empty
folder.  ``check`` looks for those mistakes once, after every read
(``detap.formats.read``, hence every CLI command), and either raises
``DetapInputError`` (the result could not mean anything) or issues a
``DetapWarning`` (one line naming the file or folder, what looks wrong and
the flag that fixes it).

Rules (each needs enough boxes that a healthy data set cannot trip it):

- no ground-truth box read: error, naming what the folder holds;
- no detection read: warning;
- no detection class among the ground-truth classes: error; fewer than half
  of them: warning (both show a few class names of each side);
- text, YOLO and YOLO-OBB boxes: a warning when most boxes (> 50 %, at
  least ``MIN_BOXES``) of a side extend past their image by more than 1 %
  (+1 pixel), when image sizes are known (a text layout flag or pixel
  coordinates in normalised labels); and, for text boxes,
  in xywh, when nearly all (>= 90 %) have w > x and h > y, which is
  what x1 y1 x2 y2 corners read as x y w h look like;
- rotated boxes (cx, cy, w, h, angle): a warning when at least half of a
  side's angles exceed 2 pi in magnitude, as angles in degrees do (detap,
  hotcoco and mmrotate read radians); no minimum count, since one such
  angle in radians is already unusual;
- YOLO detections: the confidence is the last field (ultralytics'
  ``save_conf``).  Files written as ``class conf cx cy w h`` parse just as
  well, so the rule re-reads the same numbers that way and compares how
  many detections (a sample of at most ``SAMPLE``) overlap a ground-truth
  box of their image and class with IoU >= 0.5: a warning when the
  re-reading matches at least twice as many and at least 10 % of them.
"""
import os
import warnings

import numpy as np

from ..boxes import boxes_as
from ..errors import DetapInputError, DetapWarning

__all__ = ["check", "MIN_BOXES", "SAMPLE"]

MIN_BOXES = 10
SAMPLE = 2000
_EXAMPLES = 4
_SUGGEST = {".xml": "voc", ".json": "coco", ".txt": "yolo, cartucho, text, dota or yolo-obb"}


def check(ds, gt, dt, gt_fmt, dt_fmt, box_format):
    """Raise or warn about ``ds`` as read from ``gt``/``dt`` in formats
    ``gt_fmt``/``dt_fmt`` (text ``box_format``); see the module doc."""
    gt_where = _where(gt)
    dt_where = _where(dt) if dt is not None else gt_where
    for side, where in (("gt", gt_where), ("det", dt_where)):
        _check_overflow(ds, side, where)
        if ds.box_format == "obb":   # (ground truth read alone too)
            _check_angles(ds, side, where)
    if len(ds.gt_boxes) == 0:
        raise DetapInputError(f"no ground-truth boxes were read as {gt_fmt}"
                              f"{_holdings(gt, gt_fmt)}", gt_where)
    if not ds.has_dets:
        return
    if len(ds.det_boxes) == 0:
        _warn(f"{dt_where}: no detections were read (as {dt_fmt}); every AP will be 0: "
              "check the folder, or pass --dt-format if the detections are in another format")
        return
    _check_classes(ds, dt_where)
    for side, fmt, where in (("gt", gt_fmt, gt_where), ("det", dt_fmt, dt_where)):
        if fmt == "text":
            _check_text_boxes(ds, side, where, box_format)
        elif fmt in ("yolo", "yolo-obb"):
            _check_extent(ds, side, where, f": {fmt} labels hold fractions of the image size "
                          "(0 to 1); these look like pixel coordinates")
    if dt_fmt in ("yolo", "yolo-obb"):
        _check_yolo_confidence(ds, dt_where, obb=dt_fmt == "yolo-obb")


def _check_overflow(ds, side, where):
    """Coordinates so large (e.g. 1e308) that x + w or w * h overflow would
    reach the evaluators as inf and NaN: an error naming the box."""
    raw = ds.gt_boxes if side == "gt" else ds.det_boxes
    if not len(raw):
        return
    with np.errstate(all="ignore"):
        other = "xywh" if ds.box_format == "xyxy" else "xyxy"
        conv = ds.gt_as(other) if side == "gt" else ds.dets_as(other)
        # a quadrilateral's width and area: those of its axis-aligned extent
        xywh = ds.gt_as("xywh") if side == "gt" else ds.dets_as("xywh")
        ok = (np.isfinite(conv).all(axis=1) & np.isfinite(xywh[:, 2] * xywh[:, 3])
              & np.isfinite((xywh[:, 2] + 1) * (xywh[:, 3] + 1)))
    if ok.all():
        return
    row = int(np.flatnonzero(~ok)[0])
    image = (ds.gt_image if side == "gt" else ds.det_image)[row]
    label = (ds.gt_label if side == "gt" else ds.det_label)[row]
    nth = int(((ds.gt_image if side == "gt" else ds.det_image)[:row] == image).sum()) + 1
    what = "ground-truth box" if side == "gt" else "detection"
    raise DetapInputError(f"image {ds.images[image]!r}, {what} {nth} (class "
                          f"{ds.classes[label]!r}): coordinates {raw[row].tolist()} overflow "
                          "box arithmetic (width, area); boxes must be in pixels", where)


def _where(path):
    return os.fspath(path) if isinstance(path, (str, os.PathLike)) else "input"


def _warn(message):
    warnings.warn(message, DetapWarning, stacklevel=4)


def _holdings(path, fmt):
    """': it holds 60 .xml files: try --format voc' for a folder whose files
    suggest another format, else ''."""
    if not isinstance(path, (str, os.PathLike)) or not os.path.isdir(path):
        return ""
    counts = {}
    for name in os.listdir(path):
        ext = os.path.splitext(name)[1].lower()
        counts[ext] = counts.get(ext, 0) + 1
    if not counts:
        return ": the folder is empty"
    ext, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    held = f": it holds {n} {ext or 'extensionless'} file{'s' if n != 1 else ''}"
    guess = _SUGGEST.get(ext)
    if guess and fmt not in guess.replace(",", " ").split():
        return f"{held}: try --format {guess}"
    return f"{held}: check the format (--format) and the files"


def _names(classes, labels):
    shown = [classes[k] for k in labels[:_EXAMPLES]]
    more = ", ..." if len(labels) > _EXAMPLES else ""
    return ", ".join(repr(s) for s in shown) + more


def _is_int(name):
    return name.lstrip("-").isdigit()


def _check_classes(ds, where):
    det = np.unique(ds.det_label)
    gt = np.unique(ds.gt_label)
    common = np.intersect1d(det, gt)
    if len(common) * 2 >= len(det):
        return
    # ids on one side and names on the other: the names file is missing
    unmatched = np.setdiff1d(det, gt)
    det_ids = any(_is_int(ds.classes[k]) for k in unmatched)
    gt_ids = any(_is_int(ds.classes[k]) for k in gt)
    fix = ("integer class ids need --names (a names file, one class per line, or a data.yaml) "
           "to map them to class names" if det_ids != gt_ids else
           "check that both sides use the same class names (--names fixes the class list)")
    what = (f"detection classes ({_names(ds.classes, det)}) vs ground-truth classes "
            f"({_names(ds.classes, gt)}): {fix}")
    if not len(common):
        raise DetapInputError(f"no detection class is a ground-truth class: {what}", where)
    _warn(f"{where}: only {len(common)} of {len(det)} detection classes appear in the ground "
          f"truth: {what}")


def _image_wh(ds, image):
    sizes = ds.image_sizes.astype(np.float64)
    return sizes[image, 0], sizes[image, 1]


def _check_text_boxes(ds, side, where, box_format):
    raw = ds.gt_boxes if side == "gt" else ds.det_boxes
    n = len(raw)
    if n < MIN_BOXES:
        return
    what = "ground-truth boxes" if side == "gt" else "detection boxes"
    hint = (f"pass --box-format (xyxy, xywh, cxcywh, quad or obb) to match the files; text boxes are "
            f"read as {box_format or 'xywh'} by default")
    if _check_extent(ds, side, where, f" when read as {box_format or 'xywh'}: {hint}"):
        return
    if ds.box_format == "xywh":  # (quadrilaterals: only the extent check above)
        corner_like = (raw[:, 2] > raw[:, 0]) & (raw[:, 3] > raw[:, 1])
        if corner_like.sum() >= 0.9 * n:
            _warn(f"{where}: {int(corner_like.sum())} of {n} {what} read as x y w h have "
                  f"w > x and h > y, as x1 y1 x2 y2 corners do: {hint}")


def _check_angles(ds, side, where):
    boxes = ds.gt_boxes if side == "gt" else ds.det_boxes
    if not len(boxes):
        return
    angle = boxes[:, 4]
    beyond = np.abs(angle) > 2 * np.pi
    big = int(beyond.sum())
    if big * 2 >= len(angle):
        what = "ground-truth" if side == "gt" else "detection"
        _warn(f"{where}: {big} of {len(angle)} {what} rotated boxes have an angle beyond 2 pi "
              f"(e.g. {float(angle[np.argmax(beyond)])!r}): angles look like "
              "degrees, but rotated boxes take radians (convert them with numpy.deg2rad)")


def _check_extent(ds, side, where, hint):
    """Warn (and return True) when most boxes of a side (> 50 %, at least
    MIN_BOXES) extend past their image by more than 1 % (+1 pixel), where
    image sizes are known; a quadrilateral by its axis-aligned extent."""
    n = len(ds.gt_boxes if side == "gt" else ds.det_boxes)
    if n < MIN_BOXES or ds.image_sizes is None:
        return False
    xyxy = ds.gt_as("xyxy") if side == "gt" else ds.dets_as("xyxy")
    w, h = _image_wh(ds, ds.gt_image if side == "gt" else ds.det_image)
    with np.errstate(all="ignore"):
        out = int(((xyxy[:, 2] > w * 1.01 + 1) | (xyxy[:, 3] > h * 1.01 + 1)).sum())
    if out * 2 <= n:
        return False
    what = "ground-truth boxes" if side == "gt" else "detection boxes"
    _warn(f"{where}: {out} of {n} {what} extend past their image{hint}")
    return True


def _hits(boxes, image, label, gt_boxes, gt_image, gt_label):
    """How many of ``boxes`` (xyxy) overlap a GT box of their image and
    class with IoU >= 0.5 (continuous coordinates)."""
    cells = {}
    near = np.flatnonzero(np.isin(gt_image, image))  # only the sampled images' GT
    for i, key in zip(near.tolist(), zip(gt_image[near].tolist(), gt_label[near].tolist())):
        cells.setdefault(key, []).append(i)
    hits = 0
    with np.errstate(all="ignore"):
        for b, key in zip(boxes, zip(image.tolist(), label.tolist())):
            rows = cells.get(key)
            if not rows:
                continue
            g = gt_boxes[rows]
            iw = np.minimum(b[2], g[:, 2]) - np.maximum(b[0], g[:, 0])
            ih = np.minimum(b[3], g[:, 3]) - np.maximum(b[1], g[:, 1])
            inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
            union = (b[2] - b[0]) * (b[3] - b[1]) + (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]) - inter
            hits += bool((inter >= 0.5 * union).any())
    return hits


def _check_yolo_confidence(ds, where, obb=False):
    """Warn when YOLO (``obb``: YOLO-OBB) detections overlap their ground
    truth far better read with the confidence first ('class conf ...')
    than as written ('class ... conf', Ultralytics' order)."""
    if ds.image_sizes is None or len(ds.det_boxes) < MIN_BOXES:
        return
    pick = np.linspace(0, len(ds.det_boxes) - 1, min(SAMPLE, len(ds.det_boxes))).astype(np.int64)
    pick = np.unique(pick)
    img, lab = ds.det_image[pick], ds.det_label[pick]
    w, h = _image_wh(ds, img)
    with np.errstate(all="ignore"):
        if obb:  # the fields as written: x1 y1 .. x4 y4 conf, relative
            scale = np.tile(np.stack([w, h], axis=1), 4)
            quad = ds.det_boxes[pick]
            fields = np.concatenate([quad / scale, ds.det_scores[pick][:, None]], axis=1)
            xyxy = boxes_as(quad, "quad", "xyxy")
            alt = boxes_as(fields[:, 1:9] * scale, "quad", "xyxy")
        else:
            xyxy = boxes_as(ds.det_boxes[pick], ds.box_format, "xyxy")  # only the sample
            # the fields as written: cx cy w h conf, relative
            fields = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2 / w, (xyxy[:, 1] + xyxy[:, 3]) / 2 / h,
                               (xyxy[:, 2] - xyxy[:, 0]) / w, (xyxy[:, 3] - xyxy[:, 1]) / h,
                               ds.det_scores[pick]], axis=1)
            cx, cy, bw, bh = fields[:, 1], fields[:, 2], fields[:, 3], fields[:, 4]
            alt = np.stack([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w,
                            (cy + bh / 2) * h], axis=1)
    gt = ds.gt_as("xyxy")
    as_read = _hits(xyxy, img, lab, gt, ds.gt_image, ds.gt_label)
    conf_first = _hits(alt, img, lab, gt, ds.gt_image, ds.gt_label)
    if conf_first >= 2 * max(as_read, 1) and conf_first >= 0.1 * len(pick):
        name, box = ("YOLO-OBB", "x1 y1 .. x4 y4") if obb else ("YOLO", "cx cy w h")
        fix = ("read them with --dt-format text --box-format quad (pixels) after moving the "
               "confidence" if obb else "read them with --dt-format text --box-format cxcywh "
               "--relative --names <the class names>")
        _warn(f"{where}: these {name} detections look like 'class conf {box}' lines "
              f"({conf_first} of {len(pick)} sampled detections overlap their ground truth "
              f"read that way, {as_read} read as {name}'s 'class {box} conf'): move the "
              f"confidence to the last field, or {fix}")
