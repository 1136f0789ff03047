"""NLU settings: which backend serves intents and sentiment (env ``BATON_NLU_BACKEND``)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["fast", "accurate"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)


class NluSettings(BaseSettings):
    """Read the NLU backend choice; the environment is read here and nowhere else in the NLU."""

    model_config = SettingsConfigDict(env_prefix="BATON_NLU_", extra="ignore", frozen=True)

    backend: Backend = "fast"


def resolve_backend(backend: str | None = None) -> Backend:
    """Return the backend asked for, or the configured one (``fast`` unless set)."""
    chosen = backend if backend is not None else NluSettings().backend
    if chosen not in BACKENDS:
        raise ValueError(f"unknown NLU backend {chosen!r}; choose one of {', '.join(BACKENDS)}")
    return chosen
