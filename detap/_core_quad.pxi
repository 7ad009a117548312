# Quadrilaterals in detap._core (included by _core.pyx, before match_images):
# the GT prepared once for matching (QuadSet), and the polygon IoU kernel's
# paths and the DOTA prefilter's forms one by one (csrc/quad_iou.h), for
# tests/test_quad_paths.py, which checks that every form gives the faithful
# path's bits.

cdef class QuadSet:
    """(n, 8) quadrilaterals prepared once for polyiou (quad_iou.h), for a
    caller matching the same GT again (match_images' ``gt_quads``, which
    takes the set only with its ``boxes``).  ``boxes``: an array that owns
    its data is made read-only and kept (no earlier view of it may write);
    anything else is copied first, so the prepared form cannot go stale."""
    cdef detap_quad_set s
    cdef const double *ptr
    cdef readonly Py_ssize_t n
    cdef readonly object boxes

    def __cinit__(self, boxes, int nthreads=0):
        self.n = 0
        self.ptr = NULL
        a = np.asarray(boxes, dtype=np.float64)
        if not (a.flags.owndata and a.flags.c_contiguous):
            a = np.array(a, dtype=np.float64, order="C")
        a.flags.writeable = False
        cdef const double[:, ::1] b = a.reshape(-1, 8) if a.size == 0 else a
        _check_boxes(b, "boxes", 8)
        cdef int rc
        cdef double zero8[8]
        cdef const double *src = &b[0, 0] if b.shape[0] else zero8
        with nogil:
            rc = detap_quad_set_prep(src, b.shape[0], nthreads, &self.s)
        _check(rc)
        self.n = b.shape[0]
        self.ptr = src if self.n else NULL
        self.boxes = a

    def __dealloc__(self):
        detap_quad_set_free(&self.s)

    def __reduce__(self):  # (pickle and deepcopy: prepared again from the same boxes object)
        return QuadSet, (self.boxes,)


cdef extern from "quad_iou.h" nogil:
    int detap_quad_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                              int path, double *out, int64_t *undefined)
    int DETAP_QUAD_ANY, DETAP_QUAD_FAITHFUL, DETAP_QUAD_FAST, DETAP_QUAD_SCALAR
    int DETAP_QUAD_AVX2, DETAP_QUAD_AVX512
    int detap_quad_simd_level()
    size_t detap_quad_marks(int level, const double *hbb, const double *x0, const double *y0,
                            const double *x1, const double *y1, size_t G, uint32_t *cand)


QUAD_ANY, QUAD_FAITHFUL, QUAD_FAST, QUAD_SCALAR = (DETAP_QUAD_ANY, DETAP_QUAD_FAITHFUL,
                                                   DETAP_QUAD_FAST, DETAP_QUAD_SCALAR)
#: the vector forms of the fast path, by the level they need (quad_simd_level())
QUAD_VECTOR = {1: DETAP_QUAD_AVX2, 2: DETAP_QUAD_AVX512}


def quad_simd_level():
    """The polygon IoU's vector form on this CPU: 0 none, 1 AVX2, 2 AVX-512VL."""
    return detap_quad_simd_level()


def quad_marks(hbb, boxes, int level):
    """Indices (int64) of the rows of ``boxes`` ((G, 4) [xmin, ymin, xmax,
    ymax]) whose box meets ``hbb`` by the DOTA prefilter's +1 pixel test, as
    detap_quad_marks finds them at ``level`` (0 scalar, 2 AVX-512 where the
    CPU has it): for tests of the two forms."""
    cdef const double[::1] h = np.ascontiguousarray(hbb, dtype=np.float64)
    cols = np.ascontiguousarray(np.asarray(boxes, dtype=np.float64).reshape(-1, 4).T)
    cdef const double[:, ::1] c = cols
    cdef size_t G = cols.shape[1]
    if h.shape[0] != 4 or G >= 0xFFFFFFFF:
        raise ValueError("hbb must hold 4 values and boxes fewer than 2^32 rows")
    cand = np.zeros(G + 1, dtype=np.uint32)
    cdef uint32_t[::1] cv = cand
    cdef size_t n = 0
    if G:
        n = detap_quad_marks(level, &h[0], &c[0, 0], &c[1, 0], &c[2, 0], &c[3, 0], G, &cv[0])
    return cand[:n].astype(np.int64)


def quad_iou_matrix(const double[:, ::1] dt, const double[:, ::1] gt, int path=DETAP_QUAD_ANY):
    """(nd, ng) DOTA_devkit polygon IoU iou_poly(gt[j], dt[i]) of (n, 8)
    quadrilaterals (csrc/quad_iou.h), and the count of undefined values.
    ``path``: QUAD_ANY (the kernel), or for tests QUAD_FAITHFUL / QUAD_FAST
    (one of its two paths alone; the fast one gives NaN where it hands a
    pair over) / QUAD_SCALAR or QUAD_VECTOR[level] (one form of the fast
    path: scalar, which runs where the CPU has no vector form, or vector at
    a level up to quad_simd_level())."""
    _check_boxes(dt, "dt", 8)
    _check_boxes(gt, "gt", 8)
    cdef Py_ssize_t nd = dt.shape[0], ng = gt.shape[0]
    out = np.zeros((nd, ng), dtype=np.float64)
    cdef int64_t undef = 0
    if nd == 0 or ng == 0:
        return out, 0
    cdef double[:, ::1] o = out
    cdef int rc
    with nogil:
        rc = detap_quad_iou_matrix(&dt[0, 0], nd, &gt[0, 0], ng, path, &o[0, 0], &undef)
    _check(rc)
    return out, int(undef)
