/* The fast path of the polygon IoU (quad_iou.c) in vector form, written
 * once for QUAD_LANES lanes: 4 (one GT edge against the 4 detection
 * edges per call, 4 calls a pair) or 8 (two GT edges, 2 calls).  Included
 * by quad_simd.c (AVX2, 4 lanes) and quad_simd512.c (AVX-512, 8 lanes),
 * each of which defines QUAD_LANES and QV (the helpers' attributes, with
 * its target) first; vquad_iou is then the pair's IoU: 0 with *out set, 1
 * for a pair handed over.
 *
 * Each lane does the scalar fast path's arithmetic, operation for
 * operation (IEEE lane-wise, no contraction), without branches: every
 * candidate point is computed and the polygon's points are chosen by
 * masks.  The differences, none of which changes a bit of the result:
 *  - polygon_cut's crossings are computed whether or not they are kept;
 *  - the cut by c -> d keeps [o, A, B]'s points in the order polyiou emits
 *    them (the emission patterns of three nonzero signs, written out);
 *  - the last cut (by d -> o) takes the origin as a point of the polygon,
 *    whose cross value there is exactly 0, so the crossings next to it are
 *    (+-0, +-0), as polyiou computes them; its de-duplication would only
 *    merge such exact zeros, whose shoelace terms are +-0 whether merged or
 *    not, so only other merges send the pair to the faithful path;
 *  - a masked-out term adds +0.0 (x + 0.0 is x but for a zero's sign).
 * A pair any lane cannot decide exactly (the scalar fast path's conditions,
 * or a lineCross whose two cross values are within 1e-8) is handed over. */
#ifndef DETAP_QUAD_LANES_H
#define DETAP_QUAD_LANES_H

#include <stdint.h>
#include <string.h>
#include "quad_iou.h"
#if QUAD_LANES == 8
#include <immintrin.h>
#endif

#pragma GCC diagnostic ignored "-Wpsabi" /* (the helpers are always inlined) */

typedef double vd __attribute__((vector_size(8 * QUAD_LANES)));
typedef long long vl __attribute__((vector_size(8 * QUAD_LANES)));
typedef struct { vd x, y; } vp;

#define VSEL(m, a, b) ((vd)(((vl)(a) & (m)) | ((vl)(b) & ~(m))))

#if QUAD_LANES == 8
/* (GCC lowers 8-lane comparisons of generic vectors to scalar code under
 * AVX-512: its mask registers, moved to lanes, by intrinsics instead) */
#define VB(s) ((vd){(s), (s), (s), (s), (s), (s), (s), (s)})
#define VCMP(a, b, op) ((vl)_mm512_movm_epi64(_mm512_cmp_pd_mask((__m512d)(a), (__m512d)(b), op)))
QV vl vgt(vd a, vd b) { return VCMP(a, b, _CMP_GT_OQ); }
QV vl vlt(vd a, vd b) { return VCMP(a, b, _CMP_LT_OQ); }
QV vl veq(vd a, vd b) { return VCMP(a, b, _CMP_EQ_OQ); }
QV int vany(vl m) { return _mm512_test_epi64_mask((__m512i)m, (__m512i)m) != 0; }
/* lanes 4 to 7: the second GT edge of a call */
#define VHALF ((vl){0, 0, 0, 0, -1, -1, -1, -1})
#else
#define VB(s) ((vd){(s), (s), (s), (s)})
QV vl vgt(vd a, vd b) { return a > b; }
QV vl vlt(vd a, vd b) { return a < b; }
QV vl veq(vd a, vd b) { return a == b; }
QV int vany(vl m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }
#define VHALF ((vl){0, 0, 0, 0})
#endif

QV vp vpsel(vl m, vp a, vp b) {
    vp r = {VSEL(m, a.x, b.x), VSEL(m, a.y, b.y)};
    return r;
}
QV vl vpos(vd x) { return vgt(x, VB(1e-8)); }   /* polyiou's dcmp(x) > 0 */
QV vl vneg(vd x) { return vlt(x, VB(-1e-8)); }  /* dcmp(x) < 0 */
QV vl vnil(vd x) { return ~(vpos(x) | vneg(x)); }
QV vl vsame(vp a, vp b) { return vnil(a.x - b.x) & vnil(a.y - b.y); }
QV vl vnear0(vp a) { return vnil(a.x) & vnil(a.y); }
QV vl vexact0(vp a) { return veq(a.x, VB(0.)) & veq(a.y, VB(0.)); }
QV vl vdiffer(vl p1, vl n1, vl p2, vl n2) { return (p1 ^ p2) | (n1 ^ n2); }

/* lineCross of segment p -> q whose cross values are sp, sq */
QV vp vcross(vp p, vp q, vd sp, vd sq) {
    vp r = {(p.x * sq - q.x * sp) / (sq - sp), (p.y * sq - q.y * sp) / (sq - sp)};
    return r;
}

/* the shoelace sum of the last cut's points, fed in polygon order, masked */
typedef struct { vp first, prev; vl has, has2, bad; vd sum; } vacc;

QV void vemit(vacc *a, vl e, vp w) {
    vd t = a->prev.x * w.y - a->prev.y * w.x;
    vl eh = e & a->has;
    a->sum = a->sum + VSEL(eh, t, VB(0.));
    a->bad |= eh & vsame(w, a->prev) & ~(vexact0(w) & vexact0(a->prev));
    a->first = vpsel(e & ~a->has, w, a->first);
    a->has2 |= eh;
    a->prev = vpsel(e, w, a->prev);
    a->has |= e;
}

/* vemit of the crossing on p -> q where e asks for it: with no lane asking,
 * vemit would change nothing, so its divisions are spared */
QV void vemit_cross(vacc *a, vl e, vp p, vp q, vd sp, vd sq) {
    if (vany(e)) vemit(a, e, vcross(p, q, sp, sq));
}

/* the 4 detection edges as clipping triangles (o, c, d) (quad_iou.c's fline),
 * repeated in each group of 4 lanes */
typedef struct { vp c, d; vd dx, dy, kz, nx, ny; vl act, neg; } vlines;

QV vd vcut2(vp p, const vlines *l) {   /* cross(c, d, p) */
    return l->dx * (p.y - l->c.y) - (p.x - l->c.x) * l->dy;
}
QV vd vcut3(vp p, const vlines *l) {   /* cross(d, o, p) */
    return l->nx * (p.y - l->d.y) - (p.x - l->d.x) * l->ny;
}

/* |area| of each lane's triangle (o, a, b) clipped by its (o, c, d) (0 where
 * the lane is not active in lact), as ftri; *bad: lanes that must be handed
 * over */
QV vd vtri(vp a, vp b, const vlines *l, vl lact, vl *bad_out) {
    vd ca = l->c.x * a.y - a.x * l->c.y, cb = l->c.x * b.y - b.x * l->c.y;
    vl pa = vpos(ca), na = vneg(ca), pb = vpos(cb), nb = vneg(cb);
    vl act = lact & ~(na & nb); /* qtri's shortcut */
    if (!vany(act)) { /* (all four: no need to go on) */
        *bad_out = act;
        return VB(0.);
    }
    /* (a division spared where no lane needs the crossing on a-b) */
    vp X = vany(act & (pa ^ pb)) ? vcross(a, b, ca, cb) : a;
    vp A = vpsel(pa, a, X), B = vpsel(pb, b, X);
    vl bad = ~((pa | na) & (pb | nb)) | vnear0(A) | vsame(B, A) | vnear0(B);
    /* cut by c -> d of [o, A, B]: two crossings of the three edges at most */
    vd kz = l->kz, kA = vcut2(A, l), kB = vcut2(B, l);
    vl pz = vpos(kz), pA = vpos(kA), pB = vpos(kB);
    bad |= ~((pz | vneg(kz)) & (pA | vneg(kA)) & (pB | vneg(kB)));
    vp z = {VB(0.), VB(0.)};
    vl c1 = pz ^ pA; /* the first crossing: on o-A if there is one, else on A-B */
    vl c2 = pB ^ pz; /* the second: on B-o if there is one, else on A-B */
    /* (their divisions spared where no active lane has a crossing: the
     * other lanes' values are masked out below, whatever F1 and F2 hold) */
    vp F1 = A, F2 = A;
    if (vany(act & (pz | pA | pB) & ~(pz & pA & pB))) {
        F1 = vcross(vpsel(c1, z, A), vpsel(c1, A, B), VSEL(c1, kz, kA), VSEL(c1, kA, kB));
        F2 = vcross(vpsel(c2, B, A), vpsel(c2, z, B), VSEL(c2, kB, kA), VSEL(c2, kz, kB));
    }
    /* the points in polyiou's order, by (o, A, B) kept or not:
     * 111 o A B, 110 o A F1 F2, 101 o F1 F2 B, 100 o F1 F2,
     * 011 F1 A B F2, 010 F1 A F2, 001 F1 B F2, 000 none */
    vl n4 = (pz & pA & ~pB) | (pz & ~pA & pB) | (~pz & pA & pB), n0 = ~(pz | pA | pB);
    vp S0 = vpsel(pz, z, F1);
    vp S1 = vpsel(pA, A, vpsel(pz, F1, B));
    vp S2 = vpsel(pA & pB, B, vpsel(pz & pA & ~pB, F1, F2));
    vp S3 = vpsel(pz & ~pA & pB, B, F2);
    bad |= ~n0 & (vsame(S1, S0) | vsame(S2, S1) | (n4 & (vsame(S3, S2) | vsame(S3, S0))) |
                  (~n4 & vsame(S2, S0)));
    /* cut by d -> o of [S0 .. S2 or S3] */
    vd u0 = vcut3(S0, l), u1 = vcut3(S1, l), u2 = vcut3(S2, l), u3 = vcut3(S3, l);
    vl p0 = vpos(u0), m0 = vneg(u0), p1 = vpos(u1), m1 = vneg(u1);
    vl p2 = vpos(u2), m2 = vneg(u2), p3 = vpos(u3), m3 = vneg(u3);
    vp N2 = vpsel(n4, S3, S0); /* the point after S2 */
    vd uN = VSEL(n4, u3, u0);
    vl pN = (n4 & p3) | (~n4 & p0), mN = (n4 & m3) | (~n4 & m0);
    vl d01 = vdiffer(p0, m0, p1, m1), d12 = vdiffer(p1, m1, p2, m2);
    vl d2N = vdiffer(p2, m2, pN, mN), d30 = n4 & vdiffer(p3, m3, p0, m0);
    vl bad3 = (d01 & vnil(u1 - u0)) | (d12 & vnil(u2 - u1)) | (d2N & vnil(uN - u2)) |
              (d30 & vnil(u0 - u3)); /* a lineCross that writes nothing */
    vl none = (vl)VB(0.);
    vacc acc = {z, z, none, none, none, VB(0.)};
    if (vany(act & ~n0 & ~pz)) {
        vemit(&acc, p0, S0);
        vemit_cross(&acc, d01, S0, S1, u0, u1);
        vemit(&acc, p1, S1);
        vemit_cross(&acc, d12, S1, S2, u1, u2);
        vemit(&acc, p2, S2);
        vemit_cross(&acc, d2N, S2, N2, u2, uN);
        vemit(&acc, n4 & p3, S3);
        vemit_cross(&acc, d30, S3, S0, u3, u0);
        vd t = acc.prev.x * acc.first.y - acc.prev.y * acc.first.x;
        acc.sum = acc.sum + VSEL(acc.has2, t, VB(0.));
        bad3 |= acc.has2 & vsame(acc.prev, acc.first) & ~(vexact0(acc.prev) & vexact0(acc.first));
    } else {
        /* every lane has the origin as S0 (the usual case: it lies on the
         * inner side of a detection edge facing it), with a cross value of
         * exactly 0: where S1 and the last point are off the line, the
         * points are [o', W.., o''], o' and o'' the crossings next to the
         * origin, which polyiou computes as (+-0, +-0); their shoelace terms
         * are +-0, so the sum is the chain W's (as the scalar fast path) */
        vl pL = (n4 & p3) | (~n4 & p2), mL = (n4 & m3) | (~n4 & m2);
        bad3 |= ~(p1 | m1) | ~(pL | mL);
        vemit(&acc, p1, S1);
        vemit_cross(&acc, d12, S1, S2, u1, u2);
        vemit(&acc, p2, S2);
        vemit_cross(&acc, n4 & vdiffer(p2, m2, p3, m3), S2, S3, u2, u3);
        vemit(&acc, n4 & p3, S3);
        bad3 |= acc.has & (vnear0(acc.first) | vnear0(acc.prev));
    }
    bad3 |= acc.bad;
    /* (a zero sign above is the faithful path's, even if nothing is kept) */
    *bad_out = act & (bad | (~n0 & bad3));
    act &= ~n0;
    vd r = acc.sum / 2.0;
    r = (vd)((vl)r & INT64_MAX); /* fabs */
    return VSEL(act, r, VB(0.));
}

/* polyiou's dcmp(cross(o, p[i], p[i + 1])): the orientation of edge i of a
 * quadrilateral p (10 values, the first point repeated) */
static inline int edge_sign(const double *p, int i) {
    double cr = p[2 * i] * p[2 * i + 3] - p[2 * i + 2] * p[2 * i + 1];
    return (cr > 1e-8) - (cr < -1e-8);
}

QV int vquad_iou(const detap_quad *gt, const detap_quad *det, double *out) {
    double p1[10];
    for (int i = 0; i < 8; i++) p1[i] = gt->v[i];
    p1[8] = p1[0];
    p1[9] = p1[1];
    vlines L;
#if QUAD_LANES == 8
    /* the detection's edges j -> j + 1 (lanes j and j + 4), from one load
     * and four permutes (built lane by lane, each field's vector load had
     * to wait for its 8 scalar stores) */
    __m512d v = _mm512_loadu_pd(det->v);
    vd X0 = (vd)_mm512_permutexvar_pd(_mm512_setr_epi64(0, 2, 4, 6, 0, 2, 4, 6), v);
    vd Y0 = (vd)_mm512_permutexvar_pd(_mm512_setr_epi64(1, 3, 5, 7, 1, 3, 5, 7), v);
    vd X1 = (vd)_mm512_permutexvar_pd(_mm512_setr_epi64(2, 4, 6, 0, 2, 4, 6, 0), v);
    vd Y1 = (vd)_mm512_permutexvar_pd(_mm512_setr_epi64(3, 5, 7, 1, 3, 5, 7, 1), v);
    /* polyiou's dcmp(cross(o, p, q)), its orientation of each edge */
    vd cr = X0 * Y1 - X1 * Y0;
    vl pos = vpos(cr);
    L.c.x = VSEL(pos, X0, X1);
    L.c.y = VSEL(pos, Y0, Y1);
    L.d.x = VSEL(pos, X1, X0);
    L.d.y = VSEL(pos, Y1, Y0);
    L.dx = L.d.x - L.c.x;
    L.dy = L.d.y - L.c.y;
    L.kz = L.dx * (VB(0.) - L.c.y) - (VB(0.) - L.c.x) * L.dy;
    L.nx = VB(0.) - L.d.x;
    L.ny = VB(0.) - L.d.y;
    L.neg = vneg(cr);
    L.act = pos | L.neg;
#else
    double p2[10];
    for (int i = 0; i < 8; i++) p2[i] = det->v[i];
    p2[8] = p2[0];
    p2[9] = p2[1];
    for (int j = 0; j < 4; j++) {
        int s2 = edge_sign(p2, j);
        int f = s2 > 0 ? 0 : 2;
        double cx = p2[2 * j + f], cy = p2[2 * j + f + 1], dx = p2[2 * j + 2 - f],
               dy = p2[2 * j + 3 - f];
        L.c.x[j] = cx;
        L.c.y[j] = cy;
        L.d.x[j] = dx;
        L.d.y[j] = dy;
        L.dx[j] = dx - cx;
        L.dy[j] = dy - cy;
        L.kz[j] = L.dx[j] * (0. - cy) - (0. - cx) * L.dy[j];
        L.nx[j] = 0. - dx;
        L.ny[j] = 0. - dy;
        L.act[j] = s2 != 0 ? -1 : 0;
        L.neg[j] = s2 < 0 ? -1 : 0;
    }
#endif
    int s1[4];
    for (int i = 0; i < 4; i++) s1[i] = edge_sign(p1, i);
    /* the 16 signed terms (+0.0 for a pair of fan triangles polyiou skips),
     * summed in polyiou's order after the vector work */
    double terms[16];
    vl bad = (vl)VB(0.);
    /* GT edges i (lanes 0 to 3) and i + E - 1 (lanes 4 to 7 if 8 lanes) */
    enum { E = QUAD_LANES / 4 };
    for (int i = 0; i < 4; i += E) {
        int i2 = i + E - 1;
        vd t = VB(0.);
        if (s1[i] != 0 || s1[i2] != 0) { /* (else qtri's 0.0) */
            int f = s1[i] > 0 ? 0 : 2, f2 = s1[i2] > 0 ? 0 : 2;
            const double *e = p1 + 2 * i, *e2 = p1 + 2 * i2;
            vp a = {VSEL(VHALF, VB(e2[f2]), VB(e[f])), VSEL(VHALF, VB(e2[f2 + 1]), VB(e[f + 1]))};
            vp b = {VSEL(VHALF, VB(e2[2 - f2]), VB(e[2 - f])),
                    VSEL(VHALF, VB(e2[3 - f2]), VB(e[3 - f]))};
            vl on = (VHALF & -(long long)(s1[i2] != 0)) | (~VHALF & -(long long)(s1[i] != 0));
            vl neg1 = (VHALF & -(long long)(s1[i2] < 0)) | (~VHALF & -(long long)(s1[i] < 0));
            vl lb;
            vd r = vtri(a, b, &L, L.act & on, &lb);
            bad |= lb;
            t = VSEL(L.act & on, VSEL(neg1 ^ L.neg, -r, r), VB(0.));
        }
        memcpy(terms + 4 * i, &t, sizeof t);
    }
    double inter = 0;
    for (int k = 0; k < 16; k++) inter += terms[k];
    if (vany(bad)) return 1;
    *out = inter / (gt->area + det->area - inter);
    return 0;
}

#endif
