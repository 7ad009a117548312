#include <float.h>
#include <stdlib.h>
#include "accumulate.h"
#include "iou.h" /* detap_np_maximum */
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
            prec[k] = ctp / (s >= DBL_EPSILON ? s : DBL_EPSILON);
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

/* first index i with !(a[i] < v): np.searchsorted(a, v, side="left") for a
 * without NaN; numpy sorts NaN last, so a NaN v lands past the end */
static size_t search_left(const double *a, size_t n, double v) {
    if (v != v) return n;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* One (t, k, a, m) cell of pycocotools' accumulate.  rc, pr: scratch of nd.
 * precision[r * stride] and scores[r * stride] for r < R. */
static void coco101(const int8_t *labels, const double *scores_sorted, size_t nd,
                    double npig, const double *rec_thrs, size_t R, double *precision,
                    double *scores, size_t stride, double *recall, double *rc, double *pr) {
    double tp = 0., fp = 0.;
    const double eps = DBL_EPSILON; /* np.spacing(1) */
    for (size_t k = 0; k < nd; k++) {
        if (labels[k] == DETAP_TP) tp += 1.;
        else if (labels[k] == DETAP_FP) fp += 1.;
        rc[k] = tp / npig;
        pr[k] = tp / (fp + tp + eps);
    }
    *recall = nd ? rc[nd - 1] : 0.;
    for (size_t i = nd ? nd - 1 : 0; i > 0; i--)
        if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    /* q and ss start at zero; pycocotools fills them until the first recall
     * threshold whose index runs past the end (an IndexError it swallows) */
    size_t r = 0;
    for (; r < R; r++) {
        size_t pi = search_left(rc, nd, rec_thrs[r]);
        if (pi >= nd) break;
        precision[r * stride] = pr[pi];
        scores[r * stride] = scores_sorted[pi];
    }
    for (; r < R; r++) { precision[r * stride] = 0.; scores[r * stride] = 0.; }
}

int detap_ap_coco101(const int8_t *labels, const double *scores_sorted,
                     size_t nd, double npig, const double *rec_thrs, size_t R,
                     double *precision, double *scores, double *recall) {
    double *rc = malloc((nd + 1) * sizeof *rc);
    double *pr = malloc((nd + 1) * sizeof *pr);
    if (!rc || !pr) { free(rc); free(pr); return DETAP_ENOMEM; }
    coco101(labels, scores_sorted, nd, npig, rec_thrs, R, precision, scores, 1, recall, rc, pr);
    free(rc);
    free(pr);
    return DETAP_OK;
}

int detap_coco_accumulate(size_t K, size_t I, const int64_t *kept_off,
                          const double *kept_score, const int8_t *labels,
                          size_t n_kept, const int64_t *npig, const uint8_t *present,
                          size_t A, size_t T, const int64_t *max_dets, size_t M,
                          const double *rec_thrs, size_t R, double *precision,
                          double *recall, double *scores, int nthreads) {
    size_t nc = K * I;
    if (kept_off[0] != 0 || (size_t)kept_off[nc] != n_kept) return DETAP_EINDEX;
    /* the largest category decides the scratch size */
    size_t maxk = 0;
    for (size_t k = 0; k < K; k++) {
        if (kept_off[(k + 1) * I] < kept_off[k * I]) return DETAP_EINDEX;
        size_t n = (size_t)(kept_off[(k + 1) * I] - kept_off[k * I]);
        if (n > maxk) maxk = n;
    }
    for (size_t m = 0; m < M; m++) if (max_dets[m] < 0) return DETAP_EVALUE;
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
        int8_t *lab = malloc(maxk + 1);
        double *rcb = malloc((maxk + 1) * sizeof *rcb);
        double *prb = malloc((maxk + 1) * sizeof *prb);
        int my = (q && sc && ord && ss && lab && rcb && prb) ? DETAP_OK : DETAP_ENOMEM;
        if (my == DETAP_OK) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (long kk = 0; kk < (long)K; kk++) {
                size_t k = (size_t)kk;
                int any = 0;
                for (size_t i = 0; i < I; i++) any |= present[k * I + i];
                if (!any) continue; /* no evalImgs entry at all: -1 stays */
                for (size_t m = 0; m < M; m++) {
                    /* each image's first maxDet detections, images in order */
                    size_t n = 0;
                    for (size_t i = 0; i < I; i++) {
                        size_t c = k * I + i, b = (size_t)kept_off[c], e = (size_t)kept_off[c + 1];
                        if (e - b > (size_t)max_dets[m]) e = b + (size_t)max_dets[m];
                        for (size_t x = b; x < e; x++) { q[n] = (int64_t)x; sc[n] = kept_score[x]; n++; }
                    }
                    int r = n ? detap_argsort_desc_f64(sc, n, ord) : DETAP_OK;
                    if (r != DETAP_OK) { my = r; break; }
                    for (size_t j = 0; j < n; j++) ss[j] = sc[ord[j]];
                    for (size_t a = 0; a < A; a++) {
                        int64_t np_ = 0;
                        for (size_t i = 0; i < I; i++)
                            if (present[k * I + i]) np_ += npig[a * nc + k * I + i];
                        if (np_ == 0) continue;
                        for (size_t t = 0; t < T; t++) {
                            const int8_t *L = labels + (a * T + t) * n_kept;
                            for (size_t j = 0; j < n; j++) lab[j] = L[q[ord[j]]];
                            size_t cell = ((k * A + a) * M + m);
                            size_t stride = K * A * M;
                            coco101(lab, ss, n, (double)np_, rec_thrs, R,
                                    precision + t * R * stride + cell,
                                    scores + t * R * stride + cell, stride,
                                    recall + t * stride + cell, rcb, prb);
                        }
                    }
                }
            }
        }
        free(q); free(sc); free(ord); free(ss); free(lab); free(rcb); free(prb);
        if (my < rc) rc = my;
    }
    (void)nthreads;
    return rc;
}
