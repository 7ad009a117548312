#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "labeltxt.h"
#include "numparse.h"
#include "parse.h"

/* Python's str.split() separators among ASCII (str.isspace), but for the
 * line breaks, which end a line first */
static inline int lt_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1f);
}

long detap_labeltxt_parse(const char *buf, size_t len, double *quad, size_t *cls_at,
                          size_t *cls_len, uint8_t *difficult, size_t cap) {
    size_t i = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (size_t j = i; j < len; j++)
        if ((unsigned char)buf[j] >= 0x80) return -1; /* Python decodes (or rejects) it */
    size_t n = 0;
    while (i < len) {
        size_t s = i;
        size_t e = detap_line_end(buf, len, s, &i); /* the line is [s, e) */
        size_t ts[10], te[10];
        int nt = 0;
        for (size_t k = s; k < e;) {
            while (k < e && lt_space((unsigned char)buf[k])) k++;
            if (k >= e) break;
            size_t b = k;
            while (k < e && !lt_space((unsigned char)buf[k])) k++;
            if (nt < 10) {
                ts[nt] = b;
                te[nt] = k;
            }
            nt++;
        }
        if (nt < 9) continue; /* headers and blank lines, as the devkit */
        if (nt > 10 || n >= cap) return -1;
        /* line.strip().split(" ") == line.split(): single spaces between fields */
        for (int t = 1; t < nt; t++)
            if (ts[t] != te[t - 1] + 1 || buf[te[t - 1]] != ' ') return -1;
        for (int t = 0; t < 8; t++) {
            double v;
            if (!detap_parse_double_all(buf + ts[t], buf + te[t], &v) || !isfinite(v)) return -1;
            quad[8 * n + (size_t)t] = v;
        }
        cls_at[n] = ts[8];
        cls_len[n] = te[8] - ts[8];
        uint8_t d = 0; /* int(field) != 0 */
        if (nt == 10) {
            const char *p = buf + ts[9], *q = buf + te[9];
            if (*p == '+' || *p == '-') p++;
            if (p == q) return -1;
            for (; p < q; p++) {
                if (*p < '0' || *p > '9') return -1;
                d |= *p != '0';
            }
        }
        difficult[n++] = d;
    }
    return (long)n;
}

/* one file's text and objects until they are gathered */
typedef struct {
    char *buf;
    double *quad;
    size_t *at, *len;
    uint8_t *diff;
    long n;
} lt_file;

static void lt_file_free(lt_file *f) {
    free(f->buf);
    free(f->quad);
    free(f->at);
    free(f->len);
    free(f->diff);
    memset(f, 0, sizeof *f);
}

/* The whole file at path into f->buf (*len bytes): DETAP_LABELTXT_OK, _IO,
 * or DETAP_ENOMEM */
static int lt_slurp(const char *path, lt_file *f, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return DETAP_LABELTXT_IO;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? DETAP_LABELTXT_OK : DETAP_ENOMEM;
    while (rc == DETAP_LABELTXT_OK) {
        if (n == cap) {
            char *b = realloc(buf, 2 * cap);
            if (!b) {
                rc = DETAP_ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp)) rc = DETAP_LABELTXT_IO;
            break;
        }
    }
    fclose(fp);
    if (rc != DETAP_LABELTXT_OK) {
        free(buf);
        return rc;
    }
    f->buf = buf;
    *len = n;
    return rc;
}

/* Reads and parses file k: its status, or DETAP_ENOMEM */
static int lt_one(const char *path, lt_file *f) {
    size_t len = 0;
    int rc = lt_slurp(path, f, &len);
    if (rc != DETAP_LABELTXT_OK) return rc;
    size_t cap = detap_count_lines(f->buf, len);
    f->quad = malloc(8 * cap * sizeof *f->quad);
    f->at = malloc(cap * sizeof *f->at);
    f->len = malloc(cap * sizeof *f->len);
    f->diff = malloc(cap);
    if (!f->quad || !f->at || !f->len || !f->diff) return DETAP_ENOMEM;
    f->n = detap_labeltxt_parse(f->buf, len, f->quad, f->at, f->len, f->diff, cap);
    return f->n < 0 ? DETAP_LABELTXT_SLOW : DETAP_LABELTXT_OK;
}

void detap_labeltxt_free(detap_labeltxt *t) {
    free(t->quad);
    free(t->file);
    free(t->cls);
    free(t->difficult);
    free(t->names);
    free(t->name_off);
    memset(t, 0, sizeof *t);
}

/* Gathers the read files' objects in file order, numbering the classes as
 * they first appear */
static int lt_gather(lt_file *f, size_t nfiles, const int *status, detap_labeltxt *out) {
    size_t total = 0, blob = 0;
    for (size_t k = 0; k < nfiles; k++)
        if (status[k] == DETAP_LABELTXT_OK) total += (size_t)f[k].n;
    out->quad = malloc((8 * total + 1) * sizeof *out->quad);
    out->file = malloc((total + 1) * sizeof *out->file);
    out->cls = malloc((total + 1) * sizeof *out->cls);
    out->difficult = malloc(total + 1);
    out->name_off = malloc(sizeof *out->name_off);
    detap_idtable *tab = detap_idtable_new(64);
    if (!out->quad || !out->file || !out->cls || !out->difficult || !out->name_off || !tab) {
        detap_idtable_free(tab);
        return DETAP_ENOMEM;
    }
    out->name_off[0] = 0;
    size_t r = 0;
    for (size_t k = 0; k < nfiles; k++) {
        if (status[k] != DETAP_LABELTXT_OK) continue;
        for (long i = 0; i < f[k].n; i++, r++) {
            const char *name = f[k].buf + f[k].at[i];
            size_t ln = f[k].len[i];
            int64_t c = detap_idtable_get(tab, name, ln);
            if (c < 0) {
                c = (int64_t)out->ncls;
                char *nb = realloc(out->names, blob + ln + 1);
                size_t *no = realloc(out->name_off, (out->ncls + 2) * sizeof *no);
                if (nb) out->names = nb;
                if (no) out->name_off = no;
                if (!nb || !no || detap_idtable_add(tab, name, ln, c) != c) {
                    detap_idtable_free(tab);
                    return DETAP_ENOMEM;
                }
                memcpy(out->names + blob, name, ln);
                blob += ln;
                out->name_off[++out->ncls] = blob;
            }
            memcpy(out->quad + 8 * r, f[k].quad + 8 * i, 8 * sizeof *out->quad);
            out->file[r] = (int64_t)k;
            out->cls[r] = c;
            out->difficult[r] = f[k].diff[i];
        }
    }
    out->n = total;
    detap_idtable_free(tab);
    return DETAP_OK;
}

int detap_labeltxt_read(const char *const *paths, size_t nfiles, int nthreads, int *status,
                        detap_labeltxt *out) {
    memset(out, 0, sizeof *out);
    lt_file *f = calloc(nfiles + 1, sizeof *f);
    if (!f) return DETAP_ENOMEM;
    int oom = 0;
    /* files are independent: any thread, any order */
#ifdef _OPENMP
#pragma omp parallel for num_threads(detap_team(nthreads)) schedule(dynamic, 16) \
    reduction(| : oom) if (nfiles > 16)
#endif
    for (long kl = 0; kl < (long)nfiles; kl++) {
        size_t k = (size_t)kl;
        int rc = lt_one(paths[k], f + k);
        oom |= rc == DETAP_ENOMEM;
        status[k] = rc == DETAP_ENOMEM ? DETAP_LABELTXT_IO : rc;
    }
    (void)nthreads;
    int rc = oom ? DETAP_ENOMEM : lt_gather(f, nfiles, status, out);
    for (size_t k = 0; k < nfiles; k++) lt_file_free(f + k);
    free(f);
    if (rc != DETAP_OK) detap_labeltxt_free(out);
    return rc;
}
