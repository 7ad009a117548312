"""Line-based box files: one text file per image, one box per line.

The one reader and writer behind three formats that differ only in the
order and meaning of a line's fields (``Layout``):

- cartucho: GT ``class x1 y1 x2 y2 [difficult]``, detections
  ``class conf x1 y1 x2 y2``; pixels, xyxy
- text: GT ``class <box>``, detections ``class conf <box>``; any box
  format, pixels or relative
- yolo: GT ``id cx cy w h``, detections ``id cx cy w h conf``; relative,
  cxcywh, ``id`` an index into the class names

Fields are separated by any whitespace; blank lines are skipped; a class
name cannot contain whitespace.  A file ``<key>.txt`` holds the boxes of
image ``<key>``; an image whose file is missing or empty has no boxes.
Images are the union of the ground-truth and detection files' keys (a
detection file without a ground-truth file adds its image, as the tools
that use these layouts do), sorted by file name, which is the order the
tools read them in.  Rows keep file order, then line order.

Box formats of a line: "xyxy" = x1 y1 x2 y2 (corners), "xywh" = x y w h
(top-left corner and size), "cxcywh" = cx cy w h (centre and size),
"quad" = x1 y1 x2 y2 x3 y3 x4 y4 (an oriented box's four vertices, as
YOLO-OBB writes them), "obb" = cx cy w h angle (a rotated rectangle:
centre and size in pixels, the angle in radians, hotcoco's and mmrotate's
unit; ``detap.boxes`` gives its corners).  Relative coordinates are
fractions of the image width (x, w) and height (y, h); rotated boxes have
none (scaling x and y apart would shear them).  A Dataset keeps "xyxy",
"xywh", "quad" and "obb" numbers as written (scaled to pixels when
relative); "cxcywh" becomes "xyxy".
"""
import os
from dataclasses import dataclass

import numpy as np

from ..errors import DetapInputError
from ..progress import progress
from .dataset import Dataset, rows_by

__all__ = ["BOX_FORMATS", "Layout", "layout", "Parsed", "parse_dir", "read_dirs", "dataset_format",
           "write_dir", "read_text", "list_files", "fmt_num", "first_negative", "check_field",
           "check_stem", "check_image_keys", "check_writable"]

_COORDS = {"xyxy": ("x1", "y1", "x2", "y2"), "xywh": ("x", "y", "w", "h"),
           "cxcywh": ("cx", "cy", "w", "h"),
           "quad": ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"),
           "obb": ("cx", "cy", "w", "h", "angle")}
BOX_FORMATS = tuple(_COORDS)


# --------------------------------------------------------------------- layout

@dataclass(frozen=True)
class Layout:
    """The fields of one kind of line.

    fields      field names in line order: "class", "confidence" (detection
                lines only) and the coordinate names of ``box_format``
    box_format  "xyxy", "xywh", "cxcywh", "quad" or "obb"
    class_ids   the class field is an integer index into the names list
                (YOLO) rather than a class name
    difficult   a trailing word ``difficult`` marks a difficult object
                (Cartucho ground truth)
    """
    fields: tuple
    box_format: str
    class_ids: bool = False
    difficult: bool = False

    @property
    def coords(self):
        """Positions of the coordinates among the numeric fields."""
        return [self.fields.index(f) - 1 for f in _COORDS[self.box_format]]

    @property
    def score(self):
        """Position of the confidence among the numeric fields, or None."""
        return self.fields.index("confidence") - 1 if "confidence" in self.fields else None

    def usage(self):
        return " ".join(self.fields) + (" [difficult]" if self.difficult else "")


def layout(box_format, dets, *, score_last=False, class_ids=False, difficult=False):
    """The ``Layout`` of ground-truth (``dets`` False) or detection lines:
    ``class [confidence] c1 c2 c3 c4`` (eight coordinates for "quad", five
    for "obb"), or
    with the confidence last when
    ``score_last`` (YOLO)."""
    if box_format not in _COORDS:
        raise DetapInputError(f"box format must be one of {', '.join(BOX_FORMATS)}, "
                              f"got {box_format!r}")
    coords = _COORDS[box_format]
    if not dets:
        fields = ("class",) + coords
    elif score_last:
        fields = ("class",) + coords + ("confidence",)
    else:
        fields = ("class", "confidence") + coords
    return Layout(fields, box_format, class_ids, difficult and not dets)


# -------------------------------------------------------------------- parsing

@dataclass
class Parsed:
    """The boxes of a directory of line files, one row per box.

    layout     the ``Layout`` the lines were read with
    paths      the files read, sorted by name
    keys       image key (file stem) of each file
    file       (n,) int64 index into ``paths``
    line       (n,) int64 1-based line number
    label      list of n class fields, as written
    coords     (n, 4) float64 the coordinate fields, as written ((n, 8) quad,
               (n, 5) obb)
    score      (n,) float64 confidences (zeros for ground truth)
    difficult  (n,) bool
    """
    layout: Layout
    paths: list
    keys: list
    file: np.ndarray
    line: np.ndarray
    label: list
    coords: np.ndarray
    score: np.ndarray
    difficult: np.ndarray

    def fail(self, row, message):
        """A DetapInputError at the file and line of ``row``."""
        return DetapInputError(message, self.paths[self.file[row]], int(self.line[row]))


def read_text(path):
    """A file's text (UTF-8, a leading BOM dropped); DetapInputError naming
    the line of an undecodable byte."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DetapInputError(f"cannot read: {e.strerror}", path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DetapInputError(f"not UTF-8 text ({e.reason})", path,
                              data.count(b"\n", 0, e.start) + 1) from None


def list_files(directory, exclude=()):
    """The ``*.txt`` files of ``directory``, sorted by name, leaving out the
    paths in ``exclude`` (a names file kept beside the labels)."""
    if not os.path.isdir(directory):
        raise DetapInputError("no such directory", directory)
    skip = {os.path.realpath(p) for p in exclude}
    paths = (os.path.join(directory, n) for n in sorted(os.listdir(directory)) if n.endswith(".txt"))
    return [p for p in paths if os.path.isfile(p) and os.path.realpath(p) not in skip]


def _parse_file(path, lay):
    n = len(lay.fields)
    labels, numbers, lines, difficult = [], [], [], []
    # split on "\n" only: str.splitlines also breaks at \v, \f, \x1c.. and
    # would number lines differently from an editor
    for no, raw in enumerate(read_text(path).split("\n"), 1):
        parts = raw.split()
        if not parts:
            continue
        hard = lay.difficult and len(parts) == n + 1 and parts[-1] == "difficult"
        if hard:
            parts.pop()
        if len(parts) != n:
            raise DetapInputError(f"expected {n} fields '{lay.usage()}', got {len(parts)}: "
                                  f"{raw.strip()!r}{_confidence_hint(lay, len(parts))}", path, no)
        labels.append(parts[0])
        numbers.extend(parts[1:])
        lines.append(no)
        difficult.append(hard)
    values = _floats(numbers, lay, path, lines).reshape(len(lines), n - 1)
    return labels, values, np.array(lines, dtype=np.int64), np.array(difficult, dtype=bool)


def _confidence_hint(lay, got):
    """Why a line may have one field too few or too many: a detection file
    without its confidence column, or a ground-truth file with one."""
    n = len(lay.fields)
    if lay.score is not None and got == n - 1:
        return " (no confidence: detection lines need one, as the usage says)"
    if lay.score is None and got == n + 1:
        return " (a confidence? ground-truth lines have none: detections go to --dt)"
    return ""


def _floats(tokens, lay, path, lines):
    """float64 array of the numeric fields; the first bad one is an error
    naming its line and field."""
    width = len(lay.fields) - 1
    try:
        values = np.array(list(map(float, tokens)), dtype=np.float64)
    except ValueError:
        values = None
    bad = None
    if values is None:
        bad = next(i for i, t in enumerate(tokens) if not _is_float(t))
        what = "is not a number"
    elif not np.isfinite(values).all():
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        what = "is not finite"
    if bad is not None:
        field = lay.fields[1 + bad % width]
        raise DetapInputError(f"field '{field}' {what}: {tokens[bad]!r}", path, lines[bad // width])
    return values


def _is_float(token):
    try:
        float(token)
        return True
    except ValueError:
        return False


def parse_dir(directory, lay, exclude=()):
    """Every box of the ``*.txt`` files of ``directory`` as a ``Parsed``;
    no rows and no files when ``directory`` is None."""
    paths = list_files(directory, exclude) if directory is not None else []
    per_file = [_parse_file(p, lay) for p in progress(paths, label=f"reading {directory}")]
    counts = [len(f[0]) for f in per_file]
    values = np.concatenate([f[1] for f in per_file] or [np.zeros((0, len(lay.fields) - 1))])
    return Parsed(
        layout=lay, paths=paths, keys=[os.path.basename(p)[:-4] for p in paths],
        file=np.repeat(np.arange(len(paths), dtype=np.int64), counts),
        line=np.concatenate([f[2] for f in per_file] or [np.zeros(0, np.int64)]),
        label=[t for f in per_file for t in f[0]],
        coords=values[:, lay.coords].reshape(-1, len(lay.coords)),
        score=values[:, lay.score] if lay.score is not None else np.zeros(len(values)),
        difficult=np.concatenate([f[3] for f in per_file] or [np.zeros(0, bool)]))


# ------------------------------------------------------------------- building

def read_dirs(gt, dt, gt_layout, dt_layout, *, names=None, sizes=None, relative=False,
              exclude=()):
    """A ``Dataset`` from a ground-truth and a detection directory (either
    may be None) of line files.

    names     class names in class-index order, or None: classes are then
              the sorted union of the names in the files.  With names, a
              class field must be one of them or (``class_ids`` layouts
              always) an integer index into them.
    sizes     a function from a list of image keys to {key: (width, height)}
              (the keys it knows), or None; needed for ``relative``
    relative  coordinates are fractions of the image size
    exclude   paths of files that are not label files (a names file)
    """
    g, d = parse_dir(gt, gt_layout, exclude), parse_dir(dt, dt_layout, exclude)
    # sorted by file name: the order the tools read the files in
    images = sorted(set(g.keys) | set(d.keys), key=lambda k: k + ".txt")
    index = {k: i for i, k in enumerate(images)}
    classes, (g_label, d_label) = _labels([g, d], names, gt_layout.class_ids)
    known = sizes(images) if sizes is not None else {}
    g_image, d_image = (np.array([index[k] for k in p.keys], np.int64).reshape(-1)[p.file]
                        for p in (g, d))
    return Dataset(
        images=images, classes=classes,
        box_format=dataset_format(gt_layout.box_format),
        gt_image=g_image, gt_label=g_label, gt_difficult=g.difficult,
        gt_boxes=_pixels(g, images, g_image, known, relative),
        det_image=d_image, det_label=d_label, det_scores=d.score,
        det_boxes=_pixels(d, images, d_image, known, relative),
        image_sizes=(np.array([known[k] for k in images], np.int64).reshape(-1, 2)
                     if images and all(k in known for k in images) else None),
        has_dets=dt is not None, source={"gt": gt, "dt": dt})


def dataset_format(box_format):
    """The ``Dataset`` box format lines in ``box_format`` become."""
    return "xyxy" if box_format == "cxcywh" else box_format


def _labels(parts, names, class_ids):
    """(classes, per part an int64 class index per row)."""
    tokens = dict.fromkeys(t for p in parts for t in p.label)
    if names is None:
        classes = sorted(tokens)
        lookup = {t: i for i, t in enumerate(classes)}
    else:
        classes = list(names)
        by_name = {n: i for i, n in enumerate(classes)}
        lookup = {}
        for t in tokens:
            k = _class_index(t, by_name, len(classes), class_ids)
            if isinstance(k, str):
                p = next(p for p in parts if t in p.label)
                raise p.fail(p.label.index(t), k)
            lookup[t] = k
    return classes, [np.array([lookup[t] for t in p.label], dtype=np.int64).reshape(-1)
                     for p in parts]


def _class_index(token, by_name, n, class_ids):
    """The class index of a class field, or the error message (str)."""
    if not class_ids and token in by_name:
        return by_name[token]
    try:
        k = int(token)
    except ValueError:
        return (f"class id {token!r} is not an integer" if class_ids
                else f"class {token!r} is not in the class names list")
    if not 0 <= k < n:
        return f"unknown class id {k}: the class names list has {n} names (ids 0..{n - 1})"
    return k


def _pixels(p, images, image, known, relative):
    """The rows' boxes in pixels, "xyxy" (for "xyxy" and "cxcywh" lines),
    "xywh", "quad" or "obb", after checking for negative sizes and scaling
    relative ones."""
    c = p.coords
    fmt = p.layout.box_format
    # (a quad has no sign; an obb's w and h are an xywh box's)
    bad = None if fmt == "quad" else first_negative(c[:, :4], "xywh" if fmt == "obb" else fmt)
    if bad is not None:
        row, axis = bad
        what = ((f"{'y' if axis else 'x'}2 < {'y' if axis else 'x'}1 (negative "
                 f"{'height' if axis else 'width'})") if fmt == "xyxy"
                else f"'{'h' if axis else 'w'}' is negative")
        raise p.fail(row, f"{what}: {' '.join(fmt_num(v) for v in c[row].tolist())}")
    if relative and fmt == "obb" and len(c):
        raise p.fail(0, "rotated boxes (obb) have no relative coordinates: scaling x and y by "
                     "different image sides would shear them; give pixels")
    if relative:
        c = c * _row_sizes(p, images, image, known, c.shape[1] // 2)
    if fmt == "cxcywh":
        half = c[:, 2:] / 2
        c = np.concatenate([c[:, :2] - half, c[:, :2] + half], axis=1)
    return c


def first_negative(boxes, box_format):
    """(row, axis) of the first box of (n, 4) ``boxes`` with a negative width
    (axis 0) or height (axis 1) in ``box_format``, or None.  Zero is
    allowed."""
    if box_format == "xyxy":
        neg = boxes[:, 2:] < boxes[:, :2]
    else:
        neg = boxes[:, 2:] < 0
    if not neg.any():
        return None
    row, axis = np.argwhere(neg)[0]
    return int(row), int(axis)


def _row_sizes(p, images, image, known, points=2):
    """(n, 2 points) [w, h, w, h, ...] of each row's image; a missing size
    is an error at the image's first row."""
    table = np.zeros((len(images), 2))
    for i, k in enumerate(images):
        table[i] = known.get(k, (np.nan, np.nan))
    missing = np.isnan(table[image, 0])
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise p.fail(row, f"no image size for image {images[image[row]]!r} (relative "
                     "coordinates need it): give image sizes (an images folder, a sizes "
                     "file or a dict) with image_sizes / --image-sizes")
    return np.tile(table[image], points)


# -------------------------------------------------------------------- writing

def fmt_num(v):
    """Shortest text that reads back as the same float64; integral values
    without a fraction (VOC's reference parser reads coordinates with
    int(), and "12" is what people write)."""
    if float(v).is_integer() and abs(v) < 2 ** 53:
        return str(int(v))
    return repr(float(v))


def write_dir(ds, directory, lay, *, relative=False):
    """One ``<key>.txt`` per image of ``ds`` (empty when it has no boxes, as
    tools that pair ground-truth and detection files require) in
    ``directory``: its GT lines, or its detection lines for a detection
    ``lay``.  Relative coordinates need ``ds.image_sizes``."""
    dets = lay.score is not None
    out_fmt = dataset_format(lay.box_format)
    check_writable(ds, out_fmt, directory)
    if relative and out_fmt == "obb":
        raise DetapInputError("rotated boxes (obb) have no relative coordinates: write pixels",
                              directory)
    boxes = ds.dets_as(out_fmt) if dets else ds.gt_as(out_fmt)
    image = ds.det_image if dets else ds.gt_image
    if lay.box_format == "cxcywh":
        boxes = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
    if relative:
        if ds.image_sizes is None:
            raise DetapInputError("relative coordinates need the image sizes, which this data "
                                  "set does not have: give image_sizes when reading it",
                                  directory)
        boxes = boxes / np.tile(ds.image_sizes[image].astype(np.float64), boxes.shape[1] // 2)
    tokens = _class_tokens(ds, lay, directory)
    label = ds.det_label if dets else ds.gt_label
    score = ds.det_scores if dets else None
    hard = ds.gt_difficult if lay.difficult else None
    lines = _lines(lay, [tokens[k] for k in label.tolist()], boxes, score, hard)
    os.makedirs(directory, exist_ok=True)
    for key, rows in zip(ds.images, rows_by(image, len(ds.images))):
        with open(os.path.join(directory, _file_name(key, directory)), "w", encoding="utf-8") as f:
            f.write("".join(lines[r] for r in rows.tolist()))


def check_writable(ds, out_fmt, where):
    """``ds``' boxes can be written in box format ``out_fmt`` without losing
    their orientation: axis-aligned boxes in any, rotated rectangles as
    "obb" or as the quadrilateral of their corners, quadrilaterals as
    "quad" only."""
    fits = {"box": True, "obb": out_fmt in ("obb", "quad"), "quad": out_fmt == "quad"}
    if not fits[ds.box_kind]:
        kind = "rotated boxes" if ds.box_kind == "obb" else "oriented boxes (quadrilaterals)"
        raise DetapInputError(f"{kind} cannot be written as {out_fmt} boxes (their orientation "
                              f"would be lost); write them as {' or '.join(_KEEPS[ds.box_kind])}",
                              where)


_KEEPS = {"obb": ("obb", "quad"), "quad": ("quad",)}


def _lines(lay, tokens, boxes, score, hard):
    """The text line (with "\\n") of each row, fields in ``lay`` order."""
    columns = {"class": tokens}
    for name, col in zip(_COORDS[lay.box_format], boxes.T.tolist()):
        columns[name] = [fmt_num(v) for v in col]
    if score is not None:
        columns["confidence"] = [repr(v) for v in score.tolist()]
    rows = zip(*(columns[f] for f in lay.fields))
    if hard is None:
        return [" ".join(r) + "\n" for r in rows]
    return [" ".join(r) + (" difficult\n" if h else "\n") for r, h in zip(rows, hard.tolist())]


def _class_tokens(ds, lay, where):
    if lay.class_ids:
        return [str(k) for k in range(len(ds.classes))]
    for name in ds.classes:
        check_field(name, "class name", where)
    return ds.classes


def _file_name(key, where):
    check_stem(key, "image key", where)
    return key + ".txt"


def check_field(name, what, where):
    """``name`` must be one whitespace-separated field of a line."""
    if len(name.split()) != 1 or name.strip() != name:
        raise DetapInputError(f"{what} {name!r} cannot be written as one field of a "
                              "whitespace-separated line", where)


def check_stem(name, what, where):
    """``name`` must be usable as a file name in one folder."""
    if not name or os.sep in name or (os.altsep and os.altsep in name) or name in (".", ".."):
        raise DetapInputError(f"{what} {name!r} cannot be a file name", where)


def check_image_keys(images, where):
    """Image keys written as per-image file names and as the first field of
    per-class det lines (VOC, DOTA): each must be both."""
    for key in images:
        check_stem(key, "image id", where)
        check_field(key, "image id", where)
