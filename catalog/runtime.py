"""What the running app chose at start (settings, object store, search engine, password
hasher, readiness checks), reachable from services inside an app context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from flask import current_app

from config import Settings
from ingest.interfaces import ObjectStore
from search.interfaces import SearchEngine

EXTENSION_KEY = "jiangyun"


@dataclass
class Runtime:
    settings: Settings
    password_hasher: PasswordHasher
    object_store: ObjectStore
    search_engine: SearchEngine
    dummy_password_hash: str | None = None  # verified against for unknown users (timing)
    # name → a callable that raises when that part does not answer (used by /readyz)
    readiness_checks: dict[str, Callable[[], None]] = field(default_factory=dict)


def runtime() -> Runtime:
    """The running app's runtime (inside an app context)."""
    found: Runtime = current_app.extensions[EXTENSION_KEY]
    return found
