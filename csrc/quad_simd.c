/* The fast path of the polygon IoU (quad_iou.c) in vector form, chosen at
 * run time on x86: AVX-512 (quad_simd512.c: 8 lanes, two GT edges a call)
 * or AVX2 (here: 4 lanes, one GT edge a call), both quad_lanes.h's code;
 * elsewhere (or without those) detap_quad_simd_level is 0 and quad_iou.c's
 * scalar fast path runs. */
#include "quad_iou.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(DETAP_NO_SIMD)

#define QUAD_LANES 4
#define QV static inline __attribute__((always_inline))
#include "quad_lanes.h"

__attribute__((target("avx2"))) static int quad_iou_avx2(const detap_quad *gt,
                                                         const detap_quad *det, double *out) {
    return vquad_iou(gt, det, out);
}

int detap_quad_simd_level(void) {
    static int level = -1; /* (every thread that races here stores the same) */
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") ? 2
              : __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return level;
}

int detap_quad_simd_iou(int level, const detap_quad *gt, const detap_quad *det, double *out) {
    if (level < 1 || level > detap_quad_simd_level()) return -1;
    return level == 2 ? detap_quad_iou_avx512(gt, det, out) : quad_iou_avx2(gt, det, out);
}

#else

int detap_quad_simd_level(void) { return 0; }

int detap_quad_simd_iou(int level, const detap_quad *gt, const detap_quad *det, double *out) {
    (void)level;
    (void)gt;
    (void)det;
    (void)out;
    return -1;
}

#endif
