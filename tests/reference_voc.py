"""A faithful transcription of py-faster-rcnn's PASCAL VOC evaluation.

Written for detap's tests from the algorithm quoted in
shared/seeds/000_*.txt (voc_eval) and py-faster-rcnn's lib/datasets/voc_eval.py
(parse_rec, voc_ap).  Deliberate changes, none of which alters a result:

- ``np.bool`` (removed in numpy 2) is the builtin ``bool`` it aliased;
- the annotation cache is dropped (annotations are parsed on every call), so
  the tests never unpickle anything;
- ``voc_eval`` takes ``sort=`` so the property tests can also run it with
  a stable tie order (the default is the reference's np.argsort(-confidence));
- the body after the annotations are loaded is split, statement for
  statement, into ``class_gt``, ``read_dets``, ``eval_dets`` and
  ``voc_overlaps`` so that the benchmarks can time the evaluation core alone
  and the kernel tests can compare IoU with the reference's own expression.

Do not "improve" this file: it is the yardstick.
"""
import xml.etree.ElementTree as ET

import numpy as np


def parse_rec(filename):
    """Parse a PASCAL VOC xml file."""
    tree = ET.parse(filename)
    objects = []
    for obj in tree.findall('object'):
        obj_struct = {}
        obj_struct['name'] = obj.find('name').text
        obj_struct['pose'] = obj.find('pose').text
        obj_struct['truncated'] = int(obj.find('truncated').text)
        obj_struct['difficult'] = int(obj.find('difficult').text)
        bbox = obj.find('bndbox')
        obj_struct['bbox'] = [int(bbox.find('xmin').text),
                              int(bbox.find('ymin').text),
                              int(bbox.find('xmax').text),
                              int(bbox.find('ymax').text)]
        objects.append(obj_struct)
    return objects


def voc_ap(rec, prec, use_07_metric=False):
    if use_07_metric:
        # 11 point metric
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            if np.sum(rec >= t) == 0:
                p = 0
            else:
                p = np.max(prec[rec >= t])
            ap = ap + p / 11.
    else:
        # correct AP calculation
        # first append sentinel values at the end
        mrec = np.concatenate(([0.], rec, [1.]))
        mpre = np.concatenate(([0.], prec, [0.]))

        # compute the precision envelope
        for i in range(mpre.size - 1, 0, -1):
            mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])

        # to calculate area under PR curve, look for points
        # where X axis (recall value) changes value
        i = np.where(mrec[1:] != mrec[:-1])[0]

        # and sum (\Delta recall) * prec
        ap = np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])
    return ap


def class_gt(recs, imagenames, classname):
    """voc_eval's "extract gt objects for this class" block: (class_recs, npos)."""
    # extract gt objects for this class
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
    return class_recs, npos


def read_dets(detfile):
    """voc_eval's "read dets" block: (image_ids, confidence, BB)."""
    # read dets
    with open(detfile, 'r') as f:
        lines = f.readlines()

    splitlines = [x.strip().split(' ') for x in lines]
    image_ids = [x[0] for x in splitlines]
    confidence = np.array([float(x[1]) for x in splitlines])
    BB = np.array([[float(z) for z in x[2:]] for x in splitlines])
    return image_ids, confidence, BB


def voc_overlaps(bb, BBGT):
    """voc_eval's overlaps of one detection bb (4,) with the GT BBGT (G, 4)."""
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

    return inters / uni


def eval_dets(class_recs, npos, image_ids, confidence, BB, ovthresh=0.5,
              use_07_metric=False, sort=None, ovmax_of=None):
    """voc_eval from the point where the dets are read: sort, the greedy
    loop, cumsum, precision/recall and voc_ap.  ``ovmax_of(bb, BBGT)``
    replaces the loop body's overlap block, returning (ovmax, jmax) (DOTA_devkit's
    task 1 loop is this one with its polygon overlaps: tests/reference_dota.py)."""
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

            if ovmax_of is not None:
                ovmax, jmax = ovmax_of(bb, BBGT)
            elif BBGT.size > 0:
                overlaps = voc_overlaps(bb, BBGT)
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

    return rec, prec, ap


def voc_eval_recs(recs, imagenames, detfile, classname, ovthresh=0.5,
                  use_07_metric=False, sort=None):
    """voc_eval from the point where the annotations are loaded."""
    class_recs, npos = class_gt(recs, imagenames, classname)
    image_ids, confidence, BB = read_dets(detfile)
    return eval_dets(class_recs, npos, image_ids, confidence, BB, ovthresh,
                     use_07_metric, sort)


def voc_eval(detpath, annopath, imagesetfile, classname, ovthresh=0.5,
             use_07_metric=False, sort=None):
    # read list of images
    with open(imagesetfile, 'r') as f:
        lines = f.readlines()
    imagenames = [x.strip() for x in lines]

    # load annotations
    recs = {}
    for imagename in imagenames:
        recs[imagename] = parse_rec(annopath.format(imagename))

    return voc_eval_recs(recs, imagenames, detpath.format(classname), classname,
                         ovthresh, use_07_metric, sort)
