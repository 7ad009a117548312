# The mask columns of detap._core (included by _core.pyx): every
# annotation's segmentation as one RLE in flat arrays, for the segm cell
# similarity (csrc/mask_cells.h).  Same rules as the rest: check here, then
# call C.

cdef extern from "mask.h" nogil:
    ctypedef struct detap_rle:
        uint32_t h
        uint32_t w
        size_t m
        const uint32_t *cnts
    void detap_rle_bbox(const detap_rle *r, double *bb)
    uint64_t detap_rle_area(const detap_rle *r)
    size_t detap_rle_merge_room(const detap_rle *rs, size_t n)
    int detap_rle_merge(const detap_rle *rs, size_t n, int intersect, uint32_t *work,
                        size_t room, detap_rle *out)
    int detap_rle_from_string(const char *s, size_t len, uint32_t *cnts, size_t *m)
    int detap_rle_from_text(const char *s, size_t len, uint32_t *cnts, size_t *m)
    int detap_rle_text_area(const char *s, size_t len, uint32_t *area)
    int64_t detap_rle_string_count(const char *s, size_t len, int ascii_only)
    size_t detap_poly_room(const double *xy, size_t k, uint32_t w)
    int detap_rle_from_poly(const double *xy, size_t k, uint32_t h, uint32_t w,
                            uint32_t *cnts, size_t room, size_t *m)

cdef extern from "mask_cells.h" nogil:
    ctypedef struct detap_mask_ctx:
        const detap_rle *gt
        const detap_rle *dt
        const double *gt_bb
        const double *dt_bb
        const uint8_t *gt_crowd
        const char *dt_text
        const int64_t *dt_start
        const int64_t *dt_len
    int detap_coco_mask_sim(const void *ctx, const int64_t *drow, size_t D,
                            const int64_t *grow, size_t G, double *out)


import json

from cython.parallel cimport parallel
from .errors import DetapInputError


def _string_spans(text, Py_ssize_t n):
    """(start, length) of ``text`` = (blob, start, length), checked: n
    spans inside blob (C then reads each whole)."""
    blob, st, ln = text
    st = np.ascontiguousarray(st, dtype=np.int64)
    ln = np.ascontiguousarray(ln, dtype=np.int64)
    if not isinstance(blob, np.ndarray) or blob.dtype != np.uint8 or blob.ndim != 1 or \
            not blob.flags.c_contiguous:
        raise ValueError("mask strings must be a contiguous uint8 array")
    if st.shape[0] != n or ln.shape[0] != n or (n and ((st < 0).any() or (ln < 0).any()
                                                      or (st + ln > blob.shape[0]).any())):
        raise ValueError(f"mask strings must be {n} spans inside their array")
    return st, ln


cdef detap_rle *_rle_array(counts, off, hw, Py_ssize_t n) except NULL:
    """n detap_rle pointing into counts (checked: offsets in range); free()."""
    off = np.ascontiguousarray(off, dtype=np.int64)
    hw = np.ascontiguousarray(hw, dtype=np.uint32)
    counts = np.ascontiguousarray(counts, dtype=np.uint32)
    if off.shape[0] != n + 1 or hw.shape[0] != n or hw.shape[1] != 2:
        raise ValueError(f"mask columns must describe {n} RLEs")
    if off[0] != 0 or off[n] != counts.shape[0] or np.any(np.diff(off) < 0):
        raise ValueError("mask offsets must run from 0 to the number of counts")
    cdef detap_rle *r = <detap_rle *>malloc((n + 1) * sizeof(detap_rle))
    if r == NULL:
        raise MemoryError()
    cdef const int64_t[::1] v_off = off
    cdef const uint32_t[:, ::1] v_hw = hw
    cdef const uint32_t *base = <const uint32_t *>cnp.PyArray_DATA(counts) if counts.shape[0] else NULL
    cdef Py_ssize_t i
    for i in range(n):
        r[i].h, r[i].w = v_hw[i, 0], v_hw[i, 1]
        r[i].m = <size_t>(v_off[i + 1] - v_off[i])
        r[i].cnts = base + v_off[i] if r[i].m else NULL
    return r


def rle_columns(objs, heights, widths, str where, int nthreads=1):
    """Every annotation's mask as one RLE: (counts uint32 (total,), off int64
    (n + 1,), hw uint32 (n, 2), bbox float64 (n, 4) pycocotools' toBbox,
    area float64 (n,) pycocotools' uint32 area).

    objs[i] is what pycocotools' annToRLE reads: a compressed RLE dict
    ({"size": [h, w], "counts": str or bytes}), an uncompressed one
    ({"counts": [ints]}: the image's size, heights[i] x widths[i]), or a
    list of polygons [x0, y0, x1, y1, ...] rasterised in the image's size
    and merged (union).  Other shapes must be converted by the caller.
    Polygons are rasterised on ``nthreads`` threads (the results do not
    depend on it)."""
    cdef Py_ssize_t n = len(objs), i
    hs = np.ascontiguousarray(heights, dtype=np.int64).reshape(-1)
    ws = np.ascontiguousarray(widths, dtype=np.int64).reshape(-1)
    if hs.shape[0] != n or ws.shape[0] != n:
        raise ValueError("one height and width per annotation")
    hw = np.zeros((n, 2), np.uint32)
    cdef uint32_t[:, ::1] v_hw = hw
    cdef size_t m = 0
    cdef int rc
    cdef uint32_t h, w
    cdef bytes s
    pieces = [None] * n   # counts of the RLE objects, as arrays
    poly_obj, parts = [], []  # polygon objects, their parts' coordinates
    nparts = [0]
    for i in range(n):
        o = objs[i]
        if isinstance(o, dict):
            c = o.get("counts")
            if isinstance(c, (str, bytes)):
                size = o.get("size")
                if not isinstance(size, (list, tuple)) or len(size) != 2:
                    raise DetapInputError(f"{where}: record {i} 'segmentation' has no [h, w] 'size'")
                h, w = _dim32(size[0], where, i), _dim32(size[1], where, i)
                s = _counts_bytes(c, where, i) if isinstance(c, str) else c
                arr = np.empty(len(s) + 1, np.uint32)
                rc = detap_rle_from_string(s, len(s), <uint32_t *>cnp.PyArray_DATA(arr), &m)
                if rc != 0:
                    raise DetapInputError(f"{where}: record {i} 'segmentation' counts string "
                                          "ends inside a value")
                pieces[i] = arr[:m]
            else:
                h, w = _dim32(hs[i], where, i), _dim32(ws[i], where, i)
                try:
                    pieces[i] = np.array(c, dtype=np.uint32).reshape(-1)
                except (TypeError, ValueError, OverflowError):
                    raise DetapInputError(f"{where}: record {i} 'segmentation' counts are not "
                                          f"non-negative integers: {c!r:.80}") from None
        else:
            h, w = _dim32(hs[i], where, i), _dim32(ws[i], where, i)
            for j, part in enumerate(o):
                try:
                    parts.append(np.ascontiguousarray(part, dtype=np.float64).reshape(-1))
                except (TypeError, ValueError, OverflowError):
                    raise DetapInputError(f"{where}: record {i} 'segmentation' polygon {j} is "
                                          "not a list of numbers") from None
            poly_obj.append(i)
            nparts.append(len(o))
        v_hw[i, 0] = h
        v_hw[i, 1] = w
    groups = []
    rows = np.array([j for j in range(n) if pieces[j] is not None], np.int64)
    if rows.size:
        lengths = np.fromiter((len(pieces[j]) for j in rows.tolist()), np.int64, count=rows.size)
        off = np.zeros(rows.size + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        groups.append((rows, np.concatenate([pieces[j] for j in rows.tolist()]), off))
    if poly_obj:
        first = np.cumsum(nparts[:-1], dtype=np.int64)
        pv = np.concatenate(parts) if parts else np.zeros(0)
        plen = np.fromiter((len(p) for p in parts), np.int64, count=len(parts))
        rows = np.asarray(poly_obj, np.int64)
        groups.append((rows, *_rasterize(rows, pv, plen, first, np.asarray(nparts[1:], np.int64),
                                         hw, nthreads, where)))
    return _joined(n, groups, hw, nthreads)


def _joined(Py_ssize_t n, groups, hw, int nthreads):
    """rle_columns' output for n rows from ``groups``, each (rows, counts,
    off): its RLEs (counts[off[j]:off[j + 1]] is row rows[j]'s).  Every row
    is in one group."""
    lengths = np.full(n, -1, np.int64)
    for rows, counts, off in groups:
        lengths[rows] = np.diff(off)
    if (lengths < 0).any():
        raise ValueError("every row needs its RLE")
    if len(groups) == 1 and np.array_equal(groups[0][0], np.arange(n)):
        counts, off = groups[0][1], groups[0][2]
    else:
        off = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=off[1:])
        counts = np.empty(int(off[n]), np.uint32)
        for rows, c, o in groups:
            _scatter_runs(counts, off, rows, c, o, nthreads)
    bbox, area = _rle_boxes(counts, off, hw, nthreads)
    return counts, off, hw, bbox, area


cdef void _scatter_runs(uint32_t[::1] dst, const int64_t[::1] doff, const int64_t[::1] rows,
                        const uint32_t[::1] src, const int64_t[::1] soff, int nthreads) noexcept:
    """dst[doff[rows[j]]:...] = src[soff[j]:soff[j + 1]] for every j (the
    caller sized dst's rows to these lengths)."""
    cdef Py_ssize_t j, nj = rows.shape[0]
    cdef int64_t k
    if dst.shape[0] == 0:
        return
    with nogil:
        for j in prange(nj, num_threads=detap_team(nthreads), schedule="static"):
            k = soff[j + 1] - soff[j]
            if k > 0:
                memcpy(&dst[doff[rows[j]]], &src[soff[j]], <size_t>k * sizeof(uint32_t))


def reader_rle_columns(const unsigned char[::1] blob, cols, heights, widths, str where,
                       int nthreads=1):
    """rle_columns' output for the records the C reader read (``cols``:
    parse_coco_json's columns, RLE strings in ``blob``): each record holds a
    compressed RLE (rle_len >= 0, its own size) or polygons (poly_count >=
    0; rasterised in heights[i] x widths[i], the image's size, and
    merged)."""
    rle = np.asarray(cols["rle_len"]) >= 0
    poly = np.asarray(cols["poly_count"]) >= 0
    cdef Py_ssize_t n = rle.shape[0]
    if not bool(np.all(rle | poly)):
        raise ValueError("every record needs a compressed RLE or polygons")
    hw = np.zeros((n, 2), np.uint32)
    hs = np.asarray(heights, dtype=np.int64)
    ws = np.asarray(widths, dtype=np.int64)
    if hs.shape != (n,) or ws.shape != (n,):
        raise ValueError("one height and width per record")
    groups = []
    rows = np.flatnonzero(rle)
    if rows.size:
        counts, off, hw_r = _decode_spans(blob, cols["rle_start"][rows], cols["rle_len"][rows],
                                          cols["rle_esc"][rows], cols["rle_h"][rows],
                                          cols["rle_w"][rows], where, nthreads)
        hw[rows] = hw_r
        groups.append((rows.astype(np.int64), counts, off))
    rows = np.flatnonzero(poly & ~rle)
    if rows.size:
        bad = (hs[rows] < 0) | (hs[rows] > 0xFFFFFFFF) | (ws[rows] < 0) | (ws[rows] > 0xFFFFFFFF)
        if bad.any():
            i = int(rows[np.flatnonzero(bad)[0]])
            raise DetapInputError(f"{where}: record {i}: mask size {hs[i]} x {ws[i]} is out of range")
        hw[rows, 0], hw[rows, 1] = hs[rows], ws[rows]
        rows = rows.astype(np.int64)
        groups.append((rows, *_rasterize(rows, cols["pv"], cols["plen"], cols["poly_first"][rows],
                                         cols["poly_count"][rows], hw, nthreads, where)))
    return _joined(n, groups, hw, nthreads)


def _rasterize(objs, pv, plen, pfirst, pcount, hw, int nthreads, str where):
    """(counts, off): counts[off[j]:off[j + 1]] is the union of the polygons
    pfirst[j] .. + pcount[j] in object objs[j]'s h x w (hw[objs[j]]), for
    every j, rasterised on nthreads threads.
    Polygon q's coordinates are the plen[q] values of pv after those of
    the polygons before it (x0, y0, x1, y1, ...; an odd last value is not
    read, as in pycocotools)."""
    pv = np.ascontiguousarray(pv, dtype=np.float64)
    plen = np.ascontiguousarray(plen, dtype=np.int64)
    pfirst = np.ascontiguousarray(pfirst, dtype=np.int64)
    pcount = np.ascontiguousarray(pcount, dtype=np.int64)
    objs = np.ascontiguousarray(objs, dtype=np.int64)
    cdef Py_ssize_t nj = objs.shape[0], npart = plen.shape[0], j
    if nj == 0:
        return np.zeros(0, np.uint32), np.zeros(1, np.int64)
    # the C loop reads every pointer it is given: check the layout first
    if pfirst.shape[0] != nj or pcount.shape[0] != nj or (plen < 0).any() or \
            int(plen.sum()) != pv.shape[0] or (pcount < 0).any() or (pfirst < 0).any() or \
            (pfirst + pcount > npart).any() or (objs < 0).any() or (objs >= hw.shape[0]).any():
        raise ValueError("polygon layout out of range")
    starts = np.zeros(npart + 1, np.int64)
    np.cumsum(plen, out=starts[1:])
    cdef const double *base = <const double *>cnp.PyArray_DATA(pv)
    cdef const int64_t[::1] v_st = starts, v_pl = plen
    cdef const double **xy = <const double **>malloc((npart + 1) * sizeof(double *))
    cdef size_t *k = <size_t *>malloc((npart + 1) * sizeof(size_t))
    cdef uint32_t **out = <uint32_t **>calloc(nj, sizeof(uint32_t *))
    cdef size_t *outm = <size_t *>calloc(nj, sizeof(size_t))
    cdef int *rcs = <int *>calloc(nj, sizeof(int))
    cdef int64_t[::1] v_o
    cdef uint32_t *cbase
    try:
        if xy == NULL or k == NULL or out == NULL or outm == NULL or rcs == NULL:
            raise MemoryError()
        for j in range(npart):
            xy[j] = base + v_st[j] if v_pl[j] >= 2 else NULL
            k[j] = <size_t>(v_pl[j] // 2)
        _rasterize_all(xy, k, pfirst, pcount, objs, hw, out, outm, rcs, nj, detap_team(nthreads))
        for j in range(nj):
            if rcs[j] == DETAP_ENOMEM:
                raise MemoryError()
            if rcs[j] != 0:
                raise DetapInputError(f"{where}: record {objs[j]} 'segmentation' has a "
                                      "polygon coordinate that is NaN or out of range")
        off = np.zeros(nj + 1, np.int64)
        v_o = off
        for j in range(nj):
            v_o[j + 1] = v_o[j] + <int64_t>outm[j]
        counts = np.empty(int(off[nj]), np.uint32)
        cbase = <uint32_t *>cnp.PyArray_DATA(counts)
        with nogil:
            for j in prange(nj, num_threads=detap_team(nthreads), schedule="static"):
                if outm[j]:
                    memcpy(cbase + v_o[j], out[j], outm[j] * sizeof(uint32_t))
        return counts, off
    finally:
        if out != NULL:
            for j in range(nj):
                free(out[j])
        free(xy); free(k); free(out); free(outm); free(rcs)


cdef void _rasterize_all(const double **xy, const size_t *k, const int64_t[::1] first,
                         const int64_t[::1] count, const int64_t[::1] obj,
                         const uint32_t[:, ::1] hw, uint32_t **out,
                         size_t *outm, int *rcs, Py_ssize_t nj, int nth) noexcept:
    cdef Py_ssize_t j
    with nogil:
        for j in prange(nj, num_threads=nth, schedule="dynamic", chunksize=16):
            rcs[j] = _union_of_polygons(xy + first[j], k + first[j], count[j],
                                        hw[obj[j], 0], hw[obj[j], 1], &out[j], &outm[j])


cdef int _union_of_polygons(const double **xy, const size_t *k, Py_ssize_t np_, uint32_t h,
                            uint32_t w, uint32_t **out, size_t *m) noexcept nogil:
    """pycocotools' annToRLE of one polygon list: frPoly of each part, then
    merge (union).  *out: malloc'd counts (the caller frees), *m their number."""
    cdef detap_rle *r = <detap_rle *>calloc(np_ + 1, sizeof(detap_rle))
    cdef uint32_t **bufs = <uint32_t **>calloc(np_ + 1, sizeof(uint32_t *))
    cdef detap_rle merged
    cdef size_t room, mm = 0
    cdef int rc = DETAP_OK
    cdef Py_ssize_t j
    cdef uint32_t *work = NULL
    if r == NULL or bufs == NULL:
        free(r); free(bufs)
        return DETAP_ENOMEM
    for j in range(np_):
        room = detap_poly_room(xy[j], k[j], w)
        bufs[j] = <uint32_t *>malloc((room + 1) * sizeof(uint32_t))
        if bufs[j] == NULL:
            rc = DETAP_ENOMEM
            break
        rc = detap_rle_from_poly(xy[j], k[j], h, w, bufs[j], room, &mm)
        if rc != DETAP_OK:
            break
        r[j].h, r[j].w, r[j].m, r[j].cnts = h, w, mm, bufs[j]
    if rc == DETAP_OK:
        room = detap_rle_merge_room(r, np_)
        work = <uint32_t *>malloc((room + 1) * sizeof(uint32_t))
        if work == NULL:
            rc = DETAP_ENOMEM
        else:
            rc = detap_rle_merge(r, np_, 0, work, room, &merged)
    if rc == DETAP_OK:
        if merged.m and merged.cnts != work:
            memcpy(work, merged.cnts, merged.m * sizeof(uint32_t))
        out[0], m[0] = work, merged.m
        work = NULL
    free(work)
    for j in range(np_):
        free(bufs[j])
    free(bufs); free(r)
    return rc


def rle_from_spans(const unsigned char[::1] data, start, length, esc, h, w, str where,
                   int nthreads=0):
    """rle_columns' output for compressed RLE counts strings located in the
    JSON text ``data`` by the C reader (parse_coco_json's rle_* columns):
    string i is data[start[i]:start[i] + length[i]] (raw JSON string bytes;
    esc[i]: it holds escapes), of size h[i] x w[i]."""
    counts, off, hw = _decode_spans(data, start, length, esc, h, w, where, nthreads)
    cdef int nth = detap_team(nthreads)
    bbox, area = _rle_boxes(counts, off, hw, nth)
    return counts, off, hw, bbox, area


def _checked_spans(Py_ssize_t N, start, length, esc, h, w, str where):
    """The span columns as contiguous arrays, checked: inside N bytes of
    data, one of each per annotation, sizes within uint32."""
    st = np.ascontiguousarray(start, dtype=np.int64)
    ln = np.ascontiguousarray(length, dtype=np.int64)
    es = np.ascontiguousarray(esc, dtype=np.uint8)
    hh = np.ascontiguousarray(h, dtype=np.int64)
    ww = np.ascontiguousarray(w, dtype=np.int64)
    cdef Py_ssize_t n = st.shape[0]
    if ln.shape[0] != n or es.shape[0] != n or hh.shape[0] != n or ww.shape[0] != n:
        raise ValueError("one span, escape flag and size per annotation")
    if n and ((ln < 0).any() or (st < 0).any() or (st + ln > N).any()):
        raise ValueError("RLE spans must lie inside the data")
    if n and ((hh < 0).any() or (ww < 0).any() or (hh > 0xFFFFFFFF).any() or (ww > 0xFFFFFFFF).any()):
        i = int(np.flatnonzero((hh < 0) | (ww < 0) | (hh > 0xFFFFFFFF) | (ww > 0xFFFFFFFF))[0])
        raise DetapInputError(f"{where}: record {i}: mask size {hh[i]} x {ww[i]} is out of range")
    return st, ln, es, hh, ww


def rle_strings(unsigned char[::1] blob, start, length, esc, h, w, str where, int nthreads=0):
    """Compressed RLE counts strings of the C reader (rle_from_spans' input,
    in its own writable "rle_blob") made ready to be decoded where they are
    compared (csrc/mask_cells.h), without holding their counts: JSON
    escapes undone in place (a string only shrinks), each string cut at its
    first NUL (pycocotools stops there) and checked to decode whole.
    ``esc`` as the reader gives it (csrc/cocojson.h): 0 is trusted to be
    plain ASCII without a NUL (no JSON string holds a raw one); 1 is
    checked; 2 goes to Python's json.
    Returns (start, length, hw, area): the strings' spans in blob now, and
    rle_from_spans' sizes and areas, read from each string without storing
    its counts (its toBbox box is found where it is compared:
    csrc/mask_cells.h, or by text_boxes)."""
    st, ln, es, hh, ww = _checked_spans(blob.shape[0], start, length, esc, h, w, where)
    st, ln, es = st.copy(), ln.copy(), es.copy()
    cdef Py_ssize_t n = st.shape[0], i
    cdef int64_t[::1] v_st = st, v_ln = ln
    cdef uint8_t[::1] v_es = es
    cdef char *src = <char *>&blob[0] if blob.shape[0] else NULL
    cdef int nth = detap_team(nthreads)
    hw = np.empty((n, 2), np.uint32)
    hw[:, 0], hw[:, 1] = hh, ww
    area = np.zeros(n)
    cdef double[::1] v_a = area
    cdef const uint32_t[:, ::1] v_hw = hw
    # per string: 0 done, 1 ends inside a value, 2 for Python's json (an
    # escape other than \\ \/ \" or a byte beyond ASCII), -1 no memory
    rcs = np.zeros(n, np.int8)
    cdef int8_t[::1] v_rc = rcs
    cdef Py_ssize_t maxlen = int(ln.max()) if n else 0
    with nogil:
        for i in prange(n, num_threads=nth, schedule="dynamic", chunksize=256):
            if v_es[i] == 0:  # plain ASCII, no NUL: nothing to check
                v_rc[i] = _text_area(src + v_st[i], v_ln[i], &v_a[i])
            elif v_es[i] != 1 or not _plain_text(src + v_st[i], <size_t>v_ln[i]):
                v_rc[i] = 2  # (left as it is: Python reads the original bytes)
            else:
                v_ln[i] = <int64_t>_unescape(src + v_st[i], <size_t>v_ln[i], src + v_st[i])
                v_rc[i] = _string_area(src + v_st[i], &v_ln[i], &v_a[i])
    # the strings Python's json reads: their UTF-8 text is never longer
    # than their escaped form, so it is written back in place
    cdef bytes text
    odd = np.flatnonzero(rcs == 2)
    for i in odd:
        text = _json_counts(blob, v_st[i], v_ln[i], where, i)
        if len(text) > v_ln[i]:
            raise ValueError("a decoded counts string is longer than its JSON form")
        memcpy(src + v_st[i], <const char *>text, len(text))
        v_ln[i] = len(text)
        v_rc[i] = _string_area(src + v_st[i], &v_ln[i], &v_a[i])
    if rcs.any():
        i = int(np.flatnonzero(rcs)[0])
        raise DetapInputError(f"{where}: record {i} 'segmentation' counts string ends "
                              "inside a value")
    return st, ln, hw, area


def text_boxes(blob, start, length, hw, int nthreads=0):
    """pycocotools' toBbox (n, 4) of the compressed counts strings
    rle_strings made (string i blob[start[i]:start[i] + length[i]], of
    size hw[i]), each decoded into a buffer of its thread's."""
    st, ln = _string_spans((blob, start, length), len(start))
    cdef const unsigned char[::1] data = blob
    hw = np.ascontiguousarray(hw, dtype=np.uint32)
    cdef Py_ssize_t n = st.shape[0], i
    if hw.shape[0] != n or hw.ndim != 2 or hw.shape[1] != 2:
        raise ValueError("one (h, w) per string")
    cdef const int64_t[::1] v_st = st, v_ln = ln
    cdef const uint32_t[:, ::1] v_hw = hw
    cdef const char *src = <const char *>&data[0] if data.shape[0] else NULL
    bbox = np.zeros((n, 4))
    cdef double[:, ::1] v_bb = bbox
    rcs = np.zeros(n, np.int8)
    cdef int8_t[::1] v_rc = rcs
    cdef Py_ssize_t maxlen = int(ln.max()) if n else 0
    cdef uint32_t *scratch
    cdef size_t m
    with nogil, parallel(num_threads=detap_team(nthreads)):
        scratch = <uint32_t *>malloc((<size_t>maxlen + 1) * sizeof(uint32_t))
        for i in prange(n, schedule="dynamic", chunksize=256):
            if scratch == NULL:
                v_rc[i] = -1
            elif detap_rle_from_text(src + v_st[i], <size_t>v_ln[i], scratch, &m) != 0:
                v_rc[i] = 1
            else:
                _box_one(scratch, 0, <int64_t>m, v_hw[i, 0], v_hw[i, 1], &v_bb[i, 0])
        free(scratch)
    if (rcs < 0).any():
        raise MemoryError()
    if rcs.any():
        raise ValueError("a counts string ends inside a value")
    return bbox




def decode_text_spans(const unsigned char[::1] data, start, length, h, w, str where,
                      int nthreads=0):
    """(counts, off, hw) of the compressed counts strings rle_strings made:
    text as pycocotools reads it (no JSON escapes, any bytes)."""
    return _decode_spans(data, start, length, np.zeros(len(start), np.uint8), h, w, where,
                         nthreads, False)


def _decode_spans(const unsigned char[::1] data, start, length, esc, h, w, str where,
                  int nthreads=0, bint raw=True):
    """(counts, off, hw) of rle_from_spans.  Two passes over the strings on
    all threads: count the values (the counts array is then allocated at its
    exact size), decode them.  raw False: the spans are text already (bytes
    as pycocotools reads them, no JSON escapes: rle_strings' output)."""
    st, ln, es, hh, ww = _checked_spans(data.shape[0], start, length, esc, h, w, where)
    cdef Py_ssize_t n = st.shape[0], i, N = data.shape[0]
    cdef const int64_t[::1] v_st = st, v_ln = ln
    cdef const uint8_t[::1] v_es = es
    cdef const char *src = <const char *>&data[0] if N else NULL
    nval = np.zeros(n, np.int64)
    cdef int64_t[::1] v_nv = nval
    # strings with escapes other than \\ \/ \" (\u...): Python's json reads them
    odd = {}
    cdef Py_ssize_t maxlen = int(ln.max()) if n else 0
    cdef int nth = detap_team(nthreads)
    with nogil:
        for i in prange(n, num_threads=nth, schedule="static"):
            v_nv[i] = _count_values(src + v_st[i], <size_t>v_ln[i], v_es[i], raw)
    is_odd = (nval < 0).astype(np.uint8)  # (nval is then set: the decoding loop skips these)
    cdef const uint8_t[::1] v_odd = is_odd
    for i in np.flatnonzero(is_odd):
        text = _json_counts(data, v_st[i], v_ln[i], where, i)
        odd[i] = text
        nval[i] = _count_values(text, len(text), 0, 0)
    off = np.zeros(n + 1, np.int64)
    np.cumsum(nval, out=off[1:])
    counts = np.empty(int(off[n]), np.uint32)
    hw = np.empty((n, 2), np.uint32)
    hw[:, 0], hw[:, 1] = hh, ww
    cdef const int64_t[::1] v_off = off
    cdef uint32_t *cbase = <uint32_t *>cnp.PyArray_DATA(counts)
    rcs = np.zeros(n, np.int8)
    cdef int8_t[::1] v_rc = rcs
    cdef char *scratch
    cdef size_t m
    with nogil, parallel(num_threads=nth):
        scratch = <char *>malloc(<size_t>maxlen + 1)
        for i in prange(n, schedule="dynamic", chunksize=256):
            if v_odd[i]:
                continue  # done below, with the GIL
            if scratch == NULL:
                v_rc[i] = -1
            elif v_es[i]:
                m = _unescape(src + v_st[i], <size_t>v_ln[i], scratch)
                v_rc[i] = detap_rle_from_string(scratch, m, cbase + v_off[i], &m) != 0
            else:
                v_rc[i] = detap_rle_from_string(src + v_st[i], <size_t>v_ln[i],
                                                cbase + v_off[i], &m) != 0
        free(scratch)
    for i, text in odd.items():
        rcs[i] = detap_rle_from_string(text, len(text), cbase + v_off[i], &m) != 0
    if (rcs < 0).any():
        raise MemoryError()
    if rcs.any():
        i = int(np.flatnonzero(rcs)[0])
        raise DetapInputError(f"{where}: record {i} 'segmentation' counts string ends "
                              "inside a value")
    return counts, off, hw


cdef bytes _json_counts(const unsigned char[::1] data, int64_t start, int64_t length, str where,
                        Py_ssize_t i):
    """The UTF-8 bytes of the counts string data[start:start + length]
    (raw JSON string bytes) as Python's json reads it: for the escapes C
    leaves to it (\\u...)."""
    return _counts_bytes(json.loads(b'"' + bytes(data[start:start + length]) + b'"'), where, i)


cdef bytes _counts_bytes(str counts, str where, Py_ssize_t i):
    """A counts string's UTF-8 bytes (what pycocotools decodes); a lone
    surrogate (from a \\ud800 escape) is an input error."""
    try:
        return counts.encode()
    except UnicodeEncodeError:
        raise DetapInputError(f"{where}: record {i} 'segmentation' counts string holds a lone "
                              "surrogate") from None


cdef int64_t _count_values(const char *s, size_t n, int esc, int raw=1) noexcept nogil:
    """How many counts pycocotools reads from the string (it stops at a NUL)
    of raw JSON string bytes (raw) or of the string's UTF-8 text:
    the characters without the continuation bit.  The escapes \\\\ \\/ \\"
    stand for characters with that bit, as their two raw bytes do; with any
    other escape or a byte beyond ASCII: -1 (Python's json must read the
    string, and its str.encode() judges a surrogate as pycocotools' does)."""
    cdef size_t j = 0
    cdef int64_t k = 0
    cdef unsigned char c
    if not esc:
        return detap_rle_string_count(s, n, raw)
    while j < n:
        c = <unsigned char>s[j]
        if c == 0:
            break
        if raw and c >= 0x80:
            return -1
        if esc and c == 92:
            if j + 1 >= n or not (s[j + 1] == 92 or s[j + 1] == 47 or s[j + 1] == 34):
                return -1
            j += 2  # the escaped character: it has the bit too
            continue
        if not (((c - 48) & 0x3f) & 0x20):
            k += 1
        j += 1
    return k


cdef int _plain_text(const char *s, size_t n) noexcept nogil:
    """1 when C reads the escaped JSON string bytes s[0..n) (up to a NUL) as
    Python's json would: no byte beyond ASCII (Python checks their UTF-8)
    and no escape other than \\\\ \\/ \\" (scanned before _unescape rewrites).
    A counts string holds few escapes: they are found by memchr, and the
    bytes beyond ASCII by one branch-free pass."""
    cdef const char *nul = <const char *>memchr(s, 0, n)
    if nul != NULL:  # (what follows a NUL is never read)
        n = <size_t>(nul - s)
    cdef unsigned char high = 0
    cdef size_t j
    for j in range(n):
        high |= <unsigned char>s[j]
    if high & 0x80:
        return 0
    cdef const char *q = s
    cdef const char *end = s + n
    while True:
        q = <const char *>memchr(q, 92, <size_t>(end - q))
        if q == NULL:
            return 1
        if q + 1 >= end or not (q[1] == 92 or q[1] == 47 or q[1] == 34):
            return 0
        q += 2


cdef int8_t _string_area(const char *s, int64_t *length, double *area) noexcept nogil:
    """Cut the counts string at its first NUL (pycocotools stops there; the
    new length into *length), then _text_area."""
    cdef const char *nul = <const char *>memchr(s, 0, <size_t>length[0])
    if nul != NULL:
        length[0] = nul - s
    return _text_area(s, length[0], area)


cdef inline int8_t _text_area(const char *s, int64_t length, double *area) noexcept nogil:
    """The uint32 area of the counts text s[0..length) (no NUL): 0, or 1
    when it ends inside a value."""
    cdef uint32_t a = 0
    if detap_rle_text_area(s, <size_t>length, &a) != 0:
        return 1
    area[0] = <double>a
    return 0


cdef size_t _unescape(const char *s, size_t n, char *out) noexcept nogil:
    """JSON string bytes s[0..n) without the escapes \\\\, \\/ and \\" into out
    (which may be s itself: the text only moves left); (size_t)-1 when
    another escape occurs.  The plain stretches between escapes move whole."""
    cdef size_t i = 0, k = 0, seg
    cdef const char *q
    while i < n:
        q = <const char *>memchr(s + i, 92, n - i)
        seg = <size_t>(q - (s + i)) if q != NULL else n - i
        if seg:
            memmove(out + k, s + i, seg)
        i += seg
        k += seg
        if q == NULL:
            break
        if i + 1 >= n or not (s[i + 1] == 92 or s[i + 1] == 47 or s[i + 1] == 34):
            return <size_t>-1
        out[k] = s[i + 1]
        i += 2
        k += 1
    return k


cdef uint32_t _dim32(v, str where, Py_ssize_t i) except? 0:
    try:
        x = int(v)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        raise DetapInputError(f"{where}: record {i}: mask size {v!r:.40} is not an integer") from None
    if x < 0 or x > 0xFFFFFFFF:
        raise DetapInputError(f"{where}: record {i}: mask size {x} is out of range")
    return <uint32_t>x


def _rle_boxes(counts, off, hw, int nth=1):
    """pycocotools' toBbox and uint32 area of every RLE (on nth threads)."""
    cdef Py_ssize_t n = off.shape[0] - 1, i
    bbox = np.zeros((n, 4))
    area = np.zeros(n)
    cdef double[:, ::1] v_bb = bbox
    cdef double[::1] v_a = area
    cdef const int64_t[::1] v_off = off
    cdef const uint32_t[:, ::1] v_hw = hw
    cdef const uint32_t *base = <const uint32_t *>cnp.PyArray_DATA(counts) if counts.shape[0] else NULL
    with nogil:
        for i in prange(n, num_threads=detap_team(nth), schedule="static"):
            v_a[i] = _box_one(base, v_off[i], v_off[i + 1], v_hw[i, 0], v_hw[i, 1], &v_bb[i, 0])
    return bbox, area


cdef double _box_one(const uint32_t *base, int64_t b, int64_t e, uint32_t h, uint32_t w,
                     double *bb) noexcept nogil:
    """toBbox of one RLE into bb; its uint32 area (the RLE struct stays
    local to the calling thread)."""
    cdef detap_rle r
    r.h, r.w = h, w
    r.m = <size_t>(e - b)
    r.cnts = base + b if r.m else NULL
    detap_rle_bbox(&r, bb)
    return <double><uint32_t>detap_rle_area(&r)
