#!/usr/bin/env python3
"""Renderar exempelkorpusen för Kompetensmäklare i Västerbotten.

Källor (Markdown, CSV, YAML och typsnitt) ligger i corpus/sources/. Skriptet skapar
PDF (fpdf2), DOCX (python-docx), XLSX (openpyxl) och CSV-filer i ämnesmapparna under
corpus/ (eller under --out DIR). Allt är deterministiskt: fast slumpfrö för enkätsvaren,
fasta datum i dokumentegenskaperna och fasta tidsstämplar i zip-arkiven.

    python corpus/render.py            # skriver till corpus/
    python corpus/render.py --out DIR  # skriver till DIR (samma mappstruktur)

Importerbart: ``render(out_dir)`` returnerar en lista med skrivna filer (relativa sökvägar).
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import random
import re
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent
SOURCES = ROOT / "sources"
FONT_DIR = SOURCES / "fonts"
ZIP_DATE = (2025, 1, 1, 0, 0, 0)

KOMMUNER = ["Umeå", "Skellefteå", "Vilhelmina", "Åsele", "Dorotea"]

SURVEY_COLUMNS = [
    "Svars-ID", "Kommun", "Arbetsgivare", "Sektor", "SNI-kod", "Bransch", "Antal anställda",
    "SSYK-kod", "Yrke", "Rekryteringsbehov 12 mån", "Rekryteringsbehov 3 år",
    "Tillgång på sökande", "Svårighet att rekrytera", "Främsta orsak", "Planerad åtgärd",
    "Intresse validering", "Intresse yrkesvux", "Intresse YH", "Svarsdatum",
]

INGEN_SVARIGHET = "Inga särskilda svårigheter"
MIN_SVAR = 5  # grupper med färre svar redovisas som "för få svar" i publika dokument
FOR_FA = "för få svar"

# (källa, utfil, format)
DOCUMENTS = [
    ("strategi/rus-2020-2030-utdrag.md", "strategi/rus-2020-2030-utdrag.pdf", "pdf"),
    ("agenda/agenda-for-kompetensforsorjning.md", "agenda/agenda-for-kompetensforsorjning-2024-2030.pdf", "pdf"),
    ("handlingsplaner/handlingsplan-umea-2025.md", "handlingsplaner/handlingsplan-kompetensforsorjning-umea-2025.pdf", "pdf"),
    ("handlingsplaner/handlingsplan-skelleftea-2025.md", "handlingsplaner/handlingsplan-kompetensforsorjning-skelleftea-2025.docx", "docx"),
    ("handlingsplaner/handlingsplan-vilhelmina-2025.md", "handlingsplaner/handlingsplan-kompetensforsorjning-vilhelmina-2025.docx", "docx"),
    ("handlingsplaner/handlingsplan-asele-2025.md", "handlingsplaner/handlingsplan-kompetensforsorjning-asele-2025.docx", "docx"),
    ("handlingsplaner/handlingsplan-dorotea-2025.md", "handlingsplaner/handlingsplan-kompetensforsorjning-dorotea-2025.docx", "docx"),
    ("handlingsplaner/handlingsplan-dorotea-2024.md", "handlingsplaner/handlingsplan-kompetensforsorjning-dorotea-2024.docx", "docx"),
    ("enkat/sammanstallning.md", "enkat/arbetsgivarenkat-2025-sammanstallning.pdf", "pdf"),
]
SURVEY_XLSX = "enkat/arbetsgivarenkat-2025.xlsx"
SURVEY_CSV_KOMMUN = "Vilhelmina"
SURVEY_CSV = "enkat/arbetsgivarenkat-2025-vilhelmina.csv"
BRISTLISTA_CSV = "bristlista/yrkesbarometer-lan24-2025.csv"


# --------------------------------------------------------------------------------------
# Hjälpfunktioner
# --------------------------------------------------------------------------------------

def procent(del_: int, helt: int) -> int:
    """Andel i hela procent, avrundad half-up (0 om nämnaren är 0)."""
    if helt == 0:
        return 0
    return int((Decimal(del_) * 100 / Decimal(helt)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def tal(n: int) -> str:
    """Svenskt talformat med mellanslag som tusentalsavgränsare (1 114)."""
    return f"{int(n):,}".replace(",", " ")


def slugify(kommun: str) -> str:
    return (kommun.lower().replace("å", "a").replace("ä", "a").replace("ö", "o"))


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_bristlista_source() -> pd.DataFrame:
    return pd.read_csv(SOURCES / "bristlista" / "bedomningar-lan24-2025.csv", dtype=str)


# --------------------------------------------------------------------------------------
# Enkäten
# --------------------------------------------------------------------------------------

def _weighted(rng: random.Random, options, weights):
    return rng.choices(list(options), weights=list(weights), k=1)[0]


def _svarsdagar(spec) -> tuple[list[date], list[float]]:
    start = spec["period"]["start"]
    slut = spec["period"]["slut"]
    pam = set(spec["period"]["paminnelser"])
    dagar, vikter = [], []
    d = start
    while d <= slut:
        if d.weekday() < 5:
            w = 1.0
            if (d - start).days <= 3:
                w = 3.0
            for p in pam:
                if 0 <= (d - p).days <= 2:
                    w = 2.5
            dagar.append(d)
            vikter.append(w)
        d += timedelta(days=1)
    return dagar, vikter


def generate_survey(spec=None, brist: pd.DataFrame | None = None) -> pd.DataFrame:
    """Genererar enkätsvaren deterministiskt från enkat-spec.yaml."""
    spec = spec or load_yaml(SOURCES / "enkat" / "enkat-spec.yaml")
    brist = brist if brist is not None else load_bristlista_source()
    bedomning = dict(zip(brist.ssyk, brist.rekryteringssituation))
    ssyk_text = dict(zip(brist.ssyk, brist.ssyk_text))
    rng = random.Random(spec["seed"])
    alt = spec["svarsalternativ"]
    dagar, dagvikter = _svarsdagar(spec)
    rows = []
    for kommun in KOMMUNER:
        kinfo = spec["kommuner"][kommun]
        typ = kinfo["typ"]
        used_names: set[str] = set()
        for ssyk, antal in kinfo["kvoter"].items():
            yinfo = spec["yrken"][ssyk]
            kat = yinfo["kat"]
            for _ in range(antal):
                sektorer = ["Offentlig", "Privat", "Ideell"]
                vikter = list(yinfo["sektor"])
                namnmallar = spec["namn"][kat]
                for i, s in enumerate(sektorer):
                    if s not in namnmallar:
                        vikter[i] = 0
                sektor = _weighted(rng, sektorer, vikter)
                # arbetsgivarnamn, unikt inom kommunen (byt sektor om mallarna tar slut)
                namn = None
                for sek in [sektor] + [s for s in sektorer if s != sektor and s in namnmallar]:
                    for attempt in range(200):
                        mall = rng.choice(namnmallar.get(f"{sek}_{typ}", namnmallar[sek]))
                        cand = mall.format(K=kommun, ort=rng.choice(kinfo["orter"]),
                                           efternamn=rng.choice(spec["efternamn"]),
                                           sjukhus=kinfo["sjukhus"])
                        if cand not in used_names:
                            namn, sektor = cand, sek
                            break
                    if namn:
                        break
                if namn is None:  # pragma: no cover - spec-fel
                    raise RuntimeError(f"kan inte skapa unikt namn för {kommun} {ssyk}")
                used_names.add(namn)
                sni = rng.choice(spec["sni"][kat][sektor])
                if "sjukhus" in namn or "lasarett" in namn or "sjukstuga" in namn:
                    storlek = "250+" if typ == "kust" else "50–249"
                elif "hälsocentralen" in namn:
                    storlek = "10–49"
                else:
                    storlek = _weighted(rng, spec["storlek"]["klasser"], spec["storlek"]["vikter"][sektor][typ])
                    if typ == "inland" and sektor == "Offentlig" and kat in ("skola", "forskola"):
                        storlek = "10–49"  # skolor och förskolor i inlandet är små enheter
                lo, hi = spec["storlek"]["behov12"][storlek]
                faktor = yinfo["behov"]
                b12 = rng.randint(lo, hi)
                b12 = int(round(b12 * faktor))
                b3 = b12 + int(round(rng.uniform(0.6, 1.6) * max(b12, 1) * (1.0 if faktor >= 0.5 else 0.5)))
                if ssyk == "8212":  # batterimontörer efter Northvolt: små behov
                    b12 = rng.randint(0, 1)
                    b3 = b12 + rng.randint(0, 2)
                if b3 == 0 and b12 == 0 and rng.random() < 0.5:
                    b3 = 1
                # tillgång och svårighet
                rs = bedomning[ssyk]
                tv = list(spec["tillgang_vikter"][rs])
                ti = alt["tillgang"].index(_weighted(rng, alt["tillgang"], tv))
                if typ == "inland" and ti < 4 and rng.random() < 0.3:
                    ti += 1  # längre avstånd ger sämre tillgång i inlandet
                tillgang = alt["tillgang"][ti]
                bas = [1, 2, 3, 4, 5][ti]
                svarighet = min(5, max(1, bas + _weighted(rng, [-1, 0, 1], [0.2, 0.6, 0.2])))
                if svarighet <= 2:
                    orsak = INGEN_SVARIGHET
                else:
                    ov = {int(k): v for k, v in spec["orsak_vikter"][kat].items()}
                    if typ == "inland" and 5 in ov:
                        ov[5] = ov[5] * 1.8
                    if kommun == "Skellefteå" and 6 in ov:
                        ov[6] = ov[6] * 0.3  # bostadsläget har lättat efter Northvolt
                    orsak = alt["orsak"][_weighted(rng, list(ov), list(ov.values()))]
                av = {int(k): v for k, v in spec["atgard_vikter"][kat].items()}
                if kommun == "Skellefteå":
                    av[6] = av.get(6, 0) + 0.25
                elif 6 in av:
                    av[6] = av[6] * 0.2
                atgard = alt["atgard"][_weighted(rng, list(av), list(av.values()))]
                pv, py, ph = spec["intresse"][kat]
                iv = "Ja" if rng.random() < pv else "Nej"
                iy = "Ja" if rng.random() < py else "Nej"
                ih = "Ja" if rng.random() < ph else "Nej"
                datum = _weighted(rng, dagar, dagvikter)
                rows.append({
                    "Kommun": kommun, "Arbetsgivare": namn, "Sektor": sektor, "SNI-kod": sni,
                    "Bransch": spec["sni_namn"][sni], "Antal anställda": storlek, "SSYK-kod": ssyk,
                    "Yrke": ssyk_text[ssyk], "Rekryteringsbehov 12 mån": int(b12),
                    "Rekryteringsbehov 3 år": int(b3), "Tillgång på sökande": tillgang,
                    "Svårighet att rekrytera": int(svarighet), "Främsta orsak": orsak,
                    "Planerad åtgärd": atgard, "Intresse validering": iv, "Intresse yrkesvux": iy,
                    "Intresse YH": ih, "Svarsdatum": datum, "_tie": rng.random(),
                })
    rows.sort(key=lambda r: (r["Svarsdatum"], r["_tie"]))
    for i, r in enumerate(rows, start=1):
        r["Svars-ID"] = f"{spec['id_prefix']}-{i:04d}"
        del r["_tie"]
    df = pd.DataFrame(rows)[SURVEY_COLUMNS]
    return df


# --------------------------------------------------------------------------------------
# Aggregat (det enda stället där siffrorna som dokumenten citerar räknas fram)
# --------------------------------------------------------------------------------------

def group_stats(g: pd.DataFrame) -> dict:
    n = len(g)
    svart = int((g["Svårighet att rekrytera"] >= 4).sum())
    return {
        "antal": n,
        "behov12": int(g["Rekryteringsbehov 12 mån"].sum()),
        "behov3": int(g["Rekryteringsbehov 3 år"].sum()),
        "antal_svart": svart,
        "andel_svart": procent(svart, n),
    }


def yrkesrank(df: pd.DataFrame) -> list[tuple[str, dict]]:
    """Yrken sorterade efter behov 3 år (fallande), sedan behov 12 mån, sedan SSYK."""
    out = []
    for ssyk, g in df.groupby("SSYK-kod"):
        st = group_stats(g)
        st["yrke"] = g["Yrke"].iloc[0]
        out.append((ssyk, st))
    out.sort(key=lambda t: (-t[1]["behov3"], -t[1]["behov12"], t[0]))
    return out


def omrade_stats(df: pd.DataFrame, spec) -> dict:
    n = len(df)
    st = group_stats(df)
    st["antal_svar"] = n
    orsaker = df.loc[df["Främsta orsak"] != INGEN_SVARIGHET, "Främsta orsak"].value_counts()
    orsaker = sorted(orsaker.items(), key=lambda t: (-t[1], t[0]))
    st["vanligaste_orsak"] = orsaker[0][0].lower() if orsaker else ""
    st["vanligaste_orsak_antal"] = int(orsaker[0][1]) if orsaker else 0
    st["antal_med_svarigheter"] = int((df["Främsta orsak"] != INGEN_SVARIGHET).sum())
    atg = sorted(df["Planerad åtgärd"].value_counts().items(), key=lambda t: (-t[1], t[0]))
    st["vanligaste_atgard"] = atg[0][0].lower()
    st["vanligaste_atgard_antal"] = int(atg[0][1])
    for kol, key in [("Intresse validering", "validering"), ("Intresse yrkesvux", "yrkesvux"), ("Intresse YH", "yh")]:
        ja = int((df[kol] == "Ja").sum())
        st[f"{key}_ja"] = ja
        st[f"{key}_andel"] = procent(ja, n)
    for sektor in ["Offentlig", "Privat", "Ideell"]:
        st[f"antal_{sektor.lower()}"] = int((df["Sektor"] == sektor).sum())
    rank = yrkesrank(df)
    redovisade = [(s, r) for s, r in rank if r["antal"] >= MIN_SVAR]
    for i, (ssyk, r) in enumerate(redovisade[:5], start=1):
        st[f"topp{i}_ssyk"] = ssyk
        st[f"topp{i}_yrke"] = r["yrke"]
        st[f"topp{i}_kortnamn"] = kortnamn(ssyk)
        st[f"topp{i}_behov3"] = r["behov3"]
        st[f"topp{i}_behov12"] = r["behov12"]
        st[f"topp{i}_antal"] = r["antal"]
    st["antal_yrken"] = len(rank)
    st["antal_yrken_redovisade"] = len(redovisade)
    st["yrke"] = {ssyk: r for ssyk, r in rank}
    return st


KORTNAMN = {
    "5321": "undersköterskor i äldreomsorg, hemtjänst och habilitering",
    "5323": "undersköterskor på vårdavdelning och mottagning",
    "5330": "vårdbiträden", "5343": "personliga assistenter", "2221": "grundutbildade sjuksköterskor",
    "2224": "distriktssköterskor", "2341": "grundskollärare", "2343": "förskollärare", "2351": "speciallärare och specialpedagoger",
    "2330": "gymnasielärare", "2320": "lärare i yrkesämnen", "5311": "barnskötare", "2661": "socialsekreterare",
    "2512": "mjukvaru- och systemutvecklare", "2516": "IT-säkerhetsspecialister", "2143": "civilingenjörer inom elektroteknik",
    "3113": "ingenjörer och tekniker inom elektroteknik", "3122": "arbetsledare inom tillverkning", "7212": "svetsare",
    "7223": "maskinoperatörer inom metall", "7233": "underhållsmekaniker", "7412": "industrielektriker",
    "8212": "montörer av elektrisk och elektronisk utrustning", "7111": "träarbetare och snickare", "7125": "VVS-montörer",
    "7411": "installations- och serviceelektriker", "7231": "fordonsmekaniker", "8332": "lastbilsförare",
    "8331": "bussförare", "8342": "anläggningsmaskinförare", "8341": "skogsmaskinförare", "5120": "kockar",
    "9412": "restaurang- och köksbiträden", "5223": "butikssäljare i fackhandel",
}


def kortnamn(ssyk: str) -> str:
    return KORTNAMN.get(ssyk, ssyk)


def compute_aggregates(df: pd.DataFrame, spec=None) -> dict:
    spec = spec or load_yaml(SOURCES / "enkat" / "enkat-spec.yaml")
    agg = {}
    for kommun in KOMMUNER:
        slug = slugify(kommun)
        sub = df[df["Kommun"] == kommun]
        st = omrade_stats(sub, spec)
        st["utskick"] = spec["kommuner"][kommun]["utskick"]
        st["svarsfrekvens"] = procent(len(sub), st["utskick"])
        st["namn"] = kommun
        agg[slug] = st
    st = omrade_stats(df, spec)
    st["utskick"] = sum(spec["kommuner"][k]["utskick"] for k in KOMMUNER)
    st["svarsfrekvens"] = procent(len(df), st["utskick"])
    st["namn"] = "Totalt"
    agg["lan"] = st
    agg["inland"] = omrade_stats(df[df["Kommun"].isin(["Vilhelmina", "Åsele", "Dorotea"])], spec)
    agg["kust"] = omrade_stats(df[df["Kommun"].isin(["Umeå", "Skellefteå"])], spec)
    return agg


def flat_context(agg: dict, brist: pd.DataFrame) -> dict:
    ctx = {}
    for area, st in agg.items():
        for k, v in st.items():
            if k == "yrke":
                for ssyk, r in v.items():
                    for kk, vv in r.items():
                        ctx[f"{area}.yrke.{ssyk}.{kk}"] = vv
            else:
                ctx[f"{area}.{k}"] = v
    for _, r in brist.iterrows():
        ctx[f"brist.{r.ssyk}"] = r.rekryteringssituation
        ctx[f"brist.{r.ssyk}.jobbmojligheter"] = r.jobbmojligheter
        ctx[f"brist.{r.ssyk}.prognos"] = r.prognos
    ctx["brist.antal_yrken"] = len(brist)
    ctx["brist.antal_brist"] = int((brist.rekryteringssituation == "brist").sum())
    ctx["brist.antal_balans"] = int((brist.rekryteringssituation == "balans").sum())
    ctx["brist.antal_overskott"] = int((brist.rekryteringssituation == "överskott").sum())
    return ctx


# ---- tabeller som kan infogas i källtexterna med [[...]] -----------------------------

def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(tal(c) if isinstance(c, int) else str(c) for c in r) + " |")
    return "\n".join(lines)


def tabell_behov(df: pd.DataFrame, kommun_slug: str, brist: pd.DataFrame) -> str:
    kommun = {slugify(k): k for k in KOMMUNER}[kommun_slug]
    sub = df[df["Kommun"] == kommun]
    bed = dict(zip(brist.ssyk, brist.rekryteringssituation))
    rows, ovr = [], []
    for ssyk, r in yrkesrank(sub):
        if r["antal"] >= MIN_SVAR:
            rows.append([f"{r['yrke']} ({ssyk})", r["antal"], r["behov12"], r["behov3"], f"{r['andel_svart']} %", bed[ssyk]])
        else:
            ovr.append(ssyk)
    o = sub[sub["SSYK-kod"].isin(ovr)]
    if len(o):
        st = group_stats(o)
        rows.append([f"Övriga yrken, {len(ovr)} st. (för få svar per yrke)", st["antal"], st["behov12"], st["behov3"],
                     f"{st['andel_svart']} %", "–"])
    tot = group_stats(sub)
    rows.append(["Totalt", tot["antal"], tot["behov12"], tot["behov3"], f"{tot['andel_svart']} %", ""])
    return md_table(["Yrke (SSYK 2012)", "Antal svar", "Behov 12 mån", "Behov 3 år", "Andel svårt att rekrytera",
                     "Yrkesbarometern län 24"], rows)


def tabell_ovriga(df: pd.DataFrame, kommun_slug: str) -> str:
    kommun = {slugify(k): k for k in KOMMUNER}[kommun_slug]
    sub = df[df["Kommun"] == kommun]
    namn = [f"{kortnamn(s)} ({s})" for s, r in sorted(yrkesrank(sub), key=lambda t: t[0]) if r["antal"] < MIN_SVAR]
    return ", ".join(namn)


def tabell_kommuner(df: pd.DataFrame, agg: dict) -> str:
    rows = []
    for k in KOMMUNER + ["Totalt"]:
        st = agg["lan"] if k == "Totalt" else agg[slugify(k)]
        rows.append([k, st["utskick"], st["antal_svar"], f"{st['svarsfrekvens']} %", st["behov12"], st["behov3"],
                     f"{st['andel_svart']} %"])
    return md_table(["Kommun", "Utskick", "Antal svar", "Svarsfrekvens", "Behov 12 mån", "Behov 3 år",
                     "Andel svårt att rekrytera"], rows)


def tabell_sektor(df: pd.DataFrame) -> str:
    rows = []
    for k in KOMMUNER + ["Totalt"]:
        sub = df if k == "Totalt" else df[df["Kommun"] == k]
        rows.append([k] + [int((sub["Sektor"] == s).sum()) for s in ["Offentlig", "Privat", "Ideell"]] + [len(sub)])
    return md_table(["Kommun", "Offentlig", "Privat", "Ideell", "Totalt"], rows)


def tabell_yrke_kommun(df: pd.DataFrame, brist: pd.DataFrame, falt: str = "Rekryteringsbehov 3 år") -> str:
    bed = dict(zip(brist.ssyk, brist.rekryteringssituation))
    rows = []
    for ssyk, r in yrkesrank(df):
        if r["antal"] < MIN_SVAR:
            continue
        row = [f"{r['yrke']} ({ssyk})"]
        for k in KOMMUNER:
            g = df[(df["Kommun"] == k) & (df["SSYK-kod"] == ssyk)]
            if len(g) == 0:
                row.append("–")
            elif len(g) < MIN_SVAR:
                row.append(FOR_FA)
            else:
                row.append(int(g[falt].sum()))
        row.append(r["behov3"] if falt.endswith("3 år") else r["behov12"])
        rows.append(row)
    return md_table(["Yrke (SSYK 2012)"] + KOMMUNER + ["Totalt"], rows)


def tabell_orsaker(df: pd.DataFrame) -> str:
    rows = []
    vc = df["Främsta orsak"].value_counts()
    for orsak, n in sorted(vc.items(), key=lambda t: (-t[1], t[0])):
        rows.append([orsak, int(n), f"{procent(int(n), len(df))} %"])
    return md_table(["Främsta orsak", "Antal svar", "Andel"], rows)


def tabell_atgarder(df: pd.DataFrame) -> str:
    rows = []
    vc = df["Planerad åtgärd"].value_counts()
    for a, n in sorted(vc.items(), key=lambda t: (-t[1], t[0])):
        rows.append([a, int(n), f"{procent(int(n), len(df))} %"])
    return md_table(["Planerad åtgärd", "Antal svar", "Andel"], rows)


def tabell_intresse(df: pd.DataFrame, agg: dict) -> str:
    rows = []
    for k in KOMMUNER + ["Totalt"]:
        st = agg["lan"] if k == "Totalt" else agg[slugify(k)]
        rows.append([k, f"{st['validering_ja']} ({st['validering_andel']} %)", f"{st['yrkesvux_ja']} ({st['yrkesvux_andel']} %)",
                     f"{st['yh_ja']} ({st['yh_andel']} %)"])
    return md_table(["Kommun", "Validering", "Yrkesvux", "Yrkeshögskola"], rows)


def tabell_tillgang(df: pd.DataFrame, spec) -> str:
    rows = []
    for k in KOMMUNER + ["Totalt"]:
        sub = df if k == "Totalt" else df[df["Kommun"] == k]
        rows.append([k] + [f"{procent(int((sub['Tillgång på sökande'] == t).sum()), len(sub))} %"
                           for t in spec["svarsalternativ"]["tillgang"]])
    return md_table(["Kommun"] + spec["svarsalternativ"]["tillgang"], rows)


def tabell_bristyrken(brist: pd.DataFrame, situation: str) -> str:
    sub = brist[brist.rekryteringssituation == situation].sort_values("ssyk")
    rows = [[r.ssyk, r.yrke, r.jobbmojligheter, r.prognos] for r in sub.itertuples()]
    return md_table(["SSYK", "Yrke", "Jobbmöjligheter", "Prognos 5 år"], rows)


# --------------------------------------------------------------------------------------
# Mallar: {{nyckel}} och [[tabell:...]]
# --------------------------------------------------------------------------------------

def fill_template(text: str, ctx: dict, tables: dict) -> str:
    def rep_var(m):
        key = m.group(1).strip()
        fmt = None
        if "|" in key:
            key, fmt = key.split("|", 1)
        if key not in ctx:
            raise KeyError(f"okänd mallnyckel: {key}")
        v = ctx[key]
        if isinstance(v, int) and not isinstance(v, bool):
            return tal(v)
        if fmt == "tal":
            return tal(v)
        if fmt == "stor":
            return str(v)[:1].upper() + str(v)[1:]
        return str(v)

    def rep_tab(m):
        key = m.group(1).strip()
        if key not in tables:
            raise KeyError(f"okänd tabell: {key}")
        return tables[key]()

    text = re.sub(r"\[\[\s*tabell:([^\]]+)\]\]", rep_tab, text)
    text = re.sub(r"\{\{([^}]+)\}\}", rep_var, text)
    return text


def build_tables(df, agg, brist, spec) -> dict:
    t = {
        "kommuner": lambda: tabell_kommuner(df, agg),
        "sektor": lambda: tabell_sektor(df),
        "yrke_kommun": lambda: tabell_yrke_kommun(df, brist),
        "yrke_kommun_12": lambda: tabell_yrke_kommun(df, brist, "Rekryteringsbehov 12 mån"),
        "orsaker": lambda: tabell_orsaker(df),
        "atgarder": lambda: tabell_atgarder(df),
        "intresse": lambda: tabell_intresse(df, agg),
        "tillgang": lambda: tabell_tillgang(df, spec),
        "brist_lista": lambda: tabell_bristyrken(brist, "brist"),
    }
    for k in KOMMUNER:
        s = slugify(k)
        t[f"behov:{s}"] = (lambda s=s: tabell_behov(df, s, brist))
        t[f"ovriga:{s}"] = (lambda s=s: tabell_ovriga(df, s))
    return t


# --------------------------------------------------------------------------------------
# Minimal Markdown-tolk
# --------------------------------------------------------------------------------------

@dataclass
class Block:
    kind: str  # h1 h2 h3 p ul ol table quote pagebreak
    text: str = ""
    items: list = field(default_factory=list)
    rows: list = field(default_factory=list)


def split_front_matter(text: str) -> tuple[dict, str]:
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4)
        meta = yaml.safe_load(text[4:end])
        return meta, text[end + 5:]
    return {}, text


def parse_markdown(body: str) -> list[Block]:
    blocks: list[Block] = []
    lines = body.split("\n")
    i = 0
    para: list[str] = []

    def flush():
        if para:
            blocks.append(Block("p", " ".join(s.strip() for s in para)))
            para.clear()

    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            flush(); i += 1; continue
        if line.strip() == "[[sidbrytning]]":
            flush(); blocks.append(Block("pagebreak")); i += 1; continue
        m = re.match(r"^(#{1,3})\s+(.*)$", line)
        if m:
            flush(); blocks.append(Block(f"h{len(m.group(1))}", m.group(2).strip())); i += 1; continue
        if line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(Block("table", rows=rows)); continue
        if re.match(r"^\s*[-*]\s+", line) or re.match(r"^\s*\d+\.\s+", line):
            flush()
            kind = "ul" if re.match(r"^\s*[-*]\s+", line) else "ol"
            items = []
            while i < len(lines) and lines[i].strip():
                l2 = lines[i]
                mm = re.match(r"^\s*(?:[-*]|(\d+)\.)\s+(.*)$", l2)
                if mm:
                    items.append([mm.group(1), mm.group(2).strip()])
                else:
                    items[-1][1] += " " + l2.strip()
                i += 1
            blocks.append(Block(kind, items=items)); continue
        if line.startswith(">"):
            flush()
            q = []
            while i < len(lines) and lines[i].startswith(">"):
                q.append(lines[i][1:].strip())
                i += 1
            blocks.append(Block("quote", " ".join(q))); continue
        para.append(line)
        i += 1
    flush()
    return blocks


def strip_md(s: str) -> str:
    return s.replace("**", "")


# --------------------------------------------------------------------------------------
# PDF (fpdf2)
# --------------------------------------------------------------------------------------

def _parse_date(v) -> datetime:
    if isinstance(v, datetime):
        d = v
    elif isinstance(v, date):
        d = datetime(v.year, v.month, v.day, 9, 0, 0)
    else:
        d = datetime.fromisoformat(str(v))
    return d.replace(tzinfo=timezone.utc)


def render_pdf(meta: dict, blocks: list[Block], out: Path) -> None:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    header_text = meta.get("sidhuvud", meta["title"])
    org = meta.get("organisation", "")

    class Doc(FPDF):
        def header(self):
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(110, 110, 110)
            self.set_y(9)
            self.cell(self.epw * 0.62, 5, header_text, align="L")
            self.cell(self.epw * 0.38, 5, org, align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(190, 190, 190)
            self.line(self.l_margin, 15, self.w - self.r_margin, 15)
            self.set_text_color(0, 0, 0)
            self.set_y(20)

        def footer(self):
            self.set_y(-14)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 8, f"Sida {self.page_no()} av {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = Doc(format="A4")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(_parse_date(meta["date"]))
    pdf.set_title(meta["title"])
    pdf.set_author(meta.get("author", org))
    pdf.set_subject(meta.get("subtitle", ""))
    pdf.set_creator("Kompetensmäklare i Västerbotten – corpus/render.py")
    pdf.set_producer("fpdf2")
    pdf.set_lang("sv-SE")
    pdf.add_page()

    # titelblock
    pdf.set_font("DejaVu", "B", 19)
    pdf.multi_cell(0, 9, meta["title"], align="L", new_x="LMARGIN", new_y="NEXT")
    if meta.get("subtitle"):
        pdf.ln(1)
        pdf.set_font("DejaVu", "", 12.5)
        pdf.multi_cell(0, 6.5, meta["subtitle"], align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8.8)
    pdf.set_text_color(60, 60, 60)
    for rad in meta.get("metadata", []):
        pdf.multi_cell(0, 4.6, rad, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.set_draw_color(40, 90, 140)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.ln(5)

    body_size = 10
    lh = 5.1
    for b in blocks:
        if b.kind == "pagebreak":
            pdf.add_page(); continue
        if b.kind in ("h1", "h2", "h3"):
            lvl = int(b.kind[1])
            size = {1: 14, 2: 12, 3: 10.5}[lvl]
            need = {1: 40, 2: 32, 3: 26}[lvl]
            if pdf.get_y() > pdf.h - pdf.b_margin - need:
                pdf.add_page()
            pdf.ln({1: 4, 2: 2.5, 3: 1.5}[lvl])
            pdf.start_section(b.text, level=lvl - 1)
            pdf.set_font("DejaVu", "B", size)
            if lvl == 1:
                pdf.set_text_color(20, 60, 110)
            pdf.multi_cell(0, size * 0.5, b.text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            pdf.ln(1.5)
            continue
        if b.kind == "p":
            pdf.set_font("DejaVu", "", body_size)
            pdf.multi_cell(0, lh, b.text, markdown="**" in b.text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.2)
            continue
        if b.kind in ("ul", "ol"):
            pdf.set_font("DejaVu", "", body_size)
            for n, (num, txt) in enumerate(b.items, start=1):
                marker = "•" if b.kind == "ul" else f"{num or n}."
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(6, lh, marker)
                pdf.multi_cell(pdf.epw - 9, lh, txt, markdown="**" in txt, align="L", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.8)
            pdf.ln(1.6)
            continue
        if b.kind == "quote":
            pdf.set_font("DejaVu", "", 9)
            pdf.set_fill_color(238, 242, 246)
            pdf.multi_cell(0, 4.7, b.text, markdown=True, align="L", fill=True, padding=2.5, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            continue
        if b.kind == "table":
            rows = [[strip_md(c) for c in r] for r in b.rows]
            ncol = len(rows[0])
            # minsta bredd: längsta ordet i kolumnen ska få plats (inga avstavade ord),
            # resten av bredden fördelas efter textmängd
            minw = []
            for j in range(ncol):
                m = 0.0
                for ri, r in enumerate(rows):
                    pdf.set_font("DejaVu", "B" if ri == 0 else "", 8.2)
                    for word in (r[j] if j < len(r) else "").split():
                        m = max(m, pdf.get_string_width(word))
                minw.append(m + 2 * 1.2 + 1.0)
            pdf.set_font("DejaVu", "", 8.2)
            weights = [max(min(len(r[j]) if j < len(r) else 0, 70) for r in rows[1:] or rows) + 2 for j in range(ncol)]
            rest = pdf.epw - sum(minw)
            if rest >= 0:
                widths = [mw + rest * w / sum(weights) for mw, w in zip(minw, weights)]
            else:
                widths = [mw * pdf.epw / sum(minw) for mw in minw]
            head = FontFace(emphasis="BOLD", fill_color=(222, 231, 241))
            with pdf.table(col_widths=widths, width=pdf.epw, line_height=4.4, text_align="LEFT",
                           headings_style=head, padding=1.2) as table:
                for r in rows:
                    row = table.row()
                    for j in range(ncol):
                        row.cell(r[j] if j < len(r) else "")
            pdf.ln(3.5)
            continue
        raise ValueError(b.kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))


# --------------------------------------------------------------------------------------
# DOCX (python-docx)
# --------------------------------------------------------------------------------------

def _add_runs(par, text: str):
    parts = re.split(r"(\*\*[^*]+\*\*)", text)
    for p in parts:
        if not p:
            continue
        if p.startswith("**") and p.endswith("**"):
            par.add_run(p[2:-2]).bold = True
        else:
            par.add_run(p)


def _add_page_field(par):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field(instr):
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), instr)
        r = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = "1"
        r.append(t)
        fld.append(r)
        return fld

    par.add_run("Sida ")
    par._p.append(field("PAGE"))
    par.add_run(" av ")
    par._p.append(field("NUMPAGES"))


def render_docx(meta: dict, blocks: list[Block], out: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = "Calibri"
    st.font.size = Pt(10.5)
    sec = doc.sections[0]
    hp = sec.header.paragraphs[0]
    hp.text = f"{meta.get('sidhuvud', meta['title'])}\t\t{meta.get('organisation', '')}"
    hp.runs[0].font.size = Pt(8)
    hp.runs[0].font.color.rgb = RGBColor(0x6E, 0x6E, 0x6E)
    fp = sec.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_page_field(fp)

    doc.add_heading(meta["title"], 0)
    if meta.get("subtitle"):
        doc.add_paragraph(meta["subtitle"], style="Subtitle")
    for rad in meta.get("metadata", []):
        p = doc.add_paragraph()
        r = p.add_run(rad)
        r.font.size = Pt(9)
        p.paragraph_format.space_after = Pt(0)
    doc.add_paragraph()

    for b in blocks:
        if b.kind == "pagebreak":
            doc.add_page_break(); continue
        if b.kind in ("h1", "h2", "h3"):
            doc.add_heading(b.text, int(b.kind[1])); continue
        if b.kind == "p":
            _add_runs(doc.add_paragraph(), b.text); continue
        if b.kind in ("ul", "ol"):
            style = "List Bullet" if b.kind == "ul" else "List Number"
            for num, txt in b.items:
                _add_runs(doc.add_paragraph(style=style), txt)
            continue
        if b.kind == "quote":
            p = doc.add_paragraph(style="Quote")
            _add_runs(p, b.text)
            continue
        if b.kind == "table":
            rows = [[strip_md(c) for c in r] for r in b.rows]
            ncol = len(rows[0])
            t = doc.add_table(rows=0, cols=ncol)
            t.style = "Table Grid"
            for ri, r in enumerate(rows):
                cells = t.add_row().cells
                for j in range(ncol):
                    cells[j].text = r[j] if j < len(r) else ""
                    if ri == 0:
                        for run in cells[j].paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph()
            continue
        raise ValueError(b.kind)

    cp = doc.core_properties
    d = _parse_date(meta["date"]).replace(tzinfo=None)
    cp.title = meta["title"]
    cp.subject = meta.get("subtitle", "")
    cp.author = meta.get("author", meta.get("organisation", ""))
    cp.last_modified_by = meta.get("author", meta.get("organisation", ""))
    cp.created = d
    cp.modified = d
    cp.last_printed = d
    cp.revision = 1
    cp.language = "sv-SE"
    cp.keywords = "kompetensförsörjning; Västerbotten; handlingsplan"
    cp.comments = ""
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    normalize_zip(out, d)


# --------------------------------------------------------------------------------------
# XLSX och CSV
# --------------------------------------------------------------------------------------

def render_xlsx(df: pd.DataFrame, spec, agg, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Svar"
    ws.append(SURVEY_COLUMNS)
    for rec in df.itertuples(index=False):
        ws.append(list(rec))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DEE7F1")
    for c in ws[1]:
        c.font = bold
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {"A": 11, "B": 12, "C": 44, "D": 10, "E": 8, "F": 40, "G": 10, "H": 9, "I": 50, "J": 12, "K": 12,
              "L": 14, "M": 11, "N": 40, "O": 36, "P": 10, "Q": 10, "R": 9, "S": 12}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    for cell in ws["S"][1:]:
        cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions

    info = wb.create_sheet("Info")
    p = spec["period"]
    lan = agg["lan"]
    rader = [
        ("Rubrik", "Uppgift"),
        ("Enkät", "Arbetsgivarenkät 2025 – kompetens- och rekryteringsbehov"),
        ("Projekt", "Kompetensmäklare i Västerbotten (Region Västerbotten, ESF+), projektperiod 2025-01-01–2027-09-30"),
        ("Kommuner", "Dorotea, Skellefteå, Umeå, Vilhelmina och Åsele"),
        ("Insamlingsperiod", f"{p['start'].isoformat()} – {p['slut'].isoformat()}"),
        ("Påminnelser", ", ".join(d.isoformat() for d in p["paminnelser"])),
        ("Metod", "Webbenkät till arbetsgivare med minst en anställd, kompletterad med telefonuppföljning av kommunernas kompetensmäklare. Varje svar avser ett arbetsställe eller en enhet och det yrke där arbetsgivaren har störst rekryteringsbehov."),
        ("Urval", "Arbetsgivare i kommunernas näringslivsregister, offentliga arbetsgivare (kommun och region) samt ideella organisationer med anställda."),
        ("Antal utskick", lan["utskick"]),
        ("Antal svar", lan["antal_svar"]),
        ("Svarsfrekvens", f"{lan['svarsfrekvens']} %"),
    ]
    for k in KOMMUNER:
        st = agg[slugify(k)]
        rader.append((f"Svar {k}", f"{st['antal_svar']} av {st['utskick']} ({st['svarsfrekvens']} %)"))
    rader += [
        ("Rekryteringsbehov", "Antal personer som arbetsgivaren behöver rekrytera inom 12 månader respektive inom 3 år (3 år inkluderar de första 12 månaderna)."),
        ("Svårighet att rekrytera", "Skala 1–5 där 1 = inga svårigheter och 5 = mycket stora svårigheter."),
        ("Yrkesklassificering", "SSYK 2012, fyrsiffernivå. Bransch enligt SNI 2007 (avdelning, två siffror)."),
        ("Sekretess", "Arbetsgivarnas namn får inte spridas utanför projektet. I publika sammanställningar redovisas inte grupper med färre än fem svar (för få svar)."),
        ("Kontakt", "Regional samordnare, Kompetensmäklare i Västerbotten, Region Västerbotten"),
    ]
    for r in rader:
        info.append(list(r))
    info["A1"].font = bold
    info["B1"].font = bold
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 110

    d = datetime(2025, 4, 14, 8, 0, 0)
    wb.properties.creator = "Region Västerbotten, Kompetensmäklare i Västerbotten"
    wb.properties.lastModifiedBy = "Region Västerbotten"
    wb.properties.title = "Arbetsgivarenkät 2025"
    wb.properties.created = d
    wb.properties.modified = d
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(out))
    normalize_zip(out, d)


def survey_csv_bytes(df: pd.DataFrame) -> bytes:
    d = df.copy()
    d["Svarsdatum"] = d["Svarsdatum"].map(lambda x: x.isoformat())
    buf = io.StringIO()
    d.to_csv(buf, sep=";", index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("cp1252")


def bristlista_csv_bytes(brist: pd.DataFrame) -> bytes:
    out = []
    for r in brist.itertuples():
        yrke_lc = r.yrke[0].lower() + r.yrke[1:] if not r.yrke[:2].isupper() else r.yrke
        if r.rekryteringssituation == "paradox":
            rs_text = (f"I Västerbottens län bedöms rekryteringssituationen för {yrke_lc} kännetecknas av "
                       "rekryteringssvårigheter. Det finns samtidigt ett potentiellt utbud av personer som arbetar "
                       "deltid inom yrket. Brist på arbetskraft kan förekomma.")
        else:
            rs_text = (f"I Västerbottens län bedöms rekryteringssituationen för {yrke_lc} kännetecknas av "
                       f"{r.rekryteringssituation}.")
        pr = {"öka": "öka jämfört med idag", "vara oförändrad": "vara oförändrad", "minska": "minska jämfört med idag"}[r.prognos]
        text = f"{rs_text} På fem års sikt förväntas efterfrågan på {yrke_lc} {pr}."
        out.append({
            "omgang": "2025-1", "lan": "24", "lan_namn": "Västerbottens län", "yrkesomrade": r.yrkesomrade,
            "yrke": r.yrke, "ssyk": r.ssyk, "ssyk_text": r.ssyk_text, "jobbmojligheter": r.jobbmojligheter,
            "rekryteringssituation": r.rekryteringssituation, "prognos": r.prognos, "text": text,
        })
    buf = io.StringIO()
    pd.DataFrame(out).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------

def normalize_zip(path: Path, d: datetime) -> None:
    """Skriver om ett Office-arkiv med fasta tidsstämplar och fasta datum i core.xml."""
    stamp = d.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                txt = data.decode("utf-8")
                txt = re.sub(r"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)", rf"\g<1>{stamp}\g<2>", txt)
                txt = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", txt)
                data = txt.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    path.write_bytes(buf.getvalue())


# --------------------------------------------------------------------------------------
# Konsistenskontroller
# --------------------------------------------------------------------------------------

def check_consistency(df: pd.DataFrame, agg: dict, brist: pd.DataFrame, filled: dict[str, str]) -> None:
    bed = dict(zip(brist.ssyk, brist.rekryteringssituation))
    assert len(df) >= 300, len(df)
    assert df["Svars-ID"].is_unique
    assert set(df["SSYK-kod"]) <= set(bed), set(df["SSYK-kod"]) - set(bed)
    for k in KOMMUNER:
        sub = df[df["Kommun"] == k]
        assert len(sub) >= 25, (k, len(sub))
        assert sub["Arbetsgivare"].is_unique, k
        # största behovet (3 år) ska tillhöra ett yrke med minst fem svar, så att svaret är entydigt
        rank = yrkesrank(sub)
        assert rank[0][1]["antal"] >= MIN_SVAR, (k, rank[0])
        assert rank[0][0] == agg[slugify(k)]["topp1_ssyk"]
        assert rank[0][1]["behov3"] > rank[1][1]["behov3"], (k, rank[:2])
    assert (df["Rekryteringsbehov 3 år"] >= df["Rekryteringsbehov 12 mån"]).all()
    # påståenden i löptexten som beror på data (ändras fröet måste texterna ses över)
    andra = ["umea", "vilhelmina", "asele", "dorotea"]
    assert agg["skelleftea"]["andel_svart"] < min(agg[k]["andel_svart"] for k in andra), "Skellefteå ska ha lägst andel svårt"
    assert agg["umea"]["vanligaste_orsak"].startswith("krav på legitimation"), agg["umea"]["vanligaste_orsak"]
    assert agg["asele"]["topp2_ssyk"] == "8332" and agg["dorotea"]["topp2_ssyk"] == "8332"
    assert agg["inland"]["vanligaste_orsak"].startswith("långa avstånd")
    assert agg["umea"]["yrke"]["2512"]["andel_svart"] < agg["umea"]["andel_svart"]
    frekv = {k: agg[slugify(k)]["svarsfrekvens"] for k in KOMMUNER}
    assert max(frekv, key=frekv.get) == "Vilhelmina" and min(frekv, key=frekv.get) == "Umeå", frekv
    for i in range(1, 6):
        assert bed[agg["lan"][f"topp{i}_ssyk"]] == "brist"
    for k in ["vilhelmina"]:
        assert all(bed[s] == "brist" for s, r in agg[k]["yrke"].items() if r["antal"] >= MIN_SVAR)
    # handlingsplanernas prioriterade bristyrken ska vara brist i yrkesbarometern
    for src, text in filled.items():
        if not src.startswith("handlingsplaner/"):
            continue
        m = re.search(r"\n#+ [\d.]*\s*Prioriterade bristyrken\n(.*?)(?=\n#)", text, re.S)
        assert m, f"{src}: saknar avsnittet Prioriterade bristyrken"
        koder = re.findall(r"SSYK (\d{4})", m.group(1))
        assert koder, src
        for kod in koder:
            assert bed.get(kod) == "brist", f"{src}: {kod} är {bed.get(kod)} i yrkesbarometern"


# --------------------------------------------------------------------------------------
# Huvudfunktion
# --------------------------------------------------------------------------------------

def _render_job(job) -> None:
    fmt, meta, blocks, target = job
    (render_pdf if fmt == "pdf" else render_docx)(meta, blocks, target)


def render(out_dir: Path | str | None = None) -> list[str]:
    out_dir = Path(out_dir) if out_dir else ROOT
    spec = load_yaml(SOURCES / "enkat" / "enkat-spec.yaml")
    brist = load_bristlista_source()
    df = generate_survey(spec, brist)
    agg = compute_aggregates(df, spec)
    ctx = flat_context(agg, brist)
    tables = build_tables(df, agg, brist, spec)
    written = []

    filled = {}
    jobs = []
    for src, dst, fmt in DOCUMENTS:
        raw = (SOURCES / src).read_text(encoding="utf-8")
        meta, body = split_front_matter(raw)
        body = fill_template(body, ctx, tables)
        meta = yaml.safe_load(fill_template(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), ctx, tables))
        filled[src] = body
        jobs.append((fmt, meta, parse_markdown(body), out_dir / dst))
        written.append(dst)

    check_consistency(df, agg, brist, filled)

    for job in jobs:
        _render_job(job)

    render_xlsx(df, spec, agg, out_dir / SURVEY_XLSX)
    written.append(SURVEY_XLSX)
    (out_dir / SURVEY_CSV).write_bytes(survey_csv_bytes(df[df["Kommun"] == SURVEY_CSV_KOMMUN]))
    written.append(SURVEY_CSV)
    (out_dir / BRISTLISTA_CSV).parent.mkdir(parents=True, exist_ok=True)
    (out_dir / BRISTLISTA_CSV).write_bytes(bristlista_csv_bytes(brist))
    written.append(BRISTLISTA_CSV)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="målkatalog (standard: corpus/)")
    ap.add_argument("--aggregat", action="store_true", help="skriv ut enkätens aggregat och avsluta")
    args = ap.parse_args(argv)
    if args.aggregat:
        df = generate_survey()
        agg = compute_aggregates(df)
        for area, st in agg.items():
            print(f"== {area}")
            for k, v in st.items():
                if k == "yrke":
                    for ssyk, r in v.items():
                        print(f"   {ssyk} {r}")
                else:
                    print(f"   {k}: {v}")
        return 0
    for p in render(args.out):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
