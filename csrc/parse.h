/* Reading detection text files: `image_id score x1 y1 x2 y2` per line
 * (py-faster-rcnn's per-class det files; extra numeric columns after the
 * four coordinates are ignored, as the reference ignores them), or
 * `image_id score x1 y1 x2 y2 x3 y3 x4 y4` (DOTA's Task1 files).
 *
 * The parser works on the raw bytes of a whole file: fields separated by
 * spaces or tabs, numbers converted by numparse.h (correctly rounded at any
 * digit count).  A line it cannot read (too few fields, a token that is
 * not a number such as "nan" or "1_000"), it hands back to the caller,
 * which parses that line with Python's own float() and reports errors: the
 * C path never guesses.  Image ids are looked up in a hash table of the
 * image set's names (bytes, compared exactly); a line whose id is not there
 * is handed back too.
 */
#ifndef DETAP_PARSE_H
#define DETAP_PARSE_H

#include "detap_common.h"

typedef struct detap_idtable detap_idtable;

/* A table of up to `n` byte-string keys.  NULL when out of memory. */
detap_idtable *detap_idtable_new(size_t n);
void detap_idtable_free(detap_idtable *t);
/* Adds key -> value unless the key is present; returns the stored value
 * (the first one for a repeated key), or DETAP_ENOMEM / DETAP_EVALUE. */
int64_t detap_idtable_add(detap_idtable *t, const char *key, size_t len, int64_t value);
/* The value for key, or -1. */
int64_t detap_idtable_get(const detap_idtable *t, const char *key, size_t len);

/* Parse status (besides DETAP_ENOMEM etc.). */
#define DETAP_PARSE_DONE 0    /* the whole buffer is consumed */
#define DETAP_PARSE_SLOW 1    /* [line_start, line_end) needs the slow path */
#define DETAP_PARSE_UNKNOWN 2 /* that line's image id is not in the table */

typedef struct {
    const char *buf;
    size_t len;
    size_t pos;        /* where the next line starts */
    size_t line_no;    /* 1-based number of the next line */
    size_t line_start; /* the line handed back, with DETAP_PARSE_SLOW/UNKNOWN */
    size_t line_end;
    size_t bad_line_no;
} detap_det_parser;

/* The line of buf[0..len) that starts at i ends at the returned index (its
 * first \n or \r, or len); the next line starts at *next (\r\n, \n and a
 * lone \r each end a line, as Python's universal newlines). */
static inline size_t detap_line_end(const char *buf, size_t len, size_t i, size_t *next) {
    while (i < len && buf[i] != '\n' && buf[i] != '\r') i++;
    *next = i < len ? i + ((buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') ? 2 : 1) : i;
    return i;
}

/* Upper bound on the number of lines in buf. */
size_t detap_count_lines(const char *buf, size_t len);

/* The number of lines in buf as detap_line_end cuts them (\r\n, \n and a
 * lone \r each end one; a last line without an end counts; "" has none),
 * so at least the number of records detap_parse_dets reads from it. */
size_t detap_line_count(const char *buf, size_t len);

/* The 1-based number of the line that starts at buf[pos] (\r\n, \n and a
 * lone \r each end a line, as the parser counts them). */
size_t detap_line_number(const char *buf, size_t pos);

/* Cuts buf into at most n pieces that start lines: starts[0] = 0, each
 * other start just after a '\n', starts[k] = len for the count k returned
 * (starts has room for n + 1). */
size_t detap_split_lines(const char *buf, size_t len, size_t n, size_t *starts);

void detap_det_parser_init(detap_det_parser *p, const char *buf, size_t len);

/* Parses lines of ncoord (4 or 8) coordinates into img[], score[] and
 * boxes[ncoord * k] from index *count on; a line with more fields is read
 * when extra_ok (its extra fields must be numbers), else handed back,
 * never writing past index cap - 1 (it returns DETAP_EVALUE if a line would
 * need to).  Blank lines are skipped.  Stops at the end or at the first line
 * it hands back; the caller may deal with that line, append its record,
 * set p->pos = p->line_end and call again. */
int detap_parse_dets(detap_det_parser *p, const detap_idtable *ids, int ncoord, int extra_ok,
                     int64_t *img, double *score, double *boxes, size_t cap,
                     size_t *count);

/* detap_parse_dets on each piece [starts[k], starts[k + 1]) of buf (from
 * detap_split_lines) at once, on up to nthreads threads (0: all cores):
 * piece k's records go to rows first[k] .. first[k + 1] - 1 (room for as
 * many records as the piece can hold, e.g. detap_line_count of the piece;
 * a piece that would write past them returns DETAP_EVALUE), rc[k] and p[k] are its
 * status and parser (line numbers counted from the piece's first line) and
 * count[k] its next free row.  A piece that hands a line back stops there,
 * as detap_parse_dets does; the caller goes on with p[k], piece by piece,
 * and gathers the rows. */
int detap_parse_dets_pieces(const char *buf, const size_t *starts, size_t npieces,
                            const size_t *first, const detap_idtable *ids, int ncoord,
                            int extra_ok, int64_t *img, double *score, double *boxes,
                            detap_det_parser *p, int *rc, size_t *count, int nthreads);

#endif
