"""Evaluate a ``dask.bag.Bag`` of per-image records on a Dask cluster.

Needs the ``[dask]`` extra (``pip install "detap[dask]"``).

A record is one image as a dict with ``Evaluator.update``'s keyword names:

    image_id      int, unique over the whole bag
    gt_boxes      (m, 4) float, pixels, in ``box_format`` ((m, 8) for "quad",
                  (m, 5) for "obb")
    gt_labels     (m,) int class labels
    det_boxes     (n, 4) float, pixels, in ``box_format`` ((n, 8) for "quad",
                  (n, 5) for "obb")
    det_scores    (n,) float confidences
    det_labels    (n,) int class labels
    gt_difficult  (m,) bool, optional (default all False)
    gt_iscrowd    (m,) bool, optional (default all False)
    gt_area       (m,) float pixels^2, optional (default box area)

and two optional keys that ``records_from_dataset`` fills in so that its
records describe themselves:

    box_format    "xyxy", "xywh", "quad" (quadrilaterals, protocol "dota")
                  or "obb" (rotated rectangles [cx, cy, w, h, angle],
                  the angle in radians; protocols "coco", "mmrotate",
                  "mmrotate-area", "ultralytics-obb") for this record's
                  boxes (default: the ``box_format`` argument of
                  ``evaluate``)
    class_names   {label: name} (used when ``evaluate`` gets no ``classes``)

Where things run: each partition's records are matched on a worker (one
``streaming.Evaluator`` per partition); the per-partition states are merged
in a tree on the workers (``split_every`` at a time); only the final AP
(``Evaluator.compute``, a sort and cumulative sums over the kept
detections) runs on the client.  Every task is a pure function of its
inputs: a partition or aggregate that Dask recomputes after losing a worker
produces the same state, and no task mutates an object it received (on one
worker, a task's inputs may be the very objects another task returned).
The result equals ``Evaluator`` in one process, and so
``detap.protocols.evaluate`` on the same data as one ``Dataset`` with
images sorted by id (rows of one image in record order), bit for bit,
whatever the partitioning and ``split_every``.
"""
import functools

import numpy as np

try:
    import dask.bag as db
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError('detap.dask needs dask[bag] and distributed: '
                      'pip install "detap[dask]"') from exc

from .boxes import check_box_format
from .errors import DetapInputError
from .protocols import dataset_ids
from .streaming import SHAPE_KEYS, Evaluator

__all__ = ["evaluate", "records_from_dataset", "records_from_files", "dataset_records", "class_names",
           "RECORD_KEYS"]

_UPDATE_KEYS = ("image_id", "gt_boxes", "gt_labels", "det_boxes", "det_scores", "det_labels",
                "gt_difficult", "gt_iscrowd", "gt_area") + SHAPE_KEYS
#: every key a record may hold
RECORD_KEYS = frozenset(_UPDATE_KEYS + ("box_format", "class_names"))


# ------------------------------------------------------------------ tasks
#
# Module-level functions bound with functools.partial, not closures: Dask
# tokenizes them deterministically and workers unpickle them by reference.


def _partition_state(records, protocol, iou, classes, threads, box_format, iou_type="bbox",
                     analysis=False, **lvis):
    """Worker side: one partition's records (an iterable of dicts) matched
    into a fresh ``Evaluator``.  No side effects."""
    ev = Evaluator(protocol, iou, classes=classes, threads=threads, iou_type=iou_type,
                   analysis=analysis, **lvis)
    if protocol == "lvis":   # (imported here: only LVIS records need its keys)
        from .lvis.stream import UPDATE_KEYS as allowed
        allowed = allowed | {"class_names"}
    else:
        allowed = RECORD_KEYS
    update_keys = allowed - {"box_format", "class_names"}
    by_format = {}
    names = None
    for r in records:
        if not isinstance(r, dict):
            raise DetapInputError(f"a record must be a dict, got {type(r).__name__}")
        extra = r.keys() - allowed
        if extra:
            # a misspelt key ("det_label") would otherwise silently read as
            # "no detections" and give a wrong AP
            raise DetapInputError(f"record of image {r.get('image_id')!r} has unknown keys "
                                  f"{sorted(extra)}; allowed: {sorted(allowed)}")
        if "image_id" not in r:
            raise DetapInputError("a record has no 'image_id'")
        by_format.setdefault(r.get("box_format", box_format), []).append(
            {k: v for k, v in r.items() if k in update_keys})
        names = _same_names(names, r.get("class_names"))
    for fmt, recs in by_format.items():
        ev.update_many(recs, box_format=fmt)
    if classes is None:
        ev.classes = names
    return ev


def _merge_states(states, protocol, iou, classes, threads, iou_type="bbox", analysis=False,
                  **lvis):
    """Worker side: merge an iterable of ``Evaluator`` into a new one (the
    inputs are left untouched).  An empty iterable (every partition below
    was empty) gives an empty ``Evaluator``."""
    out = Evaluator(protocol, iou, classes=classes, threads=threads, iou_type=iou_type,
                    analysis=analysis, **lvis)
    names = None
    for st in states:
        out.merge(st)
        if classes is None:
            names = _same_names(names, st.classes)
    if classes is None:
        out.classes = names
    return out


def _same_names(have, new):
    if new is None:
        return have
    if have is None:
        return new
    if have is not new and have != new:
        raise DetapInputError("records disagree on 'class_names' (they come from different data "
                              "sets?); pass classes= to evaluate to override")
    return have


# ------------------------------------------------------------------- API


def evaluate(records, protocol="coco", iou=0.5, *, classes=None, split_every=8, client=None,
             threads=1, box_format="xyxy", iou_type="bbox", analysis=False, frequencies=None,
             max_dets=None):
    """AP of every image in the bag ``records``, as one ``EvalResult``.

    records      ``dask.bag.Bag`` of per-image dicts (see the module doc);
                 partitions may be empty
    protocol     a preset name (``detap.protocols.PROTOCOLS``)
    iou          IoU threshold of ``map``; for "coco" one of its ten
    classes      class names: a sequence indexed by label or a dict
                 label -> name (default: the records' ``class_names``,
                 else each label as a string)
    split_every  how many states one tree-reduction task merges (>= 2)
    client       a ``distributed.Client``; default: the current one (or,
                 without any, Dask's default scheduler)
    threads      matching threads inside each partition task; 1 leaves the
                 worker's other task slots their cores.  None: all cores
    box_format   "xyxy", "xywh", "quad" or "obb", for records without a
                 ``box_format`` key
    iou_type     "coco": "bbox", "segm" (records with ``gt_masks`` /
                 ``det_masks``) or "keypoints" (``gt_keypoints`` /
                 ``det_keypoints``), as ``Evaluator``
    analysis     True or ``detap.analysis.AnalysisSettings``: the result's
                 ``.analysis`` (as ``Evaluator(analysis=...)``), its
                 per-image state merged in the same tree
    frequencies, max_dets
                 protocol "lvis" only, as ``Evaluator("lvis", ...)``
                 (records may then hold ``neg_labels`` and
                 ``not_exhaustive_labels``; boxes only)

    Matching happens per partition on the workers, merging in a tree on the
    workers, and the final AP on the caller.  The result is exactly what
    one ``Evaluator`` fed every record gives: images sorted by id, classes
    = the labels that occur in the records' GT or detections, in label
    order (a class of a ``Dataset`` with neither is absent, where
    ``detap.protocols.evaluate`` would list it with NaN AP).  Errors in the
    records (``DetapInputError`` on a worker, an image id seen twice at the
    end) are raised here.
    """
    if not isinstance(records, db.Bag):
        raise DetapInputError(f"records must be a dask.bag.Bag, got {type(records).__name__}; "
                              f"see records_from_dataset / dask.bag.from_sequence")
    if split_every is None:
        split_every = 8
    if isinstance(split_every, bool) or not isinstance(split_every, (int, np.integer)) \
            or split_every < 2:
        raise DetapInputError(f"split_every must be an int >= 2, got {split_every!r}")
    check_box_format(box_format)
    lvis = {}
    if protocol == "lvis":
        lvis = {"frequencies": frequencies} if max_dets is None else \
            {"frequencies": frequencies, "max_dets": max_dets}
    elif frequencies is not None or max_dets is not None:
        raise DetapInputError("frequencies and max_dets are for protocol 'lvis'")
    # fail on a bad protocol / IoU here rather than in every task
    Evaluator(protocol, iou, classes=classes, threads=threads, iou_type=iou_type,
              analysis=analysis, **lvis)
    item = records.reduction(
        functools.partial(_partition_state, protocol=protocol, iou=iou, classes=classes,
                          threads=threads, box_format=box_format, iou_type=iou_type,
                          analysis=analysis, **lvis),
        functools.partial(_merge_states, protocol=protocol, iou=iou, classes=classes,
                          threads=threads, iou_type=iou_type, analysis=analysis, **lvis),
        split_every=int(split_every), name=f"detap-{protocol}")
    if client is None:
        # Dask's own resolution: the current distributed client when there is
        # one (also inside a task), else the configured / default scheduler
        state = item.compute()
    else:
        state = client.compute(item, sync=True)
    return state.compute()


def class_names(dataset):
    """{label: name} for the labels ``records_from_dataset`` gives
    ``dataset``'s classes (its ``class_ids`` when present, else indices)."""
    return {int(lab): name for lab, name in zip(_class_labels(dataset), dataset.classes)}


def _class_labels(ds):
    if ds.class_ids is not None:
        return np.asarray(ds.class_ids, dtype=np.int64).reshape(-1)
    return np.arange(len(ds.classes), dtype=np.int64)


def _image_ids(ds):
    return dataset_ids(ds.image_ids, len(ds.images), "image_ids", start=0)


def dataset_records(dataset):
    """``dataset`` (``detap.formats.Dataset``) as a list of per-image record
    dicts, in image order, on the caller.

    image_id is the image's ``image_ids`` entry when the data set has them,
    else its index; labels are ``class_ids`` entries when present, else
    class indices (``class_names(dataset)`` names them, and each record
    carries that mapping as ``class_names``).  Boxes stay in the data set's
    ``box_format`` (each record says which), so no coordinate is rewritten.
    Rows of one image keep their data-set order (it breaks score ties).
    Images without GT or detections get records with empty (0, 4) / (0,)
    arrays.
    """
    from .formats.dataset import rows_by

    ds = dataset
    ids = _image_ids(ds)
    labels = _class_labels(ds)
    names = class_names(ds)
    I = len(ds.images)
    g_rows = rows_by(ds.gt_image, I)
    d_rows = rows_by(ds.det_image, I)
    out = []
    for i in range(I):
        g, d = g_rows[i], d_rows[i]
        r = {"image_id": int(ids[i]),
             "gt_boxes": ds.gt_boxes[g], "gt_labels": labels[ds.gt_label[g]],
             "gt_difficult": ds.gt_difficult[g], "gt_iscrowd": ds.gt_iscrowd[g],
             "det_boxes": ds.det_boxes[d], "det_scores": ds.det_scores[d],
             "det_labels": labels[ds.det_label[d]],
             "box_format": ds.box_format, "class_names": names}
        if ds.gt_area is not None:
            r["gt_area"] = ds.gt_area[g]
        out.append(r)
    return out


def records_from_dataset(dataset, npartitions=None, *, partition_size=None):
    """A ``Bag`` of ``dataset``'s per-image records (see ``dataset_records``)
    in ``npartitions`` partitions (or ``partition_size`` images each; neither:
    Dask's default split).  The records are built on the caller and travel
    in the task graph; evaluate them with ``evaluate(bag, protocol)``."""
    recs = dataset_records(dataset)
    if npartitions is not None:
        # from_sequence cannot make more partitions than items; empty
        # partitions are harmless to evaluate, so allow them
        npartitions = max(1, int(npartitions))
    return db.from_sequence(recs, npartitions=npartitions, partition_size=partition_size)


def records_from_files(gt, dt, format="auto", npartitions=None, **read_options):
    """Read ``gt`` and ``dt`` with ``detap.formats.read(gt, dt, format=...,
    **read_options)`` on the caller and split the data set into a ``Bag`` of
    per-image records (``records_from_dataset``): image ids are the data
    set's ``image_ids`` when the format has them (COCO), else the image
    index in the reader's order; class names travel with the records."""
    from .formats import read
    return records_from_dataset(read(gt, dt, format=format, **read_options), npartitions)
