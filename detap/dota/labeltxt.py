"""DOTA labelTxt ground truth, read as DOTA_devkit's ``parse_gt`` reads it.

A labelTxt file (DOTA v1.0, v1.5, v2.0) holds one object per line::

    x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]

(pixels, the quadrilateral's four vertices), after optional header lines
such as ``imagesource:GoogleEarth`` and ``gsd:0.146``.  As in the devkit,
a line of fewer than 9 fields is skipped, ``difficult`` is 0 when absent
and any non-zero integer marks a difficult object.

Where the devkit crashes or silently misreads, this raises
``DetapInputError`` naming the file and line: more than 10 fields (the
devkit's KeyError), a coordinate that is not a finite number (it reads
``nan``/``inf``), a difficult flag that is not an integer, and fields
separated by anything but single spaces (the devkit splits on ``' '``, so
it skips or crashes on such a line).

Task 2 (horizontal boxes) reads the same files the way
``dota_evaluation_task2.py`` does: the box is ``[int(x1), int(y1), int(x3),
int(y3)]`` (truncated toward zero), vertex 1 taken as the top-left corner
and vertex 3 as the bottom-right one.
"""
import numpy as np

from .. import _core
from ..errors import DetapInputError
from ..threads import nthreads
from ..voc import AnnotationReader, annotation_paths

__all__ = ["parse_gt", "parse_gt_task2", "objects_task1", "objects_task2", "TASK1_READER",
           "TASK2_READER"]

_NAMES = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")


def _lines(filename):
    try:
        with open(filename, "r", encoding="utf-8-sig") as f:
            # universal newlines, as the devkit's readline: \n, \r\n and \r
            return f.read().split("\n")
    except UnicodeDecodeError as e:
        raise DetapInputError(f"not UTF-8 text ({e.reason})", filename) from None


def _records(filename):
    """(line number, 8 coordinates, class name, difficult) of each object line."""
    out = []
    for no, line in enumerate(_lines(filename), 1):
        tokens = line.split()
        if len(tokens) < 9:
            continue  # headers (imagesource:, gsd:) and blank lines, as the devkit
        if line.strip().split(" ") != tokens:
            raise DetapInputError(
                "fields are not separated by single spaces (DOTA_devkit's parse_gt splits on "
                "' ' and would skip or misread this line)", filename, no)
        if len(tokens) > 10:
            raise DetapInputError(
                f"expected 'x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]', got {len(tokens)} fields",
                filename, no)
        coords = []
        for name, tok in zip(_NAMES, tokens):
            try:
                v = float(tok)
            except ValueError:
                raise DetapInputError(f"{name} is not a number: {tok!r}", filename, no) from None
            if not np.isfinite(v):
                raise DetapInputError(f"{name} is not finite: {tok!r}", filename, no)
            coords.append(v)
        difficult = 0
        if len(tokens) == 10:
            try:
                difficult = int(tokens[9])
            except ValueError:
                raise DetapInputError(f"difficult is not an integer: {tokens[9]!r}",
                                      filename, no) from None
        out.append((no, coords, tokens[8], difficult))
    return out


def parse_gt(filename):
    """The objects of a labelTxt file as DOTA_devkit's task1 ``parse_gt``:
    dicts with ``name``, ``difficult`` (int) and ``bbox`` (8 floats)."""
    return [{"name": name, "difficult": diff, "bbox": coords}
            for _, coords, name, diff in _records(filename)]


def _task2_box(coords):
    # the devkit's int(float(s)): truncation toward zero, back to float
    return [float(int(coords[0])), float(int(coords[1])), float(int(coords[4])),
            float(int(coords[5]))]


def parse_gt_task2(filename):
    """The objects of a labelTxt file as DOTA_devkit's task2 ``parse_gt``:
    dicts with ``name``, ``difficult``, ``bbox`` ``[xmin, ymin, xmax, ymax]``
    (ints: int(x1), int(y1), int(x3), int(y3)) and ``area`` (w * h on them).
    Header lines, on which the devkit's task2 crashes, are skipped."""
    out = []
    for _, coords, name, diff in _records(filename):
        box = [int(v) for v in _task2_box(coords)]
        out.append({"name": name, "difficult": diff, "bbox": box,
                    "area": (box[2] - box[0]) * (box[3] - box[1])})
    return out


def objects_task1(filename):
    """(class, 8 coordinates, difficult) of each object: TASK1_READER's parse."""
    return [(name, coords, diff) for _, coords, name, diff in _records(filename)]


def objects_task2(filename):
    """(class, [xmin, ymin, xmax, ymax] truncated as task2, difficult)."""
    return [(name, _task2_box(coords), diff) for _, coords, name, diff in _records(filename)]


def read_all(annopath, names, threads=None):
    """Every labelTxt file ``annopath.format(name)`` at once, as columns:
    (class names, obj_img (n,) int64, obj_cls (n,) int64 into the names,
    quads (n, 8), difficult (n,) uint8), objects in image order, then line
    order.  The C reader (csrc/labeltxt.h) reads the files on ``threads``
    threads; a file it leaves (anything but plain ASCII object lines, or
    one it cannot open) is read by ``_records``, so errors name the file
    and line as ever."""
    paths, encoded = annotation_paths(annopath, names)
    status, quad, img, cls, difficult, classes = _core.read_labeltxt(encoded, nthreads(threads))
    left = np.flatnonzero(status != _core.LABELTXT_OK)
    if not len(left):
        return classes, img, cls, quad, difficult
    index = {c: k for k, c in enumerate(classes)}
    rows = [(k, index.setdefault(name, len(index)), coords, diff != 0)
            for k in left.tolist() for _, coords, name, diff in _records(paths[k])]
    classes = list(index)
    n = len(rows)
    img = np.concatenate([img, np.array([r[0] for r in rows], dtype=np.int64)])
    order = np.argsort(img, kind="stable")  # each file is read by one of the two
    cat = lambda a, b, t: np.concatenate([a, np.array(b, dtype=t)])[order]  # noqa: E731
    return (classes, img[order], cat(cls, [r[1] for r in rows], np.int64),
            cat(quad, np.reshape([r[2] for r in rows], (n, 8)), np.float64),
            cat(difficult, [r[3] for r in rows], np.uint8))


def _read_task2(annopath, names, threads=None):
    classes, img, cls, quad, difficult = read_all(annopath, names, threads)
    # _task2_box's float(int(v)) on x1, y1, x3, y3: truncation toward zero
    # (+ 0.0: a +0.0 where np.trunc gives -0.0, as float(int(-0.5)))
    return classes, img, cls, np.ascontiguousarray(np.trunc(quad[:, [0, 1, 4, 5]]) + 0.0), difficult


#: labelTxt as quadrilaterals (n, 8), for task 1
TASK1_READER = AnnotationReader("dota-task1", objects_task1, 8, read_all)
#: labelTxt as task2's truncated horizontal boxes (n, 4)
TASK2_READER = AnnotationReader("dota-task2", objects_task2, 4, _read_task2)
