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

/* Label v (DETAP_TP / DETAP_FP / DETAP_IGNORE) of threshold t into a block
 * that starts zeroed. */
static inline void detap_lab_set(uint8_t *blk, size_t T, size_t t, int v) {
    uint8_t bit = (uint8_t)(1u << (t & 7));
    if (v == DETAP_TP) blk[t >> 3] |= bit;
    else if (v == DETAP_IGNORE) blk[DETAP_LAB_BYTES(T) + (t >> 3)] |= bit;
}

/* The label of threshold t: 1 TP, 0 FP, -1 ignored. */
static inline int8_t detap_lab_get(const uint8_t *blk, size_t T, size_t t) {
    int tp = (blk[t >> 3] >> (t & 7)) & 1;
    int ig = (blk[DETAP_LAB_BYTES(T) + (t >> 3)] >> (t & 7)) & 1;
    return (int8_t)(tp - ig);
}

#endif
