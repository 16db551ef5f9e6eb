"""The fixed question set: typed records and a loader that rejects a malformed set.

Schema of one entry in `questions.yaml`:

    - id: f01                       # unique
      kind: fakta                   # one of KINDS (below)
      question: "Vad är visionen …?"
      scopes: [publik]              # the caller's scopes
      sources:                      # expected documents (paths relative to the repo)
        - path: corpus/strategi/rus-2020-2030-utdrag.pdf
          pages: [1, 2]             # optional: where in a PDF the answer stands
          section: "…"              # optional, informative only
          also: [corpus/…]          # optional: other documents that satisfy the same need
      needs: any                    # any (default): one source suffices | all: every source is needed
      facts:                        # required facts: exact strings or {re: pattern}
        - Lena Sjödin
        - {re: '2025-06-19|19 juni 2025'}
      forbidden: [...]              # behörighet: strings from material outside the scopes
      draft: {kommun: Åsele, avsnitt: [nulage]}   # utkast only
      survey_checks:                # enkät: how the figures follow from the survey rows
        - {filter: {Kommun: Åsele}, op: count, value: 29}
      previous: ["Vem är …?"]       # följdfråga: the earlier turns, oldest first
      absent: Bjurholm              # saknas: the kommun the corpus has nothing on
      by_kommun:                    # jämförelse: the facts per kommun (instead of `facts`)
        Åsele: ["58"]
        Dorotea: ["52"]

Kinds:
- fakta, flera-källor, enkät: one fact question (one document, two documents, survey figures).
- rad: one cell of one table row (Ansvarig, Tidplan, Målnivå, Utgångsläge, Koppling till bristyrke).
- lista: a whole list or table column; every item is a required fact.
- jämförelse: two kommuner side by side; `facts` is the union of `by_kommun`.
- följdfråga: the second turn of a conversation, asked with `previous` (the system's
  `ask(question, scopes, previous=…)`; the baseline gets the turns concatenated).
- flerdelad: two questions in one; a fact per part.
- saknas: a kommun that no document covers. Correct (`absent_handled`) when the answer says that
  the material has nothing on it (the text contains "inget om <absent>") and no citation belongs to
  another kommun's document (regional material without a kommun may be offered). A refusal is
  allowed, so saknas is not counted in refusal accuracy; its correctness counts as its fact accuracy.
- utkast: a drafted handlingsplan section. avböj: outside the corpus, must be refused.
  behörighet: material outside the caller's scopes, must not leak.

Answerable (must not be refused; fact accuracy per kind gated): fakta, flera-källor, enkät, rad,
lista, jämförelse, följdfråga, flerdelad.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KINDS = ("fakta", "flera-källor", "enkät", "rad", "lista", "jämförelse", "följdfråga", "flerdelad", "saknas",
         "utkast", "avböj", "behörighet")
# Kinds whose questions the corpus answers: the system must not refuse them.
ANSWERABLE = ("fakta", "flera-källor", "enkät", "rad", "lista", "jämförelse", "följdfråga", "flerdelad")
MIN_QUESTIONS = 100
MIN_PER_KIND = {"fakta": 20, "flera-källor": 5, "enkät": 5, "rad": 8, "lista": 8, "jämförelse": 8,
                "följdfråga": 8, "flerdelad": 8, "saknas": 8, "utkast": 3, "avböj": 6, "behörighet": 6}
SURVEY_OPS = ("count", "sum", "share_yes", "share_ge4")


@dataclass(frozen=True)
class Fact:
    """A required (or forbidden) fact: an exact string or a regular expression."""

    text: str
    regex: bool = False

    def label(self) -> str:
        """How the fact is shown in reports."""
        return f"/{self.text}/" if self.regex else self.text


@dataclass(frozen=True)
class Source:
    """One need of a question: an expected document (or alternatives), optionally the pages."""

    path: str
    pages: tuple[int, ...] = ()
    section: str | None = None
    also: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        """Every document that satisfies this need."""
        return (self.path, *self.also)


@dataclass(frozen=True)
class SurveyCheck:
    """A figure of an enkät question recomputed from the survey rows by the schema test."""

    filter: dict[str, Any]
    op: str
    value: float
    column: str | None = None


@dataclass(frozen=True)
class Question:
    """One question of the set, with what a correct answer needs."""

    id: str
    kind: str
    question: str
    scopes: tuple[str, ...]
    sources: tuple[Source, ...] = ()
    needs: str = "any"
    facts: tuple[Fact, ...] = ()
    forbidden: tuple[Fact, ...] = ()
    draft: dict[str, Any] | None = None
    survey_checks: tuple[SurveyCheck, ...] = ()
    note: str | None = None
    previous: tuple[str, ...] = ()
    absent: str | None = None
    by_kommun: tuple[tuple[str, tuple[Fact, ...]], ...] = ()

    @property
    def groups(self) -> tuple[frozenset[str], ...]:
        """The needs as sets of acceptable paths: one group for `any`, one per source for `all`."""
        if not self.sources:
            return ()
        if self.needs == "all":
            return tuple(frozenset(s.paths) for s in self.sources)
        return (frozenset(p for s in self.sources for p in s.paths),)

    @property
    def expected_paths(self) -> frozenset[str]:
        """Every expected document path."""
        return frozenset(p for s in self.sources for p in s.paths)

    @property
    def pages(self) -> dict[str, frozenset[int]]:
        """Expected pages per document, for documents where pages were given."""
        out: dict[str, set[int]] = {}
        for s in self.sources:
            if s.pages:
                out.setdefault(s.path, set()).update(s.pages)
        return {k: frozenset(v) for k, v in out.items()}

    @property
    def turns(self) -> tuple[str, ...]:
        """The conversation as asked: the earlier questions, oldest first, then this one."""
        return (*self.previous, self.question)

    @property
    def answerable(self) -> bool:
        """True when the corpus answers the question within its scopes (the system must not refuse)."""
        return self.kind in ANSWERABLE


class QuestionSetError(ValueError):
    """The question set is malformed; the message names the question and the problem."""


def load_questions(path: Path) -> list[Question]:
    """Read and validate a question set (see the module docstring for the schema)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    entries = raw.get("questions") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise QuestionSetError(f"{path}: expected a list under 'questions'")
    questions = [_question(entry, i) for i, entry in enumerate(entries, start=1)]
    ids = [q.id for q in questions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise QuestionSetError(f"{path}: duplicate ids {duplicates}")
    return questions


def _question(entry: Any, position: int) -> Question:
    if not isinstance(entry, dict):
        raise QuestionSetError(f"entry {position}: expected a mapping")
    known = {"id", "kind", "question", "scopes", "sources", "needs", "facts", "forbidden", "draft",
             "survey_checks", "note", "previous", "absent", "by_kommun"}
    where = f"question {entry.get('id', position)}"
    unknown = sorted(set(entry) - known)
    if unknown:
        raise QuestionSetError(f"{where}: unknown keys {unknown}")
    for key in ("id", "kind", "question", "scopes"):
        if not entry.get(key):
            raise QuestionSetError(f"{where}: '{key}' is required")
    if entry["kind"] not in KINDS:
        raise QuestionSetError(f"{where}: kind must be one of {KINDS}")
    if entry.get("needs", "any") not in ("any", "all"):
        raise QuestionSetError(f"{where}: needs must be 'any' or 'all'")
    by_kommun = _by_kommun(entry.get("by_kommun"), where)
    facts = tuple(_fact(f, where) for f in entry.get("facts") or ())
    if by_kommun and facts:
        raise QuestionSetError(f"{where}: give the facts either in 'facts' or per kommun in 'by_kommun'")
    facts = facts or tuple(f for _, per in by_kommun for f in per)
    previous = entry.get("previous") or ()
    if isinstance(previous, str) or not all(isinstance(x, str) and x.strip() for x in previous):
        raise QuestionSetError(f"{where}: previous is a list of earlier questions")
    absent = entry.get("absent")
    if absent is not None and (not isinstance(absent, str) or not absent.strip()):
        raise QuestionSetError(f"{where}: absent is the name of a kommun")
    return Question(
        id=str(entry["id"]), kind=entry["kind"], question=str(entry["question"]).strip(),
        scopes=tuple(str(s) for s in entry["scopes"]),
        sources=tuple(_source(s, where) for s in entry.get("sources") or ()),
        needs=entry.get("needs", "any"),
        facts=facts,
        forbidden=tuple(_fact(f, where) for f in entry.get("forbidden") or ()),
        draft=entry.get("draft"),
        survey_checks=tuple(_survey_check(c, where) for c in entry.get("survey_checks") or ()),
        note=entry.get("note"),
        previous=tuple(str(x).strip() for x in previous),
        absent=absent.strip() if absent else None,
        by_kommun=by_kommun,
    )


def _by_kommun(raw: Any, where: str) -> tuple[tuple[str, tuple[Fact, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(v, list) and v for v in raw.values()):
        raise QuestionSetError(f"{where}: by_kommun maps each kommun to a list of facts")
    return tuple((str(k), tuple(_fact(f, where) for f in v)) for k, v in raw.items())


def _source(raw: Any, where: str) -> Source:
    if isinstance(raw, str):
        return Source(raw)
    if not isinstance(raw, dict) or "path" not in raw:
        raise QuestionSetError(f"{where}: a source needs a 'path'")
    return Source(str(raw["path"]), tuple(int(p) for p in raw.get("pages") or ()), raw.get("section"),
                  tuple(str(p) for p in raw.get("also") or ()))


def _fact(raw: Any, where: str) -> Fact:
    if isinstance(raw, str):
        return Fact(raw)
    if isinstance(raw, dict) and set(raw) == {"re"}:
        return Fact(str(raw["re"]), regex=True)
    # YAML reads 2024-04-17 as a date and 2010:630 as a base-60 int: facts must be quoted strings.
    raise QuestionSetError(f"{where}: a fact is a quoted string or {{re: pattern}}, not {raw!r}")


def _survey_check(raw: Any, where: str) -> SurveyCheck:
    if not isinstance(raw, dict) or raw.get("op") not in SURVEY_OPS or "value" not in raw:
        raise QuestionSetError(f"{where}: a survey check needs op in {SURVEY_OPS} and a value")
    return SurveyCheck(dict(raw.get("filter") or {}), raw["op"], float(raw["value"]), raw.get("column"))
