/* Reading a file's bytes on several threads: the COCO results reader's
 * blocks (file_read.c).  One thread copying each block out of the page
 * cache while the others waited was a tenth of loading a results file. */
#ifndef DETAP_FILE_READ_H
#define DETAP_FILE_READ_H

#include "detap_common.h"

/* Reads up to len bytes of the open file fd, from byte offset pos on, into
 * buf: len is cut into up to nthreads pieces (none smaller than 256 KiB)
 * read at once with pread, so fd's own offset does not move.  *got is the
 * number of bytes read from pos on without a gap: a piece that comes back
 * short ends it (the end of the file; after any other short read the
 * caller reads again from pos + *got).  Returns DETAP_OK, with *err the
 * errno of a failed pread or 0; or DETAP_EVALUE where pread is not
 * available or pos + len is beyond what off_t holds (the caller then reads
 * the file itself). */
int detap_read_at(int fd, char *buf, size_t len, int64_t pos, int nthreads, size_t *got,
                  int *err);

#endif
