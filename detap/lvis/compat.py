"""Switching code that imports lvis-api itself (Detectron2's
``LVISEvaluator``, mmdetection's ``LVISV1Metric``) to detap with one call."""
import sys
import types

__all__ = ["install_as_lvis"]


def install_as_lvis():
    """Make ``lvis`` and its modules ``lvis.lvis``, ``lvis.results`` and
    ``lvis.eval`` resolve to detap's ``LVIS``, ``LVISResults``,
    ``LVISEval`` and ``Params``, so ``from lvis import LVIS, LVISResults,
    LVISEval`` gives detap's classes (lvis-api need not be installed).  Call
    it before those libraries import lvis.  Returns the module names
    replaced."""
    this = sys.modules[__package__]
    pkg = types.ModuleType("lvis")
    pkg.__path__ = []
    pkg.__doc__ = "detap replacement for lvis-api"
    names = ["lvis"]
    for sub in ("lvis", "results", "eval"):
        mod = types.ModuleType(f"lvis.{sub}")
        mod.__doc__ = f"detap replacement for lvis.{sub}"
        mod.LVIS, mod.LVISResults, mod.LVISEval, mod.Params = (this.LVIS, this.LVISResults,
                                                               this.LVISEval, this.Params)
        sys.modules[f"lvis.{sub}"] = mod
        setattr(pkg, sub, mod)
        names.append(f"lvis.{sub}")
    pkg.LVIS, pkg.LVISResults, pkg.LVISEval = this.LVIS, this.LVISResults, this.LVISEval
    pkg.__all__ = ["LVIS", "LVISResults", "LVISEval"]
    sys.modules["lvis"] = pkg
    return names
