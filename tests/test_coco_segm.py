"""COCOeval with iouType="segm" against pycocotools 2.0.11, bit for bit.

GT masks as polygons (several parts, vertices outside the image), crowd GT
as uncompressed and compressed RLE, empty masks, masks touching the border;
results as compressed RLE (with and without "bbox": pycocotools' loadRes
then takes the box's or the mask's area), polygons, mixed RLE kinds, masks
of another size (IoU -1), and box-only results (pycocotools rasterises the
box polygon).  Compared by np.array_equal / ==: stats, precision, recall,
scores, every cell's computeIoU and evalImgs record (annToRLE / annToMask:
tests/test_coco_ann_masks.py).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytest.importorskip("pycocotools")
import pycocotools.mask as ref_mask  # noqa: E402
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefCOCOeval  # noqa: E402

from detap import coco as dcoco  # noqa: E402
from tests.coco_support import assert_same_cells, peer_case, quiet, run_files, run_pair_dicts  # noqa: E402

RESULT_KINDS = ("rle", "rle_bbox", "poly_bbox", "mixed_bbox", "bbox_only")


def polygon(rng, h, w):
    cx, cy = rng.uniform(-5, w + 5), rng.uniform(-5, h + 5)
    k = int(rng.integers(3, 9))
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    r = rng.uniform(1, max(h, w) / 2, k)
    pts = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1)
    if rng.random() < .3:
        pts = np.round(pts * 2) / 2  # half-pixel vertices: rounding boundaries
    return [float(v) for v in pts.reshape(-1)]


def compressed(mask):
    rle = ref_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode()}


def uncompressed(mask):
    """The column-major runs of 0s and 1s, starting with 0s, as a list."""
    flat = mask.astype(np.uint8).reshape(-1, order="F")
    out, pos, v = [], 0, 0
    for i in range(len(flat) + 1):
        if i == len(flat) or flat[i] != v:
            out.append(i - pos)
            pos = i
            v = 1 - v
    return {"size": list(mask.shape), "counts": out}


def make_segm(seed, kind, n_images=5, n_cats=2):
    rng = np.random.default_rng(seed)
    images, anns, res = [], [], []
    for i in range(1, n_images + 1):
        h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        images.append({"id": i, "height": h, "width": w})
        for _ in range(rng.integers(0, 5)):
            cat = int(rng.integers(1, n_cats + 1))
            crowd = int(rng.random() < .15)
            if crowd or rng.random() < .1:
                m = rng.random((h, w)) < rng.uniform(0, .6)
                if rng.random() < .2:
                    m[:] = False  # an empty mask
                seg = uncompressed(m) if rng.random() < .6 else compressed(m)
            else:
                seg = [polygon(rng, h, w) for _ in range(rng.integers(1, 4))]
            gm = ref_mask.decode(ref_mask.merge(ref_mask.frPyObjects(seg, h, w))
                                 if isinstance(seg, list) else
                                 (ref_mask.frPyObjects(seg, h, w) if isinstance(seg["counts"], list)
                                  else seg))
            area = float(gm.sum()) if rng.random() < .8 else float(rng.integers(0, 2000))
            bb = ref_mask.toBbox(ref_mask.encode(np.asfortranarray(gm))).tolist()
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": cat, "iscrowd": crowd,
                         "segmentation": seg, "area": area, "bbox": bb})
            for _ in range(rng.integers(0, 3)):
                dm = np.roll(gm, tuple(rng.integers(-1, 2, 2)), (0, 1))
                dm = dm ^ (rng.random((h, w)) < .03)
                res.append(_result(rng, kind, dm, i, cat, h, w, bb))
        for _ in range(rng.integers(0, 3)):
            dm = rng.random((h, w)) < .2
            if rng.random() < .1:  # a mask of another size: pycocotools' IoU is -1
                dm = rng.random((h + 1, w)) < .3
            res.append(_result(rng, kind, dm, i, int(rng.integers(1, n_cats + 1)), h, w))
    scores = [.9, .7, .5]
    for r in res:
        r["score"] = float(rng.choice(scores)) if rng.random() < .5 else float(rng.random())
    gt = {"images": images, "annotations": anns,
          "categories": [{"id": c, "name": f"c{c}"} for c in range(1, n_cats + 1)]}
    return gt, res


def _result(rng, kind, dm, img, cat, h, w, near=None):
    r = {"image_id": img, "category_id": cat}
    box = [float(v) for v in (rng.uniform(0, 20, 4) if near is None else
                              np.asarray(near) + rng.normal(0, 1, 4))]
    if kind == "bbox_only":
        r["bbox"] = box
        return r
    if kind in ("poly_bbox",) or (kind == "mixed_bbox" and rng.random() < .3):
        r["segmentation"] = [polygon(rng, h, w)]
    elif kind == "mixed_bbox" and rng.random() < .5 and dm.shape == (h, w):
        r["segmentation"] = uncompressed(dm)
    else:
        r["segmentation"] = compressed(dm)
    if kind != "rle":
        r["bbox"] = box
    return r


def run_pair(gt, res):
    return run_pair_dicts(gt, res, "segm")


def assert_same(ref, got):
    assert_same_cells(ref, got, "computeIoU")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), kind=st.sampled_from(RESULT_KINDS))
def test_random_segm_equal_pycocotools(seed, kind):
    gt, res = make_segm(seed, kind)
    if not res:
        return
    assert_same(*run_pair(gt, res))


@pytest.mark.parametrize("kind", RESULT_KINDS)
def test_each_result_kind(kind):
    gt, res = make_segm(1234, kind, n_images=8, n_cats=3)
    assert_same(*run_pair(gt, res))


def test_peer_fake_segm_published_stats():
    """cocoapi's fake segmentation results on 100 val2014 images: the 12
    stats pycocotools 2.0.11 prints, to the last bit."""
    d = peer_case("coco_val2014_100")
    published = [0.3195452758576433, 0.5622883972521636, 0.29892653412086784, 0.3873740315997837,
                 0.31018272403369485, 0.3269339071005138, 0.2682297225711534, 0.41544868114906375,
                 0.4168394992198818, 0.4694498622754236, 0.37675922666197265, 0.3814715099715099]

    ev = run_files(dcoco.COCO, dcoco.COCOeval, d / "instances_val2014_100.json", d / "instances_val2014_fakesegm100_results.json", "segm")
    assert ev.stats.tolist() == published


@pytest.mark.parametrize("kind", ["rle", "rle_bbox", "mixed_bbox", "bbox_only"])
def test_result_files_equal_pycocotools(tmp_path, kind):
    """Results files: compressed RLE strings are located by detap's C reader
    and decoded in C (JSON escapes such as \\\\ included); other shapes go
    through Python's json.  Same numbers as pycocotools reading the file."""
    import json
    gt, res = make_segm(77, kind, n_images=10, n_cats=3)
    text = json.dumps(res)
    if kind == "rle":
        assert "\\\\" in text  # escaped backslashes in some counts strings
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(text)
    files = tmp_path / "gt.json", tmp_path / "res.json", "segm"
    assert_same(run_files(RefCOCO, RefCOCOeval, *files), run_files(dcoco.COCO, dcoco.COCOeval, *files))


def test_unicode_escaped_counts_string(tmp_path):
    """A counts string written with \\u escapes (legal JSON) reads as json reads it."""
    import json
    gt, res = make_segm(78, "rle", n_images=4)
    res = [r for r in res if "segmentation" in r][:5]
    assert res
    text = json.dumps(res, ensure_ascii=True).replace('"counts": "', '"counts": "\\u0030', 1)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(text)
    got = quiet(dcoco.COCO, str(tmp_path / "gt.json")).loadRes(str(tmp_path / "res.json"))
    ref = quiet(RefCOCO, str(tmp_path / "gt.json"))
    ref_res = quiet(ref.loadRes, str(tmp_path / "res.json"))
    assert got.columns("dt", "segm").area.tolist() == [float(a["area"]) for a in ref_res.dataset["annotations"]]
