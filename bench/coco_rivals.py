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

Data sets (the end of this file): ``_presets()`` names the generator and
size of every preset, ``PRESET_NUMBERS`` how its results write their floats
(short decimals or float32 reprs: bench/number_formats.py), ``PRESET_SKIP``
the (preset, variant) pairs too large to launch, ``PRESET_FRESH_ONLY`` the
presets without in-process benchmarks; ``write_preset`` draws and writes a
preset, ``cached_preset`` does so once per directory (DETAP_BENCH_DATA).

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
        "small-f32": ("boxes", dict(n_images=300, n_categories=20)),
        "segm-small": ("segm", dict(n_images=120, n_categories=20, dets_per_image=60)),
        "keypoints-small": ("keypoints", dict(n_images=400)),
        # full mode: COCO val2017-sized and Objects365-sized boxes; COCO
        # val2017-sized masks (~400k results) and person keypoints
        "coco": ("boxes", dict(COCO_PRESETS["coco"])),
        "coco-f32": ("boxes", dict(COCO_PRESETS["coco"])),
        "objects365": ("boxes", dict(COCO_PRESETS["objects365"])),
        "segm": ("segm", dict(n_images=5000, n_categories=80, dets_per_image=89)),
        "keypoints": ("keypoints", dict(n_images=5000)),
        # full mode: 10M detections from JSON (Objects365-like GT, ~12 per
        # image; ~81 detections per image: 0.8 x dets_per_image on average)
        "big": ("boxes-blocks", dict(n_images=125_000, n_categories=365, gt_per_image=12.0,
                                     dets_per_image=102)),
    }


GENERATOR_IOU = {"boxes": "bbox", "boxes-blocks": "bbox", "segm": "segm", "keypoints": "keypoints"}
# the number formats each generator's results can be written in (masks and
# keypoints are drawn as float32 values: that is their only format)
GENERATOR_NUMBERS = {"boxes": ("short", "float32"), "boxes-blocks": ("short", "float32"),
                     "segm": ("float32",), "keypoints": ("float32",)}
# the iouType of every preset (as _presets(), without importing detap)
PRESET_IOU = {"small": "bbox", "small-f32": "bbox", "coco": "bbox", "coco-f32": "bbox",
              "objects365": "bbox", "big": "bbox", "segm-small": "segm", "segm": "segm",
              "keypoints-small": "keypoints", "keypoints": "keypoints"}
# how each preset's results write their numbers (bench/number_formats.py); GT
# always keeps short numbers
PRESET_NUMBERS = dict({p: "short" for p in PRESET_IOU}, **{
    "small-f32": "float32", "coco-f32": "float32", "big": "float32", "segm-small": "float32",
    "segm": "float32", "keypoints-small": "float32", "keypoints": "float32"})
# big runs only in full mode or when named (--coco-presets big): ~1.8 GB of
# JSON, minutes of fresh-process runs
PRESET_NAMES = {"quick": ("small", "small-f32", "segm-small", "keypoints-small"),
                "full": ("coco", "coco-f32", "objects365", "segm", "keypoints", "big")}
PRESET_SEED = 2024
# bump when a generator or writer changes what a preset's files hold (the
# on-disk cache of cached_preset is keyed by it)
DATA_VERSION = 1

# (preset, variant) pairs not even launched, and why: recorded as "not run"
_TOO_LARGE = ("too large: on objects365 (1.2M detections) it was killed for passing half the "
              "machine's RAM during evaluate (bench/results.md), and big has over 8 times as many")
PRESET_SKIP = {"big": {"pycocotools": _TOO_LARGE, "faster-coco-eval": _TOO_LARGE}}
# presets measured in fresh processes only (no in-process benchmarks): big,
# whose objects would stay in the pytest process; small-f32, which is there
# so CI loads float32 reprs with every tool at little cost
PRESET_FRESH_ONLY = {
    "big": "fresh processes only at 10M detections (the report uses their medians, marked †)",
    "small-f32": "fresh processes only (CI exercises the float32-repr path; in-process "
                 "timings: coco-f32 in full mode)",
}


def skip_reason(preset, variant):
    """Why ``variant`` is not run on ``preset`` (``PRESET_SKIP``), or None."""
    return PRESET_SKIP.get(preset, {}).get(variant)


@dataclass
class CocoFiles:
    """A synthetic data set written as COCO JSON: ground truth and results.
    ``numbers``: how the results write their floats (bench/number_formats.py);
    ``work_dir``: where a run writes its own outputs (the data may sit in
    a shared cache directory)."""
    preset: str
    gt_path: str
    dt_path: str
    n_images: int
    n_categories: int
    n_gt: int
    n_dt: int
    params: dict
    iou_type: str = "bbox"
    numbers: str = "short"
    gt_bytes: int = 0
    dt_bytes: int = 0
    work_dir: str = None

    def __post_init__(self):
        if self.work_dir is None:
            self.work_dir = os.path.dirname(self.gt_path)

    def info(self):
        return dict(preset=self.preset, n_images=self.n_images, n_categories=self.n_categories,
                    n_gt=self.n_gt, n_dt=self.n_dt, iou_type=self.iou_type, numbers=self.numbers,
                    gt_bytes=self.gt_bytes, dt_bytes=self.dt_bytes)

    def size_text(self):
        from .number_formats import number_text
        what = {"bbox": "", "segm": "masks: ", "keypoints": "person keypoints: "}[self.iou_type]
        return (f"{what}{self.n_images} images, {self.n_categories} categories, {self.n_gt} GT, "
                f"{self.n_dt} dets; results as {number_text(self.numbers)} "
                f"({bytes_text(self.dt_bytes)}; GT {bytes_text(self.gt_bytes)}, short numbers)")


def bytes_text(n):
    """A file size in decimal units: '289 kB', '37.2 MB', '1.13 GB'."""
    if n >= 1e9:
        return f"{n / 1e9:.2f} GB"
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def preset_numbers(name, numbers=None):
    """The number format of preset ``name``'s results: ``numbers`` if given
    (checked against what its generator can write), else the preset's own."""
    from .number_formats import check_numbers
    gen = _presets()[name][0]
    numbers = check_numbers(numbers or PRESET_NUMBERS[name])
    if numbers not in GENERATOR_NUMBERS[gen]:
        raise ValueError(f"preset {name!r} ({gen}) writes its results as "
                         f"{' or '.join(GENERATOR_NUMBERS[gen])} only, not {numbers!r}")
    return numbers


def write_preset(name, directory, seed=PRESET_SEED, numbers=None):
    """Draw preset ``name`` (``detap.synth.make_coco`` for boxes,
    ``bench/coco_big.py`` block by block for big, ``bench/masks_data.py`` for
    masks and keypoints) and write ``<directory>/<name>_gt.json`` and
    ``<name>_results.json``.

    ``numbers`` ("short" / "float32", default the preset's
    ``PRESET_NUMBERS``): how the results write their floats
    (bench/number_formats.py).  Only the results: GT keeps its short numbers, as
    annotation tools write them.  float32 rounds the values, so a float32
    preset is a data set of its own (coco-f32 is coco's detections rounded
    to float32)."""
    import json
    gen, params = _presets()[name]
    assert PRESET_IOU[name] == GENERATOR_IOU[gen]
    numbers = preset_numbers(name, numbers)
    os.makedirs(directory, exist_ok=True)
    gt_path = os.path.join(directory, f"{name}_gt.json")
    dt_path = os.path.join(directory, f"{name}_results.json")
    if gen == "boxes-blocks":
        from .coco_big import write_blocked
        n_gt, n_dt = write_blocked(gt_path, dt_path, **params, seed=seed, numbers=numbers)
        n_images, n_categories = params["n_images"], params["n_categories"]
    else:
        gt, results = _draw(gen, params, seed, numbers)
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        with open(dt_path, "w") as f:
            json.dump(results, f)
        n_images, n_categories = len(gt["images"]), len(gt["categories"])
        n_gt, n_dt = len(gt["annotations"]), len(results)
    return CocoFiles(preset=name, gt_path=gt_path, dt_path=dt_path, n_images=n_images,
                     n_categories=n_categories, n_gt=n_gt, n_dt=n_dt,
                     params=dict(params, seed=seed), iou_type=GENERATOR_IOU[gen],
                     numbers=numbers, gt_bytes=os.path.getsize(gt_path),
                     dt_bytes=os.path.getsize(dt_path))


def _draw(gen, params, seed, numbers):
    """(gt, results) of an in-memory generator, results in ``numbers``."""
    from detap.synth import make_coco
    from .masks_data import make_keypoints, make_segm
    from .number_formats import float32_results
    make = {"boxes": make_coco, "segm": make_segm, "keypoints": make_keypoints}[gen]
    gt, results = make(**params, seed=seed)
    if numbers == "float32" and gen == "boxes":  # masks / keypoints: drawn as float32
        float32_results(results)
    return gt, results


def data_root(default):
    """Where generated presets are kept: env DETAP_BENCH_DATA (kept across
    runs: set it to generate big once) or ``default`` (e.g. pytest's tmp dir)."""
    return os.environ.get("DETAP_BENCH_DATA") or default


def cached_preset(name, root, seed=PRESET_SEED, numbers=None):
    """``write_preset`` into ``<root>/<name>-<numbers>-seed<seed>-v<DATA_VERSION>/``,
    unless an earlier run completed that directory (its ``preset.json`` is
    written last, after the data); returns the CocoFiles."""
    import json
    import shutil
    numbers = preset_numbers(name, numbers)
    final = os.path.join(root, f"{name}-{numbers}-seed{seed}-v{DATA_VERSION}")
    manifest = os.path.join(final, "preset.json")
    if not os.path.exists(manifest):
        # written under a private name and renamed: a run killed while
        # writing (or a concurrent one) never leaves a half-written preset
        tmp = f"{final}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        files = write_preset(name, tmp, seed=seed, numbers=numbers)
        with open(os.path.join(tmp, "preset.json"), "w") as f:
            json.dump(dict(vars(files), gt_path=os.path.basename(files.gt_path),
                           dt_path=os.path.basename(files.dt_path), work_dir=None), f)
        if os.path.exists(final) and not os.path.exists(manifest):
            shutil.rmtree(final)   # an incomplete directory of an older layout
        try:
            os.replace(tmp, final)
        except OSError:            # another run finished first: use its files
            shutil.rmtree(tmp, ignore_errors=True)
    with open(manifest) as f:
        m = json.load(f)
    return CocoFiles(**dict(m, gt_path=os.path.join(final, m["gt_path"]),
                            dt_path=os.path.join(final, m["dt_path"])))
