/* The grouping stage: rows of detections or ground truth by image or cell.
 *
 * A cell is what one matching runs over: an image (VOC family, one class at
 * a time) or a (category, image) pair (pycocotools).  Every function here
 * is a stable counting sort or merge, so rows keep dataset order inside a
 * group, which is what breaks ties in the references.
 */
#ifndef DETAP_GROUP_H
#define DETAP_GROUP_H

#include "detap_common.h"

/* Stable counting sort of rows by image index.  img[k] must lie in
 * [0, nimg).  Writes off[nimg + 1] (row ranges) and perm[n] (rows of image i
 * are perm[off[i] .. off[i+1]-1], in input order).  Large inputs are
 * counted and scattered on nthreads threads (detap_team's policy). */
int detap_group_by_image(const int64_t *img, size_t n, size_t nimg,
                         int64_t *off, int64_t *perm, int nthreads);

/* pycocotools' cells for one side (GT or detections) with useCats and
 * unique annotation ids: the rows whose image and category are evaluated,
 * ordered by category position, then image position, then row (dataset
 * order inside a cell), with key = category * nimg + image.
 * lut_img[v] (v in [0, n_lut_img)) is the image position of image id v or
 * -1; lut_cat likewise for categories (positions below nimg and ncat); an
 * id outside a table is not evaluated.  rows and keys hold n entries;
 * *m receives the number kept.  nimg and ncat below 2^31 (else
 * DETAP_EVALUE).  Rows already in image order (as detectors write them)
 * are sorted by category on nthreads threads (detap_team's policy);
 * others take a second, serial counting sort by image first. */
int detap_coco_group(size_t n, const int64_t *image_id, const int64_t *category_id,
                     const int64_t *lut_img, size_t n_lut_img, const int64_t *lut_cat,
                     size_t n_lut_cat, size_t nimg, size_t ncat, int64_t *rows,
                     int64_t *keys, size_t *m, int nthreads);

/* The cells present in either of two sorted key lists (repeats allowed):
 * keys[*nkeys] ascending and unique, and each list's offsets: cell c owns
 * a_key[a_off[c] .. a_off[c+1]-1] (likewise b).  keys needs na + nb slots,
 * a_off and b_off na + nb + 1.  DETAP_EVALUE if a list is not sorted. */
int detap_merge_cells(const int64_t *a_key, size_t na, const int64_t *b_key, size_t nb,
                      int64_t *keys, size_t *nkeys, int64_t *a_off, int64_t *b_off);

#endif
