/* Binary masks as run-length encodings (RLE), with pycocotools' results.
 *
 * Layout: a mask of h rows and w columns is read column by column
 * (column-major, as Fortran and MATLAB store it); its RLE lists the lengths
 * of the alternating runs of 0s and 1s along that order, starting with a
 * run of 0s (of length 0 when the first pixel is 1).  Lengths are uint32.
 *
 * Every function reproduces the corresponding function of pycocotools'
 * maskApi.c (version 2.0.11) bit for bit, including its unsigned 32-bit
 * wrap-around where a result depends on it (areas, bounding boxes, the
 * string form).  Where pycocotools has no defined behaviour (it divides by
 * zero, loops forever, or reads past an array on malformed input) these
 * functions do something safe instead, stated at each declaration; they
 * never read or write outside the arrays they are given, whatever the
 * counts say.
 *
 * Boxes are [x, y, width, height] in pixels, float64; the box [0 0 1 1]
 * covers the first pixel.
 */
#ifndef DETAP_MASK_H
#define DETAP_MASK_H

#include "detap_common.h"

/* One RLE: m counts, column-major, for an h x w mask.  The counts need not
 * add up to h * w (malformed input); see each function for what it does
 * then.  cnts may be NULL when m is 0. */
typedef struct { uint32_t h, w; size_t m; const uint32_t *cnts; } detap_rle;

/* ------------------------------------------------------------ queries */

/* pycocotools' toBbox: x, y, w, h of the 1-runs (a trailing unpaired 0-run
 * is ignored).  A 1-run that spans several columns makes the box cover the
 * whole height.  No 1-run at all gives [0 0 0 0] when there are fewer than
 * two counts, and pycocotools' wrapped values when all 1-runs are empty:
 * [w, h, 2^32 + 1 - w, 2^32 + 1 - h] (uint32 differences).  For h == 0
 * (where pycocotools divides by zero) non-empty 1-runs are skipped. */
void detap_rle_bbox(const detap_rle *r, double bb[4]);

/* Sum of the 1-runs (counts 1, 3, 5, ...).  pycocotools' area() is this
 * value truncated to uint32. */
uint64_t detap_rle_area(const detap_rle *r);

/* A plain RLE in the form the IoU walks fastest: every count after the
 * first positive, their sum h * w, and h * w < 2^31.  On two plain RLEs of
 * one size pycocotools' walk over every run computes the exact
 * intersection and union (it stops at the end, and nothing wraps), so the
 * IoU can intersect the 1-runs as position intervals, skip by binary search
 * to where both masks are, and stop when either is used up.  ends[j] =
 * cnts[0] + ... + cnts[j] (1-run k is [ends[2k], ends[2k + 1])); area is
 * detap_rle_area's. */
typedef struct { const uint32_t *ends; size_t m; uint64_t area; } detap_rle_ends;

/* r's run ends into buf (room for r->m values) and 1 when r is plain;
 * else 0 (out->ends NULL: the IoU takes pycocotools' walk). */
int detap_rle_ends_of(const detap_rle *r, uint32_t *buf, detap_rle_ends *out);

/* The two halves of detap_rle_iou_pair, for callers that decode an RLE
 * only when one of its pairs needs it.  detap_rle_box_gate: the box IoU of
 * the toBbox boxes (pycocotools' prefilter; the pair's result when it is
 * not positive).  detap_rle_iou_runs: the result when it is (-1 for
 * different sizes, else intersection / union on the runs); ed / eg: the
 * two RLEs' ends, or NULL (then pycocotools' walk unless both are plain). */
double detap_rle_box_gate(const double dbb[4], const double gbb[4], int crowd);
double detap_rle_iou_runs(const detap_rle *dt, const detap_rle *gt, int crowd,
                          const detap_rle_ends *ed, const detap_rle_ends *eg);

/* pycocotools' iou() for one (detection, GT) pair, given both RLEs' toBbox
 * boxes: 0 when the boxes do not overlap (its bbox prefilter), -1 when the
 * sizes differ, else intersection / union on the runs (union = detection
 * area when crowd).  When one RLE's counts end before the other's
 * (pycocotools loops forever), the rest of the shorter one counts as 0s. */
double detap_rle_iou_pair(const detap_rle *dt, const double dbb[4],
                          const detap_rle *gt, const double gbb[4], int crowd);

/* pycocotools' iou() matrix: o[g * m + d] for detection d < m and GT g < n,
 * as detap_rle_iou_pair; dbb / gbb are the RLEs' toBbox boxes (4 per RLE).
 * crowd may be NULL (no crowd GT). */
void detap_rle_iou(const detap_rle *dt, const double *dbb, size_t m,
                   const detap_rle *gt, const double *gbb, size_t n,
                   const uint8_t *crowd, double *o);

/* pycocotools' bbIou on xywh boxes, same layout as detap_rle_iou. */
void detap_box_iou(const double *dt, size_t m, const double *gt, size_t n,
                   const uint8_t *crowd, double *o);

/* ------------------------------------------------ masks <-> RLE counts */

/* Counts of one mask of npix bytes (column-major) into cnts, which must
 * have room for npix + 1 counts; returns how many were written.  Runs end
 * wherever the byte value changes, so values other than 0 and 1 start runs
 * of their own, as in pycocotools. */
size_t detap_rle_encode(const uint8_t *mask, size_t npix, uint32_t *cnts);

/* Sum of all counts (what decoding would write without a limit). */
uint64_t detap_rle_length(const uint32_t *cnts, size_t m);

/* Writes the 1-runs into out[0 .. npix), which must hold zeros: the runs
 * alternate 0s and 1s from the first pixel.  Runs past npix are cut off;
 * pixels after the last run stay 0. */
void detap_rle_decode(const uint32_t *cnts, size_t m, uint8_t *out, size_t npix);

/* ---------------------------------------------------------------- merge */

/* Room detap_rle_merge needs in its work array for these n RLEs. */
size_t detap_rle_merge_room(const detap_rle *rs, size_t n);

/* pycocotools' merge: union (intersect == 0) or intersection of n RLEs,
 * folded left to right.  The result's counts are written into work (room
 * from detap_rle_merge_room) and *out points into it; n == 1 gives the RLE
 * itself (*out = rs[0]).  n == 0 or any size differing from the first
 * gives a 0 x 0 RLE with no counts.  An RLE whose counts end early counts as 0s after them.
 * Returns DETAP_EVALUE if room is too small. */
int detap_rle_merge(const detap_rle *rs, size_t n, int intersect, uint32_t *work,
                    size_t room, detap_rle *out);

/* ------------------------------------------------- compressed strings */

/* COCO's compressed form of m counts: LEB128-like groups of 5 bits in the
 * characters 48..111, each count stored as the difference to the count two
 * places before (from the fourth count on).  out needs room for 7 * m
 * characters; returns how many were written (no terminating NUL). */
size_t detap_rle_to_string(const uint32_t *cnts, size_t m, char *out);

/* Reads the counts of a compressed string of len bytes (it ends at the
 * first NUL, as pycocotools reads it).  cnts needs room for len counts;
 * *m receives how many were read.  Values whose groups run past 32 bits
 * wrap as in pycocotools' x86-64 build (shift counts taken mod 32).
 * Returns DETAP_EVALUE when the string ends inside a value (its last
 * character asks for more): pycocotools would read past the end. */
int detap_rle_from_string(const char *s, size_t len, uint32_t *cnts, size_t *m);

/* detap_rle_from_string of text the caller has already cut at its first NUL
 * (rle_strings' spans): the same counts, without the search. */
int detap_rle_from_text(const char *s, size_t len, uint32_t *cnts, size_t *m);

/* pycocotools' area (the uint32 sum of the 1-runs) of the RLE whose counts
 * string (already cut at its first NUL) is s[0..len), without storing its
 * counts; DETAP_EVALUE as detap_rle_from_text. */
int detap_rle_text_area(const char *s, size_t len, uint32_t *area);

/* How many counts detap_rle_from_string reads from s[0..len) (the
 * characters before the first NUL without the continuation bit 0x20 of
 * byte - 48); -1 when ascii_only and a byte is 0x80 or above. */
int64_t detap_rle_string_count(const char *s, size_t len, int ascii_only);

/* ------------------------------------------------ polygons and boxes */

/* Upper bound on the counts detap_rle_from_poly writes for k points. */
size_t detap_poly_room(const double *xy, size_t k, uint32_t w);

/* pycocotools' frPoly: the pixels of the polygon with k points
 * xy = [x0 y0 x1 y1 ...] in an h x w mask, as counts in cnts (room from
 * detap_poly_room; *m receives how many).  Returns DETAP_EVALUE when a
 * coordinate is NaN or so large that 5 * x + 0.5 does not fit in an int32
 * (pycocotools' conversion is undefined there), or room is too small. */
int detap_rle_from_poly(const double *xy, size_t k, uint32_t h, uint32_t w,
                        uint32_t *cnts, size_t room, size_t *m);

/* pycocotools' frBbox for one xywh box: the polygon of its four corners.
 * Room: detap_poly_room of those corners (detap_box_room). */
size_t detap_box_room(const double bb[4], uint32_t w);
int detap_rle_from_box(const double bb[4], uint32_t h, uint32_t w, uint32_t *cnts,
                       size_t room, size_t *m);

#endif
