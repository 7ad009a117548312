/* Ordering detections by descending score.
 *
 * detap_argsort_desc_* write a permutation `order` such that scores[order]
 * is non-increasing and tied scores keep their input order: the same
 * permutation as np.argsort(-scores, kind="stable").  -0.0 and +0.0 tie,
 * as they do for numpy's comparisons.  Scores must not be NaN (the caller
 * checks); +-inf are ordered normally.
 *
 * Implementation: LSD radix sort of order-preserving 64-bit keys, skipping
 * byte positions on which every key agrees (scores in [0, 1] share their
 * high bytes); below 1024 scores a merge sort (runs of 16 by insertion)
 * instead, whose cost the histograms would exceed.  32 bytes
 * of scratch per element.
 */
#ifndef DETAP_SORT_H
#define DETAP_SORT_H

#include "detap_common.h"

int detap_argsort_desc_f64(const double *scores, size_t n, int64_t *order);
int detap_argsort_desc_f32(const float *scores, size_t n, int64_t *order);

/* The same order computed on nthreads threads (detap_team's policy) for
 * large n: pieces sorted in parallel, then merged (never call from inside
 * a parallel region; the two above are for that). */
int detap_argsort_desc_f64_team(const double *scores, size_t n, int64_t *order, int nthreads);
int detap_argsort_desc_f32_team(const float *scores, size_t n, int64_t *order, int nthreads);

/* Each segment g of rows (rows[off[g]] .. rows[off[g+1]-1], indices into
 * scores, which the caller checked) sorted in place by descending score,
 * ties in the order given; segments on nthreads threads.  DETAP_EINDEX if
 * the offsets do not rise from 0. */
int detap_sort_segments_desc(const double *scores, const int64_t *off, size_t nseg, int64_t *rows,
                             int nthreads);

#endif
