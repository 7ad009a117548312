"""What a results file holds, as loadRes decides it from its first record
(pycocotools' rule; hotcoco's for rotated boxes), and the keypoints the C
reader read."""
import numpy as np

from .. import _core
from ..errors import DetapInputError

__all__ = ["fast_result_kind", "uniform_kp", "fast_keypoints", "result_kind"]


def fast_result_kind(fast):
    """The kind of a results file the C reader read ("bbox", "segm",
    "keypoints" or "obb"), as pycocotools (hotcoco for "obb") decides it
    from the first record, or None when Python's json must read it: other
    shapes, missing fields, or a shape on only some records."""
    if fast is None or not fast["top_is_array"]:
        return None
    has = fast["has"]
    if bool(np.any(has & _core.HAS_SEGMENTATION)):
        return None
    need = _core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_SCORE
    if not bool(np.all((has & need) == need)):
        return None
    rle = fast["rle_len"] >= 0
    some_kp = bool((fast["kp_len"] >= 0).any())
    if some_kp and not uniform_kp(fast):
        return None  # keypoints on only some records, or of different lengths
    if not len(has) or has[0] & _core.HAS_BBOX:
        # box results: every record needs a box; masks on all or on none
        ok = bool(np.all(has & _core.HAS_BBOX)) and (bool(rle.all()) or not rle.any())
        return "bbox" if ok else None
    if bool(rle.all()):
        return "segm"
    if some_kp or rle.any():
        return "keypoints" if some_kp and not rle.any() else None
    obb = fast["obb"]  # hotcoco's rotated-box results: every record needs one
    return "obb" if len(obb) and not bool(np.isnan(obb[:, 0]).any()) else None


def uniform_kp(fast):
    """True when the C reader read keypoints of one length, a multiple of 3,
    on every record (anything else is for the dict path to judge)."""
    kp = fast["kp_len"]
    return bool(kp.size) and kp[0] >= 0 and kp[0] % 3 == 0 and bool(np.all(kp == kp[0]))


def fast_keypoints(fast):
    """(n, 3K) keypoints the C reader read, or None unless every record has
    keypoints of one length."""
    if not uniform_kp(fast):
        return None
    kp_len = fast["kp_len"]
    n, width = len(kp_len), int(kp_len[0])
    starts = fast["kp_start"]
    if width and bool(np.all(starts == np.arange(n) * width)):
        return fast["kp"].reshape(n, width)
    return fast["kp"][starts[:, None] + np.arange(width)] if width else np.zeros((n, 0))


def result_kind(anns, where):
    """pycocotools' loadRes reads the first record to decide what results
    are: "bbox", "segm" or "keypoints"."""
    if not anns:
        return "bbox"
    first = anns[0]
    if not isinstance(first, dict):
        raise DetapInputError(f"{where}: record 0 is not an object: {first!r:.80}")
    if "bbox" in first and not (isinstance(first["bbox"], list) and first["bbox"] == []):
        return "bbox"
    if "segmentation" in first:
        return "segm"
    if "keypoints" in first:
        return "keypoints"
    if "obb" in first:  # hotcoco's rotated-box results (its loadRes: after the others)
        return "obb"
    if "caption" in first:
        raise DetapInputError(f"{where}: caption results are not detections (detap evaluates "
                              "boxes, masks and keypoints)")
    raise DetapInputError(f"{where}: record 0 has no 'bbox', 'segmentation', 'keypoints' or 'obb'")
