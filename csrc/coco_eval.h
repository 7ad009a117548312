/* The COCO cell driver: pycocotools' COCOeval.evaluateImg for every cell.
 *
 * A cell is one (category, image) pair (one image when useCats=0) that has
 * GT or detections: only those exist (a category x image grid would be
 * mostly empty: 29M cells for Objects365).  GT and detections are grouped
 * by cell, each group in dataset order: cell c owns gt rows gt_off[c] ..
 * gt_off[c+1]-1, dt rows dt_off[c] ..  Boxes are xywh (pycocotools'
 * arithmetic).
 */
#ifndef DETAP_COCO_EVAL_H
#define DETAP_COCO_EVAL_H

#include "detap_common.h"
#include "labels.h"

/* The similarity stage of one cell: out[d * G + g] for the cell's kept
 * detections, dt rows drow[0..D) (highest score first), against its GT, gt
 * rows grow[0..G) (dataset order).  `ctx` is the input's sim_ctx (the input
 * itself when that is NULL).  Box IoU is detap_coco_box_sim; keypoint OKS
 * (oks.h) and mask IoU (mask_cells.h) are other functions of this type, and
 * the matching, accumulation and summary stay as they are.  Returns
 * DETAP_OK or a negative status. */
typedef int (*detap_cell_sim_fn)(const void *ctx, const int64_t *drow, size_t D,
                                 const int64_t *grow, size_t G, double *out);

typedef struct {
    size_t ncells;
    const int64_t *cell_order;   /* the order to visit cells in (an image's
                                    cells together: its detections are near
                                    each other in memory); NULL: 0..ncells-1 */
    /* Row r of a cell's group is row gt_row[r] (dt_row[r]) of the arrays
     * below, which stay in the caller's order; NULL means the identity. */
    const int64_t *gt_row, *dt_row;
    const int64_t *gt_off;       /* ncells + 1 */
    const double *gt_boxes;      /* 4 per GT, xywh */
    const double *gt_area;       /* the annotation's "area" */
    const uint8_t *gt_crowd;     /* int(iscrowd) != 0: crowd IoU, re-matchable */
    const uint8_t *gt_ignore;    /* bool(iscrowd): pycocotools' ignore flag */
    const uint8_t *gt_id_nz;     /* gt id != 0 (a match to id 0 reads as none) */
    const int64_t *dt_off;       /* ncells + 1 */
    const double *dt_boxes;      /* 4 per detection, xywh */
    const double *dt_area;
    const double *dt_score;
    const uint8_t *dt_id_pos;    /* det id > 0 (only then is a GT marked taken) */
    const uint8_t *dt_unmatched_ignored; /* NULL, or per detection: ignored
                                    when unmatched in every area range, as
                                    if outside it (lvis-api's categories not
                                    exhaustively annotated in an image) */
    const double *area_rng;      /* A x 2: [lo, hi] */
    size_t A;
    const double *iou_thrs;      /* T */
    size_t T;
    size_t max_det;              /* the largest of params.maxDets */
    detap_cell_sim_fn sim;       /* NULL: detap_coco_box_sim */
    const void *sim_ctx;         /* sim's context; NULL: this input */
} detap_coco_eval_in;

/* pycocotools' bbox IoU (iou.h) of dt_boxes against gt_boxes; a crowd GT
 * (gt_crowd) divides by the detection's area. */
int detap_coco_box_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                       size_t G, double *out);

/* The cell similarity of shapes prepared once per cell (rotated boxes:
 * obb_iou.h, quadrilaterals: quad_iou.h): the cell's GT rows are prepared
 * by `prep` (width values each, into prep_size bytes), then each detection
 * row, and out[d * G + g] = pair(detection, GT, gt_crowd of that row).
 * ctx is a detap_shape_cells.  DETAP_OK or DETAP_ENOMEM. */
typedef struct {
    const double *gt, *dt;     /* `width` values per row */
    const uint8_t *gt_crowd;   /* per GT row: crowd (an ignore region) */
    size_t width, prep_size;
    void (*prep)(const double *box, void *out);
    double (*pair)(const void *d, const void *g, int crowd);
} detap_shape_cells;

int detap_coco_shape_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                         size_t G, double *out);

/* Per cell: detections sorted by descending score (stable) and truncated to
 * max_det; kept_off[c] .. kept_off[c+1]-1 must be precomputed by the caller
 * as the prefix sum of min(n_dt(c), max_det).  Outputs:
 *  kept_idx[n_kept]          dt array row of each kept detection, in sorted order
 *  labels + (q*A + a)*DETAP_LAB_BLOCK(T)   the packed labels (labels.h) of
 *                            kept detection q in area range a (detection-
 *                            major, so that a cell writes one contiguous block)
 *  npig[a*ncells + c]        GT of the cell not ignored in area range a (int32:
 *                            half the size of the run's largest per-cell array)
 *  matched[(q*A + a)*T + t]  (NULL: not wanted) the GT that kept detection
 *                            q matched, as its position in the cell's GT
 *                            group (dataset order), or -1: what pycocotools'
 *                            dtMatches/gtMatches record (a caller asks for
 *                            it cell by cell: it is 8 bytes per label)
 * Matching is match.h's DETAP_RULE_COCO on the cell's similarity (`sim`).
 * nthreads <= 0 means all cores.  Results do not depend on nthreads. */
int detap_coco_evaluate(const detap_coco_eval_in *in, const int64_t *kept_off,
                        int64_t *kept_idx, uint8_t *labels, int32_t *npig,
                        int64_t *matched, int nthreads);

#endif
