"""Domain errors. Messages are Swedish and tell the user what to do; interfaces translate them."""

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


class InvalidScope(KompetensError):
    """A scope string is not `publik`, `projekt` or `kommun:<namn>`."""


class IndexUnavailable(KompetensError):
    """The index cannot be opened or reached (missing data dir, Chroma server down)."""


class GenerationFailed(KompetensError):
    """The language model failed or returned an unusable answer."""


class ConfigError(KompetensError):
    """The configuration is invalid."""
