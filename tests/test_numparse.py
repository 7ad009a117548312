"""Numbers as the readers see them: every spelling reads as Python reads it.

Both C readers, the det-file reader behind detap.voc (``_core.parse_dets``
with voc's Python fallback for the lines it hands back) and the COCO JSON
reader (``_core.parse_coco_json``), convert numbers with the one converter
of csrc/numparse.h (fast_float), at any digit count: no number goes to a
Python fallback.  The double must be Python's: ``float(text)``
for a det file, ``float(json.loads(text))`` for JSON (the same except for
an integer "-0", which json reads as the int 0, so +0.0).  Equality is
``==`` plus the sign of zero (tests.conftest.same_float).
"""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detap import _core, voc
from tests.conftest import assert_same_float

DIGITS = "0123456789"

# Fixed spellings around the converter's edges: the exact-conversion limits
# (2**53, 10**22, 19 digits), 17-digit reprs (outside them), signed zeros,
# subnormals, leading zeros in the exponent, overflow to inf in JSON.
FIXED_JSON = ["198.55137634277344", "0.1", "0.30000000000000004", "-0", "-0.0", "0e0",
              "-0E+5", "0.000", "1e22", "1e23", "1E-22", "1e-23", "9007199254740992.0",
              "9007199254740993.0", "9007199254740993", "1234567890123456789.0",
              "12345678901234567890.0", "123456789012345678901234567890", "5e-324",
              "2.2250738585072014e-308", "1.7976931348623157e308", "1e-0002", "1E+02",
              "0.0000001", "1e400", "-1e400", "1e-400"]
FIXED_DET = [t for t in FIXED_JSON if math.isfinite(float(t))] + [
    "+0", "+1.5", "007", "-007.50", ".5", "5.", "-.25e1", "+0.e3", "00.000e+00"]


@st.composite
def number_text(draw, json_grammar):
    """A number spelled as a program or a person writes it: a float's repr
    (float64, or a float32 value printed as a double, e.g.
    '198.55137634277344'), or digits with an optional point and exponent
    (leading zeros, trailing zeros, leading zeros in the exponent).  With
    json_grammar, only JSON's spellings: no '+', no leading zeros, no bare
    point; otherwise Python's float() syntax (without inf/nan/underscores)."""
    sign = draw(st.sampled_from(["", "-"] if json_grammar else ["", "+", "-"]))
    source = draw(st.sampled_from(["repr64", "repr32", "digits"]))
    if source != "digits":
        x = draw(st.floats(width=64 if source == "repr64" else 32,
                           allow_nan=False, allow_infinity=False))
        return sign + repr(abs(x))
    ip = draw(st.text(DIGITS, max_size=12))
    if json_grammar:
        ip = ip.lstrip("0") or "0"
    frac = draw(st.none() | st.text(DIGITS, min_size=1 if json_grammar else 0, max_size=20))
    if not ip and not frac:
        ip = "0"
    text = ip if frac is None else ip + "." + frac
    if draw(st.booleans()):
        text += (draw(st.sampled_from("eE")) + draw(st.sampled_from(["", "+", "-"]))
                 + "0" * draw(st.integers(0, 2)) + str(draw(st.integers(0, 330))))
    return sign + text


def json_value(text):
    """The double Python's json module gives a number token (integers are
    read as int, then converted)."""
    return float(json.loads(text))


# ------------------------------------------------------------------ det files


def read_dets(tokens):
    """Reads one det line per token, the token in every number column (and
    in an ignored extra column), as detap.voc reads a det file.  Returns the
    score and box columns and the numbers of the lines the C path handed
    back."""
    ids = _core.IdTable([b"img"])
    python_line = voc._slow_line("dets.txt", ids, "the image set")
    handed_back = []

    def slow(raw, line_no, unknown):
        handed_back.append(line_no)
        return python_line(raw, line_no, unknown)
    data = "".join(f"img {t} {t} {t} {t} {t} {t}\n" for t in tokens).encode()
    img, score, boxes = _core.parse_dets(data, ids, slow)
    assert img.tolist() == [0] * len(tokens)
    return score, boxes, handed_back


def check_dets(tokens):
    score, boxes, handed_back = read_dets(tokens)
    for k, t in enumerate(tokens):
        for v in (score[k], *boxes[k]):
            assert_same_float(v, float(t), repr(t))
    return handed_back


def test_det_reader_fixed_spellings():
    check_dets(FIXED_DET)


def test_det_reader_numbers_stay_in_c():
    """Every number is converted in C, short or 17 digits (so the property
    below tests the C converter, not Python's float)."""
    tokens = ["0.5", "198.5", "-0", "+0.25", "1e5", "12.75E-3", ".5", "5.", "0.000123",
              "198.55137634277344", "0.9882506132125854", "1e-400", "1" * 400 + ".5e-390"]
    assert check_dets(tokens) == []
    assert check_dets(FIXED_DET) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(number_text(json_grammar=False).filter(lambda t: math.isfinite(float(t))),
                min_size=1, max_size=20))
def test_det_reader_equals_python_float(tokens):
    assert check_dets(tokens) == []


# ---------------------------------------------------------------- COCO JSON


def read_json_numbers(tokens):
    """Reads a GT document whose annotations spell their numbers with the
    tokens, five per annotation (bbox, area, score; iscrowd, too, is read as
    a number).  Returns the values in token order."""
    tokens = list(tokens) + ["0"] * (-len(tokens) % 5)
    anns = []
    for k in range(0, len(tokens), 5):
        t = tokens[k:k + 5]
        anns.append(f'{{"id": {k + 1}, "image_id": 1, "category_id": 1, '
                    f'"bbox": [{t[0]}, {t[1]}, {t[2]}, {t[3]}], "area": {t[4]}, '
                    f'"score": {t[4]}, "iscrowd": {t[0]}}}')
    doc = ('{"images": [{"id": 1}], "annotations": [' + ", ".join(anns)
           + '], "categories": [{"id": 1}]}').encode()
    cols = _core.parse_coco_json(doc)
    assert cols is not None, "the C reader handed the document to Python"
    assert np.array_equal(cols["area"], cols["score"], equal_nan=True)
    assert np.array_equal(cols["iscrowd"], cols["bbox"][:, 0], equal_nan=True)
    return np.column_stack([cols["bbox"], cols["area"]]).reshape(-1)


def check_json(tokens):
    got = read_json_numbers(tokens)
    for k, t in enumerate(tokens):
        assert_same_float(got[k], json_value(t), repr(t))


def test_json_reader_fixed_spellings():
    check_json(FIXED_JSON)


def test_json_integer_minus_zero_is_python_json_s():
    assert math.copysign(1.0, read_json_numbers(["-0"])[0]) == 1.0
    assert math.copysign(1.0, read_json_numbers(["-0.0"])[0]) == -1.0


@settings(max_examples=300, deadline=None)
@given(st.lists(number_text(json_grammar=True), min_size=1, max_size=20))
def test_json_reader_equals_python_json(tokens):
    for t in tokens:
        assert isinstance(json.loads(t), (int, float)), t  # a valid JSON number
    check_json(tokens)


@st.composite
def short_form(draw, json_grammar):
    """Digits with an optional point and no exponent, 14 to 21 digits in
    all: both sides of the converter's fast paths' limits (19 digits in one
    uint64, mantissas up to 2**53), with runs of 9s and 0s."""
    sign = draw(st.sampled_from(["", "-"] if json_grammar else ["", "+", "-"]))
    n = draw(st.integers(14, 21))
    k = draw(st.integers(0 if not json_grammar else 1, n))  # digits after the point
    style = draw(st.sampled_from(["random", "nines", "zeros", "pow2"]))
    if style == "random":
        digits = "".join(draw(st.sampled_from(DIGITS)) for _ in range(n))
    elif style == "nines":
        digits = "9" * n
    elif style == "zeros":
        digits = "1" + "0" * (n - 2) + draw(st.sampled_from("0159"))
    else:
        digits = str(2 ** 53 + draw(st.integers(-3, 3))).rjust(n, "0")[-n:]
    ip, frac = digits[:n - k], digits[n - k:]
    if json_grammar:
        ip = ip.lstrip("0") or "0"
    if not ip and not frac:
        ip = "0"
    text = ip + ("." + frac if k or (not json_grammar and draw(st.booleans())) else "")
    return sign + text


@settings(max_examples=400, deadline=None)
@given(st.lists(short_form(json_grammar=False), min_size=1, max_size=10))
def test_det_reader_short_form_edges(tokens):
    assert check_dets(tokens) == []


@settings(max_examples=400, deadline=None)
@given(st.lists(short_form(json_grammar=True), min_size=1, max_size=10))
def test_json_reader_short_form_edges(tokens):
    for t in tokens:
        assert isinstance(json.loads(t), (int, float)), t
    check_json(tokens)


# ------------------------------------------------------ beyond 19 digits

@st.composite
def long_number(draw, json_grammar):
    """Mantissas of up to 800 digits (and one of 10,000 below): the inputs
    Eisel-Lemire cannot decide alone and fast_float settles with big
    integers, such as halfway cases between two doubles written out in
    full."""
    if draw(st.booleans()):
        # the exact decimal expansion of a double or of the midpoint between
        # two neighbours, nudged by one unit in the last digit
        from decimal import Decimal
        x = draw(st.floats(min_value=1e-300, max_value=1e300, allow_nan=False))
        mid = (Decimal(x) + Decimal(math.nextafter(x, math.inf))) / 2
        text = format(mid, "f") if abs(mid.adjusted()) < 40 else format(mid, "e")
        nudge = draw(st.sampled_from(["", "1", "9"]))
        if nudge and "e" not in text:
            text = text + ("" if "." in text else ".") + "0" * draw(st.integers(0, 30)) + nudge
    else:
        ip = draw(st.text(DIGITS, min_size=1, max_size=400))
        fp = draw(st.text(DIGITS, min_size=1, max_size=400))
        if json_grammar:
            ip = ip.lstrip("0") or "0"
        text = ip + "." + fp + draw(st.sampled_from(["", "e-350", "e+300", "E-5"]))
    return draw(st.sampled_from(["", "-"])) + text


@settings(max_examples=200, deadline=None)
@given(st.lists(long_number(json_grammar=False), min_size=1, max_size=8))
def test_det_reader_long_mantissas(tokens):
    tokens = [t for t in tokens if math.isfinite(float(t))] or ["1"]
    assert check_dets(tokens) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(long_number(json_grammar=True), min_size=1, max_size=8))
def test_json_reader_long_mantissas(tokens):
    check_json(tokens)


def test_ten_thousand_digits():
    """A 10,000-digit mantissa (a fuzzing staple): correctly rounded, in C."""
    ones = "1" * 5000 + "." + "7" * 5000
    halfway = "9007199254740993." + "0" * 9984 + "1"  # just above 2**53 + 1: rounds up
    tokens = [ones + "e-4990", halfway, "0." + "0" * 9990 + "123", "-" + ones + "e-4999"]
    assert check_dets(tokens) == []
    check_json(tokens + [ones])  # inf in JSON, as json.loads reads it
    assert float(halfway) == 2.0 ** 53 + 2


def test_json_integer_beyond_python_s_digit_limit_goes_to_python():
    """json.loads refuses an integer of more than 4300 digits; the C reader
    hands such a document to Python's json (which reports it) instead of
    converting what pycocotools could not read."""
    big = "9" * 4301
    doc = ('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": ' + big + '}]')
    assert _core.parse_coco_json(doc.encode()) is None
    ok = doc.replace(big, big[:300])
    cols = _core.parse_coco_json(ok.encode())
    assert cols["score"][0] == float(int(big[:300]))


# ------------------------------------------------------ the common spelling

# The spelling detectors and json.dump write,  -?d+(.d+)?  without an
# exponent, around the limits a converter reading it eight digits at a time
# would have (such a path was measured in 2026-11 and gave no gain over
# fast_float, which reads these numbers now): the 8-byte word boundaries (8,
# 16, 24 fraction digits), 7 or 8 integer digits, 19 or 20 digits in all
# (one uint64), mantissas either side of 2**53.
COMMON_EDGES = ["1234567", "12345678", "9999999.999999999999", "9999999.9999999999999",
                "0.000000000000000001", "0.0000000000000000001", "1.00000000", "1.0000000",
                "12345678.5", "0.12345678", "0.123456789012345678", "0.1234567890123456789",
                "0.9999999999999999999", "0.99999999999999999999999", "7.0e1", "7.5E-1",
                "-0", "-0.0", "0.0", "-0.00000000000000000", "4503599627370497.5",
                "9007199.254740993", "8.98846567431158e3", "0.30000000000000004"]


@st.composite
def common_spelling(draw, json_grammar):
    """Numbers of the common spelling and just beyond it: 1-9 integer digits
    (a lone 0 or not), 0-26 fraction digits (random, all 9s, all 0s, leading
    zeros, a float32 value's digits), a sign, sometimes an exponent."""
    sign = draw(st.sampled_from(["", "-"]))
    ni = draw(st.integers(1, 9))
    ip = "0" if draw(st.booleans()) else draw(st.sampled_from(DIGITS[1:])) + "".join(
        draw(st.sampled_from(DIGITS)) for _ in range(ni - 1))
    if not json_grammar and draw(st.booleans()):
        ip = "0" * draw(st.integers(1, 3)) + ip  # a det file may write leading zeros
    nf = draw(st.integers(0, 26))
    style = draw(st.sampled_from(["random", "nines", "zeros", "leading", "f32"]))
    if style == "random":
        frac = "".join(draw(st.sampled_from(DIGITS)) for _ in range(nf))
    elif style == "nines":
        frac = "9" * nf
    elif style == "zeros":
        frac = "0" * nf
    elif style == "leading":
        frac = ("0" * nf + draw(st.sampled_from(["1", "5", "9", "25"])))[-max(nf, 1):]
    else:
        x = abs(draw(st.floats(width=32, allow_nan=False, allow_infinity=False)))
        text = repr(x)
        if "e" not in text:
            return sign + text
        frac = ""
    text = ip + ("." + frac if frac else "")
    if draw(st.integers(0, 9)) == 0:
        text += draw(st.sampled_from(["e5", "E-3", "e+0"]))
    return sign + text


def test_common_spelling_edges():
    check_json(COMMON_EDGES)
    assert check_dets(COMMON_EDGES) == []


@settings(max_examples=500, deadline=None)
@given(st.lists(common_spelling(json_grammar=True), min_size=1, max_size=15))
def test_json_reader_common_spelling(tokens):
    for t in tokens:
        assert isinstance(json.loads(t), (int, float)), t
    check_json(tokens)


@settings(max_examples=500, deadline=None)
@given(st.lists(common_spelling(json_grammar=False), min_size=1, max_size=15))
def test_det_reader_common_spelling(tokens):
    assert check_dets(tokens) == []


@pytest.mark.parametrize("bad", ["01", "-01.5", "00.5", "+1.5", ".5", "5.", "-", "1.e5", "--1",
                                 "0x10", "1_000"])
def test_json_reader_refuses_what_json_refuses(bad):
    """A spelling Python's json refuses is no number to the C reader either
    (with room after it, so that no shortcut for short tokens decides): the
    document goes to Python, which reports it."""
    with pytest.raises(json.JSONDecodeError):
        json.loads(f"[{bad}]")
    def doc(number):
        return ('{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, '
                f'"category_id": 1, "bbox": [{number}, 2, 3, 4], "area": 12, "iscrowd": 0, '
                f'"extra": "{"x" * 64}"}}], "categories": [{{"id": 1}}]}}').encode()
    assert _core.parse_coco_json(doc("1")) is not None  # (the rest of the document is the reader's)
    assert _core.parse_coco_json(doc(bad)) is None
