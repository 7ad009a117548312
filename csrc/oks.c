#include <math.h>
#include <stdlib.h>
#include "oks.h"
#include "accumulate.h"

static double max0(double v) {
    /* np.max((0, v)): NaN propagates (keypoints are checked finite) */
    return v != v ? v : (v > 0. ? v : 0.);
}

int detap_coco_oks_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                       size_t G, double *out) {
    const detap_oks_ctx *k = ctx;
    size_t K = k->K;
    if (D == 0 || G == 0) return DETAP_OK;
    double *e = malloc((2 * K + 1) * sizeof *e);
    if (!e) return DETAP_ENOMEM;
    double *ex = e + K;
    const double eps = 2.220446049250313e-16; /* np.spacing(1) */
    for (size_t g = 0; g < G; g++) {
        const double *gk = k->gt_kpts + 3 * K * (size_t)grow[g];
        const double *bb = k->gt_boxes + 4 * (size_t)grow[g];
        double scale = k->gt_area[grow[g]] + eps;
        size_t labelled = 0;
        for (size_t j = 0; j < K; j++) labelled += gk[3 * j + 2] > 0;
        double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2;
        double y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
        for (size_t d = 0; d < D; d++) {
            const double *dk = k->dt_kpts + 3 * K * (size_t)drow[d];
            size_t n = 0;
            for (size_t j = 0; j < K; j++) {
                double dx, dy;
                if (labelled) {
                    if (!(gk[3 * j + 2] > 0)) continue;
                    dx = dk[3 * j] - gk[3 * j];
                    dy = dk[3 * j + 1] - gk[3 * j + 1];
                } else {
                    dx = max0(x0 - dk[3 * j]) + max0(dk[3 * j] - x1);
                    dy = max0(y0 - dk[3 * j + 1]) + max0(dk[3 * j + 1] - y1);
                }
                /* pycocotools negates e before exp: -(a / b) == (-a) / b */
                e[n++] = -((dx * dx + dy * dy) / k->vars[j] / scale / 2);
            }
            if (k->exp_fn) {
                char *args[2] = {(char *)e, (char *)ex};
                intptr_t dims[1] = {(intptr_t)n}, steps[2] = {sizeof(double), sizeof(double)};
                k->exp_fn(args, dims, steps, k->exp_data);
            } else {
                for (size_t j = 0; j < n; j++) ex[j] = exp(e[j]);
            }
            out[d * G + g] = detap_pairwise_sum(ex, n) / (double)n;
        }
    }
    free(e);
    return DETAP_OK;
}
