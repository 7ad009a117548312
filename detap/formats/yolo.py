"""YOLO (darknet / ultralytics) label files.

A labels directory holds one ``<image stem>.txt`` per image:

- ground truth: ``class_id cx cy w h``
- detections:   ``class_id cx cy w h confidence`` (ultralytics' ``save_conf``
  order: the confidence last)

``class_id`` is a 0-based index into the class names; ``cx cy`` is the box
centre and ``w h`` its size, all as fractions of the image width (cx, w)
and height (cy, h).  The reader returns pixel boxes in "xyxy"
(``x1 = (cx - w/2) * width`` computed as ``cx*width - w*width/2``), so it
needs every image's size.  Coordinates outside [0, 1] are accepted (a
detection may leave the image).

Class names (``names`` None): ``classes.txt`` in the labels directory
(labelImg's convention; it is not read as a label file), else a
``data.yaml`` in the labels directory, its parent or grandparent (see
``detap.formats.names.find_names``).

Image sizes (``image_sizes``, see ``size_source``): a dict, a sizes file, a
JSON file, or a folder of images whose PNG/JPEG/BMP/GIF headers are read
(no image library needed; EXIF orientation is not applied, so a photo
stored rotated has its stored, not its displayed, size).  Default: images
beside the labels, or in the ``images`` folder that mirrors a ``labels``
folder (ultralytics' ``images/train`` <-> ``labels/train``).
"""
import os
import struct
from collections.abc import Mapping

from ..coco import _loads
from ..errors import DetapInputError
from . import text
from .names import NAMES_FILE, find_names, load_names, write_names_file

__all__ = ["GT", "DT", "IMAGE_EXTENSIONS", "read", "write", "image_size", "size_source",
           "default_image_dirs"]

GT = text.layout("cxcywh", dets=False, class_ids=True)
DT = text.layout("cxcywh", dets=True, class_ids=True, score_last=True)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def read(gt, dt=None, *, names=None, image_sizes=None, exclude=()):
    """A ``Dataset`` ("xyxy" pixels) from a YOLO labels directory ``gt`` and
    optionally a detections directory ``dt`` (either may be None, not both).

    names        class names (list) or None to find them (see module doc)
    image_sizes  anything ``size_source`` takes, or None for the default
                 image folders
    """
    dirs = [d for d in (gt, dt) if d is not None]
    if names is None:
        names = load_names(find_names(dirs))[0]
    exclude = tuple(exclude) + tuple(os.path.join(d, NAMES_FILE) for d in dirs)
    sizes = size_source(image_sizes, default_image_dirs(dirs))
    return text.read_dirs(gt, dt, GT, DT, names=names, sizes=sizes, relative=True,
                          exclude=exclude)


def write(ds, gt_out, dt_out=None):
    """Label files for ``ds`` in ``gt_out`` (plus its class names in
    ``gt_out/classes.txt``) and detection files in ``dt_out``.  Needs
    ``ds.image_sizes``."""
    if os.path.splitext(NAMES_FILE)[0] in ds.images:
        raise DetapInputError(f"an image named 'classes' would collide with {NAMES_FILE}", gt_out)
    text.write_dir(ds, gt_out, GT, relative=True)
    write_names_file(os.path.join(gt_out, NAMES_FILE), ds.classes)
    if dt_out is not None:
        text.write_dir(ds, dt_out, DT, relative=True)


def default_image_dirs(dirs):
    """Where a labels directory's images usually are: the directory itself,
    and the ``images`` folder mirroring its last ``labels`` component."""
    out = []
    for d in dirs:
        out.append(d)
        parts = os.path.abspath(d).split(os.sep)
        if "labels" in parts:
            i = len(parts) - 1 - parts[::-1].index("labels")
            out.append(os.sep.join(parts[:i] + ["images"] + parts[i + 1:]))
    return out


# ---------------------------------------------------------------- image sizes

def image_key(name):
    """The image key of a file name: its stem when it has an image
    extension, else the name itself."""
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in IMAGE_EXTENSIONS else name


def size_source(spec, default_dirs=()):
    """A function from a list of image keys to {key: (width, height)} (the
    keys it knows; pixels, ints), from ``spec``:

    - a dict (or Mapping) {name: (width, height)}
    - a folder of images (headers read for the keys asked for)
    - a sizes file: lines ``name width height`` (name may hold spaces)
    - a JSON file: {name: [width, height]}
    - None: images in the first of ``default_dirs`` that has any

    Names may carry an image extension ("a.jpg" is image "a").
    """
    if spec is None:
        for d in default_dirs:
            index = _image_index(d) if os.path.isdir(d) else None
            if index:
                return _index_sizes(index)
        return lambda keys: {}
    if isinstance(spec, Mapping):
        table = {image_key(str(k)): _size(v, "image_sizes", f"image {k!r}") for k, v in spec.items()}
        return lambda keys: {k: table[k] for k in keys if k in table}
    path = os.fspath(spec)
    if os.path.isdir(path):
        return _folder_sizes(path)
    if not os.path.isfile(path):
        raise DetapInputError("image sizes: no such file or folder", path)
    table = _json_sizes(path) if path.lower().endswith(".json") else _line_sizes(path)
    return lambda keys: {k: table[k] for k in keys if k in table}


def _size(value, path, what, line=None):
    try:
        w, h = value
        w, h = int(w), int(h)
        ok = (w == float(value[0]) and h == float(value[1]))
    except (TypeError, ValueError):
        ok = False
    if not ok or w <= 0 or h <= 0:
        raise DetapInputError(f"{what}: size must be two positive integers (width, height), "
                              f"got {value!r}", path, line)
    return w, h


def _line_sizes(path):
    table = {}
    for no, raw in enumerate(text.read_text(path).split("\n"), 1):
        if not raw.strip():
            continue
        parts = raw.rsplit(None, 2)
        if len(parts) != 3:
            raise DetapInputError(f"expected 'name width height', got {raw.strip()!r}", path, no)
        table[image_key(parts[0].strip())] = _size(parts[1:], path, f"image {parts[0]!r}", no)
    return table


def _json_sizes(path):
    doc = _loads(text.read_text(path), path)
    if not isinstance(doc, dict):
        raise DetapInputError("image sizes JSON must be an object {name: [width, height]}", path)
    return {image_key(k): _size(v, path, f"image {k!r}") for k, v in doc.items()}


def _image_index(folder):
    """{key: path} of the images in ``folder`` (first by name on a clash)."""
    index = {}
    for name in sorted(os.listdir(folder)):
        if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
            index.setdefault(image_key(name), os.path.join(folder, name))
    return index


def _folder_sizes(folder):
    return _index_sizes(_image_index(folder))


def _index_sizes(index):
    """Sizes lookup over an image index ({key: path}), headers read on demand."""
    return lambda keys: {k: image_size(index[k]) for k in keys if k in index}


def image_size(path):
    """(width, height) in pixels of a PNG, JPEG, BMP or GIF file, read from
    its header."""
    try:
        with open(path, "rb") as f:
            head = f.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
                size = struct.unpack(">II", head[16:24])
            elif head[:6] in (b"GIF87a", b"GIF89a"):
                size = struct.unpack("<HH", head[6:10])
            elif head[:2] == b"BM":
                size = _bmp_size(head)
            elif head[:2] == b"\xff\xd8":
                size = _jpeg_size(f)
            else:
                raise DetapInputError("not a PNG, JPEG, BMP or GIF image", path)
    except struct.error:
        raise DetapInputError("truncated image header", path) from None
    except OSError as e:
        raise DetapInputError(f"cannot read: {e.strerror}", path) from None
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise DetapInputError("no image size in the header", path)
    return int(size[0]), int(size[1])


def _bmp_size(head):
    (dib,) = struct.unpack("<I", head[14:18])
    if dib == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        return struct.unpack("<HH", head[18:22])
    w, h = struct.unpack("<ii", head[18:26])
    return w, abs(h)  # a negative height means rows stored top-down


# JPEG start-of-frame markers (baseline, progressive, lossless, ...): all
# 0xC0..0xCF except DHT (C4), JPG (C8) and DAC (CC), which are not frames
_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(f):
    """(width, height) from the first start-of-frame segment, skipping the
    segments before it by their lengths (EXIF blocks can be large)."""
    f.seek(2)
    while True:
        byte = f.read(1)
        if byte != b"\xff":
            return None
        while byte == b"\xff":  # fill bytes may pad a marker
            byte = f.read(1)
        marker = byte[0] if byte else 0xD9
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # stand-alone markers carry no length
        if marker in (0xD9, 0xDA):  # end of image or scan data before any frame
            return None
        (length,) = struct.unpack(">H", f.read(2))
        if marker in _SOF:
            _, h, w = struct.unpack(">BHH", f.read(5))
            return w, h
        f.seek(length - 2, 1)
