"""Builds and runs tests/fuzz/reader_harness.c: detap's C readers compiled
with AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer.

    python tests/fuzz/build.py [--prefixes N] FILE_OR_DIR...

builds the harness (or takes it from the cache) and runs it on the inputs.
From the tests: ``harness()`` gives the built ``Harness`` or calls
pytest.skip with the reason (no C or C++ compiler, no sanitizer runtime, a
sanitizer that cannot run here).

The binary is cached in $DETAP_FUZZ_CACHE, else ~/.cache/detap-fuzz (else
a temporary directory), under a name that hashes the sources, the flags and
the compilers' versions, so a changed reader is rebuilt.  The compilers are
$CC / $CXX, else gcc / g++ (cc / c++).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc"
HARNESS = Path(__file__).with_name("reader_harness.c")
# the reader sources the harness links: add a file here when a reader
# entry point moves into one of its own
C_SOURCES = ["parse.c", "cocojson.c", "ann_cols.c", "results_stream.c", "labeltxt.c"]
CXX_SOURCES = ["numparse.cpp"]

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1",
            "-fno-omit-frame-pointer", "-ffp-contract=off", "-pthread"]
# DETAP_MIN_PIECE=1: the streamed reader cuts even these small inputs into
# pieces, so its guessed record starts and their check are fuzzed too
C_FLAGS = ["-std=c99", "-Wall", "-Wno-unused-function", "-DDETAP_MIN_PIECE=1"]
CXX_FLAGS = ["-std=c++17", "-fno-exceptions", "-fno-rtti"]

# exit codes: sanitizer reports get their own, so that a harness check
# failure (1) and a usage error (2) are told apart from them
ASAN_EXIT, UBSAN_EXIT = 86, 87
ENV = {
    "ASAN_OPTIONS": f"detect_leaks=1:halt_on_error=1:exitcode={ASAN_EXIT}:"
                    "detect_stack_use_after_return=1:strict_string_checks=1:"
                    "allocator_may_return_null=1:quarantine_size_mb=16:symbolize=1",
    "UBSAN_OPTIONS": f"halt_on_error=1:print_stacktrace=1:exitcode={UBSAN_EXIT}",
    "LSAN_OPTIONS": f"exitcode={ASAN_EXIT}",
}

# A probe of the toolchain and of the sanitizers at run time: a read one
# byte past an exact heap block must be reported, and so must a leak.
PROBE = r"""
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    size_t n = strlen(argv[0]) % 7 + 5;
    char *p = malloc(n);
    memset(p, 'x', n);
    volatile char c = 0;
    if (argc > 1 && argv[1][0] == 'o') c = p[n];     /* overflow */
    if (argc > 1 && argv[1][0] == 'l') p = malloc(8); /* leak */
    else free(p);
    return c == 'y';
}
"""


class Unavailable(Exception):
    """The harness cannot be built or cannot run here (the reason)."""


@dataclass
class Harness:
    path: Path

    def run(self, inputs, prefixes=None, timeout=600):
        """Runs the harness on files and directories: a CompletedProcess
        (text) with the sanitizer environment."""
        args = [str(self.path)]
        if prefixes is not None:
            args += ["--prefixes", str(prefixes)]
        return subprocess.run(args + [str(p) for p in inputs], capture_output=True, text=True,
                              errors="replace", env={**os.environ, **ENV}, timeout=timeout)


def _compilers():
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    cxx = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if not cc or not cxx:
        raise Unavailable("needs a C and a C++ compiler (gcc and g++, or $CC and $CXX)")
    return cc, cxx


def _version(compiler):
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        raise Unavailable(f"cannot run {compiler}: {e}") from None
    return out.stdout.splitlines()[0] if out.stdout else compiler


def _cache_dir():
    where = os.environ.get("DETAP_FUZZ_CACHE")
    candidates = [Path(where)] if where else []
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates += [Path(xdg) / "detap-fuzz",
                   Path(tempfile.gettempdir()) / f"detap-fuzz-{os.getuid()}"]
    for d in candidates:
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    raise Unavailable("no writable cache directory for the harness")


def _key(cc, cxx):
    h = hashlib.sha256()
    for p in [HARNESS, *sorted(q for q in CSRC.rglob("*") if q.is_file())]:
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(json.dumps([SANITIZE, C_FLAGS, CXX_FLAGS, C_SOURCES, CXX_SOURCES, _version(cc),
                         _version(cxx)]).encode())
    return h.hexdigest()[:20]


def _compile(args, what):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=900)
    except OSError as e:
        raise Unavailable(f"cannot run the compiler for {what}: {e}") from None
    if r.returncode:
        raise subprocess.CalledProcessError(r.returncode, args, r.stdout, r.stderr)


def _probe(cc, tmp):
    """Raises Unavailable unless a sanitized program builds, runs, and has
    its heap overflow and its leak reported."""
    src = tmp / "probe.c"
    src.write_text(PROBE)
    exe = tmp / "probe"
    try:
        _compile([cc, *SANITIZE, str(src), "-o", str(exe)], "the probe")
    except subprocess.CalledProcessError as e:
        last = (e.stderr or "").strip().splitlines()[-1:] or ["?"]
        raise Unavailable(f"{cc} cannot build with -fsanitize=address,undefined (no libasan/"
                          f"libubsan?): {last[0]}") from None
    env = {**os.environ, **ENV}
    runs = {arg: subprocess.run([str(exe), arg], capture_output=True, text=True, env=env,
                                timeout=120) for arg in ("clean", "overflow", "leak")}
    if runs["clean"].returncode != 0:
        raise Unavailable("a sanitized program does not run here: "
                          + (runs["clean"].stderr.strip().splitlines() or ["?"])[0])
    if runs["overflow"].returncode != ASAN_EXIT or "heap-buffer-overflow" not in runs["overflow"].stderr:
        raise Unavailable("AddressSanitizer does not report a heap overflow here")
    if runs["leak"].returncode != ASAN_EXIT or "detected memory leaks" not in runs["leak"].stderr:
        raise Unavailable("LeakSanitizer does not work here (under ptrace or without "
                          "/proc?): " + (runs["leak"].stderr.strip().splitlines() or ["?"])[-1])


def build():
    """The built Harness (from the cache when the sources are unchanged);
    raises Unavailable with the reason when it cannot be built or run."""
    cc, cxx = _compilers()
    cache = _cache_dir()
    exe = cache / f"reader_harness-{_key(cc, cxx)}"
    if exe.is_file() and os.access(exe, os.X_OK):
        return Harness(exe)
    with tempfile.TemporaryDirectory(dir=cache) as t:
        tmp = Path(t)
        _probe(cc, tmp)
        objs = []
        inc = ["-I", str(CSRC)]
        try:
            for name in [HARNESS, *(CSRC / s for s in C_SOURCES)]:
                objs.append(tmp / (Path(name).stem + ".o"))
                _compile([cc, *C_FLAGS, *SANITIZE, *inc, "-c", str(name), "-o", str(objs[-1])],
                         Path(name).name)
            for name in CXX_SOURCES:
                objs.append(tmp / (Path(name).stem + ".o"))
                _compile([cxx, *CXX_FLAGS, *SANITIZE, *inc, "-c", str(CSRC / name), "-o",
                          str(objs[-1])], name)
            _compile([cxx, *SANITIZE, *map(str, objs), "-o", str(tmp / "harness"), "-lm"], "linking")
        except subprocess.CalledProcessError as e:
            # the probe built: this is a real build error, not a missing tool
            raise RuntimeError(f"building the reader harness failed:\n{' '.join(e.cmd)}\n"
                               f"{e.stderr}") from None
        os.replace(tmp / "harness", exe)
    return Harness(exe)


def harness():
    """The built Harness, or pytest.skip with the reason."""
    import pytest
    try:
        return build()
    except Unavailable as e:
        pytest.skip(f"reader sanitizer harness unavailable: {e}")


def main(argv):
    try:
        h = build()
    except Unavailable as e:
        print(f"unavailable: {e}", file=sys.stderr)
        return 3
    prefixes = None
    if argv[:1] == ["--prefixes"]:
        prefixes, argv = int(argv[1]), argv[2:]
    if not argv:
        print(h.path)
        return 0
    r = h.run(argv, prefixes)
    sys.stdout.write(r.stdout[-2000:])
    sys.stderr.write(r.stderr)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
