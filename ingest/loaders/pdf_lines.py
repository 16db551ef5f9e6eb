"""Text lines of a PDF page read by position, with form labels kept beside their values.

Words sharing a baseline are one line; a wide gap between a short label and the rest of its line is a
form's two columns ("Diarienummer   RUN 2025/123" → "Diarienummer: RUN 2025/123"), and a known label
alone on its line takes the value on the next line. A page set in text columns is read column by
column instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ingest.loaders._common import collapse_spaces, numbered_heading, unify_newlines

HYPHEN_BREAK = re.compile(r"(\w)-\n(\w+)")
# "vård- och omsorgsförvaltningen": a hyphen before these words is a suspended compound, keep it.
_SUSPENDED_COMPOUND_WORDS = frozenset({"och", "eller", "samt", "som", "till", "respektive"})
_LINE_TOLERANCE = 3.0  # words whose tops differ by at most this many points share a line
_COLUMN_GAP = 1.5  # a gap wider than this many text heights separates a label from its value
_LABEL_MAX_CHARS = 40
_LABEL_MAX_WORDS = 5
_VALUE_MAX_CHARS = 120
_SHORT_VALUE_CHARS = 60
_LIST_ITEM = re.compile(r"^([•▪◦·*–-]|\d{1,2}[.)])\s")

# Labels of forms and decisions: followed by their value on the next line or in the next column.
FORM_LABELS = frozenset({
    "ansökt belopp", "ansökningsdatum", "arbetsställe", "beslut", "beslut expedieras till", "beslutande",
    "beslutet expedieras till", "beslutsdatum", "beslutsfattare", "beviljat belopp", "beviljat stöd",
    "budget", "datum", "diarienummer", "dnr", "dnr.", "expedieras till", "föredragande", "handläggare",
    "justerare", "kontaktperson", "medfinansiering", "mottagare", "org.nr", "org. nr", "organisationsnummer",
    "paragraf", "plats", "projektnamn", "projektnummer", "projektperiod", "projekttid", "projektägare",
    "stödbelopp", "stödmottagare", "stödnivå", "sökande", "sökt belopp", "tid", "total budget", "ärende",
    "ärendenummer", "närvarande", "ordförande", "sekreterare", "beslutsnummer", "referens", "er referens",
    "vår referens", "ert datum", "vårt datum", "utbetalning", "beviljad period", "stödperiod",
})


def positioned_lines(page: Any) -> tuple[list[tuple[float, str]], bool]:
    """The page's text lines with their top: words sharing a baseline are one line, left to right.

    A wide gap between two parts of a line separates columns. When the left part is a short label
    ("Diarienummer", "Projektperiod") the line reads "Etikett: värde". When many lines of a page split
    into long left and right parts the page is set in text columns: it is re-read in content order
    (the second value is True then), which is column by column in the PDFs that office programs write.
    """
    lines = _word_lines(page.extract_words(x_tolerance=3, y_tolerance=3, keep_blank_chars=False))
    split = [parts for _, parts in lines if len(parts) == 2 and len(parts[0]) > _LABEL_MAX_CHARS]
    if len(split) >= 3 and len(split) >= 0.3 * len(lines):
        flow = _word_lines(page.extract_words(x_tolerance=3, y_tolerance=3, use_text_flow=True))
        return [(top, " ".join(parts)) for top, parts in flow], True
    return [(top, _render_parts(parts)) for top, parts in lines], False


def _word_lines(words: Sequence[dict[str, Any]]) -> list[tuple[float, list[str]]]:
    """Words grouped into lines (a new line when the top moves or the text goes back left); each
    line as its column parts: words further apart than ~1.5 text heights start a new part."""
    lines: list[tuple[float, list[list[dict[str, Any]]]]] = []
    previous: dict[str, Any] | None = None
    for word in words:
        same_line = (previous is not None and abs(word["top"] - previous["top"]) <= _LINE_TOLERANCE
                     and word["x0"] >= previous["x1"] - 1)
        if not same_line:
            lines.append((word["top"], [[word]]))
        else:
            height = max(word["bottom"] - word["top"], previous["bottom"] - previous["top"], 1.0)
            if word["x0"] - previous["x1"] > _COLUMN_GAP * height:
                lines[-1][1].append([word])
            else:
                lines[-1][1][-1].append(word)
        previous = word
    return [(top, [" ".join(w["text"] for w in part) for part in parts]) for top, parts in lines]


def _render_parts(parts: list[str]) -> str:
    """A line's column parts as text: "Etikett: värde" for a label and its value, else space-joined."""
    if len(parts) == 2 and _is_label(parts[0]) and not numbered_heading(parts[0]):
        label, value = parts
        return f"{label} {value}" if label.endswith(":") else f"{label}: {value}"
    return " ".join(parts)


def _is_label(text: str) -> bool:
    """A short capitalised phrase without a sentence end: "Diarienummer", "Beviljat belopp:"."""
    text = text.strip()
    return (0 < len(text) <= _LABEL_MAX_CHARS and len(text.split()) <= _LABEL_MAX_WORDS
            and text[0].isupper() and not text.endswith((".", ",", ";", "–", "-")))


def text_lines(text: str) -> list[str]:
    """A page's text as stripped lines: hyphenated line breaks joined, space runs collapsed."""
    text = unify_newlines(text).replace("\u00ad\n", "").replace("\u00ad", "")
    text = HYPHEN_BREAK.sub(join_hyphenated, text)
    return [collapse_spaces(line).strip() for line in text.split("\n")]


def join_hyphenated(match: re.Match[str]) -> str:
    """Join "kompetens-\\nförsörjning"; keep "IT-support" and "vård- och" hyphens."""
    before, word = match.group(1), match.group(2)
    if word in _SUSPENDED_COMPOUND_WORDS:
        return f"{before}- {word}"
    if not word[0].islower():
        return match.group(0)
    return f"{before}{word}" if before.islower() else f"{before}-{word}"


def join_labels(lines: list[str]) -> list[str]:
    """A form label alone on its line takes the value on the next line: "Diarienummer: RUN 2025/123".

    A label is a known form field ("Diarienummer", "Beslut expedieras till", "Projektperiod") or any
    short line ending in ':'; the value is the next non-empty line when it is not itself a label or a
    heading and is not longer than a value usually is.
    """
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        if not line:
            if pending is None:
                out.append(line)
            continue
        if pending is not None:
            if _is_value(line, known=_is_known_label(pending)):
                out.append(f"{pending} {line}" if pending.endswith(":") else f"{pending}: {line}")
                pending = None
                continue
            out.append(pending)
            pending = None
        if _is_form_label(line):
            pending = line
        else:
            out.append(line)
    if pending is not None:
        out.append(pending)
    return out


def _is_form_label(line: str) -> bool:
    return _is_known_label(line) or (line.endswith(":") and _is_label(line) and not numbered_heading(line))


def _is_known_label(line: str) -> bool:
    return line.rstrip(":").strip().casefold() in FORM_LABELS


def _is_value(line: str, known: bool) -> bool:
    """A value line: no list item, label or heading, and short (very short after a lead-in such as
    "Inom området ska:", whose next line is the start of a sentence, not a value)."""
    limit = _VALUE_MAX_CHARS if known else _SHORT_VALUE_CHARS
    return (len(line) <= limit and not _LIST_ITEM.match(line) and not _is_form_label(line)
            and not numbered_heading(line))
