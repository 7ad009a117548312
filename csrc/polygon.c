/* Polygon and box rasterisation with pycocotools' frPoly pixels.
 *
 * pycocotools walks the outline on a grid 5 times finer than the pixels:
 * each vertex is scaled by 5 and rounded with (int)(v + .5) (truncation
 * toward zero, so negative values round up), and each edge is stepped one
 * fine unit at a time along its longer axis, the other coordinate rounded
 * the same way.  Wherever two consecutive points differ in x across a
 * pixel column's centre (fine x = 5X + 2 to 5X + 3), column X toggles
 * between outside and inside from the first row whose centre (fine y =
 * 5Y + 2) is not above the pair's lower y; the sorted toggles are the RLE.
 *
 * Only those centre crossings matter, and their order does not (they are
 * sorted), so this file computes them edge by edge without storing the
 * outline: for edges stepped along x it visits only the columns inside the
 * mask; for edges stepped along y only the steps where x changes, near the
 * mask's columns.
 * Consecutive edges share their end point exactly in x wherever a crossing
 * could count (x >= 0), so edges are independent.
 *
 * Coordinates are taken in int64 once they are known to fit int32 after
 * scaling; pycocotools' int arithmetic agrees wherever it does not
 * overflow.
 */
#include <stdlib.h>
#include <string.h>
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
    int64_t cmax; /* the largest column: w - 1, or for w == 0 any column
                     (pycocotools compares with w - 1 in unsigned long) */
} toggles;

/* Consecutive outline points (up, vp) then (uc, vc), in pycocotools' order
 * of generation: record the toggle they make, if any.
 *
 * pycocotools decides in doubles: with x = uc when x decreases and uc - 1
 * when it increases (the lower of the two when they differ by one),
 * xd = (x + .5) / 5 - .5 must be a whole number in [0, w - 1];
 * then the row is ceil(yd) for yd = (y + .5) / 5 - .5, y the lower fine y,
 * clamped to [0, h].  For whole numbers n of magnitude below 2^51,
 * (n + .5) / 5 - .5 is exactly (n - 2) / 5 when n = 5k + 2 and otherwise at
 * least 0.2 away from any whole number, far more than the rounding error;
 * so these tests are exactly the integer ones below: x = 5X + 2 with
 * 0 <= X <= cmax, and the row clamp(ceil((y - 2) / 5), 0, h). */
static int crossing(toggles *t, int64_t up, int64_t vp, int64_t uc, int64_t vc) {
    if (uc == up) return DETAP_OK;
    int64_t x = (uc < up ? uc : uc - 1) - 2;
    if (x < 0 || x % FINE != 0 || x / FINE > t->cmax) return DETAP_OK;
    int64_t y = (vc < vp ? vc : vp) - 2;
    int64_t row = y <= 0 ? 0 : (y + FINE - 1) / FINE;
    if (row > (int64_t)t->h) row = t->h;
    if (t->n == t->room) return DETAP_EVALUE;
    /* pycocotools: (uint)(x * (int)h + y) in int, i.e. mod 2^32 */
    t->a[t->n++] = (uint32_t)(x / FINE) * t->h + (uint32_t)row;
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

/* Whether the fine x u has passed `bound` in an edge's direction (>= when
 * x increases, <= when it decreases). */
static inline int reached(int up, int64_t u, int64_t bound) { return up ? u >= bound : u <= bound; }

/* An edge stepped along y, from its lower end (xs, ys), dy > |xe - xs|
 * steps: point t is (on_edge(xs, s, t), ys + t).  |s| < 1, so x moves by
 * at most one fine unit a step, monotonically: a pair crosses a column's
 * centre (fine x 5X + 2 to 5X + 3) at the one step where x passes it.  So
 * each column between the ends is visited once: the step is estimated
 * from the line and corrected on on_edge itself (exact, as x is monotone
 * in t).  pycocotools generates the points from the original start, so a
 * flipped edge's pair comes in the other order (crossing() takes both). */
static int edge_along_y(toggles *tg, int64_t xs, int64_t xe, int64_t ys, int64_t dy, int flip) {
    if (xe == xs) return DETAP_OK; /* x never changes */
    int up = xe > xs;
    double s = (double)(xe - xs) / (double)dy;
    int64_t u_first = on_edge(xs, s, 0), u_last = on_edge(xs, s, dy);
    int64_t ulo = up ? u_first : u_last, uhi = up ? u_last : u_first;
    /* columns X whose centre pair (5X + 2, 5X + 3) lies within [ulo, uhi] */
    int64_t X0 = ulo <= 2 ? 0 : (ulo - 2 + FINE - 1) / FINE;
    int64_t X1 = uhi < 3 ? -1 : (uhi - 3) / FINE;
    if (X1 > tg->cmax) X1 = tg->cmax;
    for (int64_t k = 0; k <= X1 - X0; k++) {
        int64_t X = up ? X0 + k : X1 - k;
        /* the first step t at which x has passed the centre */
        int64_t bound = up ? FINE * X + 3 : FINE * X + 2;
        double est = ((double)bound + (up ? -.5 : .5) - (double)xs) / s;
        int64_t t = est <= 1 ? 1 : est >= (double)dy ? dy : (int64_t)est;
        while (t > 1 && reached(up, on_edge(xs, s, t - 1), bound)) t--;
        while (t < dy && !reached(up, on_edge(xs, s, t), bound)) t++;
        int64_t u0 = on_edge(xs, s, t - 1), u1 = on_edge(xs, s, t);
        if (reached(up, u0, bound) || !reached(up, u1, bound)) continue; /* (cannot happen) */
        int rc = flip ? crossing(tg, u1, ys + t, u0, ys + t - 1)
                      : crossing(tg, u0, ys + t - 1, u1, ys + t);
        if (rc != DETAP_OK) return rc;
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

/* Largest column index a crossing may have (see toggles.cmax); fine
 * coordinates fit in int32, so 2^40 is "any". */
static int64_t column_cap(uint32_t w) { return w ? (int64_t)w - 1 : (int64_t)1 << 40; }

size_t detap_poly_room(const double *xy, size_t k, uint32_t w) {
    /* an edge spanning dx fine units crosses at most dx / 5 + 2 centres
     * (x may overshoot its ends by one unit), and at most one per column;
     * the room is doubled for the sort's scratch */
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
    return 2 * room;
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

/* Ascending sort of a[0 .. n) using tmp[0 .. n): LSD radix sort, a byte a
 * pass, skipping bytes on which all values agree. */
static void radix_u32(uint32_t *a, uint32_t *tmp, size_t n) {
    size_t count[4][256] = {{0}};
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 4; b++) count[b][(a[i] >> (8 * b)) & 0xff]++;
    uint32_t *src = a, *dst = tmp;
    for (int b = 0; b < 4; b++) {
        size_t *c = count[b];
        if (c[(a[0] >> (8 * b)) & 0xff] == n) continue; /* one value for this byte */
        size_t at = 0;
        for (int k = 0; k < 256; k++) {
            size_t here = c[k];
            c[k] = at;
            at += here;
        }
        for (size_t i = 0; i < n; i++) dst[c[(src[i] >> (8 * b)) & 0xff]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

static void insertion_u32(uint32_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
        a[j] = v;
    }
}

#define BUCKET_MAX 32 /* a fuller bucket: the radix sort instead */
#define BUCKET_BITS 12 /* at most 4096 buckets (16 KiB of counts on the stack) */

/* Ascending sort of a[0 .. n) using tmp[0 .. n).  A polygon's toggles
 * spread over its columns, a few per column, so one counting pass into
 * about n buckets of the value range and an insertion sort per bucket
 * beat a radix sort's passes; crowded buckets fall back to it. */
static void sort_u32(uint32_t *a, uint32_t *tmp, size_t n) {
    if (n < 64) {
        insertion_u32(a, n);
        return;
    }
    uint32_t lo = a[0], hi = a[0];
    for (size_t i = 1; i < n; i++) {
        lo = a[i] < lo ? a[i] : lo;
        hi = a[i] > hi ? a[i] : hi;
    }
    unsigned shift = 0, nb_bits = 0;
    while (((size_t)1 << nb_bits) < n && nb_bits < BUCKET_BITS) nb_bits++;
    while (((uint64_t)(hi - lo) >> shift) >= ((uint64_t)1 << nb_bits)) shift++;
    size_t nb = ((size_t)(hi - lo) >> shift) + 1;
    uint32_t count[((size_t)1 << BUCKET_BITS) + 1];
    memset(count, 0, (nb + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) count[((a[i] - lo) >> shift) + 1]++;
    for (size_t k = 1; k <= nb; k++) {
        if (count[k] > BUCKET_MAX) {
            radix_u32(a, tmp, n);
            return;
        }
        count[k] += count[k - 1];
    }
    for (size_t i = 0; i < n; i++) tmp[count[(a[i] - lo) >> shift]++] = a[i];
    /* count[k] is now bucket k's end */
    size_t start = 0;
    for (size_t k = 0; k < nb; k++) {
        insertion_u32(tmp + start, count[k] - start);
        start = count[k];
    }
    memcpy(a, tmp, n * sizeof *a);
}

int detap_rle_from_poly(const double *xy, size_t k, uint32_t h, uint32_t w,
                        uint32_t *cnts, size_t room, size_t *m) {
    toggles tg = {cnts, 0, 0, h, column_cap(w)};
    size_t half = room / 2; /* toggles, then the sort's scratch */
    if (half == 0) return DETAP_EVALUE;
    tg.room = half - 1; /* keep one slot for the end marker */
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
    sort_u32(cnts, cnts + half, tg.n);
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
