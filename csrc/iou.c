#include "iou.h"

int detap_iou_matrix(detap_iou_kind kind, const double *dt, size_t nd,
                     const double *gt, size_t ng, const uint8_t *crowd,
                     double *out) {
    if (!detap_iou_kind_ok(kind)) return DETAP_EVALUE;
    for (size_t i = 0; i < nd; i++) {
        const double *d = dt + 4 * i;
        double ad = detap_area(kind, d);
        double *row = out + i * ng;
        for (size_t j = 0; j < ng; j++) {
            const double *g = gt + 4 * j;
            row[j] = detap_iou_pair(kind, d, ad, g, detap_area(kind, g), crowd ? crowd[j] : 0);
        }
    }
    return DETAP_OK;
}
