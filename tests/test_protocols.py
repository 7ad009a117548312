"""Protocol presets on a Dataset and the streaming Evaluator.

- every VOC-family preset equals a plain-Python transcription of its tool's
  loop (tests/reference_protocols.py) bit for bit;
- "coco" equals pycocotools;
- ``Evaluator`` gives the one-shot result bit for bit whatever the order of
  updates, the split between merged evaluators and pickling.
"""
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from detap.conventions import PRESETS
from detap.errors import DetapInputError
from detap.formats.dataset import Dataset
from detap.protocols import PROTOCOLS, evaluate, evaluate_all
from detap.streaming import Evaluator

from . import reference_protocols as ref
from .conftest import CLASSES, setter, voc_dataset

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def to_dataset(data, image_ids=None):
    """conftest's voc_dataset draw as a Dataset (images in order, ids 10, 20, ...)."""
    names = data["names"]
    gt = [(i, CLASSES.index(o["name"]), o["bbox"], o["difficult"])
          for i, n in enumerate(names) for o in data["gt"][n]]
    dets = [(i, CLASSES.index(c), s, b) for i, c, s, b in data["dets"]]
    return Dataset(images=names, classes=list(CLASSES),
                   gt_boxes=np.array([g[2] for g in gt], float).reshape(-1, 4),
                   gt_image=[g[0] for g in gt], gt_label=[g[1] for g in gt],
                   gt_difficult=[bool(g[3]) for g in gt],
                   det_boxes=np.array([d[3] for d in dets], float).reshape(-1, 4),
                   det_image=[d[0] for d in dets], det_label=[d[1] for d in dets],
                   det_scores=[d[2] for d in dets],
                   image_ids=image_ids or [10 * (i + 1) for i in range(len(names))],
                   class_ids=list(range(1, len(CLASSES) + 1)))


def same(a, b):
    return np.array_equal(np.asarray(a, float), np.asarray(b, float), equal_nan=True)


@pytest.mark.parametrize("protocol", [p for p in PROTOCOLS if p not in ("coco", "ultralytics")])
@SETTINGS
@given(data=voc_dataset(), iou=st.sampled_from([0.1, 0.3, 0.5, 0.7]))
def test_voc_family_equals_its_reference_loop(protocol, data, iou):
    ds = to_dataset(data)
    res = evaluate(ds, protocol, iou)
    aps = []
    for k, c in enumerate(ds.classes):
        g, d = ds.gt_label == k, ds.det_label == k
        rec, prec, ap, npos = ref.eval_class(protocol, ds.gt_boxes[g], ds.gt_image[g],
                                             ds.gt_difficult[g], ds.det_boxes[d], ds.det_image[d],
                                             ds.det_scores[d], iou)
        r = res.per_class[c]
        assert r.n_gt == npos and r.n_det == int(d.sum())
        assert same(r.recall, rec) and same(r.precision, prec), (protocol, c)
        if npos:
            assert same(r.ap, ap)
            aps.append(ap)
        else:
            assert np.isnan(r.ap)
    if not aps:
        want = np.nan
    elif protocol == "cartucho":  # its loop: sum_AP += ap; mAP = sum_AP / n
        total = 0.0
        for a in aps:
            total += a
        want = total / len(aps)
    else:
        want = np.mean(aps)
    assert same(res.map, want)


def mean_valid(x):
    """pycocotools' summary mean: over the entries that are not -1 (NaN if none)."""
    return np.mean(x[x > -1]) if (x > -1).any() else np.nan


def clamp_sizes(ds):
    """COCO rules refuse negative sizes (test_bad_input): clamp them to zero."""
    for b in (ds.gt_boxes, ds.det_boxes):
        b[:, 2:] = np.maximum(b[:, 2:], b[:, :2])


def to_coco_dicts(ds):
    b, d = ds.gt_as("xywh"), ds.dets_as("xywh")
    gt = {"images": [{"id": i} for i in ds.image_ids],
          "categories": [{"id": c} for c in ds.class_ids],
          "annotations": [{"id": j + 1, "image_id": ds.image_ids[ds.gt_image[j]],
                           "category_id": ds.class_ids[ds.gt_label[j]], "bbox": b[j].tolist(),
                           "area": float(b[j, 2] * b[j, 3]), "iscrowd": int(ds.gt_iscrowd[j])}
                          for j in range(len(b))]}
    res = [{"image_id": ds.image_ids[ds.det_image[j]], "category_id": ds.class_ids[ds.det_label[j]],
            "bbox": d[j].tolist(), "score": float(ds.det_scores[j])} for j in range(len(d))]
    return gt, res


@SETTINGS
@given(data=voc_dataset(max_det=60), crowd=st.lists(st.booleans(), max_size=50))
def test_coco_protocol_equals_pycocotools(data, crowd):
    pytest.importorskip("pycocotools")
    from .coco_support import run_ref
    ds = to_dataset(data)
    ds.gt_iscrowd[:] = (crowd + [False] * len(ds.gt_iscrowd))[:len(ds.gt_iscrowd)]
    clamp_sizes(ds)
    assume(len(ds.det_scores))  # pycocotools' loadRes refuses an empty result list
    gt, dts = to_coco_dicts(ds)
    E = run_ref(gt, dts)
    for iou in (0.5, 0.75):
        res = evaluate(ds, "coco", iou)
        assert np.array_equal(res.stats, E.stats)
        t = int(np.flatnonzero(E.params.iouThrs == iou)[0])
        p = E.eval["precision"][t, :, :, 0, -1]
        assert same(res.map, mean_valid(p))
        for j in range(len(ds.class_ids)):
            assert same(res.per_class[ds.classes[j]].ap, mean_valid(p[:, j]))
    # an IoU outside pycocotools' ten thresholds is evaluated on its own
    r6 = evaluate(ds, "coco", 0.62)
    E2 = run_ref(gt, dts, setter(iouThrs=np.array([0.62])))
    assert same(r6.map, mean_valid(E2.eval["precision"][0, :, :, 0, -1]))


def canonical(ds):
    """The data set with images sorted by id (rows keep their order inside an image)."""
    order = np.argsort(ds.image_ids, kind="stable")
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    gi, di = inv[ds.gt_image], inv[ds.det_image]
    go, do = np.argsort(gi, kind="stable"), np.argsort(di, kind="stable")
    return Dataset(images=[ds.images[i] for i in order], classes=ds.classes,
                   gt_boxes=ds.gt_boxes[go], gt_image=gi[go], gt_label=ds.gt_label[go],
                   gt_difficult=ds.gt_difficult[go], gt_iscrowd=ds.gt_iscrowd[go],
                   det_boxes=ds.det_boxes[do], det_image=di[do], det_label=ds.det_label[do],
                   det_scores=ds.det_scores[do], image_ids=[ds.image_ids[i] for i in order],
                   class_ids=ds.class_ids)


def assert_same_result(got, want, classes_seen):
    assert same(got.map, want.map), (got.map, want.map)
    if want.stats is not None:
        assert np.array_equal(got.stats, want.stats)
    for c in want.classes:
        w = want.per_class[c]
        if c not in got.per_class:
            assert c not in classes_seen and w.n_det == 0 and w.n_annotations == 0
            continue
        g = got.per_class[c]
        assert same(g.ap, w.ap) and (g.tp, g.fp, g.n_gt, g.n_det) == (w.tp, w.fp, w.n_gt, w.n_det)
        assert same(g.precision, w.precision) and same(g.recall, w.recall)
        assert same(g.scores, w.scores) and same(g.f1_confidence, w.f1_confidence)
        assert same(g.mean_area, w.mean_area) and same(g.mean_aspect, w.mean_aspect)


class Tensorish:
    """Anything with __array__ (a CPU torch tensor, say) is accepted."""

    def __init__(self, a):
        self.a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)

    def __len__(self):
        return len(self.a)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@SETTINGS
@given(data=voc_dataset(max_images=10, max_det=50), ids=st.permutations(range(10)),
       split=st.lists(st.integers(0, 2), min_size=10, max_size=10), seed=st.integers(0, 2 ** 16))
def test_streaming_equals_one_shot_for_any_split_and_order(protocol, data, ids, split, seed):
    n = len(data["names"])
    ds = to_dataset(data, image_ids=[100 + 7 * i for i in ids[:n]])
    if protocol == "coco":
        clamp_sizes(ds)
    want = evaluate(canonical(ds), protocol)
    names = {k + 1: c for k, c in enumerate(ds.classes)}
    evs = [Evaluator(protocol, classes=names) for _ in range(3)]
    rng = np.random.default_rng(seed)
    for i in rng.permutation(n):
        g, d = ds.gt_image == i, ds.det_image == i
        wrap = Tensorish if rng.random() < 0.5 else np.asarray
        evs[split[i]].update(ds.image_ids[i], wrap(ds.gt_boxes[g]), wrap(ds.gt_label[g] + 1),
                             wrap(ds.det_boxes[d]), wrap(ds.det_scores[d]), wrap(ds.det_label[d] + 1),
                             gt_difficult=ds.gt_difficult[g])
    evs = [pickle.loads(pickle.dumps(e)) if rng.random() < 0.5 else e for e in evs]
    first, *rest = [evs[j] for j in rng.permutation(3)]
    for e in rest:
        first.merge(e)
    seen = {names[k + 1] for k in np.r_[ds.gt_label, ds.det_label]}
    assert_same_result(first.compute(), want, seen)


@pytest.mark.parametrize("protocol", ["voc", "coco", "mmdet"])
def test_batched_updates_equal_single_updates(protocol):
    from detap.synth import make_voc_arrays
    s = make_voc_arrays(40, n_det=800, seed=3)
    one, batch, many = Evaluator(protocol), Evaluator(protocol), Evaluator(protocol)
    recs = []
    for i in range(40):
        g, d = s.gt_img == i, s.det_img == i
        kw = dict(gt_boxes=s.gt_boxes[g], gt_labels=s.gt_cls[g], det_boxes=s.det_boxes[d],
                  det_scores=s.det_scores[d], det_labels=s.det_cls[d], gt_difficult=s.gt_difficult[g])
        one.update(i, **kw)
        recs.append(dict(image_id=i, **kw))
    many.update_many(recs)
    batch.update_batch(s.gt_img, s.gt_boxes, s.gt_cls, s.det_img, s.det_boxes, s.det_scores,
                       s.det_cls, gt_difficult=s.gt_difficult, image_ids=range(40))
    a, b, c = one.compute(), batch.compute(), many.compute()
    assert_same_result(b, a, set(a.classes))
    assert_same_result(c, a, set(a.classes))
    assert np.isfinite(a.map) and a.map > 0


def test_distributed_gather_recipe():
    """torch.distributed style: every rank pickles its state, all-gather,
    any rank merges the list and computes the same result."""
    from detap.synth import make_voc_arrays
    s = make_voc_arrays(30, n_det=600, seed=4)
    world = 4
    ranks = [Evaluator("coco") for _ in range(world)]
    whole = Evaluator("coco")
    for i in range(30):
        g, d = s.gt_img == i, s.det_img == i
        args = (i, s.gt_boxes[g], s.gt_cls[g], s.det_boxes[d], s.det_scores[d], s.det_cls[d])
        ranks[i % world].update(*args)   # a DistributedSampler's round robin
        whole.update(*args)
    gathered = [pickle.dumps(r) for r in ranks]   # what all_gather_object ships
    results = []
    for rank in range(world):
        states = [pickle.loads(b) for b in gathered]
        merged = states[rank]
        for j, st_ in enumerate(states):
            if j != rank:
                merged.merge(st_)
        results.append(merged.compute())
    want = whole.compute()
    for r in results:
        assert_same_result(r, want, set(want.classes))


def test_state_is_compact():
    from detap.synth import make_voc_arrays
    s = make_voc_arrays(200, n_det=20000, seed=5)
    ev = Evaluator("voc")
    ev.update_batch(s.gt_img, s.gt_boxes, s.gt_cls, s.det_img, s.det_boxes, s.det_scores, s.det_cls)
    per_det = len(pickle.dumps(ev)) / 20000
    assert per_det < 40, per_det   # class, image, position, score, label: 33 bytes


def test_evaluator_errors():
    e = Evaluator("voc")
    e.update(1, [[0, 0, 5, 5]], [0], [[0, 0, 5, 5]], [0.9], [0])
    f = Evaluator("voc")
    f.update(1, [], [], [], [], [])
    e.merge(f)
    with pytest.raises(DetapInputError, match="image id 1 was added more than once"):
        e.compute()
    with pytest.raises(DetapInputError, match="cannot merge"):
        Evaluator("voc").merge(Evaluator("coco"))
    with pytest.raises(DetapInputError, match="det_scores\\[0\\] is not finite"):
        Evaluator("voc").update(1, [], [], [[0, 0, 5, 5]], [np.nan], [0])
    with pytest.raises(DetapInputError, match="shape"):
        Evaluator("voc").update(1, [[0, 0, 5]], [0], [], [], [])
    with pytest.raises(DetapInputError, match="negative width"):
        Evaluator("coco").update(1, [[0, 0, -5, 5]], [0], [], [], [], box_format="xywh")
    with pytest.raises(DetapInputError, match="unknown protocol"):
        Evaluator("nope")
    with pytest.raises(DetapInputError, match="IoU thresholds"):
        Evaluator("coco", iou=0.62)
    with pytest.raises(DetapInputError, match="det_labels has 2 values for 1 boxes"):
        Evaluator("voc").update(1, [], [], [[0, 0, 5, 5]], [0.5], [0, 1])


def test_reset_and_empty():
    e = Evaluator("voc")
    e.update(1, [[0, 0, 5, 5]], [0], [[0, 0, 5, 5]], [0.9], [0])
    assert e.compute().map == 1.0
    e.reset()
    r = e.compute()
    assert np.isnan(r.map) and r.classes == []
    assert np.isnan(Evaluator("coco").compute().map)


def test_evaluate_all_runs_every_protocol():
    from detap.synth import make_voc_arrays
    s = make_voc_arrays(20, n_det=300, seed=6)
    ds = s.to_dataset()
    rs = evaluate_all(ds)
    assert [r.protocol for r in rs] == list(PROTOCOLS)
    for r in rs:
        assert r.map == evaluate(ds, r.protocol).map
    with pytest.raises(DetapInputError, match="unknown protocol"):
        evaluate(ds, "yolo")
    with pytest.raises(DetapInputError, match="IoU threshold"):
        evaluate(ds, "voc", 1.5)


@st.composite
def continuous_dataset(draw):
    """Boxes with random continuous coordinates (no IoU ties) and distinct
    scores, so the Ultralytics reference's unspecified tie orders do not
    enter."""
    n = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    ng = rng.integers(0, 6, n)
    nd = rng.integers(0, 12, n)
    gt_img = np.repeat(np.arange(n), ng)
    det_img = np.repeat(np.arange(n), nd)
    def boxes(m):
        xy = rng.uniform(0, 60, (m, 2))
        return np.concatenate([xy, xy + rng.uniform(5, 40, (m, 2))], 1)
    g = boxes(len(gt_img))
    src = rng.integers(0, max(len(g), 1), len(det_img))
    d = boxes(len(det_img))
    if len(g):
        near = rng.random(len(det_img)) < 0.7
        d[near] = g[src[near]] + rng.normal(0, 3, (int(near.sum()), 4))
        d[:, 2:] = np.maximum(d[:, 2:], d[:, :2] + 1)
    scores = rng.permutation(len(det_img)) / max(len(det_img), 1) + 0.001
    return Dataset(images=[f"i{i}" for i in range(n)], classes=["a", "b", "c"], gt_boxes=g,
                   gt_image=gt_img, gt_label=rng.integers(0, 3, len(gt_img)), det_boxes=d,
                   det_image=det_img, det_label=rng.integers(0, 3, len(det_img)), det_scores=scores)


@SETTINGS
@given(ds=continuous_dataset(), iou=st.sampled_from([0.3, 0.5, 0.75]))
def test_ultralytics_equals_its_reference(ds, iou):
    images = []
    for i in range(len(ds.images)):
        g, d = ds.gt_image == i, ds.det_image == i
        o = np.argsort(-ds.det_scores[d], kind="stable")   # the validator's per-image order
        images.append((ds.gt_boxes[g], ds.gt_label[g], ds.det_boxes[d][o], ds.det_scores[d][o],
                       ds.det_label[d][o]))
    per_class, want_map = ref.ultralytics_map(images, iou)
    res = evaluate(ds, "ultralytics", iou)
    for k, c in enumerate(ds.classes):
        if k in per_class:
            assert res.per_class[c].ap == per_class[k], (c, res.per_class[c].ap, per_class[k])
        else:
            assert np.isnan(res.per_class[c].ap)
    assert same(res.map, want_map if per_class else np.nan)


def test_ultralytics_takes_the_last_of_equally_good_gt():
    """A detection equally close to two GT takes the later one under
    Ultralytics' matching (its reversed sort of the pairs' IoU), which
    leaves the first to the next detection; py-faster-rcnn's argmax takes
    the first, and the next detection is a false positive."""
    import detap
    gts = np.array([[0, 0, 10, 10], [10, 0, 20, 10]], float)
    dets = np.array([[5, 0, 15, 10], [0, 0, 10, 10]], float)   # IoU 1/3 with both; 1 with the first
    scores = np.array([0.9, 0.8])
    images = [(gts, np.zeros(2, int), dets, scores, np.zeros(2, int))]
    per_class, _ = ref.ultralytics_map(images, 0.3)
    got = detap.evaluate_class(dets, scores, [0, 0], gts, [0, 0], iou_threshold=0.3,
                               convention="ultralytics", n_images=1)
    assert got.ap == per_class[0] and got.tp[-1] == 2
    voc = detap.evaluate_class(dets, scores, [0, 0], gts, [0, 0], iou_threshold=0.3,
                               convention=PRESETS["ultralytics"].replace(match="voc"),
                               n_images=1)
    assert voc.tp[-1] == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_results_do_not_depend_on_threads(protocol):
    from detap.synth import make_voc_arrays
    s = make_voc_arrays(400, n_det=30000, seed=8)   # above the kernels' parallel cut-offs
    ds = s.to_dataset()
    one = evaluate(ds, protocol, threads=1)
    for n in (2, 3, 0):
        assert_same_result(evaluate(ds, protocol, threads=n), one, set(one.classes))
    streams = []
    for n in (1, 2):
        e = Evaluator(protocol, threads=n, classes=list(s.classes))
        e.update_batch(s.gt_img, s.gt_boxes, s.gt_cls, s.det_img, s.det_boxes, s.det_scores,
                       s.det_cls, gt_difficult=s.gt_difficult, image_ids=range(400))
        streams.append(e.compute())
    assert_same_result(streams[1], streams[0], set(streams[0].classes))
