"""The CI gate of ``detap eval --fail-under`` and ``detap compare --max-drop``.

A gate is a list of ``Check`` s (one per protocol for ``--fail-under``, one
per later run, or per run and class with ``--per-class``, for
``--max-drop``).  The command line exits 1 when any check failed, writes
them as JUnit XML (one testcase per check) with ``--junit`` and as a
Markdown summary (for a CI job summary) with ``--summary-md``.

Units: AP and mAP are fractions in [0, 1] everywhere in this module.  The
thresholds users type are read by ``parse_fraction``: ``0.5`` is a
fraction, ``50`` (any value above 1) or ``50%`` is percent.
"""
import math
import os
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from .atomic import atomic_write
from .errors import DetapInputError

__all__ = ["Check", "parse_fraction", "map_checks", "drop_checks", "failed",
           "summary_text", "junit_xml", "summary_markdown", "write_junit", "write_summary"]


@dataclass
class Check:
    """One gate check: ``name`` (e.g. "mAP voc" or "run2 car"), whether it
    ``passed``, and ``message``, one readable line with the numbers."""
    name: str
    passed: bool
    message: str


def parse_fraction(text, flag):
    """A threshold typed by the user, as a fraction.

    "0.45" -> 0.45; "45" or "45%" -> 0.45.  A plain number above 1 is
    percent (no AP is above 1), so 1 itself is the fraction 1.0; give "1%"
    for one percent.  Raises DetapInputError naming ``flag`` for anything
    else, or a value outside [0, 100] percent.
    """
    s = str(text).strip()
    pct = s.endswith("%")
    try:
        v = float(s[:-1] if pct else s)
    except ValueError:
        raise DetapInputError(f"{flag} {text!r}: not a number (give 0.45, 45 or 45%)") from None
    if not math.isfinite(v) or v < 0:
        raise DetapInputError(f"{flag} {text!r}: must be a finite number >= 0")
    if pct or v > 1:
        v /= 100.0
    if v > 1:
        raise DetapInputError(f"{flag} {text!r}: above 100 %")
    return v


def _pct(x):
    return "undefined" if x is None or math.isnan(x) else f"{x * 100:.2f} %"


def map_checks(results, threshold):
    """``--fail-under``: one check per EvalResult (protocol) that its mAP
    is at least ``threshold`` (a fraction).  An undefined (NaN) mAP, when
    no class has GT, fails: it cannot show the model is good enough."""
    out = []
    for r in results:
        m = float(r.map)
        ok = not math.isnan(m) and m >= threshold
        out.append(Check(f"mAP {r.protocol} @ IoU {float(r.iou):g}", ok,
                         f"mAP {_pct(m)} {'>=' if ok else '<'} {_pct(threshold)} "
                         f"({r.protocol}, IoU {float(r.iou):g})"
                         + ("" if not math.isnan(m) else ": no class has GT")))
    return out


def _drop_check(name, base, value, delta, what):
    base, value = float(base), float(value)
    if math.isnan(base):
        return Check(name, True, f"{what}: first run's AP undefined, not checked")
    if math.isnan(value):
        return Check(name, False, f"{what}: undefined (first run {_pct(base)})")
    drop = base - value
    # a tolerance of a few ulps, so a drop of exactly DELTA typed in percent passes
    ok = drop <= delta + 1e-12
    return Check(name, ok, f"{what}: {_pct(value)}, first run {_pct(base)}, "
                           f"drop {drop * 100:.2f} points, {'within' if ok else 'more than'} "
                           f"the {delta * 100:.2f} allowed")


def drop_checks(runs, delta, per_class=False):
    """``--max-drop``: for each run after the first ([(label, EvalResult)]),
    a check that its mAP is at most ``delta`` (a fraction, e.g. 0.01 = one
    AP point) below the first run's; with ``per_class`` also one check per
    class of the first run (a class missing from a later run fails)."""
    (first_label, first), rest = runs[0], runs[1:]
    out = []
    for label, r in rest:
        out.append(_drop_check(f"{label} mAP", first.map, r.map, delta, f"{label} mAP"))
        if per_class:
            for c in first.classes:
                ap = r.per_class[c].ap if c in r.per_class else math.nan
                out.append(_drop_check(f"{label} {c}", first.per_class[c].ap, ap, delta,
                                       f"{label} AP[{c}]"))
    return out


def failed(checks):
    return [c for c in checks if not c.passed]


def summary_text(checks):
    """The gate's verdict for stderr: one line, then one line per failed check."""
    bad = failed(checks)
    if not bad:
        return f"detap: gate passed ({len(checks)} check{'s' if len(checks) != 1 else ''})"
    return "\n".join([f"detap: gate FAILED: {len(bad)} of {len(checks)} checks"]
                     + [f"  FAIL {c.message}" for c in bad])


def junit_xml(checks, suite="detap"):
    """JUnit XML: one testsuite, one testcase per check, a <failure> on each
    failed one (the format CI systems read test results from)."""
    bad = failed(checks)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites tests="{len(checks)}" failures="{len(bad)}">',
             f'  <testsuite name={quoteattr(suite)} tests="{len(checks)}" '
             f'failures="{len(bad)}" errors="0" skipped="0">']
    for c in checks:
        head = f'    <testcase classname={quoteattr(suite)} name={quoteattr(c.name)}'
        if c.passed:
            lines.append(head + f'>\n      <system-out>{escape(c.message)}</system-out>\n'
                                '    </testcase>')
        else:
            lines.append(head + f'>\n      <failure message={quoteattr(c.message)}>'
                                f'{escape(c.message)}</failure>\n    </testcase>')
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)


def _md_cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def summary_markdown(checks, title, provenance=None):
    """A Markdown job summary: the verdict, a table of every check, and the
    command that produced it."""
    bad = failed(checks)
    verdict = (f"**FAILED**: {len(bad)} of {len(checks)} checks" if bad
               else f"**passed**: {len(checks)} checks")
    lines = [f"### {title}", "", verdict, "", "| check | result | detail |", "|:---|:---|:---|"]
    lines += [f"| {_md_cell(c.name)} | {'pass' if c.passed else '**FAIL**'} | "
              f"{_md_cell(c.message)} |" for c in checks]
    if provenance:
        lines += ["", f"`{provenance.get('command', '')}` (detap "
                      f"{provenance.get('detap_version', '')}, {provenance.get('date', '')})"]
    return "\n".join(lines) + "\n"


def write_junit(path, checks, suite="detap"):
    """Write ``junit_xml(checks)`` to ``path`` atomically."""
    return atomic_write(path, junit_xml(checks, suite))


def write_summary(path, checks, title, provenance=None):
    """Append the Markdown summary to ``path`` (appending is how CI job
    summary files such as ``$GITHUB_STEP_SUMMARY`` collect several steps'
    output); a new file is written atomically."""
    text = summary_markdown(checks, title, provenance)
    if os.path.exists(path):
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
        return path
    return atomic_write(path, text)
