"""Adapters for the four COCO box evaluators benchmarked in
``bench/test_bench_coco.py`` (and run in fresh processes by ``bench/memory.py``).

Every tool is driven through the same five calls, with the tool's own
public API and default settings:

    gt = load_gt(gt_path)           COCO(gt_path)
    dt = load_res(gt, dt_path)      gt.loadRes(dt_path)
    ev = make_eval(gt, dt)          COCOeval(gt, dt, "bbox"[, threads=...])
    evaluate(ev); accumulate(ev)
    stats = summarize(ev)           ev.summarize(); ev.stats

Variants (``VARIANTS``):

detap-t1          detap.coco, ``threads=1``
detap             detap.coco, ``threads=0`` (all usable cores)
pycocotools       pycocotools.coco / pycocotools.cocoeval (single-threaded)
faster-coco-eval  ``from faster_coco_eval import COCO, COCOeval_faster``,
                  defaults (its bbox path is single-threaded C++)
hotcoco           ``from hotcoco import COCO, COCOeval``, defaults: hotcoco
                  evaluates on rayon's global thread pool, which has no
                  Python-level setting; rayon sizes it from
                  ``RAYON_NUM_THREADS`` or, unset, all usable cores
hotcoco-t1        hotcoco with ``RAYON_NUM_THREADS=1``: only in a fresh
                  process (the pool is global and fixed at first use, so it
                  cannot be resized inside the pytest process)

Nothing here imports a tool at module level: ``bench/memory.py`` imports this
module in a fresh process and must import only the tool it measures.
"""
import os
from dataclasses import dataclass, field

import numpy as np

TOOLS = ("detap", "pycocotools", "faster-coco-eval", "hotcoco")


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Variant:
    key: str                    # row name, e.g. "detap-t1"
    tool: str                   # one of TOOLS
    threads: object = None      # detap: int passed as threads=; others: None
    env: dict = field(default_factory=dict)   # environment of its fresh process
    in_process: bool = True     # can run inside the pytest process

    def threads_text(self, env=None):
        """What the variant runs on, in words (for tables)."""
        env = os.environ if env is None else env
        n = usable_cores()
        if self.tool == "detap":
            return "1" if self.threads == 1 else f"0 = all ({n})"
        if self.tool == "hotcoco":
            rayon = self.env.get("RAYON_NUM_THREADS", env.get("RAYON_NUM_THREADS"))
            return f"RAYON_NUM_THREADS={rayon}" if rayon else f"default: rayon, all ({n})"
        return "1 (no setting)"


VARIANTS = {
    "detap-t1": Variant("detap-t1", "detap", threads=1),
    "detap": Variant("detap", "detap", threads=0),
    "pycocotools": Variant("pycocotools", "pycocotools"),
    "faster-coco-eval": Variant("faster-coco-eval", "faster-coco-eval"),
    "hotcoco": Variant("hotcoco", "hotcoco"),
    "hotcoco-t1": Variant("hotcoco-t1", "hotcoco", env={"RAYON_NUM_THREADS": "1"},
                          in_process=False),
}

IN_PROCESS = [k for k, v in VARIANTS.items() if v.in_process]


class Adapter:
    """The five calls of one variant (the tool is imported on creation)."""

    def __init__(self, variant):
        if isinstance(variant, str):
            variant = VARIANTS[variant]
        self.variant = variant
        tool = variant.tool
        if tool == "detap":
            from detap.coco import COCO, COCOeval
            import detap
            self.version = detap.__version__
            threads = variant.threads
            self._eval = lambda gt, dt: COCOeval(gt, dt, "bbox", threads=threads)
        elif tool == "pycocotools":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
            self.version = _dist_version("pycocotools")
            self._eval = lambda gt, dt: COCOeval(gt, dt, "bbox")
        elif tool == "faster-coco-eval":
            from faster_coco_eval import COCO, COCOeval_faster
            import faster_coco_eval
            self.version = faster_coco_eval.__version__
            self._eval = lambda gt, dt: COCOeval_faster(gt, dt, "bbox")
        elif tool == "hotcoco":
            from hotcoco import COCO, COCOeval
            import hotcoco
            self.version = hotcoco.__version__
            self._eval = lambda gt, dt: COCOeval(gt, dt, "bbox")
        else:
            raise ValueError(f"unknown tool {tool!r}")
        self._COCO = COCO

    def load_gt(self, path):
        return self._COCO(path)

    def load_res(self, gt, path):
        return gt.loadRes(path)

    def make_eval(self, gt, dt):
        return self._eval(gt, dt)

    @staticmethod
    def evaluate(ev):
        ev.evaluate()

    @staticmethod
    def accumulate(ev):
        ev.accumulate()

    @staticmethod
    def summarize(ev):
        ev.summarize()
        return np.array(ev.stats, dtype=np.float64)

    # -- whole calls, as timed by the benchmarks ------------------------

    def eval_acc(self, gt, dt):
        """``COCOeval(...)`` + evaluate + accumulate on loaded objects."""
        ev = self.make_eval(gt, dt)
        ev.evaluate()
        ev.accumulate()
        return ev

    def pipeline(self, gt_path, dt_path):
        """load GT + loadRes + COCOeval + evaluate + accumulate + summarize;
        returns the evaluator (``stats`` filled)."""
        gt = self.load_gt(gt_path)
        dt = self.load_res(gt, dt_path)
        ev = self.eval_acc(gt, dt)
        ev.summarize()
        return ev


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


def eval_arrays(ev):
    """{precision, recall, scores} of an accumulated evaluator (float64 copies)."""
    out = {}
    e = ev.eval
    for k in ("precision", "recall", "scores"):
        try:
            out[k] = np.array(e[k], dtype=np.float64)
        except (KeyError, TypeError):
            pass
    return out


# ------------------------------------------------------------ agreement

def agreement(got, want):
    """'bit-equal', 'equal to 1e-12 (max |d| = ...)' or 'differ (max |d| = ...)'."""
    a = np.asarray(got, dtype=np.float64)
    b = np.asarray(want, dtype=np.float64)
    if a.shape != b.shape:
        return f"differ (shape {a.shape} vs {b.shape})"
    if np.array_equal(a, b, equal_nan=True):
        return "bit-equal"
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b)
    d = np.where(np.isnan(a) & np.isnan(b), 0.0, d)
    worst = float(np.nanmax(d)) if d.size else 0.0
    n = int(np.count_nonzero(d))
    if worst <= 1e-12:
        return f"equal to 1e-12 ({n} of {a.size} differ, max |d| = {worst:.1e})"
    return f"differ ({n} of {a.size} differ, max |d| = {worst:.1e})"


def agreement_kind(text):
    """The first words of ``agreement``'s text: bit-equal / 1e-12 / differ."""
    if text.startswith("bit-equal"):
        return "bit-equal"
    if text.startswith("equal to 1e-12"):
        return "1e-12"
    return "differ"


# -------------------------------------------------------------- data sets

def _presets():
    from detap.synth import COCO_PRESETS
    return {
        # quick mode (CI): everything, pycocotools included, in a few seconds
        "small": dict(n_images=300, n_categories=20),
        # full mode: COCO val2017-sized and Objects365-sized
        "coco": dict(COCO_PRESETS["coco"]),
        "objects365": dict(COCO_PRESETS["objects365"]),
    }


PRESET_NAMES = {"quick": ("small",), "full": ("coco", "objects365")}
PRESET_SEED = 2024


@dataclass
class CocoFiles:
    """A synthetic data set written as COCO JSON: ground truth and results."""
    preset: str
    gt_path: str
    dt_path: str
    n_images: int
    n_categories: int
    n_gt: int
    n_dt: int
    params: dict

    def info(self):
        return dict(preset=self.preset, n_images=self.n_images, n_categories=self.n_categories,
                    n_gt=self.n_gt, n_dt=self.n_dt)

    def size_text(self):
        return (f"{self.n_images} images, {self.n_categories} categories, {self.n_gt} GT, "
                f"{self.n_dt} dets")


def write_preset(name, directory, seed=PRESET_SEED):
    """Draw preset ``name`` with ``detap.synth.make_coco`` and write
    ``<directory>/<name>_gt.json`` and ``<name>_results.json``."""
    import json
    from detap.synth import make_coco
    params = _presets()[name]
    gt, results = make_coco(**params, seed=seed)
    os.makedirs(directory, exist_ok=True)
    gt_path = os.path.join(directory, f"{name}_gt.json")
    dt_path = os.path.join(directory, f"{name}_results.json")
    with open(gt_path, "w") as f:
        json.dump(gt, f)
    with open(dt_path, "w") as f:
        json.dump(results, f)
    return CocoFiles(preset=name, gt_path=gt_path, dt_path=dt_path,
                     n_images=len(gt["images"]), n_categories=len(gt["categories"]),
                     n_gt=len(gt["annotations"]), n_dt=len(results),
                     params=dict(params, seed=seed))
