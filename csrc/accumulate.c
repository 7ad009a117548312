#include <float.h>
#include <math.h>
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
 *
 * Only the TPs matter: rc only rises at a TP, so a searched index is 0 or
 * the position of the c-th TP, c the smallest count with c / npig >= thr
 * (found by bisection on the same division); and between TPs tp is constant
 * and fp does not fall, so pr does not rise, and the suffix maximum from a
 * TP is the max of pr over that TP and the later ones (the same values, so
 * the same bits).
 *
 * A cell's labels arrive as its TPs: tp_pos[c] the position of the c-th
 * (among nd, in score order), tp_fp[c] the FPs before it; first_tp /
 * first_fp: the label at position 0.  tp_fp's slots are reused. */
typedef struct {
    int64_t ntp, fp0, tp0;
    int64_t *tp_pos, *tp_fp;
} tp_list;

/* Per recall threshold r, the smallest count c in [0, top] with
 * c / npig >= rec_thrs[r] (c / npig does not fall as c grows), else top + 1;
 * SIZE_MAX for a NaN threshold.  It depends on npig and the thresholds only,
 * so the accumulation computes it once per (category, area range), not per
 * cell: from the guess ceil(v * npig) (off by one at most, by its rounding)
 * a step or two on the same division as pycocotools' rc = tp / npig. */
static void recall_counts(double npig, size_t top, const double *rec_thrs, size_t R, size_t *lo_r) {
    for (size_t r = 0; r < R; r++) {
        double v = rec_thrs[r];
        if (v != v) {
            lo_r[r] = SIZE_MAX;
            continue;
        }
        size_t lo;
        double g = ceil(v * npig);
        lo = !(g > 0) ? 0 : g > (double)top ? top + 1 : (size_t)g;
        while (lo > 0 && !((double)(lo - 1) / npig < v)) lo--;
        while (lo <= top && (double)lo / npig < v) lo++;
        lo_r[r] = lo;
    }
}

/* lo_r: recall_counts of npig with a top of at least L->ntp (the smallest
 * count over a larger range is the same when it is at most ntp, and past
 * ntp either way when it is not). */
static void coco101_curve(const tp_list *L, const double *scores_sorted, size_t nd, double npig,
                          const size_t *lo_r, size_t R, double *precision, double *scores,
                          size_t stride, double *recall) {
    const double eps = DBL_EPSILON; /* np.spacing(1) */
    int64_t ntp = L->ntp;
    const int64_t *tp_pos = L->tp_pos;
    *recall = nd ? (double)ntp / npig : 0.;
    /* suffix maxima of pr over the TPs, stored over tp_fp's slots */
    double *env = (double *)L->tp_fp; /* same size: int64_t and double */
    double run = -1.;
    for (size_t c = (size_t)ntp; c-- > 0;) {
        double tp = (double)(c + 1), f = (double)L->tp_fp[c];
        double p = tp / (f + tp + eps);
        if (p > run) run = p;
        env[c] = run;
    }
    double p0 = (double)L->tp0 / ((double)L->fp0 + (double)L->tp0 + eps);
    double env0 = ntp && env[0] > p0 ? env[0] : p0; /* position 0 may not be a TP */
    for (size_t r = 0; r < R; r++) {
        size_t lo = lo_r[r];
        /* past the end: no detections, a NaN threshold (numpy sorts NaN
         * last) or no count reaching it */
        if (nd == 0 || lo > (size_t)ntp) {
            for (; r < R; r++) { precision[r * stride] = 0.; if (scores) scores[r * stride] = 0.; }
            break;
        }
        size_t pos = lo == 0 ? 0 : (size_t)tp_pos[lo - 1];
        precision[r * stride] = pos == 0 ? env0 : env[lo - 1];
        if (scores) scores[r * stride] = scores_sorted[pos];
    }
}

/* The TPs of int8 labels L[0..nd) (1 TP, 0 FP, -1 ignored). */
static void tps_of_labels(const int8_t *L, size_t nd, tp_list *out) {
    int64_t ntp = 0, fp = 0;
    out->fp0 = out->tp0 = 0;
    /* branch-free: TP, FP and ignored come in no predictable order, and a
     * mispredicted branch per label costs more than the stores (tp_pos and
     * tp_fp have room for nd + 1 entries) */
    for (size_t j = 0; j < nd; j++) {
        int8_t l = L[j];
        out->tp_pos[ntp] = (int64_t)j;
        out->tp_fp[ntp] = fp;
        ntp += l == DETAP_TP;
        fp += l == DETAP_FP;
        if (j == 0) { out->fp0 = fp; out->tp0 = ntp; }
    }
    out->ntp = ntp;
}

/* ------------------------------------------------- labels as bit planes */

/* The 8 x 8 bit matrix x (row i: byte i, column j: bit j) transposed
 * (Hacker's Delight, 7-3). */
static inline uint64_t transpose8(uint64_t x) {
    uint64_t t;
    t = (x ^ (x >> 7)) & UINT64_C(0x00AA00AA00AA00AA);
    x = x ^ t ^ (t << 7);
    t = (x ^ (x >> 14)) & UINT64_C(0x0000CCCC0000CCCC);
    x = x ^ t ^ (t << 14);
    t = (x ^ (x >> 28)) & UINT64_C(0x00000000F0F0F0F0);
    x = x ^ t ^ (t << 28);
    return x;
}

/* A category's labels in score order as bit planes: plane ((a * T + t) * 2
 * + kind) holds, in W words, bit j for the j-th detection (sel[j]'s block)
 * being a TP (kind 0) or ignored (kind 1) at (area range a, threshold t).
 * Eight detections at a time: a byte of each block becomes eight planes'
 * bytes through one 8 x 8 transpose, instead of a shift and mask per label. */
static void label_planes(const uint8_t *labels, const int64_t *sel, size_t nall, size_t A,
                         size_t T, size_t W, uint64_t *planes) {
    size_t LB = DETAP_LAB_BLOCK(T), half = DETAP_LAB_BYTES(T);
    memset(planes, 0, A * T * 2 * W * sizeof *planes);
    for (size_t j0 = 0; j0 < nall; j0 += 8) {
        size_t nb = nall - j0 < 8 ? nall - j0 : 8;
        const uint8_t *blk[8];
        for (size_t i = 0; i < nb; i++) blk[i] = labels + (size_t)sel[j0 + i] * A * LB;
        size_t w = j0 / 64, sh = j0 % 64;
        for (size_t a = 0; a < A; a++)
            for (size_t k = 0; k < LB; k++) {
                uint64_t x = 0;
                for (size_t i = 0; i < nb; i++) x |= (uint64_t)blk[i][a * LB + k] << (8 * i);
                if (!x) continue;
                x = transpose8(x);
                size_t kind = k >= half, t0 = 8 * (k - kind * half);
                for (size_t b = 0; b < 8 && t0 + b < T; b++)
                    planes[((a * T + t0 + b) * 2 + kind) * W + w] |= ((x >> (8 * b)) & 0xff) << sh;
            }
    }
}

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__)) && \
    defined(__linux__)
/* the hardware popcount where the CPU has it (not in x86-64's baseline) */
#define POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define POPCNT_CLONES
#endif

static inline size_t pop64(uint64_t x) { return (size_t)__builtin_popcountll(x); }

/* The TPs of one plane pair (tp, ig: W words over nall detections) among
 * the detections of keep (NULL: all), positions counted among those kept.
 * Cost: a few operations per word and per TP, not per detection. */
POPCNT_CLONES
static void tps_of_planes(const uint64_t *tp, const uint64_t *ig, const uint64_t *keep, size_t W,
                          size_t nall, tp_list *out) {
    int64_t ntp = 0, fp = 0, base = 0;
    int first = 1;
    out->fp0 = out->tp0 = 0;
    for (size_t w = 0; w < W; w++) {
        uint64_t kw = keep ? keep[w]
                           : (w + 1 < W || nall % 64 == 0 ? ~UINT64_C(0)
                                                          : (UINT64_C(1) << (nall % 64)) - 1);
        if (!kw) continue;
        uint64_t tw = tp[w] & kw, fw = kw & ~tw & ~ig[w];
        if (first) { /* the label at position 0: the lowest kept bit */
            uint64_t low = kw & (~kw + 1);
            out->tp0 = (tw & low) != 0;
            out->fp0 = (fw & low) != 0;
            first = 0;
        }
        while (tw) {
            unsigned b = (unsigned)__builtin_ctzll(tw);
            uint64_t below = (UINT64_C(1) << b) - 1;
            out->tp_pos[ntp] = base + (int64_t)pop64(kw & below);
            out->tp_fp[ntp] = fp + (int64_t)pop64(fw & below);
            ntp++;
            tw &= tw - 1;
        }
        fp += (int64_t)pop64(fw);
        base += (int64_t)pop64(kw);
    }
    out->ntp = ntp;
}

int detap_ap_coco101(const int8_t *labels, const double *scores_sorted,
                     size_t nd, double npig, const double *rec_thrs, size_t R,
                     double *precision, double *scores, double *recall) {
    tp_list L;
    L.tp_pos = malloc((nd + 1) * sizeof *L.tp_pos);
    L.tp_fp = malloc((nd + 1) * sizeof *L.tp_fp);
    if (!L.tp_pos || !L.tp_fp) { free(L.tp_pos); free(L.tp_fp); return DETAP_ENOMEM; }
    size_t *lo_r = malloc((R + 1) * sizeof *lo_r);
    if (!lo_r) { free(L.tp_pos); free(L.tp_fp); return DETAP_ENOMEM; }
    tps_of_labels(labels, nd, &L);
    recall_counts(npig, (size_t)L.ntp, rec_thrs, R, lo_r);
    coco101_curve(&L, scores_sorted, nd, npig, lo_r, R, precision, scores, 1, recall);
    free(L.tp_pos);
    free(L.tp_fp);
    free(lo_r);
    return DETAP_OK;
}

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
    size_t maxw = (maxk + 63) / 64 + 1;
    int rc = DETAP_OK;
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
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
        uint64_t *planes = malloc((A * T * 2 + 1) * maxw * sizeof *planes);
        uint64_t *keep = malloc(maxw * sizeof *keep);
        size_t *lo_r = malloc((A * R + 1) * sizeof *lo_r);  /* per area range: recall_counts */
        int64_t *npa = malloc((A + 1) * sizeof *npa);        /* per area range: the GT counted */
        int my = (q && sc && ord && ss && tp_pos && tp_fp && rank && sel && sel_prev && planes && keep &&
                  lo_r && npa)
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
                size_t W = (nall + 63) / 64;
                label_planes(labels, sel, nall, A, T, W, planes);
                for (size_t a = 0; a < A; a++) {
                    npa[a] = 0;
                    for (size_t c = c0; c < c1; c++) npa[a] += npig[a * nc + c];
                    if (npa[a]) recall_counts((double)npa[a], nall, rec_thrs, R, lo_r + a * R);
                }
                tp_list L = {0, 0, 0, tp_pos, tp_fp};
                size_t prev_n = (size_t)-1, prev_m = 0, stride = K * A * M;
                for (size_t m = 0; m < M; m++) {
                    /* the first max_dets[m] of each image: bits of keep, their
                     * scores compacted into sc */
                    size_t n = 0;
                    memset(keep, 0, W * sizeof *keep);
                    for (size_t j = 0; j < nall; j++)
                        if (sel_prev[j] < max_dets[m]) {
                            keep[j / 64] |= UINT64_C(1) << (j % 64);
                            sc[n++] = ss[j];
                        }
                    if (m > 0 && n == prev_n) {
                        /* the sets are nested: the same count is the same
                         * detections, so the same curves, copied */
                        for (size_t a = 0; a < A; a++)
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
                    for (size_t a = 0; a < A; a++) {
                        int64_t np_ = npa[a];
                        if (np_ == 0) continue;
                        for (size_t t = 0; t < T; t++) {
                            size_t cell = ((k * A + a) * M + m);
                            const uint64_t *pl = planes + (a * T + t) * 2 * W;
                            tps_of_planes(pl, pl + W, n == nall ? NULL : keep, W, nall, &L);
                            coco101_curve(&L, sc, n, (double)np_, lo_r + a * R, R,
                                          precision + t * R * stride + cell,
                                          scores ? scores + t * R * stride + cell : NULL, stride,
                                          recall + t * stride + cell);
                        }
                    }
                }
            }
        }
        free(q); free(sc); free(ord); free(ss); free(tp_pos); free(tp_fp);
        free(rank); free(sel); free(sel_prev); free(planes); free(keep); free(lo_r); free(npa);
        if (my < rc) rc = my;
    }
    (void)nthreads;
    return rc;
}
