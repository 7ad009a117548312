#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
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

static inline int64_t lut_lookup(const int64_t *lut, size_t n_lut, int64_t v) {
    return (v >= 0 && (uint64_t)v < n_lut) ? lut[v] : -1;
}

int detap_coco_group(size_t n, const int64_t *image_id, const int64_t *category_id,
                     const int64_t *lut_img, size_t n_lut_img, const int64_t *lut_cat,
                     size_t n_lut_cat, size_t nimg, size_t ncat, int64_t *rows,
                     int64_t *keys, size_t *m) {
    for (size_t v = 0; v < n_lut_img; v++)
        if (lut_img[v] < -1 || lut_img[v] >= (int64_t)nimg) return DETAP_EINDEX;
    for (size_t v = 0; v < n_lut_cat; v++)
        if (lut_cat[v] < -1 || lut_cat[v] >= (int64_t)ncat) return DETAP_EINDEX;
    int64_t *cnt_i = calloc(nimg + 1, sizeof *cnt_i);
    int64_t *cnt_k = calloc(ncat + 1, sizeof *cnt_k);
    int64_t *by_img = malloc((n ? n : 1) * sizeof *by_img);
    int32_t *pos_k = malloc((n ? n : 1) * sizeof *pos_k);
    if (!cnt_i || !cnt_k || !by_img || !pos_k) {
        free(cnt_i); free(cnt_k); free(by_img); free(pos_k);
        return DETAP_ENOMEM;
    }
    /* keys doubles as the image position of each row (-1: not evaluated) */
    size_t kept = 0;
    for (size_t r = 0; r < n; r++) {
        int64_t i = lut_lookup(lut_img, n_lut_img, image_id[r]);
        int64_t k = lut_lookup(lut_cat, n_lut_cat, category_id[r]);
        int ok = i >= 0 && k >= 0;
        keys[r] = ok ? i : -1;
        pos_k[r] = (int32_t)k;
        if (ok) { cnt_i[i + 1]++; cnt_k[k + 1]++; kept++; }
    }
    for (size_t i = 0; i < nimg; i++) cnt_i[i + 1] += cnt_i[i];
    for (size_t k = 0; k < ncat; k++) cnt_k[k + 1] += cnt_k[k];
    /* two stable counting sorts: by image, then by category */
    for (size_t r = 0; r < n; r++)
        if (keys[r] >= 0) by_img[cnt_i[keys[r]]++] = (int64_t)r;
    for (size_t j = 0; j < kept; j++) {
        int64_t r = by_img[j];
        int64_t k = pos_k[r];
        rows[cnt_k[k]++] = r;
    }
    /* keys from the sorted rows (the image positions were overwritten) */
    for (size_t j = 0; j < kept; j++) {
        int64_t r = rows[j];
        keys[j] = (int64_t)pos_k[r] * (int64_t)nimg + lut_lookup(lut_img, n_lut_img, image_id[r]);
    }
    free(cnt_i); free(cnt_k); free(by_img); free(pos_k);
    *m = kept;
    return DETAP_OK;
}

int detap_merge_cells(const int64_t *a_key, size_t na, const int64_t *b_key, size_t nb,
                      int64_t *keys, size_t *nkeys, int64_t *a_off, int64_t *b_off) {
    for (size_t i = 1; i < na; i++) if (a_key[i] < a_key[i - 1]) return DETAP_EVALUE;
    for (size_t i = 1; i < nb; i++) if (b_key[i] < b_key[i - 1]) return DETAP_EVALUE;
    size_t i = 0, j = 0, n = 0;
    while (i < na || j < nb) {
        int64_t k = (j >= nb || (i < na && a_key[i] <= b_key[j])) ? a_key[i] : b_key[j];
        keys[n] = k;
        a_off[n] = (int64_t)i;
        b_off[n] = (int64_t)j;
        while (i < na && a_key[i] == k) i++;
        while (j < nb && b_key[j] == k) j++;
        n++;
    }
    a_off[n] = (int64_t)na;
    b_off[n] = (int64_t)nb;
    *nkeys = n;
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
                    size_t nt, int strict, int8_t *labels, int nthreads) {
    if (!detap_iou_kind_ok(kind)) return DETAP_EVALUE;
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

    /* images are independent (their detections, GT and taken flags are
     * disjoint), so they can go to different threads in any order */
#ifdef _OPENMP
    if (nthreads <= 0) nthreads = omp_get_max_threads();
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 256) if (nd > 20000)
#endif
    for (long iml = 0; iml < (long)nimg; iml++) {
        size_t im = (size_t)iml;
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
    (void)nthreads;
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

/* ------------------------------------------------------------------ COCO */

#include "sort.h"

/* Scratch for one cell, sized for the largest cell. */
typedef struct {
    int64_t *order;   /* sorted dt positions within the cell */
    int64_t *grow;    /* the cell's GT array rows */
    int64_t *drow_all; /* the cell's dt array rows */
    double *score;    /* the cell's scores, for sorting */
    double *ious;     /* D x G, GT in dataset order */
    size_t *gtind;    /* GT positions, not-ignored first (stable) */
    uint8_t *gig;     /* _ignore per sorted GT */
    uint8_t *gtm;     /* taken per sorted GT */
    uint8_t *keys;    /* A x G: each area range's ignore pattern, GT order */
    uint8_t *mres;    /* A x T x D: match state, see coco_match_one */
    double *darea;    /* kept detections' areas */
    size_t *cand;     /* candidate GT positions per detection (D x G at most) */
    size_t *cand_off; /* D + 1 */
    uint8_t *dout;    /* kept detections outside the current area range */
} coco_scratch;

static void scratch_free(coco_scratch *s) {
    free(s->darea); free(s->dout); free(s->cand); free(s->cand_off);
    free(s->grow); free(s->drow_all); free(s->score);
    free(s->order); free(s->ious); free(s->gtind); free(s->gig);
    free(s->gtm); free(s->keys); free(s->mres);
}

static int scratch_alloc(coco_scratch *s, const detap_coco_eval_in *in, size_t maxd,
                         size_t maxg, size_t maxdk) {
    memset(s, 0, sizeof *s);
    s->order = malloc((maxd + 1) * sizeof *s->order);
    s->darea = malloc((maxdk + 1) * sizeof *s->darea);
    s->cand = malloc((maxdk * maxg + 1) * sizeof *s->cand);
    s->cand_off = malloc((maxdk + 2) * sizeof *s->cand_off);
    s->dout = malloc(maxdk + 1);
    s->grow = malloc((maxg + 1) * sizeof *s->grow);
    s->drow_all = malloc((maxd + 1) * sizeof *s->drow_all);
    s->score = malloc((maxd + 1) * sizeof *s->score);
    s->ious = malloc((maxdk * maxg + 1) * sizeof *s->ious);
    s->gtind = malloc((maxg + 1) * sizeof *s->gtind);
    s->gig = malloc(maxg + 1);
    s->gtm = malloc(maxg + 1);
    s->keys = malloc(in->A * maxg + 1);
    s->mres = malloc(in->A * in->T * maxdk + 1);
    if (!s->order || !s->darea || !s->cand || !s->cand_off || !s->dout || !s->grow || !s->drow_all || !s->score || !s->ious || !s->gtind ||
        !s->gig || !s->gtm || !s->keys || !s->mres) {
        scratch_free(s);
        return DETAP_ENOMEM;
    }
    return DETAP_OK;
}

#define MATCH_IGNORED 1 /* matched a GT whose _ignore is set: dtIg = 1 */
#define MATCH_COUNTS 2  /* matched a GT with a nonzero id: dtm != 0 */

/* Python's min([thr, 1 - 1e-10]): the first unless the second is smaller
 * (so a NaN thr stays NaN). */
static inline double coco_start_iou(double thr) {
    const double cap = 1 - 1e-10;
    return cap < thr ? cap : thr;
}

/* pycocotools' greedy loop for one threshold.  GT are visited in gtind
 * order (not ignored first) but only among each detection's candidates
 * cand[cand_off[d] .. cand_off[d+1]-1] (positions in that order): GT whose
 * IoU is not below the lowest threshold.  Skipping the others changes
 * nothing: pycocotools' loop only `continue`s at them, and its break (a
 * match on a regular GT reaching the ignored ones) is taken at the next
 * candidate instead, since every GT after it is ignored too.
 * mres[d] gets MATCH_* bits (0: unmatched). */
static void coco_match_one(const detap_coco_eval_in *in, const double *ious, size_t G,
                           size_t D, const int64_t *drow, const size_t *gtind,
                           const uint8_t *gig, const int64_t *grow, const size_t *cand,
                           const size_t *cand_off, double thr, uint8_t *gtm, uint8_t *mres) {
    memset(gtm, 0, G);
    for (size_t d = 0; d < D; d++) {
        double iou = coco_start_iou(thr);
        long m = -1;
        const double *row = ious + d * G;
        for (size_t x = cand_off[d]; x < cand_off[d + 1]; x++) {
            size_t q = cand[x], g = gtind[q];
            if (gtm[q] && !in->gt_crowd[grow[g]]) continue;
            if (m > -1 && gig[m] == 0 && gig[q] == 1) break;
            if (row[g] < iou) continue;
            iou = row[g];
            m = (long)q;
        }
        uint8_t r = 0;
        if (m > -1) {
            r = (uint8_t)((gig[m] ? MATCH_IGNORED : 0) |
                          (in->gt_id_nz[grow[gtind[m]]] ? MATCH_COUNTS : 0));
            if (in->dt_id_pos[drow[d]]) gtm[m] = 1; /* gtm holds the det id: > 0? */
        }
        mres[d] = r;
    }
}

static int coco_cell(const detap_coco_eval_in *in, size_t c, const int64_t *kept_off,
                     size_t n_kept, int64_t *kept_idx, int8_t *labels, int64_t *npig,
                     coco_scratch *s) {
    size_t g0 = (size_t)in->gt_off[c], G = (size_t)in->gt_off[c + 1] - g0;
    size_t d0 = (size_t)in->dt_off[c], ND = (size_t)in->dt_off[c + 1] - d0;
    size_t k0 = (size_t)kept_off[c], D = (size_t)kept_off[c + 1] - k0;
    size_t A = in->A, T = in->T;
    /* the cell's GT rows, in dataset order */
    int64_t *grow = s->grow;
    for (size_t g = 0; g < G; g++) grow[g] = in->gt_row ? in->gt_row[g0 + g] : (int64_t)(g0 + g);
    /* detections by descending score, ties in dataset order, then cut */
    for (size_t q = 0; q < ND; q++) {
        size_t r = in->dt_row ? (size_t)in->dt_row[d0 + q] : d0 + q;
        s->score[q] = in->dt_score[r];
        s->drow_all[q] = (int64_t)r;
    }
    if (ND <= 32) {
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
    } else {
        int rc = detap_argsort_desc_f64(s->score, ND, s->order);
        if (rc != DETAP_OK) return rc;
    }
    for (size_t q = 0; q < D; q++) kept_idx[k0 + q] = s->drow_all[s->order[q]];
    const int64_t *drow = kept_idx + k0;
    for (size_t d = 0; d < D; d++) {
        const double *db = in->dt_boxes + 4 * (size_t)drow[d];
        double da = detap_area_coco(db);
        s->darea[d] = in->dt_area[(size_t)drow[d]];
        for (size_t g = 0; g < G; g++) {
            const double *gb = in->gt_boxes + 4 * (size_t)grow[g];
            s->ious[d * G + g] = detap_iou_coco_pair(db, da, gb, detap_area_coco(gb),
                                                     in->gt_crowd[grow[g]]);
        }
    }
    if (G == 0) {
        /* most cells of a detector's output (no GT of the class in the
         * image): every kept detection is a FP, or ignored outside the
         * area range, whatever the threshold */
        for (size_t a = 0; a < A; a++) {
            const double *rng = in->area_rng + 2 * a;
            npig[a * in->ncells + c] = 0;
            for (size_t d = 0; d < D; d++) {
                int8_t v = (s->darea[d] < rng[0] || s->darea[d] > rng[1]) ? DETAP_IGNORE : DETAP_FP;
                int8_t *lab = labels + ((k0 + d) * A + a) * T;
                for (size_t t = 0; t < T; t++) lab[t] = v;
            }
        }
        return DETAP_OK;
    }
    for (size_t a = 0; a < A; a++) {
        const double *rng = in->area_rng + 2 * a;
        uint8_t *key = s->keys + a * G;
        int64_t np_ = 0;
        for (size_t g = 0; g < G; g++) {
            double ar = in->gt_area[grow[g]];
            key[g] = in->gt_ignore[grow[g]] || ar < rng[0] || ar > rng[1];
            np_ += !key[g];
        }
        npig[a * in->ncells + c] = np_;
        /* matching depends on the area range only through the GT ignore
         * pattern: reuse an earlier range's result when it is the same */
        size_t src = a;
        for (size_t b = 0; b < a; b++)
            if (memcmp(s->keys + b * G, key, G) == 0) { src = b; break; }
        if (src == a) {
            size_t q = 0;
            for (size_t g = 0; g < G; g++) if (!key[g]) s->gtind[q++] = g;
            for (size_t g = 0; g < G; g++) if (key[g]) s->gtind[q++] = g;
            for (size_t g = 0; g < G; g++) s->gig[g] = key[s->gtind[g]];
            /* candidates: IoU not below the lowest starting IoU (all GT
             * when a threshold is NaN: then every comparison passes) */
            double lo = INFINITY;
            for (size_t t = 0; t < T; t++) {
                double v = coco_start_iou(in->iou_thrs[t]);
                if (v != v) { lo = -INFINITY; break; }
                if (v < lo) lo = v;
            }
            size_t nc = 0;
            for (size_t d = 0; d < D; d++) {
                const double *row = s->ious + d * G;
                s->cand_off[d] = nc;
                for (size_t x = 0; x < G; x++)
                    if (!(row[s->gtind[x]] < lo)) s->cand[nc++] = x;
            }
            s->cand_off[D] = nc;
            for (size_t t = 0; t < T; t++)
                coco_match_one(in, s->ious, G, D, drow, s->gtind, s->gig, grow, s->cand,
                               s->cand_off, in->iou_thrs[t], s->gtm,
                               s->mres + (a * T + t) * D);
        }
        /* dtIg = gtIg[m], or'ed for dtm == 0 with "outside the area range" */
        for (size_t d = 0; d < D; d++) s->dout[d] = s->darea[d] < rng[0] || s->darea[d] > rng[1];
        for (size_t t = 0; t < T; t++) {
            const uint8_t *mr = s->mres + (src * T + t) * D;
            int8_t *lab = labels + (k0 * A + a) * T + t;
            for (size_t d = 0; d < D; d++) {
                int counts = (mr[d] & MATCH_COUNTS) != 0;
                int ign = ((mr[d] & MATCH_IGNORED) != 0) | ((!counts) & s->dout[d]);
                lab[d * A * T] = ign ? DETAP_IGNORE : (counts ? DETAP_TP : DETAP_FP);
            }
        }
    }
    return DETAP_OK;
}

int detap_coco_evaluate(const detap_coco_eval_in *in, const int64_t *kept_off,
                        int64_t *kept_idx, int8_t *labels, int64_t *npig,
                        int nthreads) {
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
    size_t n_kept = (size_t)kept_off[nc];
    int rc = DETAP_OK;
#ifdef _OPENMP
    if (nthreads <= 0) nthreads = omp_get_max_threads();
#pragma omp parallel num_threads(nthreads) reduction(min:rc)
#endif
    {
        coco_scratch s;
        int my = scratch_alloc(&s, in, maxd, maxg, maxdk);
        if (my == DETAP_OK) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
            for (long x = 0; x < (long)nc; x++) {
                size_t c = in->cell_order ? (size_t)in->cell_order[x] : (size_t)x;
                int r = coco_cell(in, c, kept_off, n_kept, kept_idx, labels, npig, &s);
                if (r < my) my = r;
            }
            scratch_free(&s);
        }
        if (my < rc) rc = my;
    }
    (void)nthreads;
    return rc;
}
