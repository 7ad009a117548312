"""Point labels on a scatter plot that never overlap each other, the other
points or the axes' frame.

``place_labels`` tries each point in priority order at a few positions
around it (right-above, right-below, left-above, left-below, above, below)
and keeps the first position whose text box lies inside the axes and clear
of every label already placed and of every point's marker; a point with no
free position stays unlabelled.  A greedy choice, but it is deterministic,
needs only matplotlib's own text extents, and at 365 classes leaves a
readable subset instead of a black smear (a force-directed package such as
adjustText moves labels far from their points and is one more dependency).
"""
import numpy as np

__all__ = ["place_labels", "OFFSETS"]

#: (dx, dy) in points from the point to the text anchor, with the alignment
#: that puts the text on that side
OFFSETS = (((5, 3), "left", "bottom"), ((5, -3), "left", "top"),
           ((-5, 3), "right", "bottom"), ((-5, -3), "right", "top"),
           ((0, 6), "center", "bottom"), ((0, -6), "center", "top"))


def _overlaps(box, boxes):
    return any(box.x0 < b.x1 and b.x0 < box.x1 and box.y0 < b.y1 and b.y0 < box.y1
               for b in boxes)


def place_labels(ax, xs, ys, texts, order, *, fontsize=7, marker_px=4.0, limit=None):
    """Annotate the points (``xs``, ``ys`` in data coordinates) with
    ``texts``, trying the indices in ``order`` (most important first).
    The figure's layout must be final (call ``fig.canvas.draw()`` first);
    the labels are kept out of the layout so they do not move it.  At most
    ``limit`` labels (None: no limit).  Returns the indices that got a
    label."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pts = ax.transData.transform(np.column_stack([xs, ys])) if len(xs) else np.zeros((0, 2))
    placed, done = [], []
    for i in order:
        if limit is not None and len(done) >= limit:
            break
        for offset, ha, va in OFFSETS:
            ann = ax.annotate(texts[i], (xs[i], ys[i]), xytext=offset,
                              textcoords="offset points", ha=ha, va=va, fontsize=fontsize,
                              zorder=5)
            ann.set_in_layout(False)
            box = ann.get_window_extent(renderer).padded(1.0)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            others = np.delete(pts, i, axis=0)
            hits_point = bool(np.any((others[:, 0] > box.x0 - marker_px)
                                     & (others[:, 0] < box.x1 + marker_px)
                                     & (others[:, 1] > box.y0 - marker_px)
                                     & (others[:, 1] < box.y1 + marker_px)))
            if inside and not hits_point and not _overlaps(box, placed):
                placed.append(box)
                done.append(i)
                break
            ann.remove()
    return done
