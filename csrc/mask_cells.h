/* Mask similarity of one COCO cell: pycocotools' computeIoU for
 * iouType "segm" (maskUtils.iou of the cell's detection and GT RLEs).
 *
 * Each annotation's mask is one RLE (mask.h) whose counts the caller keeps
 * in one flat array; its toBbox box is precomputed once per annotation (the
 * IoU's prefilter reads it for every pair).
 */
#ifndef DETAP_MASK_CELLS_H
#define DETAP_MASK_CELLS_H

#include "detap_common.h"
#include "mask.h"

typedef struct {
    const detap_rle *gt, *dt;   /* one per annotation row */
    const double *gt_bb, *dt_bb; /* their toBbox boxes, 4 per row, xywh */
    const uint8_t *gt_crowd;     /* crowd GT: intersection / detection area */
} detap_mask_ctx;

/* The cell similarity (coco_eval.h's detap_cell_sim_fn) for masks:
 * out[d * G + g] = pycocotools' mask IoU of detection row drow[d] and GT
 * row grow[g] (-1 when their sizes differ, as there).  ctx is a
 * detap_mask_ctx. */
int detap_coco_mask_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                        size_t G, double *out);

#endif
