#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "numparse.h"

/* ---- image-id table: open addressing, a word-at-a-time hash ---- */

typedef struct { size_t off, len; int64_t value; int used; } slot;

struct detap_idtable {
    slot *slots;
    size_t mask, nkeys;
    char *blob;
    size_t blob_len, blob_cap;
};

/* Eight bytes per multiply (ids such as DOTA's "P0706__1024__0___824" are
 * 20 bytes: byte-wise FNV-1a was a chain of 20 multiplies, 3 % of a DOTA
 * voc_eval), then a final mix so that the low bits the mask keeps depend
 * on every byte. */
static inline uint64_t mix(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 29);
}

static uint64_t hash_key(const char *s, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = mix(h, w);
    }
    if (n) {
        w = 0;
        for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
        h = mix(h, w);
    }
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
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

static slot *find_slot_at(const detap_idtable *t, const char *key, size_t len, uint64_t h) {
    size_t i = (size_t)h & t->mask;
    for (;;) {
        slot *s = &t->slots[i];
        if (!s->used) return s;
        if (s->len == len && memcmp(t->blob + s->off, key, len) == 0) return s;
        i = (i + 1) & t->mask;
    }
}

static slot *find_slot(const detap_idtable *t, const char *key, size_t len) {
    return find_slot_at(t, key, len, hash_key(key, len));
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
    for (size_t i = 0; i < len; i++) n += (buf[i] == '\n') | (buf[i] == '\r');
    return n;
}

size_t detap_line_count(const char *buf, size_t len) {
    /* three plain counts the compiler vectorises: ends = \n + \r - \r\n */
    size_t lf = 0, cr = 0, crlf = 0;
    for (size_t i = 0; i < len; i++) {
        lf += buf[i] == '\n';
        cr += buf[i] == '\r';
    }
    for (size_t i = 0; i + 1 < len; i++) crlf += (buf[i] == '\r') & (buf[i + 1] == '\n');
    return lf + cr - crlf + (len && buf[len - 1] != '\n' && buf[len - 1] != '\r');
}

size_t detap_line_number(const char *buf, size_t pos) {
    size_t n = 1;
    for (size_t i = 0; i < pos; i++)
        n += buf[i] == '\n' || (buf[i] == '\r' && !(i + 1 < pos && buf[i + 1] == '\n'));
    return n;
}

size_t detap_split_lines(const char *buf, size_t len, size_t n, size_t *starts) {
    size_t k = 1;
    starts[0] = 0;
    for (size_t i = 1; i < n; i++) {
        size_t s = len / n * i;
        if (s < starts[k - 1]) s = starts[k - 1];
        const char *nl = s < len ? memchr(buf + s, '\n', len - s) : NULL;
        if (!nl) break;
        s = (size_t)(nl - buf) + 1;
        if (s >= len) break;
        if (s > starts[k - 1]) starts[k++] = s;
    }
    starts[k] = len;
    return k;
}

void detap_det_parser_init(detap_det_parser *p, const char *buf, size_t len) {
    memset(p, 0, sizeof *p);
    p->buf = buf;
    p->len = len;
    p->line_no = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) p->pos = 3; /* UTF-8 BOM */
}

static inline int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }
static inline int is_eol(char c) { return c == '\n' || c == '\r'; }

/* One number token at s (< e): its value, and where the token ends, or 0
 * when the token is not all one number. */
static inline const char *number_token(const char *s, const char *e, double *v) {
    size_t n = detap_parse_double(s, e, v);
    if (!n) return NULL;
    s += n;
    return s < e && !is_space(*s) && !is_eol(*s) ? NULL : s;
}

int detap_parse_dets(detap_det_parser *p, const detap_idtable *ids, int ncoord, int extra_ok,
                     int64_t *img, double *score, double *boxes, size_t cap,
                     size_t *count) {
    if (ncoord != 4 && ncoord != 8) return DETAP_EVALUE;
    const int nv = 1 + ncoord; /* numbers a record needs after its image id */
    const char *buf = p->buf, *e = buf + p->len;
    while (p->pos < p->len) {
        /* one pass over the line's tokens: the image id, nv numbers, and
         * (extra_ok) more numbers; anything else hands the line back */
        const char *s = buf + p->pos;
        while (s < e && is_space(*s)) s++;
        int blank = s == e || is_eol(*s), slow = 0;
        const char *id = s;
        size_t idlen = 0;
        uint64_t h = 0;
        double v[9];
        if (!blank) {
            while (s < e && !is_space(*s) && !is_eol(*s)) s++;
            idlen = (size_t)(s - id);
            /* the id's slot is fetched while the numbers are read: with the
             * lines in no order it is a cache miss, which was 3 % of a DOTA
             * voc_eval when taken after them */
            h = hash_key(id, idlen);
            __builtin_prefetch(&ids->slots[(size_t)h & ids->mask]);
            for (int k = 0; k < nv && !slow; k++) {
                while (s < e && is_space(*s)) s++;
                /* too few fields, or not a number; an overflow ("1e999")
                 * reads as inf, as float() reads it: the caller's line
                 * parser is the one that rejects non-finite values */
                const char *t = s < e && !is_eol(*s) ? number_token(s, e, &v[k]) : NULL;
                if (!t || !isfinite(v[k])) slow = 1;
                else s = t;
            }
            while (!slow) {
                while (s < e && is_space(*s)) s++;
                if (s == e || is_eol(*s)) break;
                /* extra columns must still be numbers, as the reference float()s them */
                double dummy;
                const char *t = extra_ok ? number_token(s, e, &dummy) : NULL;
                if (!t) slow = 1;
                else s = t;
            }
        }
        size_t next;   /* where the next line starts */
        detap_line_end(buf, p->len, (size_t)(s - buf), &next);
        p->line_start = p->pos;
        p->line_end = next;
        p->bad_line_no = p->line_no;
        if (blank) { p->pos = next; p->line_no++; continue; }
        if (slow) return DETAP_PARSE_SLOW;
        const slot *hit = find_slot_at(ids, id, idlen, h);
        int64_t im = hit->used ? hit->value : -1;
        if (im < 0) return DETAP_PARSE_UNKNOWN;
        if (*count >= cap) return DETAP_EVALUE;
        size_t c = (*count)++;
        img[c] = im;
        score[c] = v[0];
        for (int k = 0; k < ncoord; k++) boxes[(size_t)ncoord * c + (size_t)k] = v[k + 1];
        p->pos = next;
        p->line_no++;
    }
    return DETAP_PARSE_DONE;
}

int detap_parse_dets_pieces(const char *buf, const size_t *starts, size_t npieces,
                            const size_t *first, const detap_idtable *ids, int ncoord,
                            int extra_ok, int64_t *img, double *score, double *boxes,
                            detap_det_parser *p, int *rc, size_t *count, int nthreads) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(detap_team(nthreads)) schedule(dynamic, 1)
#endif
    for (long kl = 0; kl < (long)npieces; kl++) {
        size_t k = (size_t)kl;
        /* (a thread's own parser and count: the arrays' neighbouring
         * entries, other threads', share cache lines) */
        detap_det_parser q;
        detap_det_parser_init(&q, buf, starts[k + 1]);
        if (k) q.pos = starts[k]; /* (a BOM only opens the first piece) */
        size_t c = first[k];
        rc[k] = detap_parse_dets(&q, ids, ncoord, extra_ok, img, score, boxes, first[k + 1], &c);
        p[k] = q;
        count[k] = c;
    }
    (void)nthreads;
    return DETAP_OK;
}
