"""Flask extensions, created unbound here and initialised by the app factory."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_compress import Compress
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api

from catalog.errors import ErrorResponseSchema


class CheckedEach(ma.fields.Raw):
    """An item a service checks on its own (one bad item spoils no other): loaded as sent,
    documented as ``schema`` says, or null."""

    def __init__(self, schema: type[ma.Schema], **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.documented = schema


def _document_checked_each(self: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """apispec: a :class:`CheckedEach` is its schema's reference."""
    if isinstance(field, CheckedEach):
        return {"allOf": [self.resolve_nested_schema(field.documented)]}
    return {}


class JiangyunApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, documenting our error envelope instead of its own."""

    ERROR_SCHEMA = ErrorResponseSchema

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(_document_checked_each)

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
