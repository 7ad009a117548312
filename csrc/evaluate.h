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

/* pycocotools' cells for one side (GT or detections) with useCats and
 * unique annotation ids: the rows whose image and category are evaluated,
 * ordered by category position, then image position, then row (dataset
 * order inside a cell), with key = category * nimg + image.
 * lut_img[v] (v in [0, n_lut_img)) is the image position of image id v or
 * -1; lut_cat likewise for categories (positions below nimg and ncat); an
 * id outside a table is not evaluated.  rows and keys hold n entries;
 * *m receives the number kept. */
int detap_coco_group(size_t n, const int64_t *image_id, const int64_t *category_id,
                     const int64_t *lut_img, size_t n_lut_img, const int64_t *lut_cat,
                     size_t n_lut_cat, size_t nimg, size_t ncat, int64_t *rows,
                     int64_t *keys, size_t *m);

/* The VOC rule (py-faster-rcnn voc_eval): each detection, in order, takes
 * the GT of its image with the highest IoU (first on ties; NaN wins as in
 * np.argmax), whether or not that GT is already matched.  If the IoU passes
 * the threshold (`strict`: IoU > thr, else IoU >= thr): an ignored GT makes
 * the detection DETAP_IGNORE; a GT already matched makes it a FP; otherwise
 * it is a TP and the GT becomes matched.  Below the threshold, or in an
 * image without GT: FP.  All nt thresholds are decided in one pass.
 * Images run on up to nthreads threads (<= 0: all cores); the labels do
 * not depend on it. */
int detap_match_voc(detap_iou_kind kind, const int64_t *order, size_t nd,
                    const double *det_boxes, const int64_t *det_img,
                    const double *gt_boxes, const uint8_t *gt_ignore,
                    const int64_t *gt_off, size_t nimg, const double *thr,
                    size_t nt, int strict, int8_t *labels, int nthreads);

#endif

/* ---- COCO (pycocotools COCOeval.evaluateImg), every cell at once ----
 *
 * A cell is one (category, image) pair (one image when useCats=0) that has
 * GT or detections: only those exist (a category x image grid would be
 * mostly empty: 29M cells for Objects365).  GT and detections are grouped
 * by cell, each group in dataset order: cell c owns gt rows gt_off[c] ..
 * gt_off[c+1]-1, dt rows dt_off[c] ..  Boxes are xywh (pycocotools'
 * arithmetic).
 */
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
    const double *area_rng;      /* A x 2: [lo, hi] */
    size_t A;
    const double *iou_thrs;      /* T */
    size_t T;
    size_t max_det;              /* the largest of params.maxDets */
} detap_coco_eval_in;

/* The cells present in either of two sorted key lists (repeats allowed):
 * keys[*nkeys] ascending and unique, and each list's offsets: cell c owns
 * a_key[a_off[c] .. a_off[c+1]-1] (likewise b).  keys needs na + nb slots,
 * a_off and b_off na + nb + 1.  DETAP_EVALUE if a list is not sorted. */
int detap_merge_cells(const int64_t *a_key, size_t na, const int64_t *b_key, size_t nb,
                      int64_t *keys, size_t *nkeys, int64_t *a_off, int64_t *b_off);

/* Per cell: detections sorted by descending score (stable) and truncated to
 * max_det; kept_off[c] .. kept_off[c+1]-1 must be precomputed by the caller
 * as the prefix sum of min(n_dt(c), max_det).  Outputs:
 *  kept_idx[n_kept]          dt array row of each kept detection, in sorted order
 *  labels[(q*A + a)*T + t]    DETAP_TP / DETAP_FP / DETAP_IGNORE (detection-
 *                            major, so that a cell writes one contiguous block)
 *  npig[a*ncells + c]        GT of the cell not ignored in area range a
 * nthreads <= 0 means all cores.  Results do not depend on nthreads. */
int detap_coco_evaluate(const detap_coco_eval_in *in, const int64_t *kept_off,
                        int64_t *kept_idx, int8_t *labels, int64_t *npig,
                        int nthreads);
