"""Running pycocotools' mask functions and detap's side by side (shared by
tests/test_mask*.py): outcome comparison and hypothesis strategies."""
import numpy as np
from hypothesis import strategies as st
from pycocotools import _mask as ref_mask
from pycocotools import mask as ref_api

from detap import _mask as our_mask
from detap import mask as our_api
from tests.conftest import assert_same_array

__all__ = ["ref_mask", "ref_api", "our_mask", "our_api", "outcome", "assert_same_outcome",
           "masks", "random_masks", "rles_of", "polygons", "coords", "boxes", "uncompressed"]


def outcome(fn, *args, **kwargs):
    """('ok', value) or ('raise', exception type)."""
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return "raise", type(e)


def assert_same_value(got, ref, what="value"):
    """Arrays: dtype, shape and bits; lists / dicts / scalars: == and type."""
    if isinstance(ref, np.ndarray):
        assert isinstance(got, np.ndarray), f"{what}: {type(got)} is not an ndarray"
        assert_same_array(got, ref, what)
        assert got.flags.f_contiguous == ref.flags.f_contiguous, f"{what}: memory order"
    else:
        assert type(got) is type(ref), f"{what}: {type(got)} != {type(ref)}"
        assert got == ref, f"{what}:\ngot {got!r}\nref {ref!r}"


def assert_same_outcome(name, *args, **kwargs):
    """The same function of both modules (``name`` in _mask, or
    ``api.name`` in mask) returns equal values or raises the same type (or a
    subclass of it)."""
    api = name.startswith("api.")
    attr = name[4:] if api else name
    ref = outcome(getattr(ref_api if api else ref_mask, attr), *args, **kwargs)
    got = outcome(getattr(our_api if api else our_mask, attr), *args, **kwargs)
    if ref[0] == "raise":
        assert got[0] == "raise", f"{name}: pycocotools raises {ref[1].__name__}, detap returns"
        assert issubclass(got[1], ref[1]), f"{name}: raises {got[1]} instead of {ref[1]}"
    else:
        assert got[0] == "ok", f"{name}: detap raises {got[1]}, pycocotools returns {ref[1]!r}"
        assert_same_value(got[1], ref[1], name)
    return got


# ===================================================================== masks

SHAPES = st.one_of(st.tuples(st.integers(0, 12), st.integers(0, 12)),
                   st.sampled_from([(1, 1), (1, 40), (40, 1), (2, 33), (31, 3), (0, 5), (5, 0)]))


def random_masks(h, w, n, kind, density, seed):
    """An (h, w, n) Fortran-order uint8 stack of one kind of pattern."""
    rng = np.random.default_rng(seed)
    if kind == "zeros":
        m = np.zeros((h, w, n), np.uint8)
    elif kind == "ones":
        m = np.ones((h, w, n), np.uint8)
    elif kind == "border":  # 1s along the image border, random inside
        m = (rng.random((h, w, n)) < density).astype(np.uint8)
        if h and w:
            m[0], m[-1], m[:, 0], m[:, -1] = 1, 1, 1, 1
    elif kind == "blob":  # a rectangle, the common shape
        m = np.zeros((h, w, n), np.uint8)
        for i in range(n):
            y0, x0 = rng.integers(0, h + 1), rng.integers(0, w + 1)
            m[y0:rng.integers(y0, h + 1), x0:rng.integers(x0, w + 1), i] = 1
    else:
        m = (rng.random((h, w, n)) < density).astype(np.uint8)
    return np.asfortranarray(m)


@st.composite
def masks(draw, n=st.integers(1, 4), shapes=SHAPES):
    h, w = draw(shapes)
    kind = draw(st.sampled_from(["random", "zeros", "ones", "border", "blob"]))
    return random_masks(h, w, draw(n), kind, draw(st.floats(0, 1)), draw(st.integers(0, 2**32)))


def rles_of(mask):
    return ref_mask.encode(mask)


# ================================================================== polygons


def _near_grid(t):
    """Values where pycocotools' rounding of 5 x + .5 (or of a fine point)
    changes: multiples of 0.1 and 0.2, and the points just beside them."""
    k, nudge = t
    return k / 10 + nudge


coords = st.one_of(
    st.floats(-15, 75, allow_nan=False),
    st.integers(-15, 75).map(float),
    st.tuples(st.integers(-150, 750), st.sampled_from([0., 1e-9, -1e-9, 1e-15, -1e-15]))
    .map(_near_grid),
    st.floats(-1e5, 1e5, allow_nan=False),  # far outside, long outlines
)


@st.composite
def polygons(draw, max_parts=3, max_points=9, coord=coords):
    """A list of polygon parts [x0, y0, ...], each of >= 3 points (frPyObjects
    treats a part of 4 numbers as a box), with repeated, collinear and
    axis-aligned points mixed in."""
    parts = []
    for _ in range(draw(st.integers(1, max_parts))):
        k = draw(st.integers(3, max_points))
        pts = [[draw(coord), draw(coord)] for _ in range(k)]
        shape = draw(st.sampled_from(["free", "repeat", "collinear", "axis"]))
        if shape == "repeat":
            i = draw(st.integers(0, k - 2))
            pts[i + 1] = list(pts[i])
        elif shape == "collinear":
            (x0, y0), (x1, y1) = pts[0], pts[1]
            t = draw(st.floats(-1, 2))
            pts[2] = [x0 + t * (x1 - x0), y0 + t * (y1 - y0)]
        elif shape == "axis":
            for i in range(1, k, 2):
                pts[i][0] = pts[i - 1][0]
        parts.append([v for p in pts for v in p])
    return parts


box_coord = st.one_of(st.floats(-20, 60, allow_nan=False), st.integers(-20, 60).map(float),
                      st.integers(-100, 300).map(lambda k: k / 10 - 0.1),
                      st.floats(-1e5, 1e5, allow_nan=False))
boxes = st.lists(st.tuples(box_coord, box_coord, box_coord, box_coord), min_size=0, max_size=6)


@st.composite
def uncompressed(draw, h=None, w=None, exact=True):
    """An uncompressed RLE dict; its counts add up to h * w when exact."""
    h = draw(st.integers(0, 9)) if h is None else h
    w = draw(st.integers(0, 9)) if w is None else w
    if not exact:
        return {"size": [h, w], "counts": draw(st.lists(st.integers(0, 12), max_size=12))}
    cuts = sorted(draw(st.lists(st.integers(0, h * w), max_size=10)))
    ends = [0] + cuts + [h * w]
    return {"size": [h, w], "counts": [b - a for a, b in zip(ends, ends[1:])]}
