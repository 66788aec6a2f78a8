"""The learner's statements (uploads from offline phones), history and progress."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user
from marshmallow import fields

from catalog.api import API_PREFIX, Blueprint, CursorArgsSchema, cursor_page_schema
from catalog.api.paging import SortKey, keyset_page
from catalog.learning import history, recording
from catalog.learning.models import Statement
from catalog.learning.schemas import (
    MasterySchema,
    ProgressSchema,
    StatementBatchResultSchema,
    StatementBatchSchema,
    StatementOutcomeSchema,
    StatementPutSchema,
    StatementSchema,
)

blp = Blueprint(
    "learning", __name__, url_prefix=f"{API_PREFIX}/me", description="学习记录 / Learning history"
)
PUT_SCHEMA = StatementPutSchema()


class HistoryArgsSchema(CursorArgsSchema):
    heartbeats = fields.Boolean(
        load_default=False, metadata={"description": "true: the player's heartbeats too"}
    )


NEWEST_FIRST = SortKey(Statement.timestamp, Statement.id, descending=True)


@blp.route("/statements:batch")
class StatementsBatch(MethodView):
    @blp.auth()
    @blp.arguments(StatementBatchSchema)
    @blp.response(200, StatementBatchResultSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Upload up to 500 statements (heartbeats) recorded offline; each is stored,
        duplicate or rejected with its reason."""
        return {"results": recording.record_batch(current_user, data["statements"])}


@blp.route("/statements/<string:statement_id>")
class StatementsById(MethodView):
    @blp.auth()
    @blp.arguments(StatementPutSchema)
    @blp.response(200, StatementOutcomeSchema)
    def put(self, data: dict[str, Any], statement_id: str) -> recording.Outcome:
        """Store one statement under this id: again with the same content changes nothing;
        other content under the same id is a 409, a bad statement a 422."""
        # checked here for the document's sake, then recorded as sent, like any in a batch
        return recording.record_one(current_user, {**PUT_SCHEMA.dump(data), "id": statement_id})


@blp.route("/history")
class History(MethodView):
    @blp.auth()
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, cursor_page_schema(StatementSchema, "StatementPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your learning timeline, newest first, each entry with the title of what it is
        about: completions, quiz results, certificates and credits (and, when asked, the
        player's heartbeats)."""
        query = history.history_query(current_user, heartbeats=args["heartbeats"])
        page = keyset_page(query, NEWEST_FIRST, cursor=args["cursor"], limit=args["limit"])
        return {**page, "items": history.titled(page["items"])}


@blp.route("/progress")
class Progress(MethodView):
    @blp.auth()
    @blp.response(200, ProgressSchema)
    def get(self) -> dict[str, Any]:
        """Honest progress: per course (its required microlectures) and per microlecture."""
        return history.progress_of(current_user)


@blp.route("/mastery")
class Mastery(MethodView):
    @blp.auth()
    @blp.response(200, MasterySchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """My mastery of each knowledge point, from my graded quiz answers."""
        return history.mastery_of(current_user)


@blp.route("/export")
class Export(MethodView):
    @blp.auth()
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """All my learning data as one JSON document (history, progress, quizzes, mastery,
        certificates, credits)."""
        return history.export_of(current_user)
