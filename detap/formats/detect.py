"""Telling a data set's format from its files.

Rules, in order (``gt`` decides; ``dt`` helps only with line files):

1. a ``.json`` file: "coco";
2. a folder of ``*.xml``, a VOC root (``Annotations/``) or a VOCdevkit: "voc";
3. a Cartucho ``input/`` folder (``ground-truth/``) or a folder named
   ``ground-truth``: "cartucho";
4. a DOTA split folder (``labelTxt/``): "dota";
5. a folder of ``*.txt``: its lines (of the first files, and of ``dt``'s
   when given) decide:
   - ``name x1 y1 x2 y2 [difficult]`` / ``name conf x1 y1 x2 y2`` with a
     non-numeric class name and x1 <= x2, y1 <= y2 everywhere: "cartucho";
   - ``int cx cy w h`` / ``int cx cy w h conf`` with the numbers in
     [0, 1]: "yolo";
   - labelTxt lines ``x1 y1 ... x4 y4 name [difficult]`` (and headers
     such as ``imagesource:GoogleEarth``, ``gsd:0.15``), Task1 detection
     lines ``image score x1 y1 ... x4 y4``: "dota";
   - ``int x1 y1 ... x4 y4`` / ``int x1 y1 ... x4 y4 conf`` with the
     numbers in [0, 1]: "yolo-obb".

Anything else (e.g. ``class x y w h`` lines, which are text but whose box
format no file states) is a ``DetapInputError`` that says what is
ambiguous and asks for ``--format``.
"""
import os

from ..errors import DetapInputError
from . import cartucho, dota, text, voc
from .names import NAMES_FILE

__all__ = ["detect_format"]

_SAMPLE_FILES = 50     # files looked at per folder
_SAMPLE_LINES = 2000   # lines looked at per folder
_ALL = frozenset({"cartucho", "yolo", "text", "dota", "yolo-obb"})
_HINT = ("pass --format (format=) voc, coco, yolo, cartucho, text, dota or yolo-obb; for text "
         "also --box-format xyxy|xywh|cxcywh|quad|obb and --relative when coordinates are fractions")


def detect_format(gt, dt=None):
    """The format name of ground truth ``gt`` (and detections ``dt``): one
    of "voc", "coco", "cartucho", "yolo", "dota", "yolo-obb" (see the module
    doc)."""
    gt = os.fspath(gt)
    if os.path.isfile(gt):
        if gt.lower().endswith(".json"):
            return "coco"
        raise DetapInputError("cannot tell the format of this file (a COCO file ends in "
                              f".json; other formats are folders): {_HINT}", gt)
    if not os.path.isdir(gt):
        raise DetapInputError("no such file or folder", gt)
    if voc.is_layout(gt):
        return "voc"
    if cartucho.is_root(gt) or os.path.basename(os.path.abspath(gt)) == cartucho.GT_DIR:
        return "cartucho"
    if dota.is_layout(gt):
        return "dota"
    return _from_lines(gt, None if dt is None else os.fspath(dt))


def _from_lines(gt, dt):
    fits, seen = set(_ALL), 0
    for folder, dets in ((gt, False), (dt, True)):
        if folder is None or not os.path.isdir(folder):
            continue
        for path, no, parts in _sample(folder):
            kinds = _line_kinds(parts, dets)
            seen += 1
            if not kinds & fits:
                raise DetapInputError(f"this line fits no known format ({' '.join(parts)!r})"
                                      f"{_side_hint(parts, dets)}; {_HINT}", path, no)
            fits &= kinds
    if not seen:
        raise DetapInputError(f"no boxes to tell the format from (no .txt lines): {_HINT}", gt)
    for name in ("cartucho", "yolo", "dota", "yolo-obb"):
        if name in fits:
            return name
    raise DetapInputError("the lines look like 'class x y w h' text boxes, but which box "
                          f"format (and whether pixels or fractions) cannot be told: {_HINT}", gt)


def _side_hint(parts, dets):
    """A YOLO or YOLO-OBB line of the other side: a detection without its
    confidence (last), or ground truth with one."""
    other = _line_kinds(parts, not dets) & {"yolo", "yolo-obb"}
    if not other:
        return ""
    name = "YOLO-OBB" if "yolo-obb" in other else "YOLO"
    if dets:
        return (f": it reads as {name} ground truth; {name} detection lines end with a "
                "confidence")
    return f": it reads as a {name} detection (a confidence last); ground-truth lines have none"


def _sample(folder):
    """(path, line number, fields) of the first non-blank lines."""
    n = 0
    names_file = os.path.join(folder, NAMES_FILE)  # YOLO's names, not labels
    for path in text.list_files(folder, exclude=(names_file,))[:_SAMPLE_FILES]:
        for no, raw in enumerate(text.read_text(path).split("\n"), 1):
            parts = raw.split()
            if parts:
                yield path, no, parts
                n += 1
                if n >= _SAMPLE_LINES:
                    return


def _number(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return v if v == v else None


def _line_kinds(parts, dets):
    """The formats a line can belong to."""
    if len(parts) >= 9:
        return _quad_kinds(parts, dets)
    if len(parts) == 1 and parts[0].split(":", 1)[0] in _DOTA_HEADERS and not dets:
        return {"dota"}
    if parts[-1] == "difficult" and not dets:
        parts = parts[:-1]
        only = {"cartucho"}
    else:
        only = _ALL
    nums = [_number(s) for s in parts[1:]]
    if len(parts) != (6 if dets else 5) or None in nums:
        return set()
    if _number(parts[0]) is not None:  # a class id
        if parts[0].isdigit() and all(0 <= v <= 1 for v in nums):
            return {"yolo", "text"} & only
        return {"text"} & only
    x1, y1, x2, y2 = nums[-4:]
    valid_xyxy = x1 <= x2 and y1 <= y2
    return ({"cartucho", "text"} if valid_xyxy else {"text"}) & only


_DOTA_HEADERS = ("imagesource", "gsd")
# Ultralytics' DOTA-to-YOLO-OBB conversion does not clip: vertices of
# objects at an image's border come out slightly below 0 or above 1
_OBB_MARGIN = 0.05


def _normalised(values):
    return all(-_OBB_MARGIN <= v <= 1 + _OBB_MARGIN for v in values)


def _quad_kinds(parts, dets):
    """The formats a line of 9 or more fields can belong to: labelTxt and
    Task1 (dota) or YOLO-OBB lines."""
    nums = [_number(s) for s in parts]
    if dets:
        if len(parts) == 10 and None not in nums[1:]:
            if nums[0] is not None and parts[0].isdigit() and _normalised(nums[1:]):
                return {"yolo-obb", "text"}
            return {"dota", "text"}
        return set()
    if len(parts) in (9, 10) and None not in nums[:8] and nums[8] is None:
        return {"dota"} if len(parts) == 9 or parts[9].lstrip("-").isdigit() else set()
    if len(parts) == 9 and parts[0].isdigit() and None not in nums and _normalised(nums[1:]):
        return {"yolo-obb", "text"}
    return {"text"} if len(parts) == 9 and None not in nums[1:] else set()
