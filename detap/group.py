"""The grouping stage (csrc/group.c): rows by image, and pycocotools' cells.

Every grouping is a stable counting sort or merge, so rows keep dataset
order inside a group, which is what breaks ties in the references.  This
module is the one Python caller of those kernels.
"""
import numpy as np

from . import _core

__all__ = ["by_image", "coco_cells", "merge_cells"]


def by_image(img, n, threads=1):
    """Stable grouping of rows by index ``img`` (m,) in [0, n): (offsets
    (n + 1,), perm (m,)); group i is rows perm[offsets[i]:offsets[i + 1]].
    ``threads`` as detap.threads (large inputs only; default one)."""
    return _core.group_by_image(np.ascontiguousarray(img, dtype=np.int64), int(n), threads)


def coco_cells(g_image, g_cat, d_image, d_cat, lut_img, lut_cat, n_images, n_cats, threads):
    """pycocotools' cells of both sides at once (useCats, unique ids): each
    side's evaluated rows ordered by (category position, image position,
    dataset order) and their keys category * n_images + image; ``lut_*``
    map ids to positions (-1: not evaluated).  (g_rows, g_keys, d_rows, d_keys)."""
    return _core.coco_group(g_image, g_cat, d_image, d_cat, lut_img, lut_cat, n_images, n_cats,
                            threads)


def merge_cells(a_key, b_key):
    """The cells with rows on either side (sorted keys) and each side's
    offsets: (keys, a_off, b_off)."""
    return _core.merge_cells(a_key, b_key)
