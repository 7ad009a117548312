#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "cocojson.h"
#include "results_stream.h"


/* 1 when the value starting at p closes before end (strings and escapes
 * respected): a record that failed to parse although complete is a JSON
 * error; one cut by the block's end is only incomplete. */
static int value_closes(const char *p, const char *end) {
    int depth = 0;
    while (p < end) {
        char ch = *p++;
        if (ch == '"') {
            while (p < end && *p != '"') p += *p == '\\' ? 2 : 1;
            if (p >= end) return 0;
            p++;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth <= 0) return 1;
        }
    }
    return 0;
}

enum { PIECE_REACHED, PIECE_CLOSED, PIECE_INCOMPLETE, PIECE_ERROR, PIECE_NOMEM };

typedef struct {
    const char *start, *stop; /* parse the records that start before stop */
    int first;                /* start may hold the ']' of an empty array */
    detap_ann_cols ann;
    int status;
    const char *next;         /* REACHED: next record; CLOSED: after ']'; INCOMPLETE: resume */
    int next_first;           /* INCOMPLETE: the resume point may hold ']' */
} piece;

static inline const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* The records of one piece into a; the last piece (stop == end) reads to
 * the end. */
static void parse_piece_into(piece *pc, detap_ann_cols *a, const char *base, const char *end,
                             int final, int flags) {
    const char *p = pc->start;
    int first = pc->first;
    for (;;) {
        const char *rec = skip_ws(p, end);
        if (rec >= end) {
            pc->status = final ? PIECE_ERROR : PIECE_INCOMPLETE;
            pc->next = rec;
            pc->next_first = first;
            return;
        }
        if (first && *rec == ']') { pc->status = PIECE_CLOSED; pc->next = rec + 1; return; }
        if (rec >= pc->stop) { pc->status = PIECE_REACHED; pc->next = rec; return; }
        size_t n = a->n, kp_n = a->kp_n, blob_n = a->blob_n, pv_n = a->pv_n, plen_n = a->plen_n;
        int nomem = 0;
        int parsed = detap_coco_record(rec, end, base, flags, a, &p, &nomem), ok = parsed;
        if (ok) { p = skip_ws(p, end); ok = p < end; } /* its ',' or ']' must be in the block too */
        if (!ok) {
            /* the record is read again: nothing of it stays */
            a->n = n; a->kp_n = kp_n; a->blob_n = blob_n; a->pv_n = pv_n; a->plen_n = plen_n;
            /* a record cut by the block's end is incomplete; one that fails
             * although complete is not the fast path's (Python decides) */
            if (nomem) pc->status = PIECE_NOMEM;
            else if (final || (!parsed && value_closes(rec, end))) pc->status = PIECE_ERROR;
            else pc->status = PIECE_INCOMPLETE;
            pc->next = rec;
            pc->next_first = first;
            return;
        }
        if (*p == ']') { pc->status = PIECE_CLOSED; pc->next = p + 1; return; }
        if (*p != ',') { pc->status = PIECE_ERROR; return; }
        p++;
        first = 0;
    }
}

/* (the columns' counters change with every record: a copy on the thread's
 * own stack keeps them off the cache lines the other pieces write) */
static void parse_piece(piece *pc, const char *base, const char *end, int final, int flags) {
    detap_ann_cols a = pc->ann;
    parse_piece_into(pc, &a, base, end, final, flags);
    pc->ann = a;
}

/* A guessed record start at or after p: the '{' of '}' ws ',' ws '{'. */
static const char *guess_record(const char *lo, const char *p, const char *end) {
    for (; p < end; p++) {
        if (*p != ',') continue;
        const char *q = p - 1, *r = p + 1;
        while (q > lo && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t')) q--;
        if (q <= lo || *q != '}') continue;
        r = skip_ws(r, end);
        if (r < end && *r == '{') return r;
    }
    return NULL;
}

#define MAX_PIECES 64
#ifndef DETAP_MIN_PIECE /* the fuzz harness builds with 1: pieces at any size */
#define DETAP_MIN_PIECE (1 << 20) /* smaller pieces are not worth a thread */
#endif
#define MIN_PIECE ((size_t)DETAP_MIN_PIECE)

static int stream_array(detap_results_stream *r, const char *buf, const char *p, const char *end,
                        int final, int nthreads, size_t *consumed) {
    piece pcs[MAX_PIECES];
#ifdef _OPENMP
    if (nthreads <= 0) nthreads = omp_get_max_threads(); /* 0: all cores (threads.py) */
#endif
    int np = nthreads < 1 ? 1 : nthreads > MAX_PIECES ? MAX_PIECES : nthreads;
    size_t span = (size_t)(end - p);
    if ((size_t)np > span / MIN_PIECE) np = (int)(span / MIN_PIECE) ? (int)(span / MIN_PIECE) : 1;
    memset(pcs, 0, sizeof pcs);
    pcs[0].start = p;
    pcs[0].first = r->first;
    int k = 1;
    for (int i = 1; i < np; i++) {
        const char *g = guess_record(p, p + span / (size_t)np * (size_t)i, end);
        if (!g || g <= pcs[k - 1].start) continue;
        pcs[k].start = g;
        k++;
    }
    np = k;
    /* each piece's columns are the stream's, kept from block to block: new
     * ones per block would be fresh pages to fault in, and large ones
     * handed back to the system, with a TLB shoot-down of the other
     * threads, every time (half the speed of two threads, 2026-11-28) */
    if (!r->work && !(r->work = calloc(MAX_PIECES, sizeof *r->work))) return DETAP_ENOMEM;
    for (int i = 0; i < np; i++) {
        pcs[i].stop = i + 1 < np ? pcs[i + 1].start : end;
        detap_ann_clear(&r->work[i]);
        pcs[i].ann = r->work[i];
        pcs[i].ann.hint = (size_t)(pcs[i].stop - pcs[i].start) / 60 + 16;
    }
    int i;
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(np) if (np > 1)
#endif
    /* every piece is told final: a kept piece whose record runs into the
     * end of the last block is a truncated document, wherever it started */
    for (i = 0; i < np; i++) parse_piece(&pcs[i], buf, end, final, r->flags);
    /* keep piece i + 1 only when piece i, read from a known record start,
     * ended exactly at its start */
    int rc = DETAP_OK;
    const char *next = p;
    int kept = 0;
    for (i = 0; i < np; i++) {
        piece *pc = &pcs[i];
        if (pc->status == PIECE_NOMEM) { rc = DETAP_ENOMEM; break; }
        if (pc->status == PIECE_ERROR) { rc = DETAP_PARSE_SLOW; break; }
        kept++;
        next = pc->next;
        if (pc->status == PIECE_CLOSED) { r->state = 2; break; }
        if (pc->status == PIECE_INCOMPLETE) { r->first = pc->next_first; break; }
        r->first = 0;
        if (!(i + 1 < np && pc->next == pcs[i + 1].start)) break;
    }
    for (i = 0; i < np; i++) r->work[i] = pcs[i].ann;
    if (rc == DETAP_OK && !detap_ann_append(&r->ann, r->work, (size_t)kept, np)) rc = DETAP_ENOMEM;
    *consumed = (size_t)(next - buf);
    return rc;
}

int detap_results_feed(detap_results_stream *r, const char *buf, size_t len, int final,
                       int nthreads, size_t *consumed) {
    const char *p = buf, *end = buf + len;
    *consumed = 0;
    if (r->state == 0) {
        if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) return DETAP_PARSE_SLOW;
        p = skip_ws(p, end);
        if (p == end) { *consumed = len; return final ? DETAP_PARSE_SLOW : DETAP_OK; }
        if (*p != '[') return DETAP_PARSE_SLOW;
        r->state = 1;
        r->first = 1;
        r->flags |= DETAP_PARSE_COPY_RLE; /* the block does not stay */
        p++;
    }
    if (r->state == 1) {
        int rc = stream_array(r, buf, p, end, final, nthreads, consumed);
        if (rc != DETAP_OK || r->state == 1) return rc;
        p = buf + *consumed;
    }
    /* after the array: white space only */
    p = skip_ws(p, end);
    if (p != end) return DETAP_PARSE_SLOW;
    *consumed = len;
    return DETAP_OK;
}

int detap_ann_array(const char *p, const char *end, const char *base, int flags, int nthreads,
                    detap_ann_cols *out, const char **after) {
    detap_results_stream r;
    memset(&r, 0, sizeof r);
    r.ann = *out; /* (its hint and anything read before: appended to) */
    r.state = 1;
    r.first = 1;
    r.flags = flags;
    int rc = DETAP_OK;
    /* the whole text is here (final): each round keeps at least one piece's
     * records or fails, so the loop ends */
    while (rc == DETAP_OK && r.state == 1) {
        size_t consumed = 0;
        rc = stream_array(&r, base, p, end, 1, nthreads, &consumed);
        p = base + consumed;
    }
    *out = r.ann;
    *after = p;
    memset(&r.ann, 0, sizeof r.ann); /* (now out's) */
    detap_results_free(&r);
    return rc;
}

void detap_results_free(detap_results_stream *r) {
    detap_ann_free(&r->ann);
    if (r->work) {
        for (int i = 0; i < MAX_PIECES; i++) detap_ann_free(&r->work[i]);
        free(r->work);
    }
    memset(r, 0, sizeof *r);
}
