"""The evaluation: metric functions by hand-computed examples, the question set's schema against the
corpus (so it cannot silently rot), and the gates on a full run over the real e5 index."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import Settings
from assistant.records import DRAFT_SECTIONS, Answer, Citation
from assistant.service import Service
from evals import matching, metrics, report, runner
from evals.corpus import SourceTexts, catalogue
from evals.metrics import CatalogueEntry, CitationCheck, Observation, Ranked
from assistant.scopes import LAN_KOMMUNER
from evals.questions import (ANSWERABLE, KINDS, MIN_PER_KIND, MIN_QUESTIONS, Fact, Question, QuestionSetError,
                             Source, load_questions)
from tests.conftest import E5_INDEX, REPO

QUESTION_SET = REPO / "evals" / "questions.yaml"
SURVEY = REPO / "corpus" / "enkat" / "arbetsgivarenkat-2025.xlsx"
PROTOKOLL = "corpus/protokoll/2025-02-12-regional-arbetsgrupp.md"


def q(id: str = "q1", kind: str = "fakta", sources: tuple[Source, ...] = (Source("a.pdf"),), needs: str = "any",
      facts: tuple[Fact, ...] = (), scopes: tuple[str, ...] = ("publik",)) -> Question:
    return Question(id, kind, "Fråga?", scopes, sources, needs, facts)


# ============================================================================ (a) metric functions


def test_hit_mrr_ndcg_by_hand():
    question = q(sources=(Source("a.pdf"),))
    ranked = [Ranked("x.md"), Ranked("y.md"), Ranked("a.pdf"), Ranked("a.pdf")]
    ranks = metrics.need_ranks(ranked, question, 10)
    assert ranks == [3]
    assert metrics.hit_at_k(3, 1) == 0.0 and metrics.hit_at_k(3, 3) == 1.0 and metrics.hit_at_k(3, 5) == 1.0
    assert metrics.reciprocal_rank(3, 10) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(3, 2) == 0.0
    assert metrics.ndcg_at_k(ranks, 10) == pytest.approx(1 / math.log2(4))  # 0.5
    assert metrics.hit_at_k(None, 5) == 0.0 and metrics.reciprocal_rank(None, 10) == 0.0


def test_ndcg_with_two_needs():
    # needs: all – a.pdf at rank 2 and b.docx at rank 4: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3).
    question = q(sources=(Source("a.pdf"), Source("b.docx")), needs="all")
    ranked = [Ranked("x.md"), Ranked("a.pdf"), Ranked("a.pdf"), Ranked("b.docx")]
    ranks = metrics.need_ranks(ranked, question, 10)
    assert ranks == [2, 4]
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at_k(ranks, 10) == pytest.approx(expected)  # ≈ 0.7967
    assert metrics.recall_at_k(ranks, 3) == 0.5
    assert metrics.first_rank(ranks) == 2
    # needs: any – the same two documents are alternatives: one need, first found at rank 2.
    either = q(sources=(Source("a.pdf"), Source("b.docx")), needs="any")
    assert metrics.need_ranks(ranked, either, 10) == [2]
    assert metrics.ndcg_at_k([2], 10) == pytest.approx(1 / math.log2(3))
    # an `also` document satisfies the same need
    alt = q(sources=(Source("c.md", also=("x.md",)),))
    assert metrics.need_ranks(ranked, alt, 10) == [1]


def test_page_level_relevance():
    question = q(sources=(Source("a.pdf", pages=(3,)),))
    ranked = [Ranked("a.pdf", page=1), Ranked("a.pdf", page=3)]
    assert metrics.need_ranks(ranked, question, 10) == [1]  # document level ignores pages
    assert metrics.need_ranks(ranked, question, 10, by_page=True) == [2]
    assert metrics.need_ranks([Ranked("a.pdf", page=None)], question, 10, by_page=True) == [1]  # no page: doc level


@pytest.mark.parametrize(("fact", "text", "found"), [
    (Fact("1 289"), "behöver 1289 personer", True),
    (Fact("1289"), "behöver 1 289 personer", True),
    (Fact("1 289"), "behöver 1\u00a0289 personer", True),
    (Fact("1 289"), "behöver 11 289 personer", False),
    (Fact("20"), "målet om 20 arbetsgivare", True),
    (Fact("20"), "start 2026-01-20", False),
    (Fact("19"), "minskning med 1,9 procent", False),
    (Fact("34,4"), "34.4 % av invånarna", True),
    (Fact("brist"), "bristyrken i länet", False),
    (Fact("Lena Sjödin"), "kontakt: LENA  SJÖDIN", True),
    (Fact("2 796"), "inom tre år och 2\n796 personer", True),
    (Fact("2025-03-03 – 2025-04-11"), "2025-03-03 - 2025-04-11", True),
    (Fact(r"60 ?(procent|%)", regex=True), "60 % av arbetsgivarna", True),
    (Fact(r"60 ?(procent|%)", regex=True), "60 personer", False),
])
def test_fact_matching(fact: Fact, text: str, found: bool):
    assert matching.fact_found(fact, text) is found


def test_missing_facts_lists_only_the_missing():
    facts = (Fact("Umeå"), Fact("1 289"), Fact(r"\b48\b", regex=True))
    assert matching.missing_facts(facts, "Umeå behöver 1289 personer.") == [facts[2]]


def test_quotes_and_markers():
    source = "Rubrik\nI Åsele svarade 29 av 50\ntillfrågade arbetsgivare."
    assert matching.quote_in_source("svarade 29 av 50 tillfrågade", source)
    assert not matching.quote_in_source("svarade 30 av 50", source)
    assert not matching.quote_in_source("   ", source)
    assert matching.unresolved_markers("A [1]. B [2][3]. C [1, 4].", [1, 2]) == [3, 4]
    assert matching.unresolved_markers("Inga markörer.", []) == []


def test_citation_support():
    evidence = {1: "Handlingsplan Umeå\nI Umeå besvarades enkäten av 112 av 232 arbetsgivare.",
                2: "Lärdom 6\nKompetensmäklaren arbetar på halvtid i Dorotea."}
    text = "I Umeå besvarade 112 arbetsgivare enkäten [1]. Kompetensmäklaren i Dorotea arbetar på heltid och har 3 kollegor [2]."
    assert matching.supported_citations(text, evidence) == {1: True, 2: False}  # '3' is not in [2]
    # a claim citing survey rows (computed figure): the rows are not judged, numbers not required elsewhere
    rows = {1: "Kommun: Åsele | Yrke: Lastbilsförare", 2: "Lastbilsförare: brist, prognos: öka"}
    table = "| Lastbilsförare | 5 | 24 | brist, prognos: öka | [1][2] |"
    assert matching.supported_citations(table, rows, frozenset({1})) == {1: None, 2: True}
    assert matching.supported_citations("Något annat [9].", {1: "x"}) == {1: False}  # never used: unsupported


def test_claims_are_sentences_rows_and_items():
    text = "Inledning. Behovet är stort [1]. Mer [2][3].\n| Kockar m.fl. (5120) | 5 | [4] |\n- Lastbilsförare [5]"
    assert [(c.text, c.ns) for c in matching.claims(text)] == [
        ("Behovet är stort", (1,)), ("Mer", (2, 3)), ("Kockar m.fl. (5120) | 5", (4,)), ("Lastbilsförare", (5,))]


def _leak_catalogue() -> list[CatalogueEntry]:
    return [CatalogueEntry("corpus/lardomar/l1.md", "Lärdom 1: Branschråd", "publik", "corpus-lardomar-l1-md"),
            CatalogueEntry(PROTOKOLL, "Protokoll regional arbetsgrupp 2025-02-12", "projekt",
                           "corpus-protokoll-2025-02-12-regional-arbetsgrupp-md")]


def test_scope_leak_detection_finds_a_crafted_leak():
    leaking = Answer(
        "Projektets kostnader är 13 464 382 kronor [1].",
        (Citation(1, "corpus-protokoll-2025-02-12-regional-arbetsgrupp-md:abc:0007",
                  "Protokoll regional arbetsgrupp 2025-02-12", PROTOKOLL, "projekt",
                  "Projektets totala kostnader är beräknade till 13 464 382 kronor"),),
        False, ("publik",))
    serialized = metrics.serialize(leaking.to_dict())
    seen = [(f"citation [{c.n}]", c.scope) for c in leaking.citations]
    leaks = metrics.find_leaks(["publik"], _leak_catalogue(), serialized, seen, [Fact("13 464 382")])
    assert "citation [1]: scope projekt" in leaks
    assert any(leak.startswith("title of " + PROTOKOLL) for leak in leaks)
    assert any(leak.startswith("path of " + PROTOKOLL) for leak in leaks)
    assert any(leak.startswith("doc_id of " + PROTOKOLL) for leak in leaks)
    assert "forbidden fact 13 464 382" in leaks
    # the same answer is no leak for a partner who holds `projekt`
    assert metrics.find_leaks(["publik", "projekt"], _leak_catalogue(), serialized, seen) == []


def test_scope_leak_detection_title_in_refusal_text():
    refusal = {"answer": "Underlaget innehåller inget. (Se Protokoll regional arbetsgrupp 2025-02-12.)",
               "citations": [], "refused": True}
    assert metrics.find_leaks(["publik"], _leak_catalogue(), metrics.serialize(refusal)) == [
        f"title of {PROTOKOLL} (projekt)"]
    clean = {"answer": "Underlaget innehåller inget som besvarar frågan.", "citations": [], "refused": True}
    assert metrics.find_leaks(["publik"], _leak_catalogue(), metrics.serialize(clean)) == []


def test_percentile_by_hand():
    assert metrics.percentile([10, 20, 30, 40], 50) == 25
    assert metrics.percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert metrics.percentile([7], 95) == 7
    assert metrics.percentile([], 50) is None


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50), st.floats(min_value=0, max_value=100))
def test_percentile_lies_between_min_and_max(values: list[float], p: float):
    result = metrics.percentile(values, p)
    assert result is not None and min(values) - 1e-6 <= result <= max(values) + 1e-6


@given(st.lists(st.integers(min_value=1, max_value=20), unique=True, max_size=5), st.integers(min_value=0, max_value=3))
def test_ndcg_is_a_share(found: list[int], missed: int):
    ranks: list[int | None] = [*found, *([None] * missed)]
    if ranks:
        assert 0.0 <= metrics.ndcg_at_k(ranks, 10) <= 1.0 + 1e-9


def test_one_passage_satisfies_one_need():
    # the same document listed for two needs: one passage cannot count for both
    question = q(sources=(Source("a.pdf"), Source("b.md", also=("a.pdf",))), needs="all")
    assert metrics.need_ranks([Ranked("a.pdf"), Ranked("x"), Ranked("a.pdf")], question, 10) == [1, 3]


def test_evaluators_overall_and_per_question():
    questions = [
        q("f1", facts=(Fact("29"),)),
        q("f2", facts=(Fact("48"),)),
        q("a1", kind="avböj", sources=()),
        q("a2", kind="avböj", sources=()),
    ]
    obs = {
        "f1": Observation("f1", "fakta", (Ranked("a.pdf"),), "29 svarade [1].", False,
                          citations=(CitationCheck(1, "a.pdf", "publik", True, True),), latency_ms=100),
        "f2": Observation("f2", "fakta", (Ranked("x"), Ranked("y"), Ranked("a.pdf")), "Inget om det [1].", False,
                          citations=(CitationCheck(1, "a.pdf", "publik", False, False),), latency_ms=300),
        "a1": Observation("a1", "avböj", None, "Underlaget innehåller inget.", True, citations=(), latency_ms=50),
        "a2": Observation("a2", "avböj", None, "Svar ändå [1].", False, citations=(), unresolved=(1,),
                          leaks=("citation [1]: scope projekt",), latency_ms=60),
    }
    summary = metrics.summarise(questions, obs)
    assert summary["hit_at_1"] == 0.5 and summary["hit_at_5"] == 1.0
    assert summary["mrr_at_10"] == pytest.approx((1 + 1 / 3) / 2, abs=1e-4)
    assert summary["fact_accuracy"] == 0.5
    assert metrics.fact_accuracy(questions, obs).per_question == {"f1": 1.0, "f2": 0.0, "a1": None, "a2": None}
    assert summary["citation_validity"] == pytest.approx(1 / 3, abs=1e-4)  # f1 ok; f2 quote, a2 marker fail
    assert summary["citation_support"] == 0.5
    assert summary["refusal_accuracy"] == 0.75  # f1, f2 answered; a1 refused; a2 not
    assert summary["refused_out_of_corpus"] == 0.5 and summary["answered_answerable"] == 1.0
    assert summary["scope_leaks"] == 1
    assert summary["latency_p50_ms"] == 80 and summary["latency_p95_ms"] == pytest.approx(270, abs=0.1)


def test_baseline_without_citations_reports_none():
    questions = [q("f1", facts=(Fact("29"),))]
    obs = {"f1": Observation("f1", "fakta", (Ranked("a.pdf"),), "29", False, citations=None)}
    summary = metrics.summarise(questions, obs)
    assert summary["citation_validity"] is None and summary["citation_support"] is None


def test_gate_failures():
    good = {"hit_at_5": 0.95, "fact_accuracy": 0.92, "refusal_accuracy": 0.95, "citation_validity": 1.0,
            "scope_leaks": 0, "mrr_at_10": 0.8, "misattributed_sentences": 0, "direct_answer": 0.9}
    assert runner.gate_failures({"system": good, "baseline": {"mrr_at_10": 0.6}, "mrr_margin": 0.2}) == []
    bad = {**good, "scope_leaks": 1, "citation_validity": None, "misattributed_sentences": 2, "direct_answer": 0.6}
    failures = runner.gate_failures({"system": bad, "baseline": {"mrr_at_10": 0.7}, "mrr_margin": 0.1})
    assert [f.split(" ")[0] for f in failures] == ["scope_leaks", "citation_validity", "misattributed_sentences",
                                                   "direct_answer", "mrr_margin"]
    # per kind: every answerable kind (and saknas) that has questions must reach its floor (runner.KIND_FLOORS)
    by_kind = {"rad": {"fact_accuracy": 0.75}, "lista": {"fact_accuracy": 0.8}, "avböj": {"fact_accuracy": None},
               "saknas": {"fact_accuracy": 0.5}}
    doc = {"system": good, "by_kind": {"system": by_kind}, "counts": {"rad": 8, "lista": 8, "avböj": 6, "saknas": 0}}
    assert runner.gate_failures(doc) == ["fact_accuracy[rad] = 0.75 (gate >= 0.8)"]


# ---------------------------------------------------------------------------- answers: attribution, directness


def _answer_obs(id: str, kind: str, answer: str, quotes: dict[int, str], refused: bool = False,
                kommun: dict[int, str | None] | None = None) -> Observation:
    from assistant.text.analyzer import analyze

    checks = tuple(CitationCheck(n, f"{n}.md", "publik", True, True, quote, (kommun or {}).get(n))
                   for n, quote in quotes.items())
    return Observation(id, kind, None, answer, refused, checks, (), (),
                       attributions=tuple(matching.attributions(answer, quotes, analyze)))


def _analyze():
    from assistant.text.analyzer import analyze

    return analyze


ROW_VALIDERING = ("Insats: Validering av vårdbiträden och timanställda i hemtjänst och särskilt boende mot "
                  "undersköterskekompetens | Ansvarig: Åsele kommun, vård och omsorg, tillsammans med Lärcentrum Åsele "
                  "| Tidplan: Start 2025-09-01, avslut 2026-05-31 | Koppling till bristyrke: Undersköterskor (5321)")
ROW_VIKARIEPOOL = ("Insats: Gemensam vikariepool för vård och omsorg med Åsele kommun under semesterperioden | "
                   "Ansvarig: Socialcheferna i Dorotea och Åsele | Tidplan: Avtal klart 2026-03-31")


def test_a_clean_answer_is_attributed_and_direct():
    text = ("Ansvarig för valideringen av vårdbiträden i Åsele är Åsele kommun, vård och omsorg, tillsammans med "
            "Lärcentrum Åsele [1]. Enligt planen startar den 2025-09-01 [1].")
    obs = _answer_obs("r1", "rad", text, {1: ROW_VALIDERING})
    assert [a.missing for a in obs.attributions] == [(), ()]
    question = Question("r1", "rad", "Vem ansvarar?", ("publik",), (Source("a.docx"),), "any",
                        (Fact("Åsele kommun, vård och omsorg"),))
    summary = metrics.summarise([question], {"r1": obs})
    assert summary["misattributed_sentences"] == 0 and summary["misattribution_rate"] == 0
    assert summary["direct_answer"] == 1.0
    assert summary["answer_words_median"] == matching.word_count(text)


def test_a_spliced_row_is_misattributed():
    # Dorotea's training insats printed next to the Ansvarig of another row, citing that row
    text = "Dorotea: Undersköterskeutbildning med lön – Ansvarig: Socialcheferna i Dorotea och Åsele [1]."
    spliced = _answer_obs("j1", "jämförelse", text, {1: ROW_VIKARIEPOOL})
    assert [a.misattributed for a in spliced.attributions] == [True]
    # a sentence without a marker is not judged: only cited sentences can be misattributed
    assert matching.attributions("Dorotea: Undersköterskeutbildning med lön. Ansvarig: Socialcheferna i Dorotea "
                                 "och Åsele [1].", {1: ROW_VIKARIEPOOL}, _analyze())[0].missing == ()
    text = "- Undersköterskeutbildning med lön, ansvarig Socialcheferna i Dorotea och Åsele, klart 2026-04-30 [1]"
    (judged,) = matching.attributions(text, {1: ROW_VIKARIEPOOL}, _analyze())
    # the date is not the row's, and the insats (first word, so no name check) fails the content-word share
    assert judged.missing == ("04", "30", "ord 5/7")
    count, rate = metrics.misattribution([q("j1", kind="jämförelse")], {"j1": spliced})
    assert count.overall == 1 and rate.overall == 1.0


def test_numbers_are_normalised_and_labels_and_framing_are_free():
    from assistant.text.analyzer import analyze

    quote = "Arbetslöshet, andel av registerbaserad arbetskraft | Utgångsläge 2025: 5,5 % (mars 2025) | Målnivå: 1 200"
    assert matching.attribution("Enligt planen är arbetslösheten 5.5 % och målnivån 1200 [1].", quote, analyze) == ()
    assert matching.attribution("Målnivå: 1 200 [1]", quote, analyze) == ()
    assert matching.attribution("Arbetslösheten i Umeå är 6 % [1].", quote, analyze) == ("6", "Umeå", "ord 1/2")


def test_a_list_answer_counts_its_lead_in_and_the_whole_list():
    text = ("Dorotea prioriterar följande bristyrken:\n- Undersköterskor (SSYK 5321) [1]\n- Lastbilsförare (SSYK 8332) [1]"
            "\n- Kockar (SSYK 5120) [1]")
    quote = "Undersköterskor (SSYK 5321)\nLastbilsförare (SSYK 8332)"
    assert matching.first_sentence(text) == ("Dorotea prioriterar följande bristyrken: Undersköterskor (SSYK 5321) [1] "
                                             "Lastbilsförare (SSYK 8332) [1] Kockar (SSYK 5120) [1]")
    assert matching.answer_sentences(text)[1:] == ["Undersköterskor (SSYK 5321) [1]", "Lastbilsförare (SSYK 8332) [1]",
                                                   "Kockar (SSYK 5120) [1]"]
    obs = _answer_obs("l1", "lista", text, {1: quote})
    assert [a.misattributed for a in obs.attributions] == [False, False, True]  # Kockar is not in the quote
    lista = Question("l1", "lista", "Vilka?", ("publik",), (Source("a.docx"),), "any",
                     (Fact("Lastbilsförare"), Fact("Undersköterskor")))
    assert metrics.direct_answer([lista], {"l1": obs}).overall == 1.0  # any fact of a list counts
    fakta = Question("f1", "fakta", "Vilka?", ("publik",), (Source("a.docx"),), "any", (Fact("Lastbilsförare"),))
    assert metrics.direct_answer([fakta], {"f1": obs}).overall == 1.0  # the list is the direct answer
    late = _answer_obs("f2", "fakta", "Dorotea har flera bristyrken. Bland dem finns lastbilsförare [1].", {1: quote})
    assert metrics.direct_answer([fakta], {"f1": late}).overall == 0.0  # a fact after the first sentence is not first


def test_a_comparison_block_counts_its_label_lead_in_and_list():
    text = "**Vilhelmina:**\nPrioriterade bristyrken:\n- Grundskollärare [1]\n- Lastbilsförare [1]\n**Åsele:**\n- Kockar [2]"
    assert matching.first_sentence(text) == "Vilhelmina: Prioriterade bristyrken: Grundskollärare [1] Lastbilsförare [1]"
    assert matching.first_sentence("Svaret:\nDet är 12 platser. Fler kommer [1].") == "Svaret: Det är 12 platser."


def test_a_refusal_and_an_absent_kommun():
    refusal = Observation("s1", "saknas", None, "Underlaget innehåller inget om Bjurholm. Fråga gärna om något annat.",
                          True, (), (), (), attributions=())
    absent = Question("s1", "saknas", "Vilka bristyrken har Bjurholm?", ("publik",), absent="Bjurholm")
    assert metrics.fact_accuracy([absent], {"s1": refusal}).overall == 1.0
    assert metrics.direct_answer([absent], {"s1": refusal}).overall == 1.0
    assert metrics.refusal_accuracy([absent], {"s1": refusal}).overall is None  # saknas: refusing is allowed
    count, rate = metrics.misattribution([absent], {"s1": refusal})
    assert count.overall == 0 and rate.overall is None  # nothing cited, nothing judged
    # another kommun's plan offered as the answer: wrong, even when the absence is said
    foreign = _answer_obs("s1", "saknas", "Underlaget innehåller inget om Bjurholm. Åsele prioriterar lastbilsförare [1].",
                          {1: "Lastbilsförare (SSYK 8332)"}, kommun={1: "Åsele"})
    assert metrics.fact_accuracy([absent], {"s1": foreign}).overall == 0.0
    regional = _answer_obs("s1", "saknas", "Underlaget innehåller inget om Bjurholm.", {}, kommun={})
    assert metrics.absent_handled(absent, regional) == 1.0
    silent = _answer_obs("s1", "saknas", "Lastbilsförare behövs [1].", {1: "Lastbilsförare behövs"})
    assert metrics.absent_handled(absent, silent) == 0.0
    avboj = Question("a1", "avböj", "Kiruna?", ("publik",))
    assert metrics.direct_answer([avboj], {"a1": refusal}).overall is None


def test_answer_lengths():
    obs = {f"f{i}": Observation(f"f{i}", "fakta", None, " ".join(["ord"] * n) + " [1].", False)
           for i, n in enumerate((10, 20, 30, 40, 50))}
    questions = [q(f"f{i}") for i in range(5)]
    assert metrics.answer_lengths(questions, obs) == {"answer_words_median": 30, "answer_words_p90": 46}


def test_loader_rejects_unquoted_dates(tmp_path: Path):
    bad = tmp_path / "q.yaml"
    bad.write_text("questions:\n- {id: x, kind: fakta, question: 'När?', scopes: [publik], facts: [2024-04-17]}\n",
                   encoding="utf-8")
    with pytest.raises(QuestionSetError, match="quoted"):
        load_questions(bad)


# ============================================================================ (b) the question set


@pytest.fixture(scope="module")
def question_set() -> list[Question]:
    return load_questions(QUESTION_SET)


@pytest.fixture(scope="module")
def documents() -> dict[str, CatalogueEntry]:
    return {d.path: d for d in catalogue()}


@pytest.fixture(scope="module")
def texts() -> SourceTexts:
    return SourceTexts()


def test_set_size_and_kinds(question_set: list[Question]):
    counts = Counter(x.kind for x in question_set)
    assert len(question_set) >= MIN_QUESTIONS
    assert set(counts) == set(KINDS)
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, f"{kind}: {counts[kind]} < {minimum}"
    assert len({x.turns for x in question_set}) == len(question_set), "duplicate question texts"
    english = [x for x in question_set if x.question.split()[0] in ("What", "Which", "How", "When")]
    assert 2 <= len(english) <= len(question_set) // 5


def test_every_question_has_what_its_kind_needs(question_set: list[Question]):
    for x in question_set:
        assert x.scopes, x.id
        if x.kind in (*ANSWERABLE, "utkast"):
            assert x.sources and x.facts, f"{x.id}: needs sources and facts"
        if x.kind == "saknas":
            assert x.absent and not x.sources and not x.facts, f"{x.id}: absent kommun, nothing expected"
        else:
            assert not x.absent, f"{x.id}: absent belongs to saknas"
        assert bool(x.previous) == (x.kind == "följdfråga"), f"{x.id}: previous turns belong to följdfråga"
        assert bool(x.by_kommun) == (x.kind == "jämförelse"), f"{x.id}: facts per kommun belong to jämförelse"
        if x.kind == "jämförelse":
            assert len(x.by_kommun) >= 2 and all(k in x.question for k, _ in x.by_kommun), \
                f"{x.id}: two kommuner, each named in the question"
        if x.kind == "lista":
            assert len(x.facts) >= 3, f"{x.id}: a list has at least three items"
        if x.kind == "flerdelad":
            assert len(x.facts) >= 2, f"{x.id}: a fact per part"
        if x.kind == "flera-källor":
            assert x.needs == "all" and len(x.sources) >= 2, f"{x.id}: needs two documents"
        if x.kind in ("avböj", "behörighet"):
            assert not x.sources and not x.facts, f"{x.id}: out-of-scope questions expect nothing"
        if x.kind == "behörighet":
            assert x.scopes == ("publik",) and x.forbidden, f"{x.id}: a publik caller and forbidden facts"
        if x.kind == "utkast":
            keys = {key for key, _ in DRAFT_SECTIONS}
            assert x.draft and x.draft.get("kommun") and set(x.draft.get("avsnitt") or ()) <= keys, x.id
        if x.kind == "enkät":
            assert x.survey_checks, f"{x.id}: enkät figures must be recomputable from the survey"


def test_expected_sources_exist_and_are_within_the_callers_scopes(question_set, documents):
    for x in question_set:
        for path in x.expected_paths:
            assert path in documents, f"{x.id}: {path} is not in corpus/manifest.yaml"
            assert (REPO / path).is_file(), f"{x.id}: {path} does not exist"
            assert documents[path].scope in x.scopes, f"{x.id}: {path} ({documents[path].scope}) is outside {x.scopes}"


def test_absent_kommuner_have_no_document(question_set, documents):
    covered = {d.kommun for d in documents.values() if d.kommun}
    for x in question_set:
        if x.kind == "saknas":
            assert x.absent in LAN_KOMMUNER, f"{x.id}: {x.absent} is no kommun in the län"
            assert x.absent not in covered, f"{x.id}: the corpus has documents about {x.absent}"
            assert x.absent in x.question, f"{x.id}: the question names {x.absent}"


def test_comparison_facts_stand_in_that_kommuns_material(question_set, documents, texts):
    for x in question_set:
        computed = {check.value for check in x.survey_checks}
        for kommun, facts in x.by_kommun:
            usable = [p for p in x.expected_paths if documents[p].kommun in (kommun, None)]
            for fact in facts:
                assert any(matching.fact_found(fact, texts.full_text(p)) for p in usable) or \
                    any(matching.fact_found(fact, _number(v)) for v in computed), \
                    f"{x.id}: {kommun}'s fact {fact.label()} stands in none of {usable}"


def test_required_facts_stand_in_the_expected_documents(question_set, texts):
    for x in question_set:
        if x.kind not in (*ANSWERABLE, "utkast"):
            continue
        computed = {check.value for check in x.survey_checks}
        for fact in x.facts:
            if any(matching.fact_found(fact, texts.full_text(p)) for p in x.expected_paths):
                continue
            assert x.survey_checks and any(matching.fact_found(fact, _number(v)) for v in computed), \
                f"{x.id}: fact {fact.label()} stands in none of {sorted(x.expected_paths)}"


def test_expected_pages_hold_a_fact(question_set, texts):
    for x in question_set:
        for source in x.sources:
            if not source.pages:
                continue
            pages = texts.pages(source.path)
            on_pages = "\n".join(pages.get(p, "") for p in source.pages)
            assert any(matching.fact_found(f, on_pages) for f in x.facts), \
                f"{x.id}: no required fact on {source.path} pages {source.pages}"


def test_forbidden_facts_only_stand_outside_the_callers_scopes(question_set, documents, texts):
    for x in question_set:
        for fact in x.forbidden:
            inside = [p for p, d in documents.items() if d.scope in x.scopes and matching.fact_found(fact, texts.full_text(p))]
            outside = [p for p, d in documents.items() if d.scope not in x.scopes and matching.fact_found(fact, texts.full_text(p))]
            assert not inside, f"{x.id}: {fact.label()} stands in material the caller may see: {inside}"
            assert outside, f"{x.id}: {fact.label()} stands nowhere in the corpus"


def test_survey_figures_recompute_from_the_responses(question_set):
    rows = pd.read_excel(SURVEY, sheet_name="Svar")
    for x in question_set:
        for check in x.survey_checks:
            frame = rows
            for column, value in check.filter.items():
                frame = frame[frame[column].astype(str) == str(value)]
            if check.op == "count":
                value = len(frame)
            elif check.op == "sum":
                value = frame[check.column].sum()
            elif check.op == "share_yes":
                value = round(100 * (frame[check.column] == "Ja").mean())
            else:
                value = round(100 * (frame[check.column] >= 4).mean())
            assert value == check.value, f"{x.id}: {check.op} over {check.filter} is {value}, not {check.value}"
            assert any(matching.fact_found(f, _number(check.value)) for f in x.facts), \
                f"{x.id}: no required fact states {check.value}"


def _number(value: float) -> str:
    """A recomputed figure as an answer would state it ('41 %' for shares, the integer otherwise)."""
    whole = int(value) if float(value).is_integer() else value
    return f"{whole} % {whole}"


# ============================================================================ (c) the full run and its gates


@pytest.fixture(scope="session")
def eval_service(request: pytest.FixtureRequest) -> Iterator[Service]:
    """The corpus in the real e5 index (KOMPETENS_TEST_E5_INDEX or .cache/e5-index, incremental), shared
    with other tests when conftest offers `corpus_service`."""
    try:
        shared = request.getfixturevalue("corpus_service")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        yield shared
        return
    service = Service(Settings(data_dir=E5_INDEX, embed={"backend": "e5"},
                               llm={"provider": "none"}))
    with contextlib.chdir(REPO):
        outcome = service.ingest([REPO / "corpus"])
    assert not outcome.failed, [o.message for o in outcome.outcomes if o.status == "misslyckad"]
    yield service
    if service._index is not None:
        service._index.lexical.close()


@pytest.mark.integration
def test_full_eval_meets_the_gates(eval_service: Service):
    run = runner.evaluate(eval_service, runner.DEFAULT_SET, with_baseline=True)
    doc = runner.results(run, command="pytest -m integration tests/test_evals.py")
    report.write_reports(doc)
    system, baseline = doc["system"], doc["baseline"]
    misses = "\n".join(report.markdown(doc).split("## Missar per fråga (systemet)")[1].split("## Alla frågor")[0]
                       .strip().splitlines()[:80])
    assert system["scope_leaks"] == 0, misses
    assert baseline is not None and baseline["refusal_accuracy"] is not None
    assert not doc["gates"]["failures"], "\n".join(doc["gates"]["failures"]) + "\n\n" + misses
    assert system["mrr_at_10"] - baseline["mrr_at_10"] >= runner.MRR_MARGIN


def test_a_rendered_table_row_is_one_sentence():
    row = "Datum: 2025-03-12 – Händelse: Northvolt ansöker om konkurs. Koncernen har 5 000 anställda [1]."
    assert matching.first_sentence(f"{row}\nMer text.") == row
    assert matching.first_sentence("Det var bra. Sen: inte – Nu: ja.") == "Det var bra."
