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

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.cite.build import passage_citation
from assistant.cite.markers import parse_marker, remove_markers, rewrite, without_stray_markers
from assistant.cite.support import is_supported
from assistant.records import Citation, Passage
from assistant.text.sentences import MARKER, Piece, is_marker, marker_after, pieces


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


@dataclass(frozen=True)
class _Check:
    piece: Piece
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
    checks = [_check(piece, passages) for piece in pieces(text)]
    numbering = _numbering(checks)
    kept = [not _dropped(c, drop_unsupported, drop_uncited) for c in checks]
    out = without_stray_markers(_assemble(checks, kept, [_rewrite_check(c, numbering) for c in checks]),
                                 len(numbering))
    return CitationReport(
        text=out,
        citations=_citations(checks, numbering, passages),
        invented=sum(c.invented for c in checks),
        unsupported=sum(1 for c in checks if c.refs and not c.supported),
        uncited_sentences=sum(1 for c in checks if not c.refs),
        sentences=tuple(_checked_sentence(c, numbering) for c in checks),
    )


def _check(piece: Piece, passages: Sequence[Passage]) -> _Check:
    refs: list[int] = []
    invented = 0
    for m in MARKER.finditer(piece.body):
        if is_marker(m.group(2), marker_after(m)):
            found, bad = parse_marker(m.group(2), len(passages))
            refs.extend(r for r in found if r not in refs)
            invented += bad
    clean = remove_markers(piece.body)
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
        return rewrite(check.piece.body, lambda refs: ())
    return rewrite(check.piece.body, lambda refs: tuple(numbering[r] for r in refs if r in numbering))


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


def _citations(checks: Sequence[_Check], numbering: dict[int, int],
               passages: Sequence[Passage]) -> tuple[Citation, ...]:
    first_sentence: dict[int, str] = {}
    for check in checks:
        if check.supported:
            for ref in check.refs:
                first_sentence.setdefault(ref, check.clean)
    ordered = sorted(numbering.items(), key=lambda item: item[1])
    return tuple(passage_citation(n, passages[ref - 1], first_sentence[ref]) for ref, n in ordered)


def _checked_sentence(check: _Check, numbering: dict[int, int]) -> CheckedSentence:
    cited = tuple(numbering[r] for r in check.refs) if check.supported else ()
    return CheckedSentence(check.clean, check.refs, cited, check.supported)
