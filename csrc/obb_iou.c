#include <math.h>
#include <stdlib.h>
#include "obb_iou.h"

/* A pass emits at most two points per input point (a crossing and the
 * point), so 4 passes from 4 corners leave at most 4 * 2^4 = 64 points,
 * whatever rounding does to convexity (geometrically: at most 8). */
#define OCAP 64

void detap_obb_prep(const double *b, detap_obb *out) {
    double cx = b[0], cy = b[1], w = b[2], h = b[3];
    double ca = cos(b[4]), sa = sin(b[4]);
    double hw = w / 2.0, hh = h / 2.0;
    double dxw = hw * ca, dyw = hw * sa, dxh = hh * sa, dyh = hh * ca;
    double *c = out->c;
    c[0] = cx - dxw + dxh; c[1] = cy - dyw - dyh;
    c[2] = cx + dxw + dxh; c[3] = cy + dyw - dyh;
    c[4] = cx + dxw - dxh; c[5] = cy + dyw + dyh;
    c[6] = cx - dxw - dxh; c[7] = cy - dyw + dyh;
    out->area = w * h;
}

static inline int inside(const double *p, const double *s, const double *e) {
    double cross = (e[0] - s[0]) * (p[1] - s[1]) - (e[1] - s[1]) * (p[0] - s[0]);
    return cross >= 0.0;
}

/* the crossing of p1 p2 with the line p3 p4 into out; 0 when parallel */
static inline int crossing(const double *p1, const double *p2, const double *p3,
                           const double *p4, double *out) {
    double d1x = p2[0] - p1[0], d1y = p2[1] - p1[1];
    double d2x = p4[0] - p3[0], d2y = p4[1] - p3[1];
    double denom = d1x * d2y - d1y * d2x;
    if (fabs(denom) < 1e-12) return 0;
    double t = ((p3[0] - p1[0]) * d2y - (p3[1] - p1[1]) * d2x) / denom;
    out[0] = p1[0] + t * d1x;
    out[1] = p1[1] + t * d1y;
    return 1;
}

double detap_obb_iou(const detap_obb *d, const detap_obb *g, int crowd) {
    if (d->area <= 0.0 || g->area <= 0.0) return 0.0;
    double buf[2][2 * OCAP];
    double *in = buf[0], *out = buf[1];
    size_t n = 4;
    for (size_t k = 0; k < 8; k++) out[k] = d->c[k];
    for (size_t i = 0; i < 4; i++) {
        if (n == 0) break;
        const double *s = g->c + 2 * i, *e = g->c + 2 * ((i + 1) % 4);
        double *tmp = in; in = out; out = tmp;
        size_t m = 0;
        for (size_t j = 0; j < n; j++) {
            const double *cur = in + 2 * j, *prev = in + 2 * ((j + n - 1) % n);
            int ci = inside(cur, s, e), pi = inside(prev, s, e);
            if (ci) {
                if (!pi && crossing(prev, cur, s, e, out + 2 * m)) m++;
                out[2 * m] = cur[0];
                out[2 * m + 1] = cur[1];
                m++;
            } else if (pi && crossing(prev, cur, s, e, out + 2 * m)) {
                m++;
            }
        }
        n = m;
    }
    double inter = 0.0;
    if (n >= 3) {
        for (size_t i = 0; i < n; i++) {
            size_t j = (i + 1) % n;
            inter += out[2 * i] * out[2 * j + 1];
            inter -= out[2 * j] * out[2 * i + 1];
        }
        inter = fabs(inter * 0.5);
    }
    if (inter <= 0.0) return 0.0;
    if (crowd) return inter / d->area;
    double uni = d->area + g->area - inter;
    return uni <= 0.0 ? 0.0 : inter / uni;
}

void detap_obb_sim_row(const detap_obb *d, const detap_obb *gt, const uint8_t *crowd, size_t G,
                       double *row) {
    for (size_t j = 0; j < G; j++) row[j] = detap_obb_iou(d, gt + j, crowd ? crowd[j] : 0);
}

int detap_obb_iou_matrix(const double *dt, size_t nd, const double *gt, size_t ng,
                         const uint8_t *crowd, double *out) {
    /* every box prepared once: the detections, then the GT */
    detap_obb *p = malloc((nd + ng + 1) * sizeof *p);
    if (!p) return DETAP_ENOMEM;
    for (size_t k = 0; k < nd + ng; k++)
        detap_obb_prep(k < nd ? dt + 5 * k : gt + 5 * (k - nd), p + k);
    for (size_t i = 0; i < nd; i++) detap_obb_sim_row(p + i, p + nd, crowd, ng, out + i * ng);
    free(p);
    return DETAP_OK;
}

void detap_obb_prep_shape(const double *b, void *out) { detap_obb_prep(b, out); }

double detap_obb_pair(const void *d, const void *g, int crowd) {
    return detap_obb_iou(d, g, crowd);
}

void detap_gbox_prep(const double *b, detap_gbox *out) {
    double a0 = b[2] * b[2] / 12, b0 = b[3] * b[3] / 12;
    double co = cos(b[4]), si = sin(b[4]);
    double co2 = co * co, si2 = si * si;
    out->x = b[0];
    out->y = b[1];
    out->a = a0 * co2 + b0 * si2;
    out->b = a0 * si2 + b0 * co2;
    out->c = (a0 - b0) * co * si;
}

static inline double probiou(const detap_gbox *g, const detap_gbox *d) {
    const double eps = 1e-7;
    double sa = g->a + d->a, sb = g->b + d->b, sc = g->c + d->c;
    double dy = g->y - d->y, dx = g->x - d->x;
    double den = sa * sb - sc * sc + eps;
    double t1 = (sa * (dy * dy) + sb * (dx * dx)) / den * 0.25;
    double t2 = (sc * (d->x - g->x) * dy) / den * 0.5;
    double d1 = g->a * g->b - g->c * g->c, d2 = d->a * d->b - d->c * d->c;
    d1 = d1 > 0 ? d1 : 0;  /* clamp_(0) */
    d2 = d2 > 0 ? d2 : 0;
    double t3 = log((sa * sb - sc * sc) / (4 * sqrt(d1 * d2) + eps) + eps) * 0.5;
    double bd = t1 + t2 + t3;
    bd = bd < eps ? eps : bd > 100.0 ? 100.0 : bd;  /* clamp(eps, 100), NaN kept */
    return 1 - sqrt(1.0 - exp(-bd) + eps);
}

void detap_probiou_sim_row(const detap_gbox *d, const detap_gbox *gt, size_t G, double *row) {
    for (size_t j = 0; j < G; j++) row[j] = probiou(gt + j, d);
}

int detap_probiou_matrix(const double *dt, size_t nd, const double *gt, size_t ng, double *out) {
    detap_gbox *p = malloc((nd + ng + 1) * sizeof *p);
    if (!p) return DETAP_ENOMEM;
    for (size_t k = 0; k < nd + ng; k++)
        detap_gbox_prep(k < nd ? dt + 5 * k : gt + 5 * (k - nd), p + k);
    for (size_t i = 0; i < nd; i++) detap_probiou_sim_row(p + i, p + nd, ng, out + i * ng);
    free(p);
    return DETAP_OK;
}
