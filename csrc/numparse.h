/* Decimal text to float64, for every reader (det files: parse.c; COCO JSON:
 * cocojson.c).
 *
 * Contract: a converted value is the correctly rounded double of the text,
 * the same bits as Python's float() of it (and so as json.loads for a JSON
 * number with a fraction or an exponent).  That contract, not the
 * algorithm, is the interface.
 *
 * Algorithm (numparse.cpp): fast_float's from_chars (Eisel-Lemire with a
 * big-integer fallback), correctly rounded at any digit count and exponent:
 * 17-digit reprs, 10,000-digit mantissas, subnormals, overflow to +-inf
 * and underflow to +-0 as Python's float().  A converter that can convert
 * every spelling of the grammar below never refuses one; the "0" return is
 * for text that is not a number.
 */
#ifndef DETAP_NUMPARSE_H
#define DETAP_NUMPARSE_H

#include "detap_common.h"

/* Reads a number at the start of [p, end); *end is never read, so the
 * text need not be NUL-terminated.  The longest prefix of the form
 *
 *     [+-]? digits* ( '.' digits* )? ( [eE] [+-]? digits+ )?
 *
 * with at least one mantissa digit is taken ("5.", ".5", "007" and "1E+05"
 * are numbers; an 'e' without exponent digits is not part of one: "1e" reads
 * as "1").  No spaces, no "inf"/"nan", no hex, no digit separators: those
 * are for the caller's fallback to judge.
 *
 * Returns the number of bytes read (*out set), or 0 (*out untouched) when
 * p starts no number. */
size_t detap_parse_double(const char *p, const char *end, double *out);

/* Python refuses to read integers of more digits (sys.int_max_str_digits). */
#define DETAP_JSON_INT_DIGITS 4300

/* Reads a JSON number (RFC 8259's grammar: no '+', no leading zeros, digits
 * on both sides of a point) at the start of [p, end) as Python's json module
 * and float() give it: correctly rounded, an integer "-0" as +0.0, overflow
 * as +-inf.  Returns its length (*out set), or 0 (*out untouched) when p
 * starts no JSON number or an integer of more than DETAP_JSON_INT_DIGITS
 * digits (which json.loads refuses: the caller's fallback reports it).  The
 * caller checks what follows (a JSON number ends at a delimiter). */
size_t detap_parse_json_number(const char *p, const char *end, double *out);

/* 1 when all of [p, end) is one number that detap_parse_double converts
 * (*out set), else 0 (*out untouched): the check a reader makes on a token
 * it has already delimited. */
static inline int detap_parse_double_all(const char *p, const char *end, double *out) {
    double v;
    if (p >= end || detap_parse_double(p, end, &v) != (size_t)(end - p)) return 0;
    *out = v;
    return 1;
}

#endif
