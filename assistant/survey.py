"""The survey stage: count, rank and compare answers in survey tables with pandas, with cited figures.

A question such as "Vilka yrken har störst rekryteringsbehov inom tre år i Vilhelmina?" is parsed
into a `SurveyQuery`, computed over the best matching survey table (any table whose headers can be
matched to kommun, yrke/SSYK and rekryteringsbehov) and answered with the figure, its base (n), the
filter used and one citation of the table's row passages.

Small groups: a group (a kommun base, a kommun in a comparison, a yrke in a ranking) with fewer
than `MIN_RESPONDENTS` respondents is shown as "för få svar" unless the caller may see the raw rows
of every kommun in the group (scope `kommun:<slug>`). Respondents are distinct employers when the
table has an employer column, else distinct response ids, else rows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import pandas as pd

from assistant.analyzer import analyze, analyze_token, tokenize
from assistant.records import Citation, DocumentInfo, Passage, Table
from assistant.scopes import LAN_KOMMUNER, kommun_scope

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
class _SurveyTable:
    doc: DocumentInfo
    table: Table
    cols: SurveyColumns


# ---------------------------------------------------------------------------------------------
# Text normalisation and Swedish formatting
# ---------------------------------------------------------------------------------------------


_DECIMAL_COMMA = str.maketrans(",.", " ,")
_SWEDISH_ORDER = str.maketrans("åäöæø", "{|}|}")


def fold(text: str) -> str:
    """Lowercase ASCII form for matching: 'Åseles' → 'aseles', 'Svårighet' → 'svarighet'."""
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> str:
    """Folded text with every run of non-alphanumerics as one space, padded for word matching."""
    return " " + re.sub(r"[^a-z0-9]+", " ", fold(text)).strip() + " "


def format_number(value: float) -> str:
    """Swedish number: space as thousands separator, decimal comma: 1234.5 → '1 234,5'."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", " ")
    return f"{value:,.1f}".translate(_DECIMAL_COMMA)


def format_percent(share: float) -> str:
    """A share 0–1 as a Swedish whole percentage: 0.4167 → '42 %'."""
    return f"{math.floor(share * 100 + 0.5)} %"


def _sv_key(text: str) -> str:
    """Sort key in Swedish alphabetical order (å, ä, ö after z)."""
    return str(text).lower().translate(_SWEDISH_ORDER)


def _cell_text(value: Any) -> str:
    """A cell as display text, rendered like the row passages: 5321.0 → '5321', True → 'Ja'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value).strip()


def to_number(value: Any) -> float:
    """A cell as a number: 3 → 3.0, '3,5' → 3.5, '1 200' → 1200.0; '' and text → NaN."""
    if isinstance(value, bool) or value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    text = re.sub(r"[\s\u00a0\u2009\u202f]", "", str(value)).replace("−", "-").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return math.nan


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
    hits = [h for h in headers if pattern.search(_words(h))]
    if prefer_names:
        hits.sort(key=lambda h: bool(_CODE_WORDS.search(_words(h))))
    return hits[0] if hits else None


def _match_behov(headers: Sequence[str]) -> dict[str, str]:
    """Need columns by horizon; one without a horizon fills the 12-month slot, then the 3-year one."""
    found: dict[str, str] = {}
    plain: list[str] = []
    for header in headers:
        words = _words(header)
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


# ---------------------------------------------------------------------------------------------
# Question parsing
# ---------------------------------------------------------------------------------------------

_FIGURE = r"( hur | vilka | vilket | vilken | antal | andel | totalt | sammanlagt | summa | topp | top | jamfor" \
          r"| how | which | what | compare | storst | flest | mest | most | largest )"
_BEHOV_CUE = re.compile(r"(behov|behover|behovs|rekryter|nyanstall| anstalla | need| recruit| hire| hiring)")
_SVAR_CUE = re.compile(r"( svarade | svarat | svar | svaren | besvarade | besvarat | enkatsvar | svarande | deltog "
                       r"| deltagit | inkomna | respond| responses | answered | replied )")
_INTRESSE_CUE = re.compile(r"(intresse|intresserad|validering|yrkesvux| yh |yrkeshogskol|interest|validation)")
_SVARIGHET_CUE = re.compile(r"( svart | svara | svarigt | svarighet| svarrekryterad| difficult| hard to recruit)")
_SHARE_CUE = re.compile(r"( andel | andelen | procent | hur manga | share | percent| proportion | how many )")
_COUNT_CUE = re.compile(r"( hur manga | antal | antalet | how many | number of )")
_RANK_CUE = re.compile(r"( (vilka|vilket|vilken|which|what) (\w+ )?(yrken|yrke|yrkesgrupper|yrkesgrupp|befattningar"
                       r"|occupations?|jobs?) | yrken (har|med) storst| topp| top | rangordna| rank)")
# Rankings by difficulty are not computed (better no figure than the need ranking by mistake), and a
# question about another source ("enligt RUS", "i handlingsplanen") is for retrieval.
_UNSUPPORTED = re.compile(r" (svarast|svaraste|svarare|latast|lattast|lattare|hardest|easiest|rus|handlingsplan\w*"
                          r"|agenda\w*|strategi\w*|bristlist\w*|yrkesbarometer\w*|arbetsformedling\w*|prognos\w*"
                          r"|scb|protokoll\w*) ")
_KOMMUN_CUE = re.compile(r"( vilken kommun| vilka kommuner| vilken av \w*kommunerna| jamfor| jamforelse| per kommun| mellan kommun"
                         r"| kommunerna | which municipalit| compare| by municipality| per municipality)")
_AMOUNT_CUE = re.compile(r"( hur stort | hur stor | hur manga | totalt | sammanlagt | summa | how many | how large "
                         r"| how big | total )")
_TOP_N = re.compile(r" (?:topp|top|vilka|de|which|the) ?(\d+|tva|tre|fyra|fem|sex|sju|atta|nio|tio|two|three|four"
                    r"|five|six|seven|eight|nine|ten) (?:\w+ )?(?:yrken|yrkena|yrkesgrupper|occupations|jobs"
                    r"|storsta|framsta|mest|largest|biggest)")
_NUMBER_WORDS = {"tva": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "atta": 8, "nio": 9, "tio": 10,
                 "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_SSYK_IN_TEXT = re.compile(r" ssyk(?: kod)? (\d{1,4}) ")
_OBJECT = re.compile(r" (?:behov(?:et)?|bristen|brist) (?:av|pa) (\w+)| need for (\w+)| how many (\w+) ")

# Survey vocabulary never read as part of an occupation name.
_VOCABULARY = (
    "arbetsgivare arbetsgivaren arbetsgivarna arbetsgivarnas yrke yrken yrkena yrkesgrupp yrkesgrupper behov "
    "behovet behoven behöver rekryteringsbehov rekryteringsbehovet rekrytera rekrytering rekryteringar störst "
    "stort stor flest mest många kommun kommunen kommuner kommunerna enkät enkäten svar svaren svarade svarat "
    "besvarade år året åren månad månader månaderna närmaste kommande inom tre tolv personer person nya anställa "
    "anställda andel andelen intresserade intresse validering yrkesvux yh yrkeshögskola svårt svårighet "
    "svårigheten jämför jämförelse totalt sammanlagt summa topp personal medarbetare arbetskraft folk sikt lång "
    "kort procent antal antalet vilka vilket vilken hur genomsnitt genomsnittlig "
    "employers employer occupations occupation jobs job need needs recruitment recruit municipality survey "
    "responded many largest biggest most within years year months next share interested difficult hard"
)
_GENERIC_OBJECTS = frozenset(_words(_VOCABULARY).split()) | {"att", "de", "den", "det", "the", "a", "an", "in"}


def _vocabulary_stems() -> frozenset[str]:
    return frozenset(analyze(_VOCABULARY))


_VOCABULARY_STEMS = _vocabulary_stems()


def parse_question(question: str, known_kommuner: Sequence[str], known_yrken: Sequence[str]) -> SurveyQuery | None:
    """A survey-figure question as a `SurveyQuery`; None when it asks for something else.

    >>> parse_question("Hur många arbetsgivare i Åsele svarade?", ["Åsele"], []).intent
    'antal_svar'
    """
    words = _words(question)
    intent = _intent(words)
    if intent is None:
        return None
    kommuner = match_kommuner(question, known_kommuner)
    if kommuner is None:
        return None
    yrke = None if intent == "topp_behov" else match_yrke(question, known_yrken, exclude=kommuner)
    if yrke is None and intent in ("summa_behov", "svarighet") and _unknown_object(words):
        return None
    if len(kommuner) > 1 and intent in ("antal_svar", "summa_behov"):
        intent = "jamfor_kommuner"
    return SurveyQuery(intent=intent, kommun=kommuner[0] if kommuner else None, horizon=_horizon(words),
                       yrke=yrke, top_n=_top_n(words), kommuner=kommuner, topic=_topic(words))


def _intent(words: str) -> Intent | None:
    """The intent from cue words, most specific first; None without a figure and a survey cue."""
    if not re.search(_FIGURE, words) or _UNSUPPORTED.search(words):
        return None
    if _INTRESSE_CUE.search(words) and _SHARE_CUE.search(words):
        return "andel_intresse"
    if _SVARIGHET_CUE.search(words) and (_BEHOV_CUE.search(words) or "svarighet" in words):
        return "svarighet"
    if _BEHOV_CUE.search(words):
        return _behov_intent(words)
    if _SVAR_CUE.search(words) and _COUNT_CUE.search(words):
        return "antal_svar"
    return None


def _behov_intent(words: str) -> Intent | None:
    """Ranking of yrken, comparison of kommuner, or one total."""
    if _KOMMUN_CUE.search(words):
        return "jamfor_kommuner"
    if _RANK_CUE.search(words):
        return "topp_behov"
    if _AMOUNT_CUE.search(words):
        return "summa_behov"
    return None


def _horizon(words: str) -> Horizon | None:
    if re.search(r" (3 ar|tre ar|tre aren|3 aren|tre arsperiod|lang sikt|36 manader|3 years?|three years?"
                 r"|long term) ", words):
        return "3"
    if re.search(r" (12 man|12 manader|12 manaderna|tolv manader|tolv manaderna|ett ar|1 ar|narmaste aret"
                 r"|kommande aret|kort sikt|i ar|12 months?|one year|1 year|next year|short term) ", words):
        return "12"
    return None


def _top_n(words: str) -> int:
    match = _TOP_N.search(words)
    if not match:
        return DEFAULT_TOP_N
    raw = match.group(1)
    value = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    return max(1, min(MAX_TOP_N, value))


def _topic(words: str) -> Topic | None:
    if re.search(r"validering|validation", words):
        return "validering"
    if re.search(r"yrkesvux| vux |adult education", words):
        return "yrkesvux"
    if re.search(r" yh |yrkeshogskol|higher vocational", words):
        return "yh"
    return None


def _unknown_object(words: str) -> bool:
    """True when the question asks about a named thing ("behovet av X") that is no survey word."""
    for match in _OBJECT.finditer(words):
        word = next(g for g in match.groups() if g)
        if word not in _GENERIC_OBJECTS and not word.isdigit():
            return True
    return False


def match_kommuner(question: str, known_kommuner: Sequence[str]) -> tuple[str, ...] | None:
    """Known municipalities named in the question (with or without å/ä/ö, or genitive -s), in order.

    None when the question names a county municipality that the table does not hold.
    """
    words = _words(question)
    found: list[tuple[int, str]] = []
    for name in dict.fromkeys(k for k in known_kommuner if str(k).strip()):
        position = _name_position(words, name)
        if position is not None:
            found.append((position, name))
    known = {fold(k) for k in known_kommuner}
    for name in LAN_KOMMUNER:
        if fold(name) not in known and _name_position(words, name) is not None:
            return None
    return tuple(name for _, name in sorted(found))


def _name_position(words: str, name: str) -> int | None:
    folded = _words(name).strip()
    match = re.search(r" " + re.escape(folded) + r"s? ", words)
    return match.start() if match else None


def match_yrke(question: str, known_yrken: Sequence[str], exclude: Sequence[str] = ()) -> str | None:
    """The known yrke (or SSYK code) the question asks about, matched on stems and compound parts.

    "undersköterskor" matches "Undersköterskor, hemtjänst, hemsjukvård, äldreboende och habilitering".
    Equal matches go to the earlier entry of `known_yrken` (`answer` lists the most answered first).
    """
    words = _words(question)
    code = _SSYK_IN_TEXT.search(words)
    if code and code.group(1) in known_yrken:
        return code.group(1)
    stems = _question_stems(question, exclude)
    if not stems:
        return None
    scored = [(_yrke_score(stems, yrke), yrke) for yrke in dict.fromkeys(known_yrken) if not str(yrke).isdigit()]
    scored = [(score, yrke) for score, yrke in scored if score > (0, 0)]
    if not scored:
        return None
    order = {yrke: i for i, yrke in enumerate(dict.fromkeys(known_yrken))}
    scored.sort(key=lambda item: (-item[0][0], -item[0][1], order[item[1]]))
    return scored[0][1]


def _question_stems(question: str, exclude: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(whole-word stem, compound-part stems) of the question's content words."""
    skip = {t for name in exclude for t in tokenize(name)}
    out = []
    for token in tokenize(question):
        if token in skip or token.isdigit() or any(fold(token).rstrip("s") == fold(k) for k in exclude):
            continue
        terms = analyze_token(token)
        if terms[0] in _VOCABULARY_STEMS:
            continue
        out.append((terms[0], tuple(t for t in terms[1:] if t not in _VOCABULARY_STEMS)))
    return out


def _yrke_score(stems: Sequence[tuple[str, tuple[str, ...]]], yrke: str) -> tuple[int, int]:
    """(match strength, 1 when the yrke's first word matched): whole stems beat parts and suffixes."""
    tokens = tokenize(yrke)
    whole = [analyze_token(t)[0] for t in tokens]
    parts = set(analyze(yrke))
    best, first = 0, 0
    for stem, stem_parts in stems:
        best += _stem_score(stem, stem_parts, whole, parts)
        first = max(first, int(bool(whole) and whole[0] == stem))
    return best, first


def _stem_score(stem: str, stem_parts: Sequence[str], whole: Sequence[str], parts: set[str]) -> int:
    """3: a whole word of the yrke; 2: one of its compound parts; 1: a suffix or a part of ours."""
    if stem in whole:
        return 3
    if stem in parts:
        return 2
    if len(stem) >= 5 and any(w.endswith(stem) for w in whole):
        return 1
    return 1 if any(p in whole for p in stem_parts) else 0


# ---------------------------------------------------------------------------------------------
# Computing with pandas
# ---------------------------------------------------------------------------------------------


def to_frame(table: Table, cols: SurveyColumns) -> pd.DataFrame:
    """The table as a DataFrame of canonical survey fields; needs and difficulty as floats.

    Columns: pos (row index), row (spreadsheet row number), kommun, yrke_key, yrke_label, employer,
    behov_12, behov_3, svarighet and the interest fields present; text fields are stripped strings.
    """
    header = list(table.columns)
    records = [tuple(row) + ("",) * (len(header) - len(row)) for row in table.rows]

    def column(name: str | None) -> list[Any]:
        index = header.index(name) if name in header else None
        return [r[index] if index is not None else "" for r in records]

    data: dict[str, Any] = {
        "pos": list(range(len(records))),
        "row": [table.header_row + 1 + i for i in range(len(records))],
        "kommun": [_cell_text(v) for v in column(cols.kommun)],
        "yrke": [_cell_text(v) for v in column(cols.yrke)],
        "ssyk": [_cell_text(v) for v in column(cols.ssyk)],
        "employer": [_cell_text(v) for v in column(cols.employer or cols.respondent)],
    }
    for name in ("behov_12", "behov_3", "svarighet"):
        data[name] = [to_number(v) for v in column(getattr(cols, name))]
    for name in ("intresse_validering", "intresse_yrkesvux", "intresse_yh"):
        data[name] = [_cell_text(v) for v in column(getattr(cols, name))]
    frame = pd.DataFrame(data)
    frame["yrke_key"] = frame["ssyk"].where(frame["ssyk"] != "", frame["yrke"])
    frame["yrke_label"] = _labels(frame)
    return frame


def _labels(frame: pd.DataFrame) -> pd.Series:
    """Display name per yrke key: its most common yrke text, else 'SSYK <code>'."""
    labels: dict[str, str] = {}
    for key, group in frame.groupby("yrke_key", sort=False):
        names = group["yrke"][group["yrke"] != ""]
        if len(names):
            counts = names.value_counts()
            top = sorted(counts[counts == counts.max()].index, key=_sv_key)
            labels[str(key)] = str(top[0])
        else:
            labels[str(key)] = f"SSYK {key}" if str(key) else "(uppgift saknas)"
    return frame["yrke_key"].map(labels)


def respondents(frame: pd.DataFrame) -> int:
    """Distinct employers (or response ids); a row without one counts as its own respondent."""
    named = frame["employer"][frame["employer"] != ""]
    return int(named.map(fold).nunique()) + int((frame["employer"] == "").sum())


def visible(frame: pd.DataFrame, can_see_rows: CanSeeRows) -> bool:
    """True when a group's figures may be shown: enough respondents, or the caller sees its rows."""
    if respondents(frame) >= MIN_RESPONDENTS:
        return True
    kommuner = {k or None for k in frame["kommun"]}
    return bool(kommuner) and all(can_see_rows(k) for k in kommuner)


@dataclass(frozen=True)
class _Context:
    """Everything an intent handler needs."""

    query: SurveyQuery
    doc: DocumentInfo
    cols: SurveyColumns
    base: pd.DataFrame
    filter_label: str
    where: str
    can_see_rows: CanSeeRows


def compute(query: SurveyQuery, doc: DocumentInfo, table: Table, cols: SurveyColumns,
            can_see_rows: CanSeeRows) -> SurveyComputation | None:
    """Figures for `query` over one survey table; None when the table lacks a column it needs."""
    frame = to_frame(table, cols)
    base = _filter(frame, query)
    if base.empty:
        return None
    ctx = _Context(query, doc, cols, base, _filter_label(query, cols, base), _where(query), can_see_rows)
    return _HANDLERS[query.intent](ctx)


def _filter(frame: pd.DataFrame, query: SurveyQuery) -> pd.DataFrame:
    """Rows of the asked municipalities and yrke."""
    kommuner = {fold(k) for k in (query.kommuner or ((query.kommun,) if query.kommun else ()))}
    mask = pd.Series(True, index=frame.index)
    if kommuner:
        mask &= frame["kommun"].map(fold).isin(kommuner)
    if query.yrke:
        mask &= (frame["yrke"].map(fold) == fold(query.yrke)) | (frame["ssyk"] == query.yrke)
    return frame[mask]


def _filter_label(query: SurveyQuery, cols: SurveyColumns, base: pd.DataFrame) -> str:
    """'Kommun = Åsele och Yrke = Undersköterskor', in the table's own column names."""
    parts = []
    kommuner = query.kommuner or ((query.kommun,) if query.kommun else ())
    if kommuner:
        spelled = {fold(k): k for k in base["kommun"]}
        parts.append(f"{cols.kommun} = {' eller '.join(spelled.get(fold(k), k) for k in kommuner)}")
    if query.yrke:
        by_code = cols.ssyk and query.yrke.isdigit()
        parts.append(f"{cols.ssyk if by_code else cols.yrke} = {query.yrke}")
    return " och ".join(parts) if parts else "inget (alla svar)"


def _in_sentence(name: str) -> str:
    """An occupation name inside a sentence: 'Lastbilsförare m.fl.' → 'lastbilsförare m.fl.' (not 'IT-…')."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _where(query: SurveyQuery) -> str:
    kommuner = query.kommuner or ((query.kommun,) if query.kommun else ())
    if not kommuner:
        return "i alla kommuner i enkäten"
    return "i " + _join(list(kommuner))


def _join(items: Sequence[str]) -> str:
    """'A', 'A och B', 'A, B och C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def _need_column(ctx: _Context) -> tuple[str, Horizon] | None:
    """(frame column, horizon) to sum: the asked horizon, else three years, else 12 months."""
    available: dict[Horizon, str | None] = {"12": ctx.cols.behov_12, "3": ctx.cols.behov_3}
    order: list[Horizon] = [ctx.query.horizon] if ctx.query.horizon else []
    order += ["3", "12"]
    for horizon in order:
        if available[horizon]:
            return ("behov_12" if horizon == "12" else "behov_3"), horizon
    return None


def _horizon_phrase(horizon: Horizon) -> str:
    return "de närmaste 12 månaderna" if horizon == "12" else "inom tre år"


def _header_of(ctx: _Context, column: str) -> str:
    return str(getattr(ctx.cols, column))


def _unit(ctx: _Context) -> str:
    """What a respondent is: employers when the table names them."""
    return "arbetsgivare" if ctx.cols.employer else "svar"


def _suppressed(ctx: _Context, what: str, headers: Sequence[str]) -> SurveyComputation:
    """The answer for a base too small to show: no figure anywhere, not even the row span."""
    title = ctx.doc.title
    text = (f"Enligt {title} kan {what} {ctx.where} inte redovisas: {TOO_FEW} (färre än {MIN_RESPONDENTS} "
            f"svarande; filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", *headers], [[ctx.filter_label, *([TOO_FEW] * len(headers))]])
    figures = {"intent": ctx.query.intent, "kommun": ctx.query.kommun, "filter": ctx.filter_label,
               "suppressed": True, "min_respondents": MIN_RESPONDENTS}
    return SurveyComputation(text, figures, table_md, ctx.filter_label, _positions(ctx.base),
                             _quote_columns(ctx), suppressed=True)


def _positions(frame: pd.DataFrame) -> tuple[int, ...]:
    return tuple(int(p) for p in frame["pos"])


def _quote_columns(ctx: _Context) -> tuple[str, ...]:
    """The kommun column (quoted), then the yrke filter column when a yrke is asked."""
    columns = [ctx.cols.kommun]
    if ctx.query.yrke:
        columns.append(ctx.cols.ssyk if ctx.query.yrke.isdigit() and ctx.cols.ssyk else ctx.cols.yrke)
    return tuple(c for c in columns if c)


def _result(ctx: _Context, text: str, figures: dict[str, Any], table_md: str) -> SurveyComputation:
    base = {"intent": ctx.query.intent, "kommun": ctx.query.kommun, "filter": ctx.filter_label,
            "suppressed": False}
    return SurveyComputation(text, {**base, **figures}, table_md, ctx.filter_label, _positions(ctx.base),
                             _quote_columns(ctx))


# -- intents ----------------------------------------------------------------------------------


def _count_answers(ctx: _Context) -> SurveyComputation:
    """antal_svar: responses and distinct employers in the base."""
    if not visible(ctx.base, ctx.can_see_rows):
        return _suppressed(ctx, "antalet svar", ["Antal svar"])
    n, employers = len(ctx.base), respondents(ctx.base)
    if ctx.cols.employer:
        text = (f"Enligt {ctx.doc.title} svarade {format_number(employers)} arbetsgivare {ctx.where} "
                f"(n = {format_number(n)} svar; arbetsgivare räknade som unika namn i kolumnen "
                f"”{ctx.cols.employer}”; filter: {ctx.filter_label}) [1].")
    else:
        text = (f"Enligt {ctx.doc.title} kom det in {format_number(n)} svar {ctx.where} "
                f"(n = {format_number(n)}, en rad per svar; filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", "Antal svar (n)", "Antal arbetsgivare"],
                              [[ctx.filter_label, format_number(n), format_number(employers)]])
    return _result(ctx, text, {"n": n, "arbetsgivare": employers,
                               "counted": "unika arbetsgivare" if ctx.cols.employer else "rader"}, table_md)


def _rank_yrken(ctx: _Context) -> SurveyComputation | None:
    """topp_behov: need summed per yrke, largest first; small yrke groups are left out of the ranking."""
    need = _need_column(ctx)
    if need is None:
        return None
    column, horizon = need
    if not visible(ctx.base, ctx.can_see_rows):
        return _suppressed(ctx, f"rekryteringsbehovet {_horizon_phrase(horizon)}", ["Rekryteringsbehov"])
    shown, hidden = _yrke_groups(ctx, column)
    top = shown[: ctx.query.top_n]
    n = len(ctx.base)
    listing = "; ".join(f"{i}. {g['yrke']} – {format_number(g['behov'])} personer "
                        f"({format_number(g['respondenter'])} {_unit(ctx)})" for i, g in enumerate(top, 1))
    text = (f"Enligt {ctx.doc.title} har följande yrken störst rekryteringsbehov {_horizon_phrase(horizon)} "
            f"{ctx.where} (n = {format_number(n)} svar; summa av kolumnen ”{_header_of(ctx, column)}” per yrke; "
            f"filter: {ctx.filter_label}): {listing or 'inget yrke kan redovisas'} [1].")
    if hidden:
        text += (f" {format_number(len(hidden))} yrken med färre än {MIN_RESPONDENTS} svarande redovisas inte "
                 f"({TOO_FEW}).")
    rows = [[str(i), g["yrke"], g["ssyk"], format_number(g["behov"]), format_number(g["respondenter"])]
            for i, g in enumerate(top, 1)]
    rows += [["–", name, code, TOO_FEW, TOO_FEW] for name, code in hidden]
    table_md = markdown_table(["Rang", "Yrke", "SSYK", f"Behov {_horizon_phrase(horizon)}",
                               f"Antal {_unit(ctx)}"], rows)
    figures = {"n": n, "horizon": horizon, "column": _header_of(ctx, column), "rows": top,
               "too_few": [name for name, _ in hidden]}
    return _result(ctx, text, figures, table_md)


def _yrke_groups(ctx: _Context, column: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(ranked visible groups as dicts, [(name, ssyk)] of hidden groups sorted by name)."""
    shown: list[dict[str, Any]] = []
    hidden: list[tuple[str, str]] = []
    for key, group in ctx.base.groupby("yrke_key", sort=False):
        label, code = str(group["yrke_label"].iloc[0]), str(group["ssyk"].iloc[0])
        if not visible(group, ctx.can_see_rows):
            hidden.append((label, code))
            continue
        shown.append({"yrke": label, "ssyk": code, "behov": _number(group[column].sum()),
                      "respondenter": respondents(group), "n": len(group)})
    shown.sort(key=lambda g: (-g["behov"], _sv_key(g["yrke"])))
    for rank, group in enumerate(shown, 1):
        group["rank"] = rank
    return shown, sorted(hidden, key=lambda h: _sv_key(h[0]))


def _number(value: Any) -> int | float:
    """A pandas sum as a plain int when whole, else a float rounded to 2 decimals."""
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def _sum_need(ctx: _Context) -> SurveyComputation | None:
    """summa_behov: the total need of the base (a kommun, a yrke, or both)."""
    need = _need_column(ctx)
    if need is None:
        return None
    column, horizon = need
    if not visible(ctx.base, ctx.can_see_rows):
        return _suppressed(ctx, f"rekryteringsbehovet {_horizon_phrase(horizon)}", ["Rekryteringsbehov"])
    values = ctx.base[column]
    total, n, missing = _number(values.sum()), len(ctx.base), int(values.isna().sum())
    subject = f" för {_in_sentence(ctx.query.yrke)}" if ctx.query.yrke else ""
    gaps = f", varav {format_number(missing)} utan uppgift" if missing else ""
    text = (f"Enligt {ctx.doc.title} är rekryteringsbehovet{subject} {ctx.where} {_horizon_phrase(horizon)} "
            f"{format_number(total)} personer (summa av kolumnen ”{_header_of(ctx, column)}”; "
            f"n = {format_number(n)} svar från {format_number(respondents(ctx.base))} {_unit(ctx)}{gaps}; "
            f"filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", f"Behov {_horizon_phrase(horizon)}", "Antal svar (n)"],
                              [[ctx.filter_label, format_number(total), format_number(n)]])
    figures = {"n": n, "behov": total, "horizon": horizon, "column": _header_of(ctx, column),
               "respondenter": respondents(ctx.base), "saknar_varde": missing}
    return _result(ctx, text, figures, table_md)


def _compare_kommuner(ctx: _Context) -> SurveyComputation | None:
    """jamfor_kommuner: need per kommun, largest first; small kommuner shown as 'för få svar'.

    n is the sum over the kommuner shown, so a hidden kommun's count cannot be got by subtraction.
    """
    need = _need_column(ctx)
    if need is None:
        return None
    column, horizon = need
    shown, hidden = _kommun_groups(ctx, column)
    n = sum(g["n"] for g in shown)
    listing = "; ".join(f"{i}. {g['kommun']} – {format_number(g['behov'])} personer (n = {format_number(g['n'])} svar)"
                        for i, g in enumerate(shown, 1))
    lead = (f"har {shown[0]['kommun']} störst rekryteringsbehov {_horizon_phrase(horizon)}, "
            f"{format_number(shown[0]['behov'])} personer" if shown else "kan ingen kommun redovisas")
    text = (f"Enligt {ctx.doc.title} {lead} [1]. Per kommun (summa av kolumnen ”{_header_of(ctx, column)}”; "
            f"n = {format_number(n)} svar i de kommuner som redovisas; filter: {ctx.filter_label}): "
            f"{listing or '–'} [1].")
    if hidden:
        text += f" {_join(hidden)}: {TOO_FEW}."
    rows = [[str(i), g["kommun"], format_number(g["behov"]), format_number(g["n"]),
             format_number(g["respondenter"])] for i, g in enumerate(shown, 1)]
    rows += [["–", name, TOO_FEW, TOO_FEW, TOO_FEW] for name in hidden]
    table_md = markdown_table(["Rang", "Kommun", f"Behov {_horizon_phrase(horizon)}", "Antal svar (n)",
                               f"Antal {_unit(ctx)}"], rows)
    figures = {"n": n, "horizon": horizon, "column": _header_of(ctx, column), "rows": shown, "too_few": hidden}
    return _result(ctx, text, figures, table_md)


def _kommun_groups(ctx: _Context, column: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(ranked visible kommun groups, names of hidden kommuner in Swedish order)."""
    shown: list[dict[str, Any]] = []
    hidden: list[str] = []
    for name, group in ctx.base.groupby("kommun", sort=False):
        if not visible(group, ctx.can_see_rows):
            hidden.append(str(name) or "(uppgift saknas)")
            continue
        shown.append({"kommun": str(name), "behov": _number(group[column].sum()), "n": len(group),
                      "respondenter": respondents(group)})
    shown.sort(key=lambda g: (-g["behov"], _sv_key(g["kommun"])))
    for rank, group in enumerate(shown, 1):
        group["rank"] = rank
    return shown, sorted(hidden, key=_sv_key)


_TOPIC_FIELDS: dict[Topic, str] = {"validering": "intresse_validering", "yrkesvux": "intresse_yrkesvux",
                                   "yh": "intresse_yh"}
_TOPIC_NAMES: dict[Topic, str] = {"validering": "validering", "yrkesvux": "yrkesvux", "yh": "YH-utbildning"}
_YES = frozenset({"ja", "j", "yes", "y", "x", "1", "true", "sant"})


def _share_interest(ctx: _Context) -> SurveyComputation | None:
    """andel_intresse: share of answers 'Ja' per interest column (the asked one, else all)."""
    topics = [ctx.query.topic] if ctx.query.topic else list(_TOPIC_FIELDS)
    topics = [t for t in topics if getattr(ctx.cols, _TOPIC_FIELDS[t])]
    if not topics:
        return None
    if not visible(ctx.base, ctx.can_see_rows):
        return _suppressed(ctx, "andelen intresserade", [f"Intresse {_TOPIC_NAMES[t]}" for t in topics])
    shares = [_interest(ctx, topic) for topic in topics]
    listing = "; ".join(f"{_TOPIC_NAMES[s['topic']]} {format_number(s['ja'])} av {format_number(s['besvarade'])} "
                        f"svar ({format_percent(s['andel'])})" for s in shares)
    columns = ", ".join(f"”{s['column']}”" for s in shares)
    text = (f"Enligt {ctx.doc.title} anger arbetsgivarna {ctx.where} intresse för {listing} (andel Ja av dem som "
            f"besvarat frågan, kolumn {columns}; n = {format_number(len(ctx.base))} svar; "
            f"filter: {ctx.filter_label}) [1].")
    rows = [[_TOPIC_NAMES[s["topic"]], format_number(s["ja"]), format_number(s["besvarade"]),
             format_percent(s["andel"])] for s in shares]
    table_md = markdown_table(["Intresse", "Ja", "Besvarade", "Andel"], rows)
    return _result(ctx, text, {"n": len(ctx.base), "rows": shares}, table_md)


def _interest(ctx: _Context, topic: Topic) -> dict[str, Any]:
    values = ctx.base[_TOPIC_FIELDS[topic]].map(fold)
    answered = values[values != ""]
    yes = int(answered.isin(_YES).sum())
    share = yes / len(answered) if len(answered) else 0.0
    return {"topic": topic, "column": getattr(ctx.cols, _TOPIC_FIELDS[topic]), "ja": yes,
            "besvarade": int(len(answered)), "andel": round(share, 4)}


def _difficulty(ctx: _Context) -> SurveyComputation | None:
    """svarighet: mean difficulty and the share answering 4 or 5 on a 1–5 scale."""
    if not ctx.cols.svarighet:
        return None
    if not visible(ctx.base, ctx.can_see_rows):
        return _suppressed(ctx, "svårigheten att rekrytera", ["Svårighet"])
    values = ctx.base["svarighet"].dropna()
    if values.empty:
        return None
    mean, hard = round(float(values.mean()), 1), int((values >= 4).sum())
    scale = values.min() >= 1 and values.max() <= 5
    subject = f" {_in_sentence(ctx.query.yrke)}" if ctx.query.yrke else ""
    hard_text = f"; {format_percent(hard / len(values))} anger 4 eller 5" if scale else ""
    text = (f"Enligt {ctx.doc.title} är den genomsnittliga svårigheten att rekrytera{subject} {ctx.where} "
            f"{format_number(mean)}{' på skalan 1–5' if scale else ''}{hard_text} (medelvärde av kolumnen "
            f"”{ctx.cols.svarighet}”; n = {format_number(len(values))} svar med värde; "
            f"filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", "Medelvärde", "Andel 4–5", "Antal svar (n)"],
                              [[ctx.filter_label, format_number(mean),
                                format_percent(hard / len(values)) if scale else "–", format_number(len(values))]])
    figures = {"n": int(len(values)), "medel": mean, "andel_svart": round(hard / len(values), 4) if scale else None,
               "column": ctx.cols.svarighet}
    return _result(ctx, text, figures, table_md)


_HANDLERS: dict[str, Callable[[_Context], SurveyComputation | None]] = {
    "antal_svar": _count_answers,
    "topp_behov": _rank_yrken,
    "summa_behov": _sum_need,
    "jamfor_kommuner": _compare_kommuner,
    "andel_intresse": _share_interest,
    "svarighet": _difficulty,
}


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; '|' in cells is escaped."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


# ---------------------------------------------------------------------------------------------
# Citation
# ---------------------------------------------------------------------------------------------


def cite(comp: SurveyComputation, doc: DocumentInfo, table: Table, passages: Sequence[Passage],
         kommun: str | None) -> Citation | None:
    """Citation [1] of the first row passage holding a base row, quoting its filter segment.

    The section names the filter and, unless the base is suppressed, the span of spreadsheet rows
    (header_row + 1 + index) of the base; a suppressed base's span could reveal its size.
    """
    first = table.rows[comp.positions[0]]
    segments = [s for s in (_segment(table, first, c) for c in comp.quote_columns) if s]
    passage = _passage_with(passages, segments) if segments else None
    if passage is None:
        passage = _passage_at(passages, table.header_row + 1 + comp.positions[0])
    if passage is None:
        return None
    quote = segments[0] if segments and segments[0] in passage.text else _first_segment(passage.text)
    rows = [table.header_row + 1 + p for p in comp.positions]
    section = f"{table.name}, filter: {comp.filter_label}"
    if not comp.suppressed:
        section += f", rader {min(rows)}–{max(rows)}"
    return Citation(n=1, source_id=passage.source_id, title=doc.title, path=doc.path, scope=doc.scope,
                    quote=quote, page=None, section=section, kommun=doc.kommun or kommun)


def _segment(table: Table, row: Sequence[Any], column: str) -> str | None:
    """'Kommun: Åsele' as the row passages render the cell."""
    index = table.columns.index(column) if column in table.columns else len(row)
    value = _cell_text(row[index]) if index < len(row) else ""
    return f"{column}: {value}" if value else None


def _passage_with(passages: Sequence[Passage], segments: Sequence[str]) -> Passage | None:
    """The first passage with a row line holding every segment as a whole " | "-separated cell."""
    for passage in passages:
        for line in passage.text.splitlines():
            cells = line.split(" | ")
            if all(s in cells for s in segments):
                return passage
    return None


def _passage_at(passages: Sequence[Passage], row: int) -> Passage | None:
    for passage in passages:
        if passage.rows and passage.rows[0] <= row <= passage.rows[1]:
            return passage
    return None


def _first_segment(text: str) -> str:
    return text.splitlines()[0].split(" | ")[0] if text else text


# ---------------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------------


def answer(question: str, tables: Sequence[tuple[DocumentInfo, Table]], caller_scopes: Sequence[str],
           row_passages: RowPassages) -> SurveyResult | None:
    """A computed, cited answer to a survey-figure question; None to fall back to retrieval.

    Only tables of documents within `caller_scopes` are read. When several survey tables can
    answer, the one holding rows of the asked kommun with the most rows is used (ties: the
    document of that kommun, then path and table name).
    """
    if _intent(_words(question)) is None:  # most questions: no need to read any table
        return None
    scopes = set(caller_scopes)
    candidates = survey_tables(tables, scopes)
    if not candidates:
        return None
    kommuner, yrken = _known_values(candidates)
    query = parse_question(question, kommuner, yrken)
    if query is None:
        return None
    chosen = choose_table(candidates, query)
    if chosen is None:
        return None
    comp = compute(query, chosen.doc, chosen.table, chosen.cols, _row_visibility(scopes))
    if comp is None or not comp.positions:
        return None
    citation = cite(comp, chosen.doc, chosen.table, _table_passages(row_passages, chosen), query.kommun)
    if citation is None:
        return None
    return SurveyResult(comp.text, (citation,), comp.figures, comp.table_md)


def survey_tables(tables: Sequence[tuple[DocumentInfo, Table]], scopes: set[str]) -> list[_SurveyTable]:
    """The survey-like tables among those the caller may read."""
    out = []
    for doc, table in tables:
        if doc.scope not in scopes:
            continue
        cols = match_columns(table.columns)
        if cols is not None and table.rows:
            out.append(_SurveyTable(doc, table, cols))
    return out


def _known_values(candidates: Sequence[_SurveyTable]) -> tuple[list[str], list[str]]:
    """Distinct kommun names, and yrke names plus SSYK codes (most answered first), over the tables."""
    frames = [to_frame(item.table, item.cols) for item in candidates]
    kommuner = pd.concat([f["kommun"] for f in frames])
    yrken = pd.concat([f[name] for f in frames for name in ("yrke", "ssyk")])
    return _by_frequency(kommuner), _by_frequency(yrken)


def _by_frequency(values: pd.Series) -> list[str]:
    """Distinct non-empty values, most frequent first, ties in Swedish alphabetical order."""
    counts = values[values != ""].value_counts()
    return sorted((str(v) for v in counts.index), key=lambda v: (-int(counts[v]), _sv_key(v)))


def choose_table(candidates: Sequence[_SurveyTable], query: SurveyQuery) -> _SurveyTable | None:
    """Most rows among tables holding the asked kommuner; ties by the kommun's own document, then path."""
    wanted = {fold(k) for k in (query.kommuner or ((query.kommun,) if query.kommun else ()))}
    fitting = [c for c in candidates if wanted <= _table_kommuner(c)]
    if not fitting:
        return None
    own = fold(query.kommun) if query.kommun else None
    return min(fitting, key=lambda c: (-len(c.table.rows), fold(c.doc.kommun or "") != own, c.doc.path,
                                       c.table.name))


def _table_kommuner(item: _SurveyTable) -> set[str]:
    index = item.table.columns.index(cast(str, item.cols.kommun))
    return {fold(_cell_text(row[index])) for row in item.table.rows if index < len(row)}


def _row_visibility(scopes: set[str]) -> CanSeeRows:
    """Who sees raw rows: a caller holding `kommun:<slug>` sees that kommun's rows."""
    def can_see_rows(kommun: str | None) -> bool:
        return kommun is not None and kommun_scope(kommun) in scopes
    return can_see_rows


def _table_passages(row_passages: RowPassages, item: _SurveyTable) -> list[Passage]:
    """Row passages of the table's sheet; a CSV's passages carry no sheet name."""
    found = row_passages(item.doc.doc_id, item.table.name)
    if not found:
        found = [p for p in row_passages(item.doc.doc_id, None) if p.sheet is None]
    return sorted(found, key=lambda p: p.rows or (0, 0))
