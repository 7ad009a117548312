"""The result every front end returns (files, CLI, streaming ``Evaluator``).

``EvalResult`` holds one protocol's evaluation of a dataset at one IoU
threshold: per-class AP with the PR curve it came from, counts, the
operating point of best F1, and the per-class annotation statistics that the
analysis plots need (count, mean box area, mean aspect ratio).
``to_dict`` is the versioned JSON schema printed by ``detap eval --json``
(see ``SCHEMA``).
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

__all__ = ["ClassReport", "EvalResult", "SCHEMA_VERSION", "SCHEMA", "ANALYSIS_SCHEMA", "COCO_STAT_LABELS",
           "KEYPOINTS_STAT_LABELS", "stat_labels",
           "best_f1", "f1_score"]

SCHEMA_VERSION = 1

#: Short labels of the 12 COCO summary numbers (``EvalResult.stats``), in
#: pycocotools' order: AP and AR over IoU .50:.95 unless an IoU is named,
#: all areas unless one is named, 100 detections per image unless maxDets says.
COCO_STAT_LABELS = ("AP @[.50:.95] all", "AP @.50", "AP @.75", "AP small", "AP medium",
                    "AP large", "AR maxDets=1", "AR maxDets=10", "AR maxDets=100", "AR small",
                    "AR medium", "AR large")

#: The 10 keypoint numbers (iouType "keypoints"): 20 detections per image,
#: area ranges all / medium / large.
KEYPOINTS_STAT_LABELS = ("AP @[.50:.95] all", "AP @.50", "AP @.75", "AP medium", "AP large",
                         "AR @[.50:.95] all", "AR @.50", "AR @.75", "AR medium", "AR large")


def stat_labels(stats):
    """The labels of a ``stats`` array: 12 box / mask numbers or 10 keypoint ones."""
    return KEYPOINTS_STAT_LABELS if len(stats) == len(KEYPOINTS_STAT_LABELS) else COCO_STAT_LABELS

_NUM = {"type": ["number", "null"]}


def _errs(names):
    return {"type": "object", "required": list(names), "properties": {k: _NUM for k in names},
            "additionalProperties": False}


#: JSON Schema of the ``"analysis"`` object (version 1): TIDE in tidecv's names
#: and units (AP points, 0-100), the confusion matrix, calibration, images.
ANALYSIS_SCHEMA = {
    "type": "object",
    "required": ["schema_version", "tide", "confusion", "calibration", "images"],
    "properties": {
        "schema_version": {"const": 1},
        # what the analysis matched on (optional: absent before masks, keypoints and LVIS)
        "similarity": {"enum": ["IoU", "mask IoU", "OKS", "rotated IoU", "polygon IoU"]},
        "tide": {"type": "object", "required": ["ap", "main", "special", "counts"],
                 "properties": {"ap": _NUM, "units": {"type": "string"},
                                "pos_threshold": {"type": "number"},
                                "background_threshold": {"type": "number"},
                                "max_dets": {"type": "integer"},
                                "main": _errs(("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")),
                                "special": _errs(("FalsePos", "FalseNeg")),
                                "counts": {"type": "object",
                                           "additionalProperties": {"type": "integer", "minimum": 0}}}},
        "confusion": {"type": "object",
                      "required": ["convention", "iou", "score", "classes", "matrix", "top_confusions"],
                      "properties": {"convention": {"enum": ["coco", "ultralytics"]},
                                     "iou": {"type": "number"}, "score": {"type": "number"},
                                     "classes": {"type": "array", "items": {"type": "string"}},
                                     "matrix": {"type": "array", "items": {
                                         "type": "array", "items": {"type": "integer", "minimum": 0}}},
                                     "top_confusions": {"type": "array", "items": {
                                         "type": "object", "required": ["true", "predicted", "count"]}}}},
        # null when a score lies outside [0, 1]
        "calibration": {"type": ["object", "null"], "required": ["ece", "mce", "bins", "n_detections"],
                        "properties": {"ece": _NUM, "mce": _NUM,
                                       "n_detections": {"type": "integer", "minimum": 0},
                                       "bins": {"type": "object",
                                                "required": ["lo", "hi", "count", "confidence", "accuracy"]}}},
        "images": {"type": "object", "required": ["worst", "tp", "fp", "fn", "names"],
                   "properties": {"worst": {"type": "array", "items": {
                       "type": "object", "required": ["image", "tp", "fp", "fn", "n_gt", "ap"]}}}},
    },
}

#: JSON Schema (draft 2020-12) of ``EvalResult.to_dict()``, version 1.
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "detap evaluation result",
    "type": "object",
    "required": ["schema_version", "protocol", "iou", "mAP", "classes"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "protocol": {"type": "string"},
        "iou": {"type": "number", "minimum": 0, "maximum": 1},
        "mAP": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "n_images": {"type": "integer", "minimum": 0},
        "convention": {"type": "object"},
        "stats": {"type": "array", "items": {"type": "number"}, "minItems": 10, "maxItems": 12},
        "iou_type": {"enum": ["bbox", "segm", "keypoints", "obb"]},
        # lvis-api's 13 results by name ("AP", ..., "ARl@300"); -1 where it gives -1
        "summary": {"type": "object", "additionalProperties": {"type": "number"}},
        # added by the command line (``detap eval --json``), optional and additive, so
        # the schema stays version 1: every version-1 document is still valid
        "provenance": {
            "type": "object",
            "required": ["detap_version", "date"],
            "properties": {
                "gt": {"type": "string"},
                "dt": {"type": ["string", "array", "null"], "items": {"type": "string"}},
                "format": {"type": ["string", "null"]},
                "dt_format": {"type": ["string", "null"]},
                "protocol": {"type": "string"},
                "detap_version": {"type": "string"},
                "command": {"type": "string"},
                "date": {"type": "string", "format": "date-time"},
            },
        },
        # ``detap eval --analysis`` / ``Evaluator(analysis=True)``: optional and
        # additive, with its own version (``detap.analysis.ANALYSIS_SCHEMA_VERSION``)
        "analysis": ANALYSIS_SCHEMA,
        "classes": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["ap", "n_gt", "n_det", "tp", "fp"],
                "properties": {
                    "ap": {"type": ["number", "null"]},
                    "n_gt": {"type": "integer", "minimum": 0},
                    "n_det": {"type": "integer", "minimum": 0},
                    "tp": {"type": "integer", "minimum": 0},
                    "fp": {"type": "integer", "minimum": 0},
                    "f1": {"type": ["number", "null"]},
                    "f1_confidence": {"type": ["number", "null"]},
                    "f1_precision": {"type": ["number", "null"]},
                    "f1_recall": {"type": ["number", "null"]},
                    "n_annotations": {"type": "integer", "minimum": 0},
                    "mean_area": {"type": ["number", "null"]},
                    "mean_aspect": {"type": ["number", "null"]},
                },
            },
        },
    },
}


def _num(x):
    """JSON-safe float: NaN and inf become None (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def f1_score(precision, recall):
    """F1 = 2PR / (P + R), elementwise; 0 where P + R is 0 or NaN (no
    detection, or no GT)."""
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    d = p + r
    ok = d > 0      # False for NaN too
    return np.where(ok, 2 * p * r / np.where(ok, d, 1.0), 0.0)


def best_f1(scores, tp, fp, npos):
    """Operating point of best F1 along one class's ranked detections.

    ``scores`` (nd,) are in processing order (descending), ``tp``/``fp``
    (nd,) cumulative counts.  A confidence threshold cannot split tied
    scores, so only the last detection of each run of equal scores is a
    candidate.  Returns (f1, confidence, precision, recall); NaNs when there
    are no detections or no GT.  The first (highest-confidence) maximum wins.
    """
    nd = len(scores)
    if nd == 0 or npos <= 0:
        return (float("nan"),) * 4
    scores = np.asarray(scores, dtype=np.float64)
    last = np.ones(nd, dtype=bool)
    last[:-1] = scores[1:] != scores[:-1]
    tp = np.asarray(tp, dtype=np.float64)[last]
    fp = np.asarray(fp, dtype=np.float64)[last]
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).tiny)
    rec = tp / float(npos)
    f1 = f1_score(prec, rec)
    j = int(np.argmax(f1))
    return float(f1[j]), float(scores[last][j]), float(prec[j]), float(rec[j])


@dataclass
class ClassReport:
    """One class under one protocol.

    name          class name
    ap            average precision in [0, 1]; NaN for a class without GT
    n_gt          GT that count for recall (non-difficult, non-crowd)
    n_det         detections of this class that were evaluated
    tp, fp        true / false positives over all detections at the IoU
                  threshold (ignored detections, e.g. on difficult GT, are
                  neither)
    precision     (nd,) precision after each detection, processing order
    recall        (nd,) recall after each detection
    scores        (nd,) confidences in processing order (descending)
    f1, f1_confidence, f1_precision, f1_recall
                  the best-F1 operating point (see ``best_f1``)
    n_annotations all GT boxes of the class (difficult and crowd included)
    mean_area     mean GT box area, pixels^2 (NaN without GT)
    mean_aspect   mean GT aspect ratio width / height (NaN without GT)
    """
    name: str
    ap: float
    n_gt: int
    n_det: int
    tp: int
    fp: int
    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    f1: float = float("nan")
    f1_confidence: float = float("nan")
    f1_precision: float = float("nan")
    f1_recall: float = float("nan")
    n_annotations: int = 0
    mean_area: float = float("nan")
    mean_aspect: float = float("nan")

    # the names of the per-class results of detap.voc.evaluate before it
    # returned this type (ClassResult's), kept for its callers
    @property
    def prec(self):
        return self.precision

    @property
    def rec(self):
        return self.recall

    @property
    def npos(self):
        return self.n_gt

    def to_dict(self):
        return {"ap": _num(self.ap), "n_gt": int(self.n_gt), "n_det": int(self.n_det),
                "tp": int(self.tp), "fp": int(self.fp), "f1": _num(self.f1),
                "f1_confidence": _num(self.f1_confidence),
                "f1_precision": _num(self.f1_precision), "f1_recall": _num(self.f1_recall),
                "n_annotations": int(self.n_annotations), "mean_area": _num(self.mean_area),
                "mean_aspect": _num(self.mean_aspect)}


@dataclass
class EvalResult:
    """A dataset evaluated under one protocol at one IoU threshold.

    protocol    preset name ("voc07", "voc", "coco", ...)
    iou         IoU threshold of ``map`` and of every ``ClassReport``
    classes     class names in evaluation order
    per_class   name -> ClassReport
    map         mean AP over the classes the protocol averages (NaN if none)
    stats       for "coco": pycocotools' summary numbers, (12,) float64 (10
                for keypoints)
    convention  the rules the protocol set (a dict, for reports)
    n_images    number of images evaluated
    iou_type    for "coco": what was compared, "bbox", "segm", "keypoints" or
                "obb" (hotcoco's rotated boxes)
    summary     for "lvis": lvis-api's 13 results by name (AP ... ARl@300)
    """
    protocol: str
    iou: float
    classes: list
    per_class: dict
    map: float
    stats: Optional[np.ndarray] = None
    convention: dict = field(default_factory=dict)
    n_images: int = 0
    iou_type: Optional[str] = None
    summary: Optional[dict] = None
    # ``detap.analysis.Analysis`` when asked for (``detap eval --analysis``,
    # ``Evaluator(analysis=True)``): "analysis" in to_dict()
    analysis: Optional[object] = None

    @property
    def protocol_label(self):
        """The protocol's name, with what it compared when that is not
        boxes: "coco (segm)", "coco (keypoints)", "coco (obb)"."""
        t = self.iou_type
        return self.protocol if t in (None, "bbox") else f"{self.protocol} ({t})"

    @property
    def ap(self):
        """name -> AP."""
        return {c: self.per_class[c].ap for c in self.classes}

    def table(self, columns=None, title=None):
        """The per-class table as terminal text (``detap.report.format_table``):
        ``columns`` are keys of ``detap.report.CLASS_COLUMNS`` (default: GT,
        dets, TP, FP, AP and the best-F1 point), the mAP last."""
        from .report import format_table  # report imports this module
        return format_table(self, columns, title=title)

    def to_dict(self):
        """The ``--json`` object (schema ``SCHEMA``, version ``SCHEMA_VERSION``)."""
        d = {"schema_version": SCHEMA_VERSION, "protocol": self.protocol,
             "iou": float(self.iou), "mAP": _num(self.map), "n_images": int(self.n_images),
             "convention": dict(self.convention),
             "classes": {c: self.per_class[c].to_dict() for c in self.classes}}
        if self.stats is not None:
            d["stats"] = [float(s) for s in self.stats]
        if self.iou_type is not None:
            d["iou_type"] = self.iou_type
        if self.summary is not None:
            d["summary"] = {k: float(v) for k, v in self.summary.items()}
        if self.analysis is not None:
            d["analysis"] = self.analysis.to_dict()
        return d
