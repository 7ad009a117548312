"""Build of detap's extension: the C kernels in csrc/ behind detap/_core.pyx.

The kernels reproduce reference float64 arithmetic bit for bit, so the build
forbids floating-point contraction (FMA) and any fast-math mode.
"""
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CSRC = sorted(str(p) for p in Path("csrc").glob("*.c"))


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            args = ["/O2", "/fp:precise"]
        else:
            args = ["-O3", "-std=c99", "-ffp-contract=off", "-fno-fast-math"]
        for ext in self.extensions:
            ext.extra_compile_args = args
        super().build_extensions()


def extensions():
    from Cython.Build import cythonize

    ext = Extension(
        "detap._core",
        sources=["detap/_core.pyx", *CSRC],
        include_dirs=["csrc"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    return cythonize([ext], compiler_directives={"language_level": "3"})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
