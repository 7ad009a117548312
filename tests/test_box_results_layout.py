"""The C reader's shortcut for box results written by json.dump (the
fixed layout ``{"image_id": 1, "category_id": 2, "bbox": [...], "score":
s}``, default or compact separators) reads exactly what Python's json
reads, and anything off the layout (other spacing, key order, extra keys,
numbers json spells differently or refuses) falls back to the general
record reader or to Python: never a different value."""
import json

import numpy as np
from hypothesis import given, settings, strategies as st

from detap import _core

NUMBER_TEXT = ["0", "-0", "1", "1.5", "198.5500030517578", "0.9882506132125854", "1e3", "1E-7",
               "-2.5e+300", "1e400", "-1e400", "5e-324", "12345678901234567890",
               "-9223372036854775808", "9223372036854775807", "9223372036854775808",
               "01", "1.", ".5", "-", "1e", "NaN", "Infinity", "+1", "0x10", "1_0", "\"1\"",
               "true", "null", "[1]"]
INT_TEXT = ["0", "7", "-3", "123456", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "1.0", "1e2", "01", "-0", "\"5\"", "true"]


@st.composite
def records(draw):
    sep = draw(st.sampled_from([(", ", ": "), (",", ":"), (", ", ":"), (" ,", ": ")]))
    n = draw(st.integers(1, 5))
    out = []
    for _ in range(n):
        vals = {"image_id": draw(st.sampled_from(INT_TEXT)),
                "category_id": draw(st.sampled_from(INT_TEXT)),
                "bbox": "[" + sep[0].join(draw(st.sampled_from(NUMBER_TEXT)) for _ in range(4))
                        + "]",
                "score": draw(st.sampled_from(NUMBER_TEXT))}
        keys = list(vals)
        if draw(st.integers(0, 5)) == 0:
            keys = draw(st.permutations(keys))
        if draw(st.integers(0, 5)) == 0:
            keys.append("id")
            vals["id"] = "3"
        out.append("{" + sep[0].join(f'"{k}"{sep[1]}{vals[k]}' for k in keys) + "}")
    return ("[" + sep[0].join(out) + "]").encode()


def expected(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def same_as_json(cols, recs):
    assert len(cols["image_id"]) == len(recs)
    for i, r in enumerate(recs):
        for key in ("image_id", "category_id"):
            assert cols[key][i] == r[key] and type(r[key]) is int
        got = cols["bbox"][i].tolist() + [cols["score"][i]]
        want = [float(v) for v in r["bbox"]] + [float(r["score"])]
        assert np.array_equal(np.array(got), np.array(want)), (got, want)
        assert all(np.signbit(g) == np.signbit(w) for g, w in zip(got, want))


@settings(max_examples=600, deadline=None)
@given(records())
def test_box_records_read_as_json_reads_them(data):
    recs = expected(data)
    for cols in (_core.parse_coco_json(data), _core.read_coco_results(__import__("io").BytesIO(data),
                                                                      len(data), 1)):
        if cols is None:
            continue  # handed to Python's json: its answer, whatever it is
        assert recs is not None, data
        if not all(type(r["image_id"]) is int and type(r["category_id"]) is int
                   and isinstance(r["score"], (int, float))
                   and all(isinstance(v, (int, float)) for v in r["bbox"]) for r in recs):
            raise AssertionError(f"the C reader accepted a record json reads differently: {data}")
        same_as_json(cols, recs)


def test_the_layout_json_dump_writes_is_read():
    recs = [{"image_id": 5, "category_id": 18, "bbox": [198.55137634277344, 201.49769592285156,
                                                        158.07540893554688, 105.07516479492188],
             "score": 0.9882506132125854},
            {"image_id": -1, "category_id": 0, "bbox": [0, -0.0, 1e-7, 3], "score": 1}]
    for kw in ({}, {"separators": (",", ":")}):
        data = json.dumps(recs, **kw).encode()
        cols = _core.parse_coco_json(data)
        assert cols is not None
        same_as_json(cols, recs)
        assert (cols["has"] == (_core.HAS_IMAGE_ID | _core.HAS_CATEGORY_ID | _core.HAS_BBOX
                                | _core.HAS_SCORE)).all()
