#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "sort.h"

/* Map a double to an unsigned key whose ascending order is the double's
 * descending order.  -0.0 is folded onto +0.0 first so that they tie. */
static inline uint64_t desc_key(double x) {
    uint64_t u;
    if (x == 0.0) x = 0.0;
    memcpy(&u, &x, sizeof u);
    u = (u & 0x8000000000000000ULL) ? ~u : (u | 0x8000000000000000ULL);
    return ~u;
}

typedef struct { uint64_t key; int64_t idx; } kv;

/* a[lo..hi) by key, stably, in place */
static void insertion_sort_kv(kv *a, size_t lo, size_t hi) {
    for (size_t i = lo + 1; i < hi; i++) {
        kv t = a[i];
        size_t j = i;
        while (j > lo && a[j - 1].key > t.key) { a[j] = a[j - 1]; j--; }
        a[j] = t;
    }
}

/* The sorted runs src[lo..mid) and src[mid..hi) merged into dst[lo..hi),
 * ties from the left run. */
static void merge_runs(const kv *src, kv *dst, size_t lo, size_t mid, size_t hi) {
    size_t i = lo, j = mid, o = lo;
    while (i < mid && j < hi) dst[o++] = src[j].key < src[i].key ? src[j++] : src[i++];
    while (i < mid) dst[o++] = src[i++];
    while (j < hi) dst[o++] = src[j++];
}

/* Runs of 16 by insertion, then merged two by two. */
static void merge_sort_kv(kv *a, kv *b, size_t n) {
    const size_t run = 16;
    for (size_t lo = 0; lo < n; lo += run) insertion_sort_kv(a, lo, lo + run < n ? lo + run : n);
    kv *src = a, *dst = b;
    for (size_t w = run; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w)
            merge_runs(src, dst, lo, lo + w < n ? lo + w : n, lo + 2 * w < n ? lo + 2 * w : n);
        kv *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Stable sort of a[0..n) by key, the result left in a; b: n pairs of
 * scratch.  Short inputs by merging (below about a thousand pairs the radix
 * sort's histograms cost more than the sort), long ones by radix. */
static void sort_kv(kv *a, kv *b, size_t n) {
    if (n < 1024) {
        merge_sort_kv(a, b, n);
        return;
    }
    size_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i].key;
        for (int p = 0; p < 8; p++) hist[p][(k >> (8 * p)) & 0xff]++;
    }
    kv *src = a, *dst = b;
    for (int p = 0; p < 8; p++) {
        size_t *h = hist[p];
        /* a byte on which all keys agree leaves the order unchanged */
        if (h[(src[0].key >> (8 * p)) & 0xff] == n) continue;
        size_t sum = 0;
        for (int c = 0; c < 256; c++) { size_t t = h[c]; h[c] = sum; sum += t; }
        for (size_t i = 0; i < n; i++) dst[h[(src[i].key >> (8 * p)) & 0xff]++] = src[i];
        kv *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

static uint64_t key_double(const void *s, size_t i) { return desc_key(((const double *)s)[i]); }
static uint64_t key_float(const void *s, size_t i) { return desc_key((double)((const float *)s)[i]); }

/* Rows lo..hi-1 as (key, row) pairs in a, sorted; b: scratch. */
static void sort_rows(const void *scores, uint64_t (*key)(const void *, size_t), size_t lo,
                      size_t hi, kv *a, kv *b) {
    for (size_t i = lo; i < hi; i++) {
        a[i - lo].key = key(scores, i);
        a[i - lo].idx = (int64_t)i;
    }
    sort_kv(a, b, hi - lo);
}

static int argsort_serial(const void *scores, uint64_t (*key)(const void *, size_t), size_t n,
                          int64_t *order) {
    if (n == 0) return DETAP_OK;
    kv *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) { free(a); free(b); return DETAP_ENOMEM; }
    sort_rows(scores, key, 0, n, a, b);
    for (size_t i = 0; i < n; i++) order[i] = a[i].idx;
    free(a);
    free(b);
    return DETAP_OK;
}

int detap_argsort_desc_f64(const double *scores, size_t n, int64_t *order) {
    return argsort_serial(scores, key_double, n, order);
}

int detap_argsort_desc_f32(const float *scores, size_t n, int64_t *order) {
    return argsort_serial(scores, key_float, n, order);
}

/* The team's form: the rows in P consecutive pieces, each sorted by one
 * thread, then merged two by two, ties taken from the earlier piece: the
 * serial sort's stable order. */
#define SORT_PIECE_MIN ((size_t)1 << 16)

static size_t piece_lo(size_t n, size_t P, size_t p) { return n / P * p + (n % P) * p / P; }

static int argsort_team(const void *scores, uint64_t (*key)(const void *, size_t), size_t n,
                        int64_t *order, int nthreads) {
    size_t P = (size_t)detap_team(nthreads);
    if (P > n / SORT_PIECE_MIN) P = n / SORT_PIECE_MIN;
    if (P > 64) P = 64;
    if (P < 2) return argsort_serial(scores, key, n, order);
    kv *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) { free(a); free(b); return DETAP_ENOMEM; }
#ifdef _OPENMP
#pragma omp parallel for num_threads((int)P) schedule(static, 1)
#endif
    for (long pl = 0; pl < (long)P; pl++) {
        size_t lo = piece_lo(n, P, (size_t)pl), hi = piece_lo(n, P, (size_t)pl + 1);
        sort_rows(scores, key, lo, hi, a + lo, b + lo);
    }
    /* merge rounds: runs of `w` pieces pair up, a <-> b */
    kv *src = a, *dst = b;
    for (size_t w = 1; w < P; w *= 2) {
#ifdef _OPENMP
#pragma omp parallel for num_threads((int)P) schedule(static, 1)
#endif
        for (long pl = 0; pl < (long)P; pl += (long)(2 * w)) {
            size_t p = (size_t)pl;
            merge_runs(src, dst, piece_lo(n, P, p), piece_lo(n, P, p + w < P ? p + w : P),
                       piece_lo(n, P, p + 2 * w < P ? p + 2 * w : P));
        }
        kv *t = src; src = dst; dst = t;
    }
    for (size_t i = 0; i < n; i++) order[i] = src[i].idx;
    free(a);
    free(b);
    return DETAP_OK;
}

int detap_argsort_desc_f64_team(const double *scores, size_t n, int64_t *order, int nthreads) {
    return argsort_team(scores, key_double, n, order, nthreads);
}

int detap_argsort_desc_f32_team(const float *scores, size_t n, int64_t *order, int nthreads) {
    return argsort_team(scores, key_float, n, order, nthreads);
}

int detap_sort_segments_desc(const double *scores, const int64_t *off, size_t nseg, int64_t *rows,
                             int nthreads) {
    size_t maxn = 0;
    if (nseg && off[0] != 0) return DETAP_EINDEX;
    for (size_t g = 0; g < nseg; g++) {
        if (off[g + 1] < off[g]) return DETAP_EINDEX;
        if ((size_t)(off[g + 1] - off[g]) > maxn) maxn = (size_t)(off[g + 1] - off[g]);
    }
    int rc = DETAP_OK;
    (void)nthreads;
#ifdef _OPENMP
#pragma omp parallel num_threads(detap_team(nthreads)) reduction(max:rc) if (off[nseg] > 50000)
#endif
    {
        kv *a = malloc((maxn + 1) * 2 * sizeof *a);
        if (!a) rc = DETAP_ENOMEM;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 256)
#endif
        for (long gl = 0; gl < (long)nseg; gl++) {
            if (!a) continue;
            size_t lo = (size_t)off[gl], n = (size_t)off[gl + 1] - lo;
            for (size_t i = 0; i < n; i++) {
                a[i].key = desc_key(scores[rows[lo + i]]);
                a[i].idx = rows[lo + i];
            }
            sort_kv(a, a + maxn + 1, n);
            for (size_t i = 0; i < n; i++) rows[lo + i] = a[i].idx;
        }
        free(a);
    }
    return rc;
}
