"""The one thread-count policy of every detap entry point.

Every API that takes ``threads`` passes it through :func:`nthreads` before it
reaches a C kernel: None or 0 means all cores (OpenMP's default team), a
positive number caps the team, a negative one is an error.  Results never
depend on the thread count (the kernels split work by image, cell or
category, never a floating-point sum).
"""
from . import _core
from .errors import DetapInputError

__all__ = ["nthreads", "team"]


def nthreads(threads):
    """The C kernels' thread count from a user's ``threads``: 0 means all cores."""
    if threads is None:
        return 0
    try:
        n = int(threads)
    except (TypeError, ValueError):
        raise DetapInputError(f"threads must be a whole number, got {threads!r}") from None
    if (isinstance(threads, float) and n != threads) or n < 0:
        raise DetapInputError(f"threads must be >= 0 (0 or None: all cores), got {threads!r}")
    return n


def team(threads=None):
    """How many threads the parallel loops run on for a user's ``threads``
    (None or 0: every core OpenMP sees, which OMP_NUM_THREADS can cap; 1 in
    a build without OpenMP)."""
    return _core.team(nthreads(threads))
