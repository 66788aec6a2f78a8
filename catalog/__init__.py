"""匠云 Jiangyun: the Flask app (factory, models, REST API and domain services)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, text
from werkzeug.routing import IntegerConverter, Map

from config import Settings, load_settings

__all__ = ["create_app"]

# Primary keys are 32-bit on PostgreSQL: a larger id in a path is a 404, not a database error.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in routes: a non-negative integer a primary key can hold."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app: settings, extensions, service implementations, blueprints."""
    from catalog import cli, extensions, observability, security
    from catalog.api import (
        auth,
        authoring_courses,
        authoring_microlectures,
        banks,
        courses,
        credits,
        docs_assets,
        health,
        learning,
        me,
        microlectures,
        organisations,
        quiz,
        reference,
        reports,
        search,
        storage,
        tasks,
        users,
    )
    from catalog.background import queue
    from catalog.background import tasks as _housekeeping  # noqa: F401  (registers tasks)
    from catalog.errors import register_error_handlers
    from catalog.quiz import tasks as _quiz_tasks  # noqa: F401  (registers tasks)
    from catalog.registry import EXTENSION_KEY, Services
    from ingest import tasks as _ingest_tasks  # noqa: F401  (registers tasks)
    from ingest.local_store import LocalObjectStore
    from ingest.stores import object_store_from
    from search import outbox
    from search import tasks as _search_tasks  # noqa: F401  (registers tasks)
    from search.services import engine_from

    settings = settings or load_settings()
    app = Flask("catalog", static_folder=None)
    app.url_map.converters["int"] = RowIdConverter
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(_flask_config(settings))

    observability.configure_logging(settings.log_level)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=_migrations_dir())
    extensions.jwt.init_app(app)
    extensions.limiter.init_app(app)
    extensions.compress.init_app(app)
    extensions.api.init_app(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            }
        },
    )
    security.init_security()
    register_error_handlers(app)
    observability.init_request_logging(app)
    queue.configure_queue(app, settings)

    with app.app_context():
        if settings.uses_sqlite:
            busy_ms = int(settings.database_lock_timeout_seconds * 1000)
            event.listen(
                extensions.db.engine,
                "connect",
                lambda connection, _record: _sqlite_pragmas(connection, busy_ms),
            )

    object_store = object_store_from(settings)
    search_engine = engine_from(settings)
    outbox.install()
    app.extensions[EXTENSION_KEY] = Services(
        settings=settings,
        password_hasher=security.password_hasher_for(settings),
        object_store=object_store,
        search_engine=search_engine,
        readiness_checks={
            "database": _check_database,
            "task_queue": queue.check_queue,
            "object_store": object_store.check,
            "search": search_engine.health,
        },
    )
    for blueprint in (
        health.blp,
        auth.blp,
        me.blp,
        organisations.blp,
        users.blp,
        tasks.blp,
        reference.blp,
        courses.blp,
        courses.assignments_blp,
        microlectures.blp,
        authoring_courses.blp,
        authoring_microlectures.blp,
        banks.blp,
        search.blp,
        quiz.blp,
        learning.blp,
        credits.blp,
        reports.blp,
    ):
        extensions.api.register_blueprint(blueprint)
    app.register_blueprint(docs_assets.blp)
    if isinstance(object_store, LocalObjectStore):
        app.register_blueprint(storage.blp)
    cli.register(app)
    return app


def _flask_config(settings: Settings) -> dict[str, Any]:
    return {
        "DEBUG": settings.debug,
        "TESTING": settings.environment == "test",
        "SECRET_KEY": settings.secret_key,
        "MAX_CONTENT_LENGTH": settings.max_request_bytes,
        "SQLALCHEMY_DATABASE_URI": settings.sqlalchemy_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(settings),
        "COMPRESS_MIMETYPES": [
            "application/json",
            "text/vtt",
            "text/html",
            "text/css",
            "application/javascript",
        ],
        "COMPRESS_MIN_SIZE": 500,
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "JWT_SECRET_KEY": settings.secret_key,
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ACCESS_TOKEN_EXPIRES": settings.access_token_minutes * 60,
        "JWT_REFRESH_TOKEN_EXPIRES": settings.refresh_token_days * 86400,
        "JWT_ERROR_MESSAGE_KEY": "message",
        "RATELIMIT_STORAGE_URI": settings.limiter_storage_uri,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "jiangyun-limits",
        "LOGIN_RATE_LIMIT": settings.login_rate_limit,
        "API_TITLE": "匠云 Jiangyun API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    }


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).with_name("migrations"))


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.uses_sqlite:
        return {"pool_pre_ping": False}
    # A writer stuck behind another's lock gives up after the timeout (503, retry) instead of
    # holding a worker and a connection for as long as the other transaction lasts.
    lock_ms = int(settings.database_lock_timeout_seconds * 1000)
    return {"pool_pre_ping": True, "connect_args": {"options": f"-c lock_timeout={lock_ms}"}}


def _sqlite_pragmas(dbapi_connection: Any, busy_ms: int) -> None:
    # WAL lets the API read while the task consumer writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _check_database() -> None:
    from catalog.extensions import db

    db.session.execute(text("SELECT 1"))
