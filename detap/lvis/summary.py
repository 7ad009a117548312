"""lvis-api's 13 summary numbers and the lines ``print_results`` prints.

Each number is the mean of the entries > -1 of a slice of precision
(T, R, K, A) or recall (T, K, A), or -1 when there is none: the same
numpy selection (so the same summation order) as lvis-api, which is what
makes the means equal bit for bit.  A frequency group slices the K axis
by the positions of its categories in ``params.cat_ids``; a group with no
category gives -1.
"""
from collections import OrderedDict

import numpy as np

from ..errors import DetapInputError

__all__ = ["FREQUENCIES", "RESULTS", "frequency_groups", "summarize", "summary_value",
           "result_lines"]

#: the frequency groups, in lvis-api's order (r: < 10 training images,
#: c: 10 to 99, f: >= 100)
FREQUENCIES = ("r", "c", "f")

#: (name, AP (1) or AR (0), IoU threshold or None for all, area range label,
#: frequency group or None); AR names get "@<max_dets>" appended
RESULTS = (
    ("AP", 1, None, "all", None),
    ("AP50", 1, .5, "all", None),
    ("AP75", 1, .75, "all", None),
    ("APs", 1, None, "small", None),
    ("APm", 1, None, "medium", None),
    ("APl", 1, None, "large", None),
    ("APr", 1, None, "all", "r"),
    ("APc", 1, None, "all", "c"),
    ("APf", 1, None, "all", "f"),
    ("AR", 0, None, "all", None),
    ("ARs", 0, None, "small", None),
    ("ARm", 0, None, "medium", None),
    ("ARl", 0, None, "large", None),
)


def frequency_groups(cat_ids, frequencies):
    """Positions (in ``cat_ids`` order: params.cat_ids) of the categories
    of each group r, c, f, from each category's "frequency" letter."""
    groups = [[] for _ in FREQUENCIES]
    for k, f in enumerate(frequencies):
        if f not in FREQUENCIES:
            raise DetapInputError(f"category {cat_ids[k]!r} has 'frequency' {f!r}; LVIS uses "
                                  "'r', 'c' or 'f'")
        groups[FREQUENCIES.index(f)].append(k)
    return groups


def _mean(s):
    kept = s[s > -1]
    return -1 if len(kept) == 0 else np.mean(kept)


def _one(precision, recall, params, groups, ap, iou_thr, area, freq):
    return summary_value(precision, recall, params, groups, ap, iou_thr, area,
                         None if freq is None else FREQUENCIES.index(freq))


def summary_value(precision, recall, params, groups, ap, iou_thr=None, area="all", group=None):
    """One summary number (lvis-api's ``_summarize``): the mean of the
    entries > -1 of precision (``ap``) or recall at ``iou_thr`` (None: every
    threshold), area range label ``area``, frequency group position
    ``group`` in ``groups`` (None: every category; AP only), or -1."""
    aidx = [i for i, lbl in enumerate(params.area_rng_lbl) if lbl == area]
    s = precision if ap else recall
    if iou_thr is not None:
        s = s[np.where(iou_thr == params.iou_thrs)[0]]
    if not ap:
        return _mean(s[:, :, aidx])
    if group is None:
        return _mean(s[:, :, :, aidx])
    return _mean(s[:, :, groups[group], aidx])


def summarize(precision, recall, params, groups):
    """The 13 numbers as lvis-api's ``results`` (an OrderedDict: AP, AP50,
    AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300;
    numpy float64, or the int -1 where a slice has no entry)."""
    out = OrderedDict()
    for name, ap, iou_thr, area, freq in RESULTS:
        key = name if ap else f"{name}@{params.max_dets}"
        out[key] = _one(precision, recall, params, groups, ap, iou_thr, area, freq)
    return out


_LINE = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} catIds={:>3s}] = {:0.3f}"


def result_lines(results, params):
    """The lines lvis-api's ``print_results`` prints, one per result
    (each key's third letter names its IoU, area or frequency group)."""
    lines = []
    thrs = params.iou_thrs
    for key, value in results.items():
        ap = "AP" in key
        third = key[2] if len(key) > 2 else ""
        iou = ("{:0.2f}".format(float(key[2:]) / 100) if third.isdigit()
               else "{:0.2f}:{:0.2f}".format(thrs[0], thrs[-1]))
        group = third if third in FREQUENCIES else "all"
        area = third if third in ("s", "m", "l") else "all"
        lines.append(_LINE.format("Average Precision" if ap else "Average Recall",
                                  "(AP)" if ap else "(AR)", iou, area, params.max_dets, group,
                                  value))
    return lines
