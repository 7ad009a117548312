/* Mask similarity of one COCO cell: pycocotools' computeIoU for
 * iouType "segm" (maskUtils.iou of the cell's detection and GT RLEs).
 *
 * Each annotation's mask is one RLE (mask.h).  Its counts are either kept
 * decoded in one flat array, or, for detections read from a results file,
 * kept as their compressed string (pycocotools' LEB128-like form, without
 * JSON escapes, cut at its first NUL) and decoded when their cell is compared: a detection
 * belongs to one cell, so each string is decoded at most once, into a
 * buffer that stays in cache, and hundreds of megabytes of counts are never
 * held.  Only detections in a cell with GT are ever decoded (a third of
 * COCO-like results are in cells without any), and none twice.
 * pycocotools' box prefilter (toBbox boxes, their IoU kept where it is not
 * positive) is needed only for pairs that are not two plain masks of one
 * size (mask.h's detap_rle_ends_of): for those the IoU on the runs is
 * already 0 where the boxes do not overlap.  A detection string's box is
 * then found when a pair first needs it.
 */
#ifndef DETAP_MASK_CELLS_H
#define DETAP_MASK_CELLS_H

#include "detap_common.h"
#include "mask.h"

typedef struct {
    const detap_rle *gt, *dt;   /* one per annotation row */
    /* their toBbox boxes, 4 per row, xywh; dt_bb may be NULL when dt_text
     * is given: a string's box is then found from its decoded counts when
     * a pair first needs it */
    const double *gt_bb, *dt_bb;
    const uint8_t *gt_crowd;     /* crowd GT: intersection / detection area */
    /* non-NULL: the detections' counts are compressed strings, row r's the
     * dt_len[r] bytes at dt_text + dt_start[r] (dt[r] then gives only its
     * size h, w) */
    const char *dt_text;
    const int64_t *dt_start, *dt_len;
} detap_mask_ctx;

/* The cell similarity (coco_eval.h's detap_cell_sim_fn) for masks:
 * out[d * G + g] = pycocotools' mask IoU of detection row drow[d] and GT
 * row grow[g] (-1 when their sizes differ, as there).  ctx is a
 * detap_mask_ctx.  DETAP_ENOMEM, or DETAP_EVALUE for a string that ends
 * inside a value (the caller checked them all before). */
int detap_coco_mask_sim(const void *ctx, const int64_t *drow, size_t D, const int64_t *grow,
                        size_t G, double *out);

#endif
