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

/* polyiou's intersection of the two polygons (its fan sum) */
static double quad_inter(const detap_quad *gt, const detap_quad *det, int64_t *undefined) {
    qscratch s;
    memset(s.written, 0, sizeof s.written);
    s.undefined = 0;
    qpt p1[5], p2[5];
    for (int i = 0; i < 4; i++) {
        p1[i].x = gt->v[2 * i];
        p1[i].y = gt->v[2 * i + 1];
        p2[i].x = det->v[2 * i];
        p2[i].y = det->v[2 * i + 1];
    }
    p1[4] = p1[0];
    p2[4] = p2[0];
    double inter = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) inter += qtri(p1[i], p1[i + 1], p2[j], p2[j + 1], &s);
    *undefined += s.undefined;
    return inter;
}

double detap_quad_iou(const detap_quad *gt, const detap_quad *det, int64_t *undefined) {
    double inter = quad_inter(gt, det, undefined);
    double uni = gt->area + det->area - inter;
    return inter / uni;
}

/* the devkit's hbb overlap test (+1 pixel IoU > 0): BBGT first */
static inline int hbb_overlap(const detap_quad *d, const detap_quad *g) {
    return detap_iou_voc_pair(d->hbb, d->hbb_area, g->hbb, g->hbb_area) > 0;
}

void detap_quad_sim_row(const detap_quad *d, const detap_quad *gt, size_t G, double *row,
                        int64_t *undefined) {
    for (size_t g = 0; g < G; g++)
        row[g] = hbb_overlap(d, gt + g) ? detap_quad_iou(gt + g, d, undefined) : -INFINITY;
}

void detap_quad_prep_shape(const double *q, void *out) { detap_quad_prep(q, out); }

double detap_quad_pair(const void *dv, const void *gv, int crowd) {
    const detap_quad *d = dv, *g = gv;
    int64_t undefined = 0; /* (counted and warned of by the evaluation, not here) */
    if (!hbb_overlap(d, g)) return 0.0;
    return crowd ? quad_inter(g, d, &undefined) / d->area : detap_quad_iou(g, d, &undefined);
}

int detap_quad_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                          double *out, int64_t *undefined) {
    detap_quad *g = malloc((ng ? ng : 1) * sizeof *g); /* each GT prepared once */
    if (!g) return DETAP_ENOMEM;
    for (size_t j = 0; j < ng; j++) detap_quad_prep(gt + 8 * j, g + j);
    for (size_t i = 0; i < nd; i++) {
        detap_quad d;
        detap_quad_prep(dt + 8 * i, &d);
        for (size_t j = 0; j < ng; j++) out[i * ng + j] = detap_quad_iou(g + j, &d, undefined);
    }
    free(g);
    return DETAP_OK;
}
