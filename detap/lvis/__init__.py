"""LVIS evaluation with lvis-api's API and lvis-api's numbers, on detap's
COCO engine.

``from detap.lvis import LVIS, LVISResults, LVISEval`` replaces
``from lvis import LVIS, LVISResults, LVISEval`` (lvis-api 0.5.3):
``eval["precision"]``, ``eval["recall"]`` and ``results`` are equal to
lvis-api's bit for bit.  Modules:

- ``dataset``     ``LVIS``: the annotation file, its indexes and columns;
- ``results``     ``LVISResults``: detections capped per image;
- ``federated``   which rows LVIS's federated labels let into evaluation;
- ``evaluation``  ``LVISEval`` and ``Params`` over ``coco.engine``;
- ``summary``     the 13 numbers and ``print_results``' lines;
- ``compat``      ``install_as_lvis``.
"""
from .compat import install_as_lvis
from .dataset import LVIS
from .evaluation import LVISEval, Params
from .results import LVISResults

__all__ = ["LVIS", "LVISResults", "LVISEval", "Params", "install_as_lvis"]
