"""Shared helpers for detap's exactness tests.

Everything here is independent of detap: file writers for hand-made VOC data
sets, comparison helpers that implement the suite's notion of exactness
(bit equality, NaN only where the reference has NaN, same type of ``ap``),
and hypothesis strategies for small, tie- and overlap-heavy data sets.

The tests import these with ``from tests.conftest import ...`` (``tests`` is
a package, so this is the same module object pytest loads as conftest).
"""
import copy
import math
import os
from pathlib import Path
import warnings

import numpy as np
from hypothesis import strategies as st

from tests import reference_voc

# --------------------------------------------------------------- comparisons


def same_float(got, ref):
    """True when two scalars are the same float64 bit for bit, except that any
    NaN equals any NaN (only when the reference itself is NaN)."""
    g, r = float(got), float(ref)
    if math.isnan(r):
        return math.isnan(g)
    return g == r and math.copysign(1.0, g) == math.copysign(1.0, r)


def assert_same_float(got, ref, what="value"):
    assert same_float(got, ref), f"{what}: got {got!r}, reference {ref!r}"


def assert_same_array(got, ref, what="array"):
    """Same dtype, same shape, np.array_equal (NaN allowed only where the
    reference itself holds NaN)."""
    got = np.asarray(got)
    ref = np.asarray(ref)
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype} != reference {ref.dtype}"
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != reference {ref.shape}"
    nan_ok = bool(ref.dtype.kind == "f" and np.isnan(ref).any())
    assert np.array_equal(got, ref, equal_nan=nan_ok), (
        f"{what} differs at {np.flatnonzero(~_eq(got, ref, nan_ok))[:10].tolist()}:\n"
        f"got {got!r}\nref {ref!r}")
    if nan_ok:
        # NaN exactly where the reference has NaN
        assert np.array_equal(np.isnan(got), np.isnan(ref)), what


def _eq(a, b, nan_ok):
    e = a == b
    if nan_ok:
        e |= np.isnan(a) & np.isnan(b)
    return np.ravel(e)


def assert_same_voc(got, ref, ctx=""):
    """(rec, prec, ap) of detap.voc_eval against the reference's."""
    grec, gprec, gap = got
    rrec, rprec, rap = ref
    assert_same_array(grec, rrec, f"rec {ctx}")
    assert_same_array(gprec, rprec, f"prec {ctx}")
    assert type(gap) is type(rap), f"type(ap) {ctx}: {type(gap)} != reference {type(rap)}"
    assert_same_float(gap, rap, f"ap {ctx}")


def ref_quiet(fn, *args, **kwargs):
    """Call a reference function with numpy's 0/0 warnings silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


# ------------------------------------------------------------- file writers


def fmt_coord(v):
    """Coordinates as a VOC file writes them: ints as ints; strings as is."""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def xml_text(objects, omit=()):
    """A VOC annotation.  objects: dicts with name, bbox (4 values), and
    optional difficult (default 0), truncated (0), pose ('Unspecified').
    ``omit``: tags left out of every object (e.g. {'pose', 'truncated'})."""
    parts = ["<annotation>\n  <folder>VOC2007</folder>\n  <filename>x.jpg</filename>\n"
             "  <size><width>500</width><height>375</height><depth>3</depth></size>\n"]
    for o in objects:
        parts.append("  <object>\n")
        parts.append(f"    <name>{o['name']}</name>\n")
        if "pose" not in omit:
            parts.append(f"    <pose>{o.get('pose', 'Unspecified')}</pose>\n")
        if "truncated" not in omit:
            parts.append(f"    <truncated>{o.get('truncated', 0)}</truncated>\n")
        if "difficult" not in omit:
            parts.append(f"    <difficult>{int(o.get('difficult', 0))}</difficult>\n")
        b = [fmt_coord(v) for v in o["bbox"]]
        parts.append("    <bndbox>\n"
                     f"      <xmin>{b[0]}</xmin>\n      <ymin>{b[1]}</ymin>\n"
                     f"      <xmax>{b[2]}</xmax>\n      <ymax>{b[3]}</ymax>\n"
                     "    </bndbox>\n")
        parts.append("  </object>\n")
    parts.append("</annotation>\n")
    return "".join(parts)


def det_line(image, score, bbox):
    return f"{image} {score!r} " + " ".join(fmt_coord(v) for v in bbox)


def write_voc_files(root, annotations, dets, imageset=None, *, newline="\n",
                    det_template="det_{}.txt", anno_template="{}.xml", omit=()):
    """Write a hand-made VOC data set under ``root``.

    annotations  {image_id: [object dicts]} (see ``xml_text``)
    dets         {classname: list of det lines (str, or (image, score, bbox))
                  or one raw str/bytes written verbatim}
    imageset     image ids in image-set order (default: the annotation keys)
    newline      line terminator of the det files built from line lists

    Returns (detpath, annopath, imagesetfile) with the given templates.
    """
    ann_dir = os.path.join(root, "Annotations")
    det_dir = os.path.join(root, "results")
    os.makedirs(ann_dir, exist_ok=True)
    os.makedirs(det_dir, exist_ok=True)
    for name, objs in annotations.items():
        path = os.path.join(ann_dir, anno_template.format(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(xml_text(objs, omit))
    setfile = os.path.join(root, "imageset.txt")
    with open(setfile, "w") as f:
        f.write("".join(f"{n}\n" for n in (annotations if imageset is None else imageset)))
    for cls, content in dets.items():
        path = os.path.join(det_dir, det_template.format(cls))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, (bytes, str)):
            data = content.encode() if isinstance(content, str) else content
        else:
            lines = [x if isinstance(x, str) else det_line(*x) for x in content]
            data = "".join(line + newline for line in lines).encode()
        with open(path, "wb") as f:
            f.write(data)
    return (os.path.join(det_dir, det_template), os.path.join(ann_dir, anno_template), setfile)


def reference_recs(annopath, imagesetfile):
    """The reference voc_eval's (imagenames, recs), read as it reads them."""
    with open(imagesetfile, "r") as f:
        imagenames = [x.strip() for x in f.readlines()]
    recs = {n: reference_voc.parse_rec(annopath.format(n)) for n in imagenames}
    return imagenames, recs


# --------------------------------------------------------------- strategies

CLASSES = ("cat", "dog")
SCORES = (0.1, 0.5, 0.9)
# box extent along one axis under the +1 convention: mostly positive, with
# zero width (x2 == x1 - 1) and negative width (x2 < x1 - 1) sometimes
EXTENTS = (-2, -1, 0) + tuple(range(1, 21))


@st.composite
def int_box(draw, lo=0, hi=30):
    x1 = draw(st.integers(lo, hi))
    y1 = draw(st.integers(lo, hi))
    w = draw(st.sampled_from(EXTENTS))
    h = draw(st.sampled_from(EXTENTS))
    return [x1, y1, x1 + w - 1, y1 + h - 1]


@st.composite
def voc_dataset(draw, max_images=8, max_gt=6, max_det=40, classes=CLASSES):
    """A small data set with frequent overlaps and score ties.

    Returns dict(names, gt={name: [obj dicts]}, dets=[(img_idx, cls, score, bbox)])."""
    n = draw(st.integers(1, max_images))
    names = [f"im{i:02d}" for i in range(n)]
    gt = {}
    for name in names:
        objs = draw(st.lists(st.fixed_dictionaries({
            "name": st.sampled_from(classes),
            "bbox": int_box(),
            "difficult": st.integers(0, 1),
        }), max_size=max_gt))
        gt[name] = objs
    dets = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(classes),
                                   st.sampled_from(SCORES), int_box()), max_size=max_det))
    if dets:
        # exact duplicates (same image, class, score and box) at random places
        for i, j in draw(st.lists(st.tuples(st.integers(0, len(dets) - 1),
                                            st.integers(0, len(dets))), max_size=4)):
            dets.insert(j, dets[i])
    return dict(names=names, gt=gt, dets=dets)


# ------------------------------------------------------------- shared data

def peer_data_dir(marker="README.md"):
    """../shared/peer_data beside the repository (or $DETAP_SHARED, either
    the folder holding peer_data/ or peer_data itself) when it holds
    ``marker``; None when absent (a user's fresh clone has no ../shared)."""
    env = os.environ.get("DETAP_SHARED")
    if env:
        candidates = [Path(env) / "peer_data", Path(env)]
    else:
        candidates = [Path(__file__).resolve().parents[2] / "shared" / "peer_data"]
    for c in candidates:
        if (c / marker).exists():
            return c
    return None


def setter(**params):
    """A COCOeval params editor: sets each attribute to a copy of the value."""
    def setup(p):
        for k, v in params.items():
            setattr(p, k, copy.deepcopy(v))
    return setup
