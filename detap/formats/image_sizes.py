"""Image sizes for relative coordinates: from a dict, a sizes file, a JSON
file or a folder of images.

A size is (width, height) in pixels, two positive ints.  Images are known
by their key: the file name without an image extension (``IMAGE_EXTENSIONS``),
as in the per-image label formats, whose ``<key>.txt`` belongs to image
``<key>.jpg``.

Image files: PNG, JPEG, BMP and GIF headers are read by
``detap.formats.image_headers`` (no dependency); other formats (WebP, TIFF,
...) by the ``imagesize`` package when it is installed (the ``yolo``
extra).  Either way a size is the stored one: EXIF orientation is not
applied.
"""
import os
from collections.abc import Mapping

from ..coco.columns import parse_json
from ..errors import DetapInputError
from .image_headers import header_size
from .text import read_text

__all__ = ["IMAGE_EXTENSIONS", "image_key", "image_size", "size_source", "default_image_dirs"]

# .webp and .tif/.tiff need imagesize to be read; they are image extensions
# either way, so that a key does not depend on what is installed and a
# folder of them without imagesize says what to install
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def image_key(name):
    """The image key of a file name: its stem when it has an image
    extension, else the name itself."""
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in IMAGE_EXTENSIONS else name


def image_size(path):
    """(width, height) in pixels of an image file, read from its header."""
    # our reader first for the formats it knows: the same sizes whether or
    # not imagesize is installed, and imagesize misreads OS/2 BMPs and GIFs
    # wider than 32767 (see the tests)
    size = header_size(path)
    if size is not None:
        return size
    try:
        import imagesize
    except ImportError:
        raise DetapInputError("not a PNG, JPEG, BMP or GIF image; the sizes of WebP, TIFF and "
                              "other images need the imagesize package (pip install imagesize)",
                              path) from None
    try:
        w, h = imagesize.get(path, exif_rotation=False)  # 2.x rotates by EXIF unless told
    except TypeError:  # imagesize < 2 has no exif_rotation and never rotates
        w, h = imagesize.get(path)
    if w <= 0 or h <= 0:  # imagesize's answer for anything it cannot read
        raise DetapInputError("not a PNG, JPEG, BMP or GIF image, and imagesize finds no size "
                              "in it (another format, or a damaged file)", path)
    return int(w), int(h)


def size_source(spec, default_dirs=()):
    """A function from a list of image keys to {key: (width, height)} (the
    keys it knows), from ``spec``:

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
        return _index_sizes(_image_index(path))
    if not os.path.isfile(path):
        raise DetapInputError("image sizes: no such file or folder", path)
    table = _json_sizes(path) if path.lower().endswith(".json") else _line_sizes(path)
    return lambda keys: {k: table[k] for k in keys if k in table}


def default_image_dirs(label_dirs):
    """Where the images of per-image label folders usually are: each label
    folder itself, and the ``images`` folder mirroring its last ``labels``
    component (Ultralytics' ``images/train`` beside ``labels/train``)."""
    out = []
    for d in label_dirs:
        out.append(d)
        parts = os.path.abspath(d).split(os.sep)
        if "labels" in parts:
            i = len(parts) - 1 - parts[::-1].index("labels")
            out.append(os.sep.join(parts[:i] + ["images"] + parts[i + 1:]))
    return out


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
    for no, raw in enumerate(read_text(path).split("\n"), 1):
        if not raw.strip():
            continue
        parts = raw.rsplit(None, 2)
        if len(parts) != 3:
            raise DetapInputError(f"expected 'name width height', got {raw.strip()!r}", path, no)
        table[image_key(parts[0].strip())] = _size(parts[1:], path, f"image {parts[0]!r}", no)
    return table


def _json_sizes(path):
    doc = parse_json(read_text(path), path)
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


def _index_sizes(index):
    """Sizes lookup over an image index ({key: path}), headers read on demand."""
    return lambda keys: {k: image_size(index[k]) for k in keys if k in index}
