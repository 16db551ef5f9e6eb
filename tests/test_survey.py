"""Survey figures: column matching, question parsing, pandas figures, small-group suppression, citations.

Expected figures are computed here with pandas on the raw table, independently of the module.
Row passages are rendered by the ingest loader's own grid code, so quotes are checked against
text exactly as it is indexed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from assistant import survey
from assistant.records import DocumentInfo, Passage, Table
from assistant.survey import SurveyQuery, match_columns, parse_question
from ingest.loaders.tables import build_grid, row_segments

REPO = Path(__file__).resolve().parents[1]
SAMPLE_XLSX = REPO / "corpus" / "enkat" / "arbetsgivarenkat-2025.xlsx"

COLUMNS = (
    "Svars-ID", "Kommun", "Arbetsgivare", "Sektor", "SNI-kod", "Bransch", "Antal anställda", "SSYK-kod", "Yrke",
    "Rekryteringsbehov 12 mån", "Rekryteringsbehov 3 år", "Tillgång på sökande", "Svårighet att rekrytera (1–5)",
    "Främsta orsak", "Planerad åtgärd", "Intresse validering (Ja/Nej)", "Intresse yrkesvux", "Intresse YH",
    "Svarsdatum",
)
B12, B3, SVAR, VALID = "Rekryteringsbehov 12 mån", "Rekryteringsbehov 3 år", "Svårighet att rekrytera (1–5)", \
    "Intresse validering (Ja/Nej)"
YRKEN = {
    "5321": "Undersköterskor, hemtjänst, hemsjukvård, äldreboende och habilitering",
    "2221": "Grundutbildade sjuksköterskor",
    "2341": "Grundskollärare",
    "8332": "Lastbilsförare m.fl.",
    "5120": "Kockar och kallskänkor",
}
# responses per kommun and SSYK; Åsele (3 rows, written out below) is the small kommun
QUOTAS = {
    "Umeå": {"5321": 7, "2221": 6, "2341": 5, "8332": 4, "5120": 2},
    "Skellefteå": {"5321": 6, "2221": 5, "2341": 3, "8332": 2, "5120": 2},
    "Vilhelmina": {"5321": 6, "2221": 5, "2341": 2, "8332": 2},
}
ASELE_ROWS = (
    # employer, ssyk, behov 12, behov 3, svårighet, validering
    ("Åsele kommun, hemtjänsten", "5321", 4, 8, 2, "Ja"),
    ("Fredrika Åkeri AB", "8332", 6, 11, 4, "Ja"),
    ("Lomsjö Bygg och Kök AB", "5120", 9, 17, 5, "Nej"),
)
# every figure of Åsele alone: none may show to a caller without kommun:asele
ASELE_SECRETS = {3, 19, 36, 2, 67, 3.7}

DOC = DocumentInfo(doc_id="enkat25", title="Arbetsgivarenkät 2025", path="corpus/enkat/arbetsgivarenkat-2025.xlsx",
                   type="enkat", scope="projekt", chunks=0, content_hash="h")
ALL_SCOPES = ("projekt", "kommun:umea", "kommun:skelleftea", "kommun:vilhelmina", "kommun:asele", "kommun:dorotea")


def synthetic_table(seed: int = 2025) -> Table:
    """~60 responses with a fixed seed, rows shuffled so kommuner interleave like a real export."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for kommun, quotas in QUOTAS.items():
        for ssyk, count in quotas.items():
            for i in range(count):
                b12 = rng.randint(0, 8)
                rows.append({"Kommun": kommun, "Arbetsgivare": f"{kommun} arbetsgivare {ssyk}-{i}", "SSYK-kod": ssyk,
                             B12: b12, B3: b12 + rng.randint(0, 6), SVAR: rng.randint(1, 5),
                             VALID: rng.choice(["Ja", "Nej", "Ja", ""]), "Intresse yrkesvux": rng.choice(["Ja", "Nej"])})
    rows[1]["Arbetsgivare"] = rows[0]["Arbetsgivare"]  # one Umeå employer answers for two yrken
    for employer, ssyk, b12, b3, svar, valid in ASELE_ROWS:
        rows.append({"Kommun": "Åsele", "Arbetsgivare": employer, "SSYK-kod": ssyk, B12: b12, B3: b3, SVAR: svar,
                     VALID: valid, "Intresse yrkesvux": "Nej"})
    rng.shuffle(rows)
    return Table("Svar", COLUMNS, tuple(_full_row(i, r) for i, r in enumerate(rows, 1)), header_row=1)


def _full_row(number: int, values: dict[str, Any]) -> tuple[Any, ...]:
    filled = {"Svars-ID": f"AG25-{number:04d}", "Sektor": "Privat", "SNI-kod": "88", "Bransch": "Vård",
              "Antal anställda": "10–49", "Yrke": YRKEN[values["SSYK-kod"]], "Tillgång på sökande": "Liten",
              "Främsta orsak": "Lönenivå", "Planerad åtgärd": "Rekrytera externt", "Intresse YH": "Nej",
              "Svarsdatum": "2025-03-10", **values}
    return tuple(filled[c] for c in COLUMNS)


def passages_of(doc: DocumentInfo, table: Table) -> list[Passage]:
    """Row passages as the ingest pipeline makes them: the loader's grid rendering, 10 rows each."""
    numbered = [(table.header_row, table.columns)] + [(table.header_row + 1 + i, row)
                                                      for i, row in enumerate(table.rows)]
    segments = row_segments(build_grid(numbered), 10, section=table.name, sheet=table.name)
    return [Passage(f"{doc.doc_id}:fp:{i:04d}", doc.doc_id, doc.title, doc.path, s.text, doc.scope, 0.0,
                    rows=s.rows, sheet=s.sheet) for i, s in enumerate(segments)]


def frame_of(table: Table) -> pd.DataFrame:
    return pd.DataFrame(list(table.rows), columns=list(table.columns))


TABLE = synthetic_table()
PASSAGES = passages_of(DOC, TABLE)


def ask(question: str, scopes: Sequence[str] = ALL_SCOPES, tables: Sequence[tuple[DocumentInfo, Table]] = ((DOC, TABLE),),
        passages: Sequence[Passage] = PASSAGES) -> survey.SurveyResult | None:
    return survey.answer(question, list(tables), list(scopes),
                         lambda doc_id, sheet: [p for p in passages if p.doc_id == doc_id and p.sheet == sheet])


def numbers_in(value: Any) -> set[float]:
    """Every number shown in text (Swedish format) or held in a nested structure."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        return {float(value)}
    if isinstance(value, str):
        found = re.findall(r"(?<![\d,])\d[\d ]*(?:,\d+)?(?![\d,])", value)
        return {float(n.replace(" ", "").replace(",", ".")) for n in found}
    if isinstance(value, dict):
        return set().union(*(numbers_in(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(numbers_in(v) for v in value)) if value else set()
    return set()


# ---------------------------------------------------------------------------------------------
# Column matching
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "expected"), [
    (COLUMNS, {"kommun": "Kommun", "yrke": "Yrke", "ssyk": "SSYK-kod", "behov_12": B12, "behov_3": B3,
               "employer": "Arbetsgivare", "respondent": "Svars-ID", "svarighet": SVAR,
               "intresse_validering": VALID, "intresse_yh": "Intresse YH"}),
    (("ID", "Municipality", "Employer", "Occupation", "SSYK code", "Recruitment need 12 months",
      "Recruitment need 3 years", "Difficulty (1-5)"),
     {"kommun": "Municipality", "yrke": "Occupation", "ssyk": "SSYK code", "behov_12": "Recruitment need 12 months",
      "behov_3": "Recruitment need 3 years", "employer": "Employer", "respondent": "ID",
      "svarighet": "Difficulty (1-5)"}),
    (("Löpnr", "Kommunkod", "Kommunnamn", "Företag", "Befattning", "Behov 1 år", "Behov 3 år"),
     {"kommun": "Kommunnamn", "yrke": "Befattning", "ssyk": None, "behov_12": "Behov 1 år", "behov_3": "Behov 3 år",
      "employer": "Företag", "respondent": "Löpnr"}),
    (("kommun", "ssyk2012", "antal att rekrytera kort sikt", "antal att rekrytera lång sikt", "organisation"),
     {"kommun": "kommun", "yrke": None, "ssyk": "ssyk2012", "behov_12": "antal att rekrytera kort sikt",
      "behov_3": "antal att rekrytera lång sikt", "employer": "organisation"}),
])
def test_match_columns_maps_differently_named_headers(headers: tuple[str, ...], expected: dict[str, Any]) -> None:
    cols = match_columns(headers)
    assert cols is not None
    for field, header in expected.items():
        assert getattr(cols, field) == header, field


@pytest.mark.parametrize("headers", [
    ("Rubrik", "Uppgift"),
    ("ssyk", "yrkesomrade", "yrke", "ssyk_text", "jobbmojligheter", "rekryteringssituation", "prognos"),
    ("Kommun", "Yrke", "Svarsdatum"),  # no need column
    ("Yrke", "Rekryteringsbehov 12 mån"),  # no kommun column
])
def test_match_columns_rejects_tables_that_are_not_surveys(headers: tuple[str, ...]) -> None:
    assert match_columns(headers) is None


# ---------------------------------------------------------------------------------------------
# Question parsing
# ---------------------------------------------------------------------------------------------

KOMMUNER = ["Umeå", "Skellefteå", "Vilhelmina", "Åsele", "Dorotea"]
KNOWN_YRKEN = [*YRKEN.values(), "Undersköterskor, vård- och specialavdelning och mottagning",
               "Specialistsjuksköterskor", *YRKEN]


@pytest.mark.parametrize(("question", "intent", "kommun", "horizon", "yrke", "top_n"), [
    ("Hur många arbetsgivare i Åsele svarade på enkäten?", "antal_svar", "Åsele", None, None, 5),
    ("Hur många svar kom in från Skellefteå?", "antal_svar", "Skellefteå", None, None, 5),
    ("Vilka yrken har störst rekryteringsbehov inom tre år i Vilhelmina?", "topp_behov", "Vilhelmina", "3", None, 5),
    ("Vilka tre yrken behöver flest nya medarbetare i Umeå?", "topp_behov", "Umeå", None, None, 3),
    ("Topp 3 yrken efter rekryteringsbehov i Åseles enkätsvar", "topp_behov", "Åsele", None, None, 3),
    ("Vilket yrke har störst behov på kort sikt i Vilhelminas kommun?", "topp_behov", "Vilhelmina", "12", None, 5),
    ("Hur stort är behovet av undersköterskor i Umeå de närmaste 12 månaderna?", "summa_behov", "Umeå", "12",
     YRKEN["5321"], 5),
    ("Hur många sjuksköterskor behöver arbetsgivarna i Skellefteå rekrytera inom tre år?", "summa_behov",
     "Skellefteå", "3", YRKEN["2221"], 5),
    ("Hur stort är det totala rekryteringsbehovet i Dorotea?", "summa_behov", "Dorotea", None, None, 5),
    ("Vilken kommun har störst rekryteringsbehov?", "jamfor_kommuner", None, None, None, 5),
    ("I vilken kommun är behovet av kockar störst på lång sikt?", "jamfor_kommuner", None, "3", YRKEN["5120"], 5),
    ("Hur stor andel av arbetsgivarna i Dorotea är intresserade av validering?", "andel_intresse", "Dorotea", None,
     None, 5),
    ("Hur många arbetsgivare i Umea ar intresserade av yrkesvux?", "andel_intresse", "Umeå", None, None, 5),
    ("Hur svårt är det att rekrytera lastbilsförare i Vilhelmina?", "svarighet", "Vilhelmina", None,
     YRKEN["8332"], 5),
    ("How many employers in Åsele responded to the survey?", "antal_svar", "Åsele", None, None, 5),
    ("Which occupations have the largest recruitment needs within three years in Vilhelmina?", "topp_behov",
     "Vilhelmina", "3", None, 5),
])
def test_parse_question_reads_intent_and_filters(question: str, intent: str, kommun: str | None,
                                                 horizon: str | None, yrke: str | None, top_n: int) -> None:
    query = parse_question(question, KOMMUNER, KNOWN_YRKEN)
    assert query is not None
    assert (query.intent, query.kommun, query.horizon, query.yrke, query.top_n) == \
        (intent, kommun, horizon, yrke, top_n)


@pytest.mark.parametrize("question", [
    "Vad säger RUS om kompetens?",
    "Vad är en kompetensmäklare?",
    "Hur många kommuner ingår i projektet?",
    "Vilka åtgärder planeras för att möta rekryteringsbehovet i Åsele?",
    "Vilka yrken är svårast att rekrytera?",  # a difficulty ranking is not computed
    "Hur stort är behovet av astronauter i Umeå?",  # an occupation the table lacks
    "Hur många arbetsgivare i Lycksele svarade?",  # a county kommun the table lacks
    "Hur stort är rekryteringsbehovet i Åsele enligt handlingsplanen?",  # another source: retrieval
])
def test_parse_question_gives_none_for_other_questions(question: str) -> None:
    assert parse_question(question, KOMMUNER, KNOWN_YRKEN) is None


@pytest.mark.parametrize(("question", "kommun"), [
    ("Hur många svarade i Åseles kommun?", "Åsele"),
    ("Hur många svarade i Asele?", "Åsele"),
    ("Hur många arbetsgivare svarade i Umeås enkät?", "Umeå"),
    ("Hur många svarade i SKELLEFTEA?", "Skellefteå"),
])
def test_kommun_matches_without_diacritics_and_in_genitive(question: str, kommun: str) -> None:
    query = parse_question(question, KOMMUNER, KNOWN_YRKEN)
    assert query is not None and query.kommun == kommun


@pytest.mark.parametrize(("word", "yrke"), [
    ("undersköterskor", YRKEN["5321"]),  # plural, first of two equal matches in known order
    ("undersköterska", YRKEN["5321"]),  # singular
    ("sjuksköterskorna", YRKEN["2221"]),  # not the specialist compound, not "undersköterskor"
    ("kock", YRKEN["5120"]),
    ("grundskollärarna", YRKEN["2341"]),
    ("SSYK 8332", "8332"),
])
def test_yrke_matches_the_tables_own_names(word: str, yrke: str) -> None:
    assert survey.match_yrke(f"Hur stort är behovet av {word} i Umeå?", KNOWN_YRKEN, exclude=["Umeå"]) == yrke


# ---------------------------------------------------------------------------------------------
# Figures, computed independently with pandas
# ---------------------------------------------------------------------------------------------


def test_antal_svar_counts_distinct_employers_and_responses() -> None:
    df = frame_of(TABLE)
    umea = df[df["Kommun"] == "Umeå"]
    result = ask("Hur många arbetsgivare i Umeå svarade på enkäten?")
    assert result is not None
    assert result.figures["n"] == len(umea) == 24
    assert result.figures["arbetsgivare"] == umea["Arbetsgivare"].nunique() == 23
    assert "kom det in 24 svar i Umeå från 23 arbetsgivare" in result.text
    assert "filter: Kommun = Umeå" in result.text and result.text.endswith("[1].")


def expected_ranking(df: pd.DataFrame, need: str, min_employers: int) -> list[tuple[str, int, int]]:
    grouped = df.groupby("SSYK-kod").agg(yrke=("Yrke", "first"), behov=(need, "sum"),
                                         arbetsgivare=("Arbetsgivare", "nunique"))
    grouped = grouped[grouped["arbetsgivare"] >= min_employers]
    ordered = sorted(grouped.itertuples(), key=lambda r: (-r.behov, r.yrke.lower()))
    return [(r.yrke, int(r.behov), int(r.arbetsgivare)) for r in ordered]


def test_topp_behov_matches_pandas_groupby_for_a_caller_who_sees_the_rows() -> None:
    df = frame_of(TABLE)
    expected = expected_ranking(df[df["Kommun"] == "Umeå"], B3, min_employers=0)
    result = ask("Vilka yrken har störst rekryteringsbehov inom tre år i Umeå?")
    assert result is not None
    got = [(r["yrke"], r["behov"], r["respondenter"]) for r in result.figures["rows"]]
    assert got == expected[:5]
    first = expected[0]
    assert f"1. {first[0]} – {first[1]} personer ({first[2]} arbetsgivare)" in result.text
    assert "(n = 24 svar" in result.text and "inom tre år" in result.text


def test_topp_behov_hides_small_yrke_groups_from_a_public_caller() -> None:
    df = frame_of(TABLE)
    vilhelmina = df[df["Kommun"] == "Vilhelmina"]
    expected = expected_ranking(vilhelmina, B12, min_employers=5)
    result = ask("Vilka yrken har störst rekryteringsbehov de närmaste 12 månaderna i Vilhelmina?",
                 scopes=["projekt"])
    assert result is not None
    assert [(r["yrke"], r["behov"], r["respondenter"]) for r in result.figures["rows"]] == expected
    assert sorted(result.figures["too_few"]) == sorted([YRKEN["2341"], YRKEN["8332"]])
    assert "för få svar" in result.text
    assert f"| – | {YRKEN['2341']} | 2341 | för få svar | för få svar |" in result.table_md


def test_topp_behov_orders_ties_by_name_and_honours_top_n() -> None:
    rows = [("Umeå", f"AG {i}", yrke, need) for i, (yrke, need) in
            enumerate([("Vårdare", 4), ("Bagare", 4), ("Snickare", 9), ("Målare", 1)] * 5)]
    table = Table("Blad1", ("Kommun", "Arbetsgivare", "Yrke", "Behov 3 år"), tuple(rows))
    result = ask("Vilka två yrken har störst behov i Umeå?", tables=[(DOC, table)], passages=passages_of(DOC, table))
    assert result is not None
    assert [r["yrke"] for r in result.figures["rows"]] == ["Snickare", "Bagare"]
    assert [r["behov"] for r in result.figures["rows"]] == [45, 20]


def test_summa_behov_matches_pandas_sum() -> None:
    df = frame_of(TABLE)
    group = df[(df["Kommun"] == "Umeå") & (df["SSYK-kod"] == "5321")]
    result = ask("Hur stort är behovet av undersköterskor i Umeå de närmaste 12 månaderna?")
    assert result is not None
    assert result.figures["behov"] == group[B12].sum()
    assert result.figures["n"] == len(group) == 7
    assert f"{group[B12].sum()} personer" in result.text
    assert f"filter: Kommun = Umeå och Yrke = {YRKEN['5321']}" in result.text


def test_jamfor_kommuner_ranks_by_need_and_hides_the_small_kommun() -> None:
    df = frame_of(TABLE)
    sums = df.groupby("Kommun")[B3].sum()
    counts = df.groupby("Kommun").size()
    big = sorted((k for k in sums.index if counts[k] >= 5), key=lambda k: (-sums[k], k))
    result = ask("Vilken kommun har störst rekryteringsbehov inom tre år?", scopes=["projekt"])
    assert result is not None
    assert [(r["kommun"], r["behov"], r["n"]) for r in result.figures["rows"]] == \
        [(k, int(sums[k]), int(counts[k])) for k in big]
    assert result.figures["too_few"] == ["Åsele"]
    assert result.figures["n"] == int(counts[big].sum())  # the hidden kommun cannot be got by subtraction
    assert f"har {big[0]} störst rekryteringsbehov inom tre år" in result.text
    assert "Åsele: för få svar" in result.text


def test_andel_intresse_is_the_share_of_yes_among_answers() -> None:
    df = frame_of(TABLE)
    umea = df[df["Kommun"] == "Umeå"]
    answered = umea[umea[VALID] != ""]
    yes = int((answered[VALID] == "Ja").sum())
    result = ask("Hur stor andel av arbetsgivarna i Umeå är intresserade av validering?")
    assert result is not None
    (row,) = result.figures["rows"]
    assert (row["ja"], row["besvarade"]) == (yes, len(answered))
    assert f"{yes} av {len(answered)} svar ({round(100 * yes / len(answered))} %)" in result.text


def test_svarighet_is_the_mean_on_the_scale() -> None:
    df = frame_of(TABLE)
    group = df[(df["Kommun"] == "Skellefteå") & (df["SSYK-kod"] == "5321")]
    result = ask("Hur svårt är det att rekrytera undersköterskor i Skellefteå?")
    assert result is not None
    assert result.figures["medel"] == round(group[SVAR].mean(), 1)
    assert result.figures["andel_svart"] == round((group[SVAR] >= 4).sum() / len(group), 4)


def test_decimal_comma_strings_from_csv_are_numbers() -> None:
    rows = [("Umeå", "AG1", "Kockar", "2,5", "1 200"), ("Umeå", "AG2", "Kockar", "", "3"),
            ("Umeå", "AG3", "Kockar", "1,5", "0,5"), ("Umeå", "AG4", "Kockar", "3", ""),
            ("Umeå", "AG5", "Kockar", "0", "1")]
    table = Table("enkat-umea", ("Kommun", "Företag", "Yrke", "Behov 12 mån", "Behov 3 år"), tuple(rows))
    passages = [Passage(p.source_id, p.doc_id, p.title, p.path, p.text, p.scope, 0.0, rows=p.rows, sheet=None)
                for p in passages_of(DOC, table)]  # a CSV's row passages carry no sheet name
    result = survey.answer("Hur stort är behovet av kockar i Umeå de närmaste 12 månaderna?", [(DOC, table)],
                           ["projekt", "kommun:umea"], lambda doc_id, sheet: [p for p in passages if p.sheet == sheet])
    assert result is not None
    assert result.figures["behov"] == 7 and result.figures["saknar_varde"] == 1
    longer = ask("Hur stort är behovet av kockar i Umeå inom tre år?", scopes=["projekt", "kommun:umea"],
                 tables=[(DOC, table)], passages=[])
    assert longer is None  # nothing to cite: fall back to retrieval
    assert survey.to_number("1 204,5") == 1204.5 and pd.isna(survey.to_number(""))


# ---------------------------------------------------------------------------------------------
# Small groups
# ---------------------------------------------------------------------------------------------

ASELE_QUESTIONS = [
    "Hur många arbetsgivare i Åsele svarade på enkäten?",
    "Vilka yrken har störst rekryteringsbehov inom tre år i Åsele?",
    "Hur stort är rekryteringsbehovet i Åsele de närmaste 12 månaderna?",
    "Hur stort är rekryteringsbehovet i Åsele inom tre år?",
    "Hur stor andel av arbetsgivarna i Åsele är intresserade av validering?",
    "Hur svårt är det att rekrytera i Åsele?",
]


@pytest.mark.parametrize("question", ASELE_QUESTIONS)
def test_small_kommun_shows_too_few_answers_and_leaks_no_figure(question: str) -> None:
    result = ask(question, scopes=["projekt", "kommun:umea"])
    assert result is not None
    assert "för få svar" in result.text and "för få svar" in result.table_md
    citation = result.citations[0]
    shown = numbers_in(result.text) | numbers_in(result.table_md) | numbers_in(result.figures) \
        | numbers_in(citation.section or "") | numbers_in(citation.quote)
    assert not shown & ASELE_SECRETS, shown & ASELE_SECRETS
    assert result.figures["suppressed"] is True and "rader" not in (citation.section or "")


def test_small_kommun_figures_show_to_a_caller_with_its_scope() -> None:
    result = ask("Hur många arbetsgivare i Åsele svarade på enkäten?", scopes=["projekt", "kommun:asele"])
    assert result is not None
    assert "svarade 3 arbetsgivare i Åsele (n = 3 svar" in result.text
    summa = ask("Hur stort är rekryteringsbehovet i Åsele inom tre år?", scopes=["projekt", "kommun:asele"])
    assert summa is not None and summa.figures["behov"] == 36 and "för få svar" not in summa.text


def test_comparison_shows_the_small_kommun_to_a_caller_with_its_scope() -> None:
    result = ask("Vilken kommun har störst rekryteringsbehov inom tre år?", scopes=["projekt", "kommun:asele"])
    assert result is not None
    assert ("Åsele", 36, 3) in [(r["kommun"], r["behov"], r["n"]) for r in result.figures["rows"]]


# ---------------------------------------------------------------------------------------------
# Citations and table choice
# ---------------------------------------------------------------------------------------------


def test_citation_quotes_the_row_passage_and_names_filter_and_row_span() -> None:
    df = frame_of(TABLE)
    positions = [i for i, k in enumerate(df["Kommun"]) if k == "Vilhelmina"]
    first_row, last_row = TABLE.header_row + 1 + positions[0], TABLE.header_row + 1 + positions[-1]
    result = ask("Vilka yrken har störst rekryteringsbehov inom tre år i Vilhelmina?")
    assert result is not None and len(result.citations) == 1
    citation = result.citations[0]
    passage = next(p for p in PASSAGES if p.source_id == citation.source_id)
    assert passage.rows is not None and passage.rows[0] <= first_row <= passage.rows[1]
    assert citation.quote == "Kommun: Vilhelmina" and citation.quote in passage.text
    assert citation.section == f"Svar, filter: Kommun = Vilhelmina, rader {first_row}–{last_row}"
    assert (citation.n, citation.title, citation.path, citation.scope, citation.page, citation.kommun) == \
        (1, DOC.title, DOC.path, DOC.scope, None, "Vilhelmina")


def test_citation_points_at_the_first_row_matching_kommun_and_yrke() -> None:
    df = frame_of(TABLE)
    first = next(i for i, r in df.iterrows() if r["Kommun"] == "Umeå" and r["SSYK-kod"] == "8332")
    result = ask("Hur stort är behovet av lastbilsförare i Umeå inom tre år?")
    assert result is not None
    passage = next(p for p in PASSAGES if p.source_id == result.citations[0].source_id)
    assert passage.rows is not None and passage.rows[0] <= TABLE.header_row + 1 + int(first) <= passage.rows[1]


def test_only_tables_within_the_callers_scopes_are_used() -> None:
    other_doc = DocumentInfo("umea-intern", "Intern enkät Umeå", "intern/umea.xlsx", "enkat", "kommun:umea", 0, "h2",
                             kommun="Umeå")
    other = synthetic_table(seed=7)
    bigger = Table("Svar", other.columns, other.rows + other.rows)
    passages = PASSAGES + passages_of(other_doc, bigger)
    asked: list[str] = []

    def row_passages(doc_id: str, sheet: str | None) -> list[Passage]:
        asked.append(doc_id)
        return [p for p in passages if p.doc_id == doc_id and p.sheet == sheet]

    tables = [(DOC, TABLE), (other_doc, bigger)]
    result = survey.answer("Hur många arbetsgivare i Umeå svarade?", tables, ["projekt"], row_passages)
    assert result is not None and result.citations[0].path == DOC.path and set(asked) == {DOC.doc_id}
    assert result.figures["n"] == 24
    wider = survey.answer("Hur många arbetsgivare i Umeå svarade?", tables, ["projekt", "kommun:umea"], row_passages)
    assert wider is not None and wider.citations[0].path == other_doc.path  # more rows wins
    assert survey.answer("Hur många arbetsgivare i Umeå svarade?", tables, ["publik"], row_passages) is None


@pytest.mark.parametrize("question", [
    "Vad säger RUS om kompetens?",
    "Hur många arbetsgivare i Dorotea svarade?",  # Dorotea has no rows in the table
])
def test_answer_gives_none_to_fall_back_to_retrieval(question: str) -> None:
    assert ask(question) is None


def test_answer_works_on_english_headers() -> None:
    df = frame_of(TABLE)
    renamed = ("ID", "Municipality", "Employer", "Sector", "SNI", "Industry", "Size", "SSYK code", "Occupation",
               "Recruitment need 12 months", "Recruitment need 3 years", "Supply", "Difficulty (1-5)", "Reason",
               "Action", "Interest validation", "Interest adult education", "Interest YH", "Date")
    table = Table("Responses", renamed, TABLE.rows)
    result = ask("Which occupations have the largest recruitment needs within three years in Umeå?",
                 tables=[(DOC, table)], passages=passages_of(DOC, table))
    assert result is not None
    assert [(r["yrke"], r["behov"]) for r in result.figures["rows"]] == \
        [(y, b) for y, b, _ in expected_ranking(df[df["Kommun"] == "Umeå"], B3, 0)[:5]]
    assert "filter: Municipality = Umeå" in result.text


def test_swedish_number_formatting() -> None:
    assert survey.format_number(1234567) == "1 234 567"
    assert survey.format_number(2.5) == "2,5"
    assert survey.format_number(1234.0) == "1 234"
    assert survey.format_percent(0.4166) == "42 %"


# ---------------------------------------------------------------------------------------------
# The sample corpus workbook, when present
# ---------------------------------------------------------------------------------------------


def load_sample_table() -> Table:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.load_workbook(SAMPLE_XLSX, read_only=True, data_only=True)
    try:
        values = [tuple("" if v is None else v for v in row) for row in workbook["Svar"].iter_rows(values_only=True)]
    finally:
        workbook.close()
    header, *rows = [r for r in values if any(str(v).strip() for v in r)]
    cells = [tuple(v.isoformat()[:10] if hasattr(v, "isoformat") else v for v in row) for row in rows]
    return Table("Svar", tuple(str(h) for h in header), tuple(cells), header_row=1)


@pytest.mark.skipif(not SAMPLE_XLSX.exists(), reason="corpus/enkat/arbetsgivarenkat-2025.xlsx not rendered")
def test_sample_workbook_ranking_matches_pandas() -> None:
    table = load_sample_table()
    assert match_columns(table.columns) is not None
    df = frame_of(table)
    df["SSYK-kod"] = df["SSYK-kod"].astype(str)
    vilhelmina = df[df["Kommun"] == "Vilhelmina"]
    expected = expected_ranking(vilhelmina, "Rekryteringsbehov 3 år", min_employers=5)
    result = ask("Vilka yrken har störst rekryteringsbehov inom tre år i Vilhelmina?", scopes=["projekt"],
                 tables=[(DOC, table)], passages=passages_of(DOC, table))
    assert result is not None
    assert [(r["yrke"], r["behov"], r["respondenter"]) for r in result.figures["rows"]] == expected[:5]
    assert f"n = {len(vilhelmina)} svar" in result.text
    assert result.citations[0].quote in next(p.text for p in passages_of(DOC, table)
                                             if p.source_id == result.citations[0].source_id)


def test_compute_is_usable_without_answer() -> None:
    cols = match_columns(TABLE.columns)
    assert cols is not None
    query = SurveyQuery(intent="antal_svar", kommun="Skellefteå", horizon=None, yrke=None, top_n=5,
                        kommuner=("Skellefteå",))
    comp = survey.compute(query, DOC, TABLE, cols, lambda kommun: False)
    assert comp is not None and comp.figures["n"] == 18 and len(comp.positions) == 18


# ---- complementary suppression and row scopes (issue 13) ----------------------------------------

def test_a_hidden_kommun_cannot_be_got_by_subtracting_the_shown_kommuner_from_the_total() -> None:
    df = frame_of(TABLE)
    # Every kommun's own count is shown, Åsele's is not ...
    shown = {}
    present = sorted(set(df["Kommun"]))
    for kommun in present:
        result = ask(f"Hur många arbetsgivare i {kommun} svarade på enkäten?", scopes=["projekt"])
        assert result is not None
        shown[kommun] = result.figures.get("n")
    assert shown["Åsele"] is None and all(shown[k] == int((df["Kommun"] == k).sum()) for k in present if k != "Åsele")
    # ... so the all-kommun total must not be shown either (total - shown kommuner = Åsele).
    total = ask("Hur många arbetsgivare svarade på enkäten?", scopes=["projekt"])
    assert total is not None and total.figures["suppressed"] and "n" not in total.figures
    assert "summan skulle avslöja en kommun med färre än 5 svarande" in total.text
    need = ask("Hur stort är det totala rekryteringsbehovet inom tre år?", scopes=["projekt"])
    assert need is not None and "behov" not in need.figures
    # A caller who may see Åsele's rows gets the total.
    full = ask("Hur många arbetsgivare svarade på enkäten?", scopes=ALL_SCOPES)
    assert full is not None and full.figures["n"] == len(df)


def test_a_single_hidden_yrke_in_a_ranking_is_never_alone() -> None:
    rows = [("Umeå", f"AG {yrke} {i}", yrke, 3) for yrke, count in (("Snickare", 6), ("Målare", 5), ("Kock", 7))
            for i in range(count)] + [("Umeå", "AG Bagare 0", "Bagare", 9)]
    table = Table("Blad1", ("Kommun", "Arbetsgivare", "Yrke", "Behov 3 år"), tuple(rows))
    result = ask("Vilka yrken har störst behov i Umeå?", scopes=["projekt"], tables=[(DOC, table)],
                 passages=passages_of(DOC, table))
    assert result is not None
    # Bagare (1 employer) is hidden; the smallest shown yrke (Målare) is hidden with it, so that the
    # kommun's total minus the yrken shown is not Bagare's need.
    assert [r["yrke"] for r in result.figures["rows"]] == ["Kock", "Snickare"]
    assert sorted(result.figures["too_few"]) == ["Bagare", "Målare"]


def test_survey_rows_are_scoped_per_kommun_and_figures_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from assistant.service import Service
    from tests.conftest import make_settings

    monkeypatch.chdir(tmp_path)
    root = tmp_path / "korpus"
    root.mkdir()
    lines = [";".join(COLUMNS)] + [";".join(str(v) for v in row) for row in TABLE.rows]
    (root / "enkat.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for kommun in ("Umeå", "Åsele"):  # the answer stage answers about kommuner that some document covers
        (root / f"plan-{kommun}.md").write_text(f"# Handlingsplan {kommun}\n\nPlanen för {kommun}.\n", encoding="utf-8")
    (root / "manifest.yaml").write_text(
        "documents:\n  - {path: enkat.csv, title: Arbetsgivarenkät 2025, type: enkat, scope: publik, "
        "row_scope: Kommun}\n"
        "  - {path: plan-Umeå.md, title: Plan Umeå, type: handlingsplan, scope: publik, kommun: Umeå}\n"
        "  - {path: plan-Åsele.md, title: Plan Åsele, type: handlingsplan, scope: publik, kommun: Åsele}\n",
        encoding="utf-8")
    service = Service(make_settings(tmp_path / "data"))
    assert not service.ingest([root]).failed
    asele_employer = ASELE_ROWS[0][0]
    public = service.search(f"{asele_employer} hemtjänsten Åsele", ["publik"], 20)
    assert all(p.rows is None or p.rows[0] == 1 for p in public)  # only the header passage
    assert asele_employer not in " ".join(p.text for p in public)
    asele = service.search(f"{asele_employer} hemtjänsten Åsele", ["publik", "kommun:asele"], 20)
    assert any(asele_employer in p.text for p in asele) and all(
        p.scope in ("publik", "kommun:asele") for p in asele)
    assert {p.scope for p in service.index.lexical.passages(service.index.lexical.passage_ids(  # noqa: C416
        service.sources(["publik"])[0].doc_id), ["publik", *ALL_SCOPES]).values()}.issuperset({"publik", "kommun:asele"})
    # The survey stage computes from the whole stored table for a publik caller, with suppression, and cites.
    answer = service.ask("Hur många arbetsgivare i Umeå svarade på enkäten?", ["publik"])
    df = frame_of(TABLE)
    assert answer.citations and str(df[df["Kommun"] == "Umeå"]["Arbetsgivare"].nunique()) in answer.answer
    hidden = service.ask("Hur många arbetsgivare i Åsele svarade på enkäten?", ["publik"])
    assert "för få svar" in hidden.answer and asele_employer not in hidden.answer
