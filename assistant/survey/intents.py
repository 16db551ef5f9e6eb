"""One handler per survey intent: count answers, rank yrken, sum needs, compare kommuner, interest, difficulty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.survey.columns import MIN_RESPONDENTS, TOO_FEW, SurveyComputation, Topic
from assistant.survey.frame import (
    Context,
    figures_result,
    header_of,
    horizon_phrase,
    in_sentence,
    join_names,
    markdown_table,
    need_column,
    respondents,
    suppressed_result,
    unit_word,
    visible,
)
from assistant.text.fold import fold, sv_key
from assistant.text.numbers import format_number, format_percent


def _count_answers(ctx: Context) -> SurveyComputation:
    """antal_svar: responses and distinct employers in the base."""
    if not visible(ctx.base, ctx.can_see_rows, ctx.full):
        return suppressed_result(ctx, "antalet svar", ["Antal svar"])
    n, employers = len(ctx.base), respondents(ctx.base)
    if ctx.cols.employer and employers != n:  # one employer may answer for several workplaces
        text = (f"Enligt {ctx.doc.title} kom det in {format_number(n)} svar {ctx.where} från "
                f"{format_number(employers)} arbetsgivare (ett svar per arbetsställe eller enhet; arbetsgivare "
                f"räknade som unika namn i kolumnen ”{ctx.cols.employer}”; filter: {ctx.filter_label}) [1].")
    elif ctx.cols.employer:
        text = (f"Enligt {ctx.doc.title} svarade {format_number(employers)} arbetsgivare {ctx.where} "
                f"(n = {format_number(n)} svar; arbetsgivare räknade som unika namn i kolumnen "
                f"”{ctx.cols.employer}”; filter: {ctx.filter_label}) [1].")
    else:
        text = (f"Enligt {ctx.doc.title} kom det in {format_number(n)} svar {ctx.where} "
                f"(n = {format_number(n)}, en rad per svar; filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", "Antal svar (n)", "Antal arbetsgivare"],
                              [[ctx.filter_label, format_number(n), format_number(employers)]])
    return figures_result(ctx, text, {"n": n, "arbetsgivare": employers,
                               "counted": "unika arbetsgivare" if ctx.cols.employer else "rader"}, table_md)


def _rank_yrken(ctx: Context) -> SurveyComputation | None:
    """topp_behov: need summed per yrke, largest first; small yrke groups are left out of the ranking."""
    need = need_column(ctx)
    if need is None:
        return None
    column, horizon = need
    if not visible(ctx.base, ctx.can_see_rows, ctx.full):
        return suppressed_result(ctx, f"rekryteringsbehovet {horizon_phrase(horizon)}", ["Rekryteringsbehov"])
    shown, hidden = _yrke_groups(ctx, column)
    top = shown[: ctx.query.top_n]
    n = len(ctx.base)
    listing = "; ".join(f"{i}. {g['yrke']} – {format_number(g['behov'])} personer "
                        f"({format_number(g['respondenter'])} {unit_word(ctx)})" for i, g in enumerate(top, 1))
    lead = (f"{top[0]['yrke']} har störst rekryteringsbehov {horizon_phrase(horizon)} {ctx.where}, "
            f"{format_number(top[0]['behov'])} personer [1]. " if top else "")  # the answer first, then the ranking
    text = lead + (f"Enligt {ctx.doc.title} har följande yrken störst rekryteringsbehov {horizon_phrase(horizon)} "
            f"{ctx.where} (n = {format_number(n)} svar; summa av kolumnen ”{header_of(ctx, column)}” per yrke; "
            f"filter: {ctx.filter_label}): {listing or 'inget yrke kan redovisas'} [1].")
    if hidden:
        text += (f" {format_number(len(hidden))} yrken med färre än {MIN_RESPONDENTS} svarande redovisas inte "
                 f"({TOO_FEW}).")
    rows = [[str(i), g["yrke"], g["ssyk"], format_number(g["behov"]), format_number(g["respondenter"])]
            for i, g in enumerate(top, 1)]
    rows += [["–", name, code, TOO_FEW, TOO_FEW] for name, code in hidden]
    table_md = markdown_table(["Rang", "Yrke", "SSYK", f"Behov {horizon_phrase(horizon)}",
                               f"Antal {unit_word(ctx)}"], rows)
    figures = {"n": n, "horizon": horizon, "column": header_of(ctx, column), "rows": top,
               "too_few": [name for name, _ in hidden]}
    return figures_result(ctx, text, figures, table_md)


def _yrke_groups(ctx: Context, column: str) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(ranked visible groups as dicts, [(name, ssyk)] of hidden groups sorted by name)."""
    shown: list[dict[str, Any]] = []
    hidden: list[tuple[str, str]] = []
    for key, group in ctx.base.groupby("yrke_key", sort=False):
        label, code = str(group["yrke_label"].iloc[0]), str(group["ssyk"].iloc[0])
        if not visible(group, ctx.can_see_rows, ctx.full):
            hidden.append((label, code))
            continue
        shown.append({"yrke": label, "ssyk": code, "behov": _number(group[column].sum()),
                      "respondenter": respondents(group), "n": len(group)})
    if len(hidden) == 1 and shown:
        # One hidden yrke would be the base's total minus the yrken shown: hide the smallest shown one too.
        smallest = min(shown, key=lambda g: (g["respondenter"], g["n"], sv_key(g["yrke"])))
        shown.remove(smallest)
        hidden.append((smallest["yrke"], smallest["ssyk"]))
    shown.sort(key=lambda g: (-g["behov"], sv_key(g["yrke"])))
    for rank, group in enumerate(shown, 1):
        group["rank"] = rank
    return shown, sorted(hidden, key=lambda h: sv_key(h[0]))


def _number(value: Any) -> int | float:
    """A pandas sum as a plain int when whole, else a float rounded to 2 decimals."""
    number = float(value)
    return int(number) if number.is_integer() else round(number, 2)


def _sum_need(ctx: Context) -> SurveyComputation | None:
    """summa_behov: the total need of the base (a kommun, a yrke, or both)."""
    need = need_column(ctx)
    if need is None:
        return None
    column, horizon = need
    if not visible(ctx.base, ctx.can_see_rows, ctx.full):
        return suppressed_result(ctx, f"rekryteringsbehovet {horizon_phrase(horizon)}", ["Rekryteringsbehov"])
    values = ctx.base[column]
    total, n, missing = _number(values.sum()), len(ctx.base), int(values.isna().sum())
    subject = f" för {in_sentence(ctx.query.yrke)}" if ctx.query.yrke else ""
    gaps = f", varav {format_number(missing)} utan uppgift" if missing else ""
    text = (f"Enligt {ctx.doc.title} är rekryteringsbehovet{subject} {ctx.where} {horizon_phrase(horizon)} "
            f"{format_number(total)} personer (summa av kolumnen ”{header_of(ctx, column)}”; "
            f"n = {format_number(n)} svar från {format_number(respondents(ctx.base))} {unit_word(ctx)}{gaps}; "
            f"filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", f"Behov {horizon_phrase(horizon)}", "Antal svar (n)"],
                              [[ctx.filter_label, format_number(total), format_number(n)]])
    figures = {"n": n, "behov": total, "horizon": horizon, "column": header_of(ctx, column),
               "respondenter": respondents(ctx.base), "saknar_varde": missing}
    return figures_result(ctx, text, figures, table_md)


FEW_KOMMUNER = 3


def _compare_kommuner(ctx: Context) -> SurveyComputation | None:
    """jamfor_kommuner: need per kommun, largest first; small kommuner shown as 'för få svar'.

    n is the sum over the kommuner shown, so a hidden kommun's count cannot be got by subtraction.
    """
    need = need_column(ctx)
    if need is None:
        return None
    column, horizon = need
    shown, hidden = _kommun_groups(ctx, column)
    n = sum(g["n"] for g in shown)
    listing = "; ".join(f"{i}. {g['kommun']} – {format_number(g['behov'])} personer (n = {format_number(g['n'])} svar)"
                        for i, g in enumerate(shown, 1))
    lead = (f"har {shown[0]['kommun']} störst rekryteringsbehov {horizon_phrase(horizon)}, "
            f"{format_number(shown[0]['behov'])} personer" if shown else "kan ingen kommun redovisas")
    if 1 < len(shown) <= FEW_KOMMUNER:  # two or three kommuner compared: every figure in the first sentence
        lead += ", följt av " + join_names([f"{g['kommun']} med {format_number(g['behov'])}" for g in shown[1:]])
    text = (f"Enligt {ctx.doc.title} {lead} [1]. Per kommun (summa av kolumnen ”{header_of(ctx, column)}”; "
            f"n = {format_number(n)} svar i de kommuner som redovisas; filter: {ctx.filter_label}): "
            f"{listing or '–'} [1].")
    if hidden:
        text += f" {join_names(hidden)}: {TOO_FEW}."
    rows = [[str(i), g["kommun"], format_number(g["behov"]), format_number(g["n"]),
             format_number(g["respondenter"])] for i, g in enumerate(shown, 1)]
    rows += [["–", name, TOO_FEW, TOO_FEW, TOO_FEW] for name in hidden]
    table_md = markdown_table(["Rang", "Kommun", f"Behov {horizon_phrase(horizon)}", "Antal svar (n)",
                               f"Antal {unit_word(ctx)}"], rows)
    figures = {"n": n, "horizon": horizon, "column": header_of(ctx, column), "rows": shown, "too_few": hidden}
    return figures_result(ctx, text, figures, table_md)


def _kommun_groups(ctx: Context, column: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(ranked visible kommun groups, names of hidden kommuner in Swedish order)."""
    shown: list[dict[str, Any]] = []
    hidden: list[str] = []
    for name, group in ctx.base.groupby("kommun", sort=False):
        if not visible(group, ctx.can_see_rows, ctx.full):
            hidden.append(str(name) or "(uppgift saknas)")
            continue
        shown.append({"kommun": str(name), "behov": _number(group[column].sum()), "n": len(group),
                      "respondenter": respondents(group)})
    shown.sort(key=lambda g: (-g["behov"], sv_key(g["kommun"])))
    for rank, group in enumerate(shown, 1):
        group["rank"] = rank
    return shown, sorted(hidden, key=sv_key)


_TOPIC_FIELDS: dict[Topic, str] = {"validering": "intresse_validering", "yrkesvux": "intresse_yrkesvux",
                                   "yh": "intresse_yh"}
_TOPIC_NAMES: dict[Topic, str] = {"validering": "validering", "yrkesvux": "yrkesvux", "yh": "YH-utbildning"}
_YES = frozenset({"ja", "j", "yes", "y", "x", "1", "true", "sant"})


def _share_interest(ctx: Context) -> SurveyComputation | None:
    """andel_intresse: share of answers 'Ja' per interest column (the asked one, else all)."""
    topics = [ctx.query.topic] if ctx.query.topic else list(_TOPIC_FIELDS)
    topics = [t for t in topics if getattr(ctx.cols, _TOPIC_FIELDS[t])]
    if not topics:
        return None
    if not visible(ctx.base, ctx.can_see_rows, ctx.full):
        return suppressed_result(ctx, "andelen intresserade", [f"Intresse {_TOPIC_NAMES[t]}" for t in topics])
    shares = [_interest(ctx, topic) for topic in topics]
    listing = "; ".join(f"{_TOPIC_NAMES[s['topic']]} {format_number(s['ja'])} av {format_number(s['besvarade'])} "
                        f"svar ({format_percent(s['andel'])})" for s in shares)
    columns = ", ".join(f"”{s['column']}”" for s in shares)
    text = (f"Enligt {ctx.doc.title} anger arbetsgivarna {ctx.where} intresse för {listing} (andel Ja av dem som "
            f"besvarat frågan, kolumn {columns}; n = {format_number(len(ctx.base))} svar; "
            f"filter: {ctx.filter_label}) [1].")
    rows = [[_TOPIC_NAMES[s["topic"]], format_number(s["ja"]), format_number(s["besvarade"]),
             format_percent(s["andel"])] for s in shares]
    table_md = markdown_table(["Intresse", "Ja", "Besvarade", "Andel"], rows)
    return figures_result(ctx, text, {"n": len(ctx.base), "rows": shares}, table_md)


def _interest(ctx: Context, topic: Topic) -> dict[str, Any]:
    values = ctx.base[_TOPIC_FIELDS[topic]].map(fold)
    answered = values[values != ""]
    yes = int(answered.isin(_YES).sum())
    share = yes / len(answered) if len(answered) else 0.0
    return {"topic": topic, "column": getattr(ctx.cols, _TOPIC_FIELDS[topic]), "ja": yes,
            "besvarade": int(len(answered)), "andel": round(share, 4)}


def _difficulty(ctx: Context) -> SurveyComputation | None:
    """svarighet: mean difficulty and the share answering 4 or 5 on a 1–5 scale."""
    if not ctx.cols.svarighet:
        return None
    if not visible(ctx.base, ctx.can_see_rows, ctx.full):
        return suppressed_result(ctx, "svårigheten att rekrytera", ["Svårighet"])
    values = ctx.base["svarighet"].dropna()
    if values.empty:
        return None
    mean, hard = round(float(values.mean()), 1), int((values >= 4).sum())
    scale = values.min() >= 1 and values.max() <= 5
    subject = f" {in_sentence(ctx.query.yrke)}" if ctx.query.yrke else ""
    hard_text = f"; {format_percent(hard / len(values))} anger 4 eller 5" if scale else ""
    text = (f"Enligt {ctx.doc.title} är den genomsnittliga svårigheten att rekrytera{subject} {ctx.where} "
            f"{format_number(mean)}{' på skalan 1–5' if scale else ''}{hard_text} (medelvärde av kolumnen "
            f"”{ctx.cols.svarighet}”; n = {format_number(len(values))} svar med värde; "
            f"filter: {ctx.filter_label}) [1].")
    table_md = markdown_table(["Filter", "Medelvärde", "Andel 4–5", "Antal svar (n)"],
                              [[ctx.filter_label, format_number(mean),
                                format_percent(hard / len(values)) if scale else "–", format_number(len(values))]])
    figures = {"n": int(len(values)), "medel": mean, "andel_svart": round(hard / len(values), 4) if scale else None,
               "column": ctx.cols.svarighet}
    return figures_result(ctx, text, figures, table_md)


HANDLERS: dict[str, Callable[[Context], SurveyComputation | None]] = {
    "antal_svar": _count_answers,
    "topp_behov": _rank_yrken,
    "summa_behov": _sum_need,
    "jamfor_kommuner": _compare_kommuner,
    "andel_intresse": _share_interest,
    "svarighet": _difficulty,
}
