"""Swedish `--help` for the `kompetens` command: usage, arguments, flags and an example per command.

Typer's own help is English ("Usage", "Show this message and exit", "[required]") with type tags;
these command classes write the help themselves, in Swedish, as plain text.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

EXAMPLES = {
    "ingest": ["kompetens ingest corpus", "kompetens ingest nya-filer/ --scope kommun:asele --prune"],
    "search": ['kompetens search "Vilka bristyrken finns i Åsele?" -k 5'],
    "ask": ['kompetens ask "Hur många arbetsgivare i Åsele svarade på enkäten?"'],
    "draft": ["kompetens draft --kommun Åsele --avsnitt nulage --format docx -o plan.docx"],
    "sources": ["kompetens sources --scope publik", "kompetens sources --json"],
    "serve": ["kompetens serve --port 8000 --ingest corpus"],
    "slack": ["KOMPETENS_SLACK_APP_TOKEN=xapp-… KOMPETENS_SLACK_BOT_TOKEN=xoxb-… kompetens slack"],
    "eval": ["kompetens eval --no-baseline"],
}
_GROUP_EXAMPLES = ['kompetens ask "Vad är lärcentra?"', "kompetens ask --help"]

# What a value is called in the help (instead of TEXT, INTEGER, PATH …).
_METAVARS = {
    "paths": "SÖKVÄG", "query": "FRÅGA", "question": "FRÅGA", "k": "ANTAL", "scope": "BEHÖRIGHET",
    "kommun": "KOMMUN", "avsnitt": "AVSNITT", "fmt": "FORMAT", "output": "FIL", "host": "ADRESS",
    "port": "PORT", "question_set": "FIL", "report_dir": "MAPP", "ingest": "SÖKVÄG", "ingest_paths": "SÖKVÄG",
    "year": "ÅR", "access": "NIVÅ",
}
HELP_TEXT = "Visa den här hjälpen och avsluta."


def _metavar(param: Any) -> str:
    return _METAVARS.get(param.name or "", "VÄRDE")


def _option_row(param: Any) -> tuple[str, str]:
    names = ", ".join(sorted([*param.opts, *param.secondary_opts], key=lambda o: (o.startswith("--"), o)))
    if param.name == "help":
        return names, HELP_TEXT
    is_flag = getattr(param, "is_flag", False)
    left = names if is_flag else f"{names} {_metavar(param)}"
    text = param.help or ""
    low, high = getattr(getattr(param, "type", None), "min", None), getattr(getattr(param, "type", None), "max", None)
    if low is not None and high is not None:
        text += f" ({low}–{high})"
    if not is_flag and param.default not in (None, (), []) and "Standard" not in text:
        text += f" Standard: {param.default}."
    if getattr(param, "multiple", False) and "upprepa" not in text:
        text += " Kan upprepas."
    if param.required:
        text += " (krävs)"
    return left, text.strip()


def write_help(command: Any, ctx: Any, formatter: Any) -> None:
    """The whole help page of `command`, in Swedish."""
    pieces = []
    arguments = [p for p in command.get_params(ctx) if p.param_type_name == "argument"]
    options = [p for p in command.get_params(ctx) if p.param_type_name == "option"]
    if options:
        pieces.append("[FLAGGOR]")
    for arg in arguments:
        name = _metavar(arg)
        pieces.append(f"[{name} …]" if arg.nargs != 1 and not arg.required else
                      (f"{name} …" if arg.nargs != 1 else (name if arg.required else f"[{name}]")))
    if getattr(command, "commands", None):
        pieces.append("KOMMANDO [FLAGGOR] …")
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="Användning: ")
    if command.help:
        formatter.write_paragraph()
        formatter.write_text(command.help)
    if arguments:
        with formatter.section("Argument"):
            formatter.write_dl([(_metavar(a), (a.help or "") + (" (krävs)" if a.required else ""))
                                for a in arguments])
    commands = getattr(command, "commands", None)
    if commands:
        with formatter.section("Kommandon"):
            formatter.write_dl([(name, cmd.get_short_help_str(120)) for name, cmd in commands.items() if not cmd.hidden])
    if options:
        with formatter.section("Flaggor"):
            formatter.write_dl([_option_row(p) for p in options])
    examples = _GROUP_EXAMPLES if commands else EXAMPLES.get(command.name or "", [])
    if examples:
        with formatter.section("Exempel" if len(examples) == 1 else "Exempel"):
            for line in examples:
                formatter.write_text(line)


class SwedishCommand(TyperCommand):
    """A `kompetens` subcommand with Swedish help."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        write_help(self, ctx, formatter)


class SwedishGroup(TyperGroup):
    """The `kompetens` command itself, with Swedish help listing the subcommands."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        write_help(self, ctx, formatter)
