"""Every C header keeps all of its code inside its include guard.

A declaration left after the guard's #endif is compiled again at each
repeated include (a redefinition error for a typedef or an inline
function, or a silent duplicate), so the check is structural: with
comments removed, a header is `#ifndef G` / `#define G` ... `#endif`, and
that first #ifndef is closed by the last line and no earlier.  A header's
leading comment may stay outside the guard.
"""
import re
from pathlib import Path

import pytest

CSRC = Path(__file__).resolve().parents[1] / "csrc"
HEADERS = sorted(CSRC.glob("*.h"))


def code_lines(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def guard_problem(lines):
    """None when the lines form one whole guarded unit, else what is wrong."""
    if len(lines) < 3:
        return "too short to hold a guard"
    m = re.fullmatch(r"#\s*ifndef\s+(\w+)", lines[0])
    if not m or not re.fullmatch(r"#\s*define\s+" + m.group(1), lines[1]):
        return "does not open with #ifndef G / #define G"
    depth = 0
    for k, line in enumerate(lines):
        if re.match(r"#\s*if", line):
            depth += 1
        elif re.match(r"#\s*endif\b", line):
            depth -= 1
            if depth == 0 and k != len(lines) - 1:
                return f"code after the guard's #endif: {lines[k + 1]!r}"
    return None if depth == 0 else "the guard is not closed"


@pytest.mark.skipif(not HEADERS, reason="no csrc/ next to the tests")
@pytest.mark.parametrize("header", HEADERS, ids=lambda h: h.name)
def test_header_fully_guarded(header):
    assert guard_problem(code_lines(header.read_text())) is None, header.name


def test_guard_check_catches_code_after_endif():
    nested = ["#ifndef G", "#define G", "#if X", "int a;", "#endif", "int b;", "#endif"]
    assert guard_problem(nested) is None
    assert "after" in guard_problem(["#ifndef G", "#define G", "int a;", "#endif", "int b;"])
    assert "open" in guard_problem(["int a;", "#ifndef G", "#define G", "#endif"])
