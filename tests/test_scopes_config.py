import pytest

from assistant import scopes
from assistant.config import Settings
from assistant.errors import InvalidScope


@pytest.mark.parametrize("raw,expected", [
    ("publik", "publik"), ("PROJEKT", "projekt"), ("kommun:Åsele", "kommun:asele"),
    ("Kommun:Skellefteå", "kommun:skelleftea"), (" kommun:umea ", "kommun:umea"),
])
def test_scopes_normalise(raw, expected):
    assert scopes.normalize(raw) == expected


@pytest.mark.parametrize("bad", ["", "alla", "kommun:", "admin", "kommun:!!"])
def test_bad_scopes_are_refused_in_swedish(bad):
    with pytest.raises(InvalidScope, match="Okänd behörighet"):
        scopes.normalize(bad)


def test_all_scopes_cover_partners():
    every = scopes.all_scopes()
    assert {"publik", "projekt", "kommun:asele", "kommun:dorotea", "kommun:umea"} <= set(every)


def test_settings_read_documented_environment_names(monkeypatch, tmp_path):
    monkeypatch.setenv("KOMPETENS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KOMPETENS_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("KOMPETENS_INGEST_MAX_FILE_MB", "2.5")
    monkeypatch.setenv("KOMPETENS_API_TOKENS", '{"t1": ["projekt"]}')
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.llm.base_url == "http://127.0.0.1:9/v1"
    assert s.ingest.max_file_mb == 2.5
    assert s.api.tokens == {"t1": ["projekt"]}
    assert "tokens" not in s.describe()["api"]


def test_settings_reject_unknown_keys():
    with pytest.raises(ValueError):
        Settings(embed={"backend": "e5", "nonsense": 1})  # type: ignore[arg-type]
