/* The per-image matching driver: one class, every image, every threshold.
 *
 * Data layout (the same for every front end of the VOC family, and for
 * evaluate_class under the COCO rule):
 *  - detections: det_boxes[nd * 4] (float64; nd * 8 for quadrilaterals),
 *    det_img[nd] image index;
 *  - `order[nd]`: the processing order (highest score first), a
 *    permutation of 0..nd-1 from sort.h or from numpy;
 *  - ground truth grouped by image: image i owns GT rows
 *    gt_off[i] .. gt_off[i + 1] - 1 of gt_boxes / gt_ignore / gt_crowd, in
 *    the order the rule visits them (the VOC rule: annotation order, since
 *    argmax ties go to the first; the COCO rule: not-ignored first).
 *
 * Output: labels[t * nd + k] for threshold t and the k-th detection in
 * processing order: DETAP_TP, DETAP_FP or DETAP_IGNORE (match.h).
 */
#ifndef DETAP_MATCH_IMAGES_H
#define DETAP_MATCH_IMAGES_H

#include "detap_common.h"
#include "iou.h"
#include "match.h"
#include "quad_iou.h"

/* Each detection in processing order is matched (match.h, rule and
 * thresholds in `spec`) against the GT of its image, with the similarity
 * of `kind` (similarity.h).  gt_ignore, gt_crowd and det_out may be NULL:
 *  gt_ignore  difficult / crowd / outside the area range: a match to it
 *             makes the detection ignored;
 *  gt_crowd   the COCO IoU divides by the detection's area, and the COCO
 *             rule lets the GT match again;
 *  det_out    (indexed like det_boxes) an unmatched detection is ignored,
 *             not a FP (pycocotools' area range).
 * gt_match (may be NULL) receives gt_match[t * nd + k], the GT row the
 * k-th detection took at threshold t, or -1 (the confusion matrix reads it).
 * With kind DETAP_IOU_QUAD boxes are 8-value quadrilaterals (det_boxes
 * nd * 8, gt_boxes ng * 8) and the similarity is DOTA_devkit's
 * (quad_iou.h); *undefined (may be NULL) receives the number of polygon
 * IoUs whose devkit value depends on memory left by earlier calls;
 * gt_quads (may be NULL) is gt_boxes already prepared by
 * detap_quad_set_prep (kept by a caller that matches the same GT again),
 * else they are prepared here.
 * Images run on up to nthreads threads (<= 0: all cores); the labels do
 * not depend on it. */
int detap_match_images(detap_iou_kind kind, const detap_match_spec *spec,
                       const int64_t *order, size_t nd, const double *det_boxes,
                       const int64_t *det_img, const uint8_t *det_out,
                       const double *gt_boxes, const uint8_t *gt_ignore,
                       const uint8_t *gt_crowd, const int64_t *gt_off, size_t nimg,
                       const detap_quad_set *gt_quads, int8_t *labels, int64_t *gt_match,
                       int nthreads, int64_t *undefined);

#endif
