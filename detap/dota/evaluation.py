"""DOTA evaluation from files: DOTA_devkit's ``voc_eval`` for task 1
(oriented quadrilaterals) and task 2 (horizontal boxes), and every class at
once.

Files (the devkit's layout):

- image set: one image id per line (blank lines skipped);
- annotations: ``annopath.format(image_id)`` is a labelTxt file
  (``detap.dota.labeltxt``);
- detections: ``detpath.format(classname)`` holds lines
  ``image_id score x1 y1 x2 y2 x3 y3 x4 y4`` (task 1, exactly 10 fields) or
  ``image_id score xmin ymin xmax ymax`` (task 2, exactly 6 fields), pixels.

The evaluation itself is detap's one engine (``detap.core``) under the
"dota" convention (polygon IoU, csrc/quad_iou.h) or py-faster-rcnn's.
"""
import warnings

import numpy as np

from .. import voc
from ..conventions import PRESETS, get_convention
from ..errors import DetapInputError
from ..protocols import MEAN_RULE, mean_ap
from .labeltxt import TASK1_READER, TASK2_READER

__all__ = ["voc_eval", "voc_eval_task2", "evaluate", "load_annotations"]

_READERS = {1: TASK1_READER, 2: TASK2_READER}
#: each task's rules as the devkit's functions apply them (np.argsort ties)
_DEVKIT = {1: PRESETS["dota"], 2: PRESETS["py-faster-rcnn-07"]}


def load_annotations(annopath, imagenames, task=1, cachedir=None, threads=None):
    """The labelTxt annotations of ``imagenames`` as ``detap.voc.VocAnnotations``
    (boxes (n, 8) quadrilaterals for task 1, (n, 4) task2 boxes for task 2),
    parsed once (on ``threads`` threads; None or 0: all cores) and kept in
    memory (and in ``cachedir`` if given); a set that looks like a mistake
    gets its warnings on every call."""
    if task not in _READERS:
        raise DetapInputError(f"task must be 1 or 2, got {task!r}")
    ann = voc.load_annotations(annopath, imagenames, cachedir, reader=_READERS[task],
                               threads=threads)
    # (a length and one vectorised count: cheaper to redo than to cache)
    for msg in _check_loaded(ann, annopath, task):
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
    return ann


def _check_loaded(ann, annopath, task):
    """Warnings (messages) about a parsed set that looks like a mistake."""
    if not len(ann.boxes):
        return [f"no objects in the {len(ann.names)} labelTxt file(s) of {annopath!r}: every "
                "line has fewer than 9 fields (x1 y1 ... y4 class); is the template right?"]
    b = ann.boxes
    flipped = int(np.count_nonzero((b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1]))) if task == 2 else 0
    if flipped:
        return [f"{flipped} of {len(b)} ground-truth boxes under {annopath!r} have x3 < x1 or "
                "y3 < y1: task 2 takes vertex 1 as the top-left corner and vertex 3 as the "
                "bottom-right one (as DOTA_devkit does); are these oriented labels? "
                "(task 1 evaluates them as quadrilaterals)"]
    return []


def _voc_eval(task, detpath, annopath, imagesetfile, classname, ovthresh, use_07_metric):
    conv = _DEVKIT[task].replace(ap="voc07" if use_07_metric else "all_point")
    ann = load_annotations(annopath, voc.read_imageset(imagesetfile), task)
    detfile = detpath.format(classname)
    # exactly the task's fields: a Task1 file given to task 2 (or the
    # reverse) is an error, where the devkit reads its first columns
    res = voc.evaluate_class_file(ann, detfile, classname, float(ovthresh), conv, imagesetfile,
                                  extra_ok=False)
    if res.n_det == 0:
        warnings.warn(f"{detfile} holds no detections: rec and prec are empty and ap is 0 "
                      "(DOTA_devkit crashes on such a file)", RuntimeWarning, stacklevel=3)
    return res.rec, res.prec, voc.reference_ap(res, conv)


def voc_eval(detpath, annopath, imagesetfile, classname, ovthresh=0.5, use_07_metric=False):
    """rec, prec, ap = voc_eval(detpath, annopath, imagesetfile, classname,
                                [ovthresh=0.5], [use_07_metric=False])

    Drop-in for DOTA_devkit's ``dota_evaluation_task1.voc_eval``: the same
    rec and prec arrays (float64, shape (n_det,), detections by descending
    score in np.argsort(-confidence)'s order) and the same ``ap``, bit for
    bit, with the devkit's polygon IoU (polyiou) computed in C on all cores.

    detpath       template; detpath.format(classname) is the Task1 det file,
                  lines ``image_id score x1 y1 x2 y2 x3 y3 x4 y4``
    annopath      template; annopath.format(image_id) is a labelTxt file
    imagesetfile  text file of image ids, one per line
    ovthresh      a detection matches when its polygon IoU > ovthresh
    use_07_metric 11-point VOC2007 AP (what the devkit's main() passes)

    Annotations are parsed once per set of files and kept in memory, so a
    loop over classes parses them once (the devkit parses them per class).
    Where the devkit behaves oddly, so does this: a class without
    non-difficult GT gives rec = NaN (and a RuntimeWarning).  Where it
    crashes or silently misreads (a det for an image outside the image set,
    NaN/inf values, a malformed line), this raises DetapInputError naming
    the file and line; an empty det file gives empty rec/prec, ap = 0 and a
    warning.  Polygon IoUs that depend on polyiou's stale memory (see
    csrc/quad_iou.h) are reported with a RuntimeWarning.
    """
    return _voc_eval(1, detpath, annopath, imagesetfile, classname, ovthresh, use_07_metric)


def voc_eval_task2(detpath, annopath, imagesetfile, classname, ovthresh=0.5,
                   use_07_metric=False):
    """rec, prec, ap of DOTA_devkit's ``dota_evaluation_task2.voc_eval``
    (horizontal boxes): labelTxt GT read as ``[int(x1), int(y1), int(x3),
    int(y3)]``, det lines ``image_id score xmin ymin xmax ymax``,
    py-faster-rcnn's +1 pixel IoU > ovthresh; bit for bit.  Header lines
    in the labelTxt files (on which the devkit's task 2 crashes) are
    skipped; everything else as ``voc_eval``."""
    return _voc_eval(2, detpath, annopath, imagesetfile, classname, ovthresh, use_07_metric)


def evaluate(detpath, annopath, imagesetfile, classnames=None, *, task=1, cachedir=None,
             ovthresh=0.5, use_07_metric=None, convention=None, missing_ok=False, threads=None):
    """Every class of a DOTA evaluation, parsing the annotations once: an
    ``EvalResult`` (``res.map``, ``res.ap[c]``, ``res.per_class[c]``,
    ``res.table()``).

    task           1: quadrilaterals (Task1 det files), 2: horizontal boxes
    classnames     classes to evaluate (default: every class in the
                   annotations, sorted; the devkit's main() lists DOTA's 15)
    convention     a Convention or preset name; default: the devkit's rules
                   for the task (IoU > t, 11-point AP as its main() runs)
                   with a **stable** tie order.  ``convention="dota"``
                   (task 1) or ``"py-faster-rcnn-07"`` (task 2) gives exactly
                   what the devkit's main() prints.
    use_07_metric  True/False overrides the convention's AP rule
    missing_ok     a class without a det file counts as having no detections
    threads        threads for reading and matching (None or 0: all cores)

    ``map`` is the devkit's mean: the APs summed in class order, divided by
    the number of classes (NaN if one AP is NaN).
    """
    if task not in _READERS:
        raise DetapInputError(f"task must be 1 or 2, got {task!r}")
    if convention is None:
        conv = _DEVKIT[task].replace(tie_order="stable")
    else:
        conv = get_convention(convention)
    if (conv.iou == "dota") != (task == 1):
        raise DetapInputError(f"task {task} takes {'the dota' if task == 1 else 'a box'} IoU; "
                              f"the convention has iou={conv.iou!r}")
    if use_07_metric is not None:
        conv = conv.replace(ap="voc07" if use_07_metric else "all_point")
    if np.ndim(ovthresh) != 0:
        raise DetapInputError(f"ovthresh must be one number, got {ovthresh!r}")
    ann = load_annotations(annopath, voc.read_imageset(imagesetfile), task, cachedir, threads)
    if classnames is None and not ann.classes:
        raise DetapInputError(f"no ground truth in the labelTxt files of {annopath!r} and no "
                              "classes given: nothing to evaluate")
    res = voc.evaluate_loaded(ann, detpath, imagesetfile, classnames, conv, ovthresh,
                              missing_ok=missing_ok, threads=threads, extra_ok=False)
    # the devkit's main(): map = map + ap over its classes; map / len(classnames)
    res.map = mean_ap([res.per_class[c].ap for c in res.classes], MEAN_RULE["dota"])
    return res
