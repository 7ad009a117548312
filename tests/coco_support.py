"""Running pycocotools and detap.coco side by side (shared by the COCO tests)."""
import contextlib
import copy
import io
import os

import numpy as np
from pycocotools.coco import COCO as RefCOCO
from pycocotools.cocoeval import COCOeval as RefCOCOeval

from detap import coco as dcoco
from tests.conftest import assert_same_array


def quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def ref_gt(gt):
    """pycocotools' COCO from a dict (deep-copied) or a path."""
    with contextlib.redirect_stdout(io.StringIO()):
        if isinstance(gt, (str, os.PathLike)):
            return RefCOCO(os.fspath(gt))
        c = RefCOCO()
        c.dataset = copy.deepcopy(gt)
        c.createIndex()
        return c


def _own(res):
    """pycocotools' loadRes mutates the result dicts: each tool gets a copy."""
    return copy.deepcopy(res) if isinstance(res, list) else res


def run_ref(gt, res, setup=None):
    """pycocotools evaluate + accumulate + summarize (silenced)."""
    with contextlib.redirect_stdout(io.StringIO()):
        cg = ref_gt(gt)
        cd = cg.loadRes(os.fspath(res) if isinstance(res, os.PathLike) else _own(res))
        ev = RefCOCOeval(cg, cd, "bbox")
        if setup is not None:
            setup(ev.params)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def run_detap(gt, res, setup=None, threads=None, steps=("evaluate", "accumulate", "summarize")):
    """detap's run of the same (silenced); gt: dict (deep-copied) or path."""
    with contextlib.redirect_stdout(io.StringIO()):
        cg = dcoco.COCO(copy.deepcopy(gt) if isinstance(gt, dict) else gt)
        cd = cg.loadRes(_own(res))
        ev = dcoco.COCOeval(cg, cd, "bbox", threads=threads)
        if setup is not None:
            setup(ev.params)
        for step in steps:
            getattr(ev, step)()
    return ev


def assert_same_eval(got, ref, ctx=""):
    for key in ("precision", "recall", "scores"):
        assert_same_array(got.eval[key], ref.eval[key], f"eval[{key!r}] {ctx}")
    assert_same_array(np.asarray(got.stats), np.asarray(ref.stats), f"stats {ctx}")


def run_files(COCO, COCOeval, gt_path, res_path, iou_type):
    """COCO(gt_path), loadRes(res_path), evaluate, accumulate, summarize
    (silenced) with either tool's classes."""
    def body():
        cg = COCO(str(gt_path))
        ev = COCOeval(cg, cg.loadRes(str(res_path)), iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        return ev
    return quiet(body)


def run_pair_dicts(gt, res, iou_type, setup=None):
    """(pycocotools, detap) runs of the dicts ``gt`` / ``res`` (each tool
    gets copies) with ``iouType``; ``setup(params)`` before evaluate."""
    def go(COCO, COCOeval):
        def body():
            cg = COCO()
            cg.dataset = copy.deepcopy(gt)
            cg.createIndex()
            ev = COCOeval(cg, cg.loadRes(copy.deepcopy(res)), iou_type)
            if setup:
                setup(ev.params)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            return ev
        return quiet(body)
    return go(RefCOCO, RefCOCOeval), go(dcoco.COCO, dcoco.COCOeval)


def assert_same_cells(ref, got, cell_method="computeIoU"):
    """stats, precision / recall / scores, every cell's similarity
    (``cell_method``: computeIoU or computeOks, against ref.ious) and every
    evalImgs record of two evaluations, bit for bit."""
    assert_same_eval(got, ref)
    for key, v in ref.ious.items():
        mine = getattr(got, cell_method)(*key)
        if len(v) == 0:
            assert len(mine) == 0, key
        else:
            assert_same_array(mine, v, f"{cell_method}{key}")
    assert len(got.evalImgs) == len(ref.evalImgs)
    for i, (a, b) in enumerate(zip(ref.evalImgs, got.evalImgs)):
        assert (a is None) == (b is None), i
        if a is not None:
            for k in ("dtIds", "gtIds", "dtScores", "maxDet"):
                assert b[k] == a[k], (i, k)
            for k in ("dtMatches", "gtMatches", "gtIgnore", "dtIgnore", "aRng"):
                assert_same_array(np.asarray(b[k]), np.asarray(a[k]), f"evalImgs[{i}][{k}]")


def peer_case(name):
    """../shared/peer_data/<name> (skips the test when it is absent)."""
    import pytest
    from tests.conftest import peer_data_dir
    root = peer_data_dir()
    d = root / name if root is not None else None
    if d is None or not d.exists():
        pytest.skip(f"../shared/peer_data/{name} absent")
    return d
