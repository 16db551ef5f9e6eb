"""Questions as users send them: the length limit, and follow-ups that lean on earlier questions in a thread.

"Och i Dorotea?" after "Vilka bristyrken finns i Åsele?" only makes sense with the question
before it: a follow-up is asked with up to `CONTEXT_QUESTIONS` earlier questions in front of it,
trimmed so the whole stays within `MAX_QUESTION` characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.errors import InvalidQuestion

MAX_QUESTION = 1000
CONTEXT_QUESTIONS = 2
_MIN_CONTEXT_ROOM = 20


def check_question(value: str) -> str:
    """A question stripped of surrounding space, non-empty and at most MAX_QUESTION characters.

    Raises ValueError with a Swedish message (what request validation reports).
    """
    text = value.strip()
    if not text:
        raise ValueError("Frågan får inte vara tom.")
    if len(text) > MAX_QUESTION:
        raise ValueError(f"Frågan får vara högst {MAX_QUESTION} tecken (den har {len(text)}).")
    return text


def with_context(question: str, earlier: Sequence[str]) -> str:
    """The question preceded by the last `CONTEXT_QUESTIONS` earlier questions, within MAX_QUESTION.

    >>> with_context("Och i Dorotea?", ["Vilka bristyrken finns i Åsele?"])
    'Vilka bristyrken finns i Åsele? Och i Dorotea?'
    """
    context = " ".join(q for q in earlier[-CONTEXT_QUESTIONS:] if q)
    room = MAX_QUESTION - len(question) - 1
    return f"{context[-room:].lstrip()} {question}".strip() if context and room > _MIN_CONTEXT_ROOM else question


def chat_question(text: str, hint: str) -> str:
    """`check_question` for a chat message: InvalidQuestion with the message and a `hint` on what to write."""
    try:
        return check_question(text)
    except ValueError as exc:
        raise InvalidQuestion(f"{exc} {hint}") from None
