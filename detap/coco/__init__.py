"""COCO-style evaluation with pycocotools' API and pycocotools' numbers.

``from detap.coco import COCO, COCOeval`` replaces pycocotools' imports;
for ``iouType="bbox"`` the results are equal to pycocotools' bit for bit.

The package is the pipeline, one module per stage, with pycocotools'
classes as thin facades over it:

- ``columns``    annotations -> checked column arrays (``Columns``);
- ``dataset``    ``COCO``: the dataset / result-set facade;
- ``cells``      pycocotools' ``_prepare``: rows grouped by (category, image);
- ``engine``     evaluate and accumulate over typed state (``EvalState``);
- ``summarize``  the summary numbers;
- ``views``      pycocotools' ``ious`` and ``evalImgs``, built on access;
- ``cocoeval``   ``Params`` and ``COCOeval``;
- ``arrays``     ``evaluate_arrays``: from arrays, no JSON;
- ``compat``     ``install_as_pycocotools``.
"""
from .arrays import evaluate_arrays
from .cocoeval import COCOeval, Params
from .columns import DetapResultsError
from .compat import install_as_pycocotools
from .dataset import COCO

__all__ = ["COCO", "COCOeval", "Params", "evaluate_arrays", "install_as_pycocotools",
           "DetapResultsError"]
