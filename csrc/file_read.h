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
 * caller reads again from pos + *got).  Returns DETAP_OK; DETAP_EVALUE
 * where pread is not available (the caller reads the file itself); or -1
 * with *err set to the errno of a failed pread. */
int detap_read_at(int fd, char *buf, size_t len, int64_t pos, int nthreads, size_t *got,
                  int *err);

#endif
