/* Sanitizer harness for detap's C readers (tests/test_reader_fuzz.py builds
 * it with -fsanitize=address,undefined through tests/fuzz/build.py).
 *
 *     reader_harness [--prefixes N] FILE_OR_DIR...
 *
 * Every input (each file named, each regular file of a directory named, and
 * always the empty input) is handed to every reader of READERS below, each
 * time in a fresh heap block of exactly the input's size: no NUL terminator
 * and no slack, so AddressSanitizer reports any read past the end.  Inputs
 * of at most N bytes (default 512) are also read truncated at every length
 * (by the readers marked so in READERS).
 * Besides what the sanitizers catch, the harness checks each reader's own
 * contract (positions inside the buffer, counts within capacity, the same
 * columns whatever the size hint, numbers equal to glibc's correctly rounded
 * strtod) and prints a line "harness: FILE: ..." on stderr for each broken
 * one; the exit status is then 1.
 *
 * stdout gets "input PATH" before each input (unbuffered), so that the last
 * such line names the input a sanitizer report is about, then a summary.
 *
 * A new reader entry point is one function `static void read_xxx(const char
 * *buf, size_t len)` that calls it (and checks what it can of its results)
 * and one row of READERS; a new source file is one entry of C_SOURCES in
 * tests/fuzz/build.py.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cocojson.h"
#include "labeltxt.h"
#include "numparse.h"
#include "parse.h"
#include "results_stream.h"

static const char *current = "<empty>";
static long failures;

static void fail(const char *reader, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "harness: %s: %s: ", current, reader);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

#define CHECK(reader, cond) \
    do { if (!(cond)) fail(reader, "line %d: %s", __LINE__, #cond); } while (0)

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "harness: out of memory\n"); exit(2); }
    return p;
}

/* A copy of buf[0..len) in a heap block of exactly len bytes (malloc(0) for
 * the empty input: a block ASan knows has no bytes at all). */
static char *exact_copy(const char *buf, size_t len) {
    char *p = malloc(len);
    if (!p && len) { fprintf(stderr, "harness: out of memory\n"); exit(2); }
    if (len) memcpy(p, buf, len);
    return p;
}

static int same_bits(const void *a, const void *b, size_t n) {
    return n == 0 || memcmp(a, b, n) == 0;
}

/* ================================================================ COCO JSON */

/* A column of an optional group (ann_cols.h), or its absent value when no
 * record had the field (the group is then not allocated). */
static int64_t rle_len_of(const detap_ann_cols *a, size_t i) { return a->rle_len ? a->rle_len[i] : -1; }
static int64_t kp_len_of(const detap_ann_cols *a, size_t i) { return a->kp_len ? a->kp_len[i] : -1; }
static double iscrowd_of(const detap_ann_cols *a, size_t i) { return a->iscrowd ? a->iscrowd[i] : 0.; }
static double num_kp_of(const detap_ann_cols *a, size_t i) { return a->num_kp ? a->num_kp[i] : NAN; }
static int64_t poly_count_of(const detap_ann_cols *a, size_t i) { return a->poly_count ? a->poly_count[i] : -1; }
/* a rotated box's 5 values (all NaN: none) */
static void obb_of(const detap_ann_cols *a, size_t i, double out[5]) {
    for (int k = 0; k < 5; k++) out[k] = a->obb ? a->obb[5 * i + k] : NAN;
}

/* Where row i's polygon coordinates start in pv (the plen before them). */
static size_t poly_values_start(const detap_ann_cols *a, size_t i) {
    size_t s = 0;
    for (int64_t j = 0; j < a->poly_first[i]; j++) s += (size_t)a->plen[j];
    return s;
}

static void check_doc(const detap_coco_doc *d, const char *buf, size_t len) {
    const detap_ann_cols *a = &d->ann;
    CHECK("coco", d->stop == len);
    CHECK("coco", a->n <= a->cap && a->kp_n <= a->kp_cap);
    CHECK("coco", a->pv_n <= a->pv_cap && a->plen_n <= a->plen_cap);
    size_t total = 0;
    for (size_t j = 0; j < a->plen_n; j++) {
        CHECK("coco", a->plen[j] >= 0);
        total += (size_t)a->plen[j];
    }
    CHECK("coco", total == a->pv_n);
    CHECK("coco", d->img.n <= d->img.cap && d->cat.n <= d->cat.cap);
    if (d->top_is_array)
        CHECK("coco", !d->has_images && !d->has_annotations && !d->has_categories);
    for (size_t i = 0; i < a->n; i++) {
        if (rle_len_of(a, i) != -1) {
            int64_t s = a->rle_start[i], l = a->rle_len[i];
            CHECK("coco", s >= 1 && l >= 0 && (size_t)(s + l) < len);
            if (s >= 1 && l >= 0 && (size_t)(s + l) < len)
                CHECK("coco", buf[s - 1] == '"' && buf[s + l] == '"');
            CHECK("coco", a->rle_esc[i] <= 2);
            /* kind 0: plain ASCII (rle_strings trusts it); 1: no other escape */
            if (s >= 1 && l >= 0 && (size_t)(s + l) < len && a->rle_esc[i] < 2)
                for (int64_t j = s; j < s + l; j++) {
                    unsigned char ch = (unsigned char)buf[j];
                    CHECK("coco", ch >= 0x20 && ch < 0x80 && (ch != '\\' || a->rle_esc[i] == 1));
                    if (ch == '\\') {
                        CHECK("coco", j + 1 < s + l && (buf[j + 1] == '\\' || buf[j + 1] == '/' ||
                                                        buf[j + 1] == '"'));
                        j++;
                    }
                }
        }
        if (kp_len_of(a, i) != -1)
            CHECK("coco", a->kp_len[i] >= 0 && a->kp_start[i] >= 0 &&
                              (size_t)(a->kp_start[i] + a->kp_len[i]) <= a->kp_n);
        if (poly_count_of(a, i) != -1) {
            CHECK("coco", a->poly_count[i] >= 1 && a->poly_first[i] >= 0 &&
                              (size_t)(a->poly_first[i] + a->poly_count[i]) <= a->plen_n);
            CHECK("coco", a->plen[a->poly_first[i]] > 4 && (a->has[i] & DETAP_HAS_SEGMENTATION));
        }
        /* every value the caller may read is initialised: touch them */
        double o[5];
        obb_of(a, i, o);
        volatile double sink = iscrowd_of(a, i) + num_kp_of(a, i) + a->score[i] + a->bbox[4 * i] +
                               o[0] + o[4];
        (void)sink;
    }
}

/* The same columns, bit for bit (fields read only where present). */
static int same_doc(const detap_coco_doc *x, const detap_coco_doc *y) {
    const detap_ann_cols *a = &x->ann, *b = &y->ann;
    if (x->top_is_array != y->top_is_array || x->has_images != y->has_images ||
        x->has_annotations != y->has_annotations || x->has_categories != y->has_categories ||
        a->n != b->n || a->kp_n != b->kp_n || x->img.n != y->img.n || x->cat.n != y->cat.n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        uint8_t h = a->has[i];
        if (h != b->has[i]) return 0;
        if ((h & DETAP_HAS_ID) && a->id[i] != b->id[i]) return 0;
        if ((h & DETAP_HAS_IMAGE_ID) && a->image_id[i] != b->image_id[i]) return 0;
        if ((h & DETAP_HAS_CATEGORY_ID) && a->category_id[i] != b->category_id[i]) return 0;
        if ((h & DETAP_HAS_BBOX) && !same_bits(a->bbox + 4 * i, b->bbox + 4 * i, 32)) return 0;
        if ((h & DETAP_HAS_AREA) && !same_bits(a->area + i, b->area + i, 8)) return 0;
        if ((h & DETAP_HAS_SCORE) && !same_bits(a->score + i, b->score + i, 8)) return 0;
        double ca = iscrowd_of(a, i), cb = iscrowd_of(b, i), na = num_kp_of(a, i), nb = num_kp_of(b, i);
        if (!same_bits(&ca, &cb, 8) || !same_bits(&na, &nb, 8)) return 0;
        if (rle_len_of(a, i) != rle_len_of(b, i) || kp_len_of(a, i) != kp_len_of(b, i)) return 0;
        if (poly_count_of(a, i) != poly_count_of(b, i)) return 0;
        double oa[5], ob[5];
        obb_of(a, i, oa);
        obb_of(b, i, ob);
        if (!same_bits(oa, ob, 40)) return 0;
        if (poly_count_of(a, i) > 0) {
            size_t nv = 0;
            for (int64_t j = 0; j < a->poly_count[i]; j++) {
                if (a->plen[a->poly_first[i] + j] != b->plen[b->poly_first[i] + j]) return 0;
                nv += (size_t)a->plen[a->poly_first[i] + j];
            }
            if (!same_bits(a->pv + poly_values_start(a, i), b->pv + poly_values_start(b, i), 8 * nv)) return 0;
        }
        if (rle_len_of(a, i) >= 0 &&
            (a->rle_start[i] != b->rle_start[i] || a->rle_h[i] != b->rle_h[i] ||
             a->rle_w[i] != b->rle_w[i] || a->rle_esc[i] != b->rle_esc[i]))
            return 0;
        if (kp_len_of(a, i) > 0 && (a->kp_start[i] != b->kp_start[i] ||
                                 !same_bits(a->kp + a->kp_start[i], b->kp + b->kp_start[i],
                                            8 * (size_t)a->kp_len[i])))
            return 0;
    }
    const detap_id_cols *ix[2] = {&x->img, &x->cat}, *iy[2] = {&y->img, &y->cat};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < ix[k]->n; i++) {
            if (ix[k]->has[i] != iy[k]->has[i]) return 0;
            if ((ix[k]->has[i] & DETAP_HAS_ID) && ix[k]->id[i] != iy[k]->id[i]) return 0;
        }
    return 1;
}

static int coco_once(const char *buf, size_t len, size_t hint, int nthreads, detap_coco_doc *doc) {
    memset(doc, 0, sizeof *doc);
    int rc = detap_coco_parse(buf, len, hint, 0, nthreads, doc);
    CHECK("coco", rc == DETAP_OK || rc == DETAP_PARSE_SLOW || rc == DETAP_ENOMEM);
    CHECK("coco", doc->stop <= len);
    if (rc == DETAP_OK) check_doc(doc, buf, len);
    return rc;
}

/* detap_coco_parse with the size hints 0 (grow from nothing), 1, 3 (grow
 * at once), 1500, and the one detap._core passes, the annotations cut into
 * 2 or 3 pieces (this build cuts at any size); the columns must not depend
 * on the hint nor the pieces. */
static void read_coco(const char *buf, size_t len) {
    const size_t hints[] = {1, 3, 1500, len / 60 + 16};
    detap_coco_doc ref, doc;
    int rc0 = coco_once(buf, len, 0, 1, &ref);
    for (size_t k = 0; k < sizeof hints / sizeof *hints; k++) {
        int rc = coco_once(buf, len, hints[k], 2 + (int)(k % 2), &doc);
        CHECK("coco", rc == rc0);
        if (rc == DETAP_OK && rc0 == DETAP_OK && !same_doc(&ref, &doc))
            fail("coco", "hint %zu, %d pieces give other columns than hint 0, one piece",
                 hints[k], 2 + (int)(k % 2));
        detap_coco_doc_free(&doc);
    }
    /* polygons skipped: the same verdict (the columns are compared in Python) */
    memset(&doc, 0, sizeof doc);
    int rc = detap_coco_parse(buf, len, 0, DETAP_PARSE_NO_POLYGONS, 2, &doc);
    CHECK("coco", rc == rc0 || rc == DETAP_ENOMEM || rc0 == DETAP_ENOMEM);
    if (rc == DETAP_OK) check_doc(&doc, buf, len);
    detap_coco_doc_free(&doc);
    detap_coco_doc_free(&ref);
    /* the doc is reusable after a free (all pointers NULL, counts 0) */
    CHECK("coco", ref.ann.id == NULL && ref.ann.n == 0 && ref.img.id == NULL);
}

/* ====================================================== streamed results */

/* detap_results_feed driven as detap._core.read_coco_results drives it, the
 * window reallocated at its exact size at every call (so ASan sees a read
 * past it), ``block`` new bytes at a time. */
static int stream_once(const char *buf, size_t len, size_t block, int nthreads,
                       detap_results_stream *r) {
    memset(r, 0, sizeof *r);
    r->ann.hint = len / 50 + 1;
    char *win = NULL;
    size_t have = 0, pos = 0;
    int rc;
    for (;;) {
        size_t take = len - pos < block ? len - pos : block;
        char *nw = xmalloc(have + take);
        if (have) memcpy(nw, win, have);
        if (take) memcpy(nw + have, buf + pos, take);
        free(win);
        win = nw;
        have += take;
        pos += take;
        int eof = pos >= len;
        size_t consumed = 0;
        rc = detap_results_feed(r, win, have, eof, nthreads, &consumed);
        if (rc != DETAP_OK) break;
        CHECK("stream", consumed <= have);
        memmove(win, win + consumed, have - consumed);
        have -= consumed;
        if (eof && r->state == 2 && have == 0) break;
        if (eof && !consumed) { rc = DETAP_PARSE_SLOW; break; }
    }
    free(win);
    return rc;
}

/* The streamed reader in blocks of 1, 5 (on small inputs), 64 and all bytes, on 1 and 3
 * pieces: it accepts a document exactly when the one-shot reader reads it
 * as a results array, with the same records. */
static void read_stream(const char *buf, size_t len) {
    detap_coco_doc ref;
    memset(&ref, 0, sizeof ref);
    int rc0 = detap_coco_parse(buf, len, 0, 0, 1, &ref);
    int want = rc0 == DETAP_OK && ref.top_is_array;
    /* tiny blocks only on small inputs: each call copies the window */
    const size_t blocks[] = {len <= 2048 ? 1 : 4096, len <= 2048 ? 5 : 16384, 64, len + 1};
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
        for (int nt = 1; nt <= 3; nt += 2) {
            detap_results_stream r;
            int rc = stream_once(buf, len, blocks[b], nt, &r);
            CHECK("stream", rc == DETAP_OK || rc == DETAP_PARSE_SLOW || rc == DETAP_ENOMEM);
            if (rc0 != DETAP_ENOMEM && rc != DETAP_ENOMEM && (rc == DETAP_OK) != want)
                fail("stream", "block %zu, %d pieces: status %d, one-shot %d (array %d)",
                     blocks[b], nt, rc, rc0, ref.top_is_array);
            if (rc == DETAP_OK && want) {
                const detap_ann_cols *x = &r.ann, *y = &ref.ann;
                size_t n = x->n;
                if (n != y->n || (n && (memcmp(x->image_id, y->image_id, 8 * n) ||
                                        memcmp(x->category_id, y->category_id, 8 * n) ||
                                        memcmp(x->bbox, y->bbox, 32 * n) ||
                                        memcmp(x->score, y->score, 8 * n) ||
                                        memcmp(x->has, y->has, n))))
                    fail("stream", "block %zu, %d pieces: other records than one-shot", blocks[b], nt);
            }
            detap_results_free(&r);
        }
    detap_coco_doc_free(&ref);
}

/* ================================================================ det files */

/* A hand-back of the det parser: where and which line */
typedef struct { size_t start, end, line; int rc; } handback;

/* What detap._core.parse_dets does with the pieces [starts[k], starts[k+1])
 * of buf: parse them (detap_parse_dets_pieces), then piece by piece take
 * the handed-back lines (the Python side appends a record for each: here a
 * zero one), go on, and gather the rows.  Returns the rows; the hand-backs
 * go to hb (*nhb of them). */
static size_t dets_pieces(const char *buf, size_t len, size_t want, const detap_idtable *ids,
                          int ncoord, int64_t **img_out, double **score_out, double **boxes_out,
                          handback *hb, size_t *nhb, size_t maxhb) {
    size_t *starts = xmalloc((want + 1) * sizeof *starts);
    size_t np = detap_split_lines(buf, len, want, starts);
    CHECK("dets", np >= 1 && np <= want && starts[0] == 0 && starts[np] == len);
    size_t *first = xmalloc((np + 1) * sizeof *first);
    first[0] = 0;
    for (size_t k = 0; k < np; k++) {
        CHECK("dets", starts[k] < starts[k + 1] || len == 0);
        CHECK("dets", k == 0 || buf[starts[k] - 1] == '\n');
        first[k + 1] = first[k] + detap_count_lines(buf + starts[k], starts[k + 1] - starts[k]);
    }
    size_t cap = first[np];
    int64_t *img = xmalloc(cap * sizeof *img);
    double *score = xmalloc(cap * sizeof *score);
    double *boxes = xmalloc((size_t)ncoord * cap * sizeof *boxes);
    detap_det_parser *p = xmalloc(np * sizeof *p);
    int *rc = xmalloc(np * sizeof *rc);
    size_t *count = xmalloc(np * sizeof *count);
    /* 8 coordinates: DOTA Task1, where extra fields are handed back */
    detap_parse_dets_pieces(buf, starts, np, first, ids, ncoord, ncoord == 4, img, score, boxes,
                            p, rc, count, (int)np);
    size_t total = 0;
    *nhb = 0;
    for (size_t k = 0; k < np; k++) {
        size_t before = starts[k];
        while (rc[k] != DETAP_PARSE_DONE) {
            if (rc[k] != DETAP_PARSE_SLOW && rc[k] != DETAP_PARSE_UNKNOWN) {
                fail("dets", "status %d", rc[k]);
                break;
            }
            int sane = p[k].line_start >= before && p[k].line_start < p[k].line_end &&
                       p[k].line_end <= starts[k + 1];
            if (!sane) {
                fail("dets", "line handed back at [%zu, %zu) of piece [%zu, %zu)",
                     p[k].line_start, p[k].line_end, starts[k], starts[k + 1]);
                break;
            }
            if (*nhb < maxhb)
                hb[(*nhb)++] = (handback){p[k].line_start, p[k].line_end,
                    detap_line_number(buf, starts[k]) + p[k].bad_line_no - 1, rc[k]};
            if (count[k] >= first[k + 1]) {
                fail("dets", "more records than the lines counted");
                break;
            }
            img[count[k]] = 0;
            score[count[k]] = 0;
            memset(boxes + (size_t)ncoord * count[k], 0, (size_t)ncoord * sizeof *boxes);
            count[k]++;
            before = p[k].pos = p[k].line_end;
            p[k].line_no = p[k].bad_line_no + 1;
            rc[k] = detap_parse_dets(p + k, ids, ncoord, ncoord == 4, img, score, boxes,
                                     first[k + 1], count + k);
        }
        CHECK("dets", count[k] <= first[k + 1]);
        size_t m = count[k] - first[k];
        memmove(img + total, img + first[k], m * sizeof *img);
        memmove(score + total, score + first[k], m * sizeof *score);
        memmove(boxes + (size_t)ncoord * total, boxes + (size_t)ncoord * first[k],
                m * (size_t)ncoord * sizeof *boxes);
        total += m;
    }
    free(starts);
    free(first);
    free(p);
    free(rc);
    free(count);
    *img_out = img;
    *score_out = score;
    *boxes_out = boxes;
    return total;
}

static void dets_with(const char *buf, size_t len, const detap_idtable *ids, size_t nkeys,
                      int ncoord) {
    enum { MAXHB = 4096 };
    static handback hb1[MAXHB], hbk[MAXHB];
    size_t n1 = 0, nh1 = 0;
    int64_t *img;
    double *score, *boxes;
    /* one piece: the sequential parse, line numbers increasing */
    n1 = dets_pieces(buf, len, 1, ids, ncoord, &img, &score, &boxes, hb1, &nh1, MAXHB);
    for (size_t i = 1; i < nh1; i++) CHECK("dets", hb1[i].line > hb1[i - 1].line);
    for (size_t i = 0; i < n1; i++) {
        CHECK("dets", img[i] >= 0 && (size_t)img[i] < nkeys);
        CHECK("dets", isfinite(score[i]));
        for (int k = 0; k < ncoord; k++) CHECK("dets", isfinite(boxes[(size_t)ncoord * i + k]));
    }
    /* more pieces: the same rows and hand-backs, wherever the cuts fall */
    for (size_t want = 2; want <= 5; want++) {
        size_t nk = 0, nhk = 0;
        int64_t *img2;
        double *score2, *boxes2;
        nk = dets_pieces(buf, len, want, ids, ncoord, &img2, &score2, &boxes2, hbk, &nhk, MAXHB);
        int same = nk == n1 && nhk == nh1 &&
                   (!n1 || (!memcmp(img, img2, n1 * sizeof *img) &&
                            !memcmp(score, score2, n1 * sizeof *score) &&
                            !memcmp(boxes, boxes2, n1 * (size_t)ncoord * sizeof *boxes)));
        for (size_t i = 0; same && i < nh1; i++)
            same = hb1[i].start == hbk[i].start && hb1[i].end == hbk[i].end &&
                   hb1[i].line == hbk[i].line && hb1[i].rc == hbk[i].rc;
        if (!same) fail("dets", "%zu pieces: other rows or hand-backs than one", want);
        free(img2);
        free(score2);
        free(boxes2);
    }
    free(img);
    free(score);
    free(boxes);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

/* detap_parse_dets with two id tables: a few fixed names (most lines are
 * then unknown), and the first token of each of the input's lines (so
 * that lines with numbers take the fast path), each key in its own exact
 * heap block when added. */
static void read_dets(const char *buf, size_t len) {
    static const char *fixed[] = {"img1", "img2", "000001", "a", "1", "-1", "0.5", "x\xff", ""};
    size_t nfixed = sizeof fixed / sizeof *fixed;
    detap_idtable *t = detap_idtable_new(1); /* small: it must grow */
    CHECK("dets", t != NULL);
    if (!t) return;
    for (size_t k = 0; k < nfixed; k++) {
        char *key = exact_copy(fixed[k], strlen(fixed[k]));
        CHECK("dets", detap_idtable_add(t, key, strlen(fixed[k]), (int64_t)k) == (int64_t)k);
        CHECK("dets", detap_idtable_add(t, key, strlen(fixed[k]), 99) == (int64_t)k);
        free(key);
    }
    for (size_t k = 0; k < nfixed; k++)
        CHECK("dets", detap_idtable_get(t, fixed[k], strlen(fixed[k])) == (int64_t)k);
    dets_with(buf, len, t, nfixed, 4);
    dets_with(buf, len, t, nfixed, 8);
    detap_idtable_free(t);

    t = detap_idtable_new(0);
    CHECK("dets", t != NULL);
    if (!t) return;
    size_t n = 0;
    for (size_t i = 0; i < len && n < 4096;) {
        size_t e = i;
        while (e < len && buf[e] != '\n' && buf[e] != '\r') e++;
        size_t s = i;
        while (s < e && is_space(buf[s])) s++;
        size_t te = s;
        while (te < e && !is_space(buf[te])) te++;
        if (te > s) {
            char *key = exact_copy(buf + s, te - s);
            int64_t v = detap_idtable_add(t, key, te - s, (int64_t)n);
            CHECK("dets", v >= 0 && v <= (int64_t)n);
            CHECK("dets", detap_idtable_get(t, key, te - s) == v);
            if (v == (int64_t)n) n++;
            free(key);
        }
        i = e < len ? e + 1 : e;
    }
    dets_with(buf, len, t, n, 4);
    dets_with(buf, len, t, n, 8);
    detap_idtable_free(t);
}

/* ============================================================ labelTxt */

/* detap_labeltxt_parse on the input as one labelTxt file: within its
 * capacity (and refusing the file, not writing past it, when the capacity
 * is one object short), finite coordinates, class names inside the text
 * and of non-space ASCII, 0/1 flags. */
static void read_labeltxt(const char *buf, size_t len) {
    size_t cap = detap_count_lines(buf, len);
    double *quad = xmalloc(8 * cap * sizeof *quad);
    size_t *at = xmalloc(cap * sizeof *at), *ln = xmalloc(cap * sizeof *ln);
    uint8_t *diff = xmalloc(cap);
    long n = detap_labeltxt_parse(buf, len, quad, at, ln, diff, cap);
    CHECK("labeltxt", n >= -1 && n <= (long)cap);
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 8; k++) CHECK("labeltxt", isfinite(quad[8 * i + k]));
        CHECK("labeltxt", ln[i] > 0 && at[i] + ln[i] <= len);
        for (size_t c = 0; c < ln[i] && at[i] + ln[i] <= len; c++) {
            unsigned char ch = (unsigned char)buf[at[i] + c];
            CHECK("labeltxt", ch < 0x80 && ch != ' ' && ch != '\n' && ch != '\r');
        }
        CHECK("labeltxt", diff[i] <= 1);
    }
    /* with the same capacity, never more objects than it has room for */
    if (n > 1) {
        long m = detap_labeltxt_parse(buf, len, quad, at, ln, diff, (size_t)n - 1);
        CHECK("labeltxt", m == -1);
    }
    free(quad);
    free(at);
    free(ln);
    free(diff);
}

/* ================================================================== numbers */

/* detap_parse_double on [p, end): the count is within the text, and the
 * value is glibc's strtod of the bytes read (glibc rounds correctly at any
 * digit count, as Python's float() does). */
static size_t number_at(const char *p, const char *end) {
    double v = 12345.0;
    size_t r = detap_parse_double(p, end, &v);
    CHECK("numbers", r <= (size_t)(end - p));
    if (r == 0) {
        CHECK("numbers", v == 12345.0);
        return 0;
    }
    if (r > (size_t)(end - p)) return 0;
    char *z = xmalloc(r + 1);
    memcpy(z, p, r);
    z[r] = 0;
    char *stop;
    errno = 0;
    double ref = strtod(z, &stop);
    if (stop != z + r || !same_bits(&v, &ref, sizeof v))
        fail("numbers", "%.60s%s reads as %.17g (%zu bytes), strtod %.17g (%zu bytes)", z,
             r > 60 ? "..." : "", v, r, ref, (size_t)(stop - z));
    free(z);
    double w = 54321.0;
    int all = detap_parse_double_all(p, end, &w);
    CHECK("numbers", all == (r == (size_t)(end - p)));
    CHECK("numbers", all ? same_bits(&v, &w, sizeof v) : w == 54321.0);
    return r;
}

static int separator(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == ',' ||
           c == ':' || c == '[' || c == ']' || c == '{' || c == '}' || c == '"';
}

/* Every token (a run of bytes between JSON punctuation and spaces): read
 * to the end of the buffer (as the readers call it), then in exact heap
 * copies of the token, of some of its prefixes and of some of its suffixes. */
static void read_numbers(const char *buf, size_t len) {
    size_t ntok = 0;
    for (size_t i = 0; i <= len && ntok < 20000;) {
        while (i < len && separator(buf[i])) i++;
        size_t s = i;
        while (i < len && !separator(buf[i])) i++;
        size_t n = i - s;
        number_at(buf + s, buf + len);
        if (n == 0) break;
        ntok++;
        char *tok = exact_copy(buf + s, n);
        number_at(tok, tok + n);
        for (size_t k = 1; k < n && k <= 8; k++) number_at(tok + k, tok + n);
        number_at(tok + n - 1, tok + n);
        free(tok);
        size_t cuts[] = {0, 1, 2, 3, n / 2, n - 1};
        for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
            if (cuts[k] >= n) continue;
            char *pre = exact_copy(buf + s, cuts[k]);
            number_at(pre, pre + cuts[k]);
            free(pre);
        }
    }
}

/* ================================================================= driver */

typedef void (*reader_fn)(const char *buf, size_t len);

/* prefixes: also read every truncation of small inputs (read_numbers
 * already cuts each token itself) */
static const struct {
    const char *name;
    reader_fn run;
    int prefixes;
} READERS[] = {
    {"coco", read_coco, 1},
    {"stream", read_stream, 0},
    {"dets", read_dets, 1},
    {"labeltxt", read_labeltxt, 1},
    {"numbers", read_numbers, 0},
};

static long n_inputs, n_runs;
static size_t max_prefix = 512;

static void run_all(const char *buf, size_t len) {
    for (size_t r = 0; r < sizeof READERS / sizeof *READERS; r++) {
        char *copy = exact_copy(buf, len);
        READERS[r].run(copy, len);
        free(copy);
        n_runs++;
        if (READERS[r].prefixes && len <= max_prefix)
            for (size_t k = 0; k < len; k++) {
                char *pre = exact_copy(buf, k);
                READERS[r].run(pre, k);
                free(pre);
                n_runs++;
            }
    }
    n_inputs++;
}

static void run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "harness: cannot open %s: %s\n", path, strerror(errno)); exit(2); }
    size_t cap = 1 << 16, len = 0, got;
    char *buf = xmalloc(cap);
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) { fprintf(stderr, "harness: out of memory\n"); exit(2); }
            buf = b;
        }
    }
    fclose(f);
    current = path;
    printf("input %s\n", path);
    run_all(buf, len);
    free(buf);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) { fprintf(stderr, "harness: %s: %s\n", path, strerror(errno)); exit(2); }
    if (!S_ISDIR(st.st_mode)) { run_file(path); return; }
    DIR *d = opendir(path);
    if (!d) { fprintf(stderr, "harness: %s: %s\n", path, strerror(errno)); exit(2); }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **b = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);
            if (!b) { fprintf(stderr, "harness: out of memory\n"); exit(2); }
            names = b;
        }
        size_t m = strlen(path) + strlen(e->d_name) + 2;
        names[n] = xmalloc(m);
        snprintf(names[n++], m, "%s/%s", path, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) run_file(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--prefixes") == 0) {
        max_prefix = (size_t)strtoull(argv[i + 1], NULL, 10);
        i += 2;
    }
    printf("input <empty>\n");
    run_all(NULL, 0);
    for (; i < argc; i++) run_path(argv[i]);
    printf("done: %ld inputs, %ld reader runs, %ld failed checks\n", n_inputs, n_runs, failures);
    return failures ? 1 : 0;
}
