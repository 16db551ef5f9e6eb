"""Drafts a coordinator can send on (issue 11): publication-safe by default, current, whole, no repetition.

Fast tests draft from a small corpus on the hash embedder (the one of `test_drafting`, plus an older
protocol whose pending status a newer one overtakes and a sentence pointing at its source's table).
Integration tests draft for every partner kommun from the e5 index of the sample corpus with a
caller holding every scope, and check the rules independently of the code under test.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date

import docx
import pandas as pd
import pytest
import yaml

from assistant.draft import pipeline as drafting
from assistant.draft.docx import to_docx
from assistant.errors import InvalidDraftRequest, ScopeDenied
from assistant.records import INTERNAL_MARK, Draft
from assistant.scopes import PARTNER_KOMMUNER, all_scopes
from assistant.service import Service
from assistant.text.sentences import split_sentences
from tests.conftest import REPO, make_settings, write
from tests.test_drafting import SECRET_INTERN, build_corpus, e5_service, table_rows  # noqa: F401 (fixture)

EVERYONE = all_scopes()
BEFORE = date(2025, 12, 1)  # the small corpus's 2026 dates lie ahead
AFTER = date(2026, 11, 23)  # ... and have passed
MARKER = re.compile(r"\[(\d+)\]")
OLD_STATUS = "Ansökan om yrkesförarutbildningen för deltagare från Åsele är inlämnad till regionalt yrkesvux"
TABLE_REFERENCE = "Samtliga fyra yrken i tabellen ovan bedöms som bristyrken i länet"
# Dates as a reader sees them: ISO dates and months, "12 januari 2026", "våren 2026".
_MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
_DATE = re.compile(rf"\b(20\d\d)-(\d\d)(?:-(\d\d))?\b|\b(?:(\d{{1,2}}) )?({_MONTHS}) (20\d\d)\b"
                   r"|\b(?:våren|sommaren|hösten) (20\d\d)\b")
_PLAN = re.compile(r"\b(ska|planeras|startar|start|genomförs|senast|klar|avslut\w*|mål\w*|revideras|gäller|inför)\b",
                   re.IGNORECASE)
HISTORY_HEADINGS = ("### Uppföljning av föregående plan", "### Tidigare plan", "### Gällande plan")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("publication")
    build_corpus(root)
    corpus = root / "corpus"
    manifest = yaml.safe_load((corpus / "manifest.yaml").read_text(encoding="utf-8"))
    for entry in manifest["documents"]:
        if entry["path"] == "protokoll/arbetsgrupp.md":
            entry["valid_from"] = "2025-11-19"
    manifest["documents"].append({"path": "protokoll/arbetsgrupp-sept.md", "title": "Protokoll september",
                                  "type": "protokoll", "kommun": None, "year": 2025, "scope": "projekt",
                                  "valid_from": "2025-09-10", "replaces": None})
    write(corpus / "manifest.yaml", yaml.safe_dump(manifest, allow_unicode=True))
    write(corpus / "protokoll/arbetsgrupp-sept.md", (
        "# Protokoll september\n\n## § 4 Regionalt yrkesvux\n\n"
        f"{OLD_STATUS}. Beslut väntas under hösten.\n"))
    plan = corpus / "handlingsplaner/asele-2025.docx"
    document = docx.Document(str(plan))
    for paragraph in document.paragraphs:
        if paragraph.text.startswith("Yrkesbarometern bedömer"):
            paragraph.add_run(f" {TABLE_REFERENCE}.")
    document.save(str(plan))
    service = Service(make_settings(root / "data"))
    with contextlib.chdir(root):
        report = service.ingest([corpus])
    assert not report.failed, [o.message for o in report.outcomes]
    yield service
    service.index.lexical.close()


def make(service: Service, kommun: str = "Åsele", access: str = "publik", today: date = BEFORE,
         scopes: tuple[str, ...] = EVERYONE, year: int | None = None) -> Draft:
    return drafting.draft(service.deps, kommun, None, scopes, today=today, access=access, year=year)


# ----------------------------------------------------------------------------- checks


def lines_of(draft: Draft) -> list[tuple[str, str, str]]:
    """(section key, subheading, line) for every text line and table row of the draft."""
    out = []
    for section in draft.sections:
        heading = ""
        for line in section.markdown.splitlines():
            if line.startswith("###") and not line.startswith("####"):
                heading = line
            elif line.strip() and not line.startswith("#") and not re.match(r"\|\s*(-+\s*\|)+$", line):
                out.append((section.key, heading, line))
    return out


def sentences(draft: Draft) -> list[str]:
    """Sentences of the draft's prose and lists, markers and internal marks removed."""
    out = []
    for _, _, line in lines_of(draft):
        if line.startswith("|"):
            continue
        for sentence in split_sentences(line.lstrip("- ")):
            clean = MARKER.sub("", sentence.replace(f"**[{INTERNAL_MARK}]**", "")).strip(" .")
            if len(clean) > 25 and not clean.startswith("[Att komplettera"):
                out.append(clean)
    return out


def internal_numbers(draft: Draft) -> set[int]:
    return {c.n for c in draft.citations if c.scope.startswith("kommun:")}


def check_publication(draft: Draft) -> None:
    """No internal source, sentence or mark anywhere in a default (public) draft."""
    assert draft.access == "publik" and not any(s.startswith("kommun:") for s in draft.scopes)
    assert not internal_numbers(draft), [c.title for c in draft.citations if c.scope.startswith("kommun:")]
    assert INTERNAL_MARK not in draft.markdown()
    for section in draft.sections:
        assert all(source.scope in ("publik", "projekt") for source in section.sources), section.key


def check_marks(draft: Draft) -> None:
    """Every line that cites internal material carries the internal mark (next to that citation)."""
    internal = internal_numbers(draft)
    for key, _, line in lines_of(draft):
        for piece in re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", line):
            cited = {int(n) for n in MARKER.findall(piece)}
            if cited & internal:
                assert INTERNAL_MARK in piece, (key, piece)


def check_current(draft: Draft, today: date) -> None:
    """Outside the follow-up and history subsections, no plan line or table row names a passed date."""
    for key, heading, line in lines_of(draft):
        if heading.startswith(HISTORY_HEADINGS) or (key == "bakgrund" and heading == ""):
            continue
        # A fact about the past ("hade 2 694 invånare den 31 december 2024") is no plan; a table row is.
        pieces = [line.split("| [")[0]] if line.startswith("|") else \
            [s for s in split_sentences(line.lstrip("- ")) if _PLAN.search(s)]
        for piece in pieces:
            found = [_as_date(m) for m in _DATE.finditer(piece)]
            assert not found or max(found) >= today, (key, heading, piece)


def _as_date(m: re.Match[str]) -> date:
    if m.group(1):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 28))
    if m.group(6):
        month = _MONTHS.split("|").index(m.group(5).lower()) + 1
        return date(int(m.group(6)), month, int(m.group(4) or 28))
    return date(int(m.group(7)), 12, 31)  # a season: the latest it can mean


def check_no_duplicates(draft: Draft) -> None:
    repeated = [s for s, n in Counter(sentences(draft)).items() if n > 1]
    assert not repeated, repeated


def check_rows_cite_themselves(draft: Draft) -> None:
    """Each plan-table row cites a quote holding its first cell; each survey row's barometer citation
    quotes that yrke's own row."""
    quotes = {c.n: c.quote for c in draft.citations}
    for section in draft.sections:
        for first in ("Insats", "Tidpunkt", "Indikator"):
            for row in table_rows(section.markdown, first):
                name = row[1] if first == "Tidpunkt" else row[0]
                name = re.sub(r" \(plan för \w+\)$", "", name)
                refs = [int(n) for n in MARKER.findall(row[-1])]
                assert refs and any(name in quotes[n] for n in refs), (section.key, row)
        for row in table_rows(section.markdown, "Yrke (SSYK)"):
            code = re.search(r"\((\d{4})\)$", row[0])
            refs = [int(n) for n in MARKER.findall(row[-1])]
            for n in refs[1:]:
                assert code and f"ssyk: {code.group(1)}" in quotes[n].lower(), (row, quotes[n])


def docx_text(draft: Draft) -> tuple[str, list[str]]:
    """All text of the Word file, and the title page's paragraphs (before the first heading)."""
    document = docx.Document(io.BytesIO(to_docx(draft)))
    paragraphs = [p.text for p in document.paragraphs]
    first = next(i for i, p in enumerate(document.paragraphs) if p.style.name.startswith("Heading"))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    footer = document.sections[0].footer.paragraphs[0].text
    return "\n".join([*paragraphs, *cells, footer]), paragraphs[:first]


# ----------------------------------------------------------------------------- fast tests


def test_default_draft_is_public_whatever_the_caller_holds(small: Service):
    draft = make(small)
    check_publication(draft)
    assert SECRET_INTERN not in draft.markdown()
    text, title_page = docx_text(draft)
    assert INTERNAL_MARK not in text and "kommun:" not in text


def test_an_internal_draft_needs_the_kommuns_scope(small: Service):
    with pytest.raises(ScopeDenied, match="Ett internt utkast för Åsele kräver behörigheten kommun:asele"):
        make(small, access="intern", scopes=("projekt", "publik", "kommun:dorotea"))
    with pytest.raises(InvalidDraftRequest, match="Välj publik eller intern"):
        make(small, access="hemlig")


def test_an_internal_draft_marks_every_internal_sentence_and_its_title_page(small: Service):
    draft = make(small, access="intern")
    assert draft.internal and internal_numbers(draft), "the internal notes are used"
    assert "kommun:dorotea" not in draft.scopes, "never another kommun's internal material"
    check_marks(draft)
    assert draft.markdown().splitlines()[2].startswith(f"**{INTERNAL_MARK}.**")
    text, title_page = docx_text(draft)
    assert any(INTERNAL_MARK in p for p in title_page) and f"– {INTERNAL_MARK}" in text
    document = docx.Document(io.BytesIO(to_docx(draft)))
    marks = [r for p in document.paragraphs for r in p.runs if r.text == f"[{INTERNAL_MARK}]"]
    assert marks and all(r.bold and str(r.font.color.rgb) == "C00000" for r in marks)


def test_plan_period_is_chosen_and_shown(small: Service):
    draft = make(small)
    assert (draft.year, draft.period) == (2026, "2026 (1 januari–31 december 2026)")
    assert "*Planperiod: 2026 (1 januari–31 december 2026). Utkast – genererat 2025-12-01." in draft.markdown()
    chosen = make(small, year=2028)
    assert chosen.year == 2028 and chosen.markdown().startswith("# Handlingsplan 2028 – Åsele (utkast)")
    with pytest.raises(InvalidDraftRequest, match="Planåret ska ligga mellan"):
        make(small, year=1999)


def test_passed_targets_and_dates_become_follow_up_with_a_gap(small: Service):
    before = make(small)
    check_current(before, BEFORE)
    assert "Uppföljning av föregående plan" not in "\n".join(s.markdown for s in before.sections if s.key == "insatser")
    after = make(small, today=AFTER)
    check_current(after, AFTER)
    insatser = next(s.markdown for s in after.sections if s.key == "insatser")
    follow_up = insatser.split("### Uppföljning av föregående plan", 1)[1]
    rows = table_rows(follow_up, "Insats")
    assert any(r[0].startswith("Validering av vårdbiträden") and r[1] == "Start 2025-09-01, avslut 2026-05-31"
               and r[3].startswith("[Att komplettera: nytt mål för 2027") for r in rows)
    uppfoljning = next(s.markdown for s in after.sections if s.key == "uppfoljning")
    assert "#### Indikatorer i föregående plan (Målnivå våren 2026)" in uppfoljning
    assert "[Att komplettera: ny målnivå för 2027]" in uppfoljning


def test_the_newer_source_wins_over_a_pending_status(small: Service):
    text = make(small).markdown()
    assert OLD_STATUS not in text
    assert "Yrkesförarutbildningen har beviljats" in text


def test_a_sentence_about_its_sources_table_is_not_used(small: Service):
    assert "tabellen ovan" not in make(small).markdown()


def test_lists_come_whole_facts_once_rows_cite_their_own_row(small: Service):
    for draft in (make(small), make(small, access="intern"), make(small, today=AFTER)):
        check_no_duplicates(draft)
        check_rows_cite_themselves(draft)
    nulage = next(s.markdown for s in make(small).sections if s.key == "nulage")
    assert re.search(r"följande bristyrken under planperioden: \[\d+\]\n- Undersköterskor \(SSYK 5321\) \[\d+\]\n"
                     r"- Lastbilsförare \(SSYK 8332\) \[\d+\]", nulage)


def test_every_section_without_evidence_says_what_to_add(small: Service):
    draft = make(small, kommun="Lycksele")
    assert all(s.gaps for s in draft.sections), [s.key for s in draft.sections if not s.gaps]
    bakgrund = next(s.markdown for s in make(small).sections if s.key == "bakgrund")
    assert "[Att komplettera: vem som fastställer planen för 2026 och när" in bakgrund


def test_draft_record_and_title_page_name_the_sources(small: Service):
    draft = make(small)
    for section in draft.sections:
        used = {int(n) for n in MARKER.findall(section.markdown)}
        assert {n for s in section.sources for n in s.citations} == used, section.key
        assert {s.path for s in section.sources} == {c.path for c in draft.citations if c.n in used}
    as_dict = draft.to_dict()
    assert as_dict["access"] == "publik" and as_dict["sections"][0]["sources"][0]["scope"] in ("publik", "projekt")
    _, title_page = docx_text(draft)
    page = "\n".join(title_page)
    assert all(c.title in page for c in draft.citations) and "Utkast – genererat 2025-12-01" in page
    assert "Behörighet för underlaget" not in page and "projekt," not in page


# ----------------------------------------------------------------------------- the sample corpus (e5)

PARTNERS = list(PARTNER_KOMMUNER)
GENERATED = date(2026, 12, 1)


@pytest.fixture(scope="module")
def sample_drafts(e5_service: Service) -> dict[tuple[str, str], Draft]:  # noqa: F811
    out = {}
    for kommun in PARTNERS:
        out[(kommun, "publik")] = make(e5_service, kommun, today=GENERATED)
        out[(kommun, "intern")] = make(e5_service, kommun, access="intern", today=GENERATED)
    return out


@pytest.mark.integration
def test_sample_default_drafts_hold_no_internal_sentence(sample_drafts: dict[tuple[str, str], Draft],
                                                         e5_service: Service):  # noqa: F811
    internal_docs = [d for d in e5_service.sources(EVERYONE) if d.scope.startswith("kommun:")]
    assert internal_docs
    for kommun in PARTNERS:
        draft = sample_drafts[(kommun, "publik")]
        check_publication(draft)
        text, _ = docx_text(draft)
        for doc in internal_docs:
            assert doc.title not in text and doc.title not in draft.markdown()
        for word in ("jag har pratat med", "Åsele Åkeri AB", "Svars-ID"):
            assert word not in draft.markdown()


@pytest.mark.integration
def test_sample_internal_drafts_mark_every_internal_sentence(sample_drafts: dict[tuple[str, str], Draft]):
    assert internal_numbers(sample_drafts[("Åsele", "intern")]), "Åsele's interview notes are used"
    for kommun in PARTNERS:
        check_marks(sample_drafts[(kommun, "intern")])


@pytest.mark.integration
def test_sample_public_tables_show_no_group_under_five(sample_drafts: dict[tuple[str, str], Draft]):
    frame = pd.read_excel(REPO / "corpus/enkat/arbetsgivarenkat-2025.xlsx", sheet_name="Svar")
    for kommun in PARTNERS:
        nulage = next(s.markdown for s in sample_drafts[(kommun, "publik")].sections if s.key == "nulage")
        base = frame[frame["Kommun"] == kommun]
        for row in table_rows(nulage, "Yrke (SSYK)"):
            code = re.search(r"\((\d{4})\)$", row[0])
            if row[1] == "för få svar" or not code:
                continue
            group = base[base["SSYK-kod"] == int(code.group(1))]
            assert group["Arbetsgivare"].nunique() >= 5 and len(group) == int(row[1]), (kommun, row)


@pytest.mark.integration
def test_sample_drafts_are_current_whole_and_without_repetition(sample_drafts: dict[tuple[str, str], Draft]):
    for (kommun, access), draft in sample_drafts.items():
        check_current(draft, GENERATED)
        check_no_duplicates(draft)
        check_rows_cite_themselves(draft)
        assert "tabellen ovan" not in draft.markdown(), kommun
    vilhelmina = next(s.markdown for s in sample_drafts[("Vilhelmina", "publik")].sections if s.key == "nulage")
    listed = vilhelmina.split("### Prioriterade bristyrken", 1)[1].split("###", 1)[0]
    assert len(re.findall(r"^- .*\(SSYK \d{4}\)", listed, re.MULTILINE)) == 6, listed


def test_cli_takes_plan_year_and_access(small: Service, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KOMPETENS_DATA_DIR": str(small.settings.data_dir), "KOMPETENS_EMBED_BACKEND": "hash"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "assistant.interfaces.cli", "draft", "-k", "Åsele", "-a", "nulage",
                               *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    public = run("--år", "2030")
    assert public.returncode == 0 and public.stdout.startswith("# Handlingsplan 2030 – Åsele (utkast)")
    assert INTERNAL_MARK not in public.stdout
    internal = run("--behörighet", "intern")
    assert internal.returncode == 0 and INTERNAL_MARK in internal.stdout
    denied = run("--behörighet", "intern", "--scope", "publik")
    assert denied.returncode != 0 and "kräver behörigheten kommun:asele" in denied.stderr
