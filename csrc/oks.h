/* Keypoint similarity (OKS) of one COCO cell: pycocotools' computeOks.
 *
 * A keypoint annotation holds K points as x, y, v triples (pixels; v is the
 * visibility, > 0 when labelled).  For a detection d and a GT g:
 *
 *   GT with labelled points:  dx = xd - xg, dy = yd - yg, over the labelled
 *                             points only;
 *   GT with none:             dx, dy = the distance of each detected point
 *                             outside the GT box grown by its size on every
 *                             side ([x - w, x + 2w] x [y - h, y + 2h]), over
 *                             all K points;
 *   e = (dx^2 + dy^2) / var_k / (area_g + eps) / 2,   var_k = (2 sigma_k)^2
 *   OKS = sum(exp(-e)) / (number of points used)
 *
 * in pycocotools' operation order; the sum is numpy's pairwise summation
 * (np.sum, accumulate.h), and exp is numpy's own exp loop when the caller passes it
 * (numpy's SIMD exp is not the C library's: they differ in the last bit for
 * a few inputs in a thousand on CPUs with AVX-512).  The exps of one GT's
 * pairs go through that loop in one call: numpy's SIMD loops give each
 * element the same bits whatever the array's length.
 */
#ifndef DETAP_OKS_H
#define DETAP_OKS_H

#include "detap_common.h"

/* A numpy ufunc inner loop (PyUFuncGenericFunction without numpy's types):
 * args = {in, out}, dims = {n}, steps = {in stride, out stride} in bytes. */
typedef void (*detap_vec_fn)(char **args, const intptr_t *dims, const intptr_t *steps,
                             void *data);

typedef struct {
    const double *gt_kpts, *dt_kpts; /* 3 * K per row: x, y, v */
    size_t K;
    const double *vars;              /* K: (2 sigma_k)^2, as pycocotools computes it */
    const double *gt_boxes;          /* 4 per GT row, xywh */
    const double *gt_area;           /* the GT annotation's "area" */
    detap_vec_fn exp_fn;             /* numpy's float64 exp loop; NULL: the C library's */
    void *exp_data;
    /* For matching only (0: off; every value exact): a pair whose every
     * e = (dx^2 + dy^2) / var / (area + eps) / 2 exceeds far_e has an OKS
     * certainly below the lowest threshold a match needs, and gets 0 in
     * place of its value (no exp is taken).  detap_oks_far_e gives it. */
    double far_e;
} detap_oks_ctx;

/* far_e for matching at T IoU thresholds thr, whose least starting value
 * is lo (match.h's detap_coco_lowest_start): OKS <= exp(-min e), so every
 * e above -log(lo) + 1e-3 puts the OKS below lo by a factor e^-0.001, far
 * beyond rounding.  0 (off) when lo is not a positive normal number (a
 * threshold NaN, zero or negative, or none at all). */
double detap_oks_far_e(const double *thr, size_t T);

/* The cell similarity (coco_eval.h's detap_cell_sim_fn) for keypoints:
 * out[d * G + g] = OKS of detection row drow[d] against GT row grow[g].
 * ctx is a detap_oks_ctx.  Returns DETAP_OK or DETAP_ENOMEM. */
int detap_coco_oks_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                       size_t G, double *out);

#endif
