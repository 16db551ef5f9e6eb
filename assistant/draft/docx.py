"""Export a handlingsplan draft to Word (.docx) with python-docx.

The document has a title page (kommun, plan year and period, "Utkast – genererat <datum>", the titles
of the documents it draws on, and for an internal draft the red "Internt underlag – ej för
publicering", which also marks every internal sentence and the footer), the sections as real
Word headings (Rubrik 1 for sections, Rubrik 2 for their subheadings), Markdown tables as Word
tables, lists as Word lists, the `[n]` markers as they stand, every "[Att komplettera: …]"
highlighted in yellow, and a numbered source list with title, page, section, path and quote.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from assistant.records import INTERNAL_MARK, Citation, Draft

GAP_PREFIX = "[Att komplettera:"
MARK_TEXT = f"[{INTERNAL_MARK}]"
_INLINE = re.compile(r"(\*\*\[" + re.escape(INTERNAL_MARK) + r"\]\*\*|\*\*[^*\n]+\*\*|\[Att komplettera:[^\]]*\])")
_RED = RGBColor(0xC0, 0x00, 0x00)
_LIST_ITEM = re.compile(r"^(?:[-*•]|(\d{1,3})[.)])\s+")
_TABLE_RULE = re.compile(r"^:?-{3,}:?$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_GREY = RGBColor(0x59, 0x59, 0x59)
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.2  # A4
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
QUOTE_CHARS = 300  # the source list shows this much of a quote


def to_docx(draft: Draft) -> bytes:
    """The draft as the bytes of a .docx file."""
    document = docx.Document()
    _page_setup(document)
    _set_language(document, "sv-SE")
    _title_page(document, draft)
    for number, section in enumerate(draft.sections, start=1):
        document.add_heading(f"{number}. {section.heading}", level=1)
        add_markdown(document, section.markdown)
    _source_list(document, draft.citations)
    _properties(document, draft)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- front and back


def _title_page(document: Document, draft: Draft) -> None:
    document.add_paragraph("Handlingsplan för kompetensförsörjning", style="Title")
    document.add_paragraph(f"{draft.kommun} kommun – {draft.year}", style="Subtitle")
    if draft.internal:
        _mark_run(document.add_paragraph(), f"{INTERNAL_MARK}.", size=14)
    status = document.add_paragraph()
    status.add_run(f"Utkast – genererat {draft.generated}").bold = True
    document.add_paragraph(f"Planperiod: {draft.period or draft.year}")
    how = ("Texten är sammanställd direkt ur källorna" if draft.mode != "llm"
           else "Texten är omskriven med språkmodell och kontrollerad mot källorna")
    if draft.fallback:
        how += "; där språkmodellens text inte klarade kontrollen används källornas egna meningar"
    intro = document.add_paragraph(
        f"Utkastet är framtaget av Kompetensassistenten inom projektet Kompetensmäklare i Västerbotten. "
        f"{how}. Varje påstående har en källhänvisning [n] till källförteckningen sist i dokumentet "
        f"eller är markerat ")
    _gap_run(intro, "[Att komplettera: …]")
    intro.add_run(" där underlaget saknas.")
    use = ("Utkastet bygger på kommunens interna underlag tillsammans med publikt material och projektmaterial; "
           "varje mening ur internt underlag är märkt och ska inte publiceras." if draft.internal else
           "Utkastet bygger bara på publikt material och projektmaterial och kan publiceras; grupper med färre än "
           "fem svarande i enkäten redovisas som ”för få svar”.")
    document.add_paragraph(use)
    titles = list(dict.fromkeys(c.title for c in draft.citations))
    if titles:
        heading = document.add_paragraph()
        heading.add_run(f"Underlag ({len(titles)} dokument)").bold = True
        for title in titles:
            item = document.add_paragraph(f"– {title}")
            item.paragraph_format.left_indent = Cm(0.5)
            item.paragraph_format.space_after = Pt(0)
            for run in item.runs:
                run.font.size = Pt(9)
                run.font.color.rgb = _GREY
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = f"Utkast – handlingsplan för {draft.kommun} kommun {draft.year} – genererat {draft.generated}"
    if draft.internal:
        _mark_run(footer, f" – {INTERNAL_MARK}")


def _source_list(document: Document, citations: Sequence[Citation]) -> None:
    if not citations:
        return
    document.add_heading("Källor", level=1)
    for c in citations:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(6)
        paragraph.add_run(f"{c.n}. ")
        paragraph.add_run(c.title).bold = True
        section = c.section if c.section != c.title else None
        where = ", ".join(x for x in (f"s. {c.page}" if c.page else None, section) if x)
        if where:
            paragraph.add_run(f" ({where})")
        path = paragraph.add_run()
        path.add_break()
        path.add_text(c.path)
        path.font.color.rgb = _GREY
        quote = paragraph.add_run()
        quote.add_break()
        quote.add_text(f"”{_shortened(' '.join(c.quote.split()))}”")
        quote.italic = True


def _properties(document: Document, draft: Draft) -> None:
    props = document.core_properties
    props.title = f"Handlingsplan för kompetensförsörjning {draft.year} – {draft.kommun} kommun (utkast)"
    props.subject = "Utkast till handlingsplan"
    props.author = "Kompetensassistenten"
    props.language = "sv-SE"
    try:
        stamp = datetime.fromisoformat(draft.generated).replace(tzinfo=timezone.utc)
    except ValueError:
        return
    props.created = props.modified = stamp


def _page_setup(document: Document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_CM)


def _set_language(document: Document, language: str) -> None:
    """Mark the Normal style as Swedish, so Word checks the spelling in Swedish."""
    rpr = document.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    rpr.append(lang)


# ----------------------------------------------------------------------------- Markdown


def add_markdown(document: Document, markdown: str) -> None:
    """Add a section's Markdown: ### headings, paragraphs, lists and pipe tables."""
    for block in _blocks(markdown):
        first = block[0]
        if first.startswith("#"):
            level = min(len(first) - len(first.lstrip("#")), 4)
            document.add_heading(first.lstrip("#").strip(), level=max(2, level - 1))
        elif all(line.startswith("|") for line in block):
            _table(document, block)
        else:
            _lines(document, block)


def _blocks(markdown: str) -> Iterator[list[str]]:
    """Groups of consecutive non-blank lines; a heading line is a block of its own."""
    block: list[str] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.startswith("#"):
            if block:
                yield block
            block = [line] if line.startswith("#") else []
            if line.startswith("#"):
                yield block
                block = []
            continue
        block.append(line)
    if block:
        yield block


def _lines(document: Document, block: list[str]) -> None:
    """A paragraph, or list items (with any intro line before them)."""
    text: list[str] = []
    for line in block:
        item = _LIST_ITEM.match(line)
        if item is None:
            text.append(line.strip())
            continue
        if text:
            _inline(document.add_paragraph(), " ".join(text))
            text = []
        style = "List Number" if item.group(1) else "List Bullet"
        _inline(document.add_paragraph(style=style), line[item.end():])
    if text:
        _inline(document.add_paragraph(), " ".join(text))


def _table(document: Document, block: list[str]) -> None:
    rows = [_cells(line) for line in block]
    rows = [r for r in rows if not all(_TABLE_RULE.match(c) for c in r if c)]
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = column_widths(rows, width)
    for i, row in enumerate(rows):
        for j in range(width):
            cell = table.cell(i, j)
            cell.width = Cm(widths[j])
            paragraph = cell.paragraphs[0]
            _inline(paragraph, row[j] if j < len(row) else "", bold=i == 0)
            for run in paragraph.runs:
                run.font.size = Pt(9)
    for j, column in enumerate(table.columns):
        column.width = Cm(widths[j])
    _repeat_header(table.rows[0])
    for row in table.rows:
        _keep_together(row)
    document.add_paragraph()


def column_widths(rows: Sequence[Sequence[str]], width: int) -> list[float]:
    """Column widths (cm) over the text width: every column fits its longest word, and the room
    left goes to the columns with long text (9 pt text is about 0.19 cm per character)."""
    least, wanted = [], []
    for j in range(width):
        cells = [r[j] if j < len(r) else "" for r in rows]
        word = max((len(w) for c in cells for w in c.split()), default=4)
        line = max((len(c) for c in cells), default=4)
        least.append(0.22 * min(word, 18) + 0.45)
        wanted.append(0.2 * min(line, 70) + 0.45)
    if sum(wanted) <= TEXT_WIDTH_CM:
        return [w * TEXT_WIDTH_CM / sum(wanted) for w in wanted]
    spare = max(0.0, TEXT_WIDTH_CM - sum(least))
    extra = [w - m for w, m in zip(wanted, least, strict=True)]
    return [m + spare * e / (sum(extra) or 1) for m, e in zip(least, extra, strict=True)]


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(inner)]


def _keep_together(row: object) -> None:
    """A row is never split across two pages (a cell's last words alone on the next page)."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    tr_pr.append(OxmlElement("w:cantSplit"))


def _repeat_header(row: object) -> None:
    """Repeat the header row on every page the table spans."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _inline(paragraph: Paragraph, text: str, bold: bool = False) -> None:
    """Runs for **bold** and highlighted "[Att komplettera: …]"; `[n]` markers stay as text."""
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if piece == f"**{MARK_TEXT}**":
            _mark_run(paragraph, MARK_TEXT)
        elif piece.startswith(GAP_PREFIX):
            _gap_run(paragraph, piece)
        elif piece.startswith("**") and piece.endswith("**"):
            paragraph.add_run(piece[2:-2]).bold = True
        else:
            paragraph.add_run(piece).bold = bold or None


def _gap_run(paragraph: Paragraph, text: str) -> None:
    run = paragraph.add_run(text)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    run.italic = True


def _mark_run(paragraph: Paragraph, text: str, size: int | None = None) -> None:
    """The internal mark: bold and red, so it is seen on every page it stands on."""
    run = paragraph.add_run(text)
    run.bold = True
    run.font.color.rgb = _RED
    if size:
        run.font.size = Pt(size)


def _shortened(quote: str, limit: int = QUOTE_CHARS) -> str:
    """A long quote's beginning, cut at a word, with '…' (the draft's record keeps it whole)."""
    if len(quote) <= limit:
        return quote
    return quote[:limit].rsplit(" ", 1)[0] + " …"
