"""COCO-style box evaluation with pycocotools' API and pycocotools' numbers.

``COCO`` and ``COCOeval`` follow pycocotools (``from detap.coco import COCO,
COCOeval`` replaces ``from pycocotools.coco import COCO`` and
``from pycocotools.cocoeval import COCOeval``); for ``iouType="bbox"`` the
results (``stats``, ``eval["precision"]``, ``eval["recall"]``,
``eval["scores"]``) are equal to pycocotools' bit for bit.

Pipeline (the same C stages as every detap front end):

1. columns  annotations become arrays: image/category index, xywh boxes,
            area, crowd flag, id flags, score (``_Columns``);
2. cells    GT and detections are grouped by (category, image), each group
            in dataset order, as pycocotools' ``_gts``/``_dts``;
3. evaluate ``_core.coco_evaluate``: per cell, sort by score, cut at
            ``maxDets[-1]``, IoU, greedy matching per area range and IoU
            threshold (csrc/evaluate.c), in parallel over cells;
4. accumulate ``_core.coco_accumulate``: per category, the 101-point
            precision/recall (csrc/accumulate.c), in parallel over categories;
5. summarize the 12 numbers, with pycocotools' own numpy expressions.

Boxes are ``[x, y, width, height]`` in pixels (COCO's convention); areas in
square pixels.  ``ious`` and ``evalImgs`` are built lazily on first use (they
are large and few programs read them).
"""
import copy
import datetime
import json
import os
import sys
import time
import types
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from . import _core
from .errors import DetapInputError

__all__ = ["COCO", "COCOeval", "Params", "evaluate_arrays", "install_as_pycocotools"]


class DetapResultsError(DetapInputError, AssertionError):
    """Results that do not fit the ground truth.  Also an AssertionError,
    which is what pycocotools raises for results on unknown images."""


# ------------------------------------------------------------------- columns

class _Columns:
    """Column arrays of a COCO annotation list (one row per annotation).

    image_id, category_id, id : int64 (n,)
    bbox   : float64 (n, 4), [x, y, w, h] pixels
    area   : float64 (n,), square pixels
    crowd  : uint8, int(iscrowd) != 0 (crowd IoU; a crowd GT can match again)
    ignore : uint8, bool(iscrowd) (pycocotools sets ignore = iscrowd)
    score  : float64 (n,) for results, else None
    """

    def __init__(self, image_id, category_id, ids, bbox, area, crowd, ignore, score=None,
                 ids_unique=False):
        self.image_id, self.category_id, self.id = image_id, category_id, ids
        self.bbox, self.area, self.crowd, self.ignore, self.score = bbox, area, crowd, ignore, score
        self.ids_unique = ids_unique  # known without looking (loadRes numbers 1..N)

    def __len__(self):
        return len(self.image_id)

    @classmethod
    def checked(cls, where, image_id, category_id, ids, bbox, area, crowd=None, ignore=None,
                score=None, check_area=True, ids_unique=False):
        """Columns after the checks every source needs: finite boxes of
        non-negative size, a finite score, and a finite area where the area
        comes from the input (one computed as w * h needs no check).  crowd
        and ignore default to zeros (results)."""
        _check_finite(bbox, "bbox", where, nonneg_wh=True)
        if check_area:
            _check_finite(area, "area", where)
        if score is not None:
            _check_finite(score, "score", where)
        n = len(image_id)
        zeros = np.zeros(n, np.uint8)
        return cls(image_id, category_id, ids, bbox, area,
                   zeros if crowd is None else crowd, zeros if ignore is None else ignore,
                   score, ids_unique=ids_unique)


def _field_error(anns, field, where, kind):
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
        else:
            try:
                (int if kind == "int" else float)(v)
            except (TypeError, ValueError):
                return DetapInputError(f"{where}: record {i} '{field}' is not a number: {v!r:.80}")
            if kind == "int" and float(v) != int(v):
                return DetapInputError(f"{where}: record {i} '{field}' is not an integer: {v!r:.80}")
    return DetapInputError(f"{where}: bad '{field}' values")


def _column(anns, field, dtype, where, kind="float"):
    n = len(anns)
    try:
        if field == "bbox":
            if n == 0:
                return np.zeros((0, 4), dtype=np.float64)
            arr = np.array([a["bbox"] for a in anns], dtype=np.float64)
            if arr.shape != (n, 4):
                raise ValueError
            return arr.reshape(n, 4)
        arr = np.fromiter((a[field] for a in anns), dtype=dtype, count=n)
        if kind == "int" and n:
            # int64 conversion truncates floats such as 1.5: check they were integers
            back = np.fromiter((a[field] for a in anns), dtype=np.float64, count=n)
            if not np.array_equal(back, arr.astype(np.float64)):
                raise ValueError
        return arr
    except (KeyError, TypeError, ValueError, OverflowError):
        raise _field_error(anns, field, where, kind) from None


def _check_finite(values, field, where, nonneg_wh=False):
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise DetapInputError(f"{where}: record {i} '{field}' is not finite: {values[i].tolist()}")
    if nonneg_wh:
        neg = (values[:, 2] < 0) | (values[:, 3] < 0)
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise DetapInputError(f"{where}: record {i} 'bbox' has a negative size: {values[i].tolist()}")


def _gt_columns(anns, where):
    n = len(anns)
    try:
        iscrowd = [a["iscrowd"] for a in anns]
    except KeyError:
        raise _field_error(anns, "iscrowd", where, "int") from None
    try:
        crowd = np.fromiter((int(v) != 0 for v in iscrowd), dtype=np.uint8, count=n)
    except (TypeError, ValueError):
        raise _field_error(anns, "iscrowd", where, "int") from None
    ignore = np.fromiter((bool(v) for v in iscrowd), dtype=np.uint8, count=n)
    return _Columns.checked(where, _column(anns, "image_id", np.int64, where, "int"),
                            _column(anns, "category_id", np.int64, where, "int"),
                            _column(anns, "id", np.int64, where, "int"),
                            _column(anns, "bbox", np.float64, where),
                            _column(anns, "area", np.float64, where), crowd, ignore)


def _dt_columns(anns, where):
    return _Columns.checked(where, _column(anns, "image_id", np.int64, where, "int"),
                            _column(anns, "category_id", np.int64, where, "int"),
                            _column(anns, "id", np.int64, where, "int"),
                            _column(anns, "bbox", np.float64, where),
                            _column(anns, "area", np.float64, where),
                            score=_column(anns, "score", np.float64, where))


# ---------------------------------------------------------------------- COCO

def _load_json(path):
    with open(path, "rb") as f:
        return _loads(f.read(), path)


_GT_FIELDS = (_core.HAS_ID | _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_BBOX
              | _core.HAS_AREA | _core.HAS_ISCROWD)
_DT_FIELDS = _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_BBOX | _core.HAS_SCORE


def _read_fast(path):
    """(bytes, columns or None) of a JSON file via the C reader.  (Read, not
    memory-mapped: a file truncated by another process while mapped would
    crash the reader with SIGBUS.)"""
    with open(path, "rb") as f:
        data = f.read()
    return data, _core.parse_coco_json(data)


def _loads(data, path):
    try:
        return json.loads(data)
    except json.JSONDecodeError as e:
        raise DetapInputError(f"malformed JSON: {e.msg} (column {e.colno})", path, e.lineno) from None
    except UnicodeDecodeError as e:
        raise DetapInputError(f"not UTF-8 text ({e.reason})", path) from None


def _unique_in_order(ids):
    """Distinct values in order of first appearance (dict key order)."""
    if not len(ids):
        return []
    _, first = np.unique(ids, return_index=True)
    return ids[np.sort(first)].tolist()


class COCO:
    """pycocotools' ``COCO``: a dataset or a result set, with its indexes.

    ``annotation_file`` is a path to a COCO JSON file or an already loaded
    dict.  Attributes: ``dataset`` (the dict), ``anns``, ``imgs``, ``cats``
    (id -> dict), ``imgToAnns``, ``catToImgs``.

    A file is read by detap's C reader into column arrays, which is all that
    evaluation needs; the dicts above are built on first access (by reading
    the file again with Python's json module), so evaluation never pays for
    them.  Files outside the reader's subset go through Python's json module
    directly.
    """

    def __init__(self, annotation_file=None):
        self._source = "<dict>"
        self._cols = None
        self._fast = None     # the C reader's columns of a file
        self._loader = None   # builds ``dataset`` on first access
        self._dataset = {}
        self._index = None    # (anns, imgs, cats, imgToAnns, catToImgs)
        # True once the caller can reach the dicts (gave them, or read them):
        # pycocotools re-reads them at every evaluate(), so then do we
        self._exposed = False
        self._result_cols = False  # columns made by loadRes from the results
        self._cols_role = None
        if annotation_file is None:
            return
        if isinstance(annotation_file, dict):
            self._set_dataset(annotation_file)
            self._exposed = True
            return
        path = os.fspath(annotation_file)
        self._source = path
        data, fast = _read_fast(path)
        if fast is None or fast["top_is_array"]:
            self._set_dataset(_loads(data, path))
        else:
            del data
            self._fast = fast
            self._loader = lambda: _load_json(path)

    # -- the dict view, built on demand --------------------------------

    def _set_dataset(self, dataset):
        if not isinstance(dataset, dict):
            raise DetapInputError(f"annotation file must hold a JSON object, not "
                                  f"{type(dataset).__name__}", self._source)
        for key in ("images", "annotations", "categories"):
            if key in dataset and not isinstance(dataset[key], list):
                raise DetapInputError(f"'{key}' must be a list", self._source)
        self._dataset = dataset
        self._loader = None
        self.createIndex()

    def _materialize(self):
        if self._loader is not None:
            loader, self._loader = self._loader, None
            self._set_dataset(loader())

    @property
    def dataset(self):
        self._materialize()
        self._exposed = True
        return self._dataset

    @dataset.setter
    def dataset(self, value):
        self._dataset, self._loader, self._fast, self._cols, self._index = value, None, None, None, None
        self._exposed, self._result_cols = True, False

    def _idx(self, i):
        self._materialize()
        if self._index is None:
            self.createIndex()
        self._exposed = True
        return self._index[i]

    anns = property(lambda self: self._idx(0))
    imgs = property(lambda self: self._idx(1))
    cats = property(lambda self: self._idx(2))
    imgToAnns = property(lambda self: self._idx(3))
    catToImgs = property(lambda self: self._idx(4))

    def createIndex(self):
        self._materialize()
        anns, cats, imgs = {}, {}, {}
        imgToAnns, catToImgs = defaultdict(list), defaultdict(list)
        where = self._source
        ds = self._dataset
        if "annotations" in ds:
            for ann in ds["annotations"]:
                try:
                    imgToAnns[ann["image_id"]].append(ann)
                    anns[ann["id"]] = ann
                except (KeyError, TypeError):
                    raise _field_error(ds["annotations"], "image_id" if "image_id" not in ann
                                       else "id", where + " annotations", "int") from None
        if "images" in ds:
            for i, img in enumerate(ds["images"]):
                try:
                    imgs[img["id"]] = img
                except (KeyError, TypeError):
                    raise DetapInputError(f"images record {i} has no 'id'", where) from None
        if "categories" in ds:
            for i, cat in enumerate(ds["categories"]):
                try:
                    cats[cat["id"]] = cat
                except (KeyError, TypeError):
                    raise DetapInputError(f"categories record {i} has no 'id'", where) from None
        if "annotations" in ds and "categories" in ds:
            try:
                for ann in ds["annotations"]:
                    catToImgs[ann["category_id"]].append(ann["image_id"])
            except (KeyError, TypeError):
                raise _field_error(ds["annotations"], "category_id", where + " annotations",
                                   "int") from None
        self._index = (anns, imgs, cats, imgToAnns, catToImgs)
        if not self._result_cols:
            self._cols = None

    def info(self):
        for key, value in self.dataset.get("info", {}).items():
            print(f"{key}: {value}")

    # -- queries ---------------------------------------------------------

    def getAnnIds(self, imgIds=[], catIds=[], areaRng=[], iscrowd=None):
        imgIds = imgIds if _is_seq(imgIds) else [imgIds]
        catIds = catIds if _is_seq(catIds) else [catIds]
        if len(imgIds) == len(catIds) == len(areaRng) == 0:
            anns = self.dataset.get("annotations", [])
        else:
            if len(imgIds) != 0:
                lists = [self.imgToAnns[i] for i in imgIds if i in self.imgToAnns]
                anns = [a for lst in lists for a in lst]
            else:
                anns = self.dataset.get("annotations", [])
            if len(catIds) != 0:
                anns = [a for a in anns if a["category_id"] in catIds]
            if len(areaRng) != 0:
                anns = [a for a in anns if areaRng[0] < a["area"] < areaRng[1]]
        if iscrowd is not None:
            return [a["id"] for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms=[], supNms=[], catIds=[]):
        catNms = catNms if _is_seq(catNms) else [catNms]
        supNms = supNms if _is_seq(supNms) else [supNms]
        catIds = catIds if _is_seq(catIds) else [catIds]
        if not (len(catNms) or len(supNms) or len(catIds)) and self._fast_ids("cat") is not None:
            return self._fast_ids("cat").tolist()
        cats = self.dataset.get("categories", [])
        if len(catNms) or len(supNms) or len(catIds):
            cats = cats if len(catNms) == 0 else [c for c in cats if c["name"] in catNms]
            cats = cats if len(supNms) == 0 else [c for c in cats if c["supercategory"] in supNms]
            cats = cats if len(catIds) == 0 else [c for c in cats if c["id"] in catIds]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds=[], catIds=[]):
        imgIds = imgIds if _is_seq(imgIds) else [imgIds]
        catIds = catIds if _is_seq(catIds) else [catIds]
        if len(imgIds) == len(catIds) == 0:
            if self._fast_ids("img") is not None:
                return _unique_in_order(self._fast_ids("img"))
            return list(self.imgs.keys())
        ids = set(imgIds)
        for i, catId in enumerate(catIds):
            if i == 0 and len(ids) == 0:
                ids = set(self.catToImgs[catId])
            else:
                ids &= set(self.catToImgs[catId])
        return list(ids)

    def _fast_ids(self, which):
        """Image or category ids from the C reader, while the dicts are not
        built (None when unavailable: the dict path then decides)."""
        f = self._fast
        if f is None or self._loader is None:
            return None
        ids, has = f[f"{which}_id"], f[f"{which}_has"]
        return ids if bool(np.all(has & _core.HAS_ID)) else None

    def loadAnns(self, ids=[]):
        if _is_seq(ids):
            return [self.anns[i] for i in ids]
        if isinstance(ids, (int, np.integer)):
            return [self.anns[ids]]

    def loadCats(self, ids=[]):
        if _is_seq(ids):
            return [self.cats[i] for i in ids]
        if isinstance(ids, (int, np.integer)):
            return [self.cats[ids]]

    def loadImgs(self, ids=[]):
        if _is_seq(ids):
            return [self.imgs[i] for i in ids]
        if isinstance(ids, (int, np.integer)):
            return [self.imgs[ids]]

    def loadNumpyAnnotations(self, data):
        """Results from an (N, 7) array: [image_id, x, y, w, h, score, category_id]."""
        data = np.asarray(data)
        if data.ndim != 2 or data.shape[1] != 7:
            raise DetapInputError(f"result array must have shape (N, 7), got {data.shape}")
        return [{"image_id": int(data[i, 0]), "bbox": [data[i, 1], data[i, 2], data[i, 3], data[i, 4]],
                 "score": data[i, 5], "category_id": int(data[i, 6])} for i in range(data.shape[0])]

    # -- results -----------------------------------------------------------

    def loadRes(self, resFile):
        """A result set on this dataset's images, from a JSON path, a list of
        dicts or an (N, 7) array.  Box results get ``area = w * h``,
        ``id = index + 1`` and ``iscrowd = 0``, as in pycocotools (but the
        caller's dicts are not modified, and no polygon is made up)."""
        where = "results"
        fast = None
        anns = None
        if isinstance(resFile, (str, os.PathLike)):
            where = os.fspath(resFile)
            data, fast = _read_fast(where)
            if fast is None or not fast["top_is_array"] or not bool(
                    np.all((fast["has"] & _DT_FIELDS) == _DT_FIELDS)):
                fast = None
                anns = _loads(data, where)
            del data
        elif isinstance(resFile, np.ndarray):
            anns = self.loadNumpyAnnotations(resFile)
        else:
            anns = resFile
        if fast is None:
            if not isinstance(anns, list):
                raise DetapInputError("results must be a list of objects", where)
            if anns and isinstance(anns[0], dict) and "bbox" not in anns[0]:
                kind = "segmentation" if "segmentation" in anns[0] else (
                    "keypoints" if "keypoints" in anns[0] else "caption" if "caption" in anns[0] else None)
                if kind:
                    raise NotImplementedError(f"detap evaluates boxes only; these results hold {kind}")
            img_ids = _column(anns, "image_id", np.int64, where, "int")
            bbox = _column(anns, "bbox", np.float64, where)
            score = _column(anns, "score", np.float64, where)
            cat_ids = _column(anns, "category_id", np.int64, where, "int")
        else:
            img_ids, bbox, score, cat_ids = fast["image_id"], fast["bbox"], fast["score"], fast["category_id"]
        known = np.array(self.getImgIds(), dtype=np.int64)
        ok = np.isin(img_ids, known)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise DetapResultsError(f"record {i}: 'image_id' {img_ids[i]} is not an image of the "
                                    "ground truth (Results do not correspond to current coco set)",
                                    where)
        cols = _Columns.checked(where, img_ids, cat_ids, np.arange(1, len(img_ids) + 1, dtype=np.int64),
                                bbox, bbox[:, 2] * bbox[:, 3], score=score, check_area=False,
                                ids_unique=True)
        unknown = ~np.isin(cat_ids, np.array(self.getCatIds(), dtype=np.int64))
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            warnings.warn(f"{where}: {int(unknown.sum())} result(s) have a 'category_id' not in the "
                          f"ground truth (first: record {i}, {cat_ids[i]}); they are not evaluated, "
                          "as in pycocotools", stacklevel=2)
        res = COCO()
        res._source = where
        res._result_cols = True
        res._cols = cols
        res._fast = {"img_id": np.asarray(self.getImgIds(), dtype=np.int64),
                     "img_has": np.full(len(known), _core.HAS_ID, np.uint8),
                     "cat_id": np.asarray(self.getCatIds(), dtype=np.int64),
                     "cat_has": np.full(len(self.getCatIds()), _core.HAS_ID, np.uint8)}
        gt = self

        def build():
            records = anns if anns is not None else _load_json(where)
            new = []
            for i, ann in enumerate(records):
                a = dict(ann)
                bb = a["bbox"]
                a["area"] = bb[2] * bb[3]
                a["id"] = i + 1
                a["iscrowd"] = 0
                new.append(a)
            return {"images": [img for img in gt.dataset.get("images", [])],
                    "categories": copy.deepcopy(gt.dataset.get("categories", [])),
                    "annotations": new}
        res._loader = build
        return res

    def _columns(self, role="gt"):
        """Column arrays of the annotations in ``role`` "gt" (bbox, area,
        iscrowd) or "dt" (bbox, score; area = the record's).  Built from the
        C reader's columns while the dicts are untouched; from the dicts
        (afresh at every call, as pycocotools reads them at every evaluate)
        once the caller holds them."""
        if self._result_cols:
            return self._cols
        f = self._fast
        need = _GT_FIELDS if role == "gt" else (_DT_FIELDS | _core.HAS_ID | _core.HAS_AREA)
        if (self._cols is not None and self._cols_role == role and not self._exposed):
            return self._cols
        if (f is not None and self._loader is not None and not self._exposed
                and bool(np.all((f["has"] & need) == need))):
            where = f"{self._source} annotations"
            common = (where, f["image_id"], f["category_id"], f["id"], f["bbox"], f["area"])
            if role == "gt":
                isc = f["iscrowd"]  # int(iscrowd) != 0 and bool(iscrowd), on floats
                cols = _Columns.checked(*common, crowd=(np.trunc(isc) != 0).astype(np.uint8),
                                        ignore=(isc != 0).astype(np.uint8))
            else:
                cols = _Columns.checked(*common, score=f["score"])
        else:
            anns = self.dataset.get("annotations", [])
            where = f"{self._source} annotations"
            cols = _gt_columns(anns, where) if role == "gt" else _dt_columns(anns, where)
        self._cols, self._cols_role = cols, role
        return cols


def _is_seq(x):
    """pycocotools' _isArrayLike: anything with __iter__ and __len__ (a str
    too, so getCatIds(catNms="dogfish") matches names inside "dogfish")."""
    return hasattr(x, "__iter__") and hasattr(x, "__len__")


# -------------------------------------------------------------------- params

class Params:
    """pycocotools' evaluation parameters for boxes."""

    def __init__(self, iouType="bbox"):
        if iouType in ("segm", "keypoints"):
            raise NotImplementedError(
                f"detap.coco evaluates iouType='bbox' only; use pycocotools for '{iouType}'")
        if iouType != "bbox":
            raise ValueError(f"unknown iouType {iouType!r}")
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [1, 10, 100]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1
        self.iouType = iouType
        self.useSegm = None

    def __deepcopy__(self, memo):
        """A deep copy without copying each id one by one (the ids are
        immutable scalars, so new lists and arrays suffice)."""
        new = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(new, name, value.copy())
            elif isinstance(value, list):
                # only areaRng nests; imgIds can hold 10^5 scalars, so do not
                # scan every list for nested ones
                if name == "areaRng" or (value and isinstance(value[0], (list, np.ndarray))):
                    value = [list(v) if isinstance(v, list) else
                             (v.copy() if isinstance(v, np.ndarray) else v) for v in value]
                setattr(new, name, value[:])
        return new


# ------------------------------------------------------------------ COCOeval

class COCOeval:
    """pycocotools' ``COCOeval`` for ``iouType="bbox"``.

    ``evaluate()``, ``accumulate()``, ``summarize()``; ``stats`` (12,);
    ``eval`` with ``precision`` (T, R, K, A, M), ``recall`` (T, K, A, M),
    ``scores``, ``counts``, ``params``, ``date``; ``ious`` and ``evalImgs``
    computed lazily.  ``threads`` (detap only): worker threads for the C
    stages, default all cores; results do not depend on it.
    """

    def __init__(self, cocoGt=None, cocoDt=None, iouType="segm", threads=None):
        if not iouType:
            iouType = "segm"
        self.params = Params(iouType=iouType)  # raises for segm / keypoints
        self.cocoGt, self.cocoDt = cocoGt, cocoDt
        self.evalImgs = []
        self.eval = {}
        self.stats = []
        self.threads = 0 if threads is None else int(threads)
        self._paramsEval = {}
        self._state = None
        self._ious = None
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            self.params.catIds = sorted(cocoGt.getCatIds())

    # -- evaluate --------------------------------------------------------

    def evaluate(self):
        tic = time.time()
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
        if p.iouType != "bbox":
            raise NotImplementedError("detap.coco evaluates iouType='bbox' only")
        img_ids = np.unique(np.asarray(p.imgIds))
        p.imgIds = list(img_ids)
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        gt = self.cocoGt._columns("gt")
        dt = self.cocoDt._columns("dt")
        self._state = _evaluate_columns(gt, dt, p, self.threads, img_ids)
        self._ious = None
        self.evalImgs = _LazyEvalImgs(self)
        self._paramsEval = copy.deepcopy(self.params)
        self._eval_seconds = time.time() - tic

    @property
    def ious(self):
        if self._ious is None:
            if self._state is None:
                return {}
            self._ious = _LazyIous(self)
        return self._ious

    @ious.setter
    def ious(self, value):
        self._ious = value

    def computeIoU(self, imgId, catId):
        """pycocotools' computeIoU: (D, G) IoU of the cell, D cut at maxDets[-1]."""
        return self.ious[imgId, catId]

    def evaluateImg(self, imgId, catId, aRng, maxDet):
        """pycocotools' per-image record (dict) or None, from the C results."""
        st = self._state
        p = self._paramsEval if self._paramsEval else self.params
        a = [list(r) for r in p.areaRng].index(list(aRng))
        return st.eval_img(st.cell_of(imgId, catId), a, maxDet)

    # -- accumulate ------------------------------------------------------

    def accumulate(self, p=None):
        tic = time.time()
        if self._state is None:
            print("Please run evaluate() first")
            return
        if p is None:
            p = self.params
        if not isinstance(self.evalImgs, _LazyEvalImgs):
            # evalImgs was replaced (e.g. torchvision merges the lists of
            # several processes): accumulate what it now holds.  ious stay
            # those of this process's evaluate(), as in pycocotools
            if self._ious is None and self._state.gt is not None:
                self._ious = _LazyIous(self)
            self._state = _state_from_evalimgs(self.evalImgs, self._paramsEval)
            self.evalImgs = _LazyEvalImgs(self, keep=self.evalImgs)
        pe = self._paramsEval
        if (list(p.imgIds) != list(pe.imgIds) or (p.useCats and list(p.catIds) != list(pe.catIds))
                or p.useCats != pe.useCats or [list(a) for a in p.areaRng] != [list(a) for a in pe.areaRng]
                or not np.array_equal(p.iouThrs, pe.iouThrs)):
            raise NotImplementedError("accumulate() with images, categories, area ranges or IoU "
                                      "thresholds other than evaluate()'s")
        setM = set(pe.maxDets)
        max_dets = [m for m in p.maxDets if m in setM]
        st = self._state
        precision, recall, scores = _core.coco_accumulate(
            st.K, st.cat_off, st.kept_off, st.kept_score, st.labels, st.npig,
            np.asarray(max_dets, dtype=np.int64), np.asarray(p.recThrs, dtype=np.float64),
            self.threads)
        T, R, K, A = len(p.iouThrs), len(p.recThrs), (len(p.catIds) if p.useCats else 1), len(p.areaRng)
        M = len(p.maxDets)
        if len(max_dets) != M:  # maxDets not evaluated keep -1, as pycocotools
            full_p, full_r, full_s = -np.ones((T, R, K, A, M)), -np.ones((T, K, A, M)), -np.ones((T, R, K, A, M))
            cols = [i for i, m in enumerate(p.maxDets) if m in setM]
            full_p[..., cols], full_r[..., cols], full_s[..., cols] = precision, recall, scores
            precision, recall, scores = full_p, full_r, full_s
        self.eval = {
            "params": p,
            "counts": [T, R, K, A, M],
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": precision,
            "recall": recall,
            "scores": scores,
        }
        self._acc_seconds = time.time() - tic

    # -- summarize -------------------------------------------------------

    def summarize(self):
        """The 12 pycocotools numbers, printed and stored in ``stats``."""
        def _summarize(ap=1, iouThr=None, areaRng="all", maxDets=100):
            p = self.params
            iStr = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"
            titleStr = "Average Precision" if ap == 1 else "Average Recall"
            typeStr = "(AP)" if ap == 1 else "(AR)"
            iouStr = "{:0.2f}:{:0.2f}".format(p.iouThrs[0], p.iouThrs[-1]) \
                if iouThr is None else "{:0.2f}".format(iouThr)
            aind = [i for i, aRng in enumerate(p.areaRngLbl) if aRng == areaRng]
            mind = [i for i, mDet in enumerate(p.maxDets) if mDet == maxDets]
            if ap == 1:
                s = self.eval["precision"]
                if iouThr is not None:
                    t = np.where(iouThr == p.iouThrs)[0]
                    s = s[t]
                s = s[:, :, :, aind, mind]
            else:
                s = self.eval["recall"]
                if iouThr is not None:
                    t = np.where(iouThr == p.iouThrs)[0]
                    s = s[t]
                s = s[:, :, aind, mind]
            if len(s[s > -1]) == 0:
                mean_s = -1
            else:
                mean_s = np.mean(s[s > -1])
            print(iStr.format(titleStr, typeStr, iouStr, areaRng, maxDets, mean_s))
            return mean_s

        def _summarizeDets():
            stats = np.zeros((12,))
            stats[0] = _summarize(1)
            stats[1] = _summarize(1, iouThr=.5, maxDets=self.params.maxDets[2])
            stats[2] = _summarize(1, iouThr=.75, maxDets=self.params.maxDets[2])
            stats[3] = _summarize(1, areaRng="small", maxDets=self.params.maxDets[2])
            stats[4] = _summarize(1, areaRng="medium", maxDets=self.params.maxDets[2])
            stats[5] = _summarize(1, areaRng="large", maxDets=self.params.maxDets[2])
            stats[6] = _summarize(0, maxDets=self.params.maxDets[0])
            stats[7] = _summarize(0, maxDets=self.params.maxDets[1])
            stats[8] = _summarize(0, maxDets=self.params.maxDets[2])
            stats[9] = _summarize(0, areaRng="small", maxDets=self.params.maxDets[2])
            stats[10] = _summarize(0, areaRng="medium", maxDets=self.params.maxDets[2])
            stats[11] = _summarize(0, areaRng="large", maxDets=self.params.maxDets[2])
            return stats

        if not self.eval:
            raise Exception("Please run accumulate() first")
        self.stats = _summarizeDets()

    def __str__(self):
        self.summarize()
        return ""


# ----------------------------------------------------------- the C pipeline

class _State:
    """What evaluate() leaves for accumulate() and the lazy views.

    Only cells with GT or detections exist (pycocotools' non-None evalImgs
    entries), ordered by category then image: ``cell_key`` = k * I + i
    (k = 0 with useCats=0), ascending; category k owns cells
    ``cat_off[k]:cat_off[k+1]``.
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def cell_of(self, imgId, catId):
        """The cell index of (imgId, catId), or None when it has no GT and no
        detections; KeyError when the image or category is not evaluated."""
        i = int(np.searchsorted(self.img_ids, imgId))
        if i >= self.I or self.img_ids[i] != imgId:
            raise KeyError((imgId, catId))
        k = 0
        if self.use_cats:
            k = int(np.searchsorted(self.cat_ids, catId))
            if k >= self.K or self.cat_ids[k] != catId:
                raise KeyError((imgId, catId))
        key = k * self.I + i
        c = int(np.searchsorted(self.cell_key, key))
        return c if c < len(self.cell_key) and self.cell_key[c] == key else None

    def eval_img(self, c, a, maxDet):
        """pycocotools' evaluateImg dict for cell c, area range a (None: an
        empty cell, as pycocotools' None)."""
        if c is None:
            return None
        gt_rows = self.gt_rows[self.gt_off[c]:self.gt_off[c + 1]]
        kb, ke = self.kept_off[c], self.kept_off[c + 1]
        D = min(ke - kb, maxDet)
        rows = self.kept_idx[kb:kb + D]
        rng = self.area_rng[a]
        garea = self.gt.area[gt_rows]
        gig = (self.gt.ignore[gt_rows].astype(bool) | (garea < rng[0]) | (garea > rng[1]))
        gtind = np.argsort(gig, kind="mergesort")
        T = len(self.iou_thrs)
        lab = self.labels[kb:kb + D, a, :].T  # (T, D)
        # dtMatches / gtMatches need the matched ids: recompute the greedy
        # loop for this one cell in Python (only when a caller asks)
        ious = self.cell_ious(c)[:D][:, gtind] if D and len(gt_rows) else np.zeros((D, len(gt_rows)))
        G = len(gt_rows)
        gt_ids = self.gt.id[gt_rows][gtind]
        dt_ids = self.dt.id[rows]
        crowd = self.gt.crowd[gt_rows][gtind]
        gIg = gig[gtind].astype(np.int64)
        gtm, dtm, dtIg = np.zeros((T, G)), np.zeros((T, D)), np.zeros((T, D))
        if G and D:
            for t, thr in enumerate(self.iou_thrs):
                for d in range(D):
                    iou, m = min([thr, 1 - 1e-10]), -1
                    for g in range(G):
                        if gtm[t, g] > 0 and not crowd[g]:
                            continue
                        if m > -1 and gIg[m] == 0 and gIg[g] == 1:
                            break
                        if ious[d, g] < iou:
                            continue
                        iou, m = ious[d, g], g
                    if m == -1:
                        continue
                    dtIg[t, d] = gIg[m]
                    dtm[t, d] = gt_ids[m]
                    gtm[t, m] = dt_ids[d]
        dar = self.dt.area[rows]
        out = ((dar < rng[0]) | (dar > rng[1])).reshape(1, D)
        dtIg = np.logical_or(dtIg, np.logical_and(dtm == 0, np.repeat(out, T, 0)))
        # the C labels and this recomputation must agree
        assert np.array_equal(lab == 1, np.logical_and(dtm != 0, ~dtIg))
        k, i = divmod(int(self.cell_key[c]), self.I)
        return {
            "image_id": self.img_ids[i], "category_id": self.cat_ids[k] if self.use_cats else -1,
            "aRng": list(rng), "maxDet": maxDet,
            "dtIds": dt_ids.tolist(), "gtIds": gt_ids.tolist(),
            "dtMatches": dtm, "gtMatches": gtm,
            "dtScores": self.dt.score[rows].tolist(),
            "gtIgnore": gIg, "dtIgnore": dtIg,
        }

    def cell_ious(self, c):
        if c is None:
            return []
        kb, ke = self.kept_off[c], self.kept_off[c + 1]
        gt_rows = self.gt_rows[self.gt_off[c]:self.gt_off[c + 1]]
        rows = self.kept_idx[kb:ke]
        if ke == kb and self.gt_off[c + 1] == self.gt_off[c]:
            return []
        if ke == kb or self.gt_off[c + 1] == self.gt_off[c]:
            return []
        return _core.iou_matrix(np.ascontiguousarray(self.dt.bbox[rows]),
                                np.ascontiguousarray(self.gt.bbox[gt_rows]), _core.IOU_COCO,
                                np.ascontiguousarray(self.gt.crowd[gt_rows]))


class _LazyIous(Mapping):
    """pycocotools' ``ious``: {(imgId, catId): (D, G) array or []}, computed on access."""

    def __init__(self, ev):
        self._st = ev._state

    def __getitem__(self, key):
        return self._st.cell_ious(self._st.cell_of(*key))

    def __iter__(self):
        st = self._st
        cats = st.cat_ids if st.use_cats else [-1]
        return ((i, k) for i in st.img_ids for k in cats)

    def __len__(self):
        return self._st.I * self._st.K


class _LazyEvalImgs(Sequence):
    """pycocotools' ``evalImgs`` list ([k][a][i] order), each dict built on access
    (or ``keep``: a list of dicts given by the caller, served as is)."""

    def __init__(self, ev, keep=None):
        self._st = ev._state
        self._max_det = ev.params.maxDets[-1]
        self._A = len(ev.params.areaRng)
        self._keep = keep

    def __len__(self):
        if self._keep is not None:
            return len(self._keep)
        return self._st.K * self._A * self._st.I

    def __getitem__(self, j):
        if self._keep is not None:
            return self._keep[j]
        if isinstance(j, slice):
            return [self[x] for x in range(*j.indices(len(self)))]
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(j)
        st = self._st
        I = st.I
        k, rest = divmod(j, self._A * I)
        a, i = divmod(rest, I)
        key = k * I + i
        c = int(np.searchsorted(st.cell_key, key))
        c = c if c < len(st.cell_key) and st.cell_key[c] == key else None
        return st.eval_img(c, a, self._max_det)


def _state_from_evalimgs(evalImgs, pe):
    """The accumulate() inputs rebuilt from pycocotools-style evalImgs dicts
    (laid out [k][a][i] for params ``pe``), as pycocotools reads them."""
    A, I = len(pe.areaRng), len(pe.imgIds)
    K = len(pe.catIds) if pe.useCats else 1
    T = len(pe.iouThrs)
    evalImgs = list(evalImgs)
    if len(evalImgs) != K * A * I:
        raise DetapInputError(f"evalImgs has {len(evalImgs)} entries; params give "
                              f"K * A * I = {K} * {A} * {I}")
    cells = [k * I + i for k in range(K) for i in range(I) if evalImgs[k * A * I + i] is not None]
    cell_key = np.asarray(cells, dtype=np.int64)
    nc = len(cells)
    counts = np.array([len(evalImgs[(c // I) * A * I + c % I]["dtScores"]) for c in cells], np.int64)
    kept_off = np.zeros(nc + 1, np.int64)
    np.cumsum(counts, out=kept_off[1:])
    n = int(kept_off[-1])
    kept_score = np.zeros(n)
    labels = np.full((n, A, T), -1, np.int8)  # detection-major, as the C kernels
    npig = np.zeros((A, nc), np.int64)
    for c, key in enumerate(cells):
        k, i = divmod(key, I)
        b, e_ = kept_off[c], kept_off[c + 1]
        for a in range(A):
            e = evalImgs[k * A * I + a * I + i]
            if e is None or len(e["dtScores"]) != e_ - b:
                raise DetapInputError(f"evalImgs entry for image {i}, category {k}, area {a} "
                                      "disagrees with area range 0")
            if a == 0:
                kept_score[b:e_] = e["dtScores"]
            dtm = np.asarray(e["dtMatches"]).reshape(T, -1)
            dtig = np.asarray(e["dtIgnore"]).reshape(T, -1).astype(bool)
            labels[b:e_, a, :] = np.where(dtig, -1, np.where(dtm != 0, 1, 0)).T
            npig[a, c] = np.count_nonzero(np.asarray(e["gtIgnore"]) == 0)
    cat_off = np.searchsorted(cell_key // max(I, 1), np.arange(K + 1), "left").astype(np.int64)
    return _State(gt=None, dt=None, gt_rows=None, gt_off=None, dt_off=None, kept_off=kept_off,
                  kept_idx=None, kept_score=kept_score, labels=labels, npig=npig,
                  cell_key=cell_key, cat_off=cat_off, I=I, K=K, img_ids=np.asarray(pe.imgIds),
                  cat_ids=np.asarray(pe.catIds), use_cats=bool(pe.useCats),
                  area_rng=np.asarray(pe.areaRng, np.float64),
                  iou_thrs=np.asarray(pe.iouThrs, np.float64))


def _sort_rows(rows, img_idx, cat_pos, I, K, use_cats, image_ordered=False):
    """Rows ordered by cell, each cell in pycocotools' order: (rows, cell key).

    ``rows`` come in pycocotools' _prepare order (images in params order,
    then dataset order).  With useCats the cell key is k * I + i (categories
    first, then images); without, it is i, and inside an image the rows go
    category position by category position (``cat_pos``: the position in
    params.catIds), as pycocotools concatenates _gts[img, c] over c.  Two
    stable counting sorts (minor key, then major key) keep dataset order
    inside a cell, and need nothing of size K * I (``image_ordered``: the
    rows are in image order already, so the minor sort of useCats is moot)."""
    if use_cats:
        minor, nminor, major, nmajor = img_idx, I, cat_pos, K
    else:
        minor, nminor, major, nmajor = cat_pos, K, img_idx, I
    if len(rows) == 0:
        return rows, np.zeros(0, np.int64)
    if not (use_cats and image_ordered):
        _, p = _core.group_by_image(np.ascontiguousarray(minor, dtype=np.int64), nminor)
        rows, major, minor = rows[p], major[p], minor[p]
    _, p = _core.group_by_image(np.ascontiguousarray(major, dtype=np.int64), nmajor)
    rows, major, minor = rows[p], major[p], minor[p]
    key = major * I + minor if use_cats else major
    return rows, key


def _cells(g_key, d_key):
    """The cells with GT or detections (sorted keys) and each side's offsets."""
    return _core.merge_cells(g_key, d_key)


def _lut(ids, n_values):
    """Position table of the sorted distinct ``ids`` (-1 elsewhere), or None
    when the ids are negative or too sparse for a table."""
    if not len(ids):
        return np.zeros(0, np.int64)
    lo, hi = int(ids[0]), int(ids[-1])
    if lo < 0 or hi > 4 * (len(ids) + n_values) + 1_000_000:
        return None
    lut = np.full(hi + 1, -1, dtype=np.int64)
    lut[ids] = np.arange(len(ids))
    return lut


def _luts(img_ids, cat_ids, gt, dt):
    n = len(gt) + len(dt)
    li, lc = _lut(img_ids, n), _lut(cat_ids, n)
    return None if li is None or lc is None else (li, lc)


def _index_of(ids, values):
    """Position of each value in the sorted array ``ids`` (-1 if absent)."""
    if not len(ids) or not len(values):
        return np.full(len(values), -1, dtype=np.int64)
    lut = _lut(ids, len(values))
    if lut is not None:
        inside = (values >= 0) & (values < len(lut))
        out = np.full(len(values), -1, dtype=np.int64)
        out[inside] = lut[values[inside]]
        return out
    i = np.searchsorted(ids, values)
    i = np.minimum(i, len(ids) - 1)
    return np.where(ids[i] == values, i, -1)


def _prepare_rows(cols, img_ids, cat_ids, use_cats, records=None):
    """pycocotools' _prepare: the rows that enter evaluation, in its order,
    with each row's record (itself, or with repeated ids the last record
    carrying that id), the record's image index and its category position
    in ``cat_ids`` (params.catIds: sorted and unique with useCats; as given,
    repeats included, without, where a row then counts once per repeat)."""
    uniq = np.unique(cat_ids)
    occ_i = _index_of(img_ids, cols.image_id)
    occ_u = _index_of(uniq, cols.category_id)
    sel = occ_i >= 0
    if use_cats:  # getAnnIds(catIds=...) filters on the occurrence
        sel &= occ_u >= 0
    rows = np.flatnonzero(sel)
    # images in params order, dataset order within an image (counting sort)
    rows = rows[_core.group_by_image(occ_i[rows], len(img_ids))[1]]
    if records is None:  # each row is its own record
        rec_i, rec_u = occ_i[rows], occ_u[rows]
    else:
        rows = records[rows]
        rec_i, rec_u = occ_i[rows], occ_u[rows]
    keep = (rec_i >= 0) & (rec_u >= 0)
    rows, rec_i, rec_u = rows[keep], rec_i[keep], rec_u[keep]
    # positions of each distinct category in cat_ids (several if repeated)
    u_of_pos = np.searchsorted(uniq, cat_ids)
    pos_sorted = np.argsort(u_of_pos, kind="stable")
    counts = np.bincount(u_of_pos, minlength=len(uniq))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    rep = counts[rec_u]
    if len(rep) and rep.max() == 1:
        return rows, rec_i, pos_sorted[starts[rec_u]]
    first = np.repeat(starts[rec_u], rep)
    within = np.arange(int(rep.sum())) - np.repeat(np.cumsum(rep) - rep, rep)
    return np.repeat(rows, rep), np.repeat(rec_i, rep), pos_sorted[first + within]


def _last_record(cols):
    """For annotations indexed by id (pycocotools' anns dict), the row whose
    record each row resolves to: itself, or the last row with its id.
    None when ids are unique."""
    if cols.ids_unique:
        return None
    ids = cols.id
    if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):  # ids in increasing order, as files have them
        return None
    uniq, inv = np.unique(ids, return_inverse=True)
    if len(uniq) == len(ids):
        return None
    last = np.zeros(len(uniq), dtype=np.int64)
    last[inv] = np.arange(len(ids))  # later rows overwrite earlier ones
    return last[inv]


def _evaluate_columns(gt, dt, p, threads, img_ids=None):
    """evaluate() on columns; ``img_ids``: p.imgIds as a sorted array when
    the caller has it (converting 10^5 numpy scalars back costs time)."""
    img_ids = np.asarray(p.imgIds if img_ids is None else img_ids, dtype=np.int64).reshape(-1)
    cat_ids = np.asarray(p.catIds, dtype=np.int64).reshape(-1)
    use_cats = bool(p.useCats)
    if use_cats:
        cat_ids = np.unique(cat_ids)
    I, Kc = len(img_ids), len(cat_ids)
    K = Kc if use_cats else 1
    g_rec, d_rec = _last_record(gt), _last_record(dt)
    luts = _luts(img_ids, cat_ids, gt, dt) if use_cats and g_rec is None and d_rec is None else None
    if luts is not None:  # the common case, in C, both sides at once
        g_rows, g_key, d_rows, d_key = _core.coco_group(
            gt.image_id, gt.category_id, dt.image_id, dt.category_id, luts[0], luts[1], I, Kc,
            threads)
    else:
        g_rows, g_i, g_k = _prepare_rows(gt, img_ids, cat_ids, use_cats, g_rec)
        d_rows, d_i, d_k = _prepare_rows(dt, img_ids, cat_ids, use_cats, d_rec)
        # without repeated ids the rows come out of _prepare_rows in image order
        g_rows, g_key = _sort_rows(g_rows, g_i, g_k, I, Kc, use_cats, g_rec is None)
        d_rows, d_key = _sort_rows(d_rows, d_i, d_k, I, Kc, use_cats, d_rec is None)
    cell_key, g_off, d_off = _cells(g_key, d_key)
    if use_cats and I:
        cat_off = np.zeros(K + 1, np.int64)
        np.cumsum(np.bincount(cell_key // I, minlength=K), out=cat_off[1:])
        # visit an image's cells together: its detections sit near each other
        cell_order = _core.group_by_image(cell_key % I, I)[1]
    elif use_cats:  # no images: no cells
        cat_off, cell_order = np.zeros(K + 1, np.int64), None
    else:
        cat_off, cell_order = np.array([0, len(cell_key)], np.int64), None
    area_rng = np.asarray(p.areaRng, dtype=np.float64).reshape(-1, 2)
    iou_thrs = np.asarray(p.iouThrs, dtype=np.float64).reshape(-1)
    max_det = int(p.maxDets[-1]) if len(p.maxDets) else 0
    kept_off, kept_idx, labels, npig = _core.coco_evaluate(
        g_off, g_rows, gt.bbox, gt.area, gt.crowd, gt.ignore, (gt.id != 0).view(np.uint8),
        d_off, d_rows, dt.bbox, dt.area, dt.score, (dt.id > 0).view(np.uint8),
        area_rng, iou_thrs, max_det, threads, cell_order)
    return _State(gt=gt, dt=dt, gt_rows=g_rows, gt_off=g_off, dt_off=d_off, kept_off=kept_off,
                  kept_idx=kept_idx, kept_score=dt.score[kept_idx], labels=labels, npig=npig,
                  cell_key=cell_key, cat_off=cat_off, I=I, K=K, img_ids=img_ids, cat_ids=cat_ids,
                  use_cats=use_cats, area_rng=area_rng, iou_thrs=iou_thrs)


# ----------------------------------------------------------------- arrays

def evaluate_arrays(gt_image_id, gt_category_id, gt_bbox, gt_area=None, gt_iscrowd=None,
                    *, dt_image_id, dt_category_id, dt_bbox, dt_score, params=None, threads=None,
                    gt_id=None):
    """COCO evaluation straight from arrays (no JSON, no dicts).

    Boxes are (N, 4) [x, y, w, h]; ``gt_area`` defaults to w * h;
    ``gt_iscrowd`` to zeros.  ``params`` is a ``Params`` (its ``imgIds`` and
    ``catIds`` default to the sorted unique GT image and category ids).
    Returns a ``COCOeval`` that has run evaluate() and accumulate() (call
    ``summarize()`` for ``stats``), equal to pycocotools on the same data
    given as JSON with annotation ids 1..N in array order.
    """
    gb = np.ascontiguousarray(gt_bbox, dtype=np.float64).reshape(-1, 4)
    db = np.ascontiguousarray(dt_bbox, dtype=np.float64).reshape(-1, 4)
    _check_finite(gb, "bbox", "gt_bbox", nonneg_wh=True)
    _check_finite(db, "bbox", "dt_bbox", nonneg_wh=True)
    ng, nd = len(gb), len(db)
    area = gb[:, 2] * gb[:, 3] if gt_area is None else np.asarray(gt_area, dtype=np.float64).reshape(-1)
    iscrowd = np.zeros(ng, np.int64) if gt_iscrowd is None else np.asarray(gt_iscrowd).reshape(-1)
    score = np.asarray(dt_score, dtype=np.float64).reshape(-1)
    _check_finite(score, "score", "dt_score")
    gt = _Columns(np.asarray(gt_image_id, np.int64).reshape(-1), np.asarray(gt_category_id, np.int64).reshape(-1),
                  np.arange(1, ng + 1, dtype=np.int64) if gt_id is None else np.asarray(gt_id, np.int64),
                  gb, area, (iscrowd.astype(np.int64) != 0).astype(np.uint8),
                  iscrowd.astype(bool).astype(np.uint8))
    dt = _Columns(np.asarray(dt_image_id, np.int64).reshape(-1), np.asarray(dt_category_id, np.int64).reshape(-1),
                  np.arange(1, nd + 1, dtype=np.int64), db, db[:, 2] * db[:, 3],
                  np.zeros(nd, np.uint8), np.zeros(nd, np.uint8), score)
    for name, c, n in (("gt", gt, ng), ("dt", dt, nd)):
        for field in ("image_id", "category_id", "area", "id"):
            if len(getattr(c, field)) != n:
                raise DetapInputError(f"{name}_{field} has {len(getattr(c, field))} values for {n} boxes")
    if len(score) != nd:
        raise DetapInputError(f"dt_score has {len(score)} values for {nd} boxes")
    ev = COCOeval(iouType="bbox", threads=threads)
    ev.params = params if params is not None else ev.params
    if not len(ev.params.imgIds):
        ev.params.imgIds = sorted(np.unique(gt.image_id).tolist())
    if not len(ev.params.catIds):
        ev.params.catIds = sorted(np.unique(gt.category_id).tolist())
    p = ev.params
    p.imgIds = list(np.unique(p.imgIds))
    if p.useCats:
        p.catIds = list(np.unique(p.catIds))
    p.maxDets = sorted(p.maxDets)
    ev._state = _evaluate_columns(gt, dt, p, ev.threads)
    ev.evalImgs = _LazyEvalImgs(ev)
    ev._paramsEval = copy.deepcopy(p)
    ev.accumulate()
    return ev


# ------------------------------------------------------- pycocotools switch

def install_as_pycocotools():
    """Make ``pycocotools.coco`` and ``pycocotools.cocoeval`` resolve to detap.

    After this call, ``from pycocotools.coco import COCO`` and
    ``from pycocotools.cocoeval import COCOeval`` (as in Detectron2,
    mmdetection, Ultralytics, torchmetrics) give detap's classes.  Call it
    before those libraries import pycocotools.  ``pycocotools.mask`` stays
    the real one when pycocotools is installed (detap does not do masks).
    Returns the list of module names replaced.
    """
    this = sys.modules[__name__]
    try:
        import pycocotools as pkg  # noqa: F401
    except ImportError:
        pkg = types.ModuleType("pycocotools")
        pkg.__path__ = []
        sys.modules["pycocotools"] = pkg
    names = []
    for sub in ("coco", "cocoeval"):
        mod = types.ModuleType(f"pycocotools.{sub}")
        mod.COCO, mod.COCOeval, mod.Params = this.COCO, this.COCOeval, this.Params
        mod.__doc__ = f"detap replacement for pycocotools.{sub}"
        sys.modules[f"pycocotools.{sub}"] = mod
        setattr(pkg, sub, mod)
        names.append(f"pycocotools.{sub}")
    return names
