"""A faithful transcription of DOTA_devkit's evaluation, written for detap's
tests: ``dota_evaluation_task1.py`` (parse_gt, voc_eval with the polygon
IoU) and ``polyiou.cpp`` (iou_poly and the clipping it is built on), and
the parse_gt of ``dota_evaluation_task2.py`` (its loop is py-faster-rcnn's,
in tests/reference_voc.py).

Deliberate changes, none of which alters a result:

- ``np.bool`` (removed in numpy 2) is the builtin ``bool`` it aliased; the
  devkit's debugging prints are dropped;
- ``voc_eval`` takes ``sort=`` so the property tests can also run it with a
  stable tie order (the default is the devkit's np.argsort(-confidence)),
  and ``voc_eval_recs`` starts from parsed annotations;
- the statements task1's voc_eval shares with py-faster-rcnn's (class GT,
  reading dets, the loop, precision/recall) are reference_voc's, with the
  loop's overlap block replaced by ``task1_ovmax`` (the devkit's, verbatim);
- polyiou's C++ is transcribed on Python floats (IEEE float64, the same
  operations in the same order).  Its static cut buffer ``pp`` is a module
  global that persists across calls, as in the C++; ``history_reads``
  counts the reads of a slot not written during the current iou_poly call
  (the devkit's value there depends on earlier calls), and a clipped
  polygon that would overflow the C++'s ``Point p[10]`` raises
  ``Overflow`` (undefined behaviour in the C++).

Do not "improve" this file: it is the yardstick.
"""
import math

import numpy as np

from . import reference_voc

# ------------------------------------------------------------------ polyiou

eps = 1E-8
maxn = 510


class Overflow(Exception):
    """polyiou would write past its stack array ``Point p[10]``."""


def sig(d):
    return int(d > eps) - int(d < -eps)


def same(a, b):  # Point::operator==
    return sig(a[0] - b[0]) == 0 and sig(a[1] - b[1]) == 0


def cross(o, a, b):
    return (a[0] - o[0]) * (b[1] - o[1]) - (b[0] - o[0]) * (a[1] - o[1])


def area(ps, n):
    ps[n] = ps[0]
    res = 0.0
    for i in range(n):
        res += ps[i][0] * ps[i + 1][1] - ps[i][1] * ps[i + 1][0]
    return res / 2.0


def lineCross(a, b, c, d, p, k):
    """Writes p[k] when it returns 1."""
    s1 = cross(a, b, c)
    s2 = cross(a, b, d)
    if sig(s1) == 0 and sig(s2) == 0:
        return 2
    if sig(s2 - s1) == 0:
        return 0
    p[k] = ((c[0] * s2 - d[0] * s1) / (s2 - s1), (c[1] * s2 - d[1] * s1) / (s2 - s1))
    return 1


pp = [(0.0, 0.0)] * maxn   # polygon_cut's `static Point pp[maxn]`
_written = set()           # slots of pp written during the current iou_poly call
history_reads = 0


def _store(p, k, value):
    if k >= len(p):
        raise Overflow()
    p[k] = value


def polygon_cut(p, n, a, b):
    global history_reads
    m = 0
    _store(p, n, p[0])
    for i in range(n):
        if sig(cross(a, b, p[i])) > 0:
            pp[m] = p[i]
            _written.add(m)
            m += 1
        if sig(cross(a, b, p[i])) != sig(cross(a, b, p[i + 1])):
            if lineCross(a, b, p[i], p[i + 1], pp, m) == 1:
                _written.add(m)
            elif m not in _written:
                history_reads += 1
            m += 1
    n = 0
    for i in range(m):
        if not i or not same(pp[i], pp[i - 1]):
            _store(p, n, pp[i])
            n += 1
    while n > 1 and same(p[n - 1], p[0]):
        n -= 1
    return n


def intersectArea_tri(a, b, c, d):
    o = (0.0, 0.0)
    s1 = sig(cross(o, a, b))
    s2 = sig(cross(o, c, d))
    if s1 == 0 or s2 == 0:
        return 0.0
    if s1 == -1:
        a, b = b, a
    if s2 == -1:
        c, d = d, c
    p = [o, a, b] + [None] * 7  # Point p[10]
    n = 3
    n = polygon_cut(p, n, o, c)
    n = polygon_cut(p, n, c, d)
    n = polygon_cut(p, n, d, o)
    if n >= len(p):
        raise Overflow()
    res = abs(area(p, n))
    if s1 * s2 == -1:
        res = -res
    return res


def intersectArea(ps1, n1, ps2, n2):
    if area(ps1, n1) < 0:
        ps1[:n1] = ps1[:n1][::-1]
    if area(ps2, n2) < 0:
        ps2[:n2] = ps2[:n2][::-1]
    ps1[n1] = ps1[0]
    ps2[n2] = ps2[0]
    res = 0.0
    for i in range(n1):
        for j in range(n2):
            res += intersectArea_tri(ps1[i], ps1[i + 1], ps2[j], ps2[j + 1])
    return res


def iou_poly(p, q):
    """polyiou.iou_poly(VectorDouble(p), VectorDouble(q)) of 8 values each."""
    _written.clear()
    ps1 = [(float(p[i * 2]), float(p[i * 2 + 1])) for i in range(4)] + [None]
    ps2 = [(float(q[i * 2]), float(q[i * 2 + 1])) for i in range(4)] + [None]
    n1 = 4
    n2 = 4
    inter_area = intersectArea(ps1, n1, ps2, n2)
    union_area = abs(area(ps1, n1)) + abs(area(ps2, n2)) - inter_area
    if union_area == 0:  # C++ division: +-inf or NaN, no exception
        if inter_area == 0 or inter_area != inter_area:
            return float("nan")
        return math.copysign(float("inf"), inter_area) * math.copysign(1.0, union_area)
    return inter_area / union_area


# ---------------------------------------------------------- task1 evaluation

def parse_gt(filename):
    objects = []
    with open(filename, 'r') as f:
        while True:
            line = f.readline()
            if line:
                splitlines = line.strip().split(' ')
                object_struct = {}
                if (len(splitlines) < 9):
                    continue
                object_struct['name'] = splitlines[8]

                if (len(splitlines) == 9):
                    object_struct['difficult'] = 0
                elif (len(splitlines) == 10):
                    object_struct['difficult'] = int(splitlines[9])
                object_struct['bbox'] = [float(splitlines[0]),
                                         float(splitlines[1]),
                                         float(splitlines[2]),
                                         float(splitlines[3]),
                                         float(splitlines[4]),
                                         float(splitlines[5]),
                                         float(splitlines[6]),
                                         float(splitlines[7])]
                objects.append(object_struct)
            else:
                break
    return objects


voc_ap = reference_voc.voc_ap  # the devkit's voc_ap is py-faster-rcnn's, line for line


def calcoverlaps(BBGT_keep, bb):
    overlaps = []
    for index, GT in enumerate(BBGT_keep):
        overlap = iou_poly(BBGT_keep[index], bb)
        overlaps.append(overlap)
    return overlaps


def task1_ovmax(bb, BBGT, calcoverlaps=calcoverlaps):
    """The loop body's (ovmax, jmax) for one detection bb (8,) and its
    image's GT BBGT (G, 8).  ``calcoverlaps(BBGT_keep, bb)`` is the list of
    polygon IoUs (the benchmarks pass a compiled one)."""
    ovmax = -np.inf
    jmax = None
    if BBGT.size > 0:
        BBGT_xmin = np.min(BBGT[:, 0::2], axis=1)
        BBGT_ymin = np.min(BBGT[:, 1::2], axis=1)
        BBGT_xmax = np.max(BBGT[:, 0::2], axis=1)
        BBGT_ymax = np.max(BBGT[:, 1::2], axis=1)
        bb_xmin = np.min(bb[0::2])
        bb_ymin = np.min(bb[1::2])
        bb_xmax = np.max(bb[0::2])
        bb_ymax = np.max(bb[1::2])

        ixmin = np.maximum(BBGT_xmin, bb_xmin)
        iymin = np.maximum(BBGT_ymin, bb_ymin)
        ixmax = np.minimum(BBGT_xmax, bb_xmax)
        iymax = np.minimum(BBGT_ymax, bb_ymax)
        iw = np.maximum(ixmax - ixmin + 1., 0.)
        ih = np.maximum(iymax - iymin + 1., 0.)
        inters = iw * ih

        # union
        uni = ((bb_xmax - bb_xmin + 1.) * (bb_ymax - bb_ymin + 1.) +
               (BBGT_xmax - BBGT_xmin + 1.) *
               (BBGT_ymax - BBGT_ymin + 1.) - inters)

        overlaps = inters / uni

        BBGT_keep_mask = overlaps > 0
        BBGT_keep = BBGT[BBGT_keep_mask, :]
        BBGT_keep_index = np.where(overlaps > 0)[0]
        if len(BBGT_keep) > 0:
            overlaps = calcoverlaps(BBGT_keep, bb)

            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
            jmax = BBGT_keep_index[jmax]
    return ovmax, jmax


def voc_eval_recs(recs, imagenames, detfile, classname, ovthresh=0.5, use_07_metric=False,
                  sort=None):
    """The task1 voc_eval from parsed annotations: py-faster-rcnn's blocks
    (class GT, reading dets, the loop; tests/reference_voc.py, identical
    statements) with task1_ovmax as the loop's overlaps (the devkit has no
    guard for an empty det file: callers must not pass one)."""
    class_recs, npos = reference_voc.class_gt(recs, imagenames, classname)
    image_ids, confidence, BB = reference_voc.read_dets(detfile)
    assert BB.shape[0] > 0, "the devkit crashes on an empty det file"
    return reference_voc.eval_dets(class_recs, npos, image_ids, confidence, BB, ovthresh,
                                   use_07_metric, sort, ovmax_of=task1_ovmax)


def voc_eval(detpath, annopath, imagesetfile, classname, ovthresh=0.5, use_07_metric=False,
             sort=None):
    with open(imagesetfile, 'r') as f:
        lines = f.readlines()
    imagenames = [x.strip() for x in lines]
    recs = {}
    for i, imagename in enumerate(imagenames):
        recs[imagename] = parse_gt(annopath.format(imagename))
    return voc_eval_recs(recs, imagenames, detpath.format(classname), classname, ovthresh,
                         use_07_metric, sort)


# ------------------------------------------------------------------- task2

def parse_gt_task2(filename):
    """dota_evaluation_task2.py's parse_gt (its voc_eval is py-faster-rcnn's
    loop, reference_voc.voc_eval_recs, without the guard for an empty det
    file: the devkit crashes there)."""
    objects = []
    with open(filename, 'r') as f:
        lines = f.readlines()
        splitlines = [x.strip().split(' ') for x in lines]
        for splitline in splitlines:
            object_struct = {}
            object_struct['name'] = splitline[8]
            if (len(splitline) == 9):
                object_struct['difficult'] = 0
            elif (len(splitline) == 10):
                object_struct['difficult'] = int(splitline[9])
            object_struct['bbox'] = [int(float(splitline[0])),
                                     int(float(splitline[1])),
                                     int(float(splitline[4])),
                                     int(float(splitline[5]))]
            w = int(float(splitline[4])) - int(float(splitline[0]))
            h = int(float(splitline[5])) - int(float(splitline[1]))
            object_struct['area'] = w * h
            objects.append(object_struct)
    return objects
