"""Switching pipelines that import pycocotools themselves (Detectron2,
mmdetection, Ultralytics, torchmetrics) to detap with one call."""
import sys
import types

__all__ = ["install_as_pycocotools"]


def install_as_pycocotools():
    """Make ``pycocotools.coco``, ``pycocotools.cocoeval``,
    ``pycocotools.mask`` and ``pycocotools._mask`` resolve to detap.

    After this call, ``from pycocotools.coco import COCO``,
    ``from pycocotools.cocoeval import COCOeval`` and
    ``import pycocotools.mask as mask_util`` (as in Detectron2,
    mmdetection, Ultralytics, torchmetrics) give detap's classes and
    ``detap.mask`` / ``detap._mask``, so pycocotools need not be installed
    at all.  Call it before those libraries import pycocotools.
    Returns the list of module names replaced.
    """
    this = sys.modules[__package__]
    try:
        import pycocotools as pkg  # noqa: F401
    except ImportError:
        pkg = types.ModuleType("pycocotools")
        pkg.__path__ = []
        sys.modules["pycocotools"] = pkg
    names = []
    for sub in ("coco", "cocoeval"):
        mod = types.ModuleType(f"pycocotools.{sub}")
        mod.COCO, mod.COCOeval, mod.Params = this.COCO, this.COCOeval, this.Params
        mod.__doc__ = f"detap replacement for pycocotools.{sub}"
        sys.modules[f"pycocotools.{sub}"] = mod
        setattr(pkg, sub, mod)
        names.append(f"pycocotools.{sub}")
    from .. import _mask, mask  # the package's own modules, re-exported whole
    for sub, mod in (("mask", mask), ("_mask", _mask)):
        sys.modules[f"pycocotools.{sub}"] = mod
        setattr(pkg, sub, mod)
        names.append(f"pycocotools.{sub}")
    return names
