/* The AVX-512 form of the polygon IoU's fast path (quad_lanes.h with 8
 * lanes: two GT edges against the 4 detection edges per call), compiled
 * for that target alone and called by quad_simd.c only on a CPU that has
 * it.  (A translation unit of its own: its helpers carry the target.) */
#include "quad_iou.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(DETAP_NO_SIMD)

#define QUAD_TARGET "avx512f,avx512vl,avx512dq"
#define QUAD_LANES 8
#define QV static inline __attribute__((always_inline, target(QUAD_TARGET)))
#include "quad_lanes.h"

__attribute__((target(QUAD_TARGET))) int detap_quad_iou_avx512(const detap_quad *gt,
                                                              const detap_quad *det,
                                                              double *out) {
    return vquad_iou(gt, det, out);
}

__attribute__((target(QUAD_TARGET))) size_t detap_quad_marks_avx512(
    const double hbb[4], const double *x0, const double *y0, const double *x1, const double *y1,
    size_t G, uint32_t *cand) {
    __m512d b0 = _mm512_set1_pd(hbb[0]), b1 = _mm512_set1_pd(hbb[1]);
    __m512d b2 = _mm512_set1_pd(hbb[2]), b3 = _mm512_set1_pd(hbb[3]);
    __m512d one = _mm512_set1_pd(1.), zero = _mm512_setzero_pd();
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t n = 0;
    for (size_t g = 0; g < G; g += 8) {
        __mmask8 in = G - g >= 8 ? 0xff : (__mmask8)((1u << (G - g)) - 1);
        /* (min(b, x) is b < x ? b : x, max(b, x) b > x ? b : x: npmath.h's
         * detap_min_nn(x, b) and detap_max_nn(x, b), NaN included) */
        __m512d iw = _mm512_add_pd(_mm512_sub_pd(_mm512_min_pd(b2, _mm512_maskz_loadu_pd(in, x1 + g)),
                                                 _mm512_max_pd(b0, _mm512_maskz_loadu_pd(in, x0 + g))),
                                   one);
        __m512d ih = _mm512_add_pd(_mm512_sub_pd(_mm512_min_pd(b3, _mm512_maskz_loadu_pd(in, y1 + g)),
                                                 _mm512_max_pd(b1, _mm512_maskz_loadu_pd(in, y0 + g))),
                                   one);
        __mmask8 k = _mm512_mask_cmp_pd_mask(in, iw, zero, _CMP_GT_OQ) &
                     _mm512_cmp_pd_mask(ih, zero, _CMP_GT_OQ);
        _mm256_mask_compressstoreu_epi32(cand + n, k,
                                         _mm256_add_epi32(lane, _mm256_set1_epi32((int)g)));
        n += (size_t)__builtin_popcount(k);
    }
    return n;
}

#else

/* (no AVX-512 form in this build: detap_quad_simd_level() is 0, so these
 * are never called; defined for the linker) */
int detap_quad_iou_avx512(const detap_quad *gt, const detap_quad *det, double *out) {
    (void)gt;
    (void)det;
    (void)out;
    return -1;
}

size_t detap_quad_marks_avx512(const double hbb[4], const double *x0, const double *y0,
                               const double *x1, const double *y1, size_t G, uint32_t *cand) {
    (void)hbb;
    (void)x0;
    (void)y0;
    (void)x1;
    (void)y1;
    (void)G;
    (void)cand;
    return 0;
}

#endif
