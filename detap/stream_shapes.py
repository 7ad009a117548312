"""The masks and keypoints the streaming ``Evaluator`` takes per row
(iou_type "segm" and "keypoints"), checked and converted to what the COCO
engine reads: masks as RLE columns (``coco.masks.MaskColumns``), keypoints
as an (n, 3 * K) float64 array of x, y in pixels and visibility v."""
import numpy as np

from . import mask as mask_api
from .coco.masks import mask_columns
from .errors import DetapInputError

__all__ = ["SHAPE_KEYS", "mask_rows", "keypoint_rows"]

#: Per-row masks and keypoints of iou_type "segm" / "keypoints"
SHAPE_KEYS = ("gt_masks", "det_masks", "gt_keypoints", "det_keypoints", "gt_num_keypoints")


def mask_rows(masks, n, name):
    """``MaskColumns`` of n masks: COCO RLE dicts (compressed, or
    uncompressed with their "size") or (h, w) binary arrays."""
    if masks is None:
        raise DetapInputError(f"iou_type='segm' needs {name}")
    masks = list(masks)
    if len(masks) != n:
        raise DetapInputError(f"{name} has {len(masks)} masks for {n} boxes")
    objs = []
    for i, m in enumerate(masks):
        if isinstance(m, dict):
            if isinstance(m.get("counts"), list):  # uncompressed: its own size
                h, w = m["size"]
                m = mask_api.frPyObjects(m, h, w)
            objs.append(m)
        else:
            a = np.asarray(m)
            if a.ndim != 2:
                raise DetapInputError(f"{name}[{i}] must be an RLE dict or an (h, w) array, "
                                      f"got shape {a.shape}")
            objs.append(mask_api.encode(np.asfortranarray(a.astype(np.uint8))))
    return mask_columns(objs, [None] * n, {}, name)


def keypoint_rows(k, n, K, name):
    """(n, 3 * K) float64 keypoints (x, y, v per point) of n rows, checked."""
    if k is None:
        raise DetapInputError(f"iou_type='keypoints' needs {name}")
    a = np.asarray(k, dtype=np.float64).reshape(n, -1) if n else np.zeros((0, 3 * K))
    if a.shape != (n, 3 * K):
        raise DetapInputError(f"{name} must have shape ({n}, {3 * K}) (x, y, v of {K} points), "
                              f"got {a.shape}")
    if not np.isfinite(a).all():
        raise DetapInputError(f"{name} holds a value that is not finite")
    return a
