"""Flask extensions, created unbound here and initialised by the app factory."""

from __future__ import annotations

from flask_compress import Compress
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api

from catalog.errors import ErrorResponseSchema


class JiangyunApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting our error envelope instead of its own."""

    ERROR_SCHEMA = ErrorResponseSchema

    def _register_error_handlers(self) -> None:
        # Errors are rendered app-wide by catalog.error_handlers; smorest's own handler would
        # produce a different envelope.
        pass


migrate = Migrate()
api = JiangyunApi()
jwt = JWTManager()
# flask-limiter keeps its storage on this object: one app per process, as gunicorn runs it.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
compress = Compress()
