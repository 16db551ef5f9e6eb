"""The only place a `Citation` record is built: from a passage and the claim it supports, or from a table row."""

from __future__ import annotations

from dataclasses import replace

from assistant.cite.quotes import best_quote
from assistant.records import Citation, DocumentInfo, Passage


def passage_citation(n: int, passage: Passage, sentence: str) -> Citation:
    """Citation `n` of `passage`, quoting the part of it that best supports `sentence`."""
    return Citation(
        n=n, source_id=passage.source_id, title=passage.title, path=passage.path, scope=passage.scope,
        quote=best_quote(sentence, passage), page=passage.page, section=passage.section,
        kommun=passage.kommun,
    )


def table_citation(passage: Passage, doc: DocumentInfo, quote: str, section: str, kommun: str | None) -> Citation:
    """Citation [1] of a table row passage: the document's title, path and scope, a cell as the quote.

    Survey figures and draft tables cite the row passage that holds the figure's base, quoting a
    cell ("Kommun: Åsele") rather than a sentence.
    """
    return Citation(n=1, source_id=passage.source_id, title=doc.title, path=doc.path, scope=doc.scope,
                    quote=quote, page=None, section=section, kommun=kommun)


def quoted_citation(n: int, passage: Passage, quote: str) -> Citation:
    """Citation `n` of `passage` with a quote the composer took verbatim from it (a unit or a span of units)."""
    if quote not in passage.text:
        raise ValueError("a quote must stand verbatim in its passage")
    return Citation(
        n=n, source_id=passage.source_id, title=passage.title, path=passage.path, scope=passage.scope,
        quote=quote, page=passage.page, section=passage.section, kommun=passage.kommun,
    )


def with_number(citation: Citation, n: int) -> Citation:
    """The same citation under a new number (after renumbering a whole draft's markers)."""
    return replace(citation, n=n)
