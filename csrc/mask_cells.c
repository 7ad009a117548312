#include <stdlib.h>
#include "mask_cells.h"

/* Detection row r's RLE decoded from its string into cnts (room for
 * dt_len[r] counts: a value takes at least one byte). */
static int decode_one(const detap_mask_ctx *m, size_t r, uint32_t *cnts, detap_rle *out) {
    size_t k = 0;
    int rc = detap_rle_from_string(m->dt_text + m->dt_start[r], (size_t)m->dt_len[r], cnts, &k);
    out->h = m->dt[r].h;
    out->w = m->dt[r].w;
    out->m = k;
    out->cnts = k ? cnts : NULL;
    return rc;
}

int detap_coco_mask_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                        size_t G, double *out) {
    const detap_mask_ctx *m = ctx;
    if (D == 0 || G == 0) return DETAP_OK;
    /* a string is decoded only when one of its pairs passes the box gate:
     * most detections of a cell overlap none of its GT */
    size_t room = 0;
    if (m->dt_text)
        for (size_t d = 0; d < D; d++)
            if ((size_t)m->dt_len[drow[d]] > room) room = (size_t)m->dt_len[drow[d]];
    uint32_t *buf = m->dt_text ? malloc((room + 1) * sizeof *buf) : NULL;
    /* the GT's facts, found when a pair first needs them (plain[g] 2: not yet) */
    detap_rle_facts *gf = malloc(G * sizeof *gf);
    if ((m->dt_text && !buf) || !gf) {
        free(buf);
        free(gf);
        return DETAP_ENOMEM;
    }
    for (size_t g = 0; g < G; g++) gf[g].plain = 2;
    int rc = DETAP_OK;
    for (size_t d = 0; d < D && rc == DETAP_OK; d++) {
        size_t r = (size_t)drow[d];
        const double *dbb = m->dt_bb + 4 * r;
        detap_rle own;
        detap_rle_facts df;
        const detap_rle *dr = NULL;
        for (size_t g = 0; g < G; g++) {
            size_t q = (size_t)grow[g];
            int crowd = m->gt_crowd[q] != 0;
            double o = detap_rle_box_gate(dbb, m->gt_bb + 4 * q, crowd);
            if (o > 0) {
                if (!dr) {
                    if (m->dt_text) {
                        rc = decode_one(m, r, buf, &own);
                        if (rc != DETAP_OK) break;
                        dr = &own;
                    } else {
                        dr = m->dt + r;
                    }
                    detap_rle_facts_of(dr, &df);
                }
                if (gf[g].plain == 2) detap_rle_facts_of(m->gt + q, gf + g);
                o = detap_rle_iou_runs(dr, m->gt + q, crowd, &df, gf + g);
            }
            out[d * G + g] = o;
        }
    }
    free(buf);
    free(gf);
    return rc;
}
