"""pycocotools' per-cell views of an evaluation: ``ious`` and ``evalImgs``.

pycocotools keeps a dict per (category, area range, image) and an IoU
matrix per (image, category); detap keeps arrays (``engine.EvalState``) and
builds these views on access, from the same C kernels.
"""
from collections.abc import Sequence

import numpy as np

from .engine import cell_ious, match_cell

__all__ = ["cell_matching", "gt_matches", "eval_img", "ious_dict", "CellList", "LazyEvalImgs"]


def cell_matching(state, c, a, max_det):
    """Cell c's matching in area range a (the first ``max_det`` detections),
    as pycocotools' and lvis-api's per-cell dicts read it: (gt_rows, rows,
    labels (T, D) int8, matched (T, D): the matched GT's position in the
    cell's GT or -1, gig (G,) bool: GT ignored (its flag or the area range),
    gtind: the GT in their ignored-last order (a stable sort, as both
    tools'), dtm (T, D) float64: the matched GT's id, 0 for none and for a
    GT whose id is 0)."""
    r = state.rows
    gt_rows = r.gt_rows[r.gt_off[c]:r.gt_off[c + 1]]
    rows, labels, matched = match_cell(state, c, a, max_det)
    lo, hi = state.cells.area_rng[a]
    garea = r.gt.area[gt_rows]
    gig = r.gt.ignore[gt_rows].astype(bool) | (garea < lo) | (garea > hi)
    gtind = np.argsort(gig, kind="mergesort")
    ids = r.gt.id[gt_rows]
    dtm = np.where(matched >= 0, ids[np.maximum(matched, 0)] if len(gt_rows) else 0,
                   0).astype(np.float64)
    return gt_rows, rows, labels, matched, gig, gtind, dtm


def gt_matches(matched, gtind, dt_ids):
    """(T, G) float64, the GT in ``gtind`` order: the id (``dt_ids``, one
    per detection) of the last detection that matched each GT (a crowd GT
    can be matched again), 0 for none."""
    G = len(gtind)
    pos = np.empty(G, np.int64)
    pos[gtind] = np.arange(G)
    gtm = np.zeros((matched.shape[0], G))
    for t, d in zip(*np.nonzero(matched >= 0)):   # thresholds, then detections in order
        gtm[t, pos[matched[t, d]]] = dt_ids[d]
    return gtm


def eval_img(state, c, a, max_det, a_rng=None):
    """pycocotools' evaluateImg dict for cell c, area range a, the first
    ``max_det`` detections (None: a cell without GT and detections).
    ``a_rng``: the area range as params give it (its "aRng", ints stay ints)."""
    if c is None:
        return None
    r, cells = state.rows, state.cells
    gt_rows, rows, labels, matched, gig, gtind, dtm = cell_matching(state, c, a, max_det)
    dt_ids = r.dt.id[rows]
    k, i = divmod(int(cells.cell_key[c]), cells.I)
    return {
        "image_id": cells.img_label(i), "category_id": cells.cat_label(k) if cells.use_cats else -1,
        "aRng": list(cells.area_rng[a]) if a_rng is None else a_rng, "maxDet": max_det,
        "dtIds": dt_ids.tolist(), "gtIds": r.gt.id[gt_rows][gtind].tolist(),
        "dtMatches": dtm, "gtMatches": gt_matches(matched, gtind, dt_ids),
        "dtScores": r.dt.score[rows].tolist(),
        # np.array of the GT's int flags: float64 when the cell has no GT
        "gtIgnore": gig[gtind].astype(np.int64 if len(gt_rows) else np.float64),
        "dtIgnore": labels == -1,
    }


def ious_dict(state):
    """pycocotools' ``ious`` as the plain dict it is there: {(imgId, catId):
    (D, G) array, or [] when the cell lacks GT or detections}, every image
    and category of the evaluation (catId -1 with useCats=0)."""
    cells = state.cells
    imgs = [cells.img_label(i) for i in range(cells.I)]
    cats = [cells.cat_label(k) for k in range(cells.K)] if cells.use_cats else [-1]
    return {(i, k): cell_ious(state, cells.cell_of(i, k)) for i in imgs for k in cats}


class CellList(Sequence):
    """A list laid out [category][area range][image] (pycocotools' and
    lvis-api's evalImgs order) whose entries are built on access:
    subclasses give ``shape()`` (K, A, I) and ``entry(k, a, i)``."""

    def __len__(self):
        K, A, I = self.shape()  # noqa: E741
        return K * A * I

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[x] for x in range(*j.indices(len(self)))]
        n = len(self)
        if j < 0:
            j += n
        if not 0 <= j < n:
            raise IndexError(j)
        _, A, I = self.shape()  # noqa: E741
        k, rest = divmod(j, A * I)
        a, i = divmod(rest, I)
        return self.entry(k, a, i)


class LazyEvalImgs(CellList):
    """pycocotools' ``evalImgs`` list ([k][a][i] order), each dict built on access
    (or ``keep``: a list of dicts given by the caller, served as is)."""

    def __init__(self, state, params, keep=None):
        self._st = state
        self._max_det = params.maxDets[-1]
        self._A = len(params.areaRng)
        self._rngs = list(params.areaRng)
        self._keep = keep

    def shape(self):
        return self._st.cells.K, self._A, self._st.cells.I

    def __len__(self):
        return len(self._keep) if self._keep is not None else super().__len__()

    def __getitem__(self, j):
        return self._keep[j] if self._keep is not None else super().__getitem__(j)

    def entry(self, k, a, i):
        cells = self._st.cells
        key = k * cells.I + i
        c = int(np.searchsorted(cells.cell_key, key))
        c = c if c < len(cells.cell_key) and cells.cell_key[c] == key else None
        return eval_img(self._st, c, a, self._max_det, self._rngs[a])
