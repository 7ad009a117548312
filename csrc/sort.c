#include <stdlib.h>
#include <string.h>
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

static int radix_sort_kv(kv *a, size_t n, int64_t *order) {
    if (n < 64) {
        /* insertion sort: stable, cheap for short runs */
        for (size_t i = 1; i < n; i++) {
            kv t = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1].key > t.key) { a[j] = a[j - 1]; j--; }
            a[j] = t;
        }
        for (size_t i = 0; i < n; i++) order[i] = a[i].idx;
        return DETAP_OK;
    }
    size_t (*hist)[256] = calloc(8, sizeof *hist);
    kv *b = malloc(n * sizeof *b);
    if (!hist || !b) { free(hist); free(b); return DETAP_ENOMEM; }
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
    for (size_t i = 0; i < n; i++) order[i] = src[i].idx;
    free(hist);
    free(b);
    return DETAP_OK;
}

#define DEFINE_ARGSORT(NAME, T)                                        \
    int NAME(const T *scores, size_t n, int64_t *order) {              \
        if (n == 0) return DETAP_OK;                                   \
        kv *a = malloc(n * sizeof *a);                                 \
        if (!a) return DETAP_ENOMEM;                                   \
        for (size_t i = 0; i < n; i++) {                               \
            a[i].key = desc_key((double)scores[i]);                    \
            a[i].idx = (int64_t)i;                                     \
        }                                                              \
        int rc = radix_sort_kv(a, n, order);                           \
        free(a);                                                       \
        return rc;                                                     \
    }

DEFINE_ARGSORT(detap_argsort_desc_f64, double)
DEFINE_ARGSORT(detap_argsort_desc_f32, float)
