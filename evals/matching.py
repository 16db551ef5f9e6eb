"""Text matching for the metrics: facts in answers, quotes in sources, claims in cited passages.

Pure functions, no I/O. Swedish number variants are handled here: '1 289' = '1289', '34,4' = '34.4'.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from evals.questions import Fact

# --------------------------------------------------------------------------------------------- text

_SPACE = re.compile(r"[\s\u00a0\u202f\u2007]+")
_PLAIN_NUMBER = re.compile(r"\d{1,3}(?: \d{3})+(?:,\d+)?(?!\d)|\d+(?:,\d+)?")
_DASHES = "-–—"


def normalise(text: str) -> str:
    """Whitespace (incl. no-break and thin spaces) collapsed to one space; soft hyphens removed."""
    return _SPACE.sub(" ", text.replace("\u00ad", "")).strip()


def fact_pattern(fact: Fact) -> re.Pattern[str]:
    """The compiled pattern of a fact, case-insensitive.

    A plain fact matches as whole words; its numbers also match with or without thousands
    separators ('1 289' = '1289') and with a decimal point for a decimal comma ('34,4' = '34.4'),
    but not as part of a date, range or longer number ('20' is not in '2026-01-20'); any dash
    matches any dash. A regex fact is used as written.
    """
    if fact.regex:
        return re.compile(fact.text, re.IGNORECASE)
    text = normalise(fact.text)
    parts: list[str] = []
    pos = 0
    for m in _PLAIN_NUMBER.finditer(text):
        parts.append(_literal(text[pos:m.start()]))
        parts.append(_number_pattern(m.group(0)))
        pos = m.end()
    parts.append(_literal(text[pos:]))
    body = "".join(parts)
    start = r"(?<!\w)" if text[:1].isalnum() else ""
    end = r"(?!\w)" if text[-1:].isalnum() else ""
    if text[:1].isdigit():  # '20' is no fact in '2026-01-20' or '3,20'
        start += r"(?<!\d[,.:/\-–])"
    if text[-1:].isdigit():
        end += r"(?![,.:/\-–]\d)"
    return re.compile(start + body + end, re.IGNORECASE)


def _literal(text: str) -> str:
    out = []
    for ch in text:
        if ch == " ":
            out.append(r"\s+")
        elif ch in _DASHES:
            out.append(f"[{_DASHES}]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _number_pattern(raw: str) -> str:
    whole, _, decimals = raw.replace(" ", "").partition(",")
    if len(whole) >= 4:
        head = len(whole) % 3 or 3
        groups = [whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)]
        whole_pattern = "[ \u00a0\u202f]?".join(groups)
    else:
        whole_pattern = whole
    return whole_pattern + (f"[,.]{decimals}" if decimals else "")


def fact_found(fact: Fact, text: str) -> bool:
    """True when `fact` occurs in `text` (whitespace-normalised)."""
    return fact_pattern(fact).search(normalise(text)) is not None


def missing_facts(facts: Sequence[Fact], text: str) -> list[Fact]:
    """The facts that do not occur in `text`."""
    return [f for f in facts if not fact_found(f, text)]


# --------------------------------------------------------------------------------------------- citations

_MARKER_GROUP = re.compile(r"(?:[ \t]*\[\d+(?:\s*[,;]\s*\d+)*\])+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÅÄÖ0-9\"'(«–-])")
_WORD = re.compile(r"[a-zåäöéüæø]+")
_NUMBER_IN_TEXT = re.compile(r"(?<![\d])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_DIGIT_RUN = re.compile(r"\d+(?:[.,]\d+)?")
# Words that carry no claim: function words and the words composers use to attribute.
_STOPWORDS = frozenset("""
och att det som för med den har inte till från eller även efter under enligt mellan samt utan
vara varit blir blev kan ska skall måste inom över andra annat dessa detta denna deras dess sina
sitt sin hans hennes alla också vilket vilka vilken där här då när hur vad men mer mest sedan
anger angav visar visade framgår beskriver nämner står källa källan underlaget dokumentet uppger
filter summa kolumnen svar rader antal per
""".split())
SUPPORT_MIN_SHARE = 0.6


def marker_numbers(text: str) -> list[int]:
    """Every `[n]` marker number in `text`, in order."""
    numbers: list[int] = []
    for m in _MARKER_GROUP.finditer(text):
        numbers.extend(int(n) for n in re.findall(r"\d+", m.group(0)))
    return numbers


def unresolved_markers(text: str, citation_ns: Iterable[int]) -> list[int]:
    """Marker numbers in `text` that no citation has."""
    known = set(citation_ns)
    return sorted({n for n in marker_numbers(text) if n not in known})


def quote_in_source(quote: str, source_text: str) -> bool:
    """True when the non-empty quote stands verbatim (whitespace-normalised) in the source text."""
    wanted = normalise(quote)
    return bool(wanted) and wanted in normalise(source_text)


@dataclass(frozen=True)
class Claim:
    """The sentence before a group of markers, and the citation numbers of the group."""

    text: str
    ns: tuple[int, ...]


def claims(text: str) -> list[Claim]:
    """The cited claims of an answer: for each marker group, the last sentence before it.

    A claim never spans lines: list items and table rows are claims of their own (a whole row).
    """
    out: list[Claim] = []
    previous = 0
    for m in _MARKER_GROUP.finditer(text):
        before = text[previous:m.start()]
        previous = m.end()
        line = next((x for x in reversed(before.splitlines()) if x.strip(" \t|")), "")
        pieces = [line] if " | " in line else _SENTENCE_BREAK.split(line)  # a table row is one claim
        sentence = next((p for p in (x.strip(" \t.,;:|-*") for x in reversed(pieces)) if p), "")
        ns = tuple(dict.fromkeys(int(n) for n in re.findall(r"\d+", m.group(0))))
        out.append(Claim(sentence, ns))
    return out


def numbers_of(text: str) -> set[str]:
    """Numbers in `text`, normalised ('1 289' → '1289', '34,4' → '34.4')."""
    return {re.sub(r"[ \u00a0\u202f]", "", m.group(0)).replace(",", ".") for m in _NUMBER_IN_TEXT.finditer(text)}


def claim_supported(claim: str, evidence: str, min_share: float = SUPPORT_MIN_SHARE,
                    check_numbers: bool = True) -> bool:
    """True when `evidence` holds every number of `claim` and `min_share` of its content words.

    A content word has 4+ letters and is no stopword; it is found when its stem-like prefix
    (max(5, len − 3) letters) occurs in the evidence. Independent of the system's own checker.
    """
    flat = normalise(evidence)
    have = numbers_of(flat) | {m.group(0).replace(",", ".") for m in _DIGIT_RUN.finditer(flat)}
    if check_numbers and any(n not in have for n in numbers_of(normalise(claim))):
        return False
    words = {w for w in _WORD.findall(claim.lower()) if len(w) >= 4 and w not in _STOPWORDS}
    if not words:
        return True
    lower = flat.lower()
    found = sum(1 for w in words if w[: max(5, len(w) - 3)] in lower)
    return found / len(words) >= min_share


def supported_citations(text: str, evidence: dict[int, str],
                        computed: frozenset[int] = frozenset()) -> dict[int, bool | None]:
    """Per citation n: True when every claim citing n is supported by the evidence it cites.

    `evidence` maps n to the cited chunk's full text (with title and section). A claim citing
    several passages is judged against their union; a citation no claim uses is unsupported.
    `computed` citations point at survey rows a figure was computed from: they are not judged
    (None), and the numbers of a claim citing one are not required in the other passages.
    """
    verdict: dict[int, bool] = {}
    for claim in claims(text):
        cited = [n for n in claim.ns if n in evidence and n not in computed]
        if not cited:
            continue
        by_rows = any(n in computed for n in claim.ns)
        ok = claim_supported(claim.text, "\n".join(evidence[n] for n in cited), check_numbers=not by_rows)
        for n in cited:
            verdict[n] = verdict.get(n, True) and ok
    return {n: None if n in computed else verdict.get(n, False) for n in evidence}


# --------------------------------------------------------------------------------------------- answer sentences

_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__")
_ROW_LINE = re.compile(r"^[^:.!?\n]{1,60}: [^\n]*? – [^:.!?\n;]{1,60}: ")
# A sentence ends at . ! ? (its marker groups stay with it) before a capital letter or a digit.
_SENTENCE_END = re.compile(r"[.!?](?:[ \t]*\[\d+(?:\s*[,;]\s*\d+)*\])*(?=\s+[A-ZÅÄÖ0-9\"'«])")
_CAPITALISED = re.compile(r"(?<![\w\-])[A-ZÅÄÖÉÜ][\wåäöéü\-]*")
_WORD_ANY = re.compile(r"[^\W\d_]+")
_LABEL = re.compile(r"[\wåäöÅÄÖéü\- ]{1,40}:\s")
# Words that frame a sentence rather than state a fact (stemmed with the system's analyzer when used).
FRAMING_WORDS = """
för enligt underlaget underlag källa källan källor dokumentet dokument planen handlingsplanen handlingsplan
anger anges angav visar visade framgår beskriver nämner står uppger redovisar skriver säger nämns
kolumn kolumnen rad raden tabell tabellen svar svaret fråga frågan följande nedan ovan se även
""".split()
ATTRIBUTION_MIN_SHARE = 0.8


def answer_sentences(text: str) -> list[str]:
    """The answer as sentences: one per line for list items and table rows, else split at sentence ends.

    Emphasis marks and bullets are removed; a line that only separates (`---`) is dropped.
    """
    out: list[str] = []
    for raw in text.splitlines():
        line = _EMPHASIS.sub("", _BULLET.sub("", raw)).strip()
        if not line.strip(" |-:"):
            continue
        if " | " in line or line.startswith("|") or _ROW_LINE.match(line):
            out.append(line.strip(" |"))  # a table row, also as the composer renders one: "Datum: … – Händelse: …"
            continue
        start = 0
        for m in _SENTENCE_END.finditer(line):
            out.append(line[start:m.end()].strip())
            start = m.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return out


def first_sentence(text: str) -> str:
    """What a reader sees first: the first sentence of the first non-empty line. A lead-in line
    ending in ':' counts together with the list it opens (every bullet item right after it): a list
    question's direct answer is the list. A lead-in without bullets below counts with the next line's
    first sentence."""
    raw_lines = [raw for raw in text.splitlines() if _plain(raw).strip(" |-:")]
    lines = [_plain(raw) for raw in raw_lines]
    if not lines:
        return ""
    if lines[0].rstrip().endswith(":") and len(lines) > 1:
        items = []
        start = 2 if len(lines) > 2 and lines[1].endswith(":") and not _BULLET.match(raw_lines[1].strip()) else 1
        for raw, line in zip(raw_lines[start:], lines[start:]):
            if not _BULLET.match(raw.strip()):
                break
            items.append(line)
        if items:  # "**Vilhelmina:**" / "Prioriterade bristyrken:" / "- …": both lead-ins and the list
            return " ".join([*lines[:start], *items])
        return f"{lines[0]} {answer_sentences(lines[1])[0] if answer_sentences(lines[1]) else lines[1]}"
    sentences = answer_sentences(lines[0])
    return sentences[0] if sentences else lines[0]


def _plain(line: str) -> str:
    return _EMPHASIS.sub("", _BULLET.sub("", line)).strip()


def strip_markers(text: str) -> str:
    """The text without its [n] markers."""
    return _MARKER_GROUP.sub("", text)


def word_count(text: str) -> int:
    """Words of an answer as a reader counts them: markers, bullets and table bars are not words."""
    return len(re.findall(r"[\wåäöÅÄÖ]+(?:[-–.,:/][\wåäöÅÄÖ]+)*", strip_markers(text)))


@dataclass(frozen=True)
class Attribution:
    """One cited sentence of an answer and what its own citations' quotes do not hold."""

    sentence: str
    ns: tuple[int, ...]
    missing: tuple[str, ...]  # numbers, names and (as 'ord x/y') the content-word share not found

    @property
    def misattributed(self) -> bool:
        return bool(self.missing)


def attribution(sentence: str, evidence: str, analyze: Callable[[str], list[str]],
                check_numbers: bool = True, min_share: float = ATTRIBUTION_MIN_SHARE) -> tuple[str, ...]:
    """What of `sentence` is not in `evidence` (its citations' quotes): empty when it is attributed.

    Every number (normalised: '1 200' = '1200', '5,5' = '5.5'), every capitalised word that does not
    start the sentence or a 'Label:' (its stems, so 'Åseles' is found as 'Åsele'), and at least
    `min_share` of the content words (stems by `analyze`, framing words left out) must stand in it.
    """
    body = strip_markers(sentence).strip()
    flat = normalise(evidence)
    missing: list[str] = []
    if check_numbers:
        have = numbers_of(flat) | {m.group(0).replace(",", ".") for m in _DIGIT_RUN.finditer(flat)}
        missing += sorted(n for n in numbers_of(body) if n not in have)
    stems = set(analyze(flat))
    labels = {m.end() - 2 for m in _LABEL.finditer(body)}
    first = re.search(r"[\wåäöÅÄÖ]", body)
    for m in _CAPITALISED.finditer(body):
        if (first and m.start() == first.start()) or m.end() - 1 in labels or m.end() in labels:
            continue
        word_stems = [s for s in analyze(m.group(0)) if not s.isdigit()]
        if word_stems and not all(s in stems for s in word_stems) and m.group(0).lower() not in flat.lower():
            missing.append(m.group(0))
    framing = set(analyze(" ".join(FRAMING_WORDS))) | {s for lm in _LABEL.finditer(body) for s in analyze(lm.group(0))}
    lower = flat.lower()
    content = found = 0
    for word in dict.fromkeys(w.lower() for w in _WORD_ANY.findall(body)):
        word_stems = [s for s in analyze(word) if not any(c.isdigit() for c in s)]
        if not word_stems or all(s in framing for s in word_stems):
            continue  # a stopword, a framing word or a label
        content += 1
        # found: one of its stems (the whole word or a compound part) or its stem-like prefix
        found += any(s in stems for s in word_stems) or word[: max(5, len(word) - 3)] in lower
    if content and found / content < min_share:
        missing.append(f"ord {found}/{content}")
    return tuple(dict.fromkeys(missing))


def attributions(text: str, quotes: dict[int, str], analyze: Callable[[str], list[str]],
                 computed: frozenset[int] = frozenset()) -> list[Attribution]:
    """Every sentence of `text` that carries [n] markers, judged against the union of its own quotes.

    A sentence citing only `computed` citations (survey rows a figure was computed from) is not
    judged; when it cites one among others, its numbers are not required in the others' quotes.
    A marker without a citation counts as an empty quote.
    """
    out = []
    for sentence in answer_sentences(text):
        ns = tuple(dict.fromkeys(marker_numbers(sentence)))
        if not ns or all(n in computed for n in ns):
            continue
        evidence = "\n".join(quotes.get(n, "") for n in ns if n not in computed)
        missing = attribution(sentence, evidence, analyze, check_numbers=not any(n in computed for n in ns))
        out.append(Attribution(sentence, ns, missing))
    return out
