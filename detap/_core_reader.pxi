# The COCO JSON readers of detap._core (included by _core.pyx): the C
# reader's columns (csrc/ann_cols.h, csrc/cocojson.h, csrc/results_stream.h)
# taken over as numpy arrays without a copy.

cdef extern from "ann_cols.h" nogil:
    ctypedef struct detap_ann_cols:
        size_t n
        size_t hint
        int64_t *id
        int64_t *image_id
        int64_t *category_id
        double *bbox
        double *area
        double *score
        double *iscrowd
        uint8_t *has
        int64_t *rle_start
        int64_t *rle_len
        int64_t *rle_h
        int64_t *rle_w
        uint8_t *rle_esc
        char *blob
        size_t blob_n
        int64_t *kp_start
        int64_t *kp_len
        double *kp
        size_t kp_n
        double *num_kp
        int64_t *poly_first
        int64_t *poly_count
        double *obb
        double *pv
        size_t pv_n
        int64_t *plen
        size_t plen_n


cdef extern from "cocojson.h" nogil:
    ctypedef struct detap_id_cols:
        size_t n
        int64_t *id
        uint8_t *has
        int64_t *str_start
        int64_t *str_len
        uint8_t *str_esc
        double *width
        double *height
    ctypedef struct detap_coco_doc:
        int top_is_array
        int has_images
        int has_annotations
        int has_categories
        detap_ann_cols ann
        detap_id_cols img
        detap_id_cols cat
        size_t stop
    int detap_coco_parse(const char *buf, size_t len, size_t ann_hint, int flags, int nthreads,
                         detap_coco_doc *doc)
    int DETAP_PARSE_COPY_RLE
    int DETAP_PARSE_NO_POLYGONS
    void detap_coco_doc_free(detap_coco_doc *doc)
    int DETAP_ID_OTHER


cdef extern from "results_stream.h" nogil:
    ctypedef struct detap_results_stream:
        detap_ann_cols ann
        int state
    int detap_results_feed(detap_results_stream *r, const char *buf, size_t len, int final,
                           int nthreads, size_t *consumed)
    void detap_results_free(detap_results_stream *r)
    int DETAP_HAS_ID, DETAP_HAS_IMAGE_ID, DETAP_HAS_CATEGORY_ID, DETAP_HAS_BBOX
    int DETAP_HAS_AREA, DETAP_HAS_SCORE, DETAP_HAS_ISCROWD, DETAP_HAS_SEGMENTATION

HAS_ID, HAS_IMAGE_ID, HAS_CATEGORY_ID = DETAP_HAS_ID, DETAP_HAS_IMAGE_ID, DETAP_HAS_CATEGORY_ID
HAS_BBOX, HAS_AREA, HAS_SCORE, HAS_ISCROWD = DETAP_HAS_BBOX, DETAP_HAS_AREA, DETAP_HAS_SCORE, DETAP_HAS_ISCROWD
HAS_SEGMENTATION = DETAP_HAS_SEGMENTATION  # masks other than a compressed RLE (not read)


_DTYPES = {"q": np.int64, "d": np.float64, "B": np.uint8}


cdef object _own(void **pp, size_t n, str fmt, Py_ssize_t itemsize, absent=None):
    """A numpy array taking over the malloc'd buffer *pp (no copy); *pp is
    cleared so that the document's free leaves it alone.  A column the
    reader never allocated (no record had its field) is ``absent`` for every
    record: a read-only broadcast view, which costs no memory."""
    cdef cvarray arr
    if pp[0] == NULL and absent is not None:
        return np.broadcast_to(np.array(absent, dtype=_DTYPES[fmt]), (n,))
    if n == 0:
        return np.empty(0, dtype=_DTYPES[fmt])
    arr = cvarray(shape=(n,), itemsize=itemsize, format=fmt, mode="c", allocate_buffer=False)
    arr.data = <char *>pp[0]
    arr.callback_free_data = free
    pp[0] = NULL
    return np.asarray(arr)


cdef dict _ann_columns(detap_ann_cols *a):
    """The columns of a reader's records, taken over (see _own)."""
    na = a.n
    return {
        "id": _own(<void **>&a.id, na, "q", 8, 0),
        "image_id": _own(<void **>&a.image_id, na, "q", 8),
        "category_id": _own(<void **>&a.category_id, na, "q", 8),
        "bbox": _own(<void **>&a.bbox, 4 * na, "d", 8).reshape(na, 4),
        "area": _own(<void **>&a.area, na, "d", 8, 0.0),
        "score": _own(<void **>&a.score, na, "d", 8),
        "iscrowd": _own(<void **>&a.iscrowd, na, "d", 8, 0.0),
        "has": _own(<void **>&a.has, na, "B", 1),
        # compressed RLE segmentations (rle_len -1: none), located in the
        # parsed text, or in "rle_blob" for a streamed results file
        "rle_start": _own(<void **>&a.rle_start, na, "q", 8, 0),
        "rle_len": _own(<void **>&a.rle_len, na, "q", 8, -1),
        "rle_h": _own(<void **>&a.rle_h, na, "q", 8, 0),
        "rle_w": _own(<void **>&a.rle_w, na, "q", 8, 0),
        "rle_esc": _own(<void **>&a.rle_esc, na, "B", 1, 0),
        # keypoints: kp[kp_start:kp_start + kp_len] (kp_len -1: none)
        "kp_start": _own(<void **>&a.kp_start, na, "q", 8, 0),
        "kp_len": _own(<void **>&a.kp_len, na, "q", 8, -1),
        "kp": _own(<void **>&a.kp, a.kp_n, "d", 8),
        "num_kp": _own(<void **>&a.num_kp, na, "d", 8, np.nan),  # NaN: absent
        # polygons: row i's are plen[poly_first:poly_first + poly_count]
        # (poly_count -1: none), their coordinates in pv in that order
        "poly_first": _own(<void **>&a.poly_first, na, "q", 8, 0),
        "poly_count": _own(<void **>&a.poly_count, na, "q", 8, -1),
        "pv": _own(<void **>&a.pv, a.pv_n, "d", 8),
        "plen": _own(<void **>&a.plen, a.plen_n, "q", 8),
        # rotated boxes [cx, cy, w, h, angle] (NaN: none)
        "obb": _own(<void **>&a.obb, 5 * na, "d", 8, np.nan).reshape(na, 5),
    }


cdef list _strings(const unsigned char[::1] data, detap_id_cols *a):
    """The located strings of id columns as Python's json reads them."""
    import json as _json
    out = []
    cdef size_t i
    for i in range(a.n):
        if a.str_len[i] < 0:
            out.append(None)
            continue
        raw = bytes(data[a.str_start[i]:a.str_start[i] + a.str_len[i]])
        out.append(_json.loads(b'"' + raw + b'"') if a.str_esc[i] else raw.decode("utf-8", "surrogatepass"))
    return out


ID_OTHER = DETAP_ID_OTHER


def parse_coco_json(const unsigned char[::1] data, bint copy_rle=False, bint polygons=True,
                    int nthreads=0):
    """Columns of a COCO JSON document (csrc/cocojson.h), or None when the
    fast path hands the document to Python's json module.  RLE counts
    strings are located in ``data`` (rle_start), or with ``copy_rle`` copied
    into the "rle_blob" array (so that ``data`` may be dropped).  Without
    ``polygons``, polygon segmentations are checked but not read.  A large
    annotations array is parsed on ``nthreads`` threads (0: all cores,
    threads.py); the columns do not depend on it."""
    cdef detap_coco_doc doc
    memset(&doc, 0, sizeof(doc))
    cdef size_t n = data.shape[0]
    cdef char empty = 0
    cdef const char *buf = <const char *>&data[0] if n else &empty
    cdef int rc
    # a result record takes >= ~57 bytes of JSON, a GT annotation more
    cdef size_t hint = n // 60 + 16
    with nogil:
        rc = detap_coco_parse(buf, n, hint,
                              (DETAP_PARSE_COPY_RLE if copy_rle else 0)
                              | (0 if polygons else DETAP_PARSE_NO_POLYGONS), nthreads, &doc)
    try:
        if rc == DETAP_ENOMEM:
            raise MemoryError("COCO JSON reader: out of memory")
        if rc != DETAP_OK:
            return None
        cols = {
            "top_is_array": bool(doc.top_is_array),
            "sections": {k for k, v in (("images", doc.has_images), ("annotations", doc.has_annotations),
                                        ("categories", doc.has_categories)) if v},
            "img_id": _own(<void **>&doc.img.id, doc.img.n, "q", 8),
            "img_has": _own(<void **>&doc.img.has, doc.img.n, "B", 1),
            "cat_id": _own(<void **>&doc.cat.id, doc.cat.n, "q", 8),
            "cat_has": _own(<void **>&doc.cat.has, doc.cat.n, "B", 1),
            # images' file_name, width, height and categories' name (None:
            # absent; the *_has ID_OTHER bit: present with another kind of value)
            "img_name": _strings(data, &doc.img),
            "img_width": _own(<void **>&doc.img.width, doc.img.n, "d", 8),
            "img_height": _own(<void **>&doc.img.height, doc.img.n, "d", 8),
            "cat_name": _strings(data, &doc.cat),
        }
        if copy_rle:
            cols["rle_blob"] = _own(<void **>&doc.ann.blob, doc.ann.blob_n, "B", 1)
        cols.update(_ann_columns(&doc.ann))
        return cols
    finally:
        detap_coco_doc_free(&doc)


cdef extern from "file_read.h" nogil:
    int detap_read_at(int fd, char *buf, size_t len, int64_t pos, int nthreads, size_t *got,
                      int *err)


def read_at(int fd, size_t n, int64_t pos, int nthreads=0):
    """(the bytes detap_read_at reads of fd: up to n from offset pos, in
    parts on nthreads threads; the errno of a failed read, or 0), for tests
    of csrc/file_read.h; None where it does not read (no pread)."""
    buf = np.zeros(n + 1, dtype=np.uint8)
    cdef unsigned char[::1] v = buf
    cdef size_t got = 0
    cdef int err = 0, rc
    with nogil:
        rc = detap_read_at(fd, <char *>&v[0], n, pos, nthreads, &got, &err)
    return None if rc != DETAP_OK else (bytes(buf[:got]), err)


def read_coco_results(f, size_t size_hint=0, int nthreads=0, size_t block=1 << 20):
    """Columns of a results file (a JSON array of result records), read from
    the binary file ``f`` in blocks and parsed on ``nthreads`` threads
    (csrc/cocojson.h, detap_results_feed), or None when the fast path hands
    the file to Python's json module.  ``nthreads`` 0: all cores (threads.py).
    Memory: one block (``block`` bytes per thread, grown only for a record
    longer than that) plus the columns.  1 MiB reads as fast as 4 (the
    keypoints, segm and coco-f32 bench files, 2026-11-28) and is the peak's
    last transient: a smaller block lowers it.
    ``size_hint``: the file's size in bytes, which bounds the number of
    records (the columns are allocated once).  RLE counts strings are in the
    "rle_blob" array.  A raw file (``io.FileIO``, as ``open(path, "rb",
    buffering=0)`` gives) is read from its position on with pread, each
    block by all the threads at once, and left positioned after what was
    read; any other file object through its ``readinto``."""
    cdef detap_results_stream r
    memset(&r, 0, sizeof(r))
    # a result record takes at least ~57 bytes of JSON
    r.ann.hint = size_hint // 50 + 1024
    cdef size_t cap = block * max(1, nthreads if nthreads > 0 else (os.cpu_count() or 1))
    buf = np.empty(cap, dtype=np.uint8)
    cdef unsigned char[::1] view = buf
    cdef size_t have = 0, consumed = 0, got
    cdef int rc, eof = 0, err = 0
    cdef int fd = -1
    cdef int64_t pos = 0
    if type(f) is _FileIO and f.seekable():  # (a subclass may read its own way)
        fd, pos = f.fileno(), f.tell()
    try:
        while True:
            if not eof:
                if have == cap:  # one record longer than the buffer
                    cap *= 2
                    bigger = np.empty(cap, dtype=np.uint8)
                    bigger[:have] = buf[:have]
                    buf = bigger
                    view = buf
                if fd >= 0:
                    with nogil:
                        rc = detap_read_at(fd, <char *>&view[have], cap - have, pos, nthreads,
                                           &got, &err)
                    if rc == DETAP_OK and err:
                        raise OSError(err, os.strerror(err))
                    if rc != DETAP_OK:  # (no pread here: the file object reads)
                        f.seek(pos)
                        fd = -1
                    else:
                        pos += got
                if fd < 0:
                    got = f.readinto(buf[have:])
                if not got:
                    eof = 1
                have += got
            with nogil:
                rc = detap_results_feed(&r, <const char *>&view[0], have, eof, nthreads, &consumed)
            if rc == DETAP_ENOMEM:
                raise MemoryError("COCO results reader: out of memory")
            if rc != DETAP_OK:
                return None
            if consumed:
                memmove(&view[0], &view[consumed], have - consumed)
                have -= consumed
            if eof:
                if r.state == 2 and have == 0:
                    break
                if not consumed:
                    return None  # cannot happen (a final call progresses or fails): Python decides
        if fd >= 0:
            f.seek(pos)
        cols = {"top_is_array": True, "sections": set(),
                "rle_blob": _own(<void **>&r.ann.blob, r.ann.blob_n, "B", 1)}
        cols.update(_ann_columns(&r.ann))
        return cols
    finally:
        detap_results_free(&r)


def box_result_facts(bbox, score, int nthreads=0):
    """What loadRes needs of (n, 4) xywh result boxes and their (n,) scores,
    in one parallel pass instead of one numpy pass each: (area = w * h
    (n,) float64, as pycocotools sets it; whether every box value and
    score is finite; the number of boxes with a negative width or height).
    A caller that finds a problem names it with its own (slower) checks."""
    cdef const double[:, ::1] b = np.ascontiguousarray(bbox, dtype=np.float64)
    cdef const double[::1] s = np.ascontiguousarray(score, dtype=np.float64)
    cdef Py_ssize_t n = b.shape[0], i
    if b.shape[1] != 4 or s.shape[0] != n:
        raise ValueError("bbox must be (n, 4) and score (n,)")
    area = np.empty(n, np.float64)
    cdef double[::1] a = area
    cdef Py_ssize_t bad = 0, neg = 0
    cdef int nth = detap_team(nthreads)
    with nogil:
        for i in prange(n, num_threads=nth, schedule="static"):
            a[i] = b[i, 2] * b[i, 3]
            bad += not (isfinite(b[i, 0]) and isfinite(b[i, 1]) and isfinite(b[i, 2])
                        and isfinite(b[i, 3]) and isfinite(s[i]))
            neg += b[i, 2] < 0 or b[i, 3] < 0
    return area, bad == 0, neg


cdef inline void _kp_row_box(const double *r, Py_ssize_t m, bint nan_aware, double *out) noexcept nogil:
    """The box [x0, y0, x1, y1] of one row's m / 3 points, into out[0:4].
    Plain comparisons compile to min/max instructions; NaN-aware ones (a
    NaN, once met, stays: no comparison with it is true) are for the rare
    row that holds one."""
    cdef double x0 = r[0], x1 = r[0], y0 = r[1], y1 = r[1], x, y
    cdef Py_ssize_t j
    for j in range(3, m, 3):
        x = r[j]
        y = r[j + 1]
        if nan_aware:
            x0 = x if (x < x0 or x != x) else x0
            x1 = x if (x > x1 or x != x) else x1
            y0 = y if (y < y0 or y != y) else y0
            y1 = y if (y > y1 or y != y) else y1
        else:
            x0 = x if x < x0 else x0
            x1 = x if x > x1 else x1
            y0 = y if y < y0 else y0
            y1 = y if y > y1 else y1
    out[0] = x0
    out[1] = y0
    out[2] = x1
    out[3] = y1


def keypoint_result_boxes(kpts, int nthreads=0):
    """pycocotools' loadRes box and area of (n, 3 K) keypoint results (x, y,
    v per point, pixels): the box spanning all K points, unlabelled ones too,
    as (xywh (n, 4), area (n,)) float64, and the number of rows holding a
    value (x, y or v) that is not finite, so that the caller's check needs
    no pass of its own; in one parallel pass, where numpy's per-row min and
    max over strided rows took 25 ms for 60k results.  A NaN coordinate
    gives NaN, as numpy's min and max do; between -0.0 and +0.0 the first
    one in the row is kept (numpy's choice there depends on its vector
    loop)."""
    kc = np.ascontiguousarray(kpts, dtype=np.float64)
    cdef const double[:, ::1] k = kc
    cdef const uint64_t[:, ::1] u = kc.view(np.uint64)
    cdef Py_ssize_t n = k.shape[0], m = k.shape[1], i, j, bad = 0
    cdef uint64_t row_bad
    if m < 3 or m % 3:
        raise ValueError("keypoints must be (n, 3 K) with K >= 1")
    box = np.empty((n, 4), np.float64)
    area = np.empty(n, np.float64)
    cdef double[:, ::1] b = box
    cdef double[::1] a = area
    cdef double w, h
    cdef int nth = detap_team(nthreads)
    with nogil:
        for i in prange(n, num_threads=nth, schedule="static"):
            row_bad = 0
            for j in range(m):  # (on the bits: exponent all ones, vectorised)
                row_bad = row_bad | ((u[i, j] & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL)
            _kp_row_box(&k[i, 0], m, row_bad != 0, &b[i, 0])  # x0, y0, x1, y1
            bad += row_bad != 0
            w = b[i, 2] - b[i, 0]
            h = b[i, 3] - b[i, 1]
            b[i, 2] = w
            b[i, 3] = h
            a[i] = w * h
    return box, area, bad


def lut_absent(const int64_t[::1] lut, const int64_t[::1] values, int nthreads=0):
    """How many of ``values`` have no entry in the position table ``lut``
    (outside it, or -1): a membership test of ids without (n,) temporaries.
    A caller that finds some names the first with its own checks."""
    cdef Py_ssize_t n = values.shape[0], m = lut.shape[0], i, absent = 0
    cdef int64_t v
    cdef int nth = detap_team(nthreads)
    with nogil:
        for i in prange(n, num_threads=nth, schedule="static"):
            v = values[i]
            absent += v < 0 or v >= m or lut[v] < 0
    return absent
