/* The similarity stage: one detection against the ground truth of its cell.
 *
 * The matcher (match.h) reads a row of similarities; this header fills it
 * for boxes, with the IoU arithmetic of iou.h.  Another kind of similarity
 * (mask IoU on RLE runs, keypoint OKS, rotated-box IoU) is another filler
 * with the same output: row[g] for the cell's GT g = 0..G-1.
 */
#ifndef DETAP_SIMILARITY_H
#define DETAP_SIMILARITY_H

#include "iou.h"

/* row[g] = IoU of box d (area da, computed by detap_area for `kind`)
 * against the cell's GT boxes gb[4 g .. 4 g + 3] of areas ga[g]; crowd
 * (NULL: none) is read by the COCO kind only: a crowd GT divides the
 * intersection by the detection's area. */
static inline void detap_box_sim_row(detap_iou_kind kind, const double *d, double da,
                                     const double *gb, const double *ga, const uint8_t *crowd,
                                     size_t G, double *row) {
    switch (kind) {
    case DETAP_IOU_VOC:
        for (size_t g = 0; g < G; g++) row[g] = detap_iou_voc_pair(d, da, gb + 4 * g, ga[g]);
        break;
    case DETAP_IOU_XYXY:
        for (size_t g = 0; g < G; g++) row[g] = detap_iou_xyxy_pair(d, da, gb + 4 * g, ga[g]);
        break;
    default:
        for (size_t g = 0; g < G; g++)
            row[g] = detap_iou_coco_pair(d, da, gb + 4 * g, ga[g], crowd ? crowd[g] : 0);
        break;
    }
}

/* detap_box_sim_row's COCO kind for finite boxes (every coordinate of d
 * and gb, and da, ga): no sum of finite values is NaN, so detap_fmin /
 * fmax reduce to plain comparisons, and the early returns to a select; the
 * values are the same bits, in a loop without unpredictable branches. */
static inline void detap_coco_row_finite(const double *d, double da, const double *gb,
                                         const double *ga, const uint8_t *crowd, size_t G,
                                         double *row) {
    double dx1 = d[2] + d[0], dy1 = d[3] + d[1];
    for (size_t g = 0; g < G; g++) {
        const double *q = gb + 4 * g;
        double qx1 = q[2] + q[0], qy1 = q[3] + q[1];
        double w = (dx1 < qx1 ? dx1 : qx1) - (d[0] > q[0] ? d[0] : q[0]);
        double h = (dy1 < qy1 ? dy1 : qy1) - (d[1] > q[1] ? d[1] : q[1]);
        double i = w * h;
        double u = (crowd && crowd[g]) ? da : da + ga[g] - i;
        double v = i / u;
        row[g] = ((w <= 0) | (h <= 0)) ? 0 : v;
    }
}

#endif
