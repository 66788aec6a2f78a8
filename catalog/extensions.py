"""Flask extensions, created unbound here and initialised by the app factory."""

from __future__ import annotations

from flask_compress import Compress
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

from catalog.errors import ErrorResponseSchema

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class JiangyunApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting our error envelope instead of its own."""

    ERROR_SCHEMA = ErrorResponseSchema

    def _register_error_handlers(self) -> None:
        # Errors are rendered app-wide by catalog.errors; smorest's own handler would
        # produce a different envelope.
        pass


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
api = JiangyunApi()
jwt = JWTManager()
# flask-limiter keeps its storage on this object: one app per process, as gunicorn runs it.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
compress = Compress()
