"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from catalog.api import Blueprint
from catalog.errors import ErrorResponseSchema, error_response
from catalog.runtime import runtime

log = logging.getLogger("jiangyun.health")

blp = Blueprint("health", __name__, description="健康检查 / Health")


class AliveSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(AliveSchema):
    checks = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"example": {"database": "ok", "task_queue": "ok"}},
    )


@blp.route("/healthz")
class Alive(MethodView):
    @blp.response(200, AliveSchema)
    def get(self) -> dict[str, str]:
        """The process is up (no dependency is asked)."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, schema=ErrorResponseSchema, description="a part does not answer")
    def get(self) -> Any:
        """Every part the API depends on answers: database, task queue, storage, search."""
        results: dict[str, str] = {}
        for name, check in runtime().readiness_checks.items():
            try:
                check()
            except Exception as exc:  # any failure of the part means "not ready"
                log.warning("readiness check %s failed: %s", name, exc)
                results[name] = f"failed: {type(exc).__name__}"
            else:
                results[name] = "ok"
        failing = sorted(name for name, state in results.items() if state != "ok")
        if failing:
            return _not_ready(failing, results)
        return {"status": "ok", "checks": results}


def _not_ready(failing: list[str], results: dict[str, str]) -> Response:
    return error_response(
        503,
        code="not_ready",
        message="依赖不可用 / Not ready: " + ", ".join(failing),
        details={"failing": failing, "checks": results},
    )
