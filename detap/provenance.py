"""Where a report comes from: inputs, options, detap version, date.

``complete(provenance)`` returns the dict a report stores (``"provenance"``
in report.json / compare.json, a "Provenance" table in the Markdown and
HTML): the caller's keys in their order (the CLI passes gt, dt, format,
dt_format, protocol, detap_version, command, date), plus ``detap_version``
and ``date`` when the caller did not give them, so every report says which
version made it and when.  ``date`` is ISO 8601 with the UTC offset, to the
second.  Values that JSON cannot hold (a Path, a tuple's items...) are
stored as text, so the provenance never breaks the JSON file.
"""
import datetime
import math
import numbers

__all__ = ["complete", "now_iso", "cell"]


def now_iso():
    """The current time as ISO 8601 with the local UTC offset, seconds."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _jsonable(v):
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        v = float(v)
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


def complete(provenance=None):
    """``provenance`` (a mapping or None) with detap_version and date filled
    in where missing, every value JSON-able."""
    from . import __version__
    out = {str(k): _jsonable(v) for k, v in (provenance or {}).items()}
    out.setdefault("detap_version", __version__)
    out.setdefault("date", now_iso())
    return out


def cell(v):
    """A provenance value as table text (lists joined by spaces)."""
    if v is None:
        return ""
    if isinstance(v, list):
        return " ".join(cell(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={cell(x)}" for k, x in v.items())
    return str(v)
