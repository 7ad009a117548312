"""lvis-api's ``eval["dt_pointers"]``, built on access from the engine state.

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

__all__ = ["DtPointers"]


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
