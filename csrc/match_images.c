#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "group.h"
#include "match_images.h"
#include "obb_iou.h"
#include "quad_iou.h"
#include "similarity.h"

int detap_match_images(detap_iou_kind kind, const detap_match_spec *spec,
                       const int64_t *order, size_t nd, const double *det_boxes,
                       const int64_t *det_img, const uint8_t *det_out,
                       const double *gt_boxes, const uint8_t *gt_ignore,
                       const uint8_t *gt_crowd, const int64_t *gt_off, size_t nimg,
                       const detap_quad_set *gt_quads, int8_t *labels, int64_t *gt_match,
                       int nthreads, int64_t *undefined) {
    int quad = kind == DETAP_IOU_QUAD, obb = kind == DETAP_IOU_OBB;
    int prob = kind == DETAP_IOU_PROBIOU;
    if ((!quad && !obb && !prob && !detap_iou_kind_ok(kind)) || !detap_match_rule_ok(spec->rule))
        return DETAP_EVALUE;
    size_t stride = quad ? 8 : obb || prob ? 5 : 4;
    if (gt_off[0] != 0) return DETAP_EINDEX;
    size_t maxg = 0;
    for (size_t i = 0; i < nimg; i++) {
        if (gt_off[i + 1] < gt_off[i]) return DETAP_EINDEX;
        size_t g = (size_t)(gt_off[i + 1] - gt_off[i]);
        if (g > maxg) maxg = g;
    }
    size_t ng = (size_t)gt_off[nimg], nt = spec->nt;
    for (size_t k = 0; k < nd; k++)
        if (order[k] < 0 || (uint64_t)order[k] >= nd) return DETAP_EINDEX;
    for (size_t k = 0; k < nd; k++)
        if (det_img[k] < 0 || (uint64_t)det_img[k] >= nimg) return DETAP_EINDEX;

    /* Matching state is per image, so each image can be done on its own:
     * group the processing positions by image (ascending within an image),
     * then walk one image at a time with its GT hot in cache. */
    int64_t *kimg = malloc((nd + 1) * sizeof *kimg);
    int64_t *doff = calloc(nimg + 1, sizeof *doff);
    int64_t *pos = malloc((nd + 1) * sizeof *pos);
    double *garea = quad || obb || prob ? NULL : malloc((ng + 1) * sizeof *garea);
    detap_quad_set gquad = {NULL, NULL, NULL, NULL, NULL};
    detap_obb *gobb = obb ? malloc((ng + 1) * sizeof *gobb) : NULL;
    detap_gbox *gg = prob ? malloc((ng + 1) * sizeof *gg) : NULL;
    double *dbox = malloc((stride * nd + stride) * sizeof *dbox);
    const detap_quad_set *gq = gt_quads ? gt_quads : &gquad;
    int64_t undef = 0;
    int rc = DETAP_ENOMEM;
    if (!kimg || !doff || !pos || !dbox || (!quad && (obb ? !gobb : prob ? !gg : !garea)))
        goto done;
    for (size_t k = 0; k < nd; k++) kimg[k] = det_img[order[k]];
    rc = detap_group_by_image(kimg, nd, nimg, doff, pos, nthreads);
    if (rc != DETAP_OK) goto done;
    if (quad) {
        if (!gt_quads) rc = detap_quad_set_prep(gt_boxes, ng, nthreads, &gquad);
    } else if (obb)
        for (size_t j = 0; j < ng; j++) detap_obb_prep(gt_boxes + 5 * j, gobb + j);
    else if (prob)
        for (size_t j = 0; j < ng; j++) detap_gbox_prep(gt_boxes + 5 * j, gg + j);
    else
        for (size_t j = 0; j < ng; j++) garea[j] = detap_area(kind, gt_boxes + 4 * j);
    if (rc != DETAP_OK) goto done;
    /* one gather pass (independent loads overlap well) so that the
     * matching loop below reads detections sequentially */
#ifdef _OPENMP
#pragma omp parallel for num_threads(detap_team(nthreads)) schedule(static) if (nd > 20000)
#endif
    for (long ql = 0; ql < (long)nd; ql++) {
        size_t q = (size_t)ql;
        const double *src = det_boxes + stride * (size_t)order[pos[q]];
        double *dst = dbox + stride * q;
        for (size_t c = 0; c < stride; c++) dst[c] = src[c];
    }

    /* images are independent (their detections, GT and taken flags are
     * disjoint), so they can go to different threads in any order */
#ifdef _OPENMP
    nthreads = detap_team(nthreads); /* (detap_common.h: 0 is every core) */
    /* a polygon IoU costs about 100 box IoUs */
#pragma omp parallel num_threads(nthreads) reduction(min:rc) reduction(+:undef) \
    if (nd > (quad || obb || prob ? 500 : 20000))
#endif
    {
        double *row = malloc((maxg + 1) * sizeof *row);
        uint8_t *taken = malloc(nt * maxg + 1);
        int64_t *matched = malloc((nt + 1) * sizeof *matched);
        int ok = row && taken && matched;
        if (!ok) rc = DETAP_ENOMEM;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 256)
#endif
        for (long iml = 0; iml < (long)nimg; iml++) {
            if (!ok) continue;
            size_t im = (size_t)iml;
            size_t g0 = (size_t)gt_off[im], G = (size_t)gt_off[im + 1] - g0;
            const uint8_t *ign = gt_ignore ? gt_ignore + g0 : NULL;
            const uint8_t *crowd = gt_crowd ? gt_crowd + g0 : NULL;
            if (doff[im] < doff[im + 1]) memset(taken, 0, nt * G);
            for (int64_t q = doff[im]; q < doff[im + 1]; q++) {
                size_t k = (size_t)pos[q];
                const double *d = dbox + stride * (size_t)q;
                if (quad) {
                    detap_quad dq;
                    detap_quad_prep(d, &dq);
                    detap_quad_sim_row(&dq, gq, g0, G, row, &undef);
                } else if (obb) {
                    detap_obb dob;
                    detap_obb_prep(d, &dob);
                    detap_obb_sim_row(&dob, gobb + g0, crowd, G, row);
                } else if (prob) {
                    detap_gbox dgb;
                    detap_gbox_prep(d, &dgb);
                    detap_probiou_sim_row(&dgb, gg + g0, G, row);
                } else {
                    detap_box_sim_row(kind, d, detap_area(kind, d), gt_boxes + 4 * g0,
                                      garea + g0, crowd, G, row);
                }
                detap_match_det(spec, row, G, ign, crowd, NULL, 0, 1, taken, matched);
                int out = det_out ? det_out[order[k]] != 0 : 0;
                for (size_t t = 0; t < nt; t++)
                    labels[t * nd + k] = detap_match_label(matched[t], ign, NULL, out);
                if (gt_match)
                    for (size_t t = 0; t < nt; t++)
                        gt_match[t * nd + k] = matched[t] < 0 ? -1 : (int64_t)g0 + matched[t];
            }
        }
        free(row);
        free(taken);
        free(matched);
    }
    (void)nthreads;
done:
    free(kimg);
    free(doff);
    free(pos);
    free(garea);
    detap_quad_set_free(&gquad);
    free(gobb);
    free(gg);
    free(dbox);
    if (undefined) *undefined = undef;
    return rc;
}
