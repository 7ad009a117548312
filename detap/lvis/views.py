"""lvis-api's views of an evaluation, built on access from the engine state:
``eval["dt_pointers"]``, ``eval_imgs`` and ``ious``.

For category k (position in ``params.cat_ids``) and area range a,
lvis-api keeps the ids of the category's detections in accumulate()'s
order (mergesort on -score over images in id order) and their TP / FP
flags per IoU threshold; an empty dict where it skipped the pair (no
detection and no GT, or no GT to count).  Building all 1,203 x 4 of them
costs time and memory that evaluation never needs, so ``DtPointers``
builds a category's entries when it is first read.
"""
from collections.abc import Mapping

import numpy as np

from ..coco import engine
from ..coco.views import CellList, cell_matching, gt_matches

__all__ = ["DtPointers", "LazyEvalImgs", "eval_img", "ious_dict"]


class DtPointers(Mapping):
    """cat position -> {area position -> {"dt_ids" (N,) int64, "tps" (T, N)
    bool, "fps" (T, N) bool} or {}} (lvis-api's layout).

    ``state``: the engine's ``EvalState`` (categories sorted); ``positions``
    (K,): the engine position of each of params.cat_ids; ``api_ids()``:
    lvis-api's id of each result (the engine's ids are the file row + 1)."""

    def __init__(self, state, positions, api_ids):
        self._state, self._pos, self._api_ids = state, list(positions), api_ids
        self._built = {}

    def __len__(self):
        return len(self._pos)

    def __iter__(self):
        return iter(range(len(self._pos)))

    def __getitem__(self, k):
        if not 0 <= k < len(self._pos):
            raise KeyError(k)
        if k not in self._built:
            self._built[k] = self._category(self._pos[k])
        return self._built[k]

    def _category(self, j):
        m, rows = self._state.matches, self._state.rows
        c0, c1 = m.cat_off[j], m.cat_off[j + 1]
        k0, k1 = m.kept_off[c0], m.kept_off[c1]   # the category's cells are consecutive
        order = np.argsort(-m.kept_scores(k0, k1), kind="mergesort")
        ids = self._api_ids()[rows.dt.id[rows.kept_idx[k0:k1]][order] - 1]
        if bool(np.any(np.diff(m.kept_off[c0:c1 + 1]) == 0)):
            # lvis-api concatenates a cell's empty id list as float64: then all are floats
            ids = ids.astype(np.float64)
        out = {}
        values = m.label_values(slice(k0, k1))
        for a in range(m.labels.shape[1]):
            if c1 == c0 or int(m.npig[a, c0:c1].sum()) == 0:
                out[a] = {}
                continue
            lab = values[:, a, :][order].T          # (T, N)
            out[a] = {"dt_ids": ids, "tps": lab == 1, "fps": lab == 0}
        return out


def eval_img(state, c, area_rng, unmatched_ignored, api_ids, img_id, cat_id):
    """lvis-api's ``evaluate_img`` dict of cell c (None: a cell without GT
    and detections) for the area range ``area_rng`` (as params give it).

    ``unmatched_ignored`` (len(dt),) uint8: the detection's category is not
    exhaustively annotated in its image; ``api_ids()``: lvis-api's id of
    each result.  The matches come from the engine's C matcher, re-run for
    the cell (``coco.engine.match_cell``); lvis-api's dt_ignore rule is
    applied to them here: matched to an ignored GT, or unmatched (dt_matches
    0) and outside the area range or not exhaustive."""
    if c is None:
        return None
    r = state.rows
    a = _area_position(state, area_rng)
    n_cell = int(state.matches.kept_off[c + 1] - state.matches.kept_off[c])
    gt_rows, rows, _, matched, gig, gtind, dt_m = cell_matching(state, c, a, max(n_cell, 1))
    lo, hi = state.cells.area_rng[a]
    dt_ids = api_ids()[r.dt.id[rows] - 1]
    hit = matched >= 0
    dt_ig = hit & (gig[np.maximum(matched, 0)] if len(gt_rows) else False)
    darea = r.dt.area[rows]
    mask = (darea < lo) | (darea > hi) | unmatched_ignored[rows].astype(bool)
    dt_ig = dt_ig | ((dt_m == 0) & mask[None, :])
    cell_gt_ids = r.gt.id[gt_rows]
    gt_m = gt_matches(matched, gtind, dt_ids)
    return {
        "image_id": img_id, "category_id": cat_id, "area_rng": area_rng,
        "dt_ids": dt_ids.tolist(), "gt_ids": cell_gt_ids[gtind].tolist(),
        "dt_matches": dt_m, "gt_matches": gt_m,
        "dt_scores": r.dt.score[rows].tolist(),
        # np.array of int flags: float64 when the cell has no GT (as lvis-api)
        "gt_ignore": gig[gtind].astype(np.int64 if len(gt_rows) else np.float64),
        "dt_ignore": dt_ig,
    }


def _area_position(state, area_rng):
    rngs = state.cells.area_rng
    hits = np.flatnonzero((rngs[:, 0] == area_rng[0]) & (rngs[:, 1] == area_rng[1]))
    if not len(hits):
        raise ValueError(f"area range {area_rng!r} was not evaluated")
    return int(hits[0])


class LazyEvalImgs(CellList):
    """lvis-api's ``eval_imgs`` list, [category][area range][image] in
    params order, each dict built on access (``eval_img``)."""

    def __init__(self, state, params, unmatched_ignored, api_ids):
        self._st, self._ui, self._api_ids = state, unmatched_ignored, api_ids
        self._cats = list(params.cat_ids)
        self._imgs = list(params.img_ids)
        self._rngs = list(params.area_rng)

    def shape(self):
        return len(self._cats), len(self._rngs), len(self._imgs)

    def entry(self, k, a, i):
        return self.cell(self._imgs[i], self._cats[k], self._rngs[a])

    def cell(self, img_id, cat_id, area_rng):
        """The dict of (img_id, cat_id) in ``area_rng``, or None."""
        c = self._st.cells.cell_of(img_id, cat_id)
        return eval_img(self._st, c, area_rng, self._ui, self._api_ids, img_id, cat_id)


def ious_dict(state, params):
    """lvis-api's ``ious``: the plain dict {(img_id, cat_id): (D, G) IoU of
    the cell's detections (highest score first) against its GT (file
    order), or [] when either side is empty}, for every image and category
    of ``params``."""
    cells = state.cells
    return {(i, k): engine.cell_ious(state, cells.cell_of(i, k))
            for i in params.img_ids for k in params.cat_ids}
