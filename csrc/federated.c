#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "federated.h"

typedef struct {
    double s;
    int64_t row;
} scored;

/* a comes before b: higher score first, NaN last, then file order (rows
 * are distinct, so this is a strict total order) */
static inline int before(const scored *a, const scored *b) {
    int na = a->s != a->s, nb = b->s != b->s;
    if (na != nb) return nb;
    if (!na && a->s != b->s) return a->s > b->s;
    return a->row < b->row;
}

static inline void swap(scored *a, scored *b) {
    scored t = *a;
    *a = *b;
    *b = t;
}

/* Reorders v[0..n) so that its first k entries are the k first in the
 * order (in some order): quickselect with a median-of-three pivot. */
static void select_first(scored *v, size_t n, size_t k) {
    size_t lo = 0, hi = n; /* the boundary k lies in [lo, hi) */
    while (hi - lo > 16) {
        size_t mid = lo + (hi - lo) / 2;
        if (before(&v[mid], &v[lo])) swap(&v[mid], &v[lo]);
        if (before(&v[hi - 1], &v[lo])) swap(&v[hi - 1], &v[lo]);
        if (before(&v[hi - 1], &v[mid])) swap(&v[hi - 1], &v[mid]);
        scored pivot = v[mid];
        size_t i = lo, j = hi - 1;
        for (;;) { /* Hoare partition: [lo, i) before pivot, (j, hi) not */
            while (before(&v[i], &pivot)) i++;
            while (before(&pivot, &v[j])) j--;
            if (i >= j) break;
            swap(&v[i], &v[j]);
            i++;
            j--;
        }
        /* v[lo..j] are not after the pivot, v[j+1..hi) not before it */
        if (k <= j) hi = j + 1;
        else lo = j + 1;
    }
    for (size_t i = lo + 1; i < hi; i++) { /* insertion sort of the last few */
        scored x = v[i];
        size_t j = i;
        while (j > lo && before(&x, &v[j - 1])) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
}

int detap_cap_per_image(const int64_t *image_pos, const double *score, size_t n,
                        size_t n_images, int64_t max_dets, int nthreads, uint8_t *kept,
                        size_t *n_cut) {
    *n_cut = 0;
    if (max_dets < 0) return DETAP_EVALUE;
    for (size_t r = 0; r < n; r++)
        if (image_pos[r] < 0 || (uint64_t)image_pos[r] >= n_images) return DETAP_EINDEX;
    int64_t *off = calloc(n_images + 1, sizeof *off);
    if (!off) return DETAP_ENOMEM;
    for (size_t r = 0; r < n; r++) off[image_pos[r] + 1]++;
    /* only images over the cap take part: their rows, grouped by image */
    size_t n_over = 0, total = 0;
    for (size_t i = 0; i < n_images; i++) {
        int64_t c = off[i + 1];
        off[i + 1] = c > max_dets ? c : 0;
        if (c > max_dets) { n_over++; total += (size_t)c; }
    }
    for (size_t i = 0; i < n_images; i++) off[i + 1] += off[i];
    for (size_t r = 0; r < n; r++) kept[r] = off[image_pos[r] + 1] == off[image_pos[r]];
    if (!n_over) { free(off); return DETAP_OK; }
    scored *v = malloc(total * sizeof *v);
    int64_t *fill = malloc(n_images * sizeof *fill);
    size_t *over = malloc(n_over * sizeof *over);
    if (!v || !fill || !over) { free(off); free(v); free(fill); free(over); return DETAP_ENOMEM; }
    memcpy(fill, off, n_images * sizeof *fill);
    for (size_t r = 0; r < n; r++) {
        if (kept[r]) continue;
        scored *e = &v[fill[image_pos[r]]++];
        e->s = score[r];
        e->row = (int64_t)r;
    }
    for (size_t i = 0, j = 0; i < n_images; i++)
        if (off[i + 1] > off[i]) over[j++] = i;
    long x;
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
#pragma omp parallel for schedule(dynamic, 64) num_threads(nthreads) if (n_over > 256)
#endif
    for (x = 0; x < (long)n_over; x++) {
        size_t i = over[x];
        scored *w = v + off[i];
        select_first(w, (size_t)(off[i + 1] - off[i]), (size_t)max_dets);
        for (int64_t j = 0; j < max_dets; j++) kept[w[j].row] = 1;
    }
    (void)nthreads;
    *n_cut = total - n_over * (size_t)max_dets;
    free(off); free(v); free(fill); free(over);
    return DETAP_OK;
}

int detap_federated_flags(const int64_t *image_pos, const int64_t *cat_pos, const double *area,
                          const uint8_t *keep, size_t n, const uint8_t *verified,
                          const uint8_t *not_exhaustive, size_t n_images, size_t n_cats,
                          int nthreads, uint8_t *flags) {
    int bad = 0;
    long r;
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
#pragma omp parallel for schedule(static) num_threads(nthreads) reduction(|:bad) \
    if (n > 100000)
#endif
    for (r = 0; r < (long)n; r++) {
        int64_t i = image_pos[r], k = cat_pos[r];
        uint8_t f = 0;
        if (i >= (int64_t)n_images || k >= (int64_t)n_cats) bad = 1;
        else if (i >= 0 && k >= 0 && (!keep || keep[r]) && area[r] > 0 && area[r] < INFINITY) {
            size_t key = (size_t)i * n_cats + (size_t)k;
            if (verified[key]) f = not_exhaustive[key] ? 3 : 1;
        }
        flags[r] = f;
    }
    (void)nthreads;
    return bad ? DETAP_EINDEX : DETAP_OK;
}
