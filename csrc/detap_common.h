/* Shared definitions of the detap C kernels.
 *
 * The kernels are plain C99: no Python, no allocation visible to callers
 * except through explicit work buffers or a returned status code.  Every
 * function that could be handed inconsistent sizes validates what it can
 * cheaply and returns a negative status instead of reading out of bounds;
 * the Cython layer checks shapes before calling, so these are a second line.
 *
 * Exactness: every arithmetic expression mirrors the operation order of the
 * reference implementation it reproduces (numpy or pycocotools).  The build
 * passes -ffp-contract=off so that no compiler fuses a*b+c into an FMA,
 * which would change the last bit.
 */
#ifndef DETAP_COMMON_H
#define DETAP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* Status codes returned by kernels. */
#define DETAP_OK 0
#define DETAP_ENOMEM (-1)
#define DETAP_EINDEX (-2) /* an index array holds a value out of range */
#define DETAP_EVALUE (-3) /* a parameter is out of its domain */

/* The team size of a parallel loop for a thread count of detap/threads.py's
 * policy: n > 0 threads, or 0 (or less) for all cores (OpenMP's default
 * team, which OMP_NUM_THREADS sets); 1 in a build without OpenMP. */
#ifdef _OPENMP
#include <omp.h>
static inline int detap_team(int n) { return n > 0 ? n : omp_get_max_threads(); }
#else
static inline int detap_team(int n) { (void)n; return 1; }
#endif

/* Detection labels produced by matching, consumed by accumulation. */
#define DETAP_FP 0
#define DETAP_TP 1
#define DETAP_IGNORE (-1) /* matched an ignored (difficult/crowd) GT: neither */

#endif
