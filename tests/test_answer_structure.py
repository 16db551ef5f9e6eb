"""The answer stage reads a document's structure: headings, paragraphs, tables and the kommun asked for.

Passages are written by hand (no index). Each test shows one thing a user would notice: the vision
answered from under the heading "Vision", the goals listed from their headings, a list that says
whose it is, a sentence read with the one before it, the asked kommun's own row before pooled text.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.answer.compose import compose
from assistant.answer.question import analyze_question, head_noun, split_parts
from assistant.answer.score import Scorer
from assistant.answer.units import SENTENCE, units_of
from assistant.cite.assemble import assemble
from assistant.records import Passage
from assistant.text.analyzer import held_terms
from assistant.text.sentences import pieces, split_sentences

RUS = (
    "Regional utvecklingsstrategi för\nVästerbottens län 2020–2030\n"
    "Utdrag: vision, hållbarhetsmål, inriktningar och prioriteringar\n"
    "Antagen av regionfullmäktige i juni 2020.\n"
    "Visionen beskriver det Västerbotten vi vill se och strategin ska leda dit.\n"
    "Vision\nVästerbotten – en attraktiv region där olikheter skapar utvecklingskraft.\n"
    "Visionen utgår från att länets olikheter är en tillgång.\n"
    "Hållbarhetsmål 1:\nEn levande plats\nDet första målet är att länet ska vara en levande plats.\n"
    "Hållbarhetsmål 2:\nEn cirkulär plats\nDet andra målet är att länet ska vara en cirkulär plats.\n"
    "Inriktning:\nFöregångare i omställning\nVästerbotten ska bli en föregångare i omställningen till ett "
    "cirkulärt samhälle.\n"
)


def passage(text: str, n: int, *, kommun: str | None = None, path: str | None = None, rows: bool = False,
            section: str | None = None, title: str = "RUS Västerbotten (utdrag)", type_: str = "strategi") -> Passage:
    return Passage(source_id=f"doc{n}:x:{n:04d}", doc_id=f"doc{n}", title=title, path=path or f"corpus/doc{n}.pdf",
                   text=text, scope="publik", score=1.0 / n, type=type_, kommun=kommun, section=section,
                   rows=(2, 3) if rows else None)


def answer_of(question: str, passages: list[Passage]) -> str:
    comp = compose(analyze_question(question), passages)
    text, citations = assemble(comp.lines, passages)
    for c in citations:  # every quote stands verbatim in its passage
        assert any(c.quote in " ".join(p.text.split()) or c.quote in p.text for p in passages)
    return text


def test_units_know_the_heading_they_stand_under() -> None:
    units = [u for u in units_of([passage(RUS, 1)]) if u.kind == SENTENCE and not u.noise]
    vision = next(u for u in units if u.text.startswith("Västerbotten – en attraktiv"))
    assert (vision.heading, vision.first_under_heading) == ("Vision", True)
    goal = next(u for u in units if u.text.startswith("Det andra målet"))
    assert goal.heading == "Hållbarhetsmål 2: En cirkulär plats"  # a heading on two lines is one heading
    assert all(not u.text.startswith(("Utdrag:", "Vision\n")) for u in units)  # subtitle and heading are no answers


def test_a_heading_that_names_what_is_asked_opens_the_answer_and_is_quoted() -> None:
    text = answer_of("Vad är visionen i den regionala utvecklingsstrategin?", [passage(RUS, 1)])
    assert text.startswith("**Vision:** Västerbotten – en attraktiv region där olikheter skapar utvecklingskraft [1].")
    text = answer_of("Vilken inriktning handlar om omställningen till ett cirkulärt samhälle?", [passage(RUS, 1)])
    assert text.startswith("**Inriktning: Föregångare i omställning:** Västerbotten ska bli en föregångare")


def test_headings_that_name_the_listed_noun_answer_a_list_question() -> None:
    text = answer_of("Vilka hållbarhetsmål har strategin?", [passage(RUS, 1)])
    assert text.splitlines()[:3] == ["Hållbarhetsmål i ”RUS Västerbotten (utdrag)”:", "- Hållbarhetsmål 1: En levande plats [1]",
                                     "- Hållbarhetsmål 2: En cirkulär plats [1]"]


def test_a_short_lead_in_keeps_the_sentence_that_says_whose_list_it_is() -> None:
    lardom = ("Skellefteå kommun bildade en omställningsgrupp med vuxenutbildningen och Arbetsförmedlingen. Gruppen har:\n\n"
              "- kartlagt kompetensen hos personer som har förlorat sitt arbete;\n"
              "- startat korta yrkesvuxspår mot elektriker;\n- erbjudit ett välfärdsspår med lön.")
    ps = [passage(lardom, 1, title="Lärdom 5: Omställning", type_="lardom", path="corpus/l5.md", section="Vad vi gjorde")]
    text = answer_of("Vad gjorde Skellefteå för dem som förlorade jobbet, enligt lärdomen om omställning?", ps)
    assert text.startswith("Skellefteå kommun bildade en omställningsgrupp")
    assert "- startat korta yrkesvuxspår mot elektriker" in text and "- erbjudit ett välfärdsspår med lön" in text


def test_a_sentence_is_read_with_the_one_before_it_in_its_paragraph() -> None:
    protocol = ("Yrkesförarutbildningen C/CE har beviljats och startar i januari med 12 platser. "
                "Sju sökande kommer från Vilhelmina, tre från Åsele och två från Dorotea.\n\n"
                "Dorotea planerar också en vikariepool.")
    ps = [passage(protocol, 1, title="Protokoll 2025-11-19", type_="protokoll", path="corpus/p.md")]
    units = units_of(ps)
    assert units[1].before.startswith("Yrkesförarutbildningen C/CE har beviljats") and units[2].before == ""
    scorer = Scorer(analyze_question("Hur många sökande från Dorotea kom till yrkesförarutbildningen?"), ps, None)
    alone = scorer.score(replace(units[1], before=""))
    assert scorer.score(units[1]).share > alone.share  # the neighbour says which training the count is about
    text = answer_of("Hur många sökande från Dorotea kom till yrkesförarutbildningen?", ps)
    assert "två från Dorotea" in text and "vikariepool" not in text


def test_the_asked_kommuns_own_row_beats_pooled_text() -> None:
    summary = ("69 procent av arbetsgivarna har svårt att rekrytera. I inlandskommunerna är andelen 82 procent, "
               "i Umeå och Skellefteå 62 procent.")
    table = ("Kommun: Umeå | Antal svar: 112 | Andel svårt att rekrytera: 63 %\n"
             "Kommun: Skellefteå | Antal svar: 96 | Andel svårt att rekrytera: 60 %")
    ps = [passage(summary, 1, title="Enkät – sammanställning", type_="enkat"),
          passage(table, 2, rows=True, title="Enkät – sammanställning", type_="enkat", section="3 Svarande")]
    text = answer_of("Hur stor andel av arbetsgivarna i Skellefteå upplever att det är svårt att rekrytera?", ps)
    assert text.startswith("Kommun: Skellefteå") and "60 %" in text.split("\n")[0]


def test_word_paragraphs_are_never_joined_but_wrapped_pdf_lines_are() -> None:
    docx = "Lokal handlingsplan inom projektet Kompetensmäklare i Västerbotten\nFastställd av kommunstyrelsen 2025-06-17."
    assert [p.body for p in pieces(docx, hard_lines=True)] == docx.split("\n")
    assert split_sentences("Det första målet är att länet\nska vara en levande plats.") == [
        "Det första målet är att länet\nska vara en levande plats."]


def test_question_analysis_of_heads_parts_and_inflections() -> None:
    assert head_noun("Vad är visionen i RUS?") == "visionen"
    assert head_noun("Vilka två övergripande hållbarhetsmål har RUS?") == "hållbarhetsmål"
    assert split_parts("Hur många svarade, och till hur många skickades den?") == (
        "Hur många svarade?", "till hur många skickades den?")
    assert split_parts("Hur stort är behovet, och när redovisas resultatet?")[1] == "när redovisas resultatet?"
    assert held_terms({"svår"}, {"svårt"}) == {"svår"}  # 'svårare' is held where 'svårt' stands


def test_a_question_about_one_kommun_reads_that_kommuns_own_plan(tmp_path, monkeypatch) -> None:
    """Regional texts that share the question's words outrank the plan; its sentence still answers."""
    from assistant.service import Service
    from tests.conftest import make_settings, write

    monkeypatch.chdir(tmp_path)
    for n in range(12):
        write(tmp_path / "pub" / f"lardom-{n:02d}.md",
              f"# Lärdom {n}: enkäten\n\nArbetsgivarna svarade på enkäten i alla fem kommuner, och svarsfrekvensen "
              f"var god. Enkät nummer {n} besvarades av många arbetsgivare.\n")
    write(tmp_path / "pub" / "handlingsplan-dorotea-2025.md",
          "# Handlingsplan 2025 – Dorotea kommun\n\n## 2 Nuläge\n\nDorotea har 2 500 invånare.\n\n"
          "## 3 Resultat\n\nEnkäten besvarades av 27 av 52 arbetsgivare i Dorotea (52 procent).\n")
    service = Service(make_settings(tmp_path / "data", answer={"dense_strong": 2.0, "dense_min": 0.0,
                                                                "coverage_min": 0.5}))
    service.ingest([tmp_path / "pub"], scope="publik")
    result = service.ask("Hur många arbetsgivare i Dorotea svarade på enkäten?", ["publik"])
    assert not result.refused and "27 av 52" in result.answer
    assert any(c.path.endswith("handlingsplan-dorotea-2025.md") for c in result.citations)


def test_labelled_lines_of_the_named_meeting_answer_a_list_question() -> None:
    november = ("§ 4 Matchningsdagen\n\nBeslut: en ny matchningsdag planeras till våren 2026.\n\n"
                "§ 6 Enkäten\n\nBeslut: enkäten genomförs enligt förslaget.")
    may = "§ 3 Resultat\n\nBeslut: en publik sammanställning publiceras den 28 maj 2025."
    ps = [passage(may, 1, title="Protokoll 2025-05-14", type_="protokoll", path="corpus/2025-05-14-ag.md"),
          passage(november, 2, title="Protokoll 2025-11-19", type_="protokoll", path="corpus/2025-11-19-ag.md")]
    text = answer_of("Vilka beslut fattades på mötet i november?", ps)
    assert text.splitlines() == ["Beslut i ”Protokoll 2025-11-19”:",
                                 "- en ny matchningsdag planeras till våren 2026 [1].",
                                 "- enkäten genomförs enligt förslaget [1]."]


def test_contact_lines_answer_only_who_to_contact() -> None:
    text = "Regional samordnare för Kompetensmäklare i Västerbotten, Region Västerbotten."
    ps = [passage("Kompetensmäklaren rör sig mellan arbetsgivare och utbildningsanordnare i kommunen.", 1,
                  type_="lardom", path="corpus/l6.md", section="Bakgrund", title="Lärdom 6: Kompetensmäklarens roll"),
          passage(text, 2, type_="lardom", path="corpus/l6.md", section="Kontakt", title="Lärdom 6: Kompetensmäklarens roll")]
    assert "Regional samordnare" not in answer_of("Vad gör en kompetensmäklare i Västerbotten?", ps)
    assert "Regional samordnare" in answer_of("Vem kontaktar jag om kompetensmäklarens roll?", ps)


def test_placeholder_cells_say_nothing_of_their_row() -> None:
    per_yrke = ("Yrke (SSYK 2012): Socialsekreterare (2661) | Umeå: för få svar | Skellefteå: för få svar | Totalt: 78\n"
                "Yrke (SSYK 2012): Personliga assistenter (5343) | Umeå: för få svar | Skellefteå: – | Totalt: 46")
    per_kommun = ("Kommun: Umeå | Utskick: 232 | Antal svar: 112\n"
                  "Kommun: Totalt | Utskick: 598 | Antal svar: 305")
    ps = [passage(per_yrke, 1, rows=True, title="Enkät – sammanställning", type_="enkat", section="4 Behov per yrke"),
          passage(per_kommun, 2, rows=True, title="Enkät – sammanställning", type_="enkat", section="3 Svarande")]
    text = answer_of("Hur många arbetsgivare svarade totalt på enkäten?", ps)
    assert text.startswith("Kommun: Totalt – Utskick: 598; Antal svar: 305")
