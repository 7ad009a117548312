"""pycocotools' ``COCO.showAnns``: annotations drawn on the current
matplotlib axes (matplotlib is an optional dependency, imported here only).

Polygons are outlined and filled translucently, masks (RLE) overlaid at
half opacity (crowd masks in one fixed green), keypoints drawn with the
category's skeleton: labelled points (v > 0) as dots, visible ones (v > 1)
filled.  ``draw_bbox`` adds each annotation's box.  Pixels; xywh boxes.
"""
import numpy as np

from .. import mask as mask_api

__all__ = ["show_anns"]

CROWD_COLOUR = np.array([2.0, 166.0, 101.0]) / 255


def show_anns(coco, anns, draw_bbox=False):
    """Draw ``anns`` (dicts of ``coco``) on plt.gca(); 0 for an empty list."""
    if len(anns) == 0:
        return 0
    if "caption" in anns[0] and "segmentation" not in anns[0] and "keypoints" not in anns[0]:
        for ann in anns:
            print(ann["caption"])
        return None
    if "segmentation" not in anns[0] and "keypoints" not in anns[0]:
        raise Exception("datasetType not supported")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    ax = plt.gca()
    ax.set_autoscale_on(False)
    shapes, colours = [], []
    for ann in anns:
        colour = (np.random.random(3) * 0.6 + 0.4).tolist()
        seg = ann.get("segmentation")
        if isinstance(seg, list):
            for part in seg:
                shapes.append(Polygon(np.asarray(part, dtype=float).reshape(-1, 2)))
                colours.append(colour)
        elif isinstance(seg, dict):
            m = mask_api.decode(coco.annToRLE(ann))
            tint = CROWD_COLOUR if ann.get("iscrowd") == 1 else np.random.random(3)
            overlay = np.empty(m.shape + (4,))
            overlay[..., :3] = tint
            overlay[..., 3] = m * 0.5
            ax.imshow(overlay)
        if isinstance(ann.get("keypoints"), list):
            _keypoints(plt, coco, ann, colour)
        if draw_bbox and "bbox" in ann:
            x, y, w, h = ann["bbox"]
            shapes.append(Polygon(np.array([[x, y], [x, y + h], [x + w, y + h], [x + w, y]])))
            colours.append(colour)
    ax.add_collection(PatchCollection(shapes, facecolor=colours, linewidths=0, alpha=0.4))
    ax.add_collection(PatchCollection(shapes, facecolor="none", edgecolors=colours, linewidths=2))
    return None


def _keypoints(plt, coco, ann, colour):
    kp = np.asarray(ann["keypoints"], dtype=float)
    x, y, v = kp[0::3], kp[1::3], kp[2::3]
    skeleton = coco.loadCats(ann["category_id"])[0].get("skeleton", [])
    for a, b in np.asarray(skeleton, dtype=int).reshape(-1, 2) - 1:
        if v[a] > 0 and v[b] > 0:
            plt.plot(x[[a, b]], y[[a, b]], linewidth=3, color=colour)
    plt.plot(x[v > 0], y[v > 0], "o", markersize=8, markerfacecolor=colour, markeredgecolor="k",
             markeredgewidth=2)
    plt.plot(x[v > 1], y[v > 1], "o", markersize=8, markerfacecolor=colour,
             markeredgecolor=colour, markeredgewidth=2)
