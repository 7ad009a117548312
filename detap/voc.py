"""PASCAL VOC evaluation: a bit-exact, fast drop-in for py-faster-rcnn's voc_eval.

Files (the py-faster-rcnn layout):

- image set: one image id per line (surrounding whitespace stripped; blank
  lines skipped);
- annotations: ``annopath.format(image_id)`` is a VOC XML file;
- detections: ``detpath.format(classname)`` holds lines
  ``image_id score x1 y1 x2 y2`` (pixels, inclusive corners, +1 convention).

``voc_eval`` reproduces the reference to the last bit, including numpy's
tie order (see ``detap.conventions``).  ``evaluate`` does every class in one
call, parsing annotations once, and defaults to a *stable* tie order
(pass ``convention="py-faster-rcnn"`` for voc_eval's numbers).
"""
import numbers
import os
import warnings
import xml.etree.ElementTree as ET
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, field

import numpy as np

from . import _core, cache
from .conventions import PY_FASTER_RCNN, get_convention
from .core import evaluate_prepared, prepare_gt, voc_ap_from_curve
from .boxes import boxes_as
from .errors import DetapCacheError, DetapInputError
from .protocols import annotation_stats, class_report, convention_dict, preset_name
from .result import EvalResult
from .threads import nthreads, team

__all__ = ["parse_rec", "voc_ap", "voc_eval", "evaluate", "evaluate_loaded", "evaluate_class_file",
           "read_imageset", "load_annotations", "read_detections", "VocAnnotations",
           "AnnotationReader", "VOC_READER"]


# ---------------------------------------------------------------- annotations

def _number(text, path, where):
    """An XML number: int when it is written as one (as the reference's
    int()), float otherwise; NaN/inf and non-numbers are errors."""
    if text is None:
        raise DetapInputError(f"{where} is empty", path)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        v = float(text)
    except ValueError:
        raise DetapInputError(f"{where} is not a number: {text.strip()!r}", path) from None
    if not np.isfinite(v):
        raise DetapInputError(f"{where} is not finite: {text.strip()!r}", path)
    return v


def _flag(obj, tag, path, i):
    node = obj.find(tag)
    if node is None or node.text is None or not node.text.strip():
        return 0
    try:
        return int(node.text)
    except ValueError:
        raise DetapInputError(f"object {i}: <{tag}> is not an integer: {node.text.strip()!r}",
                              path) from None


def parse_rec(filename):
    """Objects of a VOC XML file, as py-faster-rcnn's ``parse_rec``.

    Returns a list of dicts with ``name`` (str), ``pose`` (str, or None when
    the tag is missing), ``truncated`` and ``difficult`` (int, 0 when
    missing) and ``bbox`` ``[xmin, ymin, xmax, ymax]`` (ints, or floats where
    the file writes non-integers).  The reference crashes on the missing tags
    and float coordinates that this accepts; on every file it reads, the
    output is identical.
    """
    try:
        tree = ET.parse(filename)
    except ET.ParseError as e:
        raise DetapInputError(f"malformed XML: {e}", filename, e.position[0]) from None
    objects = []
    for i, obj in enumerate(tree.findall("object")):
        name = obj.find("name")
        if name is None:
            raise DetapInputError(f"object {i} has no <name>", filename)
        pose = obj.find("pose")
        box = obj.find("bndbox")
        if box is None:
            raise DetapInputError(f"object {i} ({name.text}) has no <bndbox>", filename)
        bbox = []
        for tag in ("xmin", "ymin", "xmax", "ymax"):
            node = box.find(tag)
            if node is None:
                raise DetapInputError(f"object {i} ({name.text}): <bndbox> has no <{tag}>", filename)
            bbox.append(_number(node.text, filename, f"object {i} ({name.text}) <{tag}>"))
        objects.append({
            "name": name.text if name.text is not None else "",
            "pose": pose.text if pose is not None else None,
            "truncated": _flag(obj, "truncated", filename, i),
            "difficult": _flag(obj, "difficult", filename, i),
            "bbox": bbox,
        })
    return objects


def read_imageset(path):
    """Image ids of an image set file: stripped lines, blank lines skipped."""
    with open(path, "r") as f:
        return [s for s in (line.strip() for line in f) if s]


@dataclass
class VocAnnotations:
    """All objects of an image set, column-wise.

    names        unique image ids in image-set order (first appearance)
    multiplicity (n_images,) how often each id appears in the image set
    classes      class names, sorted
    obj_img      (n_obj,) int64 image index of each object (non-decreasing)
    obj_cls      (n_obj,) int32 index into ``classes``
    boxes        (n_obj, 4) float64 [xmin, ymin, xmax, ymax], pixels (or, as
                 read by detap.dota's task1 reader, (n_obj, 8) quadrilaterals)
    difficult    (n_obj,) uint8
    """
    names: list
    multiplicity: np.ndarray
    classes: list
    obj_img: np.ndarray
    obj_cls: np.ndarray
    boxes: np.ndarray
    difficult: np.ndarray
    _ids: object = field(default=None, repr=False)
    _class_gt: dict = field(default_factory=dict, repr=False)

    @property
    def id_table(self):
        if self._ids is None:
            self._ids = _core.IdTable(n.encode("utf-8", "surrogateescape") for n in self.names)
        return self._ids

    def class_gt(self, classname, convention):
        """The class's GT grouped by image, with voc_eval's npos (kept per
        class and convention: the columns do not change)."""
        key = (classname, convention)
        got = self._class_gt.get(key)
        if got is None:
            got = self._class_gt[key] = self._group_class(classname, convention)
        return got

    def _group_class(self, classname, convention):
        try:
            c = self.classes.index(classname)
            sel = np.flatnonzero(self.obj_cls == c)
        except ValueError:
            sel = np.zeros(0, dtype=np.int64)
        if len(sel) == len(self.obj_cls):  # every object (one class): no copies
            img, diff, boxes = self.obj_img, self.difficult, self.boxes
        else:
            img, diff, boxes = self.obj_img[sel], self.difficult[sel], np.take(self.boxes, sel, 0)
        counted = diff == 0 if convention.difficult == "ignore" else np.ones(len(sel), bool)
        npos = int(self.multiplicity[img[counted]].sum())
        return prepare_gt(boxes, img, len(self.names), diff, convention=convention, npos=npos)


#: How one annotation file is read: ``parse(path)`` returns its objects as
#: (class name, box values, difficult) triples, each box ``width`` numbers;
#: ``name`` tells readers apart in caches.  ``bulk(annopath, names)``, if
#: given, reads every file at once on ``threads`` threads (threads.py's
#: policy), giving the same objects as columns: (class names, obj_img,
#: obj_cls into the names, boxes, difficult).
AnnotationReader = namedtuple("AnnotationReader", "name parse width bulk", defaults=(None,))


def _voc_objects(path):
    return [(o["name"], o["bbox"], o["difficult"]) for o in parse_rec(path)]


VOC_READER = AnnotationReader("voc", _voc_objects, 4)

_CACHE_KEYS = ("fingerprint", "names", "classes", "obj_img", "obj_cls", "boxes", "difficult")
_memo = OrderedDict()  # fingerprint -> (columns, their last VocAnnotations), a few recent ones


_path_memo = OrderedDict()  # (template, image ids) -> their paths, str and bytes


def annotation_paths(annopath, names):
    """The annotation files' paths (str) and their bytes for the C readers,
    kept for the last few sets (formatting thousands of them each call of a
    loop over classes is a visible part of it)."""
    key = (annopath, tuple(names))
    got = _path_memo.get(key)
    if got is None:
        paths = [annopath.format(name) for name in names]
        got = paths, [os.fsencode(p) for p in paths]
        _path_memo[key] = got
        while len(_path_memo) > 4:
            _path_memo.popitem(last=False)
    _path_memo.move_to_end(key)
    return got


def _fingerprint(annopath, names, reader=VOC_READER, threads=None):
    """Digest of the annotation template, the image ids and each annotation
    file's (size, mtime, ctime, inode): any edit or replacement changes it."""
    paths, encoded = annotation_paths(annopath, names)
    stats = _core.stat_files(encoded, nthreads(threads))
    if not isinstance(stats, np.ndarray):
        # no C stat() on this system, or a file it could not stat: Python's
        # (which raises FileNotFoundError & co. for the first such file)
        stats = np.array([(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                          for st in map(os.stat, paths)], dtype=np.int64).reshape(-1, 4)
    kind = "" if reader.name == "voc" else f"{reader.name}\0"
    h = _hashlib().sha256(f"{cache.FORMAT}\0{kind}{annopath}\0".encode("utf-8", "surrogateescape"))
    h.update(np.fromiter(map(len, names), np.int64, len(names)).tobytes())
    h.update("".join(names).encode("utf-8", "surrogateescape"))
    h.update(np.ascontiguousarray(stats, dtype="<i8").tobytes())
    return h.hexdigest()


def _parse_all(annopath, names, reader=VOC_READER, threads=None):
    if reader.bulk is not None:
        seen, obj_img, first, boxes, difficult = reader.bulk(annopath, names, threads)
    else:
        from .progress import progress
        classes, rows = {}, []
        paths = annotation_paths(annopath, names)[0]   # (formatted for the fingerprint)
        for i, path in enumerate(progress(paths, label="parsing annotations")):
            for cls, bbox, difficult in reader.parse(path):
                rows.append((i, classes.setdefault(cls, len(classes)), bbox, difficult))
        seen = sorted(classes, key=lambda k: classes[k])
        obj_img = np.array([r[0] for r in rows], dtype=np.int64)
        first = np.array([r[1] for r in rows], dtype=np.int64)
        boxes = np.array([r[2] for r in rows], dtype=np.float64).reshape(len(rows), reader.width)
        difficult = np.array([r[3] != 0 for r in rows], dtype=np.uint8)
    sorted_names = sorted(seen)
    remap = np.array([sorted_names.index(k) for k in seen], dtype=np.int32)
    return dict(
        names=list(names), classes=sorted_names, obj_img=obj_img,
        obj_cls=remap[first] if len(first) else np.zeros(0, np.int32),
        boxes=boxes, difficult=difficult)


def _hashlib():
    """hashlib, imported on first use: it loads OpenSSL (3.7 MB of resident
    memory) into every process that imports detap, most of which never
    cache annotations."""
    import hashlib
    return hashlib


def _cache_path(cachedir, annopath, unique, reader=VOC_READER):
    key = _hashlib().sha1(f"{annopath}\0{len(unique)}\0{unique[:1]}".encode(
        "utf-8", "surrogateescape")).hexdigest()[:16]
    kind = "" if reader.name == "voc" else f"{reader.name}_"
    return os.path.join(cachedir, f"detap_annots_{kind}{key}.npz")


def _read_cache(cachefile, fp, unique, columns, width=4):
    """The cached columns if the file is current (only the fingerprint is
    read when ``columns`` is False), else None.  DetapCacheError if the file
    is not a readable detap cache."""
    keys = _CACHE_KEYS if columns else ("fingerprint", "names")
    data = cache.read(cachefile, keys)
    if str(data["fingerprint"]) != fp or data["names"].tolist() != unique:
        return None
    if not columns:
        return True
    cols = dict(names=unique, classes=data["classes"].tolist(), obj_img=data["obj_img"],
                obj_cls=data["obj_cls"], boxes=data["boxes"], difficult=data["difficult"])
    _check_cached_columns(cachefile, cols, width)
    return cols


def _check_cached_columns(cachefile, cols, width=4):
    """A cache file is untrusted: its arrays must agree before any is used."""
    n = len(cols["obj_img"])
    problems = []
    if cols["obj_img"].dtype.kind not in "iu" or cols["obj_cls"].dtype.kind not in "iu":
        problems.append("index arrays are not integers")
    elif n and not (0 <= cols["obj_img"].min() and cols["obj_img"].max() < len(cols["names"])):
        problems.append("obj_img out of range")
    elif len(cols["obj_cls"]) != n or (
            n and not (0 <= cols["obj_cls"].min() and cols["obj_cls"].max() < len(cols["classes"]))):
        problems.append("obj_cls inconsistent")
    if cols["boxes"].shape != (n, width) or cols["boxes"].dtype != np.float64:
        problems.append(f"boxes have shape {cols['boxes'].shape}, dtype {cols['boxes'].dtype}")
    elif not np.isfinite(cols["boxes"]).all():
        problems.append("boxes are not finite")
    if cols["difficult"].shape != (n,):
        problems.append(f"difficult has shape {cols['difficult'].shape}")
    if n and np.any(np.diff(cols["obj_img"]) < 0):
        problems.append("obj_img is not sorted")
    if problems:
        raise DetapCacheError(f"{cachefile}: inconsistent annotation cache ({'; '.join(problems)}); "
                              "delete it to rebuild")


def load_annotations(annopath, imagenames, cachedir=None, reader=VOC_READER, threads=None):
    """Parse (or load from cache) the annotations of ``imagenames``, each
    file read by ``reader`` (an ``AnnotationReader``; VOC XML by default).

    The cache (``cachedir`` given) is a .npz file keyed by the annotation
    template and image set, and is rebuilt when any annotation file changes
    (size, mtime, ctime or inode) or the image set changes.  Parsed sets are
    also kept in memory for repeated calls (the usual loop over classes).
    ``threads``: for reading the files, where the reader does it in C (None
    or 0: all cores).
    """
    unique = list(dict.fromkeys(imagenames))
    index = {n: i for i, n in enumerate(unique)}
    mult = np.zeros(len(unique), dtype=np.int64)
    np.add.at(mult, np.array([index[n] for n in imagenames], dtype=np.int64), 1)
    fp = _fingerprint(annopath, unique, reader, threads)
    cols, kept = _memo.get(fp, (None, None))
    if cachedir is None:
        if cols is None:
            cols = _parse_all(annopath, unique, reader, threads)
    else:
        cachefile = _cache_path(cachedir, annopath, unique, reader)
        on_disk = None
        if os.path.isfile(cachefile):
            on_disk = _read_cache(cachefile, fp, unique, columns=cols is None, width=reader.width)
        if cols is None:
            cols = on_disk if on_disk is not None else _parse_all(annopath, unique, reader,
                                                                  threads)
        if on_disk is None:  # missing or stale
            arrays = dict(cols, fingerprint=np.array(fp), names=np.array(unique, dtype=str),
                          classes=np.array(cols["classes"], dtype=str))
            try:
                cache.write_atomic(cachefile, arrays)
            except OSError as e:
                warnings.warn(f"could not write annotation cache {cachefile}: {e}")
    # the same set and image list as the last call: its object, whose
    # classes' grouped GT are kept (an evaluation every epoch regroups nothing)
    if kept is not None and np.array_equal(kept.multiplicity, mult):
        ann = kept
    else:  # (the image-id table is built once per set, not per call)
        ann = VocAnnotations(multiplicity=mult, _ids=kept.id_table if kept else None, **cols)
    _memo[fp] = cols, ann
    _memo.move_to_end(fp)
    while len(_memo) > 4:
        _memo.popitem(last=False)
    return ann


# ----------------------------------------------------------------- detections

_FIELDS = {4: ("score", "x1", "y1", "x2", "y2"),
           8: ("score", "x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")}


def _slow_line(path, ids, imagesetfile, ncoord=4, extra_ok=True):
    """Python's own parsing for a det line the C fast path handed back."""
    names = _FIELDS[ncoord]
    layout = "image_id " + " ".join(names)

    def slow(raw, line_no, unknown_id):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DetapInputError(f"not UTF-8 text ({e.reason})", path, line_no) from None
        parts = text.split()
        if not parts:
            return None
        if len(parts) < 2 + ncoord or (len(parts) > 2 + ncoord and not extra_ok):
            raise DetapInputError(
                f"expected '{layout}', got {len(parts)} field(s): {text.strip()!r}",
                path, line_no)
        values = []
        for k, tok in enumerate(parts[1:]):
            what = names[k] if k < len(names) else f"field {k + 2}"
            try:
                v = float(tok)
            except ValueError:
                raise DetapInputError(f"{what} is not a number: {tok!r}", path, line_no) from None
            if k < len(names) and not np.isfinite(v):
                raise DetapInputError(f"{what} is not finite: {tok!r}", path, line_no)
            values.append(v)
        img = ids.get(parts[0].encode("utf-8", "surrogateescape"))
        if img < 0:
            raise DetapInputError(
                f"image id {parts[0]!r} is not in the image set {imagesetfile}", path, line_no)
        return (img, *values[:1 + ncoord])
    return slow


#: a det file is parsed in pieces of at least this many bytes, one per thread
PIECE_BYTES = 1 << 20


def read_detections(path, annotations, imagesetfile="the image set", ncoord=4, extra_ok=True,
                    threads=None):
    """A det file's records: (image index int64, score float64, boxes
    (n, ncoord)).  ncoord 4: ``image_id score x1 y1 x2 y2`` lines, 8: DOTA
    Task1's ``image_id score x1 y1 ... x4 y4``; more fields on a line are
    ignored when ``extra_ok``, else an error naming the file and line.
    A large file is parsed on ``threads`` threads (None or 0: all cores)."""
    with open(path, "rb") as f:
        data = f.read()
    ids = annotations.id_table
    n = nthreads(threads)
    pieces = max(1, min(team(n), len(data) // PIECE_BYTES))
    return _core.parse_dets(data, ids, _slow_line(path, ids, imagesetfile, ncoord, extra_ok),
                            ncoord, extra_ok, pieces, n)


# ------------------------------------------------------------------------ AP

def voc_ap(rec, prec, use_07_metric=False):
    """AP from recall and precision arrays, as py-faster-rcnn's ``voc_ap``.

    ``use_07_metric``: the 11-point VOC2007 mean over
    np.arange(0., 1.1, 0.1); otherwise the all-point area (VOC2010+).
    Inputs are converted to float64.  The return type follows the
    reference: np.float64, except a plain float 0.0 from the 11-point metric
    when no recall reaches 0.
    """
    ap, hit = voc_ap_from_curve(rec, prec, PY_FASTER_RCNN.replace(
        ap="voc07" if use_07_metric else "all_point"))
    return np.float64(ap) if hit else float(ap)


# ------------------------------------------------------------------ voc_eval

_UNSET = object()


def voc_eval(detpath, annopath, imagesetfile, classname, cachedir=None,
             ovthresh=_UNSET, use_07_metric=_UNSET):
    """rec, prec, ap = voc_eval(detpath, annopath, imagesetfile, classname,
                                [cachedir], [ovthresh=0.5], [use_07_metric=False])

    Drop-in for py-faster-rcnn's (and Detectron2's) ``voc_eval``: the same
    rec and prec arrays (float64, shape (n_det,), detections by descending
    score with numpy's tie order) and the same ``ap``, bit for bit.

    detpath       template; detpath.format(classname) is the det file
    annopath      template; annopath.format(image_id) is the XML file
    imagesetfile  text file of image ids, one per line
    classname     the class to evaluate
    cachedir      directory for the annotation cache (optional; Detectron2's
                  signature, without it, is accepted too: a number in this
                  position is taken as ``ovthresh``)
    ovthresh      IoU threshold; a detection matches when IoU > ovthresh
    use_07_metric 11-point VOC2007 AP instead of the all-point area

    Where the reference behaves oddly, so does this: a class without
    non-difficult GT gives rec = NaN (and a RuntimeWarning) and, with
    detections and the all-point metric, ap = NaN; an empty det file gives
    empty rec/prec and ap = 0.0; a missing det file raises
    FileNotFoundError.  Where the reference crashes or silently misreads
    (a det for an image outside the image set, NaN/inf values, a malformed
    line), this raises DetapInputError naming the file and line.  It never
    reads or writes the reference's pickle cache.
    """
    if isinstance(cachedir, numbers.Number):  # Detectron2: (..., ovthresh, use_07_metric)
        if use_07_metric is not _UNSET:
            raise TypeError("voc_eval() got too many positional arguments")
        use_07_metric = False if ovthresh is _UNSET else ovthresh
        ovthresh, cachedir = cachedir, None
    ovthresh = 0.5 if ovthresh is _UNSET else ovthresh
    use_07_metric = False if use_07_metric is _UNSET else use_07_metric

    conv = PY_FASTER_RCNN.replace(ap="voc07" if use_07_metric else "all_point")
    imagenames = read_imageset(imagesetfile)
    ann = load_annotations(annopath, imagenames, cachedir)
    res = evaluate_class_file(ann, detpath.format(classname), classname, float(ovthresh),
                              conv, imagesetfile)
    return res.rec, res.prec, reference_ap(res, conv)


def reference_ap(res, conv):
    """voc_eval's AP with the reference's type: np.float64, except a plain
    float from the 11-point metric when no recall reaches its first grid
    point (the reference's sum starts as a float and becomes np.float64
    only there)."""
    if conv.ap == "voc07" and not bool(np.any(res.rec >= 0.0)):
        return float(res.ap)
    return np.float64(res.ap)


def evaluate_class_file(ann, detfile, classname, ovthresh, conv, imagesetfile, threads=None,
                        extra_ok=True):
    """One class's ``ClassResult`` from its det file and loaded annotations
    ``ann`` (``load_annotations``); the det lines hold as many coordinates
    as ``ann.boxes`` has columns (4, or 8 for DOTA Task1 quadrilaterals),
    and more fields only when ``extra_ok``."""
    width = ann.boxes.shape[1]
    img, score, boxes = read_detections(detfile, ann, imagesetfile, width, extra_ok, threads)
    if conv.iou == "coco":  # det files hold xyxy; the COCO IoU kernel takes xywh
        boxes = boxes_as(boxes, "xyxy", "xywh")
    gt = ann.class_gt(classname, conv)
    if gt.npos == 0 and len(score):
        warnings.warn(f"class {classname!r} has no non-difficult ground truth: recall is "
                      "undefined (NaN), as in the reference voc_eval", RuntimeWarning,
                      stacklevel=3)
    return evaluate_prepared(boxes, score, img, gt, ovthresh, conv, threads)


# ------------------------------------------------------------------ all classes

def evaluate(detpath, annopath, imagesetfile, classnames=None, *, cachedir=None,
             ovthresh=0.5, use_07_metric=None, convention=None, missing_ok=False, threads=None):
    """Evaluate every class, parsing the annotations once: an ``EvalResult``
    (``res.map``, ``res.ap[c]``, ``res.per_class[c].prec`` / ``.rec``,
    ``res.table()``).  ``map`` is py-faster-rcnn's mean over every class
    (NaN when a class without GT has detections, under the all-point AP),
    and each class's ``ap`` keeps voc_eval's value and type.

    classnames     classes to evaluate (default: every class in the
                   annotations, sorted)
    convention     a Convention or preset name; default: py-faster-rcnn's
                   rules with a **stable** tie order.  Use
                   ``convention="py-faster-rcnn"`` to get exactly what a
                   loop over ``voc_eval`` gives.
    use_07_metric  True/False overrides the convention's AP rule
    missing_ok     a class whose det file does not exist counts as having no
                   detections (default: FileNotFoundError, as voc_eval)
    threads        threads for reading and matching (None or 0: all cores);
                   the results do not depend on it
    """
    conv = get_convention(convention)
    if conv.iou == "dota":
        raise DetapInputError("the 'dota' convention compares quadrilaterals: use "
                              "detap.dota.evaluate (or `detap dota`) for DOTA files")
    if use_07_metric is not None:
        conv = conv.replace(ap="voc07" if use_07_metric else "all_point")
    if np.ndim(ovthresh) != 0:
        raise DetapInputError(f"ovthresh must be one number, got {ovthresh!r}")
    imagenames = read_imageset(imagesetfile)
    ann = load_annotations(annopath, imagenames, cachedir, threads=threads)
    return evaluate_loaded(ann, detpath, imagesetfile, classnames, conv, ovthresh,
                           missing_ok=missing_ok, threads=threads)


def _extent(boxes):
    """Continuous widths and heights of (n, 4) xyxy boxes or of the
    axis-aligned extent of (n, 8) quadrilaterals."""
    if boxes.shape[1] == 4:
        return boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    x, y = boxes[:, 0::2], boxes[:, 1::2]
    return x.max(axis=1) - x.min(axis=1), y.max(axis=1) - y.min(axis=1)


def evaluate_loaded(ann, detpath, imagesetfile, classnames, conv, ovthresh, *, missing_ok=False,
                    threads=None, extra_ok=True):
    """``evaluate`` after the annotations are loaded (``ann`` from
    ``load_annotations``, any reader) and the convention chosen: every class
    of ``classnames`` (None: all of ``ann``'s) from ``detpath.format(c)``
    (``extra_ok``: det lines may hold more fields than the coordinates)."""
    classes = list(ann.classes if classnames is None else classnames)
    # per-class annotation statistics on continuous widths, as every other
    # front end reports them (difficult objects included)
    k_of = np.array([classes.index(n) if n in classes else -1 for n in ann.classes], np.int64)
    lab = k_of[ann.obj_cls] if len(ann.obj_cls) else np.zeros(0, np.int64)
    keep = lab >= 0
    w, h = _extent(ann.boxes[keep])
    count, area, aspect = annotation_stats(lab[keep], w, h, len(classes))
    per_class = {}
    for k, c in enumerate(classes):
        detfile = detpath.format(c)
        if missing_ok and not os.path.exists(detfile):
            gt = ann.class_gt(c, conv)
            res = evaluate_prepared(np.zeros((0, ann.boxes.shape[1])), np.zeros(0),
                                    np.zeros(0, np.int64), gt, ovthresh, conv, threads)
        else:
            res = evaluate_class_file(ann, detfile, c, ovthresh, conv, imagesetfile, threads,
                                      extra_ok)
        rep = class_report(c, res.ap, res.npos, res.scores, res.tp, res.fp, res.prec, res.rec,
                           count[k], area[k], aspect[k])
        rep.ap = reference_ap(res, conv)  # voc_eval's value (NaN or 0.0 without GT) and type
        per_class[c] = rep
    # py-faster-rcnn's mean: over every class, NaN if one AP is NaN
    m = float(np.mean([per_class[c].ap for c in classes])) if classes else float("nan")
    return EvalResult(protocol=preset_name(conv), iou=float(ovthresh), classes=classes,
                      per_class=per_class, map=m, convention=convention_dict(conv),
                      n_images=len(ann.names))
