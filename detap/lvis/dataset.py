"""lvis-api's ``LVIS``: an LVIS annotation file, its indexes and its columns.

``from detap.lvis import LVIS`` replaces ``from lvis import LVIS``.  An LVIS
file is a COCO-shaped document whose images carry ``neg_category_ids``
(categories verified absent) and ``not_exhaustive_category_ids``
(categories whose instances are not all annotated), and whose categories
carry ``frequency`` ("r", "c" or "f").  Evaluation reads the annotations as
column arrays (``gt_columns``); the dict indexes (``anns``, ``imgs``,
``cats``, ``img_ann_map``, ``cat_img_map``) are built on first access.
"""
import os
from collections import defaultdict

import numpy as np

from .. import mask as mask_api
from ..coco.columns import Columns, column, load_json
from ..coco.dataset import COCO
from ..coco.masks import mask_columns
from ..errors import DetapInputError

__all__ = ["LVIS", "read_document"]


def read_document(source, what="annotation file"):
    """(dict or list, where): the JSON document at path ``source``, or
    ``source`` itself when it is already loaded."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        return load_json(path), path
    return source, f"<{what}>"


class LVIS:
    """An LVIS data set (lvis-api's ``LVIS``): ``annotation_path`` is a path
    to the JSON file or the loaded dict.

    ``dataset`` is the document; ``anns``, ``imgs``, ``cats`` map ids to
    records; ``img_ann_map`` (image id -> its annotations, file order) and
    ``cat_img_map`` (category id -> image id of each of its annotations)."""

    def __init__(self, annotation_path):
        doc, where = read_document(annotation_path)
        self._where = where
        self._set_dataset(doc)

    def _set_dataset(self, doc):
        if not isinstance(doc, dict):
            raise DetapInputError(f"an LVIS annotation file holds a JSON object, not "
                                  f"{type(doc).__name__}", self._where)
        for key in ("images", "annotations", "categories"):
            if not isinstance(doc.get(key), list):
                raise DetapInputError(f"'{key}' must be a list", self._where)
        self._doc, self._loader = doc, None
        self._index = None
        self._cols = None

    @property
    def dataset(self):
        """The document (a result set builds its records on first access)."""
        if self._loader is not None:
            loader, self._loader = self._loader, None
            self._doc = loader()
        return self._doc

    @dataset.setter
    def dataset(self, doc):
        self._set_dataset(doc)

    # -- the dict indexes, built on first access --------------------------

    def _idx(self, i):
        if self._index is None:
            self._index = self._build_index()
        return self._index[i]

    def _build_index(self):
        ds, where = self.dataset, self._where
        img_ann_map, cat_img_map = defaultdict(list), defaultdict(list)
        anns, cats, imgs = {}, {}, {}
        for kind, records, table in (("annotations", ds["annotations"], anns),
                                     ("images", ds["images"], imgs),
                                     ("categories", ds["categories"], cats)):
            for i, rec in enumerate(records):
                try:
                    table[rec["id"]] = rec
                except (KeyError, TypeError):
                    raise DetapInputError(f"{kind} record {i} has no 'id'", where) from None
        for i, ann in enumerate(ds["annotations"]):
            try:
                img_ann_map[ann["image_id"]].append(ann)
                cat_img_map[ann["category_id"]].append(ann["image_id"])
            except KeyError as e:
                raise DetapInputError(f"annotations record {i} has no {e}", where) from None
        return anns, imgs, cats, img_ann_map, cat_img_map

    anns = property(lambda self: self._idx(0))
    imgs = property(lambda self: self._idx(1))
    cats = property(lambda self: self._idx(2))
    img_ann_map = property(lambda self: self._idx(3))
    cat_img_map = property(lambda self: self._idx(4))

    # -- lvis-api's queries ----------------------------------------------

    def get_ann_ids(self, img_ids=None, cat_ids=None, area_rng=None):
        """Ids of the annotations of ``img_ids`` (all: None), and with
        ``cat_ids`` or ``area_rng`` given, of those categories with an area
        strictly inside ``area_rng`` (default (0, inf): an annotation of
        area 0 is left out, as lvis-api leaves it out)."""
        if img_ids is not None:
            anns = [a for i in img_ids for a in self.img_ann_map[i]]
        else:
            anns = self.dataset["annotations"]
        if cat_ids is None and area_rng is None:
            return [a["id"] for a in anns]
        cats = set(cat_ids)
        lo, hi = (0, float("inf")) if area_rng is None else area_rng
        return [a["id"] for a in anns if a["category_id"] in cats and lo < a["area"] < hi]

    def get_cat_ids(self):
        return list(self.cats.keys())

    def get_img_ids(self):
        return list(self.imgs.keys())

    @staticmethod
    def _pick(table, ids):
        return list(table.values()) if ids is None else [table[i] for i in ids]

    def load_anns(self, ids=None):
        return self._pick(self.anns, ids)

    def load_cats(self, ids):
        return self._pick(self.cats, ids)

    def load_imgs(self, ids):
        return self._pick(self.imgs, ids)

    def ann_to_rle(self, ann):
        """The annotation's mask as a compressed RLE (polygons merged,
        an uncompressed RLE encoded, in its image's height x width)."""
        # pycocotools' annToRLE reads only ``imgs`` of its object, as lvis-api does
        return COCO.annToRLE(self, ann)

    def ann_to_mask(self, ann):
        """(height, width) uint8 mask of the annotation."""
        return mask_api.decode(self.ann_to_rle(ann))

    # -- what evaluation reads ---------------------------------------------

    def gt_columns(self, iou_type="bbox"):
        """The annotations as ``Columns`` (one row per record, file order):
        ``ignore`` is the record's own "ignore" flag (lvis-api reads no
        "iscrowd": there are no crowd regions), boxes xywh pixels, areas
        the records' "area" in square pixels.  Annotation ids must be
        distinct (lvis-api would silently evaluate the last record of an id
        in place of the others).  ``iou_type="segm"`` adds their masks
        (polygons merged, as lvis-api's ann_to_rle)."""
        if self._cols is None:
            self._cols = self._box_columns()
        if iou_type == "segm" and self._cols.masks is None:
            anns = self.dataset["annotations"]
            where = f"{self._where} annotations"
            segs = []
            for i, a in enumerate(anns):
                if "segmentation" not in a:
                    raise DetapInputError(f"{where}: record {i} has no 'segmentation' (iou_type "
                                          "'segm' compares masks)")
                segs.append(a["segmentation"])
            self._cols = self._cols.with_fields(
                masks=mask_columns(segs, self._cols.image_id.tolist(), self.imgs, where))
        return self._cols

    def _box_columns(self):
        anns = self.dataset["annotations"]
        where = f"{self._where} annotations"
        ids = column(anns, "id", np.int64, where, "int")
        if len(np.unique(ids)) != len(ids):
            uniq, counts = np.unique(ids, return_counts=True)
            raise DetapInputError(f"annotation id {int(uniq[counts > 1][0])} is used by several "
                                  "records (ids must be distinct)", where)
        ignore = np.fromiter((bool(a.get("ignore", 0)) for a in anns), np.uint8, len(anns))
        return Columns.checked(where, column(anns, "image_id", np.int64, where, "int"),
                                     column(anns, "category_id", np.int64, where, "int"), ids,
                                     column(anns, "bbox", np.float64, where),
                                     column(anns, "area", np.float64, where), ignore=ignore,
                                     ids_unique=True, negative="warn")

    def image_lists(self, img_ids, field):
        """For the image ids ``img_ids``: (image position (n,) int64,
        category id (n,) int64) of every entry of each image's ``field``
        ("neg_category_ids" or "not_exhaustive_category_ids")."""
        imgs, where = self.imgs, self._where
        pos, cats = [], []
        for i, img_id in enumerate(img_ids):
            img = imgs.get(img_id)
            if img is None:
                raise DetapInputError(f"image {img_id!r} is not in the ground truth", where)
            try:
                lst = img[field]
                values = np.asarray(lst, dtype=np.int64).reshape(-1)
            except KeyError:
                raise DetapInputError(f"image {img_id!r} has no '{field}' (an LVIS ground truth "
                                      "lists them for every image)", where) from None
            except (TypeError, ValueError, OverflowError):
                raise DetapInputError(f"image {img_id!r} '{field}' is not a list of category "
                                      f"ids: {lst!r:.80}", where) from None
            cats.append(values)
            pos.append(np.full(len(values), i, np.int64))
        if not cats:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(pos), np.concatenate(cats)

    def frequencies(self, cat_ids):
        """The "frequency" letter of each category of ``cat_ids``."""
        out = []
        for c in cat_ids:
            try:
                out.append(self.cats[c]["frequency"])
            except KeyError:
                raise DetapInputError(f"category {c!r} has no 'frequency' (r, c or f)",
                                      self._where) from None
        return out
