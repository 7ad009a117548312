"""The class names of a YAML data set file (Ultralytics' ``data.yaml``).

Only the top-level ``names:`` entry is read.  Its value is a list of names
(``names: [a, b]`` or a block list of ``- a`` lines) or a mapping from class
id to name (``names: {0: a, 1: b}`` or a block of ``0: a`` lines) whose keys
are exactly 0..n-1; the result is the names in class-id order.  A name that
YAML reads as a number or boolean (``names: [1, yes]``) becomes its Python
``str`` ("1", "True"), as Ultralytics' ``str()`` of it would.

With PyYAML installed (the ``yaml`` extra) the whole file is parsed by
``yaml.safe_load``.  Without it, ``names_without_pyyaml`` reads the
``names:`` entry alone with a small parser for the forms above, and refuses
(a DetapInputError asking for PyYAML) whatever it cannot read exactly as
PyYAML would: anchors, tags, escapes in double quotes, multi-line strings,
a name that YAML would read as a float, bool, null or date, and so on.
The tests check it against PyYAML.  It does not check the rest of the file,
so a file that PyYAML rejects elsewhere can still give its names.
"""
import re

from ..errors import DetapInputError

__all__ = ["DATA_YAML_FILES", "names_from_yaml", "names_with_pyyaml", "names_without_pyyaml",
           "names_value"]

# the file names Ultralytics looks for, in its order
DATA_YAML_FILES = ("data.yaml", "data.yml")


def names_from_yaml(text, path):
    """The class names (list of str) of the YAML document ``text`` read from
    ``path``: with PyYAML when installed, else ``names_without_pyyaml``."""
    try:
        import yaml  # noqa: F401  (only asks whether PyYAML is installed)
    except ImportError:
        return names_without_pyyaml(text, path)
    return names_with_pyyaml(text, path)


def names_with_pyyaml(text, path):
    """``names_from_yaml`` by ``yaml.safe_load`` (PyYAML must be installed)."""
    import yaml
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise DetapInputError(f"malformed YAML: {e}", path) from None
    if not isinstance(doc, dict) or "names" not in doc:
        raise DetapInputError("no 'names:' key", path)
    return names_value(doc["names"], path)


def names_value(value, path):
    """A parsed ``names`` value as a list of str: a list, or a mapping whose
    keys are the class ids 0..n-1 (ints, or strings of them)."""
    if isinstance(value, dict):
        try:
            ids = sorted(int(k) for k in value)
        except (TypeError, ValueError):
            raise DetapInputError("'names:' mapping keys must be class ids (integers)", path) from None
        if ids != list(range(len(ids))):
            raise DetapInputError(f"'names:' mapping keys must be 0..{len(ids) - 1}", path)
        by_id = {int(k): v for k, v in value.items()}
        value = [by_id[i] for i in ids]
    if not isinstance(value, list) or any(isinstance(v, (list, dict)) or v is None for v in value):
        raise DetapInputError("'names:' must be a list of names or a {id: name} mapping", path)
    return [str(v) for v in value]


# ------------------------------------------------------- without PyYAML

# a top-level names key (column 0, maybe quoted) and the rest of its line
_KEY = re.compile(r"""(?:names|'names'|"names") *:( .*)?$""")
# a document start or end line
_MARKER = re.compile(r"(?:---|\.\.\.)(?:[ \t]|$)")
# PyYAML's YAML 1.1 implicit types: a plain scalar matching one of these
# is not a string (PyYAML's resolver.py, less the str fallback)
_TYPED = re.compile(r"""^(?:
      yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | << | ~ | null | Null | NULL | =
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?
      :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    )$""", re.X)
# ... except a decimal integer written the way str() writes it: "7" reads
# as 7 and str(7) gives "7" back
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# characters that cannot start a plain scalar (YAML's indicators; '-', '?'
# and ':' sometimes can, but refusing them is simpler than the rule)
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
# what PyYAML's reader refuses anywhere in a file
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")




def names_without_pyyaml(text, path):
    """``names_from_yaml`` without PyYAML: the top-level ``names:`` entry of
    ``text`` in the forms the module doc lists, or a DetapInputError (naming
    ``path`` and the line) asking for PyYAML."""
    bad = _NON_PRINTABLE.search(text)
    if bad:
        raise DetapInputError(f"malformed YAML: unacceptable character {bad.group()!r}", path,
                              text.count("\n", 0, bad.start()) + 1)
    lines = [s[:-1] if s.endswith("\r") else s for s in text.split("\n")]
    for no, s in enumerate(lines, 1):
        # YAML's other line breaks, and a BOM past the start
        odd = next((ch for ch in "\r\x85\u2028\u2029\ufeff" if ch in s), None)
        if odd:
            raise _need_yaml(path, no, f"the character {odd!r}")
    starts = [i for i, s in enumerate(lines) if _KEY.match(s)]
    if not starts:
        raise DetapInputError("no 'names:' key (without PyYAML, only a 'names:' at the start "
                              "of a line is found)", path)
    if len(starts) > 1:
        raise _need_yaml(path, starts[1] + 1, "a second 'names:'")
    start = starts[0]
    # several documents: safe_load refuses them (a '---' first is fine)
    first = next((i for i, s in enumerate(lines) if not _blank(s)), None)
    odd = [i for i, s in enumerate(lines) if _MARKER.match(s) and (i != first or s[0] == ".")]
    if odd:
        raise _need_yaml(path, odd[0] + 1, "a document marker")
    toks, depth = _tokens(_KEY.match(lines[start]).group(1) or "", start + 1, 0, path)
    if not toks:
        return names_value(_block(lines, start + 1, path), path)
    if toks[0][0] not in "[{":
        raise _need_yaml(path, start + 1, f"the value {' '.join(t[1] for t in toks)!r}")
    no = start + 1
    while depth:  # a flow collection may go on over the next lines
        if no == len(lines):
            raise _need_yaml(path, start + 1, "an unclosed flow collection")
        more, depth = _tokens(lines[no], no + 1, depth, path)
        toks += more
        no += 1
    _nothing_more(lines, no, path)
    return names_value(_flow(toks, path), path)


def _tokens(s, no, depth, path):
    """The tokens of line ``s`` (line number ``no``) as (kind, text, no),
    kind one of "plain", "quoted", "[", "]", "{", "}", ",", ":", "-"; and the
    depth of open flow collections after it (``depth`` before it).  A
    comment ends the line; tabs and strings over several lines are
    refused."""
    out, i = [], 0
    while i < len(s):
        ch, nxt = s[i], s[i + 1:i + 2]
        if ch == " ":
            i += 1
        elif ch == "\t":
            raise _need_yaml(path, no, "a tab")
        elif ch == "#":  # PyYAML reads a '#' where a token starts as a comment
            break
        elif ch in "'\"":
            end = _quote_end(s, i)
            if end is None:
                raise _need_yaml(path, no, "a quoted string over several lines")
            out.append(("quoted", _unquote(s[i:end + 1], path, no), no))
            i = end + 1
        elif ch in "[{" or (depth and ch in "]},") or (ch in ":-" and nxt in ("", " ")):
            depth += (ch in "[{") - (ch in "]}")
            out.append((ch, ch, no))
            i += 1
        else:
            end = _plain_end(s, i, depth)
            out.append(("plain", s[i:end].rstrip(" "), no))
            i = end
    return out, depth


def _quote_end(s, i):
    """Index of the quote that closes the one at ``s[i]``, or None.  In
    single quotes ``''`` is a quote; in double quotes a backslash starts an
    escape, and an escaped quote is left for ``_unquote`` to refuse."""
    q, j = s[i], i + 1
    while True:
        j = s.find(q, j)
        if j < 0:
            return None
        if q == "'" and s[j + 1:j + 2] == "'":
            j += 2
            continue
        return j


def _unquote(token, path, no):
    inner = token[1:-1]
    if token[0] == "'":
        return inner.replace("''", "'")
    if "\\" in inner:
        raise _need_yaml(path, no, f"the escapes of {token}")
    return inner


def _plain_end(s, i, depth):
    """Where the plain scalar starting at ``s[i]`` ends: at ': ', a ':' at
    the end, ' #', a tab, or (in a flow collection) a flow indicator."""
    j = i
    while j < len(s):
        ch, nxt = s[j], s[j + 1:j + 2]
        if (ch == "\t" or (ch == ":" and nxt in ("", " ")) or (ch == " " and nxt == "#")
                or (depth and ch in ",[]{}")):
            break
        j += 1
    return j


def _flow(toks, path):
    """A flow list ``[a, b]`` or mapping ``{0: a}`` of tokens as a list or
    dict of str; a trailing comma is allowed, as in YAML."""
    close = "]" if toks[0][0] == "[" else "}"
    inner = next((t for t in toks[1:] if t[0] in "[{"), None)
    if inner:
        raise _need_yaml(path, inner[2], "a nested collection")
    ends = [k for k, t in enumerate(toks) if t[0] in "]}"]
    if toks[ends[0]][0] != close:
        raise _need_yaml(path, toks[ends[0]][2], f"a {toks[ends[0]][0]!r} that closes {toks[0][0]!r}")
    if ends[0] != len(toks) - 1:
        raise _need_yaml(path, toks[ends[0] + 1][2], f"text after the closing {close!r}")
    entries, cur = [], []
    for t in toks[1:-1]:
        if t[0] == ",":
            entries.append(cur)
            cur = []
        else:
            cur.append(t)
    entries.append(cur)
    if not entries[-1]:
        entries.pop()  # "[a, b,]" or "[]"
    line = toks[0][2]
    if toks[0][0] == "[":
        return [_one(e, True, path, line) for e in entries]
    out = {}
    for e in entries:
        if len(e) != 3 or e[1][0] != ":":
            raise _need_yaml(path, e[0][2] if e else line, "a mapping entry that is not 'id: name'")
        out[_one(e[:1], True, path, line, "class id")] = _one(e[2:], True, path, line)
    return out


def _block(lines, first, path):
    """The block list (``- a`` lines) or block mapping (``0: a`` lines,
    indented) after line ``first`` (1-based: the ``names:`` line), as a
    list or a dict of str; None when the ``names:`` has no value."""
    items, mapping, indent = [], {}, None
    for no in range(first + 1, len(lines) + 1):
        s = lines[no - 1]
        if _blank(s):
            continue  # blank or comment lines may be anywhere
        if s[0] == "\t":
            raise _need_yaml(path, no, "a tab")
        if not s.startswith((" ", "-")):
            break  # the next top-level key
        toks, _ = _tokens(s, no, 0, path)
        margin = len(s) - len(s.lstrip(" "))
        indent = margin if indent is None else indent
        if margin != indent:
            raise _need_yaml(path, no, "an indentation that differs from the line above")
        if toks[0][0] == "-":
            items.append(_one(toks[1:], False, path, no))
        elif len(toks) == 3 and toks[1][0] == ":":
            mapping[_one(toks[:1], False, path, no, "class id")] = _one(toks[2:], False, path, no)
        else:
            raise _need_yaml(path, no, "an entry that is not '- name' or 'id: name'")
        if items and mapping:
            raise _need_yaml(path, no, "list entries and mapping entries mixed")
    return mapping or items or None


def _nothing_more(lines, i, path):
    """After a flow collection, only blank and comment lines may come before
    the next top-level key."""
    for no in range(i + 1, len(lines) + 1):
        s = lines[no - 1]
        if _blank(s):
            continue
        if not s.startswith((" ", "\t")):
            return
        raise _need_yaml(path, no, "more text after the closing bracket")


def _blank(s):
    """A blank or comment-only line."""
    return not s.strip() or s.lstrip().startswith("#")


def _one(toks, flow, path, line, what="name"):
    """The str of a single scalar token (a ``what``: "name" or "class
    id"); in a flow collection (``flow``) a plain scalar may not hold ':'
    or '?'."""
    if len(toks) != 1 or toks[0][0] not in ("plain", "quoted"):
        text = " ".join(t[1] for t in toks)
        raise _need_yaml(path, toks[0][2] if toks else line,
                         f"the entry {text!r}" if toks else "an empty entry")
    kind, s, line = toks[0]
    if kind == "quoted":
        return s
    if s[0] in _INDICATORS or (flow and (":" in s or "?" in s)):
        raise _need_yaml(path, line, f"the {what} {s!r}")
    if _TYPED.match(s) and not _DECIMAL.fullmatch(s):
        raise _need_yaml(path, line, f"the {what} {s!r}", " (YAML reads it as a number, bool, "
                         "null or date: quote it to keep it a string)")
    return s


def _need_yaml(path, line, what, why=""):
    return DetapInputError(f"cannot read {what} in 'names:' without PyYAML{why}; install "
                           "PyYAML (pip install PyYAML) or give a names file with one name "
                           "per line", path, line)
