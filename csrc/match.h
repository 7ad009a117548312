/* The one greedy matcher: a detection against the ground truth of its cell.
 *
 * Every front end matches through detap_match_det: the per-image driver
 * (match_images.c: py-faster-rcnn voc_eval, VOCdevkit, Cartucho, mmdet,
 * Ultralytics, and evaluate_class under the COCO rule) and the COCO cell
 * driver (coco_eval.c: pycocotools' evaluateImg).  What differs between
 * the tools is a rule, not a second implementation:
 *
 *  DETAP_RULE_VOC   py-faster-rcnn: the GT with the highest similarity over
 *                   all of the cell's GT (first on ties; a NaN wins, as in
 *                   np.argmax), taken or not.  If it passes the threshold
 *                   (`strict`: sim > t, else sim >= t) and is ignored
 *                   (difficult), the detection is ignored; if it is not yet
 *                   taken it becomes taken and the detection matches it;
 *                   otherwise the detection is a false positive.
 *  DETAP_RULE_LAST  Ultralytics' match_predictions: the VOC rule, but of the
 *                   GT of highest similarity the last one, and a NaN never
 *                   matches.  Ultralytics orders the pairs that pass by
 *                   argsort()[::-1] of their IoU; where numpy's sort keeps
 *                   equal values in order (the insertion sort of its small
 *                   partitions; not its AVX-512 sort), reversing it puts the
 *                   GT of higher index first.
 *  DETAP_RULE_COCO  pycocotools' evaluateImg: GT are visited in the order
 *                   given (not-ignored first, as pycocotools sorts them);
 *                   a taken GT is skipped unless it may be reused (crowd);
 *                   once the best so far is a regular GT, reaching the
 *                   ignored ones stops the search; a GT replaces the best
 *                   when its similarity is not below the best so far, which
 *                   starts at min(t, 1 - 1e-10).  So ties go to the last GT
 *                   and the threshold test is always ">=".
 *
 * The caller fills the cell's similarity (IoU of boxes today; a mask IoU or
 * a keypoint OKS is one more kernel that fills the same row), so the
 * matcher never knows what the similarity measures.
 *
 * Indexing: the cell's GT are columns 0..G-1 of `sim`, `ignore`, `reuse`
 * and of each threshold's row of `taken` (taken[t * G + g]).
 */
#ifndef DETAP_MATCH_H
#define DETAP_MATCH_H

#include <math.h>

#include "detap_common.h"

#define DETAP_RULE_VOC 0
#define DETAP_RULE_COCO 1
#define DETAP_RULE_LAST 2

typedef struct {
    int rule;           /* DETAP_RULE_VOC, DETAP_RULE_LAST or DETAP_RULE_COCO */
    int strict;         /* VOC and LAST rules: sim > t (1) or sim >= t (0) */
    const double *thr;  /* nt thresholds */
    size_t nt;
} detap_match_spec;

static inline int detap_match_rule_ok(int rule) {
    return rule == DETAP_RULE_VOC || rule == DETAP_RULE_LAST || rule == DETAP_RULE_COCO;
}

/* pycocotools' starting similarity, Python's min([t, 1 - 1e-10]): the
 * first unless the second is smaller (so a NaN t stays NaN and then every
 * comparison lets the GT through). */
static inline double detap_coco_start(double t) {
    const double cap = 1 - 1e-10;
    return cap < t ? cap : t;
}

/* The least starting IoU over T thresholds: a similarity below it matches
 * at none of them.  -inf when a threshold is NaN (every comparison then
 * passes), +inf when T is 0. */
static inline double detap_coco_lowest_start(const double *thr, size_t T) {
    double lo = INFINITY;
    for (size_t t = 0; t < T; t++) {
        double v = detap_coco_start(thr[t]);
        if (v != v) return -INFINITY;
        if (v < lo) lo = v;
    }
    return lo;
}

/* Match one detection whose similarities to the cell's G GT are sim[0..G-1],
 * for all nt thresholds; matched[t] receives the GT column or -1.
 *
 * cand (COCO rule only, may be NULL: all columns in order) lists the
 * columns to visit, in visiting order.  A caller may leave out GT whose
 * similarity is below every threshold's starting value: pycocotools' loop
 * only `continue`s at them, and its stop at the ignored GT is then taken
 * at the next candidate, as every GT after the first ignored one is
 * ignored too.  ignore and reuse may be NULL (none).  `mark` says whether
 * a match takes the GT (pycocotools marks a GT with the detection's id, so
 * a detection whose id is not positive takes nothing). */
static inline void detap_match_det(const detap_match_spec *s, const double *sim, size_t G,
                                   const uint8_t *ignore, const uint8_t *reuse,
                                   const size_t *cand, size_t ncand, int mark,
                                   uint8_t *taken, int64_t *matched) {
    if (s->rule != DETAP_RULE_COCO) {
        if (G == 0) {
            for (size_t t = 0; t < s->nt; t++) matched[t] = -1;
            return;
        }
        double best = sim[0];
        size_t j = 0;
        const int last = s->rule == DETAP_RULE_LAST;
        for (size_t g = 1; g < G; g++) {
            double v = sim[g];
            /* VOC: the first maximum, and once best is NaN nothing replaces
             * it (the first NaN wins); LAST: the last maximum, and a NaN
             * best gives way to any number and never replaces one */
            int upd = last ? (v >= best) | (best != best) : !(v <= best) & (best == best);
            best = upd ? v : best;
            j = upd ? g : j;
        }
        for (size_t t = 0; t < s->nt; t++) {
            int pass = s->strict ? (best > s->thr[t]) : (best >= s->thr[t]);
            int64_t m = -1;
            if (pass) {
                if (ignore && ignore[j]) {
                    m = (int64_t)j;
                } else if (!taken[t * G + j]) {
                    if (mark) taken[t * G + j] = 1;
                    m = (int64_t)j;
                }
            }
            matched[t] = m;
        }
        return;
    }
    size_t n = cand ? ncand : G;
    /* One pass finds the last maximum of the regular GT (j0) and of the
     * ignored ones (j1).  A threshold's search ends at j0 when it passes
     * and is free, else (the regular GT all below the start) at j1 when it
     * passes and is free; only a taken maximum needs the search itself.
     * That holds when the visiting order puts the regular GT first and no
     * similarity is NaN (which replaces the best whatever it is), as the
     * COCO driver's candidates are; otherwise every threshold searches. */
    int fast = 1, in_ignored = 0;
    double b0 = -INFINITY, b1 = -INFINITY;
    int64_t j0 = -1, j1 = -1;
    for (size_t x = 0; x < n; x++) {
        size_t g = cand ? cand[x] : x;
        double v = sim[g];
        if (v != v) { fast = 0; break; }
        if (ignore && ignore[g]) {
            in_ignored = 1;
            if (v >= b1) { b1 = v; j1 = (int64_t)g; }
        } else {
            if (in_ignored) { fast = 0; break; }
            if (v >= b0) { b0 = v; j0 = (int64_t)g; }
        }
    }
    if (fast && j0 < 0 && j1 < 0) { /* no candidate: unmatched at every threshold */
        for (size_t t = 0; t < s->nt; t++) matched[t] = -1;
        return;
    }
    for (size_t t = 0; t < s->nt; t++) {
        const uint8_t *tk = taken + t * G;
        double best = detap_coco_start(s->thr[t]);
        int64_t m = -1;
        if (fast && best == best) {
            int64_t j = j0 >= 0 && b0 >= best ? j0 : (j1 >= 0 && b1 >= best ? j1 : -1);
            if (j < 0 || !tk[j] || (reuse && reuse[j])) {
                if (j > -1 && mark) taken[t * G + (size_t)j] = 1;
                matched[t] = j;
                continue;
            }
        }
        for (size_t x = 0; x < n; x++) {
            size_t g = cand ? cand[x] : x;
            if (tk[g] && !(reuse && reuse[g])) continue;
            if (m > -1 && ignore && !ignore[m] && ignore[g]) break;
            if (sim[g] < best) continue;
            best = sim[g];
            m = (int64_t)g;
        }
        if (m > -1 && mark) taken[t * G + (size_t)m] = 1;
        matched[t] = m;
    }
}

/* The label of a detection from its match m (-1: none):
 *  - matched a GT: ignored if that GT is ignored, or if the match does not
 *    count (pycocotools reads a match to a GT whose id is 0 as no match:
 *    `counts` NULL means every match counts) and the detection is outside
 *    the evaluated range (`det_out`); else TP if it counts, else FP;
 *  - unmatched: ignored when outside the range, else FP. */
static inline int8_t detap_match_label(int64_t m, const uint8_t *ignore, const uint8_t *counts,
                                       int det_out) {
    if (m < 0) return det_out ? DETAP_IGNORE : DETAP_FP;
    int c = counts ? counts[m] != 0 : 1;
    int ign = (ignore && ignore[m]) || (!c && det_out);
    return ign ? DETAP_IGNORE : (c ? DETAP_TP : DETAP_FP);
}

#endif
