#include <math.h>
#include <string.h>
#include "ann_cols.h"

#define grow detap_grow_array

/* The optional column groups (ann_cols.h) and their values for a record
 * without the field. */
static int group_grow(detap_ann_cols *a, int g, size_t cap) {
    switch (g) {
    case DETAP_GROUP_ID: return grow((void **)&a->id, 8, cap);
    case DETAP_GROUP_AREA: return grow((void **)&a->area, 8, cap);
    case DETAP_GROUP_ISCROWD: return grow((void **)&a->iscrowd, 8, cap);
    case DETAP_GROUP_RLE:
        return grow((void **)&a->rle_start, 8, cap) && grow((void **)&a->rle_len, 8, cap) &&
               grow((void **)&a->rle_h, 8, cap) && grow((void **)&a->rle_w, 8, cap) &&
               grow((void **)&a->rle_esc, 1, cap);
    case DETAP_GROUP_KP: return grow((void **)&a->kp_start, 8, cap) && grow((void **)&a->kp_len, 8, cap);
    case DETAP_GROUP_POLY:
        return grow((void **)&a->poly_first, 8, cap) && grow((void **)&a->poly_count, 8, cap);
    case DETAP_GROUP_OBB: return grow((void **)&a->obb, 40, cap);
    default: return grow((void **)&a->num_kp, 8, cap);
    }
}

static void group_defaults(detap_ann_cols *a, int g, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        switch (g) {
        case DETAP_GROUP_ID: a->id[i] = 0; break;
        case DETAP_GROUP_AREA: a->area[i] = 0; break;
        case DETAP_GROUP_ISCROWD: a->iscrowd[i] = 0; break;
        case DETAP_GROUP_RLE:
            a->rle_start[i] = 0; a->rle_len[i] = -1; a->rle_h[i] = 0; a->rle_w[i] = 0;
            a->rle_esc[i] = 0;
            break;
        case DETAP_GROUP_KP: a->kp_start[i] = 0; a->kp_len[i] = -1; break;
        case DETAP_GROUP_POLY: a->poly_first[i] = 0; a->poly_count[i] = -1; break;
        case DETAP_GROUP_OBB: for (int k = 0; k < 5; k++) a->obb[5 * i + k] = NAN; break;
        default: a->num_kp[i] = NAN;
        }
    }
}

/* Rows get a group's column only once one record has its field: a results
 * file then costs its four columns, not all sixteen. */
int detap_ann_group(detap_ann_cols *a, int g) {
    if (a->groups & (1u << g)) return 1;
    if (!group_grow(a, g, a->cap)) return 0;
    group_defaults(a, g, 0, a->n + 1);
    a->groups |= 1u << g;
    return 1;
}

void detap_ann_row_defaults(detap_ann_cols *a, size_t i) {
    /* absent fields read as 0 (the has bits say which are absent): no
     * column ever holds uninitialised memory */
    a->image_id[i] = a->category_id[i] = 0;
    a->bbox[4 * i] = a->bbox[4 * i + 1] = a->bbox[4 * i + 2] = a->bbox[4 * i + 3] = 0;
    a->score[i] = 0;
    for (int g = 0; g < DETAP_NGROUPS; g++)
        if (a->groups & (1u << g)) group_defaults(a, g, i, i + 1);
}

static int cols_grow(detap_ann_cols *a, size_t cap) {
    int ok = grow((void **)&a->image_id, 8, cap) && grow((void **)&a->category_id, 8, cap) &&
             grow((void **)&a->bbox, 32, cap) && grow((void **)&a->score, 8, cap) &&
             grow((void **)&a->has, 1, cap);
    for (int g = 0; ok && g < DETAP_NGROUPS; g++)
        if (a->groups & (1u << g)) ok = group_grow(a, g, cap);
    if (ok) a->cap = cap;
    return ok;
}

int detap_ann_reserve(detap_ann_cols *a) {
    if (a->n < a->cap) return 1;
    return cols_grow(a, a->cap ? a->cap + a->cap / 2 : (a->hint > 1024 ? a->hint : 1024));
}

/* src[0..sn) appended to the flat array *dst (*dn used of *dcap). */
static int append_flat(void **dst, size_t *dn, size_t *dcap, const void *src, size_t sn, size_t elem) {
    if (!sn) return 1;
    if (*dn + sn > *dcap) {
        size_t cap = 2 * (*dn + sn);
        if (!grow(dst, elem, cap)) return 0;
        *dcap = cap;
    }
    memcpy((char *)*dst + elem * *dn, src, elem * sn);
    *dn += sn;
    return 1;
}

/* Appends src's records to dst (offsets into src's kp and blob shifted). */
int detap_ann_append(detap_ann_cols *dst, const detap_ann_cols *src) {
    size_t n0 = dst->n, n = src->n, need = n0 + n;
    if (n == 0) return 1; /* (and src's arrays may be NULL) */
    if (need > dst->cap) {
        /* the caller's hint (an upper bound from the file size) is the usual
         * first size: pages never written cost address space, not memory */
        size_t cap = dst->cap + dst->cap / 4;
        if (cap < need) cap = need;
        if (cap < dst->hint) cap = dst->hint;
        if (!cols_grow(dst, cap)) return 0;
    }
    memcpy(dst->image_id + n0, src->image_id, 8 * n);
    memcpy(dst->category_id + n0, src->category_id, 8 * n);
    memcpy(dst->bbox + 4 * n0, src->bbox, 32 * n);
    memcpy(dst->score + n0, src->score, 8 * n);
    memcpy(dst->has + n0, src->has, n);
    for (int g = 0; g < DETAP_NGROUPS; g++) {
        unsigned bit = 1u << g;
        if (!(src->groups & bit)) {
            if (dst->groups & bit) group_defaults(dst, g, n0, need);
            continue;
        }
        if (!(dst->groups & bit)) {
            if (!group_grow(dst, g, dst->cap)) return 0;
            group_defaults(dst, g, 0, n0);
            dst->groups |= bit;
        }
        switch (g) {
        case DETAP_GROUP_ID: memcpy(dst->id + n0, src->id, 8 * n); break;
        case DETAP_GROUP_AREA: memcpy(dst->area + n0, src->area, 8 * n); break;
        case DETAP_GROUP_ISCROWD: memcpy(dst->iscrowd + n0, src->iscrowd, 8 * n); break;
        case DETAP_GROUP_RLE:
            for (size_t i = 0; i < n; i++) /* absent ones keep the absent value */
                dst->rle_start[n0 + i] = src->rle_start[i] + (src->rle_len[i] >= 0 ? (int64_t)dst->blob_n : 0);
            memcpy(dst->rle_len + n0, src->rle_len, 8 * n);
            memcpy(dst->rle_h + n0, src->rle_h, 8 * n);
            memcpy(dst->rle_w + n0, src->rle_w, 8 * n);
            memcpy(dst->rle_esc + n0, src->rle_esc, n);
            break;
        case DETAP_GROUP_KP:
            for (size_t i = 0; i < n; i++)
                dst->kp_start[n0 + i] = src->kp_start[i] + (src->kp_len[i] >= 0 ? (int64_t)dst->kp_n : 0);
            memcpy(dst->kp_len + n0, src->kp_len, 8 * n);
            break;
        case DETAP_GROUP_POLY:
            for (size_t i = 0; i < n; i++)
                dst->poly_first[n0 + i] = src->poly_first[i] + (src->poly_count[i] >= 0 ? (int64_t)dst->plen_n : 0);
            memcpy(dst->poly_count + n0, src->poly_count, 8 * n);
            break;
        case DETAP_GROUP_OBB: memcpy(dst->obb + 5 * n0, src->obb, 40 * n); break;
        default: memcpy(dst->num_kp + n0, src->num_kp, 8 * n);
        }
    }
    /* (the offsets above were shifted by the sizes before these appends) */
    if (!append_flat((void **)&dst->kp, &dst->kp_n, &dst->kp_cap, src->kp, src->kp_n, 8) ||
        !append_flat((void **)&dst->pv, &dst->pv_n, &dst->pv_cap, src->pv, src->pv_n, 8) ||
        !append_flat((void **)&dst->plen, &dst->plen_n, &dst->plen_cap, src->plen, src->plen_n, 8) ||
        !append_flat((void **)&dst->blob, &dst->blob_n, &dst->blob_cap, src->blob, src->blob_n, 1))
        return 0;
    dst->n = need;
    return 1;
}

void detap_ann_free(detap_ann_cols *a) {
    free(a->id); free(a->image_id); free(a->category_id); free(a->bbox);
    free(a->area); free(a->score); free(a->iscrowd); free(a->has);
    free(a->rle_start); free(a->rle_len); free(a->rle_h); free(a->rle_w); free(a->rle_esc);
    free(a->kp_start); free(a->kp_len); free(a->kp); free(a->num_kp); free(a->blob);
    free(a->poly_first); free(a->poly_count); free(a->pv); free(a->plen); free(a->obb);
    memset(a, 0, sizeof *a);
}

