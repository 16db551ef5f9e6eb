"""Shared fixtures: settings in a temporary data dir, a fast service on the hash embedder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.service import Service

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings isolated from the environment, with a given data dir and embedder."""
    values: dict[str, object] = {"data_dir": data_dir, "embed": {"backend": "hash"}}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    svc = Service(settings)
    yield svc
    if svc._index is not None:
        svc._index.lexical.close()


def write(path: Path, text: str) -> Path:
    """Write a UTF-8 text file, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# One index of the sample corpus per test run; KOMPETENS_TEST_E5_INDEX puts it elsewhere (parallel work trees).
E5_INDEX = Path(os.environ.get("KOMPETENS_TEST_E5_INDEX", REPO / ".cache" / "e5-index"))


@pytest.fixture(scope="session")
def corpus_service() -> Iterator[Service]:
    """The sample corpus indexed once per test run with the real e5 embedder (incremental, so a
    previous run's index in .cache/ is reused when nothing changed)."""
    import contextlib

    settings = Settings(data_dir=E5_INDEX, embed={"backend": "e5"}, llm={"provider": "none"})
    service = Service(settings)
    with contextlib.chdir(REPO):
        report = service.ingest([REPO / "corpus"], prune=True)
    assert not report.failed, [o.message for o in report.outcomes if o.status == "misslyckad"]
    yield service
