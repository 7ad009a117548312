"""Class-name lists: where a data set's class names come from.

The names are a list of str in class-index order: a line-file format's
integer class id ``k`` (YOLO's, or a text file's) means ``names[k]``.  They
come from a names file (one name per line, e.g. darknet's ``.names`` or
labelImg's ``classes.txt``) or a YAML file with a ``names:`` entry
(Ultralytics' ``data.yaml``, read by ``detap.formats.data_yaml``).
"""
import os

from ..errors import DetapInputError
from .data_yaml import DATA_YAML_FILES, names_from_yaml
from .text import read_text

__all__ = ["NAMES_FILE", "load_names", "read_names_file", "write_names_file", "find_names",
           "check_names"]

# labelImg's names file, kept beside the YOLO label files
NAMES_FILE = "classes.txt"


def load_names(spec):
    """Class names from ``spec``: a list of str, a names file or a YAML file
    (``.yaml``/``.yml``).  Returns (names, path or None)."""
    if isinstance(spec, (list, tuple)):
        names = [str(n) for n in spec]
        check_names(names, "the names list")
        return names, None
    path = os.fspath(spec)
    if not os.path.isfile(path):
        raise DetapInputError("names file not found", path)
    if path.lower().endswith((".yaml", ".yml")):
        names = names_from_yaml(read_text(path), path)
    else:
        names = read_names_file(path)
    check_names(names, path)
    return names, path


def read_names_file(path):
    """The names of a names file: one per line, surrounding whitespace
    stripped, blank lines at the end ignored; a blank line before a name is
    an error (it would shift every later class id)."""
    lines = [s.strip() for s in read_text(path).split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    for no, name in enumerate(lines, 1):
        if not name:
            raise DetapInputError("blank class name (the line numbers are the class ids)", path, no)
    return lines


def write_names_file(path, names):
    """A names file at ``path``: one name per line, in class-id order."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(n + "\n" for n in names))


def check_names(names, where):
    """``names`` must be non-empty and without repeats."""
    if not names:
        raise DetapInputError("no class names", where)
    seen = set()
    for name in names:
        if name in seen:
            raise DetapInputError(f"class name {name!r} appears twice", where)
        seen.add(name)


def find_names(dirs):
    """The names file of the YOLO labels in ``dirs``: ``classes.txt``
    beside the labels, else the nearest ``data.yaml``/``data.yml`` (in a
    labels directory, its parent or its grandparent: Ultralytics keeps it
    above ``labels/train``)."""
    candidates = [os.path.join(d, NAMES_FILE) for d in dirs]
    for d in dirs:
        up = os.path.abspath(d)
        for _ in range(3):
            candidates += [os.path.join(up, name) for name in DATA_YAML_FILES]
            up = os.path.dirname(up)
    for c in candidates:
        if os.path.isfile(c):
            return c
    raise DetapInputError("YOLO class ids need the class names: no classes.txt or data.yaml "
                          "found beside the labels; give names= / --names (a names file or "
                          "data.yaml)", dirs[0] if dirs else None)
