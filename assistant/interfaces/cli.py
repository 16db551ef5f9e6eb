"""The `kompetens` command line: a thin shell over the service layer."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from assistant.errors import KompetensError
from assistant.interfaces.cli_help import SwedishCommand, SwedishGroup
from assistant.progress import IngestTracker
from assistant.records import FileOutcome
from assistant.scopes import slugify

app = typer.Typer(
    cls=SwedishGroup,
    help="Kompetensassistenten: sök, fråga och skriv utkast ur underlaget för kompetensförsörjning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

ScopeOpt = Annotated[
    list[str] | None,
    typer.Option("--scope", "-s", help="Behörighet (upprepa): publik, projekt, kommun:<namn>. Standard: alla."),
]


def _service() -> Any:
    # The service loads the index, pandas and the stages: only commands that need it pay for that.
    from assistant.service import Service

    return Service()


def _fail(exc: KompetensError) -> None:
    err.print(f"[bold red]Fel:[/] {exc}")
    raise typer.Exit(code=2)


def _caller_scopes(service: Any, scopes: list[str] | None) -> tuple[str, ...]:
    return service.local_scopes(scopes)  # type: ignore[no-any-return]


class _Display:
    """Draws an ingest's progress: a rich bar with tokens/s on a terminal, plain lines otherwise."""

    def __init__(self, tracker: IngestTracker) -> None:
        self._tracker = tracker
        self._bar: Any = None
        self._task: Any = None
        if console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                TextColumn("avsnitt · {task.fields[rate]}"), TimeRemainingColumn(), console=err, transient=True,
            )

    def __enter__(self) -> _Display:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _rate(self) -> str:
        rate = self._tracker.tokens_per_s()
        return f"{rate:.0f} tokens/s" if rate else "– tokens/s"

    def _documents(self) -> str:
        t = self._tracker
        return f"Indexerar {min(t.documents_done + 1, t.documents_total)} av {t.documents_total} dokument"

    def planned(self, files: int, chunks: int) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task(self._documents(), total=chunks, rate=self._rate())
        elif files:
            err.print(f"Indexerar {files} dokument ({chunks} textavsnitt) …", highlight=False, soft_wrap=True)

    def embedded(self, chunks: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=chunks, rate=self._rate(), description=self._documents())

    def finished(self, outcome: FileOutcome) -> None:
        if outcome.status == "misslyckad":
            err.print(f"[red]✗[/] {outcome.path}: {outcome.message}")
        elif outcome.status in ("ny", "ändrad"):
            snap = self._tracker.snapshot()
            line = f"{outcome.path} ({outcome.status}, {outcome.chunks} avsnitt)"
            if self._bar is not None:
                err.print(f"[green]✓[/] {line}", highlight=False)
            else:
                left = f", ca {snap['eta_s']:.0f} s kvar" if snap["eta_s"] is not None else ""
                err.print(f"[{snap['documents_done']}/{snap['documents_total']}] {line} – {snap['passages_done']}/"
                          f"{snap['passages_total']} avsnitt, {self._rate()}{left}", highlight=False, soft_wrap=True)


def _working(text: str) -> Any:
    """A spinner on stderr while a command works, only when stderr is a terminal."""
    return err.status(text, spinner="dots") if err.is_terminal else contextlib.nullcontext()


@app.command(cls=SwedishCommand)
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Filer eller mappar (standard: corpus/).")] = None,
    scope: Annotated[str | None, typer.Option(help="Behörighet för filer utan post i manifestet.")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Ta bort dokument vars filer inte längre finns.")] = False,
) -> None:
    """Indexera dokument (PDF, DOCX, Markdown, TXT, CSV, XLSX)."""
    service = _service()
    try:
        tracker = IngestTracker()
        with _Display(tracker) as display:
            tracker.listeners.append(display)
            report = service.ingest(paths or [Path("corpus")], scope=scope, prune=prune, progress=tracker)
    except KompetensError as exc:
        _fail(exc)
    summary = Table(title="Sammanfattning av indexeringen")
    summary.add_column("Dokument")
    summary.add_column("Antal", justify="right")
    for label, status in (("Nya", "ny"), ("Ändrade", "ändrad"), ("Oförändrade", "oförändrad"),
                          ("Misslyckade", "misslyckad"), ("Borttagna", "borttagen"), ("Överhoppade", "överhoppad")):
        summary.add_row(label, str(report.count(status)))
    summary.add_row("Textavsnitt skrivna", str(report.chunks))
    summary.add_row("Sekunder", f"{report.seconds:.1f}")
    console.print(summary)
    for outcome in report.outcomes:
        if outcome.status == "misslyckad":
            err.print(f"[red]Misslyckad:[/] {outcome.message}")
    if report.failed:
        raise typer.Exit(code=1)


@app.command(cls=SwedishCommand)
def search(
    query: Annotated[str, typer.Argument(help="Sökfråga på svenska (eller engelska).")],
    k: Annotated[int, typer.Option("-k", help="Antal träffar.", min=1, max=100)] = 10,
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut träffarna som JSON.")] = False,
) -> None:
    """Sök i underlaget och visa rankade textavsnitt med källa."""
    service = _service()
    try:
        with _working("Söker …"):
            passages = service.search(query, _caller_scopes(service, scope), k)
    except KompetensError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=2) + "\n")
        return
    if not passages:
        console.print("Inga träffar i underlaget för den frågan.")
        return
    for rank, p in enumerate(passages, start=1):
        where = ", ".join(x for x in (f"s. {p.page}" if p.page else None, p.section,
                                      f"rad {p.rows[0]}–{p.rows[1]}" if p.rows else None) if x)
        console.print(f"[bold]{rank}. {p.title}[/] [dim]({p.path}{'; ' + where if where else ''}; {p.scope})[/]")
        console.print(f"   {_snippet(p.text)}\n", highlight=False)


@app.command(cls=SwedishCommand)
def ask(
    question: Annotated[str, typer.Argument(help="Frågan, på svenska (engelska går också).")],
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut svaret som JSON (Answer-posten).")] = False,
) -> None:
    """Ställ en fråga och få ett svar med numrerade källor."""
    service = _service()
    try:
        with _working("Tar fram svaret …"):
            result = service.ask(question, _caller_scopes(service, scope))
    except KompetensError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    console.print(result.answer, highlight=False)
    if result.fallback:
        err.print("[yellow]Språkmodellen gav inget godkänt svar; svaret är sammanställt direkt ur källorna.[/]")
    if result.citations:
        console.print("\n[bold]Källor[/]")
    for c in result.citations:
        where = ", ".join(x for x in (f"s. {c.page}" if c.page else None, c.section) if x)
        console.print(f"[{c.n}] {c.title}{' (' + where + ')' if where else ''} – {c.path}", highlight=False)
        console.print(f"    ”{_snippet(c.quote, 200)}”", style="dim", highlight=False)


@app.command(cls=SwedishCommand)
def draft(
    kommun: Annotated[str, typer.Option("--kommun", "-k", help="Kommunen planen gäller, t.ex. Åsele.")],
    avsnitt: Annotated[list[str] | None, typer.Option(
        "--avsnitt", "-a", help="Avsnitt (upprepa): bakgrund, nulage, insatser, ansvar, tidplan, uppfoljning, "
                                "hallbarhet. Standard: alla.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) eller docx (Word).")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fil att skriva till.")] = None,
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut utkastet som JSON (Draft-posten).")] = False,
    year: Annotated[int | None, typer.Option(
        "--år", "--ar", help="Planperiodens år. Standard: året efter dagens datum.")] = None,
    access: Annotated[str, typer.Option(
        "--behörighet", "--behorighet", help="publik (standard: bara publikt material och projektmaterial, "
                                             "små enkätgrupper dolda) eller intern (även kommunens interna "
                                             "underlag, märkt; kräver kommunens behörighet).")] = "publik",
) -> None:
    """Skriv ett utkast till handlingsplan för en kommun, med källhänvisningar."""
    if fmt not in ("md", "docx"):
        err.print("[bold red]Fel:[/] Formatet ska vara md eller docx.")
        raise typer.Exit(code=2)
    service = _service()
    try:
        result = service.draft(kommun, avsnitt, _caller_scopes(service, scope), year=year, access=access)
        data = service.draft_docx(result) if fmt == "docx" else None
    except KompetensError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif data is None and output is None:
        sys.stdout.write(result.markdown())
    if data is not None or output is not None:
        target = output or Path(f"handlingsplan-{slugify(result.kommun)}-utkast.docx")
        if data is not None:
            target.write_bytes(data)
        else:
            target.write_text(result.markdown(), encoding="utf-8")
        err.print(f"Utkastet för {result.kommun} är sparat i {target}.")


@app.command(cls=SwedishCommand)
def sources(
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut dokumentlistan som JSON.")] = False,
) -> None:
    """Lista indexerade dokument och deras metadata."""
    service = _service()
    try:
        docs = service.sources(_caller_scopes(service, scope))
    except KompetensError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps([d.to_dict() for d in docs], ensure_ascii=False, indent=2) + "\n")
        return
    console.print(sources_table(docs))


_TYPE_WORDS = {"strategi": "strategi", "agenda": "agenda", "handlingsplan": "handlingsplan", "enkat": "enkät",
               "bristlista": "bristlista", "lardom": "lärdom", "protokoll": "protokoll", "intern": "intern",
               "ovrigt": "övrigt"}


def sources_table(docs: Sequence[Any], width: int = 100) -> Table:
    """The documents as a compact table that fits `width` columns: titles shortened, type and kommun as words."""
    from assistant.scopes import kommun_name

    table = Table(title=f"Indexerade dokument ({len(docs)})", box=box.SIMPLE_HEAD, pad_edge=False,
                  title_justify="left", width=min(width, console.width))
    table.add_column("Titel", ratio=1)  # wraps at words: long titles take two lines, never the width
    for column, justify in (("Typ", "left"), ("Kommun", "left"), ("År", "right"), ("Behörighet", "left"),
                            ("Avsnitt", "right")):
        table.add_column(column, justify=justify, no_wrap=True, ratio=None)  # type: ignore[arg-type]
    for d in docs:
        kommun = (kommun_name(d.kommun) or d.kommun) if d.kommun else "–"
        table.add_row(d.title, _TYPE_WORDS.get(d.type, d.type), kommun, str(d.year or "–"), d.scope, str(d.chunks))
    return table


@app.command(cls=SwedishCommand)
def serve(
    host: Annotated[str, typer.Option(help="Adress att lyssna på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    ingest_paths: Annotated[list[Path] | None, typer.Option(
        "--ingest", help="Indexera dessa filer eller mappar i bakgrunden medan servern svarar (upprepa).")] = None,
) -> None:
    """Starta webbsidan och API:t (med --ingest indexeras underlaget i bakgrunden)."""
    # uvicorn and FastAPI load only for `serve`, so the other commands start fast.
    import uvicorn

    from assistant.interfaces.api import create_app

    try:
        web_app = create_app(_service())
    except KompetensError as exc:
        _fail(exc)
    console.print(f"Kompetensassistenten svarar på http://{host}:{port}/ (avsluta med Ctrl+C)")
    if ingest_paths:
        _ingest_behind(web_app.state.service, ingest_paths)
    uvicorn.run(web_app, host=host, port=port, log_level="info")


@app.command(cls=SwedishCommand)
def slack() -> None:
    """Kör Slack-boten över Socket Mode (KOMPETENS_SLACK_APP_TOKEN och KOMPETENS_SLACK_BOT_TOKEN)."""
    from assistant.interfaces.slack.bot import run_socket_mode  # slack_bolt loads only for `slack`

    console.print("Slack-boten ansluter via Socket Mode (avsluta med Ctrl+C)")
    try:
        run_socket_mode(_service())
    except KompetensError as exc:
        _fail(exc)


@app.command(name="eval", cls=SwedishCommand)
def evaluate(
    question_set: Annotated[Path | None, typer.Option("--set", help="Frågeuppsättning (YAML). Standard: evals/questions.yaml.")] = None,
    baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="Kör även LangChain-baslinjen.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut måtten som JSON.")] = False,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="Rapportmapp. Standard: evals/reports/.")] = None,
) -> None:
    """Utvärdera mot den fasta frågeuppsättningen (och baslinjen); skriver rapport, avslutar med 1 vid underkänd grind."""
    runner, report = _evals()
    service = _service()
    try:
        with err.status("Utvärderar …") as status:
            run = runner.evaluate(service, question_set or runner.DEFAULT_SET, baseline, progress=status.update)
    except KompetensError as exc:
        _fail(exc)
    doc = runner.results(run, command=" ".join(["kompetens", *sys.argv[1:]]))
    paths = report.write_reports(doc, report_dir or report.REPORT_DIR)
    if as_json:
        sys.stdout.write(json.dumps(report.stdout_document(doc), ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=f"Utvärdering ({doc['n_questions']} frågor)")
        for column in ("Mått", "System", "Baslinje", "Grind"):
            table.add_column(column)
        for row in report.summary(doc):
            table.add_row(*row)
        console.print(table)
    err.print(f"Rapport: {paths[1]} och {paths[0]}")
    for failure in doc["gates"]["failures"]:
        err.print(f"[red]Underkänd grind:[/] {failure}")
    if doc["gates"]["failures"]:
        raise typer.Exit(code=1)


def _ingest_behind(service: Any, paths: list[Path]) -> None:
    """Index `paths` in a thread of the server; progress as plain lines here and on /healthz."""
    import threading

    class _Lines:
        def planned(self, files: int, chunks: int) -> None:
            if files:
                console.print(f"Indexerar {files} dokument ({chunks} textavsnitt) i bakgrunden; frågor besvaras "
                              "från det som är klart. Förlopp: /healthz", highlight=False, soft_wrap=True)

        def embedded(self, chunks: int) -> None:
            pass

        def finished(self, outcome: FileOutcome) -> None:
            snap = service.indexing.snapshot()
            if outcome.status in ("ny", "ändrad", "misslyckad"):
                rate = f", {snap['tokens_per_s']:.0f} tokens/s" if snap["tokens_per_s"] else ""
                console.print(f"[{snap['documents_done']}/{snap['documents_total']}] {outcome.path}: {outcome.status}"
                              f"{rate}", highlight=False, soft_wrap=True)

    service.indexing.listeners.append(_Lines())
    thread = service.ingest_in_background(paths)

    def report() -> None:
        thread.join()
        snap = service.indexing.snapshot()
        console.print(f"Indexeringen är klar: {snap['documents_done']} dokument på {snap['elapsed_s']:.0f} s"
                      + (f" ({snap['error']})" if snap["error"] else ""), highlight=False, soft_wrap=True)

    threading.Thread(target=report, daemon=True).start()


def _evals() -> tuple[Any, Any]:
    # evals/ lives beside the packages in a checkout and is not installed with them.
    try:
        from evals import report, runner
    except ModuleNotFoundError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from evals import report, runner
    return runner, report


def _snippet(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


if __name__ == "__main__":
    app()
