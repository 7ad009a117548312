/* The columns of COCO annotation or result records, as the JSON readers
 * (cocojson.c, results_stream.c) fill them: one row per record, flat arrays
 * the Python layer takes over without a copy.  Coordinates as written in
 * the file (bbox: x, y, w, h in pixels); "absent" values where a record
 * lacks a field, with the DETAP_HAS_* bits (cocojson.h) saying which.
 */
#ifndef DETAP_ANN_COLS_H
#define DETAP_ANN_COLS_H

#include <stdlib.h>
#include "detap_common.h"

/* Optional column groups: a group's arrays stay NULL until one record has
 * its field (then earlier records get the group's "absent" values: id 0,
 * area 0, iscrowd 0, rle_len -1, kp_len -1, num_kp NaN, poly_count -1, obb
 * NaN). */
#define DETAP_GROUP_ID 0
#define DETAP_GROUP_AREA 1
#define DETAP_GROUP_ISCROWD 2
#define DETAP_GROUP_RLE 3   /* rle_start, rle_len, rle_h, rle_w, rle_esc */
#define DETAP_GROUP_KP 4    /* kp_start, kp_len (and kp) */
#define DETAP_GROUP_NUMKP 5
#define DETAP_GROUP_POLY 6  /* poly_first, poly_count (and pv, plen) */
#define DETAP_GROUP_OBB 7   /* obb */
#define DETAP_NGROUPS 8

typedef struct {
    size_t n, cap, hint;
    unsigned groups; /* bit g: group g is allocated */
    int64_t *image_id, *category_id;
    double *bbox; /* 4 per annotation */
    double *score;
    uint8_t *has; /* DETAP_HAS_* bits */
    int64_t *id;
    double *area, *iscrowd;
    /* compressed RLE segmentations: rle_len[i] = -1 when there is none;
     * rle_start is an offset into the parsed buffer, or into blob for a
     * streamed results file */
    int64_t *rle_start, *rle_len, *rle_h, *rle_w;
    uint8_t *rle_esc;
    char *blob;
    size_t blob_n, blob_cap;
    /* keypoints: kp[kp_start[i] .. + kp_len[i]]; kp_len[i] = -1 when none */
    int64_t *kp_start, *kp_len;
    double *kp;
    size_t kp_n, kp_cap;
    double *num_kp; /* "num_keypoints"; NaN when absent */
    /* polygon segmentations (a list of coordinate lists, x0, y0, x1, y1,
     * ... in pixels): row i's polygons are plen[poly_first[i] ..
     * + poly_count[i]], polygon j's coordinates the plen[j] values of pv
     * after those of the polygons before it; poly_count[i] = -1 when none */
    int64_t *poly_first, *poly_count;
    double *pv;
    size_t pv_n, pv_cap;
    int64_t *plen;
    size_t plen_n, plen_cap;
    /* rotated boxes "obb": [cx, cy, w, h, angle] (pixels, radians), 5 per
     * row; NaN for a record without one (a JSON number is never NaN) */
    double *obb;
} detap_ann_cols;

/* realloc of an array to cap elements of elem bytes; 0 when out of memory
 * (the array is then unchanged). */
static inline int detap_grow_array(void **p, size_t elem, size_t cap) {
    void *q = realloc(*p, elem * cap);
    if (!q) return 0;
    *p = q;
    return 1;
}

/* Room for one more row (the capacity grows by half, or starts at hint). */
int detap_ann_reserve(detap_ann_cols *a);
/* Group g allocated, with its absent values in rows 0..a->n (a->n: the row
 * being read).  0 when out of memory. */
int detap_ann_group(detap_ann_cols *a, int g);
/* Row i (< cap) holds every allocated column's absent value. */
void detap_ann_row_defaults(detap_ann_cols *a, size_t i);
/* The rows of src[0..k) (k <= 64) appended to dst in that order (offsets
 * into kp, plen and blob shifted), copied on nthreads threads (<= 1: this
 * one); 0 when out of memory (dst then holds its own rows as before, in
 * arrays possibly grown). */
int detap_ann_append(detap_ann_cols *dst, const detap_ann_cols *src, size_t k, int nthreads);
/* No rows and no groups, the arrays kept for reuse (their capacities
 * stay; a group's array is grown to cap again when a row needs it). */
void detap_ann_clear(detap_ann_cols *a);
/* Frees every array and zeroes a. */
void detap_ann_free(detap_ann_cols *a);

#endif
