"""Survey records and column matching: which header of a table holds kommun, yrke, SSYK, needs …"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.records import Citation, DocumentInfo, Passage, Table
from assistant.text.fold import padded

MIN_RESPONDENTS = 5
TOO_FEW = "för få svar"
DEFAULT_TOP_N = 5
MAX_TOP_N = 20

Intent = Literal["antal_svar", "topp_behov", "summa_behov", "jamfor_kommuner", "andel_intresse", "svarighet"]
Horizon = Literal["12", "3"]
Topic = Literal["validering", "yrkesvux", "yh"]
CanSeeRows = Callable[[str | None], bool]
RowPassages = Callable[[str, str | None], list[Passage]]

# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyColumns:
    """Which header of a table holds each survey field (None when the table lacks it)."""

    kommun: str | None
    yrke: str | None
    ssyk: str | None
    behov_12: str | None
    behov_3: str | None
    respondent: str | None = None
    employer: str | None = None
    svarighet: str | None = None
    sektor: str | None = None
    intresse_validering: str | None = None
    intresse_yrkesvux: str | None = None
    intresse_yh: str | None = None
    orsak: str | None = None
    atgard: str | None = None


@dataclass(frozen=True)
class SurveyQuery:
    """What a survey question asks: the intent and its filters.

    `kommuner` holds every municipality named (in order; `kommun` is the first); `topic` is the
    interest asked about by `andel_intresse` (None: every interest column).
    """

    intent: Intent
    kommun: str | None = None
    horizon: Horizon | None = None
    yrke: str | None = None
    top_n: int = DEFAULT_TOP_N
    kommuner: tuple[str, ...] = ()
    topic: Topic | None = None


@dataclass(frozen=True)
class SurveyComputation:
    """Computed figures before citation: Swedish text with a `[1]` marker and the base rows.

    `positions` are 0-based indexes into `Table.rows` of the filtered base; `quote_columns` are the
    filter columns whose "Kolumn: värde" cells locate the cited row (the first is quoted);
    `suppressed` hides the row span.
    """

    text: str
    figures: dict[str, Any]
    table_md: str
    filter_label: str
    positions: tuple[int, ...]
    quote_columns: tuple[str, ...]
    suppressed: bool = False


@dataclass(frozen=True)
class SurveyResult:
    """A survey answer: text with `[1]`, its citation, machine-readable figures and a Markdown table."""

    text: str
    citations: tuple[Citation, ...]
    figures: dict[str, Any] = field(default_factory=dict)
    table_md: str = ""


@dataclass(frozen=True)
class SurveyTable:
    doc: DocumentInfo
    table: Table
    cols: SurveyColumns


# ---------------------------------------------------------------------------------------------
# Column matching
# ---------------------------------------------------------------------------------------------

_CODE_WORDS = re.compile(r" (kod|code|nr|id|nummer) ")
_H12 = re.compile(r" (12 ?m(an|anader)?|12 months?|1 ar|ett ar|1 year|one year|kort sikt|short term|12m|1y) ")
_H3 = re.compile(r" (3 ar|tre ar|3 years?|three years?|36 man(ader)?|lang sikt|long term|3y) ")
_BEHOV = re.compile(r"(behov|need| antal (att )?rekrytera| planerade rekryteringar| hires| recruitment )")

# field → pattern on the folded, space-padded header; assigned in this order, one header per field
_FIELD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ssyk", re.compile(r"ssyk|yrkeskod| occupation code| isco")),
    ("svarighet", re.compile(r"svarighet| svart att rekrytera|difficult")),
    ("intresse_validering", re.compile(r"validering|validation")),
    ("intresse_yrkesvux", re.compile(r"yrkesvux| vux |adult education")),
    ("intresse_yh", re.compile(r" yh |yrkeshogskol|higher vocational")),
    ("respondent", re.compile(r" svars ?id | svarsnummer | respondent( id)? | response id | id | lopnr | lopnummer ")),
    ("kommun", re.compile(r" kommun(namn|en)? | municipality | kommun ")),
    ("employer", re.compile(r" (arbetsgivare|arbetsgivarens namn|foretag|foretagsnamn|organisation|organisationsnamn"
                            r"|employer|company|arbetsstalle|verksamhet) ")),
    ("yrke", re.compile(r" (yrke|yrken|yrkesbenamning|yrkesgrupp|yrkestitel|befattning|occupation|job title) ")),
    ("sektor", re.compile(r" (sektor|sector) ")),
    ("orsak", re.compile(r"orsak|reason|cause")),
    ("atgard", re.compile(r"atgard|action|measure")),
)


def match_columns(columns: Sequence[str]) -> SurveyColumns | None:
    """Map a table's headers to survey fields by normalised keywords; None unless it is survey-like.

    A table is survey-like when a kommun column, a yrke or SSYK column and at least one
    rekryteringsbehov column match.

    >>> match_columns(["Municipality", "Occupation", "Recruitment need 12 months"]).kommun
    'Municipality'
    """
    found: dict[str, str] = {}
    free = [c for c in columns if str(c).strip()]
    for name, pattern in _FIELD_PATTERNS:
        header = _first_match(free, pattern, prefer_names=name in ("kommun", "yrke", "employer"))
        if header is not None:
            found[name] = header
            free.remove(header)
    found.update(_match_behov(free))
    cols = SurveyColumns(**{f: found.get(f) for f in SurveyColumns.__dataclass_fields__})  # type: ignore[arg-type]
    if cols.kommun and (cols.yrke or cols.ssyk) and (cols.behov_12 or cols.behov_3):
        return cols
    return None


def _first_match(headers: Sequence[str], pattern: re.Pattern[str], prefer_names: bool) -> str | None:
    """The first header matching `pattern`; for name fields, one without 'kod'/'id' comes first."""
    hits = [h for h in headers if pattern.search(padded(h))]
    if prefer_names:
        hits.sort(key=lambda h: bool(_CODE_WORDS.search(padded(h))))
    return hits[0] if hits else None


def _match_behov(headers: Sequence[str]) -> dict[str, str]:
    """Need columns by horizon; one without a horizon fills the 12-month slot, then the 3-year one."""
    found: dict[str, str] = {}
    plain: list[str] = []
    for header in headers:
        words = padded(header)
        if not _BEHOV.search(words):
            continue
        if _H3.search(words):
            found.setdefault("behov_3", header)
        elif _H12.search(words):
            found.setdefault("behov_12", header)
        else:
            plain.append(header)
    for header in plain:
        slot = "behov_12" if "behov_12" not in found else "behov_3"
        found.setdefault(slot, header)
    return found
