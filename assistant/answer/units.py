"""Evidence units: what an answer is built from, never fragments of them.

A retrieved passage is cut into units: a sentence, a whole list (its lead-in and every item), or
one table row with its header (column → value). Every unit's `quote` is a verbatim slice of its
passage, so an answer line made from one unit is attributed to text that holds all of it, and the
cells of two rows can never meet in one line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant.answer.question import fold
from assistant.records import Passage
from assistant.text.sentences import Piece, pieces

SENTENCE, LIST, ROW = "mening", "lista", "rad"
SHORT_LEAD_WORDS = 3  # a lead-in this short ("Gruppen har:") is read with the sentence before it
# How the table columns a question can ask for are named in the documents (folded, spaces removed).
COLUMN_PREFIXES = {
    "ansvarig": ("ansvar", "huvudman", "ageravinsats"),
    "malniva": ("malniva", "malvarde", "mal2", "mal"),
    "utgangslage": ("utgangslage", "utgangsvarde", "baslinje", "nulage"),
    "koppling": ("koppling", "bristyrke"),
    "tidplan": ("tidplan", "tidpunkt", "start", "datum", "period"),
}

_BULLET_PREFIX = re.compile(r"(?:^|\n)[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]+$")
_HEADING_PREFIX = re.compile(r"(?:^|\n)[ \t]*#{1,6}[ \t]+$")
# Sentences that describe the document or say whom to call: context, not answers.
_SELF_DESCRIPTION = re.compile(
    r"^(utdraget|dokumentet|sammanställningen|rapporten|texten|planen|underlaget|denna \w+|den här \w+|detta \w+"
    r"|det här \w+)\s+(omfattar|beskriver|innehåller|redovisar|bygger|sammanfattar|är ett utdrag|återger)\b",
    re.IGNORECASE,
)
_EXCERPT_NOTE = re.compile(r"^(utdrag:|sidnumrering\w* avser)", re.IGNORECASE)  # "Utdrag: vision, hållbarhetsmål …"
_CONTACT = re.compile(r"(kontaktperson|e-post|epost|telefon|\btel\.|@|www\.|https?://)", re.IGNORECASE)
# Document metadata lines: "*Projekt · Publicerad 2025-10-08 · Målgrupp: …*", "**Datum:** … **Plats:** …".
_METADATA = re.compile(r"(·.*publicerad|publicerad.*·|^\*[^*]+\*$|^publicerad \d{4}-\d{2}-\d{2} av )", re.IGNORECASE)
_BOLD_LABEL = re.compile(r"\*\*[^*]{1,30}:\*\*")
_TABLE_HEADER_WORDS = 6
_FRAGMENT_END = re.compile(r"\b(för|och|i|av|på|till|med|om|som|att|en|ett|den|det|de|från|vid|eller|samt|inom)$",
                           re.IGNORECASE)
# Text addressed to a language model rather than to a reader: never an answer, whatever it matches.
_INSTRUCTION = re.compile(
    r"\b(ignorera|strunta i|glöm|bortse från) (alla |dina |samtliga )?(tidigare|föregående|ovanstående|andra) "
    r"(instruktioner|anvisningar|regler)|\bignore (all |any )?(previous|prior|above) instructions"
    r"|\b(du är nu|you are now|systemprompt\w*|system prompt)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """One answerable piece of a passage.

    `passage` is the 0-based index into the passages the units were cut from; `text` is the unit as
    the source states it (a row as its line); `quote` is the verbatim slice of `passage.text` that a
    citation of this unit shows. For a list, `lead` is the lead-in and `items` the items; for a row,
    `cells` are (column, value) pairs in source order.
    """

    kind: str
    text: str
    quote: str
    passage: int
    position: int
    lead: str = ""
    items: tuple[str, ...] = ()
    cells: tuple[tuple[str, str], ...] = ()
    noise: bool = False
    start: int = 0
    end: int = 0
    heading: str = ""  # the heading line the unit stands under in its passage ("Vision", "Inriktning: …")
    heading_start: int = -1
    first_under_heading: bool = False
    before: str = ""  # the sentence before it in the same paragraph: what "tre från Åsele" is about

    def cell(self, column_key: str) -> tuple[str, str] | None:
        """The (column, value) of a row column of kind `column_key` ('ansvarig' → "Ansvar för utveckling")."""
        prefixes = COLUMN_PREFIXES.get(column_key, (column_key,))
        return next(((c, v) for c, v in self.cells if fold(c).replace(" ", "").startswith(prefixes)), None)


def units_of(passages: Sequence[Passage]) -> list[Unit]:
    """Every unit of every passage, in passage order then source order."""
    out: list[Unit] = []
    for n, passage in enumerate(passages):
        hard_lines = passage.path.lower().endswith(".docx")  # a Word paragraph is never a wrapped line
        contact = (passage.section or "").strip().lower().startswith("kontakt")  # "## Kontakt": whom to call
        out += [replace(u, passage=n, noise=u.noise or contact, heading=u.heading or (passage.section if contact else ""))
                for u in _passage_units(passage.text, bool(passage.rows), hard_lines) if not is_instruction(u.text)]
    return out


@lru_cache(maxsize=1024)
def _passage_units(text: str, is_table: bool, hard_lines: bool = False) -> tuple[Unit, ...]:
    if is_table or _looks_like_rows(text):
        return tuple(_row_units(text))
    return tuple(_text_units(text, hard_lines))


def _looks_like_rows(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(" | " in line and ": " in line.split(" | ", 1)[0] for line in lines)


def _row_units(text: str) -> list[Unit]:
    out = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group(0).strip()
        cells = parse_row(line)
        if cells:
            start = m.start() + m.group(0).index(line)
            out.append(Unit(ROW, line, line, 0, len(out), cells=cells, start=start, end=start + len(line)))
    return out


def parse_row(line: str) -> tuple[tuple[str, str], ...]:
    """A "Kolumn: värde | Kolumn: värde" line as (column, value) pairs; () when it is no row."""
    cells = []
    for cell in line.split(" | "):
        column, sep, value = cell.partition(": ")
        if not sep or not column.strip() or len(column) > 60:
            if cells:  # a value that itself holds " | ": keep it with the cell before
                cells[-1] = (cells[-1][0], f"{cells[-1][1]} | {cell}")
                continue
            return ()
        cells.append((column.strip(), value.strip()))
    return tuple(cells)


def _text_units(text: str, hard_lines: bool = False) -> list[Unit]:
    """Sentences and whole lists of running text (lead-in with all its items), each with the
    heading line it stands under."""
    out: list[Unit] = []
    parts = pieces(text, hard_lines)
    heading, heading_start, fresh = "", -1, False
    i = 0
    while i < len(parts):
        piece = parts[i]
        under = {"heading": heading, "heading_start": heading_start, "first_under_heading": fresh}
        if _is_item(piece.prefix) and not _HEADING_PREFIX.search(piece.prefix):
            j, items, starts = i, [], []
            while j < len(parts) and (_is_item(parts[j].prefix) or (j > i and "\n" not in parts[j].prefix)):
                if _is_item(parts[j].prefix):
                    items.append(parts[j].body)
                    starts.append(parts[j].start)
                else:
                    items[-1] = f"{items[-1]} {parts[j].body}"
                j += 1
            lead_piece = out.pop() if out and out[-1].kind == SENTENCE and out[-1].text.endswith(":") else None
            if (lead_piece is not None and len(lead_piece.text.split()) <= SHORT_LEAD_WORDS and out
                    and out[-1].kind == SENTENCE and not out[-1].noise
                    and "\n\n" not in text[out[-1].end:lead_piece.start]):
                before = out.pop()  # "Gruppen har:" says whose list it is only with the sentence before
                lead_piece = replace(lead_piece, text=text[before.start:lead_piece.end], start=before.start,
                                     heading=before.heading, heading_start=before.heading_start,
                                     first_under_heading=before.first_under_heading)
            if lead_piece is not None:
                under = {"heading": lead_piece.heading, "heading_start": lead_piece.heading_start,
                         "first_under_heading": lead_piece.first_under_heading}
            start = lead_piece.start if lead_piece else starts[0]
            quote = text[start:parts[j - 1].end]
            out.append(Unit(LIST, quote, quote, 0, len(out), lead=lead_piece.text if lead_piece else "",
                            items=tuple(items), start=start, end=parts[j - 1].end, **under))
            fresh = False
            i = j
            continue
        marked = bool(_HEADING_PREFIX.search(piece.prefix))
        label = _heading_label_line(text, parts, i)
        if label is not None:  # "Inriktning:" / "Föregångare i omställning": one heading on two lines
            end = parts[i + 1].end
            out.append(Unit(SENTENCE, label, text[piece.start:end], 0, len(out), noise=True, start=piece.start,
                            end=end, **under))
            heading, heading_start, fresh = label, piece.start, True
            i += 2
            continue
        if marked or _is_heading_line(text, piece.prefix, piece.body, piece.end):
            out.append(Unit(SENTENCE, piece.body, piece.body, 0, len(out), noise=marked or ": " not in piece.body
                            or is_noise(piece.body), start=piece.start, end=piece.end, **under))
            heading, heading_start, fresh = piece.body, piece.start, True
            i += 1
            continue
        paragraph_start = "\n\n" in piece.prefix or (hard_lines and "\n" in piece.prefix)
        before = out[-1].text if out and out[-1].kind == SENTENCE and not out[-1].noise and not paragraph_start else ""
        out.append(Unit(SENTENCE, piece.body, piece.body, 0, len(out), noise=is_noise(piece.body),
                        start=piece.start, end=piece.end, before=before, **under))
        fresh = False
        i += 1
    return out


def _heading_label_line(text: str, parts: Sequence[Piece], i: int) -> str | None:
    """A heading's label and name on two lines ("Hållbarhetsmål 2:" then "En cirkulär plats") as one."""
    piece = parts[i]
    if (i + 1 >= len(parts) or not piece.body.endswith(":") or len(piece.body.split()) > SHORT_LEAD_WORDS
            or _is_item(parts[i + 1].prefix)):
        return None
    whole_line = "\n" in piece.prefix or not text[:piece.start].strip()
    nxt = parts[i + 1]
    if not whole_line or not _is_heading_line(text, nxt.prefix, nxt.body, nxt.end):
        return None
    return f"{piece.body} {nxt.body}"


def _is_heading_line(text: str, prefix: str, body: str, end: int) -> bool:
    """A line of its own without a sentence's end: a heading ("Vision", "Inriktning: Föregångare i
    omställning"), or a question heading ("Varför en regional utvecklingsstrategi?")."""
    whole_line = ("\n" in prefix or not text[:end - len(body)].strip()) and text[end:end + 1] in ("\n", "")
    core = body.rstrip(" *")
    if not whole_line or len(body.split()) > 12 or core.endswith((".", "!", ",", ";", ":")):
        return False
    return not _FRAGMENT_END.search(core)


def _is_item(prefix: str) -> bool:
    return bool(_BULLET_PREFIX.search(prefix))


def is_instruction(text: str) -> bool:
    """Text that tries to instruct the assistant ("Ignorera alla tidigare instruktioner …")."""
    return bool(_INSTRUCTION.search(text))


def is_noise(sentence: str) -> bool:
    """A sentence that is no answer by itself: a self-description, a contact line or a table header."""
    words = sentence.split()
    if len(words) <= _TABLE_HEADER_WORDS and all(w[:1].isupper() for w in words) and not sentence.endswith("."):
        return True
    if len(_BOLD_LABEL.findall(sentence)) >= 2 or _METADATA.search(sentence):
        return True
    if _FRAGMENT_END.search(sentence) or len(words) < 3:
        return True  # a PDF line cut mid-sentence ("Regional utvecklingsstrategi för")
    return bool(_SELF_DESCRIPTION.match(sentence) or _EXCERPT_NOTE.match(sentence) or _CONTACT.search(sentence))


def is_contact(sentence: str, heading: str = "") -> bool:
    """True for a contact line (name, e-mail, phone, or anything under a "Kontakt" heading): an answer
    only to a who/contact question."""
    return bool(_CONTACT.search(sentence)) or heading.strip().lower().startswith("kontakt")
