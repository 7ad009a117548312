"""The COCO engine: evaluate and accumulate as plain functions over typed state.

Stages (each one C kernel, in parallel, bit for bit pycocotools):

1. columns     annotations as checked arrays (``columns.Columns``);
2. cells       rows grouped by (category, image) cell (``cells.group_cells``);
3. evaluate    per cell: sort by score, cut at maxDets[-1], similarity,
               greedy matching per area range and IoU threshold with the one
               matcher (csrc/coco_eval.c over csrc/match.h);
4. accumulate  per category: the 101-point precision / recall
               (csrc/accumulate.c);
5. summarize   the summary numbers (``summarize.py``).

Every COCO front end (``COCOeval``, ``evaluate_arrays``, the "coco"
protocol, the streaming ``Evaluator``, ``detap.dask``) runs these functions.
Boxes are xywh pixels; areas square pixels.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .. import _core
from ..errors import DetapInputError
from ..threads import nthreads
from .cells import group_cells
from .columns import Columns
from .labels import pack, unpack, values_at

__all__ = ["Matches", "Cells", "Rows", "EvalState", "evaluate", "accumulate", "accumulate_params", "match_cell",
           "cell_ious", "state_from_eval_imgs", "kpt_vars"]


@dataclass
class Matches:
    """What accumulate reads: every cell's kept detections, labelled.

    Cells are ordered by category then image; category k owns cells
    ``cat_off[k]:cat_off[k + 1]`` and cell c its kept detections
    ``kept_off[c]:kept_off[c + 1]`` (highest score first, at most
    maxDets[-1]).

    cat_off    (K + 1,) int64
    kept_off   (ncells + 1,) int64
    score      float64: the scores, kept detection q's score[kept_row[q]]
    kept_row   (n_kept,) int64 rows of ``score`` (the detections' columns: no
               copy of 8 bytes a detection), or None: score[q]
    labels     (n_kept, A, 2, ceil(T / 8)) uint8: 1 TP, 0 FP, -1 ignored, per
               area range and IoU threshold, packed (``labels.py``;
               detection-major: a cell is one block)
    npig       (A, ncells) int32: the cell's GT not ignored in each range
    T          the number of IoU thresholds
    """
    cat_off: np.ndarray
    kept_off: np.ndarray
    score: np.ndarray
    labels: np.ndarray
    npig: np.ndarray
    T: int
    kept_row: Optional[np.ndarray] = None

    @property
    def kept_score(self):
        """(n_kept,) the kept detections' scores (a copy, when kept_row)."""
        return self.kept_scores(0, len(self.labels))

    def kept_scores(self, q0, q1):
        """The scores of kept detections q0 .. q1 - 1."""
        return self.score[q0:q1] if self.kept_row is None else self.score[self.kept_row[q0:q1]]

    def label_values(self, rows=slice(None)):
        """The labels of kept detections ``rows`` as (n, A, T) int8 values."""
        return unpack(self.labels[rows], self.T)

    def label_values_at(self, rows, a, t):
        """The (n,) int8 labels of kept detections ``rows`` in area range
        ``a`` at threshold ``t``."""
        return values_at(self.labels[rows], a, t)

    @property
    def K(self):
        return len(self.cat_off) - 1


@dataclass
class Cells:
    """Which (category, image) pair each cell is, and the parameters it was
    evaluated with.  cell_key (ncells,) ascending: k * I + i, where i indexes
    img_ids (sorted) and k cat_ids (sorted; k = 0 when use_cats is False)."""
    cell_key: np.ndarray
    img_ids: np.ndarray
    cat_ids: np.ndarray
    use_cats: bool
    area_rng: np.ndarray  # (A, 2) square pixels
    iou_thrs: np.ndarray  # (T,)
    iou_type: str = "bbox"               # what the similarity compares
    kpt_vars: Optional[np.ndarray] = None  # keypoints: (2 sigma)^2 per point
    # ids that are not integers (ids.py): img_ids (cat_ids) are then
    # positions in these lists of the caller's ids
    img_labels: Optional[list] = None
    cat_labels: Optional[list] = None

    def img_label(self, i):
        """The caller's id of image position i."""
        return self.img_ids[i] if self.img_labels is None else self.img_labels[i]

    def cat_label(self, k):
        return self.cat_ids[k] if self.cat_labels is None else self.cat_labels[k]

    def _position(self, labels, value):
        lookup = self.__dict__.setdefault("_lookup", {})
        if id(labels) not in lookup:
            lookup[id(labels)] = {v: i for i, v in enumerate(labels)}
        try:
            return lookup[id(labels)][value]
        except KeyError:
            raise KeyError(value) from None

    @property
    def I(self):  # noqa: E743 -- pycocotools' name
        return len(self.img_ids)

    @property
    def K(self):
        return len(self.cat_ids) if self.use_cats else 1

    def cell_of(self, img_id, cat_id):
        """The cell of (img_id, cat_id), or None when it has no GT and no
        detections; KeyError when the image or category is not evaluated."""
        if self.img_labels is not None:
            img_id = self._position(self.img_labels, img_id)
        if self.cat_labels is not None and self.use_cats:
            cat_id = self._position(self.cat_labels, cat_id)
        i = int(np.searchsorted(self.img_ids, img_id))
        if i >= self.I or self.img_ids[i] != img_id:
            raise KeyError((img_id, cat_id))
        k = 0
        if self.use_cats:
            k = int(np.searchsorted(self.cat_ids, cat_id))
            if k >= self.K or self.cat_ids[k] != cat_id:
                raise KeyError((img_id, cat_id))
        key = k * self.I + i
        c = int(np.searchsorted(self.cell_key, key))
        return c if c < len(self.cell_key) and self.cell_key[c] == key else None


@dataclass
class Rows:
    """Where each cell's annotations are in the columns (known after
    ``evaluate``; not when the state was rebuilt from evalImgs dicts).
    Cell c's GT are gt rows gt_rows[gt_off[c]:gt_off[c + 1]], its kept
    detections dt rows kept_idx[kept_off[c]:kept_off[c + 1]]."""
    gt: Columns
    dt: Columns
    gt_rows: np.ndarray
    gt_off: np.ndarray
    kept_idx: np.ndarray


@dataclass
class EvalState:
    """What evaluate() leaves for accumulate() and pycocotools' views."""
    matches: Matches
    cells: Cells
    rows: Optional[Rows] = None


def kpt_vars(sigmas):
    """pycocotools' variances (sigmas * 2) ** 2 of the per-point sigmas."""
    return (np.asarray(sigmas, dtype=np.float64) * 2) ** 2


def _similarity(gt, dt, iou_type, vars_, g_rows=slice(None), d_rows=slice(None)):
    """coco_evaluate's keyword arguments for ``iou_type`` on the given rows."""
    if iou_type == "keypoints":
        return {"kpts": (gt.kpts[g_rows], dt.kpts[d_rows], vars_)}
    if iou_type == "obb":
        return {"obb": (gt.obb[g_rows], dt.obb[d_rows])}
    if iou_type == "segm":
        # (the GT's counts are decoded: only detections are compared from strings)
        return {"masks": (gt.masks.take(g_rows).decoded().arrays(), dt.masks.take(d_rows).arrays())}
    return {}


def evaluate(gt, dt, img_ids, cat_ids, use_cats, area_rng, iou_thrs, max_det, threads=None,
             iou_type="bbox", sigmas=None, dt_unmatched_ignored=None):
    """pycocotools' evaluate() on columns.

    gt, dt    ``Columns`` (GT with iscrowd / ignore; detections with score;
              ``kpts`` for keypoints, ``masks`` for segm)
    img_ids   sorted unique image ids (int64)
    cat_ids   sorted unique category ids with use_cats; params.catIds as
              given without
    area_rng  (A, 2), iou_thrs (T,), max_det: maxDets[-1]
    iou_type  "bbox", "segm", "keypoints" (with ``sigmas``, one per point) or
              "obb" (``obb`` columns: hotcoco's rotated IoU)
    dt_unmatched_ignored  None, or (len(dt),) uint8: detections ignored
              when unmatched, in every area range, instead of FP (lvis-api's
              not-exhaustive categories; pycocotools has no such rule)
    """
    img_ids = np.asarray(img_ids, dtype=np.int64).reshape(-1)
    cat_ids = np.asarray(cat_ids, dtype=np.int64).reshape(-1)
    if use_cats:
        cat_ids = np.unique(cat_ids)
    if len(img_ids) > 1 and not bool(np.all(img_ids[1:] > img_ids[:-1])):
        raise DetapInputError("img_ids must be sorted and distinct")
    area_rng = np.asarray(area_rng, dtype=np.float64).reshape(-1, 2)
    iou_thrs = np.asarray(iou_thrs, dtype=np.float64).reshape(-1)
    threads = nthreads(threads)
    vars_ = kpt_vars(sigmas) if iou_type == "keypoints" else None
    g = group_cells(gt, dt, img_ids, cat_ids, bool(use_cats), threads)
    kept_off, kept_idx, labels, npig = _core.coco_evaluate(
        g.gt_off, g.gt_rows, gt.bbox, gt.area, gt.crowd, gt.ignore, (gt.id != 0).view(np.uint8),
        g.dt_off, g.dt_rows, dt.bbox, dt.area, dt.score, (dt.id > 0).view(np.uint8),
        area_rng, iou_thrs, int(max_det), threads, g.cell_order,
        dt_unmatched_ignored=dt_unmatched_ignored, **_similarity(gt, dt, iou_type, vars_))
    g.dt_rows = g.dt_off = g.cell_order = None  # (no longer needed: 8 bytes a detection)
    return EvalState(
        matches=Matches(cat_off=g.cat_off, kept_off=kept_off, score=dt.score, labels=labels,
                        npig=npig, T=len(iou_thrs), kept_row=kept_idx),
        cells=Cells(cell_key=g.cell_key, img_ids=img_ids, cat_ids=cat_ids,
                    use_cats=bool(use_cats), area_rng=area_rng, iou_thrs=iou_thrs,
                    iou_type=iou_type, kpt_vars=vars_),
        rows=Rows(gt=gt, dt=dt, gt_rows=g.gt_rows, gt_off=g.gt_off, kept_idx=kept_idx))


def accumulate(matches, max_dets, rec_thrs, threads=None, with_scores=True):
    """pycocotools' accumulate() for the maxDets ``max_dets`` (each at most
    the evaluated maxDets[-1]) and recall thresholds ``rec_thrs``:
    (precision (T, R, K, A, M), recall (T, K, A, M), scores (T, R, K, A, M)
    or None without ``with_scores``), -1 where pycocotools leaves -1."""
    m = matches
    return _core.coco_accumulate(m.K, m.cat_off, m.kept_off, m.score, m.labels, m.npig,
                                 np.asarray(max_dets, dtype=np.int64),
                                 np.asarray(rec_thrs, dtype=np.float64), m.T, nthreads(threads),
                                 m.kept_row, with_scores)


def accumulate_params(state, p, pe, threads=None):
    """pycocotools' accumulate(p) after evaluate() with ``pe``: the same
    images, categories, area ranges and IoU thresholds (detap does not
    re-select them), any recall thresholds and maxDets; a maxDets that
    evaluate() did not use keeps -1, as in pycocotools.  (precision,
    recall, scores) shaped (T, R, K, A, M), (T, K, A, M), (T, R, K, A, M)."""
    if (list(p.imgIds) != list(pe.imgIds) or (p.useCats and list(p.catIds) != list(pe.catIds))
            or p.useCats != pe.useCats
            or [list(a) for a in p.areaRng] != [list(a) for a in pe.areaRng]
            or not np.array_equal(p.iouThrs, pe.iouThrs)):
        raise NotImplementedError("accumulate() with images, categories, area ranges or IoU "
                                  "thresholds other than evaluate()'s")
    evaluated = set(pe.maxDets)
    cols = [i for i, m in enumerate(p.maxDets) if m in evaluated]
    precision, recall, scores = accumulate(state.matches, [p.maxDets[i] for i in cols],
                                           p.recThrs, threads)
    M = len(p.maxDets)
    if len(cols) == M:
        return precision, recall, scores
    T, R, K, A = precision.shape[:4]
    full_p, full_r, full_s = -np.ones((T, R, K, A, M)), -np.ones((T, K, A, M)), -np.ones((T, R, K, A, M))
    full_p[..., cols], full_r[..., cols], full_s[..., cols] = precision, recall, scores
    return full_p, full_r, full_s


def match_cell(state, c, a, max_det):
    """One cell's evaluation in area range a with detections cut at
    ``max_det``, with what it matched: (dt rows (D,), labels (T, D) int8,
    matched (T, D): the matched GT's position in the cell's GT (dataset
    order), or -1).  The same C matcher as ``evaluate``,
    re-run for one cell: pycocotools' dtMatches / gtMatches need the matched
    GT, which the bulk evaluation does not keep."""
    r, cells = state.rows, state.cells
    g = r.gt_rows[r.gt_off[c]:r.gt_off[c + 1]]
    kb, ke = state.matches.kept_off[c], state.matches.kept_off[c + 1]
    rows = r.kept_idx[kb:kb + min(ke - kb, int(max_det))]
    G, D = len(g), len(rows)

    def cut(a, sel):  # only the cell's rows go to C: the work stays per cell
        return np.ascontiguousarray(a[sel])
    _, kept_idx, labels, _, matched = _core.coco_evaluate(
        np.array([0, G], np.int64), np.arange(G), cut(r.gt.bbox, g), cut(r.gt.area, g),
        cut(r.gt.crowd, g), cut(r.gt.ignore, g), (r.gt.id[g] != 0).view(np.uint8),
        np.array([0, D], np.int64), np.arange(D), cut(r.dt.bbox, rows), cut(r.dt.area, rows),
        cut(r.dt.score, rows), (r.dt.id[rows] > 0).view(np.uint8), cells.area_rng[a:a + 1],
        cells.iou_thrs, D, 1, with_matches=True,
        **_similarity(r.gt, r.dt, cells.iou_type, cells.kpt_vars, g, rows))
    if not np.array_equal(kept_idx, np.arange(D)):  # sorted rows sort to themselves
        raise AssertionError("cell re-evaluation changed the detection order")
    return rows, unpack(labels, len(cells.iou_thrs))[:, 0, :].T, matched[:, 0, :].T


def cell_ious(state, c):
    """pycocotools' ious[imgId, catId] of cell c: (D, G) IoU of its kept
    detections (highest score first) against its GT (dataset order), or []
    when either side is empty (as pycocotools)."""
    if c is None:
        return []
    r = state.rows
    kb, ke = state.matches.kept_off[c], state.matches.kept_off[c + 1]
    gt_rows = r.gt_rows[r.gt_off[c]:r.gt_off[c + 1]]
    if ke == kb or not len(gt_rows):
        return []
    rows = r.kept_idx[kb:ke]
    return _core.coco_similarity(r.gt.bbox[gt_rows], r.gt.area[gt_rows], r.gt.crowd[gt_rows],
                                 r.dt.bbox[rows], **_similarity(r.gt, r.dt, state.cells.iou_type,
                                                                state.cells.kpt_vars, gt_rows, rows))


def state_from_eval_imgs(evalImgs, params):
    """The accumulate() inputs rebuilt from pycocotools-style evalImgs dicts
    laid out [k][a][i] for ``params`` (e.g. lists merged across processes,
    as torchvision's references do), read as pycocotools reads them."""
    pe = params
    A, I = len(pe.areaRng), len(pe.imgIds)
    K = len(pe.catIds) if pe.useCats else 1
    T = len(pe.iouThrs)
    evalImgs = list(evalImgs)
    if len(evalImgs) != K * A * I:
        raise DetapInputError(f"evalImgs has {len(evalImgs)} entries; params give "
                              f"K * A * I = {K} * {A} * {I}")
    cells = [k * I + i for k in range(K) for i in range(I) if evalImgs[k * A * I + i] is not None]
    cell_key = np.asarray(cells, dtype=np.int64)
    nc = len(cells)
    counts = np.array([len(evalImgs[(c // I) * A * I + c % I]["dtScores"]) for c in cells], np.int64)
    kept_off = np.zeros(nc + 1, np.int64)
    np.cumsum(counts, out=kept_off[1:])
    n = int(kept_off[-1])
    kept_score = np.zeros(n)
    labels = np.full((n, A, T), -1, np.int8)
    npig = np.zeros((A, nc), np.int32)
    for c, key in enumerate(cells):
        k, i = divmod(key, I)
        b, e_ = kept_off[c], kept_off[c + 1]
        for a in range(A):
            e = evalImgs[k * A * I + a * I + i]
            if e is None or len(e["dtScores"]) != e_ - b:
                raise DetapInputError(f"evalImgs entry for image {i}, category {k}, area {a} "
                                      "disagrees with area range 0")
            if a == 0:
                kept_score[b:e_] = e["dtScores"]
            dtm = np.asarray(e["dtMatches"]).reshape(T, -1)
            dtig = np.asarray(e["dtIgnore"]).reshape(T, -1).astype(bool)
            labels[b:e_, a, :] = np.where(dtig, -1, np.where(dtm != 0, 1, 0)).T
            npig[a, c] = np.count_nonzero(np.asarray(e["gtIgnore"]) == 0)
    cat_off = np.searchsorted(cell_key // max(I, 1), np.arange(K + 1), "left").astype(np.int64)
    return EvalState(
        matches=Matches(cat_off=cat_off, kept_off=kept_off, score=kept_score,
                        labels=pack(labels), npig=npig, T=T),
        cells=Cells(cell_key=cell_key, img_ids=np.asarray(pe.imgIds),
                    cat_ids=np.asarray(pe.catIds), use_cats=bool(pe.useCats),
                    area_rng=np.asarray(pe.areaRng, np.float64),
                    iou_thrs=np.asarray(pe.iouThrs, np.float64)))
