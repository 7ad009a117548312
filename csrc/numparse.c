#include "numparse.h"

/* 10^0 .. 10^22: the powers of ten that are exact doubles (5^22 < 2^53;
 * 10^23 already rounds), the only ones one correctly rounded operation
 * may use. */
static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Exponents at or above this stop accumulating: already far outside the
 * exact range, and the count cannot overflow. */
#define EXP_SATURATE 10000

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

size_t detap_parse_double(const char *p, const char *end, double *out) {
    const char *s = p;
    int neg = 0;
    if (s < end && (*s == '+' || *s == '-')) neg = *s++ == '-';
    /* m: the digits without the point, leading zeros dropped; at most 19
     * significant digits fit a uint64 (10^19 - 1 < 2^64) */
    uint64_t m = 0;
    int sig = 0;
    int64_t ndig = 0, frac = 0; /* all mantissa digits; those after the point */
    while (s < end && is_digit(*s)) {
        if (m || *s != '0') { if (++sig > 19) return 0; m = m * 10 + (uint64_t)(*s - '0'); }
        s++; ndig++;
    }
    if (s < end && *s == '.') {
        s++;
        while (s < end && is_digit(*s)) {
            if (m || *s != '0') { if (++sig > 19) return 0; m = m * 10 + (uint64_t)(*s - '0'); }
            s++; ndig++; frac++;
        }
    }
    if (ndig == 0) return 0;
    int64_t e = 0;
    if (s < end && (*s == 'e' || *s == 'E')) {
        const char *q = s + 1;
        int eneg = 0;
        if (q < end && (*q == '+' || *q == '-')) eneg = *q++ == '-';
        if (q < end && is_digit(*q)) { /* else the 'e' is not part of the number */
            for (; q < end && is_digit(*q); q++)
                if (e < EXP_SATURATE) e = e * 10 + (*q - '0');
            if (eneg) e = -e;
            s = q;
        }
    }
    double v;
    if (m == 0) {
        v = 0.;
    } else {
        int64_t e10 = e - frac; /* the value is m * 10^e10 */
        if (m > (1ULL << 53) || e10 < -22 || e10 > 22) return 0;
        v = e10 >= 0 ? (double)m * pow10_exact[e10] : (double)m / pow10_exact[-e10];
    }
    *out = neg ? -v : v;
    return (size_t)(s - p);
}
