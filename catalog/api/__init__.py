"""The REST API: one module per resource, each exposing ``blp``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import flask
import marshmallow as ma
from flask import request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.etag import _get_etag_ctx
from flask_smorest.exceptions import NotModified
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from catalog.accounts.models import Role
from catalog.errors import ErrorResponseSchema
from catalog.fields import AwareDateTime
from catalog.json_bodies import BodyRefused, strict_loads
from catalog.security import require_roles

API_PREFIX = "/api/v1"


class JsonBodyParser(FlaskParser):
    """Refuses a request body that is not JSON with 415 instead of ignoring it, and JSON we do
    not accept (``catalog.json_bodies``) with 400.

    "multipart" reads a form's fields and files as one schema, which OpenAPI 3 describes as one
    multipart/form-data request body (separate "form" and "files" arguments produced two, one
    of them an OpenAPI 2 "formData" parameter that validators refuse)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def _raw_load_json(self, req: flask.Request) -> Any:
        if req.content_length or req.headers.get("Transfer-Encoding"):
            if not core.is_json(req.mimetype):
                abort(
                    415,
                    message=(
                        "请求体须为 JSON / The request body must be application/json, "
                        f"not {req.mimetype or 'unspecified'}"
                    ),
                )
        elif not core.is_json(req.mimetype):
            return core.missing
        try:
            return strict_loads(req.get_data(cache=True))
        except BodyRefused as refusal:
            abort(400, messages={"json": [str(refusal)]})

    def load_multipart(self, req: flask.Request, schema: Any) -> Any:
        """A multipart/form-data body: its fields and its files, read as one schema."""
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class Blueprint(SmorestBlueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = JsonBodyParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **SmorestBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def _check_not_modified(self, etag: str) -> None:
        """304 when If-None-Match names the ETag, weak or strong: HTTP compares them weakly
        for GET (a proxy that compresses an answer marks its ETag weak)."""
        if request.method in self.METHODS_CHECKING_NOT_MODIFIED and (
            request.if_none_match.contains_weak(etag)
        ):
            raise NotModified

    def set_etag_value(self, etag: str) -> None:
        """Answer with ``etag`` itself as the ETag (304 when If-None-Match holds it).

        ``set_etag`` hashes the data it is given, so a body that names its own version (the
        practice snapshot's ``etag``) would name another value than the header."""
        self._check_not_modified(etag)
        _get_etag_ctx()["etag"] = etag

    def auth(
        self, *roles: Role, allow_pending_password: bool = False
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Require a signed-in user holding one of ``roles`` (any role when none), documented.
        A user whose password was reset reaches only views that allow it (``/me``, changing
        the password) until they change it."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            checked = require_roles(*roles, allow_pending_password=allow_pending_password)(view)
            documented: Callable[..., Any] = self.doc(security=[{"bearerAuth": []}])(checked)
            documented = self.alt_response(
                401, schema=ErrorResponseSchema, description="未登录或令牌无效 / Not signed in"
            )(documented)
            if roles:
                documented = self.alt_response(
                    403, schema=ErrorResponseSchema, description="角色无权 / Role not allowed"
                )(documented)
            return documented

        return decorator


def body_limit(limit: Callable[[], int]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let this view accept request bodies up to ``limit()`` bytes (413 beyond)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flask.request.max_content_length = limit()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def image_redirect(url: str) -> WerkzeugResponse:
    """A redirect to a short-lived URL of an image (a cover, a thumbnail): lists carry the
    stable link, and the browser keeps the answer five minutes, well within the URL's life."""
    response = flask.redirect(url, code=302)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A numbered page of ``item_schema`` items, with the total count."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "page": ma.fields.Integer(required=True),
            "page_size": ma.fields.Integer(required=True),
            "total": ma.fields.Integer(required=True),
        },
    )


class CursorArgsSchema(ma.Schema):
    """?cursor= (from the previous page) and ?limit= of a cursor-paged list."""

    cursor = ma.fields.String(load_default=None)
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


def cursor_page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of ``item_schema`` items and the cursor of the next page (null on the last)."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True, required=True, metadata={"description": "pass as ?cursor="}
            ),
        },
    )


class UploadTicketSchema(ma.Schema):
    """Where to PUT a file (a presigned URL) and the key to name once it is there."""

    key = ma.fields.String()
    url = ma.fields.String()
    method = ma.fields.String()
    expires_at = AwareDateTime()


class ImageUploadRequestSchema(ma.Schema):
    content_type = ma.fields.String(required=True, metadata={"example": "image/png"})
    size = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
