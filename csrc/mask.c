/* RLE queries, encoding, merging and the compressed string form; the
 * polygon rasteriser is in polygon.c.  Arithmetic on counts is uint32
 * throughout, as in pycocotools, so that wrap-around gives its values. */
#include <stdlib.h>
#include <string.h>
/* (x86-64 only: _mm_cvtsi64_si128 moves a 64-bit word) */
#if defined(__SSE2__) && defined(__x86_64__) && !defined(DETAP_NO_SIMD)
#include <emmintrin.h>
#define DETAP_RLE_SSE2 1
#endif
#include "mask.h"
#include "iou.h"

static uint32_t u32_min(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t u32_max(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* ============================================================ queries */

/* p / h for every uint32 p, by a multiply-high instead of a division: m
 * = ceil(2^64 / h) (h >= 2) gives floor(p / h) = floor(m p / 2^64) for all
 * p < 2^32 (Lemire, Kaser & Kurz 2019, "Faster remainder by direct
 * computation", theorem 1 with F = 64, N = 32); h == 1 has m = 0 and the
 * quotient p. */
static inline uint64_t udiv32_of(uint32_t h) { return h > 1 ? UINT64_MAX / h + 1 : 0; }

static inline uint32_t udiv32_div(uint64_t m, uint32_t p) {
#if defined(__SIZEOF_INT128__)
    uint32_t q = (uint32_t)(((unsigned __int128)m * p) >> 64);
#else
    uint64_t lo = (m & 0xFFFFFFFFu) * p, hi = (m >> 32) * p;
    uint32_t q = (uint32_t)((hi + (lo >> 32)) >> 32);
#endif
    return m ? q : p;
}

void detap_rle_bbox(const detap_rle *r, double bb[4]) {
    uint32_t h = r->h, w = r->w;
    size_t m = r->m - r->m % 2; /* an unpaired last count is a 0-run: no pixels */
    if (m == 0) {
        bb[0] = bb[1] = bb[2] = bb[3] = 0;
        return;
    }
    uint32_t xs = w, ys = h, xe = 0, ye = 0, end = 0;
    if (h == 0) m = 0; /* no pixel has a row: the box stays (w, h, 0 - w + 1, ...) */
    uint64_t d = udiv32_of(h); /* (h == 0 never divides: no row, no run) */
    /* no branch on where a run starts or ends (as random as the masks):
     * the column by a multiply, the row by the remainder */
    for (size_t j = 0; j < m; j += 2) { /* a 0-run, then a 1-run */
        uint32_t start = end + r->cnts[j];
        end = start + r->cnts[j + 1];
        if (r->cnts[j + 1] == 0) continue;
        uint32_t last = end - 1;
        uint32_t x0 = udiv32_div(d, start), y0 = start - x0 * h;
        uint32_t x1 = udiv32_div(d, last), y1 = last - x1 * h;
        xs = u32_min(xs, x0);
        xe = u32_max(xe, x1);
        /* a run that wraps into a later column covers every row */
        int wraps = x0 < x1;
        ys = u32_min(ys, wraps ? 0 : y0);
        ye = u32_max(ye, wraps ? h - 1 : y1);
    }
    /* widths in uint32: with no non-empty 1-run they wrap, as pycocotools' do */
    bb[0] = xs;
    bb[1] = ys;
    bb[2] = (uint32_t)(xe - xs + 1);
    bb[3] = (uint32_t)(ye - ys + 1);
}

uint64_t detap_rle_area(const detap_rle *r) {
    uint64_t a = 0;
    for (size_t j = 1; j < r->m; j += 2) a += r->cnts[j];
    return a;
}

/* ------------------------------------------------ walking two RLEs at once */

/* Position in one RLE: `left` pixels remain in the current run, whose value
 * is `on`; `next` is the index of the following count. */
typedef struct {
    const uint32_t *cnts;
    size_t m, next;
    uint32_t left;
    int on;
} cursor;

static void cursor_init(cursor *c, const detap_rle *r) {
    c->cnts = r->cnts;
    c->m = r->m;
    c->next = 1;
    c->left = r->m ? r->cnts[0] : 0;
    c->on = 0;
}

/* Consume n pixels; an emptied run gives way to the next count (which may
 * itself be 0: the following step then consumes nothing and moves on). */
static void cursor_take(cursor *c, uint32_t n) {
    c->left -= n;
    if (!c->left && c->next < c->m) {
        c->left = c->cnts[c->next++];
        c->on = !c->on;
    }
}

static int cursor_done(const cursor *c) { return !c->left && c->next >= c->m; }

/* When one RLE is used up while the other still has pixels,
 * pycocotools' loop never ends (it consumes 0 pixels forever); here the
 * used-up one goes on as 0s alongside the other's run.  Called wherever
 * that state can arise, before the next run's value is read.  The state
 * arises only when the two lengths differ, so results are unchanged
 * wherever pycocotools returns. */
static void pad_shorter(cursor *a, cursor *b) {
    if (cursor_done(a) && b->left) {
        a->left = b->left;
        a->on = 0;
    } else if (cursor_done(b) && a->left) {
        b->left = a->left;
        b->on = 0;
    }
}

/* Consume the pixels both current runs still have; returns the pixels
 * left in both afterwards, summed in uint32 (pycocotools stops when that
 * is 0, wrap-around included). */
static uint32_t joint_take(cursor *a, cursor *b, uint32_t c) {
    cursor_take(a, c);
    cursor_take(b, c);
    uint32_t ct = a->left + b->left;
    pad_shorter(a, b);
    return ct;
}

/* Intersection and union of two RLEs, in pycocotools' uint32 arithmetic.
 * The loop stops when the pixels left in both runs add up to 0 in uint32. */
static void overlap(const detap_rle *dt, const detap_rle *gt, uint32_t *inter, uint32_t *uni) {
    cursor a, b;
    cursor_init(&a, dt);
    cursor_init(&b, gt);
    uint32_t i = 0, u = 0, ct = 1;
    pad_shorter(&a, &b);
    while (ct > 0) {
        uint32_t c = u32_min(a.left, b.left);
        if (a.on || b.on) {
            u += c;
            if (a.on && b.on) i += c;
        }
        ct = joint_take(&a, &b, c);
    }
    *inter = i;
    *uni = u;
}

double detap_rle_box_gate(const double dbb[4], const double gbb[4], int crowd) {
    /* pycocotools computes the box IoU first and keeps it where it is not
     * positive */
    return detap_iou_coco_pair(dbb, detap_area_coco(dbb), gbb, detap_area_coco(gbb), crowd);
}

int detap_rle_ends_of(const detap_rle *r, uint32_t *buf, detap_rle_ends *out) {
    uint64_t n = (uint64_t)r->h * r->w, sum = 0, area = 0;
    uint32_t low = UINT32_MAX; /* the least count after the first */
    out->ends = NULL;
    if (r->m == 0 || n >= ((uint64_t)1 << 31)) return 0;
    sum = buf[0] = r->cnts[0];
    size_t j = 1;
    for (; j + 1 < r->m; j += 2) { /* (a 1-run, then a 0-run) */
        uint32_t c1 = r->cnts[j], c0 = r->cnts[j + 1];
        low = c1 < low ? c1 : low;
        low = c0 < low ? c0 : low;
        area += c1;
        buf[j] = (uint32_t)(sum += c1); /* (sums below 2^32: checked at the end) */
        buf[j + 1] = (uint32_t)(sum += c0);
        if (sum > n) return 0;
    }
    if (j < r->m) {
        uint32_t c1 = r->cnts[j];
        low = c1 < low ? c1 : low;
        area += c1;
        buf[j] = (uint32_t)(sum += c1);
    }
    if (low == 0 || sum != n) return 0;
    out->ends = buf;
    out->m = r->m;
    out->area = area;
    return 1;
}

/* The first 1-run k of ends (n 1-runs) that ends after position x; n if none. */
static size_t first_ending_after(const uint32_t *ends, size_t n, uint32_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ends[2 * mid + 1] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The pixels two plain RLEs of one size both cover: their 1-runs as
 * intervals, merged from where both masks start to where either ends. */
static uint32_t ends_intersection(const detap_rle_ends *a, const detap_rle_ends *b) {
    const uint32_t *A = a->ends, *B = b->ends;
    size_t na = a->m / 2, nb = b->m / 2; /* an unpaired last count is a 0-run */
    if (!na || !nb) return 0;
    size_t i = first_ending_after(A, na, B[0]), k = first_ending_after(B, nb, A[0]);
    uint32_t inter = 0;
    while (i < na && k < nb) {
        uint32_t as = A[2 * i], ae = A[2 * i + 1], bs = B[2 * k], be = B[2 * k + 1];
        uint32_t lo = as > bs ? as : bs, hi = ae < be ? ae : be;
        inter += hi > lo ? hi - lo : 0;
        if (ae <= be)
            i++;
        else
            k++;
    }
    return inter;
}

double detap_rle_iou_runs(const detap_rle *dt, const detap_rle *gt, int crowd,
                          const detap_rle_ends *ed, const detap_rle_ends *eg) {
    if (dt->h != gt->h || dt->w != gt->w) return -1;
    uint32_t i, u;
    if (ed && eg && ed->ends && eg->ends) {
        i = ends_intersection(ed, eg);
        u = (uint32_t)(ed->area + eg->area - i);
    } else {
        overlap(dt, gt, &i, &u);
    }
    if (i == 0)
        u = 1;
    else if (crowd)
        u = (uint32_t)(ed && ed->ends ? ed->area : detap_rle_area(dt));
    return (double)i / (double)u;
}

double detap_rle_iou_pair(const detap_rle *dt, const double dbb[4],
                          const detap_rle *gt, const double gbb[4], int crowd) {
    double o = detap_rle_box_gate(dbb, gbb, crowd);
    return o > 0 ? detap_rle_iou_runs(dt, gt, crowd, NULL, NULL) : o;
}

void detap_rle_iou(const detap_rle *dt, const double *dbb, size_t m,
                   const detap_rle *gt, const double *gbb, size_t n,
                   const uint8_t *crowd, double *o) {
    /* each RLE's run ends once (without memory: pycocotools' walk) */
    size_t room = 1;
    for (size_t j = 0; j < m + n; j++) room += (j < m ? dt[j].m : gt[j - m].m);
    detap_rle_ends *e = malloc((m + n) * sizeof *e + 1);
    uint32_t *buf = malloc(room * sizeof *buf);
    if (e && buf) {
        size_t at = 0;
        for (size_t j = 0; j < m + n; j++) {
            const detap_rle *r = j < m ? dt + j : gt + (j - m);
            detap_rle_ends_of(r, buf + at, e + j);
            at += r->m;
        }
    }
    for (size_t g = 0; g < n; g++) {
        int c = crowd != NULL && crowd[g];
        for (size_t d = 0; d < m; d++) {
            double v = detap_rle_box_gate(dbb + 4 * d, gbb + 4 * g, c);
            if (v > 0)
                v = detap_rle_iou_runs(dt + d, gt + g, c, e && buf ? e + d : NULL,
                                       e && buf ? e + m + g : NULL);
            o[g * m + d] = v;
        }
    }
    free(e);
    free(buf);
}

void detap_box_iou(const double *dt, size_t m, const double *gt, size_t n,
                   const uint8_t *crowd, double *o) {
    for (size_t g = 0; g < n; g++) {
        const double *G = gt + 4 * g;
        double ga = detap_area_coco(G);
        int c = crowd != NULL && crowd[g];
        for (size_t d = 0; d < m; d++) {
            const double *D = dt + 4 * d;
            o[g * m + d] = detap_iou_coco_pair(D, detap_area_coco(D), G, ga, c);
        }
    }
}

/* ================================================ masks <-> RLE counts */

/* Length of the run of byte v at the start of p[0 .. n), compared 8 bytes
 * at a time (masks are mostly long runs). */
static size_t run_length(const uint8_t *p, size_t n, uint8_t v) {
    uint64_t all_v = v * UINT64_C(0x0101010101010101), word;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&word, p + i, 8);
        if (word != all_v) break;
    }
    while (i < n && p[i] == v) i++;
    return i;
}

size_t detap_rle_encode(const uint8_t *mask, size_t npix, uint32_t *cnts) {
    size_t k = 0, j = 0;
    uint8_t value = 0; /* the first run is of 0s, possibly empty */
    for (;;) {
        size_t run = run_length(mask + j, npix - j, value);
        cnts[k++] = (uint32_t)run; /* pycocotools counts in uint32 too */
        j += run;
        if (j >= npix) return k;
        value = mask[j];
    }
}

uint64_t detap_rle_length(const uint32_t *cnts, size_t m) {
    uint64_t n = 0;
    for (size_t j = 0; j < m; j++) n += cnts[j];
    return n;
}

void detap_rle_decode(const uint32_t *cnts, size_t m, uint8_t *out, size_t npix) {
    size_t at = 0;
    for (size_t j = 0; j < m && at < npix; j++) {
        size_t run = cnts[j] < npix - at ? cnts[j] : npix - at;
        if (j % 2) memset(out + at, 1, run);
        at += run;
    }
}

/* ================================================================ merge */

size_t detap_rle_merge_room(const detap_rle *rs, size_t n) {
    /* one fold step gives at most m_a + m_b + 1 counts (a count ends only
     * where an input run ends, at the end, or once where a used-up RLE
     * turns to 0s), so every partial result fits in sum(m) + n + 1; the
     * fold alternates between two such halves */
    size_t total = n + 1;
    for (size_t i = 0; i < n; i++) total += rs[i].m;
    return 2 * total;
}

/* One fold step of pycocotools' merge: a run ends where the combined value
 * changes, and the last one where both inputs end. */
static int merge_pair(const detap_rle *ra, const detap_rle *rb, int intersect, uint32_t *dst,
                      size_t room, size_t *k) {
    cursor a, b;
    cursor_init(&a, ra);
    cursor_init(&b, rb);
    uint32_t run = 0, ct = 1;
    int v = 0;
    size_t m = 0;
    pad_shorter(&a, &b);
    while (ct > 0) {
        uint32_t c = u32_min(a.left, b.left);
        run += c;
        ct = joint_take(&a, &b, c);
        int before = v;
        v = intersect ? (a.on && b.on) : (a.on || b.on);
        if (v != before || ct == 0) {
            if (m == room) return DETAP_EVALUE;
            dst[m++] = run;
            run = 0;
        }
    }
    *k = m;
    return DETAP_OK;
}

int detap_rle_merge(const detap_rle *rs, size_t n, int intersect, uint32_t *work,
                    size_t room, detap_rle *out) {
    out->h = out->w = 0;
    out->m = 0;
    out->cnts = work;
    if (n == 0) return DETAP_OK;
    for (size_t i = 1; i < n; i++)
        if (rs[i].h != rs[0].h || rs[i].w != rs[0].w) return DETAP_OK;
    detap_rle acc = rs[0];
    size_t half = room / 2;
    for (size_t i = 1; i < n; i++) {
        uint32_t *dst = work + (i % 2) * half;
        size_t k;
        if (merge_pair(&acc, rs + i, intersect, dst, half, &k) != DETAP_OK) return DETAP_EVALUE;
        acc.cnts = dst;
        acc.m = k;
    }
    *out = acc;
    return DETAP_OK;
}

/* =================================================== compressed strings */

size_t detap_rle_to_string(const uint32_t *cnts, size_t m, char *out) {
    size_t p = 0;
    for (size_t i = 0; i < m; i++) {
        int64_t x = (int64_t)cnts[i];
        if (i > 2) x -= (int64_t)cnts[i - 2];
        int more = 1;
        while (more) {
            int64_t c = x & 0x1f;
            x = (x - c) / 32; /* floor(x / 32), an arithmetic shift written portably */
            /* stop once the rest is the sign extension of bit 4 of c */
            more = (c & 0x10) ? x != -1 : x != 0;
            if (more) c |= 0x20;
            out[p++] = (char)(c + 48);
        }
    }
    return p;
}

int64_t detap_rle_string_count(const char *s, size_t len, int ascii_only) {
    const char *nul = memchr(s, 0, len);
    if (nul) len = (size_t)(nul - s);
    /* one pass the compiler vectorises: no branch per byte */
    const unsigned char *u = (const unsigned char *)s;
    int64_t k = 0;
    unsigned char high = 0;
    for (size_t j = 0; j < len; j++) {
        k += !(((unsigned char)(u[j] - 48u)) & 0x20);
        high |= u[j];
    }
    return ascii_only && (high & 0x80) ? -1 : k;
}

/* Eight one-character values at once.  Mask results are mostly short runs
 * (about 1.1 characters a value in COCO-like data), so a word of eight
 * characters none of which asks for more is the common case: each is its
 * own 5-bit signed value, added to the value two places before. */
#define LOW6 UINT64_C(0x3f3f3f3f3f3f3f3f)
#define MORE8 UINT64_C(0x2020202020202020)
#define SIXTEEN8 UINT64_C(0x1010101010101010)

/* (byte - 48) & 0x3f of the eight bytes of a little-endian word, each in
 * its own byte: -48 is +16 modulo 64, and no byte carries into the next */
static inline uint64_t digits8(const char *s) {
    uint64_t w;
    memcpy(&w, s, 8);
    return ((w & LOW6) + SIXTEEN8) & LOW6;
}

#ifdef DETAP_RLE_SSE2
/* singles() for all eight characters of c (none asks for more), in SSE2
 * (part of every x86-64 CPU): the eight signed 5-bit values in 32-bit
 * lanes, then the sums two places apart in two shift-and-add steps, then
 * the last two values before them added to the even and the odd lanes.
 * uint32 lanes wrap as singles()' arithmetic does. */
static inline void singles8(uint64_t c, uint32_t *cnts, uint32_t *p1, uint32_t *p2) {
    /* bit 4 flipped: value + 16, in [0, 32) */
    __m128i b = _mm_cvtsi64_si128((long long)(c ^ SIXTEEN8));
    __m128i v16 = _mm_sub_epi16(_mm_unpacklo_epi8(b, _mm_setzero_si128()), _mm_set1_epi16(16));
    __m128i lo = _mm_srai_epi32(_mm_unpacklo_epi16(v16, v16), 16);
    __m128i hi = _mm_srai_epi32(_mm_unpackhi_epi16(v16, v16), 16);
    lo = _mm_add_epi32(lo, _mm_slli_si128(lo, 8));
    hi = _mm_add_epi32(hi, _mm_slli_si128(hi, 8));
    hi = _mm_add_epi32(hi, _mm_shuffle_epi32(lo, 0xEE)); /* lanes 2, 3, 2, 3 */
    __m128i base = _mm_set_epi32((int)*p1, (int)*p2, (int)*p1, (int)*p2);
    lo = _mm_add_epi32(lo, base);
    hi = _mm_add_epi32(hi, base);
    _mm_storeu_si128((__m128i *)cnts, lo);
    _mm_storeu_si128((__m128i *)(cnts + 4), hi);
    *p2 = (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi32(hi, 2));
    *p1 = (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi32(hi, 3));
}
#endif

/* cnts[j] = the j-th one-character value of c (j < k) plus the value two
 * places before it; *p1, *p2 the last two values written. */
static inline void singles(uint64_t c, unsigned k, uint32_t *cnts, uint32_t *p1, uint32_t *p2) {
    uint32_t a = *p2, b = *p1;
    for (unsigned j = 0; j < k; j++) {
        uint32_t d = (uint32_t)((c >> (8 * j)) & 0x1f);
        uint32_t v = (d ^ 0x10u) - 0x10u + a; /* sign of bit 4, then the delta */
        cnts[j] = v;
        a = b;
        b = v;
    }
    *p2 = a;
    *p1 = b;
}

int detap_rle_from_string(const char *s, size_t len, uint32_t *cnts, size_t *m) {
    const char *nul = memchr(s, 0, len);
    return detap_rle_from_text(s, nul ? (size_t)(nul - s) : len, cnts, m);
}

/* The area (uint32, the sum of the odd-numbered values) that the eight
 * one-character values of c add, at value index n (> 2) after the values
 * *p2, *p1; those two become the block's last two.  Without storing them:
 * each 16-bit lane of c's even or odd bytes holds one chain's value + 16,
 * and one multiply sums a chain's four (the top lane of the product) or
 * weighs them 4, 3, 2, 1 (the i-th delta is in 4 - i of the chain's
 * values); no lane carries (31 * 10 < 2^16). */
static inline uint32_t singles8_area(uint64_t c, size_t n, uint32_t *p1, uint32_t *p2) {
    const uint64_t LANES = UINT64_C(0x00FF00FF00FF00FF);
    const uint64_t SUM = UINT64_C(0x0001000100010001), WEIGH = UINT64_C(0x0004000300020001);
    uint64_t y = c ^ SIXTEEN8;                           /* value + 16 per byte */
    uint64_t ea = y & LANES, eb = (y >> 8) & LANES;      /* bytes 0 2 4 6; 1 3 5 7 */
    uint32_t sa = (uint32_t)((ea * SUM) >> 48) - 64u, sb = (uint32_t)((eb * SUM) >> 48) - 64u;
    /* bytes 0 2 4 6 continue *p2's chain (value n - 2), bytes 1 3 5 7 *p1's */
    uint64_t odd = n & 1 ? ea : eb;
    uint32_t base = n & 1 ? *p2 : *p1;
    uint32_t add = 4u * base + (uint32_t)((odd * WEIGH) >> 48) - 160u;
    *p2 += sa;
    *p1 += sb;
    return add;
}

/* The one reader of compressed counts: store the values into cnts
 * (detap_rle_from_text), or only sum the area (detap_rle_text_area). */
static inline __attribute__((always_inline)) int rle_walk(const char *s, size_t len,
                                                          uint32_t *cnts, size_t *m,
                                                          uint32_t *area, const int store) {
    /* Branch-free per character where a value spans several characters:
     * their lengths (1 to 7) are as random as the masks, so each character
     * is folded in and the value stored through a selected address (a
     * scratch cell while more characters follow). */
    size_t n = 0;
    uint32_t x = 0, prev1 = 0, prev2 = 0, scratch, sum = 0;
    unsigned k = 0;
    for (size_t p = 0; p < len; p++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* between values, from the fourth on (the first three are absolute) */
        while (k == 0 && n > 2 && p + 8 <= len) {
            uint64_t c = digits8(s + p);
            uint64_t more = c & MORE8;
            if (!store && !more) {
                sum += singles8_area(c, n, &prev1, &prev2);
                n += 8;
                p += 8;
                continue;
            }
#ifdef DETAP_RLE_SSE2
            if (store && !more) { /* (eight values: the caller's room holds them) */
                singles8(c, cnts + n, &prev1, &prev2);
                n += 8;
                p += 8;
                continue;
            }
#endif
            /* the one-character values before the first that asks for more */
            unsigned ones = more ? (unsigned)__builtin_ctzll(more) / 8 : 8;
            if (store) {
                singles(c, ones, cnts + n, &prev1, &prev2);
            } else {
                uint32_t part[8];
                singles(c, ones, part, &prev1, &prev2);
                for (unsigned j = (n & 1) ? 0 : 1; j < ones; j += 2) sum += part[j];
            }
            n += ones;
            p += ones;
            if (ones == 8) continue;
            /* the next character starts a longer value: one of two
             * characters (most of them) is read here, from the same word */
            uint64_t pair = c >> (8 * ones);
            if (ones > 6 || (pair & 0x2000)) break; /* past the word, or longer */
            uint32_t hi = (uint32_t)(pair >> 8) & 0x1f;
            uint32_t v = ((uint32_t)pair & 0x1f) | hi << 5;
            v |= ((uint32_t)0 - (hi >> 4)) << 10; /* bit 4 of the last character: the sign */
            v += prev2;
            if (store) cnts[n] = v;
            else sum += v & ((uint32_t)0 - (uint32_t)(n & 1));
            prev2 = prev1;
            prev1 = v;
            n++;
            p += 2;
        }
        if (p >= len) break;
#endif
        /* pycocotools reads (char)(byte - 48); only its low 6 bits matter */
        unsigned c = ((unsigned char)s[p] - 48u) & 0x3f;
        /* its shifts are on 32-bit ints, whose count x86-64 takes mod 32 */
        x |= (uint32_t)(c & 0x1f) << (5 * k % 32);
        k++;
        unsigned last = !(c & 0x20);
        /* the value ends: bit 4 of its last character is its sign */
        uint32_t ext = (uint32_t)0 - (uint32_t)(last & (c >> 4));
        uint32_t v = x | (ext & (UINT32_MAX << (5 * k % 32)));
        v += n > 2 ? prev2 : 0; /* every value after the third is a difference */
        if (store) {
            uint32_t *dst = last ? cnts + n : &scratch;
            *dst = v;
        } else {
            sum += v & ((uint32_t)0 - (uint32_t)(last & n & 1)); /* an ended odd-numbered value */
        }
        prev2 = last ? prev1 : prev2;
        prev1 = last ? v : prev1;
        n += last;
        uint32_t keep = (uint32_t)last - 1u; /* all ones while more follow */
        x &= keep;
        k &= keep;
    }
    (void)scratch;
    if (k) return DETAP_EVALUE; /* truncated: more was asked for */
    if (m) *m = n;
    if (area) *area = sum;
    return DETAP_OK;
}

int detap_rle_from_text(const char *s, size_t len, uint32_t *cnts, size_t *m) {
    return rle_walk(s, len, cnts, m, NULL, 1);
}

int detap_rle_text_area(const char *s, size_t len, uint32_t *area) {
    return rle_walk(s, len, NULL, NULL, area, 0);
}
