"""Why is my AP low: TIDE's error breakdown, confusion matrices,
calibration and per-image results, on detap's boxes (``scene.Scene``)."""
