#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "match.h"
#include "similarity.h"
#include "tide.h"

/* numpy's argmax over one row of G values v(g): the first maximum */
#define FIRST_ARGMAX(G, EXPR, idx, best)          \
    do {                                          \
        size_t g = 0;                             \
        idx = 0;                                  \
        best = (EXPR);                            \
        for (g = 1; g < (G); g++) {               \
            double v_ = (EXPR);                   \
            if (v_ > best) { best = v_; idx = g; } \
        }                                         \
    } while (0)

/* The image's similarities when the caller gave none: pycocotools' box IoU
 * of every detection against the GT (iou, D x G) and its crowd IoU
 * (intersection over the detection's area) against the ignore regions
 * (igs, D x R), each GT's area computed once (ga, G + R scratch). */
static void tide_box_sims(size_t D, const double *db, size_t G, const double *gb, size_t R,
                          const double *rb, double *ga, uint8_t *ones, double *iou, double *igs) {
    for (size_t g = 0; g < G; g++) ga[g] = detap_area_coco(gb + 4 * g);
    for (size_t r = 0; r < R; r++) {
        ga[G + r] = detap_area_coco(rb + 4 * r);
        ones[r] = 1;
    }
    /* finite boxes (the readers refuse others, but this kernel does not
     * rely on it) take the branch-free row */
    int finite = 1;
    for (size_t k = 0; k < 4 * D; k++) finite &= isfinite(db[k]) != 0;
    for (size_t k = 0; k < 4 * G; k++) finite &= isfinite(gb[k]) != 0;
    for (size_t k = 0; k < 4 * R; k++) finite &= isfinite(rb[k]) != 0;
    for (size_t k = 0; k < G + R; k++) finite &= isfinite(ga[k]) != 0;
    for (size_t d = 0; d < D; d++) {
        const double *b = db + 4 * d;
        double da = detap_area_coco(b);
        if (finite && isfinite(da)) {
            detap_coco_row_finite(b, da, gb, ga, NULL, G, iou + d * G);
            detap_coco_row_finite(b, da, rb, ga + G, ones, R, igs + d * R);
        } else {
            detap_box_sim_row(DETAP_IOU_COCO, b, da, gb, ga, NULL, G, iou + d * G);
            detap_box_sim_row(DETAP_IOU_COCO, b, da, rb, ga + G, ones, R, igs + d * R);
        }
    }
}

static void tide_image(size_t D, const int64_t *dc, const double *ds, size_t G,
                      const int64_t *gc, size_t R, const int64_t *rc, size_t W,
                      const int64_t *wc, const double *iou,
                      const double *igs, double pos, double bg,
                      int8_t *label, uint8_t *err, uint8_t *fix, int64_t *dgt, uint8_t *used,
                      uint8_t *miss, int64_t g_base, uint8_t *usable,
                      double *best_score, int64_t *best_d, const detap_match_spec *cspec,
                      int64_t *cmatch, size_t nd, uint8_t *taken, int64_t *m, size_t *cand) {
    for (size_t g = 0; g < G; g++) {
        used[g] = 0;
        usable[g] = 0;
        best_score[g] = -1.0;
        best_d[g] = -1;
    }
    for (size_t d = 0; d < D; d++) {
        label[d] = DETAP_FP;
        err[d] = DETAP_TIDE_NONE;
        fix[d] = 0;
        dgt[d] = -1;
    }
    if (cspec->nt) {   /* the confusion matrix's class-agnostic matching, same IoUs */
        memset(taken, 0, cspec->nt * G + 1);
        /* hotcoco's confusion_matrix visits the image's GT class by class,
         * each class in annotation order (so of equal IoUs the last in that
         * order wins): a stable insertion sort by class */
        for (size_t g = 0; g < G; g++) {
            size_t j = g;
            while (j > 0 && gc[cand[j - 1]] > gc[g]) { cand[j] = cand[j - 1]; j--; }
            cand[j] = g;
        }
        for (size_t d = 0; d < D; d++) {
            detap_match_det(cspec, iou + d * G, G, NULL, NULL, cand, G, 1, taken, m);
            for (size_t t = 0; t < cspec->nt; t++) cmatch[t * nd + d] = m[t] < 0 ? -1 : g_base + m[t];
        }
    }
    /* matching (tidecv skips it when the image has no GT) */
    if (G) {
        for (size_t d = 0; d < D; d++) {
            const double *row = iou + d * G;
            size_t idx;
            double v;
            FIRST_ARGMAX(G, (dc[d] == gc[g] && !used[g]) ? row[g] : 0.0, idx, v);
            if (v >= pos) {
                used[idx] = 1;
                label[d] = DETAP_TP;
                dgt[d] = g_base + (int64_t)idx;
            }
        }
    }
    for (size_t r = 0; r < R; r++)
        for (size_t d = 0; d < D; d++)
            if (label[d] != DETAP_TP && (rc[r] == dc[d] || rc[r] == -1) && igs[d * R + r] > pos)
                label[d] = DETAP_IGNORE;
    for (size_t w = 0; w < W; w++)   /* regions covering the image: every detection is inside */
        for (size_t d = 0; d < D; d++)
            if (label[d] != DETAP_TP && (wc[w] == dc[d] || wc[w] == -1)) label[d] = DETAP_IGNORE;
    for (size_t d = 0; d < D; d++) {
        if (label[d] == DETAP_TP) continue;
        if (G == 0) {
            err[d] = DETAP_TIDE_BKG;
            continue;
        }
        /* tidecv's four argmaxes of the row in one pass, each keeping its
         * first maximum: same class, other class, used GT of the same
         * class, any class */
        const double *row = iou + d * G;
        int same = dc[d] == gc[0];
        double v_same = same ? row[0] : 0.0, v_other = same ? 0.0 : row[0];
        double v_used = same && used[0] ? row[0] : 0.0, v_all = row[0];
        size_t i_same = 0, i_other = 0, i_used = 0, idx = 0;
        for (size_t g = 1; g < G; g++) {
            double x = row[g];
            same = dc[d] == gc[g];
            double xs = same ? x : 0.0, xo = same ? 0.0 : x, xu = same && used[g] ? x : 0.0;
            if (xs > v_same) { v_same = xs; i_same = g; }
            if (xo > v_other) { v_other = xo; i_other = g; }
            if (xu > v_used) { v_used = xu; i_used = g; }
            if (x > v_all) v_all = x;
        }
        int e;
        if (bg <= v_same && v_same <= pos) {
            e = DETAP_TIDE_LOC;
            idx = i_same;
        } else if (v_other >= pos) {
            e = DETAP_TIDE_CLS;
            idx = i_other;
        } else if (v_used >= pos) {
            e = DETAP_TIDE_DUPE;
            idx = i_used;
        } else {
            e = v_all <= bg ? DETAP_TIDE_BKG : DETAP_TIDE_BOTH;
        }
        err[d] = (uint8_t)e;
        if (e == DETAP_TIDE_LOC || e == DETAP_TIDE_CLS || e == DETAP_TIDE_DUPE)
            dgt[d] = g_base + (int64_t)idx;
        if ((e == DETAP_TIDE_LOC || e == DETAP_TIDE_CLS) && !used[idx]) {
            usable[idx] = 1;
            if (best_score[idx] < ds[d]) {
                best_score[idx] = ds[d];
                best_d[idx] = (int64_t)d;
            }
        }
    }
    for (size_t d = 0; d < D; d++) {
        if ((err[d] == DETAP_TIDE_LOC || err[d] == DETAP_TIDE_CLS)) {
            size_t g = (size_t)(dgt[d] - g_base);
            fix[d] = !used[g] && best_d[g] == (int64_t)d;
        }
    }
    for (size_t g = 0; g < G; g++) miss[g] = !used[g] && !usable[g];
}

static int offsets_ok(const int64_t *off, size_t nimg) {
    if (off[0] != 0) return 0;
    for (size_t i = 0; i < nimg; i++)
        if (off[i + 1] < off[i]) return 0;
    return 1;
}

static int blocks_ok(const int64_t *off, const int64_t *a_off, const int64_t *b_off, size_t nimg) {
    if (off[0] != 0) return 0;
    for (size_t i = 0; i < nimg; i++)
        if (off[i + 1] - off[i] != (a_off[i + 1] - a_off[i]) * (b_off[i + 1] - b_off[i])) return 0;
    return 1;
}

int detap_tide_images(const detap_tide_io *io, int nthreads) {
    size_t nimg = io->nimg;
    const int64_t *dt_off = io->dt_off, *gt_off = io->gt_off, *ig_off = io->ig_off;
    if (!offsets_ok(dt_off, nimg) || !offsets_ok(gt_off, nimg) || !offsets_ok(ig_off, nimg) ||
        (io->wh_off && !offsets_ok(io->wh_off, nimg)))
        return DETAP_EINDEX;
    int given = io->sim != NULL;   /* the caller's similarities, else box IoU here */
    if (io->dt_rows && !given)
        for (size_t d = 0; d < (size_t)dt_off[nimg]; d++)
            if ((uint64_t)io->dt_rows[d] >= io->n_dt_box) return DETAP_EINDEX;
    if (given && (!io->ig_sim || !blocks_ok(io->sim_off, dt_off, gt_off, nimg) ||
                  !blocks_ok(io->ig_sim_off, dt_off, ig_off, nimg)))
        return DETAP_EINDEX;
    size_t maxd = 0, maxg = 0, maxr = 0;
    for (size_t i = 0; i < nimg; i++) {
        size_t D = (size_t)(dt_off[i + 1] - dt_off[i]), G = (size_t)(gt_off[i + 1] - gt_off[i]);
        size_t R = (size_t)(ig_off[i + 1] - ig_off[i]);
        if (D > maxd) maxd = D;
        if (G > maxg) maxg = G;
        if (R > maxr) maxr = R;
    }
    int rc = DETAP_OK;
    size_t nd = (size_t)dt_off[nimg];
    detap_match_spec cspec = {DETAP_RULE_COCO, 0, io->cthr, io->conf_match ? io->nct : 0};
    /* the box similarities' scratch: D x G and D x R blocks, GT areas */
    size_t nsim = given ? 0 : maxd * (maxg + maxr) + maxg + maxr;
    /* and the image's detection boxes, gathered here (in parallel) when
     * they are rows of a larger array */
    size_t nbox = given || !io->dt_rows ? 0 : 4 * maxd;
    (void)nthreads;
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
#pragma omp parallel num_threads(nthreads) reduction(min:rc) if (dt_off[nimg] > 20000)
#endif
    {
        /* one scratch block per thread: the box similarities and per GT the
         * best competing score (doubles); its detection and the confusion
         * matches (int64); the usable, crowd and confusion's taken flags */
        size_t nf = nsim + nbox + maxg + 1, ni = maxg + 1 + cspec.nt + 1 + maxg;
        char *scratch = malloc(nf * sizeof(double) + ni * sizeof(int64_t) + maxg + 1 +
                               (given ? 0 : maxr) + cspec.nt * maxg + 1);
        double *sims = (double *)scratch;
        double *boxes = scratch ? sims + nsim : NULL;
        double *best_score = scratch ? boxes + nbox : NULL;
        int64_t *best_d = scratch ? (int64_t *)(sims + nf) : NULL;
        int64_t *m = scratch ? best_d + maxg + 1 : NULL;
        size_t *cand = scratch ? (size_t *)(m + cspec.nt + 1) : NULL;   /* (size_t: int64_t's size) */
        uint8_t *usable = scratch ? (uint8_t *)(best_d + ni) : NULL;
        uint8_t *ones = scratch ? usable + maxg + 1 : NULL;
        uint8_t *taken = scratch ? ones + (given ? 0 : maxr) : NULL;
        if (!scratch) rc = DETAP_ENOMEM;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
        for (long il = 0; il < (long)nimg; il++) {
            size_t i = (size_t)il;
            size_t d0 = (size_t)dt_off[i], g0 = (size_t)gt_off[i], r0 = (size_t)ig_off[i];
            size_t D = (size_t)dt_off[i + 1] - d0, G = (size_t)gt_off[i + 1] - g0;
            size_t R = (size_t)ig_off[i + 1] - r0;
            if (!scratch) continue;
            const double *iou, *igs;
            if (given) {
                iou = io->sim + io->sim_off[i];
                igs = io->ig_sim + io->ig_sim_off[i];
            } else {
                double *s_iou = sims, *s_igs = sims + D * G;
                const double *db = io->dt_box + 4 * d0;
                if (io->dt_rows) {
                    for (size_t d = 0; d < D; d++)
                        memcpy(boxes + 4 * d, io->dt_box + 4 * io->dt_rows[d0 + d], 4 * sizeof(double));
                    db = boxes;
                }
                tide_box_sims(D, db, G, io->gt_box + 4 * g0, R,
                              io->ig_box + 4 * r0, s_igs + D * R, ones, s_iou, s_igs);
                iou = s_iou;
                igs = s_igs;
            }
            size_t w0 = io->wh_off ? (size_t)io->wh_off[i] : 0;
            size_t W = io->wh_off ? (size_t)io->wh_off[i + 1] - w0 : 0;
            tide_image(D, io->dt_cls + d0, io->dt_score + d0, G, io->gt_cls + g0, R,
                       io->ig_cls + r0, W, io->wh_off ? io->wh_cls + w0 : NULL, iou, igs, io->pos, io->bg, io->dt_label + d0,
                       io->dt_err + d0, io->dt_fix + d0, io->dt_gt + d0, io->gt_used + g0,
                       io->gt_miss + g0, (int64_t)g0, usable, best_score, best_d, &cspec,
                       io->conf_match ? io->conf_match + d0 : NULL, nd, taken, m, cand);
        }
        free(scratch);
    }
    return rc;
}

int detap_tide_class_ap(size_t K, const int64_t *off, const uint8_t *tp, const uint8_t *keep,
                        const int64_t *npos, double *ap, int64_t *count) {
    size_t maxn = 0;
    if (K && off[0] != 0) return DETAP_EINDEX;
    for (size_t k = 0; k < K; k++) {
        if (off[k + 1] < off[k]) return DETAP_EINDEX;
        if ((size_t)(off[k + 1] - off[k]) > maxn) maxn = (size_t)(off[k + 1] - off[k]);
    }
    /* per true positive: its position among the kept points, then the
     * suffix maximum of the precisions at the true positives */
    size_t *tpos = malloc((maxn + 1) * sizeof *tpos);
    double *env = malloc((maxn + 1) * sizeof *env);
    if (!tpos || !env) {
        free(tpos);
        free(env);
        return DETAP_ENOMEM;
    }
    for (size_t k = 0; k < K; k++) {
        size_t b = (size_t)off[k], e = (size_t)off[k + 1], n = 0, T = 0;
        for (size_t i = b; i < e; i++) {
            size_t kp = !keep || keep[i] != 0;
            tpos[T] = n;
            T += kp & (tp[i] != 0);
            n += kp;
        }
        if (count) count[k] = (int64_t)n;
        if (npos[k] == 0) {
            ap[k] = 0;
            continue;
        }
        /* Precision only rises at a true positive, so the suffix maximum
         * of the precision after each point, read at the first point whose
         * recall reaches x / 100, is the maximum over the true positives
         * from that point on: for x > 0 that point is the t-th true
         * positive, t the least with t / npos >= x / 100 (the same
         * divisions as precision and recall point by point), for x = 0 the
         * first point (precision 0 unless it is a true positive). */
        for (size_t t = T; t-- > 0;) {
            double p = (double)(int64_t)(t + 1) / (double)(int64_t)(tpos[t] + 1);
            env[t] = (t + 1 < T && env[t + 1] > p) ? env[t + 1] : p;
        }
        double np_ = (double)npos[k];
        double sum = T ? env[0] : 0.0;   /* x = 0: the first point */
        size_t t = 0;   /* true positives before the sample point */
        for (int x = 1; x <= 100; x++) {
            double r = (double)x / 100;
            while (t < T && (double)(int64_t)(t + 1) / np_ < r) t++;
            /* recall reaches r at the (t+1)-th true positive, if any */
            sum += t < T ? env[t] : 0.0;
        }
        ap[k] = sum / 101 * 100;
    }
    free(tpos);
    free(env);
    return DETAP_OK;
}

int detap_first_index(const int64_t *v, const uint8_t *mask, size_t n, size_t K, int64_t *first) {
    size_t left = K;
    for (size_t k = 0; k < K; k++) first[k] = (int64_t)n;
    for (size_t b = 0; b < n && left; b += 4096) {
        size_t e = b + 4096 < n ? b + 4096 : n;
        for (size_t i = b; i < e; i++) {
            uint64_t k = (uint64_t)v[i];
            if (k >= K) {
                if (mask && !mask[i]) continue;
                return DETAP_EINDEX;
            }
            /* branch-free: a flagged first occurrence takes its place */
            int64_t f = first[k];
            int take = (f == (int64_t)n) & (!mask || mask[i] != 0);
            first[k] = take ? (int64_t)i : f;
            left -= (size_t)take;
        }
    }
    return DETAP_OK;
}

int detap_tide_firsts(size_t n, size_t K, const int64_t *cls, const int64_t *fixcls,
                      const uint8_t *err, const uint8_t *fix, const int8_t *label,
                      int64_t *first_ok, int64_t *first_fix) {
    for (size_t j = 0; j < DETAP_TIDE_CODES * K; j++) {
        first_ok[j] = (int64_t)n;
        first_fix[j] = (int64_t)n;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t c = err[i], k = (uint64_t)cls[i];
        if (c >= DETAP_TIDE_CODES || k >= K) return DETAP_EINDEX;
        int64_t *o = first_ok + c * K + k;
        if (label[i] != DETAP_IGNORE && *o == (int64_t)n) *o = (int64_t)i;
        if (fix[i]) {
            uint64_t v = c == DETAP_TIDE_CLS ? (uint64_t)fixcls[i] : k;
            if (v >= K) return DETAP_EINDEX;
            int64_t *f = first_fix + c * K + v;
            if (*f == (int64_t)n) *f = (int64_t)i;
        }
    }
    return DETAP_OK;
}
