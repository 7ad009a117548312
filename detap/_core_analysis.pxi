# The analysis kernels (csrc/tide.h): included by _core.pyx.

cdef extern from "tide.h" nogil:
    ctypedef struct detap_tide_io:
        size_t nimg
        const int64_t *dt_off
        const int64_t *dt_cls
        const int64_t *gt_off
        const int64_t *gt_cls
        const int64_t *ig_off
        const int64_t *ig_cls
        const double *dt_box
        const int64_t *dt_rows
        size_t n_dt_box
        const double *dt_score
        const double *gt_box
        const double *ig_box
        const double *cthr
        const double *sim
        const double *ig_sim
        const int64_t *sim_off
        const int64_t *ig_sim_off
        const int64_t *wh_off
        const int64_t *wh_cls
        double pos
        double bg
        size_t nct
        int8_t *dt_label
        uint8_t *dt_err
        uint8_t *dt_fix
        uint8_t *gt_used
        uint8_t *gt_miss
        int64_t *dt_gt
        int64_t *conf_match
    int detap_tide_images(const detap_tide_io *io, int nthreads)


def tide_images(const int64_t[::1] dt_off, const double[:, ::1] dt_box, const int64_t[::1] dt_cls,
                const double[::1] dt_score, const int64_t[::1] gt_off, const double[:, ::1] gt_box,
                const int64_t[::1] gt_cls, const int64_t[::1] ig_off, const double[:, ::1] ig_box,
                const int64_t[::1] ig_cls, double pos, double bg, int nthreads=0,
                const double[::1] conf_thr=None, sims=None, whole=None,
                const int64_t[::1] dt_rows=None):
    """TIDE's per-image pass (csrc/tide.h) over images grouped by the
    offsets: (dt_label int8, dt_err uint8, dt_fix uint8, dt_gt int64,
    gt_used uint8, gt_miss uint8, conf_match (T, nd) int64 or None): with
    ``conf_thr`` (T,) also the COCO-style confusion matching.  ``sims``:
    None (box IoU of the boxes) or the images' similarity blocks
    (sim, sim_off, ig_sim, ig_sim_off) of ``image_similarity``.  ``whole``:
    None or (wh_off (n_images + 1,), wh_cls): whole-image regions' classes.
    ``dt_rows``: None (dt_box in processing order), or detection d's box is
    dt_box[dt_rows[d]] (gathered per image in C, not copied here)."""
    cdef Py_ssize_t nimg = dt_off.shape[0] - 1
    cdef Py_ssize_t nd = dt_box.shape[0] if dt_rows is None else dt_rows.shape[0]
    cdef Py_ssize_t ng = gt_box.shape[0], nr = ig_box.shape[0]
    if nimg < 0:
        raise ValueError("dt_off must have at least one entry")
    _check_off(dt_off, nimg, nd, "dt_off")
    _check_off(gt_off, nimg, ng, "gt_off")
    _check_off(ig_off, nimg, nr, "ig_off")
    if (dt_box.shape[1] != 4 or gt_box.shape[1] != 4 or ig_box.shape[1] != 4
            or dt_cls.shape[0] != nd or dt_score.shape[0] != nd or gt_cls.shape[0] != ng
            or ig_cls.shape[0] != nr):
        raise ValueError("boxes (n, 4), classes and scores must agree in length")
    label = np.zeros(nd, np.int8)
    err = np.zeros(nd, np.uint8)
    fix = np.zeros(nd, np.uint8)
    dgt = np.full(nd, -1, np.int64)
    used = np.zeros(ng, np.uint8)
    miss = np.zeros(ng, np.uint8)
    cdef int8_t[::1] v_label = label
    cdef uint8_t[::1] v_err = err, v_fix = fix, v_used = used, v_miss = miss
    cdef int64_t[::1] v_dgt = dgt
    cdef Py_ssize_t nct = 0 if conf_thr is None else conf_thr.shape[0]
    conf = np.full((nct, nd), -1, np.int64) if conf_thr is not None else None
    cdef int64_t[:, ::1] v_conf = conf
    cdef int64_t *confp = &v_conf[0, 0] if (nct and nd) else NULL
    cdef const double *cthrp = &conf_thr[0] if nct else NULL
    cdef double zero4[4]
    cdef int64_t zero1 = 0
    cdef int8_t zl = 0
    cdef uint8_t zu = 0
    cdef int rc
    cdef detap_tide_io io
    io.nimg = <size_t>nimg
    io.dt_off, io.gt_off, io.ig_off = &dt_off[0], &gt_off[0], &ig_off[0]
    io.dt_box = &dt_box[0, 0] if dt_box.shape[0] else zero4
    io.dt_rows = NULL if dt_rows is None else (&dt_rows[0] if nd else &zero1)
    io.n_dt_box = <size_t>dt_box.shape[0]
    io.dt_cls = &dt_cls[0] if nd else &zero1
    io.dt_score = &dt_score[0] if nd else zero4
    io.gt_box = &gt_box[0, 0] if ng else zero4
    io.gt_cls = &gt_cls[0] if ng else &zero1
    io.ig_box = &ig_box[0, 0] if nr else zero4
    io.ig_cls = &ig_cls[0] if nr else &zero1
    io.pos, io.bg, io.cthr, io.nct = pos, bg, cthrp, <size_t>nct
    io.dt_label = &v_label[0] if nd else &zl
    io.dt_err = &v_err[0] if nd else &zu
    io.dt_fix = &v_fix[0] if nd else &zu
    io.dt_gt = &v_dgt[0] if nd else &zero1
    io.gt_used = &v_used[0] if ng else &zu
    io.gt_miss = &v_miss[0] if ng else &zu
    io.conf_match = confp
    io.sim = io.ig_sim = NULL
    io.sim_off = io.ig_sim_off = NULL
    cdef const double[::1] v_sim, v_igsim
    cdef const int64_t[::1] v_soff, v_igoff
    cdef double zerod = 0
    if sims is not None:
        v_sim, v_soff, v_igsim, v_igoff = sims
        if (v_soff.shape[0] != nimg + 1 or v_igoff.shape[0] != nimg + 1
                or v_soff[nimg] != v_sim.shape[0] or v_igoff[nimg] != v_igsim.shape[0]):
            raise ValueError("similarity blocks must have n_images + 1 offsets up to their length")
        io.sim = &v_sim[0] if v_sim.shape[0] else &zerod
        io.ig_sim = &v_igsim[0] if v_igsim.shape[0] else &zerod
        io.sim_off, io.ig_sim_off = &v_soff[0], &v_igoff[0]
    io.wh_off = io.wh_cls = NULL
    cdef const int64_t[::1] v_whoff, v_whcls
    if whole is not None:
        v_whoff, v_whcls = whole
        _check_off(v_whoff, nimg, v_whcls.shape[0], "wh_off")
        io.wh_off = &v_whoff[0]
        io.wh_cls = &v_whcls[0] if v_whcls.shape[0] else &zero1
    with nogil:
        rc = detap_tide_images(&io, nthreads)
    _check(rc)
    return label, err, fix, dgt, used, miss, conf


cdef extern from "tide.h" nogil:
    int detap_tide_class_ap(size_t K, const int64_t *off, const uint8_t *tp, const uint8_t *keep,
                            const int64_t *npos, double *ap, int64_t *count)
    int detap_first_index(const int64_t *v, const uint8_t *mask, size_t n, size_t K,
                          int64_t *first)
    int DETAP_TIDE_CODES
    int detap_tide_firsts(size_t n, size_t K, const int64_t *cls, const int64_t *fixcls,
                          const uint8_t *err, const uint8_t *fix, const int8_t *label,
                          int64_t *first_ok, int64_t *first_fix)
    int DETAP_TIDE_RUNS
    int detap_tide_runs(size_t n, size_t K, const int64_t *rank, const double *score,
                        const int64_t *cls, const int64_t *fixcls, const int8_t *label,
                        const uint8_t *err, const uint8_t *fix, const int64_t *npos, double *ap,
                        int64_t *count, int nthreads)


def tide_class_ap(const int64_t[::1] off, const uint8_t[::1] tp, const int64_t[::1] npos,
                  const uint8_t[::1] keep=None):
    """tidecv's AP (AP points) of each segment off[k]:off[k+1] of ranked
    points, of those whose ``keep`` flag is set (None: all) (csrc/tide.h):
    (ap (K,) float64, kept points per segment (K,) int64)."""
    cdef Py_ssize_t K = off.shape[0] - 1
    if K < 0 or npos.shape[0] != K or off[0] != 0 or off[K] != tp.shape[0]:
        raise ValueError("off must run from 0 to len(tp) with one entry per npos, plus one")
    if keep is not None and keep.shape[0] != tp.shape[0]:
        raise ValueError("keep must hold one flag per point")
    ap = np.zeros(K, np.float64)
    count = np.zeros(K, np.int64)
    if K == 0:
        return ap, count
    cdef double[::1] v_ap = ap
    cdef int64_t[::1] v_count = count
    cdef uint8_t zu = 0
    cdef const uint8_t *kp = NULL
    if keep is not None:
        kp = &keep[0] if keep.shape[0] else &zu
    cdef int rc
    with nogil:
        rc = detap_tide_class_ap(<size_t>K, &off[0], &tp[0] if tp.shape[0] else &zu, kp,
                                 &npos[0], &v_ap[0], &v_count[0])
    _check(rc)
    return ap, count


def tide_runs(const int64_t[::1] rank, const double[::1] score, const int64_t[::1] cls,
              const int64_t[::1] fixcls, const int8_t[::1] label, const uint8_t[::1] err,
              const uint8_t[::1] fix, const int64_t[:, ::1] npos, int nthreads=1):
    """tidecv's per-class AP of each run its summary compares (csrc/tide.h
    detap_tide_runs): n records ranked by ``rank`` (a permutation),
    npos (3, K): (ap (9, K) float64 AP points, points (9, K) int64), rows
    as detected, Cls .. Bkg fixed, Miss, FalsePos, FalseNeg."""
    cdef Py_ssize_t n = rank.shape[0], K = npos.shape[1]
    if (score.shape[0] != n or cls.shape[0] != n or fixcls.shape[0] != n or label.shape[0] != n
            or err.shape[0] != n or fix.shape[0] != n):
        raise ValueError("tide_runs: every record array must hold one value per ranked record")
    if npos.shape[0] != 3:
        raise ValueError("tide_runs: npos must have 3 rows")
    ap = np.zeros((DETAP_TIDE_RUNS, K), np.float64)
    count = np.zeros((DETAP_TIDE_RUNS, K), np.int64)
    if K == 0:
        if n:
            raise IndexError("tide_runs: records without classes")
        return ap, count
    cdef double[:, ::1] v_ap = ap
    cdef int64_t[:, ::1] v_count = count
    cdef int64_t zi = 0
    cdef double zd = 0
    cdef int8_t zl = 0
    cdef uint8_t zu = 0
    cdef int rc
    with nogil:
        rc = detap_tide_runs(<size_t>n, <size_t>K, &rank[0] if n else &zi, &score[0] if n else &zd,
                             &cls[0] if n else &zi, &fixcls[0] if n else &zi,
                             &label[0] if n else &zl, &err[0] if n else &zu, &fix[0] if n else &zu,
                             &npos[0, 0], &v_ap[0, 0], &v_count[0, 0], nthreads)
    _check(rc)
    return ap, count


def first_index(const int64_t[::1] values, Py_ssize_t K, const uint8_t[::1] mask=None):
    """(K,) int64: the first position of each value k < K in ``values``
    among the positions ``mask`` flags (None: all); len(values) if none."""
    if K < 0 or (mask is not None and mask.shape[0] != values.shape[0]):
        raise ValueError("K must be >= 0 and mask hold one flag per value")
    first = np.empty(K, np.int64)
    cdef int64_t[::1] v_first = first
    cdef int64_t z = 0
    cdef uint8_t zu = 0
    cdef const uint8_t *mp = NULL
    cdef int rc
    if K == 0:
        return first
    if mask is not None:
        mp = &mask[0] if mask.shape[0] else &zu
    with nogil:
        rc = detap_first_index(&values[0] if values.shape[0] else &z, mp,
                               <size_t>values.shape[0], <size_t>K, &v_first[0])
    _check(rc)
    return first


def tide_firsts(const int64_t[::1] cls, const int64_t[::1] fixcls, const uint8_t[::1] err,
                const uint8_t[::1] fix, const int8_t[::1] label, Py_ssize_t K):
    """TIDE records' first positions per (error code, class) (csrc/tide.h):
    (first_ok, first_fix), (number of codes, K) int64 each, len(cls) where
    none."""
    cdef Py_ssize_t n = cls.shape[0]
    if K < 0 or fixcls.shape[0] != n or err.shape[0] != n or fix.shape[0] != n or label.shape[0] != n:
        raise ValueError("the record columns must have one value per record")
    first_ok = np.empty((DETAP_TIDE_CODES, K), np.int64)
    first_fix = np.empty((DETAP_TIDE_CODES, K), np.int64)
    if K == 0:
        if n:
            raise IndexError("detap kernel: an index is out of range")
        return first_ok, first_fix
    cdef int64_t[:, ::1] fo = first_ok
    cdef int64_t[:, ::1] ff = first_fix
    cdef int64_t z = 0
    cdef uint8_t zu = 0
    cdef int8_t zi = 0
    cdef int rc
    with nogil:
        rc = detap_tide_firsts(<size_t>n, <size_t>K, &cls[0] if n else &z, &fixcls[0] if n else &z,
                               &err[0] if n else &zu, &fix[0] if n else &zu,
                               &label[0] if n else &zi, &fo[0, 0], &ff[0, 0])
    _check(rc)
    return first_ok, first_fix
