/* Similarity of quadrilaterals: DOTA_devkit's polygon IoU (polyiou.cpp),
 * bit for bit, with dota_evaluation_task1.py's axis-aligned prefilter.
 *
 * A quadrilateral is 8 float64 values [x1, y1, x2, y2, x3, y3, x4, y4] in
 * pixels, in any vertex order (clockwise, counter-clockwise, non-convex,
 * self-intersecting or degenerate: every input gets the devkit's number).
 *
 * The devkit's arithmetic, reproduced in its order:
 *  - orientation fix: a polygon whose shoelace area (sum over i of
 *    x_i y_{i+1} - y_i x_{i+1}, then / 2) is negative is reversed, and its
 *    area is the absolute shoelace area of the reversed vertex list;
 *  - the intersection is a sum over the 16 pairs of fan triangles from the
 *    origin (0, 0), GT edge outer, detection edge inner, each triangle
 *    clipped by the other's three edges with a sign test of tolerance 1e-8;
 *  - IoU = inter / ((area_gt + area_det) - inter).
 *
 * One behaviour of polyiou is not a function of its inputs: when a clipping
 * edge crosses a polygon edge whose two end points both lie within about
 * 1e-8 of the line, polyiou's lineCross returns without writing the
 * crossing point and the clipped polygon takes the point left in a static
 * buffer by an earlier call (possibly for another pair, another class or
 * another program).  The kernel reproduces such reads of a point written
 * earlier in the same pair's computation (the devkit's buffer holds the
 * same point then); a read of a slot not written during the pair, or a
 * clipped polygon of more than 9 vertices (which overflows polyiou's stack
 * array), is counted as "undefined" and computed with the point (0, 0), the
 * buffer's content in a fresh process.
 */
#ifndef DETAP_QUAD_IOU_H
#define DETAP_QUAD_IOU_H

#include "detap_common.h"

/* A quadrilateral prepared once for all its pairs. */
typedef struct {
    double v[8];     /* vertices after the orientation fix */
    double area;     /* |shoelace area| of v, as polyiou's union reads it */
    double hbb[4];   /* xmin, ymin, xmax, ymax of the 4 input vertices */
    double hbb_area; /* (xmax - xmin + 1) * (ymax - ymin + 1): the prefilter's */
} detap_quad;

void detap_quad_prep(const double *q, detap_quad *out);

/* polyiou's iou_poly(gt, det) (GT first, as the devkit calls it); adds the
 * number of undefined reads (see above) to *undefined. */
double detap_quad_iou(const detap_quad *gt, const detap_quad *det, int64_t *undefined);

/* Ground truth prepared once for matching: each quadrilateral, and the
 * bounds of their axis-aligned boxes column by column (x0[j] = q[j].hbb[0]
 * ...), which the prefilter's first pass reads in vector-friendly form. */
typedef struct {
    detap_quad *q;
    double *x0, *y0, *x1, *y1;
} detap_quad_set;

/* The cell similarity of quadrilaterals, for the analysis, through
 * coco_eval.h's detap_shape_cells with width 8, prep_size
 * sizeof(detap_quad): prep = detap_quad_prep_shape, pair = detap_quad_pair:
 * iou_poly(GT, detection) where the devkit's prefilter keeps the pair, else
 * 0; against a crowd GT (an ignore region) polyiou's intersection over the
 * detection's area instead.  Undefined reads are not counted. */
void detap_quad_prep_shape(const double *q, void *out);
double detap_quad_pair(const void *d, const void *g, int crowd);

/* Prepares the n quadrilaterals gt (8 values each) on nthreads threads:
 * DETAP_OK, or DETAP_ENOMEM (s then holds nothing).  Free with
 * detap_quad_set_free. */
int detap_quad_set_prep(const double *gt, size_t n, int nthreads, detap_quad_set *s);
void detap_quad_set_free(detap_quad_set *s);

/* dota_evaluation_task1's overlaps of detection d against the G GT
 * gt[g0 .. g0 + G): row[g] = iou_poly(gt[g0 + g], d) when the GT's
 * axis-aligned box overlaps the detection's (the +1 pixel IoU is > 0), else
 * -inf, which no polygon IoU ties (so the VOC rule's first-maximum choice
 * is the devkit's argmax over the GT it kept, and a detection overlapping
 * no GT has ovmax = -inf). */
void detap_quad_sim_row(const detap_quad *d, const detap_quad_set *gt, size_t g0, size_t G,
                        double *row, int64_t *undefined);

/* The prefilter's first pass: the indices g < G (G < 2^32) whose axis-aligned
 * box [x0[g], y0[g], x1[g], y1[g]] meets hbb ([xmin, ymin, xmax, ymax]) by
 * the +1 pixel test (iw > 0 and ih > 0: necessary for the devkit's box IoU
 * to be > 0), ascending, into cand (room for G); their count.  level 2 runs
 * the AVX-512 form where the CPU has it (the same indices), anything else
 * the scalar one. */
size_t detap_quad_marks(int level, const double hbb[4], const double *x0, const double *y0,
                        const double *x1, const double *y1, size_t G, uint32_t *cand);

/* The kernel's two paths (quad_iou.c): a fast one for generic pairs, and
 * the faithful one (polyiou's buffer and all) for the pairs the fast one
 * hands over; detap_quad_iou takes the first that decides. */
#define DETAP_QUAD_ANY 0      /* detap_quad_iou */
#define DETAP_QUAD_FAITHFUL 1 /* the faithful path alone */
#define DETAP_QUAD_FAST 2     /* the fast path alone: NaN for a pair it hands over */
#define DETAP_QUAD_SCALAR 3   /* the fast path in scalar form alone (the same) */
#define DETAP_QUAD_AVX2 4     /* ... in vector form with AVX2 (where the CPU has it) */
#define DETAP_QUAD_AVX512 5   /* ... with AVX-512VL */

/* The fast path in vector form (quad_simd.c, quad_lanes.h): the best level this CPU and
 * build have (0: none, 1: AVX2, 2: AVX-512VL), and the pair at a level:
 * 0 with *out set, 1 for a pair it hands over, -1 for a level not there. */
int detap_quad_simd_level(void);
int detap_quad_simd_iou(int level, const detap_quad *gt, const detap_quad *det, double *out);
/* (quad_simd512.c: the level-2 form; only quad_simd.c calls it, on a CPU
 * that has AVX-512VL and DQ) */
int detap_quad_iou_avx512(const detap_quad *gt, const detap_quad *det, double *out);
/* (quad_simd512.c: detap_quad_marks' level-2 form, on such a CPU) */
size_t detap_quad_marks_avx512(const double hbb[4], const double *x0, const double *y0,
                               const double *x1, const double *y1, size_t G, uint32_t *cand);

/* out[i * ng + j] = iou_poly(gt[j], dt[i]) (no prefilter) by `path`;
 * quads row-major, 8 values each.  DETAP_ENOMEM when the prepared GT do
 * not fit, DETAP_EVALUE for an unknown path. */
int detap_quad_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng, int path,
                          double *out, int64_t *undefined);

#endif
