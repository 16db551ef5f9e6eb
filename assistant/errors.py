"""Every domain error. Messages are Swedish and tell the user what to do; interfaces translate them.

The API maps them to HTTP statuses in one handler (`interfaces/api/app.py`), Slack in one place
(`interfaces/slack/bot.py: failure_text`), the CLI in one place (`interfaces/cli.py: _fail`).
"""

from __future__ import annotations


class KompetensError(Exception):
    """Base class for errors a user should see as a clear message."""


class UnsupportedFormat(KompetensError):
    """The file type cannot be read."""


class EmptyDocument(KompetensError):
    """The file holds no readable text (empty, or a scanned PDF without a text layer)."""


class UnreadableDocument(KompetensError):
    """The file is corrupt, encrypted or too large to read."""


class ScopeDenied(KompetensError):
    """The caller asked for material outside their scopes."""


class LinkRefused(ScopeDenied):
    """A signed source link that has expired or been altered (its message says which)."""


class InvalidScope(KompetensError):
    """A scope string is not `publik`, `projekt` or `kommun:<namn>`."""


class IndexUnavailable(KompetensError):
    """The index cannot be opened or reached (missing data dir, Chroma server down)."""


class GenerationFailed(KompetensError):
    """The language model failed or returned an unusable answer."""


class ConfigError(KompetensError):
    """The configuration is invalid."""


class Unauthenticated(KompetensError):
    """The request carries a token that is not configured (or a malformed Authorization header)."""


class SourceNotFound(KompetensError):
    """A source id that does not exist or lies outside the caller's scopes (the two look the same)."""


class UnknownAnswer(KompetensError):
    """Feedback names an answer id that was never served (or has been removed)."""


class InvalidRating(KompetensError):
    """A rating that is neither 👍 (+1, "upp") nor 👎 (-1, "ner")."""


class InvalidQuestion(KompetensError):
    """The message holds no usable question (empty, or too long)."""


class InvalidDraftRequest(KompetensError):
    """The draft was asked for an unknown kommun or section."""


class IngestBusy(KompetensError):
    """Another ingest is already writing to the same index."""


# Machine-readable failure reasons of the LLM path (`LLMFailed.reason`).
REASON_ERROR = "fel_från_modellen"
REASON_TIMEOUT = "tidsgräns"
REASON_EMPTY = "tomt_svar"
REASON_NO_PASSAGES = "inga_källor"
REASON_DECLINED = "modellen_avböjde"
REASON_INJECTION = "misstänkt_injektion"
REASON_INVENTED = "påhittade_källor"
REASON_NO_CITATIONS = "inga_giltiga_källor"
REASON_UNSUPPORTED = "ostödda_påståenden"

_MESSAGES = {
    REASON_ERROR: "Språkmodellen kunde inte nås eller svarade med ett fel ({detail}). "
                  "Kontrollera KOMPETENS_LLM_BASE_URL, KOMPETENS_LLM_MODEL och att tjänsten är igång.",
    REASON_TIMEOUT: "Språkmodellen svarade inte inom tidsgränsen. Försök igen, eller höj KOMPETENS_LLM_TIMEOUT_S.",
    REASON_EMPTY: "Språkmodellen gav ett tomt svar.",
    REASON_NO_PASSAGES: "Det finns inga källor att svara utifrån.",
    REASON_DECLINED: "Språkmodellen fann inget i källorna som besvarar frågan.",
    REASON_INJECTION: "Språkmodellens svar är inte förankrat i källorna och ser ut att följa en instruktion "
                      "som stod i en källa. Svaret används inte.",
    REASON_INVENTED: "Språkmodellen hänvisade till källor som inte finns ({detail}). Svaret används inte.",
    REASON_NO_CITATIONS: "Språkmodellens svar saknar giltiga källhänvisningar. Svaret används inte.",
    REASON_UNSUPPORTED: "Språkmodellens påståenden stöds inte av de källor den hänvisar till ({detail}). "
                        "Svaret används inte.",
}


class LLMFailed(GenerationFailed):
    """Generation failed; `reason` is one of the REASON_* codes (Swedish, machine-readable)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(_MESSAGES[reason].format(detail=detail))
        self.reason = reason
        self.detail = detail
