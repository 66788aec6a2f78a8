"""Authoring microlectures: create, edit, upload media, transcripts, publish."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint, cursor_page_schema
from catalog.api.paging import keyset_page, sort_keys
from catalog.lectures import authoring, uploads
from catalog.lectures.models import MediaUpload, Microlecture
from catalog.lectures.schemas import (
    AuthoringMicrolectureSchema,
    AuthoringQueryArgsSchema,
    MicrolectureCreateSchema,
    MicrolectureUpdateSchema,
    TranscriptSchema,
    UploadCompleteSchema,
    UploadCreateSchema,
    UploadPlanSchema,
    UploadSchema,
)

AUTHORS = (Role.INSTRUCTOR, Role.EDITOR, Role.ADMIN)
REVIEWERS = (Role.EDITOR, Role.ADMIN)

blp = Blueprint(
    "authoring_microlectures",
    __name__,
    url_prefix=f"{API_PREFIX}/authoring/microlectures",
    description="微课制作 / Authoring microlectures",
)

AuthoringPageSchema = cursor_page_schema(AuthoringMicrolectureSchema, "AuthoringMicrolecturePage")
SORTS = sort_keys(
    Microlecture.id, Microlecture.updated_at, title=Microlecture.title_sort
)  # 拼音排序


@blp.route("")
class AuthoringMicrolectures(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(AuthoringQueryArgsSchema, location="query")
    @blp.response(200, AuthoringPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Microlectures you may edit (reviewers: the organisation's), recently changed first."""
        query = authoring.authoring_query(current_user, args["status"])
        return keyset_page(query, SORTS[args["sort"]], cursor=args["cursor"], limit=args["limit"])

    @blp.auth(*AUTHORS)
    @blp.arguments(MicrolectureCreateSchema)
    @blp.response(201, AuthoringMicrolectureSchema)
    def post(self, data: dict[str, Any]) -> Microlecture:
        """Create a microlecture (then upload its media)."""
        return authoring.create(current_user, **data)


@blp.route("/<int:lecture_id>")
class AuthoringMicrolecturesById(MethodView):
    @blp.auth(*AUTHORS)
    @blp.response(200, AuthoringMicrolectureSchema)
    def get(self, lecture_id: int) -> Microlecture:
        """A microlecture you may edit, with its processing status."""
        return authoring.get_for_editing(current_user, lecture_id)

    @blp.auth(*AUTHORS)
    @blp.arguments(MicrolectureUpdateSchema)
    @blp.response(200, AuthoringMicrolectureSchema)
    def patch(self, changes: dict[str, Any], lecture_id: int) -> Microlecture:
        """Change title, description or knowledge points."""
        return authoring.update(current_user, lecture_id, changes)


@blp.route("/<int:lecture_id>/transcript")
class AuthoringTranscript(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(TranscriptSchema)
    @blp.response(200, AuthoringMicrolectureSchema)
    def put(self, data: dict[str, str], lecture_id: int) -> Microlecture:
        """Set the transcript: JSON ``{"format": "vtt" | "srt", "content": "<file text>"}``.

        Kept as WebVTT; its text is searchable."""
        return authoring.set_transcript(current_user, lecture_id, **data)


@blp.route("/<int:lecture_id>/media/uploads")
class MediaUploads(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(UploadCreateSchema)
    @blp.response(201, UploadPlanSchema)
    def post(self, data: dict[str, Any], lecture_id: int) -> uploads.UploadPlan:
        """Plan an upload: one presigned PUT for small files, presigned parts for large ones."""
        return uploads.plan_upload(current_user, lecture_id, **data)


@blp.route("/<int:lecture_id>/media/uploads/<string:upload_id>")
class MediaUploadsById(MethodView):
    @blp.auth(*AUTHORS)
    @blp.response(200, UploadSchema)
    def get(self, lecture_id: int, upload_id: str) -> MediaUpload:
        """An upload's state (pending, processing, done, failed with the reason, expired)."""
        return uploads.get_upload(current_user, lecture_id, upload_id)


@blp.route("/<int:lecture_id>/media/uploads/<string:upload_id>/complete")
class MediaUploadComplete(MethodView):
    @blp.auth(*AUTHORS)
    @blp.arguments(UploadCompleteSchema)
    @blp.response(200, UploadSchema)
    def post(self, data: dict[str, Any], lecture_id: int, upload_id: str) -> MediaUpload:
        """Finish an upload: checks size, checksum and real type, then queues processing."""
        return uploads.complete_upload(current_user, lecture_id, upload_id, data["parts"])


@blp.route("/<int:lecture_id>/publish")
class PublishMicrolecture(MethodView):
    @blp.auth(*REVIEWERS)
    @blp.response(200, AuthoringMicrolectureSchema)
    def post(self, lecture_id: int) -> Microlecture:
        """Publish on its own (editors and admins of its organisation); its media must be ready."""
        return authoring.publish(current_user, lecture_id)


@blp.route("/<int:lecture_id>/unpublish")
class UnpublishMicrolecture(MethodView):
    @blp.auth(*REVIEWERS)
    @blp.response(200, AuthoringMicrolectureSchema)
    def post(self, lecture_id: int) -> Microlecture:
        """Withdraw a published microlecture from learners."""
        return authoring.unpublish(current_user, lecture_id)
