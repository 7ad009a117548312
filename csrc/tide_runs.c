/* TIDE's summary stage: the per-class AP of every run tidecv compares
 * (tide.h, detap_tide_runs), from the per-image records, in one pass per
 * run instead of a dozen array gathers and groupings each. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "tide.h"

/* A record as the runs read it, packed so that each run scans one array
 * in order: rank is a random permutation of the records, and gathering
 * five arrays through it in every run cost more than the runs themselves. */
typedef struct {
    uint32_t cls, fixcls;
    int8_t label;
    uint8_t err, fix;
    uint8_t new_scores;   /* its score differs from the record's before it in rank */
} packed;

#define PREFETCH 16   /* records ahead */

/* The records in rank order (out), and the same with, inside each run of
 * equal scores, the records that are not true positives first (each part
 * in rank order: tidecv's fix_errors appends a class's errors before its
 * true positives, and sorts stably).  DETAP_EINDEX for a rank, class or
 * code out of range. */
static int pack(size_t n, size_t K, const int64_t *rank, const double *score, const int64_t *cls,
                const int64_t *fixcls, const int8_t *label, const uint8_t *err,
                const uint8_t *fix, packed *ranked, packed *errors_first) {
    double prev = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t i = (uint64_t)rank[j];
        if (i >= n) return DETAP_EINDEX;
        if (j + PREFETCH < n) {
            /* rank is a random order: ask for a later record's lines now */
            uint64_t f = (uint64_t)rank[j + PREFETCH];
            if (f < n) {
                __builtin_prefetch(cls + f);
                __builtin_prefetch(score + f);
                __builtin_prefetch(label + f);
                __builtin_prefetch(err + f);
                __builtin_prefetch(fix + f);
            }
        }
        uint64_t c = (uint64_t)cls[i], e = err[i];
        int fixed_cls = e == DETAP_TIDE_CLS && fix[i];
        uint64_t fc = fixed_cls ? (uint64_t)fixcls[i] : c;
        if (c >= K || fc >= K || e >= DETAP_TIDE_CODES) return DETAP_EINDEX;
        double s = score[i];
        packed p = {(uint32_t)c, (uint32_t)fc, label[i], (uint8_t)e, (uint8_t)(fix[i] != 0),
                    (uint8_t)(j == 0 || s != prev)};
        prev = s;
        ranked[j] = p;
    }
    size_t o = 0;
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && !ranked[b].new_scores; b++) {
        }
        for (size_t j = a; j < b; j++)
            if (ranked[j].label != DETAP_TP) errors_first[o++] = ranked[j];
        for (size_t j = a; j < b; j++)
            if (ranked[j].label == DETAP_TP) errors_first[o++] = ranked[j];
    }
    return DETAP_OK;
}

/* One run: the points it keeps, in `order`, with their class and true
 * positive flag, grouped stably by class (a counting sort), then tidecv's
 * AP per class.  Scratch: pc (n), pt and grouped (n bytes each), off (K+1). */
static int one_run(int run, size_t n, size_t K, const packed *rec, const int64_t *npos,
                   double *ap, int64_t *count, uint32_t *pc, uint8_t *pt, uint8_t *grouped,
                   int64_t *off) {
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        const packed *r = rec + j;
        int tp = r->label == DETAP_TP, ok = r->label != DETAP_IGNORE, e = r->err;
        /* what every run keeps but the fixed type's errors: the true
         * positives and the errors that are not ignored */
        int base = tp | ((e != DETAP_TIDE_NONE) & ok);
        int keep, t = tp;
        uint32_t c = r->cls;
        if (run == DETAP_TIDE_RUN_BASE) {
            keep = ok;
        } else if (run == DETAP_TIDE_CLS || run == DETAP_TIDE_LOC) {
            /* a fixed error is a true positive (a Cls one of its GT's
             * class); the others of the type go */
            int hit = e == run, fixed = hit & r->fix;
            keep = hit ? fixed : base;
            t = tp | fixed;
            if (fixed) c = r->fixcls;   /* (a Loc error's is its own class) */
        } else if (run < DETAP_TIDE_CODES) {
            keep = base & (e != run);   /* Both, Dupe, Bkg: no fix, they go */
        } else {
            keep = base;                /* Miss, FalsePos, FalseNeg */
        }
        if (!keep) continue;
        pc[m] = c;
        pt[m] = (uint8_t)t;
        m++;
    }
    memset(off, 0, (K + 1) * sizeof *off);
    for (size_t j = 0; j < m; j++) off[pc[j] + 1]++;
    for (size_t k = 0; k < K; k++) off[k + 1] += off[k];
    if (run == DETAP_TIDE_RUN_FALSEPOS) {
        /* every false positive scored below every true positive: a class's
         * true positives first */
        int64_t *ntp = count;   /* (count's row as scratch until class_ap fills it) */
        memset(ntp, 0, K * sizeof *ntp);
        for (size_t j = 0; j < m; j++) ntp[pc[j]] += pt[j];
        for (size_t k = 0; k < K; k++) {
            size_t b = (size_t)off[k], e = (size_t)off[k + 1], t = (size_t)ntp[k];
            memset(grouped + b, 1, t);
            memset(grouped + b + t, 0, e - b - t);
        }
    } else {
        int64_t *next = count;   /* (the same) */
        memcpy(next, off, K * sizeof *next);
        for (size_t j = 0; j < m; j++) grouped[next[pc[j]]++] = pt[j];
    }
    return detap_tide_class_ap(K, off, grouped, NULL, npos, ap, count);
}

int detap_tide_runs(size_t n, size_t K, const int64_t *rank, const double *score,
                    const int64_t *cls, const int64_t *fixcls, const int8_t *label,
                    const uint8_t *err, const uint8_t *fix, const int64_t *npos, double *ap,
                    int64_t *count, int nthreads) {
    if (K > UINT32_MAX) return DETAP_EVALUE;
    packed *ranked = malloc((2 * n + 1) * sizeof *ranked);
    if (!ranked) return DETAP_ENOMEM;
    packed *errors_first = ranked + n;
    int rc = pack(n, K, rank, score, cls, fixcls, label, err, fix, ranked, errors_first);
    if (rc != DETAP_OK) {
        free(ranked);
        return rc;
    }
    (void)nthreads;
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
#pragma omp parallel num_threads(nthreads) reduction(min:rc) if (n > 20000)
#endif
    {
        char *scratch = malloc((K + 1) * sizeof(int64_t) + (n + 1) * (sizeof(uint32_t) + 2));
        int64_t *off = (int64_t *)scratch;
        uint32_t *pc = scratch ? (uint32_t *)(off + K + 1) : NULL;
        uint8_t *pt = scratch ? (uint8_t *)(pc + n + 1) : NULL;
        uint8_t *grouped = scratch ? pt + n + 1 : NULL;
        if (!scratch) rc = DETAP_ENOMEM;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (int run = 0; run < DETAP_TIDE_RUNS; run++) {
            if (!scratch) continue;
            /* the Miss and FalseNeg runs count fewer GT: their own npos row */
            const int64_t *np_ = npos + K * (run == DETAP_TIDE_RUN_MISS ? 1
                                             : run == DETAP_TIDE_RUN_FALSENEG ? 2 : 0);
            int r = one_run(run, n, K, run == DETAP_TIDE_RUN_BASE ? ranked : errors_first, np_,
                            ap + (size_t)run * K, count + (size_t)run * K, pc, pt, grouped, off);
            if (r < rc) rc = r;
        }
        free(scratch);
    }
    free(ranked);
    return rc;
}
