"""COCO annotations as checked column arrays (the first stage of COCO evaluation).

A COCO annotation list (from JSON through detap's C reader, from dicts, or
from arrays) becomes one ``Columns``: a row per annotation.  Every source
goes through the same checks: finite numbers, non-negative box sizes,
integer ids, with messages that name the file, record and field.

Boxes are ``[x, y, width, height]`` in pixels (COCO's convention); areas in
square pixels.
"""
import json
import math
import os
import warnings

import numpy as np

from .. import _core
from ..errors import DetapInputError, DetapWarning
from ..threads import nthreads

__all__ = ["Columns", "DetapResultsError", "GT_FIELDS", "DT_FIELDS", "column", "check_finite",
           "field_error", "id_column", "box_area", "keypoints_column", "keypoints_box", "check_negative_size", "gt_columns", "dt_columns", "load_json", "parse_json", "read_fast", "read_json"]


class DetapResultsError(DetapInputError, AssertionError):
    """Results that do not fit the ground truth.  Also an AssertionError,
    which is what pycocotools raises for results on unknown images."""


class Columns:
    """Column arrays of a COCO annotation list (one row per annotation).

    image_id, category_id, id : int64 (n,)
    bbox   : float64 (n, 4), [x, y, w, h] pixels
    area   : float64 (n,), square pixels
    crowd  : uint8, int(iscrowd) != 0 (crowd IoU; a crowd GT can match again)
    ignore : uint8, bool(iscrowd) (pycocotools sets ignore = iscrowd)
    score  : float64 (n,) for results, else None
    kpts   : float64 (n, 3K) keypoints x, y, v (pixels) for iouType
             "keypoints", else None
    masks  : the annotations' masks as RLE columns (``masks.MaskColumns``)
             for iouType "segm", else None
    obb    : float64 (n, 5) rotated rectangles [cx, cy, w, h, angle] (pixels,
             radians) for iouType "obb", else None
    """

    def __init__(self, image_id, category_id, ids, bbox, area, crowd, ignore, score=None,
                 ids_unique=False, kpts=None, masks=None, obb=None):
        self.image_id, self.category_id, self.id = image_id, category_id, ids
        self.bbox, self.area, self.crowd, self.ignore, self.score = bbox, area, crowd, ignore, score
        self.ids_unique = ids_unique  # known without looking (loadRes numbers 1..N)
        self.kpts, self.masks, self.obb = kpts, masks, obb

    def with_fields(self, **fields):
        """A copy sharing the arrays, with ``fields`` replaced."""
        new = Columns(self.image_id, self.category_id, self.id, self.bbox, self.area, self.crowd,
                      self.ignore, self.score, self.ids_unique, self.kpts, self.masks, self.obb)
        for name, value in fields.items():
            setattr(new, name, value)
        return new

    def __len__(self):
        return len(self.image_id)

    def take(self, rows):
        """The rows ``rows`` (an int64 index array), every column cut alike."""
        def cut(a):
            return None if a is None else a[rows]
        return Columns(self.image_id[rows], self.category_id[rows], self.id[rows],
                       self.bbox[rows], self.area[rows], self.crowd[rows], self.ignore[rows],
                       cut(self.score), self.ids_unique, cut(self.kpts),
                       None if self.masks is None else self.masks.take(rows), cut(self.obb))

    @classmethod
    def checked(cls, where, image_id, category_id, ids, bbox, area, crowd=None, ignore=None,
                score=None, check_area=True, ids_unique=False, negative="error"):
        """Columns after the checks every source needs: finite boxes, a
        finite score, and a finite area where the area comes from the input
        (one computed as w * h needs no check).  Boxes of negative size are
        an error, or with ``negative="warn"`` (pycocotools' API, which
        evaluates them: their IoU is 0) a DetapWarning.  crowd and ignore
        default to zeros (results).  ``area`` None: w * h (pycocotools'
        result area), computed in the pass that checks boxes and scores."""
        clean = False
        if area is None:  # one parallel pass; the checks below only name a problem it found
            area, finite, negatives = _core.box_result_facts(
                bbox, score if score is not None else np.zeros(len(bbox)))
            clean, check_area = finite and not negatives, False
        if not clean:
            check_finite(bbox, "bbox", where)
            check_negative_size(bbox, where, warn=negative == "warn")
            if check_area:
                check_finite(area, "area", where)
            if score is not None:
                check_finite(score, "score", where)
        n = len(image_id)
        zeros = np.zeros(n, np.uint8)
        return cls(image_id, category_id, ids, bbox, area,
                   zeros if crowd is None else crowd, zeros if ignore is None else ignore,
                   score, ids_unique=ids_unique)


def field_error(anns, field, where, kind):
    for i, a in enumerate(anns):
        if not isinstance(a, dict):
            return DetapInputError(f"{where}: record {i} is not an object: {a!r:.80}")
        if field not in a:
            return DetapInputError(f"{where}: record {i} has no '{field}'")
        v = a[field]
        if field == "bbox":
            if not isinstance(v, (list, tuple, np.ndarray)) or len(v) != 4:
                return DetapInputError(f"{where}: record {i} 'bbox' must be [x, y, w, h], got {v!r:.80}")
            try:
                [float(x) for x in v]
            except (TypeError, ValueError):
                return DetapInputError(f"{where}: record {i} 'bbox' is not numeric: {v!r:.80}")
            except OverflowError:  # an integer beyond float64
                return DetapInputError(f"{where}: record {i} 'bbox' is not finite: {v!r:.80}")
        else:
            try:
                (int if kind == "int" else float)(v)
            except (TypeError, ValueError):
                return DetapInputError(f"{where}: record {i} '{field}' is not a number: {v!r:.80}")
            except OverflowError:  # int(inf), or float() of an integer beyond float64
                return DetapInputError(f"{where}: record {i} '{field}' is not finite: {v!r:.80}")
            if kind == "int" and isinstance(v, int) and not -2 ** 63 <= v < 2 ** 63:
                return DetapInputError(f"{where}: record {i} '{field}' is out of the int64 range: "
                                       f"{v!r:.80}")
            if kind == "int" and not isinstance(v, int) and float(v) != int(v):
                return DetapInputError(f"{where}: record {i} '{field}' is not an integer: {v!r:.80}")
    return DetapInputError(f"{where}: bad '{field}' values")


def column(anns, field, dtype, where, kind="float"):
    try:
        return _column(anns, field, dtype, kind)
    except OverflowError:
        if kind == "float":  # integers beyond float64 read as +-inf, as in the C reader
            try:
                return _column(anns, field, dtype, kind, _big_as_inf)
            except (KeyError, TypeError, ValueError, OverflowError):
                pass
    except (KeyError, TypeError, ValueError):
        pass
    raise field_error(anns, field, where, kind) from None


def _column(anns, field, dtype, kind, conv=None):
    n = len(anns)
    if field == "bbox":
        if n == 0:
            return np.zeros((0, 4), dtype=np.float64)
        rows = [a["bbox"] for a in anns] if conv is None else \
            [[conv(x) for x in a["bbox"]] for a in anns]
        arr = np.array(rows, dtype=np.float64)
        if arr.shape != (n, 4):
            raise ValueError
        return arr.reshape(n, 4)
    values = (a[field] for a in anns) if conv is None else (conv(a[field]) for a in anns)
    arr = np.fromiter(values, dtype=dtype, count=n)
    if kind == "int" and n:
        # int64 conversion truncates floats such as 1.5: check they were integers
        back = np.fromiter((a[field] for a in anns), dtype=np.float64, count=n)
        if not np.array_equal(back, arr.astype(np.float64)):
            raise ValueError
    return arr


def _big_as_inf(v):
    """An integer beyond float64 as +-inf (as float("1e999") reads); any
    other value as it is."""
    if isinstance(v, int):
        try:
            float(v)
        except OverflowError:
            return math.inf if v > 0 else -math.inf
    return v


def check_finite(values, field, where, nonneg_wh=False):
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise DetapInputError(f"{where}: record {i} '{field}' is not finite: {values[i].tolist()}")
    if nonneg_wh:
        check_negative_size(values, where)


def check_negative_size(bbox, where, warn=False):
    """(n, 4) xywh boxes with a negative width or height: an error naming
    the first, or (``warn``) one DetapWarning with their count."""
    neg = (bbox[:, 2] < 0) | (bbox[:, 3] < 0)
    if not neg.any():
        return
    i = int(np.flatnonzero(neg)[0])
    what = f"record {i} 'bbox' has a negative size: {bbox[i].tolist()}"
    if not warn:
        raise DetapInputError(f"{where}: {what}")
    warnings.warn(f"{where}: {what} ({int(neg.sum())} such boxes); they are evaluated as "
                  "pycocotools does: their IoU with every box is 0", DetapWarning, stacklevel=4)


def id_column(anns, field, codes, where):
    """int64 "image_id" / "category_id" of the records: the ids themselves,
    or their ``ids.IdCodes`` codes when the ground truth's ids of that kind
    are not all integers."""
    if codes is None:
        return column(anns, field, np.int64, where, "int")
    try:
        values = [a[field] for a in anns]
    except (KeyError, TypeError):
        raise field_error(anns, field, where, "int") from None
    return codes.encode(values, where, field)


def gt_columns(anns, where, codes=(None, None), bbox=None):
    """GT ``Columns`` of annotation dicts; ``codes`` = (image, category)
    ``IdCodes`` for ids that are not integers (None: integers); ``bbox``:
    the (n, 4) boxes when given by the caller (segm records without one)."""
    n = len(anns)
    try:
        iscrowd = [a["iscrowd"] for a in anns]
    except KeyError:
        raise field_error(anns, "iscrowd", where, "int") from None
    try:
        crowd = np.fromiter((int(v) != 0 for v in iscrowd), dtype=np.uint8, count=n)
    except (TypeError, ValueError, OverflowError):
        raise field_error(anns, "iscrowd", where, "int") from None
    ignore = np.fromiter((bool(v) for v in iscrowd), dtype=np.uint8, count=n)
    return Columns.checked(where, id_column(anns, "image_id", codes[0], where),
                           id_column(anns, "category_id", codes[1], where),
                           column(anns, "id", np.int64, where, "int"),
                           column(anns, "bbox", np.float64, where) if bbox is None else bbox,
                           column(anns, "area", np.float64, where), crowd, ignore,
                           negative="warn")


def dt_columns(anns, where, codes=(None, None), bbox=None):
    """Result ``Columns`` of annotation dicts (with score); ``codes`` and
    ``bbox`` as in gt_columns."""
    return Columns.checked(where, id_column(anns, "image_id", codes[0], where),
                           id_column(anns, "category_id", codes[1], where),
                           column(anns, "id", np.int64, where, "int"),
                           column(anns, "bbox", np.float64, where) if bbox is None else bbox,
                           column(anns, "area", np.float64, where),
                           score=column(anns, "score", np.float64, where), negative="warn")


def keypoints_column(anns, where):
    """(n, 3K) float64 of the records' "keypoints" [x1, y1, v1, ...]
    (pixels), checked: present, one length for all, a multiple of 3,
    finite."""
    n = len(anns)
    try:
        rows = [a["keypoints"] for a in anns]
        arr = np.array(rows, dtype=np.float64) if n else np.zeros((0, 0))
        if arr.ndim != 2 or arr.shape[1] % 3:
            raise ValueError
    except (KeyError, TypeError, ValueError, OverflowError):
        for i, a in enumerate(anns):
            v = a.get("keypoints") if isinstance(a, dict) else None
            if v is None:
                raise DetapInputError(f"{where}: record {i} has no 'keypoints' (iouType "
                                      "'keypoints' compares them)") from None
            if not isinstance(v, (list, tuple, np.ndarray)) or len(v) % 3:
                raise DetapInputError(f"{where}: record {i} 'keypoints' must be a list of "
                                      f"x, y, v triples, got {v!r:.80}") from None
            if len(v) != len(anns[0]["keypoints"]):
                raise DetapInputError(f"{where}: record {i} has {len(v) // 3} keypoints, record "
                                      f"0 has {len(anns[0]['keypoints']) // 3}") from None
        raise DetapInputError(f"{where}: 'keypoints' values are not numbers (or integers beyond "
                              "float64)") from None
    check_finite(arr, "keypoints", where)
    return arr


def keypoints_box(kpts, where=None, check=False):
    """pycocotools' loadRes box and area of keypoint results: the box
    spanning all K points, unlabelled ones too: (xywh (n, 4), area (n,)).
    With ``check``, a value that is not finite is an error naming its
    record (the pass that finds the boxes counts them)."""
    if not kpts.shape[1]:
        raise DetapInputError("keypoint results hold no keypoints", where)
    box, area, bad = _core.keypoint_result_boxes(kpts, nthreads(None))
    if check and bad:
        check_finite(kpts, "keypoints", where)
    return box, area


def box_area(xywh):
    """w * h of (n, 4) xywh boxes, as pycocotools' loadRes sets a result's
    area: Python floats, so a huge box gives inf without a warning."""
    with np.errstate(over="ignore"):
        return xywh[:, 2] * xywh[:, 3]


def load_json(path):
    with open(path, "rb") as f:
        return parse_json(f.read(), path)


GT_FIELDS = (_core.HAS_ID | _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_BBOX
              | _core.HAS_AREA | _core.HAS_ISCROWD)
DT_FIELDS = _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_BBOX | _core.HAS_SCORE


def read_fast(path, polygons=True):
    """(bytes or None, columns or None) of a JSON file via the C readers
    (without ``polygons``: polygon segmentations are checked, not read).

    A results file (a top-level array) is streamed: read in blocks and
    parsed on all cores, so the text is never held whole (``bytes`` is then
    None: a caller that needs the records reads the file again).  Any other
    document is read whole and parsed at once.  (Read, not memory-mapped: a
    file truncated by another process while mapped would crash the reader
    with SIGBUS.)  RLE counts strings are in the columns' "rle_blob" either
    way, so the text can be dropped."""
    with open(path, "rb", buffering=0) as f:
        head = f.read(4096)
        if head.lstrip(b" \t\r\n")[:1] == b"[" and f.seekable():  # (a pipe is read whole)
            f.seek(0)
            return None, _core.read_coco_results(f, os.fstat(f.fileno()).st_size)
        data = head + f.read()
    return data, _core.parse_coco_json(data, copy_rle=True, polygons=polygons)


def read_json(data, path):
    """The records of a file read_fast handed back (data None: read again)."""
    return load_json(path) if data is None else parse_json(data, path)


def parse_json(data, path):
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        raise DetapInputError(f"malformed JSON: {e.msg} (column {e.colno})", path, e.lineno) from None
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1 if e.encoding.startswith("utf-8") else None
        raise DetapInputError(f"not UTF-8 text ({e.reason})", path, line) from None
    except ValueError as e:  # an integer of more than sys.get_int_max_str_digits() digits
        raise DetapInputError(f"unreadable JSON: {e}", path) from None
    except RecursionError:
        raise DetapInputError("JSON nested too deeply for Python's json module", path) from None
