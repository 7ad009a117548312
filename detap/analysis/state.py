"""The analysis as a compact, mergeable state, and its result.

Everything the analysis reports is a function of per-image work: TIDE's
per-image records (``tide.TideRecords``: a few bytes per detection and per
GT) and the confusion matrix's decisions (counted as (true, predicted,
count) triples).  ``AnalysisState`` keeps those with the caller's image ids
and class labels, so states built from different images (a training loop's
batches, processes, Dask partitions) merge by concatenation; ``compute``
puts the records in canonical order (images by id, each image's rows in
their order) before any floating-point sum, so a merge of any split gives
the same bits as one run over all images in id order.
"""
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import group
from ..coco.cells import index_of
from ..errors import DetapInputError, DetapWarning
from .calibration import Calibration, NotConfidences, calibration
from .confusion import (ConfusionMatrix, coco_pairs, matrix_of_pairs, thresholds,
                        ultralytics_pairs)
from .images import ImageResults, image_results
from .scene import Scene
from .tide import MAIN_ERRORS, SPECIAL_ERRORS, TideRecords, tide_pass, tide_summary

__all__ = ["AnalysisSettings", "AnalysisState", "Analysis", "ANALYSIS_SCHEMA_VERSION"]

ANALYSIS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class AnalysisSettings:
    """iou         TIDE's foreground threshold (and the calibration's and
                   per-image results' IoU): tidecv's pos_threshold
    bg          TIDE's background threshold
    max_dets    detections per image (all classes) TIDE and the COCO-style
                confusion matrix keep
    confusion   "coco" or "ultralytics" (``confusion.py``); confusion_iou /
                confusion_score: its thresholds (None: the convention's)
    n_bins      calibration bins"""
    iou: float = 0.5
    bg: float = 0.1
    max_dets: int = 100
    confusion: str = "coco"
    confusion_iou: float = None
    confusion_score: float = None
    n_bins: int = 10

    def __post_init__(self):
        # an IoU threshold of 0 makes every pair a match (a detection of
        # another class too: TIDE's AP would read 100); bg must stay below it
        if not 0 < self.iou <= 1:
            raise DetapInputError(f"analysis: the IoU threshold must be in (0, 1], got {self.iou!r}")
        if not 0 <= self.bg < self.iou:
            raise DetapInputError(f"analysis: the background threshold must be in [0, iou) = "
                                  f"[0, {self.iou!r}), got {self.bg!r}")
        for name in ("max_dets", "n_bins"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise DetapInputError(f"analysis: {name} must be a positive whole number, got {v!r}")
        thresholds(self.confusion)  # (checks the convention's name)

    def confusion_thresholds(self):
        """(IoU, score) of the confusion matrix: the given ones, else its
        convention's, but the COCO-style one counts at ``iou``."""
        iou = self.confusion_iou
        if iou is None and self.confusion == "coco":
            iou = self.iou
        return thresholds(self.confusion, iou, self.confusion_score)


@dataclass
class Analysis:
    """tide        {"ap", "main", "special", "counts"} (AP points, tidecv's names)
    confusion   ``ConfusionMatrix``; calibration ``Calibration``, or None
                when a score lies outside [0, 1] (a ``DetapWarning`` says so:
                the other parts stay meaningful);
    images      ``ImageResults``"""
    tide: dict
    confusion: ConfusionMatrix
    calibration: Calibration
    images: ImageResults
    settings: AnalysisSettings
    similarity: str = "IoU"    # what matched: "IoU" (boxes), "mask IoU", "OKS", "rotated IoU", "polygon IoU"

    def to_dict(self, n_worst=20, top_confusions=20):
        """The ``"analysis"`` object of ``detap eval --json`` (schema version 1)."""
        s = self.settings
        t = self.tide

        def num(v):
            return float(v) if np.isfinite(v) else None
        return {"schema_version": ANALYSIS_SCHEMA_VERSION, "similarity": self.similarity,
                "tide": {"units": "AP points (0-100)", "pos_threshold": s.iou,
                         "background_threshold": s.bg, "max_dets": s.max_dets, "ap": num(t["ap"]),
                         "main": {k: num(t["main"][k]) for k in MAIN_ERRORS},
                         "special": {k: num(t["special"][k]) for k in SPECIAL_ERRORS},
                         "counts": dict(t["counts"])},
                "confusion": self.confusion.to_dict(top_confusions),
                "calibration": (None if self.calibration is None else
                                dict(self.calibration.to_dict(), iou=s.iou)),
                "images": dict(self.images.to_dict(n_worst), iou=s.iou)}


@dataclass
class AnalysisState:
    """Per-image analysis records of some images (see the module)."""
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    parts: list = field(default_factory=list)   # (image ids, TideRecords, (true, pred, count))
    similarity: str = None   # the scenes' (``Scene.similarity_name``), once one was added

    def add_scene(self, scene, image_ids=None, label_values=None, threads=None):
        """Analyse ``scene`` (its images get ``image_ids``, default 0..; its
        class indices stand for ``label_values``, default 0..)."""
        s = self.settings
        self._same_similarity(scene.similarity_name())
        ids = np.arange(scene.n_images) if image_ids is None else np.asarray(image_ids)
        labs = np.arange(len(scene.classes)) if label_values is None else np.asarray(label_values)
        ciou, cscore = s.confusion_thresholds()
        # the COCO-style matrix matches the same ranked detections on the same
        # similarities as TIDE when its score threshold drops none: one pass
        shared = s.confusion == "coco" and not (len(scene.dt_score) and scene.dt_score.min() < cscore)
        r, matched = tide_pass(scene, s.iou, s.bg, s.max_dets, threads, [ciou] if shared else None)
        if image_ids is not None:
            r = TideRecords(**dict(vars(r), dt_image=ids[r.dt_image], gt_image=ids[r.gt_image]))
        if label_values is not None:   # (else the class indices are the labels)
            r = TideRecords(**dict(vars(r), dt_cls=labs[r.dt_cls], dt_fixcls=labs[r.dt_fixcls],
                                   gt_cls=labs[r.gt_cls]))
        if s.confusion == "coco":
            (true, pred), = coco_pairs(scene, [ciou], cscore, s.max_dets, threads, matched)
        else:
            (true, pred), = ultralytics_pairs(scene, ciou, cscore)
        K = len(scene.classes)
        counts = matrix_of_pairs(K, true, pred)
        tt, pp = np.nonzero(counts)
        bg = np.iinfo(np.int64).min   # background, whatever the labels are
        lab_bg = np.append(labs.astype(np.int64), bg)
        self.parts.append((ids, r, (lab_bg[tt], lab_bg[pp], counts[tt, pp])))
        return self

    def add_columns(self, images, gt_image, gt_box, gt_label, gt_ignore, dt_image, dt_box, dt_label,
                    dt_score, threads=None, shapes=None, gt_whole=None):
        """Analyse a batch given as columns: image ids (sortable: ints or
        strs; ``images`` every id of the batch, sorted and distinct as the
        streaming batch keeps them, else made so), xywh boxes, label
        values; ``shapes`` and ``gt_whole`` as ``Scene``'s."""
        ids = np.asarray(images)
        if len(ids) > 1 and not np.all(ids[1:] > ids[:-1]):
            ids = np.unique(ids)
        labs = np.unique(np.concatenate([np.asarray(gt_label, np.int64), np.asarray(dt_label, np.int64)]))
        sc = Scene(n_images=len(ids), classes=list(labs), gt_box=gt_box,
                   gt_image=np.searchsorted(ids, gt_image), gt_label=np.searchsorted(labs, gt_label),
                   gt_ignore=gt_ignore, dt_box=dt_box, dt_image=np.searchsorted(ids, dt_image),
                   dt_label=np.searchsorted(labs, dt_label), dt_score=dt_score, shapes=shapes,
                   gt_whole=gt_whole)
        return self.add_scene(sc, ids, labs, threads)

    def _same_similarity(self, name):
        if name is not None and self.similarity not in (None, name):
            raise DetapInputError(f"analysis states of {self.similarity} and of {name} cannot be merged")
        self.similarity = self.similarity or name

    def merge(self, other):
        if other.settings != self.settings:
            raise DetapInputError("analysis states with different settings cannot be merged")
        self._same_similarity(getattr(other, "similarity", None))
        self.parts.extend(other.parts)
        return self

    def compute(self, classes=None, names=None):
        """The ``Analysis`` of every image added.  ``classes``: the label
        values in report order (default: every label seen, sorted), named by
        ``names`` (default: str of the label); images are reported in id
        order, named by their ids."""
        if not self.parts:
            raise DetapInputError("the analysis has no images")
        ids = np.concatenate([p[0] for p in self.parts])
        images, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            raise DetapInputError(f"image {images[np.argmax(counts > 1)]!r} was analysed twice")
        rec = TideRecords.concat([p[1] for p in self.parts])
        bg = np.iinfo(np.int64).min
        t3 = [np.concatenate([p[2][j] for p in self.parts]) for j in range(3)]
        if classes is None:
            seen = np.concatenate([rec.dt_cls, rec.gt_cls, t3[0][t3[0] != bg], t3[1][t3[1] != bg]])
            classes = np.unique(seen)
        classes = np.asarray(classes)
        K = len(classes)
        names = [str(c) for c in classes] if names is None else list(names)

        order = np.argsort(classes, kind="stable")
        sorted_classes = classes[order].astype(np.int64)
        identity = np.array_equal(classes, np.arange(K))

        def dense(v):  # class labels -> positions in the class list (in report order)
            v = np.asarray(v, np.int64)
            if identity and (not len(v) or (v.min() >= 0 and v.max() < K)):
                return v   # labels 0..K-1 in order: their own positions
            i = index_of(sorted_classes, v)
            if len(i) and i.min() < 0:
                raise DetapInputError("the analysis met a class label outside the class list")
            return order[i]
        rec = _canonical(rec, images)
        rec = TideRecords(**dict(vars(rec), dt_cls=dense(rec.dt_cls), dt_fixcls=dense(rec.dt_fixcls),
                                 gt_cls=dense(rec.gt_cls)))
        s = self.settings
        ciou, cscore = s.confusion_thresholds()
        t_ = np.where(t3[0] == bg, K, dense(np.where(t3[0] == bg, classes[0] if K else 0, t3[0])))
        p_ = np.where(t3[1] == bg, K, dense(np.where(t3[1] == bg, classes[0] if K else 0, t3[1])))
        conf = ConfusionMatrix(matrix_of_pairs(K, t_, p_, t3[2].astype(np.float64)), names,
                               s.confusion, float(ciou), float(cscore))
        ok = rec.dt_label != -1
        return Analysis(tide=tide_summary(rec, K), confusion=conf,
                        calibration=_calibration(rec.dt_score[ok], rec.dt_label[ok] == 1, s.n_bins),
                        images=image_results(rec, len(images), images.tolist()), settings=s,
                        similarity=getattr(self, "similarity", None) or "IoU")


def _calibration(scores, correct, n_bins):
    """``calibration``, or None with a warning when the scores are not
    confidences (logits, say): the rest of the analysis does not need them."""
    try:
        return calibration(scores, correct, n_bins)
    except NotConfidences as e:
        warnings.warn(f"analysis: no calibration: {e}", DetapWarning, stacklevel=3)
        return None


def _canonical(rec, images):
    """The records with images as positions in ``images`` (sorted ids),
    stably sorted by image (a no-op for one run in id order)."""
    if images.dtype.kind in "iu" and np.array_equal(images, np.arange(len(images))):
        di, gi = rec.dt_image, rec.gt_image
    else:
        di, gi = np.searchsorted(images, rec.dt_image), np.searchsorted(images, rec.gt_image)
    rec = TideRecords(**dict(vars(rec), dt_image=di, gt_image=gi))
    if np.all(di[1:] >= di[:-1]) and np.all(gi[1:] >= gi[:-1]):
        return rec
    n = len(images)
    return rec.take(group.by_image(di, n)[1], group.by_image(gi, n)[1])


def analyze(dataset_or_scene, settings=None, threads=None, **kw):
    """The ``Analysis`` of a ``Dataset`` (or ``Scene``), images in its order
    (tidecv's order, when it reads the same files)."""
    from .scene import scene_from_dataset
    settings = settings or AnalysisSettings(**kw)
    sc = dataset_or_scene if isinstance(dataset_or_scene, Scene) else scene_from_dataset(dataset_or_scene)
    a = AnalysisState(settings).add_scene(sc, threads=threads).compute(np.arange(len(sc.classes)),
                                                                        sc.classes)
    if sc.images is not None:
        a.images.names = list(sc.images)
    return a
