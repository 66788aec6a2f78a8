"""The app's foundation, under every domain: Flask's settings, logging, the extensions, error
handling, the implementations chosen from settings (the runtime), and the app-wide routes
(health probes, API docs assets, the local object store's URLs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event, text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from catalog import (
    extensions,
    observability,
    rate_limits,  # noqa: F401  (its storage scheme joins limits on import)
    security,
)
from catalog.api import docs_assets, health, storage
from catalog.background import queue
from catalog.database import db
from catalog.error_handlers import register_error_handlers
from catalog.json_bodies import StrictJSONProvider
from catalog.runtime import EXTENSION_KEY, Runtime
from config import Settings
from ingest.local_store import LocalObjectStore
from ingest.stores import object_store_from
from search.engines import engine_from

# Primary keys are 32-bit on PostgreSQL: a larger id in a path is a 404, not a database error.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in routes: a non-negative integer a primary key can hold."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def flask_app(settings: Settings) -> Flask:
    """A Flask app with its settings, logging, extensions, error handling and app-wide routes."""
    app = Flask("catalog", static_folder=None)
    if settings.trusted_proxies:  # the client's address and scheme, as the proxies say
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = RowIdConverter
    app.json.sort_keys = False
    app.config.update(_flask_config(settings))
    observability.configure_logging(settings.log_level)
    db.init_app(app)
    extensions.migrate.init_app(app, db, directory=str(Path(__file__).with_name("migrations")))
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
    security.init_response_headers(app)
    register_error_handlers(app)
    observability.init_request_logging(app)
    queue.configure_queue(app, settings)
    if settings.uses_sqlite:
        busy_ms = int(settings.database_lock_timeout_seconds * 1000)
        with app.app_context():
            event.listen(
                db.engine,
                "connect",
                lambda connection, _record: _sqlite_pragmas(connection, busy_ms),
            )
    extensions.api.register_blueprint(health.blp)
    app.register_blueprint(docs_assets.blp)
    return app


def install_runtime(app: Flask, settings: Settings) -> None:
    """Choose the object store and search engine from settings, once, and what /readyz asks."""
    object_store = object_store_from(settings, _served_address)
    search_engine = engine_from(settings)
    app.extensions[EXTENSION_KEY] = Runtime(
        settings=settings,
        password_hasher=security.password_hasher_for(settings),
        object_store=object_store,
        search_engine=search_engine,
        readiness_checks={
            "database": _check_database,
            "task_queue": queue.check_queue,
            "task_consumer": queue.check_consumer,
            "object_store": object_store.check,
            "search": search_engine.health,
        },
    )
    if isinstance(object_store, LocalObjectStore):
        app.register_blueprint(storage.blp)  # the app serves the local store's signed URLs


def _served_address() -> str | None:
    """The scheme, host and port this request was addressed to, or None outside a request."""
    return request.host_url if has_request_context() else None


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
            "text/javascript",
            "application/manifest+json",
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
        "LOGIN_USER_RATE_LIMIT": settings.login_user_rate_limit,
        "VERIFY_RATE_LIMIT": settings.verify_rate_limit,
        "UPLOAD_URL_RATE_LIMIT": settings.upload_url_rate_limit,
        "API_TITLE": "匠云 Jiangyun API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    }


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
    db.session.execute(text("SELECT 1"))
