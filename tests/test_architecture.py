"""The layout rules of the code base, enforced.

- no module imports another module's private (``_``) names, nor reaches
  into one through a module it imported (the C extensions are the private
  modules that may be imported: ``_core`` by any module, ``_mask`` only by
  ``detap.mask``, whose kernels they are, and by ``detap.coco.compat``,
  which re-exports it as ``pycocotools._mask``);
- each C entry point of ``detap._core`` has exactly one calling module in
  the package, the module that owns that stage;
- no module is over 700 lines (Python, Cython and C);
- (every C header guarded as a whole: tests/test_csrc_headers.py).

``DETAP_ARCH_ROOT`` points the checks at another checkout (used to see them
fail on a tree that breaks the rules).
"""
import ast
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("DETAP_ARCH_ROOT", Path(__file__).resolve().parents[1]))
PKG = ROOT / "detap"
MAX_LINES = 700


def modules():
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(path, node):
    """The absolute module an ImportFrom names, or None outside detap."""
    if node.level == 0:
        return node.module if (node.module or "").split(".")[0] == "detap" else None
    base = _module_name(path).split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


EXTENSIONS = {"_core", "_mask"}
MASK_IMPORTERS = {"detap/mask.py", "detap/coco/compat.py"}


def _private(name):
    return name.startswith("_") and not name.startswith("__") and name not in EXTENSIONS


def private_imports(path):
    """(line, text) of every use of another module's private name."""
    tree = ast.parse(path.read_text(), str(path))
    me = _module_name(path)
    bad, module_aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _resolve(path, node)
            if target is None:
                continue
            for a in node.names:
                full = f"{target}.{a.name}"
                is_module = (ROOT / Path(*full.split("."))).with_suffix(".py").exists() or \
                    (ROOT / Path(*full.split("."))).is_dir()
                if is_module:
                    module_aliases.add(a.asname or a.name)
                    if any(_private(part) for part in full.split(".")[1:]):
                        bad.append((node.lineno, f"imports private module {full}"))
                elif _private(a.name) and target != me:
                    bad.append((node.lineno, f"imports {a.name} from {target}"))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "detap":
                    module_aliases.add(a.asname or a.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases and _private(node.attr)):
            bad.append((node.lineno, f"uses {node.value.id}.{node.attr}"))
    return bad


def test_no_module_imports_private_names():
    bad = [f"{p.relative_to(ROOT)}:{line}: {what}" for p in modules()
           for line, what in private_imports(p)]
    assert not bad, "\n".join(bad)


def imports_mask_extension(path):
    """Whether a module imports detap._mask (in any spelling)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and _resolve(path, node) is not None:
            target = _resolve(path, node)
            if target == "detap._mask" or any(f"{target}.{a.name}" == "detap._mask"
                                              for a in node.names):
                return True
        elif isinstance(node, ast.Import) and any(a.name == "detap._mask" for a in node.names):
            return True
    return False


def test_only_the_mask_module_imports_mask_extension():
    importers = {str(p.relative_to(ROOT)) for p in modules() if imports_mask_extension(p)}
    assert importers <= MASK_IMPORTERS, f"detap._mask imported by {sorted(importers - MASK_IMPORTERS)}"
    assert "detap/mask.py" in importers


def core_entry_points():
    text = (PKG / "_core.pyx").read_text()
    for pxi in PKG.glob("*.pxi"):
        text += pxi.read_text()
    return sorted(set(re.findall(r"^def ([a-z][a-z0-9_]*)\(", text, re.M)) |
                  set(re.findall(r"^cdef class ([A-Za-z][A-Za-z0-9_]*)", text, re.M)))


def test_each_c_stage_has_one_calling_module():
    callers = defaultdict(set)
    for p in modules():
        for name in re.findall(r"\b_core\.([A-Za-z][A-Za-z0-9_]*)\s*\(", p.read_text()):
            callers[name].add(str(p.relative_to(ROOT)))
    entry = core_entry_points()
    assert entry, "no entry points found in _core.pyx"
    several = {n: sorted(callers[n]) for n in entry if len(callers[n]) > 1}
    assert not several, f"C entry points called from several modules: {several}"
    unused = [n for n in entry if not callers[n]]
    # kernels kept for tests and benchmarks only are listed here on purpose
    # (rle_from_spans: the decoded-counts reference the string form of
    # results' masks is tested against; quad_simd_level: which vector forms
    # of the polygon IoU tests/test_quad_paths.py can check; quad_marks: the
    # DOTA prefilter's scalar and vector forms, compared there; read_at: the
    # parallel pread of the results reader, alone)
    assert set(unused) <= {"pairwise_sum", "iou_matrix", "numpy_exp", "rle_from_spans",
                           "quad_simd_level", "quad_marks", "read_at"}, \
        f"C entry points no module calls: {unused}"


def test_no_module_is_too_long():
    files = modules() + sorted(PKG.glob("*.pyx")) + sorted(PKG.glob("*.pxi")) + \
        sorted((ROOT / "csrc").glob("*.[ch]"))
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("src,expect", [
    ("from .coco import _Columns\n", 1),
    ("from . import coco\nx = coco._lut\n", 1),
    ("from .coco import engine\nx = engine.evaluate\n", 0),
    ("from . import _core\nx = _core.match_images\n", 0),
])
def test_private_import_check_itself(tmp_path, src, expect):
    """The checker sees what it should (so the main test cannot pass by
    looking at nothing)."""
    pkg = tmp_path / "detap"
    (pkg / "coco").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "coco" / "__init__.py").write_text("")
    (pkg / "coco" / "engine.py").write_text("def evaluate(): pass\n")
    (pkg / "mod.py").write_text(src)
    global ROOT
    old, ROOT = ROOT, tmp_path
    try:
        assert len(private_imports(pkg / "mod.py")) == expect
    finally:
        ROOT = old


def test_cpp_is_the_number_converter_only():
    """One C++ file wraps fast_float behind numparse.h's C function; every
    other kernel is C."""
    cpp = sorted(p.name for p in (ROOT / "csrc").glob("*.cpp"))
    assert cpp == ["numparse.cpp"]
    assert (ROOT / "csrc" / "fast_float" / "LICENSE-MIT").is_file()


def test_core_extension_needs_no_cxx_runtime():
    """setup.py links detap._core with the C driver: the C++ in it
    (fast_float, compiled without exceptions and RTTI) must not call into
    libstdc++, or the extension would fail to load."""
    import shutil
    import subprocess
    from detap import _core
    nm = shutil.which("nm")
    if nm is None or not _core.__file__.endswith(".so"):
        pytest.skip("needs nm and an ELF extension")
    out = subprocess.run([nm, "-D", "--undefined-only", _core.__file__], capture_output=True,
                         text=True, check=True).stdout
    cxx = [line.split()[-1] for line in out.splitlines()
           if line.split()[-1].startswith(("_Z", "__cxa_throw", "__gxx"))]
    assert cxx == [], cxx
