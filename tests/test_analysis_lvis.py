"""The analysis on LVIS's federated rules (detap.analysis.sources): TIDE
equal to tidecv 1.0.1 run on the rows lvis-api evaluates, not-exhaustive
categories as whole-image ignore regions (a transcription of the rules
here, from the raw dicts); whole-image regions equal to tidecv's."""
import copy
import json
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from detap.analysis import AnalysisSettings, analyze
from detap.analysis.scene import Scene
from detap.analysis.sources import scene_from_lvis_eval
from detap.analysis.tide import tide_records, tide_summary
from tests.lvis_support import ann, category, det, image, run_detap
from tests.test_lvis import lvis_cases
from tests.tide_support import random_scene, tidecv_on_scene, tidecv_run

pytest.importorskip("tidecv")


def ours(scene, **kw):
    s = tide_summary(tide_records(scene, **kw), len(scene.classes))
    return s["ap"], s["main"], s["special"], s["counts"]


def same(got, ref):
    """Equal summaries; an input where tidecv divides by zero (no AP to
    compare) is discarded, so that every counted example compares."""
    assume(ref is not None)
    return got[0] == ref[0] and got[1] == ref[1] and got[2] == ref[2] and got[3] == ref[3]


def guarded(fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except ZeroDivisionError:
        return None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), n_classes=st.integers(1, 4))
def test_whole_image_regions_equal_tidecv(seed, ties, n_classes):
    rng = np.random.default_rng(seed)
    base = random_scene(rng, n_images=5, n_classes=n_classes, ties=ties)
    whole = rng.random(len(base.gt_box)) < 0.3
    scene = Scene(**{k: getattr(base, k) for k in ("n_images", "classes", "gt_box", "gt_image", "gt_label",
                                                   "gt_ignore", "dt_box", "dt_image", "dt_label",
                                                   "dt_score")}, gt_whole=whole)
    assert same(ours(scene), guarded(tidecv_on_scene, scene))


def test_whole_image_region_ignores_only_unmatched_of_its_class():
    box = [0, 0, 10, 10]
    scene = Scene(n_images=1, classes=["a", "b"], gt_box=[box, [50, 50, 5, 5]], gt_image=[0, 0],
                  gt_label=[0, 1], gt_ignore=[False, True], gt_whole=[False, True],
                  dt_box=[box, [30, 30, 9, 9], [60, 0, 9, 9]], dt_image=[0, 0, 0],
                  dt_label=[0, 1, 0], dt_score=[0.9, 0.8, 0.7])
    r = tide_records(scene)
    assert r.dt_label.tolist() == [1, -1, 0]   # TP; class b anywhere: ignored; class a: FP


def lvis_tidecv(gt, dets, max_dets, mode="box"):
    """tidecv on what lvis-api evaluates, written out from the dicts: per
    image the ``max_dets`` best results (stable), of verified (image,
    category) pairs (a GT of area in (0, inf) or neg_category_ids), area > 0
    (the box's, or the mask's for mask results); GT of area in (0, inf)
    ('ignore' ones as ignore regions); every not_exhaustive category a
    whole-image ignore region.  ``mode`` "mask": tidecv's mask mode, GT
    polygons rasterised in their image's size."""
    from pycocotools import mask as cmask
    from tidecv import Data
    sizes = {i["id"]: (i["height"], i["width"]) for i in gt["images"]}

    def gmask(a):
        return cmask.merge(cmask.frPyObjects(a["segmentation"], *sizes[a["image_id"]])) \
            if mode == "mask" else None
    cats = sorted(c["id"] for c in gt["categories"])
    k_of = {c: k for k, c in enumerate(cats)}
    g, d = Data("gt", max_dets=300), Data("dt")
    for k in range(len(cats)):
        g.add_class(k, str(k))
    by_img = defaultdict(list)
    for r in dets:
        by_img[r["image_id"]].append(r)
    for img in sorted(gt["images"], key=lambda i: i["id"]):
        i = img["id"]
        g.add_image(i, str(i))
        anns = [a for a in gt["annotations"] if a["image_id"] == i and a["category_id"] in k_of
                and 0 < a["area"] < float("inf")]
        for a in anns:
            if a.get("ignore"):
                g.add_ignore_region(i, k_of[a["category_id"]], box=a["bbox"], mask=gmask(a))
            else:
                g.add_ground_truth(i, k_of[a["category_id"]], box=a["bbox"], mask=gmask(a))
        for c in img["not_exhaustive_category_ids"]:
            if c in k_of:
                g.add_ignore_region(i, k_of[c])
        verified = {a["category_id"] for a in anns} | set(img["neg_category_ids"])
        mine = by_img[i]
        if max_dets >= 0 and len(mine) > max_dets:
            mine = sorted(mine, key=lambda r: r["score"], reverse=True)[:max_dets]
        for r in mine:
            if mode == "mask":
                area, box, m = float(cmask.area(r["segmentation"])), None, r["segmentation"]
            else:
                area, box, m = r["bbox"][2] * r["bbox"][3], r["bbox"], None
            if r["category_id"] in k_of and r["category_id"] in verified and area > 0:
                d.add_detection(i, k_of[r["category_id"]], r["score"], box=box, mask=m)
    return tidecv_run(g, d, mode=mode)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases())
def test_federated_analysis_equals_tidecv_on_lvis_rules(case):
    gt, dets, max_dets = case
    max_dets = 300 if max_dets < 0 else max_dets
    ev = run_detap(gt, dets, max_dets=max_dets)
    scene = scene_from_lvis_eval(ev)
    assert same(ours(scene, max_dets=300), guarded(lvis_tidecv, copy.deepcopy(gt), dets, max_dets))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases(), st.randoms(use_true_random=False))
def test_federated_segm_analysis_equals_tidecv_mask_mode(case, rnd):
    """LVIS mask results (the masks of moved boxes, some with holes)."""
    from pycocotools import mask as cmask
    gt, dets, max_dets = case
    max_dets = 300 if max_dets < 0 else max_dets
    sizes = {i["id"]: (i["height"], i["width"]) for i in gt["images"]}
    res = []
    for r in dets:
        h, w = sizes[r["image_id"]]
        x, y, bw, bh = (int(v) for v in r["bbox"])
        m = np.zeros((h, w), np.uint8)
        m[y:y + bh, x:x + bw] = 1
        if rnd.random() < 0.5:
            m[y + bh // 2:y + bh, x:x + bw // 2] = 0
        rle = cmask.encode(np.asfortranarray(m))
        rle["counts"] = rle["counts"].decode()
        res.append({"image_id": r["image_id"], "category_id": r["category_id"], "score": r["score"],
                    "segmentation": rle})
    ev = run_detap(gt, res, iou_type="segm", max_dets=max_dets)
    scene = scene_from_lvis_eval(ev)
    assert scene.shapes is not None and scene.similarity_name() == "mask IoU"
    assert same(ours(scene, max_dets=300), guarded(lvis_tidecv, copy.deepcopy(gt), res, max_dets, "mask"))


def test_federated_rows_hand_case():
    """Image 1: GT of categories 1 and 3 (3 not exhaustively annotated);
    category 2 in neg_category_ids, 4 unverified.  A result of category 4 is
    dropped, an unmatched one of 3 is ignored, an unmatched one of 2 is a
    false positive."""
    gt = {"images": [image(1, neg=[2], nel=[3])], "categories": [category(c) for c in (1, 2, 3, 4)],
          "annotations": [ann(1, 1, 1, (0, 0, 10, 10)), ann(2, 1, 3, (100, 100, 10, 10))]}
    dets = [det(1, 1, (0, 0, 10, 10), 0.9), det(1, 2, (50, 50, 10, 10), 0.8),
            det(1, 3, (80, 80, 10, 10), 0.7), det(1, 4, (20, 20, 10, 10), 0.6)]
    scene = scene_from_lvis_eval(run_detap(gt, dets))
    assert scene.dt_label.tolist() == [0, 1, 2]
    assert scene.gt_whole.tolist() == [False, False, True] and scene.gt_label.tolist() == [0, 2, 2]
    a = analyze(scene, AnalysisSettings(max_dets=300))
    assert (a.images.tp.tolist(), a.images.fp.tolist()) == ([1], [1])
    assert a.tide["counts"]["Bkg"] == 2      # category 2 counts, category 3 is ignored (an error still)
    # the confusion matrix (hotcoco's rule, as for crowd regions): the TP,
    # category 2's and 3's detections in the background row, 3's GT missed
    m = a.confusion.matrix
    assert m[0, 0] == 1 and m[4, 1] == 1 and m[4, 2] == 1 and m[2, 4] == 1 and m.sum() == 4


def test_cli_lvis_analysis(tmp_path):
    from io import StringIO
    from detap import cli
    gt = {"images": [image(1, neg=[2], nel=[3]), image(2)], "categories": [category(c) for c in (1, 2, 3)],
          "annotations": [ann(1, 1, 1, (0, 0, 10, 10)), ann(2, 2, 2, (5, 5, 20, 20))]}
    dets = [det(1, 1, (0, 0, 10, 10), 0.9), det(1, 2, (50, 50, 10, 10), 0.8),
            det(1, 3, (80, 80, 10, 10), 0.7), det(2, 2, (5, 5, 20, 19), 0.6)]
    gp, dp = tmp_path / "gt.json", tmp_path / "dt.json"
    gp.write_text(json.dumps(gt))
    dp.write_text(json.dumps(dets))
    out = StringIO()
    assert cli.main(["eval", "--gt", str(gp), "--dt", str(dp), "--protocol", "lvis", "--analysis",
                     "--json"], out=out) == 0
    a = json.loads(out.getvalue())["analysis"]
    ref = analyze(scene_from_lvis_eval(run_detap(gt, dets)), AnalysisSettings(max_dets=300))
    assert a["tide"]["max_dets"] == 300
    assert a["tide"]["ap"] == ref.tide["ap"] and a["tide"]["counts"] == ref.tide["counts"]
    assert a["confusion"]["matrix"] == ref.confusion.matrix.tolist()
