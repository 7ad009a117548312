/* LVIS's federated stage: which detections lvis-api evaluates.
 *
 * lvis-api keeps at most max_dets results per image over all categories
 * (the highest scores, ties in file order), then evaluates a detection
 * only where its category is verified in its image (present or listed
 * negative).  These kernels compute both as per-row flags in one pass
 * each over the detection columns, on all threads.
 */
#ifndef DETAP_FEDERATED_H
#define DETAP_FEDERATED_H

#include "detap_common.h"

/* The per-image cap as a mask.  image_pos[n] in [0, n_images) (else
 * DETAP_EINDEX), score[n].  An image with more than max_dets (>= 0) rows
 * keeps those first in the order (score descending, then row ascending);
 * NaN scores come after every number.  kept[n] receives 1 for a kept row,
 * 0 for a cut one; *n_cut the number of rows cut. */
int detap_cap_per_image(const int64_t *image_pos, const double *score, size_t n,
                        size_t n_images, int64_t max_dets, int nthreads, uint8_t *kept,
                        size_t *n_cut);

/* The rows lvis-api evaluates.  For row r: image position image_pos[r]
 * (< 0: not evaluated; else < n_images), category position cat_pos[r]
 * (< 0: not evaluated; else < n_cats), area[r] (evaluated only in
 * (0, inf)), keep[r] (NULL: all; else 0 drops the row).  verified and
 * not_exhaustive are n_images * n_cats tables (image * n_cats + category):
 * a row is evaluated when verified[...] is non-zero.  flags[n] receives 0
 * (not evaluated), 1 (evaluated) or 3 (evaluated, and its category is not
 * exhaustively annotated in its image: ignored when unmatched).
 * DETAP_EINDEX for a position out of range. */
int detap_federated_flags(const int64_t *image_pos, const int64_t *cat_pos, const double *area,
                          const uint8_t *keep, size_t n, const uint8_t *verified,
                          const uint8_t *not_exhaustive, size_t n_images, size_t n_cats,
                          int nthreads, uint8_t *flags);

#endif
