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

/* Room for need elements of elem bytes in the flat array *dst of *dcap. */
static int room_flat(void **dst, size_t *dcap, size_t need, size_t elem) {
    if (need <= *dcap) return 1;
    size_t cap = 2 * need;
    if (!grow(dst, elem, cap)) return 0;
    *dcap = cap;
    return 1;
}

/* Where each source's rows and values go in dst. */
typedef struct { size_t n, kp, pv, plen, blob; } ann_at;

/* src's rows copied into dst at *at, its offsets into kp, plen and blob
 * shifted there; dst has room and every group src has.  Sources write
 * disjoint parts of dst, so they can be copied on several threads. */
static void copy_at(detap_ann_cols *dst, const detap_ann_cols *src, const ann_at *at) {
    size_t n0 = at->n, n = src->n;
    /* (the flat values first: the offsets in *at count them whatever n is) */
    if (src->kp_n) memcpy(dst->kp + at->kp, src->kp, 8 * src->kp_n);
    if (src->pv_n) memcpy(dst->pv + at->pv, src->pv, 8 * src->pv_n);
    if (src->plen_n) memcpy(dst->plen + at->plen, src->plen, 8 * src->plen_n);
    if (src->blob_n) memcpy(dst->blob + at->blob, src->blob, src->blob_n);
    if (n == 0) return; /* (and src's row arrays may be NULL) */
    memcpy(dst->image_id + n0, src->image_id, 8 * n);
    memcpy(dst->category_id + n0, src->category_id, 8 * n);
    memcpy(dst->bbox + 4 * n0, src->bbox, 32 * n);
    memcpy(dst->score + n0, src->score, 8 * n);
    memcpy(dst->has + n0, src->has, n);
    for (int g = 0; g < DETAP_NGROUPS; g++) {
        unsigned bit = 1u << g;
        if (!(dst->groups & bit)) continue;
        if (!(src->groups & bit)) {
            group_defaults(dst, g, n0, n0 + n);
            continue;
        }
        switch (g) {
        case DETAP_GROUP_ID: memcpy(dst->id + n0, src->id, 8 * n); break;
        case DETAP_GROUP_AREA: memcpy(dst->area + n0, src->area, 8 * n); break;
        case DETAP_GROUP_ISCROWD: memcpy(dst->iscrowd + n0, src->iscrowd, 8 * n); break;
        case DETAP_GROUP_RLE:
            for (size_t i = 0; i < n; i++) /* absent ones keep the absent value */
                dst->rle_start[n0 + i] = src->rle_start[i] + (src->rle_len[i] >= 0 ? (int64_t)at->blob : 0);
            memcpy(dst->rle_len + n0, src->rle_len, 8 * n);
            memcpy(dst->rle_h + n0, src->rle_h, 8 * n);
            memcpy(dst->rle_w + n0, src->rle_w, 8 * n);
            memcpy(dst->rle_esc + n0, src->rle_esc, n);
            break;
        case DETAP_GROUP_KP:
            for (size_t i = 0; i < n; i++)
                dst->kp_start[n0 + i] = src->kp_start[i] + (src->kp_len[i] >= 0 ? (int64_t)at->kp : 0);
            memcpy(dst->kp_len + n0, src->kp_len, 8 * n);
            break;
        case DETAP_GROUP_POLY:
            for (size_t i = 0; i < n; i++)
                dst->poly_first[n0 + i] = src->poly_first[i] + (src->poly_count[i] >= 0 ? (int64_t)at->plen : 0);
            memcpy(dst->poly_count + n0, src->poly_count, 8 * n);
            break;
        case DETAP_GROUP_OBB: memcpy(dst->obb + 5 * n0, src->obb, 40 * n); break;
        default: memcpy(dst->num_kp + n0, src->num_kp, 8 * n);
        }
    }
}

#define MAX_SRCS 64

int detap_ann_append(detap_ann_cols *dst, const detap_ann_cols *src, size_t k, int nthreads) {
    ann_at at[MAX_SRCS + 1];
    if (k > MAX_SRCS) return 0;
    /* where each source goes, and the groups any of them has */
    at[0] = (ann_at){dst->n, dst->kp_n, dst->pv_n, dst->plen_n, dst->blob_n};
    unsigned groups = 0;
    for (size_t j = 0; j < k; j++) {
        const detap_ann_cols *s = src + j;
        at[j + 1] = (ann_at){at[j].n + s->n, at[j].kp + s->kp_n, at[j].pv + s->pv_n,
                             at[j].plen + s->plen_n, at[j].blob + s->blob_n};
        if (s->n) groups |= s->groups;
    }
    const ann_at *all = at + k;
    if (all->n > dst->cap) {
        /* the caller's hint (an upper bound from the file size) is the usual
         * first size: pages never written cost address space, not memory */
        size_t cap = dst->cap + dst->cap / 4;
        if (cap < all->n) cap = all->n;
        if (cap < dst->hint) cap = dst->hint;
        if (!cols_grow(dst, cap)) return 0;
    }
    for (int g = 0; g < DETAP_NGROUPS; g++) {
        unsigned bit = 1u << g;
        if (!(groups & bit) || (dst->groups & bit)) continue;
        if (!group_grow(dst, g, dst->cap)) return 0;
        group_defaults(dst, g, 0, dst->n);
        dst->groups |= bit;
    }
    if (!room_flat((void **)&dst->kp, &dst->kp_cap, all->kp, 8) ||
        !room_flat((void **)&dst->pv, &dst->pv_cap, all->pv, 8) ||
        !room_flat((void **)&dst->plen, &dst->plen_cap, all->plen, 8) ||
        !room_flat((void **)&dst->blob, &dst->blob_cap, all->blob, 1))
        return 0;
    /* the copies (and the first writes to dst's new pages) on the threads
     * that parsed the sources */
    long kl = (long)k, j;
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(nthreads > 1 ? nthreads : 1) if (k > 1 && nthreads > 1)
#endif
    for (j = 0; j < kl; j++) copy_at(dst, src + j, at + j);
    (void)nthreads;
    dst->n = all->n;
    dst->kp_n = all->kp;
    dst->pv_n = all->pv;
    dst->plen_n = all->plen;
    dst->blob_n = all->blob;
    return 1;
}

void detap_ann_clear(detap_ann_cols *a) {
    a->n = a->kp_n = a->pv_n = a->plen_n = a->blob_n = 0;
    a->groups = 0;
}

void detap_ann_free(detap_ann_cols *a) {
    free(a->id); free(a->image_id); free(a->category_id); free(a->bbox);
    free(a->area); free(a->score); free(a->iscrowd); free(a->has);
    free(a->rle_start); free(a->rle_len); free(a->rle_h); free(a->rle_w); free(a->rle_esc);
    free(a->kp_start); free(a->kp_len); free(a->kp); free(a->num_kp); free(a->blob);
    free(a->poly_first); free(a->poly_count); free(a->pv); free(a->plen); free(a->obb);
    memset(a, 0, sizeof *a);
}

