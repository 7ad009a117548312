"""pycocotools' ``COCO``: a dataset or a result set, with its indexes.

``from detap.coco import COCO`` replaces ``from pycocotools.coco import
COCO``.  Files are read by detap's C reader into column arrays
(``columns.py``), which is all evaluation needs; the dicts (``dataset``,
``anns``, ``imgs``, ...) are built on first access.
"""
import copy
import os
import time
import warnings
from collections import defaultdict

import numpy as np

from .. import _core
from .. import mask as mask_api
from ..errors import DetapInputError
from .cells import all_in, index_of
from .ids import IdCodes, needs_codes
from .masks import box_polygons, mask_columns, reader_masks, result_masks
from .obb import check_obb, fast_obb, obb_column, obb_gt_columns, obb_result_box, reader_boxes
from .result_kinds import fast_keypoints, fast_result_kind, result_kind
from .columns import (DT_FIELDS, GT_FIELDS, Columns, DetapResultsError, check_finite,
                      column,
                      dt_columns, field_error, gt_columns, id_column, keypoints_box, keypoints_column,
                      load_json, read_fast, read_json)

__all__ = ["COCO"]


def _member(values, known):
    """np.isin(values, known) for id arrays: integer ids by cells.index_of
    (a lookup table when they are dense: ten million result ids in tens of
    milliseconds, where isin sorts them)."""
    if values.dtype.kind == "i" and known.dtype.kind == "i":
        return index_of(np.unique(known), values) >= 0
    return np.isin(values, known)


def _all_members(values, known):
    """_member(values, known).all() without its (n,) temporaries."""
    if values.dtype.kind == "i" and known.dtype.kind == "i":
        return all_in(np.unique(known), values)
    return bool(np.isin(values, known).all())


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

    def __init__(self, annotation_file=None, *, verbose=True):
        self.verbose = verbose  # detap only: False silences pycocotools' progress lines
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
        self._result_anns = None   # loadRes: the result records (None: read from a file)
        self._gt_imgs = None       # loadRes: the ground truth, whose images masks need
        self._codes = None         # loadRes: the ground truth's id codes
        self.result_kind = None    # loadRes (detap only): what the results hold
        self.boxes_without_masks = False
        self._cols_role = None
        if annotation_file is None:
            return
        if isinstance(annotation_file, dict):
            self._set_dataset(annotation_file)
            self._exposed = True
            self._say("creating index...", "index created!")
            return
        path = os.fspath(annotation_file)
        self._source = path
        self._say("loading annotations into memory...")
        tic = time.time()
        data, fast = read_fast(path)
        if fast is None or fast["top_is_array"]:
            self._set_dataset(read_json(data, path))
        else:
            del data
            self._fast = fast
            self._loader = lambda: load_json(path)
        self._say(f"Done (t={time.time() - tic:0.2f}s)", "creating index...", "index created!")

    def _say(self, *lines):
        """pycocotools' progress lines, unless made with verbose=False."""
        if self.verbose:
            for line in lines:
                print(line)

    # -- the dict view, built on demand --------------------------------

    def _set_dataset(self, dataset):
        if not isinstance(dataset, dict):
            hint = (" (a list is what a results file holds: give it to loadRes, or to "
                    "detap eval as --dt)") if isinstance(dataset, list) else ""
            raise DetapInputError(f"annotation file must hold a JSON object, not "
                                  f"{type(dataset).__name__}{hint}", self._source)
        for key in ("images", "annotations", "categories"):
            if key in dataset and not isinstance(dataset[key], list):
                raise DetapInputError(f"'{key}' must be a list", self._source)
        self._dataset = dataset
        self._loader = None
        self._build_index()

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
            self._build_index()
        self._exposed = True
        return self._index[i]

    def _set_idx(self, i, value):
        """Client code (older torchvision coco_eval.py and its copies)
        assigns the index dicts in its own createIndex: keep what it gives."""
        self._materialize()
        if self._index is None:
            self._build_index()
        index = list(self._index)
        index[i] = value
        self._index = tuple(index)
        self._exposed = True

    anns = property(lambda self: self._idx(0), lambda self, v: self._set_idx(0, v))
    imgs = property(lambda self: self._idx(1), lambda self, v: self._set_idx(1, v))
    cats = property(lambda self: self._idx(2), lambda self, v: self._set_idx(2, v))
    imgToAnns = property(lambda self: self._idx(3), lambda self, v: self._set_idx(3, v))
    catToImgs = property(lambda self: self._idx(4), lambda self, v: self._set_idx(4, v))

    def createIndex(self):
        """pycocotools' createIndex (and its two lines of output)."""
        self._say("creating index...")
        self._build_index()
        self._say("index created!")

    def _build_index(self):
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
                    raise field_error(ds["annotations"], "image_id" if "image_id" not in ann
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
                raise field_error(ds["annotations"], "category_id", where + " annotations",
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
        dicts or an (N, 7) array, read as pycocotools reads it: the first
        record decides the kind.  Box results (``bbox``, with or without
        ``segmentation``) get ``area = w * h``; mask results (``segmentation``
        as RLE, no ``bbox``) the mask's area and box; keypoint results the
        box spanning their points and its area.  Every result gets ``id =
        index + 1`` (and ``iscrowd = 0`` but for keypoints), as in
        pycocotools; the caller's dicts are not modified."""
        self._say("Loading and preparing results...")
        tic = time.time()
        where = "results"
        fast = None
        anns = None
        fast_masks = None
        if isinstance(resFile, (str, os.PathLike)):
            where = os.fspath(resFile)
            data, fast = read_fast(where)
            fast_kind = fast_result_kind(fast)
            if fast_kind is None:
                fast = None
                anns = read_json(data, where)
            elif bool(np.any(fast["rle_len"] >= 0)):
                # compressed RLE masks, decoded from the text the reader located
                fast_masks = result_masks(fast, where)
            del data
        elif isinstance(resFile, np.ndarray):
            anns = self.loadNumpyAnnotations(resFile)
        else:
            anns = resFile
        kind = "bbox"
        codes = self.id_codes()
        if fast is not None and codes != (None, None):
            # integer result ids on a ground truth with other ids: read the
            # records, so that the id kind check below names the mismatch
            anns, fast, fast_masks = load_json(where), None, None
        if fast is None:
            if not isinstance(anns, list):
                raise DetapInputError("results must be a list of objects", where)
            kind = result_kind(anns, where)
            self._check_id_kinds(anns, where)
            img_ids = id_column(anns, "image_id", codes[0], where)
            score = column(anns, "score", np.float64, where)
            cat_ids = id_column(anns, "category_id", codes[1], where)
        else:
            kind = fast_kind
            img_ids, score, cat_ids = fast["image_id"], fast["score"], fast["category_id"]
        known = _id_array(self.getImgIds(), codes[0])
        if not _all_members(img_ids, known):
            i = int(np.flatnonzero(~_member(img_ids, known))[0])
            raise DetapResultsError(f"record {i}: 'image_id' {anns[i]['image_id'] if anns else int(img_ids[i])!r} is not an image of the "
                                    "ground truth (Results do not correspond to current coco set)",
                                    where)
        kpts, masks, obb = (fast_keypoints(fast) if fast is not None else None), fast_masks, None
        if kind == "bbox":
            bbox = fast["bbox"] if fast is not None else column(anns, "bbox", np.float64, where)
            area = None  # w * h, by Columns.checked
            obb = fast_obb(fast)  # (for iouType "obb"; else read when asked for)
        elif kind == "obb":  # (hotcoco's loadRes: obb.py)
            obb = obb_column(anns, where) if fast is None else check_obb(fast["obb"], where)
            bbox, area = obb_result_box(obb)
        elif kind == "keypoints":
            if kpts is None:
                kpts = keypoints_column(anns, where)  # (checked)
            bbox, area = keypoints_box(kpts, where, check=True)
        elif fast is not None:  # compressed RLE masks without a box on the first
            own = (fast["has"] & _core.HAS_BBOX) != 0
            # (the masks' boxes are found only when some record lacks its own)
            bbox = fast["bbox"] if bool(own.all()) else np.where(own[:, None], fast["bbox"],
                                                                 masks.boxes())
            area = masks.area.copy()
        else:
            masks = self._masks(anns, where)
            bbox, area = masks.result_box(anns)
        cols = Columns.checked(where, img_ids, cat_ids, np.arange(1, len(img_ids) + 1, dtype=np.int64),
                               bbox, area, score=score, check_area=False,
                               ids_unique=True, negative="warn").with_fields(kpts=kpts, masks=masks,
                                                                             obb=obb)
        known_cats = _id_array(self.getCatIds(), codes[1])
        if not _all_members(cat_ids, known_cats):
            unknown = ~_member(cat_ids, known_cats)
            i = int(np.flatnonzero(unknown)[0])
            warnings.warn(f"{where}: {int(unknown.sum())} result(s) have a 'category_id' not in the "
                          f"ground truth (first: record {i}, {anns[i]['category_id'] if anns else int(cat_ids[i])!r}); they are not evaluated, "
                          "as in pycocotools", stacklevel=2)
        res = COCO(verbose=self.verbose)
        res._source = where
        res._result_cols = True
        res._cols = cols
        res._result_anns = anns
        res._gt_imgs = self
        res._codes = codes
        # what the records hold, as loadRes read them ("bbox", "segm" or
        # "keypoints"), and whether every box result also has its own mask
        res.result_kind = kind
        res.boxes_without_masks = kind == "bbox" and masks is None and (
            anns is None or any("segmentation" not in a for a in anns))
        if codes == (None, None):  # the id queries answered without building the dicts
            res._fast = {"img_id": np.asarray(self.getImgIds(), dtype=np.int64),
                         "img_has": np.full(len(known), _core.HAS_ID, np.uint8),
                         "cat_id": np.asarray(self.getCatIds(), dtype=np.int64),
                         "cat_has": np.full(len(self.getCatIds()), _core.HAS_ID, np.uint8)}
        gt = self

        def build():
            records = anns if anns is not None else load_json(where)
            new = []
            for i, ann in enumerate(records):
                a = dict(ann)
                if kind == "bbox":
                    bb = a["bbox"]
                    a["area"] = bb[2] * bb[3]
                    if "segmentation" not in a:
                        x1, x2, y1, y2 = bb[0], bb[0] + bb[2], bb[1], bb[1] + bb[3]
                        a["segmentation"] = [[x1, y1, x1, y2, x2, y2, x2, y1]]
                else:
                    a["area"] = area[i].item()
                    if kind in ("keypoints", "obb") or "bbox" not in a:
                        a["bbox"] = bbox[i].tolist()
                a["id"] = i + 1
                if kind != "keypoints":
                    a["iscrowd"] = 0
                new.append(a)
            return {"images": [img for img in gt.dataset.get("images", [])],
                    "categories": copy.deepcopy(gt.dataset.get("categories", [])),
                    "annotations": new}
        res._loader = build
        self._say(f"DONE (t={time.time() - tic:0.2f}s)", "creating index...", "index created!")
        return res

    # -- masks -------------------------------------------------------------

    def annToRLE(self, ann):
        """pycocotools' annToRLE: the annotation's mask as a compressed RLE
        dict (polygons merged, an uncompressed RLE re-encoded, both in the
        image's height x width)."""
        t = self.imgs[ann["image_id"]]
        h, w = t["height"], t["width"]
        segm = ann["segmentation"]
        if isinstance(segm, list):
            return mask_api.merge(mask_api.frPyObjects(segm, h, w))
        if isinstance(segm["counts"], list):
            return mask_api.frPyObjects(segm, h, w)
        return segm

    def annToMask(self, ann):
        """pycocotools' annToMask: (height, width) uint8, Fortran order."""
        return mask_api.decode(self.annToRLE(ann))

    def showAnns(self, anns, draw_bbox=False):
        """pycocotools' showAnns (needs matplotlib; see show.py)."""
        from .show import show_anns
        return show_anns(self, anns, draw_bbox)

    def _check_id_kinds(self, anns, where):
        """pycocotools compares result image ids with the ground truth's by
        value and type: "1" is not 1, and its loadRes asserts.  detap reads
        ids as integers, so it checks the kinds here instead of converting
        quietly."""
        gt_str = any(isinstance(img.get("id"), str) for img in self.dataset.get("images", [])
                     if isinstance(img, dict)) if self._fast is None else False
        for i, a in enumerate(anns):
            v = a.get("image_id") if isinstance(a, dict) else None
            if isinstance(v, str) != gt_str and v is not None:
                kind = "a string" if isinstance(v, str) else "a number"
                raise DetapResultsError(
                    f"record {i}: 'image_id' {v!r} is {kind}; the ground truth's image ids are "
                    f"{'strings' if gt_str else 'numbers'} (Results do not correspond to current "
                    "coco set)", where)

    def index_records(self):
        """(images, categories): the image and category records with the
        fields the command line shows: "id", and "file_name", "width",
        "height" (images) or "name" (categories) where present.  From the C
        reader's columns while the dicts are not built, so a large ground
        truth is never decoded into dicts (widths and heights then come as
        floats); else the dataset's own records."""
        f = self._fast
        if self._fast_ids("img") is None or self._fast_ids("cat") is None or "img_name" not in f \
                or bool(np.any((f["img_has"] & _core.ID_OTHER) != 0)) \
                or bool(np.any((f["cat_has"] & _core.ID_OTHER) != 0)):
            doc = self.dataset
            return doc.get("images", []), doc.get("categories", [])
        images = []
        for i, name, w, h in zip(f["img_id"].tolist(), f["img_name"], f["img_width"].tolist(),
                                 f["img_height"].tolist()):
            r = {"id": i}
            if name is not None:
                r["file_name"] = name
            if w == w:
                r["width"] = w
            if h == h:
                r["height"] = h
            images.append(r)
        cats = [{"id": i} if n is None else {"id": i, "name": n}
                for i, n in zip(f["cat_id"].tolist(), f["cat_name"])]
        return images, cats

    def id_codes(self):
        """(image, category) ``ids.IdCodes``, each None when those ids are
        all integers (always, for what the C reader read)."""
        if self._codes is not None:
            return self._codes
        if self._fast is not None and self._loader is not None:
            return None, None
        imgs, cats = self.imgs, self.cats
        return (IdCodes(imgs, "image", self._source) if needs_codes(imgs) else None,
                IdCodes(cats, "category", self._source) if needs_codes(cats) else None)

    def columns(self, role="gt", iou_type="bbox", codes=(None, None)):
        """Column arrays of the annotations in ``role`` "gt" (bbox, area,
        iscrowd) or "dt" (bbox, score; area = the record's), with the
        keypoints (``iou_type="keypoints"``: GT without labelled keypoints
        are ignored, as pycocotools' _prepare sets) or the masks
        (``"segm"``).  Built from the C reader's columns while the dicts are
        untouched; from the dicts (afresh at every call, as pycocotools
        reads them at every evaluate) once the caller holds them.  ``codes``:
        the ground truth's ``id_codes()``, for ids that are not integers."""
        if self._result_cols:
            return self._with_shape(self._cols, role, iou_type, self._result_anns)
        key = (role, iou_type)
        if self._cols is not None and self._cols_role == key and not self._exposed:
            return self._cols
        f = self._fast
        need = GT_FIELDS if role == "gt" else (DT_FIELDS | _core.HAS_ID | _core.HAS_AREA)
        obb = fast_obb(f) if iou_type == "obb" and role == "gt" else None
        if obb is not None:  # hotcoco's GT defaults (obb.py): no box, not crowd
            need &= ~(_core.HAS_BBOX | _core.HAS_ISCROWD)
        kpts = None
        if iou_type == "keypoints" and f is not None and "kp_len" in f and (
                role != "gt" or not bool(np.isnan(f["num_kp"]).any())):
            kpts = fast_keypoints(f)
        fast = (codes == (None, None) and f is not None and self._loader is not None
                and not self._exposed and bool(np.all((f["has"] & need) == need))
                # an infinite iscrowd: 1e999 (int() fails) or a huge integer (int() does
                # not), which the C reader cannot tell apart
                and (role != "gt" or bool(np.isfinite(f["iscrowd"]).all())))
        masks = reader_masks(f, f"{self._source} annotations") if fast and iou_type == "segm" else None
        if fast and (iou_type == "bbox" or kpts is not None or masks is not None or obb is not None):
            where = f"{self._source} annotations"
            common = (where, f["image_id"], f["category_id"], f["id"],
                      f["bbox"] if obb is None else reader_boxes(f, obb), f["area"])
            if role == "gt":
                isc = f["iscrowd"]  # int(iscrowd) != 0 and bool(iscrowd), on floats
                cols = Columns.checked(*common, crowd=(np.trunc(isc) != 0).astype(np.uint8),
                                       ignore=(isc != 0).astype(np.uint8), negative="warn")
            else:
                cols = Columns.checked(*common, score=f["score"], negative="warn")
            if kpts is not None:
                check_finite(kpts, "keypoints", where)
                cols = cols.with_fields(kpts=kpts)
                if role == "gt":  # pycocotools' _prepare: no labelled keypoints, ignored
                    cols = cols.with_fields(ignore=(cols.ignore | (f["num_kp"] == 0)).astype(np.uint8))
            if masks is not None:
                cols = cols.with_fields(masks=masks)
            if obb is not None:
                cols = cols.with_fields(obb=check_obb(obb, where))
        else:
            anns = self.dataset.get("annotations", [])
            where = f"{self._source} annotations"
            make = gt_columns if role == "gt" else dt_columns
            if iou_type == "obb" and role == "gt":  # hotcoco's defaults (obb.py)
                cols = obb_gt_columns(anns, where, codes, self._mask_area)
            elif iou_type == "segm" and not all(isinstance(a, dict) and "bbox" in a for a in anns):
                # pycocotools' segm evaluation never reads "bbox" (torchmetrics' segm
                # ground truth has none): the mask's own box stands in for a missing one
                masks = self._masks(anns, where)
                bbox = masks.bbox.copy()
                for i, a in enumerate(anns):
                    if isinstance(a, dict) and "bbox" in a:
                        bbox[i] = column([a], "bbox", np.float64, where)[0]
                cols = make(anns, where, codes, bbox=bbox).with_fields(masks=masks)
            else:
                cols = make(anns, where, codes)
            cols = self._with_shape(cols, role, iou_type, anns)
        self._cols, self._cols_role = cols, key
        return cols

    def _with_shape(self, cols, role, iou_type, anns):
        """``cols`` with what ``iou_type`` compares: keypoints or masks."""
        where = f"{self._source} annotations"
        if iou_type == "keypoints":
            if cols.kpts is None:
                if anns is None:
                    raise DetapInputError(f"{where}: no 'keypoints' to evaluate with "
                                          "iouType='keypoints'")
                cols = cols.with_fields(kpts=keypoints_column(anns, where))
            elif not (self._result_cols and self.result_kind == "keypoints"):
                # the C reader's: box results keep theirs unchecked until here
                # (keypoint results were checked by loadRes)
                check_finite(cols.kpts, "keypoints", where)
            if role == "gt" and anns is not None:
                # pycocotools' _prepare: a GT without labelled keypoints is ignored
                nk = column(anns, "num_keypoints", np.float64, where)
                cols = cols.with_fields(ignore=(cols.ignore | (nk == 0)).astype(np.uint8))
        elif iou_type == "segm":
            if cols.masks is None:
                cols = cols.with_fields(masks=self._masks(anns, where, cols))
        elif iou_type == "obb" and cols.obb is not None:
            if self._result_cols and self.result_kind == "bbox":  # (the reader's, unchecked)
                cols = cols.with_fields(obb=check_obb(cols.obb, where))
        elif iou_type == "obb":
            if self.result_kind in ("segm", "keypoints"):
                raise DetapInputError(f"{where}: the first result has a '{self.result_kind}' "
                                      "shape and no 'bbox': iouType 'obb' takes rotated-box "
                                      "(or box) results")
            recs = anns if anns is not None else load_json(self._source)
            cols = cols.with_fields(obb=obb_column(recs, where))
        return cols

    def _mask_area(self, ann):
        """The pixel count of a record's segmentation, or None when its image
        has no size (as hotcoco derives a missing area)."""
        img = self.imgs.get(ann.get("image_id"))
        if img is None or not ann["segmentation"] or (isinstance(ann["segmentation"], list)
                           and not (img.get("height") and img.get("width"))):
            return None
        return int(mask_api.area(self.annToRLE(ann)))

    def _masks(self, anns, where, cols=None):
        """``masks.MaskColumns`` of the records (or, for box results read by
        the C reader, of the polygons pycocotools makes of their boxes)."""
        imgs = (self._gt_imgs if self._gt_imgs is not None else self).imgs
        if anns is None:
            return mask_columns(box_polygons(cols.bbox), cols.image_id.tolist(), imgs, where)
        segs, image_ids = [], []
        for i, a in enumerate(anns):
            if "segmentation" in a:
                segs.append(a["segmentation"])
            elif self._result_cols and "bbox" in a:  # pycocotools' loadRes polygon
                segs.extend(box_polygons(np.asarray([a["bbox"]], np.float64)))
            else:
                raise DetapInputError(f"{where}: record {i} has no 'segmentation'")
            image_ids.append(a.get("image_id"))
        return mask_columns(segs, image_ids, imgs, where)


def _id_array(ids, codes):
    """int64 ids, or their codes."""
    if codes is None:
        return np.array(ids, dtype=np.int64)
    return codes.encode(ids, "ids", "id")


def _is_seq(x):
    """pycocotools' _isArrayLike: anything with __iter__ and __len__ (a str
    too, so getCatIds(catNms="dogfish") matches names inside "dogfish")."""
    return hasattr(x, "__iter__") and hasattr(x, "__len__")
