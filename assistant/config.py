"""One settings object for the whole application, read from `KOMPETENS_*` environment variables.

Nested groups use a single underscore after the group name, so the documented variables read
naturally: `KOMPETENS_LLM_BASE_URL` sets `llm.base_url`, `KOMPETENS_INGEST_MAX_FILE_MB` sets
`ingest.max_file_mb`. Values for dicts and lists are JSON.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbedSettings(_Group):
    backend: str = Field(
        "e5", description="Embedder: e5 (bundled multilingual-e5-small), sentence-transformers, or hash (tests)."
    )
    model: str | None = Field(
        None, description="Model name or path for sentence-transformers (default: the packaged all-MiniLM-L6-v2)."
    )
    batch_size: int = Field(32, ge=1, le=512, description="Texts per embedding batch.")


class IngestSettings(_Group):
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")
    max_unpacked_mb: float = Field(
        200.0, gt=0, description="DOCX/XLSX that unpack to more than this are refused (zip bombs)."
    )
    write_batch: int = Field(5000, ge=1, le=5000, description="Vectors per write to the vector store.")
    chunk_chars: int = Field(1200, ge=200, le=6000, description="Target chunk size in characters.")
    default_scope: str = Field("projekt", description="Scope of files without a manifest entry.")


class RetrievalSettings(_Group):
    k: int = Field(10, ge=1, le=100, description="Passages returned by default.")
    candidates: int = Field(40, ge=5, le=500, description="Candidates fetched from each search before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")


class AnswerSettings(_Group):
    """The refusal rule, calibrated for the default e5 embedder on the sample corpus (see evals/)."""

    dense_strong: float = Field(0.87, description="Best passage this similar: answerable on meaning alone.")
    dense_min: float = Field(0.80, description="Below this similarity the question is refused.")
    dense_min_english: float = Field(
        0.82, description="English questions over Swedish text: the similarity that suffices."
    )
    coverage_floor: float = Field(
        0.3, ge=0, le=1, description="Even a very similar passage must hold this share of the question's terms."
    )
    coverage_min: float = Field(
        0.5, ge=0, le=1, description="Share of the question's content terms the best passages must hold."
    )


class LLMSettings(_Group):
    provider: Literal["none", "openai", "ollama"] = Field("none", description="none = extractive composer.")
    base_url: str | None = Field(None, description="Endpoint, e.g. http://127.0.0.1:8080/v1.")
    model: str | None = Field(None, description="Model name at the endpoint.")
    api_key: SecretStr | None = Field(None, description="API key for the endpoint, if it needs one.")
    timeout_s: float = Field(30.0, gt=0, description="Seconds before a generation is abandoned.")
    retries: int = Field(1, ge=0, le=5, description="Retries after a failed call.")


class ApiSettings(_Group):
    tokens: dict[str, list[str]] = Field(
        default_factory=dict, description="Bearer token → scopes, JSON. No token gives 'publik' only."
    )


class SlackSettings(_Group):
    signing_secret: SecretStr | None = Field(None, description="Verifies requests to /slack/events.")
    bot_token: SecretStr | None = Field(None, description="xoxb- token for Slack's Web API.")
    app_token: SecretStr | None = Field(None, description="xapp- token for Socket Mode.")
    api_url: str | None = Field(None, description="Override of Slack's Web API base URL.")
    channel_scopes: dict[str, list[str]] = Field(default_factory=dict, description="Channel id → scopes.")
    user_scopes: dict[str, list[str]] = Field(default_factory=dict, description="User id → scopes (DMs).")


class LinkSettings(_Group):
    """Signed links to sources (from Slack, and to original files): HMAC over source, scopes and expiry."""

    secret: SecretStr | None = Field(
        None, description="Signing key. Required when Slack is configured (the bot and the web page must share it); "
                          "otherwise a random key per process is used.")
    ttl_hours: float = Field(24.0, gt=0, le=24 * 30, description="Hours a signed source link stays valid.")


class Settings(BaseSettings):
    """Every setting of Kompetensassistenten, with the embedded offline default."""

    model_config = SettingsConfigDict(
        env_prefix="KOMPETENS_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
    )

    data_dir: Path = Field(Path("kompetens-data"), description="Index, manifest and feedback storage.")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store in data_dir.")
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL of the web page (source links).")
    source_roots: list[Path] = Field(
        default_factory=lambda: [Path("corpus")],
        description="Folders (JSON list) whose original files the source view may serve, besides data_dir.")
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    link: LinkSettings = Field(default_factory=LinkSettings)

    def describe(self) -> dict[str, object]:
        """Settings without secrets, for reports and health checks."""
        return self.model_dump(mode="json", exclude={"api": {"tokens"}, "slack": True, "llm": {"api_key"},
                                                    "link": {"secret"}})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
