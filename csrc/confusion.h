/* The COCO-style confusion matrix's matching: per image, every detection
 * against every GT whatever their classes (class-agnostic), with
 * pycocotools' box IoU and its greedy rule (match.h, DETAP_RULE_COCO: the
 * highest IoU >= t among the GT not yet taken, ties to the last GT).
 *
 * Layout: image i owns detections dt_off[i] .. dt_off[i+1]-1, in
 * processing order (highest score first), and GT gt_off[i] .. ; boxes are
 * xywh float64.  Output: matched[t * nd + d], the GT row (global) that
 * detection d took at threshold t, or -1.
 */
#ifndef DETAP_CONFUSION_H
#define DETAP_CONFUSION_H

#include "detap_common.h"

int detap_confusion_images(size_t nimg, const int64_t *dt_off, const double *dt_box,
                           const int64_t *gt_off, const double *gt_box, const double *thr,
                           size_t nt, int64_t *matched, int nthreads);

#endif
