# LVIS's federated stage of detap._core (included by _core.pyx): the
# per-image cap and the verified-pair filter (csrc/federated.h).  Same rules
# as there: check shapes, allocate with numpy, call C without the GIL.

cdef extern from "federated.h" nogil:
    int detap_cap_per_image(const int64_t *image_pos, const double *score, size_t n,
                            size_t n_images, int64_t max_dets, int nthreads, uint8_t *kept,
                            size_t *n_cut)
    int detap_federated_flags(const int64_t *image_pos, const int64_t *cat_pos,
                              const double *area, const uint8_t *keep, size_t n,
                              const uint8_t *verified, const uint8_t *not_exhaustive,
                              size_t n_images, size_t n_cats, int nthreads, uint8_t *flags)


def cap_per_image(const int64_t[::1] image_pos, const double[::1] score, Py_ssize_t n_images,
                  int64_t max_dets, int nthreads=0):
    """(kept (n,) uint8, rows cut): lvis-api's per-image cap of ``max_dets``
    (>= 0) rows by score, ties in row order; image_pos in [0, n_images)."""
    cdef Py_ssize_t n = image_pos.shape[0]
    if score.shape[0] != n:
        raise ValueError("image_pos and score differ in length")
    if n_images < 0 or max_dets < 0:
        raise ValueError("n_images and max_dets must be >= 0")
    kept = np.empty(n, dtype=np.uint8)
    cdef uint8_t[::1] k = kept
    cdef size_t n_cut = 0
    cdef int rc
    cdef int64_t zi = 0
    cdef double zd = 0
    cdef uint8_t zu = 0
    with nogil:
        rc = detap_cap_per_image(&image_pos[0] if n else &zi, &score[0] if n else &zd, n,
                                 n_images, max_dets, nthreads, &k[0] if n else &zu, &n_cut)
    _check(rc)
    return kept, n_cut


def federated_flags(const int64_t[::1] image_pos, const int64_t[::1] cat_pos,
                    const double[::1] area, keep, const uint8_t[::1] verified,
                    const uint8_t[::1] not_exhaustive, Py_ssize_t n_images, Py_ssize_t n_cats,
                    int nthreads=0):
    """flags (n,) uint8: 0 not evaluated, 1 evaluated, 3 evaluated and not
    exhaustive.  keep (n,) uint8 or None; verified and
    not_exhaustive (n_images * n_cats,) tables."""
    cdef Py_ssize_t n = image_pos.shape[0]
    if cat_pos.shape[0] != n or area.shape[0] != n:
        raise ValueError("image_pos, cat_pos and area differ in length")
    if n_images < 0 or n_cats < 0:
        raise ValueError("n_images and n_cats must be >= 0")
    if verified.shape[0] != n_images * n_cats or not_exhaustive.shape[0] != n_images * n_cats:
        raise ValueError("verified and not_exhaustive must hold n_images * n_cats entries")
    cdef const uint8_t[::1] kp
    cdef const uint8_t *kptr = NULL
    if keep is not None:
        kp = keep
        if kp.shape[0] != n:
            raise ValueError("keep and image_pos differ in length")
        if n:
            kptr = &kp[0]
    flags = np.empty(n, dtype=np.uint8)
    cdef uint8_t[::1] f = flags
    cdef int rc
    cdef int64_t zi = 0
    cdef double zd = 0
    cdef uint8_t zu = 0
    with nogil:
        rc = detap_federated_flags(&image_pos[0] if n else &zi, &cat_pos[0] if n else &zi,
                                   &area[0] if n else &zd, kptr, n,
                                   &verified[0] if verified.shape[0] else &zu,
                                   &not_exhaustive[0] if not_exhaustive.shape[0] else &zu,
                                   n_images, n_cats, nthreads, &f[0] if n else &zu)
    _check(rc)
    return flags
