"""Results do not depend on the number of threads."""
import numpy as np
import pytest

import detap
from detap.synth import make_voc_arrays


@pytest.fixture(scope="module")
def big():
    # above the 20,000-detection cut-off where matching goes parallel
    return make_voc_arrays(n_images=3000, classes=("a",), gt_per_image=3, n_det=60000,
                           score_decimals=2, seed=11)


@pytest.mark.parametrize("convention", [detap.Convention(), detap.Convention(iou_cmp=">=", ap="voc07"),
                                        detap.Convention(iou="coco", tie_order="numpy")])
def test_evaluate_class_same_for_any_thread_count(big, convention):
    d = big
    runs = [detap.evaluate_class(d.det_boxes, d.det_scores, d.det_img, d.gt_boxes, d.gt_img,
                                 d.gt_difficult, iou_threshold=[0.3, 0.5, 0.75],
                                 convention=convention, threads=t) for t in (1, 2, 3, 0, None)]
    first = runs[0]
    for r in runs[1:]:
        assert np.array_equal(r.labels, first.labels)
        assert np.array_equal(r.rec, first.rec) and np.array_equal(r.prec, first.prec)
        assert np.array_equal(r.ap, first.ap)
    # and the parallel kernel agrees with a one-image-at-a-time evaluation
    sub = first.labels[1]
    order = first.order
    for im in (0, 7, 123):
        sel = np.flatnonzero(d.det_img == im)
        gsel = d.gt_img == im
        one = detap.evaluate_class(d.det_boxes[sel], d.det_scores[sel], np.zeros(len(sel), int),
                                   d.gt_boxes[gsel], np.zeros(int(gsel.sum()), int),
                                   d.gt_difficult[gsel], iou_threshold=0.5,
                                   convention=convention, threads=1)
        # labels of this image's detections, in the global processing order
        mine = [k for k, o in enumerate(order) if d.det_img[o] == im]
        if convention.tie_order == "stable":
            assert np.array_equal(sub[mine], one.labels)


def test_negative_threads_rejected(big):
    d = big
    with pytest.raises(detap.DetapInputError, match="threads"):
        detap.evaluate_class(d.det_boxes[:10], d.det_scores[:10], d.det_img[:10], d.gt_boxes,
                             d.gt_img, threads=-1)


def test_zero_threads_means_every_core_in_the_cython_loops():
    """threads=None / 0 is "all cores": the mask decoding, rasterising and
    analysis loops once ran on one thread for it (0 became 1)."""
    import os
    from detap.threads import team
    if team(3) == 1:
        pytest.skip("built without OpenMP: every loop runs on one thread")
    assert team(3) == 3 and team(1) == 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if os.environ.get("OMP_NUM_THREADS") or cores < 2:
        pytest.skip("one core, or OMP_NUM_THREADS decides the team")
    assert team(0) == team(None) == cores
