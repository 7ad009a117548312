/* Reading DOTA labelTxt files (one per image) as DOTA_devkit's parse_gt
 * reads them, many files at once on several threads.
 *
 * A labelTxt file holds lines `x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]`
 * (pixels) after header lines such as `imagesource:GoogleEarth`.  A line of
 * fewer than 9 whitespace-separated fields is skipped, as the devkit skips
 * it.  The C reader takes the files whose every line it can read exactly as
 * detap.dota.labeltxt does in Python: ASCII text (after a UTF-8 BOM),
 * lines ended by \n, \r\n or \r, an object line of 9 or 10 fields separated
 * by single spaces, coordinates that numparse.h converts (finite), a
 * difficult flag [+-]?[0-9]+.  A file with anything else (a non-ASCII
 * byte, a tab between fields, "nan", "1_000", 11 fields...) is handed back
 * whole to the Python reader, which reads it or reports the file and line;
 * a file it cannot open, too (Python's open() then names the error).
 */
#ifndef DETAP_LABELTXT_H
#define DETAP_LABELTXT_H

#include "detap_common.h"

#define DETAP_LABELTXT_OK 0
#define DETAP_LABELTXT_SLOW 1 /* read this file in Python */
#define DETAP_LABELTXT_IO 2   /* could not be read: let Python open it */

/* The objects of a set of files, in file order, then line order. */
typedef struct {
    size_t n;
    double *quad;      /* 8 per object */
    int64_t *file;     /* the file's index */
    int64_t *cls;      /* index into the class names, numbered by first appearance */
    uint8_t *difficult;
    size_t ncls;
    char *names;       /* the class names, back to back */
    size_t *name_off;  /* class k is names[name_off[k] .. name_off[k + 1]) */
} detap_labeltxt;

/* Reads the nfiles files paths[k] (NUL-terminated) on nthreads threads (0:
 * all cores); status[k] is DETAP_LABELTXT_OK (its objects are in *out),
 * _SLOW or _IO (none of its objects are).  DETAP_OK, or DETAP_ENOMEM (out
 * then holds nothing).  Free out with detap_labeltxt_free. */
int detap_labeltxt_read(const char *const *paths, size_t nfiles, int nthreads, int *status,
                        detap_labeltxt *out);
void detap_labeltxt_free(detap_labeltxt *t);

/* One file's text: its objects' lines parsed into quad (8 per object),
 * cls_at / cls_len (where the class name is in buf), difficult, at most
 * cap objects (detap_count_lines bounds them).  Returns the number of
 * objects, or -1 when the file needs the Python reader. */
long detap_labeltxt_parse(const char *buf, size_t len, double *quad, size_t *cls_at,
                          size_t *cls_len, uint8_t *difficult, size_t cap);

#endif
