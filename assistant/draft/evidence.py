"""The evidence of one draft: the caller's documents, which of them are history, and passages.

All retrieval queries of a draft are embedded in one batch; a part that names the kommun's own
documents reads them whole from the catalogue. Replaced documents (the manifest's `replaces`, or
an older version of the same kind of document for the same kommun whose validity ended before the
newer one began) are history: a part sees them only when its template asks for history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from assistant import retrieval
from assistant.deps import Deps
from assistant.draft.template import Evidence
from assistant.records import DocumentInfo, Passage
from assistant.text.analyzer import analyze
from assistant.text.fold import fold
from assistant.text.sentences import split_sentences

HITS_PER_QUERY = 25  # before the part's evidence filter, so narrow parts still get candidates
_BULLET_PREFIX = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]*")
_FOOTNOTE = re.compile(r"\s*\[[^\[\]\n]{1,30}\]")
_WORD = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d")
_OPEN_END = re.compile(r"(?:\b(?:och|eller|samt|i|av|en|ett|att|som|för|med|till|på|om|de|den|det|är|var|har|inom|"
                       r"från|vid|under|De|Den|Det)|\d)$")
# A sentence that leans on the one before it: "Därför …", or "Det/Den/De" + a verb ("Det innebär …"),
# but not a determiner ("Det privata näringslivet …", "Den här planen …").
_ANAPHOR = re.compile(r"(?:Detta|Dessa|Därför|Därefter|Därmed|Samtidigt|Dessutom|Också|Även|Men|Han|Hon|Hit|Där|Så|"
                      r"Tillsammans|Var för sig)\b"
                      r"|(?:Det|Den|De|Denna)\s+(?!här\b|där\b)(?:ska|kan|är|var|har|hade|måste|bör|blir|\w+r)\b"
                      r"|(?:\S+\s+){1,2}(?:därför|dock|också)\b")
_NUMBERED = re.compile(r"\d{1,2}[.)]\s")


@dataclass(frozen=True)
class Unit:
    """A sentence (or list item) of a passage, whitespace collapsed, with its stemmed terms.

    `follows` marks a sentence that leans on the one before it: it opens with a word such as
    "Det" or "Därför", or it continues a list item. `opens` is True for the first sentence of a
    paragraph or list item.
    """

    text: str
    passage: Passage
    position: int
    bullet: bool
    follows: bool
    opens: bool
    terms: frozenset[str]

    @property
    def intro(self) -> bool:
        """True for a sentence that introduces a list ("Inom området ska:")."""
        return self.text.endswith(":")


@dataclass
class Library:
    """Documents and passages one caller may draw on for one kommun's draft."""

    deps: Deps
    kommun: str
    scopes: tuple[str, ...]
    docs: dict[str, DocumentInfo]
    history: frozenset[str]
    hits: dict[str, list[Passage]] = field(default_factory=dict)
    _whole: dict[str, list[Passage]] = field(default_factory=dict)

    @classmethod
    def open(cls, deps: Deps, kommun: str, scopes: tuple[str, ...]) -> Library:
        """The caller's documents; history is judged over the whole catalogue (ids only)."""
        lexical = deps.index.lexical
        visible = {d.doc_id: d for d in lexical.documents(scopes)}
        return cls(deps, kommun, scopes, visible, replaced_documents(lexical.documents()))

    def retrieve(self, queries: Sequence[str]) -> None:
        """Run every query in one embedding batch (hybrid search, as `retrieval.search`)."""
        wanted = [q for q in dict.fromkeys(queries) if q.strip() and q not in self.hits]
        if not wanted or not self.scopes:
            return
        settings = self.deps.settings.retrieval
        # No per-document cap: a part often wants several passages of the kommun's own plan.
        self.hits.update(retrieval.search_many(
            self.deps.index, self.deps.embedder, wanted, list(self.scopes), HITS_PER_QUERY,
            candidates=settings.candidates, rrf_k=settings.rrf_k, per_document=HITS_PER_QUERY,
        ))

    def candidates(self, evidence: Evidence, queries: Sequence[str]) -> list[Passage]:
        """Passages a part may use, best first: retrieval hits, then (if asked) whole documents."""
        out: dict[str, Passage] = {}
        ranked = sorted(((rank, p) for q in queries for rank, p in enumerate(self.hits.get(q, []))),
                        key=lambda item: item[0])
        for _, passage in ranked:
            out.setdefault(passage.source_id, passage)
        if evidence.whole_documents:
            for doc in self.documents(evidence):
                for passage in self.document_passages(doc.doc_id):
                    out.setdefault(passage.source_id, passage)
        return [p for p in out.values() if self.allows(evidence, p)]

    def documents(self, evidence: Evidence) -> list[DocumentInfo]:
        """Visible documents that match the part's evidence rule, newest first."""
        docs = [d for d in self.docs.values() if self._doc_allowed(evidence, d)]
        return sorted(docs, key=lambda d: (-(d.year or 0), d.path))

    def allows(self, evidence: Evidence, passage: Passage) -> bool:
        """True when `passage` is within the part's evidence rule (documents and sections)."""
        doc = self.docs.get(passage.doc_id)
        if doc is None or not self._doc_allowed(evidence, doc):
            return False
        where = fold(passage.section or "")
        if any(fold(s) == where.strip() for s in evidence.skip_sections):
            return False
        return not evidence.sections or any(fold(s) in where for s in evidence.sections)

    def _doc_allowed(self, evidence: Evidence, doc: DocumentInfo) -> bool:
        if evidence.types and doc.type not in evidence.types:
            return False
        is_history = doc.doc_id in self.history
        if is_history != (evidence.history == "only"):
            return False
        own = doc.kommun is not None and fold(doc.kommun) == fold(self.kommun)
        return {"own": own, "other": doc.kommun is not None and not own, "none": doc.kommun is None,
                "any": True}[evidence.kommun]

    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every chunk of one visible document, in document order."""
        if doc_id not in self._whole:
            lexical = self.deps.index.lexical
            found = lexical.passages(lexical.passage_ids(doc_id), list(self.scopes))
            self._whole[doc_id] = sorted(found.values(), key=ordinal)
        return self._whole[doc_id]

    def own_plan(self) -> DocumentInfo | None:
        """The kommun's current handlingsplan (the newest one that is not history), if visible."""
        plans = self.documents(Evidence(types=("handlingsplan",), kommun="own"))
        return plans[0] if plans else None


def replaced_documents(docs: Sequence[DocumentInfo]) -> frozenset[str]:
    """Ids of documents a newer one replaces: named in `replaces`, or an expired older version.

    An older version is a document of the same type and kommun whose validity ended before the
    other one's began.
    """
    replaced = {d.replaces for d in docs if d.replaces}
    for old in docs:
        if old.kommun is None or not old.valid_to:
            continue
        if any(new.doc_id != old.doc_id and new.type == old.type and new.kommun == old.kommun
               and new.valid_from and new.valid_from > old.valid_to for new in docs):
            replaced.add(old.doc_id)
    return frozenset(replaced)


def ordinal(passage: Passage) -> tuple[int, str]:
    """Sort key in document order: the chunk ordinal at the end of the source id."""
    tail = passage.source_id.rsplit(":", 1)[-1]
    return (int(tail) if tail.isdigit() else 0, passage.source_id)


# ----------------------------------------------------------------------------- units


def units(passage: Passage) -> tuple[Unit, ...]:
    """The prose sentences and list items of a passage (table-row passages have none)."""
    return _units(passage)


@lru_cache(maxsize=4096)
def _units(passage: Passage) -> tuple[Unit, ...]:
    pieces = _list_items(_pieces(passage), pdf=passage.page is not None)
    out: list[Unit] = []
    in_bullet, after_intro = False, False
    for position, (text, bullet, line_start) in enumerate(pieces):
        in_bullet = bullet or (in_bullet and not line_start)
        follows = (in_bullet and not bullet) or (after_intro and not bullet) or _ANAPHOR.match(text) is not None
        after_intro = text.endswith(":")
        if _is_prose(text, bullet):
            out.append(Unit(text, passage, position, bullet, follows, line_start, frozenset(analyze(text))))
    return tuple(out)


def _pieces(passage: Passage) -> list[tuple[str, bool, bool]]:
    """(sentence, is a list item, starts a line) in order. A line break ends a sentence: Word and
    Markdown lines are paragraphs or list items, and PDF text is unwrapped first."""
    pdf = passage.page is not None
    text = unwrap(passage.text) if pdf else passage.text
    out: list[tuple[str, bool, bool]] = []
    cursor = 0
    for body in split_sentences(text):
        start = text.find(body, cursor)
        if start < 0:
            start = cursor
        cursor = start + len(body)
        prefix = text[text.rfind("\n", 0, start) + 1:start]
        bullet = bool(_BULLET_PREFIX.fullmatch(prefix)) and bool(prefix.strip())
        lines = [line for line in body.split("\n") if line.strip()]
        for k, line in enumerate(lines):
            clean = " ".join(_FOOTNOTE.sub("", line).split())
            out.append((clean, bullet and k == 0, k > 0 or not prefix.strip() or bullet))
    return out


def unwrap(text: str) -> str:
    """PDF text with wrapped lines joined: a line continues when it does not end a sentence and
    the next line starts in lower case, with a digit or '(' — or it ends in a word that cannot end
    a line of its own ("och", "av", a number). List items ('•') always start a new line."""
    lines = text.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        prev, nxt = out[-1].rstrip(), line.strip()
        if not prev or not nxt or nxt[:1] in "•-–*" or _NUMBERED.match(nxt):
            out.append(line)
            continue
        continues = nxt[:1].islower() or nxt[:1].isdigit() or nxt[:1] == "("
        if prev[-1:] not in ".!?:" and (continues or _OPEN_END.search(prev)) or prev.endswith(":") and continues:
            out[-1] = f"{prev} {nxt}"
        else:
            out.append(line)
    return "\n".join(out)


def _list_items(pieces: list[tuple[str, bool, bool]], pdf: bool) -> list[tuple[str, bool, bool]]:
    """Outside PDFs, Word lists carry no marks: lines after a line ending in ':' are list items, and
    so are two or more lines in a row without a sentence end."""
    if pdf:
        return pieces
    open_line = [line_start and text[-1:] not in ".!?:" for text, _, line_start in pieces]
    out = []
    in_list = False
    for i, (text, bullet, line_start) in enumerate(pieces):
        unfinished = text[-1:] not in ".!?" or text.endswith(";") or text[:1].islower()
        run = open_line[i] and ((i > 0 and open_line[i - 1]) or (i + 1 < len(pieces) and open_line[i + 1]))
        item = line_start and ((in_list and unfinished) or run)
        out.append((text, bullet or item, line_start))
        in_list = text.endswith(":") or (in_list and (bullet or item))
    return out


def _is_prose(text: str, bullet: bool) -> bool:
    """A readable sentence (enough words, few figures, a sentence end) or a list item."""
    words = _WORD.findall(text)
    if len(words) < (1 if bullet else 2 if ": " in text else 4) or " | " in text or "{{" in text:
        return False
    tokens = text.split()
    if sum(1 for t in tokens if _DIGITS.search(t)) > (0.5 if bullet else 0.3) * len(tokens):
        return False
    return bullet or text[-1:] in ".!?:"


# ----------------------------------------------------------------------------- table rows


@dataclass(frozen=True)
class Row:
    """One table row of a row passage, as the loader rendered it ("Kolumn: värde | …")."""

    cells: dict[str, str]
    line: str
    passage: Passage

    @property
    def claim(self) -> str:
        """What a citation of the row quotes from: its first cells, so the quote starts at the row."""
        return self.line[:250]


def rows(passage: Passage) -> list[Row]:
    """The table rows of a row passage (empty for prose passages)."""
    if not passage.rows:
        return []
    out = []
    for line in passage.text.splitlines():
        cells = {}
        for cell in line.split(" | "):
            key, sep, value = cell.partition(": ")
            if sep:
                cells[key.strip()] = value.strip()
        if cells:
            out.append(Row(cells, line.strip(), passage))
    return out


def mentions(text: str, kommun: str) -> bool:
    """True when `text` names the kommun (any case, with or without å/ä/ö, genitive too)."""
    return re.search(r"\b" + re.escape(fold(kommun)) + r"s?\b", fold(text)) is not None
