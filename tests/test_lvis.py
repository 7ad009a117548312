"""LVIS evaluation equals lvis-api 0.5.3 bit for bit: precision and recall
by np.array_equal, each of the 13 results by ==, on hand-made cases for
each federated rule and on hypothesis-generated data sets."""
import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detap.errors import DetapInputError
from tests.lvis_support import (ann, assert_same, category, det, image, reference, run_detap,
                                run_reference)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def base_gt():
    """Three images, four categories (no rare one), GT of two categories."""
    return {"images": [image(1, neg=[3], nel=[2]), image(2, neg=[1, 4]), image(3)],
            "categories": [category(1, "c"), category(2, "c"), category(3, "f"),
                           category(4, "f")],
            "annotations": [ann(1, 1, 1, (10, 10, 50, 50)), ann(2, 1, 2, (100, 100, 20, 20)),
                            ann(3, 2, 2, (5, 5, 100, 100)), ann(4, 3, 1, (0, 0, 200, 150)),
                            ann(5, 1, 1, (300, 200, 8, 8))]}


def base_dets():
    return [det(1, 1, (12, 12, 50, 50), .9), det(1, 2, (300, 300, 20, 20), .8),
            det(1, 3, (0, 0, 10, 10), .7), det(2, 1, (0, 0, 30, 30), .95),
            det(2, 3, (5, 5, 100, 100), .5), det(2, 2, (6, 6, 100, 100), .4),
            det(1, 2, (100, 100, 20, 20), .3), det(3, 1, (0, 0, 190, 150), .6),
            det(3, 4, (0, 0, 190, 150), .65), det(1, 1, (300, 200, 8, 9), .2)]


def check(gt, dets, **kw):
    ref = run_reference(gt, dets, **kw)
    ours = run_detap(gt, dets, **kw)
    assert_same(ours, ref)
    return ours


def ap(gt, dets, **kw):
    return run_detap(gt, dets, **kw).results["AP"]


def test_base_case_and_files():
    ref = run_reference(base_gt(), base_dets())
    assert_same(run_detap(base_gt(), base_dets()), ref)
    assert_same(run_detap(base_gt(), base_dets(), via_files=True), ref)
    assert_same(run_detap(base_gt(), base_dets(), threads=1), ref)


def test_negative_categories_make_detections_count():
    """A detection of a category verified absent is a FP; without the
    negative label it is dropped."""
    gt = base_gt()
    check(gt, base_dets())
    gt2 = copy.deepcopy(gt)
    for img in gt2["images"]:
        img["neg_category_ids"] = []
    check(gt2, base_dets())
    assert ap(gt, base_dets()) != ap(gt2, base_dets())


def test_unverified_detections_are_dropped():
    """Detections on images where their category is neither present nor
    negative change nothing."""
    extra = [det(3, 3, (0, 0, 190, 150), .99), det(2, 4, (1, 1, 5, 5), .01) | {"category_id": 3}]
    ours = check(base_gt(), base_dets() + extra)
    assert ours.results == run_detap(base_gt(), base_dets()).results


def test_not_exhaustive_categories_ignore_unmatched():
    gt = base_gt()
    dets = base_dets() + [det(1, 2, (400, 400, 30, 30), .99)]
    check(gt, dets)
    gt2 = copy.deepcopy(gt)
    gt2["images"][0]["not_exhaustive_category_ids"] = []
    check(gt2, dets)
    assert ap(gt, dets) != ap(gt2, dets)


@pytest.mark.parametrize("max_dets", [0 + 1, 2, 3, 300, -1])
def test_per_image_cap_with_ties_across_categories(max_dets):
    """The cap keeps the highest scores over all categories, ties in file
    order (tied detections of different categories)."""
    gt = base_gt()
    dets = [det(1, c, (10 + c, 10, 50, 50), s) for c, s in
            [(1, .5), (2, .5), (3, .5), (1, .7), (2, .5), (1, .5)]] + base_dets()[3:]
    check(gt, dets, max_dets=max_dets)


def test_cap_changes_the_result():
    gt = base_gt()
    dets = [det(1, 1, (300, 200, 8, 8), .5), det(1, 1, (12, 12, 50, 50), .5),
            det(1, 3, (0, 0, 10, 10), .5)]
    check(gt, dets, max_dets=1)
    assert ap(gt, dets, max_dets=1) != ap(gt, dets, max_dets=300)


def test_categories_absent_from_split_and_empty_groups():
    """A category with no GT and no negative label (precision -1), no rare
    category (APr = -1, an int, as lvis-api gives)."""
    gt = base_gt()
    gt["categories"].append(category(7, "c"))
    gt["images"][2]["neg_category_ids"] = [7]
    ours = check(gt, base_dets() + [det(3, 7, (1, 1, 9, 9), .3)])
    assert ours.results["APr"] == -1 and type(ours.results["APr"]) is int


def test_zero_area_and_ignore_flag():
    """GT of area 0 (left out, so their category is not 'present'),
    detections of zero width (left out), a GT with "ignore"."""
    gt = base_gt()
    gt["annotations"].append(ann(6, 2, 3, (50, 50, 10, 10), area=0))
    gt["annotations"].append(ann(7, 3, 1, (400, 300, 40, 40), ignore=1))
    dets = base_dets() + [det(2, 3, (50, 50, 10, 10), .45), det(3, 1, (400, 300, 40, 40), .9),
                          det(3, 1, (10, 10, 0, 30), .99)]
    check(gt, dets)


def test_gt_id_zero_reads_as_no_match():
    gt = base_gt()
    gt["annotations"][0]["id"] = 0
    check(gt, base_dets())


def test_empty_detection_set():
    """lvis-api fails on an empty list; detap evaluates it as lvis-api
    evaluates a set whose every detection is dropped."""
    ref = run_reference(base_gt(), [det(3, 3, (0, 0, 10, 10), .5)])
    assert_same(run_detap(base_gt(), []), ref)
    assert run_detap(base_gt(), []).results["AP"] == 0


def test_params_cat_ids_order_and_subset():
    lvis = reference()
    from detap.lvis import LVIS, LVISEval, LVISResults
    gt = base_gt()
    refs, ours = [], []
    for cat_ids, img_ids in (([4, 1, 2], [3, 1]), ([2, 2, 1], [1, 2, 3])):
        import tempfile, json, os
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "gt.json")
            with open(path, "w") as f:
                json.dump(gt, f)
            g = lvis.lvis.LVIS(path)
        r = lvis.eval.LVISEval(g, lvis.results.LVISResults(g, copy.deepcopy(base_dets())), "bbox")
        o = LVISEval(LVIS(copy.deepcopy(gt)), LVISResults(LVIS(copy.deepcopy(gt)), base_dets()),
                     "bbox")
        for e in (r, o):
            e.params.cat_ids, e.params.img_ids = list(cat_ids), list(img_ids)
            e.run()
        assert_same(o, r)


def test_print_results_and_keys(capsys):
    ref = run_reference(base_gt(), base_dets())
    ours = run_detap(base_gt(), base_dets())
    capsys.readouterr()
    ref.print_results()
    want = capsys.readouterr().out
    ours.print_results()
    assert capsys.readouterr().out == want
    assert list(ours.get_results()) == ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc",
                                        "APf", "AR@300", "ARs@300", "ARm@300", "ARl@300"]


def test_segm():
    pytest.importorskip("pycocotools")
    from pycocotools import mask as pmask
    gt = base_gt()
    dets = []
    for d in base_dets():
        x, y, w, h = d["bbox"]
        rle = pmask.merge(pmask.frPyObjects([[x, y, x + w / 2, y + h, x + w, y]], 480, 640))
        rle["counts"] = rle["counts"].decode()
        dets.append({k: v for k, v in d.items() if k != "bbox"} | {"segmentation": rle})
    check(gt, dets, iou_type="segm")
    # with boxes too: lvis-api takes the box's area then
    check(gt, [d | {"bbox": b["bbox"]} for d, b in zip(dets, base_dets())], iou_type="segm")
    # box results evaluated as masks: the box's polygon
    check(gt, base_dets(), iou_type="segm")


def test_api_surface():
    from detap.lvis import LVIS, LVISResults
    gt = LVIS(base_gt())
    assert sorted(gt.get_img_ids()) == [1, 2, 3] and sorted(gt.get_cat_ids()) == [1, 2, 3, 4]
    assert gt.get_ann_ids(img_ids=[1], cat_ids=[1]) == [1, 5]
    assert [a["id"] for a in gt.load_anns([2, 3])] == [2, 3]
    assert gt.cat_img_map[2] == [1, 2] and len(gt.img_ann_map[1]) == 3
    res = LVISResults(gt, base_dets(), max_dets=2)
    lvis = reference()
    import tempfile, json, os
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "gt.json")
        with open(path, "w") as f:
            json.dump(base_gt(), f)
        ref = lvis.results.LVISResults(lvis.lvis.LVIS(path), copy.deepcopy(base_dets()), max_dets=2)
    assert res.dataset["annotations"] == ref.dataset["annotations"]
    assert res.get_top_results(1, .5) == ref.get_top_results(1, .5)


def test_install_as_lvis():
    import sys
    from detap.lvis import LVISEval, install_as_lvis
    saved = {k: v for k, v in sys.modules.items() if k == "lvis" or k.startswith("lvis.")}
    try:
        install_as_lvis()
        from lvis import LVISEval as E  # noqa: N814
        from lvis.eval import LVISEval as E2  # noqa: N814
        assert E is LVISEval and E2 is LVISEval
    finally:
        for k in [k for k in sys.modules if k == "lvis" or k.startswith("lvis.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def test_bad_input_names_the_field():
    from detap.lvis import LVIS, LVISEval
    gt = base_gt()
    del gt["images"][1]["neg_category_ids"]
    with pytest.raises(DetapInputError, match="neg_category_ids"):
        LVISEval(LVIS(gt), base_dets(), "bbox").run()
    gt = base_gt()
    gt["categories"][0]["frequency"] = "x"
    with pytest.raises(DetapInputError, match="frequency"):
        LVISEval(LVIS(gt), base_dets(), "bbox").run()
    with pytest.raises(AssertionError, match="not an image"):
        LVISEval(LVIS(base_gt()), [det(9, 1, (0, 0, 1, 1), .5)], "bbox")
    gt = base_gt()
    gt["annotations"][1]["id"] = 1
    with pytest.raises(DetapInputError, match="several"):
        LVISEval(LVIS(gt), base_dets(), "bbox").run()


# -- hypothesis ---------------------------------------------------------------

BOXES = [(0, 0, 10, 10), (2, 0, 10, 10), (0, 0, 40, 40), (5, 5, 40, 35), (10, 10, 120, 100),
         (12, 8, 110, 100), (0, 0, 0, 5), (50, 50, 33, 33)]


@st.composite
def lvis_cases(draw):
    n_img, n_cat = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cats = [category(c, draw(st.sampled_from("rcf"))) for c in range(1, n_cat + 1)]
    subset = st.lists(st.integers(1, n_cat + 1), max_size=3, unique=True)
    imgs = [image(i, neg=draw(subset), nel=draw(subset)) for i in range(1, n_img + 1)]
    first = draw(st.sampled_from([0, 1]))
    anns = []
    for j in range(draw(st.integers(0, 8))):
        box = draw(st.sampled_from(BOXES))
        extra = {"ignore": 1} if draw(st.integers(0, 9)) == 0 else {}
        area = draw(st.sampled_from([None, None, None, 0, 500.0, 2000.0]))
        anns.append(ann(first + j, draw(st.integers(1, n_img)), draw(st.integers(1, n_cat)),
                        box, area=area, **extra))
    dets = []
    for _ in range(draw(st.integers(1, 14))):
        box = list(draw(st.sampled_from(BOXES)))
        box[0] += draw(st.sampled_from([0, 0, 1, 3]))
        dets.append(det(draw(st.integers(1, n_img)), draw(st.integers(1, n_cat + 1)), box,
                        draw(st.sampled_from([.1, .5, .5, .9, 1.0]))))
    if draw(st.booleans()) and dets:  # duplicates
        dets += copy.deepcopy(dets[:draw(st.integers(1, len(dets)))])
    max_dets = draw(st.sampled_from([300, 300, 2, 3, -1]))
    return {"images": imgs, "categories": cats, "annotations": anns}, dets, max_dets


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(lvis_cases(), st.booleans())
def test_random_cases_equal_lvis_api(case, via_files):
    """From dicts, or from files (the C readers' path); dt_pointers too."""
    gt, dets, max_dets = case
    ref = run_reference(gt, dets, max_dets=max_dets)
    ours = run_detap(gt, dets, max_dets=max_dets, via_files=via_files)
    assert_same(ours, ref)
    same_pointers(ours, ref)


def same_pointers(ours, ref):
    want, got = ref.eval["dt_pointers"], ours.eval["dt_pointers"]
    assert sorted(got) == sorted(want)
    for k in want:
        assert sorted(got[k]) == sorted(want[k])
        for a, entry in want[k].items():
            assert sorted(got[k][a]) == sorted(entry)
            for name, value in entry.items():
                assert np.array_equal(got[k][a][name], value), (k, a, name)
                assert np.asarray(got[k][a][name]).dtype == np.asarray(value).dtype


def test_dt_pointers():
    ref = run_reference(base_gt(), base_dets())
    ours = run_detap(base_gt(), base_dets())
    same_pointers(ours, ref)
    assert any(want for want in ref.eval["dt_pointers"][0].values())


def test_file_reader_fallbacks_and_nested_keys(tmp_path):
    """A GT file with an "ignore" flag is read by json (the C reader does
    not read it); a nested "images" key before the top-level one is not
    taken for it; annotations read from the file's columns stay exact
    after the caller reads ``dataset``."""
    from detap.lvis import LVIS
    from tests.lvis_support import write_json
    ref = run_reference(base_gt(), base_dets())
    gt = {"info": {"images": [{"id": 1, "neg_category_ids": [1, 2, 3, 4]}]}} | base_gt()
    path = write_json(gt, tmp_path, "gt.json")
    g = LVIS(path)
    assert g.imgs[1]["neg_category_ids"] == [3]
    from detap.lvis import LVISEval, LVISResults
    ev = LVISEval(g, LVISResults(g, base_dets()), "bbox")
    ev.run()
    assert_same(ev, ref)
    assert g.dataset["info"] == gt["info"]
    ev = LVISEval(g, LVISResults(g, base_dets()), "bbox")
    ev.run()
    assert_same(ev, ref)
    gt = base_gt()
    gt["annotations"][0]["ignore"] = 1
    ref = run_reference(gt, base_dets())
    g = LVIS(write_json(gt, tmp_path, "gt2.json"))
    ev = LVISEval(g, LVISResults(g, base_dets()), "bbox")
    ev.run()
    assert_same(ev, ref)
    assert ref.results != run_reference(base_gt(), base_dets()).results


@pytest.mark.parametrize("ids", [[3, 2, 5, 2, 1], [1, 2, 2, 3, 4], [7, 7, 1, 2, 3]])
def test_repeated_annotation_ids_are_refused(tmp_path, ids):
    """lvis-api would silently evaluate one record of a repeated id in place
    of the others; detap names the id (from a dict and from a file)."""
    from detap.lvis import LVIS, LVISEval, LVISResults
    from tests.lvis_support import write_json
    gt = base_gt()
    for a, i in zip(gt["annotations"], ids):
        a["id"] = i
    repeated = [i for i in ids if ids.count(i) > 1][0]
    for source in (gt, write_json(gt, tmp_path, "gt.json")):
        with pytest.raises(DetapInputError, match=f"annotation id {repeated} is used by several"):
            g = LVIS(source)
            LVISEval(g, LVISResults(g, base_dets()), "bbox").run()
    ok = base_gt()
    for a, i in zip(ok["annotations"], [5, 3, 9, 1, 2]):
        a["id"] = i
    check(ok, base_dets())
