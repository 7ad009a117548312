"""The analysis of oriented boxes: TIDE on rotated boxes equal to tidecv with
hotcoco's rotated IoU in place of its IoU, and on quadrilaterals to tidecv
with DOTA_devkit's polygon IoU (behind the devkit's axis-aligned
prefilter; ignore regions: the intersection over the detection's area), as
tidecv's mask mode takes them (detap's definitions: tidecv has no oriented
boxes; the transcriptions are tests/reference_rotated.py and
tests/reference_dota.py); the COCO-style confusion matrix of rotated boxes
equal to hotcoco's own ``confusion_matrix`` on its "obb" evaluation, and
Ultralytics' equal to its OBB task's (ProbIoU); the streaming state of
quadrilaterals merged from any split equal to the one-shot analysis; the
command line's --analysis on both kinds."""
import json

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

import detap
from detap import coco as dcoco
from detap.analysis import AnalysisSettings, analyze
from detap.analysis.confusion import confusion_coco, confusion_ultralytics
from detap.analysis.scene import Scene, Shapes
from detap.analysis.sources import scene_from_coco_eval
from detap.analysis.tide import tide_records, tide_summary
from detap.boxes import boxes_as
from detap.formats import Dataset
from tests import reference_dota
from tests.confusion_support import ultralytics_matrix
from tests.obb_support import obb_case, quiet
from tests.reference_rotated import obb_iou as ref_obb_iou
from tests.tide_support import tidecv_data, tidecv_run

pytest.importorskip("tidecv")


def obb_scene(seed, n_images=5, n_classes=3, ties=False, grid=False, crowd=0.15):
    """A Scene of rotated boxes (sizes >= 0) with crowd regions, empty
    images, classes with only GT or only detections."""
    gt, res = obb_case(seed, n_images, n_classes, ties=ties, grid=grid, crowd=crowd)
    img = {r["id"]: i for i, r in enumerate(gt["images"])}
    cat = {r["id"]: k for k, r in enumerate(gt["categories"])}

    def obbs(recs):
        o = np.array([r["obb"] for r in recs], np.float64).reshape(-1, 5)
        o[:, 2:4] = np.abs(o[:, 2:4])
        return o
    go, do = obbs(gt["annotations"]), obbs(res)
    return Scene(n_images=len(img), classes=[f"c{k}" for k in range(len(cat))],
                 gt_box=boxes_as(go, "obb", "xywh"), gt_image=[img[a["image_id"]] for a in gt["annotations"]],
                 gt_label=[cat[a["category_id"]] for a in gt["annotations"]],
                 gt_ignore=[bool(a["iscrowd"]) for a in gt["annotations"]],
                 dt_box=boxes_as(do, "obb", "xywh"), dt_image=[img[r["image_id"]] for r in res],
                 dt_label=[cat[r["category_id"]] for r in res], dt_score=[r["score"] for r in res],
                 shapes=Shapes("obb", go, do))


def quad_scene(seed, jitter, **kw):
    """The rotated boxes' corners, each vertex moved by up to ``jitter``
    pixels (convex and concave quadrilaterals)."""
    s = obb_scene(seed, **kw)
    rng = np.random.default_rng(seed)
    gq = boxes_as(s.shapes.gt, "obb", "quad") + rng.uniform(-jitter, jitter, (len(s.shapes.gt), 8))
    dq = boxes_as(s.shapes.dt, "obb", "quad") + rng.uniform(-jitter, jitter, (len(s.shapes.dt), 8))
    keep = {k: getattr(s, k) for k in ("n_images", "classes", "gt_image", "gt_label", "gt_ignore",
                                       "dt_image", "dt_label", "dt_score")}
    return Scene(**keep, gt_box=boxes_as(gq, "quad", "xywh"), dt_box=boxes_as(dq, "quad", "xywh"),
                 shapes=Shapes("quad", gq, dq))


class _Similarity:
    """What tidecv's quantify reads of pycocotools.mask (``iou``), with an
    oriented IoU in place of the mask IoU."""

    def __init__(self, pair):
        self.pair = pair

    def iou(self, dts, gts, iscrowd):
        if not len(dts) or not len(gts):
            return []
        return np.array([[self.pair(d, g, c) for g, c in zip(gts, iscrowd)] for d in dts])


def _rotated_pair(d, g, crowd):
    return float(ref_obb_iou([d], [g], [crowd])[0, 0])


def _polygon_pair(d, g, crowd):
    """The devkit's task1 overlap of one pair (its +1 pixel prefilter, then
    iou_poly(gt, det)), 0 where the prefilter drops it; against an ignore
    region polyiou's intersection over the detection's polygon area."""
    _, jmax = reference_dota.task1_ovmax(np.asarray(d, float), np.asarray([g], float))
    if jmax is None:
        return 0.0
    if not crowd:
        return reference_dota.iou_poly(g, d)
    reference_dota._written.clear()
    ps1 = [(float(g[2 * i]), float(g[2 * i + 1])) for i in range(4)] + [None]
    ps2 = [(float(d[2 * i]), float(d[2 * i + 1])) for i in range(4)] + [None]
    inter = reference_dota.intersectArea(ps1, 4, ps2, 4)
    return inter / abs(reference_dota.area(ps2, 4))


def tidecv_oriented(scene, pos=0.5, max_dets=100):
    """tidecv's (ap, main, special, counts) on an oriented scene: its mask
    mode on the shapes' rows, compared by the transcribed IoU."""
    import tidecv.quantify as q
    pair = _rotated_pair if scene.shapes.kind == "obb" else _polygon_pair
    records = ([g.tolist() for g in scene.shapes.gt], [d.tolist() for d in scene.shapes.dt])
    saved = q.mask_utils
    q.mask_utils = _Similarity(pair)
    try:
        return tidecv_run(*tidecv_data(scene, max_dets, records), pos, 0.1, mode="mask")
    except ZeroDivisionError:   # tidecv: no class with GT or detections
        return None
    finally:
        q.mask_utils = saved


def ours(scene, **kw):
    s = tide_summary(tide_records(scene, **kw), len(scene.classes))
    return s["ap"], s["main"], s["special"], s["counts"]


def assert_same(got, ref):
    if ref is not None:
        assert got == tuple(ref)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       pos=st.sampled_from([0.5, 0.3, 0.75]), max_dets=st.sampled_from([100, 3]))
def test_rotated_tide_equals_tidecv_with_the_rotated_iou(seed, ties, grid, pos, max_dets):
    scene = obb_scene(seed, ties=ties, grid=grid)
    assert_same(ours(scene, pos=pos, max_dets=max_dets),
                tidecv_oriented(scene, pos=pos, max_dets=max_dets))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), jitter=st.sampled_from([0.0, 2.0, 8.0]),
       pos=st.sampled_from([0.5, 0.3]))
def test_quad_tide_equals_tidecv_with_the_polygon_iou(seed, ties, jitter, pos):
    scene = quad_scene(seed, jitter, ties=ties)
    assert_same(ours(scene, pos=pos), tidecv_oriented(scene, pos=pos))


def test_oriented_scenes_are_not_their_extents():
    """The rotated and polygon IoUs decide differently from the extents'
    box IoU (else the tests above would pass on a box analysis)."""
    differ = 0
    for seed in range(12):
        for scene in (obb_scene(seed), quad_scene(seed, 3.0)):
            box = Scene(**{k: getattr(scene, k) for k in (
                "n_images", "classes", "gt_box", "gt_image", "gt_label", "gt_ignore", "dt_box",
                "dt_image", "dt_label", "dt_score")})
            differ += ours(scene) != ours(box)
    assert differ >= 12


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), grid=st.booleans(),
       iou=st.sampled_from([0.5, 0.3, 0.75]), score=st.sampled_from([0.0, 0.5]),
       max_det=st.sampled_from([100, 4]))
# a detection at IoU 0.5 with two GT of different classes: hotcoco visits
# GT class by class, so the tie goes to the later class's GT
@example(seed=3126507, grid=True, iou=0.5, score=0.0, max_det=100)
@example(seed=3126507, grid=True, iou=0.5, score=0.5, max_det=100)
def test_rotated_confusion_equals_hotcocos(seed, grid, iou, score, max_det):
    """The COCO-style matrix of an "obb" COCOeval: hotcoco's own
    confusion_matrix on the same files, bit for bit (crowd GT dropped).
    Distinct scores: hotcoco visits an image's tied detections category by
    category, detap in input order (its rule for boxes too: the module)."""
    hotcoco = pytest.importorskip("hotcoco")
    gt, res = obb_case(seed, 5, 3, grid=grid, crowd=0.15)
    for r in gt["annotations"] + res:
        r["obb"][2:4] = [abs(v) for v in r["obb"][2:4]]

    def run(module):
        g = module.COCO(gt)
        ev = module.COCOeval(g, g.loadRes(res), "obb")
        ev.evaluate()
        return ev
    ref = quiet(run, hotcoco).confusion_matrix(iou_thr=iou, max_det=max_det, min_score=score)
    ev = quiet(run, dcoco)
    got = confusion_coco(scene_from_coco_eval(ev), iou, score, max_det)
    assert list(ref["cat_ids"]) == [int(c) for c in ev.state.cells.cat_ids]
    assert np.array_equal(got.matrix, np.asarray(ref["matrix"]))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       iou=st.sampled_from([0.45, 0.3, 0.6]), conf=st.sampled_from([0.25, 0.0, 0.5]))
def test_rotated_ultralytics_confusion_is_its_obb_tasks(seed, ties, grid, iou, conf):
    scene = obb_scene(seed, ties=ties, grid=grid)
    got = confusion_ultralytics(scene, iou, conf)
    assert np.array_equal(got.matrix, ultralytics_matrix(scene, conf, iou))


def test_quads_have_no_ultralytics_confusion():
    with pytest.raises(detap.DetapInputError, match="not quadrilaterals"):
        confusion_ultralytics(quad_scene(1, 1.0), 0.45, 0.25)


def _quad_dataset(seed):
    s = quad_scene(seed, 2.0, n_images=6)
    return Dataset(images=[f"im{i}" for i in range(s.n_images)], classes=list(s.classes),
                   box_format="quad", gt_boxes=s.shapes.gt, gt_image=s.gt_image,
                   gt_label=s.gt_label, gt_difficult=s.gt_ignore, det_boxes=s.shapes.dt,
                   det_image=s.dt_image, det_label=s.dt_label, det_scores=s.dt_score)


def _same_analysis(a, b):
    assert a.similarity == b.similarity
    assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_streaming_quads_merge_equals_one_shot(seed, parts):
    """Evaluator("dota", analysis=True): any split of the images into
    updates and merged evaluators gives the one-shot analysis of the data
    set (images sorted by id), which compares polygons."""
    ds = _quad_dataset(seed)
    want = analyze(ds)
    assert want.similarity == "polygon IoU"
    evs = [detap.Evaluator("dota", analysis=True) for _ in range(parts)]
    for i in range(len(ds.images)):
        g, d = ds.gt_image == i, ds.det_image == i
        evs[i % parts].update(i, ds.gt_boxes[g], ds.gt_label[g], ds.det_boxes[d], ds.det_scores[d],
                              ds.det_label[d], gt_difficult=ds.gt_difficult[g], box_format="quad")
    ev = evs[0]
    for other in evs[1:]:
        ev.merge(other)
    got = ev.compute().analysis
    # (the evaluator names images by id and classes by label value)
    relabel = AnalysisSettings()
    assert got.settings == relabel
    assert got.tide == want.tide
    assert np.array_equal(got.confusion.matrix, want.confusion.matrix)
    assert got.calibration.to_dict() == want.calibration.to_dict()


def test_cli_analysis_of_oriented_boxes(tmp_path, capsys):
    """--analysis on quadrilaterals (dota) and rotated boxes (text obb,
    COCO --iou-type obb): the JSON's analysis is the library's."""
    from detap.cli import main
    import detap.formats as F
    ds = _quad_dataset(3)
    F.write(ds, "dota", str(tmp_path / "d"), str(tmp_path / "dr"))
    assert main(["eval", "--gt", str(tmp_path / "d"), "--dt", str(tmp_path / "dr"), "--analysis",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    import jsonschema
    from detap.result import SCHEMA
    jsonschema.validate(doc, SCHEMA)
    read = F.read(str(tmp_path / "d"), str(tmp_path / "dr"), "dota")
    assert doc["analysis"] == json.loads(json.dumps(analyze(read).to_dict()))
    assert doc["analysis"]["similarity"] == "polygon IoU"
    gt, res = obb_case(5, 5, 3, crowd=0.0)  # (text files hold no crowd flag)
    for r in gt["annotations"] + res:
        r["obb"][2:4] = [abs(v) for v in r["obb"][2:4]]
    (tmp_path / "g.json").write_text(json.dumps(gt))
    (tmp_path / "r.json").write_text(json.dumps(res))
    assert main(["eval", "--gt", str(tmp_path / "g.json"), "--dt", str(tmp_path / "r.json"),
                 "--iou-type", "obb", "--analysis", "--json"]) == 0
    coco = json.loads(capsys.readouterr().out)
    jsonschema.validate(coco, SCHEMA)
    coco = coco["analysis"]
    assert coco["similarity"] == "rotated IoU"
    obb = F.read(str(tmp_path / "g.json"), str(tmp_path / "r.json"), "coco", box_format="obb")
    F.write(obb, "text", str(tmp_path / "t"), str(tmp_path / "tr"), box_format="obb")
    assert main(["eval", "--gt", str(tmp_path / "t"), "--dt", str(tmp_path / "tr"),
                 "--box-format", "obb", "--analysis", "--json"]) == 0
    text = json.loads(capsys.readouterr().out)["analysis"]
    t = F.read(str(tmp_path / "t"), str(tmp_path / "tr"), "text", box_format="obb")
    assert text == json.loads(json.dumps(analyze(t).to_dict()))
    # the same boxes and scores (images and classes in other orders): the same counts
    assert text["tide"]["counts"] == coco["tide"]["counts"]
    assert text["images"]["totals"] == coco["images"]["totals"] if "totals" in text["images"] else True
