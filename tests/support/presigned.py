"""Calling presigned URLs as a phone would: the local store's through the app, S3's over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from flask import Flask


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def call_url(
    app: Flask,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Local-store URLs go through the app (which serves them); S3 URLs over real HTTP."""
    headers = headers or {}
    settings = app.extensions["jiangyun"].settings
    if settings.object_store == "local":
        parts = urllib.parse.urlsplit(url)
        with app.test_client().open(
            parts.path, method=method, query_string=parts.query, data=body, headers=headers
        ) as response:
            return Answer(response.status_code, dict(response.headers), response.get_data())
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, dict(error.headers), error.read())
