"""Handlingsplan drafts: sections, citations, survey figures, scopes, history, the LLM rewrite, speed.

Fast tests index a small corpus (Markdown, CSV and Word files written here) with the hash
embedder. Integration tests draft from the shared e5 index of the sample corpus and recompute the
survey figures from the XLSX with pandas, independently of the code under test.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import docx
import numpy as np
import pandas as pd
import pytest
import yaml

from assistant.config import Settings
from assistant.draft import pipeline as drafting
from assistant.draft.docx import to_docx
from assistant.draft.evidence import replaced_documents, unwrap
from assistant.errors import KompetensError
from assistant.index.embeddings import create_embedder
from assistant.records import DRAFT_SECTIONS, DocumentInfo, Draft
from assistant.scopes import PARTNER_KOMMUNER, all_scopes
from assistant.service import Service
from assistant.text.sentences import split_sentences
from tests.conftest import E5_INDEX, REPO, make_settings, write
from tests.openai_server import MODEL, OpenAIServer, openai_server

TODAY = date(2025, 12, 1)  # the small corpus's 2026 dates lie ahead; plan year 2026
EVERYONE = all_scopes()
MARKER = re.compile(r"\[(\d+)\]")
GAP = re.compile(r"\[Att komplettera:[^\]]*\]")
SECTION_KEYS = [key for key, _ in DRAFT_SECTIONS]

# ----------------------------------------------------------------------------- checks shared by all tests


def unmarked(markdown: str) -> list[str]:
    """Sentences and table rows that neither cite a source nor say what is missing."""
    out = []
    for block in markdown.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines or lines[0].startswith("#"):
            continue
        if lines[0].startswith("|"):
            out += [row for row in lines[2:] if not MARKER.search(row) and not GAP.search(row)]
            continue
        for sentence in split_sentences(GAP.sub("", block)):
            if not MARKER.search(sentence) and sentence.strip(" .-"):
                out.append(sentence)
    return out


def check_citations(draft: Draft, service: Service, scopes: Sequence[str]) -> None:
    """Every marker resolves, numbers run 1..k by first appearance, every quote stands in its chunk."""
    text = "\n".join(s.markdown for s in draft.sections)
    used = [int(n) for n in MARKER.findall(text)]
    assert [c.n for c in draft.citations] == list(range(1, len(draft.citations) + 1))
    assert list(dict.fromkeys(used)) == [c.n for c in draft.citations], "numbered by first appearance"
    assert len({(c.source_id, c.quote) for c in draft.citations}) == len(draft.citations), "one number per source"
    chunks = service.index.lexical.passages([c.source_id for c in draft.citations], list(scopes))
    for c in draft.citations:
        assert c.source_id in chunks, c
        assert c.quote and c.quote in chunks[c.source_id].text, (c.n, c.quote)
        assert c.scope in scopes and c.title == chunks[c.source_id].title


def sections(draft: Draft) -> dict[str, str]:
    return {s.key: s.markdown for s in draft.sections}


def table_rows(markdown: str, first_header: str) -> list[list[str]]:
    """Data rows of the Markdown tables whose first header is `first_header`."""
    rows = []
    for block in markdown.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith(f"| {first_header} |"):
            rows += [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]]
    return rows


def number(cell: str) -> float:
    return float(cell.replace(" ", "").replace("\u00a0", "").replace(",", "."))


def cited_in(draft: Draft, path_part: str) -> dict[str, set[int]]:
    """Section key → markers in that section that resolve to a document whose path holds `path_part`."""
    wanted = {c.n for c in draft.citations if path_part in c.path}
    return {s.key: {int(n) for n in MARKER.findall(s.markdown)} & wanted for s in draft.sections}


# ----------------------------------------------------------------------------- a small corpus


SURVEY_ROWS = [  # kommun, employer, ssyk, yrke, behov 12, behov 3, svårighet
    *[("Åsele", f"Omsorg {i} AB", "5321", "Undersköterskor", 2 + i, 5 + i, 4 + i % 2) for i in range(6)],
    *[("Åsele", f"Åkeri {i} AB", "8332", "Lastbilsförare", 1 + i, 3 + i, 5 - i % 3) for i in range(5)],
    ("Åsele", "Sjukstugan", "2221", "Grundutbildade sjuksköterskor", 9, 16, 5),
    ("Åsele", "Vårdcentralen", "2221", "Grundutbildade sjuksköterskor", 2, 4, 3),
    ("Åsele", "Skolan", "2341", "Grundskollärare", 3, 7, 2),
    *[("Dorotea", f"Dorotea omsorg {i}", "5321", "Undersköterskor", 1, 2, 3) for i in range(5)],
]
SECRET_INTERN = "Hemlighetsfulla Åkeriet AB"
SECRET_PROTOKOLL = "Tre av deltagarna kommer från Åsele"
OLD_INSATS = "Kampanjen Flytta hem till Åsele"
OLD_HALLBARHET = "Planen ska bidra till en jämställd arbetsmarknad för kvinnor och män i Åsele"


def _plan_docx(path: Path, title: str, meta: Sequence[str], body: Sequence[tuple[str, Any]]) -> None:
    document = docx.Document()
    document.add_heading(title, level=0)
    for line in meta:
        document.add_paragraph(line)
    for kind, content in body:
        if kind in ("h1", "h2"):
            document.add_heading(content, level=1 if kind == "h1" else 2)
        elif kind == "p":
            document.add_paragraph(content)
        else:
            table = document.add_table(rows=len(content), cols=len(content[0]))
            for i, row in enumerate(content):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


INSATS_HEADER = ("Insats", "Ansvarig", "Tidplan", "Koppling till bristyrke")


def build_corpus(root: Path) -> None:
    corpus = root / "corpus"
    entries = [
        ("strategi/rus.md", "RUS Västerbotten 2020–2030 (utdrag)", "strategi", None, "publik", None),
        ("agenda/agenda.md", "Agenda för kompetensförsörjning 2024–2030", "agenda", None, "publik", None),
        ("lardomar/branschrad.md", "Lärdom: Branschråd i inlandet", "lardom", None, "publik", None),
        ("enkat/sammanstallning.md", "Arbetsgivarenkät – publik sammanställning", "enkat", None, "publik", None),
        ("enkat/svar.csv", "Arbetsgivarenkät – råsvar", "enkat", None, "projekt", None),
        ("bristlista/barometer.csv", "Yrkesbarometer län 24", "bristlista", None, "publik", None),
        ("handlingsplaner/asele-2025.docx", "Handlingsplan 2025 – Åsele kommun", "handlingsplan", "Åsele", "publik",
         "handlingsplaner/asele-2024.docx"),
        ("handlingsplaner/asele-2024.docx", "Handlingsplan 2024 – Åsele kommun (arbetsversion)", "handlingsplan",
         "Åsele", "projekt", None),
        ("handlingsplaner/dorotea-2025.docx", "Handlingsplan 2025 – Dorotea kommun", "handlingsplan", "Dorotea",
         "publik", None),
        ("intern/anteckningar.md", "Intervjuanteckningar Åsele", "protokoll", "Åsele", "kommun:asele", None),
        ("protokoll/arbetsgrupp.md", "Protokoll regional arbetsgrupp", "protokoll", None, "projekt", None),
    ]
    manifest = {"documents": [{"path": p, "title": t, "type": ty, "kommun": k, "year": 2025, "scope": s,
                               "replaces": r} for p, t, ty, k, s, r in entries]}
    write(corpus / "manifest.yaml", yaml.safe_dump(manifest, allow_unicode=True))
    write(corpus / "strategi/rus.md", (
        "# Regional utvecklingsstrategi\n\n## 6.1 Kapacitet för samverkan och samhandling\n\n"
        "Kompetensförsörjning är ett gemensamt ansvar som ingen aktör klarar ensam. För att resurserna ska räcka "
        "krävs att aktörerna samhandlar: planerar, genomför och följer upp insatser tillsammans.\n\n"
        "## Målbild 2030\n\n- Länets arbetsgivare har tillgång till den kompetens de behöver, och kompetensbehoven "
        "är kända och analyserade.\n- Det finns hållbara strukturer för samverkan om kompetensförsörjning.\n\n"
        "## Inriktningar\n\nKvinnor och män ska ha samma makt att forma samhället, och den könsuppdelade "
        "arbetsmarknaden ska brytas.\n"))
    write(corpus / "agenda/agenda.md", (
        "# Agenda\n\n## 4.1 Sammanhållet kompetensförsörjningsarbete\n\nMålet är ett sammanhållet "
        "kompetensförsörjningsarbete där behoven samlas in, analyseras och omsätts i konkreta handlingsplaner som "
        "följs upp.\n\n## 4.4 Regional struktur för validering\n\nArbetsgivare ska involveras i validering av "
        "befintlig personal, särskilt inom vård och omsorg.\n"))
    write(corpus / "lardomar/branschrad.md", (
        "# Lärdom: Branschråd i inlandet\n\n## Vad vi gjorde\n\nKompetensmäklarna i Dorotea, Vilhelmina och Åsele "
        "startade ett gemensamt branschråd för transport och skog. Tillsammans räckte behoven för en gemensam "
        "yrkesförarutbildning inom regionalt yrkesvux.\n\n## Kontakt\n\nRegional samordnare för projektet, "
        "Region Västerbotten.\n"))
    write(corpus / "enkat/sammanstallning.md", (
        "# Sammanställning\n\n## Sammanfattning\n\nI inlandskommunerna Dorotea, Vilhelmina och Åsele har 82 "
        "procent av arbetsgivarna svårt att rekrytera.\n"))
    lines = ["Svars-ID,Kommun,Arbetsgivare,SSYK-kod,Yrke,Rekryteringsbehov 12 mån,Rekryteringsbehov 3 år,"
             "Svårighet att rekrytera"]
    lines += [f"S{i:03d},{k},{e},{c},{y},{b12},{b3},{sv}" for i, (k, e, c, y, b12, b3, sv) in enumerate(SURVEY_ROWS)]
    write(corpus / "enkat/svar.csv", "\n".join(lines) + "\n")
    write(corpus / "bristlista/barometer.csv", (
        "ssyk,yrke,rekryteringssituation,prognos,text\n"
        "5321,Undersköterskor,brist,öka,I länet bedöms rekryteringssituationen för undersköterskor kännetecknas av brist.\n"
        "8332,Lastbilsförare,brist,öka,I länet bedöms rekryteringssituationen för lastbilsförare kännetecknas av brist.\n"
        "2221,Grundutbildade sjuksköterskor,brist,öka,I länet bedöms rekryteringssituationen för sjuksköterskor "
        "kännetecknas av brist.\n"))
    _plan_docx(corpus / "handlingsplaner/asele-2025.docx", "Handlingsplan för kompetensförsörjning 2025 – Åsele kommun",
               ["Gäller från 2025-06-19 till och med 2026-06-30. Revideras årligen.",
                "Ansvarig: kommunchefen. Kontaktperson: Kim Testsson, kompetensmäklare, Åsele kommun."], [
        ("h1", "1 Inledning"), ("h2", "1.1 Syfte"),
        ("p", "Handlingsplanen beskriver Åsele kommuns behov av kompetens och vilka insatser som ska genomföras "
              "under året. Planen ska göra det tydligt vem som ansvarar för vad."),
        ("h2", "1.2 Koppling till regionala mål"),
        ("p", "Planen bidrar till prioritering 6 i den regionala utvecklingsstrategin, särskilt delprioritering 6.1 "
              "Kapacitet för samverkan och samhandling, och till avsnitt 4.1 Sammanhållet "
              "kompetensförsörjningsarbete i agendan."),
        ("h1", "2 Nuläge i Åsele"),
        ("p", "Åsele kommun hade 2 694 invånare den 31 december 2024. Kommunen är den största arbetsgivaren i Åsele."),
        ("h1", "3 Behov och bristyrken"), ("h2", "3.2 Jämförelse med yrkesbarometern"),
        ("p", "Yrkesbarometern bedömer att det råder brist på undersköterskor och lastbilsförare i länet."),
        ("h2", "3.3 Prioriterade bristyrken"),
        ("p", "Åsele kommun prioriterar följande bristyrken under planperioden:"),
        ("p", "Undersköterskor (SSYK 5321)"), ("p", "Lastbilsförare (SSYK 8332)"),
        ("h1", "4 Prioriterade insatser"),
        ("table", [INSATS_HEADER,
                   ("Validering av vårdbiträden mot undersköterskekompetens", "Åsele kommun, vård och omsorg",
                    "Start 2025-09-01, avslut 2026-05-31", "Undersköterskor (5321)"),
                   ("Yrkesförarutbildning C/CE inom regionalt yrkesvux", "Vuxenutbildningen i Vilhelmina",
                    "Utbildningsstart 2026-01-12", "Lastbilsförare (8332)"),
                   ("Kartläggning av lärarbehov i grundskolan", "", "", "Grundskollärare (2341)")]),
        ("p", "Insatserna har valts för att möta de största behoven i enkäten."),
        ("h1", "5 Uppföljning"),
        ("p", "Kompetensmäklaren följer upp insatserna varje kvartal och rapporterar till den regionala "
              "arbetsgruppen."),
        ("table", [("Indikator", "Utgångsläge 2025", "Målnivå våren 2026", "Källa"),
                   ("Antal påbörjade valideringar", "0", "Minst 6", "Vård och omsorg")]),
        ("h1", "6 Hållbarhetsanalys"), ("h2", "6.1 Jämställdhet"),
        ("p", "Vård och omsorg domineras av kvinnor och transport av män. Deltagandet i alla insatser redovisas "
              "uppdelat på kön."),
        ("h2", "6.2 Mångfald och inkludering"),
        ("p", "Valideringen ger medarbetare med utländsk bakgrund en väg till fast anställning."),
        ("h2", "6.4 Den dubbla omställningen"),
        ("p", "Välfärdsteknik och digitala arbetssätt ingår i valideringen av undersköterskor."),
    ])
    _plan_docx(corpus / "handlingsplaner/asele-2024.docx", "Handlingsplan 2024 – Åsele kommun (arbetsversion)",
               ["Arbetsversion från förstudien."], [
        ("h1", "1 Bakgrund"),
        ("p", "Den här arbetsversionen togs fram i förstudien för att pröva arbetssättet innan projektet startade."),
        ("h1", "4 Insatser 2024"),
        ("table", [INSATS_HEADER, (OLD_INSATS, "Kommunledningskontoret", "Våren 2024", "Sjuksköterskor (2221)")]),
        ("h1", "6 Hållbarhet"), ("h2", "6.1 Jämställdhet"), ("p", OLD_HALLBARHET + "."),
    ])
    _plan_docx(corpus / "handlingsplaner/dorotea-2025.docx", "Handlingsplan 2025 – Dorotea kommun", [], [
        ("h1", "4 Prioriterade insatser"),
        ("table", [INSATS_HEADER, ("Gemensam vikariepool med Åsele kommun", "Socialcheferna i Dorotea och Åsele",
                                   "Avtal klart 2026-03-31", "Undersköterskor (5321)")]),
    ])
    write(corpus / "intern/anteckningar.md", (
        "# Intervjuanteckningar Åsele\n\n## Sammanfattning inför handlingsplanen\n\n"
        f"- {SECRET_INTERN} behöver förare och vill ta emot praktikanter.\n"
        "- Validering av befintlig personal är den insats som arbetsgivarna själva efterfrågar.\n"))
    write(corpus / "protokoll/arbetsgrupp.md", (
        "# Protokoll regional arbetsgrupp\n\n## § 5 Regionalt yrkesvux\n\nYrkesförarutbildningen har beviljats "
        f"och startar den 12 januari 2026 i Vilhelmina. {SECRET_PROTOKOLL}.\n"))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("draftcorpus")
    build_corpus(root)
    service = Service(make_settings(root / "data"))
    with contextlib.chdir(root):
        report = service.ingest([root / "corpus"])
    assert not report.failed, [o.message for o in report.outcomes]
    yield service
    service.index.lexical.close()


def make(service: Service, kommun: str = "Åsele", scopes: Sequence[str] = EVERYONE,
         avsnitt: Sequence[str] | None = None, access: str = "publik", today: date = TODAY) -> Draft:
    return drafting.draft(service.deps, kommun, avsnitt, tuple(scopes), today=today, access=access)


# ----------------------------------------------------------------------------- fast tests


def test_all_sections_in_plan_order_every_sentence_cited_or_marked(small: Service):
    draft = make(small)
    assert [s.key for s in draft.sections] == SECTION_KEYS
    assert [s.heading for s in draft.sections] == [h for _, h in DRAFT_SECTIONS]
    assert (draft.kommun, draft.year, draft.generated, draft.mode) == ("Åsele", 2026, "2025-12-01", "extraktiv")
    assert draft.access == "publik" and draft.period.startswith("2026")
    for section in draft.sections:
        assert section.markdown.strip(), section.key
        assert unmarked(section.markdown) == [], section.key
        assert section.gaps == len(GAP.findall(section.markdown))
    check_citations(draft, small, EVERYONE)


def test_missing_evidence_is_marked_not_invented(small: Service):
    hallbarhet = sections(make(small))["hallbarhet"]
    assert "### Miljö och klimat\n\n[Att komplettera: insatsernas påverkan på miljö och klimat i Åsele" in hallbarhet
    draft = sections(make(small))
    assert "- **[Att komplettera: ansvarig anges inte i källan]**: Kartläggning av lärarbehov" in draft["ansvar"]
    row = next(r for r in table_rows(draft["tidplan"], "Tidpunkt") if r[1].startswith("Kartläggning av lärarbehov"))
    assert row[0] == "[Att komplettera: tidpunkt anges inte i källan]"


def test_a_kommun_without_evidence_gets_a_draft_of_gaps(small: Service):
    draft = make(small, kommun="lycksele")
    assert draft.kommun == "Lycksele" and [s.key for s in draft.sections] == SECTION_KEYS
    assert all(unmarked(s.markdown) == [] for s in draft.sections)
    assert sum(s.gaps for s in draft.sections) >= 10
    check_citations(draft, small, EVERYONE)


def test_survey_table_equals_pandas_over_the_raw_answers(small: Service):
    nulage = sections(make(small, access="intern"))["nulage"]  # intern: the small groups are shown too
    frame = pd.DataFrame(SURVEY_ROWS, columns=["kommun", "employer", "ssyk", "yrke", "b12", "b3", "svar"])
    asele = frame[frame.kommun == "Åsele"]
    expected = asele.groupby("ssyk").agg(n=("employer", "size"), b12=("b12", "sum"), b3=("b3", "sum"))
    rows = {re.search(r"\((\d{4})\)$", r[0]).group(1): r for r in table_rows(nulage, "Yrke (SSYK)") if "(" in r[0]}
    assert set(rows) == set(expected.index)
    for code, row in rows.items():
        assert [number(row[1]), number(row[2]), number(row[3])] == list(expected.loc[code, ["n", "b12", "b3"]]), code
    total = next(r for r in table_rows(nulage, "Yrke (SSYK)") if r[0] == "Totalt")
    assert [number(x) for x in total[1:4]] == [len(asele), asele.b12.sum(), asele.b3.sum()]
    hard = (asele.svar >= 4).sum() / len(asele)
    assert total[4] == f"{int(hard * 100 + 0.5)} %"
    assert f"svarade {len(asele)} arbetsgivare i Åsele (n = {len(asele)} svar)" in nulage
    assert rows["5321"][5].startswith("brist") and rows["2341"][5] == "–"


def test_small_groups_are_hidden_in_a_public_draft_whatever_the_caller_holds(small: Service):
    for scopes in (["projekt", "publik"], EVERYONE):
        hidden = {r[0]: r for r in table_rows(sections(make(small, scopes=scopes))["nulage"], "Yrke (SSYK)")}
        assert hidden["Grundutbildade sjuksköterskor (2221)"][1:5] == ["för få svar"] * 4
        assert hidden["Lastbilsförare (8332)"][1] == "5"
    shown = {r[0]: r for r in table_rows(sections(make(small, access="intern"))["nulage"], "Yrke (SSYK)")}
    assert shown["Grundutbildade sjuksköterskor (2221)"][1:4] == ["2", "11", "20"]
    assert "Internt underlag – ej för publicering" in shown["Grundutbildade sjuksköterskor (2221)"][6]
    assert "Internt underlag" not in shown["Lastbilsförare (8332)"][6]


def test_public_draft_holds_only_public_evidence(small: Service):
    draft = make(small, scopes=["publik"])
    assert draft.citations and {c.scope for c in draft.citations} == {"publik"}
    check_citations(draft, small, ["publik"])
    docx_text = _docx_text(to_docx(draft))
    for text in (draft.markdown(), json.dumps(draft.to_dict(), ensure_ascii=False), docx_text):
        for secret in ("Arbetsgivarenkät – råsvar", "Intervjuanteckningar", "Protokoll regional arbetsgrupp",
                       "Handlingsplan 2024", SECRET_INTERN, SECRET_PROTOKOLL, OLD_INSATS, "Omsorg 0 AB"):
            assert secret not in text
    nulage = sections(draft)["nulage"]
    assert "[Att komplettera: rekryteringsbehov per yrke i Åsele" in nulage
    assert "82 procent av arbetsgivarna svårt att rekrytera" in nulage


def test_replaced_plan_is_only_history_in_bakgrund(small: Service):
    draft = make(small)
    cited = cited_in(draft, "asele-2024")
    assert cited["bakgrund"] and not any(cited[key] for key in SECTION_KEYS if key != "bakgrund")
    bakgrund = sections(draft)["bakgrund"]
    assert "### Tidigare plan (ersatt, endast som historik)" in bakgrund
    assert "Den här arbetsversionen togs fram i förstudien" in bakgrund
    for key, text in sections(draft).items():
        assert OLD_INSATS not in text
        assert key == "bakgrund" or OLD_HALLBARHET not in text


def test_replaced_documents_by_manifest_link_or_expired_older_version():
    def doc(doc_id: str, **kw: Any) -> DocumentInfo:
        return DocumentInfo(doc_id, doc_id, doc_id, kw.pop("type", "handlingsplan"), "publik", 1, "h", **kw)

    docs = [doc("new", kommun="Dorotea", valid_from="2025-06-17", replaces="old"), doc("old", kommun="Dorotea"),
            doc("v1", kommun="Umeå", valid_from="2024-01-01", valid_to="2024-12-31"),
            doc("v2", kommun="Umeå", valid_from="2025-01-01"),
            doc("rus", type="strategi", valid_from="2020-01-01", valid_to="2030-12-31")]
    assert replaced_documents(docs) == {"old", "v1"}


def test_one_number_per_passage_across_sections(small: Service):
    draft = make(small)
    by_section = {s.key: set(MARKER.findall(s.markdown)) for s in draft.sections}
    plan_rows = {str(c.n) for c in draft.citations if "asele-2025" in c.path and "Insats:" in c.quote}
    assert plan_rows and plan_rows <= by_section["insatser"] & by_section["ansvar"] & by_section["tidplan"]


def test_tidplan_is_ordered_and_flags_past_dates(small: Service):
    tidplan = sections(make(small))["tidplan"]
    rows = table_rows(tidplan, "Tidpunkt")
    assert [r[0] for r in rows] == ["Start 2025-09-01, avslut 2026-05-31", "Utbildningsstart 2026-01-12",
                                    "Avtal klart 2026-03-31", "[Att komplettera: tidpunkt anges inte i källan]"]
    assert "Uppföljning av föregående plan" not in tidplan
    later = sections(make(small, today=date(2026, 11, 23)))
    assert [r[:2] for r in table_rows(later["tidplan"], "Tidpunkt")] == [
        ["[Att komplettera: tidpunkt anges inte i källan]", "Kartläggning av lärarbehov i grundskolan"]]
    assert "[Att komplettera: tidpunkter under 2027 för de insatser som fortsätter" in later["tidplan"]


def test_joint_insatser_of_neighbours_name_the_kommun(small: Service):
    insatser = sections(make(small))["insatser"]
    joint = table_rows(insatser, "Insats")
    assert any(r[0] == "Gemensam vikariepool med Åsele kommun" and r[2] == "Dorotea" for r in joint)


def test_requested_sections_come_in_plan_order(small: Service):
    draft = make(small, avsnitt=["Tidplan", "nulage"])
    assert [s.key for s in draft.sections] == ["nulage", "tidplan"]
    check_citations(draft, small, EVERYONE)


@pytest.mark.parametrize("kommun,avsnitt,message", [
    ("Stockholm", None, "Okänd kommun 'Stockholm'. Välj en av länets kommuner: Bjurholm"),
    ("Åsele", ["budget"], "Okänt avsnitt 'budget'. Välj bland: bakgrund, nulage"),
])
def test_bad_requests_are_swedish_errors(small: Service, kommun: str, avsnitt: list[str] | None, message: str):
    with pytest.raises(KompetensError, match=re.escape(message)):
        make(small, kommun=kommun, avsnitt=avsnitt)


class CountingEmbedder:
    """The real (hash) embedder, counting query batches."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.query_batches: list[int] = []

    def embed_batch(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if kind == "query":
            self.query_batches.append(len(texts))
        return self.inner.embed_batch(texts, kind)


def test_all_retrieval_queries_are_embedded_in_one_batch(small: Service):
    counting = CountingEmbedder(create_embedder(small.settings.embed))
    service = Service(small.settings, embedder=counting)
    make(service)
    assert len(counting.query_batches) == 1 and counting.query_batches[0] >= 10


def test_pdf_lines_are_unwrapped_but_list_items_and_headings_stay():
    text = ("Lokal handlingsplan inom projektet\nFastställd av kommunstyrelsen.\nSammanlagt\nbehöver de 600 "
            "personer.\nDe 9\nIT-företag svarade.\nInom området ska:\n• bygga strukturer;\n• sprida lärdomar.")
    assert unwrap(text).splitlines() == [
        "Lokal handlingsplan inom projektet", "Fastställd av kommunstyrelsen.", "Sammanlagt behöver de 600 personer.",
        "De 9 IT-företag svarade.", "Inom området ska:", "• bygga strukturer;", "• sprida lärdomar."]


# ----------------------------------------------------------------------------- the LLM rewrite


@pytest.fixture
def llm_service(small: Service) -> Iterator[tuple[Service, OpenAIServer]]:
    with openai_server() as server:
        settings = make_settings(small.settings.data_dir, llm={"provider": "openai", "base_url": server.url,
                                                               "model": MODEL, "timeout_s": 5, "retries": 0})
        yield Service(settings), server


def test_llm_rewrite_passes_the_citation_check(llm_service: tuple[Service, OpenAIServer], small: Service):
    service, server = llm_service
    draft = make(service)
    assert draft.mode == "llm" and not draft.fallback
    assert draft.markdown() != make(small).markdown()
    check_citations(draft, service, EVERYONE)
    assert all(unmarked(s.markdown) == [] for s in draft.sections)
    bodies = server.chat_requests()
    assert bodies and "handlingsplan" in bodies[0]["messages"][0]["content"]
    assert "Kommun: Åsele" in bodies[0]["messages"][1]["content"]
    assert "survey" not in json.dumps(bodies) and "Omsorg 0 AB" not in json.dumps(bodies)  # tables are not sent


@pytest.mark.parametrize("mode", ["invented", "none", "error"])
def test_failed_rewrite_falls_back_to_the_extractive_sections(llm_service: tuple[Service, OpenAIServer],
                                                              small: Service, mode: str):
    service, server = llm_service
    server.reply_with(mode)
    draft = make(service)
    assert draft.fallback and draft.mode == "extraktiv"
    assert draft.sections == make(small).sections
    check_citations(draft, service, EVERYONE)


# ----------------------------------------------------------------------------- the command line


def test_cli_writes_markdown_json_and_docx(small: Service, tmp_path: Path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KOMPETENS_DATA_DIR": str(small.settings.data_dir), "KOMPETENS_EMBED_BACKEND": "hash"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "assistant.interfaces.cli", "draft", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    md = run("--kommun", "asele", "--avsnitt", "nulage", "--scope", "publik")
    assert md.returncode == 0 and md.stdout.startswith("# Handlingsplan") and "## 1. Nuläge" in md.stdout
    as_json = json.loads(run("-k", "Åsele", "-a", "tidplan", "--json").stdout)
    assert [s["key"] for s in as_json["sections"]] == ["tidplan"] and as_json["citations"]
    out = run("-k", "Åsele", "--format", "docx", "-o", "plan.docx")
    assert out.returncode == 0 and "plan.docx" in out.stderr
    assert "Åsele kommun – " in _docx_text((tmp_path / "plan.docx").read_bytes())
    bad = run("-k", "Åsele", "--format", "pdf")
    assert bad.returncode == 2 and "md eller docx" in bad.stderr


def _docx_text(data: bytes) -> str:
    import io

    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# ----------------------------------------------------------------------------- the sample corpus (e5)

PARTNERS = list(PARTNER_KOMMUNER)


@pytest.fixture(scope="session")
def e5_service() -> Iterator[Service]:
    """The sample corpus in the shared e5 index (incremental: an index already built is reused)."""
    service = Service(Settings(data_dir=E5_INDEX, embed={"backend": "e5"}, llm={"provider": "none"}))
    with contextlib.chdir(REPO):
        report = service.ingest([REPO / "corpus"])
    assert not report.failed, [o.message for o in report.outcomes if o.status == "misslyckad"]
    yield service


def _non_public(service: Service) -> list[DocumentInfo]:
    return [d for d in service.sources(EVERYONE) if d.scope != "publik"]


@pytest.mark.integration
@pytest.mark.parametrize("kommun", PARTNERS)
def test_sample_corpus_draft_for_each_partner(e5_service: Service, kommun: str):
    draft = make(e5_service, kommun=kommun)
    assert [s.key for s in draft.sections] == SECTION_KEYS
    for section in draft.sections:
        assert unmarked(section.markdown) == [], (kommun, section.key)
    check_citations(draft, e5_service, EVERYONE)
    own = [c for c in draft.citations if c.kommun == kommun and "handlingsplan" in c.path]
    assert own, "the kommun's own plan is cited"
    assert table_rows(sections(draft)["nulage"], "Yrke (SSYK)"), "survey table computed"


@pytest.mark.integration
def test_sample_survey_figures_equal_pandas_over_the_xlsx(e5_service: Service):
    frame = pd.read_excel(REPO / "corpus/enkat/arbetsgivarenkat-2025.xlsx", sheet_name="Svar")
    for kommun in PARTNERS:
        rows = table_rows(sections(make(e5_service, kommun=kommun, avsnitt=["nulage"]))["nulage"], "Yrke (SSYK)")
        base = frame[frame["Kommun"] == kommun]
        grouped = base.groupby("SSYK-kod").agg(n=("Svars-ID", "size"), b12=("Rekryteringsbehov 12 mån", "sum"),
                                               b3=("Rekryteringsbehov 3 år", "sum"))
        for row in rows:
            code = re.search(r"\((\d{4})\)$", row[0])
            if code and row[1] == "för få svar":  # a public draft hides groups under five respondents
                assert base[base["SSYK-kod"] == int(code.group(1))]["Arbetsgivare"].nunique() < 5, (kommun, row)
            elif code:
                expected = grouped.loc[int(code.group(1))]
                assert expected.n >= 5, (kommun, row)
                assert [number(c) for c in row[1:4]] == [expected.n, expected.b12, expected.b3], (kommun, row)
        total = next(r for r in rows if r[0] == "Totalt")
        assert [number(c) for c in total[1:4]] == [len(base), base["Rekryteringsbehov 12 mån"].sum(),
                                                   base["Rekryteringsbehov 3 år"].sum()]
        assert total[4] == f"{int((base['Svårighet att rekrytera'] >= 4).mean() * 100 + 0.5)} %"


@pytest.mark.integration
@pytest.mark.parametrize("kommun", PARTNERS)
def test_sample_public_draft_shows_nothing_non_public(e5_service: Service, kommun: str):
    draft = make(e5_service, kommun=kommun, scopes=["publik"])
    assert {c.scope for c in draft.citations} == {"publik"}
    check_citations(draft, e5_service, ["publik"])
    hidden = _non_public(e5_service)
    assert hidden
    secret_chunks = e5_service.index.lexical.passages(
        [cid for d in hidden for cid in e5_service.index.lexical.passage_ids(d.doc_id)], EVERYONE)
    for text in (draft.markdown(), json.dumps(draft.to_dict(), ensure_ascii=False), _docx_text(to_docx(draft))):
        for doc in hidden:
            assert doc.title not in text and doc.path not in text
        for word in ("Åsele Åkeri AB", "Hälla Transport", "Annika Forslund", "Nadia Rahimi", "Svars-ID"):
            assert word not in text
    public_text = "\n".join(c.quote for c in draft.citations)
    assert not any(len(p.text) > 80 and p.text[:80] in public_text for p in secret_chunks.values())


@pytest.mark.integration
def test_sample_dorotea_2024_plan_is_cited_only_as_history(e5_service: Service):
    draft = make(e5_service, kommun="Dorotea")
    cited = cited_in(draft, "dorotea-2024")
    assert cited["bakgrund"] and not any(cited[key] for key in SECTION_KEYS if key != "bakgrund")
    for other in ("Åsele", "Vilhelmina"):
        assert not any(cited_in(make(e5_service, kommun=other), "dorotea-2024").values())


@pytest.mark.integration
def test_sample_draft_is_fast_when_warm(e5_service: Service):
    make(e5_service, kommun="Åsele")
    start = time.perf_counter()
    make(e5_service, kommun="Vilhelmina")
    assert time.perf_counter() - start < 5.0
