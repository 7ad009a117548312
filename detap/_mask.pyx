# cython: language_level=3, initializedcheck=False, cdivision=True
"""pycocotools._mask's API on detap's own kernels (csrc/mask.c, csrc/polygon.c).

Same functions, arguments, return types and dtypes as pycocotools 2.0.11's
``_mask`` module, and the same exception types for the inputs it refuses.
Every size is checked here before C sees it; C never reads outside the
arrays it is handed.  Where pycocotools has undefined behaviour (it crashes,
loops forever or reads unrelated memory) this module does something
defined instead:

- a compressed counts string that ends inside a value (truncated) raises
  DetapInputError (pycocotools reads past the end of the string);
- decode([]) returns a (0, 0, 0) array (pycocotools: an array of garbage
  shape); decode() gives each RLE its own (h, w) slice, cut off at h * w
  and left 0 after the last run (pycocotools shifts the following masks
  and leaves uninitialised bytes), and raises as pycocotools does when
  the counts add up to more than all slices hold;
- merge / iou of RLEs whose counts add up to different lengths treat the
  shorter one as 0s after its end (pycocotools loops forever), an RLE with
  no counts is all 0s (pycocotools reads a NULL pointer);
- a polygon coordinate that is NaN or beyond about +-4.29e8 pixels raises
  DetapInputError (pycocotools' int conversion is undefined there, and it
  allocates memory for every point of the outline);
- box arrays of another layout than C order are read by index
  (pycocotools reads their memory as if it were C order), and frBbox
  refuses boxes that do not have 4 columns (pycocotools reads past them);
- mask sizes of 2**32 rows or columns or more raise OverflowError
  (pycocotools keeps 64-bit sizes but computes in 32 bits).

Polygons cost time in proportion to the columns they cross inside the
mask, not to their perimeter, and no memory for the outline.  For a mask
of width 0 pycocotools lets every column x >= 0 through; detap gives the
same counts, so there the cost follows the polygon's own width.
"""
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
import numpy as np

from .errors import DetapInputError

cdef extern from "detap_common.h":
    int DETAP_OK

cdef extern from "mask.h" nogil:
    ctypedef struct detap_rle:
        uint32_t h
        uint32_t w
        size_t m
        const uint32_t *cnts
    void detap_rle_bbox(const detap_rle *r, double *bb)
    uint64_t detap_rle_area(const detap_rle *r)
    void detap_rle_iou(const detap_rle *dt, const double *dbb, size_t m,
                       const detap_rle *gt, const double *gbb, size_t n,
                       const uint8_t *crowd, double *o)
    void detap_box_iou(const double *dt, size_t m, const double *gt, size_t n,
                       const uint8_t *crowd, double *o)
    size_t detap_rle_encode(const uint8_t *mask, size_t npix, uint32_t *cnts)
    uint64_t detap_rle_length(const uint32_t *cnts, size_t m)
    void detap_rle_decode(const uint32_t *cnts, size_t m, uint8_t *out, size_t npix)
    size_t detap_rle_merge_room(const detap_rle *rs, size_t n)
    int detap_rle_merge(const detap_rle *rs, size_t n, int intersect, uint32_t *work,
                        size_t room, detap_rle *out)
    size_t detap_rle_to_string(const uint32_t *cnts, size_t m, char *out)
    int detap_rle_from_string(const char *s, size_t len, uint32_t *cnts, size_t *m)
    size_t detap_poly_room(const double *xy, size_t k, uint32_t w)
    int detap_rle_from_poly(const double *xy, size_t k, uint32_t h, uint32_t w,
                            uint32_t *cnts, size_t room, size_t *m)
    size_t detap_box_room(const double *bb, uint32_t w)
    int detap_rle_from_box(const double *bb, uint32_t h, uint32_t w, uint32_t *cnts,
                           size_t room, size_t *m)

__all__ = ["encode", "decode", "iou", "merge", "area", "toBbox", "frBbox", "frPoly",
           "frUncompressedRLE", "frPyObjects"]

cdef unsigned long MAX_DIM = 0xFFFFFFFF

# ============================================================ buffers


cdef class _Scratch:
    """A uint32 array that grows on demand, reused across calls to C."""
    cdef uint32_t *p
    cdef size_t room

    def __dealloc__(self):
        free(self.p)

    cdef uint32_t *need(self, size_t room) except NULL:
        cdef uint32_t *q
        if room > self.room or self.p == NULL:
            q = <uint32_t *> realloc(self.p, (room + 1) * sizeof(uint32_t))
            if q == NULL:
                raise MemoryError()
            self.p, self.room = q, room
        return self.p


cdef class _Rles:
    """n RLEs read from Python objects: the C views plus the counts they
    point into (pycocotools' RLEs)."""
    cdef detap_rle *r
    cdef uint32_t *store
    cdef size_t n

    def __dealloc__(self):
        free(self.r)
        free(self.store)


cdef object _dim(object value):
    """A mask height or width converted as pycocotools converts it (a C
    unsigned long: negative -> OverflowError, not a number -> TypeError),
    then limited to the uint32 the kernels keep."""
    cdef unsigned long v = value
    if v > MAX_DIM:
        raise OverflowError(f"mask size {v} is over {MAX_DIM} (2**32 - 1)")
    return v


cdef dict _rle_dict(uint32_t h, uint32_t w, const uint32_t *cnts, size_t m):
    """One RLE as pycocotools returns it: size [h, w] and compressed counts."""
    cdef char *text = <char *> malloc(7 * m + 1)
    cdef size_t n
    if text == NULL:
        raise MemoryError()
    try:
        n = detap_rle_to_string(cnts, m, text)
        counts = text[:n]
    finally:
        free(text)
    return {'size': [h, w], 'counts': counts}


cdef _Rles _read_rles(rle_objs):
    """RLE dicts with compressed counts (bytes, or str as UTF-8) into C
    views, checking each string (pycocotools' _frString)."""
    len(rle_objs)  # pycocotools sizes its array first: no generators
    cdef list texts = [], dims = []
    cdef size_t room = 0, i, off = 0, m
    for obj in rle_objs:
        text = obj['counts']
        if type(text) is str:
            text = str.encode(text)
        elif type(text) is not bytes:
            raise TypeError(f"Expected bytes, got {type(text).__name__}")
        dims.append((_dim(obj['size'][0]), _dim(obj['size'][1])))
        texts.append(text)
        room += len(text)
    cdef _Rles out = _Rles()
    out.n = len(texts)
    out.r = <detap_rle *> malloc((out.n + 1) * sizeof(detap_rle))
    out.store = <uint32_t *> malloc((room + 1) * sizeof(uint32_t))
    if out.r == NULL or out.store == NULL:
        raise MemoryError()
    cdef const char *s
    for i in range(out.n):
        text = texts[i]
        s = text
        if detap_rle_from_string(s, len(text), out.store + off, &m) != DETAP_OK:
            raise DetapInputError(f"RLE {i}: the compressed counts string ends inside a value "
                                  f"(its last character asks for more): truncated?")
        out.r[i].h, out.r[i].w = dims[i]
        out.r[i].m = m
        out.r[i].cnts = out.store + off
        off += m
    return out


# ============================================================ masks


def encode(mask):
    """Binary masks (h, w, n) uint8 (or bool) in Fortran order -> list of n
    RLE dicts."""
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"Argument 'mask' has incorrect type (expected numpy.ndarray, "
                        f"got {type(mask).__name__})")
    if mask.dtype != np.uint8 and mask.dtype != np.bool_:
        raise ValueError(f"Buffer dtype mismatch, expected 'uint8_t' but got {mask.dtype}")
    if mask.ndim != 3:
        raise ValueError(f"Buffer has wrong number of dimensions (expected 3, got {mask.ndim})")
    if not mask.flags.f_contiguous:
        raise ValueError("ndarray is not Fortran contiguous")
    h, w, n = (_dim(mask.shape[0]), _dim(mask.shape[1]), mask.shape[2])
    cdef size_t npix = h * w, i, m
    cdef const uint8_t[::1] flat
    cdef uint8_t nothing = 0
    cdef const uint8_t *pixels = &nothing
    cdef _Scratch runs = _Scratch()
    cdef uint32_t *cnts = runs.need(npix + 1)
    cdef list objs = []
    if npix and n:
        flat = mask.view(np.uint8).reshape(-1, order='F')
    for i in range(n):
        if npix:
            pixels = &flat[i * npix]
        with nogil:
            m = detap_rle_encode(pixels, npix, cnts)
        objs.append(_rle_dict(h, w, cnts, m))
    return objs


def decode(rleObjs):
    """List of RLE dicts -> masks (h, w, n) uint8 in Fortran order, of the
    first RLE's size."""
    cdef _Rles R = _read_rles(rleObjs)
    cdef size_t i, npix
    if R.n == 0:
        return np.zeros((0, 0, 0), dtype=np.uint8, order='F')
    h, w = R.r[0].h, R.r[0].w
    npix = <size_t> h * w
    total = 0
    for i in range(R.n):
        total += detap_rle_length(R.r[i].cnts, R.r[i].m)
    if total > h * w * R.n:  # (in Python integers) pycocotools' one check
        raise ValueError("Invalid RLE mask representation")
    out = np.zeros((h, w, R.n), dtype=np.uint8, order='F')
    if npix == 0:
        return out
    cdef uint8_t[::1] flat = out.reshape(-1, order='F')
    with nogil:
        for i in range(R.n):
            detap_rle_decode(R.r[i].cnts, R.r[i].m, &flat[i * npix], npix)
    return out


def merge(rleObjs, intersect=0):
    """Union (or intersection when intersect is true) of a list of RLE
    dicts -> one RLE dict."""
    cdef _Rles R = _read_rles(rleObjs)
    cdef int flag = intersect
    cdef size_t room = detap_rle_merge_room(R.r, R.n)
    cdef _Scratch work = _Scratch()
    cdef uint32_t *p = work.need(room)
    cdef detap_rle out
    if detap_rle_merge(R.r, R.n, flag, p, room, &out) != DETAP_OK:
        raise RuntimeError("detap_rle_merge: work array too small")  # cannot happen
    return _rle_dict(out.h, out.w, out.cnts, out.m)


def area(rleObjs):
    """Areas (uint32, wrapping as pycocotools') of a list of RLE dicts."""
    cdef _Rles R = _read_rles(rleObjs)
    out = np.empty(R.n, dtype=np.uint32)
    cdef uint32_t[::1] a = out
    cdef size_t i
    for i in range(R.n):
        a[i] = <uint32_t> detap_rle_area(&R.r[i])
    return out


cdef _boxes_of(_Rles R):
    out = np.empty((R.n, 4), dtype=np.double)
    cdef double[:, ::1] bb = out
    cdef size_t i
    for i in range(R.n):
        detap_rle_bbox(&R.r[i], &bb[i, 0])
    return out


def toBbox(rleObjs):
    """Bounding boxes [x, y, w, h] (n, 4) float64 of a list of RLE dicts."""
    return _boxes_of(_read_rles(rleObjs))


# ============================================================ iou


def _iou_operand(objs):
    """pycocotools' reading of one side of iou(): boxes become an (n, 4)
    float64 array, RLE dicts become _Rles; anything else raises, with
    pycocotools' exception types and messages."""
    if len(objs) == 0:
        return objs
    if type(objs) is np.ndarray:
        if len(objs.shape) == 1:
            # pycocotools reshapes a flat array to (objs[0], 1): it then
            # fails the check below (or the reshape itself raises)
            objs = objs.reshape((objs[0], 1))
        if len(objs.shape) != 2 or objs.shape[1] != 4:
            raise Exception('numpy ndarray input is only for *bounding boxes* and should have '
                            'Nx4 dimension')
        return objs.astype(np.double)
    if type(objs) is list:
        # every element is looked at (len() may raise), as pycocotools does
        box_like = [len(o) == 4 and type(o) in (list, np.ndarray) for o in objs]
        if all(box_like):
            boxes = np.array(objs, dtype=np.double)
            return boxes.reshape((1, boxes.shape[0])) if boxes.ndim == 1 else boxes
        if all([type(o) == dict for o in objs]):
            return _read_rles(objs)
        raise Exception('list input can be bounding box (Nx4) or RLEs ([RLE])')
    raise Exception('unrecognized type.  The following type: RLEs (rle), np.ndarray (box), '
                    'and list (box) are supported.')


def _operand_len(objs):
    if type(objs) is _Rles:
        return (<_Rles> objs).n
    if len(objs) == 0:
        return 0
    return objs.shape[0]


def iou(dt, gt, pyiscrowd):
    """IoU matrix (m, n) float64 between m detections and n GT, both boxes
    ((n, 4) array or list of [x, y, w, h]) or both lists of RLE dicts; a
    crowd GT divides by the detection's area.  [] when a side is empty."""
    crowd = np.array(pyiscrowd, dtype=np.uint8)
    if crowd.ndim != 1:
        raise ValueError(f"Buffer has wrong number of dimensions (expected 1, got {crowd.ndim})")
    dt = _iou_operand(dt)
    gt = _iou_operand(gt)
    cdef size_t m = _operand_len(dt), n = _operand_len(gt)
    if len(pyiscrowd) != n or crowd.shape[0] != n:
        raise AssertionError("iou(iscrowd=) must have the same length as gt")
    if m == 0 or n == 0:
        return []
    if type(dt) is not type(gt):
        raise Exception('The dt and gt should have the same data type, either RLEs, list or '
                        'np.ndarray')
    out = np.empty(m * n, dtype=np.double)
    cdef double[::1] o = out
    cdef const uint8_t[::1] c = crowd
    cdef const double[:, ::1] db, gb
    cdef _Rles rd, rg
    if type(dt) is _Rles:
        rd, rg = dt, gt
        db, gb = _boxes_of(rd), _boxes_of(rg)
        with nogil:
            detap_rle_iou(rd.r, &db[0, 0], m, rg.r, &gb[0, 0], n, &c[0], &o[0])
    else:
        for side in (dt, gt):
            if side.ndim != 2:
                raise ValueError(f"Buffer has wrong number of dimensions (expected 2, "
                                 f"got {side.ndim})")
        db, gb = np.ascontiguousarray(dt), np.ascontiguousarray(gt)
        with nogil:
            detap_box_iou(&db[0, 0], m, &gb[0, 0], n, &c[0], &o[0])
    return out.reshape((m, n), order='F')


# ============================================================ construction


def _check_boxes(bb):
    if not isinstance(bb, np.ndarray):
        raise TypeError(f"Argument 'bb' has incorrect type (expected numpy.ndarray, "
                        f"got {type(bb).__name__})")
    if bb.dtype != np.double:
        raise ValueError(f"Buffer dtype mismatch, expected 'double_t' but got {bb.dtype}")
    if bb.ndim != 2:
        raise ValueError(f"Buffer has wrong number of dimensions (expected 2, got {bb.ndim})")
    if bb.shape[0] and bb.shape[1] != 4:
        raise DetapInputError(f"boxes must be (n, 4) [x, y, w, h], got shape {bb.shape}")


def frBbox(bb, h, w):
    """Boxes (n, 4) float64 [x, y, w, h] -> list of n RLE dicts of an h x w
    mask (each box rasterised as its 4-corner polygon)."""
    cdef uint32_t hh = _dim(h), ww = _dim(w)
    _check_boxes(bb)
    cdef const double[:, ::1] boxes = np.ascontiguousarray(bb)
    cdef size_t i, room, m
    cdef _Scratch buf = _Scratch()
    cdef uint32_t *cnts
    cdef list objs = []
    for i in range(boxes.shape[0]):
        room = detap_box_room(&boxes[i, 0], ww)
        cnts = buf.need(room)
        if detap_rle_from_box(&boxes[i, 0], hh, ww, cnts, room, &m) != DETAP_OK:
            raise DetapInputError(f"box {i}: a coordinate is NaN or beyond +-4.29e8 pixels")
        objs.append(_rle_dict(hh, ww, cnts, m))
    return objs


def frPoly(poly, h, w):
    """List of polygons [x0, y0, x1, y1, ...] -> list of RLE dicts of an
    h x w mask (an odd last value is ignored)."""
    cdef uint32_t hh = _dim(h), ww = _dim(w)
    cdef size_t room, m, k
    cdef const double[::1] xy
    cdef _Scratch buf = _Scratch()
    cdef uint32_t *cnts
    cdef list objs = []
    cdef double nothing = 0
    cdef const double *p
    len(poly)  # pycocotools sizes its output first: no generators
    for i, points in enumerate(poly):
        arr = np.array(points, dtype=np.double, order='F')
        if arr.ndim != 1:
            raise ValueError(f"Buffer has wrong number of dimensions (expected 1, got {arr.ndim})")
        k = int(len(points) / 2)
        p = &nothing
        if k:
            xy = arr
            p = &xy[0]
        room = detap_poly_room(p, k, ww)
        cnts = buf.need(room)
        if detap_rle_from_poly(p, k, hh, ww, cnts, room, &m) != DETAP_OK:
            raise DetapInputError(f"polygon {i}: a coordinate is NaN or beyond +-4.29e8 pixels")
        objs.append(_rle_dict(hh, ww, cnts, m))
    return objs


def frUncompressedRLE(ucRles, h, w):
    """RLE dicts with counts as a list of integers -> RLE dicts with
    compressed counts (h and w are checked but each dict's own size is
    used, as in pycocotools)."""
    _dim(h), _dim(w)
    cdef const uint32_t[::1] cnts
    cdef uint32_t nothing = 0
    cdef list objs = []
    for i in range(len(ucRles)):
        runs = np.array(ucRles[i]['counts'], dtype=np.uint32)
        if runs.ndim != 1:
            raise ValueError(f"Buffer has wrong number of dimensions (expected 1, got {runs.ndim})")
        rh, rw = _dim(ucRles[i]['size'][0]), _dim(ucRles[i]['size'][1])
        if runs.shape[0]:
            cnts = runs
            objs.append(_rle_dict(rh, rw, &cnts[0], runs.shape[0]))
        else:
            objs.append(_rle_dict(rh, rw, &nothing, 0))
    return objs


def frPyObjects(pyobj, h, w):
    """Polygons, boxes or uncompressed RLEs (a list of one kind, judged by
    its first element, or a single object) -> RLE dict(s); pycocotools'
    dispatch, including the inputs it refuses (a list of boxes, a flat
    polygon: TypeError)."""
    if type(pyobj) == np.ndarray:
        return frBbox(pyobj, h, w)
    if type(pyobj) == list and len(pyobj[0]) == 4:
        return frBbox(pyobj, h, w)
    if type(pyobj) == list and len(pyobj[0]) > 4:
        return frPoly(pyobj, h, w)
    if type(pyobj) == list and type(pyobj[0]) == dict \
            and 'counts' in pyobj[0] and 'size' in pyobj[0]:
        return frUncompressedRLE(pyobj, h, w)
    if type(pyobj) == list and len(pyobj) == 4:
        return frBbox([pyobj], h, w)[0]
    if type(pyobj) == list and len(pyobj) > 4:
        return frPoly([pyobj], h, w)[0]
    if type(pyobj) == dict and 'counts' in pyobj and 'size' in pyobj:
        return frUncompressedRLE([pyobj], h, w)[0]
    raise Exception('input type is not supported.')
