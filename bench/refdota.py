"""The baseline of bench/test_bench_dota.py: DOTA_devkit's task 1 loop
(tests/reference_dota.py, the devkit's Python statements) with its polygon
IoU compiled.

The devkit calls polyiou (C++ through SWIG) once per (GT, detection) pair,
converting both to ``VectorDouble`` each time.  The baseline is kinder: its
``calcoverlaps`` makes one call per detection to compiled code computing
polyiou's arithmetic on all of the detection's kept GT at once
(``compiled_polygon_iou``: ``detap.dota.polygon_iou``'s checks around
csrc/quad_iou.c's faithful path, which is polyiou.cpp's algorithm, step for
step, in C, so the baseline's numbers are the devkit's bit for bit and the
benchmark can check them).  So the measured ratio is not flattered by a
pure-Python IoU, nor by SWIG's per-pair overhead.  It is not detap's fast
path (the same numbers by other means: quad_simd.c), which is detap's work,
not the devkit's; until detap had one, the faithful path was all
``polygon_iou`` ran, so this baseline is the one measured before it.
"""
import numpy as np

from detap import _core
from detap.core import as_boxes, warn_stale_memory
from tests import reference_dota, reference_voc

__all__ = ["compiled_calcoverlaps", "compiled_calcoverlaps_per_pair", "devkit_loop",
           "devkit_recs"]


def compiled_polygon_iou(dets, gts):
    """(N, M) ``iou_poly(gts[j], dets[i])``: detap.dota.polygon_iou's checks
    and warning around polyiou's own algorithm compiled (the faithful path)."""
    d = as_boxes(dets, "dets", width=8)
    g = as_boxes(gts, "gts", width=8)
    out, undefined = _core.quad_iou_matrix(d, g, _core.QUAD_FAITHFUL)
    warn_stale_memory(int(undefined))
    return out


def compiled_calcoverlaps(BBGT_keep, bb):
    """One compiled call per detection for all its kept GT."""
    return compiled_polygon_iou(bb[None, :], BBGT_keep)[0]


def compiled_calcoverlaps_per_pair(BBGT_keep, bb):
    """One compiled call per (GT, detection) pair, as the devkit's loop
    calls polyiou (without SWIG's VectorDouble conversions)."""
    return [compiled_polygon_iou(bb[None, :], g[None, :])[0, 0] for g in BBGT_keep]


_OVMAX = {
    "per-det": lambda bb, BBGT: reference_dota.task1_ovmax(bb, BBGT, compiled_calcoverlaps),
    "per-pair": lambda bb, BBGT: reference_dota.task1_ovmax(bb, BBGT,
                                                            compiled_calcoverlaps_per_pair),
}


def devkit_recs(annopath, imagenames):
    """The devkit's ``recs``: parse_gt of every image (the part a loop over
    classes repeats per class; the warm baseline does it once, untimed)."""
    return {n: reference_dota.parse_gt(annopath.format(n)) for n in imagenames}


def devkit_loop(recs, imagenames, detfile, classname, ovthresh=0.5, use_07_metric=False,
                calls="per-det"):
    """rec, prec, ap of the devkit's voc_eval from parsed annotations, the
    polygon IoU called ``calls`` ("per-det" or "per-pair")."""
    class_recs, npos = reference_voc.class_gt(recs, imagenames, classname)
    image_ids, confidence, BB = reference_voc.read_dets(detfile)
    return reference_voc.eval_dets(class_recs, npos, image_ids, confidence, BB, ovthresh,
                                   use_07_metric, ovmax_of=_OVMAX[calls])
