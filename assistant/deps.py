"""What a stage needs from the running system, passed in: settings, the index, the embedder, the chat model.

The service builds one `Deps` (lazily, on the first call that needs it); stages take it or plain
arguments and never reach back into the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.config import Settings
from assistant.index.embeddings import Embedder
from assistant.index.store import Index


@dataclass(frozen=True)
class Deps:
    """The opened parts of one configuration."""

    settings: Settings
    index: Index
    embedder: Embedder
    chat_model: Any = None  # a LangChain chat model, or None for the extractive composer
