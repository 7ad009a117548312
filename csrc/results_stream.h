/* Reading a results file (a top-level JSON array of result records) in
 * blocks, on several threads, into ann_cols.h's columns.
 */
#ifndef DETAP_RESULTS_STREAM_H
#define DETAP_RESULTS_STREAM_H

#include "ann_cols.h"

/* A top-level array of result objects, fed block by block: each call
 * parses the complete records at the start of buf[0..len) into r->ann and
 * says how many bytes it consumed; the caller keeps the rest, appends the
 * next block and calls again (final = 1 once the file is exhausted).  The
 * records are the same as detap_coco_parse's, but RLE counts strings are
 * copied into r->ann.blob (the block does not stay).
 *
 * Threads: the unread part of a block is cut into nthreads pieces at guessed
 * record starts ('}' ',' '{' outside any string is a guess, not a proof),
 * each piece is parsed on its own thread, and a piece's records are kept
 * only when the piece before it, parsed from a known record start, ended
 * exactly where this one began; otherwise that piece and the ones after it
 * are parsed again by the next call.  So the result is the sequential
 * parse's whatever the text holds, and memory is one block plus the columns. */
typedef struct {
    detap_ann_cols ann;
    int state; /* 0: before '[', 1: inside the array, 2: after ']' */
    int first; /* inside: no record yet (a ']' may close the array) */
    int flags; /* detap_coco_record's (DETAP_PARSE_COPY_RLE is added) */
    detap_ann_cols *work; /* each piece's columns (NULL until the first block) */
} detap_results_stream;

/* DETAP_OK: *consumed bytes are read; call again with the rest (and more
 * of the file, if any) until r->state is 2 with everything consumed and the
 * file exhausted.  With final, a call makes progress or fails.  Else
 * DETAP_PARSE_SLOW (not a results array, or not the fast path's subset:
 * Python's json decides) or DETAP_ENOMEM.  r->ann.hint, when set before the
 * first call, is the first capacity of the columns.  r starts zeroed; free it with
 * detap_results_free. */
int detap_results_feed(detap_results_stream *r, const char *buf, size_t len, int final,
                       int nthreads, size_t *consumed);
void detap_results_free(detap_results_stream *r);

/* The annotation records of a JSON array whose text is all in memory, p
 * just after its '[' (end: the end of the buffer, base: its start, for RLE
 * offsets), appended to *out on nthreads threads (0: all cores) as the
 * pieces above; flags as detap_coco_record's.  DETAP_OK with *after just
 * after the array's ']'; DETAP_PARSE_SLOW (not the fast path's) or
 * DETAP_ENOMEM, out's row count then unspecified (the caller frees it). */
int detap_ann_array(const char *p, const char *end, const char *base, int flags, int nthreads,
                    detap_ann_cols *out, const char **after);

#endif
