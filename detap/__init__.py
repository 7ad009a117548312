"""detap: exact, fast object-detection Average Precision.

- ``detap.voc_eval`` / ``detap.parse_rec`` / ``detap.voc_ap``: bit-exact
  drop-ins for py-faster-rcnn's PASCAL VOC evaluation.
- ``detap.voc.evaluate``: every class at once.
- ``detap.evaluate_class``: one class from numpy arrays.
- ``detap.Convention``: the rules on which evaluators differ.
- ``detap.evaluate``: a ``detap.formats.Dataset`` under a named protocol
  (``detap.PROTOCOLS``), giving an ``EvalResult``.
- ``detap.Evaluator``: streaming, mergeable evaluation (training loops,
  several processes, Dask via ``detap.dask``).
"""
from .conventions import PRESETS, Convention
from .core import ClassResult, evaluate_class
from .errors import DetapCacheError, DetapInputError, DetapOutputError, DetapWarning
from .protocols import PROTOCOLS, evaluate
from .result import ClassReport, EvalResult
from .streaming import Evaluator
from .voc import parse_rec, voc_ap, voc_eval
from . import dota  # noqa: F401  (detap.dota after `import detap`)

__version__ = "0.1.0"
__all__ = ["voc_eval", "parse_rec", "voc_ap", "evaluate_class", "ClassResult",
           "Convention", "PRESETS", "DetapInputError", "DetapCacheError", "DetapOutputError",
           "DetapWarning", "evaluate",
           "PROTOCOLS", "Evaluator", "EvalResult", "ClassReport"]
