"""Usage patterns of real pipelines that reach into COCOeval's internals."""
import contextlib
import copy
import io

import numpy as np
import pytest

from detap.coco import COCO, COCOeval
from detap.synth import make_coco

pycocotools = pytest.importorskip("pycocotools")
from pycocotools.coco import COCO as PyCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as PyCOCOeval  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return make_coco(n_images=60, n_categories=5, seed=3)


def _coco(C, gt):
    # the pattern torchvision and Detectron2 use: an empty COCO, then dataset
    c = C()
    c.dataset = copy.deepcopy(gt)
    c.createIndex()
    return c


def _distributed_like_torchvision(C, E, gt, dt, n_parts):
    """Each "process" evaluates its share of the images; the evalImgs lists
    are merged, assigned back, and one accumulate() runs on the whole."""
    with contextlib.redirect_stdout(io.StringIO()):
        g = _coco(C, gt)
        d = g.loadRes(copy.deepcopy(dt))
        ids = sorted(g.getImgIds())
        shares = np.array_split(np.array(ids), n_parts)
        parts = []
        for share in shares:
            e = E(g, d, "bbox")
            e.params.imgIds = share.tolist()
            e.evaluate()
            parts.append((list(e.params.imgIds),
                          np.asarray(e.evalImgs, dtype=object).reshape(-1, 4, len(e.params.imgIds))))
        e.params.imgIds = [i for p in parts for i in p[0]]
        e.evalImgs = list(np.concatenate([p[1] for p in parts], 2).flatten())
        e._paramsEval = copy.deepcopy(e.params)
        e.accumulate()
        e.summarize()
    return e


@pytest.mark.parametrize("n_parts", [2, 3])
def test_merged_evalimgs_accumulate_like_pycocotools(data, n_parts):
    gt, dt = data
    a = _distributed_like_torchvision(PyCOCO, PyCOCOeval, gt, dt, n_parts)
    b = _distributed_like_torchvision(COCO, COCOeval, gt, dt, n_parts)
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(a.eval[key], b.eval[key])
    assert np.array_equal(a.stats, b.stats)


def test_merged_result_equals_single_run(data):
    """Merging shares must give the same numbers as evaluating everything at once."""
    gt, dt = data
    merged = _distributed_like_torchvision(COCO, COCOeval, gt, dt, 2)
    with contextlib.redirect_stdout(io.StringIO()):
        g = _coco(COCO, gt)
        e = COCOeval(g, g.loadRes(copy.deepcopy(dt)), "bbox")
        e.evaluate(); e.accumulate(); e.summarize()
    assert np.array_equal(merged.eval["precision"], e.eval["precision"])
    assert np.array_equal(merged.stats, e.stats)


def test_evalimgs_with_wrong_length_is_refused(data):
    gt, dt = data
    g = _coco(COCO, gt)
    e = COCOeval(g, g.loadRes(copy.deepcopy(dt)), "bbox")
    e.evaluate()
    e.evalImgs = list(e.evalImgs)[:-1]
    with pytest.raises(ValueError, match="evalImgs has"):
        e.accumulate()


def test_ious_survive_an_accumulate_of_merged_evalimgs(data):
    """After accumulate() on a caller-merged evalImgs, ``ious`` still holds
    this process's evaluate() IoUs, as pycocotools' does."""
    gt, dt = data
    a = _distributed_like_torchvision(PyCOCO, PyCOCOeval, gt, dt, 2)
    b = _distributed_like_torchvision(COCO, COCOeval, gt, dt, 2)
    assert len(a.ious) and len(a.ious) == len(b.ious)
    for key, want in a.ious.items():
        got = b.ious[key]
        assert np.array_equal(np.asarray(got), np.asarray(want)), key
