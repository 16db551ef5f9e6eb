"""Question parsing: what a survey-figure question asks (intent, kommuner, yrke, horizon, top n)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.scopes import LAN_KOMMUNER
from assistant.survey.columns import DEFAULT_TOP_N, MAX_TOP_N, Horizon, Intent, SurveyQuery, Topic
from assistant.text.analyzer import analyze, analyze_token, tokenize
from assistant.text.fold import fold, padded

_FIGURE = r"( hur | vilka | vilket | vilken | antal | andel | totalt | sammanlagt | summa | topp | top | jamfor" \
          r"| how | which | what | compare | storst | flest | mest | most | largest )"
_BEHOV_CUE = re.compile(r"(behov|behover|behovs|rekryter|nyanstall| anstalla | need| recruit| hire| hiring)")
_SVAR_CUE = re.compile(r"( svarade | svarat | svar | svaren | besvarade | besvarat | enkatsvar | svarande | deltog "
                       r"| deltagit | inkomna | respond| responses | answered | replied )")
_INTRESSE_CUE = re.compile(r"(intresse|intresserad|validering|yrkesvux| yh |yrkeshogskol|interest|validation)")
_SVARIGHET_CUE = re.compile(r"( svart | svara | svarigt | svarighet| svarrekryterad| difficult| hard to recruit)")
_SHARE_CUE = re.compile(r"( andel | andelen | procent | hur manga | hur stort | hur stor | share | percent| proportion | how many )")
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
_GENERIC_OBJECTS = frozenset(padded(_VOCABULARY).split()) | {"att", "de", "den", "det", "the", "a", "an", "in"}


def _vocabulary_stems() -> frozenset[str]:
    return frozenset(analyze(_VOCABULARY))


_VOCABULARY_STEMS = _vocabulary_stems()


def parse_question(question: str, known_kommuner: Sequence[str], known_yrken: Sequence[str]) -> SurveyQuery | None:
    """A survey-figure question as a `SurveyQuery`; None when it asks for something else.

    >>> parse_question("Hur många arbetsgivare i Åsele svarade?", ["Åsele"], []).intent
    'antal_svar'
    """
    words = padded(question)
    intent = intent_of(words)
    if intent is None:
        return None
    kommuner = match_kommuner(question, known_kommuner)
    if kommuner is None:
        return None
    yrke = None if intent == "topp_behov" else match_yrke(question, known_yrken, exclude=kommuner)
    if yrke is None and intent in ("summa_behov", "svarighet") and _unknown_object(words):
        return None
    if len(kommuner) > 1 and intent == "summa_behov":  # several kommuner' answer counts: one figure each
        intent = "jamfor_kommuner"
    return SurveyQuery(intent=intent, kommun=kommuner[0] if kommuner else None, horizon=_horizon(words),
                       yrke=yrke, top_n=_top_n(words), kommuner=kommuner, topic=_topic(words))


# "Hur många deltagare ska validera?" asks for a plan's target, not the survey's interest question.
_INTEREST_ASKED = re.compile(r"(intress|vill | andel| procent|interest|share|percent|proportion)")
# "Hur många kommuner svarade?" counts something the survey's rows are not (they are employers).
_OTHER_COUNT = re.compile(r" (hur manga|antal|antalet|how many|number of) (kommuner|kommun|kompetensmaklare|lan"
                          r"|regioner|projekt|deltagare|platser|moten|utskick|yrken|branscher|municipalities) ")


def intent_of(words: str) -> Intent | None:
    """The intent from cue words, most specific first; None without a figure and a survey cue."""
    if not re.search(_FIGURE, words) or _UNSUPPORTED.search(words):
        return None
    if _INTRESSE_CUE.search(words) and _SHARE_CUE.search(words) and _INTEREST_ASKED.search(words):
        return "andel_intresse"
    if _SVARIGHET_CUE.search(words) and (_BEHOV_CUE.search(words) or "svarighet" in words):
        return "svarighet"
    if _BEHOV_CUE.search(words):
        return _behov_intent(words)
    if _SVAR_CUE.search(words) and _COUNT_CUE.search(words) and not _OTHER_COUNT.search(words):
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
    words = padded(question)
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
    folded = padded(name).strip()
    match = re.search(r" " + re.escape(folded) + r"s? ", words)
    return match.start() if match else None


def match_yrke(question: str, known_yrken: Sequence[str], exclude: Sequence[str] = ()) -> str | None:
    """The known yrke (or SSYK code) the question asks about, matched on stems and compound parts.

    "undersköterskor" matches "Undersköterskor, hemtjänst, hemsjukvård, äldreboende och habilitering".
    Equal matches go to the earlier entry of `known_yrken` (`answer` lists the most answered first).
    """
    words = padded(question)
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
