"""Rotated rectangles (box_format "obb": [cx, cy, w, h, angle], pixels and
radians) in the streaming Evaluator and detap.dask.  Under each protocol of
rotated boxes ("coco" with hotcoco's rotated IoU, "mmrotate",
"mmrotate-area", "ultralytics-obb") any split of the images into updates
and merged evaluators gives, bit for bit, the one-shot protocol on the
whole data set with images sorted by id; for "coco" also COCOeval("obb")
on the same records (and hotcoco, which it equals: test_coco_obb.py).
analysis=True merges to the one-shot analysis; box kinds that do not fit
the protocol or each other are errors."""
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detap
from detap import coco as dcoco
from detap.analysis import analyze
from detap.errors import DetapInputError
from detap.formats import Dataset
from detap.protocols import ROTATED_PROTOCOLS
from tests.obb_support import obb_case, run
from tests.test_dota_stream import assert_same

OBB = [10.0, 10.0, 8.0, 4.0, 0.3]


def case(seed, ties=False, grid=False, crowd=0.15, areas=True, n_images=6):
    """(gt dict, results, per-image records in image-id order) of a random
    obb_case with sizes >= 0; ``areas``: GT carry their "area" (else w * h,
    hotcoco's default, on both sides)."""
    gt, res = obb_case(seed, n_images, 3, ties=ties, grid=grid, crowd=crowd)
    for r in gt["annotations"] + res:
        r["obb"][2:4] = [abs(v) for v in r["obb"][2:4]]
        if not areas:
            r.pop("area", None)
    records = []
    for im in gt["images"]:
        g = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
        d = [r for r in res if r["image_id"] == im["id"]]
        rec = {"image_id": im["id"], "gt_boxes": np.reshape([a["obb"] for a in g], (-1, 5)),
               "gt_labels": [a["category_id"] for a in g],
               "gt_iscrowd": [bool(a["iscrowd"]) for a in g],
               "det_boxes": np.reshape([r["obb"] for r in d], (-1, 5)),
               "det_scores": [r["score"] for r in d], "det_labels": [r["category_id"] for r in d]}
        if areas:
            rec["gt_area"] = [a["area"] for a in g]
        records.append(rec)
    return gt, res, records


def dataset(records):
    """The records as one Dataset (images in id order, classes the labels
    that occur, named by their value)."""
    records = sorted(records, key=lambda r: r["image_id"])
    labels = sorted({int(v) for r in records for v in list(r["gt_labels"]) + list(r["det_labels"])})
    pos = {lab: k for k, lab in enumerate(labels)}
    cat = {k: np.concatenate([np.zeros((0, 5))] + [r[k] for r in records])
           for k in ("gt_boxes", "det_boxes")}
    areas = all("gt_area" in r for r in records)
    return Dataset(
        images=[str(r["image_id"]) for r in records], classes=[str(v) for v in labels],
        box_format="obb", gt_boxes=cat["gt_boxes"].reshape(-1, 5),
        gt_image=[i for i, r in enumerate(records) for _ in r["gt_labels"]],
        gt_label=[pos[v] for r in records for v in r["gt_labels"]],
        gt_iscrowd=[v for r in records for v in r["gt_iscrowd"]],
        gt_area=[v for r in records for v in r["gt_area"]] if areas else None,
        det_boxes=cat["det_boxes"].reshape(-1, 5),
        det_image=[i for i, r in enumerate(records) for _ in r["det_labels"]],
        det_label=[pos[v] for r in records for v in r["det_labels"]],
        det_scores=[v for r in records for v in r["det_scores"]],
        image_ids=[r["image_id"] for r in records], class_ids=labels)


def feed(ev, records, how, box_format):
    """``records`` into ``ev`` one image at a time, with update_many or as
    one update_batch; ``box_format`` None: the evaluator's own."""
    kw = {} if box_format is None else {"box_format": box_format}
    if how == "many":
        ev.update_many(records, **kw)
    elif how == "batch":
        col = {k: [v for r in records for v in r[k]] for k in
               ("gt_labels", "gt_iscrowd", "det_scores", "det_labels")}
        ids = {side: [r["image_id"] for r in records for _ in r[f"{side}_labels"]]
               for side in ("gt", "det")}
        area = ({"gt_area": [v for r in records for v in r["gt_area"]]}
                if records and "gt_area" in records[0] else {})
        ev.update_batch(ids["gt"], np.concatenate([np.zeros((0, 5))] + [r["gt_boxes"] for r in records]),
                        col["gt_labels"], ids["det"],
                        np.concatenate([np.zeros((0, 5))] + [r["det_boxes"] for r in records]),
                        col["det_scores"], col["det_labels"], gt_iscrowd=col["gt_iscrowd"],
                        image_ids=[r["image_id"] for r in records], **area, **kw)
    else:
        for r in records:
            ev.update(r["image_id"], r["gt_boxes"], r["gt_labels"], r["det_boxes"],
                      r["det_scores"], r["det_labels"], gt_iscrowd=r["gt_iscrowd"],
                      gt_area=r.get("gt_area"), **kw)


def check_coco(got, gt, res):
    """The streaming "coco" result against COCOeval("obb") (and hotcoco) on
    the same records: the 12 numbers, and each class's AP at the result's
    IoU (the mean of its precision)."""
    assert got.iou_type == "obb"
    refs = [run(dcoco, gt, res)]
    try:
        import hotcoco
        refs.append(run(hotcoco, gt, res))
    except ImportError:  # pragma: no cover - hotcoco is in the test extra
        pass
    for ref in refs:
        assert np.array_equal(got.stats, np.asarray(ref.stats))
        prec = np.asarray(ref.eval["precision"])[0, :, :, 0, -1]
        for k, c in enumerate(ref.params.catIds):
            if str(c) in got.per_class:
                col = prec[:, k]
                want = float(np.mean(col[col > -1])) if (col > -1).any() else float("nan")
                a = got.per_class[str(c)].ap
                assert a == want or (np.isnan(a) and np.isnan(want))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), ties=st.booleans(), grid=st.booleans(),
       areas=st.booleans(), split=st.lists(st.integers(0, 2), min_size=6, max_size=6),
       hows=st.lists(st.sampled_from(["update", "many", "batch"]), min_size=3, max_size=3),
       perm=st.randoms(use_true_random=False))
def test_split_and_merged_equals_one_shot(seed, ties, grid, areas, split, hows, perm):
    gt, res, records = case(seed, ties, grid, areas=areas)
    ds = dataset(records)
    order = list(range(len(records)))
    perm.shuffle(order)  # update order, evaluator and merge order do not matter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # classes without GT
        for protocol in ROTATED_PROTOCOLS:
            want = detap.evaluate(ds, protocol)
            # the box format from the constructor, or given with each update
            evs = [detap.Evaluator(protocol, box_format="obb") if j == 0 else
                   detap.Evaluator(protocol) for j in range(3)]
            for j, ev in enumerate(evs):
                feed(ev, [records[k] for k in order if split[k] == j], hows[j],
                     None if j == 0 else "obb")
            evs[1] = pickle.loads(pickle.dumps(evs[1]))  # (as Dask ships states)
            perm.shuffle(evs)
            got = evs[0].merge(evs[1]).merge(evs[2]).compute()
            assert_same(got, want)
            assert got.iou_type == want.iou_type and got.n_images == want.n_images
            for c in want.classes:
                assert got.per_class[c].mean_aspect == want.per_class[c].mean_aspect or \
                    np.isnan(want.per_class[c].mean_aspect)
            if protocol == "coco":
                assert np.array_equal(got.stats, want.stats)
                check_coco(got, gt, res)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("protocol", ["coco", "mmrotate"])
def test_analysis_merges_to_the_one_shot_analysis(seed, protocol):
    """analysis=True compares rotated boxes by their rotated IoU; any split
    gives the one-shot analysis of the data set."""
    _, _, records = case(seed, ties=seed % 2 == 1)
    want = analyze(dataset(records))
    assert want.similarity == "rotated IoU"
    evs = [detap.Evaluator(protocol, analysis=True, box_format="obb") for _ in range(3)]
    for i, r in enumerate(records):
        feed(evs[(i * 7 + seed) % 3], [r], "update", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = evs[2].merge(evs[0]).merge(evs[1]).compute().analysis
    assert got.similarity == want.similarity
    assert got.tide == want.tide
    assert np.array_equal(got.confusion.matrix, want.confusion.matrix)
    assert got.calibration.to_dict() == want.calibration.to_dict()


def test_dask_takes_rotated_boxes():
    dask = pytest.importorskip("dask")
    import detap.dask as dd
    gt, res, records = case(11, ties=True)
    ds = dataset(records)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for protocol in ROTATED_PROTOCOLS:
            want = detap.evaluate(ds, protocol)
            # records that say their box format, and records that do not
            bags = [dd.records_from_dataset(ds, npartitions=3),
                    dask.bag.from_sequence(records, npartitions=4)]
            for bag, fmt in zip(bags, ("xyxy", "obb")):
                assert_same(dd.evaluate(bag, protocol, box_format=fmt, split_every=2), want)
        got = dd.evaluate(bags[1], "coco", box_format="obb", analysis=True, split_every=3)
    check_coco(got, gt, res)
    assert got.analysis.tide == analyze(ds).tide


def test_box_kinds_must_fit_the_protocol_and_each_other():
    box = [[0.0, 0.0, 4.0, 4.0]]
    with pytest.raises(DetapInputError, match=r"rotated boxes \(cx, cy, w, h, angle\) are "
                                              r"evaluated by the coco, mmrotate"):
        detap.Evaluator("voc", box_format="obb")
    with pytest.raises(DetapInputError, match="rotated boxes"):
        detap.Evaluator("dota").update(1, [OBB], [0], [], [], [], box_format="obb")
    with pytest.raises(DetapInputError, match="not 'mmrotate'"):
        detap.Evaluator("mmrotate").update(1, box, [0], box, [0.5], [0])
    with pytest.raises(DetapInputError, match=r"\(N, 5\)"):
        detap.Evaluator("mmrotate", box_format="obb").update(1, box, [0], [], [], [])
    with pytest.raises(DetapInputError, match="box_format must be one of"):
        detap.Evaluator("coco", box_format="cxcywh")
    with pytest.raises(DetapInputError, match="iou_type='segm'"):
        detap.Evaluator("coco", iou_type="segm", box_format="obb")
    # a "coco" evaluator compares one kind: the first update's or merge's
    ev = detap.Evaluator("coco")
    ev.update(1, [OBB], [0], [OBB], [0.9], [0], box_format="obb")
    with pytest.raises(DetapInputError, match="compares rotated boxes.*these are axis-aligned"):
        ev.update(2, box, [0], box, [0.9], [0])
    boxes = detap.Evaluator("coco")
    boxes.update(3, box, [0], box, [0.9], [0])
    with pytest.raises(DetapInputError, match="compares axis-aligned boxes.*other one has rotated"):
        boxes.merge(ev)
    fresh = detap.Evaluator("coco")  # (no boxes yet: takes the other's kind)
    assert fresh.merge(ev).compute().iou_type == "obb"
    with pytest.raises(DetapInputError, match="lvis.*compares axis-aligned boxes"):
        detap.Evaluator("lvis", frequencies={0: "f"}).update(1, [OBB], [0], [], [], [],
                                                             box_format="obb")
    dask = pytest.importorskip("dask")
    import detap.dask as dd
    bag = dask.bag.from_sequence([{"image_id": 1, "gt_boxes": [OBB], "gt_labels": [0]}])
    with pytest.raises(DetapInputError, match="box_format must be one of 'xyxy', 'xywh', 'quad', "
                                              "'obb', got 'rbox'"):
        dd.evaluate(bag, "coco", box_format="rbox")


def test_a_refused_merge_changes_nothing():
    """Merging rotated boxes into an evaluator of axis-aligned boxes is
    refused, and the refused merge leaves the evaluator as it was (it can
    still take images of either id kind)."""
    from detap.errors import DetapInputError
    boxes = detap.Evaluator("coco", box_format="xyxy")
    rotated = detap.Evaluator("coco", box_format="obb")
    rotated.update("img_a", [[5, 5, 4, 2, 0.3]], [0], [[5, 5, 4, 2, 0.3]], [0.9], [0])
    with pytest.raises(DetapInputError, match="rotated boxes"):
        boxes.merge(rotated)
    boxes.update(7, [[0, 0, 4, 4]], [0], [[0, 0, 4, 4]], [0.9], [0])   # an int id: still fine
    assert boxes.compute().map > 0.99
