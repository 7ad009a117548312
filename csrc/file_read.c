#if defined(__linux__)
#define _XOPEN_SOURCE 700 /* (pread) */
#define _FILE_OFFSET_BITS 64 /* (a 64-bit off_t on 32-bit builds too: Python.h is not here to set it) */
#endif
#if defined(__linux__) || defined(__APPLE__)
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>
#define HAVE_PREAD 1
#endif
#include "file_read.h"

#define MAX_PARTS 64
#define MIN_PART ((size_t)1 << 18)

int detap_read_at(int fd, char *buf, size_t len, int64_t pos, int nthreads, size_t *got,
                  int *err) {
    *got = 0;
    *err = 0;
#ifndef HAVE_PREAD
    (void)fd; (void)buf; (void)len; (void)pos; (void)nthreads;
    return DETAP_EVALUE;
#else
    /* an offset off_t cannot hold: the caller reads the file itself */
    if (pos < 0 || (sizeof(off_t) < 8 && (uint64_t)pos + len > (uint64_t)INT32_MAX))
        return DETAP_EVALUE;
    int np = detap_team(nthreads);
    if (np > MAX_PARTS) np = MAX_PARTS;
    if ((size_t)np > len / MIN_PART) np = len / MIN_PART ? (int)(len / MIN_PART) : 1;
    size_t part = len / (size_t)np;
    size_t done[MAX_PARTS];
    int errs[MAX_PARTS];
    int k;
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(np) if (np > 1)
#endif
    for (k = 0; k < np; k++) {
        size_t a = part * (size_t)k, b = k + 1 < np ? a + part : len, n = 0;
        errs[k] = 0;
        /* a regular file gives all it has: loop only for EINTR and the
         * rare partial read */
        while (a + n < b) {
            ssize_t r = pread(fd, buf + a + n, b - a - n, (off_t)(pos + (int64_t)(a + n)));
            if (r < 0) {
                if (errno == EINTR) continue;
                errs[k] = errno;
                break;
            }
            if (r == 0) break;
            n += (size_t)r;
        }
        done[k] = n;
    }
    size_t total = 0;
    for (k = 0; k < np; k++) {
        if (errs[k]) {
            *err = errs[k];
            return DETAP_OK;
        }
        total += done[k];
        if (done[k] < (k + 1 < np ? part : len - part * (size_t)k)) break;
    }
    *got = total;
    return DETAP_OK;
#endif
}
