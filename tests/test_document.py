"""The document model (detap.document) and its three renderers: tables with
alignment, footers and cells without a value, escaping of markup characters,
figures."""
import base64
import html.parser
import math

import pytest

from detap.document import (Bullets, Document, Figure, FigureGroup, Heading, Paragraph, Section,
                            Strong, Table, display_width, number, percent, to_html, to_markdown,
                            to_text)

NASTY = "a<b> | c & d"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))   # the renderers only copy the bytes


def table():
    """Left, right, left columns; a NaN cell, a None cell; a footer."""
    return Table(["name", "AP (%)", "note"],
                 [["dog", percent(0.6875), "ok"],
                  ["cat", float("nan"), "no GT"],
                  ["long name", 1234, None]],
                 align="lrl", foot=["mAP", percent(0.5), ""])


class Collect(html.parser.HTMLParser):
    """Start tags with attributes, the text, and unbalanced tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.stack, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("img", "meta"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(src):
    p = Collect()
    p.feed(src)
    p.close()
    assert not p.errors and not p.stack
    return p


def md_cells(line):
    """Cells of a Markdown table row, split at pipes that are not escaped."""
    cells, cur, i = [], "", 1
    while i < len(line) - 1:
        if line[i] == "\\":
            cur += line[i:i + 2]
            i += 2
            continue
        if line[i] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += line[i]
        i += 1
    return cells + [cur.strip()]


# ------------------------------------------------------------------ numbers

def test_number_and_percent():
    for missing in (None, float("nan"), float("inf"), -math.inf):
        assert number(missing, ".3f") == "n/a" and percent(missing) == "n/a"
    assert number(0.123456, ".3f") == "0.123"
    assert percent(0.123456) == "12.35"
    assert percent(-0.15, signed=True) == "-15.00" and percent(0.0, signed=True) == "+0.00"
    assert number(2, ".1f", scale=0.5) == "1.0"


def test_table_checks_its_shape():
    with pytest.raises(ValueError, match="align"):
        Table(["a", "b"], [], align="l")
    with pytest.raises(ValueError, match="align"):
        Table(["a", "b"], [], align="lc")
    with pytest.raises(ValueError, match="2 columns"):
        Table(["a", "b"], [["x"]])
    with pytest.raises(ValueError, match="2 columns"):
        Table(["a", "b"], [], foot=["x", "y", "z"])
    assert Table(["a", "b", "c"], []).align == "lrr"
    with pytest.raises(ValueError):
        Paragraph("x", style='x" onclick="y')
    with pytest.raises(ValueError):
        Heading("x", level=7)


# ------------------------------------------------------------------ tables

def test_markdown_table():
    md = to_markdown(Document([table()]))
    lines = md.splitlines()
    assert lines[0] == "| name | AP (%) | note |"
    assert lines[1] == "|:---|---:|:---|"
    assert md_cells(lines[2]) == ["dog", "68.75", "ok"]
    assert md_cells(lines[3]) == ["cat", "n/a", "no GT"]
    assert md_cells(lines[4]) == ["long name", "1234", "n/a"]
    assert md_cells(lines[5]) == ["**mAP**", "**50.00**", ""]   # the footer, bold
    assert md.endswith("|\n") and len(lines) == 6


def test_html_table():
    p = parse(to_html(Document([table()])))
    cells = [(tag, a.get("class")) for tag, a in p.tags if tag in ("td", "th")]
    # 4 rows of 3 (head, 3 body rows) and the footer: the middle column is numeric
    assert len(cells) == 15
    assert [c for _, c in cells] == [None, "num", None] * 5
    assert [t for t, _ in cells] == ["th"] * 3 + ["td"] * 9 + ["th"] * 3
    assert [t for t, _ in p.tags].count("tfoot") == 1
    text = [t for t in p.text if t.strip()]
    assert ["cat", "n/a", "no GT"] == text[text.index("cat"):text.index("cat") + 3]


def test_text_table_aligns_columns():
    lines = to_text(Document([table()])).split("\n")
    head, rule, *body, rule2, foot = lines
    assert set(rule) == {"-"} and rule == rule2 and len(rule) == max(map(len, lines))
    assert head.split() == ["name", "AP", "(%)", "note"]
    assert body[1].split() == ["cat", "n/a", "no", "GT"]
    # left column starts together, right column ends together, left one starts together
    ends = {ln.index(cell) + len(cell) for ln, cell in
            zip([head] + body + [foot], ["AP (%)", "68.75", "n/a", "1234", "50.00"])}
    assert len(ends) == 1
    starts = {ln.index(cell) for ln, cell in zip([head] + body, ["note", "ok", "no GT", "n/a"])}
    assert len(starts) == 1
    assert foot.split() == ["mAP", "50.00"] and not foot.endswith(" ")


def test_text_table_counts_wide_characters():
    t = Table(["class", "n"], [["猫", 1], ["dog", 22], ["e\u0301", 3]])
    lines = to_text(Document([t])).split("\n")
    assert display_width("猫") == 2 and display_width("e\u0301") == 1
    assert len({display_width(ln) for ln in lines if not ln.startswith("-")}) == 1


# ------------------------------------------------------------------ escaping

def nasty_document():
    return Document([Heading(NASTY), Paragraph([Strong(NASTY), " and " + NASTY]),
                     Bullets([NASTY]),
                     Table(["class", "AP"], [[NASTY, "1.00"]], foot=[NASTY, ""])],
                    title=NASTY)


def test_markdown_escapes():
    md = to_markdown(nasty_document())
    assert "<b>" not in md and "&lt;b&gt;" in md and " & " not in md and "&amp;" in md
    assert " | c" not in md and "\\| c" in md
    lines = md.splitlines()
    assert lines[0].startswith("# a&lt;b&gt; \\|")
    row = next(ln for ln in lines if ln.startswith("| a&lt;"))
    assert md_cells(row) == ["a&lt;b&gt; \\| c &amp; d", "1.00"]   # still two cells
    # a newline inside a cell would end the row
    t = to_markdown(Document([Table(["a", "b"], [["x\ny", "1"]])]))
    assert "| x y | 1 |" in t


def test_html_escapes():
    src = to_html(nasty_document())
    assert "<b>" not in src and " & " not in src
    p = parse(src)
    assert [a for t, a in p.tags if t == "title"] and "".join(p.text).count(NASTY) >= 5
    assert ("strong", {}) in p.tags


def test_text_keeps_names_but_not_control_characters():
    t = to_text(nasty_document())
    assert NASTY in t                    # a terminal needs no escaping
    assert "<strong>" not in t and "**" not in t
    broken = to_text(Document([Table(["class", "n"], [["x\ny\tz", 1]])]))
    assert len(broken.split("\n")) == 3 and "x\\ny\\tz" in broken


# ------------------------------------------------------------------ figures

def test_figures(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a b.png").write_bytes(PNG)
    (tmp_path / "plots" / "c.png").write_bytes(PNG[::-1])
    fig = Figure("plots/a b.png", "AP <per> class", 100, 50)
    group = FigureGroup("PR curve per class", [Figure("plots/c.png", "PR: c&d")])
    doc = Document([Section([fig, group])], title="t")

    md = to_markdown(doc)
    assert "![AP &lt;per&gt; class](plots/a%20b.png)" in md
    assert "- [PR: c&amp;d](plots/c.png)" in md

    p = parse(to_html(doc, tmp_path))
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 2
    prefix = "data:image/png;base64,"
    assert all(a["src"].startswith(prefix) for a in imgs)
    assert base64.b64decode(imgs[0]["src"][len(prefix):]) == PNG
    assert base64.b64decode(imgs[1]["src"][len(prefix):]) == PNG[::-1]
    assert (imgs[0]["width"], imgs[0]["height"], imgs[0]["alt"]) == ("100", "50", "AP <per> class")
    assert "width" not in imgs[1]
    tags = [t for t, _ in p.tags]
    assert tags.index("details") < tags.index("img", tags.index("img") + 1)
    assert "PR curve per class (1)" in p.text and "section" in tags
    with pytest.raises(FileNotFoundError):
        to_html(doc, tmp_path / "elsewhere")

    t = to_text(doc)
    assert "AP <per> class: plots/a b.png" in t and "- PR: c&d: plots/c.png" in t


def test_headings_and_paragraphs_in_each_renderer():
    doc = Document([Paragraph("intro", style="muted"), Heading("Part", 3),
                    Paragraph([Strong("Warning:"), " careful"], style="note")], title="Title")
    assert to_markdown(doc) == "# Title\n\nintro\n\n### Part\n\n> **Warning:** careful\n"
    src = to_html(doc)
    assert '<p class="muted">intro</p>' in src and "<h3>Part</h3>" in src
    assert '<p class="note"><strong>Warning:</strong> careful</p>' in src
    assert to_text(doc) == "Title\n=====\nintro\n\nPart\n----\nWarning: careful"
    with pytest.raises(TypeError):
        to_markdown(Document(["not a block"]))
