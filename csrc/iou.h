/* Stage 1: intersection over union.
 *
 * Two box conventions, each reproducing one reference bit for bit:
 *
 *  DETAP_IOU_VOC   boxes are [x1, y1, x2, y2] in inclusive pixel
 *                  coordinates: width = x2 - x1 + 1 (py-faster-rcnn voc_eval,
 *                  VOCdevkit).  Arithmetic is numpy's, in voc_eval's order,
 *                  including np.maximum's NaN propagation.
 *  DETAP_IOU_COCO  boxes are [x, y, w, h], continuous coordinates
 *                  (pycocotools maskApi bbIou).  A crowd GT divides by the
 *                  detection's area instead of the union.
 *  DETAP_IOU_XYXY  boxes are [x1, y1, x2, y2], continuous coordinates:
 *                  width = x2 - x1 (mmdet >= 2.0 bbox_overlaps, whose union
 *                  is floored at FLT_EPSILON so degenerate boxes give 0, not
 *                  NaN).
 *
 * All boxes are float64, row-major, 4 values per box, none of them NaN.
 */
#ifndef DETAP_IOU_H
#define DETAP_IOU_H

#include <float.h>
#include <math.h>
#include "detap_common.h"
#include "npmath.h"

/* DETAP_IOU_QUAD: 8-value quadrilaterals, DOTA_devkit's polygon IoU
 * (quad_iou.h); DETAP_IOU_OBB / DETAP_IOU_PROBIOU: 5-value rotated
 * rectangles [cx, cy, w, h, angle], hotcoco's rotated IoU or Ultralytics'
 * ProbIoU (obb_iou.h).  Only the per-image matcher
 * (match_images.h) takes them, and detap_iou_kind_ok, the check of the
 * 4-value kernels, refuses them. */
typedef enum { DETAP_IOU_VOC = 0, DETAP_IOU_COCO = 1, DETAP_IOU_XYXY = 2,
               DETAP_IOU_QUAD = 3, DETAP_IOU_OBB = 4,
               DETAP_IOU_PROBIOU = 5 } detap_iou_kind;

/* Box areas as each reference computes them (computing an area once per
 * box instead of once per pair gives the same bits). */
static inline double detap_area_voc(const double *b) {
    return (b[2] - b[0] + 1.) * (b[3] - b[1] + 1.);
}
static inline double detap_area_coco(const double *b) { return b[2] * b[3]; }
static inline double detap_area_xyxy(const double *b) { return (b[2] - b[0]) * (b[3] - b[1]); }
static inline double detap_area(detap_iou_kind kind, const double *b) {
    return kind == DETAP_IOU_VOC ? detap_area_voc(b)
         : kind == DETAP_IOU_XYXY ? detap_area_xyxy(b) : detap_area_coco(b);
}

/* IoU of detection b (area ab) against ground truth g (area ag),
 * voc_eval's expression: inters / ((det_area + gt_area) - inters).
 * Precondition: no coordinate is NaN (the Cython layer rejects NaN boxes);
 * then ixmax - ixmin + 1. is never NaN either (at worst +-inf), so the
 * _nn forms give np.maximum's bits. */
static inline double detap_iou_voc_pair(const double *b, double ab, const double *g, double ag) {
    double ixmin = detap_max_nn(g[0], b[0]);
    double iymin = detap_max_nn(g[1], b[1]);
    double ixmax = detap_min_nn(g[2], b[2]);
    double iymax = detap_min_nn(g[3], b[3]);
    double iw = detap_clamp0(ixmax - ixmin + 1.);
    double ih = detap_clamp0(iymax - iymin + 1.);
    double inters = iw * ih;
    double uni = ab + ag - inters;
    return inters / uni;
}

/* IoU of detection d (area da) against ground truth g (area ga),
 * pycocotools' bbIou on xywh boxes; a crowd GT divides by da. */
static inline double detap_iou_coco_pair(const double *d, double da, const double *g,
                                         double ga, int crowd) {
    double w = detap_fmin(d[2] + d[0], g[2] + g[0]) - detap_fmax(d[0], g[0]);
    if (w <= 0) return 0;
    double h = detap_fmin(d[3] + d[1], g[3] + g[1]) - detap_fmax(d[1], g[1]);
    if (h <= 0) return 0;
    double i = w * h;
    double u = crowd ? da : da + ga - i;
    return i / u;
}

/* IoU of detection b (area ab) against ground truth g (area ag), mmdet's
 * bbox_overlaps without the legacy +1: the union is floored at the float32
 * epsilon, as mmdet does, so a zero union gives 0 rather than NaN. */
static inline double detap_iou_xyxy_pair(const double *b, double ab, const double *g, double ag) {
    double iw = detap_clamp0(detap_min_nn(g[2], b[2]) - detap_max_nn(g[0], b[0]));
    double ih = detap_clamp0(detap_min_nn(g[3], b[3]) - detap_max_nn(g[1], b[1]));
    double inters = iw * ih;
    double uni = ab + ag - inters;
    uni = detap_floor_at(uni, (double)FLT_EPSILON);
    return inters / uni;
}

static inline double detap_iou_pair(detap_iou_kind kind, const double *d, double ad,
                                    const double *g, double ag, int crowd) {
    return kind == DETAP_IOU_VOC ? detap_iou_voc_pair(d, ad, g, ag)
         : kind == DETAP_IOU_XYXY ? detap_iou_xyxy_pair(d, ad, g, ag)
                                  : detap_iou_coco_pair(d, ad, g, ag, crowd);
}

static inline int detap_iou_kind_ok(int kind) {
    return kind == DETAP_IOU_VOC || kind == DETAP_IOU_COCO || kind == DETAP_IOU_XYXY;
}

/* Pairwise IoU matrix: out[i * ng + j] = IoU(dt[i], gt[j]).
 * crowd may be NULL (no crowd GT); it is only read for DETAP_IOU_COCO. */
int detap_iou_matrix(detap_iou_kind kind, const double *dt, size_t nd,
                     const double *gt, size_t ng, const uint8_t *crowd,
                     double *out);

#endif
