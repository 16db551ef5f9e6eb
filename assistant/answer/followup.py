"""Questions as users send them: the length limit, and follow-ups that lean on earlier questions in a thread.

"Och i Dorotea?" after "Vilka bristyrken finns i Åsele?" only makes sense with the question
before it: a follow-up is answered with up to `CONTEXT_QUESTIONS` earlier questions as context, and
the answer stage (`question.resolve_follow_up`) decides what carries over and what it replaces.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.errors import InvalidQuestion

MAX_QUESTION = 1000
CONTEXT_QUESTIONS = 2


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


def recent(earlier: Sequence[str]) -> list[str]:
    """The last `CONTEXT_QUESTIONS` non-empty earlier questions, oldest first: a follow-up's context.

    >>> recent(["", "Vilka bristyrken finns i Åsele?"])
    ['Vilka bristyrken finns i Åsele?']
    """
    return [q for q in earlier if q and q.strip()][-CONTEXT_QUESTIONS:]


def chat_question(text: str, hint: str) -> str:
    """`check_question` for a chat message: InvalidQuestion with the message and a `hint` on what to write."""
    try:
        return check_question(text)
    except ValueError as exc:
        raise InvalidQuestion(f"{exc} {hint}") from None
