/* The COCO engine's labels of kept detections, packed.
 *
 * A kept detection has one label per (area range, IoU threshold): TP, FP or
 * ignored.  Held as int8 they cost A * T bytes (40 for COCO's 4 x 10), the
 * largest array of a ten-million-detection run; packed, each (detection,
 * area range) is one block of two bit planes of DETAP_LAB_BYTES(T) bytes,
 * TP bits then ignore bits (bit t: byte t / 8, bit t % 8, numpy's
 * packbits(..., bitorder="little")); a label with neither bit is a FP.
 * COCO's labels then take 16 bytes per detection.
 */
#ifndef DETAP_LABELS_H
#define DETAP_LABELS_H

#include <string.h>
#include "detap_common.h"

#define DETAP_LAB_BYTES(T) (((T) + 7) / 8)
/* bytes of one (detection, area range) block */
#define DETAP_LAB_BLOCK(T) (2 * DETAP_LAB_BYTES(T))

/* A whole block from the TP and ignore bit masks of thresholds 0..T-1
 * (T <= 64; bit t: threshold t), written whole: no zeroing, no per-bit
 * read-modify-write (a block is written once per kept detection and area
 * range, 40 million times on a ten-million-detection run). */
static inline void detap_lab_put(uint8_t *blk, size_t T, uint64_t tp, uint64_t ig) {
    size_t H = DETAP_LAB_BYTES(T);
    for (size_t j = 0; j < H; j++) {
        blk[j] = (uint8_t)(tp >> (8 * j));
        blk[H + j] = (uint8_t)(ig >> (8 * j));
    }
}

/* Label v (DETAP_TP / DETAP_FP / DETAP_IGNORE) of threshold t into a block
 * that starts zeroed (any T). */
static inline void detap_lab_set(uint8_t *blk, size_t T, size_t t, int v) {
    uint8_t bit = (uint8_t)(1u << (t & 7));
    if (v == DETAP_TP) blk[t >> 3] |= bit;
    else if (v == DETAP_IGNORE) blk[DETAP_LAB_BYTES(T) + (t >> 3)] |= bit;
}

/* A block whose every threshold has label v. */
static inline void detap_lab_fill(uint8_t *blk, size_t T, int v) {
    size_t H = DETAP_LAB_BYTES(T);
    memset(blk, 0, 2 * H);
    if (v == DETAP_FP || T == 0) return;
    uint8_t *half = blk + (v == DETAP_TP ? 0 : H);
    memset(half, 0xff, H);
    if (T & 7) half[H - 1] = (uint8_t)((1u << (T & 7)) - 1);
}

#endif
