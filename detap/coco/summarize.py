"""The summarize stage: pycocotools' summary numbers from accumulate's arrays.

``BBOX_STATS`` is the one definition of the 12 box numbers (what each
averages); ``summarize`` computes them with pycocotools' own expressions
(the mean of the entries > -1, or -1) and the lines pycocotools prints.
``KEYPOINTS_STATS`` the 10 keypoint numbers (pycocotools' _summarizeKps);
``stats_table("obb", maxDets)`` hotcoco's 12 numbers of rotated boxes.
"""
import numpy as np

__all__ = ["BBOX_STATS", "KEYPOINTS_STATS", "summarize", "stats_table"]

#: (AP (1) or AR (0), IoU threshold or None for all, area range label,
#: maxDets: an int is that value, ("at", i) is params.maxDets[i]).  The first
#: uses pycocotools' default argument maxDets=100, whatever params say.
BBOX_STATS = (
    (1, None, "all", 100),
    (1, .5, "all", ("at", 2)),
    (1, .75, "all", ("at", 2)),
    (1, None, "small", ("at", 2)),
    (1, None, "medium", ("at", 2)),
    (1, None, "large", ("at", 2)),
    (0, None, "all", ("at", 0)),
    (0, None, "all", ("at", 1)),
    (0, None, "all", ("at", 2)),
    (0, None, "small", ("at", 2)),
    (0, None, "medium", ("at", 2)),
    (0, None, "large", ("at", 2)),
)

#: The keypoint numbers: maxDets=20 throughout (pycocotools' literal), area
#: ranges all / medium / large.
KEYPOINTS_STATS = (
    (1, None, "all", 20),
    (1, .5, "all", 20),
    (1, .75, "all", 20),
    (1, None, "medium", 20),
    (1, None, "large", 20),
    (0, None, "all", 20),
    (0, .5, "all", 20),
    (0, .75, "all", 20),
    (0, None, "medium", 20),
    (0, None, "large", 20),
)


def stats_table(iou_type, max_dets=(1, 10, 100)):
    """The summary table of pycocotools' iouType: boxes and masks share one.
    "obb" (hotcoco's, which pycocotools has not) is BBOX_STATS with hotcoco's
    maxDets: every AP and the size ARs at the largest of ``max_dets``, AR@1
    and AR@10 at the smallest two when there are three or more (else at the
    largest too) -- pycocotools' own for [1, 10, 100]."""
    if iou_type == "keypoints":
        return KEYPOINTS_STATS
    if iou_type != "obb":
        return BBOX_STATS
    m = sorted(max_dets)
    cap = m[-1] if m else 100
    low = (m[0], m[1]) if len(m) >= 3 else (cap, cap)
    return tuple((ap, iou, area, low[j - 6] if j in (6, 7) else cap)
                 for j, (ap, iou, area, _) in enumerate(BBOX_STATS))


_LINE = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"


def _one(precision, recall, p, ap, iou_thr, area, max_dets):
    iou_str = ("{:0.2f}:{:0.2f}".format(p.iouThrs[0], p.iouThrs[-1]) if iou_thr is None
               else "{:0.2f}".format(iou_thr))
    aind = [i for i, a in enumerate(p.areaRngLbl) if a == area]
    mind = [i for i, m in enumerate(p.maxDets) if m == max_dets]
    s = precision if ap == 1 else recall
    if iou_thr is not None:
        s = s[np.where(iou_thr == p.iouThrs)[0]]
    s = s[:, :, :, aind, mind] if ap == 1 else s[:, :, aind, mind]
    mean_s = -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])
    line = _LINE.format("Average Precision" if ap == 1 else "Average Recall",
                        "(AP)" if ap == 1 else "(AR)", iou_str, area, max_dets, mean_s)
    return mean_s, line


def summarize(precision, recall, params, table=BBOX_STATS):
    """(stats (len(table),) float64, the lines pycocotools prints), from
    accumulate's precision (T, R, K, A, M) and recall (T, K, A, M) under
    ``params`` (iouThrs, areaRngLbl, maxDets)."""
    stats = np.zeros((len(table),))
    lines = []
    for j, (ap, iou_thr, area, md) in enumerate(table):
        max_dets = params.maxDets[md[1]] if isinstance(md, tuple) else md
        stats[j], line = _one(precision, recall, params, ap, iou_thr, area, max_dets)
        lines.append(line)
    return stats, lines
