"""What every detap figure shares: matplotlib loading, the fixed style,
figure creation without pyplot, atomic PNG saving, and text helpers.

Sizes are inches at ``DPI`` (100), so a figure of (w, h) inches is a PNG of
(100 w, 100 h) pixels.  Only ``png_file_size`` and ``classes_union`` work
without matplotlib.
"""
import contextlib
import functools
import io
import warnings

import numpy as np

__all__ = ["MISSING_MESSAGE", "DPI", "require_mpl", "style", "new_figure", "save", "arr",
           "mpl_text", "pct", "header", "png_file_size", "classes_union"]

MISSING_MESSAGE = ("plots skipped: matplotlib is not installed "
                   "(install the plot extra: pip install 'detap[plot]')")
DPI = 100
LABEL_CHARS = 28

# Fonts tried after DejaVu Sans for glyphs it lacks (CJK class names are common);
# only installed ones are used, so matplotlib never logs "font not found".
_FALLBACK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC",
                   "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                   "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB",
                   "Arial Unicode MS", "Noto Sans")


def require_mpl():
    """The matplotlib module; ImportError with ``MISSING_MESSAGE`` without it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
        import matplotlib.backends.backend_agg  # noqa: F401
    except ImportError as e:
        raise ImportError(MISSING_MESSAGE) from e
    return matplotlib


@functools.lru_cache(maxsize=1)
def _font_family():
    from matplotlib import font_manager
    have = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans"] + [f for f in _FALLBACK_FONTS if f in have]


@contextlib.contextmanager
def style():
    """Render under matplotlib's defaults, whatever the user's matplotlibrc
    says (a ``savefig.bbox: tight`` or ``text.usetex`` there would change the
    PNG size or choke on class names)."""
    mpl = require_mpl()
    with warnings.catch_warnings(), mpl.rc_context():
        # a missing glyph is drawn as a box; a warning per class name is noise
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        warnings.filterwarnings("ignore", message=r".*constrained_layout not applied.*")
        mpl.rcdefaults()
        mpl.rcParams.update({"font.size": 9, "axes.titlesize": 11, "legend.fontsize": 8,
                             "font.family": _font_family()})
        yield


def new_figure(size):
    """A constrained-layout figure of ``size`` (w, h) inches at ``DPI``."""
    # No pyplot: the figure never joins pyplot's global registry, so nothing
    # needs closing and the user's interactive backend is left alone; Agg is
    # attached explicitly, so rendering works headless.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig, path):
    """The figure as a PNG at ``path`` (atomically); returns str(path)."""
    from .atomic import atomic_write
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    fig.clear()
    atomic_write(path, buf.getvalue())
    return str(path)


def arr(a):
    """``a`` (None: empty) as a flat float64 array."""
    return np.asarray([] if a is None else a, dtype=np.float64).ravel()


def mpl_text(text, limit=LABEL_CHARS):
    """Class name as matplotlib text: whitespace runs made one space, cut to
    ``limit`` characters with "…" (0: no limit), '$' escaped (it would
    start mathtext)."""
    text = " ".join(str(text).split())
    if limit and len(text) > limit:
        text = text[:limit - 1] + "…"
    return text.replace("$", r"\$")


def pct(x):
    """A fraction as "12.34%", "n/a" when not finite."""
    x = float(x)
    return f"{100 * x:.2f}%" if np.isfinite(x) else "n/a"


def header(result):
    """"protocol, IoU t, mAP m" of an EvalResult, for figure titles."""
    return f"{result.protocol_label}, IoU {float(result.iou):g}, mAP {pct(result.map)}"


def png_file_size(path):
    """(width, height) in pixels of the PNG file at ``path`` (its IHDR chunk)."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG file")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def classes_union(results):
    """Class names of several results, each once, in order of first appearance."""
    seen, have = [], set()
    for r in results:
        for c in r.classes:
            if c not in have:
                have.add(c)
                seen.append(c)
    return seen
