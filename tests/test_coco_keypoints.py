"""COCOeval with iouType="keypoints" against pycocotools 2.0.11, bit for bit.

OKS is pycocotools' computeOks (sigmas, visibility, the box rule for GT
without labelled points, the GT's area); matching, accumulate and summarize
are the shared engine stages.  Compared by np.array_equal / ==: stats,
precision, recall, scores, every cell's computeOks and evalImgs record.
"""
import contextlib
import copy
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402

from detap import coco as dcoco  # noqa: E402
from detap import _core  # noqa: E402
from detap.errors import DetapInputError  # noqa: E402
from tests.coco_support import assert_same_cells, peer_case, quiet, run_files, run_pair_dicts  # noqa: E402
from tests.conftest import assert_same_array  # noqa: E402

K = 17


def person(rng, ann_id, img_id, visible=None, crowd=0, int_coords=False):
    """A person GT: box, area, 17 keypoints inside it (some unlabelled)."""
    x, y = rng.uniform(0, 400, 2)
    w, h = rng.uniform(5, 200, 2)
    v = rng.choice([0, 1, 2], K, p=[.3, .2, .5]) if visible is None else np.full(K, visible)
    px, py = x + rng.uniform(0, w, K), y + rng.uniform(0, h, K)
    if int_coords:
        px, py = np.round(px), np.round(py)
    kp = np.stack([np.where(v > 0, px, 0), np.where(v > 0, py, 0), v], 1).reshape(-1)
    kp = [int(t) for t in kp] if int_coords else [float(t) for t in kp]
    return {"id": ann_id, "image_id": img_id, "category_id": 1, "iscrowd": crowd,
            "bbox": [float(x), float(y), float(w), float(h)],
            "area": float(rng.choice([w * h, w * h * rng.uniform(.3, 1), rng.integers(1, 5000)])),
            "keypoints": kp, "num_keypoints": int(np.count_nonzero(v > 0))}


def make_keypoints(seed, n_images=6, max_people=5, dets_per_gt=2, with_bbox=False, ties=True):
    rng = np.random.default_rng(seed)
    images = [{"id": i, "width": 640, "height": 480, "file_name": f"{i}.jpg"}
              for i in range(1, n_images + 1)]
    anns, res = [], []
    scores = [.9, .8, .5, .3] if ties else None
    for img in images:
        for _ in range(rng.integers(0, max_people + 1)):
            kind = rng.random()
            a = person(rng, len(anns) + 1, img["id"],
                       visible=0 if kind < .15 else None, crowd=int(kind > .9),
                       int_coords=bool(rng.random() < .2))
            if rng.random() < .1:  # pycocotools trusts num_keypoints for the ignore flag
                a["num_keypoints"] = 0
            anns.append(a)
            for _ in range(rng.integers(0, dets_per_gt + 1)):
                kp = np.array(a["keypoints"], float).reshape(K, 3)
                bx = a["bbox"]
                noise = rng.normal(0, rng.choice([1, 5, 20]), (K, 2))
                xy = np.where(kp[:, 2:] > 0, kp[:, :2], [bx[0] + bx[2] / 2, bx[1] + bx[3] / 2]) + noise
                d = {"image_id": img["id"], "category_id": 1,
                     "keypoints": [float(t) for t in np.concatenate([xy, np.ones((K, 1))], 1).reshape(-1)],
                     "score": float(rng.choice(scores) if scores else rng.random())}
                if with_bbox:
                    d["bbox"] = [float(t) for t in rng.uniform(1, 100, 4)]
                res.append(d)
        for _ in range(rng.integers(0, 3)):  # background detections
            xy = rng.uniform(0, 480, (K, 2))
            res.append({"image_id": img["id"], "category_id": 1,
                        "keypoints": [float(t) for t in np.concatenate([xy, rng.integers(0, 3, (K, 1))], 1).reshape(-1)],
                        "score": float(rng.choice(scores) if scores else rng.random())})
            if with_bbox:  # pycocotools then needs a box on every record
                res[-1]["bbox"] = [float(t) for t in rng.uniform(1, 100, 4)]
    gt = {"images": images, "annotations": anns,
          "categories": [{"id": 1, "name": "person", "supercategory": "person"}]}
    return gt, res


def run_pair(gt, res, setup=None):
    return run_pair_dicts(gt, res, "keypoints", setup)


def assert_same(ref, got):
    assert len(got.stats) == 10
    assert_same_cells(ref, got, "computeOks")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), with_bbox=st.booleans())
def test_random_keypoints_equal_pycocotools(seed, ties, with_bbox):
    gt, res = make_keypoints(seed, ties=ties, with_bbox=with_bbox)
    assert_same(*run_pair(gt, res))


THRESHOLD_SETS = [np.array([.05, .5]), np.array([.001]), np.array([0., .3]), np.array([.97, 1.]),
                  np.array([-.2, .9])]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), thrs=st.sampled_from(range(len(THRESHOLD_SETS))))
def test_far_pairs_never_change_matching(seed, thrs):
    """Matching skips the exp of pairs whose every point is so far that the
    OKS is certainly below the lowest threshold (oks.h's far_e): with low,
    zero, negative and near-1 thresholds the evalImgs records, the
    stats and every computeOks value stay pycocotools'."""
    gt, res = make_keypoints(seed, max_people=6, dets_per_gt=3)

    def setup(p):
        p.iouThrs = THRESHOLD_SETS[thrs]
    assert_same(*run_pair(gt, res, setup))


def test_many_detections_per_image_cut_at_20():
    gt, res = make_keypoints(7, n_images=3, max_people=20, dets_per_gt=6)
    assert max(sum(r["image_id"] == i for r in res) for i in (1, 2, 3)) > 20
    assert_same(*run_pair(gt, res))


def test_gt_without_labelled_points_uses_box_rule():
    """A GT with num_keypoints 0 and every v = 0: ignored, OKS from the
    distance outside its box grown by its size; a detection inside scores 1."""
    gt = {"images": [{"id": 1, "width": 100, "height": 100}],
          "categories": [{"id": 1, "name": "person"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                           "bbox": [10, 10, 20, 20], "area": 400, "keypoints": [0] * 51,
                           "num_keypoints": 0},
                          {"id": 2, "image_id": 1, "category_id": 1, "iscrowd": 0,
                           "bbox": [50, 50, 20, 20], "area": 300,
                           "keypoints": [55, 55, 2] + [0] * 48, "num_keypoints": 1}]}
    res = [{"image_id": 1, "category_id": 1, "score": .9, "keypoints": [15, 15, 1] * 17},
           {"image_id": 1, "category_id": 1, "score": .8, "keypoints": [-40, 95, 1] * 17},
           {"image_id": 1, "category_id": 1, "score": .7, "keypoints": [56, 54, 1] * 17}]
    ref, got = run_pair(gt, res)
    assert_same(ref, got)
    oks = got.computeOks(1, 1)
    assert oks[0, 0] == 1.0 and oks[1, 0] < 1.0


def test_custom_sigmas_and_fewer_points():
    """params.kpt_oks_sigmas decides K: 5-point skeletons evaluate with 5 sigmas."""
    rng = np.random.default_rng(3)
    gt, res = make_keypoints(11)
    for a in gt["annotations"] + res:
        a["keypoints"] = a["keypoints"][:15]
    for a in gt["annotations"]:
        a["num_keypoints"] = int(np.count_nonzero(np.array(a["keypoints"][2::3]) > 0))
    sig = rng.uniform(.02, .2, 5)

    def setup(p):
        p.kpt_oks_sigmas = sig.copy()
    assert_same(*run_pair(gt, res, setup))


def test_wrong_number_of_keypoints_is_an_error():
    gt, res = make_keypoints(5)
    res[0]["keypoints"] = res[0]["keypoints"][:30]
    cg = quiet(dcoco.COCO, copy.deepcopy(gt))
    with pytest.raises(DetapInputError, match="record 1 has 10 keypoints|record 0"):
        quiet(cg.loadRes, res)


def test_numpy_exp_loop_is_numpy_exp():
    """The OKS stage calls numpy's own float64 exp loop (numpy's SIMD exp
    differs from the C library's on some CPUs): equal to np.exp on every
    value, including the tails of short arrays."""
    rng = np.random.default_rng(0)
    for n in list(range(0, 40)) + [1000, 100001]:
        x = -rng.exponential(3, n)
        assert_same_array(_core.numpy_exp(x), np.exp(x), f"n={n}")


def test_peer_keypoints_published_stats():
    """faster_coco_eval's one-image keypoints case: pycocotools 2.0.11's 10
    published stats, to the last bit."""
    d = peer_case("coco_keypoints_1img")
    published = [0.5048844884488449, 0.7227722772277227, 0.6336633663366337, 0.46633663366336636,
                 0.7504950495049505, 0.5181818181818182, 0.7272727272727273, 0.6363636363636364,
                 0.4666666666666666, 0.75]

    ev = run_files(dcoco.COCO, dcoco.COCOeval, d / "gt_dataset.json", d / "dt_dataset.json", "keypoints")
    assert ev.stats.tolist() == published


def test_keypoint_results_from_a_file_equal_pycocotools(tmp_path):
    """Results files go through detap's C reader (keypoints read there, no
    Python json): the same numbers as pycocotools reading the same file."""
    import json
    gt, res = make_keypoints(17, n_images=12)
    res[0]["keypoints"][0] = 123.45678901234567  # a float32-like repr survives exactly
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    files = tmp_path / "gt.json", tmp_path / "res.json", "keypoints"
    assert_same(run_files(RefCOCO, RefCOCOeval, *files), run_files(dcoco.COCO, dcoco.COCOeval, *files))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 17), st.integers(0, 40), st.data())
def test_result_boxes_are_numpys_min_and_max(K, n, data):
    """loadRes' box and area of keypoint results (one parallel pass in C)
    equal pycocotools' np.min / np.max over each result's x and y, with
    ties, infinities and NaN (which numpy propagates); the pass also counts
    the rows holding a value (x, y or v) that is not finite."""
    vals = st.one_of(st.sampled_from([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan]),
                     st.floats(-1e6, 1e6, allow_nan=False))
    kp = np.array(data.draw(st.lists(st.lists(vals, min_size=3 * K, max_size=3 * K),
                                     min_size=n, max_size=n)), dtype=np.float64).reshape(n, 3 * K)
    with np.errstate(invalid="ignore"):
        box, area, bad = _core.keypoint_result_boxes(kp, 2)
        want_box, want_area = [], []
        for row in kp:
            x, y = row[0::3], row[1::3]
            x0, x1, y0, y1 = np.min(x), np.max(x), np.min(y), np.max(y)
            want_box.append([x0, y0, x1 - x0, y1 - y0])
            want_area.append((x1 - x0) * (y1 - y0))
    assert np.array_equal(box, np.array(want_box).reshape(n, 4), equal_nan=True)
    assert np.array_equal(area, np.array(want_area), equal_nan=True)
    assert bad == int((~np.isfinite(kp)).any(axis=1).sum())  # rows with a value not finite
    with pytest.raises(ValueError):
        _core.keypoint_result_boxes(np.zeros((2, 4)))


@pytest.mark.parametrize("where", ["v", "x"])
@pytest.mark.parametrize("source, bad", [("file", "1e999"), ("file", "-1e999"), ("list", "1e999"),
                                         ("list", "nan")])  # (JSON has no NaN number)
def test_results_with_a_keypoint_not_finite_are_refused(tmp_path, where, bad, source):
    """A keypoint value that is not finite (1e999 reads as inf; NaN from a
    list) is an error naming its record, whether the reader's pass over the
    boxes found it (file) or the list's own check (list); the visibility
    counts as much as the coordinates."""
    gt, res = make_keypoints(3, n_images=4)
    res = [copy.deepcopy(r) for r in res if r["image_id"] == res[0]["image_id"] for _ in range(3)]
    i = len(res) - 1
    res[i]["keypoints"][2 if where == "v" else 3] = float(bad)
    gtf = tmp_path / "gt.json"
    gtf.write_text(json.dumps(gt))
    with contextlib.redirect_stdout(io.StringIO()):
        coco = dcoco.COCO(str(gtf))
        if source == "file":
            text = json.dumps(res).replace("Infinity", "1e999")
            f = tmp_path / "res.json"
            f.write_text(text)
            arg = str(f)
        else:
            arg = res
        with pytest.raises(DetapInputError, match=rf"record {i} 'keypoints' is not finite"):
            coco.loadRes(arg)


def test_evaluation_refuses_nan_keypoints():
    """The engine's own check: NaN keypoints (GT or detections) never reach OKS."""
    gt, res = make_keypoints(5, n_images=3)
    gk = np.array([a["keypoints"] for a in gt["annotations"]], np.float64)
    dk = np.array([r["keypoints"] for r in res], np.float64)
    sig = np.full(K, .05)
    ng, nd = len(gk), len(dk)
    args = (np.zeros((ng, 4)) + 10, np.full(ng, 100.), np.zeros(ng, np.uint8), np.zeros((nd, 4)))
    _core.coco_similarity(*args, kpts=(gk, dk, sig))  # finite: fine
    for arr in (gk, dk):
        a = arr.copy()
        a[-1, -2] = np.nan
        kp = (a, dk, sig) if arr is gk else (gk, a, sig)
        with pytest.raises(ValueError, match="must not hold NaN"):
            _core.coco_similarity(*args, kpts=kp)
