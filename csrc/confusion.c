#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "confusion.h"
#include "match.h"
#include "similarity.h"

int detap_confusion_images(size_t nimg, const int64_t *dt_off, const double *dt_box,
                           const int64_t *gt_off, const double *gt_box, const double *thr,
                           size_t nt, int64_t *matched, int nthreads) {
    size_t maxg = 0;
    if (dt_off[0] != 0 || gt_off[0] != 0) return DETAP_EINDEX;
    for (size_t i = 0; i < nimg; i++) {
        if (dt_off[i + 1] < dt_off[i] || gt_off[i + 1] < gt_off[i]) return DETAP_EINDEX;
        size_t G = (size_t)(gt_off[i + 1] - gt_off[i]);
        if (G > maxg) maxg = G;
    }
    size_t nd = (size_t)dt_off[nimg], ng = (size_t)gt_off[nimg];
    double *garea = malloc((ng + 1) * sizeof *garea);
    if (!garea) return DETAP_ENOMEM;
    for (size_t g = 0; g < ng; g++) garea[g] = detap_area_coco(gt_box + 4 * g);
    detap_match_spec spec = {DETAP_RULE_COCO, 0, thr, nt};
    int rc = DETAP_OK;
    (void)nthreads;
#ifdef _OPENMP
    if (nthreads <= 0) nthreads = omp_get_max_threads();
#pragma omp parallel num_threads(nthreads) reduction(min:rc) if (nd > 20000)
#endif
    {
        double *row = malloc((maxg + 1) * sizeof *row);
        uint8_t *taken = malloc(nt * maxg + 1);
        int64_t *m = malloc((nt + 1) * sizeof *m);
        int ok = row && taken && m;
        if (!ok) rc = DETAP_ENOMEM;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 64)
#endif
        for (long il = 0; il < (long)nimg; il++) {
            if (!ok) continue;
            size_t i = (size_t)il;
            size_t g0 = (size_t)gt_off[i], G = (size_t)gt_off[i + 1] - g0;
            for (size_t x = 0; x < nt * G; x++) taken[x] = 0;
            for (size_t d = (size_t)dt_off[i]; d < (size_t)dt_off[i + 1]; d++) {
                const double *b = dt_box + 4 * d;
                detap_box_sim_row(DETAP_IOU_COCO, b, detap_area_coco(b), gt_box + 4 * g0,
                                  garea + g0, NULL, G, row);
                detap_match_det(&spec, row, G, NULL, NULL, NULL, 0, 1, taken, m);
                for (size_t t = 0; t < nt; t++)
                    matched[t * nd + d] = m[t] < 0 ? -1 : (int64_t)g0 + m[t];
            }
        }
        free(row);
        free(taken);
        free(m);
    }
    free(garea);
    return rc;
}
