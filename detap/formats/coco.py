"""COCO JSON: a ground-truth file and a results file.

Ground truth (``gt``): a JSON object with ``images``, ``annotations`` and
``categories``, read with ``detap.coco.COCO`` (its C reader and its
checks).  Boxes stay ``bbox`` = [x, y, width, height] in pixels ("xywh");
``area`` (the segmentation area) is kept as ``gt_area``, ``iscrowd`` as
``gt_iscrowd`` (``int(iscrowd) != 0``), image and category ids as
``image_ids``/``class_ids``.  Images keep the file's order, classes the
``categories`` order.  An image's key is its ``file_name`` stem (so that
it matches the file names of the per-image formats), or the whole
``file_name`` when stems clash, or its id when a ``file_name`` is missing.
``width``/``height`` give ``image_sizes`` when every image has them.

Rotated boxes (``box_format="obb"``): the records' ``"obb"`` [cx, cy, w,
h, angle] (pixels, radians; hotcoco's iouType "obb", read by its rules:
``detap.coco.obb``) instead of their ``"bbox"``: a Dataset of box_format
"obb" whose GT areas are the records' (or hotcoco's derived ones).  Its
detections keep no area: the "coco" protocol takes an obb's w * h, as
hotcoco's loadRes does for rotated-box results (``detap eval --iou-type
obb`` evaluates the files with COCOeval, hotcoco's own path).

Detections (``dt``): a results file (a JSON list of
``{image_id, category_id, bbox, score}``), read with ``COCO.loadRes``;
a JSON object whose ``annotations`` hold the results is accepted too.  As
in pycocotools, a result on an image that is not in the ground truth is an
error; so (unlike pycocotools, which skips them) is a result whose
category is not in ``categories``.
"""
import json
import os
import warnings

import numpy as np

from ..coco import COCO
from ..coco.cells import index_of
from ..coco.columns import check_negative_size, parse_json
from ..errors import DetapInputError, DetapWarning
from .dataset import Dataset
from .image_sizes import IMAGE_EXTENSIONS

__all__ = ["read", "write"]


def read(gt, dt=None, box_format="xywh"):
    """A ``Dataset`` ("xywh" pixels, or "obb" with ``box_format="obb"``)
    from a COCO ground-truth file ``gt`` and optionally a results file
    ``dt``."""
    gt = os.fspath(gt)
    obb = box_format == "obb"
    coco = COCO(gt, verbose=False)  # stdout is the command line's
    with warnings.catch_warnings():
        # detap eval refuses boxes of negative size (pycocotools' API only
        # warns and evaluates them), below
        warnings.simplefilter("ignore", DetapWarning)
        try:  # before .dataset: the C reader's columns are still valid
            cols = coco.columns("gt", "obb" if obb else "bbox")
        except DetapInputError as e:
            raise _obb_hint(e, coco, obb) from None
    check_negative_size(cols.obb[:, :4] if obb else cols.bbox, f"{gt} annotations")
    images, cats = coco.index_records()  # every record has an 'id' (else COCO said so)
    img_ids = _ids(images, "images", gt)
    cat_ids = _ids(cats, "categories", gt)
    classes = [_name(c, i, gt) for i, c in enumerate(cats)]
    if len(set(classes)) != len(classes):
        dup = next(c for c in classes if classes.count(c) > 1)
        raise DetapInputError(f"category name {dup!r} appears twice", gt)
    where = f"{gt} annotations"
    ds_kw = dict(
        gt_boxes=cols.obb if obb else cols.bbox, gt_area=cols.area,
        gt_iscrowd=cols.crowd.astype(bool),
        gt_image=_index(cols.image_id, img_ids, where, "image_id", "images"),
        gt_label=_index(cols.category_id, cat_ids, where, "category_id", "categories"))
    if dt is not None:
        ds_kw.update(_results(coco, os.fspath(dt), img_ids, cat_ids, obb))
    return Dataset(images=_keys(images), classes=classes, box_format="obb" if obb else "xywh",
                   image_sizes=_sizes(images), image_ids=img_ids, class_ids=cat_ids,
                   has_dets=dt is not None, source={"gt": gt, "dt": dt}, **ds_kw)


def _obb_hint(e, coco, obb):
    """``e``, with a hint when the records hold the other kind of box."""
    if not obb and "has no 'bbox'" in str(e):
        anns = coco.dataset.get("annotations", [])
        if anns and isinstance(anns[0], dict) and "obb" in anns[0]:
            return DetapInputError(f"{e}: these annotations hold rotated boxes ('obb'): "
                                   "evaluate them with --iou-type obb (box_format='obb')")
    return e


def _ids(recs, key, path):
    ids = []
    for i, r in enumerate(recs):
        v = r["id"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
            raise DetapInputError(f"{key} record {i}: 'id' is not an integer: {v!r}", path)
        ids.append(int(v))
    if len(set(ids)) != len(ids):
        dup = next(v for v in ids if ids.count(v) > 1)
        raise DetapInputError(f"{key}: id {dup} appears twice", path)
    return ids


def _name(cat, i, path):
    name = cat.get("name")
    if not isinstance(name, str):
        raise DetapInputError(f"categories record {i} has no 'name' string", path)
    return name


def _index(values, ids, where, field, table):
    """Position of each id of ``values`` in ``ids``; an unknown one is an
    error naming its record."""
    ids = np.asarray(ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    pos = index_of(ids[order], np.asarray(values, dtype=np.int64))
    if (pos < 0).any():
        i = int(np.flatnonzero(pos < 0)[0])
        raise DetapInputError(f"record {i}: '{field}' {int(values[i])} is not in '{table}'", where)
    return order[pos]


def _keys(images):
    stems = [os.path.splitext(os.path.basename(str(r.get("file_name", ""))))[0] for r in images]
    names = [str(r.get("file_name", "")) for r in images]
    for keys in (stems, names):
        if all(keys) and len(set(keys)) == len(keys):
            return keys
    return [str(r["id"]) for r in images]


def _sizes(images):
    try:
        sizes = np.array([[r["width"], r["height"]] for r in images], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(sizes).all() and (sizes == np.round(sizes)).all() and (sizes > 0).all()):
        return None
    return sizes.astype(np.int64).reshape(-1, 2)


def _results(coco, dt, img_ids, cat_ids, obb=False):
    with open(dt, "rb") as f:
        head = f.read(64).lstrip()
    source = dt
    if head.startswith(b"{"):  # a ground-truth-like object holding the results
        with open(dt, "rb") as f:
            doc = parse_json(f.read(), dt)
        if "annotations" not in doc or not isinstance(doc["annotations"], list):
            raise DetapInputError("results must be a list, or an object with an "
                                  "'annotations' list", dt)
        source = doc["annotations"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown categories are an error below
        try:
            cols = coco.loadRes(source).columns("dt", "obb" if obb else "bbox")
        except DetapInputError as e:
            if source is dt:
                raise
            raise DetapInputError(f"annotations {e}", dt) from None
        except NotImplementedError as e:  # caption results
            raise DetapInputError(f"{e}; detap eval takes box results ('bbox')", dt) from None
    if cols.masks is not None or cols.kpts is not None:
        # their boxes are derived from the masks or keypoints: evaluating
        # those would print a plausible, wrong number
        kind = "segmentation masks" if cols.masks is not None else "keypoints"
        t = "segm" if cols.masks is not None else "keypoints"
        raise DetapInputError(f"these results hold {kind} without boxes, which a box evaluation "
                              f"would score wrongly: evaluate them with detap eval --iou-type {t} "
                              f"(or detap.coco.COCOeval(gt, dt, '{t}'))", dt)
    where = f"{dt} results"
    check_negative_size(cols.obb[:, :4] if obb else cols.bbox,
                        os.fspath(dt) if source is dt else f"{dt} annotations")
    return dict(det_boxes=cols.obb if obb else cols.bbox, det_scores=cols.score,
                det_image=_index(cols.image_id, img_ids, where, "image_id", "images"),
                det_label=_index(cols.category_id, cat_ids, where, "category_id", "categories"))


# ------------------------------------------------------------------- writing

def write(ds, gt_out, dt_out=None):
    """A COCO ground-truth file ``gt_out`` (loadable by pycocotools' COCO)
    and a results file ``dt_out`` (accepted by ``loadRes``).  Boxes become
    [x, y, w, h]; ``area`` is ``gt_area`` or w * h; ids are ``image_ids`` /
    ``class_ids`` or 1, 2, ...; annotation ids are 1..M; an image's
    ``file_name`` is its key, with ".jpg" added when the key has no image
    extension.  Rotated boxes ("obb") are written as hotcoco reads them:
    each annotation's "obb", its area (``gt_area`` or w * h) and "bbox" (the
    obb's extent); results hold "obb" and no "bbox" (hotcoco's loadRes
    would take a result's area from a box)."""
    img_ids = ds.image_ids if ds.image_ids is not None else list(range(1, len(ds.images) + 1))
    cat_ids = ds.class_ids if ds.class_ids is not None else list(range(1, len(ds.classes) + 1))
    images = [{"id": int(i), "file_name": _file_name(k)} for i, k in zip(img_ids, ds.images)]
    if ds.image_sizes is not None:
        for rec, (w, h) in zip(images, ds.image_sizes.tolist()):
            rec.update(width=w, height=h)
    boxes, areas = ds.gt_as("xywh").tolist(), ds.gt_areas().tolist()
    annotations = [
        {"id": j + 1, "image_id": int(img_ids[i]), "category_id": int(cat_ids[k]),
         "bbox": b, "area": a, "iscrowd": int(c)}
        for j, (i, k, b, a, c) in enumerate(zip(ds.gt_image.tolist(), ds.gt_label.tolist(), boxes,
                                                areas, ds.gt_iscrowd.tolist()))]
    obb = ds.box_format == "obb"
    if obb:
        for rec, o in zip(annotations, ds.gt_boxes.tolist()):
            rec["obb"] = o
    categories = [{"id": int(c), "name": n, "supercategory": ""} for c, n in zip(cat_ids, ds.classes)]
    _dump({"images": images, "annotations": annotations, "categories": categories}, gt_out)
    if dt_out is not None:
        results = [{"image_id": int(img_ids[i]), "category_id": int(cat_ids[k]),
                    "obb" if obb else "bbox": b, "score": s}
                   for i, k, b, s in zip(ds.det_image.tolist(), ds.det_label.tolist(),
                                         (ds.det_boxes if obb else ds.dets_as("xywh")).tolist(),
                                         ds.det_scores.tolist())]
        _dump(results, dt_out)


def _file_name(key):
    return key if os.path.splitext(key)[1].lower() in IMAGE_EXTENSIONS else key + ".jpg"


def _dump(obj, path):
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        # allow_nan=False: a NaN would make a file other JSON readers refuse
        json.dump(obj, f, allow_nan=False)
