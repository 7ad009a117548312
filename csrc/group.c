#include <stdlib.h>
#include "group.h"

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
