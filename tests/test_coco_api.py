"""detap.coco's pycocotools API: indexes and queries, the lazy ``ious`` and
``evalImgs`` views, ``install_as_pycocotools``, iouType, and bad input.

Parity is checked against the installed pycocotools on the same inputs (each
tool with its own deep copy: pycocotools mutates what it is given).  The
numbers themselves (precision / recall / scores / stats) are in
test_coco_exact.py.
"""
import contextlib
import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pycocotools")
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402

from detap import coco as dcoco  # noqa: E402
from tests.coco_support import assert_same_eval, quiet, ref_gt, run_detap, run_ref  # noqa: E402,F401
from tests.conftest import assert_same_array, peer_data_dir, setter  # noqa: E402
from detap.coco import DetapResultsError  # noqa: E402
from detap.errors import DetapInputError  # noqa: E402
from detap.synth import make_coco  # noqa: E402

# ==================================================================== helpers


def _peer_gt_path():
    d = peer_data_dir("coco_val2014_100/instances_val2014_100.json")
    return None if d is None else d / "coco_val2014_100" / "instances_val2014_100.json"


PEER_GT = _peer_gt_path()


# ======================================================== COCO API parity


@pytest.fixture(scope="module", params=["peer", "synth"])
def gt_source(request, tmp_path_factory):
    """(path, dict) of a GT file: the peer COCO subset or a make_coco set."""
    if request.param == "peer":
        if PEER_GT is None:
            pytest.skip("shared/peer_data/coco_val2014_100 not found (set DETAP_SHARED)")
        path = PEER_GT
    else:
        gt, _ = make_coco(n_images=60, n_categories=12, crowd_frac=0.1, seed=3)
        # some structure for the name filters: two supercategories, a name
        # that is a prefix of another
        for k, c in enumerate(gt["categories"]):
            c["supercategory"] = "animal" if k % 3 == 0 else "thing"
        gt["categories"][1]["name"] = "dog"
        gt["categories"][2]["name"] = "dogfish"
        path = tmp_path_factory.mktemp("gt") / "gt.json"
        path.write_text(json.dumps(gt))
    with open(path) as f:
        data = json.load(f)
    return str(path), data


@pytest.fixture(scope="module")
def ref_api(gt_source):
    return ref_gt(gt_source[0])


@pytest.fixture
def api_pair(gt_source, ref_api):
    """(pycocotools COCO, detap COCO(path), detap COCO(dict)); detap's are
    fresh in every test, so that the first query of a file-backed COCO runs
    before its dicts are built."""
    path, data = gt_source
    return ref_api, dcoco.COCO(path), dcoco.COCO(copy.deepcopy(data))


def _queries(ref):
    imgs = sorted(ref.imgs)
    cats = sorted(ref.cats)
    # categories by number of images (so that intersections are not empty)
    by_n = sorted(cats, key=lambda c: -len(set(ref.catToImgs[c])))
    names = [ref.cats[c]["name"] for c in cats]
    sups = sorted({c["supercategory"] for c in ref.cats.values()})
    some_imgs = imgs[:: max(1, len(imgs) // 9)]
    return imgs, cats, by_n, names, sups, some_imgs


def test_indexes_equal(api_pair):
    ref, from_path, from_dict = api_pair
    for got in (from_path, from_dict):
        assert got.dataset == ref.dataset
        for attr in ("imgs", "cats", "anns"):
            assert getattr(got, attr) == getattr(ref, attr), attr
            assert list(getattr(got, attr)) == list(getattr(ref, attr)), f"{attr} key order"
        for attr in ("imgToAnns", "catToImgs"):
            g, r = getattr(got, attr), getattr(ref, attr)
            assert dict(g) == dict(r), attr
            assert list(g) == list(r), f"{attr} key order"


def test_get_img_ids(api_pair):
    ref, from_path, from_dict = api_pair
    imgs, cats, by_n, names, sups, some = _queries(ref)
    calls = [dict(), dict(imgIds=some), dict(imgIds=some[0]), dict(imgIds=[10 ** 9]),
             dict(catIds=by_n[0]), dict(catIds=by_n[:2]), dict(catIds=by_n[:3]),
             dict(catIds=cats), dict(imgIds=imgs, catIds=[by_n[0]]),
             dict(imgIds=some, catIds=by_n[:2]), dict(catIds=[10 ** 9])]
    nonempty = 0
    for kw in calls:
        r = ref.getImgIds(**kw)
        nonempty += len(r) > 0
        for got in (from_path, from_dict):
            assert got.getImgIds(**kw) == r, kw
    assert nonempty >= 7


def test_get_cat_ids(api_pair):
    ref, from_path, from_dict = api_pair
    imgs, cats, by_n, names, sups, some = _queries(ref)
    calls = [dict(), dict(catNms=names[::3]), dict(catNms=[names[0]]), dict(supNms=sups[:1]),
             dict(supNms=sups), dict(catIds=cats[::2]), dict(catIds=cats[0]),
             dict(catNms=names, supNms=sups[-1:]), dict(catNms=names[:5], catIds=cats[2:]),
             dict(catNms=names[:6], supNms=sups, catIds=cats[1:]), dict(catNms=["no such name"])]
    for kw in calls:
        r = ref.getCatIds(**kw)
        for got in (from_path, from_dict):
            assert got.getCatIds(**kw) == r, kw


def test_get_cat_ids_with_a_string_name():
    gt, _ = make_coco(n_images=2, n_categories=3, seed=1)
    gt["categories"][0]["name"] = "dog"
    gt["categories"][1]["name"] = "dogfish"
    ref = ref_gt(gt)
    got = dcoco.COCO(copy.deepcopy(gt))
    assert got.getCatIds(catNms="dogfish") == ref.getCatIds(catNms="dogfish")


def test_get_ann_ids(api_pair):
    ref, from_path, from_dict = api_pair
    imgs, cats, by_n, names, sups, some = _queries(ref)
    calls = [dict(), dict(imgIds=some), dict(imgIds=some[1]), dict(catIds=by_n[:2]),
             dict(catIds=by_n[0]), dict(areaRng=[0, 32 ** 2]), dict(areaRng=[32 ** 2, 96 ** 2]),
             dict(areaRng=[96 ** 2, 1e10]), dict(iscrowd=1), dict(iscrowd=0), dict(iscrowd=True),
             dict(iscrowd=False), dict(imgIds=some, catIds=by_n[:3], areaRng=[0, 5000], iscrowd=0),
             dict(imgIds=imgs, iscrowd=1), dict(catIds=cats, areaRng=[100, 1e10]),
             dict(imgIds=[10 ** 9]), dict(imgIds=some, catIds=[10 ** 9])]
    for kw in calls:
        r = ref.getAnnIds(**kw)
        for got in (from_path, from_dict):
            assert got.getAnnIds(**kw) == r, kw
    assert ref.getAnnIds(iscrowd=1), "the data set has crowd annotations"


def test_load_anns_cats_imgs(api_pair):
    ref, from_path, from_dict = api_pair
    imgs, cats, by_n, names, sups, some = _queries(ref)
    ann_ids = ref.getAnnIds(imgIds=some)
    for got in (from_path, from_dict):
        assert got.loadAnns(ann_ids) == ref.loadAnns(ann_ids)
        assert got.loadAnns(ann_ids[3]) == ref.loadAnns(ann_ids[3])
        assert got.loadAnns(np.array(ann_ids)) == ref.loadAnns(np.array(ann_ids))
        assert got.loadAnns() == ref.loadAnns() == []
        assert got.loadCats(cats) == ref.loadCats(cats)
        assert got.loadCats(cats[-1]) == ref.loadCats(cats[-1])
        assert got.loadCats(tuple(cats[:3])) == ref.loadCats(tuple(cats[:3]))
        assert got.loadImgs(some) == ref.loadImgs(some)
        assert got.loadImgs(some[2]) == ref.loadImgs(some[2])
        with pytest.raises(KeyError):
            got.loadImgs([10 ** 9])
        with pytest.raises(KeyError):
            got.loadAnns(10 ** 9)


def test_load_res_index(api_pair):
    """The result COCO: same images, categories, annotation fields (with
    pycocotools' box polygon as 'segmentation'), imgToAnns, catToImgs."""
    ref, from_path, _ = api_pair
    imgs = sorted(ref.imgs)
    cats = sorted(ref.cats)
    rng = np.random.default_rng(0)
    res = [{"image_id": int(imgs[rng.integers(len(imgs))]), "category_id": int(cats[rng.integers(len(cats))]),
            "bbox": [float(v) for v in rng.integers(0, 100, 4)], "score": float(rng.random())}
           for _ in range(200)]
    r = quiet(ref.loadRes, copy.deepcopy(res))
    caller = copy.deepcopy(res)
    g = from_path.loadRes(caller)
    assert caller == res, "detap.loadRes must not modify the caller's dicts"
    # queries answered before the result's dicts are built
    assert g.getImgIds() == r.getImgIds()
    assert g.getCatIds() == r.getCatIds()
    assert g.dataset["images"] == r.dataset["images"]
    assert g.dataset["categories"] == r.dataset["categories"]
    assert g.dataset["annotations"] == r.dataset["annotations"]
    assert {k: [a["id"] for a in v] for k, v in g.imgToAnns.items()} == \
        {k: [a["id"] for a in v] for k, v in r.imgToAnns.items()}
    assert dict(g.catToImgs) == dict(r.catToImgs)
    assert g.getAnnIds(imgIds=imgs[:5]) == r.getAnnIds(imgIds=imgs[:5])


@pytest.mark.parametrize("how", ["createIndex", "dataset_setter"])
def test_gt_edited_then_reindexed(tmp_path, how):
    """A GT read from a file, evaluated, then filtered / edited in its dict
    and re-indexed (a common pattern): the next evaluation sees the edit."""
    gt, res = make_coco(n_images=20, n_categories=4, crowd_frac=0.1, seed=12)
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(gt))
    edited = copy.deepcopy(gt)
    edited["annotations"] = [dict(a, iscrowd=1 - a["iscrowd"]) if k % 5 == 0 else a
                             for k, a in enumerate(edited["annotations"]) if k % 3]
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(str(p))
        ev = dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(res)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        assert_same_eval(ev, run_ref(gt, res))
        if how == "createIndex":
            cg.dataset["annotations"] = copy.deepcopy(edited["annotations"])
        else:
            cg.dataset = copy.deepcopy(edited)
        cg.createIndex()
        ev = dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(res)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert_same_eval(ev, run_ref(edited, res))


def _flip_some_crowds(dataset):
    for k, a in enumerate(dataset["annotations"]):
        if k % 4 == 0:
            a["iscrowd"] = 1 - a["iscrowd"]
            a["bbox"][2] += 1.5


def _edited_in_place(tmp_path, source, evaluate_first):
    gt, res = make_coco(n_images=20, n_categories=4, crowd_frac=0.1, seed=13)
    edited = copy.deepcopy(gt)
    _flip_some_crowds(edited)
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(gt))
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(str(p) if source == "file" else copy.deepcopy(gt))
        if evaluate_first:
            dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(res)), "bbox").evaluate()
        _flip_some_crowds(cg.dataset)  # the dicts, edited in place; no createIndex
        ev = dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(res)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert_same_eval(ev, run_ref(edited, res))


@pytest.mark.parametrize("source", ["dict", "file"])
def test_gt_dicts_edited_in_place_before_evaluation(tmp_path, source):
    """pycocotools reads the annotation dicts when it evaluates: edits made
    to them in place (without createIndex) count."""
    _edited_in_place(tmp_path, source, evaluate_first=False)


@pytest.mark.parametrize("source", ["dict", "file"])
def test_gt_dicts_edited_in_place_between_evaluations(tmp_path, source):
    _edited_in_place(tmp_path, source, evaluate_first=True)


# ================================================================ lazy views


@pytest.fixture(scope="module")
def small_set():
    gt, res = make_coco(n_images=15, n_categories=4, crowd_frac=0.12, seed=8)
    # a crowd matched by several detections, a GT with id 0, a detection-only
    # image and an image with neither
    img = gt["images"][0]["id"]
    cat = gt["categories"][0]["id"]
    nxt = max(a["id"] for a in gt["annotations"]) + 1
    gt["annotations"] += [
        {"id": nxt, "image_id": img, "category_id": cat, "bbox": [0, 0, 200, 200], "area": 30000.0,
         "iscrowd": 1},
        {"id": 0, "image_id": img, "category_id": cat, "bbox": [300, 10, 40, 40], "area": 1600.0,
         "iscrowd": 0}]
    gt["images"] += [{"id": 10 ** 6, "width": 640, "height": 480}, {"id": 10 ** 6 + 1, "width": 640,
                                                                    "height": 480}]
    res = res + [{"image_id": img, "category_id": cat, "bbox": [10 * k, 10 * k, 30, 30],
                  "score": 0.5} for k in range(5)]
    res += [{"image_id": img, "category_id": cat, "bbox": [300, 10, 40, 40], "score": 0.7},
            {"image_id": 10 ** 6, "category_id": cat, "bbox": [300, 10, 40, 40], "score": 0.7}]
    return gt, res


VIEW_PARAMS = {
    "default": None,
    "useCats0": setter(useCats=0),
    "maxDets_small": setter(maxDets=[1, 2, 4]),
    "custom": setter(areaRng=[[0, 1e10], [0, 40 ** 2], [40 ** 2, 1e10]], areaRngLbl=["all", "s", "l"],
                     iouThrs=np.array([0.3, 0.75]), imgIds=None),
}


def _setup(name, gt):
    s = VIEW_PARAMS[name]
    if name == "custom":
        imgs = sorted(i["id"] for i in gt["images"])

        def s(p):
            VIEW_PARAMS["custom"](p)
            p.imgIds = imgs[::2] + [10 ** 6]
    return s


@pytest.fixture(scope="module", params=list(VIEW_PARAMS) + ["default_files", "useCats0_files"])
def view_pair(request, small_set, tmp_path_factory):
    gt, res = small_set
    name = request.param
    setup = _setup(name.replace("_files", ""), gt)
    ref = run_ref(gt, res, setup)
    if name.endswith("_files"):  # detap's file reader
        d = tmp_path_factory.mktemp("views")
        (d / "gt.json").write_text(json.dumps(gt))
        (d / "res.json").write_text(json.dumps(res))
        gt, res = str(d / "gt.json"), str(d / "res.json")
    got = run_detap(gt, res, setup)
    assert_same_eval(got, ref)
    return got, ref


def test_ious_view(view_pair):
    got, ref = view_pair
    assert len(got.ious) == len(ref.ious)
    assert set(got.ious.keys()) == set(ref.ious.keys())
    n_arrays = 0
    for key, r in ref.ious.items():
        g = got.ious[key]
        if isinstance(r, list):
            assert r == []
            assert isinstance(g, list) and g == [], key
        else:
            n_arrays += 1
            assert isinstance(g, np.ndarray), key
            assert g.shape == r.shape and g.dtype == r.dtype, key
            assert np.array_equal(g, r), key
            assert np.array_equal(got.computeIoU(*key), r), key
    assert n_arrays > 5


def _same_eval_img(g, r, where):
    if r is None:
        assert g is None, where
        return
    assert g is not None, where
    assert set(g) == set(r), where
    for f in ("dtIds", "gtIds", "dtScores"):
        assert list(g[f]) == list(r[f]), (where, f)
    for f in ("aRng", ):
        assert list(g[f]) == list(r[f]), (where, f)
    for f in ("maxDet", "image_id", "category_id"):
        assert g[f] == r[f], (where, f)
    for f in ("dtMatches", "gtMatches", "gtIgnore", "dtIgnore"):
        ga, ra = np.asarray(g[f]), np.asarray(r[f])
        assert ga.shape == ra.shape, (where, f, ga.shape, ra.shape)
        assert np.array_equal(ga, ra), (where, f, ga, ra)
        if ra.size:
            assert ga.dtype == ra.dtype, (where, f, ga.dtype, ra.dtype)


def test_eval_imgs_view(view_pair):
    got, ref = view_pair
    assert len(got.evalImgs) == len(ref.evalImgs)
    n_dicts = 0
    for j, r in enumerate(ref.evalImgs):
        _same_eval_img(got.evalImgs[j], r, j)
        n_dicts += r is not None
    assert n_dicts > 10
    # iteration, slices and negative indices
    assert sum(e is None for e in got.evalImgs) == sum(e is None for e in ref.evalImgs)
    for g, r in zip(got.evalImgs[-7:], ref.evalImgs[-7:]):
        _same_eval_img(g, r, "slice")
    _same_eval_img(got.evalImgs[-1], ref.evalImgs[-1], -1)


def test_evaluate_img_with_smaller_max_det(view_pair):
    got, ref = view_pair
    # pycocotools' accumulate() sets params.catIds = [-1] under useCats=0,
    # after which its evaluateImg finds nothing: ask it with evaluate()'s params
    saved = ref.params
    ref.params = copy.deepcopy(ref._paramsEval)
    try:
        p = ref.params
        cats = p.catIds if p.useCats else [-1]
        n = 0
        for img in p.imgIds:
            for cat in cats:
                for a in p.areaRng[:2]:
                    for m in (1, 3):
                        r = ref.evaluateImg(img, cat, a, m)
                        _same_eval_img(got.evaluateImg(img, cat, a, m), r, (img, cat, a, m))
                        n += r is not None
    finally:
        ref.params = saved
    assert n > 10


@pytest.mark.parametrize("source", ["dict", "file"])
def test_default_params_equal(small_set, source, tmp_path):
    gt, res = small_set
    rg = ref_gt(gt)
    ref = quiet(RefCOCOeval, rg, quiet(rg.loadRes, copy.deepcopy(res)), "bbox").params
    if source == "file":
        (tmp_path / "gt.json").write_text(json.dumps(gt))
        cg = dcoco.COCO(str(tmp_path / "gt.json"))
    else:
        cg = dcoco.COCO(copy.deepcopy(gt))
    got = dcoco.COCOeval(cg, cg.loadRes(copy.deepcopy(res)), "bbox").params
    for name in ("imgIds", "catIds", "maxDets", "areaRng", "areaRngLbl", "useCats", "iouType", "useSegm"):
        assert getattr(got, name) == getattr(ref, name), name
    for name in ("iouThrs", "recThrs"):
        a, b = getattr(got, name), getattr(ref, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name


# ===================================================== install_as_pycocotools


def test_install_as_pycocotools_in_a_subprocess():
    code = r"""
import numpy as np
import detap.coco
names = detap.coco.install_as_pycocotools()
assert sorted(names) == ["pycocotools._mask", "pycocotools.coco", "pycocotools.cocoeval",
                        "pycocotools.mask"], names
from pycocotools.cocoeval import COCOeval, Params
from pycocotools.coco import COCO
import pycocotools.cocoeval, pycocotools.coco
assert COCOeval is detap.coco.COCOeval
assert COCO is detap.coco.COCO
assert Params is detap.coco.Params
assert pycocotools.cocoeval.COCOeval is detap.coco.COCOeval
import pycocotools.mask as mask, pycocotools._mask as _mask
import detap.mask, detap._mask
assert mask is detap.mask and _mask is detap._mask
m = np.zeros((10, 12), dtype=np.uint8, order="F")
m[2:5, 3:9] = 1
rle = mask.encode(m)
assert int(mask.area(rle)) == 18
assert mask.toBbox(rle).tolist() == [3.0, 2.0, 6.0, 3.0]
assert np.array_equal(mask.decode(rle), m)
print("OK")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("OK")
    # the test session itself still has the real pycocotools
    import pycocotools.cocoeval
    assert pycocotools.cocoeval.COCOeval is RefCOCOeval
    assert RefCOCOeval is not dcoco.COCOeval


# ==================================================================== iouType


@pytest.fixture(scope="module")
def tiny():
    gt, res = make_coco(n_images=5, n_categories=2, seed=2)
    cg = dcoco.COCO(gt)
    return cg, cg.loadRes(res)


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
def test_params_equal_pycocotools(iou_type):
    """Every attribute of Params, as pycocotools sets it for the iouType."""
    from pycocotools.cocoeval import Params as RefParams
    ref, got = vars(RefParams(iou_type)), vars(dcoco.Params(iou_type))
    assert sorted(ref) == sorted(got)
    for k, v in ref.items():
        if isinstance(v, np.ndarray):
            assert_same_array(got[k], v, k)
        else:
            assert got[k] == v, k


def test_default_iou_type_is_segm(tiny):
    cg, cd = tiny
    assert dcoco.COCOeval(cg, cd).params.iouType == "segm"
    assert dcoco.COCOeval().params.iouType == "segm"
    assert dcoco.COCOeval(cg, cd, None).params.iouType == "segm"  # pycocotools: "use default"
    with pytest.raises(Exception, match="iouType not supported"):
        dcoco.COCOeval(cg, cd, "boxes")


def test_bbox_accepted(tiny):
    cg, cd = tiny
    ev = dcoco.COCOeval(cg, cd, "bbox")
    quiet(ev.evaluate)
    quiet(ev.accumulate)
    assert ev.eval["precision"].shape[2] == 2


# ================================================================= bad input

GT = {"images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
      "categories": [{"id": 1, "name": "a", "supercategory": "s"},
                     {"id": 2, "name": "b", "supercategory": "s"}],
      "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100,
                       "iscrowd": 0},
                      {"id": 2, "image_id": 2, "category_id": 2, "bbox": [5, 5, 10, 10], "area": 100,
                       "iscrowd": 0}]}
OK = {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5}


def _gt():
    return dcoco.COCO(copy.deepcopy(GT))


def test_malformed_gt_json_names_file_and_line(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"images": [\n  {"id": 1},\n  {"id": 2,}\n]}\n')
    with pytest.raises(DetapInputError, match=r"broken\.json:3: .*JSON") as e:
        dcoco.COCO(str(p))
    assert e.value.line == 3 and e.value.path.endswith("broken.json")


def test_malformed_results_json_names_file_and_line(tmp_path):
    p = tmp_path / "res.json"
    p.write_text('[\n{"image_id": 1, "category_id": 1,\n "bbox": [0, 0, 1, 1] "score": 1}\n]\n')
    with pytest.raises(DetapInputError, match=r"res\.json:3: .*JSON") as e:
        _gt().loadRes(str(p))
    assert e.value.line == 3


def test_gt_json_not_an_object(tmp_path):
    p = tmp_path / "list.json"
    p.write_text("[1, 2]")
    with pytest.raises(DetapInputError, match=r"list\.json.*object"):
        dcoco.COCO(str(p))


SOURCES = ["dict", "file"]


def _load_res(res, source, tmp_path):
    """loadRes on the list, or on the same list written to res.json."""
    if source == "dict":
        return _gt().loadRes(res)
    p = tmp_path / "res.json"
    p.write_text(json.dumps(res))  # NaN / Infinity as Python's json writes them
    return _gt().loadRes(str(p))


def _raises_naming(source, exc, pattern):
    """pytest.raises(exc, match=pattern); from a file the message names it too."""
    return pytest.raises(exc, match=(r"res\.json.*" if source == "file" else "") + pattern)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("field", ["bbox", "image_id", "category_id", "score"])
def test_results_missing_field(field, source, tmp_path):
    bad = dict(OK)
    del bad[field]
    with _raises_naming(source, DetapInputError, rf"record 2 has no '{field}'"):
        _load_res([OK, OK, bad], source, tmp_path)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("field, value, pattern", [
    ("bbox", [0, 0, 1], r"record 1 'bbox' must be \[x, y, w, h\]"),
    ("bbox", "0 0 1 1", r"record 1 'bbox'"),
    ("bbox", [0, "a", 1, 1], r"record 1 'bbox' is not numeric"),
    ("score", "high", r"record 1 'score' is not a number"),
    ("image_id", 1.5, r"record 1 'image_id' is not an integer"),
    ("category_id", None, r"record 1 'category_id'"),
])
def test_results_malformed_field(field, value, pattern, source, tmp_path):
    with _raises_naming(source, DetapInputError, pattern):
        _load_res([OK, dict(OK, **{field: value})], source, tmp_path)


@pytest.mark.parametrize("source", SOURCES)
def test_results_not_a_list(source, tmp_path):
    with _raises_naming(source, DetapInputError, "list"):
        _load_res({"image_id": 1}, source, tmp_path)


@pytest.mark.parametrize("source", SOURCES)
def test_result_on_unknown_image(source, tmp_path):
    bad = dict(OK, image_id=7)
    with _raises_naming(source, DetapResultsError, r"record 1: 'image_id' 7 is not an image") as e:
        _load_res([OK, bad], source, tmp_path)
    assert isinstance(e.value, AssertionError) and isinstance(e.value, DetapInputError)
    # pycocotools raises an AssertionError too
    with pytest.raises(AssertionError):
        quiet(ref_gt(GT).loadRes, [dict(OK), dict(bad)])


def test_result_with_unknown_category_warns_and_evaluates_as_pycocotools():
    res = [OK, dict(OK, category_id=9), dict(OK, image_id=2, category_id=2, score=0.4),
           dict(OK, image_id=2, category_id=9, score=0.9)]
    with pytest.warns(UserWarning, match=r"'category_id' not in the ground truth.*record 1, 9"):
        got = run_detap(GT, res)
    assert_same_eval(got, run_ref(GT, res))
    with pytest.warns(UserWarning, match="category_id"):
        got = run_detap(GT, res, setter(useCats=0))
    assert_same_eval(got, run_ref(GT, res, setter(useCats=0)))


def test_result_file_with_unknown_category(tmp_path):
    res = [OK, dict(OK, category_id=9), dict(OK, image_id=2, category_id=2, score=0.4)]
    p = tmp_path / "res.json"
    p.write_text(json.dumps(res))
    with pytest.warns(UserWarning, match=r"res\.json.*'category_id' not in the ground truth"):
        got = run_detap(GT, str(p))
    assert_same_eval(got, run_ref(GT, res))


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", ["score", "x", "y", "w", "h"])
def test_results_non_finite(bad, where, source, tmp_path):
    r = dict(OK)
    if where == "score":
        r["score"] = bad
        pattern = r"record 1 'score' is not finite"
    else:
        bb = list(OK["bbox"])
        bb["xywh".index(where)] = bad
        r["bbox"] = bb
        pattern = r"record 1 'bbox' is not finite"
    with _raises_naming(source, DetapInputError, pattern):
        _load_res([OK, r], source, tmp_path)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("bbox", [[0, 0, -1, 5], [0, 0, 5, -1], [0, 0, -0.5, -0.5]])
def test_results_negative_size(bbox, source, tmp_path):
    """pycocotools evaluates result boxes of negative size (their IoU is 0):
    detap warns, naming the record, and evaluates them the same way."""
    from detap import DetapWarning
    with pytest.warns(DetapWarning, match=r"record 1 'bbox' has a negative size"):
        res = _load_res([OK, dict(OK, bbox=bbox)], source, tmp_path)
    assert res.columns("dt").bbox[1].tolist() == [float(v) for v in bbox]


def _evaluate_gt(gt, source, tmp_path):
    if source == "file":
        p = tmp_path / "gt.json"
        p.write_text(json.dumps(gt))
        gt = str(p)
    cg = dcoco.COCO(gt)
    ev = dcoco.COCOeval(cg, cg.loadRes([dict(OK)]), "bbox")
    quiet(ev.evaluate)
    quiet(ev.accumulate)
    return ev


def _gt_raises(source, pattern):
    return pytest.raises(DetapInputError, match=(r"gt\.json.*" if source == "file" else "") + pattern)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("field", ["iscrowd", "area", "bbox", "id", "image_id", "category_id"])
def test_gt_missing_field(field, source, tmp_path):
    gt = copy.deepcopy(GT)
    del gt["annotations"][1][field]
    with _gt_raises(source, rf"record 1 has no '{field}'"):
        _evaluate_gt(gt, source, tmp_path)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("field, value, pattern", [
    ("bbox", [0, float("nan"), 3, 4], r"record 1 'bbox' is not finite"),
    ("bbox", [0, 0, 3], r"record 1 'bbox' must be \[x, y, w, h\]"),
    ("area", float("inf"), r"record 1 'area' is not finite"),
    ("area", "big", r"record 1 'area' is not a number"),
    ("iscrowd", "yes", r"record 1 'iscrowd'"),
    ("image_id", "img7", r"record 1 'image_id' is not a number"),
])
def test_gt_bad_field(field, value, pattern, source, tmp_path):
    gt = copy.deepcopy(GT)
    gt["annotations"][1][field] = value
    with _gt_raises(source, pattern):
        _evaluate_gt(gt, source, tmp_path)


@pytest.mark.parametrize("value", [{"id": 1}, "annotations", None, 3])
def test_gt_annotations_not_a_list(value, tmp_path):
    gt = copy.deepcopy(GT)
    gt["annotations"] = value
    with pytest.raises(DetapInputError, match=r"'annotations' must be a list"):
        dcoco.COCO(gt)
    p = tmp_path / "gt.json"
    p.write_text(json.dumps(gt))
    with pytest.raises(DetapInputError, match=r"gt\.json.*'annotations' must be a list"):
        dcoco.COCO(str(p))


@pytest.mark.parametrize("source", SOURCES)
def test_gt_image_without_id(source, tmp_path):
    gt = copy.deepcopy(GT)
    del gt["images"][1]["id"]
    with _gt_raises(source, r"images record 1 has no 'id'"):
        _evaluate_gt(gt, source, tmp_path)


# ============================================================ empty results


def test_empty_results_list(tmp_path):
    """detap accepts []: precision 0 (recall 0) where a category has GT in
    the area range, -1 elsewhere.  pycocotools cannot load [] (it reads
    anns[0]); it gives the same arrays for results whose only detection is
    on a category outside the GT, which it never evaluates."""
    gt, _ = make_coco(n_images=12, n_categories=5, crowd_frac=0.1, seed=4)
    gt["categories"].append({"id": 999, "name": "no_gt", "supercategory": "thing"})
    got = run_detap(gt, [])
    assert len(got.cocoDt.getAnnIds()) == 0
    p, r = got.eval["precision"], got.eval["recall"]
    assert set(np.unique(p)) == {-1.0, 0.0} and set(np.unique(r)) == {-1.0, 0.0}
    assert (p[:, :, -1] == -1).all()  # category 999: no GT
    # 0 exactly where the category has non-crowd GT in the area range
    for k, cat in enumerate(got.params.catIds):
        for a, (lo, hi) in enumerate(got.params.areaRng):
            has = any(x["category_id"] == cat and not x["iscrowd"] and lo <= x["area"] <= hi
                      for x in gt["annotations"])
            assert (p[:, :, k, a] == (0.0 if has else -1.0)).all(), (cat, a)
    nothing = [{"image_id": gt["images"][0]["id"], "category_id": 12345, "bbox": [0, 0, 10, 10],
                "score": 0.5}]
    ref = run_ref(gt, nothing)
    assert_same_eval(got, ref)
    with pytest.warns(UserWarning, match="category_id"):
        assert_same_eval(run_detap(gt, nothing), ref)
    # an empty results file
    (tmp_path / "empty.json").write_text("[]")
    assert_same_eval(run_detap(gt, str(tmp_path / "empty.json")), ref)


def test_empty_results_array():
    """An (0, 7) array is the empty result set too."""
    gt, _ = make_coco(n_images=4, n_categories=2, seed=4)
    got = run_detap(gt, [])
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(gt)
        ev = dcoco.COCOeval(cg, cg.loadRes(np.zeros((0, 7))), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert_same_eval(ev, got)
    assert (ev.eval["precision"] == 0).any()
