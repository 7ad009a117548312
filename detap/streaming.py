"""Streaming, mergeable evaluation: ``Evaluator``.

Images arrive one at a time or in batches (a training loop, several
processes, Dask partitions).  ``update`` matches each batch at once with the
same C kernels as the one-shot front ends and keeps only what AP needs:

- VOC family with a stable tie order (voc07, voc, vocdevkit, cartucho): per
  detection its class, image id, index within the image, score and TP/FP/
  ignored label; per GT its class, image id and size;
- "coco": per kept detection (top ``maxDets[-1]`` of each image and
  category) its category, image id, rank in the cell, score and the
  (area range x IoU threshold) labels; per (image, category) cell the
  number of non-ignored GT per area range.

``compute`` orders that state canonically (images by id, detections by
their index in the image) before the score sort, so the result does not
depend on the order of updates nor on how images were split between
evaluators that were merged: it equals ``detap.protocols.evaluate`` on the
whole data set with images sorted by id, bit for bit.

Protocols whose tie order is numpy's unstable ``argsort`` (mmdet,
mmdet-legacy) cannot match images ahead of time (the order of tied
detections inside an image depends on the whole array), so for them the
state keeps the boxes and ``compute`` runs the one-shot evaluation.

``Evaluator("coco", iou_type="segm" | "keypoints")`` compares masks or
keypoints instead of boxes (pycocotools' iouType): ``gt_masks`` /
``det_masks`` (one per box: a COCO RLE dict or an (h, w) binary array) or
``gt_keypoints`` / ``det_keypoints`` ((n, 3K): x, y, v per point) join the
boxes in every update.  A detection's area (for the area ranges) is its
mask's area, or the area of the box spanning its keypoints, as
pycocotools' loadRes sets it for results without a "bbox"; a GT's area is
``gt_area``, else its mask's area (segm) or its box's (keypoints).

Boxes are (n, 4) float in pixels, ``box_format`` "xyxy" or "xywh", (n, 8)
quadrilaterals (``box_format="quad"``, protocol "dota") or (n, 5) rotated
rectangles [cx, cy, w, h, angle] (``box_format="obb"``: pixels, the angle
in radians as ``detap.boxes`` defines it; protocols "coco", with hotcoco's
rotated IoU, "mmrotate", "mmrotate-area" and "ultralytics-obb").  The
oriented boxes of the numpy-tie protocols are kept as given and evaluated
at ``compute``.  Labels are integer class ids.  Image ids are integers or
strings (one kind per evaluator).  String ids are kept as strings and compared by value, so the
canonical order is their sorted (code point) order, the same in every
evaluator that is merged or unpickled; they give the same result as
integer ids in the same order.
"""
import numpy as np

from .conventions import PRESETS
from .core import accumulate, match, prepare_gt, sort_detections
from .errors import DetapInputError
from .boxes import BOX_WIDTHS, ORIENTED_FORMATS, box_kind, box_size, boxes_as, check_box_format
from .coco import Params, engine
from .coco.columns import Columns as CocoColumns, keypoints_box
from .coco.labels import packed_shape
from .coco.obb import check_obb
from .coco.summarize import stats_table, summarize
from .protocols import (ALL_PROTOCOLS, KIND_NAMES, KIND_PROTOCOLS, MEAN_RULE, annotation_stats,
                        check_box_kind, check_iou, class_report, coco_result, convention_dict,
                        iou_index, mean_ap, reported_iou_index)
from .result import EvalResult
from .stream_batch import Batch, batch_boxes, column, concat, dense, positions, repeat_id
from .stream_shapes import SHAPE_KEYS, keypoint_rows, mask_rows

__all__ = ["Evaluator", "analysis_settings"]


def analysis_settings(analysis, **defaults):
    """What an evaluator keeps of its ``analysis`` argument: True becomes
    ``AnalysisSettings(**defaults)``, a falsy value None, settings stay."""
    if analysis is True:   # (imported here: most users of detap never analyse)
        from .analysis import AnalysisSettings
        return AnalysisSettings(**defaults)
    return analysis or None


class Evaluator:
    """Accumulate images, merge evaluators, compute AP.

    protocol   a preset name (``detap.protocols.PROTOCOLS``), or "lvis"
               (``detap.lvis.stream.LVISEvaluator``: its own keywords)
    iou        IoU threshold of ``map`` and the per-class reports; for
               "coco" one of its ``iouThrs`` (stats cover all ten)
    classes    class names: a sequence indexed by label or a dict
               label -> name (default: the label as a string)
    threads    threads for matching (None: all cores); no effect on results
    iou_type   "coco" only: "bbox" (default), "segm" or "keypoints" (the
               17 COCO person sigmas, or ``kpt_oks_sigmas``)
    analysis   True (or a ``detap.analysis.AnalysisSettings``): also keep the
               analysis' per-image state (on what the AP compares: boxes,
               masks, keypoints, quadrilaterals); ``compute()``'s
               result then has ``.analysis`` (TIDE, confusion matrix,
               calibration, per-image results), the same bits however the
               images were split and merged
    box_format the updates' default box format (else "xyxy"); "quad" or
               "obb" checked against the protocol here.  A "coco"
               evaluator compares axis-aligned boxes or (box_format "obb")
               rotated ones, as its first update or merge says, not both
    """

    def __new__(cls, protocol="coco", *args, **kwargs):
        if cls is Evaluator and protocol == "lvis":  # LVIS's own state (detap/lvis/stream.py)
            from .lvis.stream import LVISEvaluator
            return super().__new__(LVISEvaluator)
        return super().__new__(cls)

    def __init__(self, protocol="coco", iou=0.5, classes=None, threads=None, iou_type="bbox",
                 kpt_oks_sigmas=None, analysis=False, box_format=None):
        if protocol not in ALL_PROTOCOLS:
            raise DetapInputError(f"unknown protocol {protocol!r}; known: "
                                  f"{', '.join(ALL_PROTOCOLS)}")
        self.protocol = protocol
        self.iou = check_iou(iou)
        self.conv = PRESETS[protocol]
        self.classes = classes
        self.threads = threads
        self._raw = self.conv.tie_order == "numpy"
        if iou_type not in ("bbox", "segm", "keypoints"):
            raise DetapInputError(f"iou_type must be 'bbox', 'segm' or 'keypoints', got {iou_type!r}")
        if iou_type != "bbox" and protocol != "coco":
            raise DetapInputError(f"iou_type={iou_type!r} needs protocol 'coco'")
        self.iou_type = iou_type
        self.analysis = analysis_settings(analysis, iou=self.iou)
        self.box_format = self._format(box_format) if box_format is not None else None
        if protocol == "coco":
            self._params = Params(iou_type)
            if iou_type == "keypoints" and kpt_oks_sigmas is not None:
                self._params.kpt_oks_sigmas = np.asarray(kpt_oks_sigmas, dtype=np.float64)
            reported_iou_index(self._params.iouThrs, self.iou, "the coco Evaluator")
        self.reset()

    # -- state --------------------------------------------------------------

    def reset(self):
        """Forget every image."""
        self._chunks = {"img": [], "gt": [], "det": [], "cell": [], "raw": []}
        self._id_kind = None  # "i" or "U" once an image has been added
        # what the boxes are ("box", "quad", "obb") once known
        self._box_kind = box_kind(self.box_format) if self.box_format else None
        self._analysis = None
        if getattr(self, "analysis", None):
            from .analysis import AnalysisState
            self._analysis = AnalysisState(self.analysis)

    def _check_id_kind(self, kind):
        if kind is None:
            return
        if self._id_kind not in (None, kind):
            have = {"i": "integers", "U": "strings"}
            raise DetapInputError(f"image ids must be of one kind: this evaluator has "
                                  f"{have[self._id_kind]}, the new ones are {have[kind]}")
        self._id_kind = kind

    def _format(self, box_format):
        """An update's box format (None: the evaluator's, else "xyxy"),
        checked against the protocol and iou_type."""
        if box_format is None:
            box_format = getattr(self, "box_format", None) or "xyxy"
        check_box_format(box_format)
        check_box_kind(box_kind(box_format), self.protocol)
        iou_type = getattr(self, "iou_type", "bbox")   # (evaluators pickled before it)
        if box_format == "obb" and iou_type != "bbox":
            raise DetapInputError(f"rotated boxes (box_format 'obb') are compared by their rotated "
                                  f"IoU, not by iou_type={iou_type!r}")
        return box_format

    def _same_box_kind(self, kind, whose):
        have = getattr(self, "_box_kind", None)
        if kind is not None and have not in (None, kind):
            raise DetapInputError(f"this {self.protocol} Evaluator compares {KIND_NAMES[have]}; "
                                  f"{whose} {KIND_NAMES[kind]}")
        self._box_kind = have or kind

    def _key(self):
        return (self.protocol, self.iou, getattr(self, "iou_type", "bbox"))

    def _iou_type(self):
        """What "coco" compares: iou_type, or "obb" for rotated boxes."""
        return "obb" if getattr(self, "_box_kind", None) == "obb" else getattr(self, "iou_type",
                                                                              "bbox")

    def merge(self, other):
        """Add ``other``'s images to this evaluator (in place); returns self.
        Both must use the same protocol and IoU; an image seen by both is an
        error at ``compute``."""
        if not isinstance(other, Evaluator):
            raise DetapInputError(f"can only merge an Evaluator, not {type(other).__name__}")
        if other._key() != self._key():
            raise DetapInputError(f"cannot merge an Evaluator{other._key()} into an "
                                  f"Evaluator{self._key()} (protocol, iou, iou_type)")
        mine, theirs = getattr(self, "_analysis", None), getattr(other, "_analysis", None)
        if (mine is None) != (theirs is None):
            raise DetapInputError("cannot merge an Evaluator with analysis into one without")
        # (the box kind first: it changes this evaluator only when it is empty,
        # where the id kind cannot conflict; a refused merge changes nothing)
        self._same_box_kind(getattr(other, "_box_kind", None), "the other one has")
        self._check_id_kind(getattr(other, "_id_kind", None))
        if mine is not None:
            mine.merge(theirs)
        for k, v in other._chunks.items():
            self._chunks[k].extend(v)
        return self

    def _consolidate(self, keep=()):
        """One chunk per kind (but those in ``keep``) instead of one per
        update; the old chunks are freed."""
        for k, v in self._chunks.items():
            if len(v) > 1 and k not in keep:
                self._chunks[k] = [concat(v)]

    def __getstate__(self):
        self._consolidate()
        return dict(self.__dict__)

    # -- updates ------------------------------------------------------------

    def update(self, image_id, gt_boxes, gt_labels, det_boxes, det_scores, det_labels, *,
               gt_difficult=None, gt_iscrowd=None, gt_area=None, box_format=None, **shapes):
        """Add one image: GT (m, 4) boxes ((m, 8) "quad", (m, 5) "obb") with
        (m,) labels, detections (n, 4) with (n,) scores and labels; with
        iou_type "segm" or "keypoints" also ``gt_masks`` / ``det_masks`` or
        ``gt_keypoints`` / ``det_keypoints`` (and optionally
        ``gt_num_keypoints``).  Each image id (an int or a str) may be
        added once.  ``box_format`` None: the evaluator's (else "xyxy")."""
        box_format = self._format(box_format)
        gt_boxes = batch_boxes(gt_boxes, "gt_boxes", box_format)
        det_boxes = batch_boxes(det_boxes, "det_boxes", box_format)
        ng, nd = len(gt_boxes), len(det_boxes)
        self.update_batch(repeat_id(image_id, ng), gt_boxes, gt_labels,
                          repeat_id(image_id, nd), det_boxes, det_scores, det_labels,
                          gt_difficult=gt_difficult, gt_iscrowd=gt_iscrowd, gt_area=gt_area,
                          box_format=box_format, image_ids=[image_id], **shapes)

    def update_many(self, records, box_format=None):
        """Add several images given as dicts with ``update``'s keywords."""
        box_format = self._format(box_format)
        keys = ("gt_boxes", "gt_labels", "det_boxes", "det_scores", "det_labels",
                "gt_difficult", "gt_iscrowd", "gt_area")
        cols = {k: [] for k in keys}
        shapes = {}
        gi, di, ids = [], [], []
        records = list(records)
        for r in records:
            for k in SHAPE_KEYS:
                if k in r:
                    shapes.setdefault(k, [])
        sigmas = getattr(getattr(self, "_params", None), "kpt_oks_sigmas", None)
        width = 3 * len(sigmas) if sigmas is not None else 3  # others: refused by _shapes
        for r in records:
            for k, parts in shapes.items():
                v = r.get(k)
                if v is None:
                    raise DetapInputError(f"record of image {r['image_id']!r} has no {k!r}")
                if k.endswith("masks"):
                    parts.append(list(v))
                elif k == "gt_num_keypoints":
                    parts.append(np.asarray(v, np.float64).reshape(-1))
                else:  # (n, 3K) keypoints; an image without boxes may give []
                    parts.append(np.asarray(v, np.float64).reshape(-1, width))
            ng = len(np.asarray(r.get("gt_labels", [])).reshape(-1))
            nd = len(np.asarray(r.get("det_labels", [])).reshape(-1))
            ids.append(r["image_id"])
            gi.append(repeat_id(r["image_id"], ng))
            di.append(repeat_id(r["image_id"], nd))
            box = (BOX_WIDTHS[box_format],)
            for k, n, tail in (("gt_boxes", ng, box), ("det_boxes", nd, box), ("gt_labels", ng, ()),
                               ("det_labels", nd, ()), ("det_scores", nd, ())):
                cols[k].append(column(r.get(k), None if k.endswith("labels") else np.float64, k,
                                      tail) if n else np.zeros((0,) + tail))
            for k, default in (("gt_difficult", False), ("gt_iscrowd", False), ("gt_area", np.nan)):
                v = r.get(k)
                cols[k].append(np.full(ng, default) if v is None else np.asarray(v).reshape(-1))
        if not ids:
            return
        area = np.concatenate(cols["gt_area"]).astype(np.float64)
        self.update_batch(np.concatenate(gi), np.concatenate(cols["gt_boxes"]),
                          np.concatenate(cols["gt_labels"]), np.concatenate(di),
                          np.concatenate(cols["det_boxes"]), np.concatenate(cols["det_scores"]),
                          np.concatenate(cols["det_labels"]),
                          gt_difficult=np.concatenate(cols["gt_difficult"]).astype(bool),
                          gt_iscrowd=np.concatenate(cols["gt_iscrowd"]).astype(bool),
                          gt_area=None if np.isnan(area).all() else
                          np.where(np.isnan(area), _box_area(np.concatenate(cols["gt_boxes"]),
                                                             box_format), area),
                          box_format=box_format, image_ids=ids,
                          **{k: (sum(v, []) if k.endswith("masks") else np.concatenate(v))
                             for k, v in shapes.items()})

    def update_batch(self, gt_image_id, gt_boxes, gt_labels, det_image_id, det_boxes, det_scores,
                     det_labels, *, gt_difficult=None, gt_iscrowd=None, gt_area=None,
                     box_format=None, image_ids=None, **shapes):
        """Add many images as columns: one row per box, ``*_image_id`` (n,)
        saying whose.  ``image_ids`` declares images that may have no boxes.
        Rows of one image keep their order (it breaks score ties).
        ``shapes``: the masks or keypoints of iou_type "segm" / "keypoints"
        (see ``update``), one per row."""
        box_format = self._format(box_format)
        c = Batch(gt_image_id, gt_boxes, gt_labels, det_image_id, det_boxes, det_scores,
                  det_labels, gt_difficult, gt_iscrowd, gt_area, box_format, image_ids,
                  nonneg_sizes=self.protocol == "coco")
        c.shapes = self._shapes(shapes, len(c.gt_boxes), len(c.det_boxes))
        if not len(c.images):
            return
        self._same_box_kind(box_kind(box_format), "these are")
        self._check_id_kind("U" if c.images.dtype.kind == "U" else "i")
        self._chunks["img"].append({"id": c.images})
        gt_xywh = boxes_as(c.gt_boxes, box_format, "xywh")
        if getattr(self, "_analysis", None) is not None:
            shapes, ignore = self._analysis_shapes(c, gt_xywh)
            self._analysis.add_columns(c.images, c.gt_image, gt_xywh, c.gt_labels, ignore,
                                       c.det_image, boxes_as(c.det_boxes, box_format, "xywh"),
                                       c.det_labels, c.det_scores, self.threads, shapes)
        w, h = box_size(c.gt_boxes, box_format, gt_xywh)
        self._chunks["gt"].append({"label": c.gt_labels, "img": c.gt_image,
                                   "pos": positions(c.gt_image), "w": w, "h": h})
        if self._raw:  # (oriented boxes stay as they are)
            keep = box_format if box_format in ORIENTED_FORMATS else "xyxy"
            self._chunks["raw"].append({
                "gt_boxes": boxes_as(c.gt_boxes, box_format, keep), "gt_image": c.gt_image,
                "gt_labels": c.gt_labels, "gt_difficult": c.gt_difficult,
                "gt_iscrowd": c.gt_iscrowd,
                "det_boxes": boxes_as(c.det_boxes, box_format, keep), "det_image": c.det_image,
                "det_labels": c.det_labels, "det_scores": c.det_scores})
        elif self.protocol == "coco":
            self._update_coco(c)
        else:
            self._update_voc(c)

    def _update_voc(self, c):
        conv = self.conv
        fmt = "xywh" if conv.iou == "coco" else "xyxy"
        gtb, dtb = boxes_as(c.gt_boxes, c.box_format, fmt), boxes_as(c.det_boxes, c.box_format, fmt)
        # one "image" of the kernel per (image, class) cell of the batch
        labels_u = np.unique(np.concatenate([c.gt_labels, c.det_labels]))
        K = max(len(labels_u), 1)
        g_cell = dense(c.gt_image, c.images) * K + dense(c.gt_labels, labels_u)
        d_cell = dense(c.det_image, c.images) * K + dense(c.det_labels, labels_u)
        ignore = c.gt_difficult | c.gt_iscrowd
        gt = prepare_gt(gtb, g_cell, len(c.images) * K, ignore, convention=conv, box_format=fmt,
                        threads=self.threads)
        order = sort_detections(c.det_scores, "stable")
        lab = match(dtb, d_cell, order, gt, [self.iou], conv, self.threads)[0]
        rows = np.empty(len(order), np.int8)
        rows[order] = lab
        npos_rows = ~ignore if conv.difficult == "ignore" else np.ones(len(ignore), bool)
        self._chunks["det"].append({"label": c.det_labels, "img": c.det_image,
                                    "pos": positions(c.det_image), "score": c.det_scores,
                                    "lab": rows})
        self._chunks["cell"].append({"label": c.gt_labels[npos_rows]})

    def _shapes(self, shapes, ng, nd):
        """The masks / keypoints of a batch, checked against iou_type:
        {"gt": MaskColumns or (ng, 3K), "dt": ..., "nk": (ng,) num_keypoints}."""
        t = getattr(self, "iou_type", "bbox")
        allowed = {"segm": {"gt_masks", "det_masks"},
                   "keypoints": {"gt_keypoints", "det_keypoints", "gt_num_keypoints"}}.get(t, set())
        extra = set(shapes) - allowed
        if extra:
            raise DetapInputError(f"unexpected arguments {sorted(extra)} for iou_type={t!r}")
        if t == "segm":
            return {"gt": mask_rows(shapes.get("gt_masks"), ng, "gt_masks"),
                    "dt": mask_rows(shapes.get("det_masks"), nd, "det_masks")}
        if t == "keypoints":
            K = len(self._params.kpt_oks_sigmas)
            nk = shapes.get("gt_num_keypoints")
            nk = None if nk is None else column(nk, np.float64, "gt_num_keypoints")
            if nk is not None and len(nk) != ng:
                raise DetapInputError(f"gt_num_keypoints has {len(nk)} values for {ng} boxes")
            gt = keypoint_rows(shapes.get("gt_keypoints"), ng, K, "gt_keypoints")
            # pycocotools' num_keypoints: given, else the labelled points (v > 0)
            dt = keypoint_rows(shapes.get("det_keypoints"), nd, K, "det_keypoints")
            return {"gt": gt, "dt": dt, "nk": nk if nk is not None else (gt[:, 2::3] > 0).sum(1)}
        return None

    def _analysis_shapes(self, c, gt_xywh):
        """What the analysis of a batch compares (``analysis.scene.Shapes``:
        masks, keypoints, quadrilaterals; None: boxes) and its ignore regions: crowd and
        difficult GT, and keypoint GT without labelled points (as
        pycocotools ignores them)."""
        t, sh = getattr(self, "iou_type", "bbox"), c.shapes
        ignore = c.gt_iscrowd | c.gt_difficult
        from .analysis.scene import Shapes
        if c.box_format in ORIENTED_FORMATS:  # (their own IoU, as the AP)
            return Shapes(c.box_format, c.gt_boxes, c.det_boxes), ignore
        if t == "bbox":
            return None, ignore
        if t == "segm":
            return Shapes("segm", sh["gt"], sh["dt"]), ignore
        area = gt_xywh[:, 2] * gt_xywh[:, 3] if c.gt_area is None else c.gt_area
        return (Shapes("keypoints", sh["gt"], sh["dt"], np.asarray(area, np.float64),
                       engine.kpt_vars(self._params.kpt_oks_sigmas)), ignore | (sh["nk"] == 0))

    def _update_coco(self, c):
        gtb = boxes_as(c.gt_boxes, c.box_format, "xywh")
        dtb = boxes_as(c.det_boxes, c.box_format, "xywh")
        ng, nd = len(gtb), len(dtb)
        t, sh = self._iou_type(), c.shapes
        # (a rotated box's area is its own w * h, hotcoco's)
        area = _box_area(c.gt_boxes, c.box_format, gtb) if c.gt_area is None else c.gt_area
        if t == "segm" and c.gt_area is None:
            area = sh["gt"].area
        crowd = c.gt_iscrowd.astype(np.uint8)
        ignore = crowd
        d_area = _box_area(c.det_boxes, c.box_format, dtb)
        if t == "segm":
            d_area = sh["dt"].area
        elif t == "keypoints":
            d_area = keypoints_box(sh["dt"])[1] if nd else np.zeros(0)
            ignore = (crowd | (sh["nk"] == 0)).astype(np.uint8)  # pycocotools' _prepare
        # the engine takes integer ids: string ids go in as their rank in the
        # batch (the same order) and come back as strings below
        gimg, dimg, images = c.gt_image, c.det_image, c.images
        if c.images.dtype.kind == "U":
            gimg, dimg = dense(gimg, images), dense(dimg, images)
            images = np.arange(len(images), dtype=np.int64)
        gt = CocoColumns(gimg, c.gt_labels, np.arange(1, ng + 1, dtype=np.int64), gtb, area,
                         crowd, ignore)
        dt = CocoColumns(dimg, c.det_labels, np.arange(1, nd + 1, dtype=np.int64), dtb,
                         d_area, np.zeros(nd, np.uint8), np.zeros(nd, np.uint8), c.det_scores)
        if t == "segm":
            gt, dt = gt.with_fields(masks=sh["gt"]), dt.with_fields(masks=sh["dt"])
        elif t == "keypoints":
            gt, dt = gt.with_fields(kpts=sh["gt"]), dt.with_fields(kpts=sh["dt"])
        elif t == "obb":  # (a negative size is warned of, as one-shot)
            gt = gt.with_fields(obb=check_obb(c.gt_boxes, "gt_boxes"))
            dt = dt.with_fields(obb=check_obb(c.det_boxes, "det_boxes"))
        p = self._params
        st = engine.evaluate(gt, dt, images, np.unique(np.concatenate([c.gt_labels, c.det_labels])),
                             True, p.areaRng, p.iouThrs, p.maxDets[-1], self.threads, t,
                             getattr(p, "kpt_oks_sigmas", None))
        cells, m = st.cells, st.matches
        # cell c is (category cell_key[c] // I, image cell_key[c] % I)
        I = max(cells.I, 1)  # noqa: E741
        cell_cat = cells.cat_ids[cells.cell_key // I] if len(cells.cat_ids) else np.zeros(0, np.int64)
        cell_img = cells.img_ids[cells.cell_key % I]
        if c.images.dtype.kind == "U":
            cell_img = c.images[cell_img]
        n_kept = np.diff(m.kept_off)
        kcell = np.repeat(np.arange(len(n_kept)), n_kept)
        self._chunks["cell"].append({"label": cell_cat, "img": cell_img, "npig": m.npig.T.copy()})
        # kept detections come cell by cell in rank order, and a cell lives in
        # one batch: a stable sort on the cell key restores the global order
        self._chunks["det"].append({"label": _narrow(cell_cat[kcell]), "img": cell_img[kcell],
                                    "score": m.kept_score, "lab": m.labels})

    # -- result -------------------------------------------------------------

    def _names(self, labels):
        cl = self.classes
        if cl is None:
            return [str(int(k)) for k in labels]
        if isinstance(cl, dict):
            return [str(cl.get(int(k), int(k))) for k in labels]
        return [str(cl[int(k)]) if 0 <= int(k) < len(cl) else str(int(k)) for k in labels]

    def _images(self):
        ids = concat(self._chunks["img"]).get("id", np.zeros(0, np.int64))
        u, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            raise DetapInputError(f"image id {u[np.argmax(counts > 1)].item()!r} was added more than "
                                  f"once (in one evaluator or in two that were merged)")
        return u

    def compute(self):
        """The ``EvalResult`` of every image added so far (the state stays:
        more updates and computes may follow)."""
        # the detections of "coco" (the bulk of the state) stay in chunks:
        # _compute_coco gathers them once, in their final order
        self._consolidate(keep=("det",) if self.protocol == "coco" else ())
        images = self._images()
        gt = concat(self._chunks["gt"], {"label": 0, "img": 0, "pos": 0, "w": 1, "h": 1})
        det_chunks = self._chunks["det"]
        raw = concat(self._chunks["raw"])
        labels = np.unique(np.concatenate([gt["label"], raw.get("det_labels", np.zeros(0, np.int64))]
                                          + [np.unique(c["label"]) for c in det_chunks]))
        go = np.lexsort((gt["pos"], gt["img"]))
        ann = _ann_stats(gt["label"][go], gt["w"][go], gt["h"][go], labels)
        res = self._compute_ap(images, labels, det_chunks, raw, ann)
        if getattr(self, "_analysis", None) is not None:
            res.analysis = self._analysis.compute(labels, self._names(labels))
        return res

    def _compute_ap(self, images, labels, det_chunks, raw, ann):
        if self._raw:
            res = self._compute_raw(images, labels)
            # the sizes as given, not as recovered from converted boxes
            for k, name in enumerate(res.classes):
                r = res.per_class[name]
                r.n_annotations, r.mean_area, r.mean_aspect = int(ann[0][k]), ann[1][k], ann[2][k]
            return res
        if self.protocol == "coco":
            return self._compute_coco(images, labels, det_chunks, ann)
        return self._compute_voc(images, labels, concat(det_chunks), ann)

    def _compute_voc(self, images, labels, det, ann):
        conv = self.conv
        npos_lab = concat(self._chunks["cell"]).get("label", np.zeros(0, np.int64))
        npos = np.bincount(dense(npos_lab, labels), minlength=len(labels))
        names = self._names(labels)
        dlab = det.get("label", np.zeros(0, np.int64))
        k_of = dense(dlab, labels)
        order = np.lexsort((det["pos"], det["img"], -det["score"], k_of)) if len(dlab) else dlab
        bounds = np.searchsorted(k_of[order], np.arange(len(labels) + 1))
        per_class = {}
        for k, name in enumerate(names):
            rows = order[bounds[k]:bounds[k + 1]]
            scores = det["score"][rows] if len(rows) else np.zeros(0)
            lab = det["lab"][rows] if len(rows) else np.zeros(0, np.int8)
            tp, fp, rec, prec, ap = accumulate(lab, int(npos[k]), conv, scores)
            per_class[name] = class_report(name, ap, int(npos[k]), scores, tp, fp, prec, rec,
                                           ann[0][k], ann[1][k], ann[2][k], self.protocol)
        mean = mean_ap([per_class[c].ap for c in names], MEAN_RULE[self.protocol])
        return EvalResult(protocol=self.protocol, iou=self.iou, classes=names, per_class=per_class,
                          map=mean, convention=convention_dict(conv), n_images=len(images))

    def _compute_coco(self, images, labels, det, ann):
        cells = concat(self._chunks["cell"])
        p = self._params
        A, T = len(p.areaRng), len(p.iouThrs)
        K, I = len(labels), len(images)
        c_lab = cells.get("label", np.zeros(0, np.int64))
        c_key = dense(c_lab, labels) * I + dense(cells.get("img", np.zeros(0, np.int64)), images)
        c_order = np.argsort(c_key, kind="stable")
        c_key = c_key[c_order]
        npig = cells["npig"][c_order].T.copy() if len(c_key) else np.zeros((A, 0), np.int32)
        # global order of the kept detections: by cell (a cell lives in one
        # chunk, in rank order), gathered chunk by chunk into the output
        d_key = np.concatenate([dense(c["label"], labels) * I + dense(c["img"], images)
                                for c in det] or [np.zeros(0, np.int64)])
        d_order = np.argsort(d_key, kind="stable")
        kept_off = np.r_[np.searchsorted(d_key[d_order], c_key, side="left"),
                         len(d_order)].astype(np.int64)
        del d_key
        cat_off = np.searchsorted(c_key // max(I, 1), np.arange(K + 1)).astype(np.int64)
        dest = np.empty(len(d_order), np.int64)
        dest[d_order] = np.arange(len(d_order))
        del d_order
        lab = np.empty(packed_shape(len(dest), A, T), np.uint8)
        kept_score = np.empty(len(dest), np.float64)
        start = 0
        for c in det:
            rows = dest[start:start + len(c["score"])]
            lab[rows] = c["lab"]
            kept_score[rows] = c["score"]
            start += len(rows)
        del dest
        m = engine.Matches(cat_off=cat_off, kept_off=kept_off, score=kept_score, labels=lab,
                           npig=npig, T=T)
        precision, recall, _ = engine.accumulate(m, p.maxDets, p.recThrs, self.threads)
        iou_type = self._iou_type()
        stats, _ = summarize(precision, recall, p, stats_table(iou_type))
        t = iou_index(p.iouThrs, self.iou)
        return coco_result(stats, m, precision, t, self._names(labels), self.iou, ann, I,
                           iou_type)

    def _compute_raw(self, images, labels):
        from .formats.dataset import Dataset
        from .protocols import evaluate
        r = concat(self._chunks["raw"])
        fmt = next((f for f in ORIENTED_FORMATS if self.protocol in KIND_PROTOCOLS[f]), "xyxy")
        if not r:
            return evaluate(Dataset(images=[str(i) for i in images], classes=[], box_format=fmt),
                            self.protocol, self.iou)
        go = np.lexsort((positions(r["gt_image"]), r["gt_image"]))
        do = np.lexsort((positions(r["det_image"]), r["det_image"]))
        ds = Dataset(images=[str(i) for i in images], classes=self._names(labels), box_format=fmt,
                     gt_boxes=r["gt_boxes"][go], gt_image=dense(r["gt_image"][go], images),
                     gt_label=dense(r["gt_labels"][go], labels),
                     gt_difficult=r["gt_difficult"][go], gt_iscrowd=r["gt_iscrowd"][go],
                     det_boxes=r["det_boxes"][do], det_image=dense(r["det_image"][do], images),
                     det_label=dense(r["det_labels"][do], labels),
                     det_scores=r["det_scores"][do])
        return evaluate(ds, self.protocol, self.iou, threads=self.threads)


def _box_area(b, fmt, xywh=None):
    """w * h of boxes in ``fmt`` (``box_size``; ``xywh``: their extent, when
    the caller has it)."""
    b = np.asarray(b, dtype=np.float64).reshape(-1, BOX_WIDTHS[fmt])
    w, h = box_size(b, fmt, xywh)
    with np.errstate(over="ignore", invalid="ignore"):  # (as Dataset.gt_areas)
        return w * h


def _narrow(labels):
    """Class ids as int32 when they fit (the bulk of a state is per detection)."""
    if len(labels) and (labels.min() < -2**31 or labels.max() >= 2**31):
        return labels
    return labels.astype(np.int32)


def _ann_stats(label, w, h, labels):
    """Per class (count, mean area, mean aspect w/h), summed in canonical row
    order so that the result does not depend on update order."""
    return annotation_stats(dense(label, labels), w, h, len(labels))
