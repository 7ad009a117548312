"""Terminal output of the command line: ``rich`` tables and colour on a
terminal, the plain text everywhere else.

Plain text (pipes, files, ``--quiet``, ``--json``, ``NO_COLOR``, or rich
not installed) is byte for byte what ``detap.report`` renders, so scripts
and tests see stable output.  ``rich`` is imported only here and in
``detap.progress``, lazily, so ``import detap`` needs numpy only.
"""
import contextlib
import os

__all__ = ["rich_enabled", "write_text", "write_result_table", "write_error", "activity"]


def rich_enabled(stream, quiet=False):
    """True when ``stream`` is a terminal, the user did not ask for
    ``--quiet`` or ``NO_COLOR``/``TERM=dumb``, and rich is importable."""
    if quiet or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if not getattr(stream, "isatty", lambda: False)():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def _console(stream):
    from rich.console import Console
    return Console(file=stream, highlight=False, soft_wrap=True)


def write_text(stream, text, fancy):
    """Write ``text`` plus a newline; on a terminal (``fancy``), lines
    starting with "mAP" are bold and numbers coloured."""
    if not fancy:
        stream.write(text + "\n")
        return
    from rich.highlighter import ReprHighlighter
    from rich.text import Text
    con = _console(stream)
    hl = ReprHighlighter()
    for line in text.split("\n"):
        t = Text(line, style="bold" if line.startswith("mAP") else "")
        hl.highlight(t)
        con.print(t)


def write_result_table(stream, title, table):
    """A ``detap.document.Table`` (head, rows, foot, align) as a rich table
    under ``title``; its cells are text, as ``detap.report.class_table``
    makes them."""
    from rich.table import Table
    from rich.text import Text
    con = _console(stream)
    # Text, not str: a class name such as "[car]" is not rich markup
    t = Table(title=Text(title), title_justify="left", show_footer=table.foot is not None,
              header_style="bold cyan", footer_style="bold")
    foot = table.foot or [""] * len(table.head)
    for head, align, f in zip(table.head, table.align, foot):
        t.add_column(Text(str(head)), justify="left" if align == "l" else "right",
                     footer=Text(str(f)))
    for row in table.rows:
        t.add_row(*[Text(str(c)) for c in row])
    con.print(t)


def write_error(stream, text, fancy):
    """One error or gate line, red on a terminal."""
    if not fancy:
        stream.write(text + "\n")
        return
    from rich.text import Text
    _console(stream).print(Text(text, style="bold red"))


def activity(label, stream, quiet=False):
    """A context manager showing a spinner with ``label`` on ``stream``
    (stderr) while a step without a count runs, e.g. writing the plots of
    a report; nothing off a terminal or with ``--quiet``."""
    if not rich_enabled(stream, quiet):
        return contextlib.nullcontext()
    from rich.console import Console
    return Console(file=stream).status(label)
