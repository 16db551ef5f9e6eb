"""The web API: `app` (the FastAPI app, error mapping), `routes`, `schemas`, `deps` (injection), `auth` (tokens)."""

from assistant.interfaces.api.app import NOT_FOUND, create_app

__all__ = ["NOT_FOUND", "create_app"]
