/* The JSON lexer of the COCO reader (cocojson.c): a cursor over a text
 * buffer, white space, strings (classified for the RLE readers), number
 * tokens, integers and numbers as Python's json reads them, skipping of
 * values, and the members of an object.  Every function returns 0 and
 * sets c->slow when the text is not the fast path's (Python's json then
 * reads it and reports any error).  Included by cocojson.c only.
 */
#ifndef DETAP_JSON_LEX_H
#define DETAP_JSON_LEX_H

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__) && !defined(DETAP_NO_SIMD)
#include <emmintrin.h>
#endif
#include "numparse.h"

#define MAX_DEPTH 256

typedef struct {
    const char *p, *end;
    int slow; /* set when the fast path gives up */
    int nomem;
    const char *base; /* the buffer's start (RLE strings are given as offsets) */
    /* set: RLE counts strings are copied into the columns' blob and given
     * as offsets into it (a streamed buffer does not outlive its block) */
    int copy_rle;
    int no_polygons; /* polygons are skipped, not read */
} cur;

static inline void ws(cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t')) c->p++;
}

static inline int expect(cur *c, char ch) {
    ws(c);
    if (c->p < c->end && *c->p == ch) { c->p++; return 1; }
    c->slow = 1;
    return 0;
}

/* The length of the UTF-8 sequence at p (p[0] >= 0x80), or 0 when it is
 * one that json.loads refuses: it decodes bytes as UTF-8 with
 * "surrogatepass", so overlong forms, truncated sequences and code points
 * above U+10FFFF are errors but encoded surrogates (ED A0..BF xx) are not. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned char b = p[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (b >= 0xC2 && b <= 0xDF) n = 2;
    else if (b >= 0xE0 && b <= 0xEF) { n = 3; if (b == 0xE0) lo = 0xA0; }
    else if (b >= 0xF0 && b <= 0xF4) { n = 4; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
    else return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n;
}

static inline int is_hex(unsigned char ch) {
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
/* 1 for the bytes a string holds as they are: printable ASCII but '"' and '\\' */
static const unsigned char PLAIN[256] = {
    R16(0), R16(0),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    R16(1), R16(1),
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0)};
#undef R16

/* 1 when the 8 bytes at p are all PLAIN: none >= 0x80, < 0x20, '"' or
 * '\\' (the classic zero-byte and less-than word tests, exact as a yes/no) */
static inline int plain8(const unsigned char *p) {
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t x, q, b;
    memcpy(&x, p, 8);
    q = x ^ (ones * '"');
    b = x ^ (ones * '\\');
    return ((x | ((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & high) == 0;
}

/* A string: sets [*s, *e) to its raw bytes; *esc if it holds a backslash;
 * *odd if it holds a byte beyond ASCII or an escape other than \\ \/ \"
 * (so without *odd its text is its bytes, those escapes undone, and has no
 * NUL).  Only a string json.loads reads is taken (valid escapes, no control
 * characters, valid UTF-8 as above); anything else goes to the slow path,
 * where Python's json reports it. */
static inline int string_kind(cur *c, const char **s, const char **e, int *esc, int *odd) {
    ws(c);
    if (c->p >= c->end || *c->p != '"') { c->slow = 1; return 0; }
    const unsigned char *p = (const unsigned char *)++c->p, *end = (const unsigned char *)c->end;
    *s = c->p;
    *esc = 0;
    *odd = 0;
    for (;;) {
        /* the bulk: plain bytes, eight at a time (a mask's counts string
         * is hundreds of them), then one table look-up each */
#if defined(__SSE2__) && !defined(DETAP_NO_SIMD)
        /* sixteen at a time (SSE2: every x86-64 CPU), straight to the first
         * byte that is not PLAIN: '"', '\\', or below 0x20 as a signed byte
         * (control characters and every byte from 0x80) */
        while (end - p >= 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)p);
            __m128i stop = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
            unsigned m = (unsigned)_mm_movemask_epi8(stop);
            if (m) {
                p += __builtin_ctz(m);
                break;
            }
            p += 16;
        }
#endif
        while (end - p >= 8 && plain8(p)) p += 8;
        while (p < end && PLAIN[*p]) p++;
        if (p >= end) break;
        unsigned char ch = *p;
        if (ch == '"') { *e = (const char *)p; c->p = (const char *)p + 1; return 1; }
        if (ch == '\\') {
            *esc = 1;
            if (end - p < 2) break;
            ch = p[1];
            if (ch == 'u') {
                if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5]))
                    break;
                *odd = 1;
                p += 6;
                continue;
            }
            if (!memchr("\"\\/bfnrt", ch, 8)) break;
            *odd |= ch != '"' && ch != '\\' && ch != '/';
            p += 2;
            continue;
        }
        if (ch < 0x20) break; /* control characters are invalid */
        size_t n = utf8_seq(p, end);
        if (!n) break;
        *odd = 1;
        p += n;
    }
    c->p = (const char *)p;
    c->slow = 1;
    return 0;
}

static int string(cur *c, const char **s, const char **e, int *esc) {
    int odd;
    return string_kind(c, s, e, esc, &odd);
}

/* JSON number grammar; *is_int when it has no fraction and no exponent. */
static int number_token(cur *c, const char **s, const char **e, int *is_int) {
    ws(c);
    const char *p = c->p, *end = c->end;
    *s = p;
    *is_int = 1;
    if (p < end && *p == '-') p++;
    if (p >= end) goto bad;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') {
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        /* Python's json refuses integers of more than DETAP_JSON_INT_DIGITS digits
         * (int_max_str_digits), wherever they are: its errors decide */
        if (p - d > DETAP_JSON_INT_DIGITS && !(p < end && (*p == '.' || *p == 'e' || *p == 'E'))) goto bad;
    } else goto bad;
    if (p < end && *p == '.') {
        *is_int = 0;
        p++;
        if (p >= end || *p < '0' || *p > '9') goto bad;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') goto bad;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    *e = c->p = p;
    return 1;
bad:
    c->slow = 1;
    return 0;
}

static int skip_value(cur *c, int depth);

static int skip_container(cur *c, char open, int depth) {
    if (depth > MAX_DEPTH) { c->slow = 1; return 0; }
    char close = open == '[' ? ']' : '}';
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == close) { c->p++; return 1; }
    for (;;) {
        if (open == '{') {
            const char *s, *e;
            int esc;
            if (!string(c, &s, &e, &esc) || !expect(c, ':')) return 0;
        }
        if (!skip_value(c, depth + 1)) return 0;
        ws(c);
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        if (c->p < c->end && *c->p == close) { c->p++; return 1; }
        c->slow = 1;
        return 0;
    }
}

static int skip_value(cur *c, int depth) {
    ws(c);
    if (c->p >= c->end) { c->slow = 1; return 0; }
    char ch = *c->p;
    if (ch == '{' || ch == '[') return skip_container(c, ch, depth);
    if (ch == '"') { const char *s, *e; int esc; return string(c, &s, &e, &esc); }
    if (ch == 't' && c->end - c->p >= 4 && !memcmp(c->p, "true", 4)) { c->p += 4; return 1; }
    if (ch == 'f' && c->end - c->p >= 5 && !memcmp(c->p, "false", 5)) { c->p += 5; return 1; }
    if (ch == 'n' && c->end - c->p >= 4 && !memcmp(c->p, "null", 4)) { c->p += 4; return 1; }
    const char *s, *e;
    int is_int;
    return number_token(c, &s, &e, &is_int);
}

/* An integer id or size: JSON's integer grammar within int64.  A float
 * ("1.0"), an exponent or a bigger integer is Python's to judge (slow path:
 * pycocotools keeps what json.loads gives). */
static int int_field(cur *c, int64_t *out) {
    ws(c);
    const char *p = c->p, *end = c->end;
    int neg = p < end && *p == '-';
    p += neg;
    const char *d = p;
    uint64_t v = 0;
    /* 19 digits never overflow uint64; more are beyond int64 (or start
     * with a zero), Python's to judge */
    while (p < end && (unsigned)(*p - '0') < 10 && p - d < 19) {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p < end && (unsigned)(*p - '0') < 10) goto slow;
    if (p == d || (*d == '0' && p - d > 1)) goto slow; /* no digits; a leading zero */
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) goto slow;
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) goto slow;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    c->p = p;
    return 1;
slow:
    c->slow = 1;
    return 0;
}

/* A number as Python's json and float() read it (numparse.h), in one pass
 * over its digits. */
static int num_field(cur *c, double *out) {
    ws(c);
    size_t n = detap_parse_json_number(c->p, c->end, out);
    if (!n) { c->slow = 1; return 0; }
    c->p += n;
    return 1;
}

static inline int starts_number(cur *c) {
    ws(c);
    return c->p < c->end && (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'));
}

/* The members of one JSON object: field(c, key, key_len, ctx) parses the
 * value of each (keys with escapes go to the slow path). */
typedef int (*field_fn)(cur *, const char *, size_t, void *);

/* The members after a member and its ',' up to the object's '}'. */
static int more_fields(cur *c, field_fn field, void *ctx) {
    for (;;) {
        const char *ks, *ke;
        int esc;
        if (!string(c, &ks, &ke, &esc)) return 0;
        if (esc) { c->slow = 1; return 0; }
        if (!expect(c, ':')) return 0;
        if (!field(c, ks, (size_t)(ke - ks), ctx)) return 0;
        ws(c);
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        if (c->p < c->end && *c->p == '}') { c->p++; return 1; }
        c->slow = 1;
        return 0;
    }
}

static int object_fields(cur *c, field_fn field, void *ctx) {
    if (!expect(c, '{')) return 0;
    ws(c);
    if (c->p < c->end && *c->p == '}') { c->p++; return 1; }
    return more_fields(c, field, ctx);
}

#endif
