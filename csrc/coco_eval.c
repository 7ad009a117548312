#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "coco_eval.h"
#include "match.h"
#include "iou.h"
#include "sort.h"

/* Scratch for one cell, sized for the largest cell. */
typedef struct {
    int64_t *order;    /* sorted dt positions within the cell */
    int64_t *grow;     /* the cell's GT array rows */
    int64_t *drow_all; /* the cell's dt array rows */
    double *score;     /* the cell's scores, for sorting */
    uint8_t *gcrowd;   /* the cell's GT crowd flags */
    uint8_t *gcount;   /* their id is not 0: a match to them counts */
    double *ious;      /* D x G, GT in dataset order */
    uint8_t *keys;     /* A x G: each area range's ignore pattern, GT order */
    int64_t *mres;     /* A x D x T: matched GT column (-1: none) */
    uint8_t *taken;    /* T x G */
    double *darea;     /* kept detections' areas */
    size_t *cand;      /* candidate GT columns per detection (D x G at most) */
    size_t *cand_off;  /* D + 1 */
} coco_scratch;

static void scratch_free(coco_scratch *s) {
    free(s->order); free(s->grow); free(s->drow_all); free(s->score);
    free(s->gcrowd); free(s->gcount); free(s->ious); free(s->keys); free(s->mres);
    free(s->taken); free(s->darea); free(s->cand); free(s->cand_off);
}

static int scratch_alloc(coco_scratch *s, const detap_coco_eval_in *in, size_t maxd,
                         size_t maxg, size_t maxdk) {
    memset(s, 0, sizeof *s);
    s->order = malloc((maxd + 1) * sizeof *s->order);
    s->grow = malloc((maxg + 1) * sizeof *s->grow);
    s->drow_all = malloc((maxd + 1) * sizeof *s->drow_all);
    s->score = malloc((maxd + 1) * sizeof *s->score);
    s->gcrowd = malloc(maxg + 1);
    s->gcount = malloc(maxg + 1);
    s->ious = malloc((maxdk * maxg + 1) * sizeof *s->ious);
    s->keys = malloc(in->A * maxg + 1);
    s->mres = malloc((in->A * in->T * maxdk + 1) * sizeof *s->mres);
    s->taken = malloc(in->T * maxg + 1);
    s->darea = malloc((maxdk + 1) * sizeof *s->darea);
    s->cand = malloc((maxdk * maxg + 1) * sizeof *s->cand);
    s->cand_off = malloc((maxdk + 2) * sizeof *s->cand_off);
    if (!s->order || !s->grow || !s->drow_all || !s->score || !s->gcrowd || !s->gcount || !s->ious || !s->keys || !s->mres || !s->taken || !s->darea || !s->cand ||
        !s->cand_off) {
        scratch_free(s);
        return DETAP_ENOMEM;
    }
    return DETAP_OK;
}

/* The cell's detections by descending score, ties in dataset order, into
 * s->order (positions in the cell) and s->drow_all (array rows). */
static int sort_cell(const detap_coco_eval_in *in, size_t d0, size_t ND, coco_scratch *s) {
    for (size_t q = 0; q < ND; q++) {
        size_t r = in->dt_row ? (size_t)in->dt_row[d0 + q] : d0 + q;
        s->score[q] = in->dt_score[r];
        s->drow_all[q] = (int64_t)r;
    }
    if (ND > 32) return detap_argsort_desc_f64(s->score, ND, s->order);
    /* most cells are this small: a stable insertion sort, no allocation
     * (scores are not NaN; -0.0 and 0.0 compare equal, as in the radix sort) */
    for (size_t q = 0; q < ND; q++) {
        size_t j = q;
        while (j > 0 && s->score[s->order[j - 1]] < s->score[q]) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = (int64_t)q;
    }
    return DETAP_OK;
}

int detap_coco_box_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                       size_t G, double *out) {
    const detap_coco_eval_in *in = ctx;
    for (size_t d = 0; d < D; d++) {
        const double *db = in->dt_boxes + 4 * (size_t)drow[d];
        double da = detap_area_coco(db);
        for (size_t g = 0; g < G; g++) {
            const double *gb = in->gt_boxes + 4 * (size_t)grow[g];
            out[d * G + g] = detap_iou_coco_pair(db, da, gb, detap_area_coco(gb),
                                                 in->gt_crowd[grow[g]]);
        }
    }
    return DETAP_OK;
}

int detap_coco_shape_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                         size_t G, double *out) {
    const detap_shape_cells *x = ctx;
    if (D == 0 || G == 0) return DETAP_OK;
    char *p = malloc((G + 1) * x->prep_size); /* the GT, then the detection */
    if (!p) return DETAP_ENOMEM;
    char *d = p + G * x->prep_size;
    for (size_t g = 0; g < G; g++) x->prep(x->gt + x->width * (size_t)grow[g], p + g * x->prep_size);
    for (size_t i = 0; i < D; i++) {
        x->prep(x->dt + x->width * (size_t)drow[i], d);
        for (size_t g = 0; g < G; g++)
            out[i * G + g] = x->pair(d, p + g * x->prep_size, x->gt_crowd[grow[g]]);
    }
    free(p);
    return DETAP_OK;
}

/* Whether an unmatched detection (array row r, area `area`) is ignored in
 * area range rng rather than a FP: outside the range (pycocotools), or
 * flagged by the caller (lvis-api's not-exhaustive categories). */
static inline int dt_out(const detap_coco_eval_in *in, int64_t r, double area,
                         const double *rng) {
    return area < rng[0] || area > rng[1] ||
           (in->dt_unmatched_ignored && in->dt_unmatched_ignored[(size_t)r]);
}

static int coco_cell(const detap_coco_eval_in *in, size_t c, const int64_t *kept_off,
                     int64_t *kept_idx, uint8_t *labels, int32_t *npig, int64_t *matched,
                     coco_scratch *s) {
    size_t g0 = (size_t)in->gt_off[c], G = (size_t)in->gt_off[c + 1] - g0;
    size_t d0 = (size_t)in->dt_off[c], ND = (size_t)in->dt_off[c + 1] - d0;
    size_t k0 = (size_t)kept_off[c], D = (size_t)kept_off[c + 1] - k0;
    size_t A = in->A, T = in->T, LB = DETAP_LAB_BLOCK(T);
    /* the cell's GT, in dataset order */
    int64_t *grow = s->grow;
    for (size_t g = 0; g < G; g++) {
        grow[g] = in->gt_row ? in->gt_row[g0 + g] : (int64_t)(g0 + g);
        s->gcrowd[g] = in->gt_crowd[grow[g]];
        s->gcount[g] = in->gt_id_nz[grow[g]];
    }
    int rc = sort_cell(in, d0, ND, s);
    if (rc != DETAP_OK) return rc;
    for (size_t q = 0; q < D; q++) kept_idx[k0 + q] = s->drow_all[s->order[q]];
    const int64_t *drow = kept_idx + k0;
    for (size_t d = 0; d < D; d++) s->darea[d] = in->dt_area[(size_t)drow[d]];
    rc = (in->sim ? in->sim : detap_coco_box_sim)(in->sim_ctx ? in->sim_ctx : (const void *)in,
                                                  drow, D, grow, G, s->ious);
    if (rc != DETAP_OK) return rc;
    if (G == 0 && !matched) {
        /* most cells of a detector's output (no GT of the class in the
         * image): every kept detection is a FP, or ignored outside the
         * area range, whatever the threshold (measured faster than the
         * general path, for 73 % of COCO-like cells) */
        for (size_t a = 0; a < A; a++) {
            const double *rng = in->area_rng + 2 * a;
            npig[a * in->ncells + c] = 0;
            for (size_t d = 0; d < D; d++) {
                int v = dt_out(in, drow[d], s->darea[d], rng) ? DETAP_IGNORE : DETAP_FP;
                detap_lab_fill(labels + ((k0 + d) * A + a) * LB, T, v);
            }
        }
        return DETAP_OK;
    }
    detap_match_spec spec = {DETAP_RULE_COCO, 0, in->iou_thrs, T};
    for (size_t a = 0; a < A; a++) {
        const double *rng = in->area_rng + 2 * a;
        uint8_t *key = s->keys + a * G;
        int64_t np_ = 0;
        for (size_t g = 0; g < G; g++) {
            double ar = in->gt_area[grow[g]];
            key[g] = in->gt_ignore[grow[g]] || ar < rng[0] || ar > rng[1];
            np_ += !key[g];
        }
        npig[a * in->ncells + c] = (int32_t)np_; /* a cell's GT: far below 2^31 */
        /* matching depends on the area range only through the GT ignore
         * pattern: reuse an earlier range's result when it is the same */
        size_t src = a;
        for (size_t b = 0; b < a; b++)
            if (memcmp(s->keys + b * G, key, G) == 0) { src = b; break; }
        int64_t *mres = s->mres + src * D * T;
        if (src == a) {
            /* candidates, in pycocotools' visiting order (not ignored
             * first): GT whose IoU is not below the lowest starting IoU
             * (all GT when a threshold is NaN: every comparison passes) */
            double lo = detap_coco_lowest_start(in->iou_thrs, T);
            size_t nc = 0;
            for (size_t d = 0; d < D; d++) {
                const double *row = s->ious + d * G;
                s->cand_off[d] = nc;
                for (int pass = 0; pass < 2; pass++)
                    for (size_t g = 0; g < G; g++)
                        if (key[g] == pass && !(row[g] < lo)) s->cand[nc++] = g;
            }
            s->cand_off[D] = nc;
            memset(s->taken, 0, T * G);
            for (size_t d = 0; d < D; d++)
                detap_match_det(&spec, s->ious + d * G, G, key, s->gcrowd,
                                s->cand + s->cand_off[d], s->cand_off[d + 1] - s->cand_off[d],
                                in->dt_id_pos[drow[d]] != 0, s->taken, mres + d * T);
        }
        for (size_t d = 0; d < D; d++) {
            int out = dt_out(in, drow[d], s->darea[d], rng);
            const int64_t *m = mres + d * T;
            uint8_t *blk = labels + ((k0 + d) * A + a) * LB;
            if (T <= 64) {
                uint64_t tp = 0, ig = 0;
                for (size_t t = 0; t < T; t++) {
                    int v = detap_match_label(m[t], key, s->gcount, out);
                    tp |= (uint64_t)(v == DETAP_TP) << t;
                    ig |= (uint64_t)(v == DETAP_IGNORE) << t;
                }
                detap_lab_put(blk, T, tp, ig);
            } else {
                memset(blk, 0, LB);
                for (size_t t = 0; t < T; t++)
                    detap_lab_set(blk, T, t, detap_match_label(m[t], key, s->gcount, out));
            }
            if (matched)
                for (size_t t = 0; t < T; t++)
                    matched[((k0 + d) * A + a) * T + t] = m[t];
        }
    }
    return DETAP_OK;
}

int detap_coco_evaluate(const detap_coco_eval_in *in, const int64_t *kept_off,
                        int64_t *kept_idx, uint8_t *labels, int32_t *npig,
                        int64_t *matched, int nthreads) {
    size_t nc = in->ncells;
    if (in->gt_off[0] != 0 || in->dt_off[0] != 0 || kept_off[0] != 0) return DETAP_EINDEX;
    if (in->cell_order)
        for (size_t x = 0; x < nc; x++)
            if (in->cell_order[x] < 0 || (uint64_t)in->cell_order[x] >= nc) return DETAP_EINDEX;
    size_t maxg = 0, maxd = 0, maxdk = 0;
    for (size_t c = 0; c < nc; c++) {
        if (in->gt_off[c + 1] < in->gt_off[c] || in->dt_off[c + 1] < in->dt_off[c])
            return DETAP_EINDEX;
        size_t g = (size_t)(in->gt_off[c + 1] - in->gt_off[c]);
        size_t d = (size_t)(in->dt_off[c + 1] - in->dt_off[c]);
        size_t k = d < in->max_det ? d : in->max_det;
        if ((size_t)(kept_off[c + 1] - kept_off[c]) != k) return DETAP_EINDEX;
        if (g > maxg) maxg = g;
        if (d > maxd) maxd = d;
        if (k > maxdk) maxdk = k;
    }
    int rc = DETAP_OK;
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
#pragma omp parallel num_threads(nthreads) reduction(min:rc)
#endif
    {
        coco_scratch s;
        int my = scratch_alloc(&s, in, maxd, maxg, maxdk);
        int ok = my == DETAP_OK;
        /* every thread of the team must meet the worksharing loop, so a
         * thread without scratch still enters it and skips its cells */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
        for (long x = 0; x < (long)nc; x++) {
            if (!ok) continue;
            size_t c = in->cell_order ? (size_t)in->cell_order[x] : (size_t)x;
            int r = coco_cell(in, c, kept_off, kept_idx, labels, npig, matched, &s);
            if (r < my) my = r;
        }
        if (ok) scratch_free(&s);
        if (my < rc) rc = my;
    }
    (void)nthreads;
    return rc;
}
