"""An LVIS evaluation as detap's ``EvalResult`` (tables, ``--json``,
reports, the CI gate): ``detap eval --protocol lvis`` goes through here.

The 13 numbers are lvis-api's (``EvalResult.summary``); the per-class AP
at ``iou`` and the per-class curves come from the same engine state, as for
the "coco" protocol.  Class names are the categories' "name" (else the
id), each followed by its frequency group, e.g. "aerosol_can (c)".
"""
import numpy as np

from ..coco.cells import index_of
from ..errors import DetapInputError
from ..protocols import annotation_stats, coco_result, iou_index
from .dataset import LVIS
from .evaluation import LVISEval
from .results import LVISResults

__all__ = ["eval_result", "evaluate_files", "summary_text"]


def eval_result(ev, iou=0.5):
    """The ``EvalResult`` of an LVISEval after run(); ``iou`` is one of
    params.iou_thrs (the per-class AP and the mAP are reported there)."""
    p = ev.params
    t = iou_index(p.iou_thrs, iou)
    if t is None:
        raise DetapInputError(f"--iou {iou} is not one of LVIS's IoU thresholds "
                              f"{', '.join(f'{x:.2f}' for x in p.iou_thrs)}")
    cat_ids = ev.state.cells.cat_ids.tolist()   # the engine's order: sorted distinct ids
    cats = ev.lvis_gt.cats
    names = [f"{cats[c].get('name', c)} ({cats[c].get('frequency', '?')})" for c in cat_ids]
    gt = ev.lvis_gt.gt_columns()
    k = index_of(np.asarray(cat_ids, np.int64), gt.category_id)
    known = k >= 0
    ann_stats = annotation_stats(k[known], gt.bbox[known, 2], gt.bbox[known, 3], len(cat_ids))
    precision = ev.eval["precision"]
    if list(p.cat_ids) != cat_ids:  # back to the engine's order, as the curves are
        pos = {c: j for j, c in enumerate(p.cat_ids)}
        precision = precision[:, :, [pos[c] for c in cat_ids], :]
    return coco_result(None, ev.state.matches, precision[..., None], t, names, iou, ann_stats,
                       len(p.img_ids), p.iou_type, protocol="lvis", summary=dict(ev.results))


def summary_text(result):
    """lvis-api's 13 results, one per line, then the frequency groups: how
    many categories each holds and its AP (-1 for an empty group)."""
    res = result.summary
    width = max(map(len, res))
    lines = [f"  {name:<{width}} {float(v):.3f}" for name, v in res.items()]
    for g, label in zip("rcf", ("rare", "common", "frequent")):
        n = sum(1 for c in result.classes if c.endswith(f" ({g})"))
        lines.append(f"  {label + ':':<9} {n:>5} categories, AP{g} {float(res['AP' + g]):.3f}")
    return "\n".join(lines)


def evaluate_files(gt_path, dt_path, iou_type="bbox", iou=0.5, threads=None, analysis=None):
    """LVISEval on an LVIS ground-truth file and a results file, silent:
    (``EvalResult``, (images, GT annotations, results kept)).  ``analysis``:
    None, or the ``detap.analysis.AnalysisSettings`` of the result's
    ``.analysis`` (on LVIS's federated rules: ``analysis.sources``)."""
    gt = LVIS(gt_path)
    dt = LVISResults(gt, dt_path)
    ev = LVISEval(gt, dt, iou_type, threads=threads)
    ev.run()
    read = (len(ev.params.img_ids), len(gt.gt_columns()), dt.n_kept)
    res = eval_result(ev, iou)
    if analysis is not None:
        from ..analysis import analyze
        from ..analysis.sources import scene_from_lvis_eval
        res.analysis = analyze(scene_from_lvis_eval(ev), analysis, threads)
    return res, read
