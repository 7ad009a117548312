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
