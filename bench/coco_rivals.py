"""Adapters for the COCO evaluators benchmarked in ``bench/test_bench_coco.py``
(and run in fresh processes by ``bench/memory.py``), for ``iouType`` "bbox",
"segm" and "keypoints" (one per preset: ``PRESET_IOU``).

Every tool is driven through the same five calls, with the tool's own
public API and default settings:

    gt = load_gt(gt_path)           COCO(gt_path)
    dt = load_res(gt, dt_path)      gt.loadRes(dt_path)
    ev = make_eval(gt, dt)          COCOeval(gt, dt, iouType[, threads=...])
    evaluate(ev); accumulate(ev)
    stats = summarize(ev)           ev.summarize(); ev.stats

Variants (``VARIANTS``):

detap-t1          detap.coco, ``threads=1``
detap             detap.coco, ``threads=0`` (all usable cores).  Called
                  exactly as pycocotools is; where detap raises
                  NotImplementedError (segm / keypoints, until that lands)
                  the variant is "not available" (``Unavailable``), not a
                  failure, and the same code measures it once it works
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
vernier           ``pycocotools.coco.COCO`` + ``loadRes`` (vernier's shim
                  reads pycocotools' COCO objects: its documented drop-in),
                  ``vernier.COCOeval(gt, dt, iouType, parity_mode="strict")``
                  (strict is the shim's default, passed explicitly: the mode
                  vernier documents as bit-exact with pycocotools 2.0.11).
                  The shim has no thread setting and calls vernier's core
                  with ``num_threads=None``, its sequential path: 1 thread
ultrafast-pycocotools
                  ``from ultrafast_pycocotools import COCO, COCOeval``,
                  defaults: a Rust core on rayon's global pool, like hotcoco
                  (``RAYON_NUM_THREADS`` or all usable cores)
ultrafast-pycocotools-t1
                  the same with ``RAYON_NUM_THREADS=1``, fresh processes only

``EXACT_CLAIMS``: the tools that claim results identical to pycocotools';
the benchmarks assert that claim (quick mode) or report a difference.

Nothing here imports a tool at module level: ``bench/memory.py`` imports this
module in a fresh process and must import only the tool it measures.
"""
import os
from dataclasses import dataclass, field

import numpy as np

TOOLS = ("detap", "pycocotools", "faster-coco-eval", "hotcoco", "vernier", "ultrafast-pycocotools")
RAYON_TOOLS = ("hotcoco", "ultrafast-pycocotools")   # rayon's global pool, all cores by default

# tool -> what it claims (these claims are checked against pycocotools)
EXACT_CLAIMS = {
    "detap": "stats and precision/recall/scores bit-equal to pycocotools' (bbox)",
    "vernier": "parity_mode='strict': bit-exact with pycocotools 2.0.11 for bbox, segm, keypoints",
    "ultrafast-pycocotools": "precision, recall and scores bit-identical to pycocotools' "
                             "(bbox, segm, keypoints)",
}


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
        if self.tool in RAYON_TOOLS:
            rayon = self.env.get("RAYON_NUM_THREADS", env.get("RAYON_NUM_THREADS"))
            return f"RAYON_NUM_THREADS={rayon}" if rayon else f"default: rayon, all ({n})"
        if self.tool == "vernier":
            return "1 (shim: no setting; sequential)"
        return "1 (no setting)"


VARIANTS = {
    "detap-t1": Variant("detap-t1", "detap", threads=1),
    "detap": Variant("detap", "detap", threads=0),
    "pycocotools": Variant("pycocotools", "pycocotools"),
    "faster-coco-eval": Variant("faster-coco-eval", "faster-coco-eval"),
    "hotcoco": Variant("hotcoco", "hotcoco"),
    "hotcoco-t1": Variant("hotcoco-t1", "hotcoco", env={"RAYON_NUM_THREADS": "1"},
                          in_process=False),
    "vernier": Variant("vernier", "vernier"),
    "ultrafast-pycocotools": Variant("ultrafast-pycocotools", "ultrafast-pycocotools"),
    "ultrafast-pycocotools-t1": Variant("ultrafast-pycocotools-t1", "ultrafast-pycocotools",
                                        env={"RAYON_NUM_THREADS": "1"}, in_process=False),
}

IN_PROCESS = [k for k, v in VARIANTS.items() if v.in_process]


class Adapter:
    """The five calls of one variant for ``iou_type`` (the tool is imported
    on creation)."""

    def __init__(self, variant, iou_type="bbox"):
        if isinstance(variant, str):
            variant = VARIANTS[variant]
        self.variant = variant
        self.iou_type = iou_type
        tool = variant.tool
        kw = {}
        if tool == "detap":
            from detap.coco import COCO, COCOeval
            import detap
            self.version = detap.__version__
            kw = dict(threads=variant.threads)
        elif tool == "pycocotools":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
            self.version = _dist_version("pycocotools")
        elif tool == "faster-coco-eval":
            from faster_coco_eval import COCO, COCOeval_faster as COCOeval
            import faster_coco_eval
            self.version = faster_coco_eval.__version__
        elif tool == "hotcoco":
            from hotcoco import COCO, COCOeval
            import hotcoco
            self.version = hotcoco.__version__
        elif tool == "vernier":
            from pycocotools.coco import COCO
            from vernier import COCOeval
            import vernier
            self.version = vernier.__version__
            kw = dict(parity_mode="strict")
        elif tool == "ultrafast-pycocotools":
            from ultrafast_pycocotools import COCO, COCOeval
            self.version = _dist_version("ultrafast-pycocotools")
        else:
            raise ValueError(f"unknown tool {tool!r}")
        self._eval = lambda gt, dt: COCOeval(gt, dt, iou_type, **kw)
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
    """{preset: (generator name, its keyword arguments)}."""
    from detap.synth import COCO_PRESETS
    return {
        # quick mode (CI): everything, pycocotools included, in a few seconds
        "small": ("boxes", dict(n_images=300, n_categories=20)),
        "segm-small": ("segm", dict(n_images=120, n_categories=20, dets_per_image=60)),
        "keypoints-small": ("keypoints", dict(n_images=400)),
        # full mode: COCO val2017-sized and Objects365-sized boxes; COCO
        # val2017-sized masks (~400k results) and person keypoints
        "coco": ("boxes", dict(COCO_PRESETS["coco"])),
        "objects365": ("boxes", dict(COCO_PRESETS["objects365"])),
        "segm": ("segm", dict(n_images=5000, n_categories=80, dets_per_image=89)),
        "keypoints": ("keypoints", dict(n_images=5000)),
    }


GENERATOR_IOU = {"boxes": "bbox", "segm": "segm", "keypoints": "keypoints"}
# the iouType of every preset (as _presets(), without importing detap)
PRESET_IOU = {"small": "bbox", "coco": "bbox", "objects365": "bbox", "segm-small": "segm",
              "segm": "segm", "keypoints-small": "keypoints", "keypoints": "keypoints"}
PRESET_NAMES = {"quick": ("small", "segm-small", "keypoints-small"),
                "full": ("coco", "objects365", "segm", "keypoints")}
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
    iou_type: str = "bbox"

    def info(self):
        return dict(preset=self.preset, n_images=self.n_images, n_categories=self.n_categories,
                    n_gt=self.n_gt, n_dt=self.n_dt, iou_type=self.iou_type)

    def size_text(self):
        what = {"bbox": "", "segm": "masks: ", "keypoints": "person keypoints: "}[self.iou_type]
        return (f"{what}{self.n_images} images, {self.n_categories} categories, {self.n_gt} GT, "
                f"{self.n_dt} dets")


def write_preset(name, directory, seed=PRESET_SEED):
    """Draw preset ``name`` (``detap.synth.make_coco`` for boxes,
    ``bench/masks_data.py`` for masks and keypoints) and write
    ``<directory>/<name>_gt.json`` and ``<name>_results.json``."""
    import json
    from detap.synth import make_coco
    from .masks_data import make_keypoints, make_segm
    gen, params = _presets()[name]
    assert PRESET_IOU[name] == GENERATOR_IOU[gen]
    make = {"boxes": make_coco, "segm": make_segm, "keypoints": make_keypoints}[gen]
    gt, results = make(**params, seed=seed)
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
                     params=dict(params, seed=seed), iou_type=GENERATOR_IOU[gen])
