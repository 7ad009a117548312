"""Switching pipelines that import pycocotools themselves (Detectron2,
mmdetection, Ultralytics, torchmetrics) to detap with one call."""
import sys
import types

__all__ = ["install_as_pycocotools"]


def install_as_pycocotools():
    """Make ``pycocotools.coco`` and ``pycocotools.cocoeval`` resolve to detap.

    After this call, ``from pycocotools.coco import COCO`` and
    ``from pycocotools.cocoeval import COCOeval`` (as in Detectron2,
    mmdetection, Ultralytics, torchmetrics) give detap's classes.  Call it
    before those libraries import pycocotools.  ``pycocotools.mask`` stays
    the real one when pycocotools is installed (detap does not do masks yet).
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
    return names
