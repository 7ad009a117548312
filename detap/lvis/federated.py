"""LVIS's federated rules as row selections over annotation columns.

LVIS labels each image only for some categories, so lvis-api evaluates a
category on an image only where it is verified:

- present (``pos``): the image has a GT of that category (of area > 0:
  lvis-api's annotation query keeps areas strictly inside (0, inf));
- absent: the category is in the image's ``neg_category_ids``.

A detection of any other (image, category) pair is dropped, as are
detections of area <= 0 (``w * h``) or of categories not evaluated.  A
detection of a category in the image's ``not_exhaustive_category_ids``
stays, but when it matches nothing it is ignored instead of counting as a
false positive (``unmatched_ignored``; the engine's C matcher applies it).

Before all this, a result set keeps at most ``max_dets`` detections per
image (``cap_per_image``).  The per-row work of both steps is C
(csrc/federated.c); everything else (IoU, greedy matching, 101-point
precision) is the COCO engine's: these functions only say which rows
enter it.
"""
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..coco.cells import index_of
from ..errors import DetapInputError
from ..threads import nthreads

__all__ = ["FederatedRows", "federated_rows", "only_rows", "PairSet", "cap_per_image"]

# (image, category) pair tables up to this many pairs are a byte table
# (LVIS v1 val: 20k images x 1,203 categories = 24M bytes); beyond, sorted keys
_TABLE_MAX = 1 << 27


class PairSet:
    """A set of (image position, category position) pairs, each coded
    i * K + k, over an I x K grid of ``size`` = I * K pairs."""

    def __init__(self, keys, size):
        keys = np.asarray(keys, dtype=np.int64)
        if size <= _TABLE_MAX:
            self._table = np.zeros(size, np.uint8)
            self._table[keys] = 1
            self._keys = None
        else:
            self._table, self._keys = None, np.unique(keys)

    def contains(self, keys):
        """(n,) bool: whether each code of ``keys`` is in the set."""
        if self._table is not None:
            return self._table[keys].astype(bool)
        return index_of(self._keys, keys) >= 0


def cap_per_image(image_pos, n_images, score, max_dets, threads=None):
    """lvis-api's ``limit_dets_per_image`` as a mask: which rows it keeps.

    image_pos (n,) int64 image index in [0, n_images), score (n,) float64.
    An image with more than ``max_dets`` rows keeps its ``max_dets``
    highest scores, ties in file order.  Returns (n,) bool, or None when
    no image has more than ``max_dets`` rows (all are kept)."""
    kept, n_cut = _core.cap_per_image(np.ascontiguousarray(image_pos, dtype=np.int64),
                                      np.ascontiguousarray(score, dtype=np.float64),
                                      int(n_images), int(max_dets), nthreads(threads))
    return kept.view(bool) if n_cut else None


@dataclass
class FederatedRows:
    """What enters the engine: GT rows ``gt_rows``, detection rows
    ``dt_rows`` (both ascending, so file order is kept) and for each kept
    detection ``unmatched_ignored`` (uint8: its category is not exhaustively
    annotated in its image)."""
    gt_rows: np.ndarray
    dt_rows: np.ndarray
    unmatched_ignored: np.ndarray


def _positions(img_ids, cat_ids, cols):
    """(image position, category position, in range) of each row: in
    ``img_ids`` / ``cat_ids`` (sorted unique), area strictly in (0, inf)."""
    i = index_of(img_ids, cols.image_id)
    k = index_of(cat_ids, cols.category_id)
    ok = (i >= 0) & (k >= 0) & (cols.area > 0) & (cols.area < np.inf)
    return i, k, ok


def _pair_keys(img_pos, cat_id, cat_ids):
    """Codes of (image position, category id) pairs whose category is
    evaluated."""
    k = index_of(cat_ids, cat_id)
    return img_pos[k >= 0] * len(cat_ids) + k[k >= 0]


def federated_rows(gt, dt, img_ids, cat_ids, neg, not_exhaustive, dt_keep=None, threads=None):
    """The rows of ``gt`` and ``dt`` (``Columns``) that lvis-api evaluates
    on images ``img_ids`` and categories ``cat_ids`` (both sorted unique
    int64).  ``neg`` and ``not_exhaustive`` are (image position, category
    id) arrays: every entry of each image's ``neg_category_ids`` and
    ``not_exhaustive_category_ids``.  ``dt_keep`` (len(dt),) bool or None:
    the detections the per-image cap kept."""
    K = len(cat_ids)
    size = len(img_ids) * K
    gi, gk, g_ok = _positions(img_ids, cat_ids, gt)
    gt_rows = np.flatnonzero(g_ok)
    pos = gi[gt_rows] * K + gk[gt_rows]
    neg_keys, nel_keys = _pair_keys(*neg, cat_ids), _pair_keys(*not_exhaustive, cat_ids)
    if size > _TABLE_MAX:
        return _federated_rows_sparse(gt_rows, pos, neg_keys, nel_keys, dt, img_ids, cat_ids,
                                      dt_keep)
    verified, nel = np.zeros(size, np.uint8), np.zeros(size, np.uint8)
    verified[pos] = 1
    verified[neg_keys] = 1
    nel[nel_keys] = 1
    flags = _core.federated_flags(
        index_of(img_ids, dt.image_id), index_of(cat_ids, dt.category_id),
        np.ascontiguousarray(dt.area, dtype=np.float64),
        None if dt_keep is None else np.ascontiguousarray(dt_keep).view(np.uint8),
        verified, nel, len(img_ids), K, nthreads(threads))
    dt_rows = np.flatnonzero(flags)
    return FederatedRows(gt_rows=gt_rows, dt_rows=dt_rows, unmatched_ignored=flags[dt_rows] >> 1)


def _federated_rows_sparse(gt_rows, pos, neg_keys, nel_keys, dt, img_ids, cat_ids, dt_keep):
    """federated_rows on a grid too large for byte tables: sorted keys."""
    K = len(cat_ids)
    size = len(img_ids) * K
    verified = PairSet(np.concatenate([pos, neg_keys]), size)
    di, dk, d_ok = _positions(img_ids, cat_ids, dt)
    if dt_keep is not None:
        d_ok &= dt_keep
    dt_rows = np.flatnonzero(d_ok)
    keys = di[dt_rows] * K + dk[dt_rows]
    inside = verified.contains(keys)
    dt_rows, keys = dt_rows[inside], keys[inside]
    nel = PairSet(nel_keys, size).contains(keys)
    return FederatedRows(gt_rows=gt_rows, dt_rows=dt_rows, unmatched_ignored=nel.astype(np.uint8))


def only_rows(cols, rows, cat_ids):
    """``cols`` with only ``rows`` (ascending) left for the engine: the
    other rows get a category id outside ``cat_ids``, so that they fall in
    no cell (cheaper than copying every column, masks included, and the
    kept rows keep their places)."""
    if len(rows) == len(cols):
        return cols
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    if not len(cat_ids):
        outside = -1
    elif cat_ids[0] > lo:
        outside = int(cat_ids[0]) - 1
    elif cat_ids[-1] < hi:
        outside = int(cat_ids[-1]) + 1
    else:
        raise DetapInputError("category ids span the whole int64 range")
    cat = np.full(len(cols), outside, np.int64)
    cat[rows] = cols.category_id[rows]
    return cols.with_fields(category_id=cat)
