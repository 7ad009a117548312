/* Stage 2: matching detections to ground truth, one class at a time.
 *
 * Data layout (the same for every front end):
 *  - detections: det_boxes[nd * 4] (float64), det_img[nd] image index;
 *  - `order[nd]`: the processing order (highest score first), a
 *    permutation of 0..nd-1 from sort.h or from numpy;
 *  - ground truth grouped by image: image i owns GT rows
 *    gt_off[i] .. gt_off[i + 1] - 1 of gt_boxes / gt_ignore, in their
 *    original (annotation file) order, because argmax ties go to the first.
 *
 * Output: labels[t * nd + k] for threshold t and the k-th detection in
 * processing order: DETAP_TP, DETAP_FP or DETAP_IGNORE.
 */
#ifndef DETAP_EVALUATE_H
#define DETAP_EVALUATE_H

#include "detap_common.h"
#include "iou.h"

/* Stable counting sort of rows by image index.  img[k] must lie in
 * [0, nimg).  Writes off[nimg + 1] (row ranges) and perm[n] (rows of image i
 * are perm[off[i] .. off[i+1]-1], in input order). */
int detap_group_by_image(const int64_t *img, size_t n, size_t nimg,
                         int64_t *off, int64_t *perm);

/* The VOC rule (py-faster-rcnn voc_eval): each detection, in order, takes
 * the GT of its image with the highest IoU (first on ties; NaN wins as in
 * np.argmax), whether or not that GT is already matched.  If the IoU passes
 * the threshold (`strict`: IoU > thr, else IoU >= thr): an ignored GT makes
 * the detection DETAP_IGNORE; a GT already matched makes it a FP; otherwise
 * it is a TP and the GT becomes matched.  Below the threshold, or in an
 * image without GT: FP.  All nt thresholds are decided in one pass. */
int detap_match_voc(detap_iou_kind kind, const int64_t *order, size_t nd,
                    const double *det_boxes, const int64_t *det_img,
                    const double *gt_boxes, const uint8_t *gt_ignore,
                    const int64_t *gt_off, size_t nimg, const double *thr,
                    size_t nt, int strict, int8_t *labels);

#endif
