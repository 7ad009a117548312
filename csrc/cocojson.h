/* Reading COCO JSON files (ground truth and box results) into columns.
 *
 * This is a fast path for the common subset only: a top-level object with
 * "images", "annotations" and "categories" arrays of objects (other keys
 * and fields are skipped, whatever they hold), or a top-level array of
 * result objects.  Per annotation it keeps id, image_id, category_id
 * (integers), bbox (four numbers), area, score and iscrowd (numbers;
 * iscrowd may be true/false).  A "segmentation" that is a compressed RLE
 * ({"size": [h, w], "counts": "<string>"}, in either order) is located, not
 * decoded: rle_start / rle_len give its counts string's raw bytes in the
 * buffer (rle_esc: 0 plain ASCII, 1 ASCII with only the escapes \\ \/ \",
 * 2 anything else: another escape or a byte beyond ASCII; a raw NUL is
 * never in a JSON string), rle_h / rle_w its size.  A
 * "keypoints" array of numbers is read into kp (kp_start / kp_len per
 * annotation), "num_keypoints" into num_kp, a rotated box "obb" (five
 * numbers) into obb.  Polygons (a list of number lists, the first of more
 * than four) are read into pv / plen (poly_first / poly_count per
 * annotation).  Other segmentations (uncompressed RLE, boxes) are only
 * noted (DETAP_HAS_SEGMENTATION, which polygons set too) for the caller to
 * read.  Numbers convert exactly as Python's json module would (integers
 * as int64, others correctly rounded: numparse.h).  The columns are
 * ann_cols.h's; a results file can also be read in blocks on several
 * threads (results_stream.h), with the same records.
 *
 * Anything else (a string or float id, NaN/Infinity, a malformed document,
 * escaped keys, very deep nesting, a repeated section, a string json.loads
 * refuses: invalid UTF-8, a bad escape; an integer of more than 4300
 * digits) makes the parser return DETAP_PARSE_SLOW: the caller then reads
 * the file with Python's json module, which decides and reports errors.
 * The fast path never guesses.
 */
#ifndef DETAP_COCOJSON_H
#define DETAP_COCOJSON_H

#include "ann_cols.h"
#include "detap_common.h"
#include "parse.h" /* DETAP_PARSE_SLOW */

#define DETAP_HAS_ID 1
#define DETAP_HAS_IMAGE_ID 2
#define DETAP_HAS_CATEGORY_ID 4
#define DETAP_HAS_BBOX 8
#define DETAP_HAS_AREA 16
#define DETAP_HAS_SCORE 32
#define DETAP_HAS_ISCROWD 64
/* present: masks other than a compressed RLE (polygons, read; others not) */
#define DETAP_HAS_SEGMENTATION 128

/* Images and categories: the integer "id", and what the command line shows
 * of them without reading the records in Python: a string field (images:
 * "file_name", categories: "name") located as [str_start, + str_len) in the
 * buffer (str_esc: it holds escapes; str_len -1: absent), and an image's
 * "width" and "height" (NaN: absent).  A field present with another kind of
 * value sets DETAP_ID_OTHER: the caller then reads the records. */
#define DETAP_ID_OTHER 2
typedef struct {
    size_t n, cap;
    int64_t *id;
    uint8_t *has; /* DETAP_HAS_ID, DETAP_ID_OTHER */
    int64_t *str_start, *str_len;
    uint8_t *str_esc;
    double *width, *height;
} detap_id_cols;

typedef struct {
    int top_is_array;                               /* a results file */
    int has_images, has_annotations, has_categories; /* sections present */
    detap_ann_cols ann;
    detap_id_cols img, cat;
    size_t stop;                                    /* where the fast path gave up */
    int nthreads;                                   /* (set by detap_coco_parse) */
} detap_coco_doc;

/* Parses buf[0..len).  DETAP_OK, DETAP_PARSE_SLOW or DETAP_ENOMEM.  The doc
 * must be zero-initialised; free it with detap_coco_doc_free in every case
 * (a caller that takes over an array sets its pointer to NULL first).
 * ann_hint: the expected number of annotations (the arrays start there, so
 * a good guess saves reallocations).  flags: DETAP_PARSE_COPY_RLE: RLE
 * counts strings are copied into doc->ann.blob (rle_start then indexes it,
 * and buf need not outlive the columns); else rle_start indexes buf.
 * DETAP_PARSE_NO_POLYGONS: polygon segmentations are checked as JSON but
 * not read (poly_* stay absent; for callers that never rasterise them).
 * nthreads: the "annotations" array is parsed on this many threads (0: all
 * cores) when it is large (results_stream.h's pieces); the columns are the
 * sequential parse's whatever the count. */
#define DETAP_PARSE_COPY_RLE 1
#define DETAP_PARSE_NO_POLYGONS 2
int detap_coco_parse(const char *buf, size_t len, size_t ann_hint, int flags, int nthreads,
                     detap_coco_doc *doc);
void detap_coco_doc_free(detap_coco_doc *doc);

/* One annotation or result object at p (white space before it allowed)
 * into a's next row, its RLE counts strings given as offsets from base, or
 * copied into a->blob with DETAP_PARSE_COPY_RLE in flags (and polygons
 * skipped with DETAP_PARSE_NO_POLYGONS).  1 with *next just after the
 * object; 0 when it is not the fast path's (*nomem: out of memory), a's row
 * count unchanged. */
int detap_coco_record(const char *p, const char *end, const char *base, int flags,
                      detap_ann_cols *a, const char **next, int *nomem);

#endif
