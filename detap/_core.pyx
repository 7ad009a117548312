# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Thin Cython layer over the C kernels in ``csrc/``.

Each function checks shapes and index ranges, allocates the outputs with
numpy, and calls one C kernel with the GIL released.  No arithmetic lives
here: it is all in ``csrc/`` so that every front end shares one
implementation.  Callers (``detap.core``) hand in C-contiguous arrays of the
exact dtypes declared below.
"""
from libc.math cimport isfinite
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memchr, memcpy, memmove, memset
from cython.view cimport array as cvarray
from cython.parallel cimport prange
from io import FileIO as _FileIO
import numpy as np
import os
cimport numpy as cnp

cdef extern from "detap_common.h":
    int DETAP_OK, DETAP_ENOMEM, DETAP_EINDEX, DETAP_EVALUE
    int detap_team(int n) nogil

cdef extern from "iou.h" nogil:
    ctypedef enum detap_iou_kind:
        DETAP_IOU_VOC
        DETAP_IOU_COCO
        DETAP_IOU_XYXY
        DETAP_IOU_QUAD
        DETAP_IOU_OBB
        DETAP_IOU_PROBIOU
    int detap_iou_matrix(detap_iou_kind kind, const double *dt, size_t nd,
                         const double *gt, size_t ng, const uint8_t *crowd, double *out)

cdef extern from "sort.h" nogil:
    int detap_argsort_desc_f64(const double *scores, size_t n, int64_t *order)
    int detap_argsort_desc_f32(const float *scores, size_t n, int64_t *order)
    int detap_argsort_desc_f64_team(const double *scores, size_t n, int64_t *order, int nthreads)
    int detap_argsort_desc_f32_team(const float *scores, size_t n, int64_t *order, int nthreads)
    int detap_sort_segments_desc(const double *scores, const int64_t *off, size_t nseg,
                                 int64_t *rows, int nthreads)

cdef extern from "group.h" nogil:
    int detap_group_by_image(const int64_t *img, size_t n, size_t nimg,
                             int64_t *off, int64_t *perm, int nthreads)
    int detap_merge_cells(const int64_t *a_key, size_t na, const int64_t *b_key, size_t nb,
                          int64_t *keys, size_t *nkeys, int64_t *a_off, int64_t *b_off)
    int detap_coco_group(size_t n, const int64_t *image_id, const int64_t *category_id,
                         const int64_t *lut_img, size_t n_lut_img, const int64_t *lut_cat,
                         size_t n_lut_cat, size_t nimg, size_t ncat, int64_t *rows,
                         int64_t *keys, size_t *m, int nthreads)

cdef extern from "match.h" nogil:
    int DETAP_RULE_VOC, DETAP_RULE_COCO, DETAP_RULE_LAST
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
                           const detap_quad_set *gt_quads, int8_t *labels, int64_t *gt_match,
                           int nthreads, int64_t *undefined)

cdef extern from "npmath.h" nogil:
    size_t detap_first_nan(const double *x, size_t n)

cdef extern from "quad_iou.h" nogil:
    ctypedef struct detap_quad:
        pass
    ctypedef struct detap_quad_set:
        pass
    int detap_quad_set_prep(const double *gt, size_t n, int nthreads, detap_quad_set *s)
    void detap_quad_set_free(detap_quad_set *s)
    void detap_quad_prep_shape(const double *q, void *out)
    double detap_quad_pair(const void *d, const void *g, int crowd)

cdef extern from "obb_iou.h" nogil:
    int detap_obb_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                             const uint8_t *crowd, double *out)
    int detap_probiou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                             double *out)
    void detap_obb_prep_shape(const double *b, void *out)
    double detap_obb_pair(const void *d, const void *g, int crowd)
    ctypedef struct detap_obb:
        double c[8]
        double area
    void detap_obb_prep(const double *b, detap_obb *out)

cdef extern from "coco_eval.h" nogil:
    ctypedef int (*detap_cell_sim_fn)(const void *ctx, const int64_t *drow, size_t D,
                                      const int64_t *grow, size_t G, double *out)
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
        const uint8_t *dt_unmatched_ignored
        const double *area_rng
        size_t A
        const double *iou_thrs
        size_t T
        size_t max_det
        detap_cell_sim_fn sim
        const void *sim_ctx
    ctypedef struct detap_shape_cells:
        const double *gt
        const double *dt
        const uint8_t *gt_crowd
        size_t width
        size_t prep_size
        void (*prep)(const double *box, void *out)
        double (*pair)(const void *d, const void *g, int crowd)
    int detap_coco_shape_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                             size_t G, double *out)
    int detap_coco_box_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                           size_t G, double *out)
    int detap_coco_evaluate(const detap_coco_eval_in *inp, const int64_t *kept_off,
                            int64_t *kept_idx, uint8_t *labels, int32_t *npig,
                            int64_t *matched, int nthreads)

cdef extern from "oks.h" nogil:
    ctypedef void (*detap_vec_fn)(char **args, const Py_ssize_t *dims, const Py_ssize_t *steps,
                                  void *data)
    ctypedef struct detap_oks_ctx:
        const double *gt_kpts
        const double *dt_kpts
        size_t K
        const double *vars
        const double *gt_boxes
        const double *gt_area
        detap_vec_fn exp_fn
        void *exp_data
        double far_e
    double detap_oks_far_e(const double *thr, size_t T)
    int detap_coco_oks_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                           size_t G, double *out)

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
                              const int64_t *kept_row, const uint8_t *labels, size_t n_kept,
                              const int32_t *npig, size_t A, size_t T, const int64_t *max_dets, size_t M,
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
    size_t detap_line_count(const char *buf, size_t len)
    size_t detap_line_number(const char *buf, size_t pos)
    size_t detap_split_lines(const char *buf, size_t len, size_t n, size_t *starts)
    int detap_parse_dets(detap_det_parser *p, const detap_idtable *ids, int ncoord, int extra_ok,
                         int64_t *img, double *score, double *boxes, size_t cap,
                         size_t *count)
    int detap_parse_dets_pieces(const char *buf, const size_t *starts, size_t npieces,
                                const size_t *first, const detap_idtable *ids, int ncoord,
                                int extra_ok, int64_t *img, double *score, double *boxes,
                                detap_det_parser *p, int *rc, size_t *count, int nthreads)

IOU_VOC = DETAP_IOU_VOC
IOU_COCO = DETAP_IOU_COCO
IOU_XYXY = DETAP_IOU_XYXY
IOU_QUAD = DETAP_IOU_QUAD
IOU_OBB = DETAP_IOU_OBB
IOU_PROBIOU = DETAP_IOU_PROBIOU
RULE_VOC = DETAP_RULE_VOC
RULE_COCO = DETAP_RULE_COCO
RULE_LAST = DETAP_RULE_LAST

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


cdef int _check_boxes(const double[:, ::1] boxes, str name, Py_ssize_t width=4) except -1:
    """Shape (N, width) and no NaN: the IoU kernels' precondition (iou.h,
    quad_iou.h: width 8)."""
    if boxes.shape[0] > 0 and boxes.shape[1] != width:
        raise ValueError(f"{name} must have shape (N, {width}), got "
                         f"({boxes.shape[0]}, {boxes.shape[1]})")
    cdef size_t n = boxes.shape[0] * boxes.shape[1], k = 0
    if n:
        with nogil:
            k = detap_first_nan(&boxes[0, 0], n)
    if k < n:
        raise ValueError(f"{name}[{k // boxes.shape[1]}] has a NaN coordinate")
    return 0


def team(int nthreads):
    """The threads a parallel loop of the Cython layer runs on for a count
    of threads.py's policy (0: all cores; 1 without OpenMP)."""
    return detap_team(nthreads)


def argsort_desc(score_t[::1] scores, int nthreads=0):
    """Stable descending argsort: np.argsort(-scores, kind='stable'), on
    ``nthreads`` threads for large inputs (0: every core)."""
    cdef Py_ssize_t n = scores.shape[0]
    order = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = order
    cdef int rc = DETAP_OK
    if n == 0:
        return order
    with nogil:
        if score_t is double:
            rc = detap_argsort_desc_f64_team(&scores[0], n, &o[0], nthreads)
        else:
            rc = detap_argsort_desc_f32_team(&scores[0], n, &o[0], nthreads)
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


def sort_segments_desc(const double[::1] scores, const int64_t[::1] off, int64_t[::1] rows,
                       int nthreads=0):
    """Sort each segment rows[off[g]:off[g+1]] in place by descending
    scores[row], ties in their order (csrc/sort.h), on ``nthreads``
    threads (0: every core)."""
    cdef Py_ssize_t nseg = off.shape[0] - 1, n = rows.shape[0], ns = scores.shape[0], i
    if nseg < 0 or off[0] != 0 or off[nseg] != n:
        raise ValueError("off must run from 0 to len(rows)")
    cdef int bad = 0
    cdef int rc = 0
    with nogil:
        for i in range(n):
            if rows[i] < 0 or rows[i] >= ns:
                bad = 1
                break
        if not bad and n:
            rc = detap_sort_segments_desc(&scores[0], &off[0], <size_t>nseg, &rows[0], nthreads)
    if bad:
        raise IndexError("rows must index scores")
    if n:
        _check(rc)


def group_by_image(const int64_t[::1] img, Py_ssize_t nimg, int nthreads=1):
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
                                  &p[0] if n else &dummy, nthreads)
    _check(rc)
    return off, perm


include "_core_quad.pxi"


def match_images(int kind, int rule, const int64_t[::1] order, const double[:, ::1] det_boxes,
                 const int64_t[::1] det_img, const double[:, ::1] gt_boxes,
                 const uint8_t[::1] gt_ignore, const int64_t[::1] gt_off,
                 const double[::1] thresholds, bint strict, int nthreads=0, gt_crowd=None,
                 det_out=None, int64_t[::1] undefined=None, bint with_matches=False,
                 QuadSet gt_quads=None):
    """Greedy matching of one class over images (csrc/match_images.h), under
    ``rule`` (RULE_VOC, RULE_LAST or RULE_COCO, match.h): int8 labels (n_thresholds, nd) in
    processing order (and, ``with_matches``, the int64 GT row each took, or
    -1, same shape).  gt_crowd (ng,) and det_out (nd,) uint8 or None.
    With kind IOU_QUAD the boxes are (n, 8) quadrilaterals and
    ``undefined[0]`` (an int64 array, if given) receives the count of
    polygon IoUs that depend on polyiou's stale memory (quad_iou.h); with
    IOU_OBB and IOU_PROBIOU they are (n, 5) rotated rectangles (obb_iou.h).  ``gt_quads``:
    the QuadSet of this very gt_boxes array (quadrilaterals), else they are
    prepared for this call."""
    cdef bint rot = kind == DETAP_IOU_OBB or kind == DETAP_IOU_PROBIOU
    cdef Py_ssize_t width = 8 if kind == DETAP_IOU_QUAD else 5 if rot else 4
    if kind != DETAP_IOU_QUAD and not rot:
        _check_kind(kind)
    if rule != DETAP_RULE_VOC and rule != DETAP_RULE_LAST and rule != DETAP_RULE_COCO:
        raise ValueError(f"unknown matching rule {rule}")
    if kind == DETAP_IOU_QUAD and (rule != DETAP_RULE_VOC or gt_crowd is not None
                                   or det_out is not None):
        raise ValueError("quadrilaterals are matched under the VOC rule, without crowd or area range")
    if undefined is not None and undefined.shape[0] < 1:
        raise ValueError("undefined must hold one counter")
    cdef const detap_quad_set *gq = NULL
    if gt_quads is not None:
        # the very memory it was prepared from (kept read-only and alive by
        # the set), not merely equal values
        if kind != DETAP_IOU_QUAD or gt_quads.n != gt_boxes.shape[0] or (gt_quads.n and (
                gt_quads.ptr != &gt_boxes[0, 0] or gt_boxes.shape[1] != 8)):
            raise ValueError("gt_quads must be the QuadSet of gt_boxes (quadrilaterals)")
        gq = &gt_quads.s
    _check_boxes(det_boxes, "det_boxes", width)
    if gq == NULL:  # (a QuadSet's boxes were checked when it was made, and cannot change)
        _check_boxes(gt_boxes, "gt_boxes", width)
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
    gt_match = np.full((nt, nd), -1, dtype=np.int64) if with_matches else None
    if nd == 0 or nt == 0:
        return (labels, gt_match) if with_matches else labels
    cdef int8_t[:, ::1] lab = labels
    cdef int64_t[:, ::1] gm = gt_match
    cdef int64_t *gmp = &gm[0, 0] if with_matches else NULL
    cdef double zero8[8]  # (the widest box)
    cdef uint8_t zero1 = 0
    cdef int64_t undef = 0
    cdef const double *gb = &gt_boxes[0, 0] if ng else zero8
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
                                &det_img[0], dout, gb, gi, gc, &gt_off[0], nimg, gq,
                                &lab[0, 0], gmp, nthreads, &undef)
    _check(rc)
    if undefined is not None:
        undefined[0] = undef
    return (labels, gt_match) if with_matches else labels


def rotated_matrix(int kind, const double[:, ::1] dt, const double[:, ::1] gt, gt_crowd=None):
    """(nd, ng) similarity of (n, 5) [cx, cy, w, h, angle] boxes, detection
    dt[i] against GT gt[j] (csrc/obb_iou.h): kind IOU_OBB (hotcoco's IoU;
    gt_crowd (ng,) flags or None) or IOU_PROBIOU (Ultralytics' ProbIoU)."""
    if kind != DETAP_IOU_OBB and kind != DETAP_IOU_PROBIOU:
        raise ValueError(f"not a rotated-box similarity: {kind}")
    _check_boxes(dt, "dt", 5)
    _check_boxes(gt, "gt", 5)
    cdef Py_ssize_t nd = dt.shape[0], ng = gt.shape[0]
    out = np.zeros((nd, ng), dtype=np.float64)
    if nd == 0 or ng == 0:
        return out
    cdef const uint8_t[::1] crowd = None
    if gt_crowd is not None:
        crowd = np.ascontiguousarray(gt_crowd, dtype=np.uint8)
        if crowd.shape[0] != ng or kind != DETAP_IOU_OBB:
            raise ValueError("gt_crowd must hold one flag per GT, for the IOU_OBB kind")
    cdef const uint8_t *cp = &crowd[0] if crowd is not None else NULL
    cdef double[:, ::1] o = out
    cdef int rc
    with nogil:
        if kind == DETAP_IOU_OBB:
            rc = detap_obb_iou_matrix(&dt[0, 0], nd, &gt[0, 0], ng, cp, &o[0, 0])
        else:
            rc = detap_probiou_matrix(&dt[0, 0], nd, &gt[0, 0], ng, &o[0, 0])
    _check(rc)
    return out


def obb_corners(const double[:, ::1] obb):
    """(n, 8) [x0, y0, ..., x3, y3]: the corners of (n, 5) [cx, cy, w, h,
    angle] boxes as hotcoco computes them (csrc/obb_iou.h)."""
    _check_boxes(obb, "obb", 5)
    cdef Py_ssize_t n = obb.shape[0], i
    out = np.zeros((n, 8), dtype=np.float64)
    cdef double[:, ::1] o = out
    cdef detap_obb p
    with nogil:
        for i in range(n):
            detap_obb_prep(&obb[i, 0], &p)
            memcpy(&o[i, 0], p.c, 8 * sizeof(double))
    return out


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


def parse_dets(const unsigned char[::1] data, IdTable ids not None, slow, int ncoord=4,
               bint extra_ok=True, Py_ssize_t pieces=1, int nthreads=0):
    """Parse a det file's bytes into (img int64, score float64, boxes (n, ncoord)),
    ncoord 4 (``image score x1 y1 x2 y2``) or 8 (DOTA Task1 quadrilaterals);
    more fields on a line are ignored when ``extra_ok``, else handed back.

    ``slow(line_bytes, line_no, unknown_id)`` is called for each line the C
    fast path hands back, in file order; it returns ``(img, score,
    *coords)`` or raises.  ``unknown_id`` is True when the line parsed but
    its image id is not in ``ids``.  The text is cut into up to ``pieces``
    runs of whole lines parsed on ``nthreads`` threads (0: all cores); the
    records are the same for any cut.
    """
    if ncoord != 4 and ncoord != 8:
        raise ValueError(f"ncoord must be 4 or 8, got {ncoord}")
    cdef size_t n = data.shape[0]
    cdef char empty = 0
    cdef const char *buf = <const char *>&data[0] if n else &empty
    starts = np.zeros(max(pieces, 1) + 1, dtype=np.uintp)
    cdef size_t[::1] st = starts
    cdef size_t npc = detap_split_lines(buf, n, max(pieces, 1), &st[0])
    first = np.zeros(npc + 1, dtype=np.uintp)  # piece k's rows: first[k] .. first[k + 1] - 1
    cdef size_t[::1] fi = first
    cdef Py_ssize_t k
    # room for one record a line: each piece writes its rows where they end
    # up (no gathering copy unless lines are blank or dropped); counting the
    # lines costs less than the copies a bound from the byte count needed
    lines = np.zeros(npc, dtype=np.uintp)
    cdef size_t[::1] nl = lines
    with nogil:
        for k in prange(<Py_ssize_t>npc, num_threads=detap_team(nthreads), schedule="static"):
            nl[k] = detap_line_count(buf + st[k], st[k + 1] - st[k])
    for k in range(<Py_ssize_t>npc):
        fi[k + 1] = fi[k] + nl[k]
    cdef size_t cap = fi[npc]
    img = np.empty(cap + 1, dtype=np.int64)  # (+ 1: an empty text still has a row 0 to point at)
    score = np.empty(cap + 1, dtype=np.float64)
    boxes = np.empty((cap + 1, ncoord), dtype=np.float64)
    cdef int64_t[::1] im = img
    cdef double[::1] sc = score
    cdef double[:, ::1] bx = boxes
    state = np.zeros(npc * sizeof(detap_det_parser), dtype=np.uint8)
    cdef unsigned char[::1] stv = state
    cdef detap_det_parser *ps = <detap_det_parser *>&stv[0]
    rcs = np.zeros(npc, dtype=np.intc)
    counts = np.zeros(npc, dtype=np.uintp)
    cdef int[::1] rc = rcs
    cdef size_t[::1] cnt = counts
    cdef size_t total = 0, m, base
    with nogil:
        detap_parse_dets_pieces(buf, &st[0], npc, &fi[0], ids.t, ncoord, extra_ok, &im[0],
                                &sc[0], &bx[0, 0], ps, &rc[0], &cnt[0], nthreads)
    for k in range(npc):
        base = 0  # the file's line number before the piece (counted when needed)
        while rc[k] != DETAP_PARSE_DONE:
            if rc[k] != DETAP_PARSE_SLOW and rc[k] != DETAP_PARSE_UNKNOWN:
                _check(rc[k])
            if base == 0:
                base = detap_line_number(buf, st[k])
            rec = slow(bytes(data[ps[k].line_start:ps[k].line_end]), base + ps[k].bad_line_no - 1,
                       rc[k] == DETAP_PARSE_UNKNOWN)
            if rec is not None:
                if cnt[k] >= fi[k + 1]:
                    raise IndexError("det parser: more records than lines")
                rec = tuple(rec)
                if len(rec) != 2 + ncoord:
                    raise ValueError(f"det parser: the slow path returned {len(rec)} values, "
                                     f"not {2 + ncoord}")
                if not 0 <= rec[0] < ids_len(ids):
                    raise IndexError(f"det parser: image index {rec[0]} is not in the id table")
                im[cnt[k]] = rec[0]
                sc[cnt[k]] = rec[1]
                for j in range(ncoord):
                    bx[cnt[k], j] = rec[2 + j]
                cnt[k] += 1
            ps[k].pos = ps[k].line_end
            ps[k].line_no = ps[k].bad_line_no + 1
            with nogil:
                rc[k] = detap_parse_dets(ps + k, ids.t, ncoord, extra_ok, &im[0], &sc[0],
                                         &bx[0, 0], fi[k + 1], &cnt[k])
        m = cnt[k] - fi[k]
        if m and fi[k] != total:  # the pieces' rows, gathered in file order
            memmove(&im[total], &im[fi[k]], m * sizeof(int64_t))
            memmove(&sc[total], &sc[fi[k]], m * sizeof(double))
            memmove(&bx[total, 0], &bx[fi[k], 0], m * ncoord * sizeof(double))
        total += m
    if 2 * total < cap:  # (do not keep the unused rows' memory alive)
        return img[:total].copy(), score[:total].copy(), boxes[:total].copy()
    return img[:total], score[:total], boxes[:total]


include "_core_masks.pxi"
include "_core_coco.pxi"
include "_core_reader.pxi"
include "_core_labeltxt.pxi"
include "_core_federated.pxi"
include "_core_analysis.pxi"
