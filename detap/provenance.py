"""Where a result comes from: inputs, options, detap version, date.

``build`` (the command line) returns a plain dict: ``gt`` and ``dt``
(paths as given; ``dt`` is a list for ``detap compare``), ``format`` and
``dt_format``, ``protocol``, ``detap_version``, ``command`` (the command
line, quoted so a POSIX shell runs it again) and ``date``.

``complete(provenance)`` returns the dict a report stores (``"provenance"``
in report.json / compare.json, a "Provenance" table in the Markdown and
HTML): the caller's keys in their order (the CLI passes gt, dt, format,
dt_format, protocol, detap_version, command, date), plus ``detap_version``
and ``date`` when the caller did not give them, so every report says which
version made it and when.  ``date`` is ISO 8601 in UTC, to the second
("2026-11-27T10:06:00Z").  Values that JSON cannot hold (a Path, a tuple's items...) are
stored as text, so the provenance never breaks the JSON file.
"""
import datetime
import math
import numbers
import shlex

__all__ = ["build", "command_line", "complete", "now_iso", "cell"]


def now_iso():
    """The current time as ISO 8601 in UTC, whole seconds, with a "Z"."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


def command_line(argv):
    """``detap`` followed by ``argv``, shell-quoted."""
    return " ".join(shlex.quote(str(a)) for a in ["detap"] + list(argv))


def build(argv, gt, dt, fmt, dt_format, protocol, **extra):
    """The command line's provenance dict (see above); ``extra`` items
    (e.g. ``runs`` for compare) are added as given."""
    from . import __version__
    d = {"gt": gt, "dt": dt, "format": fmt, "dt_format": dt_format, "protocol": protocol,
         "detap_version": __version__, "command": command_line(argv), "date": now_iso()}
    d.update(extra)
    return d


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
