#include <stdlib.h>
#include "group.h"

/* Rows [lo, hi) of piece q of P: the same split in every pass. */
static inline void piece(size_t n, size_t q, size_t P, size_t *lo, size_t *hi) {
    *lo = n * q / P;
    *hi = n * (q + 1) / P;
}

/* Per-piece counts cnt[q * stride + key] (keys 0..nkeys-1, pieces
 * 0..P-1) become each (piece, key)'s first output position: keys in order,
 * a key's pieces in order (so a stable sort stays stable); first[key] (if
 * not NULL) receives the key's first position.  Returns the total. */
static int64_t piece_starts(int64_t *cnt, size_t P, size_t stride, size_t nkeys, int64_t *first) {
    int64_t at = 0;
    for (size_t k = 0; k < nkeys; k++) {
        if (first) first[k] = at;
        for (size_t q = 0; q < P; q++) {
            int64_t v = cnt[q * stride + k];
            cnt[q * stride + k] = at;
            at += v;
        }
    }
    return at;
}

int detap_group_by_image(const int64_t *img, size_t n, size_t nimg,
                         int64_t *off, int64_t *perm, int nthreads) {
    /* P pieces of rows, each counted and scattered by one thread; piece
     * q's rows of image i go after pieces 0..q-1's, so the sort is stable.
     * Pieces only when the per-piece counts stay small beside the rows. */
    size_t P = n < (1u << 16) ? 1 : (size_t)detap_team(nthreads);
    if (P > 1 && (nimg + 1) * P > 2 * n) P = 1;
    int64_t *cnt = calloc(P * (nimg + 1), sizeof *cnt);
    if (!cnt) return DETAP_ENOMEM;
    int bad = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads((int)P) reduction(|:bad)
#endif
    for (size_t q = 0; q < P; q++) {
        size_t lo, hi;
        piece(n, q, P, &lo, &hi);
        int64_t *c = cnt + q * (nimg + 1);
        for (size_t k = lo; k < hi; k++) {
            if (img[k] < 0 || (uint64_t)img[k] >= nimg) { bad = 1; break; }
            c[img[k]]++;
        }
    }
    if (bad) {
        free(cnt);
        return DETAP_EINDEX;
    }
    off[nimg] = piece_starts(cnt, P, nimg + 1, nimg, off);
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads((int)P)
#endif
    for (size_t q = 0; q < P; q++) {
        size_t lo, hi;
        piece(n, q, P, &lo, &hi);
        int64_t *c = cnt + q * (nimg + 1);
        for (size_t k = lo; k < hi; k++) perm[c[img[k]]++] = (int64_t)k;
    }
    free(cnt);
    return DETAP_OK;
}

static inline int64_t lut_lookup(const int64_t *lut, size_t n_lut, int64_t v) {
    return (v >= 0 && (uint64_t)v < n_lut) ? lut[v] : -1;
}

int detap_coco_group(size_t n, const int64_t *image_id, const int64_t *category_id,
                     const int64_t *lut_img, size_t n_lut_img, const int64_t *lut_cat,
                     size_t n_lut_cat, size_t nimg, size_t ncat, int64_t *rows,
                     int64_t *keys, size_t *m, int nthreads) {
    if (nimg > INT32_MAX || ncat > INT32_MAX) return DETAP_EVALUE;
    for (size_t v = 0; v < n_lut_img; v++)
        if (lut_img[v] < -1 || lut_img[v] >= (int64_t)nimg) return DETAP_EINDEX;
    for (size_t v = 0; v < n_lut_cat; v++)
        if (lut_cat[v] < -1 || lut_cat[v] >= (int64_t)ncat) return DETAP_EINDEX;
    /* P pieces of rows, each counted and (in image order) scattered by one
     * thread: piece q's rows of category k go after pieces 0..q-1's, so the
     * sort stays stable */
    size_t P = n < (1u << 16) ? 1 : (size_t)detap_team(nthreads);
    size_t K1 = ncat + 1;
    int64_t *cnt = calloc(P * K1, sizeof *cnt);
    int32_t *pos_i = malloc((n ? n : 1) * sizeof *pos_i);
    int32_t *pos_k = malloc((n ? n : 1) * sizeof *pos_k);
    int32_t *ends = malloc(2 * P * sizeof *ends); /* first, last image of each piece */
    uint8_t *ordered = malloc(P);
    if (!cnt || !pos_i || !pos_k || !ends || !ordered) {
        free(cnt); free(pos_i); free(pos_k); free(ends); free(ordered);
        return DETAP_ENOMEM;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads((int)P)
#endif
    for (size_t q = 0; q < P; q++) {
        size_t lo, hi;
        piece(n, q, P, &lo, &hi);
        int64_t *c = cnt + q * K1;
        int32_t first = -1, last = -1;
        uint8_t in_order = 1;
        for (size_t r = lo; r < hi; r++) {
            int64_t i = lut_lookup(lut_img, n_lut_img, image_id[r]);
            int64_t k = lut_lookup(lut_cat, n_lut_cat, category_id[r]);
            int ok = i >= 0 && k >= 0;
            pos_i[r] = ok ? (int32_t)i : -1;
            pos_k[r] = (int32_t)k;
            if (ok) {
                c[k]++;
                in_order &= (int32_t)i >= last;
                if (first < 0) first = (int32_t)i;
                last = (int32_t)i;
            }
        }
        ends[2 * q] = first;
        ends[2 * q + 1] = last;
        ordered[q] = in_order;
    }
    /* in image order overall (a detector's output): each piece is, and no
     * piece starts before the image where the previous one ended */
    int in_order = 1;
    int32_t prev = -1;
    for (size_t q = 0; q < P; q++) {
        in_order &= ordered[q];
        if (ends[2 * q] >= 0) {
            in_order &= ends[2 * q] >= prev;
            prev = ends[2 * q + 1];
        }
    }
    size_t kept = (size_t)piece_starts(cnt, P, K1, ncat, NULL);
    int rc = DETAP_OK;
    if (in_order) { /* the image sort is the identity: scatter by category */
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads((int)P)
#endif
        for (size_t q = 0; q < P; q++) {
            size_t lo, hi;
            piece(n, q, P, &lo, &hi);
            int64_t *c = cnt + q * K1;
            for (size_t r = lo; r < hi; r++) {
                if (pos_i[r] < 0) continue;
                int64_t k = pos_k[r], at = c[k]++;
                rows[at] = (int64_t)r;
                keys[at] = k * (int64_t)nimg + pos_i[r];
            }
        }
    } else { /* stable counting sort by image, then scatter by category */
        int64_t *cnt_i = calloc(nimg + 1, sizeof *cnt_i);
        int64_t *by_img = malloc((kept ? kept : 1) * sizeof *by_img);
        if (!cnt_i || !by_img) {
            rc = DETAP_ENOMEM;
        } else {
            for (size_t r = 0; r < n; r++)
                if (pos_i[r] >= 0) cnt_i[pos_i[r] + 1]++;
            for (size_t i = 0; i < nimg; i++) cnt_i[i + 1] += cnt_i[i];
            for (size_t r = 0; r < n; r++)
                if (pos_i[r] >= 0) by_img[cnt_i[pos_i[r]]++] = (int64_t)r;
            int64_t *c = cnt; /* piece 0's starts are the categories' starts */
            for (size_t j = 0; j < kept; j++) {
                size_t r = (size_t)by_img[j];
                int64_t k = pos_k[r], at = c[k]++;
                rows[at] = (int64_t)r;
                keys[at] = k * (int64_t)nimg + pos_i[r];
            }
        }
        free(cnt_i); free(by_img);
    }
    free(cnt); free(pos_i); free(pos_k); free(ends); free(ordered);
    *m = kept;
    return rc;
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
