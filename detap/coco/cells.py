"""The cells stage: pycocotools' ``_prepare`` as row indices.

A cell is one (category, image) pair (one image with useCats=0) that has
GT or detections.  ``group`` returns, for each side, the rows of the
annotation columns that enter evaluation, ordered by cell and, inside a
cell, in dataset order, as pycocotools' ``_gts``/``_dts`` hold them,
including its peculiarities: with repeated annotation ids the last record
wins, and with useCats=0 an image's rows go category by category in
``params.catIds`` order.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import _core, group
from ..threads import nthreads

__all__ = ["CellGroups", "all_in", "group_cells", "index_of"]


@dataclass
class CellGroups:
    """The cells of one evaluation.

    cell_key   (ncells,) ascending: k * I + i (k = 0 with useCats=0)
    gt_rows    (n_gt_kept,) rows of the GT columns, cell by cell
    gt_off     (ncells + 1,) cell c owns gt_rows[gt_off[c]:gt_off[c + 1]]
    dt_rows, dt_off   the same for detections
    cat_off    (K + 1,) category k owns cells cat_off[k]:cat_off[k + 1]
    cell_order a visiting order that keeps an image's cells together (its
               detections sit near each other in memory), or None
    """
    cell_key: np.ndarray
    gt_rows: np.ndarray
    gt_off: np.ndarray
    dt_rows: np.ndarray
    dt_off: np.ndarray
    cat_off: np.ndarray
    cell_order: Optional[np.ndarray]


def group_cells(gt, dt, img_ids, cat_ids, use_cats, threads):
    """The cells of ``gt`` and ``dt`` (``Columns``) for the sorted image ids
    ``img_ids`` and category ids ``cat_ids`` (sorted and unique with
    useCats; params.catIds as given without)."""
    I, Kc = len(img_ids), len(cat_ids)
    K = Kc if use_cats else 1
    g_rec, d_rec = _last_record(gt), _last_record(dt)
    luts = _luts(img_ids, cat_ids, gt, dt) if use_cats and g_rec is None and d_rec is None else None
    if luts is not None:  # the common case, in C, both sides at once
        g_rows, g_key, d_rows, d_key = group.coco_cells(
            gt.image_id, gt.category_id, dt.image_id, dt.category_id, luts[0], luts[1], I, Kc,
            threads)
    else:
        g_rows, g_i, g_k = _prepare_rows(gt, img_ids, cat_ids, use_cats, g_rec)
        d_rows, d_i, d_k = _prepare_rows(dt, img_ids, cat_ids, use_cats, d_rec)
        # without repeated ids the rows come out of _prepare_rows in image order
        g_rows, g_key = _sort_rows(g_rows, g_i, g_k, I, Kc, use_cats, g_rec is None)
        d_rows, d_key = _sort_rows(d_rows, d_i, d_k, I, Kc, use_cats, d_rec is None)
    cell_key, g_off, d_off = group.merge_cells(g_key, d_key)
    if use_cats and I:
        cat_off = np.zeros(K + 1, np.int64)
        np.cumsum(np.bincount(cell_key // I, minlength=K), out=cat_off[1:])
        cell_order = group.by_image(cell_key % I, I, threads)[1]
    elif use_cats:  # no images: no cells
        cat_off, cell_order = np.zeros(K + 1, np.int64), None
    else:
        cat_off, cell_order = np.array([0, len(cell_key)], np.int64), None
    return CellGroups(cell_key=cell_key, gt_rows=g_rows, gt_off=g_off, dt_rows=d_rows,
                      dt_off=d_off, cat_off=cat_off, cell_order=cell_order)


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
        _, p = group.by_image(minor, nminor)
        rows, major, minor = rows[p], major[p], minor[p]
    _, p = group.by_image(major, nmajor)
    rows, major, minor = rows[p], major[p], minor[p]
    key = major * I + minor if use_cats else major
    return rows, key


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


def index_of(ids, values):
    """Position of each value in the sorted array ``ids`` (-1 if absent)."""
    if not len(ids) or not len(values):
        return np.full(len(values), -1, dtype=np.int64)
    lut = _lut(ids, len(values))
    if lut is not None:
        if values.min() >= 0 and values.max() < len(lut):  # (one gather, no masks)
            return lut[values]
        inside = (values >= 0) & (values < len(lut))
        out = np.full(len(values), -1, dtype=np.int64)
        out[inside] = lut[values[inside]]
        return out
    i = np.searchsorted(ids, values)
    i = np.minimum(i, len(ids) - 1)
    return np.where(ids[i] == values, i, -1)


def all_in(ids, values, threads=None):
    """Whether every value is one of the sorted int64 ``ids`` (one parallel
    pass over a position table when the ids are dense enough for one)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    lut = _lut(ids, len(values))
    if lut is not None:
        return _core.lut_absent(lut, values, nthreads(threads)) == 0
    return bool((index_of(ids, values) >= 0).all())


def _prepare_rows(cols, img_ids, cat_ids, use_cats, records=None):
    """pycocotools' _prepare: the rows that enter evaluation, in its order,
    with each row's record (itself, or with repeated ids the last record
    carrying that id), the record's image index and its category position
    in ``cat_ids`` (params.catIds: sorted and unique with useCats; as given,
    repeats included, without, where a row then counts once per repeat)."""
    uniq = np.unique(cat_ids)
    occ_i = index_of(img_ids, cols.image_id)
    occ_u = index_of(uniq, cols.category_id)
    sel = occ_i >= 0
    if use_cats:  # getAnnIds(catIds=...) filters on the occurrence
        sel &= occ_u >= 0
    rows = np.flatnonzero(sel)
    # images in params order, dataset order within an image (counting sort)
    rows = rows[group.by_image(occ_i[rows], len(img_ids))[1]]
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
