"""The handlingsplan template (`prompts/handlingsplan.yaml`) as typed records, checked on load.

The template says, per section, which parts to write, from which evidence, with which retrieval
queries and what to write as "[Att komplettera: …]" when the evidence is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.answer.llm import prompt_dir
from assistant.errors import ConfigError
from assistant.records import DOCUMENT_TYPES, DRAFT_SECTIONS

TEMPLATE_NAME = "handlingsplan.yaml"
PART_KINDS = frozenset({"text", "history", "survey", "survey_baseline", "insatser", "joint_insatser",
                        "responsibilities", "timeline", "timeline_check", "indicators", "gap"})
_KOMMUN_RULES = frozenset({"own", "other", "none", "any"})
_HISTORY_RULES = frozenset({"exclude", "only"})
_MENTION_RULES = frozenset({"no", "preferred", "required"})
_PLACEHOLDERS = frozenset({"kommun", "bristyrken", "år"})


@dataclass(frozen=True)
class Evidence:
    """Which documents and passages a part may draw on."""

    types: tuple[str, ...] = ()
    kommun: str = "any"
    history: str = "exclude"
    sections: tuple[str, ...] = ()
    mention: str = "no"
    whole_documents: bool = False
    skip_sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    """One piece of a section: sentences from sources, or a computed or structured table."""

    kind: str
    subheading: str | None = None
    queries: tuple[str, ...] = ()
    evidence: Evidence = Evidence()
    focus: str = ""
    require: str | None = None
    max: int = 2
    max_items: int = 6
    lists: bool = False
    missing: str | None = None
    min_hits: int | None = None
    with_previous: bool = False


@dataclass(frozen=True)
class SectionSpec:
    """One section of the plan: its key, heading and parts in order."""

    key: str
    heading: str
    parts: tuple[Part, ...]


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with {kommun}, {bristyrken} and {år} replaced (other braces are left alone)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text).strip()


def load_template(path: Path | None = None) -> tuple[SectionSpec, ...]:
    """The template's sections in plan order; ConfigError (Swedish) when it is malformed."""
    return _load(path or prompt_dir() / TEMPLATE_NAME)


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[SectionSpec, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Mallen för handlingsplaner ({path}) kunde inte läsas: {exc}") from exc
    skip = tuple(str(s) for s in data.get("skip_sections") or ())
    sections = tuple(_section(raw, path, skip) for raw in data.get("sections") or ())
    known = dict(DRAFT_SECTIONS)
    keys = [s.key for s in sections]
    if sorted(keys) != sorted(known):
        raise ConfigError(f"Mallen {path} ska ha exakt avsnitten {', '.join(known)} (har: {', '.join(keys)}).")
    return sections


def _section(raw: dict[str, Any], path: Path, skip: tuple[str, ...]) -> SectionSpec:
    key = str(raw.get("key", ""))
    where = f"{path.name}, avsnitt '{key}'"
    heading = dict(DRAFT_SECTIONS).get(key)
    if heading is None or raw.get("heading") != heading:
        raise ConfigError(f"Mallen ({where}): okänt avsnitt eller fel rubrik (ska vara '{heading}').")
    parts = tuple(_part(p, f"{where}, del {i}", skip) for i, p in enumerate(raw.get("parts") or (), start=1))
    if not parts:
        raise ConfigError(f"Mallen ({where}) har inga delar.")
    return SectionSpec(key, heading, parts)


def _part(raw: dict[str, Any], where: str, skip: tuple[str, ...]) -> Part:
    kind = raw.get("kind")
    if kind not in PART_KINDS:
        raise ConfigError(f"Mallen ({where}): okänd typ '{kind}'. Tillåtna: {', '.join(sorted(PART_KINDS))}.")
    evidence = _evidence(raw.get("evidence") or {}, where, skip)
    for text in [*(raw.get("queries") or ()), raw.get("focus") or "", raw.get("missing") or ""]:
        unknown = set(re.findall(r"\{(\w+)\}", str(text))) - _PLACEHOLDERS
        if unknown:
            raise ConfigError(f"Mallen ({where}): okända platshållare {', '.join(sorted(unknown))}.")
    if raw.get("require"):
        try:
            re.compile(str(raw["require"]))
        except re.error as exc:
            raise ConfigError(f"Mallen ({where}): felaktigt uttryck i 'require': {exc}.") from exc
    if kind == "gap" and not raw.get("missing"):
        raise ConfigError(f"Mallen ({where}): en del av typen gap behöver 'missing'.")
    if kind == "text" and not (raw.get("queries") or evidence.whole_documents):
        raise ConfigError(f"Mallen ({where}): en textdel behöver 'queries' eller 'whole_documents'.")
    return Part(
        kind=kind, subheading=raw.get("subheading"), queries=tuple(str(q) for q in raw.get("queries") or ()),
        evidence=evidence, focus=str(raw.get("focus") or ""), require=raw.get("require"),
        max=int(raw.get("max", 2)), max_items=int(raw.get("max_items", 6)), lists=bool(raw.get("lists", False)),
        missing=raw.get("missing"), min_hits=int(raw["min_hits"]) if "min_hits" in raw else None,
        with_previous=bool(raw.get("with_previous", False)),
    )


def _evidence(raw: dict[str, Any], where: str, skip: tuple[str, ...]) -> Evidence:
    evidence = Evidence(
        types=tuple(raw.get("types") or ()), kommun=str(raw.get("kommun", "any")),
        history=str(raw.get("history", "exclude")), sections=tuple(str(s) for s in raw.get("sections") or ()),
        mention=str(raw.get("mention", "no")), whole_documents=bool(raw.get("whole_documents", False)),
        skip_sections=skip,
    )
    bad = [t for t in evidence.types if t not in DOCUMENT_TYPES]
    if bad or evidence.kommun not in _KOMMUN_RULES or evidence.history not in _HISTORY_RULES \
            or evidence.mention not in _MENTION_RULES:
        raise ConfigError(f"Mallen ({where}): ogiltigt 'evidence' ({raw}).")
    return evidence
