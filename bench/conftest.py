"""Fixtures of detap's benchmark suite (see bench/test_bench_voc.py).

Modes
-----
quick (default)  small sizes, few rounds: the whole suite runs in well under
                 a minute, so CI can run it and it cannot rot;
full             ``--bench-full`` or ``DETAP_BENCH_FULL=1``: the sizes quoted
                 in the README (100k / 1M detections, a VOC2007-test-sized
                 image set of 4952 images).

Data are drawn with ``detap.synth`` (seeded, scores rounded to 3 decimals so
that tied scores occur as with real detectors) once per session and, for the
file-based scenarios, written under ``tmp_path_factory``.  Det files come in
two number formats (``bench/number_formats.py``): short (3-decimal scores, integer
corners: ``detap.synth.write_voc``) and float32 reprs (``core_files_f32``:
the detections of (c) as a detector's float32 outputs print).

COCO presets are written under env DETAP_BENCH_DATA when set (kept across
runs, keyed by preset, number format, seed and generator version: the 1.8 GB
``big`` preset is generated once), else under ``tmp_path_factory``.
"""
import dataclasses
import os
import platform
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pytest

import detap
from detap.synth import VOC_CLASSES, make_voc_arrays, write_voc
from tests.conftest import reference_recs

from .number_formats import voc_det_text
from .refcore import recs_from_arrays


def pytest_addoption(parser):
    group = parser.getgroup("detap-bench")
    group.addoption("--bench-full", action="store_true", default=False,
                    help="detap benchmarks: full sizes (100k/1M detections, 4952 images) "
                         "instead of the quick CI sizes; same as DETAP_BENCH_FULL=1")
    group.addoption("--coco-presets", default=None, metavar="P1,P2",
                    help="COCO benchmarks: run these presets (bench/coco_rivals.py: small, "
                         "small-f32, segm-small, keypoints-small, coco, coco-f32, objects365, "
                         "segm, keypoints, big) instead of the mode's own")


def _full(config):
    env = os.environ.get("DETAP_BENCH_FULL", "").strip().lower()
    return bool(config.getoption("--bench-full")) or env not in ("", "0", "false", "no")


def coco_presets(config):
    """The presets given with --coco-presets (a list), or None."""
    from .coco_rivals import PRESET_IOU
    text = config.getoption("--coco-presets")
    if not text:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in PRESET_IOU]
    if unknown:
        raise pytest.UsageError(f"--coco-presets: unknown preset(s) {', '.join(unknown)}; "
                                f"known: {', '.join(PRESET_IOU)}")
    return names


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and round counts of one mode."""
    mode: str
    n_images: int           # images of every data set
    core_n: int             # (a) and (c): detections of the single class
    big_n: int              # (b) detap alone at scale
    big_reference: bool     # (b) benchmark the reference too (slow: ~15 s per call at 1M)
    all_n: int              # (d) detections over the 20 classes
    rounds: dict = field(default_factory=dict)

    def label(self, n):
        return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (
            f"{n // 1000}k" if n % 1000 == 0 else str(n))


FULL = Sizes(mode="full", n_images=4952, core_n=100_000, big_n=1_000_000, big_reference=True,
             all_n=150_000,
             rounds=dict(detap=30, detap_big=10, detap_files=20, reference=5,
                         reference_slow=3, reference_big=1))
QUICK = Sizes(mode="quick", n_images=1000, core_n=20_000, big_n=200_000, big_reference=False,
              all_n=20_000,
              rounds=dict(detap=5, detap_big=3, detap_files=3, reference=2,
                          reference_slow=2, reference_big=1))


def pytest_report_header(config):
    s = FULL if _full(config) else QUICK
    return (f"detap bench mode: {s.mode} (n_images={s.n_images}, core={s.core_n}, "
            f"big={s.big_n}, all-classes={s.all_n}; reference at big size: "
            f"{'yes' if s.big_reference else 'no (full mode only)'})")


# ------------------------------------------------------------ machine info

def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def pytest_benchmark_update_machine_info(config, machine_info):
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    machine_info["detap_bench"] = {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "detap": detap.__version__,
        "git_commit": _git_commit(),
    }


def pytest_benchmark_update_json(config, benchmarks, output_json):
    s = FULL if _full(config) else QUICK
    output_json["detap_bench"] = {
        "mode": s.mode, "n_images": s.n_images, "core_n": s.core_n, "big_n": s.big_n,
        "big_reference": s.big_reference, "all_n": s.all_n, "rounds": s.rounds,
    }


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="session")
def sizes(request):
    return FULL if _full(request.config) else QUICK


@dataclass
class VocFiles:
    """A synthetic data set written in the py-faster-rcnn layout."""
    data: object
    root: str
    detpath: str
    annopath: str
    imagesetfile: str
    cachedir: str
    imagenames: list
    recs: dict          # the reference's parse_rec of every file: its warm pickle cache


def _write(data, root):
    detpath, annopath, imagesetfile = write_voc(data, str(root))
    imagenames, recs = reference_recs(annopath, imagesetfile)
    cachedir = os.path.join(str(root), "cache")
    os.makedirs(cachedir, exist_ok=True)
    return VocFiles(data=data, root=str(root), detpath=detpath, annopath=annopath,
                    imagesetfile=imagesetfile, cachedir=cachedir, imagenames=imagenames,
                    recs=recs)


@pytest.fixture(scope="session")
def core_data(sizes):
    """(a), (c): one class, ``sizes.core_n`` detections."""
    return make_voc_arrays(n_images=sizes.n_images, classes=("car",), n_det=sizes.core_n, seed=1)


@pytest.fixture(scope="session")
def core_recs(core_data):
    return recs_from_arrays(core_data)


@pytest.fixture(scope="session")
def big_data(sizes):
    """(b): one class, ``sizes.big_n`` detections over the same kind of image set."""
    return make_voc_arrays(n_images=sizes.n_images, classes=("car",), n_det=sizes.big_n, seed=2)


@pytest.fixture(scope="session")
def big_recs(big_data):
    return recs_from_arrays(big_data)


@pytest.fixture(scope="session")
def core_files(core_data, core_recs, tmp_path_factory):
    """(c): the data of (a), written to files."""
    files = _write(core_data, tmp_path_factory.mktemp("voc_core"))
    # the in-memory inputs of (a) are what the reference reads from these files
    assert files.recs == core_recs
    return files


def detector_boxes(data, seed):
    """``data`` with every detection corner moved by a seeded sub-pixel
    offset (uniform in [-0.5, 0.5) px).  synth draws integer corners, but a
    detector's float32 boxes are not integral, and the float32 repr of an
    integer is as short as today's numbers ("123.0")."""
    rng = np.random.default_rng(seed)
    boxes = data.det_boxes + rng.uniform(-0.5, 0.5, data.det_boxes.shape)
    return dataclasses.replace(data, det_boxes=boxes)


def write_voc_dets(data, files, numbers, directory):
    """Det files of ``data`` (one per class, numbers as ``numbers``) in
    ``directory``, next to the annotations and image set of ``files`` (the
    same GT: no XML to write or parse again); returns VocFiles of them."""
    os.makedirs(directory, exist_ok=True)
    imageset = os.path.splitext(os.path.basename(files.imagesetfile))[0]
    for c, cname in enumerate(data.classes):
        sel = np.flatnonzero(data.det_cls == c)
        with open(os.path.join(directory, f"det_{imageset}_{cname}.txt"), "w") as f:
            f.write(voc_det_text(data.names, data.det_img[sel], data.det_scores[sel],
                                 data.det_boxes[sel], numbers))
    return dataclasses.replace(files, data=data,
                               detpath=os.path.join(directory, f"det_{imageset}_{{}}.txt"))


@pytest.fixture(scope="session")
def core_files_f32(core_data, core_files, tmp_path_factory):
    """(c) with float32-repr det files: the detections of (a), sub-pixel
    corners (``detector_boxes``), every number as ``repr`` of its float32
    value (``bench/number_formats.py``); the GT files of ``core_files``."""
    return write_voc_dets(detector_boxes(core_data, seed=11), core_files, "float32",
                          str(tmp_path_factory.mktemp("voc_core_f32")))


@pytest.fixture(scope="session")
def all_files(sizes, tmp_path_factory):
    """(d): 20 VOC classes, ``sizes.all_n`` detections in total."""
    data = make_voc_arrays(n_images=sizes.n_images, classes=VOC_CLASSES, n_det=sizes.all_n, seed=3)
    return _write(data, tmp_path_factory.mktemp("voc_all"))


class Outputs:
    """Outputs shared between the benchmarks of a scenario, so that each
    benchmark checks its answer against the other implementation without
    re-running the slow reference."""

    def __init__(self):
        self._store = {}

    def put(self, key, value):
        self._store[key] = value

    def get(self, key, compute):
        if key not in self._store:
            self._store[key] = compute()
        return self._store[key]


@pytest.fixture(scope="session")
def outputs():
    return Outputs()


class Pairs:
    """Puts reference/detap median ratios into ``benchmark.extra_info``.

    Roles: "detap", "detap-<variant>", "reference", "reference-<variant>".
    Every reference role gets ``ratio_vs_detap`` (its median over the
    "detap" median of the same group); "detap" gets ``speedup_vs_<role>``.
    The dicts are the ones pytest-benchmark writes to its JSON at the end of
    the session, so ratios found later still land there.
    """

    def __init__(self):
        self.groups = defaultdict(dict)

    def record(self, benchmark, role, **info):
        benchmark.extra_info.update(info)
        benchmark.extra_info["role"] = role
        stats = getattr(benchmark, "stats", None)
        if stats is None:  # --benchmark-disable: nothing was timed
            return
        group = self.groups[benchmark.group]
        group[role] = benchmark
        det = group.get("detap")
        if det is None:
            return
        dmed = det.stats.stats.median
        for r, b in group.items():
            if r.startswith("reference") and dmed > 0:
                ratio = b.stats.stats.median / dmed
                b.extra_info["ratio_vs_detap"] = round(ratio, 2)
                det.extra_info[f"speedup_vs_{r}"] = round(ratio, 2)


@pytest.fixture(scope="session")
def pairs():
    return Pairs()


# ------------------------------------------------- COCO (test_bench_coco.py)
# The presets are parametrized as ``coco_preset`` by
# bench/test_bench_coco.py's pytest_generate_tests: coco_rivals.PRESET_NAMES
# of the mode (quick: small, small-f32, segm-small, keypoints-small; full:
# coco, coco-f32, objects365, segm, keypoints, big), or those given with
# --coco-presets.

@pytest.fixture(scope="session")
def coco_written():
    """{preset: CocoFiles}: each preset is written once per session."""
    return {}


@pytest.fixture(scope="session")
def coco_data_dir(tmp_path_factory):
    """Where the presets are written: DETAP_BENCH_DATA (kept across runs) or
    ``<tmp>/coco_data`` (this session only)."""
    from .coco_rivals import data_root
    return data_root(None) or str(tmp_path_factory.mktemp("coco_data"))


@pytest.fixture
def coco_files(coco_preset, coco_written, coco_data_dir, tmp_path_factory):
    """The preset drawn and written once (``coco_rivals.cached_preset``)
    under ``coco_data_dir``; the run's own outputs (eval arrays) go to
    ``<tmp>/coco_<preset>``."""
    from .coco_rivals import cached_preset
    if coco_preset not in coco_written:
        files = cached_preset(coco_preset, coco_data_dir)
        files.work_dir = str(tmp_path_factory.mktemp(f"coco_{coco_preset}"))
        coco_written[coco_preset] = files
    return coco_written[coco_preset]


class CocoPairs:
    """Speed-ups over hotcoco in ``benchmark.extra_info``.

    Timed groups (coco-evalacc-*, coco-pipeline-*): every variant gets
    ``speedup_vs_hotcoco`` (hotcoco's median over its median; > 1 means
    faster than hotcoco) and ``ratio_vs_detap`` (its median over detap's).
    Fresh-process groups (coco-fresh-*): from the child's stage medians,
    ``speedup_vs_hotcoco_<eval_acc|pipeline>`` and the same against
    ``hotcoco-t1``, and ``peak_vs_hotcoco`` (peak RSS ratio; <= 1 means
    no more memory than hotcoco).
    """

    def __init__(self):
        self.groups = defaultdict(dict)

    def record(self, benchmark, role, **info):
        benchmark.extra_info.update(info)
        benchmark.extra_info["role"] = role
        if getattr(benchmark, "stats", None) is None:  # --benchmark-disable
            return
        group = self.groups[benchmark.group]
        group[role] = benchmark
        if benchmark.group.startswith("coco-fresh"):
            self._fresh(group)
        else:
            self._timed(group)

    @staticmethod
    def _timed(group):
        hot, det = group.get("hotcoco"), group.get("detap")
        for role, b in group.items():
            med = b.stats.stats.median
            if hot is not None and med > 0:
                b.extra_info["speedup_vs_hotcoco"] = round(hot.stats.stats.median / med, 3)
            if det is not None and role != "detap" and det.stats.stats.median > 0:
                b.extra_info["ratio_vs_detap"] = round(med / det.stats.stats.median, 3)

    @staticmethod
    def _fresh(group):
        for role, b in group.items():
            m = b.extra_info.get("median")
            if not m:
                continue
            for ref in ("hotcoco", "hotcoco-t1"):
                h = group.get(ref)
                hm = h.extra_info.get("median") if h is not None else None
                if not hm:
                    continue
                for k in ("eval_acc", "pipeline"):
                    if m.get(k):
                        b.extra_info[f"speedup_vs_{ref}_{k}"] = round(hm[k] / m[k], 3)
                if ref == "hotcoco" and h.extra_info.get("peak_mib") and b.extra_info.get("peak_mib"):
                    b.extra_info["peak_vs_hotcoco"] = round(
                        b.extra_info["peak_mib"] / h.extra_info["peak_mib"], 3)


@pytest.fixture(scope="session")
def coco_pairs():
    return CocoPairs()
