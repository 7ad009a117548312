"""Inputs for tests/test_reader_fuzz.py: hypothesis strategies for valid
COCO ground-truth and results documents and det files, and the mutations
that break them.

Documents are built from parts (numbers spelled as detectors and people
write them, keys in any order, compact or indented, LF or CRLF), then
mutated by 0 to 3 operations.  An operation is a name and a seed, chosen
from one seed that hypothesis draws; the operation draws positions and
sizes from ``random.Random(seed)``, so that 10,000-digit numbers and
100 kB lines cost hypothesis nothing and every input is reproducible.
"""
import json
import random
import re
import zlib

import numpy as np
from hypothesis import strategies as st

# --------------------------------------------------------------- numbers

# Spellings around the converters' edges (JSON grammar)
EDGE_NUMBERS = ["0", "-0", "-0.0", "0.0", "1e22", "1E+2", "1e-7", "5e-324", "2.2250738585072014e-308",
                "1.7976931348623157e308", "9007199254740993", "9007199254740993.0",
                "123456789012345678901", "0.1e1", "198.55137634277344", "0.30000000000000004",
                "9223372036854775807", "-9223372036854775808"]
# Spellings only a det file (Python's float()) takes
DET_ONLY_NUMBERS = ["+1.5", ".5", "5.", "007", "-.25e1", "+0.e3", "1_0", "inf", "nan", "1e", "0x10"]


def _float32_repr(x):
    return repr(float(np.float32(x)))


JSON_NUMBER = st.one_of(
    st.floats(-2000, 2000, allow_nan=False).map(repr),
    st.floats(0, 2000, width=32).map(_float32_repr),
    st.integers(0, 640).map(str),
    st.integers(0, 64000).map(lambda k: f"{k / 100:.2f}"),
    st.sampled_from(EDGE_NUMBERS),
)
DET_NUMBER = st.one_of(JSON_NUMBER, st.sampled_from(DET_ONLY_NUMBERS))
ID = st.sampled_from([str(i) for i in range(7)] * 4 + ["9223372036854775807", "-1", "1.0", '"1"'])


class Raw(str):
    """JSON text written as is (a number as spelled)."""


class Obj(list):
    """A JSON object as a list of (key, value) pairs: keys may repeat."""


def dump(v, style):
    """JSON text of v; style = (item separator, key separator, ensure_ascii)."""
    item, key, ascii_ = style
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=ascii_)
    if isinstance(v, Obj):
        return "{" + item.join(json.dumps(k) + key + dump(x, style) for k, x in v) + "}"
    if isinstance(v, list):
        return "[" + item.join(dump(x, style) for x in v) + "]"
    return str(v)


STYLE = st.tuples(st.sampled_from([",", ", ", ",\n  ", ",\r\n\t", " , "]),
                  st.sampled_from([":", ": ", " :\t"]), st.booleans())


@st.composite
def fields(draw, required, optional):
    """An Obj of the required (key, strategy) pairs and some optional ones,
    shuffled."""
    pairs = [(k, draw(s)) for k, s in required]
    pairs += [(k, draw(s)) for k, s in optional if draw(st.booleans())]
    return Obj(draw(st.permutations(pairs)))


def _rle_counts(h, w, seed):
    """A valid compressed RLE counts string of a random h x w mask."""
    from pycocotools import mask as pmask
    rng = np.random.default_rng(seed)
    m = np.asfortranarray((rng.random((h, w)) < 0.5).astype(np.uint8))
    return pmask.encode(m)["counts"].decode("ascii")


SIZE = st.tuples(st.integers(1, 6), st.integers(1, 6))
RLE = st.builds(lambda hw, seed: Obj([("size", [Raw(str(hw[0])), Raw(str(hw[1]))]),
                                      ("counts", _rle_counts(hw[0], hw[1], seed))]),
                SIZE, st.integers(0, 2 ** 16))
UNCOMPRESSED = st.builds(lambda hw: Obj([("size", [Raw(str(hw[0])), Raw(str(hw[1]))]),
                                         ("counts", [Raw(str(hw[0] * hw[1]))])]), SIZE)
POLYGON = st.lists(st.lists(JSON_NUMBER.map(Raw), min_size=6, max_size=10), min_size=1, max_size=2)
BBOX = st.lists(JSON_NUMBER.map(Raw), min_size=4, max_size=4)
OBB = st.lists(JSON_NUMBER.map(Raw), min_size=5, max_size=5)


def keypoints(k):
    return st.lists(JSON_NUMBER.map(Raw), min_size=3 * k, max_size=3 * k)


TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


@st.composite
def gt_document(draw):
    """A COCO ground-truth document (bytes)."""
    k = draw(st.integers(1, 3))
    images = draw(st.lists(fields([("id", ID.map(Raw))],
                                  [("file_name", TEXT), ("width", st.just(Raw("6"))),
                                   ("height", st.just(Raw("6"))), ("license", st.just(Raw("1")))]),
                           max_size=4))
    ann = fields([("id", ID.map(Raw)), ("image_id", ID.map(Raw)), ("category_id", ID.map(Raw)),
                  ("bbox", BBOX), ("area", JSON_NUMBER.map(Raw)),
                  ("iscrowd", st.sampled_from([Raw("0"), Raw("1"), True, False, Raw("0.5")]))],
                 [("segmentation", st.one_of(RLE, UNCOMPRESSED, POLYGON)),
                  ("keypoints", keypoints(k)), ("num_keypoints", st.integers(0, k).map(str).map(Raw)),
                  ("score", JSON_NUMBER.map(Raw)), ("extra", st.lists(TEXT, max_size=2)),
                  ("obb", OBB)])
    cats = st.lists(fields([("id", ID.map(Raw)), ("name", TEXT)],
                           [("supercategory", TEXT), ("keypoints", st.lists(TEXT, max_size=3))]),
                    max_size=3)
    top = draw(fields([("images", st.just(images)), ("annotations", st.lists(ann, max_size=5)),
                       ("categories", cats)],
                      [("info", st.just(Obj([("year", Raw("2017")), ("v", "1.0")]))),
                       ("licenses", st.just([]))]))
    return dump(top, draw(STYLE)).encode("utf-8", "surrogatepass")


@st.composite
def results_document(draw):
    """A COCO results document (bytes): box, mask, keypoint or rotated-box results."""
    kind = draw(st.sampled_from(["bbox", "bbox+segm", "segm", "keypoints", "obb", "bbox+obb"]))
    k = draw(st.integers(1, 3))
    common = [("image_id", st.sampled_from(["1", "2", "3", "4"] * 5 + ["7"]).map(Raw)),
              ("category_id", st.sampled_from(["1", "2", "3"] * 5 + ["9"]).map(Raw)),
              ("score", JSON_NUMBER.map(Raw))]
    required = {"bbox": [("bbox", BBOX)], "bbox+segm": [("bbox", BBOX), ("segmentation", RLE)],
                "segm": [("segmentation", RLE)], "keypoints": [("keypoints", keypoints(k))],
                "obb": [("obb", OBB)], "bbox+obb": [("bbox", BBOX), ("obb", OBB)]}[kind]
    rec = fields(common + required, [("id", ID.map(Raw)), ("area", JSON_NUMBER.map(Raw))])
    return dump(draw(st.lists(rec, max_size=6)), draw(STYLE)).encode("utf-8", "surrogatepass")


DET_NAMES = ["img1", "img2", "000001", "a"]


@st.composite
def det_file(draw):
    """A det file (bytes): `image_id score x1 y1 x2 y2 [extra...]` lines."""
    sep = st.sampled_from([" ", "\t", "  ", " \t "])
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", "\t"])))
            continue
        name = draw(st.sampled_from(DET_NAMES + ["zzz"]))
        nums = draw(st.lists(DET_NUMBER, min_size=5, max_size=7))
        s = draw(sep)
        pad = st.sampled_from(["", " "])
        lines.append(draw(pad) + s.join([name, *nums]) + draw(pad))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(lines) + draw(st.sampled_from(["", eol]))
    return (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8")


LABELTXT_CLASSES = ["plane", "small-vehicle", "ship", "a", "x\x00y", "vé", "1"]
# integer pixels as labelTxt files write them, and what else a field may hold
LABELTXT_NUMBER = st.one_of(st.integers(-5, 2000).map(str), DET_NUMBER)


@st.composite
def labeltxt_file(draw):
    """A DOTA labelTxt file (bytes): header lines, then `x1 y1 ... y4 class
    [difficult]` lines; half the files as DOTA writes them (single spaces,
    numbers, ASCII names, 0/1 flags), the others with any of the other
    separators, fields, names or flags a line may hold."""
    clean = draw(st.booleans())
    lines = [draw(st.sampled_from(["imagesource:GoogleEarth", "gsd:0.146343590398", "gsd:null"]))
             for _ in range(draw(st.integers(0, 2)))]
    for _ in range(draw(st.integers(0, 6))):
        number = st.one_of(st.integers(-5, 2000).map(str), JSON_NUMBER) if clean else LABELTXT_NUMBER
        nums = draw(st.lists(number, min_size=8 if clean else 7, max_size=8 if clean else 9))
        cls = draw(st.sampled_from(LABELTXT_CLASSES[:4] if clean else LABELTXT_CLASSES))
        flags = [[], ["0"], ["1"]] if clean else [[], ["0"], ["1"], ["2"], ["-0"], ["+1"], ["007"],
                                                  ["x"], ["1.0"], ["1", "1"]]
        flag = draw(st.sampled_from(flags))
        sep = " " if clean else draw(st.sampled_from([" "] * 8 + ["  ", "\t", " \x1c"]))
        pad = st.sampled_from(["", "", " ", "\t"])
        lines.append(draw(pad) + sep.join([*nums[:8], cls, *flag]) + draw(pad))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(lines) + draw(st.sampled_from(["", eol]))
    return (draw(st.sampled_from(["", "\ufeff"])) + text).encode("utf-8")


# ------------------------------------------------------------- mutations

BIG_NUMBERS = ["1" + "0" * 400, "9" * 10000, "0." + "0" * 9000 + "1", "1" + "0" * 10000 + ".5",
               "1e999999999", "-1e-999999999", "1e-400", "1e400", "-1e400",
               "1" * 4301, "2" * 4300, "-" + "3" * 5000,
               "123456789012345678901234567890", "NaN", "-Infinity", "Infinity", "1.", ".5", "01",
               "-", "1e", "+1", "0x10", "1_0", "1.5E+308", "2.4703282292062328e-324",
               "9223372036854775808", "-9223372036854775809", "18446744073709551616", "-0",
               "1e+", "1.e5", "- 1", "1" + "0" * 308, "1" + "0" * 309, "0." + "9" * 800 + "e-300"]
# bytes that break UTF-8 (and some that do not: é, an emoji, an encoded
# surrogate, which json.loads accepts)
UTF8 = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
        b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xff", b"\xfe", b"\xe2\x82",
        b"\xf0\x9f\x98", b"\xf0\x9f\x98\x80", b"\xc3\xa9", b"\xc3", b"\xef\xbb\xbf", b"\xf8\x88\x80\x80\x80"]
ESCAPES = [b"\\q", b"\\u12", b"\\u12G4", b"\\ud800", b"\\udc00\\ud800", b"\\/", b"\\u0000", b"\\",
           b"\\\\", b"\\\"", b"\\x41", b"\\U0041", b"\\u00e9", b"\\uD83D\\uDE00", b"\\ "]
SNIPPETS = [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"0", b"-", b".", b"e", b"E", b"+",
            b" ", b"\n", b"\r\n", b"\r", b"\t", b"\x00", b"\x01", b"\x1f", b"\x7f", b"null",
            b"true", b"false", b"NaN", b'"id":', b'"bbox":[1,2,3,4],', b",,", b"[]", b"{}",
            b'"\xff"', b"\x0b", b"\x0c", b"\x1c", b"\xc2\xa0", b"\xc2\x85"]
RLE_BAD = [b'"counts": 5', b'"counts": []', b'"counts": ""', b'"counts": "\\u0041\\u0042"',
           b'"counts": "\\ud800"', b'"counts": "\xc3\xa9\xc3\xa9"', b'"counts": "!!!"',
           b'"counts": "0\\\\0"', b'"counts": "\\\\\\\\\\\\"', b'"counts": null',
           b'"counts": "' + b"o" * 40 + b'"', b'"counts": "\\n"', b'"counts": [1, 2, -3]']
SIZE_BAD = [b'"size": [1000000000, 1000000000]', b'"size": [-1, 2]', b'"size": [1, 2, 3]',
            b'"size": ["a", 2]', b'"size": [2.5, 3]', b'"size": []', b'"size": [4294967296, 1]',
            b'"size": [0, 0]', b'"size": 3', b'"size": [1e999, 1]', b'"size": [1 2]']
KEYPOINTS_BAD = [b"[1, 2]", b'[1, 2, "a"]', b"[[1, 2, 3]]", b"[]", b"null", b"[1e999, 0, 2]",
                 b'"x"', b"[1, 2, 3, 4]", b"[NaN, 1, 2]", b"[1,,2,3]", b"[1, 2, 3",
                 b"[-0, -0.0, 1e-400]", b"[" + b"1, " * 3000 + b"1, 2]"]
REPEATS = [b'"bbox": [1, 2, 3, 4], ', b'"segmentation": [[1, 2, 3, 4, 5, 6]], ',
           b'"segmentation": [[1, 2, 3, 4]], ', b'"segmentation": [[1e400, 1, 2, 3, 4, 5]], ',
           b'"segmentation": {"size": [6, 6], "counts": [36]}, ', b'"width": 1e400, ',
           b'"segmentation": {"size": [2, 2], "counts": "04"}, ', b'"images": [], ',
           b'"annotations": [], ', b'"keypoints": [1, 2, 2], ', b'"id": 3, ', b'"iscrowd": 1e999, ',
           b'"iscrowd": -1e400, ', b'"score": 1e999, ', b'"image_id": 1.5, ',
           b'"num_keypoints": 1e400, ', b'"area": "1", ']


def _positions(data, kind):
    """Positions in data of one kind of byte (for truncations)."""
    classes = {"open": b"{[", "close": b"}]", "comma": b",", "colon": b":", "quote": b'"',
               "backslash": b"\\", "digit": b"0123456789", "dot": b".", "exp": b"eE",
               "sign": b"-+", "space": b" \t", "newline": b"\r\n", "high": bytes(range(128, 256))}
    return [i for i, b in enumerate(data) if b in classes[kind]]


def m_truncate(data, r):
    kind = r.choice(["any", "open", "close", "comma", "colon", "quote", "backslash", "digit",
                     "dot", "exp", "sign", "space", "newline", "high"])
    pos = list(range(len(data) + 1)) if kind == "any" else _positions(data, kind)
    if not pos:
        pos = [len(data) // 2]
    return data[:r.choice(pos) + r.choice([0, 1])]


def m_flip(data, r):
    if not data:
        return data
    i = r.randrange(len(data))
    b = data[i] ^ (1 << r.randrange(8)) if r.random() < 0.5 else r.randrange(256)
    return data[:i] + bytes([b]) + data[i + 1:]


def _at(data, r, what):
    i = r.randint(0, len(data))
    return data[:i] + what + data[i:]


def m_insert(data, r):
    return _at(data, r, b"".join(r.choice(SNIPPETS) for _ in range(r.randint(1, 3))))


def m_delete(data, r):
    if not data:
        return data
    i = r.randrange(len(data))
    return data[:i] + data[i + r.randint(1, 16):]


def m_duplicate(data, r):
    """A slice repeated: keys, values and records twice."""
    if not data:
        return data
    i = r.randrange(len(data))
    j = min(len(data), i + r.randint(1, 64))
    return data[:j] + data[i:j] + data[j:]


NUMBER_RE = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def m_number(data, r):
    """A number replaced by a huge, tiny, long or malformed one."""
    spans = [m.span() for m in NUMBER_RE.finditer(data)]
    new = r.choice(BIG_NUMBERS).encode()
    if not spans:
        return _at(data, r, new)
    a, b = r.choice(spans)
    return data[:a] + new + data[b:]


def m_nest(data, r):
    """Deep nesting at a value's place: closed or not, arrays or objects."""
    k = r.choice([300, 10000])
    opened, closed = ([b"[" * k, b"]" * k] if r.random() < 0.5 else [b'{"a":' * k, b"}" * k])
    inner = opened + b"1" + (closed if r.random() < 0.7 else b"")
    spans = [m.span() for m in NUMBER_RE.finditer(data)]
    if not spans:
        return inner
    a, b = r.choice(spans)
    return data[:a] + inner + data[b:]


def _in_string(data, r, what):
    """what inserted just inside a string (after an opening quote)."""
    quotes = _positions(data, "quote")
    if not quotes:
        return _at(data, r, what)
    i = r.choice(quotes) + 1
    return data[:i] + what + data[i:]


def m_utf8(data, r):
    what = r.choice(UTF8)
    return _in_string(data, r, what) if r.random() < 0.8 else _at(data, r, what)


def m_escape(data, r):
    return _in_string(data, r, r.choice(ESCAPES))


def m_nul(data, r):
    return _in_string(data, r, b"\x00") if r.random() < 0.5 else _at(data, r, b"\x00" * r.randint(1, 3))


def m_bom(data, r):
    bom = r.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf"])
    return bom + data if r.random() < 0.8 else _at(data, r, bom)


def m_newlines(data, r):
    return data.replace(b"\n", r.choice([b"\r\n", b"\r", b"\n\n", b"\r\r\n"]))


def m_long(data, r):
    """A very long line: spaces, a long string, or a long token."""
    n = r.choice([5000, 70000])
    what = r.choice([b" " * n, b'"' + b"x" * n + b'"', b"7" * n, b"x" * n])
    i = r.randint(0, len(data))
    return data[:i] + what + data[i:]


def m_rle(data, r):
    """A compressed RLE's counts or size made wrong."""
    if r.random() < 0.6 and b'"counts"' in data:
        spans = [m.span() for m in re.finditer(rb'"counts"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])', data)]
        if spans:
            a, b = r.choice(spans)
            return data[:a] + r.choice(RLE_BAD) + data[b:]
    spans = [m.span() for m in re.finditer(rb'"size"\s*:\s*\[[^\]]*\]', data)]
    if spans:
        a, b = r.choice(spans)
        return data[:a] + r.choice(SIZE_BAD) + data[b:]
    return _at(data, r, b'"segmentation": {' + r.choice(SIZE_BAD) + b", " + r.choice(RLE_BAD) + b"}")


def m_keypoints(data, r):
    spans = [m.span(1) for m in re.finditer(rb'"keypoints"\s*:\s*(\[[^\]]*\])', data)]
    if spans:
        a, b = r.choice(spans)
        return data[:a] + r.choice(KEYPOINTS_BAD) + data[b:]
    return m_repeat(data, r)


def m_repeat(data, r):
    """A key repeated inside an object (after an opening brace)."""
    opens = [i for i, b in enumerate(data) if b == ord("{")]
    what = r.choice(REPEATS)
    if not opens:
        return _at(data, r, what)
    i = r.choice(opens) + 1
    return data[:i] + what + data[i:]


MUTATIONS = {f.__name__[2:]: f for f in (
    m_truncate, m_flip, m_insert, m_delete, m_duplicate, m_number, m_nest, m_utf8, m_escape,
    m_nul, m_bom, m_newlines, m_long, m_rle, m_keypoints, m_repeat)}
# det files: no JSON structure to aim at
DET_MUTATIONS = ["truncate", "flip", "insert", "delete", "duplicate", "number", "utf8", "nul",
                 "bom", "newlines", "long"]


@st.composite
def mutated(draw, base, names=tuple(MUTATIONS)):
    """(bytes, description): a document of ``base`` after 0-3 mutations
    (about one in eight stays as built).  The operations are chosen by a
    Random of one drawn seed: hypothesis' own choices would favour the
    first of a list."""
    data = draw(base)
    # (the document in the seed: hypothesis draws some seeds, 0 above all, often)
    r = random.Random(f"{draw(st.integers(0, 2 ** 64 - 1))}:{zlib.crc32(data)}")
    ops = [] if r.random() < 1 / 8 else [(r.choice(names), r.getrandbits(32))
                                          for _ in range(r.randint(1, 3))]
    for name, s in ops:
        data = MUTATIONS[name](data, random.Random(s))
    return data, " ".join(f"{n}({s})" for n, s in ops) or "valid"
