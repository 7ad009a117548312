#include <stdlib.h>
#include "evaluate.h"

int detap_group_by_image(const int64_t *img, size_t n, size_t nimg,
                         int64_t *off, int64_t *perm) {
    for (size_t i = 0; i <= nimg; i++) off[i] = 0;
    for (size_t k = 0; k < n; k++) {
        if (img[k] < 0 || (uint64_t)img[k] >= nimg) return DETAP_EINDEX;
        off[img[k] + 1]++;
    }
    for (size_t i = 0; i < nimg; i++) off[i + 1] += off[i];
    /* off[i] doubles as the fill cursor, then is shifted back */
    for (size_t k = 0; k < n; k++) perm[off[img[k]]++] = (int64_t)k;
    for (size_t i = nimg; i > 0; i--) off[i] = off[i - 1];
    off[0] = 0;
    return DETAP_OK;
}

/* np.argmax semantics over the GT of one image: the first maximum, or the
 * first NaN if any (np.max then returns NaN too, so ovmax = ov[jmax]). */
static inline size_t voc_best_gt(detap_iou_kind kind, const double *d,
                                 const double *g, size_t m, double *ovmax) {
    double best = detap_iou_pair(kind, d, g, 0);
    size_t jbest = 0;
    if (best == best) {
        for (size_t j = 1; j < m; j++) {
            double v = detap_iou_pair(kind, d, g + 4 * j, 0);
            if (!(v <= best)) {
                best = v;
                jbest = j;
                if (v != v) break;
            }
        }
    }
    *ovmax = best;
    return jbest;
}

int detap_match_voc(detap_iou_kind kind, const int64_t *order, size_t nd,
                    const double *det_boxes, const int64_t *det_img,
                    const double *gt_boxes, const uint8_t *gt_ignore,
                    const int64_t *gt_off, size_t nimg, const double *thr,
                    size_t nt, int strict, int8_t *labels) {
    if (kind != DETAP_IOU_VOC && kind != DETAP_IOU_COCO) return DETAP_EVALUE;
    if (gt_off[0] != 0) return DETAP_EINDEX;
    for (size_t i = 0; i < nimg; i++)
        if (gt_off[i + 1] < gt_off[i]) return DETAP_EINDEX;
    size_t ng = (size_t)gt_off[nimg];
    for (size_t k = 0; k < nd; k++) {
        if (order[k] < 0 || (uint64_t)order[k] >= nd) return DETAP_EINDEX;
        if (det_img[k] < 0 || (uint64_t)det_img[k] >= nimg) return DETAP_EINDEX;
    }
    uint8_t *taken = calloc(ng * nt + 1, 1);
    if (!taken) return DETAP_ENOMEM;

    for (size_t k = 0; k < nd; k++) {
        size_t d = (size_t)order[k];
        int64_t im = det_img[d];
        size_t g0 = (size_t)gt_off[im], m = (size_t)gt_off[im + 1] - g0;
        double ovmax = -INFINITY;
        size_t j = 0;
        if (m > 0) j = g0 + voc_best_gt(kind, det_boxes + 4 * d, gt_boxes + 4 * g0, m, &ovmax);
        for (size_t t = 0; t < nt; t++) {
            int pass = strict ? (ovmax > thr[t]) : (ovmax >= thr[t]);
            int8_t lab = DETAP_FP;
            if (pass) {
                if (gt_ignore && gt_ignore[j]) {
                    lab = DETAP_IGNORE;
                } else if (!taken[t * ng + j]) {
                    taken[t * ng + j] = 1;
                    lab = DETAP_TP;
                }
            }
            labels[t * nd + k] = lab;
        }
    }
    free(taken);
    return DETAP_OK;
}
