"""The LLM answer path: a LangChain chat model, the Swedish answer prompt and answer validation.

LangChain is imported inside the functions that need it, so importing this module (and starting
the CLI) stays fast. A generated answer goes through the same citation post-processing as the
extractive composer (`assistant.cite`) and is then validated; a failure raises `LLMFailed`
(a `GenerationFailed`) whose `reason` says why, so the service can fall back to the extractive
answer and record the reason.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.gate import REFUSAL
from assistant.cite.process import CitationReport, process
from assistant.config import LLMSettings
from assistant.errors import (
    REASON_DECLINED,
    REASON_EMPTY,
    REASON_ERROR,
    REASON_INJECTION,
    REASON_INVENTED,
    REASON_NO_CITATIONS,
    REASON_NO_PASSAGES,
    REASON_TIMEOUT,
    REASON_UNSUPPORTED,
    ConfigError,
    LLMFailed,
)
from assistant.records import Passage

if TYPE_CHECKING:  # LangChain is heavy: its types only, the modules load inside the functions
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.prompts import ChatPromptTemplate

PROMPT_PLACEHOLDERS = frozenset({"question", "passages"})
DUMMY_API_KEY = "ingen-nyckel"  # OpenAI-compatible servers without auth still need a non-empty key
DATA_OPEN, DATA_CLOSE = "<kallor>", "</kallor>"

# Validation: an answer fails when more than this share of its cited sentences is unsupported.
MAX_UNSUPPORTED_SHARE = 0.5
# An ungrounded answer this short (in words) looks like an obeyed injection ("HEJ").
SHORT_ANSWER_WORDS = 5


# Phrases that make a source read like an instruction to the model (prompt injection).
_INSTRUCTION_LIKE = re.compile(
    r"ignorera\b.{0,40}\b(instruktion|regler|ovan)|glöm\b.{0,30}\b(instruktion|regler)|strunta i\b.{0,40}"
    r"\b(instruktion|regler)|svara (bara|endast|enbart)\b|du är nu\b|ignore\b.{0,40}\binstructions?\b|"
    r"disregard\b.{0,40}\binstructions?\b|system ?prompt",
    re.IGNORECASE | re.DOTALL,
)
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_DATA_TAG = re.compile(r"<\s*/?\s*kallor\s*>", re.IGNORECASE)


# ----------------------------------------------------------------------------- models


def create_chat_model(settings: LLMSettings) -> BaseChatModel | None:
    """The configured chat model, or None for provider "none" (the extractive composer answers)."""
    if settings.provider == "none":
        return None
    if not settings.model:
        raise ConfigError("Ange modellens namn i KOMPETENS_LLM_MODEL när KOMPETENS_LLM_PROVIDER är satt.")
    if settings.provider == "openai":
        return _openai_model(settings)
    return _ollama_model(settings)


def _openai_model(settings: LLMSettings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    key = settings.api_key.get_secret_value() if settings.api_key else DUMMY_API_KEY
    return ChatOpenAI(
        model=settings.model or "", base_url=settings.base_url, api_key=SecretStr(key),
        timeout=settings.timeout_s, max_retries=settings.retries, temperature=0,
    )


def _ollama_model(settings: LLMSettings) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    # Ollama's native API lives at the server root; accept the OpenAI-style ".../v1" URL too.
    base_url = re.sub(r"/v1/?$", "", settings.base_url) if settings.base_url else None
    # ChatOllama has no retry setting; the timeout goes to its httpx client.
    return ChatOllama(model=settings.model or "", base_url=base_url, temperature=0,
                      client_kwargs={"timeout": settings.timeout_s})


# ----------------------------------------------------------------------------- prompts


def prompt_dir() -> Path:
    """The prompts folder: next to the package in a checkout, else the installed `prompts` package."""
    local = Path(__file__).resolve().parents[1] / "prompts"
    if local.is_dir():
        return local
    return Path(str(resources.files("prompts")))


def load_prompt(name: str, directory: Path | None = None) -> ChatPromptTemplate:
    """The chat prompt `<name>_system.txt` + `<name>_user.txt`, its placeholders checked.

    Raises ConfigError unless the two files together use exactly {question} and {passages}.
    """
    return _load_prompt(name, directory or prompt_dir())


@lru_cache(maxsize=16)
def _load_prompt(name: str, directory: Path) -> ChatPromptTemplate:
    from langchain_core.prompts import ChatPromptTemplate

    system, user = (_read_prompt(directory / f"{name}_{part}.txt") for part in ("system", "user"))
    check_placeholders(name, system + "\n" + user)
    return ChatPromptTemplate.from_messages([("system", system), ("human", user)])


def _read_prompt(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Promptfilen {path} kunde inte läsas: {exc.strerror or exc}.") from exc


def check_placeholders(name: str, template: str) -> None:
    """Raise ConfigError unless `template` uses exactly the expected placeholders."""
    try:
        found = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        raise ConfigError(f"Promptmallen '{name}' har felaktiga klammerparenteser: {exc}.") from exc
    if found != PROMPT_PLACEHOLDERS:
        missing = ", ".join(sorted(PROMPT_PLACEHOLDERS - found)) or "inga"
        unknown = ", ".join(sorted(found - PROMPT_PLACEHOLDERS)) or "inga"
        raise ConfigError(
            f"Promptmallen '{name}' ska använda exakt platshållarna {{question}} och {{passages}} "
            f"(saknas: {missing}; okända: {unknown}). Skriv {{{{ och }}}} för klammerparenteser i text."
        )


def format_passages(passages: Sequence[Passage]) -> str:
    """Numbered sources inside the data tags: "[1] <title>, s. 3, <section>" then the text."""
    blocks = [f"{_heading(n, p)}\n{_as_data(p.text)}" for n, p in enumerate(passages, start=1)]
    return f"{DATA_OPEN}\n" + "\n\n".join(blocks) + f"\n{DATA_CLOSE}"


def _heading(n: int, passage: Passage) -> str:
    parts = [passage.title]
    if passage.page is not None:
        parts.append(f"s. {passage.page}")
    if passage.section:
        parts.append(passage.section)
    if passage.rows:
        parts.append(f"rad {passage.rows[0]}–{passage.rows[1]}")
    return f"[{n}] " + ", ".join(_as_data(part) for part in parts)


def _as_data(text: str) -> str:
    # A source must not be able to close the data block and speak as the user.
    return _DATA_TAG.sub("[kallor]", text)


# ----------------------------------------------------------------------------- generation


def generate_answer(question: str, passages: Sequence[Passage], model: BaseChatModel) -> CitationReport:
    """The model's answer to `question` from `passages`, with checked citations.

    Raises LLMFailed (a GenerationFailed) on endpoint errors, timeouts, empty output and answers
    that fail `validate`.
    """
    if not passages:
        raise LLMFailed(REASON_NO_PASSAGES)
    messages = load_prompt("answer").format_messages(question=question, passages=format_passages(passages))
    try:
        reply = model.invoke(messages)
    except Exception as exc:  # the endpoint boundary: any client error becomes a domain error
        raise _endpoint_failure(exc) from exc
    return validate(reply_text(reply), passages)


def reply_text(message: Any) -> str:
    """The visible text of a chat reply (content blocks joined, <think> sections removed)."""
    content = getattr(message, "content", message)
    if isinstance(content, list):
        content = "".join(
            block if isinstance(block, str) else str(block.get("text", ""))
            for block in content
            if isinstance(block, str) or (isinstance(block, dict) and block.get("type", "text") == "text")
        )
    return _THINKING.sub("", str(content or "")).strip()


def _endpoint_failure(exc: BaseException) -> LLMFailed:
    if _is_timeout(exc):
        return LLMFailed(REASON_TIMEOUT)
    status = getattr(exc, "status_code", None)
    detail = f"{type(exc).__name__}" + (f", HTTP {status}" if status else "")
    return LLMFailed(REASON_ERROR, detail)


def _is_timeout(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, TimeoutError) or any("timeout" in c.__name__.lower() for c in type(exc).__mro__):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def validate(text: str, passages: Sequence[Passage]) -> CitationReport:
    """Post-process a generated answer and keep it only if it is grounded.

    Fails (LLMFailed) when the text is empty or the refusal phrase, when an ungrounded answer
    looks like an obeyed injection, when any citation is invented, when no valid citation is
    left, when no cited sentence is supported or more than MAX_UNSUPPORTED_SHARE of them are not.
    On success, unsupported and uncited sentences are dropped from the returned text.
    """
    if not text.strip():
        raise LLMFailed(REASON_EMPTY)
    report = process(text, passages, drop_unsupported=True, drop_uncited=True)
    cited = [s for s in report.sentences if s.sources]
    supported = [s for s in cited if s.supported]
    if not cited and REFUSAL.rstrip(".").lower() in text.lower():
        raise LLMFailed(REASON_DECLINED)
    if not supported and _looks_injected(text, passages, cited=bool(cited)):
        raise LLMFailed(REASON_INJECTION)
    if report.invented:
        raise LLMFailed(REASON_INVENTED, f"{report.invented} st.")
    if not cited:
        raise LLMFailed(REASON_NO_CITATIONS)
    if not supported or len(cited) - len(supported) > MAX_UNSUPPORTED_SHARE * len(cited):
        raise LLMFailed(REASON_UNSUPPORTED, f"{len(cited) - len(supported)} av {len(cited)} meningar")
    return report


def _looks_injected(text: str, passages: Sequence[Passage], cited: bool) -> bool:
    """For an ungrounded answer: sources hold instruction-like text, or it is very short and uncited."""
    if any(_INSTRUCTION_LIKE.search(p.text) for p in passages):
        return True
    words = re.findall(r"\w+", re.sub(r"\[[^\]]*\]", " ", text))
    return not cited and len(words) <= SHORT_ANSWER_WORDS
