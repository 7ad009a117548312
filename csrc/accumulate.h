/* Stage 3: cumulative precision/recall and average precision.
 *
 * Input is the label sequence of the matching stage (match.h) for one class and one
 * IoU threshold, in processing order.  Each function reproduces one
 * reference formula bit for bit:
 *
 *  detap_pr_voc        py-faster-rcnn: tp, fp = cumsum; rec = tp / npos;
 *                      prec = tp / max(tp + fp, DBL_EPSILON)
 *  detap_ap_voc07      voc_ap(use_07_metric=True): the 11-point mean,
 *                      accumulated left to right as ap = ap + p / 11.
 *  detap_ap_all_point  voc_ap(use_07_metric=False): area under the
 *                      precision envelope at recall changes, summed with
 *                      numpy's pairwise summation (np.sum)
 *  detap_ap_coco101    pycocotools COCOeval.accumulate for one (T, K, A, M)
 *                      cell: interpolated precision at each recall
 *                      threshold, the score there, and the final recall
 */
#ifndef DETAP_ACCUMULATE_H
#define DETAP_ACCUMULATE_H

#include "detap_common.h"

/* numpy's float64 np.sum (pairwise summation, blocks of 8 and 128). */
double detap_pairwise_sum(const double *a, size_t n);

/* Cumulative counts (as float64, like np.cumsum of float arrays) and the
 * py-faster-rcnn rec/prec.  Any output pointer may be NULL.  npos == 0
 * gives rec = tp / 0 (NaN or inf), as in the reference. */
void detap_pr_voc(const int8_t *labels, size_t nd, double npos, double *tp,
                  double *fp, double *rec, double *prec);

/* grid: the 11 recall thresholds (np.arange(0., 1.1, 0.1) for the
 * reference, or exact tenths).  *any_hit tells whether some threshold found
 * a recall >= it (the reference then returns np.float64, else float). */
void detap_ap_voc07(const double *rec, const double *prec, size_t n,
                    const double *grid, double *ap, int *any_hit);

int detap_ap_all_point(const double *rec, const double *prec, size_t n,
                       double *ap);

/* labels and scores_sorted in processing order; npig > 0 non-ignored GT.
 * Writes precision[R] and scores[R] (zeros past the highest recall, as
 * pycocotools leaves them) and *recall. */
int detap_ap_coco101(const int8_t *labels, const double *scores_sorted,
                     size_t nd, double npig, const double *rec_thrs, size_t R,
                     double *precision, double *scores, double *recall);

/* pycocotools COCOeval.accumulate over every (category, area, maxDet) cell.
 * The cells of coco_eval.h (only those with GT or detections, which are
 * pycocotools' non-None evalImgs entries) are ordered by category, then
 * image: category k owns cells cat_off[k] .. cat_off[k+1]-1.
 * kept_off / labels / npig are detap_coco_evaluate's outputs (labels
 * packed as labels.h says; npig is A x ncells); kept detection q's score is
 * kept_score[kept_row[q]] (kept_row: detap_coco_evaluate's kept_idx, so
 * that kept_score is the detections' own column), or kept_score[q] when
 * kept_row is NULL.
 * Outputs, C order, every entry written (-1 where pycocotools leaves -1):
 *   precision, scores: (T, R, K, A, M); recall: (T, K, A, M).  scores may
 *   be NULL (lvis-api keeps none): not computed. */
int detap_coco_accumulate(size_t K, const int64_t *cat_off, size_t ncells,
                          const int64_t *kept_off, const double *kept_score,
                          const int64_t *kept_row, const uint8_t *labels, size_t n_kept,
                          const int32_t *npig,
                          size_t A, size_t T, const int64_t *max_dets, size_t M,
                          const double *rec_thrs, size_t R, double *precision,
                          double *recall, double *scores, int nthreads);

#endif
