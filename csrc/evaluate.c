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
                                 const double *g, const double *ga, size_t m,
                                 double *ovmax) {
    double da = detap_area(kind, d);
    double best = detap_iou_pair(kind, d, da, g, ga[0], 0);
    size_t jbest = 0;
    for (size_t j = 1; j < m; j++) {
        double v = detap_iou_pair(kind, d, da, g + 4 * j, ga[j], 0);
        /* once best is NaN nothing replaces it (the first NaN wins) */
        int upd = !(v <= best) & (best == best);
        best = upd ? v : best;
        jbest = upd ? j : jbest;
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
    for (size_t k = 0; k < nd; k++)
        if (order[k] < 0 || (uint64_t)order[k] >= nd) return DETAP_EINDEX;
    for (size_t k = 0; k < nd; k++)
        if (det_img[k] < 0 || (uint64_t)det_img[k] >= nimg) return DETAP_EINDEX;

    /* Matching state is per image, so each image can be done on its own:
     * group the processing positions by image (ascending within an image),
     * then walk one image at a time with its GT hot in cache. */
    int64_t *kimg = malloc((nd + 1) * sizeof *kimg);
    int64_t *doff = calloc(nimg + 1, sizeof *doff);
    int64_t *pos = malloc((nd + 1) * sizeof *pos);
    uint8_t *taken = calloc(ng * nt + 1, 1);
    double *garea = malloc((ng + 1) * sizeof *garea);
    double *dbox = malloc((4 * nd + 4) * sizeof *dbox);
    int rc = DETAP_ENOMEM;
    if (!kimg || !doff || !pos || !taken || !garea || !dbox) goto done;
    for (size_t k = 0; k < nd; k++) kimg[k] = det_img[order[k]];
    rc = detap_group_by_image(kimg, nd, nimg, doff, pos);
    if (rc != DETAP_OK) goto done;
    for (size_t j = 0; j < ng; j++) garea[j] = detap_area(kind, gt_boxes + 4 * j);
    /* one gather pass (independent loads overlap well) so that the
     * matching loop below reads detections sequentially */
    for (size_t q = 0; q < nd; q++) {
        const double *src = det_boxes + 4 * (size_t)order[pos[q]];
        double *dst = dbox + 4 * q;
        dst[0] = src[0]; dst[1] = src[1]; dst[2] = src[2]; dst[3] = src[3];
    }

    for (size_t im = 0; im < nimg; im++) {
        size_t g0 = (size_t)gt_off[im], m = (size_t)gt_off[im + 1] - g0;
        for (int64_t q = doff[im]; q < doff[im + 1]; q++) {
            size_t k = (size_t)pos[q];
            if (m == 0) {
                /* ovmax = -inf fails every threshold */
                for (size_t t = 0; t < nt; t++) labels[t * nd + k] = DETAP_FP;
                continue;
            }
            double ovmax;
            size_t j = g0 + voc_best_gt(kind, dbox + 4 * (size_t)q,
                                        gt_boxes + 4 * g0, garea + g0, m, &ovmax);
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
    }
    rc = DETAP_OK;
done:
    free(kimg);
    free(doff);
    free(pos);
    free(taken);
    free(garea);
    free(dbox);
    return rc;
}
