"""The masks of an annotation list as RLE columns (iouType "segm").

pycocotools turns every annotation's ``segmentation`` into one RLE before it
compares masks (``COCO.annToRLE``): a list of polygons is rasterised in the
image's size and merged; an uncompressed RLE (``counts`` a list) takes the
image's size; a compressed one (``counts`` a string) keeps its own
``size``.  Here every annotation's RLE goes into flat arrays once (C,
``_core.rle_columns``), with its toBbox box and area, and the segm cell
similarity reads them (csrc/mask_cells.h).  Masks are column-major; boxes
xywh pixels; areas pixels.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import _core
from .. import mask as mask_api
from ..errors import DetapInputError
from ..threads import nthreads
from .cells import index_of

__all__ = ["MaskColumns", "mask_columns", "reader_masks", "reader_mask_columns", "result_masks", "box_polygons"]


@dataclass
class MaskColumns:
    """One RLE per annotation row.

    counts (total,) uint32   every RLE's counts, row after row
    off    (n + 1,) int64    row i owns counts[off[i]:off[i + 1]]
    hw     (n, 2) uint32     each RLE's height and width
    bbox   (n, 4) float64    pycocotools' toBbox of each RLE (xywh pixels);
           None in the text form until ``boxes()`` finds it
    area   (n,) float64      pycocotools' area (uint32) of each RLE
    text   None, or (blob uint8, start (n,) int64, length (n,) int64): the
           RLEs as compressed counts strings (pycocotools' form, no JSON
           escapes), row i's blob[start[i]:start[i] + length[i]]; counts and
           off are then None.  Results read from a file keep this form: C
           decodes each string where it is compared (csrc/mask_cells.h), and
           finds its box there, so their counts (4 bytes per value, hundreds
           of MB) are never held and no string is decoded twice.
    """
    counts: Optional[np.ndarray]
    off: Optional[np.ndarray]
    hw: np.ndarray
    bbox: Optional[np.ndarray]
    area: np.ndarray
    text: Optional[tuple] = None

    def boxes(self):
        """``bbox``, found (and kept) if this text form has not yet."""
        if self.bbox is None:
            blob, start, length = self.text
            self.bbox = _core.text_boxes(blob, start, length, self.hw, nthreads(None))
        return self.bbox

    def arrays(self):
        """What coco_evaluate's ``masks`` reads of one side."""
        if self.text is not None:
            return self.counts, self.off, self.hw, self.bbox, self.text
        return self.counts, self.off, self.hw, self.bbox

    def decoded(self):
        """These masks with their counts decoded (self if they are)."""
        if self.text is None:
            return self
        blob, start, length = self.text
        counts, off, _ = _core.decode_text_spans(blob, start, length, self.hw[:, 0], self.hw[:, 1],
                                                 "masks", nthreads(None))
        return MaskColumns(counts, off, self.hw, self.boxes(), self.area)

    def take(self, rows):
        """The RLEs of ``rows`` (an index array; a slice(None) is all)."""
        if isinstance(rows, slice) and rows == slice(None):
            return self
        rows = np.asarray(rows, dtype=np.int64)
        if self.text is not None:
            blob, start, length = self.text
            return MaskColumns(None, None, self.hw[rows],
                               None if self.bbox is None else self.bbox[rows], self.area[rows],
                               (blob, start[rows], length[rows]))
        lengths = np.diff(self.off)[rows]
        off = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        idx = (np.repeat(self.off[rows] - off[:-1], lengths) + np.arange(off[-1])
               if len(rows) else np.zeros(0, np.int64))
        return MaskColumns(self.counts[idx], off, self.hw[rows], self.bbox[rows], self.area[rows])

    def result_box(self, anns):
        """pycocotools' loadRes of mask results: each record's own "bbox"
        if it has one, else the mask's toBbox; area the mask's."""
        bbox = self.boxes().copy()
        for i, a in enumerate(anns):
            if "bbox" in a:
                bbox[i] = a["bbox"]
        return bbox, self.area.copy()


def box_polygons(bbox):
    """pycocotools' loadRes polygon of box results without a segmentation:
    [[x1, y1, x1, y2, x2, y2, x2, y1]] per xywh box."""
    x1, y1 = bbox[:, 0], bbox[:, 1]
    x2, y2 = x1 + bbox[:, 2], y1 + bbox[:, 3]
    return [[[a, b, a, d, c, d, c, b]] for a, b, c, d in zip(x1.tolist(), y1.tolist(),
                                                             x2.tolist(), y2.tolist())]


def mask_columns(segs, image_ids, imgs, where):
    """``MaskColumns`` of the segmentations ``segs`` (one per annotation,
    what ``segmentation`` holds) on images ``image_ids`` (their sizes from
    ``imgs``, id -> image dict, for polygons and uncompressed RLEs)."""
    n = len(segs)
    heights, widths = np.zeros(n, np.int64), np.zeros(n, np.int64)
    objs = list(segs)
    for i, s in enumerate(objs):
        compressed = isinstance(s, dict) and isinstance(s.get("counts"), (str, bytes))
        if compressed:
            continue
        if not isinstance(s, (list, dict)):
            raise DetapInputError(f"{where}: record {i} 'segmentation' is not polygons or an "
                                  f"RLE: {s!r:.80}")
        if isinstance(s, dict) and "counts" not in s:
            raise DetapInputError(f"{where}: record {i} 'segmentation' RLE has no 'counts'")
        if isinstance(s, list) and not s:
            raise DetapInputError(f"{where}: record {i} 'segmentation' is an empty list "
                                  "(pycocotools fails on it too)")
        img = imgs.get(image_ids[i])
        try:
            heights[i], widths[i] = int(img["height"]), int(img["width"])
        except (TypeError, KeyError, ValueError, OverflowError):
            raise DetapInputError(f"{where}: record {i}: image {image_ids[i]!r} has no 'height' "
                                  "and 'width' (polygon and uncompressed RLE masks need them)") from None
        if isinstance(s, list) and not (isinstance(s[0], (list, tuple)) and len(s[0]) > 4):
            # pycocotools reads a list whose first entry has 4 numbers as
            # boxes, and refuses anything else that is not polygons
            if not (isinstance(s[0], (list, tuple, np.ndarray)) and len(s[0]) == 4):
                raise DetapInputError(f"{where}: record {i} 'segmentation' is not polygons "
                                      "(input type is not supported)")
            try:
                objs[i] = mask_api.merge(mask_api.frPyObjects(s, int(heights[i]), int(widths[i])))
            except (TypeError, ValueError, OverflowError):
                # pycocotools' frPyObjects takes boxes as an array only: from
                # JSON (a list) it raises TypeError
                raise DetapInputError(f"{where}: record {i} 'segmentation' holds boxes "
                                      f"[x, y, w, h], which pycocotools cannot read from JSON: "
                                      f"{s!r:.80}") from None
    counts, off, hw, bbox, area = _core.rle_columns(objs, heights, widths, where, nthreads(None))
    return MaskColumns(counts, off, hw, bbox, area)


def reader_masks(cols, where):
    """``MaskColumns`` of the annotations the C reader read (``cols``: its
    columns of a COCO document, with "rle_blob"), or None when a record
    holds a segmentation it did not read (uncompressed RLE, boxes, ...) or
    a polygon's image has no usable size: the records then decide, as
    pycocotools reads them."""
    rle, poly = cols["rle_len"] >= 0, cols["poly_count"] >= 0
    if not bool(np.all(rle | poly)):
        return None
    img_ids = cols["img_id"]
    heights = np.zeros(len(rle), np.int64)
    widths = np.zeros(len(rle), np.int64)
    if bool(poly.any()):
        if len(np.unique(img_ids)) != len(img_ids) or bool(np.any(cols["img_has"] & _core.ID_OTHER)):
            return None
        order = np.argsort(img_ids, kind="stable")
        pos = index_of(img_ids[order], cols["image_id"][poly])
        if bool(np.any(pos < 0)):
            return None
        h, w = cols["img_height"][order[pos]], cols["img_width"][order[pos]]
        # pycocotools' frPyObjects takes integral sizes (480 or 480.0) only
        if not bool(np.all((h == np.trunc(h)) & (w == np.trunc(w)) & (h >= 0) & (w >= 0)
                           & (h <= 0xFFFFFFFF) & (w <= 0xFFFFFFFF))):
            return None
        heights[poly], widths[poly] = h, w
    return reader_mask_columns(cols, heights, widths, where)


def reader_mask_columns(cols, heights, widths, where):
    """``MaskColumns`` of records the C reader read (``cols``: its columns,
    with "rle_blob"), each holding a compressed RLE or polygons; polygons
    are rasterised in heights[i] x widths[i] (their image's size)."""
    return MaskColumns(*_core.reader_rle_columns(cols["rle_blob"], cols, heights, widths, where,
                                                 nthreads(None)))


def result_masks(cols, where):
    """``MaskColumns`` of a results file's compressed RLEs (``cols``: the C
    reader's columns; its "rle_blob" is rewritten in place), kept as
    strings (see ``MaskColumns.text``), their boxes not yet found."""
    blob = cols["rle_blob"]
    start, length, hw, area = _core.rle_strings(
        blob, cols["rle_start"], cols["rle_len"], cols["rle_esc"], cols["rle_h"], cols["rle_w"],
        where, nthreads(None))
    return MaskColumns(None, None, hw, None, area, (blob, start, length))
