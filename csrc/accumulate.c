#include <float.h>
#include <stdlib.h>
#include "accumulate.h"
#include "iou.h" /* detap_np_maximum */

/* Transcribes numpy's pairwise_sum for contiguous float64: below 8 terms a
 * plain loop from 0.; up to 128 eight interleaved accumulators combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) then the tail; above, split at half
 * rounded down to a multiple of 8. */
double detap_pairwise_sum(const double *a, size_t n) {
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
        return detap_pairwise_sum(a, n2) + detap_pairwise_sum(a + n2, n - n2);
    }
}

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

/* first index i with !(a[i] < v): np.searchsorted(a, v, side="left") */
static size_t search_left(const double *a, size_t n, double v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int detap_ap_coco101(const int8_t *labels, const double *scores_sorted,
                     size_t nd, double npig, const double *rec_thrs, size_t R,
                     double *precision, double *scores, double *recall) {
    for (size_t r = 0; r < R; r++) { precision[r] = 0.; scores[r] = 0.; }
    if (nd == 0) { *recall = 0.; return DETAP_OK; }
    double *rc = malloc(nd * sizeof *rc);
    double *pr = malloc(nd * sizeof *pr);
    if (!rc || !pr) { free(rc); free(pr); return DETAP_ENOMEM; }
    double tp = 0., fp = 0.;
    const double eps = DBL_EPSILON; /* np.spacing(1) */
    for (size_t k = 0; k < nd; k++) {
        if (labels[k] == DETAP_TP) tp += 1.;
        else if (labels[k] == DETAP_FP) fp += 1.;
        rc[k] = tp / npig;
        pr[k] = tp / (fp + tp + eps);
    }
    *recall = rc[nd - 1];
    for (size_t i = nd - 1; i > 0; i--)
        if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    /* pycocotools fills q[ri] until the first index past the end raises */
    for (size_t r = 0; r < R; r++) {
        size_t pi = search_left(rc, nd, rec_thrs[r]);
        if (pi >= nd) break;
        precision[r] = pr[pi];
        scores[r] = scores_sorted[pi];
    }
    free(rc);
    free(pr);
    return DETAP_OK;
}
