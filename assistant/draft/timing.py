"""Time in a draft: the plan period, dates in source text, and what is no longer current.

A draft is written on its generation date for a plan period (default: the next calendar year).
Targets, deadlines and planned dates that lie before the generation date are not carried forward
as plans: the parts put them under "Uppföljning av föregående plan" with a gap for a new target.
Where two sources disagree over time about the same thing ("ansökan är inlämnad" → "har
beviljats"), the newer one wins and the older is history (`superseded`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from assistant.text.analyzer import analyze

FOLLOW_UP = "Uppföljning av föregående plan"
_MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december")
_MONTH = {name: i for i, name in enumerate(_MONTHS, start=1)}
_ISO = re.compile(r"\b(20\d\d)-(\d\d)(?:-(\d\d))?\b")
_SEASON = re.compile(r"\b(våren|sommaren|hösten|vintern|vintersäsongen)\s+(20\d\d)(?:/(20\d\d))?", re.IGNORECASE)
_SEASON_MONTH = {"våren": 5, "sommaren": 8, "hösten": 11, "vintern": 12, "vintersäsongen": 12}
_NAMED = re.compile(r"\b(?:(\d{1,2})\s+)?(" + "|".join(_MONTHS) + r")\s+(20\d\d)\b", re.IGNORECASE)
_YEAR_ONLY = re.compile(r"\b(?:under|till|år|inför|senast|våren|hösten|i)\s+(20\d\d)\b", re.IGNORECASE)
# A statement of what is to happen: a plan, a target, a deadline or a pending status.
_PLAN_WORDS = re.compile(
    r"\b(ska|skall|planera(?:s|r|d|de|t)?|startar|start|börjar|genomförs|kommer att|senast|klar|klart|avslut\w*|"
    r"mål\w*|revideras|upprepas|inför|inlämnad|ansöka?n?|sökt|beslut|studiestart|utbildningsstart|gäller)\b",
    re.IGNORECASE)
_PENDING = re.compile(r"\b(inlämnad|ansökan|ansöker|har sökt|söks|planeras|ska sökas|väntar på|bereds)\b",
                      re.IGNORECASE)
_OUTCOME = re.compile(r"\b(beviljat?s?|beviljad|avslag\w*|startade|har startat|genomfördes|avslutades|"
                      r"fick avslag|godkänd\w*|klar)\b", re.IGNORECASE)
_SHARED_TERMS = 2


@dataclass(frozen=True)
class Period:
    """The period a draft plans for, and the date it is generated on."""

    year: int
    today: date

    @property
    def label(self) -> str:
        """'2027 (1 januari–31 december 2027)'."""
        return f"{self.year} (1 januari–31 december {self.year})"

    @property
    def iso(self) -> str:
        """'2027-01-01 – 2027-12-31'."""
        return f"{self.year}-01-01 – {self.year}-12-31"


def plan_period(today: date, year: int | None) -> Period:
    """The plan period: `year`, or the calendar year after the generation date."""
    return Period(year or today.year + 1, today)


def all_dates(text: str) -> list[date]:
    """Every date a text names, in order of appearance: '2025-09-01', '2026-01', '12 januari 2026',
    'mars 2026', 'hösten 2025' (months and seasons approximated by their last part)."""
    hits: list[tuple[int, date]] = []
    for m in _ISO.finditer(text):
        try:
            hits.append((m.start(), date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))))
        except ValueError:
            continue
    for m in _NAMED.finditer(text):
        hits.append((m.start(), date(int(m.group(3)), _MONTH[m.group(2).lower()], int(m.group(1) or 1))))
    for m in _SEASON.finditer(text):
        if m.group(3):  # "vintersäsongen 2025/2026": a season across the new year ends in the spring
            hits.append((m.start(), date(int(m.group(3)), 4, 30)))
        else:
            hits.append((m.start(), date(int(m.group(2)), _SEASON_MONTH[m.group(1).lower()], 1)))
    return [d for _, d in sorted(hits)]


def when(text: str) -> date | None:
    """The first date a timing text names (for ordering a timeline)."""
    found = all_dates(text)
    return found[0] if found else None


def past(text: str, today: date) -> bool:
    """True when `text` names dates and the latest of them lies before `today` (nothing left to plan)."""
    found = all_dates(text)
    if not found:
        years = [int(y) for y in _YEAR_ONLY.findall(text)]
        return bool(years) and max(years) < today.year
    return max(found) < today


def stale(text: str, today: date) -> bool:
    """True for a plan, target or deadline whose dates have all passed ('startar den 12 januari 2026'
    written before, read after): it is not carried forward as a plan."""
    return bool(_PLAN_WORDS.search(text)) and past(text, today)


def superseded(text: str, written: date | None, newer: Iterable[tuple[str, date | None]]) -> bool:
    """True when `text` states a pending status ("ansökan är inlämnad") and a newer source reports
    the outcome of the same thing ("har beviljats"): the newer source wins."""
    if written is None or not _PENDING.search(text) or _OUTCOME.search(text):
        return False
    terms = _salient(text)
    return any(when_written is not None and when_written > written and _OUTCOME.search(other)
               and len(terms & _salient(other)) >= _SHARED_TERMS for other, when_written in newer)


def _salient(text: str) -> set[str]:
    """Content terms of a sentence (long stems, no dates or plan words)."""
    return {t for t in analyze(_ISO.sub(" ", text)) if len(t) >= 6 and not t.isdigit()}


def document_date(valid_from: str | None, year: int | None) -> date | None:
    """When a document was written: its `valid_from`, else 1 January of its year."""
    if valid_from:
        try:
            return date.fromisoformat(valid_from[:10])
        except ValueError:
            pass
    return date(year, 1, 1) if year else None
