"""The `kompetens` command line: a thin shell over the service layer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from assistant.errors import KompetensError
from assistant.records import FileOutcome
from assistant.scopes import slugify

app = typer.Typer(
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


class _RichProgress:
    """Draws ingest progress: one bar over the chunks to embed, a line per finished file."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=err, transient=True,
        )
        self._task: Any = None

    def __enter__(self) -> _RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._bar.stop()

    def planned(self, files: int, chunks: int) -> None:
        self._task = self._bar.add_task(f"Indexerar {files} dokument (textavsnitt)", total=chunks)

    def embedded(self, chunks: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, chunks)

    def finished(self, outcome: FileOutcome) -> None:
        if outcome.status == "misslyckad":
            self._bar.console.print(f"[red]✗[/] {outcome.path}: {outcome.message}")
        elif outcome.status in ("ny", "ändrad"):
            self._bar.console.print(f"[green]✓[/] {outcome.path} ({outcome.status}, {outcome.chunks} avsnitt)")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Filer eller mappar (standard: corpus/).")] = None,
    scope: Annotated[str | None, typer.Option(help="Behörighet för filer utan post i manifestet.")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Ta bort dokument vars filer inte längre finns.")] = False,
) -> None:
    """Indexera dokument (PDF, DOCX, Markdown, TXT, CSV, XLSX)."""
    service = _service()
    try:
        with _RichProgress() as progress:
            report = service.ingest(paths or [Path("corpus")], scope=scope, prune=prune, progress=progress)
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


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Sökfråga på svenska (eller engelska).")],
    k: Annotated[int, typer.Option("-k", help="Antal träffar.", min=1, max=100)] = 10,
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut träffarna som JSON.")] = False,
) -> None:
    """Sök i underlaget och visa rankade textavsnitt med källa."""
    service = _service()
    try:
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


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Frågan, på svenska (engelska går också).")],
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut svaret som JSON (Answer-posten).")] = False,
) -> None:
    """Ställ en fråga och få ett svar med numrerade källor."""
    service = _service()
    try:
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


@app.command()
def draft(
    kommun: Annotated[str, typer.Option("--kommun", "-k", help="Kommunen planen gäller, t.ex. Åsele.")],
    avsnitt: Annotated[list[str] | None, typer.Option(
        "--avsnitt", "-a", help="Avsnitt (upprepa): bakgrund, nulage, insatser, ansvar, tidplan, uppfoljning, "
                                "hallbarhet. Standard: alla.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) eller docx (Word).")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fil att skriva till.")] = None,
    scope: ScopeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ut utkastet som JSON (Draft-posten).")] = False,
) -> None:
    """Skriv ett utkast till handlingsplan för en kommun, med källhänvisningar."""
    if fmt not in ("md", "docx"):
        err.print("[bold red]Fel:[/] Formatet ska vara md eller docx.")
        raise typer.Exit(code=2)
    service = _service()
    try:
        result = service.draft(kommun, avsnitt, _caller_scopes(service, scope))
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


@app.command()
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
    table = Table(title=f"Indexerade dokument ({len(docs)})")
    for column in ("Titel", "Typ", "Kommun", "År", "Behörighet", "Avsnitt", "Fil"):
        table.add_column(column)
    for d in docs:
        table.add_row(d.title, d.type, d.kommun or "–", str(d.year or "–"), d.scope, str(d.chunks), d.path)
    console.print(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adress att lyssna på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Starta webbsidan och API:t."""
    # uvicorn and FastAPI load only for `serve`, so the other commands start fast.
    import uvicorn

    from assistant.interfaces.api import create_app

    try:
        web_app = create_app(_service())
    except KompetensError as exc:
        _fail(exc)
    console.print(f"Kompetensassistenten svarar på http://{host}:{port}/ (avsluta med Ctrl+C)")
    uvicorn.run(web_app, host=host, port=port, log_level="info")


@app.command()
def slack() -> None:
    """Kör Slack-boten över Socket Mode (KOMPETENS_SLACK_APP_TOKEN och KOMPETENS_SLACK_BOT_TOKEN)."""
    from assistant.interfaces.slack.bot import run_socket_mode  # slack_bolt loads only for `slack`

    console.print("Slack-boten ansluter via Socket Mode (avsluta med Ctrl+C)")
    try:
        run_socket_mode(_service())
    except KompetensError as exc:
        _fail(exc)


@app.command(name="eval")
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
