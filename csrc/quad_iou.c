#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "iou.h"
#include "quad_iou.h"

/* Clipping works on polygons of at most 2n vertices from n (each vertex
 * adds itself and one crossing): 3 -> 6 -> 12 -> 24. */
#define QCAP 32
/* polyiou's `Point p[10]` holds the clipped triangle */
#define DEVKIT_P 10

typedef struct { double x, y; } qpt;

/* polyiou's per-call state: its static cut buffer, and which of its slots
 * this pair's computation has written */
typedef struct {
    qpt pp[QCAP];
    uint8_t written[QCAP];
    int64_t undefined;
} qscratch;

static inline int qsig(double d) { return (d > 1e-8) - (d < -1e-8); }

static inline double qcross(qpt o, qpt a, qpt b) {
    return (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
}

static inline int qsame(qpt a, qpt b) { return qsig(a.x - b.x) == 0 && qsig(a.y - b.y) == 0; }

/* shoelace area / 2 in polyiou's order; writes ps[n] */
static double qarea(qpt *ps, int n) {
    ps[n] = ps[0];
    double res = 0;
    for (int i = 0; i < n; i++) res += ps[i].x * ps[i + 1].y - ps[i].y * ps[i + 1].x;
    return res / 2.0;
}

/* polygon_cut: keep the part of p[0..n) left of a->b, in place.
 * polyiou evaluates cross(a, b, p[i]) up to four times per vertex (twice in
 * the loop, twice more in lineCross); the expression and its operands are
 * the same each time, so each vertex's value is computed once here. */
static void qcut(qpt *p, int *n, qpt a, qpt b, qscratch *s) {
    int m = 0, k = *n;
    double cr[QCAP + 1];
    int sg[QCAP + 1];
    p[k] = p[0];
    for (int i = 0; i < k; i++) {
        cr[i] = qcross(a, b, p[i]);
        sg[i] = qsig(cr[i]);
    }
    cr[k] = cr[0];
    sg[k] = sg[0];
    for (int i = 0; i < k; i++) {
        if (sg[i] > 0) {
            s->pp[m] = p[i];
            s->written[m++] = 1;
        }
        if (sg[i] != sg[i + 1]) {
            /* lineCross(a, b, p[i], p[i + 1], pp[m]): its "both on the line"
             * case cannot occur here (the signs differ) */
            double s1 = cr[i], s2 = cr[i + 1];
            if (qsig(s2 - s1) != 0) {
                s->pp[m].x = (p[i].x * s2 - p[i + 1].x * s1) / (s2 - s1);
                s->pp[m].y = (p[i].y * s2 - p[i + 1].y * s1) / (s2 - s1);
                s->written[m] = 1;
            } else if (!s->written[m]) {
                /* lineCross returned without writing: a stale point */
                s->pp[m].x = 0.;
                s->pp[m].y = 0.;
                s->undefined++;
            }
            m++;
        }
    }
    k = 0;
    for (int i = 0; i < m; i++)
        if (!i || !qsame(s->pp[i], s->pp[i - 1])) p[k++] = s->pp[i];
    /* polyiou writes p[0..k) here and p[k] in its next step: past its 10 */
    int over = k > DEVKIT_P;
    while (k > 1 && qsame(p[k - 1], p[0])) k--;
    if (over || k >= DEVKIT_P) s->undefined++;
    *n = k;
}

/* signed area of triangle (o, a, b) clipped by triangle (o, c, d), o the
 * origin: polyiou's intersectArea of two segments */
static double qtri(qpt a, qpt b, qpt c, qpt d, qscratch *s) {
    qpt o = {0., 0.};
    int s1 = qsig(qcross(o, a, b));
    int s2 = qsig(qcross(o, c, d));
    if (s1 == 0 || s2 == 0) return 0.0;
    if (s1 == -1) { qpt t = a; a = b; b = t; }
    if (s2 == -1) { qpt t = c; c = d; d = t; }
    /* a and b strictly right of o->c: the first cut keeps only its two
     * crossings on o-a and b-o, both (+-0, +-0), which merge into one
     * point; the other cuts keep at most that point, and the area of a
     * point is +-0, which leaves the sum unchanged (a sum from +0 is never
     * -0).  So the result is known; what the cuts leave in polyiou's buffer
     * (those two crossings, in slots 0 and 1) is stored as they would. */
    double ca = qcross(o, c, a), cb = qcross(o, c, b);
    if (qsig(ca) < 0 && qsig(cb) < 0) {
        double co = qcross(o, c, o);
        s->pp[0].x = (o.x * ca - a.x * co) / (ca - co);
        s->pp[0].y = (o.y * ca - a.y * co) / (ca - co);
        s->pp[1].x = (b.x * co - o.x * cb) / (co - cb);
        s->pp[1].y = (b.y * co - o.y * cb) / (co - cb);
        s->written[0] = s->written[1] = 1;
        return 0.0;
    }
    qpt p[QCAP + 1];
    p[0] = o;
    p[1] = a;
    p[2] = b;
    int n = 3;
    qcut(p, &n, o, c, s);
    qcut(p, &n, c, d, s);
    qcut(p, &n, d, o, s);
    double res = fabs(qarea(p, n));
    if (s1 * s2 == -1) res = -res;
    return res;
}

void detap_quad_prep(const double *q, detap_quad *out) {
    qpt ps[5];
    for (int i = 0; i < 4; i++) {
        ps[i].x = q[2 * i];
        ps[i].y = q[2 * i + 1];
    }
    if (qarea(ps, 4) < 0) {
        qpt t = ps[0]; ps[0] = ps[3]; ps[3] = t;
        t = ps[1]; ps[1] = ps[2]; ps[2] = t;
    }
    out->area = fabs(qarea(ps, 4));
    for (int i = 0; i < 4; i++) {
        out->v[2 * i] = ps[i].x;
        out->v[2 * i + 1] = ps[i].y;
    }
    /* np.min / np.max of the x and y columns: exact in any order (a zero's
     * sign may differ from numpy's, which the +1 below erases) */
    double x0 = q[0], y0 = q[1], x1 = q[0], y1 = q[1];
    for (int i = 1; i < 4; i++) {
        double x = q[2 * i], y = q[2 * i + 1];
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
    }
    out->hbb[0] = x0;
    out->hbb[1] = y0;
    out->hbb[2] = x1;
    out->hbb[3] = y1;
    out->hbb_area = detap_area_voc(out->hbb);
}

/* The two quadrilaterals as closed polygons (the first vertex repeated), as
 * polyiou's loops walk them. */
static void closed_pair(const detap_quad *gt, const detap_quad *det, qpt p1[5], qpt p2[5]) {
    for (int i = 0; i < 4; i++) {
        p1[i].x = gt->v[2 * i];
        p1[i].y = gt->v[2 * i + 1];
        p2[i].x = det->v[2 * i];
        p2[i].y = det->v[2 * i + 1];
    }
    p1[4] = p1[0];
    p2[4] = p2[0];
}

/* polyiou's intersection of the two polygons (its fan sum), buffer and all */
static double quad_inter(const detap_quad *gt, const detap_quad *det, int64_t *undefined) {
    qscratch s;
    memset(s.written, 0, sizeof s.written);
    s.undefined = 0;
    qpt p1[5], p2[5];
    closed_pair(gt, det, p1, p2);
    double inter = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) inter += qtri(p1[i], p1[i + 1], p2[j], p2[j + 1], &s);
    *undefined += s.undefined;
    return inter;
}

/* polyiou's iou_poly, buffer and all */
static double faithful_iou(const detap_quad *gt, const detap_quad *det, int64_t *undefined) {
    double inter = quad_inter(gt, det, undefined);
    double uni = gt->area + det->area - inter;
    return inter / uni;
}

/* ---- the fast path ----
 *
 * The same arithmetic without polyiou's buffer, in straight-line code: for
 * a generic pair it gives the faithful path's bits at about a third of its
 * cost.  It hands the pair to the faithful path (fast_iou returns 1) at the
 * first sign of a case it does not cover: a sign test within 1e-8 where a
 * generic configuration has none (so no lineCross can leave a stale point),
 * or points that polygon_cut's de-duplication would merge.  Its shortcuts:
 *  - a point polyiou computes from the origin and a cross value of exactly
 *    +-0 (the crossings on o->c and d->o next to the origin) is (+-0, +-0):
 *    taken as the origin.  Zero signs never reach a non-zero result here
 *    (+, -, * of operands that differ only in a zero's sign differ only in
 *    a zero's sign, comparisons and fabs ignore it, no such value divides)
 *    and the sum of the 16 terms starts at +0, so it is never -0;
 *  - the first cut of triangle (o, a, b) by o->c is [o, A, B] (A = a, or
 *    the crossing on a-b when a is right of o->c; B likewise);
 *  - terms of the shoelace sum with the origin are +-0, and adding +-0
 *    leaves a sum as it was (up to a zero's sign), so they are skipped. */

static inline int fzero(qpt a) { return qsig(a.x) == 0 && qsig(a.y) == 0; }

/* lineCross of segment p -> q whose cross values are sp, sq */
static inline qpt fcross(qpt p, qpt q, double sp, double sq) {
    qpt r;
    r.x = (p.x * sq - q.x * sp) / (sq - sp);
    r.y = (p.y * sq - q.y * sp) / (sq - sp);
    return r;
}

/* the shoelace sum of the last cut's points, fed in polygon order */
typedef struct { qpt first, prev; int m; double sum; int bad; } facc;

static inline void femit(facc *a, qpt w) {
    if (a->m) {
        a->bad |= qsame(w, a->prev);
        a->sum += a->prev.x * w.y - a->prev.y * w.x;
    } else {
        a->first = w;
    }
    a->prev = w;
    a->m++;
}

/* A detection edge as the clipping triangle (o, c, d) uses it, with each
 * difference computed once (the same operands and operations as qcross). */
typedef struct {
    qpt c, d;
    double dx, dy; /* d - c */
    double kz;     /* cross(c, d, origin) */
    double nx, ny; /* 0 - d */
} fline;

static inline double fk(const fline *l, qpt p) {   /* cross(c, d, p) */
    return l->dx * (p.y - l->c.y) - (p.x - l->c.x) * l->dy;
}
static inline double fu(const fline *l, qpt p) {   /* cross(d, o, p) */
    return l->nx * (p.y - l->d.y) - (p.x - l->d.x) * l->ny;
}

/* polyiou's intersectArea(a, b, c, d) with s1 = s2 = 1 (a, b, c, d
 * swapped as it swaps them): |area| of triangle (o, a, b) clipped by
 * (o, c, d); sets *bad where the faithful path must decide. */
static double ftri(qpt a, qpt b, const fline *l, int *bad) {
    double ca = l->c.x * a.y - a.x * l->c.y, cb = l->c.x * b.y - b.x * l->c.y;
    int sa = qsig(ca), sb = qsig(cb);
    if (sa < 0 && sb < 0) return 0.0; /* as qtri's shortcut */
    qpt A = a, B = b;
    if (sa != sb) {
        qpt X = fcross(a, b, ca, cb);
        if (sa < 0) A = X; else B = X;
    }
    *bad |= !sa | !sb | fzero(A) | qsame(B, A) | fzero(B);
    /* cut by c -> d of [o, A, B] */
    qpt z = {0., 0.}, Q[7]; /* up to 6 points, and a copy of one */
    double kz = l->kz, kA = fk(l, A), kB = fk(l, B);
    int tz = qsig(kz), tA = qsig(kA), tB = qsig(kB), n = 0;
    *bad |= !tz | !tA | !tB;
    if (tz > 0) Q[n++] = z;
    if (tz != tA) Q[n++] = fcross(z, A, kz, kA);
    if (tA > 0) Q[n++] = A;
    if (tA != tB) Q[n++] = fcross(A, B, kA, kB);
    if (tB > 0) Q[n++] = B;
    if (tB != tz) Q[n++] = fcross(B, z, kB, kz);
    for (int i = 1; i < n; i++) *bad |= qsame(Q[i], Q[i - 1]);
    if (n > 1) *bad |= qsame(Q[n - 1], Q[0]);
    /* cut by d -> o: with the origin first (it lies on the line), the
     * points are the open chain Q[1..n) between its two copies */
    facc acc = {{0., 0.}, {0., 0.}, 0, 0., 0};
    int k0 = tz > 0, closed = !k0;
    double u[7];
    int w[7];
    for (int i = k0; i < n; i++) {
        u[i] = fu(l, Q[i]);
        w[i] = qsig(u[i]);
        *bad |= !w[i];
    }
    Q[n] = Q[k0];
    u[n] = u[k0];
    w[n] = w[k0];
    for (int i = k0; i < n; i++) {
        if (w[i] > 0) femit(&acc, Q[i]);
        if ((closed || i + 1 < n) && w[i] != w[i + 1])
            femit(&acc, fcross(Q[i], Q[i + 1], u[i], u[i + 1]));
    }
    if (closed && acc.m > 1) {
        acc.bad |= qsame(acc.first, acc.prev);
        acc.sum += acc.prev.x * acc.first.y - acc.prev.y * acc.first.x;
    } else if (!closed && acc.m) {
        acc.bad |= fzero(acc.first) | fzero(acc.prev);
    }
    *bad |= acc.bad;
    return fabs(acc.sum / 2.0);
}

/* 0 and *out = iou_poly(gt, det), or 1: the faithful path must decide */
static int fast_iou(const detap_quad *gt, const detap_quad *det, double *out) {
    qpt p1[5], p2[5], o = {0., 0.};
    closed_pair(gt, det, p1, p2);
    fline L[4];
    int s2[4];
    for (int j = 0; j < 4; j++) {
        s2[j] = qsig(qcross(o, p2[j], p2[j + 1]));
        fline *l = L + j;
        l->c = s2[j] > 0 ? p2[j] : p2[j + 1];
        l->d = s2[j] > 0 ? p2[j + 1] : p2[j];
        l->dx = l->d.x - l->c.x;
        l->dy = l->d.y - l->c.y;
        l->kz = l->dx * (0. - l->c.y) - (0. - l->c.x) * l->dy;
        l->nx = 0. - l->d.x;
        l->ny = 0. - l->d.y;
    }
    double inter = 0;
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        int s1 = qsig(qcross(o, p1[i], p1[i + 1]));
        if (s1 == 0) continue; /* qtri's 0.0 */
        qpt a = s1 > 0 ? p1[i] : p1[i + 1], b = s1 > 0 ? p1[i + 1] : p1[i];
        for (int j = 0; j < 4; j++) {
            if (s2[j] == 0) continue;
            double r = ftri(a, b, L + j, &bad);
            inter += s1 * s2[j] == -1 ? -r : r;
        }
    }
    if (bad) return 1;
    *out = inter / (gt->area + det->area - inter);
    return 0;
}

/* the fast path: in vector form where the CPU has one, else scalar */
static int any_fast_iou(const detap_quad *gt, const detap_quad *det, double *out) {
    int r = detap_quad_simd_iou(detap_quad_simd_level(), gt, det, out);
    return r < 0 ? fast_iou(gt, det, out) : r;
}

double detap_quad_iou(const detap_quad *gt, const detap_quad *det, int64_t *undefined) {
    double v;
    return any_fast_iou(gt, det, &v) ? faithful_iou(gt, det, undefined) : v;
}

/* the devkit's hbb overlap test (+1 pixel IoU > 0): BBGT first */
static inline int hbb_overlap(const detap_quad *d, const detap_quad *g) {
    return detap_iou_voc_pair(d->hbb, d->hbb_area, g->hbb, g->hbb_area) > 0;
}

void detap_quad_prep_shape(const double *q, void *out) { detap_quad_prep(q, out); }

double detap_quad_pair(const void *dv, const void *gv, int crowd) {
    const detap_quad *d = dv, *g = gv;
    int64_t undefined = 0; /* (counted and warned of by the evaluation, not here) */
    if (!hbb_overlap(d, g)) return 0.0;
    return crowd ? quad_inter(g, d, &undefined) / d->area : detap_quad_iou(g, d, &undefined);
}

int detap_quad_set_prep(const double *gt, size_t n, int nthreads, detap_quad_set *s) {
    s->q = malloc((n + 1) * sizeof *s->q);
    s->x0 = malloc((4 * n + 1) * sizeof *s->x0);
    if (!s->q || !s->x0) {
        detap_quad_set_free(s);
        return DETAP_ENOMEM;
    }
    s->y0 = s->x0 + n;
    s->x1 = s->y0 + n;
    s->y1 = s->x1 + n;
#ifdef _OPENMP
#pragma omp parallel for num_threads(detap_team(nthreads)) schedule(static) if (n > 50000)
#endif
    for (long jl = 0; jl < (long)n; jl++) {
        size_t j = (size_t)jl;
        detap_quad_prep(gt + 8 * j, s->q + j);
        s->x0[j] = s->q[j].hbb[0];
        s->y0[j] = s->q[j].hbb[1];
        s->x1[j] = s->q[j].hbb[2];
        s->y1[j] = s->q[j].hbb[3];
    }
    (void)nthreads;
    return DETAP_OK;
}

void detap_quad_set_free(detap_quad_set *s) {
    free(s->q);
    free(s->x0);
    s->q = NULL;
    s->x0 = s->y0 = s->x1 = s->y1 = NULL;
}

size_t detap_quad_marks(int level, const double hbb[4], const double *x0, const double *y0,
                        const double *x1, const double *y1, size_t G, uint32_t *cand) {
    if (level == 2 && detap_quad_simd_level() == 2)
        return detap_quad_marks_avx512(hbb, x0, y0, x1, y1, G, cand);
    size_t n = 0;
    for (size_t g = 0; g < G; g++) {
        /* detap_iou_voc_pair's iw and ih, unclamped: it is > 0 only if both are */
        double iw = detap_min_nn(x1[g], hbb[2]) - detap_max_nn(x0[g], hbb[0]) + 1.;
        double ih = detap_min_nn(y1[g], hbb[3]) - detap_max_nn(y0[g], hbb[1]) + 1.;
        cand[n] = (uint32_t)g;
        n += (iw > 0) & (ih > 0);
    }
    return n;
}

void detap_quad_sim_row(const detap_quad *d, const detap_quad_set *gt, size_t g0, size_t G,
                        double *row, int64_t *undefined) {
    /* most GT of a scene are nowhere near the detection: a branch-free pass
     * over the boxes' columns finds the few whose boxes meet... */
    const detap_quad *q = gt->q + g0;
    int level = detap_quad_simd_level();
    enum { CHUNK = 256 };
    uint32_t cand[CHUNK];
    for (size_t c0 = 0; c0 < G; c0 += CHUNK) {
        size_t c1 = G - c0 < CHUNK ? G : c0 + CHUNK;
        size_t n = detap_quad_marks(level, d->hbb, gt->x0 + g0 + c0, gt->y0 + g0 + c0,
                                    gt->x1 + g0 + c0, gt->y1 + g0 + c0, c1 - c0, cand);
        for (size_t g = c0; g < c1; g++) row[g] = -INFINITY;
        /* ...then the devkit's hbb overlaps (BBGT first in each max / min)
         * and polygon IoUs for those */
        for (size_t k = 0; k < n; k++) {
            size_t g = c0 + cand[k];
            if (hbb_overlap(d, q + g)) row[g] = detap_quad_iou(q + g, d, undefined);
        }
    }
}

int detap_quad_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng, int path,
                          double *out, int64_t *undefined) {
    int level = path == DETAP_QUAD_AVX2 ? 1 : path == DETAP_QUAD_AVX512 ? 2 : 0;
    if (path < DETAP_QUAD_ANY || path > DETAP_QUAD_AVX512 || level > detap_quad_simd_level())
        return DETAP_EVALUE;
    detap_quad *g = malloc((ng ? ng : 1) * sizeof *g); /* each GT prepared once */
    if (!g) return DETAP_ENOMEM;
    for (size_t j = 0; j < ng; j++) detap_quad_prep(gt + 8 * j, g + j);
    for (size_t i = 0; i < nd; i++) {
        detap_quad d;
        detap_quad_prep(dt + 8 * i, &d);
        for (size_t j = 0; j < ng; j++) {
            double *o = out + i * ng + j;
            if (path == DETAP_QUAD_ANY) *o = detap_quad_iou(g + j, &d, undefined);
            else if (path == DETAP_QUAD_FAITHFUL) *o = faithful_iou(g + j, &d, undefined);
            else if ((level ? detap_quad_simd_iou(level, g + j, &d, o)
                            : (path == DETAP_QUAD_FAST ? any_fast_iou : fast_iou)(g + j, &d, o)))
                *o = NAN;
        }
    }
    free(g);
    return DETAP_OK;
}
