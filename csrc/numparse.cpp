/* Decimal text to float64 for every reader: the contract of numparse.h,
 * implemented with fast_float (csrc/fast_float/, vendored, MIT licence).
 *
 * Why fast_float and not our own code: exactness at every digit count needs
 * Eisel-Lemire with a 128-bit power table plus a big-integer fallback for
 * the inputs it cannot decide; fast_float is that algorithm, correctly
 * rounded for every input, fuzzed upstream, and the basis of the C++
 * standard library's from_chars in GCC and LLVM.  It reads about 1 GB/s of
 * numbers per core, so the 17-digit reprs real detectors write cost no more
 * than short decimals did on the old fast path.
 *
 * This file is the only C++ in detap: the readers stay C and see only the
 * plain C function declared in numparse.h. */
#include <cmath>
#include <cstddef>

#include "fast_float/fast_float.h"

extern "C" {
#include "numparse.h"
}

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

extern "C" size_t detap_parse_double(const char *p, const char *end, double *out) {
    /* numparse.h's grammar is fast_float's "general" format with a leading
     * '+' allowed; we check the first character ourselves so that "inf",
     * "nan" and "+-1" (which fast_float would read or reject in its own
     * way) are never numbers here. */
    const char *s = p;
    if (s < end && (*s == '+' || *s == '-')) s++;
    if (s >= end) return 0;
    if (!is_digit(*s) && !(*s == '.' && s + 1 < end && is_digit(s[1]))) {
        /* "5." needs a digit before the point; ".5" one after it; "." none */
        return 0;
    }
    double v;
    const char *first = p;
    if (*p == '+') first++; /* checked above: a digit or a point follows */
    auto r = fast_float::from_chars(first, end, v, fast_float::chars_format::general);
    /* out of range is not an error here: like Python's float(), an overflow
     * gives +-inf and an underflow +-0, which fast_float has already stored */
    if (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) return 0;
    if (r.ptr == first) return 0;
    *out = v;
    return (size_t)(r.ptr - p);
}

/* 1 when the token has no fraction and no exponent (Python's json reads it
 * as an int).  Only asked about rare tokens, so a scan is fine. */
static bool integer_form(const char *p, const char *e) {
    for (; p < e; p++)
        if (*p == '.' || *p == 'e' || *p == 'E') return false;
    return true;
}

extern "C" size_t detap_parse_json_number(const char *p, const char *end, double *out) {
    if (p >= end) return 0;
    double v;
    auto r = fast_float::from_chars(p, end, v, fast_float::chars_format::json);
    if (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) return 0;
    size_t n = (size_t)(r.ptr - p);
    if (n == 0) return 0;
    if (n > DETAP_JSON_INT_DIGITS && integer_form(p, r.ptr)) return 0;
    if (v == 0 && std::signbit(v) && integer_form(p, r.ptr)) v = 0.0; /* the int -0 is 0 */
    *out = v;
    return n;
}
