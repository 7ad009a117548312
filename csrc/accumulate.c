#include <float.h>
#include <string.h>
#include <stdlib.h>
#include "accumulate.h"
#include "labels.h"
#include "npmath.h"
#include "sort.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* Transcribes numpy's pairwise_sum for contiguous float64: below 8 terms a
 * plain loop from 0.; up to 128 eight interleaved accumulators combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) then the tail; above, split at half
 * rounded down to a multiple of 8. */
static double pairwise(const double *a, size_t n) {
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    } else if (n <= 128) {
        double r[8], res;
        size_t i;
        for (int k = 0; k < 8; k++) r[k] = a[k];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) r[k] += a[i + k];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    } else {
        size_t n2 = n / 2;
        n2 -= n2 % 8;
        return pairwise(a, n2) + pairwise(a + n2, n - n2);
    }
}

/* np.sum adds the pairwise result to the reduction's initial 0.0, which only
 * shows in the sign of an all-(-0.0) sum. */
double detap_pairwise_sum(const double *a, size_t n) { return 0. + pairwise(a, n); }

void detap_pr_voc(const int8_t *labels, size_t nd, double npos, double *tp,
                  double *fp, double *rec, double *prec) {
    double ctp = 0., cfp = 0.;
    for (size_t k = 0; k < nd; k++) {
        if (labels[k] == DETAP_TP) ctp += 1.;
        else if (labels[k] == DETAP_FP) cfp += 1.;
        if (tp) tp[k] = ctp;
        if (fp) fp[k] = cfp;
        if (rec) rec[k] = ctp / npos;
        if (prec) {
            double s = ctp + cfp;
            prec[k] = ctp / detap_floor_at(s, DBL_EPSILON);
        }
    }
}

void detap_ap_voc07(const double *rec, const double *prec, size_t n,
                    const double *grid, double *ap, int *any_hit) {
    double acc = 0.;
    int hit = 0;
    for (int t = 0; t < 11; t++) {
        double p = 0.;
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            if (rec[i] >= grid[t]) {
                /* np.max: NaN propagates */
                p = found ? detap_np_maximum(p, prec[i]) : prec[i];
                found = 1;
            }
        }
        hit |= found;
        acc = acc + p / 11.;
    }
    *ap = acc;
    if (any_hit) *any_hit = hit;
}

int detap_ap_all_point(const double *rec, const double *prec, size_t n,
                       double *ap) {
    /* mrec = [0, rec, 1], mpre = [0, prec, 0] */
    double *mpre = malloc((n + 2) * sizeof *mpre);
    double *terms = malloc((n + 1) * sizeof *terms);
    if (!mpre || !terms) { free(mpre); free(terms); return DETAP_ENOMEM; }
    mpre[0] = 0.;
    for (size_t i = 0; i < n; i++) mpre[i + 1] = prec[i];
    mpre[n + 1] = 0.;
    for (size_t i = n + 1; i > 0; i--) mpre[i - 1] = detap_np_maximum(mpre[i - 1], mpre[i]);
    size_t nt = 0;
    double prev = 0.;
    for (size_t i = 0; i <= n; i++) {
        double next = i < n ? rec[i] : 1.;
        if (next != prev) terms[nt++] = (next - prev) * mpre[i + 1];
        prev = next;
    }
    *ap = detap_pairwise_sum(terms, nt);
    free(mpre);
    free(terms);
    return DETAP_OK;
}

/* One (t, k, a, m) cell of pycocotools' accumulate, bit for bit:
 *   rc = tp / npig; pr = tp / (fp + tp + eps); pr[i-1] = max(pr[i-1], pr[i])
 *   backwards; q[r] = pr[searchsorted(rc, recThrs[r], "left")] (and the
 *   score there) until the first index past the end, then zeros.
 * Labels are read as L[idx[j]] (idx NULL: L[j]).
 *
 * Only the TPs matter: rc only rises at a TP, so a searched index is 0 or
 * the position of the c-th TP, c the smallest count with c / npig >= thr
 * (found by bisection on the same division); and between TPs tp is constant
 * and fp does not fall, so pr does not rise, and the suffix maximum from a
 * TP is the max of pr over that TP and the later ones (the same values, so
 * the same bits).  tp_pos, tp_fp: scratch of n. */
static void coco101(const int8_t *L, size_t lstride, const int64_t *idx, const double *scores_sorted,
                    size_t nd, double npig, const double *rec_thrs, size_t R,
                    double *precision, double *scores, size_t stride, double *recall,
                    int64_t *tp_pos, int64_t *tp_fp) {
    const double eps = DBL_EPSILON; /* np.spacing(1) */
    int64_t ntp = 0, fp = 0, fp0 = 0, tp0 = 0;
    /* branch-free: TP, FP and ignored come in no predictable order, and a
     * mispredicted branch per label costs more than the stores (tp_pos and
     * tp_fp have room for nd + 1 entries) */
    for (size_t j = 0; j < nd; j++) {
        int8_t l = L[(idx ? (size_t)idx[j] : j) * lstride];
        tp_pos[ntp] = (int64_t)j;
        tp_fp[ntp] = fp;
        ntp += l == DETAP_TP;
        fp += l == DETAP_FP;
        if (j == 0) { fp0 = fp; tp0 = ntp; }
    }
    *recall = nd ? (double)ntp / npig : 0.;
    /* suffix maxima of pr over the TPs, stored over tp_fp's slots */
    double *env = (double *)tp_fp; /* same size: int64_t and double */
    double run = -1.;
    for (size_t c = (size_t)ntp; c-- > 0;) {
        double tp = (double)(c + 1), f = (double)tp_fp[c];
        double p = tp / (f + tp + eps);
        if (p > run) run = p;
        env[c] = run;
    }
    double p0 = (double)tp0 / ((double)fp0 + (double)tp0 + eps);
    double env0 = ntp && env[0] > p0 ? env[0] : p0; /* position 0 may not be a TP */
    for (size_t r = 0; r < R; r++) {
        double v = rec_thrs[r];
        if (nd == 0 || v != v) { /* past the end (numpy sorts NaN last) */
            for (; r < R; r++) { precision[r * stride] = 0.; if (scores) scores[r * stride] = 0.; }
            break;
        }
        /* smallest c in [0, ntp] with c / npig >= v, else past the end */
        size_t lo = 0, hi = (size_t)ntp + 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (mid <= (size_t)ntp && !((double)mid / npig < v)) hi = mid;
            else lo = mid + 1;
        }
        if (lo > (size_t)ntp) {
            for (; r < R; r++) { precision[r * stride] = 0.; if (scores) scores[r * stride] = 0.; }
            break;
        }
        size_t pos = lo == 0 ? 0 : (size_t)tp_pos[lo - 1];
        precision[r * stride] = pos == 0 ? env0 : env[lo - 1];
        if (scores) scores[r * stride] = scores_sorted[pos];
    }
}

int detap_ap_coco101(const int8_t *labels, const double *scores_sorted,
                     size_t nd, double npig, const double *rec_thrs, size_t R,
                     double *precision, double *scores, double *recall) {
    int64_t *tp_pos = malloc((nd + 1) * sizeof *tp_pos);
    int64_t *tp_fp = malloc((nd + 1) * sizeof *tp_fp);
    if (!tp_pos || !tp_fp) { free(tp_pos); free(tp_fp); return DETAP_ENOMEM; }
    coco101(labels, 1, NULL, scores_sorted, nd, npig, rec_thrs, R, precision, scores, 1, recall,
            tp_pos, tp_fp);
    free(tp_pos);
    free(tp_fp);
    return DETAP_OK;
}

#ifndef LAB_BUDGET /* a build with -DLAB_BUDGET=1 tests the one-range chunks */
#define LAB_BUDGET ((size_t)64 << 20)
#endif

int detap_coco_accumulate(size_t K, const int64_t *cat_off, size_t nc,
                          const int64_t *kept_off, const double *kept_score,
                          const int64_t *kept_row, const uint8_t *labels, size_t n_kept,
                          const int32_t *npig,
                          size_t A, size_t T, const int64_t *max_dets, size_t M,
                          const double *rec_thrs, size_t R, double *precision,
                          double *recall, double *scores, int nthreads) {
    if (kept_off[0] != 0 || (size_t)kept_off[nc] != n_kept) return DETAP_EINDEX;
    if (cat_off[0] != 0 || (size_t)cat_off[K] != nc) return DETAP_EINDEX;
    for (size_t c = 0; c < nc; c++) if (kept_off[c + 1] < kept_off[c]) return DETAP_EINDEX;
    /* the largest category decides the scratch size */
    size_t maxk = 0;
    for (size_t k = 0; k < K; k++) {
        if (cat_off[k + 1] < cat_off[k]) return DETAP_EINDEX;
        size_t n = (size_t)(kept_off[cat_off[k + 1]] - kept_off[cat_off[k]]);
        if (n > maxk) maxk = n;
    }
    for (size_t m = 0; m < M; m++) if (max_dets[m] < 0) return DETAP_EVALUE;
    /* area ranges per label gather: all of them, unless the scratch of the
     * largest category would pass LAB_BUDGET bytes per thread */
    size_t achunk = A ? A : 1;
    while (achunk > 1 && (maxk + 1) * achunk * (T ? T : 1) > LAB_BUDGET) achunk--;
    int rc = DETAP_OK;
#ifdef _OPENMP
    if (nthreads <= 0) nthreads = omp_get_max_threads();
#pragma omp parallel num_threads(nthreads) reduction(min:rc)
#endif
    {
        int64_t *q = malloc((maxk + 1) * sizeof *q);
        double *sc = malloc((maxk + 1) * sizeof *sc);
        int64_t *ord = malloc((maxk + 1) * sizeof *ord);
        double *ss = malloc((maxk + 1) * sizeof *ss);
        int64_t *tp_pos = malloc((maxk + 1) * sizeof *tp_pos);
        int64_t *tp_fp = malloc((maxk + 1) * sizeof *tp_fp);
        int64_t *rank = malloc((maxk + 1) * sizeof *rank);
        int64_t *sel = malloc((maxk + 1) * sizeof *sel);
        int64_t *sel_prev = malloc((maxk + 1) * sizeof *sel_prev);
        int8_t *lab = malloc((maxk + 1) * achunk * (T ? T : 1));
        int my = (q && sc && ord && ss && tp_pos && tp_fp && rank && sel && sel_prev && lab)
                     ? DETAP_OK : DETAP_ENOMEM;
        /* -1 everywhere first, split over the threads (the first touch of
         * these pages is most of the cost); the loop below overwrites */
        size_t np_out = T * R * K * A * M, nr_out = T * K * A * M;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (long x = 0; x < (long)np_out; x++) precision[x] = -1.;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (long x = 0; x < (long)(scores ? np_out : 0); x++) scores[x] = -1.;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (long x = 0; x < (long)nr_out; x++) recall[x] = -1.;
        if (my == DETAP_OK) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (long kk = 0; kk < (long)K; kk++) {
                size_t k = (size_t)kk, c0 = (size_t)cat_off[k], c1 = (size_t)cat_off[k + 1];
                if (c0 == c1) continue; /* no evalImgs entry at all: -1 stays */
                /* every kept detection of the category, images in order, sorted
                 * once: a stable sort restricted to each image's first m
                 * detections is this order filtered (same relative order) */
                size_t nall = 0;
                for (size_t c = c0; c < c1; c++) {
                    for (size_t x = (size_t)kept_off[c]; x < (size_t)kept_off[c + 1]; x++) {
                        q[nall] = (int64_t)x;
                        sc[nall] = kept_score[kept_row ? (size_t)kept_row[x] : x];
                        rank[nall] = (int64_t)(x - (size_t)kept_off[c]);
                        nall++;
                    }
                }
                int sr = nall ? detap_argsort_desc_f64(sc, nall, ord) : DETAP_OK;
                if (sr != DETAP_OK) { my = sr; continue; }
                for (size_t j = 0; j < nall; j++) { /* in score order */
                    size_t o = (size_t)ord[j];
                    ss[j] = sc[o];
                    sel[j] = q[o];
                    sel_prev[j] = rank[o];
                }
                /* the labels of a chunk of area ranges in score order, one
                 * row per (range, threshold): each detection's labels are
                 * read once (one scattered read), the curves then scan rows */
                for (size_t a0 = 0; a0 < A; a0 += achunk) {
                    size_t a1 = a0 + achunk < A ? a0 + achunk : A;
                    size_t LB = DETAP_LAB_BLOCK(T);
                    for (size_t j = 0; j < nall; j++) {
                        const uint8_t *src = labels + ((size_t)sel[j] * A + a0) * LB;
                        for (size_t a = 0; a < a1 - a0; a++)
                            for (size_t t = 0; t < T; t++)
                                lab[(a * T + t) * nall + j] = detap_lab_get(src + a * LB, T, t);
                    }
                    size_t prev_n = (size_t)-1, prev_m = 0;
                    for (size_t m = 0; m < M; m++) {
                        /* the first max_dets[m] of each image: positions jsel */
                        size_t n = 0;
                        for (size_t j = 0; j < nall; j++)
                            if (sel_prev[j] < max_dets[m]) { ord[n] = (int64_t)j; sc[n] = ss[j]; n++; }
                        size_t stride = K * A * M;
                        if (m > 0 && n == prev_n) {
                            /* the sets are nested: the same count is the same
                             * detections, so the same curves, copied */
                            for (size_t a = a0; a < a1; a++)
                                for (size_t t = 0; t < T; t++) {
                                    size_t dst = (k * A + a) * M + m, src = (k * A + a) * M + prev_m;
                                    for (size_t r = 0; r < R; r++) {
                                        precision[(t * R + r) * stride + dst] = precision[(t * R + r) * stride + src];
                                        if (scores) scores[(t * R + r) * stride + dst] = scores[(t * R + r) * stride + src];
                                    }
                                    recall[t * stride + dst] = recall[t * stride + src];
                                }
                            continue;
                        }
                        prev_n = n;
                        prev_m = m;
                        const int64_t *jsel = n == nall ? NULL : ord;
                        for (size_t a = a0; a < a1; a++) {
                            int64_t np_ = 0;
                            for (size_t c = c0; c < c1; c++) np_ += npig[a * nc + c];
                            if (np_ == 0) continue;
                            for (size_t t = 0; t < T; t++) {
                                size_t cell = ((k * A + a) * M + m);
                                coco101(lab + ((a - a0) * T + t) * nall, 1, jsel, sc, n, (double)np_,
                                        rec_thrs, R, precision + t * R * stride + cell,
                                        scores ? scores + t * R * stride + cell : NULL, stride,
                                        recall + t * stride + cell, tp_pos, tp_fp);
                            }
                        }
                    }
                }
            }
        }
        free(q); free(sc); free(ord); free(ss); free(tp_pos); free(tp_fp);
        free(rank); free(sel); free(sel_prev); free(lab);
        if (my < rc) rc = my;
    }
    (void)nthreads;
    return rc;
}
