# The COCO stages of detap._core (included by _core.pyx): cells, evaluate,
# accumulate.  Same rules as there: check shapes and ranges, allocate with
# numpy, call one C kernel without the GIL.

cdef const void *_ptr(const unsigned char[::1] a):
    return <const void *>&a[0] if a.shape[0] else NULL


cdef detap_vec_fn _np_exp_fn = NULL
cdef void *_np_exp_data = NULL


cdef int _numpy_exp_loop() except -1:
    """Find numpy's float64 exp loop: the first 'd->d' loop of np.exp, the
    one numpy itself runs for float64 arrays (its SIMD exp; a later 'd->d'
    entry is the C library's).  pycocotools' OKS goes through np.exp, so
    detap's C stage calls the same loop to give the same bits."""
    global _np_exp_fn, _np_exp_data
    if _np_exp_fn != NULL:
        return 0
    cdef cnp.ufunc u = np.exp
    cdef int i
    for i in range(u.ntypes):
        if u.types[2 * i] == cnp.NPY_DOUBLE and u.types[2 * i + 1] == cnp.NPY_DOUBLE:
            _np_exp_fn = <detap_vec_fn>u.functions[i]
            _np_exp_data = u.data[i]
            return 0
    raise RuntimeError("numpy's exp has no float64 loop")


def _holds_nan(v):
    """Whether the array v holds a NaN: its minimum is NaN then (np.min
    propagates NaN), found without np.isnan's bool array."""
    return v.size > 0 and bool(np.isnan(np.min(v)))


cdef class _CellSim:
    """The similarity function of a COCO evaluation and its context, with
    the arrays it points into kept alive: box IoU (fn NULL: the driver's
    default), keypoint OKS, mask IoU or rotated-box IoU."""
    cdef detap_cell_sim_fn fn
    cdef const void *ctx
    cdef detap_oks_ctx oks
    cdef detap_mask_ctx mask
    cdef detap_shape_cells shape
    cdef detap_rle *g_rle
    cdef detap_rle *d_rle
    cdef list keep

    def __cinit__(self, Py_ssize_t ng, Py_ssize_t nd, gt_boxes, gt_area, gt_crowd=None,
                  kpts=None, masks=None, obb=None, quad=None):
        self.fn = NULL
        self.ctx = NULL
        self.g_rle = self.d_rle = NULL
        self.keep = []
        if masks is not None:
            self._masks(ng, nd, gt_crowd, masks)
        if obb is not None:
            self._obb(ng, nd, gt_crowd, obb, 5)
        if quad is not None:
            self._obb(ng, nd, gt_crowd, quad, 8)
        if kpts is None:
            return
        _numpy_exp_loop()
        var = np.ascontiguousarray(kpts[2], dtype=np.float64).reshape(-1)
        K = var.shape[0]
        gk = np.ascontiguousarray(kpts[0], dtype=np.float64)
        dk = np.ascontiguousarray(kpts[1], dtype=np.float64)
        if gk.shape != (ng, 3 * K) or dk.shape != (nd, 3 * K):
            raise ValueError(f"keypoints must have shape (n, {3 * K}) for {K} sigmas, got "
                             f"{gk.shape} (GT) and {dk.shape} (detections)")
        gb = np.ascontiguousarray(gt_boxes, dtype=np.float64).reshape(ng, 4)
        garea = np.ascontiguousarray(gt_area, dtype=np.float64).reshape(ng)
        if _holds_nan(gk) or _holds_nan(dk):
            raise ValueError("keypoints must not hold NaN")
        self.keep = [var, gk, dk, gb, garea]
        self.oks.gt_kpts = <const double *>cnp.PyArray_DATA(gk)
        self.oks.dt_kpts = <const double *>cnp.PyArray_DATA(dk)
        self.oks.K = K
        self.oks.vars = <const double *>cnp.PyArray_DATA(var)
        self.oks.gt_boxes = <const double *>cnp.PyArray_DATA(gb)
        self.oks.gt_area = <const double *>cnp.PyArray_DATA(garea)
        self.oks.exp_fn = _np_exp_fn
        self.oks.exp_data = _np_exp_data
        self.oks.far_e = 0  # every value exact (for_matching may turn this on)
        self.fn = detap_coco_oks_sim
        self.ctx = &self.oks

    cdef void for_matching(self, const double *thr, Py_ssize_t T):
        """The similarity only feeds matching at these IoU thresholds: values
        that certainly miss them all need not be exact (oks.h's far_e)."""
        if self.fn == detap_coco_oks_sim:
            self.oks.far_e = detap_oks_far_e(thr, <size_t>T)

    def _masks(self, Py_ssize_t ng, Py_ssize_t nd, gt_crowd, masks):
        """masks = ((counts, off, hw, bbox) of the GT, the same of the
        detections): one RLE per row (see rle_columns).  The detections'
        may end with ``text`` = (blob, start, length): their counts are
        then those compressed strings (rle_strings), counts / off are not
        read, and their bbox may be None (C decodes each string for it)."""
        (gc, go, gh, gb), (dc, do, dh, db) = masks[0][:4], masks[1][:4]
        text = masks[1][4] if len(masks[1]) > 4 else None
        gb = np.ascontiguousarray(gb, dtype=np.float64).reshape(ng, 4)
        if db is None and text is None:
            raise ValueError("decoded detection masks need their boxes")
        db = None if db is None else np.ascontiguousarray(db, dtype=np.float64).reshape(nd, 4)
        crowd = np.ascontiguousarray(gt_crowd, dtype=np.uint8).reshape(ng)
        gc = np.ascontiguousarray(gc, np.uint32)
        self.g_rle = _rle_array(gc, go, gh, ng)
        self.mask.dt_text = NULL
        if text is None:
            dc = np.ascontiguousarray(dc, np.uint32)
            self.d_rle = _rle_array(dc, do, dh, nd)
        else:
            # the detections' compressed strings, decoded cell by cell in C
            dc, do = _string_spans(text, nd)
            self.d_rle = _rle_array(np.zeros(0, np.uint32), np.zeros(nd + 1, np.int64), dh, nd)
            self.mask.dt_text = <const char *>cnp.PyArray_DATA(text[0]) if text[0].shape[0] else NULL
            self.mask.dt_start = <const int64_t *>cnp.PyArray_DATA(dc)
            self.mask.dt_len = <const int64_t *>cnp.PyArray_DATA(do)
            dc = (text[0], dc, do)
        self.keep = [gc, dc, gb, db, crowd]
        self.mask.gt, self.mask.dt = self.g_rle, self.d_rle
        self.mask.gt_bb = <const double *>cnp.PyArray_DATA(gb)
        # (no detection boxes: C finds each string's as it decodes it)
        self.mask.dt_bb = <const double *>cnp.PyArray_DATA(db) if db is not None else NULL
        self.mask.gt_crowd = <const uint8_t *>cnp.PyArray_DATA(crowd)
        self.fn = detap_coco_mask_sim
        self.ctx = &self.mask

    def _obb(self, Py_ssize_t ng, Py_ssize_t nd, gt_crowd, obb, Py_ssize_t width):
        """obb = (GT (ng, width), detections (nd, width)) rows: width 5,
        [cx, cy, w, h, angle] rotated boxes under hotcoco's rotated IoU
        (csrc/obb_iou.h); width 8, quadrilaterals under polyiou's
        (csrc/quad_iou.h)."""
        go = np.ascontiguousarray(obb[0], dtype=np.float64)
        do = np.ascontiguousarray(obb[1], dtype=np.float64)
        if go.shape != (ng, width) or do.shape != (nd, width):
            raise ValueError(f"oriented boxes must have shape (n, {width}), got {go.shape} (GT) "
                             f"and {do.shape} (detections) for {ng} and {nd} rows")
        if not (np.isfinite(go).all() and np.isfinite(do).all()):
            raise ValueError("oriented boxes must be finite")
        crowd = np.ascontiguousarray(gt_crowd, dtype=np.uint8).reshape(ng)
        self.keep = [go, do, crowd]
        self.shape.gt = <const double *>cnp.PyArray_DATA(go)
        self.shape.dt = <const double *>cnp.PyArray_DATA(do)
        self.shape.gt_crowd = <const uint8_t *>cnp.PyArray_DATA(crowd)
        self.shape.width = width
        if width == 5:
            self.shape.prep_size, self.shape.prep = sizeof(detap_obb), detap_obb_prep_shape
            self.shape.pair = detap_obb_pair
        else:
            self.shape.prep_size, self.shape.prep = sizeof(detap_quad), detap_quad_prep_shape
            self.shape.pair = detap_quad_pair
        self.fn = detap_coco_shape_sim
        self.ctx = &self.shape

    def __dealloc__(self):
        free(self.g_rle)
        free(self.d_rle)


def coco_similarity(gt_boxes, gt_area, gt_crowd, dt_boxes, kpts=None, masks=None, obb=None):
    """The (D, G) similarity of every detection row against every GT row
    (one cell's, in the caller's order): image_similarity of one image."""
    cdef Py_ssize_t G = np.asarray(gt_area).size, D = np.asarray(dt_boxes).size // 4
    sims, _ = image_similarity(np.array([0, D]), np.arange(D), np.array([0, G]), np.arange(G),
                               gt_boxes, gt_area, gt_crowd, dt_boxes, kpts, masks, 1, obb)
    return sims.reshape(D, G)


cdef void _check_off(const int64_t[::1] off, Py_ssize_t nimg, Py_ssize_t n, str name) except *:
    if off.shape[0] != nimg + 1 or off[0] != 0 or off[nimg] != n:
        raise ValueError(f"{name} must have n_images + 1 entries from 0 to {n}")


def image_similarity(const int64_t[::1] d_off, const int64_t[::1] d_rows, const int64_t[::1] g_off,
                     const int64_t[::1] g_rows, gt_boxes, gt_area, gt_crowd, dt_boxes, kpts=None,
                     masks=None, int nthreads=0, obb=None, quad=None):
    """Image i's (D_i, G_i) similarities of detection rows
    d_rows[d_off[i]:d_off[i+1]] against GT rows g_rows[g_off[i]:g_off[i+1]]
    (rows of the full columns), through the evaluation's similarity stage
    (box IoU with crowd, as pycocotools' computeIoU; OKS with ``kpts``, as
    its computeOks; mask IoU on the RLE runs with ``masks``; hotcoco's
    rotated IoU with ``obb``; polyiou's with ``quad``; a crowd GT: the
    intersection over the detection's area): (sims float64, block offsets
    (n_images + 1,) int64), image i's block row-major at offsets[i]."""
    cdef Py_ssize_t nimg = d_off.shape[0] - 1, i
    ga = np.ascontiguousarray(gt_area, dtype=np.float64).reshape(-1)
    gb = np.ascontiguousarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    db = np.ascontiguousarray(dt_boxes, dtype=np.float64).reshape(-1, 4)
    gc = np.ascontiguousarray(gt_crowd, dtype=np.uint8).reshape(-1)
    cdef Py_ssize_t G = ga.shape[0], D = db.shape[0]
    if gb.shape[0] != G or gc.shape[0] != G:
        raise ValueError("GT boxes, areas and crowd flags must have equal lengths")
    if nimg < 0 or g_off.shape[0] != nimg + 1:
        raise ValueError("d_off and g_off must have n_images + 1 entries")
    _check_off(d_off, nimg, d_rows.shape[0], "d_off")
    _check_off(g_off, nimg, g_rows.shape[0], "g_off")
    if d_rows.shape[0] and (np.min(d_rows) < 0 or np.max(d_rows) >= D):
        raise ValueError("d_rows holds a row outside the detections")
    if g_rows.shape[0] and (np.min(g_rows) < 0 or np.max(g_rows) >= G):
        raise ValueError("g_rows holds a row outside the GT")
    sizes = np.diff(np.asarray(d_off)) * np.diff(np.asarray(g_off))
    off = np.zeros(nimg + 1, np.int64)
    np.cumsum(sizes, out=off[1:])
    out = np.zeros(off[nimg])
    cdef _CellSim sim = _CellSim(G, D, gb, ga, gc, kpts, masks, obb, quad)
    cdef detap_coco_eval_in inp
    cdef const double[:, ::1] v_gb = gb
    cdef const double[:, ::1] v_db = db
    cdef const uint8_t[::1] v_gc = gc
    cdef int64_t[::1] v_off = off
    cdef double[::1] v_out = out
    status = np.zeros(max(nimg, 1), np.int32)   # per image: no shared write in the loop
    cdef int32_t[::1] v_st = status
    cdef int nth = detap_team(nthreads)
    if off[nimg] == 0:
        return out, off
    memset(&inp, 0, sizeof(inp))
    inp.gt_boxes = &v_gb[0, 0]
    inp.dt_boxes = &v_db[0, 0]
    inp.gt_crowd = &v_gc[0]
    with nogil:
        for i in prange(nimg, num_threads=nth, schedule="dynamic", chunksize=16):
            if v_off[i + 1] == v_off[i]:
                continue
            if sim.fn != NULL:
                v_st[i] = sim.fn(sim.ctx, &d_rows[d_off[i]], <size_t>(d_off[i + 1] - d_off[i]),
                             &g_rows[g_off[i]], <size_t>(g_off[i + 1] - g_off[i]), &v_out[v_off[i]])
            else:
                v_st[i] = detap_coco_box_sim(&inp, &d_rows[d_off[i]], <size_t>(d_off[i + 1] - d_off[i]),
                                         &g_rows[g_off[i]], <size_t>(g_off[i + 1] - g_off[i]),
                                         &v_out[v_off[i]])
    bad = np.flatnonzero(status)
    if len(bad):
        _check(int(status[bad[0]]))
    return out, off


def numpy_exp(x):
    """exp of a float64 array through the loop the OKS stage uses (for
    tests: it must equal np.exp bit for bit)."""
    _numpy_exp_loop()
    cdef const double[::1] v = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty(v.shape[0])
    cdef double[::1] o = out
    cdef char *args[2]
    cdef Py_ssize_t dims[1]
    cdef Py_ssize_t steps[2]
    if v.shape[0]:
        args[0] = <char *>&v[0]
        args[1] = <char *>&o[0]
        dims[0] = v.shape[0]
        steps[0] = sizeof(double)
        steps[1] = sizeof(double)
        _np_exp_fn(args, dims, steps, _np_exp_data)
    return out


def _bytes_view(a, dtype, n, name, per=1):
    """A C-contiguous uint8 view of a numpy array checked for dtype and length."""
    import numpy as _np
    arr = _np.ascontiguousarray(a)
    if arr.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}, got {arr.dtype}")
    if arr.size != n * per:
        raise ValueError(f"{name} must hold {n * per} values, got {arr.size}")
    return arr.reshape(-1).view(np.uint8), arr


def merge_cells(a_key, b_key):
    """Union of two sorted key arrays: (keys, a_off, b_off); see csrc/group.h."""
    cdef const int64_t[::1] a = np.ascontiguousarray(a_key, dtype=np.int64)
    cdef const int64_t[::1] b = np.ascontiguousarray(b_key, dtype=np.int64)
    cdef size_t na = a.shape[0], nb = b.shape[0], nk = 0
    keys = np.empty(na + nb + 1, dtype=np.int64)
    a_off = np.empty(na + nb + 1, dtype=np.int64)
    b_off = np.empty(na + nb + 1, dtype=np.int64)
    cdef int64_t[::1] k = keys, ao = a_off, bo = b_off
    cdef int64_t z = 0
    cdef int rc
    with nogil:
        rc = detap_merge_cells(&a[0] if na else &z, na, &b[0] if nb else &z, nb,
                               &k[0], &nk, &ao[0], &bo[0])
    _check(rc)
    return keys[:nk], a_off[:nk + 1], b_off[:nk + 1]


def coco_group(g_image, g_cat, d_image, d_cat, lut_img, lut_cat, Py_ssize_t nimg,
               Py_ssize_t ncat, int nthreads=0):
    """pycocotools' cells of the GT and the detection side: (g_rows, g_keys,
    d_rows, d_keys); see detap_coco_group in csrc/group.h."""
    cdef const int64_t[::1] gi = np.ascontiguousarray(g_image, dtype=np.int64)
    cdef const int64_t[::1] gc = np.ascontiguousarray(g_cat, dtype=np.int64)
    cdef const int64_t[::1] di = np.ascontiguousarray(d_image, dtype=np.int64)
    cdef const int64_t[::1] dc = np.ascontiguousarray(d_cat, dtype=np.int64)
    cdef const int64_t[::1] li = np.ascontiguousarray(lut_img, dtype=np.int64)
    cdef const int64_t[::1] lc = np.ascontiguousarray(lut_cat, dtype=np.int64)
    if gi.shape[0] != gc.shape[0] or di.shape[0] != dc.shape[0]:
        raise ValueError("image and category columns must have equal lengths")
    if nimg < 0 or ncat < 0 or ncat >= 2 ** 31 or nimg >= 2 ** 31:
        raise ValueError("nimg and ncat must be in range")
    cdef size_t ng = gi.shape[0], nd = di.shape[0], mg = 0, md = 0
    g_rows = np.empty(max(ng, 1), np.int64)
    g_keys = np.empty(max(ng, 1), np.int64)
    d_rows = np.empty(max(nd, 1), np.int64)
    d_keys = np.empty(max(nd, 1), np.int64)
    cdef int64_t[::1] gr = g_rows, gk = g_keys, dr = d_rows, dk = d_keys
    cdef int64_t z = -1
    cdef int rc_g = 0, rc_d = 0
    with nogil:  # (each side on the whole team: the detection side is the large one)
        rc_g = detap_coco_group(ng, &gi[0] if ng else &z, &gc[0] if ng else &z,
                                &li[0] if li.shape[0] else &z, li.shape[0],
                                &lc[0] if lc.shape[0] else &z, lc.shape[0],
                                nimg, ncat, &gr[0], &gk[0], &mg, nthreads)
        if rc_g == 0:
            rc_d = detap_coco_group(nd, &di[0] if nd else &z, &dc[0] if nd else &z,
                                    &li[0] if li.shape[0] else &z, li.shape[0],
                                    &lc[0] if lc.shape[0] else &z, lc.shape[0],
                                    nimg, ncat, &dr[0], &dk[0], &md, nthreads)
    _check(rc_g)
    _check(rc_d)
    return g_rows[:mg], g_keys[:mg], d_rows[:md], d_keys[:md]


def _check_rows(rows, Py_ssize_t n_rows, Py_ssize_t n_arr, str name):
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    if rows.ndim != 1 or rows.shape[0] != n_rows:
        raise ValueError(f"{name} must hold {n_rows} row indices")
    if n_rows and (rows.min() < 0 or rows.max() >= n_arr):
        raise IndexError(f"{name} holds a row outside 0..{n_arr - 1}")
    return rows


def coco_evaluate(gt_off, gt_row, gt_boxes, gt_area, gt_crowd, gt_ignore, gt_id_nz,
                  dt_off, dt_row, dt_boxes, dt_area, dt_score, dt_id_pos,
                  area_rng, iou_thrs, Py_ssize_t max_det, int nthreads=0, cell_order=None,
                  bint with_matches=False, kpts=None, masks=None, dt_unmatched_ignored=None,
                  obb=None):
    """pycocotools' evaluateImg for all cells (see csrc/coco_eval.h); cells are
    visited in ``cell_order`` (a permutation; None: in order).

    Cell c's GT are rows gt_row[gt_off[c]:gt_off[c+1]] of the gt_* arrays
    (likewise for detections).  Returns (kept_off (ncells+1,), kept_idx
    (n_kept,) dt array rows, labels (n_kept, A, 2, ceil(T / 8)) uint8: packed
    as csrc/labels.h says (coco/labels.py unpacks them), npig (A, ncells) int32),
    and with ``with_matches`` also matched (n_kept, A, T): the GT each kept
    detection matched, as its position in the cell's GT (gt_off[c] ..
    gt_off[c + 1] - 1, counted from 0), or -1.

    ``kpts`` = (gt_kpts (ng, 3K), dt_kpts (nd, 3K), vars (K,)) makes the
    similarity pycocotools' keypoint OKS (csrc/oks.h) instead of box IoU;
    gt_boxes and gt_area then are the GT boxes and areas it reads.  ``masks``
    = ((counts, off, hw, bbox) of the GT rows, the same of the detection
    rows; see rle_columns) makes it pycocotools' mask IoU (csrc/mask_cells.h).
    ``obb`` = (gt (ng, 5), dt (nd, 5)) rotated rectangles [cx, cy, w, h,
    angle] makes it hotcoco's rotated IoU (csrc/obb_iou.h; crowd GT divide
    by the detection's area).

    ``dt_unmatched_ignored`` (nd,) uint8, or None: a detection flagged
    non-zero is ignored when unmatched, in every area range (lvis-api's
    not-exhaustively annotated categories), instead of being a FP."""
    gt_off = np.ascontiguousarray(gt_off, dtype=np.int64)
    dt_off = np.ascontiguousarray(dt_off, dtype=np.int64)
    cdef Py_ssize_t nc = gt_off.shape[0] - 1
    if nc < 0 or dt_off.shape[0] != nc + 1:
        raise ValueError("gt_off and dt_off must have ncells + 1 entries")
    if gt_off[0] != 0 or dt_off[0] != 0 or np.any(np.diff(gt_off) < 0) or np.any(np.diff(dt_off) < 0):
        raise ValueError("gt_off and dt_off must start at 0 and not decrease")
    if max_det < 0:
        raise ValueError("max_det must be >= 0")
    ga = np.ascontiguousarray(gt_area, dtype=np.float64).reshape(-1)
    da = np.ascontiguousarray(dt_area, dtype=np.float64).reshape(-1)
    cdef Py_ssize_t ng = ga.shape[0], nd = da.shape[0]
    gb = _bytes_view(gt_boxes, np.float64, ng, "gt_boxes", 4)
    gc = _bytes_view(gt_crowd, np.uint8, ng, "gt_crowd")
    gi = _bytes_view(gt_ignore, np.uint8, ng, "gt_ignore")
    gz = _bytes_view(gt_id_nz, np.uint8, ng, "gt_id_nz")
    db = _bytes_view(dt_boxes, np.float64, nd, "dt_boxes", 4)
    ds = _bytes_view(dt_score, np.float64, nd, "dt_score")
    dz = _bytes_view(dt_id_pos, np.uint8, nd, "dt_id_pos")
    du = _bytes_view(dt_unmatched_ignored, np.uint8, nd, "dt_unmatched_ignored") \
        if dt_unmatched_ignored is not None else None
    grows = _check_rows(gt_row, gt_off[nc], ng, "gt_row")
    drows = _check_rows(dt_row, dt_off[nc], nd, "dt_row")
    rng = np.ascontiguousarray(area_rng, dtype=np.float64)
    if rng.ndim != 2 or rng.shape[1] != 2:
        raise ValueError("area_rng must have shape (A, 2)")
    thr = np.ascontiguousarray(iou_thrs, dtype=np.float64).reshape(-1)
    if np.isnan(gb[1]).any() or np.isnan(db[1]).any():
        raise ValueError("boxes must not hold NaN")
    if np.isnan(ds[1]).any():
        raise ValueError("scores must not hold NaN")
    counts = np.minimum(np.diff(dt_off), max_det)
    kept_off = np.zeros(nc + 1, dtype=np.int64)
    np.cumsum(counts, out=kept_off[1:])
    del counts  # (8 bytes a cell, not to be held while the outputs fill)
    cdef Py_ssize_t n_kept = kept_off[nc], A = rng.shape[0], T = thr.shape[0]
    kept_idx = np.empty(n_kept, dtype=np.int64)
    labels = np.empty((n_kept, A, 2, (T + 7) // 8), dtype=np.uint8)
    npig = np.zeros((A, nc), dtype=np.int32)
    matched = np.empty((n_kept, A, T), dtype=np.int64) if with_matches else None
    cdef int64_t[:, :, ::1] v_m = matched
    cdef int64_t *pm = NULL
    if with_matches and n_kept and A and T:
        pm = &v_m[0, 0, 0]
    cdef detap_coco_eval_in inp
    cdef const unsigned char[::1] v_go = gt_off.view(np.uint8), v_do = dt_off.view(np.uint8)
    cdef const unsigned char[::1] v_gr = grows.view(np.uint8), v_dr = drows.view(np.uint8)
    cdef const unsigned char[::1] v_ga = ga.view(np.uint8), v_da = da.view(np.uint8)
    cdef const unsigned char[::1] v_gb = gb[0], v_gc = gc[0], v_gi = gi[0], v_gz = gz[0]
    cdef const unsigned char[::1] v_db = db[0], v_ds = ds[0], v_dz = dz[0]
    cdef const unsigned char[::1] v_du = du[0] if du is not None else None
    cdef const double[:, ::1] v_rng = rng
    cdef const double[::1] v_thr = thr
    cdef const int64_t[::1] v_ko = kept_off
    cdef int64_t[::1] v_ki = kept_idx
    cdef uint8_t[:, :, :, ::1] v_lab = labels
    cdef int32_t[:, ::1] v_np = npig
    cdef double dz0 = 0.
    cdef int64_t iz0 = 0
    cdef uint8_t bz0 = 0
    cdef int32_t nz0 = 0
    if cell_order is not None:
        cell_order = np.ascontiguousarray(cell_order, dtype=np.int64)
        # a range check keeps memory safe; that it is a permutation is the
        # caller's contract (a full check would cost a sort per call)
        if cell_order.shape[0] != nc or (nc and (cell_order.min() < 0 or cell_order.max() >= nc)):
            raise ValueError("cell_order must be a permutation of the cells")
    cdef const unsigned char[::1] v_co = cell_order.view(np.uint8) if cell_order is not None else None
    inp.ncells = nc
    inp.cell_order = <const int64_t *>_ptr(v_co) if cell_order is not None else NULL
    inp.gt_row = <const int64_t *>_ptr(v_gr)
    inp.dt_row = <const int64_t *>_ptr(v_dr)
    inp.gt_off = <const int64_t *>_ptr(v_go)
    inp.dt_off = <const int64_t *>_ptr(v_do)
    inp.gt_boxes = <const double *>_ptr(v_gb)
    inp.gt_area = <const double *>_ptr(v_ga)
    inp.gt_crowd = <const uint8_t *>_ptr(v_gc)
    inp.gt_ignore = <const uint8_t *>_ptr(v_gi)
    inp.gt_id_nz = <const uint8_t *>_ptr(v_gz)
    inp.dt_boxes = <const double *>_ptr(v_db)
    inp.dt_area = <const double *>_ptr(v_da)
    inp.dt_score = <const double *>_ptr(v_ds)
    inp.dt_id_pos = <const uint8_t *>_ptr(v_dz)
    inp.dt_unmatched_ignored = <const uint8_t *>_ptr(v_du) if du is not None else NULL
    inp.area_rng = &v_rng[0, 0] if A else &dz0
    inp.A = A
    inp.iou_thrs = &v_thr[0] if T else &dz0
    inp.T = T
    inp.max_det = max_det
    inp.sim = NULL  # pycocotools' bbox IoU
    inp.sim_ctx = NULL
    cdef _CellSim sim = _CellSim(ng, nd, gb[1], ga, gc[1], kpts, masks, obb)
    sim.for_matching(inp.iou_thrs, T)  # (its values are never returned)
    if sim.fn != NULL:
        inp.sim = sim.fn
        inp.sim_ctx = sim.ctx
    if gt_off[nc] == 0:
        inp.gt_row = NULL
    if dt_off[nc] == 0:
        inp.dt_row = NULL
    cdef int rc
    with nogil:
        rc = detap_coco_evaluate(&inp, &v_ko[0], &v_ki[0] if n_kept else &iz0,
                                 &v_lab[0, 0, 0, 0] if (A and T and n_kept) else &bz0,
                                 &v_np[0, 0] if (A and nc) else &nz0, pm, nthreads)
    _check(rc)
    if with_matches:
        return kept_off, kept_idx, labels, npig, matched
    return kept_off, kept_idx, labels, npig


def coco_accumulate(Py_ssize_t K, cat_off, kept_off, kept_score, labels, npig,
                    max_dets, rec_thrs, Py_ssize_t T, int nthreads=0, kept_row=None,
                    bint with_scores=True):
    """pycocotools' accumulate (see csrc/accumulate.h): (precision, recall,
    scores; None without ``with_scores``).

    Category k owns cells cat_off[k]:cat_off[k+1] (images in order);
    ``labels`` are coco_evaluate's, packed, for T IoU thresholds.  Kept
    detection q's score is kept_score[kept_row[q]] (kept_row: coco_evaluate's
    kept_idx), or kept_score[q] without kept_row."""
    cdef const int64_t[::1] v_co = np.ascontiguousarray(cat_off, dtype=np.int64)
    cdef const int64_t[::1] v_ko = np.ascontiguousarray(kept_off, dtype=np.int64)
    cdef const double[::1] v_ks = np.ascontiguousarray(kept_score, dtype=np.float64)
    cdef const int64_t[::1] v_kr = None
    if kept_row is not None:
        kept_row = np.ascontiguousarray(kept_row, dtype=np.int64)
        if kept_row.shape[0] and (kept_row.min() < 0 or kept_row.max() >= v_ks.shape[0]):
            raise IndexError("kept_row holds a row outside the scores")
        v_kr = kept_row
    cdef const uint8_t[:, :, :, ::1] v_lab = np.ascontiguousarray(labels, dtype=np.uint8)
    cdef const int32_t[:, ::1] v_np = np.ascontiguousarray(npig, dtype=np.int32)
    cdef const int64_t[::1] v_md = np.ascontiguousarray(max_dets, dtype=np.int64)
    cdef const double[::1] v_rt = np.ascontiguousarray(rec_thrs, dtype=np.float64)
    cdef Py_ssize_t n_kept = v_lab.shape[0], A = v_lab.shape[1]
    if T < 0 or v_lab.shape[2] != 2 or v_lab.shape[3] != (T + 7) // 8:
        raise ValueError(f"labels must have shape (n, A, 2, {(T + 7) // 8}) for {T} thresholds")
    cdef Py_ssize_t M = v_md.shape[0], R = v_rt.shape[0], nc = v_ko.shape[0] - 1
    if K < 0 or v_co.shape[0] != K + 1 or nc < 0:
        raise ValueError("cat_off must have K + 1 entries and kept_off at least one")
    if v_co[0] != 0 or v_co[K] != nc:
        raise ValueError("cat_off must run from 0 to the number of cells")
    for k in range(K):
        if v_co[k + 1] < v_co[k]:
            raise ValueError("cat_off must not decrease")
    if (v_kr is None and v_ks.shape[0] != n_kept) or (v_kr is not None and v_kr.shape[0] != n_kept) \
            or v_ko[0] != 0 or v_ko[nc] != n_kept:
        raise ValueError("kept_score, kept_off and labels disagree on the number of detections")
    for c in range(nc):
        if v_ko[c + 1] < v_ko[c]:
            raise ValueError("kept_off must not decrease")
    if v_np.shape[0] != A or v_np.shape[1] != nc:
        raise ValueError("npig must have shape (A, ncells)")
    if T == 0 or R == 0 or K == 0 or A == 0 or M == 0:
        return (np.full((T, R, K, A, M), -1.0), np.full((T, K, A, M), -1.0),
                np.full((T, R, K, A, M), -1.0) if with_scores else None)
    # the kernel fills every entry (-1 where pycocotools leaves -1), on all
    # threads: a serial np.full of these arrays costs as much as a stage
    precision = np.empty((T, R, K, A, M))
    scores = np.empty((T, R, K, A, M)) if with_scores else None
    recall = np.empty((T, K, A, M))
    cdef double[:, :, :, :, ::1] v_p = precision
    cdef double[:, :, :, :, ::1] v_s = scores
    cdef double[:, :, :, ::1] v_r = recall
    cdef double dz0 = 0.
    cdef uint8_t bz0 = 0
    cdef int32_t nz0 = 0
    cdef int rc
    with nogil:
        rc = detap_coco_accumulate(K, &v_co[0], nc, &v_ko[0],
                                   &v_ks[0] if v_ks.shape[0] else &dz0,
                                   &v_kr[0] if (v_kr is not None and n_kept) else NULL,
                                   &v_lab[0, 0, 0, 0] if (n_kept and A and T) else &bz0, n_kept,
                                   &v_np[0, 0] if nc else &nz0, A, T, &v_md[0], M, &v_rt[0], R,
                                   &v_p[0, 0, 0, 0, 0], &v_r[0, 0, 0, 0],
                                   &v_s[0, 0, 0, 0, 0] if with_scores else NULL,
                                   nthreads)
    _check(rc)
    return precision, recall, scores
