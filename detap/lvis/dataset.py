"""lvis-api's ``LVIS``: an LVIS annotation file, its indexes and its columns.

``from detap.lvis import LVIS`` replaces ``from lvis import LVIS``.  An LVIS
file is a COCO-shaped document whose images carry ``neg_category_ids``
(categories verified absent) and ``not_exhaustive_category_ids``
(categories whose instances are not all annotated), and whose categories
carry ``frequency`` ("r", "c" or "f").  Evaluation reads the annotations as
column arrays (``gt_columns``); the dict indexes (``anns``, ``imgs``,
``cats``, ``img_ann_map``, ``cat_img_map``) are built on first access.
"""
import itertools
import json
import os
import shutil
import urllib.request
from collections import defaultdict

import numpy as np

from .. import _core
from .. import mask as mask_api
from ..coco.columns import Columns, column, load_json, read_fast
from ..coco.dataset import COCO
from ..atomic import atomic_file
from ..coco.masks import mask_columns
from ..errors import DetapInputError

__all__ = ["LVIS", "read_document", "top_level_list"]


def top_level_list(text, key, ids):
    """The list under ``key`` of the JSON object ``text``, decoded alone:
    the first ``"key": [...]`` whose records' ids are ``ids`` (what the C
    reader read for that top-level key, which tells it from a nested key
    of the same name), or None."""
    decoder = json.JSONDecoder()
    start = 0
    for _ in range(8):
        at = text.find(f'"{key}"', start)
        if at < 0:
            return None
        start = at + len(key) + 2
        p = start
        while p < len(text) and text[p] in " \t\r\n":
            p += 1
        if p >= len(text) or text[p] != ":":
            continue
        p += 1
        while p < len(text) and text[p] in " \t\r\n":
            p += 1
        try:
            value, _ = decoder.raw_decode(text, p)
        except ValueError:
            continue
        if isinstance(value, list) and all(isinstance(r, dict) for r in value) \
                and [r.get("id") for r in value] == ids:
            return value
    return None


def _check_distinct(ids, where):
    if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):  # (files list them ascending)
        return
    s = np.sort(ids)
    repeated = np.flatnonzero(s[1:] == s[:-1])
    if len(repeated):
        raise DetapInputError(f"annotation id {int(s[repeated[0]])} is used by several "
                              "records (ids must be distinct)", where)


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
        self._fast_cols = None
        if isinstance(annotation_path, (str, os.PathLike)):
            self._where = os.fspath(annotation_path)
            if self._read_fast(self._where):
                return
        doc, self._where = read_document(annotation_path)
        self._set_dataset(doc)

    def _read_fast(self, path):
        """Read ``path`` with detap's C reader: the annotations straight into
        columns, the images and categories (what evaluation reads of the
        records) decoded alone; the whole document is decoded only when the
        caller asks for ``dataset`` or the annotation indexes.  False when
        the file is outside what this path reads (then json reads it all)."""
        # (polygons are not read here: masks are made from the records)
        data, fast = read_fast(path, polygons=False)
        need = _core.HAS_ID | _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_BBOX \
            | _core.HAS_AREA
        if fast is None or fast["top_is_array"] or b'"ignore"' in data \
                or not bool(np.all((fast["has"] & need) == need)):
            return False
        ids = {}
        for kind in ("img", "cat"):
            has = fast[f"{kind}_has"]
            if not bool(np.all(has & _core.HAS_ID)) or bool(np.any(has & _core.ID_OTHER)):
                return False
            ids[kind] = fast[f"{kind}_id"].tolist()
        text = data.decode("utf-8", errors="replace")
        images = top_level_list(text, "images", ids["img"])
        cats = top_level_list(text, "categories", ids["cat"])
        if images is None or cats is None:
            return False
        where = f"{path} annotations"
        cols = Columns.checked(where, fast["image_id"], fast["category_id"], fast["id"],
                               fast["bbox"], fast["area"], ids_unique=False, negative="warn")
        _check_distinct(cols.id, where)
        self._fast_cols = cols.with_fields(ids_unique=True)
        self._doc, self._loader = None, lambda: load_json(path)
        self._index = {"imgs": self._by_id(images, "images"),
                       "cats": self._by_id(cats, "categories")}
        self._cols = None
        return True

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
        self._fast_cols = None

    @property
    def dataset(self):
        """The document (a result set builds its records on first access)."""
        if self._loader is not None:
            loader, self._loader = self._loader, None
            self._doc = loader()
            # the caller now holds the records (and may change them): from
            # here on, indexes and columns are built from them
            self._index, self._cols, self._fast_cols = None, None, None
        return self._doc

    @dataset.setter
    def dataset(self, doc):
        self._set_dataset(doc)

    # -- the dict indexes, built on first access --------------------------

    def _idx(self, name):
        """One index, built on first access (evaluation needs ``imgs`` and
        ``cats`` only, which are cheap; the annotation indexes are not)."""
        if self._index is None:
            self._index = {}
        if name not in self._index:
            ds = self.dataset
            if name in ("imgs", "cats"):
                kind = "images" if name == "imgs" else "categories"
                self._index[name] = self._by_id(ds[kind], kind)
            else:
                self._index.update(self._annotation_index(ds["annotations"]))
        return self._index[name]

    def _by_id(self, records, kind):
        table = {}
        for i, rec in enumerate(records):
            try:
                table[rec["id"]] = rec
            except (KeyError, TypeError):
                raise DetapInputError(f"{kind} record {i} has no 'id'", self._where) from None
        return table

    def _annotation_index(self, records):
        img_ann_map, cat_img_map = defaultdict(list), defaultdict(list)
        anns = self._by_id(records, "annotations")
        for i, ann in enumerate(records):
            try:
                img_ann_map[ann["image_id"]].append(ann)
                cat_img_map[ann["category_id"]].append(ann["image_id"])
            except KeyError as e:
                raise DetapInputError(f"annotations record {i} has no {e}", self._where) from None
        return {"anns": anns, "img_ann_map": img_ann_map, "cat_img_map": cat_img_map}

    anns = property(lambda self: self._idx("anns"))
    imgs = property(lambda self: self._idx("imgs"))
    cats = property(lambda self: self._idx("cats"))
    img_ann_map = property(lambda self: self._idx("img_ann_map"))
    cat_img_map = property(lambda self: self._idx("cat_img_map"))

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

    def download(self, save_dir, img_ids=None):
        """Fetch the images (``img_ids``, None: all) from each record's
        "coco_url" into ``save_dir`` as the URL's last path part; a file
        already there is kept.  Each file is written whole or not at all
        (temporary name, then rename), so an interrupted run leaves no
        truncated image that a later call would skip."""
        os.makedirs(save_dir, exist_ok=True)
        for img in self.load_imgs(img_ids):
            url = img["coco_url"]
            path = os.path.join(save_dir, url.split("/")[-1])
            if os.path.exists(path):
                continue
            with urllib.request.urlopen(url) as src, atomic_file(path) as dst:
                shutil.copyfileobj(src, dst)

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
        if iou_type == "segm":
            self.dataset  # masks need the records: read them first (that resets the columns)
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
        if self._fast_cols is not None:
            return self._fast_cols
        anns = self.dataset["annotations"]
        where = f"{self._where} annotations"
        ids = column(anns, "id", np.int64, where, "int")
        _check_distinct(ids, where)
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
        imgs = self.imgs
        try:
            lists = [imgs[i][field] for i in img_ids]
            lengths = np.fromiter(map(len, lists), np.int64, len(lists))
            cats = np.fromiter(itertools.chain.from_iterable(lists), np.int64,
                               int(lengths.sum()))
        except (KeyError, TypeError, ValueError, OverflowError):
            raise self._list_error(img_ids, field) from None
        return np.repeat(np.arange(len(lists), dtype=np.int64), lengths), cats

    def _list_error(self, img_ids, field):
        """The error naming the first image whose ``field`` is unusable."""
        for img_id in img_ids:
            img = self.imgs.get(img_id)
            if img is None:
                return DetapInputError(f"image {img_id!r} is not in the ground truth", self._where)
            if field not in img:
                return DetapInputError(f"image {img_id!r} has no '{field}' (an LVIS ground truth "
                                       "lists them for every image)", self._where)
            lst = img[field]
            if not isinstance(lst, list) or not all(isinstance(c, int) for c in lst):
                return DetapInputError(f"image {img_id!r} '{field}' is not a list of category "
                                       f"ids: {lst!r:.80}", self._where)
        return DetapInputError(f"unusable '{field}' lists", self._where)

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
