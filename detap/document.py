"""A report as a tree of blocks, rendered to Markdown, HTML or terminal text.

The report writers build one ``Document`` and render it three ways, so a
section is written once.  The blocks:

- ``Heading(text, level=2)``
- ``Paragraph(parts, style="")``  parts: text or a list of text and
  ``Strong(text)``; style "muted" (secondary) or "note" (a warning)
- ``Bullets(items)``              an unordered list of texts
- ``Table(head, rows, align=None, foot=None)``  align: one letter per column,
  "l" or "r" (default: the first column left, the numeric rest right); foot:
  a closing row (e.g. the mAP), set apart from the body
- ``Figure(path, caption, width=None, height=None)``  a PNG, ``path``
  relative to the document's folder
- ``FigureGroup(title, figures)``  figures shown on demand: folded away in
  HTML, a list of links in Markdown and text
- ``Section(blocks)``              a group of blocks (an HTML ``<section>``)

Every text is plain: the renderers escape it.  Table cells are text or
numbers; ``number`` formats one, and a number without a value (None, NaN,
inf) shows as "n/a" everywhere.  Each block renders itself (``md_lines``,
``html_lines``, ``text_lines``), so a new kind of block is written in one
place.

``to_markdown(doc)``, ``to_html(doc, base_dir)`` (self-contained: inline CSS,
figures read from ``base_dir`` and inlined as base64 data URIs) and
``to_text(doc)`` (aligned columns for the terminal; wide characters counted
by ``display_width``).
"""
import base64
import html
import math
import numbers
import os
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Optional

__all__ = ["Document", "Block", "Section", "Heading", "Paragraph", "Strong", "Bullets", "Table",
           "Figure", "FigureGroup", "number", "percent", "display_width", "to_markdown",
           "to_html", "to_text"]

NOT_AVAILABLE = "n/a"


# ------------------------------------------------------------------ text in each output

def number(x, spec="", scale=1):
    """``x * scale`` formatted with ``spec``; "n/a" when there is no value
    (None, NaN, inf)."""
    if x is None or not math.isfinite(float(x)):
        return NOT_AVAILABLE
    return format(float(x) * scale, spec)


def percent(x, signed=False):
    """A fraction as a percentage with two decimals ("+" too if ``signed``)."""
    return number(x, "+.2f" if signed else ".2f", scale=100)


def _cell_text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, numbers.Integral):
        return str(int(v))
    return number(v)


def _md(text):
    """Text for Markdown: HTML-escaped (renderers pass raw HTML through),
    whitespace runs made one space (a newline would end a table row) and
    Markdown punctuation backslash-escaped."""
    text = html.escape(re.sub(r"\s+", " ", str(text)), quote=False)
    return re.sub(r"([\\`*_\[\]|#!$~])", r"\\\1", text)


def _md_url(path):
    # a space or parenthesis would end the link
    return urllib.parse.quote(path, safe="/")


def _e(text):
    return html.escape(str(text), quote=True)


def display_width(s):
    """Terminal columns of ``s``: wide East Asian characters take two,
    combining marks none."""
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _printable(s):
    # a newline or tab inside a class name would break the table's rows
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(s))


# ------------------------------------------------------------------ the model

class Block:
    """A block of a document; it renders itself as lines of each output."""

    def md_lines(self):
        raise NotImplementedError

    def html_lines(self, base_dir):
        raise NotImplementedError

    def text_lines(self):
        raise NotImplementedError


@dataclass
class Strong:
    """Emphasized text inside a paragraph."""
    text: str


@dataclass
class Heading(Block):
    text: str
    level: int = 2

    def __post_init__(self):
        if self.level not in range(1, 7):
            raise ValueError(f"Heading: level {self.level!r} is not 1 to 6")

    def md_lines(self):
        return ["#" * self.level + " " + _md(self.text)]

    def html_lines(self, base_dir):
        return [f"<h{self.level}>{_e(self.text)}</h{self.level}>"]

    def text_lines(self):
        text = _printable(self.text)
        return ["", text, ("=" if self.level == 1 else "-") * display_width(text)]


@dataclass
class Paragraph(Block):
    parts: object           # text, or a list of text and Strong
    style: str = ""         # "", "muted" or "note"

    def __post_init__(self):
        if isinstance(self.parts, (str, Strong)):
            self.parts = [self.parts]
        # the style becomes an HTML class attribute: only known names
        if self.style not in ("", "muted", "note"):
            raise ValueError(f"Paragraph: unknown style {self.style!r}")

    def md_lines(self):
        text = "".join(f"**{_md(p.text)}**" if isinstance(p, Strong) else _md(p)
                       for p in self.parts)
        return [("> " if self.style == "note" else "") + text]

    def html_lines(self, base_dir):
        cls = f' class="{self.style}"' if self.style else ""
        text = "".join(f"<strong>{_e(p.text)}</strong>" if isinstance(p, Strong) else _e(p)
                       for p in self.parts)
        return [f"<p{cls}>{text}</p>"]

    def text_lines(self):
        return [_printable("".join(p.text if isinstance(p, Strong) else str(p)
                                   for p in self.parts))]


@dataclass
class Bullets(Block):
    items: list

    def md_lines(self):
        return [f"- {_md(item)}" for item in self.items]

    def html_lines(self, base_dir):
        return ["<ul>"] + [f"<li>{_e(item)}</li>" for item in self.items] + ["</ul>"]

    def text_lines(self):
        return [f"- {_printable(item)}" for item in self.items]


@dataclass
class Table(Block):
    head: list
    rows: list
    align: Optional[str] = None
    foot: Optional[list] = None

    def __post_init__(self):
        self.head = list(self.head)
        self.rows = [list(r) for r in self.rows]
        if self.foot is not None:
            self.foot = list(self.foot)
        n = len(self.head)
        if self.align is None:
            self.align = "l" + "r" * (n - 1)
        if len(self.align) != n or set(self.align) - set("lr"):
            raise ValueError(f"Table: align {self.align!r} for {n} columns")
        for row in self.rows + ([self.foot] if self.foot is not None else []):
            if len(row) != n:
                raise ValueError(f"Table: a row of {len(row)} cells under {n} columns")

    def md_lines(self):
        def row(cells):
            return "| " + " | ".join(cells) + " |"
        out = [row(_md(h) for h in self.head),
               "|" + "|".join(":---" if a == "l" else "---:" for a in self.align) + "|"]
        out += [row(_md(_cell_text(c)) for c in r) for r in self.rows]
        if self.foot is not None:
            # Markdown tables have no footer: a bold last row stands for it
            out.append(row(f"**{_md(_cell_text(c))}**" if _cell_text(c) else ""
                           for c in self.foot))
        return out

    def html_lines(self, base_dir):
        num = ' class="num"'

        def cells(row, tag):
            return "".join(f"<{tag}{num if a == 'r' else ''}>{_e(_cell_text(v))}</{tag}>"
                           for a, v in zip(self.align, row))
        out = ["<table>", f"<thead><tr>{cells(self.head, 'th')}</tr></thead>", "<tbody>"]
        out += [f"<tr>{cells(row, 'td')}</tr>" for row in self.rows]
        out.append("</tbody>")
        if self.foot is not None:
            out.append(f"<tfoot><tr>{cells(self.foot, 'th')}</tr></tfoot>")
        out.append("</table>")
        return out

    def text_lines(self):
        foot = [self.foot] if self.foot is not None else []
        rows = [[_printable(_cell_text(c)) for c in row]
                for row in [self.head] + self.rows + foot]
        widths = [max(display_width(row[i]) for row in rows) for i in range(len(self.head))]
        lines = []
        for row in rows:
            parts = []
            for s, w, a in zip(row, widths, self.align):
                pad = " " * (w - display_width(s))
                parts.append(s + pad if a == "l" else pad + s)
            lines.append("  ".join(parts).rstrip())
        rule = "-" * max(display_width(x) for x in lines)
        body = lines[1:len(lines) - len(foot)]
        return [lines[0], rule] + body + ([rule, lines[-1]] if foot else [])


@dataclass
class Figure(Block):
    path: str               # relative to the document's folder, "/"-separated
    caption: str
    width: Optional[int] = None
    height: Optional[int] = None

    def md_lines(self):
        return [f"![{_md(self.caption)}]({_md_url(self.path)})"]

    def html_lines(self, base_dir):
        with open(os.path.join(base_dir, *self.path.split("/")), "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        size = "".join(f' {k}="{int(v)}"' for k, v in (("width", self.width),
                                                        ("height", self.height))
                       if v is not None)
        return [f'<figure><img src="data:image/png;base64,{data}"{size} '
                f'alt="{_e(self.caption)}"><figcaption>{_e(self.caption)}</figcaption></figure>']

    def text_lines(self):
        return [f"{_printable(self.caption)}: {self.path}"]


@dataclass
class FigureGroup(Block):
    title: str
    figures: list

    def md_lines(self):
        return ([f"{_md(self.title)}:", ""]
                + [f"- [{_md(f.caption)}]({_md_url(f.path)})" for f in self.figures])

    def html_lines(self, base_dir):
        return ([f"<details><summary>{_e(self.title)} ({len(self.figures)})</summary>"]
                + [line for f in self.figures for line in f.html_lines(base_dir)]
                + ["</details>"])

    def text_lines(self):
        return [f"{_printable(self.title)}:"] + ["- " + line for f in self.figures
                                                 for line in f.text_lines()]


@dataclass
class Section(Block):
    blocks: list

    def md_lines(self):
        return _md_join(self.blocks)

    def html_lines(self, base_dir):
        inner = [line for b in _checked(self.blocks) for line in b.html_lines(base_dir)]
        return ["<section>"] + inner + ["</section>"]

    def text_lines(self):
        return [line for b in _checked(self.blocks) for line in b.text_lines()]


@dataclass
class Document:
    blocks: list
    title: str = ""

    def top_blocks(self):
        """The blocks, the title first as a level-1 heading."""
        return _checked(([Heading(self.title, 1)] if self.title else []) + list(self.blocks))


def _checked(blocks):
    for b in blocks:
        if not isinstance(b, Block):
            raise TypeError(f"not a document block: {b!r}")
    return blocks


def _md_join(blocks):
    """Markdown lines of ``blocks``, a blank line between two."""
    return [line for b in _checked(blocks) for line in [""] + b.md_lines()][1:]


# ------------------------------------------------------------------ renderers

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{border-bottom:2px solid #ccc;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f2f2f2}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafafa}td:first-child{white-space:nowrap}
.muted{color:#666;font-size:.9em}.note{border-left:4px solid #d9822b;padding-left:.6em}
figure{display:inline-block;margin:.5em;vertical-align:top}
figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444;text-align:center}
details{margin:1em 0}summary{cursor:pointer;font-weight:bold}
"""


def to_markdown(doc):
    """The document as Markdown, blocks separated by blank lines."""
    return "\n".join(_md_join(doc.top_blocks())) + "\n"


def to_html(doc, base_dir="."):
    """The document as one self-contained HTML page: inline CSS, no script,
    figures read from ``base_dir`` and inlined."""
    body = [line for b in doc.top_blocks() for line in b.html_lines(base_dir)]
    return "\n".join(['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f"<title>{_e(doc.title)}</title>", f"<style>{_CSS}</style>", "</head>",
                      "<body>", *body, "</body>", "</html>", ""])


def to_text(doc):
    """The document as terminal text: no markup, tables in aligned columns
    with rules, a blank line before each heading, no trailing newline."""
    lines = [line for b in doc.top_blocks() for line in b.text_lines()]
    while lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines)
