"""Request and response schemas of the web API, and the Swedish text of its validation errors.

Requests validate their input (limits, municipality, sections) with Swedish messages; responses
mirror the records' `to_dict()` shapes so the OpenAPI page documents the contract.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from assistant.answer.followup import MAX_QUESTION, check_question
from assistant.draft.request import MAX_YEAR, MIN_YEAR, SECTION_KEYS, check_kommun, check_sections
from assistant.errors import InvalidDraftRequest, InvalidRating
from assistant.index.feedback import parse_rating

MAX_COMMENT = 2000
MAX_PREVIOUS = 3

ScopeList = Annotated[
    list[Annotated[str, Field(max_length=100)]] | None,
    Field(None, max_length=20, description="Behörigheter att svara med (delmängd av tokens); standard: alla tokens behörigheter.",
          examples=[["publik", "kommun:asele"]]),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


def question_text(value: str) -> str:
    """A question stripped of surrounding space, non-empty and at most MAX_QUESTION characters."""
    return check_question(value)


def _rating(value: Any) -> int:
    try:
        return parse_rating(value)
    except InvalidRating as exc:
        raise ValueError(str(exc)) from None


def previous_questions(value: list[str]) -> list[str]:
    """Earlier questions of a conversation: at most MAX_PREVIOUS, each at most MAX_QUESTION characters."""
    if len(value) > MAX_PREVIOUS:
        raise ValueError(f"Skicka högst {MAX_PREVIOUS} tidigare frågor (det kom {len(value)}).")
    for number, text in enumerate(value, start=1):
        if len(text.strip()) > MAX_QUESTION:
            raise ValueError(f"Tidigare fråga {number} får vara högst {MAX_QUESTION} tecken (den har {len(text.strip())}).")
    return [text.strip() for text in value if text.strip()]


class AskRequest(_Request):
    question: str = Field(description=f"Frågan på svenska, högst {MAX_QUESTION} tecken.",
                          examples=["Vilka bristyrken rapporterade arbetsgivarna i Åsele?"])
    previous: list[str] = Field(
        default_factory=list, description=f"Samtalets tidigare frågor, äldst först (högst {MAX_PREVIOUS}): "
                                          "en följdfråga som ”Och i Dorotea?” läses mot dem.",
        examples=[["Vilka bristyrken rapporterade arbetsgivarna i Åsele?"]])
    scopes: ScopeList = None

    _question = field_validator("question")(question_text)
    _previous = field_validator("previous")(previous_questions)


class DraftRequest(_Request):
    kommun: str = Field(description="En av länets 15 kommuner, t.ex. Åsele.", examples=["Åsele"])
    avsnitt: list[str] | None = Field(None, max_length=len(SECTION_KEYS),
                                      description=f"Avsnitt att skriva (standard: alla): {', '.join(SECTION_KEYS)}.")
    format: Literal["json", "docx"] = Field("json", description="json (utkastet med Markdown) eller docx (Word-fil).")
    scopes: ScopeList = None
    year: int | None = Field(None, alias="år", ge=MIN_YEAR, le=MAX_YEAR,
                             description="Planperiodens år (standard: året efter dagens datum).", examples=[2027])
    access: Literal["publik", "intern"] = Field(
        "publik", alias="behörighet",
        description="publik (standard): bara publikt material och projektmaterial, enkätgrupper under fem svarande "
                    "dolda – oavsett anroparens behörigheter. intern: även kommunens interna underlag, märkt "
                    "”Internt underlag – ej för publicering”; kräver kommunens behörighet.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("kommun")
    @classmethod
    def _kommun(cls, value: str) -> str:
        try:
            return check_kommun(value)
        except InvalidDraftRequest as exc:
            raise ValueError(str(exc)) from None

    @field_validator("avsnitt")
    @classmethod
    def _avsnitt(cls, value: list[str] | None) -> list[str] | None:
        try:
            return check_sections(value)
        except InvalidDraftRequest as exc:
            raise ValueError(str(exc)) from None


class FeedbackRequest(_Request):
    answer_id: str = Field(min_length=1, max_length=64, description="answer_id från svaret som bedöms.")
    rating: Annotated[int, BeforeValidator(_rating)] = Field(
        description='+1 eller -1, eller "upp"/"ner".', json_schema_extra={"examples": [1, -1, "upp", "ner"]}
    )
    comment: str | None = Field(None, max_length=MAX_COMMENT, description="Frivillig kommentar.")


class CitationOut(BaseModel):
    n: int
    source_id: str
    title: str
    path: str
    page: int | None
    section: str | None
    kommun: str | None
    scope: str
    quote: str


class AnswerOut(BaseModel):
    answer: str
    citations: list[CitationOut]
    refused: bool
    scopes: list[str]
    timings_ms: dict[str, float]
    mode: str
    fallback: bool
    answer_id: str | None
    question: str | None = Field(None, description="En följdfråga så som den besvarades (med det den bygger på).")


class PassageOut(BaseModel):
    source_id: str
    doc_id: str
    title: str
    path: str
    text: str
    scope: str
    score: float
    type: str | None
    kommun: str | None
    year: int | None
    page: int | None
    section: str | None
    rows: list[int] | None
    sheet: str | None


class NeighbourOut(BaseModel):
    """A passage just before or after the cited one, in the same document."""

    source_id: str
    text: str
    page: int | None
    section: str | None


class SourceOut(BaseModel):
    """One chunk as the source view shows it, with its neighbours and a signed link to the original file."""

    source_id: str
    doc_id: str
    title: str
    path: str
    text: str
    scope: str
    type: str | None
    kommun: str | None
    year: int | None
    page: int | None
    section: str | None
    rows: list[int] | None
    sheet: str | None
    before: list[NeighbourOut] = Field(default_factory=list, description="Avsnitten närmast före.")
    after: list[NeighbourOut] = Field(default_factory=list, description="Avsnitten närmast efter.")
    original_url: str | None = Field(None, description="Kortlivad signerad länk till originalfilen (PDF: #page=N).")


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    path: str
    type: str
    scope: str
    chunks: int
    content_hash: str
    kommun: str | None
    year: int | None
    valid_from: str | None
    valid_to: str | None
    replaces: str | None


class DraftSourceOut(BaseModel):
    title: str
    path: str
    scope: str
    citations: list[int]


class DraftSectionOut(BaseModel):
    key: str
    heading: str
    markdown: str
    gaps: int
    sources: list[DraftSourceOut] = Field(default_factory=list, description="Källor som avsnittet använder.")


class DraftOut(BaseModel):
    kommun: str
    year: int
    generated: str
    draft_id: str | None
    sections: list[DraftSectionOut]
    citations: list[CitationOut]
    scopes: list[str]
    mode: str
    fallback: bool
    access: str = Field("publik", description="publik eller intern.")
    period: str = Field("", description="Planperioden.")
    markdown: str


class FeedbackOut(BaseModel):
    feedback_id: int
    answer_id: str
    rating: int


class IndexingOut(BaseModel):
    """Indexering i bakgrunden (`kompetens serve --ingest`): frågor besvaras från det som är klart."""

    state: str = Field(description="idle, running, done eller failed.")
    running: bool
    documents_done: int
    documents_total: int
    documents_failed: int = 0
    passages_done: int
    passages_total: int
    tokens_done: int = 0
    tokens_per_s: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = Field(None, description="Uppskattad tid kvar i sekunder.")
    last_path: str | None = None
    error: str | None = None


class HealthOut(BaseModel):
    status: str
    index_loaded: bool
    documents: int = Field(description="Dokument som anroparen får se.")
    store: str = Field(description="Vektorlagret: inbäddad eller server.")
    chunks: int | None = Field(None, description="Textavsnitt i katalogen (alla behörigheter).")
    vectors: int | None = Field(None, description="Vektorer i vektorlagret.")
    error: str | None = Field(None, description="Varför indexet inte kan läsas (status fel).")
    indexing: IndexingOut | None = Field(None, description="Pågående eller senaste indexering i servern.")


class ErrorOut(BaseModel):
    detail: str


_FIELDS = {
    "question": "Frågan", "scopes": "Behörigheterna", "scope": "Behörigheterna", "kommun": "Kommunen",
    "avsnitt": "Avsnitten", "format": "Formatet", "answer_id": "answer_id", "rating": "Betyget",
    "comment": "Kommentaren", "q": "Sökfrågan", "k": "Antalet träffar", "previous": "De tidigare frågorna",
}


def validation_message(error: dict[str, Any]) -> str:
    """Swedish text for one pydantic/FastAPI validation error."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
    name = next((p for p in loc if not p.isdigit()), "")
    label = _FIELDS.get(name, f"Fältet '{name}'" if name else "Begäran")
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    templates = {
        "missing": "{label} saknas.",
        "string_too_short": "{label} får inte vara tom.",
        "string_too_long": "{label} får vara högst {max_length} tecken.",
        "too_long": "{label} får ha högst {max_length} värden.",
        "string_type": "{label} ska vara text.",
        "list_type": "{label} ska vara en lista.",
        "int_type": "{label} ska vara ett heltal.",
        "int_parsing": "{label} ska vara ett heltal.",
        "greater_than_equal": "{label} ska vara minst {ge}.",
        "less_than_equal": "{label} får vara högst {le}.",
        "literal_error": "{label} ska vara något av: {expected}.",
        "extra_forbidden": "Okänt fält '{name}'.",
        "json_invalid": "Begäran är inte giltig JSON.",
        "model_attributes_type": "Begäran ska vara ett JSON-objekt.",
        "dict_type": "Begäran ska vara ett JSON-objekt.",
    }
    values = {k: str(v).replace(" or ", " eller ") for k, v in ctx.items() if k != "error"}
    try:
        return templates.get(kind, "{label} har ett ogiltigt värde.").format(label=label, name=name, **values)
    except KeyError:
        return f"{label} har ett ogiltigt värde."
