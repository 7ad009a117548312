#include <stdlib.h>
#include "mask_cells.h"

/* The cell's detection RLEs decoded from their strings into one buffer:
 * rle[d] for row drow[d]; *buf to free. */
static int decode_cell(const detap_mask_ctx *m, const int64_t *drow, size_t D, detap_rle *rle,
                       uint32_t **buf) {
    size_t room = 0;
    for (size_t d = 0; d < D; d++) room += (size_t)m->dt_len[drow[d]]; /* a value takes >= 1 byte */
    uint32_t *cnts = malloc((room + 1) * sizeof *cnts);
    if (!cnts) return DETAP_ENOMEM;
    size_t used = 0;
    for (size_t d = 0; d < D; d++) {
        size_t r = (size_t)drow[d], k = 0;
        int rc = detap_rle_from_string(m->dt_text + m->dt_start[r], (size_t)m->dt_len[r],
                                       cnts + used, &k);
        if (rc != DETAP_OK) { free(cnts); return rc; }
        rle[d].h = m->dt[r].h;
        rle[d].w = m->dt[r].w;
        rle[d].m = k;
        rle[d].cnts = k ? cnts + used : NULL;
        used += k;
    }
    *buf = cnts;
    return DETAP_OK;
}

int detap_coco_mask_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                        size_t G, double *out) {
    const detap_mask_ctx *m = ctx;
    detap_rle *own = NULL;
    uint32_t *buf = NULL;
    if (m->dt_text && D) {
        own = malloc(D * sizeof *own);
        if (!own) return DETAP_ENOMEM;
        int rc = decode_cell(m, drow, D, own, &buf);
        if (rc != DETAP_OK) { free(own); return rc; }
    }
    for (size_t d = 0; d < D; d++) {
        size_t r = (size_t)drow[d];
        const detap_rle *dr = own ? own + d : m->dt + r;
        for (size_t g = 0; g < G; g++) {
            size_t q = (size_t)grow[g];
            out[d * G + g] = detap_rle_iou_pair(dr, m->dt_bb + 4 * r, m->gt + q,
                                                m->gt_bb + 4 * q, m->gt_crowd[q] != 0);
        }
    }
    free(own);
    free(buf);
    return DETAP_OK;
}
