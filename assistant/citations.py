"""Citation post-processing shared by every composer (extractive, LLM, drafts) and interface.

Composed text cites passages as `[n]`, a 1-based index into the passages it was composed from
(`[1, 2]`, `[1,2]` and `[1][2]` are accepted too). `process` checks each citing sentence against
the passages it cites, strips invented and unsupported markers, renumbers the rest 1..k in order
of first appearance and resolves each to a `Citation` with a verbatim quote. It is deterministic:
the same text and passages always give the same report.

>>> report = process("Åsele saknar undersköterskor [2].", passages)   # doctest: +SKIP
>>> report.text, report.citations[0].n
('Åsele saknar undersköterskor [1].', 1)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.analyzer import analyze, analyze_token, split_compound, tokenize
from assistant.records import Citation, Passage

# A cited sentence is supported when its cited passages hold at least this share of its content
# words (stemmed; a compound counts when most of its parts are there) and every number it states.
SUPPORT_MIN_TERM_SHARE = 0.5

# Words a composer uses to attribute, not to claim: they need no support in the source.
_FRAMING_WORDS = frozenset(analyze(
    "enligt anger angav visar visade framgår framgick beskriver beskrivs nämner nämns står källa källan "
    "källor källorna underlaget dokumentet dokument texten uppger uppgav"
))

# Abbreviations after which a period never ends a sentence (lower case, without the final dot).
# "m.fl.", "osv." and "etc." can end one, so they are left to the capital-letter rule.
_ABBREVIATIONS = frozenset({
    "t.ex", "bl.a", "d.v.s", "dvs", "s.k", "p.g.a", "pga", "fr.o.m", "t.o.m", "inkl", "exkl", "ca",
    "jfr", "resp", "kap", "nr", "s", "sid", "kl", "tel", "f.d", "enl", "ang", "avd", "bil", "ev", "fig",
    "tab", "prop", "milj", "mdr", "mkr", "tkr", "vs", "mom", "e.d", "o.d", "m.a.o",
})

_MARKER = re.compile(r"([ \t]*)\[([^\[\]\n]{1,30})\]")
_MARKER_AT_START = re.compile(r"\[([^\[\]\n]{1,30})\]")
_CITATION_SYNTAX = re.compile(r"[\d\s,;–-]+")
_ANY_NUMBERED = re.compile(r"\[(\d+)\]")
_TRAILING_MARKER = re.compile(r"\s*\[[^\[\]\n]{1,30}\]$")
_BULLET = re.compile(r"(?:[-*•–]|\d{1,2}[.)]|#{1,6})[ \t]+")
_BULLET_ONLY = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)]|#{1,6})")
_NUMBER = re.compile(
    r"(?<![\d.,])(?:\d{4}-\d{2}-\d{2}|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+)(?:[.,]\d+)?(?!\d)"
)
_ITEM_SPLIT = re.compile(r"[,;]")
_ITEM_NUMBER = re.compile(r"(?:källa|k\.?)?\s*:?\s*(\d{1,4})", re.IGNORECASE)
_ITEM_RANGE = re.compile(r"(\d{1,4})\s*[-–]\s*(\d{1,4})")
_MAX_RANGE = 20
_Mapping = Callable[[tuple[int, ...]], tuple[int, ...]]
_CLOSERS = "\"'”’»)"
_HEADING_MAX = 60


@dataclass(frozen=True)
class CheckedSentence:
    """One sentence of processed text: its words without markers, and how its citations fared.

    `sources` are the valid 1-based passage numbers the composer cited; `cited` are the renumbered
    `n`s left in the output (empty when the sentence was unsupported or cited nothing valid).
    """

    text: str
    sources: tuple[int, ...]
    cited: tuple[int, ...]
    supported: bool


@dataclass(frozen=True)
class CitationReport:
    """Text with checked, renumbered `[n]` markers, its citations and what was removed."""

    text: str
    citations: tuple[Citation, ...]
    invented: int
    unsupported: int
    uncited_sentences: int
    sentences: tuple[CheckedSentence, ...] = ()


# ----------------------------------------------------------------------------- sentences


@dataclass(frozen=True)
class _Piece:
    """A sentence `body` (markers included) and the whitespace/bullet `prefix` before it."""

    prefix: str
    body: str
    start: int
    end: int


def split_sentences(text: str) -> list[str]:
    """Sentences of Swedish text, verbatim (markers kept with the sentence they follow).

    A period ends a sentence only before a capital, digit, quote or bullet and not after an
    abbreviation (t.ex., bl.a., s., nr. …); blank lines, list bullets, table rows (` | `),
    lines ending in ':' and short heading lines always end one. Bullets are not part of it.

    >>> split_sentences("Bl.a. Umeå m.fl. kommuner deltar. Se s. 3 i planen.")
    ['Bl.a. Umeå m.fl. kommuner deltar.', 'Se s. 3 i planen.']
    """
    return [piece.body for piece in _pieces(text)]


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    prev_end = 0
    for start, end in _segments(text):
        body_start, body_end = _body_bounds(text, start, end)
        if body_start >= body_end:
            continue
        body = text[body_start:body_end]
        if pieces and _only_markers(body):  # a marker on its own line belongs to the sentence before
            last = pieces[-1]
            pieces[-1] = _Piece(last.prefix, text[last.start:body_end], last.start, body_end)
        else:
            pieces.append(_Piece(text[prev_end:body_start], body, body_start, body_end))
        prev_end = body_end
    return pieces


def _segments(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for gap in re.finditer(r"\s+", text):
        if gap.start() > 0 and gap.end() < len(text) and _is_boundary(text, gap.start(), gap.end()):
            yield start, gap.start()
            start = gap.end()
    yield start, len(text)


def _body_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    line_start = text.rfind("\n", 0, start) + 1
    bullet = _BULLET.match(text, start, end) if not text[line_start:start].strip() else None
    if bullet:
        start = bullet.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _only_markers(body: str) -> bool:
    return not _MARKER.sub(lambda m: "" if _is_marker(m.group(2), _after(m)) else m.group(0), body).strip()


def _is_boundary(text: str, a: int, b: int) -> bool:
    gap, left, right = text[a:b], text[max(0, a - 300):a], text[b:b + 120]
    if _starts_with_marker(right):
        return False  # "… slut. [2] Nästa" – the marker still cites the sentence before it
    if _BULLET_ONLY.fullmatch(left.rsplit("\n", 1)[-1]):
        return False  # "1. Första punkten": a list number is not a sentence
    if "\n" in gap and _is_line_boundary(gap, left, right):
        return True
    return _ends_sentence(left, right)


def _starts_with_marker(right: str) -> bool:
    m = _MARKER_AT_START.match(right)
    return bool(m and _is_marker(m.group(1), _after(m)))


def _is_line_boundary(gap: str, left: str, right: str) -> bool:
    if re.search(r"\n[ \t]*\n", gap) or _BULLET.match(right):
        return True
    prev_line, next_line = left.rsplit("\n", 1)[-1], right.split("\n", 1)[0]
    if " | " in prev_line or " | " in next_line:
        return True
    core = _trim_end(prev_line)
    if core.endswith(":"):
        return True
    heading = len(core) <= _HEADING_MAX and not core.endswith((".", "!", "?", ",", ";", "-", "–"))
    return heading and next_line[:1].isupper()


def _ends_sentence(left: str, right: str) -> bool:
    core = _trim_end(left)
    if not core or core[-1] not in ".!?":
        return False
    nxt = right[:1]
    starts_new = nxt.isupper() or nxt.isdigit() or nxt in "\"'”“«(–-•*#["
    if core[-1] in "!?":
        return starts_new or not nxt.isalpha()
    word = re.search(r"(\S+)\.$", core)
    token = word.group(1).lstrip("(\"'«“") if word else ""
    if token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper()):
        return False  # "t.ex. Umeå", "s. 3", initials such as "J. Lundström"
    return starts_new


def _trim_end(text: str) -> str:
    """Text without trailing whitespace, citation markers and closing quotes or brackets."""
    previous = None
    while previous != text:
        previous = text
        text = text.rstrip()
        m = _TRAILING_MARKER.search(text)
        if m and _is_marker(text[m.start():].strip()[1:-1]):
            text = text[:m.start()]
        text = text.rstrip(_CLOSERS)
    return text


# ----------------------------------------------------------------------------- markers


def _is_marker(content: str, after: str = "") -> bool:
    """Bracketed text is a citation marker when it holds a digit or is one short word ('[n]').

    `[text](url)` is a Markdown link, not a marker, unless the text is only numbers.
    """
    if after == "(" and not _CITATION_SYNTAX.fullmatch(content):
        return False
    return any(ch.isdigit() for ch in content) or re.fullmatch(r"\s*\w{1,12}\s*", content) is not None


def _after(m: re.Match[str]) -> str:
    return m.string[m.end():m.end() + 1]


def _parse_marker(content: str, count: int) -> tuple[tuple[int, ...], int]:
    """Valid 1-based passage numbers in a marker's content, and how many items were invented."""
    refs: list[int] = []
    invented = 0
    for item in (part.strip() for part in _ITEM_SPLIT.split(content)):
        numbers = _item_numbers(item)
        if numbers is None:
            invented += 1
            continue
        for n in numbers:
            if 1 <= n <= count:
                if n not in refs:
                    refs.append(n)
            else:
                invented += 1
    return tuple(refs), invented


def _item_numbers(item: str) -> list[int] | None:
    if m := _ITEM_RANGE.fullmatch(item):
        low, high = int(m.group(1)), int(m.group(2))
        return list(range(low, high + 1)) if 0 <= high - low <= _MAX_RANGE else None
    if m := _ITEM_NUMBER.fullmatch(item):
        return [int(m.group(1))]
    return None


def _remove_markers(body: str) -> str:
    """A sentence's words without its citation markers, whitespace collapsed."""
    return " ".join(_rewrite(body, lambda refs: ()).split())


def _rewrite(body: str, mapping: _Mapping) -> str:
    """`body` with each marker replaced by `[n]` markers for `mapping(refs)`, or removed."""

    def replace(m: re.Match[str]) -> str:
        if not _is_marker(m.group(2), _after(m)):
            return m.group(0)
        refs, _ = _parse_marker(m.group(2), 10**6)
        new = mapping(refs)
        if new:
            return m.group(1) + "".join(f"[{n}]" for n in sorted(set(new)))
        after = _after(m)  # keep words apart: "a [9]b" → "a b"
        return " " if m.group(1) and (after.isalnum() or after in "([") else ""

    return _MARKER.sub(replace, body)


# ----------------------------------------------------------------------------- support


@dataclass(frozen=True)
class _Evidence:
    terms: frozenset[str]
    numbers: frozenset[str]


@lru_cache(maxsize=512)
def _evidence(passage: Passage) -> _Evidence:
    # The title and section are shown to the composer with the text, so they count as support.
    text = f"{passage.title}\n{passage.section or ''}\n{passage.text}"
    return _Evidence(frozenset(analyze(text)), frozenset(numbers_in(text)))


def numbers_in(text: str) -> list[str]:
    """Numbers, percentages and dates in `text`, normalised: '1 200' → '1200', '3,5' → '3.5'."""
    return [_normalise_number(m.group(0)) for m in _NUMBER.finditer(text)]


def _normalise_number(raw: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return raw
    value = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".")
    whole, _, decimals = value.partition(".")
    whole = whole.lstrip("0") or "0"
    decimals = decimals.rstrip("0")
    return f"{whole}.{decimals}" if decimals else whole


def is_supported(sentence: str, passages: Sequence[Passage]) -> bool:
    """True when `passages` hold every number of `sentence` and enough of its content words.

    Markers are ignored; numbers must match after normalisation ('3 200' = '3200', '12,5' = '12.5');
    see SUPPORT_MIN_TERM_SHARE for the words.
    """
    if not passages:
        return False
    clean = _remove_markers(sentence)
    terms: set[str] = set()
    numbers: set[str] = set()
    for passage in passages:
        evidence = _evidence(passage)
        terms |= evidence.terms
        numbers |= evidence.numbers
    if any(n not in numbers for n in numbers_in(clean)):
        return False
    return term_share(clean, terms) >= SUPPORT_MIN_TERM_SHARE


def term_share(sentence: str, terms: set[str] | frozenset[str]) -> float:
    """Share of the sentence's content words found among `terms` (1.0 when it has none)."""
    words = _content_words(sentence)
    if not words:
        return 1.0
    return sum(1 for w in words if _word_found(w, terms)) / len(words)


def _content_words(sentence: str) -> list[str]:
    words = dict.fromkeys(t for t in tokenize(sentence) if not t.isdigit())
    return [w for w in words if analyze_token(w)[0] not in _FRAMING_WORDS]


def _word_found(word: str, terms: set[str] | frozenset[str]) -> bool:
    stems = analyze_token(word)
    if stems[0] in terms:
        return True
    parts = split_compound(word)
    if not parts:
        return False
    part_stems = [analyze_token(p)[0] for p in parts]
    return sum(1 for s in part_stems if s in terms) * 2 > len(part_stems)


# ----------------------------------------------------------------------------- quotes


def best_quote(sentence: str, passage: Passage, max_chars: int = 300) -> str:
    """The sentence or line of `passage.text` that best supports `sentence`, verbatim.

    Shared stemmed words score 1, shared numbers 2; ties go to the earlier candidate. A candidate
    longer than `max_chars` is cut to its best-scoring window at word boundaries.
    """
    text = passage.text
    spans = _candidate_spans(text)
    if not spans:
        return text[:max_chars]
    want_terms = set(analyze(_remove_markers(sentence)))
    want_numbers = set(numbers_in(_remove_markers(sentence)))
    scored = [(_quote_score(text[a:b], want_terms, want_numbers), -a, a, b) for a, b in spans]
    _, _, a, b = max(scored)
    if b - a > max_chars:
        a, b = _best_window(text, a, b, max_chars, want_terms, want_numbers)
    return text[a:b]


def _candidate_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for piece in _pieces(text):
        spans.append((piece.start, piece.end))
        if "\n" in piece.body:
            spans.extend(_line_spans(text, piece.start, piece.end))
    return list(dict.fromkeys(spans))


def _line_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for m in re.finditer(r"[^\n]+", text[start:end]):
        a, b = start + m.start(), start + m.end()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            yield a, b


def _quote_score(candidate: str, want_terms: set[str], want_numbers: set[str]) -> int:
    return len(want_terms & set(analyze(candidate))) + 2 * len(want_numbers & set(numbers_in(candidate)))


def _best_window(text: str, a: int, b: int, max_chars: int, want_terms: set[str],
                 want_numbers: set[str]) -> tuple[int, int]:
    """The best-scoring window of at most `max_chars` in text[a:b], cut at word boundaries.

    Windows start at the first word or at a word that matches; each word is analysed once.
    """
    words = [(a + m.start(), a + m.end(), frozenset(analyze(m.group(0))) & want_terms)
             for m in re.finditer(r"\S+", text[a:b])]
    numbers = [(a + m.start(), a + m.end(), _normalise_number(m.group(0))) for m in _NUMBER.finditer(text[a:b])]
    numbers = [n for n in numbers if n[2] in want_numbers]
    number_starts = {n[0] for n in numbers}
    best = (-1, 0, a, _window_end(text, a, min(b, a + max_chars)))
    for i, (start, _, matched) in enumerate(words):
        if i and not matched and start not in number_starts:
            continue
        end = _window_end(text, start, min(b, start + max_chars))
        terms: set[str] = set()
        j = i
        while j < len(words) and words[j][1] <= end:
            terms |= words[j][2]
            j += 1
        score = len(terms) + 2 * len({n[2] for n in numbers if start <= n[0] and n[1] <= end})
        if score > best[0]:
            best = (score, -start, start, end)
    return best[2], best[3]


def _window_end(text: str, start: int, limit: int) -> int:
    if limit >= len(text) or text[limit].isspace():
        end = limit
    else:
        cut = text.rfind(" ", start, limit)
        end = cut if cut > start else limit
    while end > start + 1 and text[end - 1].isspace():
        end -= 1
    return end


# ----------------------------------------------------------------------------- process


@dataclass(frozen=True)
class _Check:
    piece: _Piece
    clean: str
    refs: tuple[int, ...]
    invented: int
    supported: bool


def process(text: str, passages: Sequence[Passage], *, drop_unsupported: bool = False,
            drop_uncited: bool = False) -> CitationReport:
    """Check, strip, renumber and resolve the `[n]` citations of composed text.

    Invented numbers (0, beyond the passages, not a number) are removed and counted; a sentence
    whose cited passages do not support it loses its markers (or the whole sentence with
    `drop_unsupported`); `drop_uncited` also removes sentences that cite nothing valid.
    """
    checks = [_check(piece, passages) for piece in _pieces(text)]
    numbering = _numbering(checks)
    kept = [not _dropped(c, drop_unsupported, drop_uncited) for c in checks]
    out = _without_stray_markers(_assemble(checks, kept, [_rewrite_check(c, numbering) for c in checks]),
                                 len(numbering))
    return CitationReport(
        text=out,
        citations=_citations(checks, numbering, passages),
        invented=sum(c.invented for c in checks),
        unsupported=sum(1 for c in checks if c.refs and not c.supported),
        uncited_sentences=sum(1 for c in checks if not c.refs),
        sentences=tuple(_checked_sentence(c, numbering) for c in checks),
    )


def _check(piece: _Piece, passages: Sequence[Passage]) -> _Check:
    refs: list[int] = []
    invented = 0
    for m in _MARKER.finditer(piece.body):
        if _is_marker(m.group(2), _after(m)):
            found, bad = _parse_marker(m.group(2), len(passages))
            refs.extend(r for r in found if r not in refs)
            invented += bad
    clean = _remove_markers(piece.body)
    supported = bool(refs) and is_supported(clean, [passages[r - 1] for r in refs])
    return _Check(piece, clean, tuple(refs), invented, supported)


def _numbering(checks: Sequence[_Check]) -> dict[int, int]:
    """Original passage number → new n, in order of first appearance among supported sentences."""
    numbering: dict[int, int] = {}
    for check in checks:
        if check.supported:
            for ref in check.refs:
                numbering.setdefault(ref, len(numbering) + 1)
    return numbering


def _dropped(check: _Check, drop_unsupported: bool, drop_uncited: bool) -> bool:
    if not check.refs:
        return drop_uncited
    return drop_unsupported and not check.supported


def _rewrite_check(check: _Check, numbering: dict[int, int]) -> str:
    if not check.supported:
        return _rewrite(check.piece.body, lambda refs: ())
    return _rewrite(check.piece.body, lambda refs: tuple(numbering[r] for r in refs if r in numbering))


def _assemble(checks: Sequence[_Check], kept: Sequence[bool], bodies: Sequence[str]) -> str:
    """Join kept sentences; a dropped sentence hands its line break or bullet to the next one."""
    out: list[str] = []
    carried: str | None = None
    for check, keep, body in zip(checks, kept, bodies):
        prefix = check.piece.prefix
        if not keep:
            carried = prefix if carried is None or "\n" in prefix else carried
            continue
        if carried is not None and "\n" not in prefix:
            prefix = carried
        carried = None
        out.append(prefix + body)
    return "".join(out).strip()


def _without_stray_markers(text: str, count: int) -> str:
    """Remove `[n]` beyond 1..count that removing a marker can leave behind ("[[9]1]" → "[1]")."""
    previous = None
    while previous != text:
        previous = text
        text = _ANY_NUMBERED.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= count else "", text)
    return text


def _citations(checks: Sequence[_Check], numbering: dict[int, int],
               passages: Sequence[Passage]) -> tuple[Citation, ...]:
    first_sentence: dict[int, str] = {}
    for check in checks:
        if check.supported:
            for ref in check.refs:
                first_sentence.setdefault(ref, check.clean)
    ordered = sorted(numbering.items(), key=lambda item: item[1])
    return tuple(_citation(n, passages[ref - 1], first_sentence[ref]) for ref, n in ordered)


def _citation(n: int, passage: Passage, sentence: str) -> Citation:
    return Citation(
        n=n, source_id=passage.source_id, title=passage.title, path=passage.path, scope=passage.scope,
        quote=best_quote(sentence, passage), page=passage.page, section=passage.section,
        kommun=passage.kommun,
    )


def _checked_sentence(check: _Check, numbering: dict[int, int]) -> CheckedSentence:
    cited = tuple(numbering[r] for r in check.refs) if check.supported else ()
    return CheckedSentence(check.clean, check.refs, cited, check.supported)
