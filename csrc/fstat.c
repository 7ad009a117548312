/* File metadata for cache keys: detap.voc's annotation memo and cache are
 * keyed by each annotation file's size, times and inode, which thousands of
 * stat() calls from Python take tens of milliseconds to gather. */
#if defined(__linux__)
#define _POSIX_C_SOURCE 200809L /* (st_mtim; macOS has st_mtimespec without it) */
#endif
#if !defined(_WIN32)
#include <sys/stat.h>
#endif
#include "fstat.h"

int detap_stat_files(const char *const *paths, size_t n, int nthreads, int64_t *out,
                     size_t *failed) {
#if defined(_WIN32) || !(defined(__linux__) || defined(__APPLE__))
    (void)paths; (void)n; (void)nthreads; (void)out; (void)failed;
    return DETAP_EVALUE; /* (the caller asks the OS through Python) */
#else
    size_t first = n;
#ifdef _OPENMP
/* (a stat() is short: below tens of thousands, threads cost more than they give) */
#pragma omp parallel for num_threads(detap_team(nthreads)) schedule(static) \
    reduction(min : first) if (n > 20000)
#endif
    for (long il = 0; il < (long)n; il++) {
        size_t i = (size_t)il;
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            first = i < first ? i : first;
            continue;
        }
#if defined(__APPLE__)
        struct timespec m = st.st_mtimespec, c = st.st_ctimespec;
#else
        struct timespec m = st.st_mtim, c = st.st_ctim;
#endif
        int64_t *o = out + 4 * i;
        o[0] = (int64_t)st.st_size;
        o[1] = (int64_t)m.tv_sec * 1000000000 + m.tv_nsec;
        o[2] = (int64_t)c.tv_sec * 1000000000 + c.tv_nsec;
        o[3] = (int64_t)st.st_ino;
    }
    (void)nthreads;
    *failed = first;
    return first < n ? DETAP_EINDEX : DETAP_OK;
#endif
}
