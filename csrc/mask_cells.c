#include <stdlib.h>
#include "mask_cells.h"

/* Detection row r's RLE decoded from its string into cnts (room for
 * dt_len[r] counts: a value takes at least one byte). */
static int decode_one(const detap_mask_ctx *m, size_t r, uint32_t *cnts, detap_rle *out) {
    size_t k = 0;
    int rc = detap_rle_from_text(m->dt_text + m->dt_start[r], (size_t)m->dt_len[r], cnts, &k);
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
    size_t room = 1, groom = 1;
    for (size_t d = 0; d < D; d++) {
        size_t r = (size_t)drow[d], k = m->dt_text ? (size_t)m->dt_len[r] : m->dt[r].m;
        room = k + 1 > room ? k + 1 : room; /* (a value takes >= 1 byte) */
    }
    for (size_t g = 0; g < G; g++) groom += m->gt[grow[g]].m;
    /* the detection's counts, its run ends, every GT's run ends (each
     * detection is compared with every GT of the cell: found once, here) */
    uint32_t *buf = malloc((2 * room + groom) * sizeof *buf);
    detap_rle_ends *ge = malloc(G * sizeof *ge);
    if (!buf || !ge) {
        free(buf);
        free(ge);
        return DETAP_ENOMEM;
    }
    uint32_t *dbuf = buf + room, *gbuf = buf + 2 * room;
    for (size_t g = 0; g < G; g++) {
        detap_rle_ends_of(m->gt + grow[g], gbuf, ge + g);
        gbuf += m->gt[grow[g]].m;
    }
    int rc = DETAP_OK;
    for (size_t d = 0; d < D && rc == DETAP_OK; d++) {
        size_t r = (size_t)drow[d];
        const double *dbb = m->dt_bb ? m->dt_bb + 4 * r : NULL;
        double own_bb[4];
        detap_rle own;
        detap_rle_ends de;
        const detap_rle *dr = m->dt + r;
        if (m->dt_text) {
            rc = decode_one(m, r, buf, &own);
            if (rc != DETAP_OK) break;
            dr = &own;
        }
        detap_rle_ends_of(dr, dbuf, &de);
        for (size_t g = 0; g < G; g++) {
            size_t q = (size_t)grow[g];
            int crowd = m->gt_crowd[q] != 0;
            const detap_rle *gr = m->gt + q;
            double o;
            if (de.ends && ge[g].ends && dr->h == gr->h && dr->w == gr->w) {
                /* Two plain masks of one size: their toBbox boxes hold them,
                 * so where the boxes do not overlap (pycocotools' prefilter
                 * keeps its 0) the runs do not either, and the IoU on the
                 * runs is that same +0.0 (intersection 0 over a union taken
                 * as 1): no box is needed. */
                o = detap_rle_iou_runs(dr, gr, crowd, &de, ge + g);
            } else {
                if (!dbb) { /* (found once, for the pairs that need it) */
                    detap_rle_bbox(dr, own_bb);
                    dbb = own_bb;
                }
                o = detap_rle_box_gate(dbb, m->gt_bb + 4 * q, crowd);
                if (o > 0) o = detap_rle_iou_runs(dr, gr, crowd, &de, ge + g);
            }
            out[d * G + g] = o;
        }
    }
    free(buf);
    free(ge);
    return rc;
}
