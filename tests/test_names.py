"""detap.formats.names and data_yaml: class names from names files, lists
and data.yaml files.

The YAML reader without PyYAML (``names_without_pyyaml``) is checked against
PyYAML on generated data.yaml files in the shapes Ultralytics, YOLOv5 and
Roboflow write: it must give exactly PyYAML's names, or refuse with a
DetapInputError that names the file.
"""
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import detap.formats as F
from detap.errors import DetapInputError
from detap.formats.data_yaml import names_with_pyyaml, names_without_pyyaml
from detap.formats.names import find_names, load_names, read_names_file, write_names_file
from tests.formats_support import raises_at, write_lines

PATH = "ds/data.yaml"


@pytest.fixture
def no_pyyaml(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml -> ImportError


# --------------------------------------------------------------- names files

def test_names_files(tmp_path):
    assert load_names(write_lines(tmp_path, {"a.names": " cat \ndog\n\n"}) + "/a.names") \
        == (["cat", "dog"], str(tmp_path / "a.names"))
    with raises_at(str(tmp_path / "b.names"), 2, "blank class name"):
        load_names(write_lines(tmp_path, {"b.names": "cat\n\ndog\n"}) + "/b.names")
    with raises_at(str(tmp_path / "c.names"), None, "'cat' appears twice"):
        load_names(write_lines(tmp_path, {"c.names": "cat\ncat\n"}) + "/c.names")
    with raises_at(str(tmp_path / "missing.txt"), None, "names file not found"):
        F.read(tmp_path, None, "yolo", names=str(tmp_path / "missing.txt"))
    with raises_at("the names list", None, "no class names"):
        load_names([])
    assert load_names(("a", 1)) == (["a", "1"], None)


def test_names_file_round_trip(tmp_path):
    write_names_file(str(tmp_path / "classes.txt"), ["traffic light", "a:b", "é"])
    assert read_names_file(str(tmp_path / "classes.txt")) == ["traffic light", "a:b", "é"]


def test_find_names(tmp_path):
    labels = tmp_path / "ds" / "labels" / "train"
    labels.mkdir(parents=True)
    with pytest.raises(DetapInputError, match="no classes.txt or data.yaml"):
        find_names([str(labels)])
    write_lines(tmp_path, {"data.yaml": "names: [far]\n"})  # three levels up: too far
    with pytest.raises(DetapInputError, match="no classes.txt or data.yaml"):
        find_names([str(labels)])
    write_lines(tmp_path / "ds", {"data.yml": "names: [b]\n"})
    assert find_names([str(labels)]) == str(tmp_path / "ds" / "data.yml")
    write_lines(tmp_path / "ds", {"data.yaml": "names: [a]\n"})  # .yaml before .yml
    assert find_names([str(labels)]) == str(tmp_path / "ds" / "data.yaml")
    write_lines(labels, {"classes.txt": "c\n"})
    assert find_names([str(labels)]) == str(labels / "classes.txt")


def test_yolo_reads_names_from_data_yaml(tmp_path):
    labels = write_lines(tmp_path / "ds" / "labels" / "val", {"a.txt": "1 0.5 0.5 0.5 0.5\n"})
    write_lines(tmp_path / "ds", {"data.yaml": "path: ../ds\nnames:\n  0: x\n  1: y z\n"})
    ds = F.read(labels, None, "yolo", image_sizes={"a": (8, 8)})
    assert ds.classes == ["x", "y z"]


# -------------------------------------------------------------- data.yaml

YAMLS = {
    "names: [person, 'traffic light', \"a, b\"]  # comment\nnc: 3\n":
        ["person", "traffic light", "a, b"],
    "path: x\nnames:\n  0: person\n  1: bicycle # two\n  2: 'car'\ntrain: a\n":
        ["person", "bicycle", "car"],
    "names:\n- cat\n-   dog\nval: b\n": ["cat", "dog"],
    "names: [a,\n  b]\n": ["a", "b"],
    "names: {1: b, 0: a}\n": ["a", "b"],
    "names: [0, 1, 10]\n": ["0", "1", "10"],
    "names:\n  0: men's\n  1: 'it''s'\n  2: a:b\n  3: \"c #d\"\n": ["men's", "it's", "a:b", "c #d"],
    "names: []\nnc: 0\n": [],
}


@pytest.mark.parametrize("body, want", list(YAMLS.items()))
@pytest.mark.parametrize("pyyaml", [True, False])
def test_yaml_names(tmp_path, monkeypatch, body, want, pyyaml):
    if not pyyaml:
        monkeypatch.setitem(sys.modules, "yaml", None)
    path = write_lines(tmp_path, {"data.yaml": body}) + "/data.yaml"
    if want:
        assert load_names(path)[0] == want
    else:
        with raises_at(path, None, "no class names"):
            load_names(path)


@pytest.mark.parametrize("pyyaml", [True, False])
def test_yaml_names_errors(tmp_path, monkeypatch, pyyaml):
    if not pyyaml:
        monkeypatch.setitem(sys.modules, "yaml", None)
    with raises_at(str(tmp_path / "a.yaml"), None, "no 'names:' key"):
        load_names(write_lines(tmp_path, {"a.yaml": "nc: 2\n"}) + "/a.yaml")
    with raises_at(str(tmp_path / "b.yaml"), None, "keys must be 0..1"):
        load_names(write_lines(tmp_path, {"b.yaml": "names:\n  0: a\n  2: b\n"}) + "/b.yaml")
    with raises_at(str(tmp_path / "c.yaml"), None, "must be a list of names"):
        load_names(write_lines(tmp_path, {"c.yaml": "names:\nnc: 2\n"}) + "/c.yaml")


@pytest.mark.parametrize("body, line, fragment", [
    ("names: !!python/tuple [a]\n", 1, "'!!python/tuple [a]'"),
    ("names: [a, [b]]\n", 1, "a nested collection"),
    ("names: [yes, no]\n", 1, "quote it to keep it a string"),
    ("names:\n  - a\n  - 1.5\n", 3, "the name '1.5'"),
    ("names:\n  00: a\n  1: b\n", 2, "the class id '00'"),
    ("names: [\"a\\tb\"]\n", 1, "escapes"),
    ("names: ['a\n  b']\n", 1, "over several lines"),
    ("names:\n  - a\n - b\n", 3, "indentation"),
    ("names:\n  - a\n  0: b\n", 3, "mixed"),
    ("names: [a, b]\nnames: [c]\n", 2, "a second 'names:'"),
    ("names: [a]\n---\nx: 1\n", 2, "document marker"),
    ("names:\n\t- a\n", 2, "a tab"),
])
def test_yaml_without_pyyaml_asks_for_it(tmp_path, no_pyyaml, body, line, fragment):
    path = write_lines(tmp_path, {"d.yaml": body}) + "/d.yaml"
    with raises_at(path, line, fragment, "install PyYAML"):
        load_names(path)


# Real data.yaml files, abridged: the fallback must read these itself.
REAL = [
    # Ultralytics (coco8.yaml, VOC.yaml): block mapping, comments, a download script
    """# Ultralytics YOLO, AGPL-3.0 license
# COCO8 dataset (first 8 images from COCO train2017)

# Train/val/test sets as 1) dir: path/to/imgs, 2) file: path/to/imgs.txt
path: ../datasets/coco8 # dataset root dir
train: images/train # train images (relative to 'path') 4 images
val: images/val # val images (relative to 'path') 4 images
test: # test images (optional)

# Classes
names:
  0: person
  1: bicycle
  9: traffic light
  2: car
  3: motorcycle
  4: airplane
  5: bus
  6: train
  7: truck
  8: boat

# Download script/URL (optional)
download: https://github.com/ultralytics/assets/releases/download/v0.0.0/coco8.zip
""",
    """path: ../datasets/VOC
train: # train images (relative to 'path')  16551 images
  - images/train2012
  - images/train2007
val: # val images (relative to 'path')  4952 images
  - images/test2007

# Classes
names:
  0: aeroplane
  1: bicycle
  2: bird

# Download script/URL (optional) ---------------------------------------------
download: |
  import xml.etree.ElementTree as ET
  names: [not, these]
  def convert_label(path, lb_path, year, image_id):
      return 0
""",
    # YOLOv5: nc and a flow list over several lines
    """# YOLOv5 by Ultralytics
train: ../datasets/coco128/images/train2017/
val: ../datasets/coco128/images/train2017/

# Classes
nc: 12  # number of classes
names: ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
        'traffic light', 'fire hydrant', 'stop sign']  # class names
""",
    # Roboflow export: CRLF line ends
    "train: ../train/images\r\nval: ../valid/images\r\ntest: ../test/images\r\n\r\nnc: 3\r\n"
    "names: ['head', 'helmet', 'person']\r\n\r\nroboflow:\r\n  workspace: ws\r\n"
    "  project: hard-hats\r\n  version: 2\r\n  license: CC BY 4.0\r\n"
    "  url: https://universe.roboflow.com/ws/hard-hats/dataset/2\r\n",
    # a block list, with nc after the names
    "names:\n- Ambulance\n- Bus\n- 'Car'\n- \"Motorcycle\"\n- Truck\nnc: 5\n",
]


@pytest.mark.parametrize("body", REAL)
def test_fallback_reads_real_data_yaml(body):
    pytest.importorskip("yaml")
    want = names_with_pyyaml(body, PATH)
    assert want and names_without_pyyaml(body, PATH) == want


# ------------------------------------- the fallback against PyYAML, generated

# Names a data.yaml may hold, chosen to hit YAML's corners: words YAML 1.1
# reads as bools, nulls, numbers or dates; indicators; quotes; ': ' and ' #'
_CORNERS = ["yes", "No", "on", "OFF", "true", "null", "Null", "~", "1.5", "1e5", "0x1F", "007",
            "08", "1_000", "+1", "-1", "-", ".inf", ".5", "2023-01-02", "1:30", "<<", "=", "0",
            "12", "3D", "a: b", "a:b", "a #b", "a#b", "#a", "it's", "'q'", '"q"', "a, b", "[x]",
            "{y}", "?q", "q?", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a", "a\\b", "\\", "é",
            "a  b", " a", "a ", "", "a\tb", "traffic light", "t-shirt", "- a", "a -'b #c'"]
_ALPHABET = "ab1 .:#-_'\",[]{}?&*!|>%@`~\\\té"
_NAMES = st.one_of(st.sampled_from(_CORNERS), st.text(_ALPHABET, max_size=6))


def _quote(name, style):
    if style == "single":
        return "'" + name.replace("'", "''") + "'"
    if style == "double":
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'
    return name


_OTHER_KEYS = ["path: ../datasets/coco8  # root", "train: images/train", "val: images/val",
               "test:  # optional", "# Classes", "",
               "download: |\n  names: [x]\n  print('names: 1')",
               "roboflow:\n  workspace: w\n  version: 2", "train:\n  - images/a\n  - images/b",
               "description: it's a \"test\" #1", "license: 'CC BY 4.0'"]


@st.composite
def data_yamls(draw, names, quote_styles, tabs=False):
    """(text of a data.yaml, the names drawn) in one of the four shapes;
    ``tabs``: indent some blocks with tabs, which YAML forbids."""
    values = draw(st.lists(names, min_size=0, max_size=5))
    items = [_quote(v, draw(quote_styles(v))) for v in values]
    comment = lambda: draw(st.sampled_from(["", "", "  # c", " #c d", " # 'x"]))  # noqa: E731
    shape = draw(st.sampled_from(["flow list", "block list", "flow map", "block map"]))
    ids = draw(st.permutations(range(len(items))))
    if shape.startswith("flow"):
        if shape == "flow list":
            parts = items
        else:
            parts = [f"{_key(draw, i)}: {items[i]}" for i in ids]
        seps = [draw(st.sampled_from([", ", ",", ",\n  ", ",\n        ", " ,"])) for _ in parts]
        body = "".join(p + s for p, s in zip(parts, seps))
        if not draw(st.booleans()) and parts:  # no trailing comma
            body = body[:-len(seps[-1])]
        open_, close = "[]" if shape == "flow list" else "{}"
        entry = f"names: {open_}{body}{close}{comment()}"
    else:
        indent = " " * draw(st.sampled_from([0, 2, 4] if shape == "block list" else [1, 2, 4]))
        if tabs and draw(st.integers(0, 9)) == 0:
            indent = "\t" + indent
        lines = [f"names:{comment()}"]
        for n, i in enumerate(ids if shape == "block map" else range(len(items))):
            if draw(st.integers(0, 5)) == 0:
                lines.append(draw(st.sampled_from(["", "# comment", "  # indented comment"])))
            gap = " " * draw(st.integers(1, 3))
            head = "- " if shape == "block list" else f"{_key(draw, i)}:"
            lines.append(f"{indent}{head.rstrip()}{gap}{items[i]}{comment()}")
        entry = "\n".join(lines)
    others = draw(st.lists(st.sampled_from(_OTHER_KEYS), max_size=4, unique=True))
    at = draw(st.integers(0, len(others)))
    nc = draw(st.sampled_from(["", f"nc: {len(items)}", "nc: 80  # classes"]))
    start = draw(st.sampled_from([[], [], ["---"], ["# data set", "---"]]))
    doc = start + others[:at] + [entry] + ([nc] if nc else []) + others[at:]
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return ("\n".join(doc) + "\n").replace("\n", newline), values


def _key(draw, i):
    return draw(st.sampled_from([str(i), str(i), f"'{i}'", f'"{i}"']))


def _outcome(read, text):
    try:
        return read(text, PATH)
    except DetapInputError as e:
        return e


def _agree(text):
    """The fallback gives PyYAML's names, or refuses naming the file."""
    pytest.importorskip("yaml")
    ours = _outcome(names_without_pyyaml, text)
    if isinstance(ours, DetapInputError):
        assert ours.path == PATH
        return None
    assert ours == _outcome(names_with_pyyaml, text)
    return ours


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=data_yamls(_NAMES, lambda v: st.sampled_from(["plain", "plain", "single", "double"]),
                     tabs=True))
@example(doc=("names: [a, 'b', \"c\", d e]\n", None))
@example(doc=("names:\n  - x -'b #c'\n", None))
def test_fallback_matches_pyyaml(doc):
    _agree(doc[0])


def _plain_reads_back(name):
    """Whether PyYAML reads ``name`` unquoted as itself, in a flow list and
    as a mapping value."""
    import yaml
    try:
        return (yaml.safe_load(f"[{name}]") == [name] and yaml.safe_load(f"k: {name}") == {"k": name}
                and not name.startswith("-"))
    except yaml.YAMLError:
        return False


# names as people write them: letters, digits, spaces and some punctuation
_REAL_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_'()/&.:-]{0,8}( [A-Za-z0-9_()/&.-]{1,6}){0,2}",
                            fullmatch=True)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=data_yamls(_REAL_NAMES, lambda v: st.sampled_from(
    (["plain"] if _plain_reads_back(v) and ":" not in v else []) + ["single", "double"])))
def test_fallback_reads_what_people_write(doc):
    text, values = doc
    if not values:
        return  # an empty list or block: no names either way
    assert _agree(text) == values, text


def test_submodules_are_attributes_after_a_plain_import():
    """``import detap`` loads its names lazily; its submodules stay reachable
    as attributes (the README's ``detap.result.SCHEMA``), and an unknown
    name is an AttributeError, in a fresh interpreter."""
    import subprocess
    import sys
    code = ("import detap\n"
            "assert isinstance(detap.result.SCHEMA, dict)\n"
            "assert detap.core.evaluate_class is detap.evaluate_class\n"
            "assert detap.streaming.Evaluator is detap.Evaluator\n"
            "try:\n    detap.no_such_module\nexcept AttributeError:\n    pass\n"
            "else:\n    raise SystemExit('no AttributeError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)
