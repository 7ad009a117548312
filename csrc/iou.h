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
 *
 * All boxes are float64, row-major, 4 values per box.
 */
#ifndef DETAP_IOU_H
#define DETAP_IOU_H

#include <math.h>
#include "detap_common.h"

typedef enum { DETAP_IOU_VOC = 0, DETAP_IOU_COCO = 1 } detap_iou_kind;

/* numpy's np.maximum / np.minimum on float64 scalars: a NaN in either
 * operand propagates (unlike C's fmax/fmin, which drop it). */
static inline double detap_np_maximum(double a, double b) {
    return (a >= b || a != a) ? a : b;
}
static inline double detap_np_minimum(double a, double b) {
    return (a <= b || a != a) ? a : b;
}

/* IoU of detection b against ground truth g, voc_eval's expression:
 * inters / ((det_area + gt_area) - inters). */
static inline double detap_iou_voc_pair(const double *b, const double *g) {
    double ixmin = detap_np_maximum(g[0], b[0]);
    double iymin = detap_np_maximum(g[1], b[1]);
    double ixmax = detap_np_minimum(g[2], b[2]);
    double iymax = detap_np_minimum(g[3], b[3]);
    double iw = detap_np_maximum(ixmax - ixmin + 1., 0.);
    double ih = detap_np_maximum(iymax - iymin + 1., 0.);
    double inters = iw * ih;
    double uni = (b[2] - b[0] + 1.) * (b[3] - b[1] + 1.) +
                 (g[2] - g[0] + 1.) * (g[3] - g[1] + 1.) - inters;
    return inters / uni;
}

/* IoU of detection d against ground truth g, pycocotools' bbIou (xywh). */
static inline double detap_iou_coco_pair(const double *d, const double *g, int crowd) {
    double da = d[2] * d[3], ga = g[2] * g[3];
    double w = fmin(d[2] + d[0], g[2] + g[0]) - fmax(d[0], g[0]);
    if (w <= 0) return 0;
    double h = fmin(d[3] + d[1], g[3] + g[1]) - fmax(d[1], g[1]);
    if (h <= 0) return 0;
    double i = w * h;
    double u = crowd ? da : da + ga - i;
    return i / u;
}

static inline double detap_iou_pair(detap_iou_kind kind, const double *d,
                                    const double *g, int crowd) {
    return kind == DETAP_IOU_VOC ? detap_iou_voc_pair(d, g)
                                 : detap_iou_coco_pair(d, g, crowd);
}

/* Pairwise IoU matrix: out[i * ng + j] = IoU(dt[i], gt[j]).
 * crowd may be NULL (no crowd GT); it is only read for DETAP_IOU_COCO. */
int detap_iou_matrix(detap_iou_kind kind, const double *dt, size_t nd,
                     const double *gt, size_t ng, const uint8_t *crowd,
                     double *out);

#endif
