"""Why is my AP low: TIDE's error breakdown (equal to tidecv), confusion
matrices (COCO-style and Ultralytics' conventions), calibration (ECE, MCE,
reliability bins) and per-image results, on the boxes of a data set.

- ``analyze(dataset)``: the one-shot ``Analysis`` (``to_dict()`` is the
  ``"analysis"`` object of ``detap eval --analysis --json``);
- ``AnalysisState``: the mergeable per-image state behind it, also kept by
  ``detap.Evaluator(..., analysis=True)`` and ``detap.dask``.
"""
from .state import ANALYSIS_SCHEMA_VERSION, Analysis, AnalysisSettings, AnalysisState, analyze

__all__ = ["analyze", "Analysis", "AnalysisSettings", "AnalysisState", "ANALYSIS_SCHEMA_VERSION"]
