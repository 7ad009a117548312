#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "numparse.h"

/* ---- image-id table: open addressing, FNV-1a ---- */

typedef struct { size_t off, len; int64_t value; int used; } slot;

struct detap_idtable {
    slot *slots;
    size_t mask, nkeys;
    char *blob;
    size_t blob_len, blob_cap;
};

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h;
}

detap_idtable *detap_idtable_new(size_t n) {
    detap_idtable *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t cap = 16;
    while (cap < 2 * n + 1) cap <<= 1;
    t->slots = calloc(cap, sizeof *t->slots);
    t->mask = cap - 1;
    t->blob_cap = 64;
    t->blob = malloc(t->blob_cap);
    if (!t->slots || !t->blob) { detap_idtable_free(t); return NULL; }
    return t;
}

void detap_idtable_free(detap_idtable *t) {
    if (!t) return;
    free(t->slots);
    free(t->blob);
    free(t);
}

static slot *find_slot(const detap_idtable *t, const char *key, size_t len) {
    size_t i = (size_t)fnv1a(key, len) & t->mask;
    for (;;) {
        slot *s = &t->slots[i];
        if (!s->used) return s;
        if (s->len == len && memcmp(t->blob + s->off, key, len) == 0) return s;
        i = (i + 1) & t->mask;
    }
}

static int grow(detap_idtable *t) {
    size_t cap = 2 * (t->mask + 1);
    slot *old = t->slots, *ns = calloc(cap, sizeof *ns);
    if (!ns) return 1;
    size_t oldcap = t->mask + 1;
    t->slots = ns;
    t->mask = cap - 1;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used) *find_slot(t, t->blob + old[i].off, old[i].len) = old[i];
    free(old);
    return 0;
}

int64_t detap_idtable_add(detap_idtable *t, const char *key, size_t len, int64_t value) {
    slot *s = find_slot(t, key, len);
    if (s->used) return s->value;
    if (2 * (t->nkeys + 1) > t->mask + 1) {
        /* keep the load factor at most 1/2 so probing always ends */
        if (grow(t)) return DETAP_ENOMEM;
        s = find_slot(t, key, len);
    }
    if (t->blob_len + len > t->blob_cap) {
        size_t cap = t->blob_cap;
        while (cap < t->blob_len + len) cap *= 2;
        char *b = realloc(t->blob, cap);
        if (!b) return DETAP_ENOMEM;
        t->blob = b;
        t->blob_cap = cap;
    }
    memcpy(t->blob + t->blob_len, key, len);
    s->off = t->blob_len;
    s->len = len;
    s->value = value;
    s->used = 1;
    t->nkeys++;
    t->blob_len += len;
    return value;
}

int64_t detap_idtable_get(const detap_idtable *t, const char *key, size_t len) {
    const slot *s = find_slot(t, key, len);
    return s->used ? s->value : -1;
}

/* ---- lines ---- */

size_t detap_count_lines(const char *buf, size_t len) {
    size_t n = 1;
    for (size_t i = 0; i < len; i++) n += (buf[i] == '\n' || buf[i] == '\r');
    return n;
}

void detap_det_parser_init(detap_det_parser *p, const char *buf, size_t len) {
    memset(p, 0, sizeof *p);
    p->buf = buf;
    p->len = len;
    p->line_no = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) p->pos = 3; /* UTF-8 BOM */
}

static inline int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

int detap_parse_dets(detap_det_parser *p, const detap_idtable *ids, int ncoord, int extra_ok,
                     int64_t *img, double *score, double *boxes, size_t cap,
                     size_t *count) {
    if (ncoord != 4 && ncoord != 8) return DETAP_EVALUE;
    const int nf = 2 + ncoord; /* fields a record needs */
    const char *buf = p->buf;
    size_t len = p->len;
    while (p->pos < len) {
        size_t start = p->pos, end = start;
        while (end < len && buf[end] != '\n' && buf[end] != '\r') end++;
        /* next line: \r\n counts as one break */
        size_t next = end;
        if (next < len) next += (buf[next] == '\r' && next + 1 < len && buf[next + 1] == '\n') ? 2 : 1;
        size_t this_line = p->line_no;
        p->line_start = start;
        p->line_end = next;
        p->bad_line_no = this_line;

        const char *tok[11];
        const char *tend[11];
        int nt = 0;
        size_t i = start;
        while (i < end) {
            while (i < end && is_space(buf[i])) i++;
            if (i >= end) break;
            size_t b = i;
            while (i < end && !is_space(buf[i])) i++;
            if (nt <= nf) { tok[nt] = buf + b; tend[nt] = buf + i; }
            nt++;
        }
        if (nt == 0) { p->pos = next; p->line_no++; continue; }
        if (nt < nf || (nt > nf && !extra_ok)) return DETAP_PARSE_SLOW;
        double v[9];
        /* an overflow ("1e999") reads as inf, as float() reads it: the
         * caller's line parser is the one that rejects non-finite values */
        for (int k = 0; k < nf - 1; k++)
            if (!detap_parse_double_all(tok[k + 1], tend[k + 1], &v[k]) || !isfinite(v[k]))
                return DETAP_PARSE_SLOW;
        if (nt > nf) {
            /* extra columns must still be numbers, as the reference float()s them */
            size_t j = (size_t)(tend[nf - 1] - buf);
            while (j < end) {
                while (j < end && is_space(buf[j])) j++;
                if (j >= end) break;
                size_t b = j;
                while (j < end && !is_space(buf[j])) j++;
                double dummy;
                if (!detap_parse_double_all(buf + b, buf + j, &dummy)) return DETAP_PARSE_SLOW;
            }
        }
        int64_t id = detap_idtable_get(ids, tok[0], (size_t)(tend[0] - tok[0]));
        if (id < 0) return DETAP_PARSE_UNKNOWN;
        if (*count >= cap) return DETAP_EVALUE;
        size_t c = (*count)++;
        img[c] = id;
        score[c] = v[0];
        for (int k = 0; k < ncoord; k++) boxes[(size_t)ncoord * c + (size_t)k] = v[k + 1];
        p->pos = next;
        p->line_no++;
    }
    return DETAP_PARSE_DONE;
}
