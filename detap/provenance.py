"""Where a result came from: the provenance record of reports and ``--json``.

``build`` returns a plain dict: ``gt`` and ``dt`` (paths as given; ``dt``
is a list for ``detap compare``), ``format`` and ``dt_format``,
``protocol``, ``detap_version``, ``command`` (the command line, quoted so a
POSIX shell runs it again) and ``date`` (ISO 8601, UTC, whole seconds,
e.g. "2026-11-27T10:06:00Z").
"""
import datetime
import shlex

from . import __version__

__all__ = ["build", "command_line"]


def command_line(argv):
    """``detap`` followed by ``argv``, shell-quoted."""
    return " ".join(shlex.quote(str(a)) for a in ["detap"] + list(argv))


def build(argv, gt, dt, fmt, dt_format, protocol, **extra):
    """The provenance dict (see the module docstring); ``extra`` items
    (e.g. ``runs`` for compare) are added as given."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    d = {"gt": gt, "dt": dt, "format": fmt, "dt_format": dt_format, "protocol": protocol,
         "detap_version": __version__, "command": command_line(argv),
         "date": now.isoformat().replace("+00:00", "Z")}
    d.update(extra)
    return d
