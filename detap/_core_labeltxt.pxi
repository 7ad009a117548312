# The file readers of detap._core for annotation sets of one file per image
# (included by _core.pyx after _core_reader.pxi, whose _own it uses): many
# DOTA labelTxt files read and parsed in C on all cores (csrc/labeltxt.h),
# and the stat() of every file for the annotation memo's key (csrc/fstat.h).

cdef extern from "labeltxt.h" nogil:
    ctypedef struct detap_labeltxt:
        size_t n
        double *quad
        int64_t *file
        int64_t *cls
        uint8_t *difficult
        size_t ncls
        char *names
        size_t *name_off
    int detap_labeltxt_read(const char *const *paths, size_t nfiles, int nthreads, int *status,
                            detap_labeltxt *out)
    void detap_labeltxt_free(detap_labeltxt *t)
    int DETAP_LABELTXT_OK, DETAP_LABELTXT_SLOW, DETAP_LABELTXT_IO

LABELTXT_OK, LABELTXT_SLOW, LABELTXT_IO = DETAP_LABELTXT_OK, DETAP_LABELTXT_SLOW, DETAP_LABELTXT_IO


cdef extern from "fstat.h" nogil:
    int detap_stat_files(const char *const *paths, size_t n, int nthreads, int64_t *out,
                         size_t *failed)


cdef const char **_c_paths(list paths) except NULL:
    """The bytes of ``paths`` as a malloc'd array of C strings (the list
    keeps them alive); the caller frees it."""
    cdef size_t n = len(paths), k
    cdef const char **ptrs = <const char **>malloc((n + 1) * sizeof(char *))
    if ptrs == NULL:
        raise MemoryError()
    for k in range(n):
        if not isinstance(paths[k], bytes):
            free(ptrs)
            raise TypeError("paths must be bytes")
        if b"\0" in <bytes>paths[k]:
            # C would read the path cut at the NUL: another file (os.stat refuses it)
            free(ptrs)
            raise ValueError(f"embedded null byte in path {paths[k]!r}")
        ptrs[k] = <const char *>(<bytes>paths[k])
    return ptrs


def read_labeltxt(list paths, int nthreads=0):
    """The labelTxt files ``paths`` (bytes) read in C on ``nthreads``
    threads (0: all cores): (status (n,) int per file: LABELTXT_OK, or
    LABELTXT_SLOW / LABELTXT_IO for a file left to Python, quad (m, 8)
    float64, file (m,) int64, cls (m,) int64 into the class names, which
    are numbered as they first appear, difficult (m,) uint8, class names
    (list of str)), the objects in file order, then line order."""
    cdef size_t n = len(paths), k
    cdef const char **ptrs = _c_paths(paths)
    status = np.zeros(n, dtype=np.intc)
    cdef int[::1] st = status
    cdef int dummy = 0
    cdef detap_labeltxt out
    cdef int rc
    with nogil:
        rc = detap_labeltxt_read(ptrs, n, nthreads, &st[0] if n else &dummy, &out)
    free(ptrs)
    _check(rc)
    try:
        m = out.n
        quad = _own(<void **>&out.quad, 8 * m, "d", 8).reshape(m, 8)
        names = [out.names[out.name_off[k]:out.name_off[k + 1]].decode("ascii")
                 for k in range(out.ncls)]
        return (status, quad, _own(<void **>&out.file, m, "q", 8),
                _own(<void **>&out.cls, m, "q", 8), _own(<void **>&out.difficult, m, "B", 1),
                names)
    finally:
        detap_labeltxt_free(&out)


def stat_files(list paths, int nthreads=0):
    """(n, 4) int64: size, mtime_ns, ctime_ns and inode of each of ``paths``
    (bytes), stat()ed in C on ``nthreads`` threads; None where this system
    has no C version, or the index of the first path that could not be
    stat()ed (an int)."""
    cdef size_t n = len(paths), failed = 0
    out = np.zeros((n, 4), dtype=np.int64)
    if n == 0:
        return out
    cdef int64_t[:, ::1] o = out
    cdef const char **ptrs = _c_paths(paths)
    cdef int rc
    with nogil:
        rc = detap_stat_files(ptrs, n, nthreads, &o[0, 0], &failed)
    free(ptrs)
    if rc == DETAP_EVALUE:
        return None
    if rc == DETAP_EINDEX:
        return int(failed)
    _check(rc)
    return out
