"""The reference's evaluation core, callable on in-memory arrays.

``tests/reference_voc.voc_eval_recs`` reads its det file itself, so timing
it measures text parsing as well.  To compare only the evaluation core
(sort + match + AP) with ``detap.evaluate_class``, this module splits the
reference at the point where the det file has been read:

- ``make_class_recs_builder`` is the reference's "extract gt objects for
  this class" block;
- ``reference_core`` is everything after "read dets": sort, the greedy
  match loop, cumsum, precision/recall and ``voc_ap``.

Both are FAITHFUL COPIES of ``tests/reference_voc.py::voc_eval_recs``
(itself a transcription of py-faster-rcnn's lib/datasets/voc_eval.py); the
only changes are the function boundaries.  ``voc_ap`` is imported, not
copied.  Do not optimise this code: it is the yardstick.
"""
import numpy as np

from tests.reference_voc import voc_ap

__all__ = ["make_class_recs_builder", "reference_core", "recs_from_arrays", "det_inputs"]


def make_class_recs_builder(recs, imagenames, classname):
    """A callable returning ``(class_recs, npos)``, fresh on every call.

    ``reference_core`` marks matched GT in ``class_recs[...]['det']``, so every
    evaluation needs a new one, exactly as every call of the reference
    builds its own.
    """
    def build():
        # ---- copied from tests/reference_voc.py::voc_eval_recs ("extract gt objects")
        class_recs = {}
        npos = 0
        for imagename in imagenames:
            R = [obj for obj in recs[imagename] if obj['name'] == classname]
            bbox = np.array([x['bbox'] for x in R])
            difficult = np.array([x['difficult'] for x in R]).astype(bool)
            det = [False] * len(R)
            npos = npos + sum(~difficult)
            class_recs[imagename] = {'bbox': bbox,
                                     'difficult': difficult,
                                     'det': det}
        # ---- end of copy
        return class_recs, npos
    return build


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

    # ---- copied from tests/reference_voc.py::voc_eval_recs, after "read dets"
    nd = len(image_ids)
    tp = np.zeros(nd)
    fp = np.zeros(nd)

    if BB.shape[0] > 0:
        # sort by confidence
        if sort is None:
            sorted_ind = np.argsort(-confidence)
        else:
            sorted_ind = np.argsort(-confidence, kind=sort)
        sorted_scores = np.sort(-confidence)  # noqa: F841 (unused, as in the reference)
        BB = BB[sorted_ind, :]
        image_ids = [image_ids[x] for x in sorted_ind]

        # go down dets and mark TPs and FPs
        for d in range(nd):
            R = class_recs[image_ids[d]]
            bb = BB[d, :].astype(float)
            ovmax = -np.inf
            BBGT = R['bbox'].astype(float)

            if BBGT.size > 0:
                # compute overlaps
                # intersection
                ixmin = np.maximum(BBGT[:, 0], bb[0])
                iymin = np.maximum(BBGT[:, 1], bb[1])
                ixmax = np.minimum(BBGT[:, 2], bb[2])
                iymax = np.minimum(BBGT[:, 3], bb[3])
                iw = np.maximum(ixmax - ixmin + 1., 0.)
                ih = np.maximum(iymax - iymin + 1., 0.)
                inters = iw * ih

                # union
                uni = ((bb[2] - bb[0] + 1.) * (bb[3] - bb[1] + 1.) +
                       (BBGT[:, 2] - BBGT[:, 0] + 1.) *
                       (BBGT[:, 3] - BBGT[:, 1] + 1.) - inters)

                overlaps = inters / uni
                ovmax = np.max(overlaps)
                jmax = np.argmax(overlaps)

            if ovmax > ovthresh:
                if not R['difficult'][jmax]:
                    if not R['det'][jmax]:
                        tp[d] = 1.
                        R['det'][jmax] = 1
                    else:
                        fp[d] = 1.
            else:
                fp[d] = 1.

    # compute precision recall
    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    rec = tp / float(npos)
    # avoid divide by zero in case the first detection matches a difficult
    # ground truth
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    ap = voc_ap(rec, prec, use_07_metric)
    # ---- end of copy

    return rec, prec, ap


# ------------------------------------------------------------ input helpers
# (not part of the reference: they build its inputs from synth arrays)

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
