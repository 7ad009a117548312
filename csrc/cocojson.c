#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cocojson.h"
#include "json_lex.h"
#include "numparse.h"
#include "results_stream.h"

static inline int grow(void **p, size_t elem, size_t cap) { return detap_grow_array(p, elem, cap); }

/* ok, noting a failed allocation in c */
static inline int mem_ok(cur *c, int ok) { c->nomem |= !ok; return ok; }
static int need_group(cur *c, detap_ann_cols *a, int g) { return mem_ok(c, detap_ann_group(a, g)); }

static int id_reserve(cur *c, detap_id_cols *a) {
    if (a->n < a->cap) return 1;
    size_t cap = a->cap ? 2 * a->cap : 256;
    if (!grow((void **)&a->id, 8, cap) || !grow((void **)&a->has, 1, cap) ||
        !grow((void **)&a->str_start, 8, cap) || !grow((void **)&a->str_len, 8, cap) ||
        !grow((void **)&a->str_esc, 1, cap) || !grow((void **)&a->width, 8, cap) ||
        !grow((void **)&a->height, 8, cap)) {
        c->nomem = 1;
        return 0;
    }
    a->cap = cap;
    return 1;
}


#define KEY_IS(lit) (klen == sizeof(lit) - 1 && !memcmp(key, lit, sizeof(lit) - 1))

typedef struct { detap_ann_cols *a; size_t i; uint8_t has; const char *base; } ann_ctx;

/* The members of a compressed RLE object; anything else makes it "other". */
typedef struct { const char *base; int64_t start, len, h, w; uint8_t esc; int got_size, other; } rle_ctx;

static int rle_field(cur *c, const char *key, size_t klen, void *ctx) {
    rle_ctx *r = ctx;
    ws(c);
    if (KEY_IS("counts") && c->p < c->end && *c->p == '"') {
        const char *s, *e;
        int esc, odd;
        if (!string_kind(c, &s, &e, &esc, &odd)) return 0;
        r->start = (int64_t)(s - r->base);
        r->len = (int64_t)(e - s);
        r->esc = (uint8_t)(odd ? 2 : esc);
        return 1;
    }
    if (KEY_IS("size") && c->p < c->end && *c->p == '[') {
        c->p++;
        if (!int_field(c, &r->h) || !expect(c, ',') || !int_field(c, &r->w) || !expect(c, ']'))
            return 0;
        r->got_size = 1;
        return 1;
    }
    r->other = 1;
    return skip_value(c, 3);
}

/* Room for one more value in a flat array of elem-byte values. */
static int reserve_flat(cur *c, void **arr, size_t n, size_t *cap, size_t elem) {
    if (n < *cap) return 1;
    size_t want = *cap ? 2 * *cap : 4096;
    if (!grow(arr, elem, want)) { c->nomem = 1; return 0; }
    *cap = want;
    return 1;
}

/* An array of JSON numbers (the cursor at its '[') appended to the flat
 * array *arr (*n used of *cap).  0 on a JSON error; 0 with *other set at a
 * value that is not a number (the caller rewinds). */
static int number_list(cur *c, double **arr, size_t *n, size_t *cap, int *other) {
    c->p++; /* '[' */
    ws(c);
    if (c->p < c->end && *c->p == ']') { c->p++; return 1; }
    for (;;) {
        if (!starts_number(c)) { *other = 1; return 0; }
        if (!reserve_flat(c, (void **)arr, *n, cap, 8)) return 0;
        if (!num_field(c, *arr + *n)) return 0;
        ++*n;
        ws(c);
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        if (c->p < c->end && *c->p == ']') { c->p++; return 1; }
        c->slow = 1;
        return 0;
    }
}

/* "keypoints": an array of numbers appended to a->kp. */
static int keypoints(cur *c, detap_ann_cols *a, size_t i) {
    if (!need_group(c, a, DETAP_GROUP_KP)) return 0;
    ws(c);
    if (c->p >= c->end || *c->p != '[') { c->slow = 1; return 0; }
    size_t start = a->kp_n;
    int other = 0;
    if (!number_list(c, &a->kp, &a->kp_n, &a->kp_cap, &other)) {
        c->slow = 1; /* (null, strings, ...: Python decides) */
        return 0;
    }
    a->kp_start[i] = (int64_t)start; /* a repeated key: the last one, as json */
    a->kp_len[i] = (int64_t)(a->kp_n - start);
    return 1;
}

/* A list of polygons (lists of JSON numbers, the first of more than four:
 * pycocotools reads a first list of four as boxes) appended to a's pv and
 * plen as row i's.  0 on a JSON error; 0 with *other set, the cursor and
 * the arrays as they were, when the value has another shape (for Python to
 * read: boxes, an empty list, strings, nested lists). */
static int polygons(cur *c, detap_ann_cols *a, size_t i, int *other) {
    const char *p0 = c->p;
    size_t pv0 = a->pv_n, pl0 = a->plen_n;
    c->p++; /* '[' */
    ws(c);
    if (c->p < c->end && *c->p == ']') goto other;
    for (;;) {
        ws(c);
        if (c->p >= c->end || *c->p != '[') goto other;
        size_t start = a->pv_n;
        if (!number_list(c, &a->pv, &a->pv_n, &a->pv_cap, other)) {
            if (*other) goto other;
            return 0;
        }
        if (!reserve_flat(c, (void **)&a->plen, a->plen_n, &a->plen_cap, 8)) return 0;
        a->plen[a->plen_n++] = (int64_t)(a->pv_n - start);
        ws(c);
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        if (c->p < c->end && *c->p == ']') { c->p++; break; }
        c->slow = 1;
        return 0;
    }
    if (a->plen[pl0] <= 4) goto other;
    if (!need_group(c, a, DETAP_GROUP_POLY)) return 0;
    a->poly_first[i] = (int64_t)pl0;
    a->poly_count[i] = (int64_t)(a->plen_n - pl0);
    return 1;
other:
    c->p = p0;
    a->pv_n = pv0;
    a->plen_n = pl0;
    *other = 1;
    return 0;
}

/* "segmentation": a compressed RLE is located (rle_*), polygons are read
 * (poly_*, pv, plen; also noted as DETAP_HAS_SEGMENTATION), anything else
 * only noted.  Returns 0 on a JSON error (slow path). */
static int segmentation(cur *c, ann_ctx *x) {
    detap_ann_cols *a = x->a;
    size_t i = x->i;
    /* a repeated key: the last one counts, as in json */
    if (a->groups & (1u << DETAP_GROUP_RLE)) a->rle_len[i] = -1;
    if (a->groups & (1u << DETAP_GROUP_POLY)) a->poly_count[i] = -1;
    ws(c);
    if (c->p < c->end && *c->p == '{') {
        rle_ctx r = {x->base, -1, -1, 0, 0, 0, 0, 0};
        if (!object_fields(c, rle_field, &r)) return 0;
        if (!r.other && r.got_size && r.len >= 0) {
            if (!need_group(c, a, DETAP_GROUP_RLE)) return 0;
            if (c->copy_rle) {
                size_t n = (size_t)r.len;
                if (a->blob_n + n > a->blob_cap) {
                    size_t cap = a->blob_cap ? 2 * a->blob_cap : 1 << 16;
                    while (cap < a->blob_n + n) cap *= 2;
                    if (!grow((void **)&a->blob, 1, cap)) { c->nomem = 1; return 0; }
                    a->blob_cap = cap;
                }
                if (n) memcpy(a->blob + a->blob_n, x->base + r.start, n); /* (blob NULL until then) */
                r.start = (int64_t)a->blob_n;
                a->blob_n += n;
            }
            a->rle_start[i] = r.start;
            a->rle_len[i] = r.len;
            a->rle_h[i] = r.h;
            a->rle_w[i] = r.w;
            a->rle_esc[i] = r.esc;
            return 1;
        }
        x->has |= DETAP_HAS_SEGMENTATION; /* e.g. uncompressed counts */
        return 1;
    }
    x->has |= DETAP_HAS_SEGMENTATION;
    if (c->p < c->end && *c->p == '[' && !c->no_polygons) {
        int other = 0;
        if (polygons(c, a, i, &other)) return 1;
        if (!other) return 0;
    }
    return skip_value(c, 2);
}

/* "[v0, ..., v(k-1)]": exactly k numbers into out (anything else: slow path) */
static int numbers(cur *c, double *out, int k) {
    if (!expect(c, '[')) return 0;
    for (int j = 0; j < k; j++)
        if ((j && !expect(c, ',')) || !num_field(c, out + j)) return 0;
    return expect(c, ']');
}

static int ann_field(cur *c, const char *key, size_t klen, void *ctx) {
    ann_ctx *x = ctx;
    detap_ann_cols *a = x->a;
    size_t i = x->i;
    if (KEY_IS("id")) {
        if (!need_group(c, a, DETAP_GROUP_ID) || !int_field(c, &a->id[i])) return 0;
        x->has |= DETAP_HAS_ID;
    } else if (KEY_IS("image_id")) {
        if (!int_field(c, &a->image_id[i])) return 0;
        x->has |= DETAP_HAS_IMAGE_ID;
    } else if (KEY_IS("category_id")) {
        if (!int_field(c, &a->category_id[i])) return 0;
        x->has |= DETAP_HAS_CATEGORY_ID;
    } else if (KEY_IS("bbox")) {
        if (!numbers(c, &a->bbox[4 * i], 4)) return 0;
        x->has |= DETAP_HAS_BBOX;
    } else if (KEY_IS("obb")) { /* (absent: NaN, which JSON cannot write) */
        return need_group(c, a, DETAP_GROUP_OBB) && numbers(c, &a->obb[5 * i], 5);
    } else if (KEY_IS("area")) {
        if (!need_group(c, a, DETAP_GROUP_AREA) || !num_field(c, &a->area[i])) return 0;
        x->has |= DETAP_HAS_AREA;
    } else if (KEY_IS("score")) {
        if (!num_field(c, &a->score[i])) return 0;
        x->has |= DETAP_HAS_SCORE;
    } else if (KEY_IS("iscrowd")) {
        if (!need_group(c, a, DETAP_GROUP_ISCROWD)) return 0;
        ws(c);
        if (c->end - c->p >= 4 && !memcmp(c->p, "true", 4)) { a->iscrowd[i] = 1; c->p += 4; }
        else if (c->end - c->p >= 5 && !memcmp(c->p, "false", 5)) { a->iscrowd[i] = 0; c->p += 5; }
        else if (!num_field(c, &a->iscrowd[i])) return 0;
        x->has |= DETAP_HAS_ISCROWD;
    } else if (KEY_IS("segmentation")) {
        return segmentation(c, x);
    } else if (KEY_IS("keypoints")) {
        return keypoints(c, a, i);
    } else if (KEY_IS("num_keypoints")) {
        return need_group(c, a, DETAP_GROUP_NUMKP) && num_field(c, &a->num_kp[i]);
    } else {
        return skip_value(c, 2);
    }
    return 1;
}

/* The text at *q is lit (n bytes): step over it. */
static inline int lit(const char **q, const char *end, const char *s, size_t n) {
    if ((size_t)(end - *q) < n || memcmp(*q, s, n)) return 0;
    *q += n;
    return 1;
}

static inline int fast_num(const char **q, const char *end, double *out) {
    size_t n = detap_parse_json_number(*q, end, out);
    *q += n;
    return n != 0;
}

static inline int fast_int(const char **q, const char *end, int64_t *out) {
    cur t = {*q, end, 0, 0, NULL, 0, 0};
    if (!int_field(&t, out)) return 0;
    *q = t.p;
    return 1;
}

/* A box result exactly as json.dump writes one, with its default or its
 * compact separators:
 *     {"image_id": 1, "category_id": 2, "bbox": [x, y, w, h], "score": s}
 * read without key look-ups (most records of a results file): 1.  2 when
 * a ',' follows the score, as in Detectron2's mask and keypoint results
 * ("segmentation" or "keypoints" after the four): c->p is then after it,
 * for the caller to read the other fields by name.  0 when the text is
 * anything else (other keys, order or spacing): the caller reads the
 * record field by field from its start, which also judges the errors. */
static const char *const SEP[2][5] = {
    {"{\"image_id\": ", ", \"category_id\": ", ", \"bbox\": [", ", ", "], \"score\": "},
    {"{\"image_id\":", ",\"category_id\":", ",\"bbox\":[", ",", "],\"score\":"}};
static const size_t SEP_LEN[2][5] = {{13, 17, 11, 2, 12}, {12, 15, 9, 1, 10}};

/* (inlined for k = 0 and 1: the separators become constants) */
static inline int box_result_sep(cur *c, detap_ann_cols *a, size_t i, int k) {
    const char *q = c->p, *end = c->end;
    const char *const *s = SEP[k];
    const size_t *n = SEP_LEN[k];
    double *bb = a->bbox + 4 * i;
    if (!lit(&q, end, s[0], n[0]) || !fast_int(&q, end, &a->image_id[i]) ||
        !lit(&q, end, s[1], n[1]) || !fast_int(&q, end, &a->category_id[i]) ||
        !lit(&q, end, s[2], n[2]) || !fast_num(&q, end, &bb[0]) ||
        !lit(&q, end, s[3], n[3]) || !fast_num(&q, end, &bb[1]) ||
        !lit(&q, end, s[3], n[3]) || !fast_num(&q, end, &bb[2]) ||
        !lit(&q, end, s[3], n[3]) || !fast_num(&q, end, &bb[3]) ||
        !lit(&q, end, s[4], n[4]) || !fast_num(&q, end, &a->score[i]))
        return 0;
    int more = lit(&q, end, ",", 1);
    if (!more && !lit(&q, end, "}", 1)) return 0;
    c->p = q;
    return 1 + more;
}

static int box_result(cur *c, detap_ann_cols *a, size_t i) {
    ws(c);
    if (c->end - c->p < 13 || memcmp(c->p, "{\"image_id\":", 12)) return 0;
    return c->p[12] == ' ' ? box_result_sep(c, a, i, 0) : box_result_sep(c, a, i, 1);
}

/* One annotation object. */
static int annotation(cur *c, detap_ann_cols *a, const char *base) {
    if (!mem_ok(c, detap_ann_reserve(a))) return 0;
    ann_ctx x = {a, a->n, 0, base};
    detap_ann_row_defaults(a, x.i);
    int box = box_result(c, a, x.i); /* (it sets the four fields it reads) */
    if (box) {
        x.has = DETAP_HAS_IMAGE_ID | DETAP_HAS_CATEGORY_ID | DETAP_HAS_BBOX | DETAP_HAS_SCORE;
        /* (a field named again later overwrites its value, as in json) */
        if (box == 2 && !more_fields(c, ann_field, &x)) return 0;
        a->has[x.i] = x.has;
        a->n++;
        return 1;
    }
    /* absent fields read as 0 (the has bits say which): no column holds
     * uninitialised memory, nor what box_result wrote before it gave up */
    a->image_id[x.i] = a->category_id[x.i] = 0;
    a->bbox[4 * x.i] = a->bbox[4 * x.i + 1] = a->bbox[4 * x.i + 2] = a->bbox[4 * x.i + 3] = 0;
    a->score[x.i] = 0;
    if (!object_fields(c, ann_field, &x)) return 0;
    a->has[x.i] = x.has;
    a->n++;
    return 1;
}

int detap_coco_record(const char *p, const char *end, const char *base, int flags,
                      detap_ann_cols *a, const char **next, int *nomem) {
    cur c = {p, end, 0, 0, base, (flags & DETAP_PARSE_COPY_RLE) != 0,
             (flags & DETAP_PARSE_NO_POLYGONS) != 0};
    int ok = annotation(&c, a, base);
    *next = c.p;
    *nomem = c.nomem;
    return ok;
}

typedef struct { detap_id_cols *a; size_t i; uint8_t has; const char *str_key; int sizes; } id_ctx;

static int id_field(cur *c, const char *key, size_t klen, void *ctx) {
    id_ctx *x = ctx;
    detap_id_cols *a = x->a;
    size_t i = x->i;
    if (KEY_IS("id")) {
        if (!int_field(c, &a->id[i])) return 0;
        x->has |= DETAP_HAS_ID;
        return 1;
    }
    if (klen == strlen(x->str_key) && !memcmp(key, x->str_key, klen)) {
        ws(c);
        if (c->p < c->end && *c->p == '"') {
            const char *s, *e;
            int esc;
            if (!string(c, &s, &e, &esc)) return 0;
            a->str_start[i] = (int64_t)(s - c->base);
            a->str_len[i] = (int64_t)(e - s);
            a->str_esc[i] = (uint8_t)esc;
            return 1;
        }
    } else if (x->sizes && (KEY_IS("width") || KEY_IS("height"))) {
        if (starts_number(c)) return num_field(c, KEY_IS("width") ? &a->width[i] : &a->height[i]);
    } else {
        return skip_value(c, 2);
    }
    x->has |= DETAP_ID_OTHER; /* e.g. a null file_name, a width given as a string */
    return skip_value(c, 2);
}

/* An image or category object (detap_id_cols' fields). */
static int id_object(cur *c, detap_id_cols *a, const char *str_key, int sizes) {
    if (!id_reserve(c, a)) return 0;
    id_ctx x = {a, a->n, 0, str_key, sizes};
    a->str_start[x.i] = 0;
    a->str_len[x.i] = -1;
    a->str_esc[x.i] = 0;
    a->width[x.i] = a->height[x.i] = NAN;
    if (!object_fields(c, id_field, &x)) return 0;
    a->has[x.i] = x.has;
    a->n++;
    return 1;
}

typedef int (*elem_fn)(cur *, void *);
static int img_elem(cur *c, void *a) { return id_object(c, (detap_id_cols *)a, "file_name", 1); }
static int cat_elem(cur *c, void *a) { return id_object(c, (detap_id_cols *)a, "name", 0); }

static int array_of(cur *c, elem_fn f, void *cols) {
    if (!expect(c, '[')) return 0;
    ws(c);
    if (c->p < c->end && *c->p == ']') { c->p++; return 1; }
    for (;;) {
        if (!f(c, cols)) return 0;
        ws(c);
        if (c->p < c->end && *c->p == ',') { c->p++; continue; }
        if (c->p < c->end && *c->p == ']') { c->p++; return 1; }
        c->slow = 1;
        return 0;
    }
}

/* The annotations array at c->p on doc->nthreads threads (results_stream.h) */
static int ann_array(cur *c, detap_coco_doc *doc) {
    int flags = (c->copy_rle ? DETAP_PARSE_COPY_RLE : 0) | (c->no_polygons ? DETAP_PARSE_NO_POLYGONS : 0);
    int rc = detap_ann_array(c->p + 1, c->end, c->base, flags, doc->nthreads, &doc->ann, &c->p);
    c->nomem = rc == DETAP_ENOMEM;
    c->slow = rc != DETAP_OK;
    return rc == DETAP_OK;
}

/* A member of the top-level object: the three sections are read, anything
 * else skipped.  A repeated section goes to the slow path (Python's json
 * keeps the last one). */
static int top_field(cur *c, const char *key, size_t klen, void *ctx) {
    detap_coco_doc *doc = ctx;
    int *seen = NULL;
    elem_fn f = NULL; /* (NULL for the annotations: ann_array) */
    void *cols = NULL;
    if (KEY_IS("annotations")) seen = &doc->has_annotations;
    else if (KEY_IS("images")) { seen = &doc->has_images; f = img_elem; cols = &doc->img; }
    else if (KEY_IS("categories")) { seen = &doc->has_categories; f = cat_elem; cols = &doc->cat; }
    if (!seen) return skip_value(c, 1);
    ws(c);
    if (*seen || c->p >= c->end || *c->p != '[') { c->slow = 1; return 0; }
    if (!(f ? array_of(c, f, cols) : ann_array(c, doc))) return 0;
    *seen = 1;
    return 1;
}

int detap_coco_parse(const char *buf, size_t len, size_t ann_hint, int flags, int nthreads,
                     detap_coco_doc *doc) {
    cur c = {buf, buf + len, 0, 0, buf, (flags & DETAP_PARSE_COPY_RLE) != 0,
             (flags & DETAP_PARSE_NO_POLYGONS) != 0};
    doc->ann.hint = ann_hint;
    doc->nthreads = nthreads;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) { doc->stop = 0; return DETAP_PARSE_SLOW; }
    ws(&c);
    int ok = 0;
    if (c.p < c.end && *c.p == '[') {
        doc->top_is_array = 1;
        ok = ann_array(&c, doc);
    } else if (c.p < c.end && *c.p == '{') {
        ok = object_fields(&c, top_field, doc);
    } else {
        c.slow = 1;
    }
    if (ok) {
        ws(&c);
        if (c.p != c.end) { ok = 0; c.slow = 1; } /* trailing data */
    }
    doc->stop = (size_t)(c.p - buf);
    if (c.nomem) return DETAP_ENOMEM;
    return ok ? DETAP_OK : DETAP_PARSE_SLOW;
}

void detap_coco_doc_free(detap_coco_doc *doc) {
    detap_ann_free(&doc->ann);
    detap_id_cols *ic[2] = {&doc->img, &doc->cat};
    for (int k = 0; k < 2; k++) {
        free(ic[k]->id); free(ic[k]->has); free(ic[k]->str_start); free(ic[k]->str_len);
        free(ic[k]->str_esc); free(ic[k]->width); free(ic[k]->height);
    }
    memset(doc, 0, sizeof *doc);
}

