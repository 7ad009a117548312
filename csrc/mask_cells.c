#include "mask_cells.h"

int detap_coco_mask_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                        size_t G, double *out) {
    const detap_mask_ctx *m = ctx;
    for (size_t d = 0; d < D; d++) {
        size_t r = (size_t)drow[d];
        for (size_t g = 0; g < G; g++) {
            size_t q = (size_t)grow[g];
            out[d * G + g] = detap_rle_iou_pair(m->dt + r, m->dt_bb + 4 * r, m->gt + q,
                                                m->gt_bb + 4 * q, m->gt_crowd[q] != 0);
        }
    }
    return DETAP_OK;
}
