# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Thin Cython layer over the C kernels in ``csrc/``.

Each function checks shapes and index ranges, allocates the outputs with
numpy, and calls one C kernel with the GIL released.  No arithmetic lives
here: it is all in ``csrc/`` so that every front end shares one
implementation.  Callers (``detap.core``) hand in C-contiguous arrays of the
exact dtypes declared below.
"""
from libc.stdint cimport int8_t, int64_t, uint8_t
from libc.stdlib cimport free
from libc.string cimport memcpy, memset
from cython.view cimport array as cvarray
from cython.parallel cimport prange
import numpy as np

cdef extern from "detap_common.h":
    int DETAP_OK, DETAP_ENOMEM, DETAP_EINDEX, DETAP_EVALUE

cdef extern from "iou.h" nogil:
    ctypedef enum detap_iou_kind:
        DETAP_IOU_VOC
        DETAP_IOU_COCO
        DETAP_IOU_XYXY
    int detap_iou_matrix(detap_iou_kind kind, const double *dt, size_t nd,
                         const double *gt, size_t ng, const uint8_t *crowd, double *out)

cdef extern from "sort.h" nogil:
    int detap_argsort_desc_f64(const double *scores, size_t n, int64_t *order)
    int detap_argsort_desc_f32(const float *scores, size_t n, int64_t *order)

cdef extern from "group.h" nogil:
    int detap_group_by_image(const int64_t *img, size_t n, size_t nimg,
                             int64_t *off, int64_t *perm)
    int detap_merge_cells(const int64_t *a_key, size_t na, const int64_t *b_key, size_t nb,
                          int64_t *keys, size_t *nkeys, int64_t *a_off, int64_t *b_off)
    int detap_coco_group(size_t n, const int64_t *image_id, const int64_t *category_id,
                         const int64_t *lut_img, size_t n_lut_img, const int64_t *lut_cat,
                         size_t n_lut_cat, size_t nimg, size_t ncat, int64_t *rows,
                         int64_t *keys, size_t *m)

cdef extern from "match.h" nogil:
    int DETAP_RULE_VOC, DETAP_RULE_COCO
    ctypedef struct detap_match_spec:
        int rule
        int strict
        const double *thr
        size_t nt

cdef extern from "match_images.h" nogil:
    int detap_match_images(detap_iou_kind kind, const detap_match_spec *spec,
                           const int64_t *order, size_t nd, const double *det_boxes,
                           const int64_t *det_img, const uint8_t *det_out,
                           const double *gt_boxes, const uint8_t *gt_ignore,
                           const uint8_t *gt_crowd, const int64_t *gt_off, size_t nimg,
                           int8_t *labels, int nthreads)

cdef extern from "coco_eval.h" nogil:
    ctypedef struct detap_coco_eval_in:
        size_t ncells
        const int64_t *cell_order
        const int64_t *gt_row
        const int64_t *dt_row
        const int64_t *gt_off
        const double *gt_boxes
        const double *gt_area
        const uint8_t *gt_crowd
        const uint8_t *gt_ignore
        const uint8_t *gt_id_nz
        const int64_t *dt_off
        const double *dt_boxes
        const double *dt_area
        const double *dt_score
        const uint8_t *dt_id_pos
        const double *area_rng
        size_t A
        const double *iou_thrs
        size_t T
        size_t max_det
    int detap_coco_evaluate(const detap_coco_eval_in *inp, const int64_t *kept_off,
                            int64_t *kept_idx, int8_t *labels, int64_t *npig,
                            int64_t *matched, int nthreads)

cdef extern from "accumulate.h" nogil:
    double detap_pairwise_sum(const double *a, size_t n)
    void detap_pr_voc(const int8_t *labels, size_t nd, double npos, double *tp,
                      double *fp, double *rec, double *prec)
    void detap_ap_voc07(const double *rec, const double *prec, size_t n,
                        const double *grid, double *ap, int *any_hit)
    int detap_ap_all_point(const double *rec, const double *prec, size_t n, double *ap)
    int detap_ap_coco101(const int8_t *labels, const double *scores_sorted,
                         size_t nd, double npig, const double *rec_thrs, size_t R,
                         double *precision, double *scores, double *recall)
    int detap_coco_accumulate(size_t K, const int64_t *cat_off, size_t ncells,
                              const int64_t *kept_off, const double *kept_score,
                              const int8_t *labels, size_t n_kept, const int64_t *npig,
                              size_t A, size_t T, const int64_t *max_dets, size_t M,
                              const double *rec_thrs, size_t R, double *precision,
                              double *recall, double *scores, int nthreads)

cdef extern from "parse.h" nogil:
    ctypedef struct detap_idtable:
        pass
    detap_idtable *detap_idtable_new(size_t n)
    void detap_idtable_free(detap_idtable *t)
    int64_t detap_idtable_add(detap_idtable *t, const char *key, size_t len, int64_t value)
    int64_t detap_idtable_get(const detap_idtable *t, const char *key, size_t len)
    int DETAP_PARSE_DONE, DETAP_PARSE_SLOW, DETAP_PARSE_UNKNOWN
    ctypedef struct detap_det_parser:
        size_t pos
        size_t line_no
        size_t line_start
        size_t line_end
        size_t bad_line_no
    size_t detap_count_lines(const char *buf, size_t len)
    void detap_det_parser_init(detap_det_parser *p, const char *buf, size_t len)
    int detap_parse_dets(detap_det_parser *p, const detap_idtable *ids,
                         int64_t *img, double *score, double *boxes, size_t cap,
                         size_t *count)

IOU_VOC = DETAP_IOU_VOC
IOU_COCO = DETAP_IOU_COCO
IOU_XYXY = DETAP_IOU_XYXY
RULE_VOC = DETAP_RULE_VOC
RULE_COCO = DETAP_RULE_COCO

ctypedef fused score_t:
    float
    double


cdef int _check(int rc) except -1:
    if rc == DETAP_OK:
        return 0
    if rc == DETAP_ENOMEM:
        raise MemoryError("detap kernel: out of memory")
    if rc == DETAP_EINDEX:
        raise IndexError("detap kernel: an index is out of range")
    raise ValueError("detap kernel: invalid parameter")


cdef int _check_kind(int kind) except -1:
    if kind != DETAP_IOU_VOC and kind != DETAP_IOU_COCO and kind != DETAP_IOU_XYXY:
        raise ValueError(f"unknown IoU kind {kind}")
    return 0


cdef int _check_boxes(const double[:, ::1] boxes, str name) except -1:
    """Shape (N, 4) and no NaN: the IoU kernels' precondition (iou.h)."""
    if boxes.shape[0] > 0 and boxes.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), got ({boxes.shape[0]}, {boxes.shape[1]})")
    cdef Py_ssize_t i, j, bad = -1
    with nogil:
        for i in range(boxes.shape[0]):
            for j in range(boxes.shape[1]):
                if boxes[i, j] != boxes[i, j]:
                    bad = i
                    break
            if bad >= 0:
                break
    if bad >= 0:
        raise ValueError(f"{name}[{bad}] has a NaN coordinate")
    return 0


def argsort_desc(score_t[::1] scores):
    """Stable descending argsort: np.argsort(-scores, kind='stable')."""
    cdef Py_ssize_t n = scores.shape[0]
    order = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = order
    cdef int rc = DETAP_OK
    if n == 0:
        return order
    with nogil:
        if score_t is double:
            rc = detap_argsort_desc_f64(&scores[0], n, &o[0])
        else:
            rc = detap_argsort_desc_f32(&scores[0], n, &o[0])
    _check(rc)
    return order


def iou_matrix(const double[:, ::1] dt, const double[:, ::1] gt, int kind,
               const uint8_t[::1] crowd=None):
    """(nd, ng) IoU matrix; boxes xyxy (+1 pixel) for IOU_VOC, xywh for IOU_COCO,
    continuous xyxy for IOU_XYXY."""
    _check_kind(kind)
    _check_boxes(dt, "dt")
    _check_boxes(gt, "gt")
    cdef Py_ssize_t nd = dt.shape[0], ng = gt.shape[0]
    if crowd is not None and crowd.shape[0] != ng:
        raise ValueError(f"crowd has {crowd.shape[0]} flags for {ng} GT boxes")
    out = np.zeros((nd, ng), dtype=np.float64)
    if nd == 0 or ng == 0:
        return out
    cdef double[:, ::1] o = out
    cdef const uint8_t *cp = &crowd[0] if crowd is not None else NULL
    cdef int rc
    with nogil:
        rc = detap_iou_matrix(<detap_iou_kind>kind, &dt[0, 0], nd, &gt[0, 0], ng, cp, &o[0, 0])
    _check(rc)
    return out


def group_by_image(const int64_t[::1] img, Py_ssize_t nimg):
    """Stable grouping of rows by image index: (offsets (nimg+1,), perm (n,))."""
    if nimg < 0:
        raise ValueError("nimg must be >= 0")
    cdef Py_ssize_t n = img.shape[0]
    off = np.zeros(nimg + 1, dtype=np.int64)
    perm = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = off, p = perm
    cdef int64_t dummy = 0
    cdef int rc
    with nogil:
        rc = detap_group_by_image(&img[0] if n else &dummy, n, nimg, &o[0],
                                  &p[0] if n else &dummy)
    _check(rc)
    return off, perm


def match_images(int kind, int rule, const int64_t[::1] order, const double[:, ::1] det_boxes,
                 const int64_t[::1] det_img, const double[:, ::1] gt_boxes,
                 const uint8_t[::1] gt_ignore, const int64_t[::1] gt_off,
                 const double[::1] thresholds, bint strict, int nthreads=0, gt_crowd=None,
                 det_out=None):
    """Greedy matching of one class over images (csrc/match_images.h), under
    ``rule`` (RULE_VOC or RULE_COCO): int8 labels (n_thresholds, nd) in
    processing order.  gt_crowd (ng,) and det_out (nd,) uint8 or None."""
    _check_kind(kind)
    if rule != DETAP_RULE_VOC and rule != DETAP_RULE_COCO:
        raise ValueError(f"unknown matching rule {rule}")
    _check_boxes(det_boxes, "det_boxes")
    _check_boxes(gt_boxes, "gt_boxes")
    cdef Py_ssize_t nd = order.shape[0], nt = thresholds.shape[0]
    cdef Py_ssize_t nimg = gt_off.shape[0] - 1
    cdef Py_ssize_t ng = gt_boxes.shape[0]
    if det_boxes.shape[0] != nd or det_img.shape[0] != nd:
        raise ValueError("order, det_boxes and det_img must have the same length")
    if nimg < 0:
        raise ValueError("gt_off must have at least one entry")
    if gt_off[nimg] != ng or gt_ignore.shape[0] != ng:
        raise ValueError("gt_off, gt_boxes and gt_ignore disagree on the number of GT")
    cdef const uint8_t[::1] crowd = None
    cdef const uint8_t[::1] out = None
    if gt_crowd is not None:
        crowd = np.ascontiguousarray(gt_crowd, dtype=np.uint8)
        if crowd.shape[0] != ng:
            raise ValueError("gt_crowd must hold one flag per GT")
    if det_out is not None:
        out = np.ascontiguousarray(det_out, dtype=np.uint8)
        if out.shape[0] != nd:
            raise ValueError("det_out must hold one flag per detection")
    labels = np.empty((nt, nd), dtype=np.int8)
    if nd == 0 or nt == 0:
        return labels
    cdef int8_t[:, ::1] lab = labels
    cdef double zero4[4]
    cdef uint8_t zero1 = 0
    cdef const double *gb = &gt_boxes[0, 0] if ng else zero4
    cdef const uint8_t *gi = &gt_ignore[0] if ng else &zero1
    cdef const uint8_t *gc = &crowd[0] if (crowd is not None and ng) else NULL
    cdef const uint8_t *dout = &out[0] if out is not None else NULL
    cdef detap_match_spec spec
    spec.rule = rule
    spec.strict = strict
    spec.thr = &thresholds[0]
    spec.nt = nt
    cdef int rc
    with nogil:
        rc = detap_match_images(<detap_iou_kind>kind, &spec, &order[0], nd, &det_boxes[0, 0],
                                &det_img[0], dout, gb, gi, gc, &gt_off[0], nimg, &lab[0, 0],
                                nthreads)
    _check(rc)
    return labels


def pr_voc(const int8_t[::1] labels, double npos):
    """Cumulative tp, fp (float64) and py-faster-rcnn rec, prec."""
    cdef Py_ssize_t nd = labels.shape[0]
    tp = np.empty(nd, dtype=np.float64)
    fp = np.empty(nd, dtype=np.float64)
    rec = np.empty(nd, dtype=np.float64)
    prec = np.empty(nd, dtype=np.float64)
    if nd == 0:
        return tp, fp, rec, prec
    cdef double[::1] a = tp, b = fp, c = rec, d = prec
    with nogil:
        detap_pr_voc(&labels[0], nd, npos, &a[0], &b[0], &c[0], &d[0])
    return tp, fp, rec, prec


cdef int _same_len(const double[::1] rec, const double[::1] prec) except -1:
    if rec.shape[0] != prec.shape[0]:
        raise ValueError(f"rec and prec differ in length ({rec.shape[0]} vs {prec.shape[0]})")
    return 0


def ap_voc07(const double[::1] rec, const double[::1] prec, const double[::1] grid):
    """11-point AP; returns (ap, any_hit)."""
    _same_len(rec, prec)
    if grid.shape[0] != 11:
        raise ValueError("the VOC07 grid has 11 points")
    cdef double ap = 0., dummy = 0.
    cdef int hit = 0
    cdef Py_ssize_t n = rec.shape[0]
    with nogil:
        detap_ap_voc07(&rec[0] if n else &dummy, &prec[0] if n else &dummy, n,
                       &grid[0], &ap, &hit)
    return ap, bool(hit)


def ap_all_point(const double[::1] rec, const double[::1] prec):
    """VOC2010+ all-point AP."""
    _same_len(rec, prec)
    cdef double ap = 0., dummy = 0.
    cdef Py_ssize_t n = rec.shape[0]
    cdef int rc
    with nogil:
        rc = detap_ap_all_point(&rec[0] if n else &dummy, &prec[0] if n else &dummy, n, &ap)
    _check(rc)
    return ap


def ap_coco101(const int8_t[::1] labels, const double[::1] scores_sorted, double npig,
               const double[::1] rec_thrs):
    """pycocotools accumulate for one cell: (precision[R], scores[R], recall)."""
    cdef Py_ssize_t nd = labels.shape[0], R = rec_thrs.shape[0]
    if scores_sorted.shape[0] != nd:
        raise ValueError("labels and scores_sorted differ in length")
    if not npig > 0:
        raise ValueError("npig must be > 0 (pycocotools skips cells without GT)")
    precision = np.zeros(R, dtype=np.float64)
    scores = np.zeros(R, dtype=np.float64)
    cdef double[::1] p = precision, s = scores
    cdef double recall = 0., dummy = 0.
    cdef int8_t dl = 0
    cdef int rc
    with nogil:
        rc = detap_ap_coco101(&labels[0] if nd else &dl, &scores_sorted[0] if nd else &dummy,
                              nd, npig, &rec_thrs[0] if R else &dummy, R,
                              &p[0] if R else &dummy, &s[0] if R else &dummy, &recall)
    _check(rc)
    return precision, scores, recall


def pairwise_sum(const double[::1] a):
    """numpy's float64 pairwise summation (equal to np.sum(a))."""
    cdef double r, dummy = 0.
    cdef Py_ssize_t n = a.shape[0]
    with nogil:
        r = detap_pairwise_sum(&a[0] if n else &dummy, n)
    return r


cdef class IdTable:
    """Exact byte-string -> index table for image ids (the first index of a repeated key)."""
    cdef detap_idtable *t
    cdef Py_ssize_t n

    def __cinit__(self, keys):
        keys = list(keys)
        self.t = detap_idtable_new(len(keys))
        if self.t == NULL:
            raise MemoryError()
        cdef bytes k
        cdef Py_ssize_t i
        for i, k in enumerate(keys):
            if detap_idtable_add(self.t, k, len(k), i) < 0:
                raise MemoryError()
        self.n = len(keys)

    def __len__(self):
        return self.n

    def __dealloc__(self):
        detap_idtable_free(self.t)

    def get(self, bytes key):
        return detap_idtable_get(self.t, key, len(key))


cdef Py_ssize_t ids_len(IdTable ids):
    return ids.n


def parse_dets(const unsigned char[::1] data, IdTable ids not None, slow):
    """Parse a det file's bytes into (img int64, score float64, boxes (n, 4)).

    ``slow(line_bytes, line_no, unknown_id)`` is called for each line the C
    fast path hands back; it returns ``(img, score, x1, y1, x2, y2)`` or
    raises.  ``unknown_id`` is True when the line parsed but its image id is
    not in ``ids``.
    """
    cdef size_t n = data.shape[0]
    cdef char empty = 0
    cdef const char *buf = <const char *>&data[0] if n else &empty
    cdef size_t cap = detap_count_lines(buf, n)
    img = np.empty(cap, dtype=np.int64)
    score = np.empty(cap, dtype=np.float64)
    boxes = np.empty((cap, 4), dtype=np.float64)
    cdef int64_t[::1] im = img
    cdef double[::1] sc = score
    cdef double[:, ::1] bx = boxes
    cdef detap_det_parser p
    cdef size_t count = 0
    cdef int rc
    detap_det_parser_init(&p, buf, n)
    while True:
        with nogil:
            rc = detap_parse_dets(&p, ids.t, &im[0], &sc[0], &bx[0, 0], cap, &count)
        if rc == DETAP_PARSE_DONE:
            break
        if rc != DETAP_PARSE_SLOW and rc != DETAP_PARSE_UNKNOWN:
            _check(rc)
        rec = slow(bytes(data[p.line_start:p.line_end]), p.bad_line_no,
                   rc == DETAP_PARSE_UNKNOWN)
        if rec is not None:
            if count >= cap:
                raise IndexError("det parser: more records than lines")
            rec = tuple(rec)
            if len(rec) != 6:
                raise ValueError(f"det parser: the slow path returned {len(rec)} values, not 6")
            if not 0 <= rec[0] < ids_len(ids):
                raise IndexError(f"det parser: image index {rec[0]} is not in the id table")
            im[count] = rec[0]
            sc[count] = rec[1]
            bx[count, 0] = rec[2]
            bx[count, 1] = rec[3]
            bx[count, 2] = rec[4]
            bx[count, 3] = rec[5]
            count += 1
        p.pos = p.line_end
        p.line_no = p.bad_line_no + 1
    return img[:count], score[:count], boxes[:count]


cdef const void *_ptr(const unsigned char[::1] a):
    return <const void *>&a[0] if a.shape[0] else NULL


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
    """pycocotools' cells of the GT and the detection side at once (the two
    sides on two threads): (g_rows, g_keys, d_rows, d_keys); see
    detap_coco_group in csrc/group.h."""
    cdef const int64_t[::1] gi = np.ascontiguousarray(g_image, dtype=np.int64)
    cdef const int64_t[::1] gc = np.ascontiguousarray(g_cat, dtype=np.int64)
    cdef const int64_t[::1] di = np.ascontiguousarray(d_image, dtype=np.int64)
    cdef const int64_t[::1] dc = np.ascontiguousarray(d_cat, dtype=np.int64)
    cdef const int64_t[::1] li = np.ascontiguousarray(lut_img, dtype=np.int64)
    cdef const int64_t[::1] lc = np.ascontiguousarray(lut_cat, dtype=np.int64)
    if gi.shape[0] != gc.shape[0] or di.shape[0] != dc.shape[0]:
        raise ValueError("image and category columns must have equal lengths")
    if nimg < 0 or ncat < 0 or ncat >= 2 ** 31:
        raise ValueError("nimg and ncat must be in range")
    cdef size_t ng = gi.shape[0], nd = di.shape[0], mg = 0, md = 0
    g_rows = np.empty(max(ng, 1), np.int64)
    g_keys = np.empty(max(ng, 1), np.int64)
    d_rows = np.empty(max(nd, 1), np.int64)
    d_keys = np.empty(max(nd, 1), np.int64)
    cdef int64_t[::1] gr = g_rows, gk = g_keys, dr = d_rows, dk = d_keys
    cdef int64_t z = -1
    cdef int rc_g = 0, rc_d = 0, side
    cdef int nth = 1 if nthreads == 1 else 2
    with nogil:
        for side in prange(2, num_threads=nth, schedule="static", chunksize=1):
            if side == 0:
                rc_g = detap_coco_group(ng, &gi[0] if ng else &z, &gc[0] if ng else &z,
                                        &li[0] if li.shape[0] else &z, li.shape[0],
                                        &lc[0] if lc.shape[0] else &z, lc.shape[0],
                                        nimg, ncat, &gr[0], &gk[0], &mg)
            else:
                rc_d = detap_coco_group(nd, &di[0] if nd else &z, &dc[0] if nd else &z,
                                        &li[0] if li.shape[0] else &z, li.shape[0],
                                        &lc[0] if lc.shape[0] else &z, lc.shape[0],
                                        nimg, ncat, &dr[0], &dk[0], &md)
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
                  bint with_matches=False):
    """pycocotools' evaluateImg for all cells (see csrc/coco_eval.h); cells are
    visited in ``cell_order`` (a permutation; None: in order).

    Cell c's GT are rows gt_row[gt_off[c]:gt_off[c+1]] of the gt_* arrays
    (likewise for detections).  Returns (kept_off (ncells+1,), kept_idx
    (n_kept,) dt array rows, labels (n_kept, A, T) int8, npig (A, ncells)),
    and with ``with_matches`` also matched (n_kept, A, T): the gt array row
    each kept detection matched, or -1."""
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
    cdef Py_ssize_t n_kept = kept_off[nc], A = rng.shape[0], T = thr.shape[0]
    kept_idx = np.empty(n_kept, dtype=np.int64)
    labels = np.empty((n_kept, A, T), dtype=np.int8)
    npig = np.zeros((A, nc), dtype=np.int64)
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
    cdef const double[:, ::1] v_rng = rng
    cdef const double[::1] v_thr = thr
    cdef const int64_t[::1] v_ko = kept_off
    cdef int64_t[::1] v_ki = kept_idx
    cdef int8_t[:, :, ::1] v_lab = labels
    cdef int64_t[:, ::1] v_np = npig
    cdef double dz0 = 0.
    cdef int64_t iz0 = 0
    cdef int8_t bz0 = 0
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
    inp.area_rng = &v_rng[0, 0] if A else &dz0
    inp.A = A
    inp.iou_thrs = &v_thr[0] if T else &dz0
    inp.T = T
    inp.max_det = max_det
    if gt_off[nc] == 0:
        inp.gt_row = NULL
    if dt_off[nc] == 0:
        inp.dt_row = NULL
    cdef int rc
    with nogil:
        rc = detap_coco_evaluate(&inp, &v_ko[0], &v_ki[0] if n_kept else &iz0,
                                 &v_lab[0, 0, 0] if (A and T and n_kept) else &bz0,
                                 &v_np[0, 0] if (A and nc) else &iz0, pm, nthreads)
    _check(rc)
    if with_matches:
        return kept_off, kept_idx, labels, npig, matched
    return kept_off, kept_idx, labels, npig


def coco_accumulate(Py_ssize_t K, cat_off, kept_off, kept_score, labels, npig,
                    max_dets, rec_thrs, int nthreads=0):
    """pycocotools' accumulate (see csrc/accumulate.h): (precision, recall, scores).

    Category k owns cells cat_off[k]:cat_off[k+1] (images in order)."""
    cdef const int64_t[::1] v_co = np.ascontiguousarray(cat_off, dtype=np.int64)
    cdef const int64_t[::1] v_ko = np.ascontiguousarray(kept_off, dtype=np.int64)
    cdef const double[::1] v_ks = np.ascontiguousarray(kept_score, dtype=np.float64)
    cdef const int8_t[:, :, ::1] v_lab = np.ascontiguousarray(labels, dtype=np.int8)
    cdef const int64_t[:, ::1] v_np = np.ascontiguousarray(npig, dtype=np.int64)
    cdef const int64_t[::1] v_md = np.ascontiguousarray(max_dets, dtype=np.int64)
    cdef const double[::1] v_rt = np.ascontiguousarray(rec_thrs, dtype=np.float64)
    cdef Py_ssize_t n_kept = v_lab.shape[0], A = v_lab.shape[1], T = v_lab.shape[2]
    cdef Py_ssize_t M = v_md.shape[0], R = v_rt.shape[0], nc = v_ko.shape[0] - 1
    if K < 0 or v_co.shape[0] != K + 1 or nc < 0:
        raise ValueError("cat_off must have K + 1 entries and kept_off at least one")
    if v_co[0] != 0 or v_co[K] != nc:
        raise ValueError("cat_off must run from 0 to the number of cells")
    for k in range(K):
        if v_co[k + 1] < v_co[k]:
            raise ValueError("cat_off must not decrease")
    if v_ks.shape[0] != n_kept or v_ko[0] != 0 or v_ko[nc] != n_kept:
        raise ValueError("kept_score, kept_off and labels disagree on the number of detections")
    for c in range(nc):
        if v_ko[c + 1] < v_ko[c]:
            raise ValueError("kept_off must not decrease")
    if v_np.shape[0] != A or v_np.shape[1] != nc:
        raise ValueError("npig must have shape (A, ncells)")
    if T == 0 or R == 0 or K == 0 or A == 0 or M == 0:
        return (np.full((T, R, K, A, M), -1.0), np.full((T, K, A, M), -1.0),
                np.full((T, R, K, A, M), -1.0))
    # the kernel fills every entry (-1 where pycocotools leaves -1), on all
    # threads: a serial np.full of these arrays costs as much as a stage
    precision = np.empty((T, R, K, A, M))
    scores = np.empty((T, R, K, A, M))
    recall = np.empty((T, K, A, M))
    cdef double[:, :, :, :, ::1] v_p = precision, v_s = scores
    cdef double[:, :, :, ::1] v_r = recall
    cdef double dz0 = 0.
    cdef int8_t bz0 = 0
    cdef int64_t iz0 = 0
    cdef int rc
    with nogil:
        rc = detap_coco_accumulate(K, &v_co[0], nc, &v_ko[0], &v_ks[0] if n_kept else &dz0,
                                   &v_lab[0, 0, 0] if (n_kept and A and T) else &bz0, n_kept,
                                   &v_np[0, 0] if nc else &iz0, A, T, &v_md[0], M, &v_rt[0], R,
                                   &v_p[0, 0, 0, 0, 0], &v_r[0, 0, 0, 0], &v_s[0, 0, 0, 0, 0],
                                   nthreads)
    _check(rc)
    return precision, recall, scores


cdef extern from "cocojson.h" nogil:
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
    ctypedef struct detap_id_cols:
        size_t n
        int64_t *id
        uint8_t *has
    ctypedef struct detap_coco_doc:
        int top_is_array
        int has_images
        int has_annotations
        int has_categories
        detap_ann_cols ann
        detap_id_cols img
        detap_id_cols cat
        size_t stop
    int detap_coco_parse(const char *buf, size_t len, size_t ann_hint, detap_coco_doc *doc)
    void detap_coco_doc_free(detap_coco_doc *doc)
    int DETAP_HAS_ID, DETAP_HAS_IMAGE_ID, DETAP_HAS_CATEGORY_ID, DETAP_HAS_BBOX
    int DETAP_HAS_AREA, DETAP_HAS_SCORE, DETAP_HAS_ISCROWD

HAS_ID, HAS_IMAGE_ID, HAS_CATEGORY_ID = DETAP_HAS_ID, DETAP_HAS_IMAGE_ID, DETAP_HAS_CATEGORY_ID
HAS_BBOX, HAS_AREA, HAS_SCORE, HAS_ISCROWD = DETAP_HAS_BBOX, DETAP_HAS_AREA, DETAP_HAS_SCORE, DETAP_HAS_ISCROWD


cdef object _own(void **pp, size_t n, str fmt, Py_ssize_t itemsize):
    """A numpy array taking over the malloc'd buffer *pp (no copy); *pp is
    cleared so that the document's free leaves it alone."""
    cdef cvarray arr
    if n == 0:
        return np.empty(0, dtype={"q": np.int64, "d": np.float64, "B": np.uint8}[fmt])
    arr = cvarray(shape=(n,), itemsize=itemsize, format=fmt, mode="c", allocate_buffer=False)
    arr.data = <char *>pp[0]
    arr.callback_free_data = free
    pp[0] = NULL
    return np.asarray(arr)


def parse_coco_json(const unsigned char[::1] data):
    """Columns of a COCO JSON document (csrc/cocojson.h), or None when the
    fast path hands the document to Python's json module."""
    cdef detap_coco_doc doc
    memset(&doc, 0, sizeof(doc))
    cdef size_t n = data.shape[0]
    cdef char empty = 0
    cdef const char *buf = <const char *>&data[0] if n else &empty
    cdef int rc
    # a result record takes >= ~57 bytes of JSON, a GT annotation more
    cdef size_t hint = n // 60 + 16
    with nogil:
        rc = detap_coco_parse(buf, n, hint, &doc)
    try:
        if rc == DETAP_ENOMEM:
            raise MemoryError("COCO JSON reader: out of memory")
        if rc != DETAP_OK:
            return None
        na = doc.ann.n
        return {
            "top_is_array": bool(doc.top_is_array),
            "sections": {k for k, v in (("images", doc.has_images), ("annotations", doc.has_annotations),
                                        ("categories", doc.has_categories)) if v},
            "id": _own(<void **>&doc.ann.id, na, "q", 8),
            "image_id": _own(<void **>&doc.ann.image_id, na, "q", 8),
            "category_id": _own(<void **>&doc.ann.category_id, na, "q", 8),
            "bbox": _own(<void **>&doc.ann.bbox, 4 * na, "d", 8).reshape(na, 4),
            "area": _own(<void **>&doc.ann.area, na, "d", 8),
            "score": _own(<void **>&doc.ann.score, na, "d", 8),
            "iscrowd": _own(<void **>&doc.ann.iscrowd, na, "d", 8),
            "has": _own(<void **>&doc.ann.has, na, "B", 1),
            "img_id": _own(<void **>&doc.img.id, doc.img.n, "q", 8),
            "img_has": _own(<void **>&doc.img.has, doc.img.n, "B", 1),
            "cat_id": _own(<void **>&doc.cat.id, doc.cat.n, "q", 8),
            "cat_has": _own(<void **>&doc.cat.has, doc.cat.n, "B", 1),
        }
    finally:
        detap_coco_doc_free(&doc)
