/* Similarity of oriented boxes [cx, cy, w, h, angle]: the IoU of rotated
 * rectangles as hotcoco defines it for COCO-style oriented-box evaluation
 * (its geometry.rs), in its float64 arithmetic and operation order; and
 * Ultralytics' probabilistic IoU (ProbIoU, its batch_probiou), in float64
 * with its operation order (Ultralytics computes it in float32).
 *
 * A box is 5 float64 values [cx, cy, w, h, angle]: centre and size in
 * pixels, angle in radians.  Its corners, in this order, are
 *     c + (-u - v), c + (u - v), c + (u + v), c + (-u + v)
 *     u = (w/2) (cos a, sin a),  v = (h/2) (-sin a, cos a)
 * each computed as (cx -+ w/2 cos a) -+ h/2 sin a, (cy -+ w/2 sin a) -+ h/2 cos a.
 * The area of a box is w * h; a box with w * h <= 0 has IoU 0 with any box.
 *
 * The intersection is the detection's corner polygon clipped by each edge
 * of the GT's (Sutherland-Hodgman): a point is inside an edge when the
 * cross product (e - s) x (p - s) is >= 0; the crossing of the segment
 * p1 p2 with the edge line is p1 + t (p2 - p1), t from the parametric
 * form, and no point is added when |denominator| < 1e-12.  Its area is
 * |shoelace| / 2 (0 below 3 vertices); IoU = inter / ((area_d + area_g) -
 * inter), 0 when inter <= 0 or the union <= 0; a crowd GT divides by the
 * detection's area instead.
 */
#ifndef DETAP_OBB_IOU_H
#define DETAP_OBB_IOU_H

#include "detap_common.h"

/* A box prepared once for all its pairs: corners and area. */
typedef struct {
    double c[8];   /* x0, y0, ..., x3, y3 */
    double area;   /* w * h */
} detap_obb;

void detap_obb_prep(const double *b, detap_obb *out);

/* IoU of detection d against GT g (intersection / d's area for a crowd GT). */
double detap_obb_iou(const detap_obb *d, const detap_obb *g, int crowd);

/* row[j] = detap_obb_iou(d, gt + j, crowd ? crowd[j] : 0), j < G. */
void detap_obb_sim_row(const detap_obb *d, const detap_obb *gt, const uint8_t *crowd, size_t G,
                       double *row);

/* out[i * ng + j] = IoU of dt[i] against gt[j] (5 values each, row-major);
 * crowd (ng,) or NULL.  DETAP_ENOMEM when the prepared GT do not fit. */
int detap_obb_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                         const uint8_t *crowd, double *out);

/* The COCO cell similarity of rotated rectangles (hotcoco's
 * compute_obb_iou_static), through coco_eval.h's detap_shape_cells with
 * width 5, prep_size sizeof(detap_obb): prep = detap_obb_prep_shape, pair =
 * detap_obb_pair (detap_obb_iou of the detection against the GT). */
void detap_obb_prep_shape(const double *b, void *out);
double detap_obb_pair(const void *d, const void *g, int crowd);

/* ProbIoU: each box a Gaussian of covariance [[a, c], [c, b]] with
 * a0 = w^2 / 12, b0 = h^2 / 12, a = a0 cos^2 + b0 sin^2,
 * b = a0 sin^2 + b0 cos^2, c = (a0 - b0) cos sin; for GT 1 and detection 2,
 * with A = a1 + a2, B = b1 + b2, C = c1 + c2, D = A B - C^2, eps = 1e-7:
 *   t1 = (A (y1 - y2)^2 + B (x1 - x2)^2) / (D + eps) * 0.25
 *   t2 = (C (x2 - x1) (y1 - y2)) / (D + eps) * 0.5
 *   t3 = log(D / (4 sqrt(max(a1 b1 - c1^2, 0) max(a2 b2 - c2^2, 0)) + eps) + eps) * 0.5
 *   bd = clamp(t1 + t2 + t3, eps, 100);  1 - sqrt(1 - exp(-bd) + eps). */
typedef struct {
    double x, y, a, b, c;
} detap_gbox;

void detap_gbox_prep(const double *b, detap_gbox *out);

/* row[j] = ProbIoU of detection d against GT gt[j], j < G. */
void detap_probiou_sim_row(const detap_gbox *d, const detap_gbox *gt, size_t G, double *row);

/* out[i * ng + j] = ProbIoU of dt[i] against gt[j] (5 values each). */
int detap_probiou_matrix(const double *dt, size_t nd, const double *gt, size_t ng, double *out);

#endif
