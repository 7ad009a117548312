"""detap.coco against pycocotools, bit for bit.

Every test runs pycocotools (the installed 2.0.x, silenced) and detap on the
same inputs in the same process and compares ``eval["precision"]``,
``eval["recall"]``, ``eval["scores"]`` and ``stats`` with np.array_equal
(same dtype and shape too).  No tolerances.

pycocotools mutates what it is given (``loadRes`` adds ``area``/``id``/
``iscrowd``/``segmentation`` to the result dicts, ``evaluate`` adds
``ignore``/``_ignore`` to the GT dicts) and cannot take a dict in
``COCO()``: each tool gets its own deep copy, and pycocotools' GT is built
with ``COCO()`` + ``createIndex()``.

Contents: the peer data set (coco_val2014_100) against pycocotools and its
published figures; hand-made edge cases; JSON files written by hand (number
spellings, structure); parameter variations; hypothesis properties (per
category and useCats=0); thread count invariance; the three input forms of
``loadRes``; the array API ``evaluate_arrays``.

``check`` runs detap twice, on the dicts and on the same data written to
JSON files, since detap reads files with its own reader.
DETAP_COCO_EXAMPLES=N runs the hypothesis properties with N examples each.
"""
import contextlib
import copy
import io
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pycocotools")

from detap import coco as dcoco  # noqa: E402
from detap.synth import make_coco  # noqa: E402
from tests.coco_support import assert_same_eval, run_detap, run_ref  # noqa: E402
from tests.conftest import peer_data_dir, setter  # noqa: E402

# ==================================================================== helpers


def run_detap_files(gt, res, setup=None):
    """detap on the same data written as JSON files (its file reader)."""
    with tempfile.TemporaryDirectory() as d:
        gp, rp = os.path.join(d, "gt.json"), os.path.join(d, "res.json")
        with open(gp, "w") as f:
            json.dump(gt, f)
        with open(rp, "w") as f:
            json.dump(res, f)
        return run_detap(gp, rp, setup)


def check(gt, res, setup=None, *, nontrivial=True, files=True, ctx=""):
    """detap == pycocotools on (gt, res); returns (detap_ev, ref_ev).

    detap runs on the dicts and (``files``, when they are dicts) on the same
    data written to JSON files.  ``nontrivial``: the case must produce at
    least one precision value other than -1 in pycocotools (so that the
    comparison is not vacuous)."""
    ref = run_ref(gt, res, setup)
    got = run_detap(gt, res, setup)
    assert_same_eval(got, ref, ctx)
    if files and isinstance(gt, dict) and isinstance(res, list):
        assert_same_eval(run_detap_files(gt, res, setup), ref, f"{ctx} (from JSON files)")
    if nontrivial:
        assert (ref.eval["precision"] > -1).any(), "test case evaluates nothing"
    return got, ref


def dataset(images, cats, anns):
    """A COCO GT dict.  anns: dicts from ``G`` (ids 1.. assigned when absent)."""
    out = []
    for k, a in enumerate(anns):
        a = dict(a)
        a.setdefault("id", k + 1)
        out.append(a)
    return {"images": [{"id": i, "width": 640, "height": 480, "file_name": f"{i}.jpg"}
                       for i in images],
            "categories": [{"id": c, "name": f"cat{c}", "supercategory": "thing"} for c in cats],
            "annotations": out}


def G(img, cat, bbox, crowd=0, area=None, **extra):
    a = {"image_id": img, "category_id": cat, "bbox": list(bbox), "iscrowd": crowd,
         "area": float(bbox[2]) * float(bbox[3]) if area is None else area}
    a.update(extra)
    return a


def R(img, cat, bbox, score):
    return {"image_id": img, "category_id": cat, "bbox": list(bbox), "score": score}





# ================================================================ peer data


def _peer_dir():
    return peer_data_dir("coco_val2014_100")


PEER = _peer_dir()
needs_peer = pytest.mark.skipif(PEER is None, reason="shared/peer_data/coco_val2014_100 not found "
                                "(set DETAP_SHARED to the folder holding peer_data/)")


def _peer_paths():
    d = PEER / "coco_val2014_100"
    gt, res = d / "instances_val2014_100.json", d / "instances_val2014_fakebbox100_results.json"
    for p in (gt, res):
        if not p.is_file():
            pytest.skip(f"{p} not present")
    return gt, res


def _published_stats():
    """The 12 bbox stats of coco_val2014_100 as printed in peer_data/README.md."""
    readme = (PEER / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `coco_val2014_100/`"))
    cell = row.split("bbox `stats`", 1)[1]
    nums = re.findall(r"\b0\.\d{8,}\b", cell)
    assert len(nums) == 12, nums
    return nums


@pytest.fixture(scope="module")
def peer_evals():
    gt, res = _peer_paths()
    ref = run_ref(str(gt), str(res))
    got = run_detap(str(gt), str(res))
    return got, ref


@needs_peer
def test_peer_equal_to_pycocotools(peer_evals):
    got, ref = peer_evals
    assert_same_eval(got, ref, "coco_val2014_100")
    assert got.eval["precision"].shape == (10, 101, 80, 4, 3)


@needs_peer
def test_peer_equal_to_published_stats(peer_evals):
    got, _ = peer_evals
    published = _published_stats()
    for i, (value, text) in enumerate(zip(got.stats, published)):
        digits = len(text.split(".")[1])
        # every printed digit: the shortest repr when the README prints it,
        # else the value formatted to the printed precision
        assert repr(float(value)) == text or f"{value:.{digits}f}" == text, (
            f"stats[{i}] = {float(value)!r}, published {text}")
        assert float(text) == float(value), f"stats[{i}] = {float(value)!r}, published {text}"


@needs_peer
def test_peer_printed_summary_equal_to_cocoapi_printout():
    """detap's summarize() prints the 12 lines of cocoapi's bbox run (3 decimals)."""
    gt, res = _peer_paths()
    txt = PEER / "coco_val2014_100" / "val2014_fake_eval_res.txt"
    if not txt.is_file():
        pytest.skip(f"{txt} not present")
    block = txt.read_text().split("type=bbox", 1)[1].split("-----", 1)[0]
    expected = [line for line in block.splitlines() if line.startswith(" Average")]
    assert len(expected) == 12
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(str(gt))
        ev = dcoco.COCOeval(cg, cg.loadRes(str(res)), "bbox")
        ev.evaluate()
        ev.accumulate()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ev.summarize()
    printed = [line for line in out.getvalue().splitlines() if line.startswith(" Average")]
    # the 2014 printout pads the title one space less than pycocotools 2.0.x:
    # compare the words (labels, IoU, area, maxDets and the 3-decimal value)
    assert [line.split() for line in printed] == [line.split() for line in expected]


# ======================================================== hand-made cases


def test_crowd_gt_matched_by_several_detections():
    gt = dataset([1, 2], [1], [
        G(1, 1, [0, 0, 100, 100], crowd=1),
        G(1, 1, [10, 10, 20, 20]),
        G(1, 1, [150, 150, 30, 30]),
        G(2, 1, [0, 0, 50, 50], crowd=1),
        G(2, 1, [0, 0, 50, 50]),          # regular GT under the crowd region
    ])
    res = [R(1, 1, [10, 10, 20, 20], 0.9),   # TP on the regular GT
           R(1, 1, [10, 10, 20, 20], 0.85),  # duplicate: falls back on the crowd
           R(1, 1, [5, 5, 30, 30], 0.8),     # inside the crowd
           R(1, 1, [50, 50, 40, 40], 0.7),   # inside the crowd
           R(1, 1, [90, 90, 20, 20], 0.6),   # partly inside (IoU = inter / det area)
           R(1, 1, [150, 150, 30, 30], 0.5),
           R(2, 1, [0, 0, 50, 50], 0.9),
           R(2, 1, [0, 0, 50, 50], 0.9),
           R(2, 1, [0, 0, 25, 50], 0.4)]
    got, ref = check(gt, res)
    # the crowd absorbed detections: they are neither TP nor FP
    assert ref.eval["precision"][0, 0, 0, 0, 2] == 1.0


@pytest.mark.parametrize("crowd, ignore", [(1, 0), (0, 1), (1, 1), (True, 0), (False, 1), (2, 0)])
def test_ignore_key_overridden_by_iscrowd(crowd, ignore):
    gt = dataset([1], [1], [
        G(1, 1, [0, 0, 40, 40], crowd=crowd, ignore=ignore),
        G(1, 1, [100, 100, 40, 40]),
    ])
    res = [R(1, 1, [0, 0, 40, 40], 0.9), R(1, 1, [2, 2, 38, 38], 0.8),
           R(1, 1, [100, 100, 40, 40], 0.7), R(1, 1, [300, 300, 10, 10], 0.6)]
    check(gt, res)


def test_area_range_borders():
    b = 32 ** 2, 96 ** 2
    areas = [b[0], b[1], b[0] - 1e-9, b[0] + 1e-9, b[1] - 0.5, b[1] + 0.5, 0.0, 1e10, 1e10 + 1]
    anns, res = [], []
    for i, a in enumerate(areas):
        anns.append(G(1, 1, [i * 120, 0, 100, 100], area=a))
        res.append(R(1, 1, [i * 120, 0, 100, 100], 0.5 + i / 100))
    # detections whose w * h sits on and around the borders
    for j, (w, h) in enumerate([(32, 32), (96, 96), (31.5, 32), (32, 32.5), (96, 96.25),
                                (95.75, 96), (16, 64), (48, 192), (0, 10)]):
        anns.append(G(2, 1, [j * 200, 0, w, h]))
        res.append(R(2, 1, [j * 200, 0, w, h], 0.9 - j / 100))
        res.append(R(2, 1, [j * 200 + 1000, 0, w, h], 0.95 - j / 100))  # FP of that area
    check(dataset([1, 2], [1], anns), res)


def _many_dets(n=150, seed=0):
    rng = np.random.default_rng(seed)
    anns = [G(1, 1, [x, y, 40, 40]) for x in range(0, 400, 80) for y in range(0, 400, 80)]
    anns += [G(2, 1, [10, 10, 60, 60]), G(2, 2, [100, 100, 20, 20])]
    res = []
    for k in range(n):
        a = anns[rng.integers(0, 25)]
        jit = rng.integers(-6, 7, 4)
        bb = [float(a["bbox"][0] + jit[0]), float(a["bbox"][1] + jit[1]),
              float(40 + jit[2]), float(40 + jit[3])]
        res.append(R(1, 1, bb, float(np.round(rng.random(), 2))))
    res += [R(2, 1, [10, 10, 60, 60], 0.3), R(2, 2, [100, 100, 20, 20], 0.99)]
    return dataset([1, 2], [1, 2], anns), res


@pytest.mark.parametrize("max_dets", [None, [1, 5, 20], [20, 5, 1], [1, 150, 151], [1, 2, 149]])
def test_more_than_max_dets_in_an_image(max_dets):
    gt, res = _many_dets()
    check(gt, res, None if max_dets is None else setter(maxDets=max_dets))


def test_heavy_score_ties_within_and_across_images():
    anns, res = [], []
    for img in range(1, 7):
        for k in range(4):
            anns.append(G(img, 1 + k % 2, [k * 50, 0, 40, 40]))
        for k in range(8):
            # hits, near misses and duplicates, all with two scores
            res.append(R(img, 1 + k % 2, [(k % 4) * 50 + (k // 4) * 15, 0, 40, 40],
                         0.5 if (k + img) % 3 else 1.0))
        res.append(R(img, 1, [500, 400, 40, 40], 0.5))
    check(dataset(range(1, 7), [1, 2], anns), res)
    # the same with all scores equal, and with maxDets cutting inside a tie
    same = [dict(r, score=0.25) for r in res]
    check(dataset(range(1, 7), [1, 2], anns), same)
    check(dataset(range(1, 7), [1, 2], anns), same, setter(maxDets=[1, 2, 3]))


def test_images_without_gt():
    gt = dataset([1, 2, 3, 4], [1], [G(1, 1, [0, 0, 50, 50]), G(3, 1, [0, 0, 50, 50])])
    res = [R(1, 1, [0, 0, 50, 50], 0.6), R(2, 1, [0, 0, 50, 50], 0.9),  # FP on image 2
           R(2, 1, [10, 10, 50, 50], 0.8), R(3, 1, [5, 5, 50, 50], 0.7)]  # image 4: nothing
    check(gt, res)


def test_categories_without_detections():
    gt = dataset([1, 2], [1, 2, 3, 7], [G(1, 1, [0, 0, 50, 50]), G(1, 2, [0, 0, 50, 50]),
                                        G(2, 3, [0, 0, 200, 200]), G(2, 3, [0, 0, 10, 10], crowd=1)])
    res = [R(1, 1, [0, 0, 50, 50], 0.6), R(2, 1, [0, 0, 50, 50], 0.9)]
    got, ref = check(gt, res)
    # categories 2 and 3 have GT and no detections: precision 0; 7 has no GT: -1
    assert (ref.eval["precision"][:, :, 1:3, 0, :] == 0).all()
    assert (ref.eval["precision"][:, :, 3] == -1).all()


def test_detections_on_images_outside_imgIds():
    gt = dataset([1, 2, 3], [1], [G(1, 1, [0, 0, 50, 50]), G(2, 1, [0, 0, 50, 50]),
                                  G(3, 1, [0, 0, 50, 50])])
    res = [R(1, 1, [0, 0, 50, 50], 0.5), R(2, 1, [0, 0, 50, 50], 0.9), R(3, 1, [0, 0, 50, 50], 0.8),
           R(3, 1, [0, 0, 50, 50], 0.99), R(2, 1, [80, 80, 50, 50], 0.95)]
    check(gt, res, setter(imgIds=[1, 3]))
    check(gt, res, setter(imgIds=[3]))


def test_detection_category_absent_from_gt():
    gt = dataset([1, 2], [1, 2], [G(1, 1, [0, 0, 50, 50]), G(2, 2, [0, 0, 50, 50])])
    res = [R(1, 1, [0, 0, 50, 50], 0.5), R(1, 99, [0, 0, 50, 50], 0.9),
           R(2, 99, [0, 0, 50, 50], 0.8), R(2, 2, [0, 0, 50, 50], 0.3)]
    ref = run_ref(gt, res)
    with pytest.warns(UserWarning, match=r"category_id.*not in the ground truth"):
        got = run_detap(gt, res)
    assert_same_eval(got, ref)
    # and under useCats=0 (no category filter on the detections in pycocotools)
    ref = run_ref(gt, res, setter(useCats=0))
    with pytest.warns(UserWarning, match="category_id"):
        got = run_detap(gt, res, setter(useCats=0))
    assert_same_eval(got, ref, "useCats=0")


def test_gt_with_id_zero():
    """pycocotools stores a match to GT id 0 as 0, i.e. 'unmatched': the
    detection counts as a false positive while the GT is still taken."""
    gt = dataset([1, 2], [1], [G(1, 1, [0, 0, 50, 50], id=0), G(1, 1, [100, 0, 50, 50], id=1),
                               G(2, 1, [0, 0, 50, 50], id=2)])
    res = [R(1, 1, [0, 0, 50, 50], 0.9), R(1, 1, [0, 0, 50, 50], 0.8),
           R(1, 1, [100, 0, 50, 50], 0.7), R(2, 1, [0, 0, 50, 50], 0.6)]
    check(gt, res)
    # id 0 on a crowd and on an out-of-range-area GT
    gt = dataset([1, 2], [1], [G(1, 1, [0, 0, 50, 50], id=0, crowd=1), G(1, 1, [100, 0, 50, 50], id=3),
                            G(1, 1, [200, 0, 5, 5], id=4)])
    gt["annotations"][2]["id"] = 0
    gt["annotations"][0]["id"] = 5
    check(gt, res + [R(1, 1, [200, 0, 5, 5], 0.95)])


def test_duplicate_gt_ids_in_one_cell():
    gt = dataset([1], [1], [G(1, 1, [0, 0, 50, 50], id=5), G(1, 1, [100, 0, 50, 50], id=5),
                            G(1, 1, [200, 0, 50, 50], id=6)])
    res = [R(1, 1, [0, 0, 50, 50], 0.9), R(1, 1, [100, 0, 50, 50], 0.8),
           R(1, 1, [200, 0, 50, 50], 0.7)]
    check(gt, res)


def test_duplicate_gt_ids_across_images_and_categories():
    """pycocotools loads every occurrence of a repeated id as the LAST record
    with that id, and files it under that record's own image and category."""
    gt = dataset([1, 2], [1, 2], [G(1, 1, [0, 0, 10, 10], id=5), G(2, 2, [50, 50, 20, 20], id=5),
                                  G(1, 1, [30, 30, 10, 10], id=6)])
    res = [R(1, 1, [0, 0, 10, 10], 0.9), R(2, 2, [50, 50, 20, 20], 0.8),
           R(1, 1, [30, 30, 10, 10], 0.7)]
    check(gt, res)


@pytest.mark.parametrize("which", ["all", "first"])
def test_gt_annotations_with_a_score_field(which):
    """Some GT files carry a 'score' (pseudo-labels, merged sets): pycocotools
    ignores it; the GT stays GT (crowd regions, areas)."""
    gt = dataset([1, 2], [1], [G(1, 1, [0, 0, 100, 100], crowd=1, score=0.3),
                               G(1, 1, [200, 0, 50, 50], score=1.0), G(2, 1, [0, 0, 30, 30], area=5000.0)])
    if which == "all":
        gt["annotations"][2]["score"] = 0.5
    res = [R(1, 1, [0, 0, 50, 50], 0.9), R(1, 1, [200, 0, 50, 50], 0.8), R(2, 1, [0, 0, 30, 30], 0.7)]
    check(gt, res)


@pytest.mark.parametrize("key", ["empty list", "absent"])
def test_dataset_without_annotations(key):
    """A GT set with images and categories but no annotation: every cell
    has detections only, so everything is -1 (as in pycocotools)."""
    gt = dataset([1, 2], [1, 2], [])
    if key == "absent":
        del gt["annotations"]
    res = [R(1, 1, [0, 0, 50, 50], 0.9), R(2, 2, [0, 0, 50, 50], 0.8)]
    got, ref = check(gt, res, nontrivial=False)
    assert (ref.eval["precision"] == -1).all()


def test_zero_width_and_height_boxes():
    gt = dataset([1, 2], [1], [
        G(1, 1, [10, 10, 0, 20]), G(1, 1, [50, 50, 20, 0]), G(1, 1, [80, 80, 0, 0]),
        G(1, 1, [200, 200, 30, 30]), G(2, 1, [0, 0, 0, 0], crowd=1), G(2, 1, [5, 5, 10, 10]),
    ])
    res = [R(1, 1, [10, 10, 0, 20], 0.9), R(1, 1, [50, 50, 20, 0], 0.8), R(1, 1, [80, 80, 0, 0], 0.7),
           R(1, 1, [200, 200, 0, 30], 0.6), R(1, 1, [200, 200, 30, 30], 0.5),
           R(2, 1, [0, 0, 0, 0], 0.9), R(2, 1, [5, 5, 10, 10], 0.4), R(2, 1, [5, 5, 0, 10], 0.95)]
    check(gt, res)


def test_iou_exactly_at_the_thresholds():
    # det [0, 0, 10, h] on GT [0, 0, 10, 10]: IoU = 10 h / 100 = h / 10 exactly
    heights = [5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5]
    anns = [G(i + 1, 1, [0, 0, 10, 10]) for i in range(len(heights))]
    res = [R(i + 1, 1, [0, 0, 10, h], 0.5 + i / 50) for i, h in enumerate(heights)]
    # and on a crowd (IoU = inter / det area): det half inside
    anns.append(G(11, 1, [0, 0, 10, 10], crowd=1))
    anns.append(G(11, 1, [100, 100, 10, 10]))
    res.append(R(11, 1, [5, 0, 10, 10], 0.99))
    got, ref = check(dataset(range(1, 12), [1], anns), res)
    check(dataset(range(1, 12), [1], anns), res, setter(iouThrs=np.array([0.5, 0.55, 0.9, 1.0])))


@pytest.mark.parametrize("form", ["list", "path"])
def test_integer_valued_json_numbers(tmp_path, form):
    gt = dataset([1, 2], [1, 2], [G(1, 1, [0, 0, 50, 50], area=2500), G(1, 2, [10, 10, 30, 40], area=1200),
                                  G(2, 1, [0, 0, 96, 96], area=9216), G(2, 1, [200, 0, 32, 32], area=1024)])
    res = [R(1, 1, [0, 0, 50, 50], 1), R(1, 2, [10, 10, 30, 40], 0), R(2, 1, [0, 0, 96, 96], 1),
           R(2, 1, [200, 0, 32, 32], 1), R(2, 1, [1, 1, 96, 96], 0), R(1, 1, [2, 2, 50, 50], 1)]
    for a in gt["annotations"]:
        assert all(type(v) is int for v in a["bbox"]) and type(a["area"]) is int
    if form == "path":
        gp, rp = tmp_path / "gt.json", tmp_path / "res.json"
        gp.write_text(json.dumps(gt))
        rp.write_text(json.dumps(res))
        check(str(gp), str(rp))
    else:
        check(gt, res)


# ================================================================ JSON files
#
# detap reads files with its own reader; pycocotools with Python's json.
# The files below are written by hand so that every spelling of a number
# and every structural variant is exercised; values sit on area-range
# borders, IoU thresholds and score ties, so that a number read one ulp off
# changes the result.


def obj(*pairs):
    """A JSON object from (key, raw JSON text) pairs, in the given order."""
    return "{" + ", ".join(f'"{k}": {v}' for k, v in pairs) + "}"


def _spelled_files(tmp_path, *, gt_annotations, results, top=None, images=None, cats=None):
    images = images or [obj(("id", i), ("width", 640), ("height", 480),
                            ("file_name", f'"{i}.jpg"')) for i in (1, 2, 3)]
    cats = cats or [obj(("id", 1), ("name", '"caf\\u00e9"'), ("supercategory", '"s"')),
                    obj(("supercategory", '"s"'), ("name", '"d\\"o]g}"'), ("id", 2))]
    sections = top or [("info", obj(("annotations", "[1, 2]"), ("images", "{}"),
                                    ("description", '"nested \\"annotations\\" key, [brackets]"'))),
                       ("images", "[" + ",\n ".join(images) + "]"),
                       ("licenses", "[]"),
                       ("annotations", "[\n" + ",\n".join(gt_annotations) + "\n]"),
                       ("categories", "[" + ", ".join(cats) + "]")]
    gp, rp = tmp_path / "gt.json", tmp_path / "res.json"
    gp.write_text("{" + ",\n".join(f'"{k}": {v}' for k, v in sections) + "}\n", encoding="utf-8")
    rp.write_text("[" + ",\r\n\t".join(results) + "]", encoding="utf-8")
    return str(gp), str(rp)


def _check_files(gp, rp, setup=None):
    """detap(files) == pycocotools(files) == detap(the dicts Python's json reads)."""
    ref = run_ref(gp, rp, setup)
    got = run_detap(gp, rp, setup)
    assert_same_eval(got, ref, "files")
    with open(gp) as f:
        gt = json.load(f)
    with open(rp) as f:
        res = json.load(f)
    assert_same_eval(run_detap(gt, res, setup), ref, "dicts")
    assert (ref.eval["precision"] > -1).any()
    return got, ref


def A(id, img, cat, bbox, area, crowd="0", extra=()):
    """A GT annotation with raw JSON spellings (strings) for its numbers."""
    return obj(("id", id), ("image_id", img), ("category_id", cat), ("bbox", f"[{', '.join(bbox)}]"),
               ("area", area), ("iscrowd", crowd), *extra)


def D(img, cat, bbox, score, extra=()):
    return obj(("image_id", img), ("category_id", cat), ("bbox", f"[{', '.join(bbox)}]"),
               ("score", score), *extra)


SPELLED_GT = [
    # areas on and one ulp around the 32**2 and 96**2 borders, spelled variously
    A("1", "1", "1", ["0", "0", "1E1", "1e+1"], "1.024e3"),
    A("2", "1", "1", ["100", "0", "10.0", "10"], "1024.0000000000002"),
    A("3", "1", "1", ["200", "0", "100e-1", "0.1e2"], "1023.9999999999999"),
    A("4", "1", "1", ["300", "0", "10", "10"], "0.9216e4"),
    A("5", "1", "1", ["400", "0", "10", "10"], "9216.000000000002"),
    A("6", "1", "1", ["500", "0", "10", "10"], "9215.999999999998"),
    A("7", "1", "2", ["0", "0", "10", "10"], "1e0000000000000000002", crowd="true"),
    A("8", "1", "2", ["0", "100", "10", "10"], "100", crowd="false"),
    A("9", "2", "1", ["-0.0", "-0", "10.000000000000000000001", "9.99999999999999999999"],
      "3.1111111111111111111111111111111111111111"),
    A("10", "2", "1", ["50", "50", "1.00000000000000011102230246251565404236316680908203125",
                       "1.00000000000000011102230246251565404236316680908203126"], "1"),
    A("11", "2", "2", ["0", "0", "10", "10"], "100", crowd="1.0"),
    A("12", "2", "2", ["20", "20", "10", "10"], "100.0", crowd="0.0"),
    A("13", "3", "1", ["0", "0", "32.000000000000007", "32"], "2048"),
    A("14", "3", "1", ["100", "100", "96", "96.00000000000001"], "5000"),
]

SPELLED_RES = [
    D("1", "1", ["0", "0", "10", "10"], "0.5"),
    D("1", "1", ["100", "0", "10", "10"], "5e-1"),
    D("1", "1", ["200", "0", "10", "10"], "0.50000000000000011"),
    D("1", "1", ["300", "0", "10", "10"], "0.49999999999999994"),
    D("1", "1", ["400", "0", "10", "10"], "5E-1"),
    D("1", "1", ["500", "0", "10", "10"], "0.5000000000000000000001"),
    D("1", "1", ["600", "0", "10", "10"], "1"),
    D("1", "2", ["0", "0", "10", "10"], "0"),
    D("1", "2", ["2", "2", "5", "5"], "1E0"),
    D("1", "2", ["0", "100", "10", "5"], "0.75"),  # IoU exactly 0.5
    D("1", "2", ["0", "100", "10", "4.999999999999999"], "0.75"),  # just below
    D("2", "1", ["0", "0", "10", "10"], "2.5E-1"),
    D("2", "1", ["50", "50", "1", "1"], "0.25"),
    D("2", "2", ["0", "0", "10", "7.5"], "7.5e-1"),  # IoU exactly 0.75
    D("2", "2", ["20", "20", "10", "7.499999999999999"], "0.75"),
    D("3", "1", ["0", "0", "32.000000000000007", "32"], "0.9"),  # w * h just above 1024
    D("3", "1", ["0", "0", "32", "32"], "0.9"),
    D("3", "1", ["100", "100", "96", "96.00000000000001"], "0.125"),
    D("3", "1", ["100", "100", "96", "96"], "1.25e-1"),
    D("3", "2", ["1e1", "1E1", "3.3333333333333333333333333333333333333333", "3.3e0"], "0.3"),
]


def test_json_number_spellings(tmp_path):
    gp, rp = _spelled_files(tmp_path, gt_annotations=SPELLED_GT, results=SPELLED_RES)
    _check_files(gp, rp)
    _check_files(gp, rp, setter(iouThrs=np.array([0.5, 0.75]), maxDets=[1, 2, 100]))


def test_json_very_long_numbers(tmp_path):
    """Numbers of hundreds of digits, in the GT and in the results."""
    gt = SPELLED_GT + [A("15", "3", "2", ["0", "0", "10", "10"], "1" + "0" * 150 + "e-148"),
                       A("16", "3", "2", ["50", "50", "3." + "1" * 200, "10"], "31.5")]
    res = SPELLED_RES + [D("3", "2", ["50", "50", "3." + "1" * 200, "1" + "0" * 300 + "e-299"],
                           "0." + "3" * 400),
                         D("3", "2", ["0", "0", "10", "10"], "0." + "3" * 300 + "4")]
    gp, rp = _spelled_files(tmp_path, gt_annotations=gt, results=res)
    _check_files(gp, rp)


def test_json_structure_variants(tmp_path):
    """Key order, unknown and nested fields (segmentation polygons and RLE
    with escaped strings, attributes with null/true), repeated keys inside
    an annotation (the last wins, as in Python), sections in another order."""
    extra = (("segmentation", '[[0, 0, 1, 1, 2, 2]]'),
             ("attributes", obj(("occluded", "false"), ("note", "null"), ("t", '"a\\\\"'))))
    rle = (("segmentation", obj(("counts", '"ab\\\\c\\"d]}"'), ("size", "[10, 10]"))),)
    gt = [
        obj(("bbox", "[0, 0, 10, 10]"), ("area", "100"), ("iscrowd", "0"), ("category_id", "1"),
            ("image_id", "1"), ("id", "1")),
        A("2", "1", "1", ["20", "20", "10", "10"], "100", extra=extra),
        A("3", "1", "2", ["0", "0", "10", "10"], "100", extra=rle),
        # repeated bbox and iscrowd keys: Python's json keeps the last ones
        obj(("id", "4"), ("image_id", "2"), ("category_id", "1"), ("bbox", "[500, 500, 1, 1]"),
            ("area", "100"), ("iscrowd", "1"), ("bbox", "[0, 0, 10, 10]"), ("iscrowd", "0")),
        A("5", "2", "2", ["0", "0", "50", "50"], "2500", crowd="1", extra=(("ignore", "0"),)),
        A("6", "3", "1", ["5", "5", "10", "10"], "100", extra=(("score", "0.5"),)),
    ]
    res = [
        D("1", "1", ["0", "0", "10", "10"], "0.9", extra=(("id", "77"), ("area", "3"))),
        obj(("score", "0.8"), ("bbox", "[20, 20, 10, 10]"), ("category_id", "1"), ("image_id", "1"),
            ("segmentation", '[[1, 2, 3]]')),
        D("1", "2", ["0", "0", "10", "10"], "0.7", extra=(("bbox", "[1, 1, 10, 10]"),)),
        D("2", "1", ["0", "0", "10", "10"], "0.6"),
        D("2", "2", ["0", "0", "10", "10"], "0.6"),
        D("2", "2", ["10", "10", "10", "10"], "0.6"),
        D("3", "1", ["5", "5", "10", "10"], "0.4", extra=(("iscrowd", "1"),)),
    ]
    images = [obj(("file_name", '"\\u00e9t\\u00e9 \\"1\\".jpg"'), ("id", "1")),
              obj(("id", "2"), ("coco_url", '"http://x/y?a=[1]&b={2}"')),
              obj(("license", "null"), ("id", "3"), ("flickr", '"\u00e9\u4e2d"'))]
    gp, rp = _spelled_files(tmp_path, gt_annotations=gt, results=res, images=images)
    _check_files(gp, rp)
    # sections in another order, no info
    text = Path(gp).read_text(encoding="utf-8")
    data = json.loads(text)
    top = [("categories", json.dumps(data["categories"])), ("annotations", "[" + ", ".join(gt) + "]"),
           ("images", "[" + ", ".join(images) + "]")]
    gp2, rp2 = _spelled_files(tmp_path / "..", gt_annotations=gt, results=res, top=top)
    _check_files(gp2, rp2)


def test_json_repeated_top_level_section(tmp_path):
    """Python's json keeps the last of a repeated key."""
    first = [A("1", "1", "1", ["300", "300", "10", "10"], "100")]
    last = [A("1", "1", "1", ["0", "0", "10", "10"], "100"), A("2", "2", "2", ["0", "0", "10", "10"], "100")]
    top = [("images", "[" + ", ".join(obj(("id", i)) for i in (1, 2)) + "]"),
           ("annotations", "[" + ", ".join(first) + "]"),
           ("categories", "[" + obj(("id", 1)) + ", " + obj(("id", 2)) + "]"),
           ("annotations", "[" + ", ".join(last) + "]")]
    res = [D("1", "1", ["0", "0", "10", "10"], "0.5"), D("2", "2", ["0", "0", "10", "10"], "0.5")]
    gp, rp = _spelled_files(tmp_path, gt_annotations=[], results=res, top=top)
    got, ref = _check_files(gp, rp)
    # the last section counts: both categories found (precision 1 / (1 + eps))
    assert (ref.eval["precision"][0, :, :, 0, 2] > 0.99).all()


def test_json_ids_written_as_floats(tmp_path):
    """Integer ids spelled 2.0 / 3e0 (Python's json gives floats, and
    pycocotools' dict lookups treat 2.0 as 2)."""
    gt = [A("1", "1", "1", ["0", "0", "10", "10"], "100"),
          A("2.0", "2", "1", ["0", "0", "10", "10"], "100"),
          A("3", "3e0", "1", ["0", "0", "10", "10"], "100")]
    res = [D("1", "1", ["0", "0", "10", "10"], "0.5"), D("2.0", "1", ["0", "0", "10", "10"], "0.4"),
           D("3", "1.0", ["0", "0", "10", "10"], "0.3")]
    gp, rp = _spelled_files(tmp_path, gt_annotations=gt, results=res)
    _check_files(gp, rp)


def test_gt_reused_for_two_result_sets(tmp_path, small_synth):
    """One GT COCO (from a file) evaluated against two result sets, and its
    dict view read between the two runs."""
    gt, res = small_synth
    gp = tmp_path / "gt.json"
    gp.write_text(json.dumps(gt))
    other = [dict(r, score=round(1 - r["score"], 3)) for r in res[::2]]
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(str(gp))
        evs = []
        for k, rs in enumerate((res, other)):
            ev = dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(rs)), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            evs.append(ev)
            if k == 0:
                assert len(cg.anns) == len(gt["annotations"])
    assert_same_eval(evs[0], run_ref(gt, res), "first")
    assert_same_eval(evs[1], run_ref(gt, other), "second")


# ===================================================== parameter variations


@pytest.fixture(scope="module")
def synth():
    gt, res = make_coco(n_images=40, n_categories=6, crowd_frac=0.05, seed=11)
    # exact copies of some GT (IoU 1.0) with a tied score
    res = res + [R(a["image_id"], a["category_id"], a["bbox"], 0.5) for a in gt["annotations"][::7]]
    return gt, res


def _cats(gt):
    return sorted(c["id"] for c in gt["categories"])


def _imgs(gt):
    return sorted(i["id"] for i in gt["images"])


AREAS4 = [[0, 20 ** 2], [20 ** 2, 64 ** 2], [64 ** 2, 128 ** 2], [128 ** 2, 1e5 ** 2]]

PARAMS = {
    "default": lambda gt: None,
    "useCats0": lambda gt: setter(useCats=0),
    "iouThrs_3": lambda gt: setter(iouThrs=np.array([0.3, 0.5, 0.9])),
    "iouThrs_1.0": lambda gt: setter(iouThrs=np.array([1.0])),
    "iouThrs_0": lambda gt: setter(iouThrs=np.array([0.0, 0.1])),
    "recThrs_11": lambda gt: setter(recThrs=np.linspace(0, 1, 11)),
    "recThrs_arange": lambda gt: setter(recThrs=np.arange(0.0, 1.1, 0.1)),
    # the recall counts are computed once per (category, area range) and
    # shared by every cell: thresholds out of order, below 0, above 1, NaN
    # (numpy's searchsorted puts it past the end; pycocotools stops there)
    "recThrs_unsorted": lambda gt: setter(recThrs=np.array([0.9, 0.2, 0.55, -0.5, 0.0, 1.0, 0.37])),
    "recThrs_above_1": lambda gt: setter(recThrs=np.array([0.1, 0.5, 1.5, 0.2])),
    "recThrs_nan": lambda gt: setter(recThrs=np.array([0.25, 0.5, np.nan, 0.1])),
    "recThrs_fine": lambda gt: setter(recThrs=np.linspace(0, 1, 1001)),
    "areaRng_4": lambda gt: setter(areaRng=AREAS4, areaRngLbl=["tiny", "small", "medium", "big"]),
    "areaRng_2": lambda gt: setter(areaRng=[[0, 1e10], [50 ** 2, 1e10]], areaRngLbl=["all", "large"]),
    "imgIds_subset": lambda gt: setter(imgIds=_imgs(gt)[::3]),
    "imgIds_unsorted_dup": lambda gt: setter(imgIds=_imgs(gt)[10:2:-2] + _imgs(gt)[4:6]),
    "catIds_subset": lambda gt: setter(catIds=_cats(gt)[1::2]),
    "catIds_unsorted": lambda gt: setter(catIds=_cats(gt)[::-1][:4]),
    "img_and_cat_subsets": lambda gt: setter(imgIds=_imgs(gt)[1::2], catIds=_cats(gt)[:3]),
    "useCats0_catIds_subset": lambda gt: setter(useCats=0, catIds=_cats(gt)[1:4]),
    "useCats0_catIds_unsorted": lambda gt: setter(useCats=0, catIds=_cats(gt)[::-1]),
    "useCats0_imgIds_subset": lambda gt: setter(useCats=0, imgIds=_imgs(gt)[::4]),
    "maxDets_1_10_100": lambda gt: setter(maxDets=[1, 10, 100]),
    "maxDets_10_50_300": lambda gt: setter(maxDets=[10, 50, 300]),
    "maxDets_5_2_20": lambda gt: setter(maxDets=[5, 2, 20]),
    # cuts that select the same detections (accumulate reuses the curves)
    "maxDets_repeated": lambda gt: setter(maxDets=[10, 10, 100]),
    "maxDets_all_above": lambda gt: setter(maxDets=[200, 300, 400]),
    # thresholds over three label bytes (accumulate reads 8 at a time)
    "iouThrs_17": lambda gt: setter(iouThrs=np.linspace(0.1, 0.9, 17)),
    "iouThrs_8": lambda gt: setter(iouThrs=np.linspace(0.5, 0.85, 8)),
    "maxDets_1_2_3": lambda gt: setter(maxDets=[1, 2, 3]),
    "all_custom": lambda gt: setter(iouThrs=np.array([0.3, 0.5, 0.75]), recThrs=np.linspace(0, 1, 11),
                                    maxDets=[3, 30, 60], areaRng=AREAS4,
                                    areaRngLbl=["all", "small", "medium", "large"]),
}


@pytest.mark.parametrize("name", list(PARAMS))
def test_parameter_variations(synth, name):
    gt, res = synth
    check(gt, res, PARAMS[name](gt), ctx=name)


# ================================================================ hypothesis

UNIT = 4.0  # grid step in pixels: 8 units = 32 px, 24 units = 96 px
SIZES = (0, 1, 2, 3, 4, 6, 7, 8, 8, 9, 12, 16, 23, 24, 24, 25)
AREAS = (1024.0, 9216.0, 1023.5, 1024.5, 9215.0, 9217.0, 0.0, 300.0, 5000.0, 20000.0)
SCORES = (0.1, 0.25, 0.5, 0.5, 0.9, 1.0)


def grid_box():
    return st.tuples(st.integers(0, 24), st.integers(0, 24), st.sampled_from(SIZES),
                     st.sampled_from(SIZES)).map(lambda t: [float(v) * UNIT for v in t])


@st.composite
def coco_case(draw, max_images=12, max_cats=4, max_gt=15, max_det=40):
    """(gt_dict, results): boxes on a coarse grid (frequent overlaps, IoU
    ties, areas on the 32**2 / 96**2 borders), ~10 % crowd, GT areas either
    w * h or drawn independently, scores from a few values (ties), unique GT
    ids (sometimes including 0).  At least one GT annotation and one result
    (pycocotools cannot load an empty result list; a GT set without
    annotations is test_dataset_without_annotations)."""
    n_img = draw(st.integers(1, max_images))
    img_ids = draw(st.lists(st.integers(1, 60), min_size=n_img, max_size=n_img, unique=True))
    n_cat = draw(st.integers(1, max_cats))
    cat_ids = draw(st.lists(st.integers(1, 9), min_size=n_cat, max_size=n_cat, unique=True))
    anns = [G(img_ids[0], cat_ids[0], draw(grid_box()))]  # >= 1 GT: see test_dataset_without_annotations
    for img in img_ids:
        for _ in range(draw(st.integers(0, max_gt)) if draw(st.integers(0, 3)) else 0):
            bb = draw(grid_box())
            area = draw(st.one_of(st.just(None), st.sampled_from(AREAS)))
            anns.append(G(img, draw(st.sampled_from(cat_ids)), bb,
                          crowd=int(draw(st.integers(0, 9)) == 0),
                          area=bb[2] * bb[3] if area is None else area))
    first = draw(st.integers(0, 1))  # sometimes a GT with id 0
    ids = draw(st.permutations(list(range(first, len(anns) + first))))
    for a, i in zip(anns, ids):
        a["id"] = i
    gt_boxes = [a["bbox"] for a in anns]
    box = st.one_of(grid_box(), st.sampled_from(gt_boxes)) if gt_boxes else grid_box()
    res = draw(st.lists(st.builds(R, st.sampled_from(img_ids), st.sampled_from(cat_ids), box,
                                  st.one_of(st.sampled_from(SCORES),
                                            st.floats(0, 1, allow_nan=False))),
                        min_size=1, max_size=min(max_det * n_img, 8 * n_img + 10)))
    return dataset(img_ids, cat_ids, anns), res


MAXDETS = ([1, 10, 100], [1, 3, 5], [2, 4, 8], [1, 2, 40])
# DETAP_COCO_EXAMPLES raises the number of examples for a longer fuzzing run
HYP = settings(max_examples=int(os.environ.get("DETAP_COCO_EXAMPLES", "100")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@HYP
@given(case=coco_case(), max_dets=st.sampled_from(MAXDETS), data=st.data())
def test_hypothesis_per_category(case, max_dets, data):
    gt, res = case
    imgs = _imgs(gt)
    img_ids = data.draw(st.one_of(st.just(imgs), st.lists(st.sampled_from(imgs), min_size=1)))
    check(gt, res, setter(maxDets=max_dets, imgIds=img_ids), nontrivial=False)


@HYP
@given(case=coco_case(), max_dets=st.sampled_from(MAXDETS), data=st.data())
def test_hypothesis_use_cats_0(case, max_dets, data):
    gt, res = case
    cats = _cats(gt)
    cat_ids = data.draw(st.one_of(st.just(cats), st.lists(st.sampled_from(cats), min_size=1,
                                                          unique=True).map(sorted)))
    check(gt, res, setter(useCats=0, maxDets=max_dets, catIds=cat_ids), nontrivial=False)


# ==================================================================== threads


def test_thread_count_does_not_change_results():
    gt, res = make_coco(n_images=300, n_categories=20, seed=5)
    evs = [run_detap(gt, res, threads=t) for t in (1, 2, None)]
    for ev in evs[1:]:
        assert_same_eval(ev, evs[0])
    evs = [run_detap(gt, res, setter(useCats=0), threads=t) for t in (1, 2)]
    assert_same_eval(evs[1], evs[0], "useCats=0")


# ============================================================ loadRes forms


@pytest.fixture(scope="module")
def small_synth():
    return make_coco(n_images=25, n_categories=5, crowd_frac=0.05, seed=21)


@pytest.mark.parametrize("form", ["path", "list", "ndarray"])
def test_loadres_input_forms(small_synth, tmp_path, form):
    gt, res = small_synth
    if form == "path":
        p = tmp_path / "res.json"
        p.write_text(json.dumps(res))
        arg = str(p)
    elif form == "list":
        arg = res
    else:
        arg = np.array([[r["image_id"], *r["bbox"], r["score"], r["category_id"]] for r in res])
        assert arg.shape == (len(res), 7)
    ref = run_ref(gt, arg)
    got = run_detap(gt, arg)
    assert_same_eval(got, ref, form)
    # and every form gives the same numbers as the list form
    assert_same_eval(got, run_detap(gt, res), f"{form} vs list")


def test_loadres_pathlike(small_synth, tmp_path):
    gt, res = small_synth
    p = tmp_path / "res.json"
    p.write_text(json.dumps(res))
    assert_same_eval(run_detap(gt, p), run_ref(gt, str(p)))


# ================================================================ array API


def _arrays(gt, res):
    a, r = gt["annotations"], res
    return dict(
        gt_image_id=np.array([x["image_id"] for x in a]),
        gt_category_id=np.array([x["category_id"] for x in a]),
        gt_bbox=np.array([x["bbox"] for x in a], dtype=np.float64),
        gt_area=np.array([x["area"] for x in a], dtype=np.float64),
        gt_iscrowd=np.array([x["iscrowd"] for x in a]),
        dt_image_id=np.array([x["image_id"] for x in r]),
        dt_category_id=np.array([x["category_id"] for x in r]),
        dt_bbox=np.array([x["bbox"] for x in r], dtype=np.float64),
        dt_score=np.array([x["score"] for x in r], dtype=np.float64))


def _ids_1_to_n(gt):
    gt = copy.deepcopy(gt)
    for k, a in enumerate(gt["annotations"]):
        a["id"] = k + 1
    return gt


def _summarized(ev):
    with contextlib.redirect_stdout(io.StringIO()):
        ev.summarize()
    return ev


@pytest.mark.parametrize("variant", ["full", "no_area_no_crowd", "useCats0", "custom"])
def test_evaluate_arrays_equal_to_pycocotools(variant):
    gt, res = make_coco(n_images=30, n_categories=5, crowd_frac=0.08, seed=31)
    # shuffle annotation order (ids 1..N follow the array order)
    rng = np.random.default_rng(0)
    gt["annotations"] = [gt["annotations"][i] for i in rng.permutation(len(gt["annotations"]))]
    gt = _ids_1_to_n(gt)
    arrs = _arrays(gt, res)
    setup = None
    if variant == "no_area_no_crowd":
        del arrs["gt_area"], arrs["gt_iscrowd"]
        for a in gt["annotations"]:
            a["area"] = a["bbox"][2] * a["bbox"][3]
            a["iscrowd"] = 0
    elif variant == "useCats0":
        setup = setter(useCats=0)
    elif variant == "custom":
        setup = setter(iouThrs=np.array([0.3, 0.5, 0.9]), maxDets=[1, 5, 20],
                       imgIds=_imgs(gt)[::2], recThrs=np.linspace(0, 1, 11))
    ref = run_ref(gt, res, setup)
    params = dcoco.Params("bbox")
    params.imgIds = _imgs(gt)
    params.catIds = _cats(gt)
    if setup is not None:
        setup(params)
    got = _summarized(dcoco.evaluate_arrays(**arrs, params=params))
    assert_same_eval(got, ref, variant)


def test_evaluate_arrays_default_params():
    """params=None: imgIds / catIds are the GT's sorted unique ids."""
    gt, res = make_coco(n_images=20, n_categories=4, seed=41)
    gt = _ids_1_to_n(gt)
    with_gt = {a["image_id"] for a in gt["annotations"]}
    cats = {a["category_id"] for a in gt["annotations"]}
    gt["images"] = [i for i in gt["images"] if i["id"] in with_gt]
    gt["categories"] = [c for c in gt["categories"] if c["id"] in cats]
    res = [r for r in res if r["image_id"] in with_gt]
    ref = run_ref(gt, res)
    got = _summarized(dcoco.evaluate_arrays(**_arrays(gt, res)))
    assert_same_eval(got, ref)
