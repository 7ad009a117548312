/* float64 max/min with the exact semantics of the references' functions.
 *
 * numpy's np.maximum / np.minimum, C99's fmax / fmin and a plain
 * "a >= b ? a : b" differ only on NaN operands (and on which zero comes
 * back for -0.0 vs +0.0), so which one an expression uses is part of its
 * bits: each kernel calls the one its reference calls, with the operands
 * in the reference's order.  Forms written for speed (branch-free
 * maxsd/minsd) state the inputs on which they give the reference's bits.
 */
#ifndef DETAP_NPMATH_H
#define DETAP_NPMATH_H

#include "detap_common.h" /* FP_CONTRACT off, as in every kernel */

/* numpy's np.maximum / np.minimum on float64 scalars: a NaN in either
 * operand propagates (unlike C's fmax/fmin, which drop it). */
static inline double detap_np_maximum(double a, double b) {
    return (a >= b || a != a) ? a : b;
}
static inline double detap_np_minimum(double a, double b) {
    return (a <= b || a != a) ? a : b;
}

/* The same results whenever b is not NaN, in a form compilers turn into
 * one branch-free maxsd/minsd (box comparisons are unpredictable, so
 * branches cost more than the arithmetic).  A NaN in a is still returned.
 * These are also exactly Python's built-in max(a, b) / min(a, b) (a unless
 * b compares strictly greater / less), NaN or not. */
static inline double detap_max_nn(double a, double b) { return b > a ? b : a; }
static inline double detap_min_nn(double a, double b) { return b < a ? b : a; }

/* np.maximum(a, lo) for a not NaN (a NaN gives lo); this form compiles
 * to a compare-and-mask.  The references floor a count or a union this way
 * before dividing by it. */
static inline double detap_floor_at(double a, double lo) { return a >= lo ? a : lo; }
/* np.maximum(a, 0.) for a not NaN */
static inline double detap_clamp0(double a) { return detap_floor_at(a, 0.); }

/* C99 fmin / fmax (a NaN operand is dropped), inline: pycocotools calls
 * them on x + w, which is NaN for inf + -inf even when no input is NaN.
 * Which zero comes back for -0.0 vs +0.0 is unspecified in C; callers must
 * not depend on it (bbIou tests the difference with <= 0). */
static inline double detap_fmin(double a, double b) { return (a < b || b != b) ? a : b; }
static inline double detap_fmax(double a, double b) { return (a > b || b != b) ? a : b; }

/* The index of the first NaN of x[0..n), or n: a scan of blocks whose NaN
 * test compilers vectorise (a loop that stops at the first NaN they do not). */
static inline size_t detap_first_nan(const double *x, size_t n) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        double any = 0; /* (a select on doubles is what vectorises here) */
        for (size_t k = 0; k < 64; k++) {
            double v = x[i + k];
            any = v != v ? 1. : any;
        }
        if (any != 0) break;
    }
    for (; i < n; i++)
        if (x[i] != x[i]) return i;
    return n;
}

#endif