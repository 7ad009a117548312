/* TIDE's per-image pass (Bolya et al., ECCV 2020; PyPI tidecv 1.0.1).
 *
 * Per image, all classes together: greedy matching of the detections
 * (highest score first, already cut at max_dets) to the same-class GT with
 * pycocotools' box IoU on xywh boxes, then each detection that is not a
 * true positive classified as one of TIDE's error types.  The rules are
 * tidecv's, tie breaks included:
 *
 *  matching   a detection takes the first GT of largest IoU among the
 *             unused same-class GT (numpy argmax: first maximum), if that
 *             IoU >= pos;
 *  ignoring   an unmatched detection whose crowd IoU (intersection over
 *             the detection's area) with an ignore region of its class is
 *             > pos is ignored (neither TP nor FP), as is every unmatched
 *             detection of a class with a whole-image region (tidecv's
 *             region without box or mask; class -1: any class);
 *  errors     for each unmatched or ignored detection, in this order:
 *             no GT in the image: Bkg; first-argmax same-class IoU in
 *             [bg, pos]: Loc; first-argmax other-class IoU >= pos: Cls;
 *             first-argmax IoU with a used same-class GT >= pos: Dupe;
 *             largest IoU <= bg: Bkg; otherwise Both;
 *  fixes      a Loc or Cls error whose target GT is unused marks the GT
 *             usable and competes for it: the first error of highest
 *             score wins (fixing it makes a TP); the others are removed;
 *  misses     a GT that is neither used nor usable is a Miss.
 *
 * Layout: image i owns detections dt_off[i] .. dt_off[i+1]-1 (processing
 * order; with dt_rows not NULL, detection d's box is row dt_rows[d] of
 * dt_box, which holds n_dt_box rows), GT gt_off[i] .. (not ignored, annotation order) and ignore
 * regions ig_off[i] .. ; whole-image regions' classes wh_cls[wh_off[i] ..]
 * (wh_off NULL: none).  Boxes xywh float64, classes int64.
 *
 * Similarity: pycocotools' box IoU of the boxes (crowd IoU against the
 * ignore regions, similarity.h's row), or the caller's: sim holds image i's
 * D x G block (row-major, detection-major) at sim_off[i], ig_sim its D x R
 * block against the ignore regions at ig_sim_off[i] (mask IoU, OKS, ...:
 * the evaluation's similarity stage, computed by the caller); the boxes
 * are then not read.
 */
#ifndef DETAP_TIDE_H
#define DETAP_TIDE_H

#include "detap_common.h"

/* error codes of dt_err: tidecv's main error types (Miss is per GT) */
#define DETAP_TIDE_NONE 0
#define DETAP_TIDE_CLS 1
#define DETAP_TIDE_LOC 2
#define DETAP_TIDE_BOTH 3
#define DETAP_TIDE_DUPE 4
#define DETAP_TIDE_BKG 5
#define DETAP_TIDE_CODES 6   /* the codes above */

/* One call's arrays: inputs as laid out above (pos, bg: TIDE's foreground
 * and background IoU thresholds) and outputs, one per detection / GT:
 * dt_label (1 TP, 0 FP, -1 ignored), dt_err, dt_fix (1: fixing this error
 * gives a TP), dt_gt (matched GT for a TP, target GT for Loc / Cls / Dupe,
 * as a global GT row; -1 otherwise), gt_used, gt_miss.  With nct > 0
 * thresholds cthr and conf_match not NULL, also the COCO-style confusion
 * matrix's matching of the same detections on the same IoUs (match.h's
 * matcher, DETAP_RULE_COCO, every class as one): conf_match[t * nd + d]
 * the GT row detection d took at cthr[t], or -1. */
typedef struct {
    size_t nimg;
    const int64_t *dt_off, *dt_cls, *gt_off, *gt_cls, *ig_off, *ig_cls;
    const double *dt_box, *dt_score, *gt_box, *ig_box, *cthr;
    const int64_t *dt_rows;              /* NULL: dt_box is in processing order */
    size_t n_dt_box;
    const double *sim, *ig_sim;          /* NULL: box IoU */
    const int64_t *sim_off, *ig_sim_off;
    const int64_t *wh_off, *wh_cls;      /* NULL: no whole-image regions */
    double pos, bg;
    size_t nct;
    int8_t *dt_label;
    uint8_t *dt_err, *dt_fix, *gt_used, *gt_miss;
    int64_t *dt_gt, *conf_match;
} detap_tide_io;

/* Returns DETAP_OK, DETAP_ENOMEM or DETAP_EINDEX (offsets not ascending, a
 * dt_rows value outside [0, n_dt_box), or a similarity block not D x G /
 * D x R). */
int detap_tide_images(const detap_tide_io *io, int nthreads);

/* tidecv's APDataObject.get_ap on K segments of ranked points: segment k
 * is points off[k] .. off[k+1]-1 (ranked) whose keep[i] is non-zero (keep
 * NULL: all), tp[i] 1 for a true positive; npos[k] its GT count.  ap[k] in
 * AP points (0-100): precision after each point, suffix maximum, sampled
 * at recall x / 100 (x = 0..100: the first point whose recall reaches it,
 * 0 past the end), summed left to right and divided by 101, times 100; 0
 * when npos[k] is 0.  count[k] (count may be NULL): the segment's points
 * kept. */
int detap_tide_class_ap(size_t K, const int64_t *off, const uint8_t *tp, const uint8_t *keep,
                        const int64_t *npos, double *ap, int64_t *count);

/* first[k] (k < K): the first i < n with v[i] == k and mask[i] non-zero
 * (mask NULL: every i), n if none.  DETAP_EINDEX if a v[i] (masked in)
 * lies outside [0, K); the scan stops at the end of the first block of
 * 4096 values by which every k was found (the values after it are not
 * read). */
int detap_first_index(const int64_t *v, const uint8_t *mask, size_t n, size_t K, int64_t *first);

/* Per error code c < DETAP_TIDE_CODES (0: none) and class k < K, over n
 * records: first_ok[c * K + k] the first i with err[i] == c, label[i] not
 * DETAP_IGNORE and cls[i] == k; first_fix[c * K + k] the first i with
 * err[i] == c, fix[i] set and the class it is fixed to (fixcls[i] for a
 * Cls error, else cls[i]) == k; n where none.  DETAP_EINDEX for a code or
 * class out of range. */
int detap_tide_firsts(size_t n, size_t K, const int64_t *cls, const int64_t *fixcls,
                      const uint8_t *err, const uint8_t *fix, const int8_t *label,
                      int64_t *first_ok, int64_t *first_fix);

/* The runs tidecv's summary compares, rows of detap_tide_runs' output:
 * as detected (BASE), each main error type c (1..5) fixed, then Miss,
 * FalsePos and FalseNeg. */
#define DETAP_TIDE_RUN_BASE 0
#define DETAP_TIDE_RUN_MISS 6
#define DETAP_TIDE_RUN_FALSEPOS 7
#define DETAP_TIDE_RUN_FALSENEG 8
#define DETAP_TIDE_RUNS 9

/* Per run r and class k < K: ap[r * K + k] (AP points, as
 * detap_tide_class_ap) and count[r * K + k] (its points), from n records
 * (cls, fixcls, label, err, fix as detap_tide_images writes them; the
 * class a fixed Cls error joins is fixcls) ranked by `rank` (descending
 * score, ties in record order; a permutation of 0..n-1).  The points of a
 * run are grouped by class, each class's in ranked order, except:
 *  BASE      the records not ignored, in rank order;
 *  every other run starts from the records that are true positives or
 *            not-ignored errors, ranked with each run of equal scores'
 *            non-true-positives first (tidecv's fix_errors appends errors
 *            before true positives and sorts stably);
 *  c = Cls, Loc: the type's errors that fix[i] marks become true positives
 *            (a Cls one in class fixcls[i], whether ignored or not), its
 *            other errors go;
 *  c = Both, Dupe, Bkg: the type's errors go;
 *  FalsePos  a class's true positives before its other points.
 * npos (3 x K): GT per class, of BASE to FalsePos; of Miss; of FalseNeg.
 * Runs on nthreads threads (detap_team's policy).  DETAP_EINDEX for a rank,
 * code or (kept) class out of range. */
int detap_tide_runs(size_t n, size_t K, const int64_t *rank, const double *score,
                    const int64_t *cls, const int64_t *fixcls, const int8_t *label,
                    const uint8_t *err, const uint8_t *fix, const int64_t *npos, double *ap,
                    int64_t *count, int nthreads);

#endif
