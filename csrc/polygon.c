/* Polygon and box rasterisation with pycocotools' frPoly pixels.
 *
 * pycocotools walks the outline on a grid 5 times finer than the pixels:
 * each vertex is scaled by 5 and rounded with (int)(v + .5) (truncation
 * toward zero, so negative values round up), and each edge is stepped one
 * fine unit at a time along its longer axis, the other coordinate rounded
 * the same way.  Wherever two consecutive points differ in x across a
 * pixel column's centre (fine x = 5X + 2 to 5X + 3), column X toggles
 * between outside and inside at the row below the lower point; the sorted
 * toggles are the RLE.
 *
 * Only those centre crossings matter, and their order does not (they are
 * sorted), so this file computes them edge by edge without storing the
 * outline: for edges stepped along x it visits only the columns inside the
 * mask; edges stepped along y are scanned step by step (their x moves by at
 * most one fine unit per step), skipped when they cannot reach a column.
 * Consecutive edges share their end point exactly in x wherever a crossing
 * could count (x >= 0), so edges are independent.
 *
 * Coordinates are taken in int64 once they are known to fit int32 after
 * scaling; pycocotools' int arithmetic agrees wherever it does not
 * overflow.
 */
#include <math.h>
#include <stdlib.h>
#include "mask.h"

#define FINE 5 /* fine grid units per pixel */

/* pycocotools' scaled vertex (int)(5 * v + .5); DETAP_EVALUE where that
 * conversion is undefined in C (NaN, or outside int32). */
static int fine_coord(double v, int64_t *out) {
    double s = FINE * v + .5;
    if (!(s > -2147483649. && s < 2147483648.)) return DETAP_EVALUE;
    *out = (int64_t)s;
    return DETAP_OK;
}

/* The toggles found so far, and the mask they belong to. */
typedef struct {
    uint32_t *a;
    size_t n, room;
    uint32_t h;
    double hd;    /* h, as the double pycocotools clamps rows to */
    double xmax;  /* w - 1 as pycocotools compares it: w - 1 in unsigned
                     long, so w == 0 lets every column x >= 0 through */
    int64_t cmax; /* the largest column index xmax allows, as an integer */
} toggles;

/* Consecutive outline points (up, vp) then (uc, vc), in pycocotools' order
 * of generation: record the toggle they make, if any. */
static int crossing(toggles *t, int64_t up, int64_t vp, int64_t uc, int64_t vc) {
    if (uc == up) return DETAP_OK;
    double xd = (double)(uc < up ? uc : uc - 1);
    xd = (xd + .5) / FINE - .5;
    if (floor(xd) != xd || xd < 0 || xd > t->xmax) return DETAP_OK;
    double yd = (double)(vc < vp ? vc : vp);
    yd = (yd + .5) / FINE - .5;
    if (yd < 0)
        yd = 0;
    else if (yd > t->hd)
        yd = t->hd;
    yd = ceil(yd);
    if (t->n == t->room) return DETAP_EVALUE;
    /* pycocotools: (uint)(x * (int)h + y) in int, i.e. mod 2^32 */
    t->a[t->n++] = (uint32_t)(int64_t)xd * t->h + (uint32_t)(int64_t)yd;
    return DETAP_OK;
}

/* (int)(a + s * t + .5), pycocotools' rounding of a point on an edge; the
 * value lies between the edge's ends, so it fits. */
static int64_t on_edge(int64_t a, double s, int64_t t) {
    return (int64_t)((double)a + s * (double)t + .5);
}

/* An edge stepped along x, from its left end (xs, ys), dx >= |ye - ys|
 * steps: point t is (xs + t, on_edge(ys, s, t)).  The pair (t, t + 1)
 * crosses a centre when xs + t = 5X + 2 for a column 0 <= X <= cmax, so
 * only those t are visited (crossing() applies pycocotools' own test). */
static int edge_along_x(toggles *tg, int64_t xs, int64_t ys, int64_t ye, int64_t dx) {
    double s = (double)(ye - ys) / (double)dx;
    int64_t lo = xs > 2 ? xs : 2;                        /* lowest fine x of a centre */
    int64_t hi = xs + dx - 1;                            /* last pair's left point */
    int64_t top = FINE * tg->cmax + 2;
    if (hi > top) hi = top;
    int64_t first = lo + ((2 - lo) % FINE + FINE) % FINE; /* next value = 2 mod 5 */
    for (int64_t u = first; u <= hi; u += FINE) {
        int64_t t = u - xs;
        int rc = crossing(tg, u, on_edge(ys, s, t), u + 1, on_edge(ys, s, t + 1));
        if (rc != DETAP_OK) return rc;
    }
    return DETAP_OK;
}

/* An edge stepped along y, from its lower end (xs, ys), dy > |xe - xs|
 * steps: point t is (on_edge(xs, s, t), ys + t).  pycocotools generates the
 * points from the original start, so a flipped edge's pairs come in the
 * other order (it matters only if x were to jump by 2, which |s| < 1
 * rules out, but the order costs nothing to keep). */
static int edge_along_y(toggles *tg, int64_t xs, int64_t xe, int64_t ys, int64_t dy, int flip) {
    /* x stays within one fine unit of [min, max] of its ends */
    int64_t umin = (xs < xe ? xs : xe) - 1, umax = (xs < xe ? xe : xs) + 1;
    if (umax < 3 || umin > FINE * tg->cmax + 2) return DETAP_OK;
    double s = (double)(xe - xs) / (double)dy;
    int64_t u0 = on_edge(xs, s, 0);
    for (int64_t t = 0; t < dy; t++) {
        int64_t u1 = on_edge(xs, s, t + 1);
        if (u1 != u0) {
            int rc = flip ? crossing(tg, u1, ys + t + 1, u0, ys + t)
                          : crossing(tg, u0, ys + t, u1, ys + t + 1);
            if (rc != DETAP_OK) return rc;
        }
        u0 = u1;
    }
    return DETAP_OK;
}

/* One edge from (xs, ys) to (xe, ye), fine coordinates.  pycocotools steps
 * along the longer axis (x on ties) from the end with the smaller
 * coordinate on it.  A zero-length edge is one point: no pair. */
static int edge(toggles *tg, int64_t xs, int64_t ys, int64_t xe, int64_t ye) {
    int64_t dx = llabs(xe - xs), dy = llabs(ye - ys);
    int flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
        int64_t t = xs; xs = xe; xe = t;
        t = ys; ys = ye; ye = t;
    }
    if (dx >= dy) return dx == 0 ? DETAP_OK : edge_along_x(tg, xs, ys, ye, dx);
    return edge_along_y(tg, xs, xe, ys, dy, flip);
}

/* Largest column index a crossing may have (see toggles.xmax). */
static int64_t column_cap(uint32_t w) { return w ? (int64_t)w - 1 : (int64_t)1 << 40; }

size_t detap_poly_room(const double *xy, size_t k, uint32_t w) {
    /* an edge spanning dx fine units crosses at most dx / 5 + 2 centres
     * (x may overshoot its ends by one unit), and at most one per column */
    size_t room = 2;
    int64_t cols = column_cap(w) + 1;
    for (size_t j = 0; j < k; j++) {
        int64_t x0, x1;
        size_t next = j + 1 < k ? j + 1 : 0;
        if (fine_coord(xy[2 * j], &x0) != DETAP_OK || fine_coord(xy[2 * next], &x1) != DETAP_OK)
            continue; /* detap_rle_from_poly refuses it */
        int64_t n = llabs(x1 - x0) / FINE + 2;
        room += (size_t)(n < cols ? n : cols);
    }
    return room;
}

/* Sorted toggle positions (with h * w appended) to counts, in place:
 * differences between consecutive positions, where a zero difference (two
 * toggles at one pixel) cancels by joining its neighbours, as pycocotools
 * does.  Returns the number of counts. */
static size_t toggles_to_counts(uint32_t *a, size_t k) {
    uint32_t prev = 0;
    for (size_t j = 0; j < k; j++) {
        uint32_t t = a[j];
        a[j] -= prev;
        prev = t;
    }
    size_t m = 1, j = 1;
    while (j < k) {
        if (a[j] > 0) {
            a[m++] = a[j++];
        } else {
            j++;
            if (j < k) a[m - 1] += a[j++];
        }
    }
    return m;
}

static int u32_order(const void *p, const void *q) {
    uint32_t a = *(const uint32_t *)p, b = *(const uint32_t *)q;
    return (a > b) - (a < b);
}

int detap_rle_from_poly(const double *xy, size_t k, uint32_t h, uint32_t w,
                        uint32_t *cnts, size_t room, size_t *m) {
    toggles tg = {cnts, 0, room, h, (double)h, w ? (double)(w - 1) : (double)UINT64_MAX,
                  column_cap(w)};
    if (room == 0) return DETAP_EVALUE;
    tg.room = room - 1; /* keep one slot for the end marker */
    for (size_t j = 0; j < k; j++) {
        size_t next = j + 1 < k ? j + 1 : 0;
        int64_t xs, ys, xe, ye;
        if (fine_coord(xy[2 * j], &xs) || fine_coord(xy[2 * j + 1], &ys) ||
            fine_coord(xy[2 * next], &xe) || fine_coord(xy[2 * next + 1], &ye))
            return DETAP_EVALUE;
        int rc = edge(&tg, xs, ys, xe, ye);
        if (rc != DETAP_OK) return rc;
    }
    cnts[tg.n++] = (uint32_t)((uint64_t)h * w);
    qsort(cnts, tg.n, sizeof *cnts, u32_order);
    *m = toggles_to_counts(cnts, tg.n);
    return DETAP_OK;
}

size_t detap_box_room(const double bb[4], uint32_t w) {
    double xy[8] = {bb[0], bb[1], bb[0], bb[1], bb[0] + bb[2], bb[1], bb[0] + bb[2], bb[1]};
    return detap_poly_room(xy, 4, w);
}

int detap_rle_from_box(const double bb[4], uint32_t h, uint32_t w, uint32_t *cnts,
                       size_t room, size_t *m) {
    /* pycocotools' corner order: (xs, ys) (xs, ye) (xe, ye) (xe, ys) */
    double xs = bb[0], xe = xs + bb[2], ys = bb[1], ye = ys + bb[3];
    double xy[8] = {xs, ys, xs, ye, xe, ye, xe, ys};
    return detap_rle_from_poly(xy, 4, h, w, cnts, room, m);
}
