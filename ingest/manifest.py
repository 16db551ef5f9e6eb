"""The corpus manifest (`manifest.yaml`): per-file catalogue metadata, exclusions and defaults."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant import scopes
from assistant.errors import ConfigError, InvalidScope
from assistant.records import DOCUMENT_TYPES, DocumentMeta

MANIFEST_NAME = "manifest.yaml"

_TYPE_HINTS = (
    ("handlingsplan", "handlingsplan"), ("enkat", "enkat"), ("enkät", "enkat"), ("brist", "bristlista"),
    ("barometer", "bristlista"), ("lardom", "lardom"), ("lärdom", "lardom"), ("protokoll", "protokoll"),
    ("agenda", "agenda"), ("strategi", "strategi"), ("rus", "strategi"), ("beslut", "beslut"),
)


@dataclass(frozen=True)
class Manifest:
    """Metadata for the files under `root`, keyed by their path relative to it."""

    root: Path
    entries: dict[str, DocumentMeta] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()

    def relative(self, path: Path) -> str | None:
        """`path` relative to the manifest's root (POSIX), or None when outside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, RuntimeError, OSError):  # outside the root, or a symbolic link loop
            return None

    def excludes(self, path: Path) -> bool:
        """True when the manifest says `path` is not to be indexed."""
        rel = self.relative(path)
        return rel is not None and any(fnmatch.fnmatch(rel, pattern) for pattern in self.exclude)

    def meta_for(self, path: Path, default_scope: str, title_hint: str | None) -> DocumentMeta:
        """The manifest entry of `path`, or defaults guessed from its name and `default_scope`."""
        rel = self.relative(path)
        if rel is not None and rel in self.entries:
            return self.entries[rel]
        return default_meta(path, default_scope, title_hint)

    def replaced_doc_path(self, meta: DocumentMeta) -> str | None:
        """Path (as indexed) of the document `meta` replaces, if any."""
        return (self.root / meta.replaces).as_posix() if meta.replaces else None


def default_meta(path: Path, scope: str, title_hint: str | None) -> DocumentMeta:
    """Metadata for a file with no manifest entry: guessed type, kommun and year, the given scope."""
    name = path.as_posix().lower()
    doc_type = next((t for hint, t in _TYPE_HINTS if hint in name), "ovrigt")
    kommun = next((k for k in scopes.PARTNER_KOMMUNER if scopes.slugify(k) in scopes.slugify(name)), None)
    year_match = re.search(r"(?<!\d)(20\d\d)(?!\d)", path.name)
    return DocumentMeta(
        title=(title_hint or path.stem.replace("-", " ").replace("_", " ")).strip(),
        type=doc_type, scope=scopes.normalize(scope), kommun=kommun,
        year=int(year_match.group(1)) if year_match else None,
    )


def find_manifest(path: Path) -> Manifest | None:
    """The manifest governing `path`: the nearest `manifest.yaml` in it or its parents."""
    start = path.resolve()
    for folder in ([start] if start.is_dir() else []) + list(start.parents):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return load_manifest(candidate)
    return None


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest file; errors name the entry and the problem, in Swedish."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Manifestet {path} är inte giltig YAML: {exc}") from exc
    entries = {}
    for i, raw in enumerate(data.get("documents") or [], start=1):
        meta = _parse_entry(raw, f"{path.name}, post {i}")
        entries[str(raw["path"])] = meta
    for rel, meta in entries.items():
        if meta.replaces and meta.replaces not in entries:
            raise ConfigError(f"Manifestet {path}: '{rel}' ersätter '{meta.replaces}', som saknas i manifestet.")
    return Manifest(root=path.parent, entries=entries, exclude=tuple(data.get("exclude") or ()))


def _parse_entry(raw: dict[str, Any], where: str) -> DocumentMeta:
    missing = [key for key in ("path", "title", "type", "scope") if not raw.get(key)]
    if missing:
        raise ConfigError(f"Manifestet ({where}) saknar fälten: {', '.join(missing)}.")
    if raw["type"] not in DOCUMENT_TYPES:
        raise ConfigError(
            f"Manifestet ({where}): okänd typ '{raw['type']}'. Tillåtna: {', '.join(DOCUMENT_TYPES)}."
        )
    try:
        scope = scopes.normalize(str(raw["scope"]))
    except InvalidScope as exc:
        raise ConfigError(f"Manifestet ({where}): {exc}") from exc
    year = raw.get("year")
    return DocumentMeta(
        title=str(raw["title"]), type=raw["type"], scope=scope, kommun=raw.get("kommun"),
        year=int(year) if year is not None else None,
        valid_from=_date_text(raw.get("valid_from")), valid_to=_date_text(raw.get("valid_to")),
        replaces=raw.get("replaces"),
        row_scope=_row_scope(raw.get("row_scope"), where),
    )


def _row_scope(value: Any, where: str) -> str | None:
    """`row_scope`: the table column whose value (a kommun) scopes each row, e.g. "Kommun"."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"Manifestet ({where}): row_scope ska vara namnet på en kolumn, t.ex. \"Kommun\".")
    return value.strip()


def _date_text(value: Any) -> str | None:
    return None if value is None else str(value)
