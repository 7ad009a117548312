"""The reference's evaluation core, callable on in-memory arrays.

``tests/reference_voc.voc_eval_recs`` reads its det file itself, so timing
it measures text parsing as well.  To compare only the evaluation core
(sort + match + AP) with ``detap.evaluate_class``, the benchmarks call the
reference's own pieces (``tests/reference_voc.py``: ``class_gt`` extracts
the class's GT, ``eval_dets`` is everything after "read dets": sort, the
greedy loop, cumsum, precision/recall and ``voc_ap``).  No reference code
is copied here: it is the yardstick.
"""
import numpy as np

from tests.reference_voc import class_gt, eval_dets

__all__ = ["make_class_recs_builder", "reference_core", "recs_from_arrays", "det_inputs"]


def make_class_recs_builder(recs, imagenames, classname):
    """A callable returning ``(class_recs, npos)``, fresh on every call.

    ``reference_core`` marks matched GT in ``class_recs[...]['det']``, so every
    evaluation needs a new one, exactly as every call of the reference
    builds its own.
    """
    return lambda: class_gt(recs, imagenames, classname)


def reference_core(class_recs_builder, image_ids, confidence, BB, ovthresh=0.5,
                   use_07_metric=False, sort=None):
    """rec, prec, ap of the reference from already-read detections.

    class_recs_builder  callable -> (class_recs, npos), see make_class_recs_builder
                        (its run time is included: it is the counterpart of
                        detap's GT grouping, ``prepare_gt``)
    image_ids           list of image id strings, one per detection
    confidence          float64 array (nd,)
    BB                  float64 array (nd, 4)
    """
    class_recs, npos = class_recs_builder()
    return eval_dets(class_recs, npos, image_ids, confidence, BB, ovthresh, use_07_metric, sort)


def recs_from_arrays(data):
    """``recs`` as the reference's parse_rec would return them for
    ``detap.synth.write_voc(data)``: {image id: [object dicts]}."""
    recs = {name: [] for name in data.names}
    order = np.argsort(data.gt_img, kind="stable")  # write_voc's object order
    for k in order:
        b = data.gt_boxes[k]
        recs[data.names[data.gt_img[k]]].append({
            'name': data.classes[data.gt_cls[k]],
            'pose': 'Unspecified',
            'truncated': 0,
            'difficult': int(data.gt_difficult[k]),
            'bbox': [int(b[0]), int(b[1]), int(b[2]), int(b[3])],
        })
    return recs


def det_inputs(data, cls=0):
    """(image_ids, confidence, BB) of one class, as the reference holds them
    after reading a det file: a list of str, float64 (nd,), float64 (nd, 4)."""
    sel = np.flatnonzero(data.det_cls == cls)
    image_ids = [data.names[i] for i in data.det_img[sel]]
    confidence = np.array(data.det_scores[sel], dtype=np.float64)
    BB = np.array(data.det_boxes[sel], dtype=np.float64).reshape(-1, 4)
    return image_ids, confidence, BB
