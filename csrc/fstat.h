/* File metadata for cache keys (fstat.c). */
#ifndef DETAP_FSTAT_H
#define DETAP_FSTAT_H

#include "detap_common.h"

/* out[4 i .. 4 i + 3] = size, modification and status-change times (ns
 * since the epoch) and inode of paths[i] (NUL-terminated), stat()ed on
 * nthreads threads: DETAP_OK; DETAP_EINDEX with *failed the first path
 * that could not be stat()ed; DETAP_EVALUE on a system where this is not
 * implemented (Windows: the caller asks the OS itself). */
int detap_stat_files(const char *const *paths, size_t n, int nthreads, int64_t *out,
                     size_t *failed);

#endif
