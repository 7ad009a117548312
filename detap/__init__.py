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
from .errors import DetapCacheError, DetapInputError, DetapOutputError, DetapWarning

# The rest loads on first use (PEP 562): ``from detap.coco import COCO``
# then costs only the COCO modules, not the VOC reader, protocols and
# streaming (2 MB of resident memory and their import time).
_LAZY = {"PRESETS": "conventions", "Convention": "conventions", "ClassResult": "core",
         "evaluate_class": "core", "PROTOCOLS": "protocols", "evaluate": "protocols",
         "ClassReport": "result", "EvalResult": "result", "Evaluator": "streaming",
         "parse_rec": "voc", "voc_ap": "voc", "voc_eval": "voc"}


def __getattr__(name):
    import importlib
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    # any submodule (detap.result, detap.core, ...), as before the names
    # went lazy: a plain ``import detap`` then reached them as attributes
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"
__all__ = ["voc_eval", "parse_rec", "voc_ap", "evaluate_class", "ClassResult",
           "Convention", "PRESETS", "DetapInputError", "DetapCacheError", "DetapOutputError",
           "DetapWarning", "evaluate",
           "PROTOCOLS", "Evaluator", "EvalResult", "ClassReport"]
