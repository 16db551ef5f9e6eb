"""Question analysis: what a question asks for, about what, and what a follow-up carries over.

`analyze_question("Vem ansvarar för valideringen i Åsele?")` gives a typed `Question`: its kind
(fakta, lista, jämförelse, förklaring), what the answer must hold (a person, a date, a figure, a
table column such as Ansvarig), its constraints (kommuner, year, document type) and its parts when
it asks two things at once. `resolve_follow_up` turns "Och i Dorotea?" after "Vem är
kompetensmäklare i Åsele?" into "Vem är kompetensmäklare i Dorotea?".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.scopes import LAN_KOMMUNER
from assistant.text.fold import padded

KINDS = ("fakta", "lista", "jämförelse", "förklaring")

# Table columns a question can ask for, with the cue words (folded, word starts) that name them.
COLUMN_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ansvarig", re.compile(r"\b(ansvar\w*|vem (leder|driver|haller i|samordnar)|vilka (leder|driver))\b")),
    ("malniva", re.compile(r"\b(malniva\w*|mal(et)? for|malvarde\w*|vilket mal|vad ar malet"
                           r"|hur manga (\w+ ){1,4}ska (\w+ )?(ha |na |borja|paborja|delta|ga|bli|genomga|lasa))")),
    ("utgangslage", re.compile(r"\b(utgangslage\w*|utgangsvarde\w*|baslinje\w*)\b")),
    ("koppling", re.compile(r"\b(koppl\w*|vilket bristyrke|vilka bristyrken (galler|berors|ror))\b")),
    ("tidplan", re.compile(r"\b(tidplan\w*|nar (startar|borjar|ska|sker|genomfors|ar|slutar|avslutas|klar)"
                           r"|vilket datum|hur lange pagar)\b")),
)

_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("andel", re.compile(r"\b(hur stor andel|andel(en)?|hur manga procent|svarsfrekvens\w*|procent)\b")),
    ("antal", re.compile(r"\b(hur manga|hur mycket|hur stor|hur stort|antal(et)?|hur lange|how many|how much)\b")),
    ("datum", re.compile(r"\b(nar|vilket datum|vilken dag|vilket ar|sedan nar|when)\b")),
    ("person", re.compile(r"\b(vem|vilka personer|vilken person|vilka ar|who|kontaktperson)\b")),
)

_LIST_CUE = re.compile(
    r"^(vilka|vilken typ av|lista|nämn|namn|rakna upp|vad (finns|har) .* for (insatser|bristyrken|yrken))\b"
    r"|\b(vilka (\w+ )?(bristyrken|yrken|insatser|roller|kommuner|atgarder|mal|prioriteringar|inriktningar"
    r"|delprioriteringar|malgrupper|aktorer|utbildningar|omraden|delar|uppgifter|steg|principer))\b"
)
_EXPLAIN_CUE = re.compile(r"^(varfor|hur (arbetar|jobbar|gar|fungerar|kan|ska|gor)|beskriv|forklara|"
                          r"berätta|berätta|sammanfatta|vad innebar|vad handlar)\b")
_QUESTION_WORDS = r"(?:hur|vilken|vilket|vilka|vad|n[aä]r|vem|var|varf[oö]r|finns|[aä]r|har)"
_PART_SPLIT = re.compile(rf"(?:,| och| samt)\s+(?=(?:(?:till|för|av|i|på|med|om|från) )?{_QUESTION_WORDS}\b)", re.IGNORECASE)
# A part that leans on the one before ("… och hur bedöms läget för det yrket?") is not asked alone.
_REFERS_BACK = re.compile(r"\b(det|den|dem|detta|denna|dessa|dess|deras|samma|där|dit|då)\b(?! (finns|är|var|blir|gäller))",
                          re.IGNORECASE)
_FOLLOW_UP = re.compile(r"^(och|men|samt|an|sa|hur ar det med|hur blir det (med|for)|samma (for|i)|gäller det"
                        r"|galler det|vad sager|vad galler|hur (ar|var|ser|blir) det (ut )?(i|med|for|pa))\b")
# A short question that leans on the one before by a pronoun ("Vem ansvarar för den?").
_PRONOUN_FOLLOW_UP = re.compile(r"\b(den|det|dem|dessa|denna|detta|dess|deras|där)\b")
PRONOUN_FOLLOW_UP_WORDS = 6
_YEAR = re.compile(r"\b(20\d{2})\b")
NUMBER_WORDS = r"(en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|femton|tjugo)"
_COMPARES_LISTS = re.compile(r"^jamfor (\w+ ){0,2}(bristyrken|yrken|insatser|indikatorer|prioriteringar|mal|atgarder)\b")
_COMPARES = re.compile(r"\b(jamfor\w*|skillnad\w*|respektive|mellan|an i|eller i|var och en|per kommun)\b")
_DOC_TYPES = (
    ("handlingsplan", re.compile(r"\bhandlingsplan\w*")),
    ("protokoll", re.compile(r"\b(protokoll\w*|arbetsgrupp\w*|motet|moten)\b")),
    ("enkat", re.compile(r"\b(enkat\w*|arbetsgivarenkat\w*)\b")),
    ("lardom", re.compile(r"\b(lardom\w*)\b")),
    ("strategi", re.compile(r"\b(rus|utvecklingsstrategi\w*)\b")),
    ("agenda", re.compile(r"\b(agenda\w*)\b")),
    ("bristlista", re.compile(r"\b(yrkesbarometer\w*|bristlist\w*)\b")),
)


@dataclass(frozen=True)
class Question:
    """A question as the answer stage reads it.

    `text` is the standalone question (a follow-up already merged with the turn before); `parts`
    are its sub-questions when it asks several things (else just `text`); `column` is the table
    column it asks for (folded name such as 'ansvarig'), `asks` the kind of value (antal, andel,
    datum, person).
    """

    text: str
    kind: str
    asks: str | None = None
    column: str | None = None
    kommuner: tuple[str, ...] = ()
    year: int | None = None
    doc_type: str | None = None
    parts: tuple[str, ...] = ()
    language: str = "sv"
    follow_up: bool = False
    original: str = ""
    context: str = ""  # the rest of a multi-part question, for a part that refers back to it
    side_by_side: bool = False  # one kommun's part of a comparison: only text naming it answers

    @property
    def search_text(self) -> str:
        """What to search and score with: the question, and the question it is part of."""
        return f"{self.text} {self.context}".strip()


def fold(text: str) -> str:
    """Lower case without diacritics and punctuation, single-spaced: 'Åsele?' → 'asele'."""
    return padded(text).strip()


def mentioned_kommuner(text: str, constraints_only: bool = False) -> tuple[str, ...]:
    """County municipalities `text` names (also genitive 'Åseles', and without å/ä/ö), in order.

    With `constraints_only`, names after "förutom", "utom" or "besides" are left out: they say
    what the question is not about.
    """
    folded = f" {fold(text)} "
    found = []
    for name in LAN_KOMMUNER:
        key = fold(name)
        m = re.search(rf" {re.escape(key)}s? ", folded)
        if m and not (constraints_only and _EXCLUDING.search(folded[:m.start() + 1])):
            found.append((m.start(), name))
    return tuple(name for _, name in sorted(found))


_EXCLUDING = re.compile(r" (forutom|utom|utover|bortsett fran|besides|except|apart from|other than) $")


def analyze_question(text: str, previous: Sequence[str] = ()) -> Question:
    """The typed reading of `text`; `previous` are earlier questions of the same conversation."""
    original = text.strip()
    standalone, follow_up = resolve_follow_up(original, previous)
    folded = fold(standalone)
    kommuner = () if is_english(standalone) else mentioned_kommuner(standalone, constraints_only=True)
    year = next((int(y) for y in _YEAR.findall(standalone)), None)
    parts = split_parts(standalone)
    kind = _kind(folded, kommuner)
    context = ""
    last = next((p.strip() for p in reversed(previous) if p and p.strip()), None)
    if (last and not follow_up and not kommuner and len(folded.split()) <= PRONOUN_FOLLOW_UP_WORDS
            and _PRONOUN_FOLLOW_UP.search(folded)):
        # "Vem ansvarar för den?" after "Vilken insats har Vilhelmina för kockar?": asked of that insats
        context, follow_up = last, True
        kommuner = mentioned_kommuner(last, constraints_only=True)
        year = year or next((int(y) for y in _YEAR.findall(last)), None)
    return Question(
        text=standalone, kind=kind, asks=asks_for(folded), column=column_asked(folded), kommuner=kommuner,
        year=year, doc_type=next((t for t, p in _DOC_TYPES if p.search(fold(f"{standalone} {context}"))), None),
        parts=parts, language="en" if is_english(standalone) else "sv", follow_up=follow_up, original=original,
        context=context,
    )


def for_part(question: Question, part: str) -> Question:
    """The analysis of one part of a multi-part question; kommuner of the whole carry over, and a part
    that refers back ("… och hur många hade fått den?") carries the whole question as its context."""
    sub = analyze_question(part)
    kommuner = sub.kommuner or question.kommuner
    return replace(sub, kommuner=kommuner, year=sub.year or question.year,
                   kind="jämförelse" if len(kommuner) > 1 and sub.kind == "fakta" else sub.kind,
                   context=question.text if _REFERS_BACK.search(part) else "")


def asks_list(text: str) -> bool:
    """A question that asks for several things by name ("Vilka insatser …", "Jämför prioriterade
    bristyrken i …"): answered as a list."""
    return text.lower().startswith(("vilka", "vilken typ")) or _COMPARES_LISTS.search(fold(text)) is not None


_NUMBER_WORD = rf"(?:{NUMBER_WORDS[1:-1]}|\d+|är|de|den|det)"  # passed over before a listed noun


_NOT_A_NOUN = frozenset("har hade är var finns fanns ska skulle kan kunde blir blev gör gjorde som i på för av med till om "
                        "från vid inom enligt och eller".split())


def head_noun(question: str) -> str | None:
    """The noun a which/what question asks about: 'Vilka prioriterade bristyrken …' → 'bristyrken',
    'Vad är visionen i …' → 'visionen'.

    An adjective before the noun ('prioriterade', 'viktigaste'), a number ('fyra') or a genitive
    ('Umeås') is passed over.
    """
    m = re.search(r"\b(?:vilka|vilken|vilket|lista|nämn|räkna upp|ange|vad är|vad var|vad heter|vad kallas|jämför)\s+(.*)",
                  question, re.IGNORECASE)
    what_for = re.search(r"^vad (?:har|finns|gör|planerar) .*? för (\w+)", question, re.IGNORECASE)
    if what_for and not (m and m.start() == 0 and not question.lower().startswith("vad")):
        return what_for.group(1)  # "Vad har Skellefteå för insatser …?" → insatser
    if not m:
        return None
    words = [w for w in re.findall(r"[\wåäöÅÄÖ]+", m.group(1))
             if not re.fullmatch(_NUMBER_WORD, w, re.IGNORECASE) and not (w[:1].isupper() and w.endswith("s"))]
    if not words:
        return None
    first, second = words[0], (words[1] if len(words) > 1 else None)
    if second and second.lower() in _NOT_A_NOUN:
        return first  # "Vilket yrke har …": 'yrke' ends like an adjective but 'har' is no noun
    return second if second and re.search(r"(ade|ande|aste|iga|ska|nya|e)$", first.lower()) else first


def asks_for(folded: str) -> str | None:
    """What the answer must hold: 'andel', 'antal', 'datum' or 'person' (None for anything else)."""
    return next((name for name, cue in _ASKS if cue.search(folded)), None)


def column_asked(folded: str) -> str | None:
    """The table column the question asks for ('ansvarig', 'tidplan', 'malniva', …), if any."""
    return next((name for name, cue in COLUMN_CUES if cue.search(folded)), None)


def _kind(folded: str, kommuner: Sequence[str]) -> str:
    if (len(kommuner) > 1 and not folded.startswith(("vilka kommuner", "vilken kommun"))
            and (len(kommuner) == 2 or _COMPARES.search(folded))):
        return "jämförelse"  # "transportföretag i Dorotea, Vilhelmina och Åsele" is one group, not three
    if _LIST_CUE.search(folded):
        return "lista"
    if _EXPLAIN_CUE.search(folded):
        return "förklaring"
    return "fakta"


def split_parts(text: str) -> tuple[str, ...]:
    """Sub-questions of a question that asks several things; (text,) when it asks one.

    >>> split_parts("Hur många svarade i Åsele och hur hög var svarsfrekvensen?")
    ('Hur många svarade i Åsele?', 'hur hög var svarsfrekvensen?')
    """
    sentences = [s.strip() for s in re.split(r"(?<=\?)\s+", text.strip()) if s.strip()]
    parts: list[str] = []
    for sentence in sentences:
        pieces = [p.strip(" ,") for p in _PART_SPLIT.split(sentence) if p.strip(" ,")]
        if len(pieces) > 1 and all(len(p.split()) >= 3 for p in pieces) \
                and not any(_elliptic(p) for p in pieces[1:]):
            parts += [p if p.endswith("?") else p + "?" for p in pieces]
        else:
            parts.append(sentence)
    return tuple(parts)


def _elliptic(part: str) -> bool:
    """A part that only swaps a place ("… och hur många i Vilhelmina?"): one question about two kommuner."""
    words = [w for w in fold(part).split() if w not in _ELLIPSIS_WORDS]
    named = {fold(k) for k in mentioned_kommuner(part)} | {fold(k) + "s" for k in mentioned_kommuner(part)}
    return all(w in named for w in words)


_ELLIPSIS_WORDS = frozenset("och hur manga mycket stor stort vilken vilket vilka vad nar vem var i for pa med "
                            "an da samt respektive har hade ar det den ansvaret ansvarar ansvarig".split())


def resolve_follow_up(text: str, previous: Sequence[str]) -> tuple[str, bool]:
    """The standalone question for `text`, and whether it was a follow-up of the last question.

    A short question that opens like a follow-up ("Och i Dorotea?", "Hur är det med 2024?") or
    names only a kommun or a year keeps the previous question and swaps what it names.
    """
    last = next((p.strip() for p in reversed(previous) if p and p.strip()), None)
    if last is None:
        return text, False
    folded = fold(text)
    words = folded.split()
    new_kommuner = mentioned_kommuner(text)
    new_year = _YEAR.search(text)
    opener = _FOLLOW_UP.match(folded) is not None
    if not (opener and len(words) <= 8) and not (len(words) <= 3 and (new_kommuner or new_year)):
        return text, False
    merged = last
    if new_kommuner:
        old = mentioned_kommuner(last)
        merged = swap_kommuner(last, old, new_kommuner) if old else f"{last.rstrip('?. ')} i {_join(new_kommuner)}?"
    if new_year:
        old_year = _YEAR.search(merged)
        merged = (merged[:old_year.start()] + new_year.group(1) + merged[old_year.end():] if old_year
                  else f"{merged.rstrip('?. ')} {new_year.group(1)}?")
    if not new_kommuner and not new_year:
        rest = re.sub(r"^(och|men|samt|än|så|hur är det med|hur blir det (med|för)|samma (för|i)|gäller det)\s*",
                      "", text.strip(), flags=re.IGNORECASE).rstrip("?. ")
        if len(_content_words(rest)) >= 2:  # "Och hur många deltagare hade kockutbildningen?": a new question
            place = mentioned_kommuner(last)   # that keeps the place the conversation is about
            return (f"{rest[:1].upper()}{rest[1:]}" + (f" i {_join(place)}" if place else "") + "?"), True
        merged = f"{last.rstrip('?. ')}, {rest}?" if rest else last
    return merged, True


def _content_words(text: str) -> list[str]:
    """Words of a follow-up that say what it is about (not how it asks)."""
    return [w for w in fold(text).split() if w not in _ELLIPSIS_WORDS and len(w) > 3
            and w not in ("hade", "hadde", "finns", "fanns", "blev", "blir", "gjorde", "har", "ska", "var")]


def swap_kommuner(question: str, old: Sequence[str], new: Sequence[str]) -> str:
    """`question` with its enumeration of the `old` kommuner ("Dorotea och Skellefteå") replaced by `new`.

    >>> swap_kommuner("Jämför andelen i Dorotea och Skellefteå.", ("Dorotea", "Skellefteå"), ("Skellefteå",))
    'Jämför andelen i Skellefteå.'
    """
    names = "|".join(re.escape(n) for n in sorted(old, key=len, reverse=True))
    enumeration = re.compile(rf"\b(?:{names})(s?)\b(?:\s*(?:,|och|samt|respektive|eller)\s*(?:{names})s?\b)*",
                             re.IGNORECASE)
    if not set(new) & set(old):  # a follow-up names other kommuner: they take the old ones' place
        return enumeration.sub(lambda m: _join(new) + m.group(1), question, count=1)
    out = question
    connector = r"(?:,|och|samt|respektive|eller|jämfört med|jämförd med|än|mot)"
    for name in (n for n in old if n not in new):  # one kommun of a comparison: the others are dropped
        name_re = rf"\b{re.escape(name)}s?\b"
        before = re.sub(rf"{name_re}\s*{connector}\s+(?:i\s+)?", "", out, count=1, flags=re.IGNORECASE)
        out = before if before != out else re.sub(rf"\s*{connector}?\s*(?:i\s+)?{name_re}", "", out, count=1,
                                                  flags=re.IGNORECASE)
    return " ".join(out.split()).replace(" ?", "?").replace(" .", ".")


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " och " + names[-1]


_ENGLISH = frozenset(
    "the a an what which who whom how why when where is are was were does do did of in for to and or "
    "with about from by on at this that these there their they have has had be been will would can could "
    "should much many besides after before during into than also only take part".split()
)


def is_english(question: str) -> bool:
    """True when the question reads as English (a share of English function words)."""
    found = re.findall(r"[a-zåäö]+", question.lower())
    return bool(found) and sum(w in _ENGLISH for w in found) / len(found) >= 0.2
