"""Build of detap's extensions: the C kernels in csrc/ behind detap/_core.pyx,
and the mask kernels (csrc/mask.c, csrc/polygon.c) behind detap/_mask.pyx.

The kernels reproduce reference float64 arithmetic bit for bit, so the build
forbids floating-point contraction (FMA) and any fast-math mode.

One source is C++: csrc/numparse.cpp, the number converter, wraps the
vendored header-only fast_float (csrc/fast_float/) behind a C function.  It is
compiled as C++17 without exceptions or RTTI; it needs nothing from the C++
runtime library (tests/test_architecture.py checks the built extension), so
the extension stays a C one, linked by the C driver.

OpenMP is used when the compiler accepts it (probed by compiling a test
program); set DETAP_NO_OPENMP=1 to build without it.  Without OpenMP the
kernels run on one thread and give the same results.
"""
import os
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CSRC = sorted(str(p) for p in Path("csrc").glob("*.c"))
CXXSRC = sorted(str(p) for p in Path("csrc").glob("*.cpp"))
MASK_CSRC = ["csrc/mask.c", "csrc/polygon.c"]
HEADERS = sorted(str(p) for p in Path("csrc").rglob("*.h"))


OPENMP_PROBE = """
#include <omp.h>
int main(void) {
    int n = 0;
#pragma omp parallel reduction(+:n)
    n += 1;
    return n > 0 ? 0 : 1;
}
"""


def _openmp_flags(compiler):
    """(compile, link) flags for OpenMP, or None when it does not build."""
    if os.environ.get("DETAP_NO_OPENMP"):
        return None
    flags = (["/openmp"], []) if compiler.compiler_type == "msvc" else (["-fopenmp"], ["-fopenmp"])
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(OPENMP_PROBE)
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags[0])
            compiler.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags[1])
        except Exception:
            return None
    return flags


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            args, link = ["/O2", "/fp:precise"], []
        else:
            args, link = ["-O3", "-std=c99", "-ffp-contract=off", "-fno-fast-math"], []
        omp = _openmp_flags(self.compiler)
        if omp:
            args, link = args + omp[0], link + omp[1]
        print(f"detap: building with{'' if omp else 'out'} OpenMP")
        for ext in self.extensions:
            ext.extra_compile_args = args
            ext.extra_link_args = link
        if self.compiler.compiler_type != "msvc":
            self._cxx_flags_for_cpp()
        super().build_extensions()

    def _cxx_flags_for_cpp(self):
        """Compile .cpp sources with C++ flags: the extension's flags are
        C's (-std=c99), which g++ and clang++ warn about or refuse."""
        compile_one = self.compiler._compile

        def _compile(obj, src, ext, cc_args, extra_postargs, pp_opts):
            if src.endswith(".cpp"):
                extra_postargs = [a for a in extra_postargs if not a.startswith("-std=")]
                extra_postargs += ["-std=c++17", "-fno-exceptions", "-fno-rtti"]
            return compile_one(obj, src, ext, cc_args, extra_postargs, pp_opts)

        self.compiler._compile = _compile


def extensions():
    import numpy
    from Cython.Build import cythonize

    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    # (depends: a header edited rebuilds the extension; setuptools sees only sources)
    core = Extension("detap._core", sources=["detap/_core.pyx", *CSRC, *CXXSRC],
                     include_dirs=["csrc", numpy.get_include()], define_macros=macros,
                     depends=HEADERS)
    # pycocotools._mask's API: needs only the mask kernels
    mask = Extension("detap._mask", sources=["detap/_mask.pyx", *MASK_CSRC],
                     include_dirs=["csrc"], define_macros=macros, depends=HEADERS)
    return cythonize([core, mask], compiler_directives={"language_level": "3"})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
