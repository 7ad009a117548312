#include <math.h>
#include <stdlib.h>
#include "oks.h"
#include "match.h"
#include "accumulate.h"

static double max0(double v) {
    /* np.max((0, v)): NaN propagates (keypoints are checked finite) */
    return (v > 0. || v != v) ? v : 0.;
}

double detap_oks_far_e(const double *thr, size_t T) {
    double lo = detap_coco_lowest_start(thr, T);
    /* (off below normal numbers too: exp's results there are subnormal,
     * whose rounding is coarser than the margin) */
    if (!(lo > 1e-290) || lo == INFINITY) return 0;
    return -log(lo) + 1e-3 > 0 ? -log(lo) + 1e-3 : 1e-3;
}

#define FAR ((size_t)-1) /* a pair left out under far_e */

/* Box b (x0, y0, x1, y1) grown to hold the point (x, y). */
static inline void grow_box(double b[4], double x, double y) {
    b[0] = x < b[0] ? x : b[0];
    b[1] = y < b[1] ? y : b[1];
    b[2] = x > b[2] ? x : b[2];
    b[3] = y > b[3] ? y : b[3];
}

int detap_coco_oks_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                       size_t G, double *out) {
    const detap_oks_ctx *k = ctx;
    size_t K = k->K;
    if (D == 0 || G == 0) return DETAP_OK;
    /* one GT's pairs at a time: their e values back to back (nd[d] each,
     * or FAR), then one exp call over all of them */
    double *e = malloc((2 * D * K + 2 * K + 4 * D + 1) * sizeof *e);
    size_t *nd = malloc((D + K) * sizeof *nd);
    if (!e || !nd) {
        free(e);
        free(nd);
        return DETAP_ENOMEM;
    }
    double *ex = e + D * K, *far = ex + D * K, *den = far + K, *box = den + K;
    size_t *use = nd + D; /* the points a GT's OKS is taken over */
    const double eps = 2.220446049250313e-16; /* np.spacing(1) */
    const double far_e = k->far_e;
    /* each detection's box around all its points: a pair whose GT box is
     * farther from it than every point's far[u] allows is far without a
     * look at its points (each point is at least that far from its GT
     * point, and rounding keeps that order) */
    if (far_e > 0)
        for (size_t d = 0; d < D; d++) {
            const double *dk = k->dt_kpts + 3 * K * (size_t)drow[d];
            double *b = box + 4 * d;
            b[0] = b[2] = K ? dk[0] : 0;
            b[1] = b[3] = K ? dk[1] : 0;
            int finite = 1;
            for (size_t j = 0; j < K; j++) {
                double x = dk[3 * j], y = dk[3 * j + 1];
                finite &= isfinite(x) && isfinite(y);
                grow_box(b, x, y);
            }
            /* an infinite point can meet an infinite GT point (inf - inf:
             * a NaN OKS, which matches): no box test for it */
            if (!finite) b[0] = NAN;
        }
    for (size_t g = 0; g < G; g++) {
        const double *gk = k->gt_kpts + 3 * K * (size_t)grow[g];
        const double *bb = k->gt_boxes + 4 * (size_t)grow[g];
        double scale = k->gt_area[grow[g]] + eps;
        size_t nu = 0;
        for (size_t j = 0; j < K; j++)
            if (gk[3 * j + 2] > 0) use[nu++] = j;
        int labelled = nu > 0;
        if (!labelled)
            for (size_t j = 0; j < K; j++) use[nu++] = j;
        double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2;
        double y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
        /* far[u]: a squared distance above it makes e > far_e (up to a few
         * ulps, far inside far_e's margin); without one (a sigma or area
         * that is not positive and finite) no pair of this GT is far */
        int test = far_e > 0 && nu > 0;
        double far_max = 0;
        for (size_t u = 0; u < nu; u++) {
            far[u] = far_e * k->vars[use[u]] * scale * 2;
            test &= far[u] > 0 && far[u] < INFINITY;
            far_max = far[u] > far_max ? far[u] : far_max;
            den[u] = k->vars[use[u]];
        }
        /* the GT's box: its labelled points, or the grown box the others
         * are measured from (when it is not inverted) */
        double t[4] = {x0, y0, x1, y1};
        if (labelled) {
            t[0] = t[2] = gk[3 * use[0]];
            t[1] = t[3] = gk[3 * use[0] + 1];
            for (size_t u = 1; u < nu; u++) grow_box(t, gk[3 * use[u]], gk[3 * use[u] + 1]);
        }
        int box_test = test && t[0] <= t[2] && t[1] <= t[3] && isfinite(t[0]) && isfinite(t[1]) &&
                       isfinite(t[2]) && isfinite(t[3]);
        size_t used = 0;
        for (size_t d = 0; d < D; d++) {
            const double *dk = k->dt_kpts + 3 * K * (size_t)drow[d];
            double *ed = e + used;
            if (box_test) {
                const double *b = box + 4 * d;
                double gx = max0(b[0] - t[2]), gy = max0(b[1] - t[3]);
                gx = max0(t[0] - b[2]) > gx ? max0(t[0] - b[2]) : gx;
                gy = max0(t[1] - b[3]) > gy ? max0(t[1] - b[3]) : gy;
                if (gx * gx + gy * gy > far_max) {
                    nd[d] = FAR;
                    out[d * G + g] = 0;
                    continue;
                }
            }
            int near = !test;
            for (size_t u = 0; u < nu; u++) {
                size_t j = use[u];
                double dx, dy;
                if (labelled) {
                    dx = dk[3 * j] - gk[3 * j];
                    dy = dk[3 * j + 1] - gk[3 * j + 1];
                } else {
                    dx = max0(x0 - dk[3 * j]) + max0(dk[3 * j] - x1);
                    dy = max0(y0 - dk[3 * j + 1]) + max0(dk[3 * j + 1] - y1);
                }
                double d2 = dx * dx + dy * dy;
                near |= !(d2 > far[u]); /* (NaN: near) */
                ed[u] = d2;
            }
            if (!near) {
                nd[d] = FAR;
                out[d * G + g] = 0;
                continue;
            }
            /* pycocotools negates e before exp: -(a / b) == (-a) / b */
            for (size_t u = 0; u < nu; u++) ed[u] = -(ed[u] / den[u] / scale / 2);
            nd[d] = nu;
            used += nu;
        }
        if (k->exp_fn) {
            char *args[2] = {(char *)e, (char *)ex};
            intptr_t dims[1] = {(intptr_t)used}, steps[2] = {sizeof(double), sizeof(double)};
            if (used) k->exp_fn(args, dims, steps, k->exp_data);
        } else {
            for (size_t j = 0; j < used; j++) ex[j] = exp(e[j]);
        }
        size_t at = 0;
        for (size_t d = 0; d < D; d++) {
            if (nd[d] == FAR) continue;
            out[d * G + g] = detap_pairwise_sum(ex + at, nd[d]) / (double)nd[d];
            at += nd[d];
        }
    }
    free(e);
    free(nd);
    return DETAP_OK;
}
