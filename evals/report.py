"""The `report` stage: write an evaluation's results as `latest.json` and `latest.md` (fixed names,
so the committed report updates in place)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.corpus import REPO
from evals.questions import ANSWERABLE

REPORT_DIR = REPO / "evals" / "reports"

METRICS = (
    ("hit_at_1", "hit@1"),
    ("hit_at_5", "hit@5"),
    ("mrr_at_10", "MRR@10"),
    ("ndcg_at_10", "nDCG@10"),
    ("fact_accuracy", "Faktaträffsäkerhet"),
    ("citation_validity", "Giltiga citat"),
    ("citation_support", "Citat som stöder påståendet"),
    ("refusal_accuracy", "Rätt avböjt/besvarat"),
    ("refused_out_of_corpus", "– avböj avböjda"),
    ("answered_answerable", "– besvarbara besvarade"),
    ("scope_leaks", "Behörighetsläckor"),
    ("latency_p50_ms", "Svarstid p50 (ms)"),
    ("latency_p95_ms", "Svarstid p95 (ms)"),
    ("page_hit_at_5", "hit@5 på sidnivå"),
    ("page_mrr_at_10", "MRR@10 på sidnivå"),
    ("source_recall_at_10", "Källtäckning@10"),
    ("misattributed_sentences", "Felattribuerade meningar"),
    ("misattribution_rate", "– andel av citerade meningar"),
    ("direct_answer", "Direkt svar i första meningen"),
    ("answer_words_median", "Svarslängd i ord, median"),
    ("answer_words_p90", "Svarslängd i ord, p90"),
)

DEFINITIONS = """\
- **hit@k, MRR@10, nDCG@10** – dokumentnivå: ett textavsnitt räknas när dess sökväg är ett förväntat
  dokument. Systemet: `service.search(fråga, behörigheter, 10)`; baslinjen: sina 4 träffar. nDCG ger
  varje behov (ett dokument, eller vart och ett vid `needs: all`) vinst en gång, vid första träffen.
  Sidnivå: dessutom rätt sida när frågan anger sidor och avsnittet har en sida.
- **Faktaträffsäkerhet** – alla krävda fakta (exakta strängar eller mönster; tal med eller utan
  tusentalsavgränsare) finns i svarstexten. Gäller fakta, flera-källor, enkät (och utkast när det finns).
- **Giltiga citat** – varje `[n]` har ett citat, och varje citats `quote` står ordagrant
  (blanktecken normaliserade) i källfilen enligt `ingest.loaders.load`.
- **Citat som stöder påståendet** – andel citat där meningen före markören har alla sina tal och minst
  60 % av sina innehållsord (prefixmatchning) i det citerade avsnittets hela text med titel och rubrik.
  Oberoende av systemets egen kontroll. Uträknade enkätsvar (läge `enkät`) bedöms inte: siffran räknas
  ur många rader och citatet pekar ut tabellen.
- **Rätt avböjt/besvarat** – avböj-frågor ska avböjas, fakta/flera-källor/enkät ska besvaras; andel
  rätt över båda (delarna visas var för sig). Baslinjen avböjer aldrig.
- **Behörighetsläckor** – antal fynd: citat eller sökträff med behörighet utanför frågeställarens,
  titel/sökväg/dokument-id för ett dokument utanför behörigheterna någonstans i det serialiserade svaret
  eller sökresultatet, eller en förbjuden uppgift (behörighetsfrågor) i svaret.
- **Felattribuerade meningar** – meningar med `[n]` (listpunkter och tabellrader, även som svaret
  återger dem: "Kolumn: värde – Kolumn: värde …", är egna meningar) där
  ett tal (1 200 = 1200, 5,5 = 5.5), ett namn (ord med stor bokstav som inte inleder meningen eller en
  etikett "Kolumn:") eller mer än 20 % av innehållsorden (stammar enligt `assistant.text.analyzer`,
  ramord som "enligt" och "för" undantagna) saknas i de egna citatens `quote`. Antal och andel av de
  bedömda meningarna. Uträknade enkätsiffror: talen krävs inte när meningen citerar enkätens rader, och
  en mening som bara citerar raderna bedöms inte. Utkast bedöms inte.
- **Direkt svar** – den förväntade uppgiften (första faktat; något av dem för `lista`; "inget om
  <Kommun>" för `saknas`) står i svarets första mening: första icke-tomma raden. En inledningsrad
  som slutar med kolon räknas tillsammans med hela listan den inleder (en listfråga besvaras av
  listan), annars med nästa rads första mening.
- **Svarslängd** – ord utan `[n]`, median och p90, över alla svar utom utkast.
- **saknas** – rätt (räknas som faktaträffsäkerhet) när svaret säger "inget om <Kommun>" och inget
  citat hör till en annan kommuns dokument. Ingår inte i rätt avböjt/besvarat.
- **Följdfrågor** – systemet: `service.ask(fråga, behörigheter, previous=[tidigare fråga])`; sökningen
  och baslinjen får turerna sammanslagna.
- **Svarstid** – väggklocka för `service.ask` per fråga efter en uppvärmningsfråga; baslinjen: sökning +
  sammanfogning.
"""


def write_reports(doc: dict[str, Any], directory: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Write `latest.json` and `latest.md` into `directory`; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "latest.json", directory / "latest.md"
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(markdown(doc), encoding="utf-8")
    return json_path, md_path


def stdout_document(doc: dict[str, Any]) -> dict[str, Any]:
    """What `kompetens eval --json` prints: the results without the per-question rows."""
    return {k: v for k, v in doc.items() if k != "questions"}


def summary(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (metric, system, baseline, gate) for a terminal table."""
    thresholds = doc["gates"]["thresholds"]
    rows = [(label, _fmt(doc["system"][key]), _fmt(doc["baseline"][key] if doc.get("baseline") else None),
             thresholds.get(key, "")) for key, label in METRICS]
    rows.append(("MRR@10-marginal mot baslinjen", _fmt(doc.get("mrr_margin")), "", thresholds["mrr_margin"]))
    return rows


def markdown(doc: dict[str, Any]) -> str:
    """The report as Markdown, in Swedish like the rest of what users read."""
    run = doc["run"]
    machine = run["machine"]
    lines = [
        "# Utvärdering av Kompetensassistenten", "",
        f"- Kommando: `{run['command']}`",
        f"- Datum: {run['date']} · commit {run['commit']}",
        f"- Maskin: {machine['cores']} kärnor, {machine['platform']}, Python {machine['python']}",
        f"- Frågor: {doc['n_questions']} ({', '.join(f'{k} {v}' for k, v in doc['counts'].items())})",
        f"- Körtid: {_timings(run)}",
        "",
    ]
    lines += _gates(doc) + [""]
    lines += ["## Resultat", "", "| Mått | System | Baslinje (LangChain) | Grind |", "|---|---|---|---|"]
    thresholds = doc["gates"]["thresholds"]
    for key, label in METRICS:
        base = doc["baseline"][key] if doc.get("baseline") else None
        lines.append(f"| {label} | {_fmt(doc['system'][key])} | {_fmt(base)} | {thresholds.get(key, '')} |")
    lines.append(f"| MRR@10-marginal mot baslinjen | {_fmt(doc.get('mrr_margin'))} | | {thresholds['mrr_margin']} |")
    lines += ["", "## Per frågetyp (system / baslinje)", ""] + _by_kind(doc)
    if doc.get("notes"):
        lines += ["", "## Noteringar", ""] + [f"- {n}" for n in doc["notes"]]
    lines += ["", "## Missar per fråga (systemet)", ""] + _misses(doc)
    lines += ["", "## Alla frågor", "", "| id | typ | rang sys/bas | fakta som saknas (sys) | fakta som saknas (bas) "
              "| avböjd | citat-problem | direkt | felattr. | ord | läckor | ms |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(q) for q in doc["questions"]]
    lines += ["", "## Måtten", "", DEFINITIONS, "## Inställningar", "", "```json",
              json.dumps(doc["settings"], ensure_ascii=False, indent=2), "```", ""]
    return "\n".join(lines)


def _timings(run: dict[str, Any]) -> str:
    parts = [f"totalt {run.get('total_s')} s", f"system {run.get('system_s')} s"]
    if "baseline_index_s" in run:
        parts.append(f"baslinjens index {run['baseline_index_s']} s ({run.get('baseline_chunks')} avsnitt)")
        parts.append(f"baslinjens frågor {run.get('baseline_s')} s")
    return ", ".join(parts)


def _gates(doc: dict[str, Any]) -> list[str]:
    failures = doc["gates"]["failures"]
    targets = doc["gates"].get("targets") or {}
    goal = (["", "Mål (ännu inte grindar): " + ", ".join(f"{k} {v}" for k, v in targets.items())]
            if targets else [])
    if not failures:
        return ["**Grindar: alla godkända.**", *goal]
    return ["**Grindar: underkänt**", ""] + [f"- {f}" for f in failures] + goal


def _by_kind(doc: dict[str, Any]) -> list[str]:
    keys = ("hit_at_5", "mrr_at_10", "fact_accuracy", "direct_answer", "misattributed_sentences",
            "answer_words_median", "citation_validity", "citation_support", "refusal_accuracy", "scope_leaks",
            "latency_p50_ms")
    lines = ["| typ | n | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    base_kinds = doc["by_kind"].get("baseline") or {}
    for kind, values in doc["by_kind"]["system"].items():
        base = base_kinds.get(kind, {})
        cells = [f"{_fmt(values[k])} / {_fmt(base.get(k))}" for k in keys]
        lines.append(f"| {kind} | {doc['counts'][kind]} | " + " | ".join(cells) + " |")
    return lines


def _misses(doc: dict[str, Any]) -> list[str]:
    lines = []
    for q in doc["questions"]:
        s = q.get("system") or {}
        problems = _problems(q, s)
        if not problems:
            continue
        lines.append(f"- **{q['id']}** ({q['kind']}, {', '.join(q['scopes'])}): {q['question']}")
        lines += [f"  - {p}" for p in problems]
        if s.get("answer") is not None:
            lines.append(f"  - fick: {_short(s['answer'], 400)}")
    return lines or ["Inga."]


def _problems(q: dict[str, Any], s: dict[str, Any]) -> list[str]:
    out = []
    if s.get("status", "ok") != "ok":
        return [f"ej körd: {s.get('status')}"]
    if "rank" in s and (s["rank"] is None or s["rank"] > 5):
        out.append(f"hämtning: förväntat {', '.join(q['expected_sources'])}; rang {s['rank'] or '–'}; "
                   f"fick {', '.join(s.get('top', [])[:3])}")
    if s.get("missing_facts"):
        out.append(f"fakta saknas: {', '.join(s['missing_facts'])} (förväntat: {', '.join(q['facts'])})")
    if q["kind"] == "avböj" and not s.get("refused"):
        out.append("borde ha avböjts men besvarades")
    if q["kind"] in ANSWERABLE and s.get("refused"):
        out.append("avböjd trots att underlaget svarar")
    if q["kind"] == "saknas" and not s.get("absent_handled", True):
        foreign = s.get("foreign_citations")
        out.append(f"säger inte \"inget om {q.get('absent')}\"" if not foreign else
                   f"citerar en annan kommun: {foreign}")
    if s.get("direct") is False:
        out.append(f"inget direkt svar; första meningen: {_short(s.get('first_sentence', ''), 160)}")
    for m in s.get("misattributed", []):
        out.append(f"felattribuerad ({', '.join(m['missing'])}): {_short(m['sentence'], 200)}")
    if s.get("not_verbatim"):
        out.append(f"citat som inte står ordagrant i källan: {s['not_verbatim']}")
    if s.get("unresolved_markers"):
        out.append(f"markörer utan citat: {s['unresolved_markers']}")
    if s.get("unsupported"):
        out.append(f"citat som inte stöder meningen: {s['unsupported']}")
    if s.get("leaks"):
        out.append(f"LÄCKA: {'; '.join(s['leaks'])}")
    return out


def _row(q: dict[str, Any]) -> str:
    s, b = q.get("system") or {}, q.get("baseline") or {}
    rank = f"{_fmt(s.get('rank'), '–')}/{_fmt(b.get('rank'), '–')}" if "rank" in s or "rank" in b else ""
    cite = ", ".join(x for x in (
        f"ej ordagrant {s['not_verbatim']}" if s.get("not_verbatim") else "",
        f"ej stöd {s['unsupported']}" if s.get("unsupported") else "",
        f"utan citat {s['unresolved_markers']}" if s.get("unresolved_markers") else "") if x)
    status = s.get("status", "ok")
    missing = ", ".join(s.get("missing_facts", [])) if status == "ok" else status
    return (f"| {q['id']} | {q['kind']} | {rank} | {missing} | {', '.join(b.get('missing_facts', []))} | "
            f"{'ja' if s.get('refused') else ''} | {cite} | {_yes_no(s.get('direct'))} | "
            f"{s.get('misattributed_count') or ''} | {_fmt(s.get('words'), '')} | {len(s.get('leaks', [])) or ''} | "
            f"{_fmt(s.get('latency_ms'), '')} |")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("ja" if value else "nej")


def _fmt(value: Any, empty: str = "–") -> str:
    if value is None:
        return empty
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    return str(value)


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
