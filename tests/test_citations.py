"""Citation post-processing: Swedish sentences, support checks, renumbering and verbatim quotes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.cite import SUPPORT_MIN_TERM_SHARE, CitationReport, best_quote, is_supported, numbers_in
from assistant.cite.process import process
from assistant.records import Passage
from assistant.text.sentences import split_sentences


def passage(n: int, text: str, **fields: object) -> Passage:
    values: dict[str, object] = {
        "source_id": f"doc{n}:000{n}", "doc_id": f"doc{n}", "title": f"Dokument {n}", "path": f"mapp/doc{n}.pdf",
        "text": text, "scope": "publik", "score": 0.5, "page": 3,
    }
    values.update(fields)
    return Passage(**values)  # type: ignore[arg-type]


ASELE = passage(1, "Arbetsgivarna i Åsele rapporterar brist på undersköterskor och lärare. "
                   "Kommunen behöver rekrytera 3 200 personer till vård och omsorg fram till 2030.",
                section="Kompetensbehov", kommun="Åsele", title="Handlingsplan Åsele")
DOROTEA = passage(2, "I Dorotea uppger 12,5 % av arbetsgivarna att de saknar ingenjörer. "
                     "Enkäten besvarades den 2025-03-01 av 40 företag.", scope="kommun:dorotea", page=None)
TABLE = passage(3, "Yrke: Undersköterska | SSYK: 5321 | Antal: 12\nYrke: Lärare | SSYK: 2341 | Antal: 4\n"
                   "Yrke: Buss- och spårvagnsförare | SSYK: 8331 | Antal: 7", rows=(2, 4), sheet="Brist")
PASSAGES = [ASELE, DOROTEA, TABLE]


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def assert_invariants(report: CitationReport, passages: list[Passage]) -> None:
    """The Answer contract: markers and citations match one to one, quotes stand in their source."""
    ns = [c.n for c in report.citations]
    assert ns == list(range(1, len(ns) + 1))
    assert set(markers(report.text)) == set(ns)
    texts = {p.source_id: p.text for p in passages}
    assert len({c.source_id for c in report.citations}) == len(ns)
    for c in report.citations:
        assert c.quote in texts[c.source_id]
        assert c.quote or not texts[c.source_id]


# ----------------------------------------------------------------------------- sentences


@pytest.mark.parametrize("text, expected", [
    ("Bl.a. Umeå m.fl. kommuner deltar. Se s. 3 i planen.", ["Bl.a. Umeå m.fl. kommuner deltar.", "Se s. 3 i planen."]),
    ("Yrken t.ex. Undersköterska saknas. Nr. 4 gäller. Så är det.", ["Yrken t.ex. Undersköterska saknas.", "Nr. 4 gäller.", "Så är det."]),
    ("Andelen var 3,5 procent. Räntan var 3.5 procent.", ["Andelen var 3,5 procent.", "Räntan var 3.5 procent."]),
    ("Beslutet togs 2025-03-01. Det gäller SSYK 5321 och SSYK 2012. Klart.",
     ["Beslutet togs 2025-03-01.", "Det gäller SSYK 5321 och SSYK 2012.", "Klart."]),
    ("Umeå, Skellefteå m.fl. Sedan kom fler.", ["Umeå, Skellefteå m.fl.", "Sedan kom fler."]),
    ("Enligt J. Lundström gäller det. Ja!", ["Enligt J. Lundström gäller det.", "Ja!"]),
    ("Vad gäller? Det här.", ["Vad gäller?", "Det här."]),
])
def test_split_sentences_knows_swedish_abbreviations_and_numbers(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_handles_bullets_headings_and_rows() -> None:
    text = ("## Bristyrken\nFöljande yrken saknas:\n- Undersköterska [1]\n• Lärare [2]\n\n"
            "1. Första steget. Andra meningen.\n2) Sista steget\nYrke: Kock | Antal: 2\nYrke: Lärare | Antal: 3")
    assert split_sentences(text) == [
        "Bristyrken", "Följande yrken saknas:", "Undersköterska [1]", "Lärare [2]", "Första steget.",
        "Andra meningen.", "Sista steget", "Yrke: Kock | Antal: 2", "Yrke: Lärare | Antal: 3",
    ]


def test_split_sentences_keeps_markers_with_the_sentence_they_follow() -> None:
    assert split_sentences("Åsele saknar lärare. [1] Dorotea saknar ingenjörer [2]. Slut.\n[3]") == [
        "Åsele saknar lärare. [1]", "Dorotea saknar ingenjörer [2].", "Slut.\n[3]",
    ]


def test_split_sentences_joins_hard_wrapped_lines() -> None:
    text = "Region Västerbotten har under 2024 arbetat med att ta fram en\nregional kompetensplattform för länet."
    assert split_sentences(text) == [text]
    assert split_sentences("") == [] and split_sentences("  \n ") == []


# ----------------------------------------------------------------------------- support


def test_numbers_are_normalised() -> None:
    assert numbers_in("3 200 och 3200, 12,5 % och 12.50 procent, 2025-03-01, 1\u00a0200") == [
        "3200", "3200", "12.5", "12.5", "2025-03-01", "1200",
    ]


@pytest.mark.parametrize("sentence, supported", [
    ("Åsele behöver rekrytera 3200 personer till vård och omsorg [1].", True),
    ("Åsele behöver rekrytera 3 200 personer till vård och omsorg [1].", True),
    ("Åsele behöver rekrytera 3 300 personer till vård och omsorg [1].", False),
    ("Åsele behöver rekrytera 3 200 personer till vård och omsorg till 2035 [1].", False),
    ("Arbetsgivarna i Åsele saknar undersköterskor [1].", True),
    ("Arbetsgivarna i Åsele saknar piloter, astronauter, dykare och jonglörer [1].", False),
])
def test_is_supported_checks_numbers_and_words(sentence: str, supported: bool) -> None:
    assert is_supported(sentence, [ASELE]) is supported


def test_percentages_and_dates_must_match_the_source() -> None:
    assert is_supported("I Dorotea saknar 12,5 procent av arbetsgivarna ingenjörer [2].", [DOROTEA])
    assert is_supported("I Dorotea saknar 12.5 % av arbetsgivarna ingenjörer.", [DOROTEA])
    assert not is_supported("I Dorotea saknar 12 % av arbetsgivarna ingenjörer.", [DOROTEA])
    assert is_supported("Enkäten besvarades 2025-03-01 av 40 företag.", [DOROTEA])
    assert not is_supported("Enkäten besvarades 2025-04-01 av 40 företag.", [DOROTEA])


def test_markers_do_not_count_as_numbers_and_no_passage_is_no_support() -> None:
    assert is_supported("Arbetsgivarna i Åsele saknar lärare [17].", [ASELE])
    assert not is_supported("Arbetsgivarna i Åsele saknar lärare.", [])


def test_support_threshold_is_about_half_of_the_content_words() -> None:
    assert SUPPORT_MIN_TERM_SHARE == 0.5
    # content words: åsele, saknar, lärare, kockar → 2 of 4 found ("saknar" is not in the source)
    assert is_supported("Åsele saknar lärare och kockar.", [ASELE])
    assert not is_supported("Åsele saknar kockar, bagare och piloter.", [ASELE])


def test_compounds_and_inflections_count_as_support() -> None:
    source = passage(9, "Enkät till arbetsgivare om kompetensförsörjning i Vilhelmina.")
    assert is_supported("Arbetsgivarenkäten i Vilhelmina gäller kompetensförsörjningen.", [source])


def test_title_and_section_count_as_support() -> None:
    assert is_supported("Handlingsplan Åsele beskriver kompetensbehov [1].", [ASELE])


# ----------------------------------------------------------------------------- quotes


def test_best_quote_is_the_verbatim_sentence_that_supports_the_claim() -> None:
    assert best_quote("Åsele behöver 3200 personer [1].", ASELE) == (
        "Kommunen behöver rekrytera 3 200 personer till vård och omsorg fram till 2030.")
    assert best_quote("Det saknas lärare.", ASELE) == (
        "Arbetsgivarna i Åsele rapporterar brist på undersköterskor och lärare.")


def test_best_quote_picks_the_table_row() -> None:
    assert best_quote("Det saknas 4 lärare (SSYK 2341).", TABLE) == "Yrke: Lärare | SSYK: 2341 | Antal: 4"


def test_best_quote_never_empty_and_bounded() -> None:
    assert best_quote("Något helt annat.", ASELE) != ""
    long_text = " ".join(["Inledande ord om ingenting särskilt"] * 30 + ["där busschaufförer saknas i Åsele"] +
                         ["och fler ord utan betydelse"] * 30) + "."
    long = passage(5, long_text)
    quote = best_quote("Busschaufförer saknas i Åsele.", long, max_chars=120)
    assert 0 < len(quote) <= 120 and quote in long_text and "busschaufförer saknas" in quote
    assert best_quote("x", passage(6, "")) == ""


# ----------------------------------------------------------------------------- process


def test_process_renumbers_in_order_of_first_appearance() -> None:
    text = ("Det saknas 4 lärare enligt SSYK 2341 [3]. Arbetsgivarna i Åsele saknar lärare [1]. "
            "Antal undersköterskor är 12 [3].")
    report = process(text, PASSAGES)
    assert report.text == ("Det saknas 4 lärare enligt SSYK 2341 [1]. Arbetsgivarna i Åsele saknar lärare [2]. "
                           "Antal undersköterskor är 12 [1].")
    assert [(c.n, c.source_id) for c in report.citations] == [(1, TABLE.source_id), (2, ASELE.source_id)]
    first = report.citations[0]
    assert first.quote == "Yrke: Lärare | SSYK: 2341 | Antal: 4"  # from the first sentence citing it
    assert (first.title, first.path, first.scope, first.page) == (TABLE.title, TABLE.path, "publik", 3)
    assert (report.citations[1].section, report.citations[1].kommun) == ("Kompetensbehov", "Åsele")
    assert_invariants(report, PASSAGES)


@pytest.mark.parametrize("marker", ["[1, 2]", "[1,2]", "[1][2]", "[1; 2]", "[1–2]", "[2, 1]", "[1, 2, 2]"])
def test_process_accepts_grouped_markers(marker: str) -> None:
    text = f"Arbetsgivarna i Åsele och Dorotea saknar undersköterskor och ingenjörer {marker}."
    report = process(text, PASSAGES)
    assert report.text == "Arbetsgivarna i Åsele och Dorotea saknar undersköterskor och ingenjörer [1][2]."
    assert {c.source_id for c in report.citations} == {ASELE.source_id, DOROTEA.source_id}
    assert report.invented == 0


@pytest.mark.parametrize("marker, invented", [("[0]", 1), ("[4]", 1), ("[1, 9]", 1), ("[x]", 1), ("[7][8]", 2)])
def test_invented_markers_are_stripped_and_counted(marker: str, invented: int) -> None:
    report = process(f"Arbetsgivarna i Åsele saknar lärare {marker}. Slut.", PASSAGES)
    assert report.invented == invented
    assert "[0]" not in report.text and "[4]" not in report.text and "[x]" not in report.text
    expected_cites = [1] if "1" in marker else []
    assert markers(report.text) == expected_cites
    assert report.text.startswith("Arbetsgivarna i Åsele saknar lärare") and "  " not in report.text
    assert_invariants(report, PASSAGES)


def test_unsupported_sentence_loses_its_markers() -> None:
    text = "Åsele behöver 900 piloter [1]. Arbetsgivarna i Åsele saknar lärare [1]. Inget citat här."
    report = process(text, PASSAGES)
    assert report.text == "Åsele behöver 900 piloter. Arbetsgivarna i Åsele saknar lärare [1]. Inget citat här."
    assert (report.unsupported, report.uncited_sentences, report.invented) == (1, 1, 0)
    assert [(s.text, s.sources, s.cited, s.supported) for s in report.sentences] == [
        ("Åsele behöver 900 piloter.", (1,), (), False),
        ("Arbetsgivarna i Åsele saknar lärare.", (1,), (1,), True),
        ("Inget citat här.", (), (), False),
    ]
    assert report.citations[0].quote == "Arbetsgivarna i Åsele rapporterar brist på undersköterskor och lärare."


def test_unsupported_citation_of_one_passage_does_not_number_it() -> None:
    report = process("Dorotea har 900 piloter [2]. Arbetsgivarna i Åsele saknar lärare [1].", PASSAGES)
    assert report.text == "Dorotea har 900 piloter. Arbetsgivarna i Åsele saknar lärare [1]."
    assert [c.source_id for c in report.citations] == [ASELE.source_id]


def test_dropping_keeps_paragraphs_and_bullets_intact() -> None:
    text = ("Månen är av ost [1]. Arbetsgivarna i Åsele saknar lärare [1].\n"
            "- Dorotea saknar ingenjörer [2]\n- Ost och piloter [2]\n\nOkänd mening. Det gäller 40 företag [2].")
    report = process(text, PASSAGES, drop_unsupported=True, drop_uncited=True)
    assert report.text == ("Arbetsgivarna i Åsele saknar lärare [1].\n- Dorotea saknar ingenjörer [2]\n\n"
                           "Det gäller 40 företag [2].")
    assert_invariants(report, PASSAGES)


def test_marker_after_the_period_and_markdown_links() -> None:
    report = process("Arbetsgivarna i Åsele saknar lärare. [1] Läs [planen](https://example.se) här.", PASSAGES)
    assert report.text == "Arbetsgivarna i Åsele saknar lärare. [1] Läs [planen](https://example.se) här."
    assert report.invented == 0 and report.uncited_sentences == 1


def test_no_citations_gives_an_empty_report() -> None:
    report = process("Det finns inget i underlaget.", PASSAGES)
    assert report.citations == () and report.text == "Det finns inget i underlaget."
    assert (report.invented, report.unsupported, report.uncited_sentences) == (0, 0, 1)
    assert process("", PASSAGES).text == ""


def test_process_is_deterministic() -> None:
    text = "Det saknas 4 lärare enligt SSYK 2341 [3]. Arbetsgivarna i Åsele saknar lärare [1, 3]."
    assert process(text, PASSAGES) == process(text, PASSAGES)


# ----------------------------------------------------------------------------- properties

SOURCE_SENTENCES = [s for p in PASSAGES for s in split_sentences(p.text)]
JUNK = ["Månen är gjord av grönmögelost.", "Det finns 999 astronauter i Åsele.", "Hej på dig", ""]


@st.composite
def cited_text(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        sentence = draw(st.sampled_from(SOURCE_SENTENCES + JUNK))
        refs = draw(st.lists(st.one_of(st.integers(-1, 6), st.sampled_from(["x", "n", "1-2", "2–3"])),
                             max_size=3))
        form = draw(st.sampled_from(["[{}]", "sep"]))
        marker = ("[" + ", ".join(map(str, refs)) + "]") if form == "[{}]" else "".join(f"[{r}]" for r in refs)
        where = draw(st.sampled_from(["före", "efter"]))
        body = sentence.rstrip(".")
        parts.append(f"{body} {marker}." if where == "före" else f"{body}. {marker}")
        parts.append(draw(st.sampled_from([" ", "\n", "\n\n", "\n- "])))
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(cited_text(), st.booleans(), st.booleans())
def test_property_markers_and_citations_always_match(text: str, drop_unsupported: bool, drop_uncited: bool) -> None:
    report = process(text, PASSAGES, drop_unsupported=drop_unsupported, drop_uncited=drop_uncited)
    assert_invariants(report, PASSAGES)
    assert report.unsupported == sum(1 for s in report.sentences if s.sources and not s.supported)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("ab Å.,[]1239\n-(") + ["t.ex.", "[1]", "[2, 3]", "[0]", "Åsele", "lärare"]),
                max_size=40).map("".join))
def test_property_arbitrary_text_never_breaks_the_contract(text: str) -> None:
    assert_invariants(process(text, PASSAGES), PASSAGES)
    for sentence in split_sentences(text):
        assert sentence and sentence == sentence.strip() and sentence in text
