"""Binary masks in COCO's run-length encoding: pycocotools.mask's functions.

Conventions (the same as pycocotools 2.0.11, whose results these are, bit
for bit):

- a mask is a uint8 array of shape (h, w) or, for several masks, (h, w, n),
  in **column-major (Fortran) order**: ``np.asfortranarray(m)``.  encode()
  refuses a C-ordered array (ValueError), as pycocotools does;
- an RLE is a dict ``{'size': [h, w], 'counts': bytes}``: the lengths of
  the alternating runs of 0s and 1s along the columns (first run of 0s),
  in COCO's compressed string form; ``counts`` may also be a str.  An
  *uncompressed* RLE has ``counts`` as a list of ints (frPyObjects
  converts it);
- sizes, coordinates and areas are in **pixels**; boxes are
  ``[x, y, width, height]`` (xywh, float64) with the box [0 0 1 1] covering
  the first pixel; polygons are ``[x0, y0, x1, y1, ...]`` in the same
  coordinates (rasterised as pycocotools does, on a grid 5 times finer);
- areas are uint32, boxes (n, 4) float64, IoU matrices (m, n) float64
  (``[]`` when a side is empty); a crowd GT divides the intersection by the
  detection's area instead of the union; masks of different sizes get -1.

encode / decode / area / toBbox take one mask or RLE and return one
result, or a list (an (h, w, n) array for encode) and return a list or an
array; iou, merge and frPyObjects are the ``_mask`` functions themselves.

Where pycocotools' behaviour is undefined (malformed counts, NaN polygon
coordinates) detap's differs; see ``detap._mask``.
"""
from . import _mask

__all__ = ["iou", "merge", "frPyObjects", "encode", "decode", "area", "toBbox"]

iou = _mask.iou
merge = _mask.merge
frPyObjects = _mask.frPyObjects


def _one(rle_objs):
    # pycocotools treats anything but a list (a dict, a tuple of dicts) as one RLE
    return type(rle_objs) != list


def encode(bimask):
    """(h, w) or (h, w, n) uint8 Fortran-order mask(s) -> RLE dict (or list
    of n).  Other shapes give None, as in pycocotools."""
    if len(bimask.shape) == 3:
        return _mask.encode(bimask)
    if len(bimask.shape) == 2:
        h, w = bimask.shape
        # order='F' keeps a Fortran array contiguous; a C array is refused
        return _mask.encode(bimask.reshape((h, w, 1), order='F'))[0]
    return None


def decode(rleObjs):
    """RLE dict -> (h, w) mask; list of RLE dicts -> (h, w, n) masks;
    uint8, Fortran order."""
    if _one(rleObjs):
        return _mask.decode([rleObjs])[:, :, 0]
    return _mask.decode(rleObjs)


def area(rleObjs):
    """RLE dict -> np.uint32 area; list -> (n,) uint32 areas, in pixels."""
    if _one(rleObjs):
        return _mask.area([rleObjs])[0]
    return _mask.area(rleObjs)


def toBbox(rleObjs):
    """RLE dict -> (4,) box; list -> (n, 4) boxes; xywh float64 pixels."""
    if _one(rleObjs):
        return _mask.toBbox([rleObjs])[0]
    return _mask.toBbox(rleObjs)
